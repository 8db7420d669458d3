#pragma once
/// @file
/// Tasks (work items): attention -> in progress -> done / cancelled.

#include <array>
#include <optional>
#include <string>
#include <string_view>

#include <nudge/domain/ids.hpp>
#include <nudge/domain/time.hpp>
#include <nudge/error.hpp>

namespace nudge {

/// A new work item reaches its assignee in `attention`.
enum class TaskState { attention, in_progress, done, cancelled };

inline std::string_view to_string(TaskState s) {
  constexpr std::array<std::string_view, 4> names{"attention", "in_progress", "done", "cancelled"};
  return names[static_cast<std::size_t>(s)];
}

inline TaskState parse_task_state(std::string_view s, std::string_view field = "state") {
  if (s == "attention") return TaskState::attention;
  if (s == "in_progress") return TaskState::in_progress;
  if (s == "done") return TaskState::done;
  if (s == "cancelled") return TaskState::cancelled;
  throw invalid_argument(
      fmt::format("{}: expected attention, in_progress, done or cancelled, got '{}'", field, s));
}

/// A task or work item for a manager about a client (and maybe a deal).
struct Task {
  TaskId id{};
  ClientId client{};
  std::optional<DealId> deal{};
  ManagerId assignee{};
  std::optional<ManagerId> author{};
  std::string title{};
  MaybeInstant planned_start{};
  Instant due{};
  TaskState state = TaskState::attention;
  Instant created{};
  /// When it was done or cancelled.
  MaybeInstant closed{};
  /// The predecessor in the conveyor ("based on"): the work item this one follows.
  std::optional<TaskId> based_on{};
  /// The action key of the engine action that created it ("" when made by a person).
  std::string origin{};

  [[nodiscard]] bool open() const { return state == TaskState::attention || state == TaskState::in_progress; }

  void validate() const {
    if (!id.valid()) throw invalid_argument("task.id: must be a positive id");
    if (!client.valid()) throw invalid_argument(fmt::format("task {}: client: must name a client", id.value()));
    if (!assignee.valid()) throw invalid_argument(fmt::format("task {}: assignee: must name a manager", id.value()));
    if (planned_start && due < *planned_start)
      throw invalid_argument(fmt::format("task {}: due: {} is before the planned start {}", id.value(),
                                         iso_instant(due), iso_instant(*planned_start)));
    if (!open() && !closed)
      throw invalid_argument(fmt::format("task {}: closed: required when the state is {}", id.value(), to_string(state)));
    if (open() && closed)
      throw invalid_argument(fmt::format("task {}: closed: must be empty while the task is open", id.value()));
    if (based_on && *based_on == id)
      throw invalid_argument(fmt::format("task {}: based_on: a task cannot follow itself", id.value()));
  }

  friend bool operator==(const Task&, const Task&) = default;
};

}  // namespace nudge
