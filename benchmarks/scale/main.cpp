// scale: import and a full plan at 10k, 100k (and on request 1M) clients, into
// a MemoryStorage and into a SqliteStorage file, side by side.
//
//   nudge_bench_scale                               # 10k and 100k clients
//   nudge_bench_scale --sizes 10000,100000,1000000  # and a million
//   nudge_bench_scale --clients 50000               # one size
//   nudge_bench_scale --csv /tmp/crmperf/M          # CSV directory -> SQLite (statements per client)
//
// Options: --seed S (42), --unit N (clients per unit of work, 10000),
// --dir D (where the SQLite files go; a temp directory by default, removed after).
//
// The data comes from this file's own seeded generator, client by client, per
// client ~10 activities, 1 deal, 1 invoice, 0.5 tasks (managers: clients / 200),
// written through the storage port (UnitOfWork::put_* / add_activity, one unit
// of work per --unit clients). Generation runs inside the timed import; it is
// a few percent of it (see "gen only"). The plan is Engine::plan with the
// baseline's eight rules + forecast (tests/support/baseline.hpp) at its NOW.
//
// Each (size, store) runs in a child process of its own, so that the peak
// resident memory (getrusage ru_maxrss) of one never hides in another's.

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <sqlite3.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nudge/csv/import.hpp>
#include <nudge/engine/engine.hpp>
#include <nudge/sqlite/sqlite_storage.hpp>
#include <nudge/storage/memory_storage.hpp>
#include <support/baseline.hpp>

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using nudge::Days;

// ---- the generator ----------------------------------------------------------------

