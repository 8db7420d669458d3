// The SQLite storage adapter. Everything SQLite-specific lives in this file
// (and schema.hpp): the public header only sees a pimpl.

#include <nudge/sqlite/sqlite_storage.hpp>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <map>
#include <mutex>
#include <new>
#include <span>
#include <thread>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <variant>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Exception.h>
#include <SQLiteCpp/Statement.h>
#include <sqlite3.h>

#include "schema.hpp"

namespace nudge {
namespace {

namespace schema = detail::sqlite_schema;

// ---- enums as text ----------------------------------------------------------

constexpr std::array<std::string_view, 3> contact_names{"by_kind", "yes", "no"};
std::string_view to_text(Contact c) { return contact_names[static_cast<std::size_t>(c)]; }

[[noreturn]] void corrupt(std::string_view what, std::string_view value) {
  throw storage_error(fmt::format("sqlite storage: corrupt row: unknown {} '{}'", what, value));
}

// Inverse of to_string() for an enum whose values are 0..count-1.
template <class E>
E parse_enum(std::string_view s, int count, std::string_view what) {
  for (int i = 0; i < count; ++i)
    if (to_string(static_cast<E>(i)) == s) return static_cast<E>(i);
  corrupt(what, s);
}

Contact parse_contact(std::string_view s) {
  for (std::size_t i = 0; i < contact_names.size(); ++i)
    if (contact_names[i] == s) return static_cast<Contact>(i);
  corrupt("contact", s);
}

// ---- errors -------------------------------------------------------------------

/// The operation an error message names: "put_client 42", "scan_clients".
struct Op {
  std::string_view name;
  std::optional<std::int64_t> id;
};

std::string describe(const Op& op) {
  return op.id ? fmt::format("{} {}", op.name, *op.id) : std::string(op.name);
}

constexpr int busy_timeout_ms = 5000;

// Call from a catch block: rethrows the exception in flight as a nudge::error.
// `file`: the database, named when another connection kept it locked (the
// message then says which file to look at, not only which operation failed).
[[noreturn]] void rethrow_translated(const Op& op, const std::string* file = nullptr) {
  try {
    throw;
  } catch (const nudge::error&) {
    throw;
  } catch (const SQLite::Exception& e) {
    auto msg = fmt::format("sqlite storage: {}: {}", describe(op), e.what());
    const int code = e.getErrorCode() & 0xff;
    if (file && (code == SQLITE_BUSY || code == SQLITE_LOCKED))
      msg += fmt::format(" ('{}' stayed locked by another connection for {} ms)", *file, busy_timeout_ms);
    switch (e.getExtendedErrorCode()) {
      case SQLITE_CONSTRAINT_UNIQUE:
      case SQLITE_CONSTRAINT_PRIMARYKEY: throw conflict(msg);
      case SQLITE_CONSTRAINT_FOREIGNKEY: throw not_found(msg);
      default: throw storage_error(msg);
    }
  } catch (const std::bad_alloc&) {
    throw;
  } catch (const std::exception& e) {
    throw storage_error(fmt::format("sqlite storage: {}: {}", describe(op), e.what()));
  }
}

// ---- SQL ------------------------------------------------------------------------
#define NUDGE_SQL_STR2(x) #x
#define NUDGE_SQL_STR(x) NUDGE_SQL_STR2(x)
// Every statement is a constant: prepared once per connection (cached by the
// address of its text) and only ever bound, never formatted from values.

// Tables every schema version has: a file with a user_version but without
// them belongs to another application.
constexpr const char* sql_nudge_tables =
    "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name IN "
    "('managers', 'clients', 'activities', 'tasks', 'deals', 'invoices', 'actions', 'audit', 'outbox')";
constexpr int nudge_table_count = 9;

constexpr const char* sql_begin_immediate = "BEGIN IMMEDIATE";
constexpr const char* sql_begin_read = "BEGIN DEFERRED";
constexpr const char* sql_commit = "COMMIT";
constexpr const char* sql_rollback = "ROLLBACK";

#define NUDGE_SQL_MANAGER "id, name, supervisor, active, capacity, weight, email, phone"
constexpr const char* sql_manager = "SELECT " NUDGE_SQL_MANAGER " FROM managers WHERE id = ?1";
constexpr const char* sql_managers = "SELECT " NUDGE_SQL_MANAGER " FROM managers ORDER BY id";
constexpr const char* sql_manager_leave =
    "SELECT manager_id, first_day, last_day FROM manager_leave WHERE manager_id BETWEEN ?1 AND ?2 "
    "ORDER BY manager_id, seq";
constexpr const char* sql_manager_segments =
    "SELECT manager_id, segment FROM manager_segments WHERE manager_id BETWEEN ?1 AND ?2 ORDER BY manager_id, seq";
constexpr const char* sql_put_manager =
    "INSERT INTO managers(" NUDGE_SQL_MANAGER ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
    "ON CONFLICT(id) DO UPDATE SET name = excluded.name, supervisor = excluded.supervisor, "
    "active = excluded.active, capacity = excluded.capacity, weight = excluded.weight, "
    "email = excluded.email, phone = excluded.phone";
constexpr const char* sql_clear_manager_leave = "DELETE FROM manager_leave WHERE manager_id = ?1";
constexpr const char* sql_add_manager_leave =
    "INSERT INTO manager_leave(manager_id, seq, first_day, last_day) VALUES (?1, ?2, ?3, ?4)";
constexpr const char* sql_clear_manager_segments = "DELETE FROM manager_segments WHERE manager_id = ?1";
constexpr const char* sql_add_manager_segment =
    "INSERT INTO manager_segments(manager_id, seq, segment) VALUES (?1, ?2, ?3)";

#define NUDGE_SQL_CLIENT "c.id, c.name, c.owner, c.kind, c.created, c.release_locked, c.email, c.phone, c.time_zone, c.locale"
constexpr int client_columns = 10;
constexpr const char* sql_client = "SELECT " NUDGE_SQL_CLIENT " FROM clients c WHERE c.id = ?1";
// The summary columns follow ActivityKind's order, then the forced contact.
constexpr const char* sql_client_batch =
    "SELECT " NUDGE_SQL_CLIENT ", s.last_call_in, s.last_call_out, s.last_call_missed, s.last_email, "
    "s.last_meeting, s.last_message, s.last_note, s.last_document, s.last_other, s.last_forced_contact, "
    "s.last_task_done, s.open_tasks, s.latest_open_due "
    "FROM clients c LEFT JOIN client_summary s ON s.client_id = c.id WHERE c.id >= ?1 ORDER BY c.id LIMIT ?2";
// Where the batch after n rows at or after ?1 starts (the scans' read-ahead):
// a walk of the scan's own index, reading no columns.
constexpr const char* sql_client_boundary = "SELECT id FROM clients WHERE id >= ?1 ORDER BY id LIMIT 1 OFFSET ?2";
constexpr const char* sql_client_segments =
    "SELECT client_id, segment FROM client_segments WHERE client_id BETWEEN ?1 AND ?2 ORDER BY client_id, seq";
constexpr const char* sql_client_labels =
    "SELECT client_id, label, note FROM client_labels WHERE client_id BETWEEN ?1 AND ?2 ORDER BY client_id, label";
constexpr const char* sql_won_deals =
    "SELECT client_id, closed FROM deals WHERE status = 'won' AND client_id BETWEEN ?1 AND ?2 "
    "ORDER BY client_id, closed";
constexpr const char* sql_paid_invoices =
    "SELECT client_id, paid FROM invoices WHERE paid IS NOT NULL AND client_id BETWEEN ?1 AND ?2 "
    "ORDER BY client_id, paid";
constexpr const char* sql_clients_of = "SELECT id FROM clients WHERE owner = ?1 ORDER BY id";
constexpr const char* sql_reassign_client = "UPDATE clients SET owner = ?2 WHERE id = ?1";
constexpr const char* sql_put_client =
    "INSERT INTO clients(id, name, owner, kind, created, release_locked, email, phone, time_zone, locale) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) "
    "ON CONFLICT(id) DO UPDATE SET name = excluded.name, owner = excluded.owner, kind = excluded.kind, "
    "created = excluded.created, release_locked = excluded.release_locked, email = excluded.email, "
    "phone = excluded.phone, time_zone = excluded.time_zone, locale = excluded.locale";
constexpr const char* sql_add_client_summary =
    "INSERT INTO client_summary(client_id) VALUES (?1) ON CONFLICT(client_id) DO NOTHING";
constexpr const char* sql_clear_client_segments = "DELETE FROM client_segments WHERE client_id = ?1";
constexpr const char* sql_add_client_segment =
    "INSERT INTO client_segments(client_id, seq, segment) VALUES (?1, ?2, ?3)";
constexpr const char* sql_clear_client_labels = "DELETE FROM client_labels WHERE client_id = ?1";
constexpr const char* sql_set_client_label =
    "INSERT INTO client_labels(client_id, label, note) VALUES (?1, ?2, ?3) "
    "ON CONFLICT(client_id, label) DO UPDATE SET note = excluded.note";
constexpr const char* sql_clear_client_label = "DELETE FROM client_labels WHERE client_id = ?1 AND label = ?2";
static_assert(activity_kind_count == 9, "client_summary has one column per ActivityKind");
// The summary slot an activity moves: its kind's, or the forced contact's.
constexpr std::size_t forced_slot = activity_kind_count;
// A unit of work keeps the summary changes of its writes in memory (see
// Impl::Pending) and writes them with this, once per touched client: ?2..?11
// the latest instants per slot (NULL: unchanged), ?12 whether the task facts
// are to be recomputed from the client's tasks (a task was replaced), else
// ?13..?15 what new tasks add: open ones, their latest due (origin ''), the
// latest completion. (A client new in the unit gets its row inserted with the
// values instead, see summary_rows.) coalesce(max(slot, new), slot, new) is "the later of
// the two, either may be NULL" (SQLite's max() of a NULL is NULL).
#define NUDGE_SQL_SLOT(column, n) column " = coalesce(max(" column ", ?" #n "), " column ", ?" #n "), "
constexpr const char* sql_summary_flush =
    "UPDATE client_summary SET " NUDGE_SQL_SLOT("last_call_in", 2) NUDGE_SQL_SLOT("last_call_out", 3)
        NUDGE_SQL_SLOT("last_call_missed", 4) NUDGE_SQL_SLOT("last_email", 5) NUDGE_SQL_SLOT("last_meeting", 6)
            NUDGE_SQL_SLOT("last_message", 7) NUDGE_SQL_SLOT("last_note", 8) NUDGE_SQL_SLOT("last_document", 9)
                NUDGE_SQL_SLOT("last_other", 10) NUDGE_SQL_SLOT("last_forced_contact", 11)
    "open_tasks = CASE WHEN ?12 THEN (SELECT count(*) FROM tasks WHERE client_id = ?1 "
    "AND state IN ('attention', 'in_progress')) ELSE open_tasks + ?13 END, "
    "latest_open_due = CASE WHEN ?12 THEN (SELECT max(due) FROM tasks WHERE client_id = ?1 "
    "AND state IN ('attention', 'in_progress') AND origin = '') "
    "ELSE coalesce(max(latest_open_due, ?14), latest_open_due, ?14) END, "
    "last_task_done = CASE WHEN ?12 THEN (SELECT max(closed) FROM tasks WHERE client_id = ?1 AND state = 'done') "
    "ELSE coalesce(max(last_task_done, ?15), last_task_done, ?15) END "
    "WHERE client_id = ?1";
#undef NUDGE_SQL_SLOT

#define NUDGE_SQL_ACTIVITY "id, client_id, manager_id, kind, custom_kind, at, outcome, contact, subject"
constexpr const char* sql_activities_of =
    "SELECT " NUDGE_SQL_ACTIVITY " FROM activities WHERE client_id = ?1 AND at >= ?2 ORDER BY at, id";
constexpr const char* sql_has_activity = "SELECT 1 FROM activities WHERE id = ?1 LIMIT 1";
constexpr const char* sql_add_activity =
    "INSERT INTO activities(" NUDGE_SQL_ACTIVITY ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";

#define NUDGE_SQL_TASK \
  "id, client_id, deal_id, assignee, author, title, planned_start, due, state, created, closed, based_on, origin"
#define NUDGE_SQL_TASK_OPEN "state IN ('attention', 'in_progress')"
constexpr const char* sql_task = "SELECT " NUDGE_SQL_TASK " FROM tasks WHERE id = ?1";
constexpr const char* sql_tasks_of = "SELECT " NUDGE_SQL_TASK " FROM tasks WHERE client_id = ?1 ORDER BY id";
constexpr const char* sql_open_tasks_of =
    "SELECT " NUDGE_SQL_TASK " FROM tasks WHERE client_id = ?1 AND " NUDGE_SQL_TASK_OPEN " ORDER BY id";
constexpr const char* sql_open_task_boundary =
    "SELECT id FROM tasks WHERE " NUDGE_SQL_TASK_OPEN " AND id >= ?1 ORDER BY id LIMIT 1 OFFSET ?2";
constexpr const char* sql_open_task_batch =
    "SELECT " NUDGE_SQL_TASK " FROM tasks WHERE " NUDGE_SQL_TASK_OPEN " AND id >= ?1 ORDER BY id LIMIT ?2";
constexpr const char* sql_task_client = "SELECT client_id FROM tasks WHERE id = ?1";
constexpr const char* sql_put_task =
    "INSERT INTO tasks(" NUDGE_SQL_TASK ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13) "
    "ON CONFLICT(id) DO UPDATE SET client_id = excluded.client_id, deal_id = excluded.deal_id, "
    "assignee = excluded.assignee, author = excluded.author, title = excluded.title, "
    "planned_start = excluded.planned_start, due = excluded.due, state = excluded.state, "
    "created = excluded.created, closed = excluded.closed, based_on = excluded.based_on, origin = excluded.origin";

#define NUDGE_SQL_DEAL                                                                                            \
  "d.id, d.client_id, d.owner, d.pipeline, d.stage, d.amount_cents, d.currency, d.probability, d.opened, " \
  "d.stage_entered, d.status, d.loss_reason, d.closed"
constexpr const char* sql_deal = "SELECT " NUDGE_SQL_DEAL " FROM deals d WHERE d.id = ?1";
constexpr const char* sql_deals_of = "SELECT " NUDGE_SQL_DEAL " FROM deals d WHERE d.client_id = ?1 ORDER BY d.id";
constexpr const char* sql_open_deal_batch =
    "SELECT " NUDGE_SQL_DEAL " FROM deals d WHERE d.status = 'open' AND d.id >= ?1 ORDER BY d.id LIMIT ?2";
// The per-deal task facts of a batch of open deals: the tasks of every deal in
// the batch's id range, from the covering index tasks_by_deal (deal_id, state,
// closed), merged in order -- one range read per batch instead of two indexed
// subqueries per deal.
constexpr const char* sql_open_deal_boundary =
    "SELECT id FROM deals WHERE status = 'open' AND id >= ?1 ORDER BY id LIMIT 1 OFFSET ?2";
constexpr const char* sql_deal_tasks =
    "SELECT deal_id, state, closed FROM tasks WHERE deal_id IS NOT NULL AND deal_id BETWEEN ?1 AND ?2 "
    "ORDER BY deal_id";
constexpr const char* sql_deal_history =
    "SELECT deal_id, stage, entered, left_at FROM deal_history WHERE deal_id BETWEEN ?1 AND ?2 ORDER BY deal_id, seq";
constexpr const char* sql_deal_history_of =
    "SELECT h.deal_id, h.stage, h.entered, h.left_at FROM deal_history h JOIN deals d ON d.id = h.deal_id "
    "WHERE d.client_id = ?1 ORDER BY h.deal_id, h.seq";
constexpr const char* sql_deal_holds =
    "SELECT deal_id, from_at, to_at, reason FROM deal_holds WHERE deal_id BETWEEN ?1 AND ?2 ORDER BY deal_id, seq";
constexpr const char* sql_deal_holds_of =
    "SELECT h.deal_id, h.from_at, h.to_at, h.reason FROM deal_holds h JOIN deals d ON d.id = h.deal_id "
    "WHERE d.client_id = ?1 ORDER BY h.deal_id, h.seq";
constexpr const char* sql_deal_labels =
    "SELECT deal_id, label, note FROM deal_labels WHERE deal_id BETWEEN ?1 AND ?2 ORDER BY deal_id, label";
constexpr const char* sql_deal_labels_of =
    "SELECT l.deal_id, l.label, l.note FROM deal_labels l JOIN deals d ON d.id = l.deal_id "
    "WHERE d.client_id = ?1 ORDER BY l.deal_id, l.label";
constexpr const char* sql_put_deal =
    "INSERT INTO deals(id, client_id, owner, pipeline, stage, amount_cents, currency, probability, opened, "
    "stage_entered, status, loss_reason, closed) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13) "
    "ON CONFLICT(id) DO UPDATE SET client_id = excluded.client_id, owner = excluded.owner, "
    "pipeline = excluded.pipeline, stage = excluded.stage, amount_cents = excluded.amount_cents, "
    "currency = excluded.currency, probability = excluded.probability, opened = excluded.opened, "
    "stage_entered = excluded.stage_entered, status = excluded.status, loss_reason = excluded.loss_reason, "
    "closed = excluded.closed";
constexpr const char* sql_clear_deal_history = "DELETE FROM deal_history WHERE deal_id = ?1";
constexpr const char* sql_add_deal_history =
    "INSERT INTO deal_history(deal_id, seq, stage, entered, left_at) VALUES (?1, ?2, ?3, ?4, ?5)";
constexpr const char* sql_clear_deal_holds = "DELETE FROM deal_holds WHERE deal_id = ?1";
constexpr const char* sql_add_deal_hold =
    "INSERT INTO deal_holds(deal_id, seq, from_at, to_at, reason) VALUES (?1, ?2, ?3, ?4, ?5)";
constexpr const char* sql_clear_deal_labels = "DELETE FROM deal_labels WHERE deal_id = ?1";
constexpr const char* sql_set_deal_label =
    "INSERT INTO deal_labels(deal_id, label, note) VALUES (?1, ?2, ?3) "
    "ON CONFLICT(deal_id, label) DO UPDATE SET note = excluded.note";
constexpr const char* sql_clear_deal_label = "DELETE FROM deal_labels WHERE deal_id = ?1 AND label = ?2";

#define NUDGE_SQL_INVOICE "i.id, i.client_id, i.deal_id, i.amount_cents, i.currency, i.issued, i.due, i.paid"
constexpr const char* sql_invoice = "SELECT " NUDGE_SQL_INVOICE " FROM invoices i WHERE i.id = ?1";
constexpr const char* sql_invoices_of =
    "SELECT " NUDGE_SQL_INVOICE " FROM invoices i WHERE i.client_id = ?1 ORDER BY i.id";
constexpr const char* sql_unpaid_invoice_batch =
    "SELECT " NUDGE_SQL_INVOICE " FROM invoices i WHERE i.paid IS NULL AND i.id >= ?1 ORDER BY i.id LIMIT ?2";
constexpr const char* sql_unpaid_invoice_boundary =
    "SELECT id FROM invoices WHERE paid IS NULL AND id >= ?1 ORDER BY id LIMIT 1 OFFSET ?2";
constexpr const char* sql_invoice_payments =
    "SELECT invoice_id, at, cents FROM invoice_payments WHERE invoice_id BETWEEN ?1 AND ?2 ORDER BY invoice_id, seq";
constexpr const char* sql_invoice_payments_of =
    "SELECT p.invoice_id, p.at, p.cents FROM invoice_payments p JOIN invoices i ON i.id = p.invoice_id "
    "WHERE i.client_id = ?1 ORDER BY p.invoice_id, p.seq";
constexpr const char* sql_put_invoice =
    "INSERT INTO invoices(id, client_id, deal_id, amount_cents, currency, issued, due, paid) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
    "ON CONFLICT(id) DO UPDATE SET client_id = excluded.client_id, deal_id = excluded.deal_id, "
    "amount_cents = excluded.amount_cents, currency = excluded.currency, issued = excluded.issued, "
    "due = excluded.due, paid = excluded.paid";
constexpr const char* sql_clear_invoice_payments = "DELETE FROM invoice_payments WHERE invoice_id = ?1";
constexpr const char* sql_add_invoice_payment =
    "INSERT INTO invoice_payments(invoice_id, seq, at, cents) VALUES (?1, ?2, ?3, ?4)";

// Existence checks for the port's reference checks (every put_* asks whether
// the client, owner, deal ... exist): one primary-key probe each, instead of
// find_*(), which reads the whole entity with its child rows.
constexpr const char* sql_has_client = "SELECT 1 FROM clients WHERE id = ?1 LIMIT 1";
constexpr const char* sql_has_manager = "SELECT 1 FROM managers WHERE id = ?1 LIMIT 1";
constexpr const char* sql_has_task = "SELECT 1 FROM tasks WHERE id = ?1 LIMIT 1";
constexpr const char* sql_has_deal = "SELECT 1 FROM deals WHERE id = ?1 LIMIT 1";
constexpr const char* sql_has_invoice = "SELECT 1 FROM invoices WHERE id = ?1 LIMIT 1";
constexpr const char* sql_client_count = "SELECT count(*) FROM clients";
// The largest id of each entity table when a unit of work first asks: every id
// above it that the unit did not write is known to be absent, without a probe.
constexpr const char* sql_max_manager = "SELECT max(id) FROM managers";
constexpr const char* sql_max_client = "SELECT max(id) FROM clients";
constexpr const char* sql_max_activity = "SELECT max(id) FROM activities";
constexpr const char* sql_max_task = "SELECT max(id) FROM tasks";
constexpr const char* sql_max_deal = "SELECT max(id) FROM deals";
constexpr const char* sql_max_invoice = "SELECT max(id) FROM invoices";

// The secondary indexes a bulk insert drops and recreates (Impl::drop_indexes):
// those made by CREATE INDEX (origin 'c'), never one that enforces uniqueness.
constexpr const char* sql_droppable_indexes =
    "SELECT l.name, m.sql FROM pragma_index_list(?1) l JOIN sqlite_schema m ON m.type = 'index' AND m.name = l.name "
    "WHERE l.origin = 'c' AND l.\"unique\" = 0 AND m.sql IS NOT NULL ORDER BY l.name";

// A unit that begins on a file without entities (a new file: an import) runs
// with SQLite's foreign-key enforcement off and checks every reference once,
// with foreign_key_check, before it commits (see Impl::begin_unit).
constexpr const char* sql_no_entities =
    "SELECT NOT EXISTS (SELECT 1 FROM managers) AND NOT EXISTS (SELECT 1 FROM clients) "
    "AND NOT EXISTS (SELECT 1 FROM activities) AND NOT EXISTS (SELECT 1 FROM tasks) "
    "AND NOT EXISTS (SELECT 1 FROM deals) AND NOT EXISTS (SELECT 1 FROM invoices)";
// A unit on a new file -- nothing but Nudge's empty tables, no host tables, a
// short freelist -- is written on the fast path (Impl::begin_fast): its
// rollback journal in memory, no WAL, no syncing until its commit, and the
// file carries `unfinished_mark` in its header (PRAGMA application_id) from
// before its first page is written until its data is synced. An interrupted
// one leaves the mark, and opening refuses the file.
constexpr const char* sql_new_file =
    "SELECT NOT EXISTS (SELECT 1 FROM sqlite_schema WHERE tbl_name NOT IN ('managers', 'manager_leave', "
    "'manager_segments', 'clients', 'client_segments', 'client_labels', 'client_summary', 'activities', 'deals', "
    "'deal_history', 'deal_holds', 'deal_labels', 'tasks', 'invoices', 'invoice_payments', 'actions', 'audit', "
    "'audit_facts', 'outbox') AND tbl_name NOT LIKE 'sqlite\\_%' ESCAPE '\\') "
    "AND NOT EXISTS (SELECT 1 FROM actions) AND NOT EXISTS (SELECT 1 FROM audit) "
    "AND NOT EXISTS (SELECT 1 FROM outbox) AND (SELECT freelist_count FROM pragma_freelist_count()) < 1024";
// "NuIM": Nudge, import. Any non-zero application_id is refused by every build
// (another application's file), this one with its own message.
#define NUDGE_UNFINISHED_MARK 1316309325
constexpr std::uint32_t unfinished_mark = 0x4E75494D;
static_assert(unfinished_mark == NUDGE_UNFINISHED_MARK);
constexpr const char* sql_set_mark = "PRAGMA application_id = " NUDGE_SQL_STR(NUDGE_UNFINISHED_MARK);
constexpr const char* sql_clear_mark = "PRAGMA application_id = 0";
constexpr const char* sql_journal_delete = "PRAGMA journal_mode = DELETE";
constexpr const char* sql_journal_memory = "PRAGMA journal_mode = MEMORY";
constexpr const char* sql_journal_wal = "PRAGMA journal_mode = WAL";
constexpr const char* sql_journal_mode = "PRAGMA journal_mode";
constexpr const char* sql_synchronous = "PRAGMA synchronous";
constexpr std::array<const char*, 4> sql_set_synchronous{"PRAGMA synchronous = 0", "PRAGMA synchronous = 1",
                                                         "PRAGMA synchronous = 2", "PRAGMA synchronous = 3"};

std::string unfinished_message(const std::string& path) {
  return fmt::format("sqlite storage: open '{}': a unit of work (an import) that began on this new file did not "
                     "finish -- its process was killed, crashed or lost power, or it is still running in another "
                     "process -- so the file may hold part of its rows; it is not used: delete it and import again",
                     path);
}

constexpr const char* sql_foreign_keys_on = "PRAGMA foreign_keys = ON";
constexpr const char* sql_foreign_keys_off = "PRAGMA foreign_keys = OFF";
// Per table: only Nudge's own (a host's tables in the same file are not ours to judge).
constexpr const char* sql_foreign_key_check =
    "SELECT \"table\", rowid, parent FROM pragma_foreign_key_check(?1) LIMIT 1";
// Nudge's tables with foreign keys.
constexpr std::array<const char*, 16> tables_with_references{
    "managers",   "manager_leave", "manager_segments", "clients",    "client_segments", "client_labels",
    "client_summary", "activities", "deals",            "deal_history", "deal_holds",   "deal_labels",
    "tasks",      "invoices",      "invoice_payments", "audit_facts"};

constexpr const char* sql_has_action = "SELECT 1 FROM actions WHERE key = ?1";
constexpr const char* sql_claim_action = "INSERT INTO actions(key, at) VALUES (?1, ?2) ON CONFLICT(key) DO NOTHING";

#define NUDGE_SQL_AUDIT "a.id, a.at, a.action_key, a.rule, a.subject_kind, a.subject_id, a.action, a.explanation"
constexpr const char* sql_audit = "SELECT " NUDGE_SQL_AUDIT " FROM audit a ORDER BY a.id";
constexpr const char* sql_audit_facts = "SELECT audit_id, name, type, value FROM audit_facts ORDER BY audit_id, seq";
constexpr const char* sql_audit_of =
    "SELECT " NUDGE_SQL_AUDIT " FROM audit a WHERE a.subject_kind = ?1 AND a.subject_id = ?2 ORDER BY a.id";
constexpr const char* sql_audit_facts_of =
    "SELECT f.audit_id, f.name, f.type, f.value FROM audit_facts f JOIN audit a ON a.id = f.audit_id "
    "WHERE a.subject_kind = ?1 AND a.subject_id = ?2 ORDER BY f.audit_id, f.seq";
// The id the next audit record gets, as AUTOINCREMENT would give it.
constexpr const char* sql_next_audit_id =
    "SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'audit'), 0), "
    "coalesce((SELECT max(id) FROM audit), 0)) + 1";

#define NUDGE_SQL_MESSAGE                                                                                       \
  "key, channel, custom_channel, to_kind, to_id, to_address, to_name, template_id, locale, subject, body, " \
  "created, not_before"
constexpr const char* sql_outbox = "SELECT " NUDGE_SQL_MESSAGE " FROM outbox WHERE status = 'pending' ORDER BY id";
constexpr const char* sql_enqueue =
    "INSERT INTO outbox(" NUDGE_SQL_MESSAGE ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)";
