#include <doctest/doctest.h>

#include <support/engine_support.hpp>

// Own namespace: the tests build as a unity build.
namespace nudge_engine_test_no_next_step {

using namespace nudge;
using namespace nudge::test;

namespace {

// Deal 7 (Acme, Ivanova) enters "lead" on Monday 2026-03-02 10:00 with no task.
const Instant entered = at(2026, 3, 2, 10);

EngineConfig nns_config(NoNextStepConfig n = {}) {
  auto c = bare_config();
  c.pipelines.push_back(sales_pipeline());
  c.no_next_step.push_back(std::move(n));
  return c;
}

void seed(MemoryStorage& s, Instant when = entered) {
  edit(s, [&](UnitOfWork& w) {
    w.put_manager(manager(1, "Head"));
    w.put_manager(manager(2, "Ivanova", 1));
    w.put_client(client(10, "Acme", 2));
    auto d = deal(7, 10, 2, "lead", when);
    d.pipeline = "sales";
    w.put_deal(d);
  });
}

Task deal_task(std::int64_t id, Instant due) {
  auto t = task(id, 10, 2, due);
  t.deal = DealId{7};
  return t;
}

void put(MemoryStorage& s, const Task& t) {
  edit(s, [&](UnitOfWork& w) { w.put_task(t); });
}

Task closed(Task t, Instant when, TaskState st = TaskState::done) {
  t.state = st;
  t.closed = when;
  return t;
}

}  // namespace

TEST_CASE("engine.no_next_step.edges_with_no_grace") {
  MemoryStorage s;
  seed(s);
  Engine e{nns_config()};
  SUBCASE("one second before entering the stage") { CHECK(e.plan(s, entered - Seconds{1}).findings.empty()); }
  SUBCASE("at the instant it enters without a task: found (inclusive), the step fires strictly after") {
    auto p = e.plan(s, entered);
    REQUIRE(p.findings.size() == 1);
    CHECK(p.actions.empty());
  }
  SUBCASE("one second after: a task for the owner, linked to the deal") {
    auto p = e.plan(s, entered + Seconds{1});
    REQUIRE(p.findings.size() == 1);
    CHECK(p.findings[0].summary ==
          "deal 7 has no next step: no open task since 2026-03-02, stage 'lead', 1000.00 USD, owner Ivanova");
    auto t = actions_of(p, "no_next_step", ActionKind::create_task);
    REQUIRE(t.size() == 1);
    CHECK(t[0]->task->title == "Plan the next step for deal 7 with Acme");
    CHECK(t[0]->task->deal == DealId{7});
    CHECK(t[0]->task->assignee == ManagerId{2});
  }
}

TEST_CASE("engine.no_next_step.grace_in_business_days_over_a_weekend") {
  MemoryStorage s;
  seed(s, at(2026, 3, 6, 10));  // Friday
  NoNextStepConfig n;
  n.grace = Period::business_days(2);
  Engine e{nns_config(n)};
  const Instant since = at(2026, 3, 10, 10);  // Tuesday
  CHECK(e.plan(s, since - Seconds{1}).findings.empty());
  CHECK(e.plan(s, since).actions.empty());
  CHECK(e.plan(s, since + Seconds{1}).actions.size() == 1);
}

TEST_CASE("engine.no_next_step.open_tasks_on_the_deal") {
  MemoryStorage s;
  seed(s);
  Engine e{nns_config()};
  const Instant now = entered + Days{1};
  SUBCASE("an open task on the deal is a next step") {
    put(s, deal_task(1, now + Days{3}));
    CHECK(e.plan(s, now).findings.empty());
  }
  SUBCASE("an overdue open task still is one") {
    put(s, deal_task(1, now - Days{1} + Seconds{1}));
    CHECK(e.plan(s, now).findings.empty());
  }
  SUBCASE("a task for the client but not on this deal is not") {
    put(s, task(1, 10, 2, now + Days{3}));
    CHECK(e.plan(s, now).findings.size() == 1);
  }
  SUBCASE("the engine's own task is one") {
    e.run(s, now);
    CHECK(e.plan(s, now + Days{1}).findings.empty());
  }
}

TEST_CASE("engine.no_next_step.a_closed_task_starts_a_new_episode") {
  MemoryStorage s;
  seed(s);
  Engine e{nns_config()};
  e.run(s, entered + Days{1});
  auto tasks = s.tasks_of(ClientId{10}, true);
  REQUIRE(tasks.size() == 1);
  const Instant done = entered + Days{2};
  put(s, closed(tasks[0], done));
  auto p = e.plan(s, done + Seconds{1});
  REQUIRE(p.findings.size() == 1);
  CHECK(p.findings[0].episode == iso_instant(done));
  auto t = actions_of(p, "no_next_step", ActionKind::create_task);
  REQUIRE(t.size() == 1);
  CHECK(split_key(t[0]->key).episode == iso_instant(done));
  SUBCASE("a cancelled task counts the same") {
    put(s, closed(tasks[0], done + Days{1}, TaskState::cancelled));
    CHECK(e.plan(s, done + Days{2}).findings[0].episode == iso_instant(done + Days{1}));
  }
}

TEST_CASE("engine.no_next_step.a_deal_that_moves_stage_mid_episode") {
  MemoryStorage s;
  seed(s);
  Engine e{nns_config()};
  auto r = e.plan(s, entered + Days{1});
  REQUIRE(r.findings.size() == 1);
  const auto old_key = actions_of(r, "no_next_step")[0]->key;
  e.apply(r, s);
  // The task is done and the deal moves on the same afternoon: one new episode, one new task.
  auto t = s.tasks_of(ClientId{10}, true)[0];
  put(s, closed(t, entered + Days{2}));
  auto d = *s.find_deal(DealId{7});
  d.history.push_back({d.stage, d.stage_entered, entered + Days{2} + std::chrono::hours{1}});
  d.stage = "offer";
  d.stage_entered = entered + Days{2} + std::chrono::hours{1};
  edit(s, [&](UnitOfWork& w) { w.put_deal(d); });
  auto p = e.plan(s, entered + Days{3});
  auto keys = once_keys(p);
  REQUIRE(keys.size() == 1);
  CHECK(*keys.begin() != old_key);
  CHECK(split_key(*keys.begin()).episode == iso_instant(d.stage_entered));
  e.apply(p, s);
  CHECK(once_keys(e.plan(s, entered + Days{4})).empty());
  CHECK(stored_keys(s).count(old_key) == 1);
}

TEST_CASE("engine.no_next_step.closed_deals_are_ignored") {
  MemoryStorage s;
  seed(s);
  auto d = *s.find_deal(DealId{7});
  d.status = DealStatus::lost;
  d.closed = entered + Days{1};
  edit(s, [&](UnitOfWork& w) { w.put_deal(d); });
  CHECK(Engine{nns_config()}.plan(s, entered + Days{5}).findings.empty());
}
}  // namespace nudge_engine_test_no_next_step
