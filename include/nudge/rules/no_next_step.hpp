#pragma once
/// @file
/// No next step: an open deal with no open task is a lost deal.

#include <nudge/rules/assistant.hpp>

namespace nudge {

struct NoNextStepConfig {
  std::string id = "no_next_step";
  bool enabled = true;
  Scope scope;
  /// How long a deal may sit without an open task (counted from entering its
  /// stage or from closing its last task, whichever is later).
  Period grace = Period::days(0);
  Ladder ladder{LadderStep{.id = "task", .title = "Plan the next step for deal {deal} with {client}",
                           .due_in = Period::business_days(1)}};
  friend bool operator==(const NoNextStepConfig&, const NoNextStepConfig&) = default;
};

class NoNextStepAssistant : public Assistant {
public:
  explicit NoNextStepAssistant(NoNextStepConfig c) : Assistant(c.id, c.scope, c.ladder), c_(std::move(c)) {}
  [[nodiscard]] Feed feed() const override { return Feed::deals; }
  [[nodiscard]] bool varies_with_time() const override { return false; }
  /// The deal and its tasks (how many are open, when the last one closed).
  [[nodiscard]] Changed reads() const override { return Changed::deal | Changed::task; }
  [[nodiscard]] const NoNextStepConfig& config() const { return c_; }

  [[nodiscard]] bool test(const Context& ctx, const ClientInfo&, const DealView& v, Hit& h) const override {
    const Deal& d = *v.deal;
    aim(h, d);
    if (!d.is_open() || v.open_tasks > 0) return false;
    h.anchor = d.stage_entered;
    if (v.last_task_closed && *v.last_task_closed > h.anchor) h.anchor = *v.last_task_closed;
    h.cents = d.amount.cents;
    h.since = ctx.calendar->advance(h.anchor, c_.grace);
    return ctx.now >= h.since;
  }

  [[nodiscard]] std::optional<Finding> inspect(const Context& ctx, const ClientInfo& c, const DealView& v) const override {
    Hit h;
    if (!test(ctx, c, v, h)) return std::nullopt;
    const Deal& d = *v.deal;
    const Instant anchor = h.anchor, since = h.since;
    Finding f;
    f.rule = id();
    f.subject = SubjectRef::of(d.id);
    f.client = d.client;
    f.owner = d.owner;
    f.episode = iso_instant(anchor);
    f.since = since;
    f.cents = d.amount.cents;
    f.currency = d.amount.currency;
    f.summary = fmt::format("deal {} has no next step: no open task since {}, stage '{}', {}, owner {}", d.id.value(),
                            iso_date(utc_date(anchor)), d.stage, to_string(d.amount), ctx.manager_name(d.owner));
    f.facts = {{"without_task_since", anchor}, {"stage", d.stage}, {"grace", to_string(c_.grace)}};
    return f;
  }

private:
  NoNextStepConfig c_;
};

}  // namespace nudge
