#pragma once
/// @file
/// A plan: the findings of every assistant at one `now`, and the actions they
/// lead to. Pure data: printable, comparable, applied by Engine::apply.

#include <array>
#include <optional>
#include <string>
#include <vector>

#include <nudge/domain/optional_box.hpp>
#include <nudge/domain/task.hpp>
#include <nudge/notify/message.hpp>
#include <nudge/rules/finding.hpp>

namespace nudge {

enum class ActionKind { create_task, reassign, notify, set_label, clear_label, close_deal };

inline std::string_view to_string(ActionKind k) {
  constexpr std::array<std::string_view, 6> names{"create_task", "reassign",    "notify",
                                                  "set_label",   "clear_label", "close_deal"};
  return names[static_cast<std::size_t>(k)];
}

/// One thing the engine will do. `key` is derived from (rule, subject,
/// episode, step): applying it a second time is a no-op.
struct Action {
  std::string key;
  ActionKind kind = ActionKind::create_task;
  std::string rule;
  SubjectRef subject;
  ClientId client;
  std::string step;
  /// When the step fell due; `late` when the plan runs well after that (a gap between runs).
  Instant due{};
  bool late = false;
  /// create_task: the task to create (its id is assigned when applied). Held
  /// out of line, like `message`: most actions have neither.
  OptionalBox<Task> task;
  /// reassign: from -> to. notify: the manager addressed, when one is.
  std::optional<ManagerId> from;
  std::optional<ManagerId> to;
  /// set_label / clear_label.
  std::string label;
  std::string note;
  /// notify: the message that goes to the outbox.
  OptionalBox<Message> message;
  /// close_deal: the loss reason.
  std::string reason;
  /// Who/what/why, as a person reads it.
  std::string explanation;
  /// Index of the finding this action comes from in Plan::findings (npos for label upkeep).
  std::size_t finding = static_cast<std::size_t>(-1);
  /// Whether applying records the key (exactly-once). Label upkeep is idempotent and does not.
  bool once = true;

  friend bool operator==(const Action&, const Action&) = default;
};

/// Weighted open pipeline of one owner.
struct ForecastRow {
  ManagerId owner;
  std::string currency;
  std::int64_t open_deals = 0;
  std::int64_t amount_cents = 0;
  /// Sum of amount x probability, in currency units (not rounded until printed).
  double weighted = 0.0;
  friend bool operator==(const ForecastRow&, const ForecastRow&) = default;
};

/// The result of Engine::plan.
struct Plan {
  Instant now{};
  std::vector<Finding> findings;
  std::vector<Action> actions;
  /// Things a person should know that are not actions ("no supervisor to escalate deal 7 to").
  std::vector<std::string> notes;
  std::vector<ForecastRow> forecast;

  /// Findings of one rule.
  [[nodiscard]] std::vector<const Finding*> findings_of(std::string_view rule) const {
    std::vector<const Finding*> out;
    for (const auto& f : findings)
      if (f.rule == rule) out.push_back(&f);
    return out;
  }
  friend bool operator==(const Plan&, const Plan&) = default;
};

/// What apply did.
struct ApplyResult {
  std::size_t applied = 0;
  /// Already applied earlier (their keys were recorded): skipped.
  std::size_t skipped = 0;
  std::vector<std::string> applied_keys;
  std::vector<TaskId> created_tasks;
};

}  // namespace nudge
