// Bulk units of work on SQLite (an import into a new file): a unit that
// inserts many new rows into entity tables that held none drops their
// secondary indexes and recreates them before anything else reads or commits,
// and writes each new client's summary row once, with its values. Neither may
// show: the committed file has every index, the summaries equal those computed
// from the rows, and a rollback leaves the file as it was.

#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include <sqlite3.h>

#include <nudge/sqlite/sqlite_storage.hpp>
#include <support/fixtures.hpp>
#include <support/temp_dir.hpp>

// Own namespace: the tests build as a unity build.
namespace nudge_sqlite_test_bulk {

using namespace nudge;
using namespace nudge::test;

namespace {

/// Rows of one query, each row's columns joined with '|'.
std::vector<std::string> rows_of(sqlite3* db, const char* sql) {
  sqlite3_stmt* st = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, sql, -1, &st, nullptr) == SQLITE_OK);
  std::vector<std::string> out;
  while (sqlite3_step(st) == SQLITE_ROW) {
    std::string row;
    for (int c = 0; c < sqlite3_column_count(st); ++c) {
      const auto* t = sqlite3_column_text(st, c);
      row += (c ? "|" : "") + std::string(t ? reinterpret_cast<const char*>(t) : "NULL");
    }
    out.push_back(std::move(row));
  }
  sqlite3_finalize(st);
  return out;
}

std::vector<std::string> indexes(sqlite3* db) {
  return rows_of(db, "SELECT name, tbl_name, sql FROM sqlite_schema WHERE type = 'index' ORDER BY name");
}

constexpr int clients = 150;

/// Many new rows of every kind, including puts that replace rows the unit
/// wrote (a client, tasks that close or move to another client).
void bulk(UnitOfWork& w) {
  w.put_manager(manager(1, "Ivanova"));
  w.put_manager(manager(2, "Petrov", 1));
  for (int c = 1; c <= clients; ++c) w.put_client(client(c, "Client " + std::to_string(c), 1 + c % 2));
  for (int d = 1; d <= clients; ++d) w.put_deal(deal(d, d, 1, "proposal", at(2026, 2, 1)));
  std::int64_t id = 1;
  for (int c = 1; c <= clients; c += 2) {
    for (int k = 0; k < 3; ++k, ++id) {
      auto t = task(id, c, 1, at(2026, 6, 1) + std::chrono::days{c % 7 + k});
      if (k == 1) t.deal = DealId{c};
      if (k == 2 && c % 3 == 0) {
        t.state = TaskState::done;
        t.closed = at(2026, 4, 1) + std::chrono::days{c % 5};
      }
      if (k == 0 && c % 5 == 0) t.origin = "rule:r1";
      w.put_task(t);
    }
  }
  std::int64_t a = 1;
  for (int c = 1; c <= clients; ++c)
    for (int k = 0; k < 9; ++k, ++a) {
      auto act = activity(a, c, 1 + k % 2, static_cast<ActivityKind>((c + k) % activity_kind_count),
                          at(2026, 3, 1) + std::chrono::hours{c * 7 + k * 13});
      if (act.kind == ActivityKind::other) act.custom_kind = "visit";
      if (k == 4) act.contact = Contact::yes;
      if (k == 5) act.contact = Contact::no;
      w.add_activity(act);
    }
  for (int i = 1; i <= clients; ++i)
    w.put_invoice(invoice(i, i, 100.0 + i, at(2026, 1, 1), at(2026, 2, 1)));
  // replacing puts of rows the unit wrote
  auto moved = task(4, 9, 2, at(2026, 7, 1));
  moved.state = TaskState::done;
  moved.closed = at(2026, 5, 5);
  w.put_task(moved);  // was client 3's, open
  w.put_client(client(10, "Renamed", 2));
}

void check_summaries(const SqliteStorage& s) {
  int seen = 0;
  s.scan_clients([&](std::span<const ClientView> batch) {
    for (const auto& v : batch) {
      REQUIRE(v.summary);
      CHECK(*v.summary == s.summarize(v.client->id));
      ++seen;
    }
  });
  CHECK(seen == clients);
}

}  // namespace

