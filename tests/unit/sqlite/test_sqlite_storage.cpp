// What only the SQLite adapter promises: files that persist, schema versions,
// WAL and foreign keys, errors translated at the boundary. (The port's
// promises are checked by the conformance kit in test_conformance_sqlite.cpp.)

#include <doctest/doctest.h>

#include <array>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <iterator>

#include <sqlite3.h>
#include <unistd.h>

#include <nudge/sqlite/sqlite_storage.hpp>
#include <support/fixtures.hpp>
#include <support/temp_dir.hpp>

// The adapter's private schema: the test writes a v2 file the way a v2 build did.
#include "../../../src/sqlite/schema.hpp"

// Own namespace: the tests build as a unity build.
namespace nudge_sqlite_test_sqlite_storage {

using namespace nudge;
using namespace nudge::test;

namespace {

/// The first column of the first row of a statement run on a raw connection.
std::string query(sqlite3* db, const char* sql) {
  sqlite3_stmt* st = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, sql, -1, &st, nullptr) == SQLITE_OK);
  std::string out;
  if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
    out = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
  sqlite3_finalize(st);
  return out;
}
void exec(sqlite3* db, const char* sql) {
  char* err = nullptr;
  const int rc = sqlite3_exec(db, sql, nullptr, nullptr, &err);
  INFO(sql << ": " << (err ? err : ""));
  sqlite3_free(err);
  REQUIRE(rc == SQLITE_OK);
}

/// How many temporary b-trees the program of `sql` opens (EXPLAIN's opcodes).
int ephemeral_tables(sqlite3* db, const char* sql) {
  sqlite3_stmt* st = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, (std::string("EXPLAIN ") + sql).c_str(), -1, &st, nullptr) == SQLITE_OK);
  int n = 0;
  while (sqlite3_step(st) == SQLITE_ROW)
    n += std::string_view(reinterpret_cast<const char*>(sqlite3_column_text(st, 1))) == "OpenEphemeral";
  sqlite3_finalize(st);
  return n;
}

/// A raw connection of the test's own, for what the port cannot show.
struct Raw {
  sqlite3* db = nullptr;
  explicit Raw(const std::string& file) { REQUIRE(sqlite3_open(file.c_str(), &db) == SQLITE_OK); }
  ~Raw() { sqlite3_close(db); }
};

template <class E, class F>
std::string thrown(F&& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  } catch (const std::exception& e) {
    return std::string("<another exception> ") + e.what();
  }
  return "<nothing thrown>";
}

void seed(Storage& s) {
  auto w = s.begin();
  w->put_manager(manager(1, "Ivanova"));
  auto m2 = manager(2, "Petrov", 1);
  m2.leave = {{ymd(2026, 8, 1), ymd(2026, 8, 14)}};
  m2.segments = {"north", "retail"};
  w->put_manager(m2);
  auto c = client(10, "Acme", 2);
  c.labels = {{"vip", "since 2020"}};
  c.segments = {"north", "smb"};
  w->put_client(c);
  w->put_client(client(11, "Globex", 2, "retail"));
  w->add_activity(activity(100, 10, 2, ActivityKind::call_out, at(2026, 8, 14)));
  w->add_activity(activity(101, 10, 2, ActivityKind::call_missed, at(2026, 9, 1)));
  auto d = deal(7, 10, 2, "proposal", at(2026, 2, 1));
  d.history = {{"lead", at(2026, 2, 1), at(2026, 3, 1)}};
  d.holds = {{at(2026, 4, 1), std::nullopt, "waiting"}};
  w->put_deal(d);
  auto t = task(5, 10, 2, at(2026, 12, 1));
  t.deal = DealId{7};
  w->put_task(t);
  auto i = invoice(3, 11, 1200.0, at(2026, 3, 1), at(2026, 3, 31));
  i.payments = {{at(2026, 3, 10), 20000}};
  w->put_invoice(i);
  w->set_label(SubjectRef::of(DealId{7}), "stuck", "");
  REQUIRE(w->claim_action("forgotten/client:11/2026-11-22", at(2026, 11, 22)));
  w->append_audit({at(2026, 11, 22), "forgotten/client:11/2026-11-22", "forgotten", SubjectRef::of(ClientId{11}),
                   "create_task", "no contact since 2026-08-14", {{"days", std::int64_t{100}}, {"ratio", 0.5}}});
  Message m;
  m.key = "forgotten/client:11/2026-11-22/msg";
  m.to = {SubjectRef::of(ManagerId{2}), "petrov@example.com", "Petrov"};
  m.body = "Call Globex";
  w->enqueue(m);
  w->commit();
}