#define NUDGE_SQL_ENTRY NUDGE_SQL_MESSAGE ", status, attempts, last_error, next_attempt, delivered_at"
constexpr const char* sql_outbox_entries = "SELECT " NUDGE_SQL_ENTRY " FROM outbox ORDER BY id";
constexpr const char* sql_find_message = "SELECT " NUDGE_SQL_ENTRY " FROM outbox WHERE key = ?1";
// Pending rows come from the partial index outbox_pending, in enqueue order.
constexpr const char* sql_due_messages =
    "SELECT " NUDGE_SQL_ENTRY " FROM outbox WHERE status = 'pending' AND coalesce(next_attempt, ?1) <= ?1 "
    "AND coalesce(not_before, ?1) <= ?1 ORDER BY id LIMIT ?2";
constexpr const char* sql_record_delivery =
    "UPDATE outbox SET status = ?2, attempts = ?3, last_error = ?4, next_attempt = ?5, delivered_at = ?6 "
    "WHERE key = ?1";

// ---- small helpers ----------------------------------------------------------------

template <class T>
struct is_id : std::false_type {};
template <class Tag>
struct is_id<Id<Tag>> : std::true_type {};
template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {};
template <>
struct is_optional<MaybeInstant> : std::true_type {};

std::int64_t days_of(Date d) { return d.time_since_epoch().count(); }

/// A row count as an SQL LIMIT.
std::int64_t limit_of(std::size_t n) {
  return static_cast<std::int64_t>(std::min<std::size_t>(n, static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max())));
}
Date date_of(std::int64_t days) { return Date{Days{days}}; }

/// Sorted-merge of child rows (ordered by parent id, first column) into
/// parents held in ascending id order; `fill(i, q)` takes the row for parent i.
template <class Q, class IdOf, class Fill>
void merge_rows(Q& q, std::size_t n, IdOf id_of, Fill fill) {
  std::size_t i = 0;
  while (q.step()) {
    const std::int64_t parent = q.i64(0);
    while (i < n && id_of(i) < parent) ++i;
    if (i == n) break;
    if (id_of(i) == parent) fill(i, q);
  }
}

/// A set of ids kept as runs of consecutive ids: the ids a unit of work wrote
/// usually ascend, so a million of them are one run.
class IdRuns {
public:
  [[nodiscard]] bool contains(std::int64_t id) const {
    auto it = runs_.upper_bound(id);  // first run starting after id
    if (it == runs_.begin()) return false;
    --it;
    return id <= it->second;
  }
  void insert(std::int64_t id) {
    if (!runs_.empty()) {  // the common case: one past the last run
      auto& last = *runs_.rbegin();
      if (id > last.first && id <= last.second) return;
      if (last.second != std::numeric_limits<std::int64_t>::max() && id == last.second + 1) {
        last.second = id;
        return;
      }
    }
    auto next = runs_.upper_bound(id);
    if (next != runs_.begin()) {
      auto prev = std::prev(next);
      if (id <= prev->second) return;
      if (prev->second + 1 == id) {
        prev->second = id;
        if (next != runs_.end() && next->first == id + 1) {
          prev->second = next->second;
          runs_.erase(next);
        }
        return;
      }
    }
    if (next != runs_.end() && next->first == id + 1) {
      const auto hi = next->second;
      runs_.erase(next);
      runs_.emplace(id, hi);
      return;
    }
    runs_.emplace(id, id);
  }
  void clear() noexcept { runs_.clear(); }
  /// The largest id held (the minimum int64 when none).
  [[nodiscard]] std::int64_t max() const {
    return runs_.empty() ? std::numeric_limits<std::int64_t>::min() : runs_.rbegin()->second;
  }

private:
  std::map<std::int64_t, std::int64_t> runs_;  // first id -> last id
};

/// Inserts of rows a unit of work knows are new, gathered and written up to
/// `rows_per_statement` to one INSERT: one statement (its cursors, its
/// foreign-key and constraint set-up) for many rows. A remainder goes out in
/// power-of-two pieces (32 + 8 + 1 ...), so a buffer needs at most seven
/// statements. The SQL is built from the constant table and column list, never
/// from values. Values are kept as typed cells, texts in one arena they are
/// bound from without a copy (a std::variant with a std::string per value, and
/// SQLiteCpp's bind, were a tenth of an import's CPU time).
class RowBuffer {
public:
  static constexpr std::size_t sizes = 7;  // statements of 1, 2, 4, ... 64 rows
  static constexpr std::size_t rows_per_statement = std::size_t{1} << (sizes - 1);

  /// `into`: "activities(id, client_id, ...)" with `columns` columns.
  RowBuffer(const char* into, int columns)
      : into_(into), columns_(static_cast<std::size_t>(columns)), cells_(rows_per_statement * columns_) {}

  /// One row; each value converted as Query::bind converts it. (A buffer
  /// past full() -- a client's many segments -- grows.)
  template <class... T>
  void add(const T&... v) {
    static_assert(sizeof...(T) > 0);
    if (size_ + sizeof...(T) > cells_.size()) cells_.resize(std::max(2 * cells_.size(), size_ + sizeof...(T)));
    const auto texts = texts_.size();
    try {
      (put(v), ...);
    } catch (...) {  // no part of a row stays (appending a text can throw bad_alloc)
      size_ -= std::min(size_, static_cast<std::size_t>(sizeof...(T)));
      texts_.resize(texts);
      throw;
    }
  }
  [[nodiscard]] bool empty() const { return size_ == 0; }
  [[nodiscard]] bool full() const { return size_ >= cells_.size(); }

