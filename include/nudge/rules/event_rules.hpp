#pragma once
/// @file
/// Event rules: react to what happens, not to time. An Event (a missed call, a
/// deal entering a stage, a work item handed over ...) is matched against
/// rules; a rule whose condition holds runs its actions (a message, a task, a
/// label). Plain values that map one to one onto the configuration's JSON
/// (docs/notifications.md); the EventEngine (rules/event_engine.hpp) runs them.

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include <nudge/calendar/period.hpp>
#include <nudge/domain/client.hpp>
#include <nudge/domain/deal.hpp>
#include <nudge/domain/task.hpp>
#include <nudge/error.hpp>
#include <nudge/notify/message.hpp>
#include <nudge/rules/ladder.hpp>

namespace nudge {

/// Event kinds Nudge knows (a host may send others and write rules for them).
namespace event_kind {
inline constexpr std::string_view call_missed = "call.missed";
inline constexpr std::string_view call_incoming = "call.incoming";
inline constexpr std::string_view deal_stage_changed = "deal.stage_changed";
inline constexpr std::string_view task_reassigned = "task.reassigned";
/// Effects of event rules, fed back to the rules (see EventEngine).
inline constexpr std::string_view task_created = "task.created";
inline constexpr std::string_view client_labeled = "client.labeled";
}  // namespace event_kind

/// A field that changed with an event: `stage` from "proposal" to "negotiation".
struct FieldChange {
  std::string from;
  std::string to;
  friend bool operator==(const FieldChange&, const FieldChange&) = default;
};

/// Something that happened. `id` is the host's stable id of the event: every
/// action an event causes is keyed by it, so an event delivered twice acts once.
struct Event {
  std::string id{};
  std::string kind{};
  Instant at{};
  ClientId client{};
  std::optional<DealId> deal{};
  std::optional<TaskId> task{};
  /// The manager involved: who took (or missed) the call, the new assignee.
  std::optional<ManagerId> manager{};
  /// Free fields a rule may test as `event.<name>` ("channel" = "phone" ...).
  std::map<std::string, std::string> fields{};
  /// What changed, by name: {"stage": {"proposal", "negotiation"}}.
  std::map<std::string, FieldChange> changes{};
  /// Set by the engine on events its own actions cause: the rules that led to
  /// this one, first to last. A rule never reacts to an event it caused (loop guard).
  std::vector<std::string> caused_by{};

  /// A call the client made that nobody answered.
  static Event missed_call(std::string id, ClientId client, Instant at, std::optional<ManagerId> manager = {}) {
    return {std::move(id), std::string(event_kind::call_missed), at, client, {}, {}, manager, {}, {}, {}};
  }
  /// A call from the client that was answered.
  static Event incoming_call(std::string id, ClientId client, Instant at, std::optional<ManagerId> manager = {}) {
    return {std::move(id), std::string(event_kind::call_incoming), at, client, {}, {}, manager, {}, {}, {}};
  }
  /// A deal moved from one stage to another.
  static Event stage_changed(std::string id, const Deal& d, std::string from, std::string to, Instant at) {
    Event e{std::move(id), std::string(event_kind::deal_stage_changed), at, d.client, d.id, {}, d.owner, {}, {}, {}};
    e.fields["pipeline"] = d.pipeline;
    e.changes["stage"] = {std::move(from), std::move(to)};
    return e;
  }
  /// A work item handed from one manager to another.
  static Event task_reassigned(std::string id, const Task& t, ManagerId from, ManagerId to, Instant at) {
    Event e{std::move(id), std::string(event_kind::task_reassigned), at, t.client, t.deal, t.id, to, {}, {}, {}};
    e.changes["assignee"] = {std::to_string(from.value()), std::to_string(to.value())};
    return e;
  }

