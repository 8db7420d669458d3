#include <doctest/doctest.h>

#include <support/fixtures.hpp>
#include <nudge/engine/engine.hpp>
#include <nudge/engine/explain.hpp>
#include <nudge/storage/memory_storage.hpp>

// Own namespace: the tests build as a unity build.
namespace nudge_engine_test_forgotten {

using namespace nudge;
using namespace nudge::test;

namespace {

EngineConfig only_forgotten(Period after = Period::days(90)) {
  EngineConfig c;
  c.calendar = BusinessCalendar::weekdays("UTC");
  ForgottenConfig f;
  f.after = after;
  c.forgotten.push_back(f);
  return c;
}

void seed(MemoryStorage& s, Instant last_contact) {
  auto w = s.begin();
  w->put_manager(manager(1, "Head"));
  w->put_manager(manager(2, "Ivanova", 1));
  w->put_client(client(10, "Acme", 2, "smb", at(2025, 1, 1)));
  w->add_activity(activity(100, 10, 2, ActivityKind::call_out, last_contact));
  w->commit();
}

}  // namespace

TEST_CASE("engine.forgotten.threshold_edges") {
  MemoryStorage s;
  const Instant last = at(2026, 8, 14, 10, 0);
  seed(s, last);
  Engine e{only_forgotten()};
  const Instant limit = last + std::chrono::days{90};
  SUBCASE("one second before") { CHECK(e.plan(s, limit - Seconds{1}).findings.empty()); }
  SUBCASE("exactly at the limit") { CHECK(e.plan(s, limit).findings.empty()); }
  SUBCASE("one second after") {
    auto p = e.plan(s, limit + Seconds{1});
    REQUIRE(p.findings.size() == 1);
    CHECK(p.findings[0].rule == "forgotten");
    CHECK(p.findings[0].since == limit);
  }
}

TEST_CASE("engine.forgotten.explanation_names_rule_subject_facts_threshold") {
  MemoryStorage s;
  seed(s, at(2026, 8, 14));
  Engine e{only_forgotten()};
  auto p = e.plan(s, at(2026, 11, 22));
  REQUIRE(p.findings.size() == 1);
  CHECK(p.findings[0].summary ==
        "client 'Acme' forgotten: last contact 2026-08-14 (100 days ago), limit 90 days, owner Ivanova");
  const auto text = explain(p);
  CHECK(text.find("[forgotten]") != std::string::npos);
  CHECK(text.find("task for Ivanova") != std::string::npos);
  CHECK(text.find("label client 10 'forgotten'") != std::string::npos);
}

TEST_CASE("engine.forgotten.future_task_exempts") {
  MemoryStorage s;
  seed(s, at(2026, 1, 1));
  Engine e{only_forgotten()};
  const Instant now = at(2026, 11, 22);
  REQUIRE(e.plan(s, now).findings.size() == 1);
  auto w = s.begin();
  w->put_task(task(1, 10, 2, now + std::chrono::days{10}));  // the client is on holiday: call in 10 days
  w->commit();
  CHECK(e.plan(s, now).findings.empty());
  CHECK(e.plan(s, now + std::chrono::days{11}).findings.size() == 1);  // the task is overdue now
}

TEST_CASE("engine.forgotten.dry_run_has_no_side_effects_and_apply_is_exactly_once") {
  MemoryStorage s;
  seed(s, at(2026, 1, 1));
  Engine e{only_forgotten()};
  const Instant now = at(2026, 11, 22);
  const auto before = s.state();
  auto p = e.plan(s, now);
  CHECK(s.state() == before);
  REQUIRE(p.actions.size() == 2);  // task + label
  auto r = e.apply(p, s);
  CHECK(r.applied == 2);
  CHECK(s.find_client(ClientId{10})->has_label("forgotten"));
  CHECK(s.tasks_of(ClientId{10}, true).size() == 1);
  // applying the same plan again: the task is not created twice
  auto r2 = e.apply(p, s);
  CHECK(r2.applied == 1);  // only the idempotent label
  CHECK(r2.skipped == 1);
  CHECK(s.tasks_of(ClientId{10}, true).size() == 1);
  // planning again at the same or a later now: nothing new
  CHECK(e.plan(s, now).actions.empty());
  CHECK(e.plan(s, now + std::chrono::days{5}).actions.empty());
}
}  // namespace nudge_engine_test_forgotten
