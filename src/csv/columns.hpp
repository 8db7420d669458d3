#pragma once
// The columns of each file, in the order an export writes them. The names of
// the six main files match the benchmark schema (/work/shared/bench/schema.sql);
// the extra columns are optional, so the benchmark's files import as they are.

#include <span>
#include <string_view>

#include <nudge/csv/format.hpp>

namespace nudge::csv::detail {

struct Column {
  std::string_view name;
  bool required;  // the column must be present and every row needs a value
};

// Column indices per file.
namespace mc { enum : int { id, name, supervisor_id, active, segments, capacity, weight, email, phone }; }
namespace cc { enum : int { id, name, owner_manager_id, segment, kind, created_at, release_locked, email, phone, time_zone, locale }; }
namespace ac { enum : int { id, client_id, manager_id, kind, custom_kind, at, outcome, contact, subject }; }
namespace tc {
enum : int { id, client_id, deal_id, assignee_id, author_id, title, planned_start_at, due_at, state, created_at, done_at,
             based_on_task_id, origin };
}
namespace dc {
enum : int { id, client_id, owner_id, pipeline, stage, stage_entered_at, opened_at, amount, currency, probability, status,
             loss_reason, closed_at };
}
namespace ic { enum : int { id, client_id, deal_id, amount, currency, issued_at, due_at, paid_at, paid_amount }; }
namespace lc { enum : int { manager_id, first_day, last_day }; }
namespace bc { enum : int { subject, subject_id, label, note }; }
namespace hc { enum : int { deal_id, stage, entered_at, left_at }; }
namespace oc { enum : int { deal_id, from_at, to_at, reason }; }
namespace pc { enum : int { invoice_id, at, amount }; }

inline constexpr Column manager_columns[] = {
    {"id", true},        {"name", true},      {"supervisor_id", false}, {"active", false}, {"segments", false},
    {"capacity", false}, {"weight", false},   {"email", false},         {"phone", false}};
inline constexpr Column client_columns[] = {
    {"id", true},     {"name", true},           {"owner_manager_id", true}, {"segment", false},
    {"kind", false},  {"created_at", false},    {"release_locked", false},  {"email", false},
    {"phone", false}, {"time_zone", false},     {"locale", false}};
inline constexpr Column activity_columns[] = {
    {"id", true},   {"client_id", true}, {"manager_id", false}, {"kind", true},    {"custom_kind", false},
    {"at", true},   {"outcome", false},  {"contact", false},    {"subject", false}};
inline constexpr Column task_columns[] = {
    {"id", true},          {"client_id", true},  {"deal_id", false},    {"assignee_id", true},
    {"author_id", false},  {"title", false},     {"planned_start_at", false}, {"due_at", true},
    {"state", false},      {"created_at", false}, {"done_at", false},   {"based_on_task_id", false},
    {"origin", false}};
inline constexpr Column deal_columns[] = {
    {"id", true},          {"client_id", true},        {"owner_id", true},     {"pipeline", false},
    {"stage", true},       {"stage_entered_at", false}, {"opened_at", true},   {"amount", false},
    {"currency", false},   {"probability", false},     {"status", false},      {"loss_reason", false},
    {"closed_at", false}};
inline constexpr Column invoice_columns[] = {
    {"id", true},        {"client_id", true}, {"deal_id", false}, {"amount", true},     {"currency", false},
    {"issued_at", true}, {"due_at", true},    {"paid_at", false}, {"paid_amount", false}};
inline constexpr Column leave_columns[] = {{"manager_id", true}, {"first_day", true}, {"last_day", true}};
inline constexpr Column label_columns[] = {{"subject", true}, {"subject_id", true}, {"label", true}, {"note", false}};
inline constexpr Column stage_history_columns[] = {
    {"deal_id", true}, {"stage", true}, {"entered_at", true}, {"left_at", false}};
inline constexpr Column hold_columns[] = {{"deal_id", true}, {"from_at", true}, {"to_at", false}, {"reason", false}};
inline constexpr Column payment_columns[] = {{"invoice_id", true}, {"at", true}, {"amount", true}};

inline std::span<const Column> columns_of(Entity e) {
  switch (e) {
    case Entity::managers: return manager_columns;
    case Entity::clients: return client_columns;
    case Entity::activities: return activity_columns;
    case Entity::tasks: return task_columns;
    case Entity::deals: return deal_columns;
    case Entity::invoices: return invoice_columns;
    case Entity::leave: return leave_columns;
    case Entity::labels: return label_columns;
    case Entity::stage_history: return stage_history_columns;
    case Entity::holds: return hold_columns;
    case Entity::payments: return payment_columns;
  }
  return {};
}

}  // namespace nudge::csv::detail
