// The fast path of a unit of work on a new file (an import): its rollback
// journal in memory, no WAL, one sync at the commit, and the file marked
// unfinished in its header until then. What it must keep: the same rows as
// the usual path; a failed unit leaves no rows; an interrupted one (the
// process killed) is refused when the file is opened again, naming the file;
// other connections see nothing before the commit and everything after it.

#include <doctest/doctest.h>

#include <csignal>
#include <cstdint>
#include <fstream>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include <nudge/sqlite/sqlite_storage.hpp>
#include <support/fixtures.hpp>
#include <support/temp_dir.hpp>

// Own namespace: the tests build as a unity build.
namespace nudge_sqlite_test_fast_import {

using namespace nudge;
using namespace nudge::test;

namespace {

constexpr std::uint32_t unfinished_mark = 0x4E75494D;  // "NuIM", PRAGMA application_id
constexpr int activities_per_client = 15;

/// The application_id in the file's own header bytes (what is on disk).
std::uint32_t mark_on_disk(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  unsigned char h[72] = {};
  in.read(reinterpret_cast<char*>(h), sizeof h);
  if (in.gcount() < 72) return 0;
  return (std::uint32_t{h[68]} << 24) | (std::uint32_t{h[69]} << 16) | (std::uint32_t{h[70]} << 8) | h[71];
}

/// One value of a query on a raw connection ("" for NULL); SQLite's error
/// code instead when it fails.
struct Answer {
  int rc = SQLITE_OK;
  std::string value;
};
Answer ask(sqlite3* db, const char* sql) {
  sqlite3_stmt* st = nullptr;
  Answer a;
  a.rc = sqlite3_prepare_v2(db, sql, -1, &st, nullptr);
  if (a.rc != SQLITE_OK) return a;
  a.rc = sqlite3_step(st);
  if (a.rc == SQLITE_ROW) {
    const auto* t = sqlite3_column_text(st, 0);
    a.value = t ? reinterpret_cast<const char*>(t) : "";
    a.rc = SQLITE_OK;
  } else if (a.rc == SQLITE_DONE) {
    a.rc = SQLITE_OK;
  }
  sqlite3_finalize(st);
  return a;
}
std::string value(sqlite3* db, const char* sql) {
  const auto a = ask(db, sql);
  REQUIRE(a.rc == SQLITE_OK);
  return a.value;
}

/// A raw connection of its own (a host's, another tool's).
struct Raw {
  sqlite3* db = nullptr;
  explicit Raw(const std::string& file, int busy_ms = 5000) {
    REQUIRE(sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) == SQLITE_OK);
    sqlite3_busy_timeout(db, busy_ms);
  }
  ~Raw() { sqlite3_close(db); }
  Raw(const Raw&) = delete;
  Raw& operator=(const Raw&) = delete;
};

/// Rows of every kind in every table, clients [first, last]: per client 15
/// activities, a deal with history, a hold and a label, two tasks (one on the
/// deal, some done), an invoice with payments. 2,000 clients are about 4 MB,
/// twice SQLite's default page cache, so pages reach the file before the commit.
void fill(UnitOfWork& w, int first, int last) {
  if (first == 1) {
    w.put_manager(manager(1, "Ivanova"));
    w.put_manager(manager(2, "Petrov", 1));
    w.put_manager(manager(3, "Sidorova", 1));
  }
  for (int c = first; c <= last; ++c) {
    auto cl = client(c, "Client " + std::to_string(c), 1 + c % 3, c % 2 ? "smb" : "retail");
    if (c % 7 == 0) cl.labels["vip"] = "since 2024";
    cl.email = "c" + std::to_string(c) + "@example.com";
    w.put_client(cl);
    auto d = deal(c, c, 1 + c % 3, c % 4 ? "proposal" : "negotiation", at(2026, 1, 1) + std::chrono::hours{c});
    d.history.push_back({"lead", at(2025, 12, 1), at(2026, 1, 1) + std::chrono::hours{c}});
    if (c % 5 == 0) d.holds.push_back({at(2026, 2, 1), at(2026, 2, 8), "waiting"});
    if (c % 9 == 0) d.labels["stale"] = "";
    if (c % 6 == 0) {
      d.status = DealStatus::won;
      d.closed = d.opened + std::chrono::days{10 + c % 50};
    }
    w.put_deal(d);
    for (int k = 0; k < 2; ++k) {
      auto t = task(2 * c + k, c, 1 + (c + k) % 3, at(2026, 6, 1) + std::chrono::days{(c + k) % 30});
      if (k == 1) t.deal = DealId{c};
      if (k == 0 && c % 4 == 0) {
        t.state = TaskState::done;
        t.closed = at(2026, 4, 1) + std::chrono::days{c % 20};
      }
      if (k == 1 && c % 10 == 0) t.origin = "rule:r1";
      w.put_task(t);
    }
    for (int k = 0; k < activities_per_client; ++k) {
      const auto kind = static_cast<ActivityKind>((c + k) % activity_kind_count);
      const auto when = at(2026, 3, 1) + std::chrono::hours{c % 97 * 7 + k * 13};
      auto a = activity(std::int64_t{c} * 100 + k, c, 1 + k % 3, kind, when);
      if (a.kind == ActivityKind::other) a.custom_kind = "visit";
      if (k == 4) a.contact = Contact::yes;
      if (k == 5) a.contact = Contact::no;
      a.subject = "about order " + std::to_string(c * 31 + k);
      w.add_activity(a);
    }
    auto i = invoice(c, c, 100.0 + c % 400, at(2026, 1, 1), at(2026, 2, 1));
    if (c % 3 == 0) i.deal = DealId{c};
    if (c % 2 == 0) {
      i.payments.push_back({at(2026, 1, 20), i.amount.cents / 2});
      i.payments.push_back({at(2026, 1, 25), i.amount.cents - i.amount.cents / 2});
      i.paid = at(2026, 1, 25);
    }
    w.put_invoice(i);
  }
}

/// Everything readable through the port about clients 1..n, and the summaries
/// scan_clients hands out (checked against summarize()).
struct Contents {
  std::vector<Manager> managers;
  std::vector<Client> clients;
  std::vector<ClientSummary> summaries;
  std::vector<std::vector<Activity>> activities;
  std::vector<std::vector<Task>> tasks;
  std::vector<std::vector<Deal>> deals;
  std::vector<std::vector<Invoice>> invoices;
  friend bool operator==(const Contents&, const Contents&) = default;
};
Contents contents(const SqliteStorage& s, int n) {
  Contents out;
  out.managers = s.managers();
  for (int c = 1; c <= n; ++c) {
    const ClientId id{c};
    auto cl = s.find_client(id);
    REQUIRE(cl);
    out.clients.push_back(*cl);
    out.activities.push_back(s.activities_of(id, at(2000, 1, 1)));
    out.tasks.push_back(s.tasks_of(id, false));
    out.deals.push_back(s.deals_of(id));
    out.invoices.push_back(s.invoices_of(id));
  }
  s.scan_clients([&](std::span<const ClientView> batch) {
    for (const auto& v : batch) {
      REQUIRE(v.summary);
      CHECK(*v.summary == s.summarize(v.client->id));
      out.summaries.push_back(*v.summary);
    }
  });
  CHECK(out.summaries.size() == static_cast<std::size_t>(n));
  return out;
}

/// The file after a unit that ended on the fast path: back in WAL with
/// syncing as before, unmarked, whole.
void check_back_to_normal(const SqliteStorage& s) {
  sqlite3* db = s.native_handle();
  CHECK(value(db, "PRAGMA journal_mode") == "wal");
  CHECK(value(db, "PRAGMA synchronous") == "2");
  CHECK(value(db, "PRAGMA application_id") == "0");
  CHECK(value(db, "PRAGMA foreign_keys") == "1");
  CHECK(value(db, "PRAGMA integrity_check") == "ok");
  CHECK(mark_on_disk(s.path()) == 0);
}

std::int64_t count(sqlite3* db, const char* table) {
  return std::stoll(value(db, (std::string("SELECT count(*) FROM ") + table).c_str()));
}

constexpr std::array<const char*, 16> tables{
    "managers", "manager_segments", "clients", "client_segments", "client_labels", "client_summary",
    "activities", "deals", "deal_history", "deal_holds", "deal_labels", "tasks", "invoices", "invoice_payments",
    "actions", "audit"};

void check_empty(const std::string& file) {
  SqliteStorage s{file};
  for (const char* t : tables) {
    CAPTURE(t);
    CHECK(count(s.native_handle(), t) == 0);
  }
  check_back_to_normal(s);
}

/// What opening `file` throws ("" when it opens).
std::string open_error(const std::string& file) {
  try {
    SqliteStorage s{file};
    return "";
  } catch (const storage_error& e) {
    return e.what();
  }
}

}  // namespace

