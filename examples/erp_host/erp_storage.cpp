// The ERP adapter: Nudge's port over Acme ERP's tables. Every statement is a
// constant bound with values; SQLiteCpp's exceptions become storage_error
// naming the operation; each write hook runs inside a savepoint so a failed
// write leaves nothing behind and the unit of work stays usable.

#include "erp_storage.hpp"

#include <array>
#include <limits>
#include <map>
#include <type_traits>
#include <utility>
#include <variant>

#include <SQLiteCpp/SQLiteCpp.h>
#include <fmt/format.h>

#include "erp_schema.hpp"

namespace erp {

using namespace nudge;

namespace {

// ---- the ERP's words for Nudge's values ---------------------------------------------

constexpr std::array<const char*, activity_kind_count> channel_words{
    "PHONE_IN", "PHONE_OUT", "PHONE_MISSED", "EMAIL", "VISIT", "CHAT", "NOTE", "DOCUMENT", nullptr};
constexpr std::array<const char*, 5> result_words{"", "REACHED", "NO_ANSWER", "DECLINED", "DONE"};
constexpr std::array<const char*, 4> todo_words{"NEW", "IN_WORK", "DONE", "CANCELLED"};
constexpr std::array<const char*, 3> state_words{"OPEN", "WON", "LOST"};

template <std::size_t N>
std::size_t index_of(const std::array<const char*, N>& words, const std::string& w, const char* what) {
  for (std::size_t i = 0; i < N; ++i)
    if (words[i] && w == words[i]) return i;
  throw storage_error(fmt::format("erp storage: unknown {} '{}' in the database", what, w));
}

// ---- datetimes: ISO-8601 UTC text in the ERP's columns, four-digit years -----------------

constexpr Instant first_instant = at_midnight(ymd(1, 1, 1));
constexpr Instant last_instant = at_midnight(ymd(9999, 12, 31)) + std::chrono::hours{24} - Seconds{1};

std::string text(Instant t) {
  if (t < first_instant || t > last_instant)
    throw invalid_argument(fmt::format("erp storage: {} seconds is outside the years 1 to 9999 the ERP can store",
                                       to_unix(t)));
  return iso_instant(t);
}
/// A lower bound for comparisons in SQL: clamped instead of refused.
std::string bound(Instant t) {
  if (t < first_instant) return "";
  if (t > last_instant) return "~";
  return iso_instant(t);
}
Instant instant(const SQLite::Column& c) { return parse_instant(c.getString()); }
std::optional<Instant> maybe_instant(const SQLite::Column& c) {
  if (c.isNull()) return std::nullopt;
  return instant(c);
}
std::optional<Instant> maybe_unix(const SQLite::Column& c) {
  if (c.isNull()) return std::nullopt;
  return from_unix(c.getInt64());
}

void bind(SQLite::Statement& st, int i, const std::optional<Instant>& t) {
  if (t) st.bind(i, text(*t));
  else st.bind(i);
}
void bind_unix(SQLite::Statement& st, int i, const std::optional<Instant>& t) {
  if (t) st.bind(i, static_cast<std::int64_t>(to_unix(*t)));
  else st.bind(i);
}
template <class Id>
void bind_id(SQLite::Statement& st, int i, const std::optional<Id>& id) {
  if (id) st.bind(i, static_cast<std::int64_t>(id->value()));
  else st.bind(i);
}

/// Runs `f`, turning the driver's exceptions into storage_error naming `what`.
template <class F>
auto guard(const char* what, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const SQLite::Exception& e) {
    throw storage_error(fmt::format("erp storage: {}: {}", what, e.what()));
  }
}

// ---- reading rows ---------------------------------------------------------------------------

constexpr const char* client_columns =
    "SELECT cp_id, legal_name, account_manager, party_type, registered_at, email, phone, time_zone, language, "
    "key_account FROM counterparty ";
constexpr const char* manager_columns =
    "SELECT e.emp_no, e.full_name, e.work_email, e.work_phone, e.reports_to, e.is_active, n.emp_no IS NOT NULL, "
    "n.capacity, n.weight FROM employee e LEFT JOIN nudge_employee n ON n.emp_no = e.emp_no ";
constexpr const char* todo_columns =
    "SELECT todo_no, cp_id, opp_no, assigned_to, created_by, subject, start_at, deadline, status, created_at, "
    "finished_at, follows_todo, source FROM todo ";
constexpr const char* opportunity_columns =
    "SELECT opp_no, cp_id, salesperson, sales_process, phase, revenue_minor, currency_code, win_probability, "
    "opened_at, phase_since, state, lost_reason, closed_at FROM opportunity ";
constexpr const char* bill_columns =
    "SELECT bill_no, cp_id, opp_no, total_minor, currency_code, bill_date, pay_by, settled_at FROM bill ";
constexpr const char* interaction_columns =
    "SELECT entry_no, cp_id, emp_no, channel, happened_at, result, counts_as_contact, summary FROM interaction_log ";

std::map<std::string, std::string> labels(SQLite::Database& db, const char* kind, std::int64_t id) {
  SQLite::Statement st(db, "SELECT label, note FROM nudge_label WHERE subject_kind = ? AND subject_id = ?");
  st.bind(1, kind);
  st.bind(2, id);
  std::map<std::string, std::string> out;
  while (st.executeStep()) out.emplace(st.getColumn(0).getString(), st.getColumn(1).getString());
  return out;
}

Client client_row(SQLite::Statement& st) {
  Client c;
  c.id = ClientId{st.getColumn(0).getInt64()};
  c.name = st.getColumn(1).getString();
  c.owner = ManagerId{st.getColumn(2).getInt64()};
  c.kind = st.getColumn(3).getString() == "person" ? ClientKind::b2c : ClientKind::b2b;
  c.created = instant(st.getColumn(4));
  c.email = st.getColumn(5).getString();
  c.phone = st.getColumn(6).getString();
  c.time_zone = st.getColumn(7).getString();
  c.locale = st.getColumn(8).getString();
  c.release_locked = st.getColumn(9).getInt() != 0;
  c.segments.clear();
  return c;
}
void client_lists(SQLite::Database& db, Client& c) {
  SQLite::Statement st(db, "SELECT group_code FROM counterparty_group WHERE cp_id = ? ORDER BY line_no");
  st.bind(1, c.id.value());
  while (st.executeStep()) c.segments.push_back(st.getColumn(0).getString());
  c.labels = labels(db, "client", c.id.value());
}

struct ManagerRow {
  Manager m;
  bool has_extension = false;
};
ManagerRow manager_row(SQLite::Statement& st) {
  ManagerRow r;
  auto& m = r.m;
  m.id = ManagerId{st.getColumn(0).getInt64()};
  m.name = st.getColumn(1).getString();
  m.email = st.getColumn(2).getString();
  m.phone = st.getColumn(3).getString();
  if (!st.getColumn(4).isNull()) m.supervisor = ManagerId{st.getColumn(4).getInt64()};
  m.active = st.getColumn(5).getInt() != 0;
  r.has_extension = st.getColumn(6).getInt() != 0;
  if (r.has_extension) {
    m.capacity = st.getColumn(7).getInt();
    m.weight = st.getColumn(8).getDouble();
  }
  return r;
}
void manager_lists(SQLite::Database& db, ManagerRow& r) {
  auto& m = r.m;
  SQLite::Statement leave(db, "SELECT date_from, date_to FROM absence WHERE emp_no = ? ORDER BY line_no");
  leave.bind(1, m.id.value());
  while (leave.executeStep())
    m.leave.push_back({utc_date(instant(leave.getColumn(0))), utc_date(instant(leave.getColumn(1)))});
  if (!r.has_extension) return;  // an employee Nudge never wrote: serves every segment (the default)
  m.segments.clear();
  SQLite::Statement seg(db, "SELECT segment FROM nudge_employee_segment WHERE emp_no = ? ORDER BY line_no");
  seg.bind(1, m.id.value());
  while (seg.executeStep()) m.segments.push_back(seg.getColumn(0).getString());
}

Activity activity_row(SQLite::Statement& st) {
  Activity a;
  a.id = ActivityId{st.getColumn(0).getInt64()};
  a.client = ClientId{st.getColumn(1).getInt64()};
  if (!st.getColumn(2).isNull()) a.manager = ManagerId{st.getColumn(2).getInt64()};
  const auto channel = st.getColumn(3).getString();
  a.kind = ActivityKind::other;
  for (std::size_t k = 0; k < channel_words.size(); ++k)
    if (channel_words[k] && channel == channel_words[k]) a.kind = static_cast<ActivityKind>(k);
  if (a.kind == ActivityKind::other) a.custom_kind = channel;  // the ERP's own channel
  a.at = instant(st.getColumn(4));
  a.outcome = static_cast<Outcome>(index_of(result_words, st.getColumn(5).getString(), "interaction result"));
  const auto forced = st.getColumn(6);
  a.contact = forced.isNull() ? Contact::by_kind : forced.getString() == "Y" ? Contact::yes : Contact::no;
  a.subject = st.getColumn(7).getString();
  return a;
}

Task task_row(SQLite::Statement& st) {
  Task t;
  t.id = TaskId{st.getColumn(0).getInt64()};
  t.client = ClientId{st.getColumn(1).getInt64()};
  if (!st.getColumn(2).isNull()) t.deal = DealId{st.getColumn(2).getInt64()};
  t.assignee = ManagerId{st.getColumn(3).getInt64()};
  if (!st.getColumn(4).isNull()) t.author = ManagerId{st.getColumn(4).getInt64()};
  t.title = st.getColumn(5).getString();
  t.planned_start = maybe_instant(st.getColumn(6));
  t.due = instant(st.getColumn(7));
  t.state = static_cast<TaskState>(index_of(todo_words, st.getColumn(8).getString(), "to-do status"));
  t.created = instant(st.getColumn(9));
  t.closed = maybe_instant(st.getColumn(10));
  if (!st.getColumn(11).isNull()) t.based_on = TaskId{st.getColumn(11).getInt64()};
  t.origin = st.getColumn(12).getString();
  return t;
}

Deal deal_row(SQLite::Statement& st) {
  Deal d;
  d.id = DealId{st.getColumn(0).getInt64()};
  d.client = ClientId{st.getColumn(1).getInt64()};
  d.owner = ManagerId{st.getColumn(2).getInt64()};
  d.pipeline = st.getColumn(3).getString();
  d.stage = st.getColumn(4).getString();
  d.amount = Money{st.getColumn(5).getInt64(), st.getColumn(6).getString()};
  d.probability = st.getColumn(7).getDouble();
  d.opened = instant(st.getColumn(8));
  d.stage_entered = instant(st.getColumn(9));
  d.status = static_cast<DealStatus>(index_of(state_words, st.getColumn(10).getString(), "opportunity state"));
  d.loss_reason = st.getColumn(11).getString();
  d.closed = maybe_instant(st.getColumn(12));
  return d;
}
void deal_lists(SQLite::Database& db, Deal& d) {
  SQLite::Statement h(db, "SELECT phase, entered_at, left_at FROM opportunity_phase_log WHERE opp_no = ? ORDER BY line_no");
  h.bind(1, d.id.value());
  while (h.executeStep()) d.history.push_back({h.getColumn(0).getString(), instant(h.getColumn(1)), maybe_instant(h.getColumn(2))});
  SQLite::Statement o(db, "SELECT hold_from, hold_to, reason FROM opportunity_hold WHERE opp_no = ? ORDER BY line_no");
  o.bind(1, d.id.value());
  while (o.executeStep()) d.holds.push_back({instant(o.getColumn(0)), maybe_instant(o.getColumn(1)), o.getColumn(2).getString()});
  d.labels = labels(db, "deal", d.id.value());
}

Invoice bill_row(SQLite::Statement& st) {
  Invoice i;
  i.id = InvoiceId{st.getColumn(0).getInt64()};
  i.client = ClientId{st.getColumn(1).getInt64()};
  if (!st.getColumn(2).isNull()) i.deal = DealId{st.getColumn(2).getInt64()};
  i.amount = Money{st.getColumn(3).getInt64(), st.getColumn(4).getString()};
  i.issued = instant(st.getColumn(5));
  i.due = instant(st.getColumn(6));
  i.paid = maybe_instant(st.getColumn(7));
  return i;
}
void bill_lists(SQLite::Database& db, Invoice& i) {
  SQLite::Statement p(db, "SELECT paid_at, amount_minor FROM bill_payment WHERE bill_no = ? ORDER BY line_no");
  p.bind(1, i.id.value());
  while (p.executeStep()) i.payments.push_back({instant(p.getColumn(0)), p.getColumn(1).getInt64()});
}

/// Rows of `sql` (one ? bound to `key`), each read by `row` and completed by
/// `lists` once the statement is finished (so `lists` may run queries of its own).
template <class T, class Row, class Lists>
std::vector<T> rows(SQLite::Database& db, const std::string& sql, std::int64_t key, Row&& row, Lists&& lists) {
  std::vector<T> out;
  {
    SQLite::Statement st(db, sql);
    st.bind(1, key);
    while (st.executeStep()) out.push_back(row(st));
  }
  for (auto& x : out) lists(db, x);
  return out;
}

SubjectKind subject_kind(const std::string& s) {
  for (int k = 0; k < 5; ++k)
    if (to_string(static_cast<SubjectKind>(k)) == s) return static_cast<SubjectKind>(k);
  throw storage_error(fmt::format("erp storage: unknown subject kind '{}' in the database", s));
}
Channel channel(const std::string& s) {
  for (int k = 0; k < 6; ++k)
    if (to_string(static_cast<Channel>(k)) == s) return static_cast<Channel>(k);
  throw storage_error(fmt::format("erp storage: unknown channel '{}' in the database", s));
}

}  // namespace

