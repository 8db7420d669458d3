#include <doctest/doctest.h>

#include <support/fixtures.hpp>
#include <nudge/engine/engine.hpp>
#include <nudge/engine/report.hpp>
#include <nudge/storage/memory_storage.hpp>

// Own namespace: the tests build as a unity build.
namespace nudge_engine_test_report {

using namespace nudge;
using namespace nudge::test;

TEST_CASE("engine.report.manager_and_team") {
  MemoryStorage s;
  const Instant now = at(2026, 11, 23);
  {
    auto w = s.begin();
    w->put_manager(manager(1, "Head"));
    w->put_manager(manager(2, "Ivanova", 1));
    w->put_manager(manager(3, "Petrov", 1));
    // Ivanova: two silent clients (forgotten, one released), Petrov: one called yesterday.
    w->put_client(client(10, "Acme", 2, "smb", at(2026, 1, 1)));
    w->put_client(client(11, "Globex", 2, "smb", at(2026, 8, 20)));
    w->put_client(client(12, "Initech", 3, "smb", at(2026, 1, 1)));
    w->add_activity(activity(1, 12, 3, ActivityKind::call_out, at(2026, 11, 22)));
    auto t = task(1, 12, 3, at(2026, 11, 1));  // overdue
    w->put_task(t);
    auto d = deal(1, 12, 3, "lead", at(2026, 11, 1), 1000.0, 0.25);
    w->put_deal(d);
    w->commit();
  }
  EngineConfig c;
  c.forgotten.emplace_back();
  c.release.emplace_back();
  Engine e{c};
  const auto plan = e.plan(s, now);
  // Acme: silent since 2026-01-01 -> forgotten and released; Globex: created 2026-08-20, forgotten (> 90 d), not yet released (< 104 d)
  Reports before{plan, s, now - std::chrono::days{30}};
  auto iv = before.manager(ManagerId{2});
  CHECK(iv.name == "Ivanova");
  CHECK(iv.clients == 2);
  CHECK(iv.findings["forgotten"] == 2);
  CHECK(iv.findings["release"] == 1);
  CHECK(iv.released_out == 1);
  // The least loaded in 'smb' apart from Ivanova: the head (0 clients there), not Petrov (1).
  CHECK(before.manager(ManagerId{1}).released_in == 1);
  CHECK(before.manager(ManagerId{3}).released_in == 0);
  auto team = before.team(ManagerId{1});
  CHECK(team.members.size() == 3);
  CHECK(team.clients == 3);
  CHECK(team.overdue_tasks == 1);
  CHECK(team.open_tasks == 1);
  CHECK(team.findings["forgotten"] == 2);
  CHECK(team.released_in == team.released_out);
  CHECK(team.pipeline["USD"].open_deals == 1);
  CHECK(team.pipeline["USD"].weighted == doctest::Approx(250.0));
  CHECK(team.deals_by_stage["lead"] == 1);

  // Once applied, the release shows from the audit log in a later report.
  e.apply(plan, s);
  const auto later = e.plan(s, now + std::chrono::days{1});
  Reports after{later, s, now - std::chrono::days{30}};
  CHECK(after.team(ManagerId{1}).released_out == 1);
  CHECK(after.manager(ManagerId{2}).released_out == 1);
}
}  // namespace nudge_engine_test_report