  /// Writes the rows gathered so far; the rows SQLite counted as changed. On
  /// failure the rows are dropped (the caller marks the unit as failed).
  std::int64_t flush(SQLite::Database& db) {
    std::size_t at = 0;
    std::int64_t changed = 0;
    try {
      for (std::size_t left = size_ / columns_; left > 0;) {
        std::size_t k = sizes - 1;
        while ((std::size_t{1} << k) > left) --k;
        const std::size_t n = std::size_t{1} << k;
        sqlite3_stmt* st = statement(db, k);
        for (std::size_t i = 0; i < n * columns_; ++i) bind(st, static_cast<int>(i) + 1, cells_[at + i]);
        const int rc = sqlite3_step(st);
        sqlite3_reset(st);
        if (rc != SQLITE_DONE) throw SQLite::Exception(db.getHandle(), rc);
        changed += sqlite3_changes64(db.getHandle());
        at += n * columns_;
        left -= n;
      }
    } catch (...) {
      clear();
      throw;
    }
    clear();
    return changed;
  }
  void clear() noexcept {
    size_ = 0;
    texts_.clear();
  }

private:
  /// 16 bytes: an integer, a real, or a text's offset in texts_ and its size
  /// (a text of 4 GiB or more keeps the largest size, which SQLite refuses as
  /// too big without reading it).
  struct Cell {
    enum class Kind : std::uint8_t { null, integer, real, text };
    union {
      std::int64_t i;
      double d;
    };
    std::uint32_t size;
    Kind kind;
  };
  static_assert(sizeof(Cell) == 16);
  template <class T>
  void put(const T& v) {
    Cell& c = cells_[size_];
    if constexpr (is_optional<T>::value) {
      if (v) return put(*v);
      c.kind = Cell::Kind::null;
    } else if constexpr (std::is_same_v<T, bool>) {
      c.kind = Cell::Kind::integer;
      c.i = v ? 1 : 0;
    } else if constexpr (std::is_integral_v<T>) {
      c.kind = Cell::Kind::integer;
      c.i = static_cast<std::int64_t>(v);
    } else if constexpr (std::is_floating_point_v<T>) {
      c.kind = Cell::Kind::real;
      c.d = static_cast<double>(v);
    } else if constexpr (std::is_same_v<T, Instant>) {
      c.kind = Cell::Kind::integer;
      c.i = static_cast<std::int64_t>(to_unix(v));
    } else if constexpr (is_id<T>::value) {
      c.kind = Cell::Kind::integer;
      c.i = static_cast<std::int64_t>(v.value());
    } else {
      static_assert(std::is_convertible_v<const T&, std::string_view>, "no SQLite binding for this type");
      const std::string_view text(v);
      const auto offset = texts_.size();
      texts_.append(text);
      c.kind = Cell::Kind::text;
      c.i = static_cast<std::int64_t>(offset);
      c.size = static_cast<std::uint32_t>(std::min<std::size_t>(text.size(), std::numeric_limits<std::uint32_t>::max()));
    }
    ++size_;
  }
  /// INSERT INTO <into> VALUES (?, ...), ... with 2^k rows.
  sqlite3_stmt* statement(SQLite::Database& db, std::size_t k) {
    auto& s = statements_[k];
    if (!s) {
      std::string row = "(";
      for (std::size_t c = 0; c < columns_; ++c) row += c ? ", ?" : "?";
      row += ")";
      auto sql = fmt::format("INSERT INTO {} VALUES {}", into_, row);
      for (std::size_t r = 1; r < (std::size_t{1} << k); ++r) sql += ", " + row;
      sqlite3_stmt* made = nullptr;
      if (const int rc = sqlite3_prepare_v2(db.getHandle(), sql.c_str(), static_cast<int>(sql.size() + 1), &made,
                                            nullptr);
          rc != SQLITE_OK)
        throw SQLite::Exception(db.getHandle(), rc);
      s.reset(made);
    }
    return s.get();
  }
  /// Texts are bound from texts_ without a copy: it does not change until the step is done.
  void bind(sqlite3_stmt* st, int i, const Cell& c) const {
    int rc = SQLITE_OK;
    switch (c.kind) {
      case Cell::Kind::null: rc = sqlite3_bind_null(st, i); break;
      case Cell::Kind::integer: rc = sqlite3_bind_int64(st, i, c.i); break;
      case Cell::Kind::real: rc = sqlite3_bind_double(st, i, c.d); break;
      case Cell::Kind::text:
        rc = sqlite3_bind_text64(st, i, texts_.data() + c.i, c.size, SQLITE_STATIC, SQLITE_UTF8);
        break;
    }
    if (rc != SQLITE_OK) throw SQLite::Exception(sqlite3_db_handle(st), rc);
  }
  struct Finalize {
    void operator()(sqlite3_stmt* st) const noexcept { sqlite3_finalize(st); }
  };

  const char* into_;
  std::size_t columns_;
  std::array<std::unique_ptr<sqlite3_stmt, Finalize>, sizes> statements_;
  std::vector<Cell> cells_;  // room for rows_per_statement rows (or more); the first size_ hold values
  std::size_t size_ = 0;
  std::string texts_;
};

}  // namespace

// ---- the connection ------------------------------------------------------------------

struct SqliteStorage::Impl {
  /// `reader`: a second, read-only connection to a file another Impl already
  /// opened and migrated (the scans' read-ahead, see scan()).
  explicit Impl(const std::string& p, bool reader = false);

  std::string path;
  SQLite::Database db;
  std::mutex mu;
  bool unit_open = false;

  // ---- what the open unit of work knows (forgotten when it ends) ----------------
  // While a unit is open this connection holds the file's write lock, so only
  // the unit changes the tables, and entities are never deleted. Two facts
  // then answer most existence checks without a statement: the ids the unit
  // wrote (or a probe found), and the largest id each table held when the unit
  // first asked -- an id above it that the unit did not write is absent.
  enum class Table : std::size_t { managers, clients, activities, tasks, deals, invoices };
  static constexpr std::size_t table_count = 6;
  static constexpr std::array<const char*, table_count> sql_max{sql_max_manager, sql_max_client, sql_max_activity,
                                                                 sql_max_task,    sql_max_deal,   sql_max_invoice};
  static constexpr std::array<const char*, table_count> table_names{"managers", "clients", "activities",
                                                                     "tasks",    "deals",   "invoices"};
  static constexpr std::array<const char*, table_count> sql_has{sql_has_manager, sql_has_client, sql_has_activity,
                                                                 sql_has_task,    sql_has_deal,   sql_has_invoice};
  struct Known {
    std::optional<std::int64_t> max_before;  // largest id stored before the unit's writes (nullopt: not read yet)
    IdRuns present;                          // ids the unit wrote, or a probe found
  };
  std::array<Known, table_count> known{};
  enum class Existence { yes, no, maybe };

  // Summary changes of the unit's writes not yet in client_summary, per client:
  // the latest instant per slot (activity kinds, then forced contact) and
  // whether its task facts need recomputing. Written (flush_summaries) before
  // any read, at commit, and when many clients are pending, so reads still see
  // the unit's writes; an import then updates each client's summary row once
  // instead of once per activity or task.
  //
  // A client new in the unit (`insert`) has no summary row yet: it is inserted
  // once with its values (many rows to a statement), not inserted empty and then
  // updated. New tasks add to the task facts (`open_tasks`, `open_due`,
  // `done`); a replaced task makes them be recounted from the tasks (`tasks`).
  // Instants as Unix seconds, `none` for none.
  static constexpr std::int64_t none = std::numeric_limits<std::int64_t>::min();
  struct Pending {
    std::array<std::int64_t, activity_kind_count + 1> last;
    std::int64_t open_due = none;
    std::int64_t done = none;
    std::int32_t open_tasks = 0;
    bool tasks = false;
    bool insert = false;
    bool used = false;  // (PendingMap's table: the slot holds a client)
    Pending() { last.fill(none); }
  };
  /// Pending summaries by client id. An import's ids come dense, so on the
  /// fast path (use_table) ids from the first one on sit in a table indexed
  /// by id - base, in chunks allocated as ids reach them while the table stays
  /// at least half full (one cache miss per activity instead of a hash
  /// bucket's and a node's, 104 bytes a client instead of about 140); other
  /// ids, and every id of other units (often a few), go to a hash map.
  class PendingMap {
  public:
    void use_table() { table_ = true; }
    Pending& operator[](std::int64_t id) {
      if (Pending* p = slot(id, true)) {
        if (!p->used) {
          p->used = true;
          ++size_;
        }
        return *p;
      }
      auto [it, added] = sparse_.try_emplace(id);
      if (added) ++size_;
      return it->second;
    }
    Pending* find(std::int64_t id) {
      if (Pending* p = slot(id, false)) return p->used ? p : nullptr;
      const auto it = sparse_.find(id);
      return it == sparse_.end() ? nullptr : &it->second;
    }
    [[nodiscard]] std::size_t size() const { return size_; }
    [[nodiscard]] bool empty() const { return size_ == 0; }
    /// Every pending client's id, ascending.
    [[nodiscard]] std::vector<std::int64_t> ids() const {
      std::vector<std::int64_t> out;
      out.reserve(size_);
      for (std::size_t c = 0; c < chunks_.size(); ++c) {
        if (!chunks_[c]) continue;
        for (std::size_t k = 0; k < chunk; ++k)
          if ((*chunks_[c])[k].used) out.push_back(base_ + static_cast<std::int64_t>(c * chunk + k));
      }
      const auto dense = out.size();
      for (const auto& [id, p] : sparse_) out.push_back(id);
      std::sort(out.begin() + static_cast<std::ptrdiff_t>(dense), out.end());
      std::inplace_merge(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(dense), out.end());
      return out;
    }
    /// Forgets every client and gives the memory back (the table stays in use).
    void clear() noexcept {
      chunks_.clear();
      chunks_.shrink_to_fit();
      sparse_.clear();
      allocated_ = size_ = 0;
      based_ = false;
    }
    /// clear(), and no table until use_table() again (a new unit).
    void reset() noexcept {
      clear();
      table_ = false;
    }

  private:
    static constexpr std::size_t chunk = 1024;
    static constexpr std::size_t max_chunks = std::size_t{1} << 20;  // ids up to 2^30 past the first
    using Chunk = std::array<Pending, chunk>;

    Pending* slot(std::int64_t id, bool add) {
      if (!table_) return nullptr;
      if (!based_) {
        if (!add) return nullptr;
        based_ = true;
        base_ = id;
      }
      if (id < base_) return nullptr;
      const auto i = static_cast<std::uint64_t>(id) - static_cast<std::uint64_t>(base_);
      const auto c = static_cast<std::size_t>(i / chunk);
      if (c < chunks_.size() && chunks_[c]) return &(*chunks_[c])[i % chunk];
      // A new chunk only while the table stays at least half full (plus slack).
      if (!add || c >= max_chunks || (allocated_ + 1) * chunk > 2 * size_ + 16 * chunk) return nullptr;
      if (c >= chunks_.size()) chunks_.resize(c + 1);
      chunks_[c] = std::make_unique<Chunk>();
      ++allocated_;
      return &(*chunks_[c])[i % chunk];
    }

    bool table_ = false;
    bool based_ = false;
    std::int64_t base_ = 0;
    std::vector<std::unique_ptr<Chunk>> chunks_;
    std::size_t allocated_ = 0;
    std::unordered_map<std::int64_t, Pending> sparse_;
    std::size_t size_ = 0;
  };
  PendingMap pending;
  // About 140 bytes each: an import keeps every new client's summary until the
  // commit up to this many clients (34 MiB), later ones are written earlier;
  // a client touched again after its row was written costs an UPDATE (1.37M
  // of them, 2.1 s, at a million clients). On the fast path (a new file: an
  // import) the limit is a million clients (about 140 MiB at the limit).
  static constexpr std::size_t pending_limit = std::size_t{1} << 18;
  static constexpr std::size_t fast_pending_limit = std::size_t{1} << 20;
  [[nodiscard]] bool pending_full() const { return pending.size() >= (fast ? fast_pending_limit : pending_limit); }
  static std::optional<std::int64_t> opt(std::int64_t v) { return v == none ? std::nullopt : std::optional(v); }
  static void later(std::int64_t& slot, std::int64_t v) { slot = std::max(slot, v); }
  RowBuffer summary_rows{"client_summary(client_id, last_call_in, last_call_out, last_call_missed, last_email, "
                         "last_meeting, last_message, last_note, last_document, last_other, last_forced_contact, "
                         "last_task_done, open_tasks, latest_open_due)",
                         14};

  /// Forgets what the unit knew (after commit or rollback). Never throws.
  void forget_unit() noexcept {
    for (auto& k : known) {
      k.max_before.reset();
      k.present.clear();
    }
    pending.reset();
    summary_rows.clear();
    for (auto& b : buffers) b.clear();
    audit_rows.clear();
    audit_fact_rows.clear();
    next_audit_id.reset();
    rows_failed = false;
    dropped.clear();
    bulk_seen = {};
    // Enforcement back on, outside the transaction now (if that fails,
    // begin_unit turns it on before the next unit).
    if (auto& on = prepare_noexcept(sql_foreign_keys_on); foreign_keys_off && on) {
      if (on->tryExecuteStep() == SQLITE_DONE) foreign_keys_off = false;
      on->tryReset();
    }
    check_at_commit = false;
  }

  // ---- references of a unit on a file without entities ----------------------------
  // SQLite checks a foreign key per row and column (two parent probes per
  // activity: 18 % of an import at M). On a file without entities a unit runs
  // with SQLite's enforcement off: UnitOfWork checked every reference of every
  // write before the adapter saw it (put_* asks has_client ...), answered
  // exactly from the unit's own writes (the tables held no entities and the
  // unit holds the write lock), and the adapter writes child rows with their
  // parent's id. foreign_key_check over Nudge's tables before the commit (a
  // host's own tables are left alone) checked all of it a second time (8 % of
  // an import at M, 2.9 s at L); it now runs only when rows were changed on
  // this connection during the unit by other statements than the adapter's (a
  // host writing through native_handle(): sqlite3_total_changes64 counts them,
  // own_changes does not): a dangling reference then still fails the commit,
  // and nothing is written. PRAGMA foreign_keys can only change outside a
  // transaction, so the file is looked at before BEGIN and again under the
  // write lock; when it gained entities in between, the unit begins again with
  // enforcement on.
  bool foreign_keys_off = false;  // the connection's enforcement is off (only while such a unit is open)
  bool check_at_commit = false;   // the open unit checks references before its commit
  // Rows changed by the adapter's own statements (Query::run, RowBuffer), and
  // sqlite3_total_changes64 when the unit began: a difference at the commit
  // means rows were written past the port.
  std::int64_t own_changes = 0;
  std::int64_t changes_at_begin = 0;

  bool no_entities() {
    Query q(*this, sql_no_entities);
    return q.step() && q.i64(0) == 1;
  }
  void set_foreign_keys(bool on) {
    Query(*this, on ? sql_foreign_keys_on : sql_foreign_keys_off).run();
    foreign_keys_off = !on;
  }
  /// BEGIN IMMEDIATE of a unit of work (with the lock held).
  void begin_unit() {
    end_scan_snapshot();  // a scan's callback begins a unit: its snapshot ends here
    ++units_begun;
    if (marked) leave_fast();  // an earlier fast unit could not clear its mark: again, or no unit
    if (no_entities()) {
      if (begin_fast()) return;
      set_foreign_keys(false);
      try {
        Query(*this, sql_begin_immediate).run();
      } catch (...) {
        set_foreign_keys(true);
        throw;
      }
      if (no_entities()) {  // still, under the write lock: so it stays until the commit
        check_at_commit = true;
        own_changes = 0;
        changes_at_begin = sqlite3_total_changes64(db.getHandle());
        for (auto& k : known) k.max_before = std::numeric_limits<std::int64_t>::min();
        return;
      }
      rollback_noexcept();
    }
    if (foreign_keys_off) set_foreign_keys(true);
    Query(*this, sql_begin_immediate).run();
  }
  // ---- the fast path: a unit of work on a new file --------------------------------
  // In WAL mode every page of an import is written twice (into the WAL, then
  // checkpointed into the file) and synced twice. A unit that begins on a new
  // file (sql_new_file: Nudge's tables, all empty, nothing else) while this is
  // the only connection to it runs instead with its rollback journal in memory
  // and without syncing: each page is written once, into the file, and the file
  // is synced once, at the commit. What that keeps:
  // - All or nothing in this process: the journal in memory holds the pages
  //   the file had before the unit (a new file's few), so ROLLBACK -- a failed
  //   row, an exception, a unit dropped -- restores them and cuts the file back.
  // - After a crash, a kill or a power cut: the file's header carries
  //   `unfinished_mark` (durably, in a journaled transaction, before the unit
  //   begins) until the committed data is synced, and opening refuses a marked
  //   file (inspect_file, migrate). The mark is cleared in a journaled
  //   transaction after the sync: a power cut in it leaves a hot journal that
  //   puts the mark back.
  // - Readers: a rollback-mode writer holds the file's EXCLUSIVE lock from the
  //   first page it writes until its commit, so another connection reads the
  //   new file empty before that, is kept waiting (busy timeout, then
  //   storage_error) during it, and sees every row after. A Nudge storage
  //   opened meanwhile is refused (the mark).
  // - References: checked as in any unit that begins without entities (above).
  // Leaving WAL fails at once when another connection has the file open; the
  // unit then takes the usual path.
  bool fast = false;     // the open unit is on the fast path
  bool marked = false;   // this connection set the mark and has not cleared it yet
  int synchronous = 2;   // PRAGMA synchronous before the fast unit (FULL), restored after it

