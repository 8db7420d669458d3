// Exactly once under faults, against real SQLite files and real processes.
//
// fault.sqlite.killed_apply: 100 rounds of a child process applying a plan
// (Engine::apply, one unit of work) and SIGKILLed at a seeded random moment --
// sometimes before it starts, sometimes after it has committed. The parent
// reopens the file (WAL recovery) and checks that the plan landed whole or not
// at all, that the audit log, the action keys, the tasks, the reassignments
// and the outbox agree with each other, then applies the plan again and checks
// that every planned action is applied exactly once in total.
//
// fault.sqlite.two_writers: 100 rounds of two processes planning and applying
// against the same file at the same moment: every action key is applied by
// exactly one of them, and the audit log holds no key twice.
//
// No wall clock in what is checked: `now` is fixed, and the random delays only
// choose where the kill lands; no assertion depends on how long anything took.

#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <limits>
#include <map>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nudge/sqlite/sqlite_storage.hpp>
#include <support/engine_support.hpp>
#include <support/temp_dir.hpp>

#if defined(__SANITIZE_ADDRESS__)
// Every round forks. A child writing to memory its parent touched pays a
// copy-on-write fault per page, and AddressSanitizer's quarantine (256 MiB of
// freed blocks it will not reuse yet) spreads the allocations over many pages:
// most of this test's time went there (41 s -> 13 s for the two-writer rounds
// with a 4 MiB quarantine). ASAN_OPTIONS in the environment still wins.
extern "C" const char* __asan_default_options() { return "quarantine_size_mb=4"; }
#endif

// Own namespace, like the unit tests.
namespace nudge_fault_test_sqlite_faults {

using namespace nudge;
using namespace nudge::test;
namespace fs = std::filesystem;

namespace {

constexpr int rounds = 100;

// Monday 2026-06-01, 09:00 UTC: the moment every plan is made for.
const Instant now = at(2026, 6, 1, 9);

EngineConfig config() {
  auto c = EngineConfig::defaults();
  c.calendar = BusinessCalendar::weekdays("UTC");
  c.pipelines.push_back(sales_pipeline());
  return c;
}


/// A seeded small company whose plan at `now` holds a few hundred actions of
/// every kind: forgotten and released clients, unpaid invoices and debtors,
/// stage-SLA breaches, dead deals, deals without a next step, neglected tasks.
void build_scenario(const std::string& file, std::uint64_t seed) {
  std::mt19937_64 rng{seed};
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>{lo, hi}(rng); };
  SqliteStorage s{file};
  auto w = s.begin();
  auto head = manager(1, "Head");
  head.segments = {};
  w->put_manager(head);
  for (int m = 2; m <= 6; ++m) w->put_manager(manager(m, fmt::format("Manager{}", m), 1));
  const int clients = 50 + pick(0, 10);
  std::int64_t activity_id = 1000, invoice_id = 1, deal_id = 1, task_id = 1;
  for (int i = 0; i < clients; ++i) {
    const std::int64_t id = 100 + i;
    const std::int64_t owner = 2 + i % 5;
    auto c = client(id, fmt::format("Client{}", id), owner, i % 3 ? "smb" : "retail", at(2025, 1, 1));
    c.email = fmt::format("c{}@example.com", id);
    w->put_client(c);
    for (int k = pick(1, 3); k > 0; --k)
      w->add_activity(activity(activity_id++, id, owner, k % 2 ? ActivityKind::call_out : ActivityKind::email,
                               now - Days{pick(20, 220)}));
    if (pick(0, 1)) {
      const auto issued = now - Days{pick(10, 90)};
      w->put_invoice(invoice(invoice_id++, id, 100.0 + pick(0, 900), issued, issued + Days{14}));
    }
    if (pick(0, 2) == 0) {
      auto d = deal(deal_id++, id, owner, pick(0, 1) ? "lead" : "offer", now - Days{pick(10, 240)});
      d.pipeline = "sales";
      d.stage_entered = now - Days{pick(0, 9)};
      w->put_deal(d);
    }
    if (pick(0, 3) == 0) w->put_task(task(task_id++, id, owner, now - Days{pick(1, 30)}));
  }
  w->commit();
}

/// The plan a fresh copy of the scenario gets at `now` (made by the parent,
/// its connection closed before any fork).
Plan plan_of(const std::string& file) {
  SqliteStorage s{file};
  return Engine{config()}.plan(s, now);
}

/// A few seeded scenarios built (and planned) once; each round works on a
/// byte copy of one of them (building and planning every round would be most
/// of the run time under the sanitizers).
struct Templates {
  struct One {
    std::string file;
    Plan plan;
  };
  std::vector<One> all;
  Templates(const fs::path& dir, std::uint64_t seed, int n) {
    for (int i = 0; i < n; ++i) {
      const auto file = (dir / fmt::format("template{}.db", i)).string();
      build_scenario(file, seed + static_cast<std::uint64_t>(i));
      REQUIRE_FALSE(fs::exists(file + "-wal"));  // closed: the whole database is in the file
      all.push_back({file, plan_of(file)});
    }
  }
  /// A fresh copy of template `round % n` at `file`; its plan.
  const Plan& copy(int round, const std::string& file) const {
    const auto& t = all[static_cast<std::size_t>(round) % all.size()];
    fs::copy_file(t.file, file, fs::copy_options::overwrite_existing);
    return t.plan;
  }
};

/// What a plan should leave behind when applied.
struct Expected {
  std::set<std::string> once_keys;
  std::size_t not_once = 0;  // label upkeep: applied (and audited) by every apply
  std::set<std::string> task_origins;
  std::set<std::string> message_keys;
  std::map<std::int64_t, std::pair<std::int64_t, std::int64_t>> owners;  // client -> (before, after)
};

Expected expected_of(const Plan& p) {
  Expected e;
  for (const auto& a : p.actions) {
    if (a.once) {
      REQUIRE_MESSAGE(e.once_keys.insert(a.key).second, "a plan holds a key twice: " << a.key);
    } else {
      ++e.not_once;
    }
    if (a.kind == ActionKind::create_task) e.task_origins.insert(a.key);
    if (a.kind == ActionKind::notify) e.message_keys.insert(a.message->key);
    if (a.kind == ActionKind::reassign) {
      auto [it, fresh] = e.owners.try_emplace(a.client.value(), a.from->value(), a.to->value());
      if (!fresh) it->second.second = a.to->value();
    }
  }
  return e;
}

std::vector<std::string> strings(sqlite3* db, const char* sql) {
  sqlite3_stmt* st = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, sql, -1, &st, nullptr) == SQLITE_OK);
  std::vector<std::string> out;
  while (sqlite3_step(st) == SQLITE_ROW) out.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)));
  sqlite3_finalize(st);
  return out;
}