/// Everything the port shows of seed()'s world (for before/after comparisons).
struct Seen {
  std::vector<Manager> managers;
  std::optional<Client> c10, c11;
  std::vector<Activity> activities;
  std::optional<Deal> deal;
  std::optional<Task> task;
  std::optional<Invoice> invoice;
  bool claimed = false;
  std::vector<AuditRecord> audit;
  std::vector<Message> outbox;
  std::vector<ClientSummary> summaries;
  bool operator==(const Seen&) const = default;
};
Seen see(const Storage& s) {
  Seen x{s.managers(),
         s.find_client(ClientId{10}),
         s.find_client(ClientId{11}),
         s.activities_of(ClientId{10}, at(2000, 1, 1)),
         s.find_deal(DealId{7}),
         s.find_task(TaskId{5}),
         s.find_invoice(InvoiceId{3}),
         s.has_action("forgotten/client:11/2026-11-22"),
         s.audit_log(),
         s.outbox(),
         {}};
  s.scan_clients([&](std::span<const ClientView> b) {
    for (const auto& v : b) x.summaries.push_back(*v.summary);
  });
  return x;
}

}  // namespace

TEST_CASE("storage.sqlite.path_and_schema_version") {
  TempDir dir;
  const auto file = dir.file("crm.db");
  SqliteStorage s{file};
  CHECK(s.path() == file);
  CHECK(SqliteStorage::schema_version() == 3);
  CHECK(query(s.native_handle(), "PRAGMA user_version") == "3");
  SqliteStorage mem{":memory:"};
  CHECK(mem.path() == ":memory:");
}

TEST_CASE("storage.sqlite.file_persists_across_reopen") {
  TempDir dir;
  const auto file = dir.file("crm.db");
  Seen before;
  {
    SqliteStorage s{file};
    seed(s);
    before = see(s);
    REQUIRE(before.c10);
    CHECK(before.c10->labels.at("vip") == "since 2020");
    // an uncommitted unit at shutdown is not kept
    auto w = s.begin();
    w->put_client(client(12, "Initech", 1));
  }
  SqliteStorage again{file};
  CHECK(see(again) == before);
  CHECK_FALSE(again.find_client(ClientId{12}));
  // and it goes on working: summaries kept on disk stay current
  {
    auto w = again.begin();
    w->add_activity(activity(102, 11, 1, ActivityKind::meeting, at(2026, 11, 1)));
    w->commit();
  }
  again.scan_clients([&](std::span<const ClientView> b) {
    for (const auto& v : b) CHECK(*v.summary == again.summarize(v.client->id));
  });
}

TEST_CASE("storage.sqlite.a_currency_too_long_for_money_is_a_corrupt_row") {
  // Money holds up to seven characters of currency in place: a longer one in
  // the file (written by something else) is named, not cut.
  SqliteStorage s{":memory:"};
  seed(s);
  REQUIRE(s.find_deal(DealId{7}));
  CHECK(s.find_deal(DealId{7})->amount.currency == "USD");
  exec(s.native_handle(), "UPDATE deals SET currency = 'EURODOLLAR' WHERE id = 7");
  CHECK(thrown<storage_error>([&] { (void)s.find_deal(DealId{7}); }) ==
        "sqlite storage: corrupt row: currency 'EURODOLLAR' is longer than 7 characters");
  exec(s.native_handle(), "UPDATE deals SET currency = 'EUR' WHERE id = 7");
  CHECK(s.find_deal(DealId{7})->amount.currency == "EUR");
}

