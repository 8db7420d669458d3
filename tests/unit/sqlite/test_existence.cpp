// The SQLite adapter's existence hooks (has_client, has_manager, has_task,
// has_deal) and client_count(): the port's reference checks call them for
// every write, so each is one primary-key probe, not a find_*() of the whole
// entity with its child rows.

#include <doctest/doctest.h>

#include <algorithm>
#include <string>
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
  log.sql.clear();
  // and so an activity costs three probes (its id is new, its client and
  // manager exist), its insert and its summary slot: five statements, not two
  // whole entities read with their child rows
  auto w = s.begin();
  log.sql.clear();
  w->add_activity(activity(100, 10, 1, ActivityKind::call_out, at(2026, 3, 1)));
  REQUIRE(log.sql.size() == 5);
  std::vector<std::string> probes(log.sql.begin(), log.sql.begin() + 3);
  std::sort(probes.begin(), probes.end());
  CHECK(probes == std::vector<std::string>{"SELECT 1 FROM activities WHERE id = ?1",
                                           "SELECT 1 FROM clients WHERE id = ?1 LIMIT 1",
                                           "SELECT 1 FROM managers WHERE id = ?1 LIMIT 1"});
  CHECK(log.sql[3].rfind("INSERT INTO activities", 0) == 0);
  CHECK(log.sql[4].rfind("UPDATE client_summary", 0) == 0);
  w->commit();
}
}  // namespace nudge_sqlite_test_existence