/// splitmix64: a tiny, well-mixed, seedable generator (the same stream on every platform).
struct Rng {
  std::uint64_t s;
  std::uint64_t next() {
    std::uint64_t z = (s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  /// Uniform in [lo, hi].
  std::int64_t in(std::int64_t lo, std::int64_t hi) {
    return lo + static_cast<std::int64_t>(next() % static_cast<std::uint64_t>(hi - lo + 1));
  }
  bool chance(double p) { return static_cast<double>(next() >> 11) * 0x1.0p-53 < p; }
};

const nudge::Instant now = nudge::baseline::now;
const char* const segments[] = {"smb", "mid", "enterprise", "retail", "public"};
const char* const open_stages[] = {"lead", "qualified", "proposal", "negotiation", "contract"};
constexpr nudge::ActivityKind kinds[] = {nudge::ActivityKind::call_in,     nudge::ActivityKind::call_out,
                                         nudge::ActivityKind::call_missed, nudge::ActivityKind::email,
                                         nudge::ActivityKind::meeting,     nudge::ActivityKind::message,
                                         nudge::ActivityKind::note,        nudge::ActivityKind::document};

std::int64_t managers_for(std::int64_t clients) { return std::max<std::int64_t>(1, clients / 200); }

struct Counts {
  std::int64_t managers = 0, clients = 0, activities = 0, deals = 0, invoices = 0, tasks = 0;
  [[nodiscard]] std::int64_t rows() const { return managers + clients + activities + deals + invoices + tasks; }
};

/// Everything of one client, generated from (seed, client id) alone.
struct ClientRows {
  nudge::Client client;
  std::vector<nudge::Activity> activities;
  nudge::Deal deal;
  nudge::Invoice invoice;
  std::optional<nudge::Task> task;
};

void generate(std::uint64_t seed, std::int64_t i, std::int64_t n_managers, ClientRows& out) {
  Rng r{seed * 0x100000001b3ULL + static_cast<std::uint64_t>(i)};
  const auto day = [&](std::int64_t lo, std::int64_t hi) { return now - Days{r.in(lo, hi)} - std::chrono::seconds{r.in(0, 86399)}; };
  const nudge::ManagerId owner{1 + r.in(0, n_managers - 1)};
  auto& c = out.client;
  c = {};
  c.id = nudge::ClientId{i};
  c.name = fmt::format("Client {}", i);
  c.owner = owner;
  c.segments = {segments[i % 5]};
  c.kind = r.chance(0.8) ? nudge::ClientKind::b2b : nudge::ClientKind::b2c;
  c.created = day(400, 1500);
  c.email = fmt::format("client{}@example.com", i);

  // ~10 activities (5..15) over the last 400 days: about 8% of the clients go
  // unheard of for more than 90 days.
  out.activities.clear();
  for (std::int64_t k = r.in(5, 15); k > 0; --k) {
    nudge::Activity a;
    a.client = c.id;
    a.manager = owner;
    a.kind = kinds[r.in(0, 7)];
    a.at = day(0, 400);
    out.activities.push_back(a);
  }

  auto& d = out.deal;
  d = {};
  d.id = nudge::DealId{i};
  d.client = c.id;
  d.owner = owner;
  d.pipeline = "default";
  d.opened = day(5, 400);
  d.amount = nudge::Money{r.in(1000, 5'000'000), "USD"};
  d.probability = static_cast<double>(r.in(5, 95)) / 100.0;
  const auto stage = r.in(0, 4);
  d.stage_entered = d.opened;
  for (std::int64_t s = 0; s < stage; ++s) {  // history through the earlier stages
    const auto left = std::min(now, d.stage_entered + Days{r.in(1, 20)});
    d.history.push_back({open_stages[s], d.stage_entered, left});
    d.stage_entered = left;
  }
  d.stage = open_stages[stage];
  const auto fate = r.in(0, 99);
  if (fate < 25 || fate >= 85) {
    const bool won = fate < 25;
    d.history.push_back({d.stage, d.stage_entered, std::min(now, d.stage_entered + Days{r.in(1, 30)})});
    d.stage = won ? "won" : "lost";
    d.status = won ? nudge::DealStatus::won : nudge::DealStatus::lost;
    d.closed = d.history.back().left;
    d.stage_entered = *d.closed;
    if (!won) d.loss_reason = "price";
  }

  auto& inv = out.invoice;
  inv = {};
  inv.id = nudge::InvoiceId{i};
  inv.client = c.id;
  inv.amount = nudge::Money{r.in(10'000, 2'000'000), "USD"};
  inv.issued = day(0, 365);
  inv.due = inv.issued + Days{30};
  if (r.chance(0.8)) {
    const auto paid = inv.issued + Days{r.in(0, 60)};
    if (paid <= now) {
      inv.paid = paid;
      inv.payments.push_back({paid, inv.amount.cents});
    }
  }

  out.task.reset();
  if (r.chance(0.5)) {
    nudge::Task t;
    t.client = c.id;
    t.assignee = owner;
    t.title = "call back";
    t.created = day(30, 120);
    t.due = now + Days{r.in(-30, 30)};
    if (r.chance(0.5)) {
      t.state = nudge::TaskState::done;
      t.closed = std::min(now, t.created + Days{r.in(1, 20)});
    }
    if (d.status == nudge::DealStatus::open && r.chance(0.5)) t.deal = d.id;
    out.task = t;
  }
}

/// Writes `n` clients (and their managers) through the port, `unit` clients per unit of work.
Counts import(nudge::Storage& store, std::int64_t n, std::uint64_t seed, std::int64_t unit) {
  Counts k;
  const auto n_managers = managers_for(n);
  {
    auto w = store.begin();
    for (std::int64_t j = 1; j <= n_managers; ++j) {
      nudge::Manager m;
      m.id = nudge::ManagerId{j};
      m.name = fmt::format("Manager {}", j);
      if (j > 1) m.supervisor = nudge::ManagerId{1 + (j - 2) / 10};
      w->put_manager(m);
      ++k.managers;
    }
    w->commit();
  }
  ClientRows rows;
  std::int64_t activity_id = 1, task_id = 1;
  for (std::int64_t from = 1; from <= n; from += unit) {
    auto w = store.begin();
    for (std::int64_t i = from; i < std::min(n + 1, from + unit); ++i) {
      generate(seed, i, n_managers, rows);
      w->put_client(rows.client);
      ++k.clients;
      w->put_deal(rows.deal);
      ++k.deals;
      for (auto& a : rows.activities) {
        a.id = nudge::ActivityId{activity_id++};
        w->add_activity(a);
        ++k.activities;
      }
      w->put_invoice(rows.invoice);
      ++k.invoices;
      if (rows.task) {
        rows.task->id = nudge::TaskId{task_id++};
        w->put_task(*rows.task);
        ++k.tasks;
      }
    }
    w->commit();
  }
  return k;
}

/// The generator alone (what the import's time includes of it).
double generate_only(std::int64_t n, std::uint64_t seed) {
  const auto t0 = Clock::now();
  ClientRows rows;
  std::size_t sink = 0;
  for (std::int64_t i = 1; i <= n; ++i) {
    generate(seed, i, managers_for(n), rows);
    sink += rows.activities.size();
  }
  const double s = std::chrono::duration<double>(Clock::now() - t0).count();
  return sink ? s : 0.0;
}

// ---- measuring --------------------------------------------------------------------

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }
double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}
/// Peak resident set so far, MiB (Linux reports ru_maxrss in KiB).
double peak_mib() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) / 1024.0;
}