  /// PRAGMA journal_mode: whether the connection is in `mode` now (false when
  /// another connection keeps it from leaving WAL).
  bool journal_mode(const char* sql, std::string_view mode) {
    try {
      return db.execAndGet(sql).getString() == mode;
    } catch (const SQLite::Exception& e) {
      if ((e.getErrorCode() & 0xff) == SQLITE_BUSY || (e.getErrorCode() & 0xff) == SQLITE_LOCKED) return false;
      throw;
    }
  }
  /// Begins the unit on the fast path when it can; false (and the connection
  /// as it was, or in rollback mode) when it cannot.
  bool begin_fast() {
    if (path.empty() || path == ":memory:" || path.rfind("file:", 0) == 0) return false;
    if (reader) {  // this storage's own read-ahead connection: closed when no scan uses it
      bool expected = false;
      if (!reader_busy.compare_exchange_strong(expected, true)) return false;
      reader.reset();
      reader_busy.store(false);
    }
    if (!new_file() || !journal_mode(sql_journal_delete, "delete")) return false;
    try {
      {
        Query q(*this, sql_synchronous);
        synchronous = q.step() ? static_cast<int>(std::clamp<std::int64_t>(q.i64(0), 0, 3)) : 2;
      }
      // Durable (a journaled transaction, synced as the file is) before a
      // page of the unit is written.
      db.exec(sql_set_mark);
      marked = true;
      if (!journal_mode(sql_journal_memory, "memory")) {  // another connection opened the file (and put it in WAL)
        leave_fast();
        return false;
      }
      db.exec(sql_set_synchronous[0]);
      set_foreign_keys(false);
      Query(*this, sql_begin_immediate).run();
      fast = true;
      if (!no_entities() || !new_file()) {  // another connection wrote before the lock: the usual path
        rollback_noexcept();
        leave_fast();
        return false;
      }
    } catch (...) {
      rollback_noexcept();
      leave_fast_noexcept();
      throw;
    }
    check_at_commit = true;
    own_changes = 0;
    changes_at_begin = sqlite3_total_changes64(db.getHandle());
    for (auto& k : known) k.max_before = std::numeric_limits<std::int64_t>::min();
    pending.use_table();
    return true;
  }
  bool new_file() {
    Query q(*this, sql_new_file);
    return q.step() && q.i64(0) == 1;
  }
  /// The file's data on disk (fsync), before its mark is cleared.
  void sync_file() {
    sqlite3_file* f = nullptr;
    int rc = sqlite3_file_control(db.getHandle(), "main", SQLITE_FCNTL_FILE_POINTER, &f);
    if (rc == SQLITE_OK && f && f->pMethods) rc = f->pMethods->xSync(f, SQLITE_SYNC_FULL);
    if (rc != SQLITE_OK) throw storage_error(fmt::format("sqlite storage: sync '{}': {}", path, sqlite3_errstr(rc)));
  }
  /// After a fast unit ended, committed or rolled back (outside a
  /// transaction): syncing as before, the data synced, the mark cleared (a
  /// journaled transaction), WAL again when no other connection opened the
  /// file meanwhile (else it stays in rollback mode until opened again).
  void leave_fast() {
    fast = false;
    db.exec(sql_set_synchronous[static_cast<std::size_t>(synchronous)]);
    // The journal back on disk (or the file is in WAL already: another
    // connection opened it before the unit began, and the unit took the usual path).
    if (!journal_mode(sql_journal_delete, "delete") && !journal_mode(sql_journal_mode, "wal"))
      throw storage_error("sqlite storage: the rollback journal could not be put back on disk");
    if (marked) {
      if (synchronous != 0) sync_file();
      db.exec(sql_clear_mark);
      marked = false;
    }
    (void)journal_mode(sql_journal_wal, "wal");
  }
  void leave_fast_noexcept() noexcept {
    try {
      leave_fast();
    } catch (...) {  // the mark stays: the next unit tries again, a reopen refuses the file
    }
  }

  /// Before the commit of a unit that began without entities: every reference
  /// holds, else the unit fails (not_found) and cannot commit.
  void check_references() {
    if (!check_at_commit) return;
    // The port checked the references of every write the adapter made (see
    // begin_fast); only when something else changed rows on this connection
    // during the unit (a host through native_handle()) is it left to SQLite.
    if (sqlite3_total_changes64(db.getHandle()) - changes_at_begin == own_changes) return;
    for (const char* table : tables_with_references) {
      Query q(*this, sql_foreign_key_check);
      q.bind(1, std::string_view(table));
      if (!q.step()) continue;
      rows_failed = true;
      throw not_found(fmt::format("sqlite storage: commit: FOREIGN KEY constraint failed: {} row {} refers to a "
                                  "missing {} row",
                                  q.text(0), q.null(1) ? std::string("?") : std::to_string(q.i64(1)), q.text(2)));
    }
  }
  /// A write failed part-way: rows of it may be in the tables without being in
  /// `present`, so "above the largest id" must be read again.
  void distrust_max() noexcept {
    for (auto& k : known) k.max_before.reset();
  }
  [[nodiscard]] bool unit_active() const { return unit_open && in_transaction(); }

  /// The largest id of table t when the unit first asked (read then, once).
  std::int64_t max_before(Table t) {
    auto& k = known[static_cast<std::size_t>(t)];
    if (!k.max_before) {
      Query q(*this, sql_max[static_cast<std::size_t>(t)]);
      q.step();
      k.max_before = q.null(0) ? std::numeric_limits<std::int64_t>::min() : q.i64(0);
    }
    return *k.max_before;
  }
  Existence existence(Table t, std::int64_t id) {
    if (known[static_cast<std::size_t>(t)].present.contains(id)) return Existence::yes;
    return id > max_before(t) ? Existence::no : Existence::maybe;
  }
  /// Whether the unit knows `id` is not stored yet: a put of it inserts and
  /// need not clear child rows or look up what it replaces.
  bool is_new(Table t, std::int64_t id) { return existence(t, id) == Existence::no; }
  void wrote(Table t, std::int64_t id) { known[static_cast<std::size_t>(t)].present.insert(id); }

  Pending& pending_of(ClientId c) { return pending[c.value()]; }
  void flush_summaries();

  // Inserts of new entities (is_new) and their child rows wait in these
  // buffers and are written many rows to a statement. Any other statement of
  // the unit -- a read, a replacing put, a label, the commit -- first writes
  // them all, in this order (parents before children, so the foreign keys
  // hold), so the file always sees the writes in an order that could have
  // been issued one by one. A claim of an action key does not: the actions
  // table refers to no other and none refers to it.
  enum class Rows : std::size_t {
    clients, client_segments, client_labels, deals, deal_history, deal_holds, deal_labels, tasks,
    invoices, invoice_payments, activities
  };
  std::array<RowBuffer, 11> buffers{
      RowBuffer{"clients(id, name, owner, kind, created, release_locked, email, phone, time_zone, locale)", 10},
      RowBuffer{"client_segments(client_id, seq, segment)", 3},
      RowBuffer{"client_labels(client_id, label, note)", 3},
      RowBuffer{"deals(id, client_id, owner, pipeline, stage, amount_cents, currency, probability, opened, "
                "stage_entered, status, loss_reason, closed)",
                13},
      RowBuffer{"deal_history(deal_id, seq, stage, entered, left_at)", 5},
      RowBuffer{"deal_holds(deal_id, seq, from_at, to_at, reason)", 5},
      RowBuffer{"deal_labels(deal_id, label, note)", 3},
      RowBuffer{"tasks(" NUDGE_SQL_TASK ")", 13},
      RowBuffer{"invoices(id, client_id, deal_id, amount_cents, currency, issued, due, paid)", 8},
      RowBuffer{"invoice_payments(invoice_id, seq, at, cents)", 4},
      RowBuffer{"activities(" NUDGE_SQL_ACTIVITY ")", 9},
  };
  /// A buffered insert failed when it was written: rows the unit was told
  /// were written are lost, so it must not commit.
  bool rows_failed = false;

  // Audit records and their facts wait in buffers of their own, written when
  // one is full, before any read (flush_all) and at the commit, but not
  // before each other write: no other table refers to them or is referred to
  // by them, so their rows may land after later writes of the unit without
  // any constraint seeing another order. An apply appends one record (and its
  // facts) per action, between the claim and the entity writes of the next
  // one. The records' ids are given here, as AUTOINCREMENT would give them
  // (after the largest ever used, sqlite_sequence), so the facts can name
  // theirs before the record is written; SQLite moves sqlite_sequence on by
  // the ids inserted. The unit holds the write lock: no other writer takes ids.
  RowBuffer audit_rows{"audit(id, at, action_key, rule, subject_kind, subject_id, action, explanation)", 8};
  RowBuffer audit_fact_rows{"audit_facts(audit_id, seq, name, type, value)", 5};
  std::optional<std::int64_t> next_audit_id;  // the unit's next audit id (nullopt: not read yet)

  /// Writes the buffered audit records, then their facts.
  void flush_audit() {
    try {
      if (!audit_rows.empty()) own_changes += audit_rows.flush(db);
      if (!audit_fact_rows.empty()) own_changes += audit_fact_rows.flush(db);
    } catch (...) {
      rows_failed = true;
      audit_rows.clear();
      audit_fact_rows.clear();
      throw;
    }
  }

  RowBuffer& buffer(Rows r) { return buffers[static_cast<std::size_t>(r)]; }
  /// Writes every buffered row, in the order of `Rows`.
  void flush_rows() {
    for (auto& b : buffers) {
      if (b.empty()) continue;
      try {
        own_changes += b.flush(db);
      } catch (...) {
        rows_failed = true;
        for (auto& other : buffers) other.clear();
        throw;
      }
    }
  }
  /// After a buffered put: writes the buffers when one is full.
  void buffered() {
    for (const auto& b : buffers)
      if (b.full()) {
        drop_indexes();
        return flush_rows();
      }
  }
  /// The buffered entity rows written and the dropped indexes back: what a
  /// statement on the entity tables needs first.
  void flush_entities() {
    flush_rows();
    restore_indexes();
  }
  /// Everything the unit holds back, written: buffered rows, the dropped
  /// indexes, then summaries and audit records.
  void flush_all() {
    flush_entities();
    flush_summaries();
    flush_audit();
  }

  // ---- bulk inserts into tables that were empty ----------------------------------
  // Keeping a secondary index in step with rows inserted in id order costs a
  // random b-tree insert per row (activities_by_client: 1.1M of them at M); one
  // CREATE INDEX over the finished table sorts once. So when the unit has a
  // full buffer of new rows for an entity table that held no rows when the unit
  // first looked, it drops that table's secondary indexes (not a UNIQUE one)
  // and recreates them from their own CREATE INDEX text before any other
  // statement than a buffered insert (a read of the entities, a replacing
  // put, a summary recount, the commit; not a claim, an audit record or a
  // read of the actions or the outbox, which touch no entity table). DROP and
  // CREATE are part of the unit's transaction:
  // a rollback leaves the file as it was, and a commit always has them back.
  struct DroppedIndex {
    std::string name, sql;
  };
  std::vector<DroppedIndex> dropped;
  std::array<bool, table_count> bulk_seen{};  // the table's indexes were considered in this unit

  void drop_indexes() {
    static constexpr std::array<std::pair<Rows, Table>, 5> entity_rows{
        {{Rows::clients, Table::clients},
         {Rows::deals, Table::deals},
         {Rows::tasks, Table::tasks},
         {Rows::invoices, Table::invoices},
         {Rows::activities, Table::activities}}};
    for (const auto& [r, t] : entity_rows) {
      const auto ti = static_cast<std::size_t>(t);
      const auto& k = known[ti];
      if (bulk_seen[ti] || !buffer(r).full() || !k.max_before) continue;
      bulk_seen[ti] = true;
      if (*k.max_before != std::numeric_limits<std::int64_t>::min()) continue;  // not empty: keep its indexes
      std::vector<DroppedIndex> found;
      {
        Query q(*this, sql_droppable_indexes);
        q.bind(1, std::string_view(table_names[ti]));
        while (q.step()) found.push_back({q.text(0), q.text(1)});
      }
      for (auto& d : found) {
        std::string quoted = "\"";
        for (const char c : d.name) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
        quoted += '"';
        // The name comes from sqlite_schema, quoted as an identifier.
        try {
          db.exec("DROP INDEX main." + quoted);
        } catch (...) {
          rows_failed = true;  // the unit must not commit without it
          throw;
        }
        dropped.push_back(std::move(d));
      }
    }
  }
  /// Recreates the indexes drop_indexes() dropped, in the unit's transaction.
  /// A failure leaves the unit unable to commit.
  void restore_indexes() {
    if (dropped.empty()) return;
    for (auto& d : dropped) {
      if (d.sql.empty()) continue;
      try {
        db.exec(d.sql);
      } catch (...) {
        rows_failed = true;
        throw;
      }
      d.sql.clear();
    }
    dropped.clear();
  }
  // Declared after `db`: statements are finalized before the connection closes.
  std::unordered_map<const char*, std::unique_ptr<SQLite::Statement>> cache;

  // The sqlite3_stmt under each cached statement: Query reads columns
  // through it (SQLiteCpp's getColumn builds a Column holding a shared_ptr
  // per value, a fifth of a scan's time).
  std::unordered_map<const SQLite::Statement*, sqlite3_stmt*> raw;

  SQLite::Statement& prepare(const char* sql) {
    auto& s = cache[sql];
    if (!s) {
      auto made = std::make_unique<SQLite::Statement>(db, sql);
      raw[made.get()] = find_raw(*made);
      s = std::move(made);
    }
    return *s;
  }
  /// SQLiteCpp does not hand out its sqlite3_stmt; SQLite lists a
  /// connection's statements newest first, so it is the first one with this
  /// text that no other cached statement owns.
  sqlite3_stmt* find_raw(const SQLite::Statement& st) {
    const std::string& text = st.getQuery();
    for (sqlite3_stmt* p = sqlite3_next_stmt(db.getHandle(), nullptr); p; p = sqlite3_next_stmt(db.getHandle(), p)) {
      const char* t = sqlite3_sql(p);
      if (!t || text != t) continue;
      bool owned = false;
      for (const auto& [k, v] : raw) owned = owned || v == p;
      if (!owned) return p;
    }
    throw storage_error("sqlite storage: a prepared statement is not among the connection's statements");
  }
  sqlite3_stmt* raw_of(const SQLite::Statement& st) const { return raw.at(&st); }
  [[nodiscard]] bool in_transaction() const { return sqlite3_get_autocommit(db.getHandle()) == 0; }

  /// One use of a cached statement: bind, step, read; reset on scope exit so a
  /// callback (or a nested read) can use the same statement again.
  class Query {
  public:
    Query(Impl& impl, const char* sql) : impl_(impl), s_(impl.prepare(sql)), r_(impl.raw_of(s_)) {}
    Query(const Query&) = delete;
    Query& operator=(const Query&) = delete;
    ~Query() { s_.tryReset(); }

