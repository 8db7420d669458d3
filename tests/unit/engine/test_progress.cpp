#include <doctest/doctest.h>

#include <support/engine_support.hpp>

using namespace nudge;
using namespace nudge::test;

// Own namespace: the tests build as a unity build.
namespace nudge_engine_test_progress {

namespace {

/// 25 clients, none contacted since 2026-01-01: all forgotten at `now`.
void seed(MemoryStorage& s) {
  edit(s, [](UnitOfWork& w) {
    w.put_manager(manager(1, "Ann"));
    for (int i = 1; i <= 25; ++i) {
      auto c = client(i, "Client " + std::to_string(i), 1);
      c.created = at(2026, 1, 1);
      w.put_client(c);
    }
  });
}

EngineConfig forgotten_config(std::size_t batch) {
  auto c = bare_config();
  c.forgotten.emplace_back();
  c.options.batch = batch;
  return c;
}

}  // namespace

TEST_CASE("engine.progress: one report per batch, then the end of each scan") {
  MemoryStorage s;
  seed(s);
  Engine engine{forgotten_config(10)};
  std::vector<std::pair<std::string, std::uint64_t>> seen;
  std::uint64_t total = 0;
  const auto plan = engine.plan(s, at(2026, 11, 25), [&](const Progress& p) {
    if (p.stage == "clients") total = p.total;
    seen.emplace_back(std::string(p.stage), p.done);
    return true;
  });
  CHECK(plan.findings.size() == 25);
  CHECK(total == 25);
  // Clients in batches of 10: before 0, 10, 20, and the end at 25.
  std::vector<std::pair<std::string, std::uint64_t>> clients;
  for (const auto& x : seen)
    if (x.first == "clients") clients.push_back(x);
  REQUIRE(clients.size() == 4);
  CHECK(clients[0].second == 0);
  CHECK(clients[1].second == 10);
  CHECK(clients[2].second == 20);
  CHECK(clients[3].second == 25);
  // Every scan reports its end, in the order the plan runs them.
  CHECK(seen.back().first == "tasks");
}

TEST_CASE("engine.progress: returning false cancels the plan, and nothing is written") {
  MemoryStorage s;
  seed(s);
  Engine engine{forgotten_config(10)};
  int calls = 0;
  CHECK_THROWS_AS((void)engine.plan(s, at(2026, 11, 25), [&](const Progress&) { return ++calls < 2; }), cancelled);
  CHECK(calls == 2);
  CHECK_THROWS_AS((void)engine.plan(s, at(2026, 11, 25), [&](const Progress&) { return false; }), nudge::error);
  CHECK(s.audit_log().empty());
  // Without a callback nothing changes.
  CHECK(engine.plan(s, at(2026, 11, 25)).findings.size() == 25);
}

}  // namespace nudge_engine_test_progress