/// What the file holds of a plan's effects.
struct Found {
  std::vector<std::string> action_keys;           // the actions table, as stored
  std::map<std::string, int> audit_counts;        // key -> records
  std::size_t audit_records = 0;
  std::vector<std::string> task_origins;          // of tasks the engine made
  std::vector<std::string> message_keys;          // the whole outbox
  std::map<std::int64_t, std::int64_t> owners;    // client -> owner
  std::string integrity;
};

Found found_in(const std::string& file) {
  SqliteStorage s{file};  // the file opens: WAL recovery after the kill
  Found f;
  f.action_keys = strings(s.native_handle(), "SELECT key FROM actions ORDER BY key");
  for (const auto& r : s.audit_log()) {
    ++f.audit_counts[r.action_key];
    ++f.audit_records;
  }
  f.task_origins = strings(s.native_handle(), "SELECT origin FROM tasks WHERE origin <> '' ORDER BY origin");
  for (const auto& e : s.outbox_entries()) f.message_keys.push_back(e.message.key);
  s.scan_clients([&](std::span<const ClientView> b) {
    for (const auto& v : b) f.owners[v.client->id.value()] = v.client->owner.value();
  });
  f.integrity = strings(s.native_handle(), "PRAGMA integrity_check").at(0);
  return f;
}

template <class C>
std::set<std::string> as_set(const C& c) {
  return {c.begin(), c.end()};
}

/// Checks the file holds the plan's effects applied `applies` times (0: none;
/// label upkeep is audited once per apply, every once-key exactly once).
void check_applied(const Found& f, const Expected& e, int applies) {
  CHECK(f.integrity == "ok");
  const bool applied = applies > 0;
  // the action keys: all of the plan's, or none
  CHECK(f.action_keys.size() == (applied ? e.once_keys.size() : 0));
  CHECK(as_set(f.action_keys) == (applied ? e.once_keys : std::set<std::string>{}));
  // the audit log: each once-key exactly once, exactly the applied keys
  std::set<std::string> audited_once;
  for (const auto& [key, n] : f.audit_counts)
    if (e.once_keys.count(key)) {
      CHECK_MESSAGE(n == 1, key);
      audited_once.insert(key);
    }
  CHECK(audited_once == as_set(f.action_keys));
  CHECK(f.audit_records == (applied ? e.once_keys.size() + e.not_once * static_cast<std::size_t>(applies) : 0));
  // tasks, messages and reassignments: exactly those of the applied actions
  CHECK(f.task_origins.size() == as_set(f.task_origins).size());  // no task twice
  CHECK(as_set(f.task_origins) == (applied ? e.task_origins : std::set<std::string>{}));
  CHECK(f.message_keys.size() == as_set(f.message_keys).size());  // no message twice
  CHECK(as_set(f.message_keys) == (applied ? e.message_keys : std::set<std::string>{}));
  for (const auto& [client, owner] : e.owners) {
    CAPTURE(client);
    CHECK(f.owners.at(client) == (applied ? owner.second : owner.first));
  }
}

