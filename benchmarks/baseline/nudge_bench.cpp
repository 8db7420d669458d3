// nudge_bench_baseline: Nudge's side of the side-by-side comparison with the
// baseline in ../shared/bench (hand-written SQL on SQLite, plain Python).
//
//   nudge_bench_baseline --data DIR [--db FILE] [--repeat 5] [--warmup 1]
//                        [--events N] [--batch 1000] [--seed 42]
//                        [--json OUT] [--no-fork] [--only memory|sqlite]
//
// DIR is a directory written by gen.py. Three sections, each in a forked child
// so that their peak resident sets (ru_maxrss) do not mix:
//   memory         CSV -> MemoryStorage (import_directory, one unit of work),
//                  the rules' rows (Engine::evaluate) and the peak RSS after
//                  them, the full plan of the baseline's eight rules + forecast
//                  (tests/support/baseline.hpp), its signatures, peak RSS;
//                  then the ingest rate of new activities (after the RSS snapshot).
//   sqlite_import  CSV -> a new SqliteStorage file (import_directory).
//   sqlite_plan    the full plan from that file (page cache evicted before the
//                  first, cold, pass), its signatures, peak RSS.
// The JSON (--json) holds every sample; "sigs" has the same form as
// bench_sql.py --json so benchmarks/baseline/compare.py checks them exactly.
//
// Adding a figure is one call in a section body:
//   bench.timed("name", repeat, [&] { ...work... });
// records wall-clock samples (median, min), CPU time and the warm-up pass into
// the JSON under sections.<section>.timings.name. compare.py prints the names it
// knows; "evaluate" and "incremental_plan" are placeholders (null) until filled.

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <nudge/csv/import.hpp>
#include <nudge/engine/engine.hpp>
#include <nudge/engine/watch.hpp>
#include <nudge/sqlite/sqlite_storage.hpp>
#include <nudge/storage/memory_storage.hpp>
#include <support/baseline.hpp>

namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

struct Options {
  fs::path data;
  fs::path db;  // Nudge's own SQLite file (its schema, not load.sh's)
  int repeat = 5;
  int warmup = 1;
  std::size_t events = 0;  // per ingest round; 0 = one simulated day (4% of clients)
  std::size_t batch = 1000;
  std::uint64_t seed = 42;
  fs::path json_out;
  bool fork = true;
  std::string only;  // "", "memory" or "sqlite"
};

double process_cpu_s() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

long peak_rss_kb() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;  // kilobytes on Linux
}

double median(std::vector<double> xs) {
  if (xs.empty()) return 0;
  std::sort(xs.begin(), xs.end());
  const auto n = xs.size();
  return n % 2 ? xs[n / 2] : (xs[n / 2 - 1] + xs[n / 2]) / 2;
}

/// Drops a file's pages from the OS cache (as bench_sql.py does before its cold pass).
void evict(const fs::path& p) {
  for (const auto& f : {p, fs::path(p.string() + "-wal")}) {
    const int fd = ::open(f.c_str(), O_RDONLY);
    if (fd < 0) continue;
    ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    ::close(fd);
  }
}

/// One section's figures. timed() is the whole API for adding a measurement.
class Bench {
public:
  explicit Bench(json& out) : out_(out) { out_["timings"] = json::object(); }