  friend bool operator==(const Event&, const Event&) = default;
};

// ---- conditions -----------------------------------------------------------------

/// Comparison operators of a condition.
enum class CompareOp { eq, ne, lt, le, gt, ge, in, contains };

inline std::string_view to_string(CompareOp op) {
  constexpr std::array<std::string_view, 8> names{"==", "!=", "<", "<=", ">", ">=", "in", "contains"};
  return names[static_cast<std::size_t>(op)];
}
/// Parses "==", "!=", "<", "<=", ">", ">=", "in", "contains"; throws invalid_argument naming `field`.
inline CompareOp parse_compare_op(std::string_view s, std::string_view field = "op") {
  for (int i = 0; i < 8; ++i)
    if (to_string(static_cast<CompareOp>(i)) == s) return static_cast<CompareOp>(i);
  throw invalid_argument(fmt::format("{}: expected one of ==, !=, <, <=, >, >=, in, contains, got '{}'", field, s));
}

/// A condition on an event, its client, deal and task: a tree of all / any /
/// not over comparisons and changes. Each node maps to one JSON object:
///
///     {"all": [c, ...]}   {"any": [c, ...]}   {"not": c}
///     {"field": "client.segment", "op": "in", "value": ["smb", "retail"]}
///     {"changed": "stage", "from": "proposal", "to": "negotiation"}
///
/// Fields: `event.kind`, `event.id`, `event.<name>` (Event::fields),
/// `manager` (the event's manager id); `client.id|name|kind|segment|segments|
/// labels|owner|locale|time_zone|email|phone`, `client.label.<name>` (its note);
/// `deal.id|stage|pipeline|amount|currency|probability|status|owner|labels`;
/// `task.id|state|assignee|title`; `change.<name>.from|to`. A field the event
/// does not have reads as "" (a list field as the empty list).
///
/// Comparisons: numbers compare as numbers when both sides are numbers, else
/// as text (ISO dates order correctly). On a list field (segments, labels) an
/// operator holds when it holds for some element, `!=` when `==` holds for
/// none, and `contains` tests membership; on text `contains` is a substring
/// test. `in` takes a list of values.
struct Condition {
  enum class Kind { all, any, negate, compare, changed };
  Kind kind = Kind::all;
  /// all / any: the parts (all of nothing holds, any of nothing does not); negate: exactly one.
  std::vector<Condition> items{};
  /// compare: the field; changed: the name of the changed field ("stage").
  std::string field{};
  CompareOp op = CompareOp::eq;
  /// compare: one value, or the list for `in`.
  std::vector<std::string> values{};
  /// changed: the old and the new value it must have changed between (absent: any).
  std::optional<std::string> from{};
  std::optional<std::string> to{};

  static Condition always() { return {}; }
  static Condition all(std::vector<Condition> cs) { return {Kind::all, std::move(cs), {}, CompareOp::eq, {}, {}, {}}; }
  static Condition any(std::vector<Condition> cs) { return {Kind::any, std::move(cs), {}, CompareOp::eq, {}, {}, {}}; }
  static Condition negate(Condition c) { return {Kind::negate, {std::move(c)}, {}, CompareOp::eq, {}, {}, {}}; }
  static Condition compare(std::string field, CompareOp op, std::string value) {
    return {Kind::compare, {}, std::move(field), op, {std::move(value)}, {}, {}};
  }
  static Condition in(std::string field, std::vector<std::string> values) {
    return {Kind::compare, {}, std::move(field), CompareOp::in, std::move(values), {}, {}};
  }
  static Condition changed(std::string field, std::optional<std::string> from = {}, std::optional<std::string> to = {}) {
    return {Kind::changed, {}, std::move(field), CompareOp::eq, {}, std::move(from), std::move(to)};
  }

