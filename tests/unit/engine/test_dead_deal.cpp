#include <doctest/doctest.h>

#include <support/engine_support.hpp>

// Own namespace: the tests build as a unity build.
namespace nudge_engine_test_dead_deal {

using namespace nudge;
using namespace nudge::test;

namespace {

// Deal 7 (Acme, Ivanova) opened 2026-01-05 10:00 in pipeline "sales", stage "lead".
const Instant opened = at(2026, 1, 5, 10);
const Instant limit = opened + Days{120};

EngineConfig dead_config(DeadDealConfig d = {}) {
  auto c = bare_config();
  c.pipelines.push_back(sales_pipeline());
  c.dead_deal.push_back(std::move(d));
  return c;
}

// Director (1), head of sales Head (2, reports to 1), Ivanova (3, reports to 2).
void seed(MemoryStorage& s, std::string pipeline = "sales") {
  edit(s, [&](UnitOfWork& w) {
    w.put_manager(manager(1, "Director"));
    w.put_manager(manager(2, "Head", 1));
    w.put_manager(manager(3, "Ivanova", 2));
    w.put_client(client(10, "Acme", 3));
    auto d = deal(7, 10, 3, "lead", opened, 25000.0);
    d.pipeline = pipeline;
    w.put_deal(d);
  });
}

Ladder close_ladder(std::string reason = {}) {
  return {LadderStep{.id = "alert", .action = StepAction::notify, .target = Target::supervisor, .template_id = "dead_deal"},
          LadderStep{.id = "close", .after = Period::days(7), .action = StepAction::close_lost, .reason = reason}};
}

}  // namespace

TEST_CASE("engine.dead_deal.threshold_edges") {
  MemoryStorage s;
  seed(s);
  Engine e{dead_config()};
  SUBCASE("one second before") { CHECK(e.plan(s, limit - Seconds{1}).findings.empty()); }
  SUBCASE("exactly at the limit") { CHECK(e.plan(s, limit).findings.empty()); }
  SUBCASE("one second after: the head of sales is told") {
    auto p = e.plan(s, limit + Seconds{1});
    REQUIRE(p.findings.size() == 1);
    CHECK(p.findings[0].summary == "deal 7 dead: open since 2026-01-05 (120 days), limit 120 days, stage 'lead', "
                                   "25000.00 USD, owner Ivanova");
    CHECK(p.findings[0].episode == iso_instant(opened));
    auto n = actions_of(p, "dead_deal", ActionKind::notify);
    REQUIRE(n.size() == 1);
    CHECK(n[0]->to == ManagerId{2});
    CHECK(n[0]->message->template_id == "dead_deal");
  }
}

TEST_CASE("engine.dead_deal.limit_per_pipeline") {
  MemoryStorage s;
  seed(s, "fast");
  auto p = sales_pipeline();
  p.id = "fast";
  DeadDealConfig d;
  d.per_pipeline["fast"] = Period::days(30);
  auto c = dead_config(d);
  c.pipelines.push_back(p);
  Engine e{c};
  CHECK(e.plan(s, opened + Days{30}).findings.empty());
  auto q = e.plan(s, opened + Days{30} + Seconds{1});
  REQUIRE(q.findings.size() == 1);
  CHECK(q.findings[0].fact("limit")->value == FactValue{std::string("30d")});
  SUBCASE("scoped to other pipelines: not looked at") {
    d.scope.pipelines = {"sales"};
    CHECK(Engine{dead_config(d)}.plan(s, opened + Days{300}).findings.empty());
  }
}

TEST_CASE("engine.dead_deal.close_lost_step_closes_the_deal_with_reason_expired") {
  MemoryStorage s;
  seed(s);
  DeadDealConfig d;
  d.ladder = close_ladder();
  Engine e{dead_config(d)};
  e.run(s, limit + Days{1});
  CHECK(s.find_deal(DealId{7})->is_open());  // alerted, not closed yet
  CHECK(count_of(e.plan(s, limit + Days{7}), "dead_deal") == 0);
  const Instant now = limit + Days{7} + Seconds{1};
  auto p = e.plan(s, now);
  auto close = actions_of(p, "dead_deal", ActionKind::close_deal);
  REQUIRE(close.size() == 1);
  CHECK(close[0]->reason == "expired");
  CHECK(close[0]->explanation == "close deal 7 as lost, reason 'expired'");
  e.apply(p, s);
  auto closed = *s.find_deal(DealId{7});
  CHECK(closed.status == DealStatus::lost);
  CHECK(closed.loss_reason == "expired");
  CHECK(closed.closed == now);
  REQUIRE(closed.history.size() == 1);
  CHECK(closed.history[0] == StageVisit{"lead", opened, now});
  CHECK(e.plan(s, now + Days{1}).findings.empty());
  auto audit = s.audit_log(SubjectRef::of(DealId{7}));
  CHECK(std::count_if(audit.begin(), audit.end(), [](const AuditRecord& r) { return r.action == "close_deal"; }) == 1);
  SUBCASE("another loss reason when configured") {
    MemoryStorage t;
    seed(t);
    d.ladder = close_ladder("stale");
    Engine{dead_config(d)}.run(t, now);
    CHECK(t.find_deal(DealId{7})->loss_reason == "stale");
  }
}

TEST_CASE("engine.dead_deal.notify_a_fixed_head_of_sales") {
  MemoryStorage s;
  seed(s);
  DeadDealConfig d;
  d.ladder = {LadderStep{.id = "alert", .action = StepAction::notify, .target = Target::manager, .manager_id = 1}};
  auto q = Engine{dead_config(d)}.plan(s, limit + Days{1});
  auto n = actions_of(q, "dead_deal", ActionKind::notify);
  REQUIRE(n.size() == 1);
  CHECK(n[0]->to == ManagerId{1});
  d.ladder[0].manager_id = 99;
  auto p = Engine{dead_config(d)}.plan(s, limit + Days{1});
  CHECK(actions_of(p, "dead_deal").empty());
  REQUIRE(p.notes.size() == 1);
  CHECK(contains(p.notes[0], "unknown manager 99"));
}

TEST_CASE("engine.dead_deal.moving_stage_does_not_start_a_new_episode_closing_ends_it") {
  MemoryStorage s;
  seed(s);
  Engine e{dead_config()};
  e.run(s, limit + Days{1});
  auto d = *s.find_deal(DealId{7});
  d.history.push_back({d.stage, d.stage_entered, limit + Days{2}});
  d.stage = "offer";
  d.stage_entered = limit + Days{2};
  edit(s, [&](UnitOfWork& w) { w.put_deal(d); });
  auto p = e.plan(s, limit + Days{3});
  REQUIRE(p.findings.size() == 1);  // still dead: its age counts from opening
  CHECK(p.actions.empty());         // and the head of sales was told already
  d.status = DealStatus::won;
  d.closed = limit + Days{4};
  edit(s, [&](UnitOfWork& w) { w.put_deal(d); });
  CHECK(e.plan(s, limit + Days{5}).findings.empty());
}
}  // namespace nudge_engine_test_dead_deal