  /// Runs fn `warmup` times (the first pass is kept as "first_s"), then
  /// `repeat` times, and records the wall-clock samples, their median and
  /// minimum, and the median CPU time of the process. `setup(pass)` runs
  /// untimed before each pass, 0 being the first (e.g. evicting the page cache,
  /// dropping the previous result so two never coexist in the peak RSS).
  /// Returns the entry so the caller can add counts ("events": n, ...).
  template <class Fn>
  json& timed(const std::string& name, int repeat, Fn&& fn, int warmup = 0,
              const std::function<void(int pass)>& setup = {}) {
    std::vector<double> wall, cpu;
    json& e = out_["timings"][name];
    e = json::object();
    for (int i = 0; i < warmup + repeat; ++i) {
      if (setup) setup(i);
      const double c0 = process_cpu_s();
      const auto t0 = Clock::now();
      fn();
      const double s = std::chrono::duration<double>(Clock::now() - t0).count();
      const double c = process_cpu_s() - c0;
      if (i == 0) e["first_s"] = s;
      if (i < warmup) continue;
      wall.push_back(s);
      cpu.push_back(c);
    }
    e["wall_s"] = wall;
    e["median_s"] = median(wall);
    e["min_s"] = wall.empty() ? 0.0 : *std::min_element(wall.begin(), wall.end());
    e["cpu_median_s"] = median(cpu);
    e["warmup"] = warmup;
    std::cerr << fmt::format("  {:<22} median {:10.3f} ms  min {:10.3f} ms  ({} runs, cpu {:.3f} ms)\n", name,
                             e["median_s"].get<double>() * 1e3, e["min_s"].get<double>() * 1e3, repeat,
                             e["cpu_median_s"].get<double>() * 1e3);
    return e;
  }

  /// A figure that is not measured yet: a null entry, shown as "n/a" by compare.py.
  void hook(const std::string& name) { out_["timings"][name] = nullptr; }

  json& out() { return out_; }

private:
  json& out_;
};

/// The signatures in bench_sql.py's --json form: integers stay integers, the
/// float columns (rounded to cents) stay floats.
template <class Result>
json signatures_json(const Result& plan) {
  json sigs = json::object();
  for (const auto& [rule, sig] : nudge::baseline::signatures(plan)) {
    json a = json::array();
    for (std::size_t j = 0; j < sig.size(); ++j) {
      if (j > 0 && nudge::baseline::float_column(rule, j - 1))
        a.push_back(sig[j]);
      else
        a.push_back(static_cast<std::int64_t>(sig[j]));
    }
    sigs[rule] = a;
  }
  return sigs;
}

json plan_counts(const nudge::Plan& plan) {
  return {{"findings", plan.findings.size()}, {"actions", plan.actions.size()}, {"forecast_rows", plan.forecast.size()}};
}

json import_rows(const nudge::csv::ImportReport& r) {
  json rows = json::object();
  for (std::size_t i = 0; i < nudge::csv::entity_count; ++i) {
    const auto e = static_cast<nudge::csv::Entity>(i);
    rows[std::string(nudge::csv::file_name(e))] = r.rows_of(e);
  }
  rows["total"] = r.total_rows();
  return rows;
}

/// `rounds` simulated days after NOW: each picks `per_round` clients at random
/// (seeded) and gives each one new activity by its owner during that day, in
/// time order. Ids continue after the highest stored one.
std::vector<std::vector<nudge::Activity>> make_days(const nudge::MemoryStorage& store, std::size_t clients,
                                                    std::int64_t first_id, std::size_t rounds, std::size_t per_round,
                                                    std::uint64_t seed) {
  static constexpr nudge::ActivityKind kinds[] = {nudge::ActivityKind::call_out, nudge::ActivityKind::email,
                                                  nudge::ActivityKind::call_in, nudge::ActivityKind::message,
                                                  nudge::ActivityKind::meeting};
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<std::int64_t> client(1, static_cast<std::int64_t>(clients));
  std::uniform_int_distribution<std::int64_t> second(0, 86399);
  std::vector<std::vector<nudge::Activity>> days(rounds);
  std::int64_t id = first_id;
  for (std::size_t d = 0; d < rounds; ++d) {
    std::vector<std::int64_t> at(per_round);
    for (auto& s : at) s = second(rng);
    std::sort(at.begin(), at.end());
    for (std::size_t i = 0; i < per_round; ++i) {
      nudge::Activity a;
      a.id = nudge::ActivityId{id++};
      a.client = nudge::ClientId{client(rng)};
      const auto c = store.find_client(a.client);
      if (!c) throw std::runtime_error(fmt::format("ingest: client {} not found (ids are not 1..n?)", a.client.value()));
      a.manager = c->owner;
      a.kind = kinds[i % std::size(kinds)];
      a.at = nudge::from_unix(nudge::to_unix(nudge::baseline::now) + static_cast<std::int64_t>(d + 1) * 86400 + at[i]);
      days[d].push_back(std::move(a));
    }
  }
  return days;
}