TEST_CASE("storage.sqlite.bulk.indexes_come_back_and_summaries_are_those_of_the_rows") {
  TempDir dir;
  SqliteStorage s{dir.file("crm.db")};
  sqlite3* db = s.native_handle();
  const auto before = indexes(db);
  REQUIRE(before.size() >= 10);
  auto w = s.begin();
  bulk(*w);
  // inside the unit, before any read: the bulk tables' indexes are gone ...
  const auto during = indexes(db);
  CHECK(during.size() < before.size());
  // ... a read brings them back first (and sees every write)
  CHECK(s.activities_of(ClientId{7}, at(2000, 1, 1)).size() == 9);
  CHECK(indexes(db) == before);
  // more new rows after the read: the indexes are kept up as usual
  for (int k = 0; k < 100; ++k)
    w->add_activity(activity(10'000 + k, 7, 1, ActivityKind::meeting, at(2026, 8, 1) + std::chrono::hours{k}));
  w->commit();
  CHECK(indexes(db) == before);
  CHECK(rows_of(db, "PRAGMA integrity_check") == std::vector<std::string>{"ok"});
  CHECK(rows_of(db, "PRAGMA foreign_key_check").empty());
  check_summaries(s);
  const auto c3 = s.summary_of(ClientId{3});
  REQUIRE(c3);
  CHECK(c3->open_tasks == 1);  // task 4 moved to client 9, task 6 done
  const auto c9 = s.summary_of(ClientId{9});
  REQUIRE(c9);
  CHECK(c9->open_tasks == 2);
  CHECK(c9->last_task_done == at(2026, 5, 5));
}

TEST_CASE("storage.sqlite.bulk.a_commit_without_a_read_has_every_index") {
  TempDir dir;
  const auto file = dir.file("crm.db");
  std::vector<std::string> before;
  {
    SqliteStorage s{file};
    before = indexes(s.native_handle());
    auto w = s.begin();
    bulk(*w);
    w->commit();
  }
  SqliteStorage s{file};
  CHECK(indexes(s.native_handle()) == before);
  CHECK(rows_of(s.native_handle(), "PRAGMA integrity_check") == std::vector<std::string>{"ok"});
  check_summaries(s);
  // a second bulk unit into tables that are no longer empty keeps their indexes
  auto w = s.begin();
  for (int c = clients + 1; c <= clients + 100; ++c) w->put_client(client(c, "More", 1));
  CHECK(indexes(s.native_handle()) == before);
  w->commit();
}

TEST_CASE("storage.sqlite.bulk.a_rollback_leaves_the_file_as_it_was") {
  TempDir dir;
  const auto file = dir.file("crm.db");
  {
    SqliteStorage s{file};
    auto w = s.begin();
    w->put_manager(manager(1, "Ivanova"));
    w->commit();
  }
  const auto bytes = bytes_of(file);
  REQUIRE(!bytes.empty());
  std::vector<std::string> before;
  {
    SqliteStorage s{file};
    before = indexes(s.native_handle());
    {
      auto w = s.begin();
      bulk(*w);
      CHECK(indexes(s.native_handle()).size() < before.size());
    }  // never committed: rolled back
    CHECK(indexes(s.native_handle()) == before);
    CHECK(s.client_count() == 0);
  }
  CHECK(bytes_of(file) == bytes);  // not a byte changed
  // the same import again, committed, is whole
  SqliteStorage s{file};
  auto w = s.begin();
  bulk(*w);
  w->commit();
  CHECK(indexes(s.native_handle()) == before);
  check_summaries(s);
}

}  // namespace nudge_sqlite_test_bulk

namespace nudge_sqlite_test_bulk {

TEST_CASE("storage.sqlite.bulk.a_unit_on_a_file_without_entities_checks_references_at_its_commit") {
  TempDir dir;
  const auto file = dir.file("crm.db");
  SqliteStorage s{file};
  sqlite3* db = s.native_handle();
  const char* dangling = "INSERT INTO client_labels(client_id, label, note) VALUES (999, 'x', '')";
  {
    auto w = s.begin();
    // no entities: SQLite's enforcement is off for this unit ...
    CHECK(rows_of(db, "PRAGMA foreign_keys") == std::vector<std::string>{"0"});
    bulk(*w);
    REQUIRE(sqlite3_exec(db, dangling, nullptr, nullptr, nullptr) == SQLITE_OK);  // past the port's checks
    // ... and the commit checks every reference: nothing is written
    CHECK_THROWS_WITH_AS(w->commit(),
                         "sqlite storage: commit: FOREIGN KEY constraint failed: client_labels row ? refers to a "
                         "missing clients row",
                         not_found);
    CHECK_THROWS_AS(w->commit(), storage_error);
  }
  CHECK(rows_of(db, "PRAGMA foreign_keys") == std::vector<std::string>{"1"});
  CHECK(s.client_count() == 0);
  CHECK(rows_of(db, "SELECT count(*) FROM client_labels") == std::vector<std::string>{"0"});
  {
    auto w = s.begin();
    bulk(*w);
    w->commit();  // references that hold commit
  }
  CHECK(rows_of(db, "PRAGMA foreign_keys") == std::vector<std::string>{"1"});
  CHECK(s.client_count() == clients);
  // with entities stored, enforcement stays on inside a unit: the raw insert fails at once
  auto w = s.begin();
  CHECK(rows_of(db, "PRAGMA foreign_keys") == std::vector<std::string>{"1"});
  CHECK(sqlite3_exec(db, dangling, nullptr, nullptr, nullptr) == SQLITE_CONSTRAINT);
  w->commit();
}


TEST_CASE("storage.sqlite.bulk.a_host_table_is_not_judged_at_the_commit") {
  // A host keeps its own tables in the file, with a dangling reference of its
  // own (its connection never enforced foreign keys): Nudge's check at the
  // commit looks at Nudge's tables only.
  TempDir dir;
  const auto file = dir.file("crm.db");
  SqliteStorage s{file};
  sqlite3* db = s.native_handle();
  REQUIRE(sqlite3_exec(db,
                       "PRAGMA foreign_keys = OFF; CREATE TABLE host_parent(id INTEGER PRIMARY KEY); "
                       "CREATE TABLE host_child(parent INTEGER REFERENCES host_parent(id)); "
                       "INSERT INTO host_child VALUES (42); PRAGMA foreign_keys = ON;",
                       nullptr, nullptr, nullptr) == SQLITE_OK);
  auto w = s.begin();
  bulk(*w);
  w->commit();
  CHECK(s.client_count() == clients);
  CHECK(rows_of(db, "SELECT count(*) FROM host_child") == std::vector<std::string>{"1"});
}

}  // namespace nudge_sqlite_test_bulk
