#pragma once
/// @file
/// What a pass over the store keeps about every client (ClientInfo, ascending
/// id, with profiles shared by clients that have the same kind, segments and
/// labels) and the forecast it tallies from the open deals. Shared by
/// Engine::plan and Engine::evaluate.

#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <nudge/engine/plan.hpp>
#include <nudge/rules/assistant.hpp>

namespace nudge::detail {

class ClientIndex {
public:
  /// The rows, ascending id (a scan appends them in that order).
  [[nodiscard]] std::vector<ClientInfo>& rows() { return rows_; }
  [[nodiscard]] std::size_t size() const { return rows_.size(); }

  [[nodiscard]] const ClientInfo* find(ClientId id) const {
    auto it = std::lower_bound(rows_.begin(), rows_.end(), id,
                               [](const ClientInfo& c, ClientId x) { return c.id < x; });
    return it != rows_.end() && it->id == id ? &*it : nullptr;
  }

  /// A copy of the client's kind, segments and labels, one per distinct set
  /// (what scopes match against once the scan's own views are gone).
  const Client* profile(const Client& c) {
    std::string key = std::string(to_string(c.kind));
    for (const auto& s : c.segments) key += '\x1f' + s;
    key += '\x1e';
    for (const auto& [l, n] : c.labels) key += l + '\x1d' + n + '\x1f';
    auto [it, inserted] = profiles_.try_emplace(std::move(key));
    if (inserted) {
      auto p = std::make_unique<Client>();
      p->kind = c.kind;
      p->segments = c.segments;
      p->labels = c.labels;
      it->second = std::move(p);
    }
    return it->second.get();
  }

private:
  std::vector<ClientInfo> rows_;
  std::unordered_map<std::string, std::unique_ptr<Client>> profiles_;
};

/// The open pipeline per owner and currency, in the order deals are added.
class ForecastTally {
public:
  void add(const Deal& d) {
    auto& row = rows_[{d.owner, d.amount.currency}];
    ++row.open_deals;
    row.amount_cents += d.amount.cents;
    row.weighted += d.amount.to_decimal() * d.probability;
  }
  /// Ascending owner, then currency.
  [[nodiscard]] std::vector<ForecastRow> rows() const {
    std::vector<ForecastRow> out;
    for (const auto& [k, row] : rows_) {
      out.push_back(row);
      out.back().owner = k.first;
      out.back().currency = k.second;
    }
    return out;
  }

private:
  std::map<std::pair<ManagerId, std::string>, ForecastRow> rows_;
};

}  // namespace nudge::detail
