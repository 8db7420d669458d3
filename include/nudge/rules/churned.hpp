#pragma once
/// @file
/// Churned clients: used to order, stopped.

#include <algorithm>

#include <algorithm>
#include <iterator>
#include <span>

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
  [[nodiscard]] bool varies_with_time() const override { return false; }
  /// The orders: won deals and/or paid invoices, as configured.
  [[nodiscard]] Changed reads() const override {
    return Changed::client | (c_.won_deals ? Changed::deal : Changed::none) |
           (c_.paid_invoices ? Changed::invoice : Changed::none);
  }
  [[nodiscard]] std::string label() const override { return c_.label; }
  [[nodiscard]] const ChurnedConfig& config() const { return c_; }

  /// The client's orders: how many, the last one, the idle limit it gets and
  /// the median gap between orders (when the limit scales with it).
  struct Orders {
    std::size_t count = 0;
    Instant last{};
    Period limit;
    Seconds median{0};
  };
  [[nodiscard]] std::optional<Orders> orders(const ClientSummary& s) const {
    // Both lists are kept sorted; only merge when both count.
    std::vector<Instant> merged;
    std::span<const Instant> all;
    if (c_.won_deals && c_.paid_invoices) {
      merged.reserve(s.won_deals.size() + s.paid_invoices.size());
      std::merge(s.won_deals.begin(), s.won_deals.end(), s.paid_invoices.begin(), s.paid_invoices.end(),
                 std::back_inserter(merged));
      all = merged;
    } else if (c_.won_deals) {
      all = s.won_deals;
    } else if (c_.paid_invoices) {
      all = s.paid_invoices;
    }
    if (static_cast<int>(all.size()) < c_.min_orders || all.empty()) return std::nullopt;
    Orders o;
    o.count = all.size();
    o.last = all.back();
    o.limit = c_.idle;
    if (all.size() >= 2 && c_.factor > 0.0) {
      std::vector<std::int64_t> gaps;
      for (std::size_t i = 1; i < all.size(); ++i) gaps.push_back((all[i] - all[i - 1]).count());
      std::sort(gaps.begin(), gaps.end());
      const auto n = gaps.size();
      o.median = Seconds{n % 2 ? gaps[n / 2] : (gaps[n / 2 - 1] + gaps[n / 2]) / 2};
      const Seconds scaled{static_cast<std::int64_t>(c_.factor * static_cast<double>(o.median.count()))};
      if (c_.idle.basis == TimeBasis::calendar && scaled > c_.idle.length) o.limit = Period{scaled, TimeBasis::calendar};
    }
    return o;
  }

  [[nodiscard]] bool test(const Context& ctx, const ClientView& v, Hit& h) const override {
    aim(h, *v.client);
    const auto o = orders(*v.summary);
    if (!o) return false;
    h.anchor = o->last;
    h.count = static_cast<std::int64_t>(o->count);
    h.since = ctx.calendar->advance(o->last, o->limit);
    return ctx.now > h.since;
  }

  [[nodiscard]] std::optional<Finding> inspect(const Context& ctx, const ClientView& v) const override {
    Hit h;
    if (!test(ctx, v, h)) return std::nullopt;
    const auto o = *orders(*v.summary);
    const Instant last = o.last, since = h.since;
    const Period limit = o.limit;
    const Seconds median = o.median;
    auto f = make_finding(*v.client, since, iso_instant(last),
                          fmt::format("client '{}' churned: {} orders, the last on {} ({} ago), limit {}, owner {}",
                                      v.client->name, o.count, iso_date(utc_date(last)),
                                      days_text(ctx.days_since(last)), period_text(limit),
                                      ctx.manager_name(v.client->owner)));
    f.facts = {{"orders", static_cast<std::int64_t>(o.count)},
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