json section_memory(const Options& o) {
  json out;
  Bench bench(out);
  nudge::MemoryStorage store;
  nudge::csv::ImportReport report;
  bench.timed("import_csv_memory", 1, [&] { report = nudge::csv::import_directory(store, o.data); });
  out["rows"] = import_rows(report);
  out["timings"]["import_csv_memory"]["rows"] = report.total_rows();
  out["peak_rss_after_import_kb"] = peak_rss_kb();  // the store alone; peak_rss_kb adds the plan

  // Rule evaluation without building actions (Engine::evaluate): the same
  // rows the SQL returns, on one thread and on two. First, so that the peak
  // after it is the store plus what the baseline computes (its rows), before
  // the plan's explained actions.
  const nudge::Engine engine{nudge::baseline::config()};
  nudge::Evaluation ev;
  bench.timed("evaluate_1_thread", o.repeat,
              [&] { ev = engine.evaluate(store, nudge::baseline::now, {.threads = 1, .batch = 16384, .progress = {}}); },
              o.warmup, [&](int) { ev = {}; });
  bench.timed("evaluate", o.repeat,
              [&] { ev = engine.evaluate(store, nudge::baseline::now, {.threads = 2, .batch = 16384, .progress = {}}); },
              o.warmup, [&](int) { ev = {}; });
  // The peak before the signatures: checking them turns every hit into a
  // row of doubles (about 30 MB at L), which is this harness, not Nudge.
  out["peak_rss_after_evaluate_kb"] = peak_rss_kb();
  out["sigs_evaluate"] = signatures_json(ev);
  ev = {};

  // The plan on two threads (PlanOptions::threads), then on one: the same plan.
  nudge::Plan plan;
  bench.timed("full_plan_memory", o.repeat,
              [&] { plan = engine.plan(store, nudge::baseline::now, nudge::PlanOptions{.threads = 2, .progress = {}}); },
              o.warmup, [&](int) { plan = {}; });
  out["plan"] = plan_counts(plan);
  out["sigs"] = signatures_json(plan);

  // The in-memory peak is the data plus the plan; the second plan (not all
  // of the first's freed memory is reused) and the ingest below add to it,
  // so the figure is taken here.
  out["peak_rss_kb"] = peak_rss_kb();
  plan = {};
  bench.timed("full_plan_memory_1_thread", o.repeat, [&] { plan = engine.plan(store, nudge::baseline::now); },
              o.warmup, [&](int) { plan = {}; });
  if (signatures_json(plan) != out["sigs"] || plan_counts(plan) != out["plan"])
    throw std::runtime_error("memory: the plan on one thread differs from the plan on two");
  plan = {};

  // Ingest: new activities (the commonest live event) written to the store,
  // first one unit of work per event, then one per batch of o.batch events
  // (UnitOfWork::add_activities: the batch checked, then added with the
  // clients' entries loaded ahead).
  // Each timed round is one simulated day: 4% of the clients touched once.
  const std::size_t clients = report.rows_of(nudge::csv::Entity::clients);
  const std::size_t per_round = o.events ? o.events : std::max<std::size_t>(1000, clients / 25);
  const auto first_id = static_cast<std::int64_t>(report.rows_of(nudge::csv::Entity::activities)) + 1;
  if (store.has_activity(nudge::ActivityId{first_id}))
    throw std::runtime_error("ingest: activity ids are not 1..n; cannot choose new ids");
  const auto rounds = static_cast<std::size_t>(2 * o.repeat);
  auto days = make_days(store, clients, first_id, rounds, per_round, o.seed);
  std::size_t day = 0;
  auto& one = bench.timed("ingest_per_event", o.repeat, [&] {
    for (const auto& a : days[day]) {
      auto w = store.begin();
      w->add_activity(a);
      w->commit();
    }
    ++day;
  });
  one["events"] = per_round;
  one["events_per_s"] = static_cast<double>(per_round) / one["median_s"].get<double>();
  one["store"] = "MemoryStorage";
  one["units_of_work"] = per_round;
  auto& batched = bench.timed("ingest_batched", o.repeat, [&] {
    const auto& evs = days[day];
    for (std::size_t i = 0; i < evs.size(); i += o.batch) {
      auto w = store.begin();
      w->add_activities(std::span(evs).subspan(i, std::min(o.batch, evs.size() - i)));
      w->commit();
    }
    ++day;
  });
  batched["events"] = per_round;
  batched["events_per_s"] = static_cast<double>(per_round) / batched["median_s"].get<double>();
  batched["store"] = "MemoryStorage";
  batched["batch"] = o.batch;
  batched["units_of_work"] = (per_round + o.batch - 1) / o.batch;
  out["peak_rss_after_ingest_kb"] = peak_rss_kb();

  // Incremental: a Watch evaluated in full once, then moved a day at a time;
  // before each move (untimed) one simulated day of new activities (4% of the
  // clients) is written and the touched clients are told to the watch. First
  // a watch on two threads (the figure compared), then one on one thread over
  // the days after, the same protocol; each must equal a full evaluation.
  const auto inc_rounds = static_cast<std::size_t>(o.repeat + 1);
  auto inc_days = make_days(store, clients, first_id + static_cast<std::int64_t>(rounds * per_round), 2 * inc_rounds,
                            per_round, o.seed + 1);
  const auto base = nudge::baseline::now + nudge::Days{static_cast<long>(2 * rounds + 1)};
  for (std::size_t d = 0; d < inc_days.size(); ++d)
    for (auto& a : inc_days[d]) a.at = base + (a.at - nudge::baseline::now) - nudge::Days{1};
  std::size_t day_of_inc = 0;
  for (const unsigned threads : {2u, 1u}) {
    const std::string suffix = threads == 1 ? "_1_thread" : "";
    nudge::Watch watch{engine, store, {.threads = threads}};
    const auto start = base + nudge::Days{static_cast<long>(day_of_inc)};
    bench.timed("watch_reset" + suffix, 1, [&] { watch.reset(start); });
    std::size_t tested = 0, changed = 0;
    auto& inc = bench.timed(
        "incremental_plan" + suffix, o.repeat,
        [&] {
          const auto c = watch.advance(base + nudge::Days{static_cast<long>(day_of_inc)});
          tested = c.clients_tested;
          changed = c.started.size() + c.ended.size();
        },
        1,
        [&](int) {
          const auto& evs = inc_days[day_of_inc++];
          for (std::size_t i = 0; i < evs.size(); i += o.batch) {
            auto w = store.begin();
            for (std::size_t j = i; j < std::min(evs.size(), i + o.batch); ++j) w->add_activity(evs[j]);
            w->commit();
          }
          for (const auto& a : evs) watch.touch(a.client, nudge::Changed::activity);
        });
    inc["events"] = per_round;
    inc["threads"] = threads;
    inc["clients_tested_last"] = tested;
    inc["hits_changed_last"] = changed;
    const auto at = watch.now();
    nudge::Evaluation full;
    if (threads == 1) {  // the check only; the figure is taken once, after the first watch
      full = engine.evaluate(store, at, {.threads = 1, .batch = 16384, .progress = {}});
    } else {
      bench.timed("evaluate_after_day", o.repeat, [&] {
        full = engine.evaluate(store, at, {.threads = 1, .batch = 16384, .progress = {}});
      });
    }
    for (auto& h : full.hits) h.to = nudge::ManagerId{};
    const bool same = watch.hits() == full.hits;
    out["incremental_matches_full" + suffix] = same;
    if (!same) std::cerr << "  INCREMENTAL MISMATCH: watch hits (" << threads << " threads) differ from a full evaluation\n";
  }
  return out;
}