// ---- processes ------------------------------------------------------------------

struct Pipe {
  int r = -1, w = -1;
  Pipe() {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    r = fds[0];
    w = fds[1];
  }
  ~Pipe() {
    close_read();
    close_write();
  }
  Pipe(const Pipe&) = delete;
  Pipe& operator=(const Pipe&) = delete;
  void close_read() {
    if (r >= 0) ::close(r);
    r = -1;
  }
  void close_write() {
    if (w >= 0) ::close(w);
    w = -1;
  }
};

/// One byte from `fd` (false at end of file).
bool read_byte(int fd, char& c) {
  for (;;) {
    const auto n = ::read(fd, &c, 1);
    if (n == 1) return true;
    if (n == 0 || errno != EINTR) return false;
  }
}
void write_all(int fd, const std::string& s) {
  std::size_t done = 0;
  while (done < s.size()) {
    const auto n = ::write(fd, s.data() + done, s.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) ::_exit(90);
    done += static_cast<std::size_t>(n);
  }
}
std::string read_all(int fd) {
  std::string out;
  char buf[4096];
  for (;;) {
    const auto n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return out;
    out.append(buf, static_cast<std::size_t>(n));
  }
}

enum class Kill { before_start, during, after_commit };

/// The applying child: waits for "go", opens the file, says 's', applies the
/// plan, says 'd', then waits to be killed. It never exits by itself (an
/// error exits with 3), so every round ends with a SIGKILL. With `spill`, a
/// page cache of a few pages makes SQLite write uncommitted pages into the WAL
/// long before the commit, so that a kill leaves them there.
[[noreturn]] void applying_child(const std::string& file, const Plan& plan, const Engine& engine, bool spill,
                                 Pipe& go, Pipe& status) {
  go.close_write();
  status.close_read();
  char c = 0;
  if (!read_byte(go.r, c)) ::_exit(4);
  try {
    SqliteStorage s{file};
    if (spill && sqlite3_exec(s.native_handle(), "PRAGMA cache_size = 4", nullptr, nullptr, nullptr) != SQLITE_OK)
      ::_exit(5);
    write_all(status.w, "s");
    engine.apply(plan, s);
    write_all(status.w, "d");
  } catch (...) {
    ::_exit(3);
  }
  for (;;) (void)read_byte(go.r, c);  // blocks: the parent never writes again
}

struct KillResult {
  bool started = false, committed = false;
  int status = 0;
  std::chrono::microseconds took{0};  // after_commit: from 's' to 'd'
};

/// Forks a child that applies `plan` to `file` and SIGKILLs it as `kill` says
/// (during: `delay` after it has opened the file).
KillResult apply_and_kill(const std::string& file, const Plan& plan, const Engine& engine, Kill kill, bool spill,
                          std::chrono::microseconds delay) {
  Pipe go, status;
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) applying_child(file, plan, engine, spill, go, status);
  go.close_read();
  status.close_write();
  KillResult out;
  char c = 0;
  if (kill != Kill::before_start) {
    write_all(go.w, "g");
    out.started = read_byte(status.r, c) && c == 's';
    if (kill == Kill::during && delay.count() > 0) std::this_thread::sleep_for(delay);
    if (kill == Kill::after_commit) {
      const auto t0 = std::chrono::steady_clock::now();
      out.committed = read_byte(status.r, c) && c == 'd';
      out.took = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0);
    }
  }
  ::kill(pid, SIGKILL);
  REQUIRE(::waitpid(pid, &out.status, 0) == pid);
  return out;
}

}  // namespace