TEST_CASE("storage.sqlite.files_are_wal_with_foreign_keys") {
  TempDir dir;
  const auto file = dir.file("crm.db");
  {
    SqliteStorage s{file};
    CHECK(query(s.native_handle(), "PRAGMA journal_mode") == "wal");
    CHECK(query(s.native_handle(), "PRAGMA foreign_keys") == "1");
    seed(s);
  }
  // WAL is a property of the file: bytes 18 and 19 of the header say 2.
  const auto header = bytes_of(file);
  REQUIRE(header.size() >= 100);
  CHECK(header[18] == 2);
  CHECK(header[19] == 2);
  SqliteStorage mem{":memory:"};
  CHECK(query(mem.native_handle(), "PRAGMA foreign_keys") == "1");
  // the constraints are really there: a raw insert with a dangling owner fails
  CHECK(sqlite3_exec(mem.native_handle(),
                     "INSERT INTO clients(id, name, owner, kind, created, release_locked, email, phone, time_zone, "
                     "locale) VALUES (1, 'x', 99, 'B2B', 0, 0, '', '', '', '')",
                     nullptr, nullptr, nullptr) == SQLITE_CONSTRAINT);
}

TEST_CASE("storage.sqlite.empty_file_is_migrated") {
  TempDir dir;
  const auto file = dir.file("empty.db");
  std::ofstream{file};  // zero bytes: a valid, empty SQLite database at version 0
  REQUIRE(std::filesystem::file_size(file) == 0);
  {
    SqliteStorage s{file};
    CHECK(query(s.native_handle(), "PRAGMA user_version") == std::to_string(SqliteStorage::schema_version()));
    seed(s);
  }
  // the header's user_version (offset 60, big-endian) is the schema version
  const auto header = bytes_of(file);
  REQUIRE(header.size() >= 100);
  const auto version = (static_cast<unsigned char>(header[60]) << 24) | (static_cast<unsigned char>(header[61]) << 16) |
                       (static_cast<unsigned char>(header[62]) << 8) | static_cast<unsigned char>(header[63]);
  CHECK(version == static_cast<unsigned>(SqliteStorage::schema_version()));
  SqliteStorage again{file};
  CHECK(again.find_client(ClientId{10}));
}

TEST_CASE("storage.sqlite.version_zero_file_with_other_tables_is_migrated") {
  TempDir dir;
  const auto file = dir.file("host.db");
  {
    Raw raw{file};
    exec(raw.db, "CREATE TABLE host_orders(id INTEGER PRIMARY KEY, total INTEGER); INSERT INTO host_orders VALUES (1, 5)");
  }
  {
    SqliteStorage s{file};
    seed(s);
    CHECK(query(s.native_handle(), "SELECT total FROM host_orders WHERE id = 1") == "5");
  }
  Raw raw{file};
  CHECK(query(raw.db, "PRAGMA user_version") == "3");
  CHECK(query(raw.db, "SELECT count(*) FROM clients") == "2");
}

