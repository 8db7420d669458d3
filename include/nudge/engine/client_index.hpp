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
#include <nudge/storage/flat_table.hpp>

namespace nudge::detail {

class ClientIndex {
public:
  /// The rows, ascending id (a scan appends them in that order).
  [[nodiscard]] std::vector<ClientInfo>& rows() { return rows_; }
  [[nodiscard]] std::size_t size() const { return rows_.size(); }
  /// Whether seal() found row r holding the first id + r (find computes rows).
  [[nodiscard]] bool consecutive() const { return sealed_ == rows_.size() && !rows_.empty() && ids_.identity(); }

  /// Once seal() ran: the row by IdIndex (computed when the ids are
  /// consecutive, row r holding the first id + r as the clients 1..n of an
  /// import; else one read of a dense table, or a hash probe); a binary
  /// search before.
  [[nodiscard]] const ClientInfo* find(ClientId id) const {
    if (sealed_ == rows_.size()) {
      const auto r = ids_.find(id.value());
      return r == IdIndex::npos ? nullptr : &rows_[r];
    }
    auto it = std::lower_bound(rows_.begin(), rows_.end(), id,
                               [](const ClientInfo& c, ClientId x) { return c.id < x; });
    return it != rows_.end() && it->id == id ? &*it : nullptr;
  }

  /// Starts loading what find(id) reads (a hint, after seal()): a scan
  /// that knows the clients it will look up next issues it a few ahead.
  void prefetch(ClientId id) const {
    if (sealed_ != rows_.size()) return;
    if (ids_.identity()) {  // the row itself: its place is computed
      if (const auto r = ids_.find(id.value()); r != IdIndex::npos) __builtin_prefetch(&rows_[r]);
    } else {
      ids_.prefetch(id.value());
    }
  }

  /// Room for n clients, sized once from the store's count (0 when it cannot
  /// tell): grown by doubling instead, the rows' last move held 1.5 times
  /// their size at once, and the freed blocks were not reused in place by
  /// the next pass. `contacts`: the scan copies contact facts
  /// (wants_contacts): room for those too (88 bytes a client; grown, 88 MB
  /// moved at L from SQLite).
  /// The rows are about to be written once, in order: huge pages under them
  /// where the system gives them (advise_huge_pages), a page fault per 2 MiB
  /// instead of per 4 KiB.
  void reserve(std::size_t n, bool contacts) {
    rows_.reserve(n);
    advise_huge_pages(rows_.data(), rows_.capacity() * sizeof(ClientInfo));
    if (contacts) {
      contacts_.reserve(n);
      advise_huge_pages(contacts_.data(), contacts_.capacity() * sizeof(ContactFacts));
    }
  }

  /// Indexes the rows by id (after the scan of the clients, before lookups
  /// from several threads). Consecutive ids need no index: a deal's,
  /// invoice's or task's client is then one cache miss (its row), not two.
  void seal() {
    ids_ = {};
    ids_.reserve(rows_.size());
    for (std::size_t r = 0; r < rows_.size(); ++r) ids_.put(rows_[r].id.value(), static_cast<std::uint32_t>(r));
    sealed_ = rows_.size();
    if (!contacts_.empty() && contacts_.size() == rows_.size())
      for (std::size_t r = 0; r < rows_.size(); ++r) rows_[r].contacts = &contacts_[r];
  }

  /// Whether a scan should copy each client's contact facts
  /// (ClientInfo::contacts): the store's summaries do not outlive a scan and
  /// an assistant of another feed reads the client's activities or tasks.
  template <class Assistants>
  [[nodiscard]] static bool wants_contacts(bool stable_views, const Assistants& assistants) {
    if (stable_views) return false;
    return std::any_of(assistants.begin(), assistants.end(), [](const auto& a) {
      return a->feed() != Feed::clients && overlaps(a->reads(), Changed::activity | Changed::task);
    });
  }
  /// Copies the contact facts of row `row` (rows in scan order; seal() points
  /// the rows at them). A client scanned without a summary drops them all:
  /// the assistants then ask the store, as without them.
  void set_contacts(std::size_t row, const ClientSummary* summary) {
    if (contacts_dropped_) return;
    if (!summary) {
      contacts_dropped_ = true;
      std::vector<ContactFacts>().swap(contacts_);  // freed (`= {}` would keep the capacity)
      return;
    }
    if (contacts_.size() <= row) contacts_.resize(row + 1);
    contacts_[row] = ContactFacts(*summary);
  }