json section_sqlite_import(const Options& o) {
  json out;
  Bench bench(out);
  for (const auto& suffix : {"", "-wal", "-shm", "-journal"}) fs::remove(o.db.string() + suffix);
  nudge::csv::ImportReport report;
  // Opening creates the schema; load.sh's time includes its schema too.
  bench.timed("import_csv_sqlite", 1, [&] {
    nudge::SqliteStorage store{o.db.string()};
    report = nudge::csv::import_directory(store, o.data);
  });
  out["rows"] = import_rows(report);
  out["timings"]["import_csv_sqlite"]["rows"] = report.total_rows();
  out["db_bytes"] = fs::file_size(o.db);
  out["peak_rss_kb"] = peak_rss_kb();
  return out;
}

json section_sqlite_plan(const Options& o) {
  json out;
  Bench bench(out);
  const nudge::SqliteStorage store{o.db.string()};
  const nudge::Engine engine{nudge::baseline::config()};
  nudge::Plan plan;
  // With a warm-up pass, that first pass is cold: the file is evicted from the
  // page cache first, as bench_sql.py does.
  bench.timed("full_plan_sqlite", o.repeat,
              [&] { plan = engine.plan(store, nudge::baseline::now, nudge::PlanOptions{.threads = 2, .progress = {}}); },
              o.warmup,
              [&](int pass) {
                plan = {};
                if (pass == 0) evict(o.db);
              });
  out["plan"] = plan_counts(plan);
  out["sigs"] = signatures_json(plan);
  out["peak_rss_kb"] = peak_rss_kb();
  // The last plan (five GB at L) is dropped first, as the memory section
  // drops its evaluation before planning: evaluate is timed on its own.
  plan = {};
  nudge::Evaluation ev;
  bench.timed("evaluate_sqlite", o.repeat,
              [&] { ev = engine.evaluate(store, nudge::baseline::now, {.threads = 2, .batch = 16384, .progress = {}}); },
              o.warmup, [&](int) { ev = {}; });
  out["sigs_evaluate"] = signatures_json(ev);
  ev = {};
  // The other half of a nightly job: applying the plan (tasks, hand-overs,
  // labels, messages, one audit record each, all in one unit of work). Once,
  // on a copy of the file made and planned before the pass, untimed: applying
  // changes the file. The baseline has no counterpart.
  const fs::path copy = o.db.string() + ".apply";
  auto remove_copy = [&] {
    for (const auto& suffix : {"", "-wal", "-shm", "-journal"}) fs::remove(copy.string() + suffix);
  };
  std::optional<nudge::SqliteStorage> target;
  nudge::ApplyResult applied;
  json& apply = bench.timed(
      "apply_sqlite", 1, [&] { applied = engine.apply(plan, *target); }, 0,
      [&](int) {
        target.reset();
        remove_copy();
        fs::copy_file(o.db, copy);
        target.emplace(copy.string());
        plan = engine.plan(*target, nudge::baseline::now, nudge::PlanOptions{.threads = 2, .progress = {}});
      });
  apply["actions"] = plan.actions.size();
  apply["applied"] = applied.applied;
  apply["actions_per_s"] = apply["median_s"].get<double>() > 0
                               ? static_cast<double>(applied.applied) / apply["median_s"].get<double>()
                               : 0.0;
  if (applied.applied != plan.actions.size())
    std::cerr << fmt::format("  APPLY: {} of {} actions applied on a fresh copy\n", applied.applied,
                             plan.actions.size());
  plan = {};
  target.reset();
  remove_copy();
  return out;
}