    template <class T>
    Query& bind(int i, const T& v) {
      if constexpr (is_optional<T>::value) {
        if (v) bind(i, *v);
        else s_.bind(i);
      } else if constexpr (std::is_same_v<T, bool>) {
        s_.bind(i, static_cast<std::int64_t>(v ? 1 : 0));
      } else if constexpr (std::is_integral_v<T>) {
        s_.bind(i, static_cast<std::int64_t>(v));
      } else if constexpr (std::is_floating_point_v<T>) {
        s_.bind(i, static_cast<double>(v));
      } else if constexpr (std::is_same_v<T, Instant>) {
        s_.bind(i, static_cast<std::int64_t>(to_unix(v)));
      } else if constexpr (is_id<T>::value) {
        s_.bind(i, static_cast<std::int64_t>(v.value()));
      } else if constexpr (std::is_same_v<T, std::string>) {
        s_.bind(i, v);
      } else {
        static_assert(std::is_convertible_v<const T&, std::string_view>, "no SQLite binding for this type");
        const std::string_view text(v);  // copied by SQLite, without a std::string in between
        if (const int rc = sqlite3_bind_text(r_, i, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
            rc != SQLITE_OK)
          throw SQLite::Exception(sqlite3_db_handle(r_), rc);
      }
      return *this;
    }
    Query& bind_null(int i) {
      s_.bind(i);
      return *this;
    }

    bool step() { return s_.executeStep(); }
    /// Ready to bind and step again (the bindings stay until bound again).
    void reset() { s_.reset(); }
    /// Runs a statement that returns no rows; the number of rows it changed.
    int run() {
      const int n = s_.exec();
      impl_.own_changes += n;
      return n;
    }

    // Columns by index straight from SQLite (the statements are constants,
    // their column indexes checked by the tests); valid after step() gave a row.
    // Each reads the column's sqlite3_value once and decodes it with the
    // sqlite3_value_* functions: every sqlite3_column_* call also enters and
    // leaves the connection's error state (a third of a scan's column reads),
    // and a nullable column or a text would take two of them. SQLite calls
    // this use of a column's value not thread-safe; the connection is only
    // ever used under this object's mutex.
    [[nodiscard]] sqlite3_value* value(int c) const { return sqlite3_column_value(r_, c); }
    [[nodiscard]] bool null(int c) const { return sqlite3_value_type(value(c)) == SQLITE_NULL; }
    [[nodiscard]] std::int64_t i64(int c) const { return sqlite3_value_int64(value(c)); }
    [[nodiscard]] double f64(int c) const { return sqlite3_value_double(value(c)); }
    /// Valid until the next step (or a read of the same column as another type).
    [[nodiscard]] std::string_view view(int c) const {
      sqlite3_value* v = value(c);
      const auto* p = reinterpret_cast<const char*>(sqlite3_value_text(v));
      if (!p) return {};
      return {p, static_cast<std::size_t>(sqlite3_value_bytes(v))};
    }
    [[nodiscard]] std::string text(int c) const { return std::string(view(c)); }
    /// Into `out`, reusing its storage.
    void text_to(int c, std::string& out) const {
      const auto v = view(c);
      out.assign(v.data(), v.size());
    }
    void text_to(int c, SlimString& out) const { out = view(c); }
    /// A currency longer than Currency holds is a row no adapter wrote.
    void text_to(int c, Currency& out) const {
      const auto v = view(c);
      if (v.size() > Currency::max_size)
        throw storage_error(fmt::format("sqlite storage: corrupt row: currency '{}' is longer than {} characters", v,
                                        Currency::max_size));
      out = v;
    }
    [[nodiscard]] Instant instant(int c) const { return from_unix(i64(c)); }
    [[nodiscard]] std::optional<Instant> opt_instant(int c) const {
      sqlite3_value* v = value(c);
      if (sqlite3_value_type(v) == SQLITE_NULL) return std::nullopt;
      return from_unix(sqlite3_value_int64(v));
    }
    template <class IdT>
    [[nodiscard]] IdT id(int c) const {
      return IdT{i64(c)};
    }
    template <class IdT>
    [[nodiscard]] std::optional<IdT> opt_id(int c) const {
      sqlite3_value* v = value(c);
      if (sqlite3_value_type(v) == SQLITE_NULL) return std::nullopt;
      return IdT{sqlite3_value_int64(v)};
    }

  private:
    Impl& impl_;
    SQLite::Statement& s_;
    sqlite3_stmt* r_;
  };

  /// Several statements read as one snapshot: a read transaction, unless a
  /// unit of work already holds one on this connection.
  class ReadTx {
  public:
    explicit ReadTx(Impl& impl) : impl_(impl), own_(!impl.in_transaction()) {
      if (own_) Query(impl_, sql_begin_read).run();
    }
    ReadTx(const ReadTx&) = delete;
    ReadTx& operator=(const ReadTx&) = delete;
    ~ReadTx() {
      if (!own_) return;
      auto& end = impl_.prepare_noexcept(sql_commit);
      if (!end || end->tryExecuteStep() != SQLITE_DONE) impl_.rollback_noexcept();
      if (end) end->tryReset();
    }

  private:
    Impl& impl_;
    bool own_;
  };

  // Transaction-control statements are prepared up front, so the destructors
  // that need them never allocate or throw.
  std::unique_ptr<SQLite::Statement>& prepare_noexcept(const char* sql) noexcept {
    auto it = cache.find(sql);
    static std::unique_ptr<SQLite::Statement> none;
    return it == cache.end() ? none : it->second;
  }
  void rollback_noexcept() noexcept {
    auto& s = prepare_noexcept(sql_rollback);
    if (s) {
      s->tryExecuteStep();
      s->tryReset();
    }
  }

  /// What a read inside a unit of work needs written first, so that it sees
  /// the unit's writes: everything the unit holds back (`all`); only the
  /// buffered entity rows (`rows`: a read of an entity's own tables, not of
  /// client_summary or the audit); or nothing (`none`: the actions and the
  /// outbox, whose writes are never held back). UnitOfWork::enqueue asks
  /// find_message for every message, and reassign_client find_client for
  /// every client: writing everything each time left an apply's buffers at a
  /// row or two a statement.
  enum class Sees { all, rows, none };
  void flush_for(Sees s) {
    if (!unit_active()) return;
    switch (s) {
      case Sees::all: flush_all(); break;
      case Sees::rows: flush_entities(); break;
      case Sees::none: break;
    }
  }

  /// A read: locked, one snapshot, errors translated.
  template <class F>
  auto read(const Op& op, F&& f, Sees sees = Sees::all) -> decltype(f()) {
    std::lock_guard lock(mu);
    try {
      flush_for(sees);  // reads see the unit's writes
      ReadTx tx(*this);
      return f();
    } catch (...) {
      rethrow_translated(op, &path);
    }
  }

  /// A read of one statement: locked, errors translated, and no read
  /// transaction of its own (a single statement is its own snapshot; BEGIN
  /// and COMMIT would be two more statements per call).
  template <class F>
  auto read_one(const Op& op, F&& f, Sees sees = Sees::all) -> decltype(f()) {
    std::lock_guard lock(mu);
    try {
      flush_for(sees);  // reads see the unit's writes
      return f();
    } catch (...) {
      rethrow_translated(op, &path);
    }
  }

  // ---- scans ------------------------------------------------------------------
  // A scan reads each batch in a read transaction of its own (when none is
  // open) and keeps it while the batch's callback runs: the batch and the
  // reads its callback makes (the engine looks up a client's activities for
  // some invoices) see one snapshot and share one transaction, instead of
  // paying for a BEGIN, a COMMIT and SQLite's file locks on every call. It
  // ends when the callback returns, or earlier when a unit of work begins on
  // this connection (begin_unit ends it first): a callback may write.
  std::uint64_t scan_snapshot = 0;  // the scan whose read transaction is open (0: none)
  std::uint64_t scans_begun = 0;

  /// Ends the open scan snapshot, if `owner` (0: whichever) owns it. Never throws.
  void end_scan_snapshot(std::uint64_t owner = 0) noexcept {
    if (scan_snapshot == 0 || (owner != 0 && scan_snapshot != owner)) return;
    scan_snapshot = 0;
    if (unit_open || !in_transaction()) return;
    auto& end = prepare_noexcept(sql_commit);
    if (!end || end->tryExecuteStep() != SQLITE_DONE) rollback_noexcept();
    if (end) end->tryReset();
  }

  // ---- read-ahead ---------------------------------------------------------------
  // A scan of a file reads every other batch on a second thread with a
  // read-only connection of its own (`reader`), while this connection reads
  // the batch before it and the callbacks run: on two cores the reading of
  // two batches overlaps, and a callback's work overlaps the helper's read.
  // Batches are still delivered in order, on the scan's thread, one at a time.
  // The boundary between the two batches of a pair comes from the scan's own
  // index (`LIMIT 1 OFFSET n`, read in the snapshot of the first batch), so
  // the batches are those a one-by-one keyset scan reads. Each batch is read
  // in one snapshot, as before. A batch read ahead is read again on this
  // connection when a unit of work began meanwhile (the callback before it
  // wrote: the batch must show that). Not used inside a unit of work (the
  // reader would not see its writes), for in-memory databases, or by a scan
  // nested in another's callback (one reader per storage).
  std::uint64_t units_begun = 0;    // counts begin_unit(): a read-ahead batch older than a unit is read again
  std::unique_ptr<Impl> reader;     // opened by the first scan that reads ahead
  bool reader_failed = false;       // could not be opened: scans read on this connection only
  std::atomic<bool> reader_busy{false};

  /// The reader connection, opened on first use; null when there is none (a
  /// database in memory, or opening failed). Called locked.
  Impl* reader_connection() {
    if (reader) return reader.get();
    if (reader_failed || path.empty() || path == ":memory:" || path.rfind("file:", 0) == 0) return nullptr;
    try {
      reader = std::make_unique<Impl>(path, true);
    } catch (...) {  // no second connection: read on this one, as without
      reader_failed = true;
    }
    return reader.get();
  }

  /// A second thread that reads one batch at a time on the reader connection.
  template <class Batch, class Read>
  class ReadAhead {
  public:
    ReadAhead(Impl& reader, Batch& batch, Read& read) : reader_(reader), batch_(batch), read_(read) {}
    ReadAhead(const ReadAhead&) = delete;
    ReadAhead& operator=(const ReadAhead&) = delete;
    ~ReadAhead() {
      {
        std::lock_guard lock(m_);
        stop_ = true;
      }
      cv_.notify_all();
      if (thread_.joinable()) thread_.join();  // waits for a read in progress (it fills batch_)
    }
    /// Starts reading the batch at `from` into `batch`.
    void start(std::int64_t from, std::size_t n) {
      {
        std::lock_guard lock(m_);
        from_ = from;
        n_ = n;
        job_ = true;
        error_ = nullptr;
      }
      if (!thread_.joinable()) thread_ = std::thread([this] { work(); });
      else cv_.notify_all();
    }
    /// Waits for the batch; rethrows what reading it threw.
    void wait() {
      std::unique_lock lock(m_);
      cv_.wait(lock, [&] { return !job_; });
      if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
    }

  private:
    void work() {
      std::unique_lock lock(m_);
      for (;;) {
        cv_.wait(lock, [&] { return stop_ || job_; });
        if (stop_) return;
        const auto from = from_;
        const auto n = n_;
        lock.unlock();
        std::exception_ptr error;
        try {
          std::lock_guard reading(reader_.mu);
          ReadTx tx(reader_);
          read_(reader_, batch_, from, n);
        } catch (...) {
          error = std::current_exception();
        }
        lock.lock();
        error_ = error;
        job_ = false;
        cv_.notify_all();
      }
    }

    Impl& reader_;
    Batch& batch_;
    Read& read_;
    std::mutex m_;
    std::condition_variable cv_;
    std::thread thread_;
    std::int64_t from_ = 0;
    std::size_t n_ = 0;
    bool job_ = false;
    bool stop_ = false;
    std::exception_ptr error_;
  };

  /// Keyset pagination: `read(conn, batch, from, n)` refills `batch` with
  /// the first n rows at or after id `from`, through connection `conn`
  /// (locked, in a read transaction); `deliver(batch)` runs unlocked, on this
  /// thread, with a read transaction of the scan's open (see scan_snapshot).
  /// `sql_boundary` (?1 from, ?2 n): the id n rows after `from`, which starts
  /// the batch read ahead. `mine` and `ahead` are the two batches' storage.
  template <class Batch, class Read, class IdOf, class Deliver>
  void scan(const Op& op, std::size_t batch, const char* sql_boundary, Batch& mine, Batch& ahead, Read read,
            IdOf last_id, Deliver deliver) {
    const std::size_t n = std::max<std::size_t>(batch, 1);
    constexpr std::int64_t max_id = std::numeric_limits<std::int64_t>::max();
    // The reader belongs to one scan at a time; a nested or concurrent scan reads on this connection.
    bool expected = false;
    const bool may_read_ahead = reader_busy.compare_exchange_strong(expected, true);
    struct Release {
      std::atomic<bool>* busy;
      ~Release() {
        if (busy) busy->store(false);
      }
    } release{may_read_ahead ? &reader_busy : nullptr};
    std::optional<ReadAhead<Batch, Read>> helper;

    std::uint64_t owner = 0;  // the scan snapshot this scan opened (0: none open of its own)
    auto end_own = [&]() noexcept {
      if (owner == 0) return;
      try {
        std::lock_guard lock(mu);
        end_scan_snapshot(owner);
      } catch (...) {  // locking can throw, in theory; the next begin ends it
      }
      owner = 0;
    };
    struct End {
      decltype(end_own)& f;
      ~End() { f(); }
    } end{end_own};
    // Locked: the scan's snapshot, opened when no transaction is.
    auto open_snapshot = [&] {
      if (unit_active()) flush_all();  // reads see the unit's writes
      if (!in_transaction()) {
        Query(*this, sql_begin_read).run();
        scan_snapshot = owner = ++scans_begun;
      }
    };
    auto translated = [&](auto&& f) {
      std::lock_guard lock(mu);
      try {
        f();
      } catch (...) {
        if (owner != 0) end_scan_snapshot(owner);
        owner = 0;
        rethrow_translated(op, &path);
      }
    };

    std::int64_t from = std::numeric_limits<std::int64_t>::min();
    for (;;) {
      std::optional<std::int64_t> next;  // where the batch read ahead starts
      std::uint64_t units = 0;
      translated([&] {
        open_snapshot();
        units = units_begun;
        if (may_read_ahead && !unit_open && n < static_cast<std::size_t>(max_id)) {
          if (Impl* r = reader_connection()) {
            Query q(*this, sql_boundary);
            q.bind(1, from).bind(2, limit_of(n));
            if (q.step()) {
              next = q.i64(0);
              if (!helper) helper.emplace(*r, ahead, read);
              helper->start(*next, n);
            }
          }
        }
        read(*this, mine, from, n);
      });
      const std::size_t got = mine.size();
      if (got == 0) return;
      std::int64_t last = last_id(mine);
      deliver(mine);
      end_own();
      Batch* b = &mine;
      if (next) {
        translated([&] { helper->wait(); });
        translated([&] {
          open_snapshot();
          // The callback wrote (or left a unit open): read the batch here, after it.
          if (units_begun != units || unit_open) read(*this, ahead, *next, n);
        });
        if (ahead.size() == 0) return;
        last = last_id(ahead);
        deliver(ahead);
        end_own();
        b = &ahead;
      }
      if (b->size() < n || last == max_id) return;
      from = last + 1;
    }
  }

  /// Whether table `t` holds `id`: inside a unit of work often known without
  /// a statement (see `known`), else one primary-key probe, with no read
  /// transaction of its own (a single statement is its own snapshot). Never
  /// writes pending summaries: the importer asks this for every row.
  bool exists(const Op& op, Table t, std::int64_t id) {
    std::lock_guard lock(mu);
    try {
      const bool unit = unit_active();
      if (unit) {
        if (const auto e = existence(t, id); e != Existence::maybe) return e == Existence::yes;
      }
      Query q(*this, sql_has[static_cast<std::size_t>(t)]);
      q.bind(1, id);
      const bool found = q.step();
      if (found && unit) wrote(t, id);
      return found;
    } catch (...) {
      rethrow_translated(op, &path);
    }
  }

  /// A write of the open unit of work: locked, errors translated.
  /// `buffers`: the write is a put that buffers what it can itself (else
  /// the buffered rows are written first, keeping the order of writes).
  template <class F>
  void write(const Op& op, F&& f, bool buffers = false) {
    std::lock_guard lock(mu);
    try {
      require_unit(op);
      if (!buffers) flush_entities();
      f();
    } catch (...) {
      distrust_max();
      rethrow_translated(op, &path);
    }
  }

  void require_unit(const Op& op) const {
    if (!unit_open) throw conflict(fmt::format("sqlite storage: {}: no unit of work is open", describe(op)));
    // SQLite ends a transaction by itself after some errors (disk full, I/O);
    // writing on would autocommit statement by statement.
    if (!in_transaction())
      throw storage_error(fmt::format(
          "sqlite storage: {}: the unit of work's transaction was rolled back by SQLite after an earlier error",
          describe(op)));
    if (rows_failed)
      throw storage_error(fmt::format(
          "sqlite storage: {}: an earlier write of this unit of work failed when its rows were written", describe(op)));
  }

  void migrate();

