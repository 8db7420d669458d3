// The SQLite adapter's existence hooks (has_client, has_manager, has_task,
// has_deal) and client_count(): the port's reference checks call them for
// every write, so each is one primary-key probe, not a find_*() of the whole
// entity with its child rows.

#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include <sqlite3.h>

#include <nudge/sqlite/sqlite_storage.hpp>
#include <support/fixtures.hpp>

// Own namespace: the tests build as a unity build.
namespace nudge_sqlite_test_existence {

using namespace nudge;
using namespace nudge::test;

namespace {

/// Counts (and keeps) the statements a connection runs while it lives.
struct StatementLog {
  sqlite3* db;
  std::vector<std::string> sql;
  explicit StatementLog(sqlite3* d) : db(d) {
    sqlite3_trace_v2(db, SQLITE_TRACE_STMT, &StatementLog::on_statement, this);
  }
  ~StatementLog() { sqlite3_trace_v2(db, 0, nullptr, nullptr); }
  StatementLog(const StatementLog&) = delete;
  StatementLog& operator=(const StatementLog&) = delete;
  static int on_statement(unsigned, void* self, void* stmt, void*) {
    static_cast<StatementLog*>(self)->sql.emplace_back(sqlite3_sql(static_cast<sqlite3_stmt*>(stmt)));
    return 0;
  }
};

/// The query plan's detail lines of `sql` (EXPLAIN QUERY PLAN).
std::string query_plan(sqlite3* db, const std::string& sql) {
  sqlite3_stmt* st = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, ("EXPLAIN QUERY PLAN " + sql).c_str(), -1, &st, nullptr) == SQLITE_OK);
  std::string out;
  while (sqlite3_step(st) == SQLITE_ROW) out += reinterpret_cast<const char*>(sqlite3_column_text(st, 3)) + std::string("\n");
  sqlite3_finalize(st);
  return out;
}

void seed(Storage& s) {
  auto w = s.begin();
  w->put_manager(manager(1, "Ivanova"));
  auto c = client(10, "Acme", 1);
  c.segments = {"north", "smb", "retail"};
  c.labels = {{"vip", ""}, {"slow", "pays late"}};
  w->put_client(c);
  auto d = deal(7, 10, 1, "proposal", at(2026, 2, 1));
  d.history = {{"lead", at(2026, 2, 1), at(2026, 3, 1)}};
  w->put_deal(d);
  w->put_task(task(5, 10, 1, at(2026, 12, 1)));
  w->commit();
}

}  // namespace

TEST_CASE("storage.sqlite.existence.answers_match_the_lookups") {
  SqliteStorage s{":memory:"};
  CHECK(s.client_count() == 0);
  CHECK_FALSE(s.has_client(ClientId{10}));
  seed(s);
  CHECK(s.has_client(ClientId{10}));
  CHECK(s.has_manager(ManagerId{1}));
  CHECK(s.has_task(TaskId{5}));
  CHECK(s.has_deal(DealId{7}));
  CHECK_FALSE(s.has_client(ClientId{11}));
  CHECK_FALSE(s.has_manager(ManagerId{10}));  // ids of another kind do not count
  CHECK_FALSE(s.has_task(TaskId{7}));
  CHECK_FALSE(s.has_deal(DealId{5}));
  CHECK(s.client_count() == 1);
  SUBCASE("inside a unit of work: its own writes count, and go with a rollback") {
    {
      auto w = s.begin();
      w->put_client(client(11, "Globex", 1));
      w->put_client(client(12, "Initech", 1));
      w->put_manager(manager(2, "Petrov", 1));
      CHECK(s.has_client(ClientId{11}));
      CHECK(s.has_manager(ManagerId{2}));
      CHECK(s.client_count() == 3);
      // the port's checks go through the hooks: a task for the new client passes
      w->put_task(task(6, 12, 2, at(2026, 12, 2)));
      CHECK(s.has_task(TaskId{6}));
    }
    CHECK_FALSE(s.has_client(ClientId{11}));
    CHECK_FALSE(s.has_manager(ManagerId{2}));
    CHECK_FALSE(s.has_task(TaskId{6}));
    CHECK(s.client_count() == 1);
  }
  SUBCASE("unknown references are still refused") {
    auto w = s.begin();
    CHECK_THROWS_AS(w->put_client(client(11, "Globex", 99)), not_found);
    CHECK_THROWS_AS(w->add_activity(activity(100, 99, 1, ActivityKind::call_out, at(2026, 3, 1))), not_found);
    auto t = task(6, 10, 1, at(2026, 12, 2));
    t.deal = DealId{8};
    CHECK_THROWS_AS(w->put_task(t), not_found);
    t.deal.reset();
    t.based_on = TaskId{99};
    CHECK_THROWS_AS(w->put_task(t), not_found);
  }
}

