// nudge_erp_host: "Acme ERP" running Nudge's assistants every night over its
// own tables, through its own storage adapter (erp_storage.hpp), and sending
// the messages through its own mailer (the mail_queue table).
//
//   nudge_erp_host acme.db                      # four fixed nights, sample data on first use
//   nudge_erp_host acme.db --now 2026-03-20T01:00:00Z
//
// Between two nights the ERP does its own work (a call is logged, a bill is
// paid) with plain SQL on its own tables; Nudge sees it on the next night.
// Running it again changes nothing: every action is applied exactly once.
// Exit codes: 0 fine, 2 bad input, 3 storage error.

#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <SQLiteCpp/SQLiteCpp.h>
#include <fmt/format.h>

#include <nudge/engine/engine.hpp>
#include <nudge/notify/dispatcher.hpp>
#include <nudge/notify/notifier.hpp>

#include "erp_storage.hpp"

using namespace nudge;

namespace {

/// The ERP's mailer as a Nudge notifier: each message becomes a row of
/// mail_queue, which the ERP's own mail daemon sends. E-mail goes to the
/// address, SMS through the ERP's SMS gateway ("sms:" recipients), in-app
/// notes to the employee's work address.
class MailQueueNotifier final : public Notifier {
public:
  explicit MailQueueNotifier(SQLite::Database& db) : db_(db) {}
  void set_now(Instant now) { now_ = now; }
  [[nodiscard]] int queued() const { return queued_; }

protected:
  void send_(const Message& m) override {
    std::string to = m.to.address;
    if (m.channel == Channel::sms) to = to.empty() ? to : "sms:" + to;
    if (to.empty() && m.to.who.kind == SubjectKind::manager) to = work_email(m.to.who.id);
    if (to.empty())
      throw undeliverable(fmt::format("no address for {} on channel {}", to_string(m.to.who), to_string(m.channel)));
    SQLite::Statement st(db_, "INSERT INTO mail_queue (recipient, subject, body, queued_at) VALUES (?, ?, ?, ?)");
    st.bind(1, to);
    st.bind(2, m.subject.empty() ? std::string("Acme ERP: a note from the sales assistant") : m.subject);
    st.bind(3, m.body);
    st.bind(4, iso_instant(now_));
    st.exec();
    ++queued_;
  }

private:
  std::string work_email(std::int64_t emp_no) {
    SQLite::Statement st(db_, "SELECT work_email FROM employee WHERE emp_no = ?");
    st.bind(1, emp_no);
    return st.executeStep() ? st.getColumn(0).getString() : std::string();
  }
  SQLite::Database& db_;
  Instant now_{};
  int queued_ = 0;
};

/// The ERP as it was before Nudge: a sales team, customers, a year of history.
void sample_data(SQLite::Database& db) {
  SQLite::Transaction t(db);
  db.exec(R"sql(
INSERT INTO employee (emp_no, full_name, work_email, work_phone, reports_to, department) VALUES
  (1, 'Olga Sokolova', 'olga.sokolova@acme.example', '+372 600 0001', NULL, 'Sales'),
  (2, 'Pavel Orlov',   'pavel.orlov@acme.example',   '+372 600 0002', 1,    'Sales'),
  (3, 'Nina Kask',     'nina.kask@acme.example',     '+372 600 0003', 1,    'Sales');
INSERT INTO absence (emp_no, line_no, date_from, date_to, kind) VALUES (3, 0, '2026-07-01', '2026-07-14', 'vacation');
INSERT INTO counterparty (cp_id, legal_name, account_manager, party_type, registered_at, email, phone, time_zone, language, key_account) VALUES
  (10, 'Baltic Timber AS',  2, 'company', '2024-05-14T09:00:00Z', 'buy@baltictimber.example', '+372 5550 0010', 'Europe/Tallinn', 'en', 0),
  (11, 'Northwind Foods',   2, 'company', '2024-09-02T09:00:00Z', 'orders@northwind.example', '',              'Europe/Tallinn', 'en', 0),
  (12, 'Kask & Sons OU',    3, 'company', '2025-01-20T09:00:00Z', 'info@kasksons.example',    '',              'Europe/Tallinn', 'et', 1),
  (13, 'Jaan Tamm',         3, 'person',  '2025-11-03T09:00:00Z', 'jaan.tamm@example.ee',     '+372 5550 0013', 'Europe/Tallinn', 'et', 0);
INSERT INTO counterparty_group (cp_id, line_no, group_code) VALUES
  (10, 0, 'wholesale'), (10, 1, 'north'), (11, 0, 'wholesale'), (12, 0, 'wholesale'), (13, 0, 'retail');
INSERT INTO interaction_log (entry_no, cp_id, emp_no, channel, happened_at, result, summary) VALUES
  (1, 10, 2, 'PHONE_OUT',    '2025-11-14T10:00:00Z', 'REACHED',   'price list for 2026'),
  (2, 10, NULL, 'WEB_FORM',  '2026-01-20T08:00:00Z', '',          'newsletter signup'),
  (3, 11, 2, 'VISIT',        '2025-11-20T13:00:00Z', 'DONE',      'tasting at their warehouse'),
  (4, 12, 3, 'EMAIL',        '2026-02-24T15:00:00Z', '',          'contract draft sent'),
  (5, 13, 3, 'PHONE_IN',     '2026-01-30T11:00:00Z', 'REACHED',   'asked for an instalment plan'),
  (6, 11, 2, 'PHONE_MISSED', '2026-02-27T09:00:00Z', 'NO_ANSWER', '');
UPDATE interaction_log SET counts_as_contact = 'N' WHERE entry_no = 2;  -- a newsletter signup is no contact
INSERT INTO opportunity (opp_no, cp_id, salesperson, sales_process, phase, revenue_minor, currency_code, win_probability, opened_at, phase_since, state) VALUES
  (301, 12, 3, 'default', 'negotiation', 4800000, 'EUR', 0.6, '2025-09-01T09:00:00Z', '2025-12-01T09:00:00Z', 'OPEN'),
  (302, 11, 2, 'default', 'proposal',     950000, 'EUR', 0.3, '2026-02-02T09:00:00Z', '2026-02-16T09:00:00Z', 'OPEN');
INSERT INTO todo (todo_no, cp_id, opp_no, assigned_to, created_by, subject, deadline, status, created_at) VALUES
  (401, 12, 301, 3, 1, 'Send the revised contract to Kask & Sons', '2026-02-25T16:00:00Z', 'NEW', '2026-02-20T09:00:00Z');
INSERT INTO bill (bill_no, cp_id, opp_no, total_minor, currency_code, bill_date, pay_by, settled_at) VALUES
  (501, 13, NULL, 18900, 'EUR', '2026-02-06T09:00:00Z', '2026-02-20T00:00:00Z', NULL),
  (502, 12, NULL, 120000, 'EUR', '2026-01-10T09:00:00Z', '2026-01-24T00:00:00Z', '2026-01-22T10:00:00Z');
INSERT INTO bill_payment (bill_no, line_no, paid_at, amount_minor) VALUES (502, 0, '2026-01-22T10:00:00Z', 120000);
)sql");
  t.commit();
}

/// What the ERP's users did on a given day between two nights (plain SQL on its own tables).
void erp_day(SQLite::Database& db, const std::string& day) {
  if (day == "2026-03-04") {
    db.exec("INSERT OR IGNORE INTO interaction_log (entry_no, cp_id, emp_no, channel, happened_at, result, summary) "
            "VALUES (7, 11, 2, 'PHONE_OUT', '2026-03-04T10:30:00Z', 'REACHED', 'new season menu; wants a quote')");
    fmt::print("  (ERP, {}: Pavel Orlov logs a call with Northwind Foods)\n", day);
  } else if (day == "2026-03-05") {
    db.exec("INSERT OR IGNORE INTO bill_payment (bill_no, line_no, paid_at, amount_minor) VALUES (501, 0, '2026-03-05T12:00:00Z', 18900)");
    db.exec("UPDATE bill SET settled_at = '2026-03-05T12:00:00Z' WHERE bill_no = 501 AND settled_at IS NULL");
    fmt::print("  (ERP, {}: Jaan Tamm pays bill 501)\n", day);
  }
}

std::string name_of(const Storage& s, ManagerId id) {
  auto m = s.find_manager(id);
  return m ? m->name : fmt::format("employee {}", id.value());
}

int run(const std::string& path, std::vector<Instant> nights) {
  erp::ErpStorage store{path};
  auto& db = store.database();
  {
    SQLite::Statement n(db, "SELECT count(*) FROM employee");
    n.executeStep();
    if (n.getColumn(0).getInt() == 0) {
      sample_data(db);
      fmt::print("{}: a new Acme ERP database with sample data (3 employees, 4 counterparties)\n", path);
    }
  }
  if (nights.empty())
    for (const char* t : {"2026-03-02T01:00:00Z", "2026-03-03T01:00:00Z", "2026-03-09T01:00:00Z", "2026-03-16T01:00:00Z"})
      nights.push_back(parse_instant(t));

  Engine engine{EngineConfig::defaults()};
  MailQueueNotifier mailer{db};
  std::size_t total_applied = 0;
  for (std::size_t i = 0; i < nights.size(); ++i) {
    const Instant now = nights[i];
    if (i > 0)  // the ERP's own days since the last night
      for (auto d = utc_date(nights[i - 1]); d < utc_date(now); d += Days{1}) erp_day(db, iso_date(d));
    fmt::print("\n== night of {} ==\n", iso_instant(now));
    const Plan plan = engine.plan(store, now);
    const ApplyResult done = engine.apply(plan, store);
    const std::set<std::string> applied(done.applied_keys.begin(), done.applied_keys.end());
    fmt::print("plan: {} findings, {} actions; applied {} now, {} were applied on an earlier night\n",
               plan.findings.size(), plan.actions.size(), done.applied, done.skipped);
    for (const auto& a : plan.actions)
      if (applied.count(a.key)) fmt::print("  + {:<11} {}\n", to_string(a.kind), a.explanation);
    total_applied += done.applied;

    mailer.set_now(now);
    Dispatcher dispatcher{store, mailer};
    const auto r = dispatcher.run(now);
    fmt::print("mail: {} queued for the ERP's mailer, {} to retry, {} undeliverable\n", r.delivered, r.retried, r.dead);
  }

  // What the ERP's users see in their own tables.
  fmt::print("\n== in the ERP's tables ==\n");
  {
    SQLite::Statement st(db, "SELECT todo_no, subject, assigned_to, deadline FROM todo WHERE source <> '' ORDER BY todo_no");
    while (st.executeStep())
      fmt::print("todo {:>4}  {:<16} due {}  {}\n", st.getColumn(0).getInt64(),
                 name_of(store, ManagerId{st.getColumn(2).getInt64()}), st.getColumn(3).getString(), st.getColumn(1).getString());
  }
  {
    SQLite::Statement st(db, "SELECT cp_id, legal_name, account_manager FROM counterparty ORDER BY cp_id");
    while (st.executeStep())
      fmt::print("counterparty {:>3} {:<18} account manager {}\n", st.getColumn(0).getInt64(), st.getColumn(1).getString(),
                 name_of(store, ManagerId{st.getColumn(2).getInt64()}));
  }
  {
    SQLite::Statement st(db, "SELECT mail_id, recipient, subject, queued_at FROM mail_queue ORDER BY mail_id");
    while (st.executeStep())
      fmt::print("mail {:>3} {} to {}: {}\n", st.getColumn(0).getInt64(), st.getColumn(3).getString(),
                 st.getColumn(1).getString(), st.getColumn(2).getString());
  }
  fmt::print("\n{} actions applied in this run, {} messages handed to the ERP's mailer\n", total_applied, mailer.queued());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string path;
  std::vector<Instant> nights;
  try {
    for (int i = 1; i < argc; ++i) {
      const std::string a = argv[i];
      if (a == "--help" || a == "-h") {
        fmt::print("usage: nudge_erp_host ERP.db [--now ISO-8601]...\n"
                   "Runs Nudge's assistants over Acme ERP's tables, one night per --now\n"
                   "(default: four fixed nights in March 2026); creates the database with sample data when new.\n");
        return 0;
      }
      if (a == "--now") {
        if (++i == argc) throw invalid_argument("--now: needs a value, e.g. 2026-03-02T01:00:00Z");
        nights.push_back(parse_instant(argv[i], "--now"));
      } else if (!a.empty() && a[0] == '-') {
        throw invalid_argument(fmt::format("unknown option '{}'", a));
      } else if (path.empty()) {
        path = a;
      } else {
        throw invalid_argument(fmt::format("unexpected argument '{}'", a));
      }
    }
    if (path.empty()) throw invalid_argument("give the ERP database file (see --help)");
    return run(path, nights);
  } catch (const storage_error& e) {
    fmt::print(stderr, "nudge_erp_host: storage error: {}\n", e.what());
    return 3;
  } catch (const SQLite::Exception& e) {
    fmt::print(stderr, "nudge_erp_host: storage error: {}\n", e.what());
    return 3;
  } catch (const nudge::error& e) {
    fmt::print(stderr, "nudge_erp_host: {}\n", e.what());
    return 2;
  }
}