  // ---- rows -> values ----------------------------------------------------------
  static Manager manager_row(const Query& q) {
    Manager m;
    m.id = q.id<ManagerId>(0);
    m.name = q.text(1);
    m.supervisor = q.opt_id<ManagerId>(2);
    m.active = q.i64(3) != 0;
    m.capacity = static_cast<int>(q.i64(4));
    m.weight = q.f64(5);
    m.email = q.text(6);
    m.phone = q.text(7);
    m.segments.clear();  // the rows say which (the default is {"*"})
    return m;
  }
  /// Overwrites every field of `c` (a scan reuses its clients' storage from
  /// batch to batch); the child rows are left empty.
  static void client_into(const Query& q, Client& c) {
    c.id = q.id<ClientId>(0);
    q.text_to(1, c.name);
    c.owner = q.id<ManagerId>(2);
    const auto kind = q.view(3);
    if (kind == "B2B") c.kind = ClientKind::b2b;
    else if (kind == "B2C") c.kind = ClientKind::b2c;
    else corrupt("client kind", kind);
    c.created = q.instant(4);
    c.release_locked = q.i64(5) != 0;
    q.text_to(6, c.email);
    q.text_to(7, c.phone);
    q.text_to(8, c.time_zone);
    q.text_to(9, c.locale);
    c.segments.clear();
    c.labels.clear();
  }
  static Client client_row(const Query& q) {
    Client c;
    client_into(q, c);
    return c;
  }
  static Activity activity_row(const Query& q) {
    Activity a;
    a.id = q.id<ActivityId>(0);
    a.client = q.id<ClientId>(1);
    a.manager = q.opt_id<ManagerId>(2).value_or(ManagerId{});
    a.kind = parse_enum<ActivityKind>(q.view(3), static_cast<int>(activity_kind_count), "activity kind");
    a.custom_kind = q.text(4);
    a.at = q.instant(5);
    a.outcome = parse_enum<Outcome>(q.view(6), 5, "outcome");
    a.contact = parse_contact(q.view(7));
    a.subject = q.text(8);
    return a;
  }
  static Task task_row(const Query& q) {
    Task t;
    t.id = q.id<TaskId>(0);
    t.client = q.id<ClientId>(1);
    t.deal = q.opt_id<DealId>(2);
    t.assignee = q.id<ManagerId>(3);
    t.author = q.opt_id<ManagerId>(4);
    t.title = q.text(5);
    t.planned_start = q.opt_instant(6);
    t.due = q.instant(7);
    t.state = parse_enum<TaskState>(q.view(8), 4, "task state");
    t.created = q.instant(9);
    t.closed = q.opt_instant(10);
    t.based_on = q.opt_id<TaskId>(11);
    t.origin = q.text(12);
    return t;
  }
  /// Overwrites every field of `d`, as client_into.
  static void deal_into(const Query& q, Deal& d) {
    d.id = q.id<DealId>(0);
    d.client = q.id<ClientId>(1);
    d.owner = q.id<ManagerId>(2);
    q.text_to(3, d.pipeline);
    q.text_to(4, d.stage);
    d.amount.cents = q.i64(5);
    q.text_to(6, d.amount.currency);
    d.probability = q.f64(7);
    d.opened = q.instant(8);
    d.stage_entered = q.instant(9);
    d.status = parse_enum<DealStatus>(q.view(10), 3, "deal status");
    q.text_to(11, d.loss_reason);
    d.closed = q.opt_instant(12);
    d.history.clear();
    d.holds.clear();
    d.labels.clear();
  }
  static Deal deal_row(const Query& q) {
    Deal d;
    deal_into(q, d);
    return d;
  }
  static Message message_row(const Query& r) {
    Message msg;
    msg.key = r.text(0);
    msg.channel = parse_enum<Channel>(r.view(1), 6, "channel");
    msg.custom_channel = r.text(2);
    msg.to.who = {parse_enum<SubjectKind>(r.view(3), 5, "subject kind"), r.i64(4)};
    msg.to.address = r.text(5);
    msg.to.name = r.text(6);
    msg.template_id = r.text(7);
    msg.locale = r.text(8);
    msg.subject = r.text(9);
    msg.body = r.text(10);
    msg.created = r.instant(11);
    msg.not_before = r.opt_instant(12);
    return msg;
  }
  static OutboxEntry entry_row(const Query& r) {
    OutboxEntry e{message_row(r), {}};
    e.state.status = parse_enum<DeliveryStatus>(r.view(13), 3, "delivery status");
    e.state.attempts = static_cast<int>(r.i64(14));
    e.state.last_error = r.text(15);
    e.state.next_attempt = r.opt_instant(16);
    e.state.delivered_at = r.opt_instant(17);
    return e;
  }
  static Invoice invoice_row(const Query& q) {
    Invoice i;
    i.id = q.id<InvoiceId>(0);
    i.client = q.id<ClientId>(1);
    i.deal = q.opt_id<DealId>(2);
    i.amount = Money{q.i64(3), q.text(4)};
    i.issued = q.instant(5);
    i.due = q.instant(6);
    i.paid = q.opt_instant(7);
    return i;
  }

  template <class T, class Row>
  std::vector<T> rows(Query& q, Row row) {
    std::vector<T> out;
    while (q.step()) out.push_back(row(q));
    return out;
  }
  template <class T, class Row>
  std::optional<T> one(const char* sql, std::int64_t id, Row row) {
    Query q(*this, sql);
    q.bind(1, id);
    if (!q.step()) return std::nullopt;
    return row(q);
  }

  // ---- children: by a range of parent ids, or by the parents' client ----------------
  // `items` is in ascending id order; a "range" query reads [first id, last id].
  template <class Items>
  Query& range(Query& q, const Items& items) {
    return q.bind(1, items.front().id.value()).bind(2, items.back().id.value());
  }

  void attach_manager_children(std::vector<Manager>& ms) {
    if (ms.empty()) return;
    auto id_of = [&](std::size_t i) { return ms[i].id.value(); };
    {
      Query q(*this, sql_manager_leave);
      merge_rows(range(q, ms), ms.size(), id_of, [&](std::size_t i, const Query& r) {
        ms[i].leave.push_back({date_of(r.i64(1)), date_of(r.i64(2))});
      });
    }
    Query q(*this, sql_manager_segments);
    merge_rows(range(q, ms), ms.size(), id_of, [&](std::size_t i, const Query& r) { ms[i].segments.push_back(r.text(1)); });
  }

  void attach_client_children(std::span<Client> cs) {
    if (cs.empty()) return;
    auto id_of = [&](std::size_t i) { return cs[i].id.value(); };
    {
      Query q(*this, sql_client_segments);
      merge_rows(range(q, cs), cs.size(), id_of, [&](std::size_t i, const Query& r) { cs[i].segments.push_back(r.text(1)); });
    }
    Query q(*this, sql_client_labels);
    merge_rows(range(q, cs), cs.size(), id_of,
               [&](std::size_t i, const Query& r) { cs[i].labels.emplace(r.text(1), r.text(2)); });
  }

  /// `by_client`: the deals are all deals of that client (else a range).
  void attach_deal_children(std::span<Deal> ds, std::optional<ClientId> by_client) {
    if (ds.empty()) return;
    auto id_of = [&](std::size_t i) { return ds[i].id.value(); };
    auto open = [&](Query& q) -> Query& { return by_client ? q.bind(1, *by_client) : range(q, ds); };
    {
      Query q(*this, by_client ? sql_deal_history_of : sql_deal_history);
      merge_rows(open(q), ds.size(), id_of, [&](std::size_t i, const Query& r) {
        ds[i].history.push_back({r.text(1), r.instant(2), r.opt_instant(3)});
      });
    }
    {
      Query q(*this, by_client ? sql_deal_holds_of : sql_deal_holds);
      merge_rows(open(q), ds.size(), id_of, [&](std::size_t i, const Query& r) {
        ds[i].holds.push_back({r.instant(1), r.opt_instant(2), r.text(3)});
      });
    }
    Query q(*this, by_client ? sql_deal_labels_of : sql_deal_labels);
    merge_rows(open(q), ds.size(), id_of,
               [&](std::size_t i, const Query& r) { ds[i].labels.emplace(r.text(1), r.text(2)); });
  }

  void attach_invoice_children(std::vector<Invoice>& is, std::optional<ClientId> by_client) {
    if (is.empty()) return;
    Query q(*this, by_client ? sql_invoice_payments_of : sql_invoice_payments);
    if (by_client) q.bind(1, *by_client);
    else range(q, is);
    merge_rows(
        q, is.size(), [&](std::size_t i) { return is[i].id.value(); },
        [&](std::size_t i, const Query& r) { is[i].payments.push_back({r.instant(1), r.i64(2)}); });
  }

  // ---- whole entities -------------------------------------------------------------
  template <class T, class Row, class Attach>
  std::optional<T> entity(const char* sql, std::int64_t id, Row row, Attach attach) {
    auto v = one<T>(sql, id, row);
    if (!v) return v;
    std::vector<T> one_item{std::move(*v)};
    attach(one_item);
    return std::move(one_item.front());
  }

  // ---- writes ------------------------------------------------------------------------
  void put_manager(const Manager& m);
  void put_client(const Client& c);
  void add_activity(const Activity& a);
  void put_task(const Task& t);
  void put_deal(const Deal& d);
  void put_invoice(const Invoice& i);
  void append_audit(const AuditRecord& r);
  void enqueue(const Message& m);
};

namespace {

std::uint32_t be32(const unsigned char* b) {
  return (std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) | (std::uint32_t{b[2]} << 8) | std::uint32_t{b[3]};
}

bool non_empty_file(const std::string& path) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  return !ec && size > 0;
}

/// Refuses, before SQLite sees it, a file that cannot be a whole SQLite
/// database: no SQLite header (a text file, random bytes), or cut short. Only
/// the file's own bytes are read. SQLite would refuse the first kind only at the
/// first statement, and would read the missing pages of the second as zeros or
/// report "malformed" at some later read, naming no file.
void inspect_file(const std::string& path) {
  if (path.empty() || path == ":memory:" || path.rfind("file:", 0) == 0) return;
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec || size == 0) return;  // missing or empty: a new database (or SQLite says why not)
  auto refuse = [&](const std::string& why) {
    throw storage_error(fmt::format("sqlite storage: open '{}': {}", path, why));
  };
  std::ifstream in(path, std::ios::binary);
  if (!in) return;  // unreadable: SQLite reports it
  std::array<unsigned char, 100> h{};
  in.read(reinterpret_cast<char*>(h.data()), static_cast<std::streamsize>(h.size()));
  const auto got = static_cast<std::size_t>(in.gcount());
  static constexpr char magic[] = "SQLite format 3";  // 16 bytes with its NUL
  if (std::memcmp(h.data(), magic, std::min<std::size_t>(got, sizeof magic)) != 0)
    refuse("file is not a database (no SQLite header), so not a Nudge database");
  if (got < h.size())
    refuse(fmt::format("truncated: {} bytes, shorter than the 100-byte SQLite header", size));
  if (be32(h.data() + 68) == unfinished_mark) throw storage_error(unfinished_message(path));
  const std::uint32_t page_size = h[16] == 0 && h[17] == 1 ? 65536u : (std::uint32_t{h[16]} << 8) | h[17];
  if (page_size < 512 || (page_size & (page_size - 1)) != 0)
    refuse(fmt::format("not a Nudge database: corrupt SQLite header (page size {})", page_size));
  // A journal or WAL beside the file may still hold what is missing (a crash
  // during a commit or a checkpoint): SQLite recovers from it.
  if (non_empty_file(path + "-wal") || non_empty_file(path + "-journal")) return;
  if (size % page_size != 0)
    refuse(fmt::format("truncated: {} bytes is not a whole number of {}-byte pages", size, page_size));
  // The page count in the header is valid when its change counter equals the
  // "version valid for" field (every SQLite since 3.7.0 writes both).
  const std::uint64_t pages = be32(h.data() + 28);
  if (pages > 0 && be32(h.data() + 24) == be32(h.data() + 92) && size < pages * page_size)
    refuse(fmt::format("truncated: the header counts {} pages of {} bytes ({} bytes), the file has {} bytes", pages,
                       page_size, pages * page_size, size));
}

}  // namespace

SqliteStorage::Impl::Impl(const std::string& p, bool reader)
    // NOMUTEX: every use of the connection already holds `mu`; SQLite's own
    // per-call mutex (serialized mode) would only cost time.
    : path((inspect_file(p), p)),
      db(p, (reader ? SQLite::OPEN_READONLY : SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE) | SQLite::OPEN_NOMUTEX,
         busy_timeout_ms) {
  if (reader) {
    for (const char* sql : {sql_begin_read, sql_commit, sql_rollback}) prepare(sql);
    return;
  }
  db.exec("PRAGMA foreign_keys = ON");
  migrate();
  // WAL lets readers in other processes work while a unit of work writes. An
  // in-memory database answers "memory" and stays as it is.
  db.exec("PRAGMA journal_mode = WAL");
  for (const char* sql : {sql_begin_immediate, sql_begin_read, sql_commit, sql_rollback, sql_foreign_keys_on})
    prepare(sql);
}

void SqliteStorage::Impl::migrate() {
  auto version = [&] { return db.execAndGet("PRAGMA user_version").getInt(); };
  auto refuse = [&](const std::string& why) {
    throw storage_error(fmt::format("sqlite storage: open '{}': {}", path, why));
  };
  auto refuse_newer = [&](int v) {
    if (v > schema::version)
      refuse(fmt::format("database schema version {} is newer than this build supports ({})", v, schema::version));
  };
  // Another application's SQLite file is refused before anything is written:
  // one that says whose it is (application_id; Nudge sets none), or one with a
  // schema version but without Nudge's tables. A file at version 0 is new, or a
  // host's own database that Nudge's tables are added to.
  const int app = db.execAndGet("PRAGMA application_id").getInt();
  if (static_cast<std::uint32_t>(app) == unfinished_mark) throw storage_error(unfinished_message(path));
  if (app != 0)
    refuse(fmt::format("not a Nudge database: it belongs to another application (application_id {:#010x})",
                       static_cast<std::uint32_t>(app)));
  int v = version();
  if (v > 0 && db.execAndGet(sql_nudge_tables).getInt() != nudge_table_count)
    refuse(fmt::format("not a Nudge database: schema version {} but Nudge's tables are missing", v));
  refuse_newer(v);
  if (v == schema::version) return;
  db.exec(sql_begin_immediate);
  try {
    v = version();  // another process may have migrated meanwhile
    refuse_newer(v);
    for (; v < schema::version; ++v) {
      try {
        db.exec(schema::migrations[static_cast<std::size_t>(v)]);
        if (schema::edits_schema_text[static_cast<std::size_t>(v)]) {
          const int cookie = db.execAndGet("PRAGMA schema_version").getInt();
          db.exec(fmt::format("PRAGMA schema_version = {}", cookie + 1));  // other connections re-read the schema
        }
      } catch (const SQLite::Exception& e) {
        throw storage_error(fmt::format("sqlite storage: migrate '{}' from schema version {} to {}: {}", path, v,
                                        v + 1, e.what()));
      }
    }
    // PRAGMA takes no parameters; the value is this build's constant.
    db.exec(fmt::format("PRAGMA user_version = {}", schema::version));
    db.exec(sql_commit);
  } catch (...) {
    db.tryExec(sql_rollback);
    throw;
  }
}

// ---- writes -------------------------------------------------------------------------

// A put of an entity the unit knows is new (is_new) inserts it and its child
// rows; only a put that may replace one clears the old child rows first.

void SqliteStorage::Impl::put_manager(const Manager& m) {
  const bool fresh = is_new(Table::managers, m.id.value());
  Query(*this, sql_put_manager)
      .bind(1, m.id)
      .bind(2, m.name)
      .bind(3, m.supervisor)
      .bind(4, m.active)
      .bind(5, m.capacity)
      .bind(6, m.weight)
      .bind(7, m.email)
      .bind(8, m.phone)
      .run();
  if (!fresh) Query(*this, sql_clear_manager_leave).bind(1, m.id).run();
  for (std::size_t k = 0; k < m.leave.size(); ++k)
    Query(*this, sql_add_manager_leave)
        .bind(1, m.id)
        .bind(2, k)
        .bind(3, days_of(m.leave[k].first))
        .bind(4, days_of(m.leave[k].last))
        .run();
  if (!fresh) Query(*this, sql_clear_manager_segments).bind(1, m.id).run();
  for (std::size_t k = 0; k < m.segments.size(); ++k)
    Query(*this, sql_add_manager_segment).bind(1, m.id).bind(2, k).bind(3, m.segments[k]).run();
  wrote(Table::managers, m.id.value());
}