TEST_CASE("storage.sqlite.fast_import.the_same_rows_as_the_usual_path") {
  TempDir dir;
  const auto fast_file = dir.file("fast.db");
  const auto usual_file = dir.file("usual.db");
  constexpr int n = 2000;
  {
    SqliteStorage s{fast_file};
    // a scan first: the storage's own read-ahead connection is closed for the unit
    s.scan_clients([](std::span<const ClientView>) {});
    auto w = s.begin();
    CHECK(mark_on_disk(fast_file) == unfinished_mark);  // marked before a row is written
    CHECK(value(s.native_handle(), "PRAGMA journal_mode") == "memory");
    fill(*w, 1, n);
    w->commit();
    check_back_to_normal(s);
  }
  {
    SqliteStorage s{usual_file};
    Raw other{usual_file};  // another connection has the file open: the usual path (WAL)
    CHECK(value(other.db, "SELECT count(*) FROM clients") == "0");
    auto w = s.begin();
    CHECK(mark_on_disk(usual_file) == 0);
    CHECK(value(s.native_handle(), "PRAGMA journal_mode") == "wal");
    fill(*w, 1, n);
    w->commit();
  }
  SqliteStorage fast{fast_file};
  SqliteStorage usual{usual_file};
  const auto a = contents(fast, n);
  const auto b = contents(usual, n);
  CHECK(a.managers == b.managers);
  CHECK(a.clients == b.clients);
  CHECK(a.summaries == b.summaries);
  CHECK(a.activities == b.activities);
  CHECK(a.tasks == b.tasks);
  CHECK(a.deals == b.deals);
  CHECK(a.invoices == b.invoices);
  CHECK(a.activities[41].size() == activities_per_client);
  CHECK(value(fast.native_handle(), "SELECT group_concat(name) FROM (SELECT name FROM sqlite_schema "
                                    "WHERE type = 'index' ORDER BY name)") ==
        value(usual.native_handle(), "SELECT group_concat(name) FROM (SELECT name FROM sqlite_schema "
                                     "WHERE type = 'index' ORDER BY name)"));
  CHECK(value(fast.native_handle(), "PRAGMA foreign_key_check") == "");
  // the next unit on the file (entities now) is an ordinary one
  {
    auto w = fast.begin();
    CHECK(mark_on_disk(fast_file) == 0);
    CHECK(value(fast.native_handle(), "PRAGMA journal_mode") == "wal");
    fill(*w, n + 1, n + 10);
    w->commit();
  }
  CHECK(fast.client_count() == n + 10);
}