TEST_CASE("storage.sqlite.v2_file_is_migrated_to_v3_checks_without_in_lists") {
  TempDir dir;
  const auto old_file = dir.file("v2.db"), new_file = dir.file("v3.db");
  {
    Raw raw{old_file};  // a file as a v2 build left it
    exec(raw.db, detail::sqlite_schema::v1);
    exec(raw.db, detail::sqlite_schema::v2);
    exec(raw.db, "PRAGMA user_version = 2");
  }
  std::string cookie_before;
  {
    Raw raw{old_file};
    cookie_before = query(raw.db, "PRAGMA schema_version");
  }
  Seen migrated, fresh;
  {
    SqliteStorage s{old_file};
    seed(s);
    migrated = see(s);
  }
  {
    SqliteStorage s{new_file};
    seed(s);
    fresh = see(s);
  }
  CHECK(migrated == fresh);
  Raw raw{old_file}, other{new_file};
  CHECK(query(raw.db, "PRAGMA user_version") == "3");
  CHECK(query(raw.db, "PRAGMA integrity_check") == "ok");
  CHECK(std::stoi(query(raw.db, "PRAGMA schema_version")) > std::stoi(cookie_before));  // others re-read the schema
  // The same schema text as a new file's, with no CHECK listing values with IN.
  CHECK(query(raw.db, "SELECT group_concat(sql, ';') FROM (SELECT sql FROM sqlite_schema ORDER BY name)") ==
        query(other.db, "SELECT group_concat(sql, ';') FROM (SELECT sql FROM sqlite_schema ORDER BY name)"));
  // (Only the clients' two kinds are listed with IN: SQLite tests two values as an OR by itself.)
  CHECK(query(raw.db, "SELECT group_concat(name) FROM sqlite_schema WHERE type = 'table' AND sql LIKE '%CHECK (% IN (%'") ==
        "clients");
  CHECK(query(raw.db, "SELECT count(*) FROM sqlite_schema WHERE sql LIKE '%state = ''attention'' OR%'") == "1");
  // Writing a row builds no temporary b-tree for a constraint any more.
  const char* inserts[] = {
      "INSERT INTO activities(id, client_id, manager_id, kind, custom_kind, at, outcome, contact, subject) "
      "VALUES (900, 10, 2, 'call_in', '', 0, '', 'yes', '')",
      "INSERT INTO deals(id, client_id, owner, pipeline, stage, status, amount_cents, currency, probability, "
      "opened, stage_entered, loss_reason) VALUES (900, 10, 2, 'p', 's', 'won', 0, 'USD', 0, 0, 0, '')",
      "INSERT INTO tasks(id, client_id, assignee, title, due, state, created, origin) "
      "VALUES (900, 10, 2, 't', 0, 'done', 0, '')",
      "INSERT INTO audit_facts(audit_id, seq, name, type, value) VALUES (1, 9, 'n', 'real', 1.5)",
      "INSERT INTO outbox(key, channel, custom_channel, to_kind, to_id, to_address, to_name, template_id, locale, "
      "subject, body, created) VALUES ('k900', 'sms', '', 'client', 10, '', '', '', '', '', '', 0)"};
  for (const char* sql : inserts) {
    CAPTURE(sql);
    CHECK(ephemeral_tables(raw.db, sql) == 0);
    exec(raw.db, sql);
  }
  // and every constraint still holds: a value outside each list is refused.
  const char* refused[] = {
      "UPDATE activities SET contact = 'maybe' WHERE id = 900", "UPDATE deals SET status = 'paused' WHERE id = 900",
      "UPDATE tasks SET state = 'later' WHERE id = 900", "UPDATE audit_facts SET type = 'blob' WHERE seq = 9",
      "UPDATE outbox SET status = 'sent' WHERE key = 'k900'"};
  for (const char* sql : refused) {
    CAPTURE(sql);
    CHECK(sqlite3_exec(raw.db, sql, nullptr, nullptr, nullptr) == SQLITE_CONSTRAINT);
  }
}

TEST_CASE("storage.sqlite.newer_schema_is_refused") {
  TempDir dir;
  const auto file = dir.file("future.db");
  { SqliteStorage s{file}; }
  {
    Raw raw{file};
    exec(raw.db, "PRAGMA user_version = 4");
  }
  const auto before = bytes_of(file);
  CHECK(thrown<storage_error>([&] { SqliteStorage s{file}; }) ==
        fmt::format("sqlite storage: open '{}': database schema version 4 is newer than this build supports (3)", file));
  CHECK(bytes_of(file) == before);  // refused before touching anything
  {
    Raw raw{file};
    exec(raw.db, "PRAGMA user_version = 1000");
  }
  CHECK(thrown<storage_error>([&] { SqliteStorage s{file}; }) ==
        fmt::format("sqlite storage: open '{}': database schema version 1000 is newer than this build supports (3)", file));
}