TEST_CASE("fault.sqlite.killed_apply") {
  TempDir dir;
  const Engine engine{config()};
  const Templates templates{dir.path, 100, 8};
  // How long one apply takes in a child here, so that the random kills spread
  // over it (only where the kills land depends on it, never an assertion).
  std::chrono::microseconds span{0};
  {
    const auto file = (dir.path / "calibrate.db").string();
    const auto& plan = templates.copy(0, file);
    span = apply_and_kill(file, plan, engine, Kill::after_commit, false, {}).took;
  }
  std::mt19937_64 rng{20261122};
  std::map<std::string, int> outcomes;
  std::size_t min_actions = std::numeric_limits<std::size_t>::max();
  for (int round = 0; round < rounds; ++round) {
    CAPTURE(round);
    const auto file = (dir.path / fmt::format("round{}.db", round)).string();
    const auto& plan = templates.copy(round, file);
    const auto expected = expected_of(plan);
    min_actions = std::min(min_actions, plan.actions.size());
    const Kill kill = round % 10 == 0 ? Kill::before_start : round % 10 == 5 ? Kill::after_commit : Kill::during;
    // up to 1.5 x an apply (some kills land after the commit), and the occasional 0
    const auto delay = std::chrono::microseconds{
        std::uniform_int_distribution<std::int64_t>{-span.count() / 10, span.count() * 3 / 2}(rng)};
    const bool spill = round % 2 == 1;
    const auto k = apply_and_kill(file, plan, engine, kill, spill, std::max(delay, std::chrono::microseconds{0}));
    INFO("kill " << static_cast<int>(kill) << " after " << delay.count() << " us, spill " << spill);
    std::error_code ec;
    const auto wal = fs::file_size(file + "-wal", ec);
    if (!ec && wal > 0) ++outcomes["WAL left behind"];
    REQUIRE(WIFSIGNALED(k.status));  // not an error exit of its own (3, 4)
    CHECK(WTERMSIG(k.status) == SIGKILL);
    CHECK(k.started == (kill != Kill::before_start));
    CHECK(k.committed == (kill == Kill::after_commit));

    const auto after_kill = found_in(file);
    const bool applied = !after_kill.action_keys.empty();
    if (kill == Kill::before_start) CHECK_FALSE(applied);
    if (kill == Kill::after_commit) CHECK(applied);
    ++outcomes[kill == Kill::during ? (applied ? "during: all" : "during: none") : "before/after"];
    check_applied(after_kill, expected, applied ? 1 : 0);

    // and again, in the parent: what was left is applied, nothing twice
    {
      SqliteStorage s{file};
      const auto r = engine.apply(plan, s);
      CHECK(r.skipped == (applied ? expected.once_keys.size() : 0));
      CHECK(r.applied == (applied ? expected.not_once : plan.actions.size()));
      // a plan made now has nothing left to do once (every 10th round: a plan
      // costs as much as an apply)
      if (round % 10 == 3) CHECK(once_keys(engine.plan(s, now)).empty());
    }
    check_applied(found_in(file), expected, applied ? 2 : 1);
    fs::remove(file);
  }
  MESSAGE("apply takes ~" << span.count() << " us; smallest plan " << min_actions << " actions; outcomes: "
                          << outcomes["before/after"] << " before/after, " << outcomes["during: none"]
                          << " killed during (nothing landed), " << outcomes["during: all"]
                          << " killed during (all landed); " << outcomes["WAL left behind"]
                          << " kills left a WAL to recover");
  CHECK(min_actions >= 200);  // "a few hundred" actions per plan
}

