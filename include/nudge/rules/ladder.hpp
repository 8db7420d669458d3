#pragma once
/// @file
/// Escalation ladders: steps with delays from the start of an episode.

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nudge/calendar/period.hpp>
#include <nudge/notify/message.hpp>

namespace nudge {

/// What a ladder step does.
enum class StepAction {
  task,        ///< create a task for the target
  notify,      ///< send a message to the target
  reassign,    ///< hand the client to another manager (the release policy picks whom)
  close_lost,  ///< close the deal as lost (with the step's reason)
};

inline std::string_view to_string(StepAction a) {
  constexpr std::array<std::string_view, 4> names{"task", "notify", "reassign", "close_lost"};
  return names[static_cast<std::size_t>(a)];
}

/// Who a step addresses.
enum class Target {
  owner,       ///< the client's (or deal's) owner
  supervisor,  ///< the owner's supervisor; `level` 2 = the supervisor's supervisor
  client,      ///< the client's contact
  assignee,    ///< the task's assignee (work-item assistants)
  manager,     ///< a fixed manager (`manager_id`), e.g. the head of sales
};

inline std::string_view to_string(Target t) {
  constexpr std::array<std::string_view, 5> names{"owner", "supervisor", "client", "assignee", "manager"};
  return names[static_cast<std::size_t>(t)];
}

/// One rung of a ladder. It fires once per episode, when `after` has passed
/// since the episode started (strictly after), or, for assistants that measure
/// against a limit (stage SLA), when `share` of the limit has been used.
struct LadderStep {
  std::string id{};                  ///< unique within the ladder: "task", "reassign", "complain"
  Period after{};                    ///< delay from the start of the episode
  std::optional<double> share{};     ///< alternative: a share of the subject's limit (1.0 = breach)
  StepAction action = StepAction::task;
  Target target = Target::owner;
  int level = 1;                     ///< supervisor level for Target::supervisor
  std::int64_t manager_id = 0;       ///< for Target::manager
  Channel channel = Channel::in_app; ///< notify steps
  std::string template_id{};         ///< notify steps: the message template ("" = the default text)
  std::string title{};               ///< task steps: the task title ("" = the finding's summary)
  Period due_in = Period::days(1);   ///< task steps: due this long after the step fires
  std::string reason{};              ///< close_lost: the loss reason

  friend bool operator==(const LadderStep&, const LadderStep&) = default;
};

using Ladder = std::vector<LadderStep>;

}  // namespace nudge
