#pragma once
/// @file
/// Neglected work items: still in `attention` after the planned start plus a grace period.

#include <nudge/rules/assistant.hpp>

namespace nudge {

struct NeglectedTaskConfig {
  std::string id = "neglected_task";
  bool enabled = true;
  Scope scope;
  Period grace = Period::business_hours(4);
  Ladder ladder{LadderStep{.id = "remind", .action = StepAction::notify, .target = Target::assignee,
                           .template_id = "neglected_task"},
                LadderStep{.id = "escalate", .after = Period::business_days(1), .action = StepAction::notify,
                           .target = Target::supervisor, .template_id = "neglected_task"}};
  friend bool operator==(const NeglectedTaskConfig&, const NeglectedTaskConfig&) = default;
};

class NeglectedTaskAssistant : public Assistant {
public:
  explicit NeglectedTaskAssistant(NeglectedTaskConfig c) : Assistant(c.id, c.scope, c.ladder), c_(std::move(c)) {}
  [[nodiscard]] Feed feed() const override { return Feed::tasks; }
  [[nodiscard]] bool varies_with_time() const override { return false; }
  /// The task alone.
  [[nodiscard]] Changed reads() const override { return Changed::task; }
  [[nodiscard]] const NeglectedTaskConfig& config() const { return c_; }

  [[nodiscard]] bool test(const Context& ctx, const ClientInfo&, const Task& t, Hit& h) const override {
    aim(h, t);
    if (t.state != TaskState::attention) return false;
    h.anchor = t.planned_start.value_or(t.created);
    h.since = ctx.calendar->advance(h.anchor, c_.grace);
    return ctx.now > h.since;
  }

  [[nodiscard]] std::optional<Finding> inspect(const Context& ctx, const ClientInfo& c, const Task& t) const override {
    Hit h;
    if (!test(ctx, c, t, h)) return std::nullopt;
    const Instant start = h.anchor, since = h.since;
    Finding f;
    f.rule = id();
    f.subject = SubjectRef::of(t.id);
    f.client = t.client;
    f.owner = t.assignee;
    f.episode = iso_instant(start);
    f.since = since;
    f.summary = fmt::format("task {} '{}' neglected: still in attention, planned start {}, grace {}, assignee {}",
                            t.id.value(), t.title, iso_instant(start), period_text(c_.grace),
                            ctx.manager_name(t.assignee));
    f.facts = {{"planned_start", start}, {"grace", to_string(c_.grace)}, {"assignee", ctx.manager_name(t.assignee)}};
    return f;
  }

private:
  NeglectedTaskConfig c_;
};

}  // namespace nudge