void SqliteStorage::Impl::put_client(const Client& c) {
  if (is_new(Table::clients, c.id.value())) {
    buffer(Rows::clients)
        .add(c.id, c.name, c.owner, to_string(c.kind), c.created, c.release_locked, c.email, c.phone, c.time_zone,
             c.locale);
    pending_of(c.id).insert = true;  // its summary row: at the flush, with its values
    for (std::size_t k = 0; k < c.segments.size(); ++k) buffer(Rows::client_segments).add(c.id, k, c.segments[k]);
    for (const auto& [label, note] : c.labels) buffer(Rows::client_labels).add(c.id, label, note);
    wrote(Table::clients, c.id.value());
    buffered();
    if (pending_full()) flush_summaries();
    return;
  }
  flush_rows();
  Query(*this, sql_put_client)
      .bind(1, c.id)
      .bind(2, c.name)
      .bind(3, c.owner)
      .bind(4, to_string(c.kind))
      .bind(5, c.created)
      .bind(6, c.release_locked)
      .bind(7, c.email)
      .bind(8, c.phone)
      .bind(9, c.time_zone)
      .bind(10, c.locale)
      .run();
  // (A client put new earlier in this unit gets its row when summaries are flushed.)
  if (const Pending* p = pending.find(c.id.value()); !p || !p->insert)
    Query(*this, sql_add_client_summary).bind(1, c.id).run();
  Query(*this, sql_clear_client_segments).bind(1, c.id).run();
  for (std::size_t k = 0; k < c.segments.size(); ++k)
    Query(*this, sql_add_client_segment).bind(1, c.id).bind(2, k).bind(3, c.segments[k]).run();
  Query(*this, sql_clear_client_labels).bind(1, c.id).run();
  for (const auto& [label, note] : c.labels)
    Query(*this, sql_set_client_label).bind(1, c.id).bind(2, label).bind(3, note).run();
  wrote(Table::clients, c.id.value());
}

void SqliteStorage::Impl::add_activity(const Activity& a) {
  // The port checked that the id is new; reading the largest stored id before
  // the first buffered row keeps "above it and not written: absent" true.
  (void)is_new(Table::activities, a.id.value());
  buffer(Rows::activities)
      .add(a.id, a.client, a.manager.valid() ? std::optional<ManagerId>(a.manager) : std::nullopt, to_string(a.kind),
           a.custom_kind, a.at, to_string(a.outcome), to_text(a.contact), a.subject);
  wrote(Table::activities, a.id.value());
  // Activities are append-only, so the summary slot only ever moves forward.
  if (a.contact != Contact::no) {
    const auto slot = a.contact == Contact::yes ? forced_slot : static_cast<std::size_t>(a.kind);
    later(pending_of(a.client).last[slot], to_unix(a.at));
  }
  buffered();
  if (pending_full()) flush_summaries();
}

void SqliteStorage::Impl::put_task(const Task& t) {
  if (is_new(Table::tasks, t.id.value())) {
    buffer(Rows::tasks).add(t.id, t.client, t.deal, t.assignee, t.author, t.title, t.planned_start, t.due,
                            to_string(t.state), t.created, t.closed, t.based_on, t.origin);
    wrote(Table::tasks, t.id.value());
    // A new task adds to its client's open count, latest due and last completion.
    auto& p = pending_of(t.client);
    if (t.state == TaskState::attention || t.state == TaskState::in_progress) {
      ++p.open_tasks;
      if (t.origin.empty()) later(p.open_due, to_unix(t.due));
    } else if (t.state == TaskState::done && t.closed) {
      later(p.done, to_unix(*t.closed));
    }
    buffered();
    if (pending_full()) flush_summaries();
    return;
  }
  flush_rows();
  const auto before = one<ClientId>(sql_task_client, t.id.value(), [](const Query& q) { return q.id<ClientId>(0); });
  Query(*this, sql_put_task)
      .bind(1, t.id)
      .bind(2, t.client)
      .bind(3, t.deal)
      .bind(4, t.assignee)
      .bind(5, t.author)
      .bind(6, t.title)
      .bind(7, t.planned_start)
      .bind(8, t.due)
      .bind(9, to_string(t.state))
      .bind(10, t.created)
      .bind(11, t.closed)
      .bind(12, t.based_on)
      .bind(13, t.origin)
      .run();
  wrote(Table::tasks, t.id.value());
  // A replaced task: its client's task facts are recomputed from the client's
  // own tasks (index tasks_by_client) when the summaries are flushed ...
  // ... for the old client too when the task moved.
  pending_of(t.client).tasks = true;
  if (before && *before != t.client) pending_of(*before).tasks = true;
  if (pending_full()) flush_summaries();
}

void SqliteStorage::Impl::put_deal(const Deal& d) {
  if (is_new(Table::deals, d.id.value())) {
    buffer(Rows::deals).add(d.id, d.client, d.owner, d.pipeline, d.stage, d.amount.cents, d.amount.currency,
                            d.probability, d.opened, d.stage_entered, to_string(d.status), d.loss_reason, d.closed);
    for (std::size_t k = 0; k < d.history.size(); ++k) {
      const auto& h = d.history[k];
      buffer(Rows::deal_history).add(d.id, k, h.stage, h.entered, h.left);
    }
    for (std::size_t k = 0; k < d.holds.size(); ++k) {
      const auto& h = d.holds[k];
      buffer(Rows::deal_holds).add(d.id, k, h.from, h.to, h.reason);
    }
    for (const auto& [label, note] : d.labels) buffer(Rows::deal_labels).add(d.id, label, note);
    wrote(Table::deals, d.id.value());
    return buffered();
  }
  flush_rows();
  Query(*this, sql_put_deal)
      .bind(1, d.id)
      .bind(2, d.client)
      .bind(3, d.owner)
      .bind(4, d.pipeline)
      .bind(5, d.stage)
      .bind(6, d.amount.cents)
      .bind(7, d.amount.currency)
      .bind(8, d.probability)
      .bind(9, d.opened)
      .bind(10, d.stage_entered)
      .bind(11, to_string(d.status))
      .bind(12, d.loss_reason)
      .bind(13, d.closed)
      .run();
  Query(*this, sql_clear_deal_history).bind(1, d.id).run();
  for (std::size_t k = 0; k < d.history.size(); ++k) {
    const auto& h = d.history[k];
    Query(*this, sql_add_deal_history).bind(1, d.id).bind(2, k).bind(3, h.stage).bind(4, h.entered).bind(5, h.left).run();
  }
  Query(*this, sql_clear_deal_holds).bind(1, d.id).run();
  for (std::size_t k = 0; k < d.holds.size(); ++k) {
    const auto& h = d.holds[k];
    Query(*this, sql_add_deal_hold).bind(1, d.id).bind(2, k).bind(3, h.from).bind(4, h.to).bind(5, h.reason).run();
  }
  Query(*this, sql_clear_deal_labels).bind(1, d.id).run();
  for (const auto& [label, note] : d.labels)
    Query(*this, sql_set_deal_label).bind(1, d.id).bind(2, label).bind(3, note).run();
  wrote(Table::deals, d.id.value());
}

void SqliteStorage::Impl::put_invoice(const Invoice& i) {
  if (is_new(Table::invoices, i.id.value())) {
    buffer(Rows::invoices).add(i.id, i.client, i.deal, i.amount.cents, i.amount.currency, i.issued, i.due, i.paid);
    for (std::size_t k = 0; k < i.payments.size(); ++k)
      buffer(Rows::invoice_payments).add(i.id, k, i.payments[k].at, i.payments[k].cents);
    wrote(Table::invoices, i.id.value());
    return buffered();
  }
  flush_rows();
  Query(*this, sql_put_invoice)
      .bind(1, i.id)
      .bind(2, i.client)
      .bind(3, i.deal)
      .bind(4, i.amount.cents)
      .bind(5, i.amount.currency)
      .bind(6, i.issued)
      .bind(7, i.due)
      .bind(8, i.paid)
      .run();
  Query(*this, sql_clear_invoice_payments).bind(1, i.id).run();
  for (std::size_t k = 0; k < i.payments.size(); ++k)
    Query(*this, sql_add_invoice_payment).bind(1, i.id).bind(2, k).bind(3, i.payments[k].at).bind(4, i.payments[k].cents).run();
  wrote(Table::invoices, i.id.value());
}

void SqliteStorage::Impl::flush_summaries() {
  if (pending.empty()) return;
  // A failure part-way leaves some clients written and some not (and task
  // counts are added): the unit must not commit.
  try {
    flush_rows();  // the clients, and the tasks the task facts are counted from
    // A recount of task facts reads tasks_by_client.
    // In client order: neighbouring rows of client_summary share pages.
    const std::vector<std::int64_t> clients = pending.ids();
    if (std::any_of(clients.begin(), clients.end(), [&](std::int64_t id) { return pending.find(id)->tasks; }))
      restore_indexes();
    std::vector<std::int64_t> recount;  // new clients whose tasks were replaced
    for (const auto id : clients) {
      const auto& p = *pending.find(id);
      const auto& l = p.last;
      if (p.insert) {
        summary_rows.add(id, opt(l[0]), opt(l[1]), opt(l[2]), opt(l[3]), opt(l[4]), opt(l[5]), opt(l[6]), opt(l[7]),
                         opt(l[8]), opt(l[9]), opt(p.done), std::int64_t{p.open_tasks}, opt(p.open_due));
        if (summary_rows.full()) own_changes += summary_rows.flush(db);
        if (p.tasks) recount.push_back(id);
        continue;
      }
      Query q(*this, sql_summary_flush);
      q.bind(1, id);
      for (std::size_t k = 0; k < l.size(); ++k) q.bind(static_cast<int>(k) + 2, opt(l[k]));
      q.bind(12, p.tasks).bind(13, p.open_tasks).bind(14, opt(p.open_due)).bind(15, opt(p.done)).run();
    }
    own_changes += summary_rows.flush(db);
    for (const auto id : recount) {
      Query q(*this, sql_summary_flush);
      q.bind(1, id);
      for (int k = 2; k <= 11; ++k) q.bind_null(k);
      q.bind(12, true).bind(13, 0).bind_null(14).bind_null(15).run();
    }
  } catch (...) {
    rows_failed = true;
    summary_rows.clear();
    throw;
  }
  pending.clear();
}

void SqliteStorage::Impl::append_audit(const AuditRecord& r) {
  if (!next_audit_id) {
    Query q(*this, sql_next_audit_id);
    q.step();
    next_audit_id = q.i64(0);
  }
  const std::int64_t id = *next_audit_id;
  audit_rows.add(id, r.at, r.action_key, r.rule, to_string(r.subject.kind), r.subject.id, r.action, r.explanation);
  ++*next_audit_id;
  for (std::size_t k = 0; k < r.facts.size(); ++k) {
    // A NaN double is stored as NULL by SQLite; the 'real' type brings it back.
    std::visit(
        [&](const auto& v) {
          using V = std::decay_t<decltype(v)>;
          auto& b = audit_fact_rows;
          if constexpr (std::is_same_v<V, std::int64_t>) b.add(id, k, r.facts[k].name, "int", v);
          else if constexpr (std::is_same_v<V, double>) b.add(id, k, r.facts[k].name, "real", v);
          else if constexpr (std::is_same_v<V, std::string>) b.add(id, k, r.facts[k].name, "text", v);
          else b.add(id, k, r.facts[k].name, "instant", v);
        },
        r.facts[k].value);
  }
  if (audit_rows.full() || audit_fact_rows.full()) flush_audit();
}

void SqliteStorage::Impl::enqueue(const Message& m) {
  Query(*this, sql_enqueue)
      .bind(1, m.key)
      .bind(2, to_string(m.channel))
      .bind(3, m.custom_channel)
      .bind(4, to_string(m.to.who.kind))
      .bind(5, m.to.who.id)
      .bind(6, m.to.address)
      .bind(7, m.to.name)
      .bind(8, m.template_id)
      .bind(9, m.locale)
      .bind(10, m.subject)
      .bind(11, m.body)
      .bind(12, m.created)
      .bind(13, m.not_before)
      .run();
}

// ---- the unit of work ---------------------------------------------------------------

class SqliteStorage::Work final : public UnitOfWork {
public:
  explicit Work(SqliteStorage& s) : UnitOfWork(s), impl_(*s.impl_) {}
  Work(const Work&) = delete;
  Work& operator=(const Work&) = delete;
  ~Work() override {
    if (!started_ || done_) return;
    try {
      std::lock_guard lock(impl_.mu);
      impl_.rollback_noexcept();
      impl_.forget_unit();
      impl_.unit_open = false;
      if (impl_.fast) impl_.leave_fast_noexcept();
    } catch (...) {  // a destructor never throws (locking can, in theory)
    }
  }

  /// Called by do_begin() with the lock held.
  void start() {
    impl_.forget_unit();
    impl_.begin_unit();
    started_ = true;
    impl_.unit_open = true;
  }

protected:
  void do_put_manager(const Manager& m) override {
    impl_.write({"put_manager", m.id.value()}, [&] { impl_.put_manager(m); });
  }
  void do_put_client(const Client& c) override {
    impl_.write({"put_client", c.id.value()}, [&] { impl_.put_client(c); }, true);
  }
  void do_add_activity(const Activity& a) override {
    impl_.write({"add_activity", a.id.value()}, [&] { impl_.add_activity(a); }, true);
  }
  void do_put_task(const Task& t) override {
    impl_.write({"put_task", t.id.value()}, [&] { impl_.put_task(t); }, true);
  }
  void do_put_deal(const Deal& d) override {
    impl_.write({"put_deal", d.id.value()}, [&] { impl_.put_deal(d); }, true);
  }
  void do_put_invoice(const Invoice& i) override {
    impl_.write({"put_invoice", i.id.value()}, [&] { impl_.put_invoice(i); }, true);
  }
  TaskId do_next_task_id() override {
    // One past every task id stored before the unit or written by it (the
    // unit records each one, buffered or not): no statement after the first,
    // and the buffered rows stay (apply creates a task per reminder).
    std::int64_t last = 0;
    impl_.write(
        {"next_task_id", {}},
        [&] {
          const auto t = Impl::Table::tasks;
          last = std::max({impl_.max_before(t), impl_.known[static_cast<std::size_t>(t)].present.max(),
                           std::int64_t{0}});
        },
        true);
    return TaskId{last + 1};
  }
  void do_set_label(SubjectRef s, const std::string& label, const std::string& note) override {
    impl_.write({"set_label", s.id}, [&] {
      Impl::Query(impl_, s.kind == SubjectKind::client ? sql_set_client_label : sql_set_deal_label)
          .bind(1, s.id)
          .bind(2, label)
          .bind(3, note)
          .run();
    });
  }
  void do_clear_label(SubjectRef s, const std::string& label) override {
    impl_.write({"clear_label", s.id}, [&] {
      Impl::Query(impl_, s.kind == SubjectKind::client ? sql_clear_client_label : sql_clear_deal_label)
          .bind(1, s.id)
          .bind(2, label)
          .run();
    });
  }
  void do_reassign_client(ClientId client, ManagerId to) override {
    // The owner alone: the client's row, segments, labels and summary stay.
    impl_.write({"reassign_client", client.value()},
                [&] { Impl::Query(impl_, sql_reassign_client).bind(1, client).bind(2, to).run(); });
  }
  bool do_claim_action(std::string_view key, Instant at) override {
    bool claimed = false;
    // (buffers = true: the buffered rows stay; see Impl::buffers)
    impl_.write({"claim_action", {}}, [&] { claimed = Impl::Query(impl_, sql_claim_action).bind(1, key).bind(2, at).run() == 1; }, true);
    return claimed;
  }
  void do_append_audit(const AuditRecord& r) override {
    impl_.write({"append_audit", {}}, [&] { impl_.append_audit(r); }, true);
  }
  void do_enqueue(const Message& m) override {
    impl_.write({"enqueue", {}}, [&] { impl_.enqueue(m); });
  }
  void do_record_delivery(std::string_view key, const DeliveryState& st) override {
    impl_.write({"record_delivery", {}}, [&] {
      Impl::Query(impl_, sql_record_delivery)
          .bind(1, key)
          .bind(2, to_string(st.status))
          .bind(3, st.attempts)
          .bind(4, st.last_error)
          .bind(5, st.next_attempt)
          .bind(6, st.delivered_at)
          .run();
    });
  }
  void do_commit() override {
    impl_.write({"commit", {}}, [&] {
      impl_.flush_all();
      impl_.check_references();
      Impl::Query(impl_, sql_commit).run();
      done_ = true;
      impl_.forget_unit();
      impl_.unit_open = false;
      if (!impl_.fast) return;
      try {
        impl_.leave_fast();
      } catch (const std::exception& e) {
        throw storage_error(fmt::format("sqlite storage: commit: the rows were committed, but '{}' could not be "
                                        "synced and marked finished (opening it again refuses it): {}",
                                        impl_.path, e.what()));
      }
    });
  }

private:
  Impl& impl_;
  bool started_ = false;
  bool done_ = false;
};