TEST_CASE("storage.sqlite.existence.one_primary_key_probe_each") {
  SqliteStorage s{":memory:"};
  seed(s);
  StatementLog log{s.native_handle()};
  CHECK(s.has_client(ClientId{10}));
  CHECK(s.has_manager(ManagerId{1}));
  CHECK(s.has_task(TaskId{5}));
  CHECK(s.has_deal(DealId{7}));
  CHECK_FALSE(s.has_deal(DealId{8}));
  REQUIRE(log.sql.size() == 5);  // no BEGIN/COMMIT around them, no child rows
  for (const auto& sql : log.sql) {
    INFO(sql);
    CHECK(sql.rfind("SELECT 1 FROM ", 0) == 0);
    CHECK(sql.find("LIMIT 1") != std::string::npos);
    // the plan is a search by the integer primary key, never a scan
    const auto plan = query_plan(s.native_handle(), sql);
    CHECK(plan.find("USING INTEGER PRIMARY KEY") != std::string::npos);
    CHECK(plan.find("SCAN") == std::string::npos);
  }
}

TEST_CASE("storage.sqlite.existence.a_unit_of_work_knows_what_it_wrote") {
  // Inside a unit of work the connection holds the write lock and entities are
  // never deleted: an id the unit wrote exists, and an id above the largest
  // stored when the unit first asked (and not written by it) does not. Only
  // the rest costs a probe.
  SqliteStorage s{":memory:"};
  seed(s);  // client 10, manager 1, deal 7, task 5
  StatementLog log{s.native_handle()};
  auto w = s.begin();
  log.sql.clear();
  CHECK(s.has_client(ClientId{10}));        // max(id) of clients, then a probe (10 is not above it)
  CHECK(s.has_client(ClientId{10}));        // known now
  CHECK_FALSE(s.has_client(ClientId{11}));  // above the largest: no probe
  CHECK_FALSE(s.has_activity(ActivityId{100}));  // an empty table: nothing is stored
  CHECK(log.sql == std::vector<std::string>{"SELECT max(id) FROM clients", "SELECT 1 FROM clients WHERE id = ?1 LIMIT 1",
                                            "SELECT max(id) FROM activities"});
  w->put_client(client(11, "Globex", 1));
  CHECK(s.has_client(ClientId{11}));  // written by the unit
  log.sql.clear();
  // Sixty activities of known clients by a known manager (probed when client
  // 11 was put), with ids above the largest: no statement at all until the
  // rows are written together.
  for (int i = 0; i < 60; ++i)
    w->add_activity(activity(100 + i, 10 + i % 2, 1, ActivityKind::call_out, at(2026, 3, 1) + std::chrono::hours{i}));
  CHECK(log.sql.empty());
  // A read sees them: the buffered rows (32 + 16 + 8 + 4 activities, the
  // client and its rows) and the summaries are written first.
  CHECK(s.activities_of(ClientId{11}, at(2026, 1, 1)).size() == 30);
  auto count = [&](std::string_view prefix) {
    return std::count_if(log.sql.begin(), log.sql.end(), [&](const std::string& q) { return q.rfind(prefix, 0) == 0; });
  };
  CHECK(count("INSERT INTO activities") == 4);
  CHECK(count("INSERT INTO clients") == 1);
  // once per client, not once per activity: client 11 is new, its summary row
  // is inserted with its values; client 10's is updated
  CHECK(count("INSERT INTO client_summary") == 1);
  CHECK(count("UPDATE client_summary") == 1);
  w->commit();
  s.scan_clients([&](std::span<const ClientView> b) {
    REQUIRE(b.size() == 2);
    for (const auto& v : b) CHECK(*v.summary == s.summarize(v.client->id));
    CHECK(b[1].summary->last_by_kind[static_cast<std::size_t>(ActivityKind::call_out)] ==
          at(2026, 3, 1) + std::chrono::hours{59});
  });
}

TEST_CASE("storage.sqlite.existence.a_failed_buffered_write_fails_the_unit") {
  SqliteStorage s{":memory:"};
  seed(s);
  auto w = s.begin();
  w->put_client(client(11, "Globex", 1));
  w->add_activity(activity(100, 11, 1, ActivityKind::call_out, at(2026, 3, 1)));
  // the rows wait; the table they go to disappears (inside the unit's transaction)
  REQUIRE(sqlite3_exec(s.native_handle(), "DROP TABLE activities", nullptr, nullptr, nullptr) == SQLITE_OK);
  CHECK_THROWS_AS(w->commit(), storage_error);
  // rows the unit was told were written are lost: it cannot go on, nor commit
  CHECK_THROWS_WITH_AS(w->set_label(SubjectRef::of(ClientId{10}), "x"),
                       "sqlite storage: set_label 10: an earlier write of this unit of work failed when its rows were "
                       "written",
                       storage_error);
  CHECK_THROWS_AS(w->commit(), storage_error);
  w.reset();  // rolled back: the table is back, without the unit's writes
  CHECK_FALSE(s.has_client(ClientId{11}));
  CHECK_FALSE(s.has_activity(ActivityId{100}));
  auto again = s.begin();
  again->put_client(client(11, "Globex", 1));
  again->commit();
  CHECK(s.has_client(ClientId{11}));
}
}  // namespace nudge_sqlite_test_existence