struct Figures {
  std::int64_t rows = 0, clients = 0;
  double import_s = 0, import_cpu = 0, plan_s = 0, plan_cpu = 0, peak_import = 0, peak_plan = 0;
  std::size_t findings = 0, actions = 0;
  std::uintmax_t file_bytes = 0;
};

/// Runs in the child: import, then plan; the figures as one line.
Figures measure(bool sqlite, std::int64_t n, std::uint64_t seed, std::int64_t unit, const fs::path& dir) {
  Figures f;
  const auto file = dir / fmt::format("scale-{}.db", n);
  std::unique_ptr<nudge::Storage> store;
  if (sqlite) {
    fs::remove(file);
    store = std::make_unique<nudge::SqliteStorage>(file.string());
  } else {
    store = std::make_unique<nudge::MemoryStorage>();
  }
  auto t0 = Clock::now();
  auto c0 = cpu_seconds();
  const auto k = import(*store, n, seed, unit);
  f.import_s = seconds_since(t0);
  f.import_cpu = cpu_seconds() - c0;
  f.rows = k.rows();
  f.clients = k.clients;
  f.peak_import = peak_mib();
  const nudge::Engine engine{nudge::baseline::config()};
  t0 = Clock::now();
  c0 = cpu_seconds();
  const auto plan = engine.plan(*store, now);
  f.plan_s = seconds_since(t0);
  f.plan_cpu = cpu_seconds() - c0;
  f.peak_plan = peak_mib();
  f.findings = plan.findings.size();
  f.actions = plan.actions.size();
  if (sqlite) {
    store.reset();
    f.file_bytes = fs::file_size(file);
    fs::remove(file);
  }
  return f;
}

std::optional<Figures> in_child(bool sqlite, std::int64_t n, std::uint64_t seed, std::int64_t unit, const fs::path& dir) {
  int fds[2];
  if (::pipe(fds) != 0) return std::nullopt;
  std::fflush(stdout);
  const pid_t pid = ::fork();
  if (pid < 0) return std::nullopt;
  if (pid == 0) {
    ::close(fds[0]);
    int rc = 0;
    try {
      const Figures f = measure(sqlite, n, seed, unit, dir);
      if (::write(fds[1], &f, sizeof f) != static_cast<ssize_t>(sizeof f)) rc = 2;
    } catch (const std::exception& e) {
      std::fprintf(stderr, "scale: %s: %s\n", sqlite ? "sqlite" : "memory", e.what());
      rc = 1;
    }
    ::_exit(rc);
  }
  ::close(fds[1]);
  Figures f;
  const auto got = ::read(fds[0], &f, sizeof f);
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (got != static_cast<ssize_t>(sizeof f) || !WIFEXITED(status) || WEXITSTATUS(status) != 0) return std::nullopt;
  return f;
}

std::string rate(double rows, double s) {
  if (s <= 0) return "-";
  const double r = rows / s;
  return r >= 1e6 ? fmt::format("{:.2f}M/s", r / 1e6) : fmt::format("{:.0f}k/s", r / 1e3);
}

// ---- CSV -> SQLite ------------------------------------------------------------------

unsigned long long statements = 0;
int count_statement(unsigned, void*, void*, void*) {
  ++statements;
  return 0;
}

int csv_to_sqlite(const fs::path& csv_dir, const fs::path& dir) {
  const auto file = dir / "csv-import.db";
  fs::remove(file);
  nudge::SqliteStorage store{file.string()};
  sqlite3_trace_v2(store.native_handle(), SQLITE_TRACE_STMT, count_statement, nullptr);
  const auto t0 = Clock::now();
  const auto c0 = cpu_seconds();
  const auto report = nudge::csv::import_directory(store, csv_dir);
  const double s = seconds_since(t0), cpu = cpu_seconds() - c0;
  const auto rows = report.total_rows();
  const auto clients = report.rows_of(nudge::csv::Entity::clients);
  fmt::print("csv -> sqlite  {}: {} rows ({} clients) in {:.2f} s ({:.2f} s CPU): {} (CPU: {})\n", csv_dir.string(),
             rows, clients, s, cpu, rate(static_cast<double>(rows), s), rate(static_cast<double>(rows), cpu));
  fmt::print("  {} SQL statements: {:.1f} per client, {:.2f} per row; peak {:.0f} MiB\n", statements,
             clients ? static_cast<double>(statements) / static_cast<double>(clients) : 0.0,
             rows ? static_cast<double>(statements) / static_cast<double>(rows) : 0.0, peak_mib());
  fs::remove(file);
  return 0;
}