TEST_CASE("fault.sqlite.two_writers") {
  TempDir dir;
  const Engine engine{config()};
  const Templates templates{dir.path, 5000, 8};
  int busy_errors = 0, both_applied = 0;
  for (int round = 0; round < rounds; ++round) {
    CAPTURE(round);
    const auto file = (dir.path / fmt::format("round{}.db", round)).string();
    const auto expected = expected_of(templates.copy(round, file));
    REQUIRE(expected.once_keys.size() > 100);

    Pipe go;  // closed by the parent: both children see end of file at once
    Pipe result[2];
    pid_t pid[2];
    for (int i = 0; i < 2; ++i) {
      pid[i] = ::fork();
      REQUIRE(pid[i] >= 0);
      if (pid[i] == 0) {
        go.close_write();
        result[i].close_read();
        char c = 0;
        (void)read_byte(go.r, c);
        std::string out;
        try {
          SqliteStorage s{file};
          const auto r = engine.apply(engine.plan(s, now), s);
          out = "ok\n";
          for (const auto& key : r.applied_keys) out += key + "\n";
        } catch (const nudge::storage_error& e) {
          out = std::string("storage_error\n") + e.what() + "\n";
        } catch (const std::exception& e) {
          out = std::string("other\n") + e.what() + "\n";
        }
        write_all(result[i].w, out);
        ::_exit(0);
      }
      result[i].close_write();
    }
    go.close_write();  // start
    std::string out[2];
    for (int i = 0; i < 2; ++i) out[i] = read_all(result[i].r);
    for (int i = 0; i < 2; ++i) {
      int status = 0;
      REQUIRE(::waitpid(pid[i], &status, 0) == pid[i]);
      CHECK((WIFEXITED(status) && WEXITSTATUS(status) == 0));
    }

    std::map<std::string, int> applied_by;  // once-key -> how many processes applied it
    std::size_t once_by[2] = {0, 0};       // once-keys each process applied
    bool failed = false;
    for (int i = 0; i < 2; ++i) {
      const auto& o = out[i];
      INFO(o.substr(0, 300));
      const auto first = o.substr(0, o.find('\n'));
      REQUIRE((first == "ok" || first == "storage_error"));
      if (first == "storage_error") {
        // a busy database may fail a writer, but then with a storage_error naming the file
        CHECK(o.find(file) != std::string::npos);
        failed = true;
        ++busy_errors;
        continue;
      }
      std::size_t b = first.size() + 1;
      for (auto e = o.find('\n', b); e != std::string::npos; b = e + 1, e = o.find('\n', b)) {
        const auto key = o.substr(b, e - b);
        if (expected.once_keys.count(key)) {
          ++applied_by[key];
          ++once_by[i];
        } else CHECK_MESSAGE(key.rfind("label/", 0) == 0, "applied a key nobody planned: " << key);
      }
    }
    for (const auto& [key, n] : applied_by) CHECK_MESSAGE(n == 1, "applied by both writers: " << key);
    {
      std::set<std::string> keys;
      for (const auto& [key, n] : applied_by) keys.insert(key);
      if (!failed) CHECK(keys == expected.once_keys);
      if (once_by[0] > 0 && once_by[1] > 0) ++both_applied;
    }
    if (failed) {  // the failed writer's share is still to do: a rerun does it, once
      SqliteStorage s{file};
      engine.apply(engine.plan(s, now), s);
    }
    const auto f = found_in(file);
    CHECK(f.integrity == "ok");
    CHECK(as_set(f.action_keys) == expected.once_keys);
    CHECK(f.action_keys.size() == expected.once_keys.size());
    for (const auto& [key, n] : f.audit_counts)
      if (key.rfind("label/", 0) != 0) CHECK_MESSAGE(n == 1, "audited twice: " << key);
    for (const auto& key : expected.once_keys) CHECK_MESSAGE(f.audit_counts.count(key) == 1, key);
    CHECK(f.task_origins.size() == as_set(f.task_origins).size());
    CHECK(as_set(f.task_origins) == expected.task_origins);
    CHECK(f.message_keys.size() == as_set(f.message_keys).size());
    CHECK(as_set(f.message_keys) == expected.message_keys);
    for (const auto& [client, owner] : expected.owners) CHECK(f.owners.at(client) == owner.second);
    fs::remove(file);
  }
  MESSAGE(rounds << " rounds: " << busy_errors << " writers failed with a busy database (storage_error), "
                 << both_applied << " rounds where both writers applied part of the plan");
  // one unit of work per apply: the loser of the race finds every key taken
  CHECK(both_applied == 0);
}
}  // namespace nudge_fault_test_sqlite_faults

namespace nudge_fault_test_sqlite_faults {

TEST_CASE("fault.sqlite.a_writer_kept_waiting_names_the_file") {
  // Another connection holds the write lock for longer than the adapter waits
  // (5 s): begin() fails with a storage_error that names the file; reads go on
  // meanwhile (WAL), and once the lock is gone a unit of work starts again.
  TempDir dir;
  const auto file = (dir.path / "locked.db").string();
  build_scenario(file, 7);
  SqliteStorage s{file};
  sqlite3* other = nullptr;
  REQUIRE(sqlite3_open(file.c_str(), &other) == SQLITE_OK);
  REQUIRE(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) == SQLITE_OK);
  std::string msg = "<nothing thrown>";
  try {
    auto w = s.begin();
  } catch (const storage_error& e) {
    msg = e.what();
  }
  CHECK(msg.rfind("sqlite storage: begin: database is locked", 0) == 0);
  CHECK(msg.find("'" + file + "'") != std::string::npos);
  CHECK(s.has_client(ClientId{100}));  // a reader is not kept waiting
  CHECK(s.client_count() >= 50);
  REQUIRE(sqlite3_exec(other, "COMMIT", nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(other);
  auto w = s.begin();  // nothing was left half open by the failure
  w->set_label(SubjectRef::of(ClientId{100}), "checked");
  w->commit();
  CHECK(s.find_client(ClientId{100})->has_label("checked"));
}
}  // namespace nudge_fault_test_sqlite_faults