  /// The primary segment of each row (what release picks are made by), as a
  /// small code into segment_names(): read without going back to the client.
  [[nodiscard]] std::vector<std::uint32_t>& segments() { return segment_of_; }
  [[nodiscard]] const std::string& segment_name(std::uint32_t code) const { return segment_names_[code]; }
  std::uint32_t segment_code(const std::string& name) {
    if (last_segment_ < segment_names_.size() && segment_names_[last_segment_] == name) return last_segment_;
    if (segment_names_.size() <= 16) {  // the usual few: a comparison each
      for (last_segment_ = 0; last_segment_ < segment_names_.size(); ++last_segment_)
        if (segment_names_[last_segment_] == name) return last_segment_;
    } else if (auto it = segment_codes_.find(name); it != segment_codes_.end()) {
      return last_segment_ = it->second;
    }
    last_segment_ = static_cast<std::uint32_t>(segment_names_.size());
    segment_names_.push_back(name);
    segment_codes_.emplace(name, last_segment_);
    return last_segment_;
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
  std::size_t sealed_ = static_cast<std::size_t>(-1);  ///< rows_.size() when seal() ran
  IdIndex ids_;  ///< row by id (computed while the ids are consecutive)
  std::vector<ContactFacts> contacts_;  ///< per row, when a scan keeps them
  bool contacts_dropped_ = false;
  std::vector<std::uint32_t> segment_of_;
  std::vector<std::string> segment_names_;
  std::unordered_map<std::string, std::uint32_t> segment_codes_;
  std::uint32_t last_segment_ = 0;
  std::unordered_map<std::string, std::unique_ptr<Client>> profiles_;
};

/// The open pipeline per owner and currency, in the order deals are added.
/// One hash probe per deal (per currency, an owner -> row index).
class ForecastTally {
public:
  void add(const Deal& d) {
    auto& c = currency(d.amount.currency);
    auto r = c.owners.find(d.owner.value());
    if (r == IdIndex::npos) {
      r = static_cast<std::uint32_t>(c.rows.size());
      c.owners.put(d.owner.value(), r);
      c.rows.emplace_back();
      c.rows.back().owner = d.owner;
      c.rows.back().currency = d.amount.currency;
    }
    auto& row = c.rows[r];
    ++row.open_deals;
    row.amount_cents += d.amount.cents;
    row.weighted += d.amount.to_decimal() * d.probability;
  }
  /// Ascending owner, then currency.
  [[nodiscard]] std::vector<ForecastRow> rows() const {
    std::vector<ForecastRow> out;
    for (const auto& c : currencies_) out.insert(out.end(), c.rows.begin(), c.rows.end());
    std::sort(out.begin(), out.end(), [](const ForecastRow& a, const ForecastRow& b) {
      return std::tie(a.owner, a.currency) < std::tie(b.owner, b.currency);
    });
    return out;
  }

private:
  struct Currency {
    nudge::Currency code;
    IdIndex owners;
    std::vector<ForecastRow> rows;
  };
  Currency& currency(const nudge::Currency& code) {
    if (last_ < currencies_.size() && currencies_[last_].code == code) return currencies_[last_];
    for (last_ = 0; last_ < currencies_.size(); ++last_)
      if (currencies_[last_].code == code) return currencies_[last_];
    currencies_.push_back({code, {}, {}});
    return currencies_.back();
  }
  std::vector<Currency> currencies_;
  std::size_t last_ = 0;
};

}  // namespace nudge::detail
