#include <doctest/doctest.h>

#include <support/engine_support.hpp>

using namespace nudge;
using namespace nudge::test;

// Own namespace: the tests build as a unity build.
namespace nudge_engine_test_progress {

namespace {

/// `n` clients, none contacted since 2026-01-01: all forgotten at `now`.
void seed(MemoryStorage& s, int n = 25) {
  edit(s, [n](UnitOfWork& w) {
    w.put_manager(manager(1, "Ann"));
    for (int i = 1; i <= n; ++i) {
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

TEST_CASE("engine.progress: apply reports its actions, and a cancel writes nothing") {
  MemoryStorage s;
  seed(s, 5000);
  Engine engine{forgotten_config(1000)};
  const Instant now = at(2026, 11, 25);
  const Plan plan = engine.plan(s, now);
  const std::uint64_t total = plan.actions.size();
  REQUIRE(total > 2 * detail::apply_report_every);
  // Stopped once past the first reports: cancelled, and the unit rolled back.
  std::vector<std::uint64_t> seen;
  CHECK_THROWS_AS(engine.apply(plan, s,
                               [&](const Progress& p) {
                                 CHECK(p.stage == "actions");
                                 CHECK(p.total == total);
                                 seen.push_back(p.done);
                                 return p.done < detail::apply_report_every;
                               }),
                  cancelled);
  CHECK(seen == std::vector<std::uint64_t>{0, detail::apply_report_every});
  CHECK(s.audit_log().empty());
  for (const auto& a : plan.actions) CHECK_FALSE(s.has_action(a.key));
  CHECK(s.tasks_of(ClientId{1}, false).empty());
  // Not stopped: every few thousand actions, then once all are done.
  seen.clear();
  const auto r = engine.apply(plan, s, [&](const Progress& p) {
    seen.push_back(p.done);
    return true;
  });
  CHECK(r.applied == total);
  REQUIRE(seen.size() >= 3);
  CHECK(seen.front() == 0);
  CHECK(seen.back() == total);
  for (std::size_t i = 1; i + 1 < seen.size(); ++i) CHECK(seen[i] == i * detail::apply_report_every);
  CHECK(s.audit_log().size() == total);
}

}  // namespace nudge_engine_test_progress
