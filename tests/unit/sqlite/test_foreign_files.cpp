// Files that are not Nudge databases (random bytes, text, another
// application's SQLite file) and Nudge files cut short: opening one raises a
// nudge::error naming the file, and leaves the file -- and its directory --
// byte for byte as they were.

#include <doctest/doctest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <set>
#include <string>

#include <sqlite3.h>
#include <unistd.h>

#include <nudge/sqlite/sqlite_storage.hpp>
#include <support/fixtures.hpp>
#include <support/temp_dir.hpp>

// Own namespace: the tests build as a unity build.
namespace nudge_sqlite_test_foreign_files {

using namespace nudge;
using namespace nudge::test;
namespace fs = std::filesystem;

namespace {

void write_bytes(const std::string& file, const std::string& bytes) {
  std::ofstream(file, std::ios::binary | std::ios::trunc) << bytes;
}

/// Every file of a directory with its bytes.
std::set<std::pair<std::string, std::string>> snapshot(const fs::path& dir) {
  std::set<std::pair<std::string, std::string>> out;
  for (const auto& e : fs::directory_iterator(dir)) out.emplace(e.path().filename().string(), bytes_of(e.path().string()));
  return out;
}

/// Raw SQL on a connection of the test's own (another application's code).
void exec(const std::string& file, const char* sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(file.c_str(), &db) == SQLITE_OK);
  char* err = nullptr;
  const int rc = sqlite3_exec(db, sql, nullptr, nullptr, &err);
  INFO(sql << ": " << (err ? err : ""));
  sqlite3_free(err);
  sqlite3_close(db);
  REQUIRE(rc == SQLITE_OK);
}

/// Opening `file` throws a nudge::error that names it and contains `why`;
/// nothing in its directory changes.
void check_refused(const std::string& file, const std::string& why) {
  const auto dir = fs::path(file).parent_path();
  const auto before = snapshot(dir);
  REQUIRE(before.size() == 1);
  std::string msg = "<nothing thrown>";
  try {
    SqliteStorage s{file};
  } catch (const nudge::error& e) {
    msg = e.what();
  } catch (const std::exception& e) {
    msg = std::string("<not a nudge::error> ") + e.what();
  }
  INFO(msg);
  CHECK(msg.rfind(fmt::format("sqlite storage: open '{}': ", file), 0) == 0);
  CHECK(msg.find(why) != std::string::npos);
  CHECK(snapshot(dir) == before);  // the file's bytes, and no -wal, -shm or -journal left beside it
  // and it is refused the same way again (nothing was half done the first time)
  CHECK_THROWS_AS(SqliteStorage{file}, nudge::error);
  CHECK(snapshot(dir) == before);
}

/// A Nudge file with enough rows to span many pages; its size in bytes.
std::uintmax_t nudge_file(const std::string& file) {
  {
    SqliteStorage s{file};
    auto w = s.begin();
    w->put_manager(manager(1, "Ivanova"));
    for (int i = 0; i < 400; ++i) {
      w->put_client(client(10 + i, fmt::format("Client number {} with a long enough name", i), 1));
      w->add_activity(activity(1000 + i, 10 + i, 1, ActivityKind::call_out, at(2026, 3, 1)));
    }
    w->commit();
  }
  REQUIRE_FALSE(fs::exists(file + "-wal"));  // the last close checkpoints the WAL into the file
  return fs::file_size(file);
}

}  // namespace

TEST_CASE("storage.sqlite.foreign.random_bytes") {
  TempDir dir;
  const auto file = dir.file("random.db");
  std::mt19937_64 rng{42};
  std::string bytes(8192, '\0');
  for (auto& b : bytes) b = static_cast<char>(rng() & 0xff);
  write_bytes(file, bytes);
  check_refused(file, "not a database");
}

TEST_CASE("storage.sqlite.foreign.text_files") {
  TempDir dir;
  SUBCASE("a long one") {
    const auto file = dir.file("notes.txt");
    std::string text;
    for (int i = 0; i < 200; ++i) text += fmt::format("line {}: nothing to see here\n", i);
    write_bytes(file, text);
    check_refused(file, "not a database");
  }
  SUBCASE("shorter than a header") {
    const auto file = dir.file("short.txt");
    write_bytes(file, "hello\n");
    check_refused(file, "not a database");
  }
  SUBCASE("the SQLite magic and nothing else") {
    const auto file = dir.file("magic.db");
    write_bytes(file, std::string("SQLite format 3", 16));
    check_refused(file, "truncated");
  }
}

TEST_CASE("storage.sqlite.foreign.another_applications_sqlite_file") {
  TempDir dir;
  const auto file = dir.file("other.db");
  SUBCASE("says whose it is (application_id), in WAL mode") {
    // Without the application_id check, a version 0 file is taken for a host
    // database and Nudge's tables are added to it.
    exec(file, "PRAGMA journal_mode = WAL; PRAGMA application_id = 1196444487; "  // 'GPKG'
               "CREATE TABLE features(id INTEGER PRIMARY KEY, geom BLOB); INSERT INTO features VALUES (1, x'00')");
    check_refused(file, "not a Nudge database: it belongs to another application (application_id 0x47504b47)");
  }
  SUBCASE("has a schema version of its own") {
    exec(file, "PRAGMA user_version = 7; CREATE TABLE notes(id INTEGER PRIMARY KEY, body TEXT); "
               "INSERT INTO notes VALUES (1, 'x')");
    check_refused(file, "not a Nudge database: schema version 7 but Nudge's tables are missing");
  }
  SUBCASE("has a schema version Nudge once had") {
    // Without the table check it is taken for a Nudge v1 file and the v2
    // migration is tried on it (which fails here on the foreign outbox).
    exec(file, "PRAGMA user_version = 1; CREATE TABLE outbox(id INTEGER PRIMARY KEY, mail TEXT); "
               "CREATE TABLE clients(id INTEGER PRIMARY KEY)");
    check_refused(file, "not a Nudge database: schema version 1 but Nudge's tables are missing");
  }
}

TEST_CASE("storage.sqlite.foreign.truncated_nudge_files") {
  TempDir dir;
  const auto whole_file = dir.file("whole.db");
  const auto size = nudge_file(whole_file);
  const auto whole = bytes_of(whole_file);
  const std::size_t page = 4096;
  REQUIRE(size > 8 * page);
  REQUIRE(size % page == 0);
  fs::remove(whole_file);
  const auto file = dir.file("crm.db");
  auto cut = [&](std::size_t n) { write_bytes(file, whole.substr(0, n)); };
  SUBCASE("inside the header") {
    cut(50);
    check_refused(file, "truncated: 50 bytes, shorter than the 100-byte SQLite header");
  }
  SUBCASE("inside the first page") {
    cut(1000);
    check_refused(file, "truncated: 1000 bytes is not a whole number of 4096-byte pages");
  }
  SUBCASE("one page left") {
    cut(page);
    check_refused(file, fmt::format("the file has {} bytes", page));
  }
  SUBCASE("half of it, on a page boundary") {
    cut(size / page / 2 * page);
    check_refused(file, "truncated: the header counts");
  }
  SUBCASE("the last page missing") {
    cut(size - page);
    check_refused(file, "truncated");
  }
  SUBCASE("one byte missing") {
    cut(size - 1);
    check_refused(file, "truncated");
  }
  SUBCASE("the whole file still opens") {  // the checks refuse only what is wrong
    cut(size);
    SqliteStorage s{file};
    CHECK(s.client_count() == 400);
    CHECK(s.find_client(ClientId{409}));
  }
}
}  // namespace nudge_sqlite_test_foreign_files