TEST_CASE("storage.sqlite.failed_migration_changes_nothing") {
  TempDir dir;
  const auto file = dir.file("clash.db");
  {
    Raw raw{file};
    exec(raw.db, "CREATE TABLE tasks(x TEXT)");  // a host table in the way of ours
  }
  const auto msg = thrown<storage_error>([&] { SqliteStorage s{file}; });
  CHECK(msg.find("migrate") != std::string::npos);
  CHECK(msg.find("from schema version 0 to 1") != std::string::npos);
  CHECK(msg.find("table tasks already exists") != std::string::npos);
  Raw raw{file};  // the migration was one transaction: none of it landed
  CHECK(query(raw.db, "PRAGMA user_version") == "0");
  CHECK(query(raw.db, "SELECT count(*) FROM sqlite_schema WHERE name = 'managers'") == "0");
  CHECK(query(raw.db, "SELECT count(*) FROM sqlite_schema") == "1");
}

TEST_CASE("storage.sqlite.open_errors_name_the_file") {
  TempDir dir;
  const auto text = dir.file("notes.txt");
  std::ofstream(text) << "this is not a database, just some text that is long enough to have a header........."
                         "..................................................................................";
  const auto msg = thrown<storage_error>([&] { SqliteStorage s{text}; });
  CHECK(msg.rfind(fmt::format("sqlite storage: open '{}': ", text), 0) == 0);
  CHECK(msg.find("not a database") != std::string::npos);
  const auto missing_dir = dir.file("no/such/dir/crm.db");
  CHECK(thrown<storage_error>([&] { SqliteStorage s{missing_dir}; })
            .rfind(fmt::format("sqlite storage: open '{}': ", missing_dir), 0) == 0);
}

TEST_CASE("storage.sqlite.sqlite_errors_become_storage_errors") {
  SqliteStorage s{":memory:"};
  seed(s);
  exec(s.native_handle(), "DROP TABLE outbox");
  CHECK(thrown<storage_error>([&] { (void)s.outbox(); }) == "sqlite storage: outbox: no such table: outbox");
  exec(s.native_handle(), "DROP TABLE audit_facts");
  auto w = s.begin();
  w->set_label(SubjectRef::of(ClientId{11}), "forgotten");
  Message m;
  m.key = "k/msg";
  CHECK(thrown<storage_error>([&] { w->enqueue(m); }) == "sqlite storage: find_message: no such table: outbox");
  // the unit is still usable after a failed statement
  w->set_label(SubjectRef::of(ClientId{10}), "forgotten");
  CHECK(s.find_client(ClientId{10})->has_label("forgotten"));
  // An audit record waits in the unit's buffer: its error comes when it is
  // written (here by the read of the audit after it), and the unit, told the
  // record was written, refuses to commit.
  AuditRecord r{at(2026, 11, 22), "k", "forgotten", SubjectRef::of(ClientId{11}), "label", "", {{"n", std::int64_t{1}}}};
  w->append_audit(r);
  CHECK(thrown<storage_error>([&] { (void)s.audit_log(); }) == "sqlite storage: audit_log: no such table: audit_facts");
  CHECK(thrown<storage_error>([&] { w->commit(); }) ==
        "sqlite storage: commit: an earlier write of this unit of work failed when its rows were written");
  // and rolls back as a whole
  w.reset();
  CHECK_FALSE(s.find_client(ClientId{10})->has_label("forgotten"));
  CHECK_FALSE(s.find_client(ClientId{11})->has_label("forgotten"));
  CHECK_THROWS_WITH_AS(s.audit_log(), "sqlite storage: audit_log: no such table: audit_facts", storage_error);
}

