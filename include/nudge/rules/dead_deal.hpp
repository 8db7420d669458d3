#pragma once
/// @file
/// Dead deals: open far longer than the cycle -> alert the head of sales, or close as lost.

#include <map>

#include <nudge/rules/assistant.hpp>

namespace nudge {

struct DeadDealConfig {
  std::string id = "dead_deal";
  bool enabled = true;
  Scope scope;
  /// Open longer than this -> dead.
  Period max_age = Period::days(120);
  /// Per-pipeline overrides of max_age.
  std::map<std::string, Period> per_pipeline;
  Ladder ladder{LadderStep{.id = "alert", .action = StepAction::notify, .target = Target::supervisor,
                           .template_id = "dead_deal"}};
  friend bool operator==(const DeadDealConfig&, const DeadDealConfig&) = default;
};

class DeadDealAssistant : public Assistant {
public:
  explicit DeadDealAssistant(DeadDealConfig c) : Assistant(c.id, c.scope, c.ladder), c_(std::move(c)) {}
  [[nodiscard]] Feed feed() const override { return Feed::deals; }
  [[nodiscard]] bool varies_with_time() const override { return false; }
  /// The deal alone.
  [[nodiscard]] Changed reads() const override { return Changed::deal; }
  [[nodiscard]] const DeadDealConfig& config() const { return c_; }

  [[nodiscard]] Period limit_of(const Deal& d) const {
    auto it = c_.per_pipeline.find(d.pipeline);
    return it == c_.per_pipeline.end() ? c_.max_age : it->second;
  }

  [[nodiscard]] bool test(const Context& ctx, const ClientInfo&, const DealView& v, Hit& h) const override {
    const Deal& d = *v.deal;
    aim(h, d);
    if (!d.is_open()) return false;
    h.anchor = d.opened;
    h.cents = d.amount.cents;
    h.since = ctx.calendar->advance(d.opened, limit_of(d));
    return ctx.now > h.since;
  }

  [[nodiscard]] std::optional<Finding> inspect(const Context& ctx, const ClientInfo& c, const DealView& v) const override {
    Hit h;
    if (!test(ctx, c, v, h)) return std::nullopt;
    const Deal& d = *v.deal;
    const Period limit = limit_of(d);
    const Instant since = h.since;
    Finding f;
    f.rule = id();
    f.subject = SubjectRef::of(d.id);
    f.client = d.client;
    f.owner = d.owner;
    f.episode = iso_instant(d.opened);
    f.since = since;
    f.cents = d.amount.cents;
    f.currency = d.amount.currency;
    const auto days = ctx.days_since(d.opened);
    f.summary = fmt::format("deal {} dead: open since {} ({}), limit {}, stage '{}', {}, owner {}", d.id.value(),
                            iso_date(utc_date(d.opened)), days_text(days), period_text(limit), d.stage,
                            to_string(d.amount), ctx.manager_name(d.owner));
    f.facts = {{"opened", d.opened}, {"days_open", days}, {"limit", to_string(limit)}, {"stage", d.stage},
               {"amount", to_string(d.amount)}};
    return f;
  }

private:
  DeadDealConfig c_;
};

}  // namespace nudge