TEST_CASE("storage.sqlite.fast_import.a_failed_unit_leaves_no_rows") {
  TempDir dir;
  const auto file = dir.file("crm.db");
  SUBCASE("a dangling reference") {
    SqliteStorage s{file};
    auto w = s.begin();
    fill(*w, 1, 2000);
    CHECK_THROWS_AS(w->put_task(task(999'999, 424'242, 1, at(2026, 6, 1))), not_found);
    CHECK_THROWS_AS(w->add_activity(activity(999'999, 1, 77, ActivityKind::call_in, at(2026, 6, 1))), not_found);
    // the importer drops the unit on the first error
  }
  SUBCASE("an exception of the caller's") {
    SqliteStorage s{file};
    try {
      auto w = s.begin();
      fill(*w, 1, 2000);
      CHECK(s.client_count() == 2000);  // a read in the unit: the rows are in the file's pages
      throw std::runtime_error("cancelled");
    } catch (const std::runtime_error&) {
    }
    CHECK(s.client_count() == 0);
    check_back_to_normal(s);
  }
  SUBCASE("rows written past the port fail the commit") {
    SqliteStorage s{file};
    auto w = s.begin();
    fill(*w, 1, 2000);
    const char* dangling = "INSERT INTO client_labels(client_id, label, note) VALUES (999999, 'x', '')";
    REQUIRE(sqlite3_exec(s.native_handle(), dangling, nullptr, nullptr, nullptr) == SQLITE_OK);
    CHECK_THROWS_WITH_AS(w->commit(), doctest::Contains("FOREIGN KEY constraint failed: client_labels"), not_found);
  }
  SUBCASE("a dry run") {
    SqliteStorage s{file};
    auto w = s.begin();
    fill(*w, 1, 2000);
  }
  check_empty(file);
  // the same rows again, committed
  SqliteStorage s{file};
  auto w = s.begin();
  CHECK(mark_on_disk(file) == unfinished_mark);  // the fast path again
  fill(*w, 1, 100);
  w->commit();
  CHECK(s.client_count() == 100);
  check_back_to_normal(s);
}

namespace {

/// Where the killed child stops.
enum class Kill { after_begin, mid_rows, before_commit, after_commit };

/// Forks a child that imports 3,000 clients into `file` and kills itself
/// (SIGKILL: no destructor, no rollback) at `when`.
void import_and_die(const std::string& file, Kill when) {
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    try {
      SqliteStorage s{file};
      auto w = s.begin();
      if (when == Kill::after_begin) std::raise(SIGKILL);
      fill(*w, 1, 1500);
      if (when == Kill::mid_rows) std::raise(SIGKILL);
      fill(*w, 1501, 3000);
      (void)s.client_count();  // indexes rebuilt, summaries written: every page of the unit
      if (when == Kill::before_commit) std::raise(SIGKILL);
      w->commit();
      std::raise(SIGKILL);
    } catch (...) {
      ::_exit(3);
    }
  }
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFSIGNALED(status));
  REQUIRE(WTERMSIG(status) == SIGKILL);
}

}  // namespace

TEST_CASE("storage.sqlite.fast_import.an_interrupted_import_is_refused_when_opened") {
  TempDir dir;
  const auto file = dir.file("crm.db");
  for (const auto when : {Kill::after_begin, Kill::mid_rows, Kill::before_commit}) {
    CAPTURE(static_cast<int>(when));
    std::filesystem::remove(file);
    import_and_die(file, when);
    CHECK(mark_on_disk(file) == unfinished_mark);
    const auto error = open_error(file);
    CHECK(error.find("sqlite storage: open '" + file + "': ") == 0);
    CHECK(error.find("did not finish") != std::string::npos);
    CHECK(open_error(file) == error);  // refused again: opening changed nothing
  }
  // killed after its commit returned: every row is there
  std::filesystem::remove(file);
  import_and_die(file, Kill::after_commit);
  CHECK(mark_on_disk(file) == 0);
  SqliteStorage s{file};
  CHECK(s.client_count() == 3000);
  CHECK(count(s.native_handle(), "activities") == 3000 * activities_per_client);
  check_back_to_normal(s);
}

TEST_CASE("storage.sqlite.fast_import.killed_at_a_random_moment_the_file_is_whole_or_refused") {
  TempDir dir;
  const auto file = dir.file("crm.db");
  std::mt19937 rng{7};
  int refused = 0, empty = 0, whole = 0;
  for (int round = 0; round < 12; ++round) {
    CAPTURE(round);
    std::filesystem::remove(file);
    for (const char* suffix : {"-wal", "-shm", "-journal"}) std::filesystem::remove(file + suffix);
    int ready[2];
    REQUIRE(::pipe(ready) == 0);
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      ::close(ready[0]);
      try {
        SqliteStorage s{file};
        const char go = 1;
        (void)!::write(ready[1], &go, 1);
        auto w = s.begin();
        fill(*w, 1, 3000);
        w->commit();
        ::_exit(0);
      } catch (...) {
        ::_exit(3);
      }
    }
    ::close(ready[1]);
    char go = 0;
    REQUIRE(::read(ready[0], &go, 1) == 1);
    ::close(ready[0]);
    // mostly inside the unit (about 0.1 s here; longer under sanitizers), some after it
    ::usleep(std::uniform_int_distribution<unsigned>{0, round < 10 ? 150'000u : 2'000'000u}(rng));
    ::kill(pid, SIGKILL);
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    REQUIRE((WIFSIGNALED(status) || WEXITSTATUS(status) == 0));
    const auto error = open_error(file);
    if (!error.empty()) {
      CHECK(error.find("did not finish") != std::string::npos);
      ++refused;
      continue;
    }
    // it opens: with nothing of the import, or with all of it
    SqliteStorage s{file};
    const auto clients = s.client_count();
    CHECK((clients == 0 || clients == 3000));
    ++(clients == 0 ? empty : whole);
    CHECK(count(s.native_handle(), "activities") == static_cast<std::int64_t>(clients) * activities_per_client);
    CHECK(value(s.native_handle(), "PRAGMA integrity_check") == "ok");
  }
  MESSAGE(refused << " rounds refused, " << empty << " opened empty, " << whole << " whole");
}

TEST_CASE("storage.sqlite.fast_import.other_connections_see_nothing_before_the_commit") {
  TempDir dir;
  const auto file = dir.file("crm.db");
  SqliteStorage s{file};
  auto w = s.begin();
  {
    // before the first page reaches the file: the empty tables
    Raw early{file, 50};
    CHECK(value(early.db, "SELECT count(*) FROM clients") == "0");
  }
  fill(*w, 1, 2000);
  // pages are in the file now (more than the page cache holds): the writer
  // holds the file's EXCLUSIVE lock until its commit
  Raw reader{file, 50};
  const auto during = ask(reader.db, "SELECT count(*) FROM activities");
  CHECK(during.rc == SQLITE_BUSY);
  // a storage opened meanwhile is refused, the file named
  CHECK(open_error(file).find("sqlite storage: open '" + file + "': ") == 0);
  // the unit reads its own writes
  CHECK(s.client_count() == 2000);
  w->commit();
  CHECK(value(reader.db, "SELECT count(*) FROM activities") == std::to_string(2000 * activities_per_client));
  CHECK(value(reader.db, "SELECT count(*) FROM clients") == "2000");
  SqliteStorage again{file};
  CHECK(again.client_count() == 2000);
}

TEST_CASE("storage.sqlite.fast_import.not_for_a_file_with_more_than_nudge_tables") {
  TempDir dir;
  const auto file = dir.file("crm.db");
  SqliteStorage s{file};
  SUBCASE("a host's table") {
    REQUIRE(sqlite3_exec(s.native_handle(), "CREATE TABLE host_notes(id INTEGER PRIMARY KEY, note TEXT)", nullptr,
                         nullptr, nullptr) == SQLITE_OK);
  }
  SUBCASE("an audit record") {
    auto w = s.begin();  // (the fast path, as the file is new)
    AuditRecord r;
    r.at = at(2026, 1, 1);
    r.action_key = "k";
    r.rule = "r";
    r.subject = {SubjectKind::client, 1};
    r.action = "note";
    w->append_audit(r);
    w->commit();
  }
  auto w = s.begin();
  CHECK(mark_on_disk(file) == 0);
  CHECK(value(s.native_handle(), "PRAGMA journal_mode") == "wal");
  fill(*w, 1, 50);
  w->commit();
  CHECK(s.client_count() == 50);
}

TEST_CASE("storage.sqlite.fast_import.summaries_of_ids_in_any_order") {
  // Ids below the first one, far past it, spread thin and dense: each
  // client's summary equals the one computed from its rows.
  TempDir dir;
  SqliteStorage s{dir.file("crm.db")};
  std::vector<std::int64_t> ids;
  for (std::int64_t id = 5000; id < 9000; ++id) ids.push_back(id);                       // dense, first
  for (std::int64_t id = 1; id <= 300; ++id) ids.push_back(id);                          // below the first
  for (std::int64_t id = 20'000; id < 20'000 + 3000 * 997; id += 997) ids.push_back(id);  // thin
  for (std::int64_t k = 0; k < 50; ++k) ids.push_back(4'000'000'000'000 + k * 7);        // far
  {
    auto w = s.begin();
    REQUIRE(mark_on_disk(s.path()) == unfinished_mark);
    w->put_manager(manager(1, "Ivanova"));
    for (const auto id : ids) w->put_client(client(id, "C", 1));
    std::int64_t a = 1;
    for (int round = 0; round < 3; ++round)
      for (const auto id : ids) {
        const auto kind = static_cast<ActivityKind>((id + round) % activity_kind_count);
        auto act = activity(a++, id, 1, kind, at(2026, 3, 1) + std::chrono::hours{(id * 7 + round * 5) % 900});
        if (kind == ActivityKind::other) act.custom_kind = "visit";
        w->add_activity(act);
        if (round == 1 && id % 4 == 0) {
          auto t = task(a, id, 1, at(2026, 6, 1) + std::chrono::days{id % 30});
          if (id % 8 == 0) {
            t.state = TaskState::done;
            t.closed = at(2026, 4, 1) + std::chrono::days{id % 11};
          }
          w->put_task(t);
        }
      }
    w->commit();
  }
  std::size_t seen = 0;
  s.scan_clients([&](std::span<const ClientView> batch) {
    for (const auto& v : batch) {
      REQUIRE(v.summary);
      CHECK(*v.summary == s.summarize(v.client->id));
      ++seen;
    }
  });
  CHECK(seen == ids.size());
}

}  // namespace nudge_sqlite_test_fast_import