/// Runs body in a forked child (its own ru_maxrss) and returns its JSON.
json run_section(const char* name, const Options& o, const std::function<json(const Options&)>& body) {
  std::cerr << name << ":\n";
  auto guarded = [&]() -> json {
    try {
      return body(o);
    } catch (const std::exception& e) {
      return json{{"error", e.what()}};
    }
  };
  if (!o.fork) return guarded();
  std::fflush(nullptr);
  int fds[2];
  if (::pipe(fds) != 0) throw std::runtime_error("pipe failed");
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    ::close(fds[0]);
    const std::string text = guarded().dump();
    std::size_t off = 0;
    while (off < text.size()) {
      const auto n = ::write(fds[1], text.data() + off, text.size() - off);
      if (n <= 0) break;
      off += static_cast<std::size_t>(n);
    }
    ::close(fds[1]);
    std::cerr.flush();
    std::fflush(nullptr);
    ::_exit(0);  // no destructors, no atexit: the parent owns everything else
  }
  ::close(fds[1]);
  std::string text;
  char buf[65536];
  for (;;) {
    const auto n = ::read(fds[0], buf, sizeof buf);
    if (n <= 0) break;
    text.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || text.empty())
    return json{{"error", fmt::format("child exited abnormally (status {:#x}; out of memory?)", status)}};
  return json::parse(text);
}

