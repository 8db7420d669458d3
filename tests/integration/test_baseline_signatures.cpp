#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>

#include <support/baseline.hpp>
#include <nudge/csv/import.hpp>
#include <nudge/engine/engine.hpp>
#include <nudge/storage/memory_storage.hpp>
#ifdef NUDGE_TEST_SQLITE
#include <nudge/sqlite/sqlite_storage.hpp>
#endif

using namespace nudge;

namespace {

std::filesystem::path data_dir() {
  const char* d = std::getenv("NUDGE_BENCH_DATA");
  REQUIRE_MESSAGE(d != nullptr, "NUDGE_BENCH_DATA names the generated data (set by CTest)");
  return d;
}

void compare(std::map<std::string, std::vector<double>> got, const char* how) {
  const auto want = baseline::published_s42();
  for (const auto& rule : baseline::rule_names()) {
    CAPTURE(how);
    CAPTURE(rule);
    INFO("nudge ", baseline::format_signature(got[rule]), " baseline ", baseline::format_signature(want.at(rule)));
    CHECK(baseline::same_signature(got[rule], want.at(rule), rule));
  }
}

void check_signatures(const Storage& store) {
  Engine engine{baseline::config()};
  const Plan one = engine.plan(store, baseline::now);
  compare(baseline::signatures(one), "plan");
  const Plan two = engine.plan(store, baseline::now, PlanOptions{.threads = 2, .progress = {}});
  CHECK_MESSAGE(two == one, "the plan on two threads is the plan on one");
  compare(baseline::signatures(engine.evaluate(store, baseline::now, {.threads = 2, .batch = 4096, .progress = {}})),
          "evaluate on 2 threads");
}

}  // namespace

TEST_CASE("integration.baseline.signatures_in_memory") {
  MemoryStorage store;
  csv::import_directory(store, data_dir());
  check_signatures(store);
}

#ifdef NUDGE_TEST_SQLITE
TEST_CASE("integration.baseline.signatures_through_sqlite") {
  const auto db = std::filesystem::temp_directory_path() / "nudge-baseline-s42.db";
  std::filesystem::remove(db);
  {
    SqliteStorage store{db.string()};
    csv::import_directory(store, data_dir());
  }
  auto bytes = [&] {
    std::ifstream f(db, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(f), {});
  };
  const auto before = bytes();
  {
    SqliteStorage store{db.string()};
    check_signatures(store);  // a dry run: plan only
    // Word for word the plan of the same data in memory: the clients the
    // ladders name come from the store's own reads (a scan, not the index).
    MemoryStorage memory;
    csv::import_directory(memory, data_dir());
    Engine engine{baseline::config()};
    const Plan from_file = engine.plan(store, baseline::now);
    const Plan in_memory = engine.plan(memory, baseline::now);
    REQUIRE(from_file.actions.size() == in_memory.actions.size());
    CHECK(from_file == in_memory);
  }
  CHECK_MESSAGE(bytes() == before, "a plan must leave the SQLite file exactly as it was");
  std::filesystem::remove(db);
}
#endif