std::vector<std::int64_t> parse_sizes(const std::string& s) {
  std::vector<std::int64_t> out;
  std::size_t b = 0;
  while (b <= s.size()) {
    const auto e = std::min(s.find(',', b), s.size());
    if (e > b) out.push_back(std::atoll(s.substr(b, e - b).c_str()));
    b = e + 1;
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::int64_t> sizes{10'000, 100'000};
  std::uint64_t seed = 42;
  std::int64_t unit = 10'000;
  std::optional<fs::path> csv, dir;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const bool has_value = i + 1 < argc;
    if (a == "--sizes" && has_value) sizes = parse_sizes(argv[++i]);
    else if (a == "--clients" && has_value) sizes = {std::atoll(argv[++i])};
    else if (a == "--seed" && has_value) seed = std::strtoull(argv[++i], nullptr, 10);
    else if (a == "--unit" && has_value) unit = std::max<std::int64_t>(1, std::atoll(argv[++i]));
    else if (a == "--csv" && has_value) csv = argv[++i];
    else if (a == "--dir" && has_value) dir = argv[++i];
    else {
      std::fprintf(stderr,
                   "usage: %s [--sizes N,N,...] [--clients N] [--seed S] [--unit N] [--dir DIR] [--csv CSV_DIR]\n",
                   argv[0]);
      return 2;
    }
  }
  if (std::any_of(sizes.begin(), sizes.end(), [](std::int64_t n) { return n < 1; })) {
    std::fprintf(stderr, "scale: sizes must be positive\n");
    return 2;
  }
  const bool own_dir = !dir;
  if (own_dir) dir = fs::temp_directory_path() / fmt::format("nudge-scale-{}", ::getpid());
  fs::create_directories(*dir);
  int rc = 0;
  try {
    if (csv) {
      rc = csv_to_sqlite(*csv, *dir);
    } else {
      fmt::print("scale: seed {}, {} clients per unit of work, plan = baseline rules at {}; parent peak {:.0f} MiB\n",
                 seed, unit, nudge::iso_instant(now), peak_mib());
      fmt::print("{:>9} {:>7} {:>11} {:>9} {:>10} {:>10} {:>9} {:>9} {:>9} {:>9} {:>10} {:>9}\n", "clients", "store",
                 "rows", "import s", "rows/s", "rows/cpu-s", "plan s", "plan cpu", "actions", "peak imp", "peak plan",
                 "file");
      for (const auto n : sizes) {
        const double gen = generate_only(n, seed);
        for (const bool sqlite : {false, true}) {
          const auto f = in_child(sqlite, n, seed, unit, *dir);
          if (!f) {
            fmt::print("{:>9} {:>7} failed\n", n, sqlite ? "sqlite" : "memory");
            rc = 1;
            continue;
          }
          fmt::print("{:>9} {:>7} {:>11} {:>9.2f} {:>10} {:>10} {:>9.2f} {:>9.2f} {:>9} {:>8.0f}M {:>9.0f}M {:>9}\n", n,
                     sqlite ? "sqlite" : "memory", f->rows, f->import_s, rate(static_cast<double>(f->rows), f->import_s),
                     rate(static_cast<double>(f->rows), f->import_cpu), f->plan_s, f->plan_cpu, f->actions,
                     f->peak_import, f->peak_plan,
                     sqlite ? fmt::format("{:.0f}M", static_cast<double>(f->file_bytes) / 1048576.0) : "-");
          std::fflush(stdout);
        }
        fmt::print("{:>9} gen only {:.2f} s (included in both imports)\n", n, gen);
      }
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "scale: %s\n", e.what());
    rc = 1;
  }
  if (own_dir) {
    std::error_code ec;
    fs::remove_all(*dir, ec);
  }
  return rc;
}
