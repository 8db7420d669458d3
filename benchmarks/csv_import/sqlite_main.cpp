// csv_import_sqlite DIR [--db FILE] [--repeat N] [--profile] [--keep]
//
// The CSV import into a new SQLite file, as the baseline comparison times it
// (benchmarks/baseline, section sqlite_import): open a new SqliteStorage
// (schema included) and csv::import_directory into it, in one unit of work.
// Prints wall and CPU time per run, rows per second and the SQL statements run
// per client and per row (SQLITE_TRACE_STMT). --profile also lists the
// statements by total time (SQLITE_TRACE_PROFILE; adds a little overhead).
// --keep leaves the last file in place (for a look with the sqlite3 shell).
//
//   nudge_bench_csv_sqlite /tmp/crmperf/M --repeat 3

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <sqlite3.h>

#include <nudge/csv/import.hpp>
#include <nudge/sqlite/sqlite_storage.hpp>

namespace {

using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

struct Trace {
  unsigned long long statements = 0;
  bool profile = false;
  std::map<std::string, std::pair<unsigned long long, unsigned long long>> by_sql;  // runs, ns
};

int on_trace(unsigned type, void* ctx, void* p, void* x) {
  auto& t = *static_cast<Trace*>(ctx);
  if (type == SQLITE_TRACE_STMT) {
    ++t.statements;
  } else if (type == SQLITE_TRACE_PROFILE) {
    auto& e = t.by_sql[sqlite3_sql(static_cast<sqlite3_stmt*>(p))];
    ++e.first;
    e.second += *static_cast<const sqlite3_int64*>(x);
  }
  return 0;
}

void remove_db(const fs::path& db) {
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) fs::remove(db.string() + suffix);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s DIR [--db FILE] [--repeat N] [--profile] [--keep]\n", argv[0]);
    return 2;
  }
  const fs::path dir = argv[1];
  fs::path db = fs::temp_directory_path() / "nudge-csv-import.db";
  int repeat = 1;
  bool profile = false;
  bool keep = false;
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--repeat" && i + 1 < argc) repeat = std::max(1, std::atoi(argv[++i]));
    else if (a == "--db" && i + 1 < argc) db = argv[++i];
    else if (a == "--profile") profile = true;
    else if (a == "--keep") keep = true;
  }
  try {
    std::vector<double> walls;
    for (int r = 0; r < repeat; ++r) {
      remove_db(db);
      Trace trace;
      trace.profile = profile;
      const auto t0 = Clock::now();
      const double c0 = cpu_seconds();
      nudge::SqliteStorage store{db.string()};
      sqlite3_trace_v2(store.native_handle(), SQLITE_TRACE_STMT | (profile ? SQLITE_TRACE_PROFILE : 0u), on_trace,
                       &trace);
      const auto report = nudge::csv::import_directory(store, dir);
      const double wall = std::chrono::duration<double>(Clock::now() - t0).count();
      const double cpu = cpu_seconds() - c0;
      walls.push_back(wall);
      const auto rows = report.total_rows();
      const auto clients = report.rows_of(nudge::csv::Entity::clients);
      fmt::print("run {}: {} rows ({} clients) in {:.2f} s ({:.2f} s CPU), {:.0f}k rows/s; {} statements: {:.1f} per "
                 "client, {:.2f} per row; file {:.1f} MiB\n",
                 r + 1, rows, clients, wall, cpu, static_cast<double>(rows) / wall / 1e3, trace.statements,
                 clients ? static_cast<double>(trace.statements) / static_cast<double>(clients) : 0.0,
                 rows ? static_cast<double>(trace.statements) / static_cast<double>(rows) : 0.0,
                 static_cast<double>(fs::file_size(db)) / (1024.0 * 1024.0));
      if (profile) {
        std::vector<std::pair<std::string, std::pair<unsigned long long, unsigned long long>>> v(trace.by_sql.begin(),
                                                                                                 trace.by_sql.end());
        std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.second.second > b.second.second; });
        for (std::size_t i = 0; i < std::min<std::size_t>(v.size(), 25); ++i)
          fmt::print("  {:8.3f} s {:>9} x  {:.110}\n", static_cast<double>(v[i].second.second) / 1e9, v[i].second.first,
                     v[i].first);
      }
    }
    std::sort(walls.begin(), walls.end());
    fmt::print("median {:.2f} s, min {:.2f} s\n", walls[walls.size() / 2], walls.front());
    if (!keep) remove_db(db);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "csv_import_sqlite: %s\n", e.what());
    return 1;
  }
  return 0;
}