  friend bool operator==(const Condition&, const Condition&) = default;
};

/// What a condition can look at.
struct EventFacts {
  const Event* event = nullptr;
  const Client* client = nullptr;
  const Deal* deal = nullptr;
  const Task* task = nullptr;
};

namespace detail {

/// A field's value: one text, or a list (segments, labels).
struct FieldValue {
  bool list = false;
  std::vector<std::string> items;
};

inline std::optional<double> as_number(std::string_view s) {
  if (s.empty()) return std::nullopt;
  double v = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (r.ec != std::errc{} || r.ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

inline constexpr std::array<std::string_view, 11> client_fields{
    "id", "name", "kind", "segment", "segments", "labels", "owner", "locale", "time_zone", "email", "phone"};
inline constexpr std::array<std::string_view, 9> deal_fields{"id",     "stage",       "pipeline", "amount", "currency",
                                                              "probability", "status", "owner",    "labels"};
inline constexpr std::array<std::string_view, 4> task_fields{"id", "state", "assignee", "title"};

/// "" when `field` names something a condition can read, else why not.
inline std::string check_field(std::string_view field) {
  auto rest = [&](std::string_view prefix) { return field.substr(prefix.size()); };
  auto in = [](const auto& names, std::string_view n) { return std::find(names.begin(), names.end(), n) != names.end(); };
  if (field == "manager") return {};
  if (field.rfind("event.", 0) == 0) return rest("event.").empty() ? "expected event.<name>" : "";
  if (field.rfind("client.label.", 0) == 0) return rest("client.label.").empty() ? "expected client.label.<name>" : "";
  if (field.rfind("client.", 0) == 0)
    return in(client_fields, rest("client.")) ? "" : fmt::format("unknown client field '{}'", rest("client."));
  if (field.rfind("deal.", 0) == 0)
    return in(deal_fields, rest("deal.")) ? "" : fmt::format("unknown deal field '{}'", rest("deal."));
  if (field.rfind("task.", 0) == 0)
    return in(task_fields, rest("task.")) ? "" : fmt::format("unknown task field '{}'", rest("task."));
  if (field.rfind("change.", 0) == 0) {
    const auto r = rest("change.");
    const auto dot = r.rfind('.');
    if (dot == std::string_view::npos || dot == 0 || (r.substr(dot + 1) != "from" && r.substr(dot + 1) != "to"))
      return "expected change.<name>.from or change.<name>.to";
    return {};
  }
  return fmt::format("unknown field '{}': fields start with event., client., deal., task., change. (or are 'manager')",
                     field);
}

inline FieldValue one(std::string v) { return {false, {std::move(v)}}; }
template <class Map>
FieldValue keys_of(const Map& m) {
  FieldValue out{true, {}};
  for (const auto& [k, v] : m) out.items.push_back(k);
  return out;
}

inline FieldValue read_field(const EventFacts& f, std::string_view field) {
  const Event& e = *f.event;
  auto rest = [&](std::string_view prefix) { return std::string(field.substr(prefix.size())); };
  if (field == "manager") return one(e.manager ? std::to_string(e.manager->value()) : std::string{});
  if (field == "event.kind") return one(e.kind);
  if (field == "event.id") return one(e.id);
  if (field == "event.at") return one(iso_instant(e.at));
  if (field.rfind("event.", 0) == 0) {
    auto it = e.fields.find(rest("event."));
    return one(it == e.fields.end() ? std::string{} : it->second);
  }
  if (field.rfind("change.", 0) == 0) {
    const auto r = rest("change.");
    const auto dot = r.rfind('.');
    auto it = e.changes.find(r.substr(0, dot));
    if (it == e.changes.end()) return one({});
    return one(r.substr(dot + 1) == "from" ? it->second.from : it->second.to);
  }
  if (field.rfind("client.", 0) == 0) {
    const Client* c = f.client;
    const auto n = rest("client.");
    if (n.rfind("label.", 0) == 0) {
      if (!c) return one({});
      auto it = c->labels.find(n.substr(6));
      return one(it == c->labels.end() ? std::string{} : it->second);
    }
    if (n == "segments") return c ? FieldValue{true, c->segments} : FieldValue{true, {}};
    if (n == "labels") return c ? keys_of(c->labels) : FieldValue{true, {}};
    if (!c) return one({});
    if (n == "id") return one(std::to_string(c->id.value()));
    if (n == "name") return one(c->name);
    if (n == "kind") return one(std::string(to_string(c->kind)));
    if (n == "segment") return one(c->primary_segment());
    if (n == "owner") return one(std::to_string(c->owner.value()));
    if (n == "locale") return one(c->locale);
    if (n == "time_zone") return one(c->time_zone);
    if (n == "email") return one(c->email);
    if (n == "phone") return one(c->phone);
    return one({});
  }
  if (field.rfind("deal.", 0) == 0) {
    const Deal* d = f.deal;
    const auto n = rest("deal.");
    if (n == "labels") return d ? keys_of(d->labels) : FieldValue{true, {}};
    if (!d) return one({});
    if (n == "id") return one(std::to_string(d->id.value()));
    if (n == "stage") return one(d->stage);
    if (n == "pipeline") return one(d->pipeline);
    if (n == "amount") return one(fmt::format("{:.2f}", d->amount.to_decimal()));
    if (n == "currency") return one(d->amount.currency);
    if (n == "probability") return one(fmt::format("{}", d->probability));
    if (n == "status") return one(std::string(to_string(d->status)));
    if (n == "owner") return one(std::to_string(d->owner.value()));
    return one({});
  }
  if (field.rfind("task.", 0) == 0) {
    const Task* t = f.task;
    const auto n = rest("task.");
    if (!t) return one({});
    if (n == "id") return one(std::to_string(t->id.value()));
    if (n == "state") return one(std::string(to_string(t->state)));
    if (n == "assignee") return one(std::to_string(t->assignee.value()));
    if (n == "title") return one(t->title);
    return one({});
  }
  return one({});
}

/// -1, 0, 1: as numbers when both are, else as text.
inline int compare_values(std::string_view a, std::string_view b) {
  const auto x = as_number(a), y = as_number(b);
  if (x && y) return *x < *y ? -1 : (*y < *x ? 1 : 0);
  return a < b ? -1 : (b < a ? 1 : 0);
}

inline bool holds_one(CompareOp op, std::string_view v, const std::vector<std::string>& values, bool list) {
  const std::string_view w = values.empty() ? std::string_view{} : std::string_view(values.front());
  switch (op) {
    case CompareOp::eq: return compare_values(v, w) == 0;
    case CompareOp::ne: return compare_values(v, w) != 0;
    case CompareOp::lt: return compare_values(v, w) < 0;
    case CompareOp::le: return compare_values(v, w) <= 0;
    case CompareOp::gt: return compare_values(v, w) > 0;
    case CompareOp::ge: return compare_values(v, w) >= 0;
    case CompareOp::in:
      return std::any_of(values.begin(), values.end(), [&](const std::string& x) { return compare_values(v, x) == 0; });
    case CompareOp::contains: return list ? v == w : v.find(w) != std::string_view::npos;
  }
  return false;
}

}  // namespace detail

/// Whether a condition holds for an event (and its client, deal, task).
inline bool holds(const Condition& c, const EventFacts& f) {
  switch (c.kind) {
    case Condition::Kind::all:
      return std::all_of(c.items.begin(), c.items.end(), [&](const Condition& x) { return holds(x, f); });
    case Condition::Kind::any:
      return std::any_of(c.items.begin(), c.items.end(), [&](const Condition& x) { return holds(x, f); });
    case Condition::Kind::negate: return c.items.size() == 1 && !holds(c.items.front(), f);
    case Condition::Kind::changed: {
      auto it = f.event->changes.find(c.field);
      if (it == f.event->changes.end()) return false;
      return (!c.from || *c.from == it->second.from) && (!c.to || *c.to == it->second.to);
    }
    case Condition::Kind::compare: {
      const auto v = detail::read_field(f, c.field);
      if (!v.list) return detail::holds_one(c.op, v.items.front(), c.values, false);
      // A list: != holds when == holds for no element; the others for some element.
      if (c.op == CompareOp::ne)
        return std::none_of(v.items.begin(), v.items.end(),
                            [&](const std::string& x) { return detail::holds_one(CompareOp::eq, x, c.values, true); });
      return std::any_of(v.items.begin(), v.items.end(),
                         [&](const std::string& x) { return detail::holds_one(c.op, x, c.values, true); });
    }
  }
  return false;
}

/// Every problem of a condition, each prefixed with its path ("when.all[1]").
inline void condition_problems(const Condition& c, const std::string& path, std::vector<std::string>& out) {
  switch (c.kind) {
    case Condition::Kind::all:
    case Condition::Kind::any:
      for (std::size_t i = 0; i < c.items.size(); ++i)
        condition_problems(c.items[i], fmt::format("{}.{}[{}]", path, c.kind == Condition::Kind::all ? "all" : "any", i),
                           out);
      break;
    case Condition::Kind::negate:
      if (c.items.size() != 1) out.push_back(fmt::format("{}.not: expected exactly one condition, got {}", path, c.items.size()));
      else condition_problems(c.items.front(), path + ".not", out);
      break;
    case Condition::Kind::changed:
      if (c.field.empty()) out.push_back(path + ".changed: expected the name of a field, like \"stage\"");
      break;
    case Condition::Kind::compare:
      if (auto why = detail::check_field(c.field); !why.empty()) out.push_back(fmt::format("{}.field: {}", path, why));
      if (c.op == CompareOp::in ? c.values.empty() : c.values.size() != 1)
        out.push_back(fmt::format("{}.value: operator '{}' takes {}, got {} value{}", path, to_string(c.op),
                                  c.op == CompareOp::in ? "a list of values" : "one value", c.values.size(),
                                  c.values.size() == 1 ? "" : "s"));
      break;
  }
}

// ---- actions and rules ---------------------------------------------------------------

/// What a fired rule does.
enum class EventActionKind {
  notify,  ///< a message to the target (template per locale)
  task,    ///< a task for the target manager, due `within` after the event
  label,   ///< a label on the client
};

inline std::string_view to_string(EventActionKind k) {
  constexpr std::array<std::string_view, 3> names{"notify", "task", "label"};
  return names[static_cast<std::size_t>(k)];
}

/// One action of an event rule. JSON:
///
///     {"action": "notify", "target": "client", "channel": "sms", "template": "missed_call"}
///     {"action": "task", "target": "owner", "title": "Call {client} back"}
///     {"action": "label", "label": "called_back", "note": "..."}
struct EventAction {
  EventActionKind action = EventActionKind::notify;
  /// owner (of the deal, else the client), supervisor (`level`), client, assignee (the event's manager, else the
  /// task's assignee), manager (`manager_id`).
  Target target = Target::client;
  int level = 1;
  std::int64_t manager_id = 0;
  Channel channel = Channel::sms;
  /// notify: the template id; `{stage}` in it is replaced by the deal's new
  /// stage ("deal_stage.{stage}"), so each stage has its own template.
  std::string template_id{};
  /// task: the title (a template); label: the label's note (a template).
  std::string title{};
  /// label: the label.
  std::string label{};
  friend bool operator==(const EventAction&, const EventAction&) = default;
};

/// An event rule. JSON:
///
///     {"id": "missed_call", "on": "call.missed", "within": "2h", "debounce": "30m",
///      "when": {"field": "client.kind", "op": "==", "value": "B2C"},
///      "actions": [{"action": "notify", "target": "client", "channel": "sms", "template": "missed_call"},
///                  {"action": "task", "target": "owner", "title": "Call {client} back"}]}
struct EventRule {
  std::string id{};
  bool enabled = true;
  /// The event kind it reacts to ("call.missed").
  std::string on{};
  /// When it fires (default: always).
  Condition when{};
  /// The promise: a task is due this long after the event (business time
  /// allowed), and messages may say so ({hours}, {minutes}, {due}).
  Period within = Period::hours(2);
  /// Fires at most once per client within this window (0 = no debounce): a
  /// burst of events sends one message.
  Seconds debounce{0};
  std::vector<EventAction> actions{};
  friend bool operator==(const EventRule&, const EventRule&) = default;
};

}  // namespace nudge