int usage(const char* argv0) {
  std::cerr << "usage: " << argv0
            << " --data DIR [--db FILE] [--repeat 5] [--warmup 1] [--events N] [--batch 1000] [--seed 42]"
               " [--json OUT] [--no-fork] [--only memory|sqlite]\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) throw std::invalid_argument(a + ": needs a value");
      return argv[++i];
    };
    try {
      if (a == "--data") o.data = next();
      else if (a == "--db") o.db = next();
      else if (a == "--repeat") o.repeat = std::max(1, std::stoi(next()));
      else if (a == "--warmup") o.warmup = std::max(0, std::stoi(next()));
      else if (a == "--events") o.events = std::stoul(next());
      else if (a == "--batch") o.batch = std::max<std::size_t>(1, std::stoul(next()));
      else if (a == "--seed") o.seed = std::stoull(next());
      else if (a == "--json") o.json_out = next();
      else if (a == "--no-fork") o.fork = false;
      else if (a == "--only") o.only = next();
      else return usage(argv[0]);
    } catch (const std::exception& e) {
      std::cerr << e.what() << '\n';
      return usage(argv[0]);
    }
  }
  if (o.data.empty() || !fs::is_directory(o.data)) return usage(argv[0]);
  if (o.db.empty()) o.db = fs::temp_directory_path() / "nudge-bench-baseline.db";

  json out;
  out["tool"] = "nudge_bench_baseline";
  out["data"] = o.data.string();
  out["db"] = o.db.string();
  out["repeat"] = o.repeat;
  out["warmup"] = o.warmup;
  out["sections"] = json::object();
  bool ok = true;
  try {
    if (o.only.empty() || o.only == "memory") out["sections"]["memory"] = run_section("memory", o, section_memory);
    if (o.only.empty() || o.only == "sqlite") {
      out["sections"]["sqlite_import"] = run_section("sqlite_import", o, section_sqlite_import);
      if (!out["sections"]["sqlite_import"].contains("error"))
        out["sections"]["sqlite_plan"] = run_section("sqlite_plan", o, section_sqlite_plan);
    }
  } catch (const std::exception& e) {
    std::cerr << "nudge_bench_baseline: " << e.what() << '\n';
    return 1;
  }
  for (auto& [name, s] : out["sections"].items())
    if (s.contains("error")) {
      std::cerr << name << ": " << s["error"].get<std::string>() << '\n';
      ok = false;
    }
  // "sigs" as bench_sql.py writes it: the in-memory plan's (the SQLite plan's
  // are under sections.sqlite_plan.sigs and must be equal).
  for (const char* s : {"memory", "sqlite_plan"})
    if (out["sections"].contains(s) && out["sections"][s].contains("sigs")) {
      if (!out.contains("sigs")) out["sigs"] = out["sections"][s]["sigs"];
      else if (out["sigs"] != out["sections"][s]["sigs"]) {
        std::cerr << "signatures differ between the in-memory and the SQLite plan\n";
        ok = false;
      }
    }
  if (!o.json_out.empty()) {
    std::ofstream f(o.json_out);
    f << out.dump(1) << '\n';
  } else {
    std::cout << out.dump(1) << '\n';
  }
  if (out.contains("sigs"))
    for (const auto& [rule, sig] : out["sigs"].items()) std::cerr << fmt::format("  {:<18} {}\n", rule, sig.dump());
  return ok ? 0 : 1;
}