TEST_CASE("storage.sqlite.a_transaction_lost_under_the_unit_is_noticed") {
  SqliteStorage s{":memory:"};
  seed(s);
  auto w = s.begin();
  w->set_label(SubjectRef::of(ClientId{10}), "forgotten");
  exec(s.native_handle(), "ROLLBACK");  // what SQLite does by itself after e.g. a full disk
  const auto msg = thrown<storage_error>([&] { w->set_label(SubjectRef::of(ClientId{11}), "forgotten"); });
  CHECK(msg.find("rolled back by SQLite") != std::string::npos);
  CHECK_THROWS_AS(w->commit(), storage_error);
  w.reset();
  // nothing was written statement by statement in autocommit mode
  CHECK_FALSE(s.find_client(ClientId{10})->has_label("forgotten"));
  CHECK_FALSE(s.find_client(ClientId{11})->has_label("forgotten"));
  auto again = s.begin();  // and the storage is usable again
  again->set_label(SubjectRef::of(ClientId{11}), "forgotten");
  again->commit();
  CHECK(s.find_client(ClientId{11})->has_label("forgotten"));
}

TEST_CASE("storage.sqlite.scan_clients_reads_kept_summaries_not_activities") {
  SqliteStorage s{":memory:"};
  seed(s);
  std::vector<ClientSummary> before;
  s.scan_clients([&](std::span<const ClientView> b) {
    for (const auto& v : b) before.push_back(*v.summary);
  });
  // Without the activities table, only kept summaries can still answer.
  exec(s.native_handle(), "DROP TABLE activities");
  std::vector<ClientSummary> after;
  s.scan_clients([&](std::span<const ClientView> b) {
    for (const auto& v : b) after.push_back(*v.summary);
  });
  CHECK(after == before);
  REQUIRE(after.size() == 2);
  CHECK(after[0].last_contact(ContactPolicy{}) == at(2026, 8, 14));
}

TEST_CASE("storage.sqlite.other_connections_see_only_commits") {
  TempDir dir;
  const auto file = dir.file("shared.db");
  SqliteStorage writer{file};
  seed(writer);
  SqliteStorage reader{file};
  CHECK(reader.find_client(ClientId{10}));
  auto w = writer.begin();
  w->put_client(client(12, "Initech", 1));
  w->reassign_client(ClientId{10}, ManagerId{1});
  CHECK_FALSE(reader.find_client(ClientId{12}));  // WAL: readers go on during a write
  CHECK(reader.find_client(ClientId{10})->owner == ManagerId{2});
  w->commit();
  CHECK(reader.find_client(ClientId{12}));
  CHECK(reader.find_client(ClientId{10})->owner == ManagerId{1});
}

TEST_CASE("storage.sqlite.large_scans_come_in_batches") {
  SqliteStorage s{":memory:"};
  constexpr int n = 5000;
  {
    auto w = s.begin();
    w->put_manager(manager(1, "A"));
    for (int i = n; i >= 1; --i) {
      w->put_client(client(i, "c", 1));
      w->add_activity(activity(i, i, 1, ActivityKind::call_out, at(2026, 1, 1) + Seconds{i}));
      if (i % 2) w->put_task(task(i, i, 1, at(2026, 12, 1)));
    }
    w->commit();
  }
  std::size_t batches = 0, seen = 0;
  std::int64_t last = 0;
  s.scan_clients(
      [&](std::span<const ClientView> b) {
        ++batches;
        CHECK(b.size() <= 512);
        for (const auto& v : b) {
          CHECK(v.client->id.value() > last);
          last = v.client->id.value();
          CHECK(v.summary->open_tasks == (last % 2 ? 1 : 0));
          ++seen;
        }
      },
      512);
  CHECK(seen == n);
  CHECK(batches == (n + 511) / 512);
  std::size_t tasks = 0;
  s.scan_open_tasks([&](std::span<const Task> b) { tasks += b.size(); }, 100);
  CHECK(tasks == n / 2);
}
}  // namespace nudge_sqlite_test_sqlite_storage
