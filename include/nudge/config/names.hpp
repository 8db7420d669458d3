#pragma once
/// @file
/// The names the configuration file uses for enum values, and the walk over
/// every assistant list of an EngineConfig. Shared by loading, saving and
/// validation.

#include <array>
#include <optional>
#include <string_view>
#include <type_traits>

#include <nudge/calendar/holiday.hpp>
#include <nudge/domain/activity.hpp>
#include <nudge/domain/pipeline.hpp>
#include <nudge/engine/config.hpp>
#include <nudge/notify/message.hpp>
#include <nudge/rules/event_rules.hpp>
#include <nudge/rules/ladder.hpp>

namespace nudge::detail {

/// The file's names of an enum's values, in the enum's order.
template <class E>
struct EnumNames;

template <>
struct EnumNames<StageKind> {
  static constexpr std::array<std::string_view, 3> names{"open", "won", "lost"};
};
template <>
struct EnumNames<StepAction> {
  static constexpr std::array<std::string_view, 4> names{"task", "notify", "reassign", "close_lost"};
};
template <>
struct EnumNames<Target> {
  static constexpr std::array<std::string_view, 5> names{"owner", "supervisor", "client", "assignee", "manager"};
};
template <>
struct EnumNames<Channel> {
  static constexpr std::array<std::string_view, 6> names{"email", "sms", "messenger", "in_app", "webhook", "other"};
};
template <>
struct EnumNames<ReleasePolicy::Kind> {
  static constexpr std::array<std::string_view, 3> names{"least_loaded", "round_robin", "weighted"};
};
template <>
struct EnumNames<Observance> {
  static constexpr std::array<std::string_view, 4> names{"none", "nearest_weekday", "next_monday", "sunday_to_monday"};
};
template <>
struct EnumNames<ClientKind> {
  static constexpr std::array<std::string_view, 2> names{"B2B", "B2C"};
};
template <>
struct EnumNames<ActivityKind> {
  static constexpr auto names = activity_kind_names;
};

template <>
struct EnumNames<CompareOp> {
  static constexpr std::array<std::string_view, 8> names{"==", "!=", "<", "<=", ">", ">=", "in", "contains"};
};
template <>
struct EnumNames<EventActionKind> {
  static constexpr std::array<std::string_view, 3> names{"notify", "task", "label"};
};

template <class E>
constexpr std::string_view enum_name(E e) {
  const auto i = static_cast<std::size_t>(e);
  return i < EnumNames<E>::names.size() ? EnumNames<E>::names[i] : std::string_view("?");
}

template <class E>
constexpr std::optional<E> enum_value(std::string_view s) {
  for (std::size_t i = 0; i < EnumNames<E>::names.size(); ++i)
    if (EnumNames<E>::names[i] == s) return static_cast<E>(i);
  if constexpr (std::is_same_v<E, ClientKind>) {
    if (s == "b2b") return ClientKind::b2b;
    if (s == "b2c") return ClientKind::b2c;
  }
  return std::nullopt;
}

/// Which scan feeds an assistant kind: clients, deals, invoices or tasks.
enum class AssistantFeed { clients, deals, invoices, tasks };

/// Calls `f(key, feed, list)` for each assistant list of a config, in the
/// file's order; `list` is the (const or not) std::vector of that kind's configs.
template <class Config, class F>
void for_each_assistant_list(Config& c, F&& f) {
  f(std::string_view("forgotten"), AssistantFeed::clients, c.forgotten);
  f(std::string_view("release"), AssistantFeed::clients, c.release);
  f(std::string_view("churned"), AssistantFeed::clients, c.churned);
  f(std::string_view("unpaid"), AssistantFeed::invoices, c.unpaid);
  f(std::string_view("debtor"), AssistantFeed::invoices, c.debtor);
  f(std::string_view("dead_deal"), AssistantFeed::deals, c.dead_deal);
  f(std::string_view("stage_sla"), AssistantFeed::deals, c.stage_sla);
  f(std::string_view("no_next_step"), AssistantFeed::deals, c.no_next_step);
  f(std::string_view("neglected_task"), AssistantFeed::tasks, c.neglected_task);
}

inline constexpr std::array<std::string_view, 9> assistant_kinds{
    "forgotten", "release", "churned", "unpaid", "debtor", "dead_deal", "stage_sla", "no_next_step", "neglected_task"};

}  // namespace nudge::detail