// ---- SqliteStorage ------------------------------------------------------------------

SqliteStorage::SqliteStorage(const std::string& path) {
  try {
    impl_ = std::make_unique<Impl>(path);
  } catch (...) {
    const auto op = fmt::format("open '{}'", path);
    rethrow_translated({op, {}});
  }
}

SqliteStorage::~SqliteStorage() = default;

const std::string& SqliteStorage::path() const { return impl_->path; }
int SqliteStorage::schema_version() { return schema::version; }
sqlite3* SqliteStorage::native_handle() const noexcept { return impl_->db.getHandle(); }

std::unique_ptr<UnitOfWork> SqliteStorage::do_begin() {
  auto w = std::make_unique<Work>(*this);
  std::lock_guard lock(impl_->mu);
  if (impl_->unit_open) throw conflict("sqlite storage: begin: a unit of work is already open");
  try {
    w->start();
  } catch (...) {
    rethrow_translated({"begin", {}}, &impl_->path);
  }
  return w;
}

// ---- lookups ------------------------------------------------------------------------

std::optional<Client> SqliteStorage::find_client(ClientId id) const {
  auto& m = *impl_;
  return m.read(
      {"find_client", id.value()},
      [&] {
        return m.entity<Client>(sql_client, id.value(), Impl::client_row, [&](auto& v) { m.attach_client_children(v); });
      },
      Impl::Sees::rows);
}

std::optional<Manager> SqliteStorage::find_manager(ManagerId id) const {
  auto& m = *impl_;
  return m.read({"find_manager", id.value()}, [&] {
    return m.entity<Manager>(sql_manager, id.value(), Impl::manager_row, [&](auto& v) { m.attach_manager_children(v); });
  });
}

std::optional<Task> SqliteStorage::find_task(TaskId id) const {
  auto& m = *impl_;
  return m.read({"find_task", id.value()}, [&] { return m.one<Task>(sql_task, id.value(), Impl::task_row); });
}

std::optional<Deal> SqliteStorage::find_deal(DealId id) const {
  auto& m = *impl_;
  return m.read({"find_deal", id.value()}, [&] {
    return m.entity<Deal>(sql_deal, id.value(), Impl::deal_row, [&](auto& v) { m.attach_deal_children(v, {}); });
  });
}

std::optional<Invoice> SqliteStorage::find_invoice(InvoiceId id) const {
  auto& m = *impl_;
  return m.read({"find_invoice", id.value()}, [&] {
    return m.entity<Invoice>(sql_invoice, id.value(), Impl::invoice_row,
                             [&](auto& v) { m.attach_invoice_children(v, {}); });
  });
}

bool SqliteStorage::has_client(ClientId id) const {
  return impl_->exists({"has_client", id.value()}, Impl::Table::clients, id.value());
}
bool SqliteStorage::has_manager(ManagerId id) const {
  return impl_->exists({"has_manager", id.value()}, Impl::Table::managers, id.value());
}
bool SqliteStorage::has_task(TaskId id) const {
  return impl_->exists({"has_task", id.value()}, Impl::Table::tasks, id.value());
}
bool SqliteStorage::has_deal(DealId id) const {
  return impl_->exists({"has_deal", id.value()}, Impl::Table::deals, id.value());
}

std::uint64_t SqliteStorage::client_count() const {
  auto& m = *impl_;
  return m.read({"client_count", {}}, [&] {
    Impl::Query q(m, sql_client_count);
    q.step();
    return static_cast<std::uint64_t>(q.i64(0));
  });
}

bool SqliteStorage::has_activity(ActivityId id) const {
  return impl_->exists({"has_activity", id.value()}, Impl::Table::activities, id.value());
}

std::vector<Manager> SqliteStorage::managers() const {
  auto& m = *impl_;
  return m.read({"managers", {}}, [&] {
    Impl::Query q(m, sql_managers);
    auto out = m.rows<Manager>(q, Impl::manager_row);
    m.attach_manager_children(out);
    return out;
  });
}

std::vector<ClientId> SqliteStorage::clients_of(ManagerId id) const {
  auto& m = *impl_;
  return m.read({"clients_of", id.value()}, [&] {
    Impl::Query q(m, sql_clients_of);
    q.bind(1, id);
    return m.rows<ClientId>(q, [](const Impl::Query& r) { return r.id<ClientId>(0); });
  });
}

std::vector<Activity> SqliteStorage::activities_of(ClientId id, Instant since) const {
  auto& m = *impl_;
  return m.read({"activities_of", id.value()}, [&] {
    Impl::Query q(m, sql_activities_of);
    q.bind(1, id).bind(2, since);
    return m.rows<Activity>(q, Impl::activity_row);
  });
}

std::vector<Task> SqliteStorage::tasks_of(ClientId id, bool open_only) const {
  auto& m = *impl_;
  return m.read({"tasks_of", id.value()}, [&] {
    Impl::Query q(m, open_only ? sql_open_tasks_of : sql_tasks_of);
    q.bind(1, id);
    return m.rows<Task>(q, Impl::task_row);
  });
}

std::vector<Deal> SqliteStorage::deals_of(ClientId id) const {
  auto& m = *impl_;
  return m.read({"deals_of", id.value()}, [&] {
    std::vector<Deal> out;
    {
      Impl::Query q(m, sql_deals_of);
      q.bind(1, id);
      out = m.rows<Deal>(q, Impl::deal_row);
    }
    m.attach_deal_children(out, id);
    return out;
  });
}

std::vector<Invoice> SqliteStorage::invoices_of(ClientId id) const {
  auto& m = *impl_;
  return m.read({"invoices_of", id.value()}, [&] {
    std::vector<Invoice> out;
    {
      Impl::Query q(m, sql_invoices_of);
      q.bind(1, id);
      out = m.rows<Invoice>(q, Impl::invoice_row);
    }
    m.attach_invoice_children(out, id);
    return out;
  });
}

// ---- scans ----------------------------------------------------------------------------
// Keyset pagination (Impl::scan): each batch is one short read (`id >= from
// ORDER BY id LIMIT n`), fully materialized and its statements reset before
// the callback runs, so the callback may read (or write) through this storage,
// and no more than one batch is ever in memory. A scan keeps one batch and
// refills it in place: the entities' strings and vectors keep their storage
// from batch to batch (no allocation per row once the first batch is read).

namespace {
/// Room for a batch up front (but not for an absurd batch size nobody fills).
std::size_t room_for(std::size_t n) { return std::min<std::size_t>(n, 65536); }

/// Rows of one batch kept across batches: the first `count` are this batch's;
/// `next()` hands out the next slot, reusing an old element's storage.
template <class T>
struct Slots {
  std::vector<T> items;
  std::size_t count = 0;

  T& next() {
    if (count == items.size()) items.emplace_back();
    return items[count++];
  }
  [[nodiscard]] std::span<T> used() { return {items.data(), count}; }
  [[nodiscard]] std::span<const T> used() const { return {items.data(), count}; }
  [[nodiscard]] std::size_t size() const { return count; }
};
}  // namespace

void SqliteStorage::scan_clients(const ClientBatchFn& fn, std::size_t batch) const {
  struct Batch {
    Slots<Client> clients;
    Slots<ClientSummary> summaries;
    std::vector<ClientView> views;
    [[nodiscard]] std::size_t size() const { return clients.count; }
  };
  auto read = [](Impl& c, Batch& b, std::int64_t from, std::size_t n) {
    b.clients.count = b.summaries.count = 0;
    b.clients.items.reserve(room_for(n));
    b.summaries.items.reserve(room_for(n));
    {
      Impl::Query q(c, sql_client_batch);
      q.bind(1, from).bind(2, limit_of(n));
      while (q.step()) {
        Impl::client_into(q, b.clients.next());
        ClientSummary& s = b.summaries.next();
        int col = client_columns;
        for (auto& slot : s.last_by_kind) slot = q.opt_instant(col++);
        s.last_forced_contact = q.opt_instant(col++);
        s.last_task_done = q.opt_instant(col++);
        s.open_tasks = q.null(col) ? 0 : static_cast<int>(q.i64(col));
        ++col;
        s.latest_open_due = q.opt_instant(col);
        s.won_deals.clear();
        s.paid_invoices.clear();
      }
    }
    if (b.size() == 0) return;
    const auto clients = b.clients.used();
    const auto summaries = b.summaries.used();
    c.attach_client_children(clients);
    auto id_of = [&](std::size_t i) { return clients[i].id.value(); };
    {
      Impl::Query q(c, sql_won_deals);
      merge_rows(c.range(q, clients), b.size(), id_of, [&](std::size_t i, const Impl::Query& r) {
        if (!r.null(1)) summaries[i].won_deals.push_back(r.instant(1));
      });
    }
    Impl::Query q(c, sql_paid_invoices);
    merge_rows(c.range(q, clients), b.size(), id_of,
               [&](std::size_t i, const Impl::Query& r) { summaries[i].paid_invoices.push_back(r.instant(1)); });
  };
  Batch mine, ahead;
  impl_->scan(
      {"scan_clients", {}}, batch, sql_client_boundary, mine, ahead, read,
      [](const Batch& b) { return b.clients.used().back().id.value(); },
      [&](Batch& b) {
        b.views.clear();
        for (std::size_t i = 0; i < b.size(); ++i) b.views.push_back({&b.clients.items[i], &b.summaries.items[i]});
        fn(b.views);
      });
}

void SqliteStorage::scan_open_deals(const DealBatchFn& fn, std::size_t batch) const {
  struct Batch {
    Slots<Deal> deals;
    std::vector<int> open_tasks;
    std::vector<std::optional<Instant>> last_closed;
    std::vector<DealView> views;
    [[nodiscard]] std::size_t size() const { return deals.count; }
  };
  auto read = [](Impl& c, Batch& b, std::int64_t from, std::size_t n) {
    b.deals.count = 0;
    b.deals.items.reserve(room_for(n));
    {
      Impl::Query q(c, sql_open_deal_batch);
      q.bind(1, from).bind(2, limit_of(n));
      while (q.step()) Impl::deal_into(q, b.deals.next());
    }
    const auto deals = b.deals.used();
    b.open_tasks.assign(deals.size(), 0);
    b.last_closed.assign(deals.size(), std::nullopt);
    if (deals.empty()) return;
    {
      Impl::Query q(c, sql_deal_tasks);
      merge_rows(
          c.range(q, deals), deals.size(), [&](std::size_t i) { return deals[i].id.value(); },
          [&](std::size_t i, const Impl::Query& r) {
            const auto state = r.view(1);
            if (state == "attention" || state == "in_progress") {
              ++b.open_tasks[i];
            } else if ((state == "done" || state == "cancelled") && !r.null(2)) {
              const auto closed = r.instant(2);
              if (!b.last_closed[i] || closed > *b.last_closed[i]) b.last_closed[i] = closed;
            }
          });
    }
    c.attach_deal_children(deals, {});
  };
  Batch mine, ahead;
  impl_->scan(
      {"scan_open_deals", {}}, batch, sql_open_deal_boundary, mine, ahead, read,
      [](const Batch& b) { return b.deals.used().back().id.value(); },
      [&](Batch& b) {
        b.views.clear();
        for (std::size_t i = 0; i < b.size(); ++i)
          b.views.push_back({&b.deals.items[i], b.open_tasks[i], b.last_closed[i]});
        fn(b.views);
      });
}

void SqliteStorage::scan_unpaid_invoices(const InvoiceBatchFn& fn, std::size_t batch) const {
  auto read = [](Impl& c, std::vector<Invoice>& b, std::int64_t from, std::size_t n) {
    b.clear();
    {
      Impl::Query q(c, sql_unpaid_invoice_batch);
      q.bind(1, from).bind(2, limit_of(n));
      while (q.step()) b.push_back(Impl::invoice_row(q));
    }
    c.attach_invoice_children(b, {});
  };
  std::vector<Invoice> mine, ahead;
  impl_->scan(
      {"scan_unpaid_invoices", {}}, batch, sql_unpaid_invoice_boundary, mine, ahead, read,
      [](const std::vector<Invoice>& b) { return b.back().id.value(); },
      [&](const std::vector<Invoice>& b) { fn(b); });
}

void SqliteStorage::scan_open_tasks(const TaskBatchFn& fn, std::size_t batch) const {
  auto read = [](Impl& c, std::vector<Task>& b, std::int64_t from, std::size_t n) {
    b.clear();
    Impl::Query q(c, sql_open_task_batch);
    q.bind(1, from).bind(2, limit_of(n));
    while (q.step()) b.push_back(Impl::task_row(q));
  };
  std::vector<Task> mine, ahead;
  impl_->scan(
      {"scan_open_tasks", {}}, batch, sql_open_task_boundary, mine, ahead, read,
      [](const std::vector<Task>& b) { return b.back().id.value(); },
      [&](const std::vector<Task>& b) { fn(b); });
}

// ---- exactly-once, audit, outbox ------------------------------------------------------

bool SqliteStorage::has_action(std::string_view key) const {
  auto& m = *impl_;
  return m.read_one(
      {"has_action", {}},
      [&] {
        Impl::Query q(m, sql_has_action);
        q.bind(1, key);
        return q.step();
      },
      Impl::Sees::none);
}

std::vector<bool> SqliteStorage::has_actions(std::span<const std::string_view> keys) const {
  if (keys.empty()) return {};
  auto& m = *impl_;
  return m.read({"has_actions", {}}, [&] {
    std::vector<bool> out;
    out.reserve(keys.size());
    Impl::Query q(m, sql_has_action);
    for (const auto key : keys) {
      q.bind(1, key);
      out.push_back(q.step());
      q.reset();
    }
    return out;
  }, Impl::Sees::none);
}

std::vector<AuditRecord> SqliteStorage::audit_log(std::optional<SubjectRef> subject) const {
  auto& m = *impl_;
  return m.read({"audit_log", {}}, [&] {
    std::vector<AuditRecord> out;
    std::vector<std::int64_t> ids;
    auto bind_subject = [&](Impl::Query& q) {
      if (subject) q.bind(1, to_string(subject->kind)).bind(2, subject->id);
    };
    {
      Impl::Query q(m, subject ? sql_audit_of : sql_audit);
      bind_subject(q);
      while (q.step()) {
        ids.push_back(q.i64(0));
        AuditRecord r;
        r.at = q.instant(1);
        r.action_key = q.text(2);
        r.rule = q.text(3);
        r.subject = {parse_enum<SubjectKind>(q.view(4), 5, "subject kind"), q.i64(5)};
        r.action = q.text(6);
        r.explanation = q.text(7);
        out.push_back(std::move(r));
      }
    }
    if (out.empty()) return out;
    Impl::Query q(m, subject ? sql_audit_facts_of : sql_audit_facts);
    bind_subject(q);
    merge_rows(q, ids.size(), [&](std::size_t i) { return ids[i]; }, [&](std::size_t i, const Impl::Query& r) {
      Fact f;
      f.name = r.text(1);
      const auto type = r.text(2);
      if (type == "int") f.value = r.i64(3);
      else if (type == "real") f.value = r.null(3) ? std::numeric_limits<double>::quiet_NaN() : r.f64(3);
      else if (type == "text") f.value = r.text(3);
      else if (type == "instant") f.value = r.instant(3);
      else corrupt("fact type", type);
      out[i].facts.push_back(std::move(f));
    });
    return out;
  });
}

std::vector<Message> SqliteStorage::outbox() const {
  auto& m = *impl_;
  return m.read({"outbox", {}}, [&] {
    Impl::Query q(m, sql_outbox);
    return m.rows<Message>(q, Impl::message_row);
  });
}

std::vector<OutboxEntry> SqliteStorage::outbox_entries() const {
  auto& m = *impl_;
  return m.read({"outbox_entries", {}}, [&] {
    Impl::Query q(m, sql_outbox_entries);
    return m.rows<OutboxEntry>(q, Impl::entry_row);
  });
}

std::optional<OutboxEntry> SqliteStorage::find_message(std::string_view key) const {
  auto& m = *impl_;
  return m.read({"find_message", {}}, [&]() -> std::optional<OutboxEntry> {
    Impl::Query q(m, sql_find_message);
    q.bind(1, key);
    if (!q.step()) return std::nullopt;
    return Impl::entry_row(q);
  }, Impl::Sees::none);
}

std::vector<OutboxEntry> SqliteStorage::due_messages(Instant now, std::size_t limit) const {
  auto& m = *impl_;
  return m.read({"due_messages", {}}, [&] {
    Impl::Query q(m, sql_due_messages);
    q.bind(1, now).bind(2, limit_of(limit));
    return m.rows<OutboxEntry>(q, Impl::entry_row);
  });
}

}  // namespace nudge
