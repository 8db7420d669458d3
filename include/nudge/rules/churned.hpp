#pragma once
/// @file
/// Churned clients: used to order, stopped.

#include <algorithm>

#include <nudge/rules/assistant.hpp>

namespace nudge {

struct ChurnedConfig {
  std::string id = "churned";
  bool enabled = true;
  Scope scope;
  /// At least this many orders before a client can churn.
  int min_orders = 2;
  /// Nothing ordered for longer than max(idle, factor x the client's median interval between orders).
  Period idle = Period::days(180);
  double factor = 0.0;
  /// What counts as an order.
  bool won_deals = true;
  bool paid_invoices = false;
  std::string label = "churned";
  Ladder ladder{LadderStep{.id = "task", .title = "Win back {client}", .due_in = Period::business_days(3)}};
  friend bool operator==(const ChurnedConfig&, const ChurnedConfig&) = default;
};

class ChurnedAssistant : public Assistant {
public:
  explicit ChurnedAssistant(ChurnedConfig c) : Assistant(c.id, c.scope, c.ladder), c_(std::move(c)) {}
  [[nodiscard]] Feed feed() const override { return Feed::clients; }
  [[nodiscard]] std::string label() const override { return c_.label; }
  [[nodiscard]] const ChurnedConfig& config() const { return c_; }

  [[nodiscard]] std::optional<Finding> inspect(const Context& ctx, const ClientView& v) const override {
    const auto& s = *v.summary;
    std::vector<Instant> orders;
    if (c_.won_deals) orders.insert(orders.end(), s.won_deals.begin(), s.won_deals.end());
    if (c_.paid_invoices) orders.insert(orders.end(), s.paid_invoices.begin(), s.paid_invoices.end());
    if (static_cast<int>(orders.size()) < c_.min_orders || orders.empty()) return std::nullopt;
    std::sort(orders.begin(), orders.end());
    const Instant last = orders.back();
    Period limit = c_.idle;
    Seconds median{0};
    if (orders.size() >= 2 && c_.factor > 0.0) {
      std::vector<std::int64_t> gaps;
      for (std::size_t i = 1; i < orders.size(); ++i) gaps.push_back((orders[i] - orders[i - 1]).count());
      std::sort(gaps.begin(), gaps.end());
      const auto n = gaps.size();
      median = Seconds{n % 2 ? gaps[n / 2] : (gaps[n / 2 - 1] + gaps[n / 2]) / 2};
      const Seconds scaled{static_cast<std::int64_t>(c_.factor * static_cast<double>(median.count()))};
      if (c_.idle.basis == TimeBasis::calendar && scaled > c_.idle.length) limit = Period{scaled, TimeBasis::calendar};
    }
    const Instant since = ctx.calendar->advance(last, limit);
    if (!(ctx.now > since)) return std::nullopt;
    auto f = make_finding(*v.client, since, iso_instant(last),
                          fmt::format("client '{}' churned: {} orders, the last on {} ({} ago), limit {}, owner {}",
                                      v.client->name, orders.size(), iso_date(utc_date(last)),
                                      days_text(ctx.days_since(last)), period_text(limit),
                                      ctx.manager_name(v.client->owner)));
    f.facts = {{"orders", static_cast<std::int64_t>(orders.size())},
               {"last_order", last},
               {"days", ctx.days_since(last)},
               {"limit", to_string(limit)}};
    if (median.count()) f.facts.push_back({"median_interval_days", days_of(median)});
    f.label_note = fmt::format("last order {}", iso_date(utc_date(last)));
    return f;
  }

private:
  ChurnedConfig c_;
};

}  // namespace nudge