// =================================================================================================
// Opening

ErpStorage::ErpStorage(const std::string& path) {
  guard("open", [&] {
    db_ = std::make_unique<SQLite::Database>(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    db_->exec("PRAGMA busy_timeout = 5000");
    if (path != ":memory:") db_->exec("PRAGMA journal_mode = WAL");
    SQLite::Transaction t(*db_);
    db_->exec(erp_schema);
    db_->exec(integration_schema);
    t.commit();
  });
}

ErpStorage::~ErpStorage() = default;

// =================================================================================================
// Lookups

std::optional<Client> ErpStorage::find_client(ClientId id) const {
  return guard("find_client", [&]() -> std::optional<Client> {
    auto v = rows<Client>(*db_, std::string(client_columns) + "WHERE cp_id = ?", id.value(), client_row,
                          client_lists);
    if (v.empty()) return std::nullopt;
    return std::move(v.front());
  });
}

std::optional<Manager> ErpStorage::find_manager(ManagerId id) const {
  return guard("find_manager", [&]() -> std::optional<Manager> {
    auto v = rows<ManagerRow>(*db_, std::string(manager_columns) + "WHERE e.emp_no = ?", id.value(), manager_row, manager_lists);
    if (v.empty()) return std::nullopt;
    return std::move(v.front().m);
  });
}

std::optional<Task> ErpStorage::find_task(TaskId id) const {
  return guard("find_task", [&]() -> std::optional<Task> {
    auto v = rows<Task>(*db_, std::string(todo_columns) + "WHERE todo_no = ?", id.value(), task_row, [](auto&, auto&) {});
    if (v.empty()) return std::nullopt;
    return std::move(v.front());
  });
}

std::optional<Deal> ErpStorage::find_deal(DealId id) const {
  return guard("find_deal", [&]() -> std::optional<Deal> {
    auto v = rows<Deal>(*db_, std::string(opportunity_columns) + "WHERE opp_no = ?", id.value(), deal_row, deal_lists);
    if (v.empty()) return std::nullopt;
    return std::move(v.front());
  });
}

std::optional<Invoice> ErpStorage::find_invoice(InvoiceId id) const {
  return guard("find_invoice", [&]() -> std::optional<Invoice> {
    auto v = rows<Invoice>(*db_, std::string(bill_columns) + "WHERE bill_no = ?", id.value(), bill_row, bill_lists);
    if (v.empty()) return std::nullopt;
    return std::move(v.front());
  });
}

namespace {
bool exists(SQLite::Database& db, const char* sql, std::int64_t id) {
  SQLite::Statement st(db, sql);
  st.bind(1, id);
  return st.executeStep();
}
}  // namespace

bool ErpStorage::has_activity(ActivityId id) const {
  return guard("has_activity", [&] { return exists(*db_, "SELECT 1 FROM interaction_log WHERE entry_no = ?", id.value()); });
}
bool ErpStorage::has_client(ClientId id) const {
  return guard("has_client", [&] { return exists(*db_, "SELECT 1 FROM counterparty WHERE cp_id = ?", id.value()); });
}
bool ErpStorage::has_manager(ManagerId id) const {
  return guard("has_manager", [&] { return exists(*db_, "SELECT 1 FROM employee WHERE emp_no = ?", id.value()); });
}
bool ErpStorage::has_task(TaskId id) const {
  return guard("has_task", [&] { return exists(*db_, "SELECT 1 FROM todo WHERE todo_no = ?", id.value()); });
}
bool ErpStorage::has_deal(DealId id) const {
  return guard("has_deal", [&] { return exists(*db_, "SELECT 1 FROM opportunity WHERE opp_no = ?", id.value()); });
}
std::uint64_t ErpStorage::client_count() const {
  return guard("client_count", [&] {
    SQLite::Statement st(*db_, "SELECT count(*) FROM counterparty");
    st.executeStep();
    return static_cast<std::uint64_t>(st.getColumn(0).getInt64());
  });
}

// =================================================================================================
// Per-client lists

std::vector<Manager> ErpStorage::managers() const {
  return guard("managers", [&] {
    auto v = rows<ManagerRow>(*db_, std::string(manager_columns) + "WHERE ?1 = ?1 ORDER BY e.emp_no", 0, manager_row,
                              manager_lists);
    std::vector<Manager> out;
    for (auto& r : v) out.push_back(std::move(r.m));
    return out;
  });
}

std::vector<std::int64_t> ErpStorage::ids(const char* sql, std::int64_t key) const {
  SQLite::Statement st(*db_, sql);
  st.bind(1, key);
  std::vector<std::int64_t> out;
  while (st.executeStep()) out.push_back(st.getColumn(0).getInt64());
  return out;
}

std::vector<ClientId> ErpStorage::clients_of(ManagerId m) const {
  return guard("clients_of", [&] {
    std::vector<ClientId> out;
    for (auto id : ids("SELECT cp_id FROM counterparty WHERE account_manager = ? ORDER BY cp_id", m.value()))
      out.push_back(ClientId{id});
    return out;
  });
}

std::vector<Activity> ErpStorage::activities_of(ClientId c, Instant since) const {
  return guard("activities_of", [&] {
    SQLite::Statement st(*db_, std::string(interaction_columns) +
                                   "WHERE cp_id = ? AND happened_at >= ? ORDER BY happened_at, entry_no");
    st.bind(1, c.value());
    st.bind(2, bound(since));
    std::vector<Activity> out;
    while (st.executeStep()) out.push_back(activity_row(st));
    return out;
  });
}

std::vector<Task> ErpStorage::tasks_of(ClientId c, bool open_only) const {
  return guard("tasks_of", [&] {
    return rows<Task>(*db_,
                      std::string(todo_columns) + (open_only ? "WHERE cp_id = ? AND status IN ('NEW', 'IN_WORK') ORDER BY todo_no"
                                                             : "WHERE cp_id = ? ORDER BY todo_no"),
                      c.value(), task_row, [](auto&, auto&) {});
  });
}

std::vector<Deal> ErpStorage::deals_of(ClientId c) const {
  return guard("deals_of", [&] {
    return rows<Deal>(*db_, std::string(opportunity_columns) + "WHERE cp_id = ? ORDER BY opp_no", c.value(), deal_row, deal_lists);
  });
}

std::vector<Invoice> ErpStorage::invoices_of(ClientId c) const {
  return guard("invoices_of", [&] {
    return rows<Invoice>(*db_, std::string(bill_columns) + "WHERE cp_id = ? ORDER BY bill_no", c.value(), bill_row, bill_lists);
  });
}

// =================================================================================================
// Scans: keyset pagination (id > last ORDER BY id LIMIT batch); each batch is
// read to the end and its statement finished before the callback runs.

namespace {
template <class T, class Row, class Lists>
std::vector<T> page(SQLite::Database& db, const std::string& sql, std::int64_t after, std::size_t batch, Row&& row,
                    Lists&& lists) {
  std::vector<T> out;
  {
    SQLite::Statement st(db, sql);
    st.bind(1, after);
    st.bind(2, static_cast<std::int64_t>(std::max<std::size_t>(batch, 1)));
    while (st.executeStep()) out.push_back(row(st));
  }
  for (auto& x : out) lists(db, x);
  return out;
}
}  // namespace

void ErpStorage::scan_clients(const ClientBatchFn& fn, std::size_t batch) const {
  std::int64_t after = std::numeric_limits<std::int64_t>::min();
  for (;;) {
    std::vector<Client> clients;
    std::vector<ClientSummary> summaries;
    guard("scan_clients", [&] {
      clients = page<Client>(*db_, std::string(client_columns) + "WHERE cp_id > ? ORDER BY cp_id LIMIT ?", after, batch,
                             client_row, client_lists);
      for (const auto& c : clients) summaries.push_back(summarize(c.id));  // computed on the fly
    });
    if (clients.empty()) return;
    std::vector<ClientView> views;
    for (std::size_t i = 0; i < clients.size(); ++i) views.push_back({&clients[i], &summaries[i]});
    after = clients.back().id.value();
    fn(views);
  }
}

void ErpStorage::scan_open_deals(const DealBatchFn& fn, std::size_t batch) const {
  struct Row {
    std::int64_t id;
    int open_tasks;
    std::optional<Instant> last_closed;
  };
  std::int64_t after = std::numeric_limits<std::int64_t>::min();
  for (;;) {
    std::vector<Deal> deals;
    std::vector<Row> facts;
    guard("scan_open_deals", [&] {
      {
        SQLite::Statement st(*db_,
                             "SELECT o.opp_no,"
                             " (SELECT count(*) FROM todo t WHERE t.opp_no = o.opp_no AND t.status IN ('NEW', 'IN_WORK')),"
                             " (SELECT max(t.finished_at) FROM todo t WHERE t.opp_no = o.opp_no AND t.status IN ('DONE', 'CANCELLED'))"
                             " FROM opportunity o WHERE o.state = 'OPEN' AND o.opp_no > ? ORDER BY o.opp_no LIMIT ?");
        st.bind(1, after);
        st.bind(2, static_cast<std::int64_t>(std::max<std::size_t>(batch, 1)));
        while (st.executeStep())
          facts.push_back({st.getColumn(0).getInt64(), st.getColumn(1).getInt(), maybe_instant(st.getColumn(2))});
      }
      for (const auto& f : facts) deals.push_back(*find_deal(DealId{f.id}));
    });
    if (deals.empty()) return;
    std::vector<DealView> views;
    for (std::size_t i = 0; i < deals.size(); ++i) views.push_back({&deals[i], facts[i].open_tasks, facts[i].last_closed});
    after = deals.back().id.value();
    fn(views);
  }
}

void ErpStorage::scan_unpaid_invoices(const InvoiceBatchFn& fn, std::size_t batch) const {
  std::int64_t after = std::numeric_limits<std::int64_t>::min();
  for (;;) {
    auto bills = guard("scan_unpaid_invoices", [&] {
      return page<Invoice>(*db_, std::string(bill_columns) + "WHERE settled_at IS NULL AND bill_no > ? ORDER BY bill_no LIMIT ?",
                           after, batch, bill_row, bill_lists);
    });
    if (bills.empty()) return;
    after = bills.back().id.value();
    fn(bills);
  }
}

void ErpStorage::scan_open_tasks(const TaskBatchFn& fn, std::size_t batch) const {
  std::int64_t after = std::numeric_limits<std::int64_t>::min();
  for (;;) {
    auto todos = guard("scan_open_tasks", [&] {
      return page<Task>(*db_,
                        std::string(todo_columns) + "WHERE status IN ('NEW', 'IN_WORK') AND todo_no > ? ORDER BY todo_no LIMIT ?",
                        after, batch, task_row, [](auto&, auto&) {});
    });
    if (todos.empty()) return;
    after = todos.back().id.value();
    fn(todos);
  }
}

// =================================================================================================
// Exactly-once keys, audit, outbox

bool ErpStorage::has_action(std::string_view key) const {
  return guard("has_action", [&] {
    SQLite::Statement st(*db_, "SELECT 1 FROM nudge_action_key WHERE action_key = ?");
    st.bind(1, std::string(key));
    return st.executeStep();
  });
}

std::vector<AuditRecord> ErpStorage::audit_log(std::optional<SubjectRef> subject) const {
  return guard("audit_log", [&] {
    std::vector<std::pair<std::int64_t, AuditRecord>> recs;
    {
      SQLite::Statement st(*db_, subject ? "SELECT audit_no, at, action_key, rule, subject_kind, subject_id, action, explanation "
                                           "FROM nudge_audit WHERE subject_kind = ? AND subject_id = ? ORDER BY audit_no"
                                         : "SELECT audit_no, at, action_key, rule, subject_kind, subject_id, action, explanation "
                                           "FROM nudge_audit ORDER BY audit_no");
      if (subject) {
        st.bind(1, std::string(to_string(subject->kind)));
        st.bind(2, subject->id);
      }
      while (st.executeStep()) {
        AuditRecord r;
        r.at = from_unix(st.getColumn(1).getInt64());
        r.action_key = st.getColumn(2).getString();
        r.rule = st.getColumn(3).getString();
        r.subject = {subject_kind(st.getColumn(4).getString()), st.getColumn(5).getInt64()};
        r.action = st.getColumn(6).getString();
        r.explanation = st.getColumn(7).getString();
        recs.emplace_back(st.getColumn(0).getInt64(), std::move(r));
      }
    }
    std::vector<AuditRecord> out;
    SQLite::Statement f(*db_, "SELECT name, type, value FROM nudge_audit_fact WHERE audit_no = ? ORDER BY line_no");
    for (auto& [no, r] : recs) {
      f.bind(1, no);
      while (f.executeStep()) {
        const auto type = f.getColumn(1).getString();
        const auto v = f.getColumn(2);
        FactValue value;
        if (type == "int") value = static_cast<std::int64_t>(v.getInt64());
        else if (type == "real") value = v.getDouble();
        else if (type == "instant") value = from_unix(v.getInt64());
        else value = v.getString();
        r.facts.push_back({f.getColumn(0).getString(), std::move(value)});
      }
      f.reset();
      out.push_back(std::move(r));
    }
    return out;
  });
}

std::vector<OutboxEntry> ErpStorage::entries(const char* where, std::optional<std::string_view> key,
                                             std::optional<Instant> now, std::size_t limit) const {
  return guard("outbox", [&] {
    SQLite::Statement st(*db_, fmt::format("SELECT message_key, channel, custom_channel, to_kind, to_id, address, to_name, "
                                           "template_id, locale, subject, body, created, not_before, status, attempts, "
                                           "last_error, next_attempt, delivered_at FROM nudge_outbox {} "
                                           "ORDER BY outbox_no LIMIT ?3",
                                           where));
    if (key) st.bind(1, std::string(*key));
    if (now) st.bind(2, static_cast<std::int64_t>(to_unix(*now)));
    st.bind(3, static_cast<std::int64_t>(std::min<std::size_t>(limit, std::numeric_limits<std::int64_t>::max())));
    std::vector<OutboxEntry> out;
    while (st.executeStep()) {
      OutboxEntry e;
      auto& m = e.message;
      m.key = st.getColumn(0).getString();
      m.channel = channel(st.getColumn(1).getString());
      m.custom_channel = st.getColumn(2).getString();
      m.to.who = {subject_kind(st.getColumn(3).getString()), st.getColumn(4).getInt64()};
      m.to.address = st.getColumn(5).getString();
      m.to.name = st.getColumn(6).getString();
      m.template_id = st.getColumn(7).getString();
      m.locale = st.getColumn(8).getString();
      m.subject = st.getColumn(9).getString();
      m.body = st.getColumn(10).getString();
      m.created = from_unix(st.getColumn(11).getInt64());
      m.not_before = maybe_unix(st.getColumn(12));
      e.state.status = parse_delivery_status(st.getColumn(13).getString());
      e.state.attempts = st.getColumn(14).getInt();
      e.state.last_error = st.getColumn(15).getString();
      e.state.next_attempt = maybe_unix(st.getColumn(16));
      e.state.delivered_at = maybe_unix(st.getColumn(17));
      out.push_back(std::move(e));
    }
    return out;
  });
}

std::vector<Message> ErpStorage::outbox() const {
  std::vector<Message> out;
  for (auto& e : entries("WHERE status = 'pending'", {}, {}, std::numeric_limits<std::size_t>::max()))
    out.push_back(std::move(e.message));
  return out;
}
std::vector<OutboxEntry> ErpStorage::outbox_entries() const {
  return entries("", {}, {}, std::numeric_limits<std::size_t>::max());
}
std::optional<OutboxEntry> ErpStorage::find_message(std::string_view key) const {
  auto v = entries("WHERE message_key = ?1", key, {}, 1);
  if (v.empty()) return std::nullopt;
  return std::move(v.front());
}
std::vector<OutboxEntry> ErpStorage::due_messages(Instant now, std::size_t limit) const {
  return entries("WHERE status = 'pending' AND (next_attempt IS NULL OR next_attempt <= ?2) "
                 "AND (not_before IS NULL OR not_before <= ?2)",
                 {}, now, limit);
}

// =================================================================================================
// The unit of work: one SQLite transaction; a savepoint per write.

class ErpWork final : public UnitOfWork {
public:
  explicit ErpWork(ErpStorage& s) : UnitOfWork(s), s_(s), db_(*s.db_) {
    guard("begin", [&] { db_.exec("BEGIN IMMEDIATE"); });
    s_.unit_open_ = true;
  }
  ~ErpWork() override {
    if (finished_) return;
    try {
      db_.exec("ROLLBACK");
    } catch (...) {  // destructors never throw; SQLite rolls back on its own when it cannot
    }
    s_.unit_open_ = false;
  }

protected:
  void do_put_manager(const Manager& m) override {
    step("put_manager", [&] {
      SQLite::Statement e(db_, "INSERT INTO employee (emp_no, full_name, work_email, work_phone, reports_to, is_active) "
                               "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (emp_no) DO UPDATE SET full_name = ?2, "
                               "work_email = ?3, work_phone = ?4, reports_to = ?5, is_active = ?6");
      e.bind(1, m.id.value());
      e.bind(2, m.name);
      e.bind(3, m.email);
      e.bind(4, m.phone);
      bind_id(e, 5, m.supervisor);
      e.bind(6, m.active ? 1 : 0);
      e.exec();
      SQLite::Statement n(db_, "INSERT OR REPLACE INTO nudge_employee (emp_no, capacity, weight) VALUES (?, ?, ?)");
      n.bind(1, m.id.value());
      n.bind(2, m.capacity);
      n.bind(3, m.weight);
      n.exec();
      replace_list("DELETE FROM absence WHERE emp_no = ?", m.id.value(), m.leave,
                   "INSERT INTO absence (emp_no, line_no, date_from, date_to) VALUES (?, ?, ?, ?)",
                   [](SQLite::Statement& st, const DateRange& r) {
                     st.bind(3, iso_date(r.first));
                     st.bind(4, iso_date(r.last));
                   });
      replace_list("DELETE FROM nudge_employee_segment WHERE emp_no = ?", m.id.value(), m.segments,
                   "INSERT INTO nudge_employee_segment (emp_no, line_no, segment) VALUES (?, ?, ?)",
                   [](SQLite::Statement& st, const std::string& seg) { st.bind(3, seg); });
    });
  }

  void do_put_client(const Client& c) override {
    step("put_client", [&] {
      SQLite::Statement st(db_, "INSERT OR REPLACE INTO counterparty (cp_id, legal_name, account_manager, party_type, "
                                "registered_at, email, phone, time_zone, language, key_account) "
                                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
      st.bind(1, c.id.value());
      st.bind(2, c.name);
      st.bind(3, c.owner.value());
      st.bind(4, c.kind == ClientKind::b2c ? "person" : "company");
      st.bind(5, text(c.created));
      st.bind(6, c.email);
      st.bind(7, c.phone);
      st.bind(8, c.time_zone);
      st.bind(9, c.locale);
      st.bind(10, c.release_locked ? 1 : 0);
      st.exec();
      replace_list("DELETE FROM counterparty_group WHERE cp_id = ?", c.id.value(), c.segments,
                   "INSERT INTO counterparty_group (cp_id, line_no, group_code) VALUES (?, ?, ?)",
                   [](SQLite::Statement& s, const std::string& g) { s.bind(3, g); });
      replace_labels("client", c.id.value(), c.labels);
    });
  }

  void do_add_activity(const Activity& a) override {
    step("add_activity", [&] {
      const auto k = static_cast<std::size_t>(a.kind);
      std::string channel = channel_words[k] ? channel_words[k] : a.custom_kind;
      if (a.kind == ActivityKind::other)
        for (const auto* w : channel_words)
          if (w && channel == w)
            throw invalid_argument(fmt::format("activity {}: custom_kind: '{}' is one of the ERP's own channels",
                                               a.id.value(), channel));
      SQLite::Statement st(db_, "INSERT INTO interaction_log (entry_no, cp_id, emp_no, channel, happened_at, result, "
                                "counts_as_contact, summary) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
      st.bind(1, a.id.value());
      st.bind(2, a.client.value());
      if (a.manager.valid()) st.bind(3, a.manager.value());
      else st.bind(3);
      st.bind(4, channel);
      st.bind(5, text(a.at));
      st.bind(6, result_words[static_cast<std::size_t>(a.outcome)]);
      if (a.contact == Contact::by_kind) st.bind(7);
      else st.bind(7, a.contact == Contact::yes ? "Y" : "N");
      st.bind(8, a.subject);
      st.exec();
    });
  }

  void do_put_task(const Task& t) override {
    step("put_task", [&] {
      SQLite::Statement st(db_, "INSERT OR REPLACE INTO todo (todo_no, cp_id, opp_no, assigned_to, created_by, subject, "
                                "start_at, deadline, status, created_at, finished_at, follows_todo, source) "
                                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
      st.bind(1, t.id.value());
      st.bind(2, t.client.value());
      bind_id(st, 3, t.deal);
      st.bind(4, t.assignee.value());
      bind_id(st, 5, t.author);
      st.bind(6, t.title);
      bind(st, 7, t.planned_start);
      st.bind(8, text(t.due));
      st.bind(9, todo_words[static_cast<std::size_t>(t.state)]);
      st.bind(10, text(t.created));
      bind(st, 11, t.closed);
      bind_id(st, 12, t.based_on);
      st.bind(13, t.origin);
      st.exec();
    });
  }

  void do_put_deal(const Deal& d) override {
    step("put_deal", [&] {
      SQLite::Statement st(db_, "INSERT OR REPLACE INTO opportunity (opp_no, cp_id, salesperson, sales_process, phase, "
                                "revenue_minor, currency_code, win_probability, opened_at, phase_since, state, "
                                "lost_reason, closed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
      st.bind(1, d.id.value());
      st.bind(2, d.client.value());
      st.bind(3, d.owner.value());
      st.bind(4, d.pipeline);
      st.bind(5, d.stage);
      st.bind(6, d.amount.cents);
      st.bind(7, d.amount.currency);
      st.bind(8, d.probability);
      st.bind(9, text(d.opened));
      st.bind(10, text(d.stage_entered));
      st.bind(11, state_words[static_cast<std::size_t>(d.status)]);
      st.bind(12, d.loss_reason);
      bind(st, 13, d.closed);
      st.exec();
      replace_list("DELETE FROM opportunity_phase_log WHERE opp_no = ?", d.id.value(), d.history,
                   "INSERT INTO opportunity_phase_log (opp_no, line_no, phase, entered_at, left_at) VALUES (?, ?, ?, ?, ?)",
                   [](SQLite::Statement& s, const StageVisit& v) {
                     s.bind(3, v.stage);
                     s.bind(4, text(v.entered));
                     bind(s, 5, v.left);
                   });
      replace_list("DELETE FROM opportunity_hold WHERE opp_no = ?", d.id.value(), d.holds,
                   "INSERT INTO opportunity_hold (opp_no, line_no, hold_from, hold_to, reason) VALUES (?, ?, ?, ?, ?)",
                   [](SQLite::Statement& s, const Hold& h) {
                     s.bind(3, text(h.from));
                     bind(s, 4, h.to);
                     s.bind(5, h.reason);
                   });
      replace_labels("deal", d.id.value(), d.labels);
    });
  }

  void do_put_invoice(const Invoice& i) override {
    step("put_invoice", [&] {
      SQLite::Statement st(db_, "INSERT OR REPLACE INTO bill (bill_no, cp_id, opp_no, total_minor, currency_code, "
                                "bill_date, pay_by, settled_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
      st.bind(1, i.id.value());
      st.bind(2, i.client.value());
      bind_id(st, 3, i.deal);
      st.bind(4, i.amount.cents);
      st.bind(5, i.amount.currency);
      st.bind(6, text(i.issued));
      st.bind(7, text(i.due));
      bind(st, 8, i.paid);
      st.exec();
      replace_list("DELETE FROM bill_payment WHERE bill_no = ?", i.id.value(), i.payments,
                   "INSERT INTO bill_payment (bill_no, line_no, paid_at, amount_minor) VALUES (?, ?, ?, ?)",
                   [](SQLite::Statement& s, const Payment& p) {
                     s.bind(3, text(p.at));
                     s.bind(4, p.cents);
                   });
    });
  }

  TaskId do_next_task_id() override {
    return guard("next_task_id", [&] {
      SQLite::Statement st(db_, "SELECT coalesce(max(todo_no), 0) + 1 FROM todo");
      st.executeStep();
      return TaskId{st.getColumn(0).getInt64()};
    });
  }

  void do_set_label(SubjectRef s, const std::string& label, const std::string& note) override {
    step("set_label", [&] {
      SQLite::Statement st(db_, "INSERT INTO nudge_label (subject_kind, subject_id, label, note) VALUES (?1, ?2, ?3, ?4) "
                                "ON CONFLICT (subject_kind, subject_id, label) DO UPDATE SET note = ?4");
      st.bind(1, std::string(to_string(s.kind)));
      st.bind(2, s.id);
      st.bind(3, label);
      st.bind(4, note);
      st.exec();
    });
  }

  void do_clear_label(SubjectRef s, const std::string& label) override {
    step("clear_label", [&] {
      SQLite::Statement st(db_, "DELETE FROM nudge_label WHERE subject_kind = ? AND subject_id = ? AND label = ?");
      st.bind(1, std::string(to_string(s.kind)));
      st.bind(2, s.id);
      st.bind(3, label);
      st.exec();
    });
  }

  bool do_claim_action(std::string_view key, Instant at) override {
    bool claimed = false;
    step("claim_action", [&] {
      SQLite::Statement st(db_, "INSERT INTO nudge_action_key (action_key, claimed_at) VALUES (?, ?) ON CONFLICT DO NOTHING");
      st.bind(1, std::string(key));
      st.bind(2, static_cast<std::int64_t>(to_unix(at)));
      claimed = st.exec() == 1;
    });
    return claimed;
  }

  void do_append_audit(const AuditRecord& r) override {
    step("append_audit", [&] {
      SQLite::Statement st(db_, "INSERT INTO nudge_audit (at, action_key, rule, subject_kind, subject_id, action, explanation) "
                                "VALUES (?, ?, ?, ?, ?, ?, ?)");
      st.bind(1, static_cast<std::int64_t>(to_unix(r.at)));
      st.bind(2, r.action_key);
      st.bind(3, r.rule);
      st.bind(4, std::string(to_string(r.subject.kind)));
      st.bind(5, r.subject.id);
      st.bind(6, r.action);
      st.bind(7, r.explanation);
      st.exec();
      const std::int64_t no = db_.getLastInsertRowid();
      SQLite::Statement f(db_, "INSERT INTO nudge_audit_fact (audit_no, line_no, name, type, value) VALUES (?, ?, ?, ?, ?)");
      for (std::size_t i = 0; i < r.facts.size(); ++i) {
        f.bind(1, no);
        f.bind(2, static_cast<std::int64_t>(i));
        f.bind(3, r.facts[i].name);
        std::visit(
            [&](const auto& v) {
              using V = std::decay_t<decltype(v)>;
              if constexpr (std::is_same_v<V, std::int64_t>) f.bind(4, "int"), f.bind(5, v);
              else if constexpr (std::is_same_v<V, double>) f.bind(4, "real"), f.bind(5, v);
              else if constexpr (std::is_same_v<V, std::string>) f.bind(4, "text"), f.bind(5, v);
              else f.bind(4, "instant"), f.bind(5, static_cast<std::int64_t>(to_unix(v)));
            },
            r.facts[i].value);
        f.exec();
        f.reset();
      }
    });
  }

  void do_enqueue(const Message& m) override {
    step("enqueue", [&] {
      SQLite::Statement st(db_, "INSERT INTO nudge_outbox (message_key, channel, custom_channel, to_kind, to_id, address, "
                                "to_name, template_id, locale, subject, body, created, not_before) "
                                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
      st.bind(1, m.key);
      st.bind(2, std::string(to_string(m.channel)));
      st.bind(3, m.custom_channel);
      st.bind(4, std::string(to_string(m.to.who.kind)));
      st.bind(5, m.to.who.id);
      st.bind(6, m.to.address);
      st.bind(7, m.to.name);
      st.bind(8, m.template_id);
      st.bind(9, m.locale);
      st.bind(10, m.subject);
      st.bind(11, m.body);
      st.bind(12, static_cast<std::int64_t>(to_unix(m.created)));
      bind_unix(st, 13, m.not_before);
      st.exec();
    });
  }

  void do_record_delivery(std::string_view key, const DeliveryState& d) override {
    step("record_delivery", [&] {
      SQLite::Statement st(db_, "UPDATE nudge_outbox SET status = ?, attempts = ?, last_error = ?, next_attempt = ?, "
                                "delivered_at = ? WHERE message_key = ?");
      st.bind(1, std::string(to_string(d.status)));
      st.bind(2, d.attempts);
      st.bind(3, d.last_error);
      bind_unix(st, 4, d.next_attempt);
      bind_unix(st, 5, d.delivered_at);
      st.bind(6, std::string(key));
      st.exec();
    });
  }

  void do_commit() override {
    guard("commit", [&] { db_.exec("COMMIT"); });
    finished_ = true;
    s_.unit_open_ = false;
  }

private:
  /// One write, all or nothing inside the unit: a savepoint released on
  /// success and rolled back to when anything throws.
  template <class F>
  void step(const char* what, F&& f) {
    guard(what, [&] { db_.exec("SAVEPOINT nudge_write"); });
    try {
      guard(what, f);
      guard(what, [&] { db_.exec("RELEASE nudge_write"); });
    } catch (...) {
      try {
        db_.exec("ROLLBACK TO nudge_write");
        db_.exec("RELEASE nudge_write");
      } catch (...) {
      }
      throw;
    }
  }

  /// Replaces the rows of a child table (parent, line_no, ...): the list in order.
  template <class T, class Bind>
  void replace_list(const char* remove, std::int64_t parent, const std::vector<T>& items, const char* insert, Bind&& bind_rest) {
    SQLite::Statement del(db_, remove);
    del.bind(1, parent);
    del.exec();
    SQLite::Statement ins(db_, insert);
    for (std::size_t i = 0; i < items.size(); ++i) {
      ins.bind(1, parent);
      ins.bind(2, static_cast<std::int64_t>(i));
      bind_rest(ins, items[i]);
      ins.exec();
      ins.reset();
    }
  }

  void replace_labels(const char* kind, std::int64_t id, const std::map<std::string, std::string>& labels) {
    SQLite::Statement del(db_, "DELETE FROM nudge_label WHERE subject_kind = ? AND subject_id = ?");
    del.bind(1, kind);
    del.bind(2, id);
    del.exec();
    SQLite::Statement ins(db_, "INSERT INTO nudge_label (subject_kind, subject_id, label, note) VALUES (?, ?, ?, ?)");
    for (const auto& [label, note] : labels) {
      ins.bind(1, kind);
      ins.bind(2, id);
      ins.bind(3, label);
      ins.bind(4, note);
      ins.exec();
      ins.reset();
    }
  }

  ErpStorage& s_;
  SQLite::Database& db_;
  bool finished_ = false;
};

std::unique_ptr<UnitOfWork> ErpStorage::do_begin() {
  if (unit_open_) throw conflict("erp storage: a unit of work is already open (one at a time)");
  return std::make_unique<ErpWork>(*this);
}

}  // namespace erp
