#include <doctest/doctest.h>

#include <algorithm>
#include <random>
#include <unordered_map>

#include <support/engine_support.hpp>
#include <nudge/engine/explain.hpp>

// Own namespace: the tests build as a unity build.
namespace nudge_engine_test_stage_sla {

using namespace nudge;
using namespace nudge::test;
using std::chrono::hours;
using std::chrono::minutes;

namespace {

// Monday 2026-03-02 10:00 UTC: deal 7 enters "lead" (limit 2 days).
const Instant entered = at(2026, 3, 2, 10);

EngineConfig sla_config(Pipeline p = sales_pipeline(), StageSlaConfig sla = {}) {
  auto c = bare_config();
  c.pipelines.push_back(std::move(p));
  c.stage_sla.push_back(std::move(sla));
  return c;
}

// Director (1) <- Head (2) <- Ivanova (3); client 10 and deal 7 belong to Ivanova.
void seed(MemoryStorage& s, Instant when = entered, std::string stage = "lead") {
  edit(s, [&](UnitOfWork& w) {
    w.put_manager(manager(1, "Director"));
    w.put_manager(manager(2, "Head", 1));
    w.put_manager(manager(3, "Ivanova", 2));
    w.put_client(client(10, "Acme", 3));
    auto d = deal(7, 10, 3, stage, when);
    d.pipeline = "sales";
    w.put_deal(d);
  });
}

Deal the_deal(const MemoryStorage& s) { return *s.find_deal(DealId{7}); }

void put(MemoryStorage& s, const Deal& d) {
  edit(s, [&](UnitOfWork& w) { w.put_deal(d); });
}

// Moves deal 7 to `stage` at `t`, keeping the visit in its history.
void move(MemoryStorage& s, std::string stage, Instant t) {
  auto d = the_deal(s);
  d.history.push_back({d.stage, d.stage_entered, t});
  d.stage = std::move(stage);
  d.stage_entered = t;
  put(s, d);
}

std::vector<std::string> steps_fired(const Plan& p) {
  std::vector<std::string> out;
  for (const auto* a : actions_of(p, "stage_sla")) out.push_back(a->step);
  return out;
}

const Seconds warning_at{static_cast<std::int64_t>(0.8 * 2 * 86400)};  // 38h24m

}  // namespace

TEST_CASE("engine.stage_sla.warning_threshold_edges") {
  MemoryStorage s;
  seed(s);
  Engine e{sla_config()};
  SUBCASE("one second before 80 % of the limit") { CHECK(e.plan(s, entered + warning_at - Seconds{1}).findings.empty()); }
  SUBCASE("exactly at 80 %") { CHECK(e.plan(s, entered + warning_at).findings.empty()); }
  SUBCASE("one second after") {
    auto p = e.plan(s, entered + warning_at + Seconds{1});
    REQUIRE(p.findings.size() == 1);
    CHECK(p.findings[0].fact("level")->value == FactValue{std::string("warning")});
    CHECK(steps_fired(p) == std::vector<std::string>{"warning"});
    CHECK(actions_of(p)[0]->to == ManagerId{3});  // the owner
    CHECK(actions_of(p)[0]->due == entered + warning_at);
  }
}

TEST_CASE("engine.stage_sla.breach_threshold_edges") {
  MemoryStorage s;
  seed(s);
  Engine e{sla_config()};
  const Instant limit = entered + Days{2};
  SUBCASE("one second before the limit: nearing, warning only") {
    auto p = e.plan(s, limit - Seconds{1});
    REQUIRE(p.findings.size() == 1);
    CHECK(contains(p.findings[0].summary, "nearing"));
    CHECK(steps_fired(p) == std::vector<std::string>{"warning"});
  }
  SUBCASE("exactly at the limit: not breached yet, so no breach step") {
    auto p = e.plan(s, limit);
    REQUIRE(p.findings.size() == 1);
    CHECK(contains(p.findings[0].summary, "nearing"));
    CHECK(p.findings[0].fact("over_seconds")->value == FactValue{std::int64_t{0}});
    CHECK(steps_fired(p) == std::vector<std::string>{"warning"});
  }
  SUBCASE("one second after: breached, the supervisor is told") {
    auto p = e.plan(s, limit + Seconds{1});
    REQUIRE(p.findings.size() == 1);
    CHECK(contains(p.findings[0].summary, "deal 7 breached stage 'lead' limit"));
    CHECK(p.findings[0].fact("over_seconds")->value == FactValue{std::int64_t{1}});
    CHECK(steps_fired(p) == std::vector<std::string>{"warning", "breach"});
    CHECK(actions_of(p)[1]->to == ManagerId{2});
  }
  SUBCASE("twice the limit: the supervisor's supervisor") {
    CHECK(steps_fired(e.plan(s, limit + Days{2})) == std::vector<std::string>{"warning", "breach"});
    auto p = e.plan(s, limit + Days{2} + Seconds{1});
    CHECK(steps_fired(p) == std::vector<std::string>{"warning", "breach", "breach2"});
    CHECK(actions_of(p)[2]->to == ManagerId{1});
  }
}

TEST_CASE("engine.stage_sla.business_days_skip_weekends_and_holidays") {
  // Entered on Friday 2026-03-06 10:00; limit 2 business days, Monday to Friday.
  const Instant friday = at(2026, 3, 6, 10);
  MemoryStorage s;
  seed(s, friday);
  SUBCASE("over the weekend: Friday 14 h + Monday 24 h + Tuesday 10 h") {
    Engine e{sla_config(sales_pipeline(TimeBasis::business_days))};
    CHECK(e.plan(s, at(2026, 3, 8, 23, 59)).findings.empty());  // Sunday: 14 h used
    const Instant breach = at(2026, 3, 10, 10);
    CHECK(steps_fired(e.plan(s, breach - Seconds{1})) == std::vector<std::string>{"warning"});
    CHECK(steps_fired(e.plan(s, breach)) == std::vector<std::string>{"warning"});
    auto p = e.plan(s, breach + Seconds{1});
    CHECK(steps_fired(p) == std::vector<std::string>{"warning", "breach"});
    CHECK(actions_of(p)[0]->due == at(2026, 3, 10, 0, 24));  // 38.4 h of business days
    CHECK(actions_of(p)[1]->due == breach);
    CHECK(contains(p.findings[0].summary, "of 2 business days"));
  }
  SUBCASE("a holiday on Monday moves the breach to Wednesday") {
    auto c = sla_config(sales_pipeline(TimeBasis::business_days));
    c.calendar = c.calendar.with_holidays({ymd(2026, 3, 9)});
    Engine e{c};
    const Instant breach = at(2026, 3, 11, 10);
    CHECK(steps_fired(e.plan(s, at(2026, 3, 10, 10) + Seconds{1})).empty());  // Tuesday: 38 h used
    CHECK(steps_fired(e.plan(s, breach)) == std::vector<std::string>{"warning"});
    CHECK(steps_fired(e.plan(s, breach + Seconds{1})) == std::vector<std::string>{"warning", "breach"});
  }
  SUBCASE("the same limit in calendar days breaches on Sunday") {
    Engine e{sla_config(sales_pipeline(TimeBasis::calendar))};
    CHECK(steps_fired(e.plan(s, at(2026, 3, 8, 10) + Seconds{1})) == std::vector<std::string>{"warning", "breach"});
  }
  SUBCASE("business hours: 8 working hours from Friday 16:00 end on Monday 15:00") {
    auto p = sales_pipeline();
    p.stages[0].limit = Period::business_hours(8);
    Engine e{sla_config(p)};
    put(s, [&] {
      auto d = the_deal(s);
      d.opened = d.stage_entered = at(2026, 3, 6, 16);
      return d;
    }());
    CHECK(steps_fired(e.plan(s, at(2026, 3, 9, 15))) == std::vector<std::string>{"warning"});
    CHECK(steps_fired(e.plan(s, at(2026, 3, 9, 15) + Seconds{1})) == std::vector<std::string>{"warning", "breach"});
  }
}

TEST_CASE("engine.stage_sla.the_clock_pauses_while_on_hold") {
  MemoryStorage s;
  seed(s);
  auto d = the_deal(s);
  d.holds.push_back({entered + Days{1}, entered + Days{2}, "client"});
  put(s, d);
  SUBCASE("every hold pauses by default: breach one day later") {
    Engine e{sla_config()};
    CHECK(steps_fired(e.plan(s, entered + Days{3})) == std::vector<std::string>{"warning"});
    auto p = e.plan(s, entered + Days{3} + Seconds{1});
    CHECK(steps_fired(p) == std::vector<std::string>{"warning", "breach"});
    CHECK(actions_of(p)[0]->due == entered + Days{2} + (warning_at - Days{1}));  // counted on after the hold
  }
  SUBCASE("only the configured hold reasons pause") {
    StageSlaConfig sla;
    sla.pause_on = {"legal"};
    Engine e{sla_config(sales_pipeline(), sla)};
    CHECK(steps_fired(e.plan(s, entered + Days{2} + Seconds{1})) == std::vector<std::string>{"warning", "breach"});
  }
  SUBCASE("an open hold stops the clock until it ends") {
    d.holds = {{entered + Days{1}, std::nullopt, "client"}};
    put(s, d);
    Engine e{sla_config()};
    CHECK(e.plan(s, entered + Days{30}).findings.empty());
    d.holds[0].to = entered + Days{30};
    put(s, d);
    CHECK(steps_fired(e.plan(s, entered + Days{31} + Seconds{1})) == std::vector<std::string>{"warning", "breach"});
  }
}

TEST_CASE("engine.stage_sla.a_deal_that_moves_stage_mid_episode") {
  MemoryStorage s;
  seed(s);
  Engine e{sla_config()};
  const Instant t1 = entered + hours{40};  // warned in lead
  auto r1 = e.run(s, t1);
  REQUIRE(r1.applied_keys.size() == 1);
  CHECK(split_key(r1.applied_keys[0]).episode == "lead@" + iso_instant(entered));
  move(s, "offer", entered + hours{44});  // offer: 5 days
  SUBCASE("no step of the old stage repeats; the new stage starts its own episode") {
    CHECK(e.plan(s, entered + Days{3}).actions.empty());
    const Instant warn = entered + hours{44} + Seconds{static_cast<std::int64_t>(0.8 * 5 * 86400)};
    CHECK(e.plan(s, warn).actions.empty());
    auto p = e.plan(s, warn + Seconds{1});
    REQUIRE(p.actions.size() == 1);
    CHECK(split_key(p.actions[0].key).episode == "offer@" + iso_instant(entered + hours{44}));
    CHECK(p.actions[0].step == "warning");
  }
  SUBCASE("back in lead, restart (default): a new episode, warned again when 80 % is used again") {
    move(s, "lead", entered + hours{50});
    CHECK(e.plan(s, entered + hours{50} + hours{38}).actions.empty());  // only 38 h in this visit
    auto p = e.plan(s, entered + hours{50} + warning_at + Seconds{1});
    REQUIRE(p.actions.size() == 1);
    CHECK(split_key(p.actions[0].key).episode == "lead@" + iso_instant(entered + hours{50}));
  }
  SUBCASE("back in lead, continue: the same episode, the warning is not repeated, the breach comes sooner") {
    StageSlaConfig sla;
    sla.restart_on_reentry = false;
    Engine cont{sla_config(sales_pipeline(), sla)};
    move(s, "lead", entered + hours{50});
    // 44 h already used in lead: 4 h more make the 48 h limit.
    const Instant breach = entered + hours{50} + hours{4};
    auto before = cont.plan(s, breach);
    REQUIRE(before.findings.size() == 1);
    CHECK(before.findings[0].episode == "lead@" + iso_instant(entered));
    CHECK(before.actions.empty());  // the warning of this episode was applied already
    auto p = cont.plan(s, breach + Seconds{1});
    REQUIRE(p.actions.size() == 1);
    CHECK(p.actions[0].step == "breach");
    CHECK(p.actions[0].due == breach);
  }
}

TEST_CASE("engine.stage_sla.explanation_names_rule_subject_facts_limit") {
  MemoryStorage s;
  seed(s);
  Engine e{sla_config()};
  auto p = e.plan(s, entered + Days{3});
  REQUIRE(p.findings.size() == 1);
  CHECK(p.findings[0].summary ==
        "deal 7 breached stage 'lead' limit: in stage since 2026-03-02T10:00:00Z, used 3 days of 2 days (1 day "
        "over), owner Ivanova");
  const auto text = explain(p);
  CHECK(contains(text, "[stage_sla]"));
  CHECK(contains(text, "in_app to Head (supervisor)"));
}

TEST_CASE("engine.stage_sla.stages_without_a_limit_and_closed_deals_are_ignored") {
  MemoryStorage s;
  seed(s, entered, "contract");
  Engine e{sla_config()};
  CHECK(e.plan(s, entered + Days{300}).findings_of("stage_sla").empty());
  auto d = the_deal(s);
  d.stage = "lead";
  d.status = DealStatus::won;
  d.closed = entered + Days{1};
  put(s, d);
  CHECK(e.plan(s, entered + Days{300}).findings_of("stage_sla").empty());
}
}  // namespace nudge_engine_test_stage_sla

namespace nudge_engine_test_stage_sla {

namespace {

/// One breach tested at `t0` and again at a later `t1`.
struct Tested {
  bool holds = false;
  Hit hit;
  Aging aging;
};

Tested test_at(const StageSlaAssistant& a, const BusinessCalendar& cal,
               const std::unordered_map<std::string, Pipeline>& pipelines, const Deal& d, Instant now) {
  Tested out;
  Context ctx;
  ctx.now = now;
  ctx.calendar = &cal;
  ctx.pipelines = &pipelines;
  ctx.aging = &out.aging;
  const ClientInfo info{d.client, d.owner};
  out.holds = a.test(ctx, info, DealView{&d, 0, std::nullopt}, out.hit);
  return out;
}

}  // namespace

TEST_CASE("engine.stage_sla.a_breach_ages_exactly_as_a_fresh_test_finds_it") {
  // Random deals, holds, visits and moments on a calendar with working hours,
  // holidays and DST: wherever the test says how its hit ages, a test at any
  // later moment before `until` gives the same hit with `seconds` grown by the
  // clock's elapsed time (or standing still while on hold).
  const auto cal = BusinessCalendar::weekdays("Europe/Berlin")
                       .with_holiday(HolidayRule::fixed(12, 25, "Christmas Day"))
                       .with_holiday(HolidayRule::easter(-2, "Good Friday"))
                       .with_hours_all(hours{9}, hours{17});
  std::mt19937 rng(7);
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<std::uint32_t>(n)); };
  const Instant base = at(2026, 3, 1);
  auto when = [&](int max_hours) { return base + minutes{pick(max_hours * 60)}; };
  int aged = 0, paused = 0, refused = 0;
  for (const auto basis : {TimeBasis::business_hours, TimeBasis::business_days, TimeBasis::calendar}) {
    auto p = sales_pipeline();
    p.stages[0].limit = Period{Seconds{3600 * (1 + pick(30))}, basis};
    std::unordered_map<std::string, Pipeline> pipelines{{p.id, p}};
    for (int round = 0; round < 400; ++round) {
      StageSlaConfig c;
      if (pick(2)) c.pause_on = {"legal"};
      c.restart_on_reentry = pick(2) == 0;
      const StageSlaAssistant a{c};
      Deal d = deal(7, 10, 3, "lead", base);
      d.pipeline = "sales";
      d.stage_entered = when(40 * 24);
      if (pick(2)) d.history.push_back({"lead", base - Days{pick(10)}, base + hours{pick(24)}});
      if (pick(5) == 0) d.history.push_back({"lead", when(60 * 24), when(60 * 24)});  // a visit that may lie ahead
      for (int k = pick(4); k > 0; --k) {
        Hold h{when(60 * 24), std::nullopt, pick(2) ? "client" : "legal"};
        if (pick(4)) h.to = h.from + minutes{pick(10 * 24 * 60)};
        d.holds.push_back(h);
      }
      const Instant t0 = when(60 * 24);
      const auto first = test_at(a, cal, pipelines, d, t0);
      if (!first.holds) continue;
      if (!first.aging.known) {
        ++refused;
        continue;
      }
      const Instant end = std::min(first.aging.until, t0 + Days{90});
      for (int k = 0; k < 8; ++k) {
        const Instant t1 = t0 + Seconds{pick(static_cast<int>(std::min<std::int64_t>((end - t0).count(), 1 << 30)))};
        const auto later = test_at(a, cal, pipelines, d, t1);
        CAPTURE(iso_instant(t0));
        CAPTURE(iso_instant(t1));
        REQUIRE(later.holds);
        Hit expect = first.hit;
        if (first.aging.runs) expect.seconds += cal.elapsed(t0, t1, basis).count();
        CHECK(later.hit == expect);
        CHECK(later.aging.known);
        CHECK(later.aging.until == first.aging.until);
        CHECK(later.aging.runs == first.aging.runs);
      }
      ++(first.aging.runs ? aged : paused);
    }
  }
  // Every path was taken.
  CHECK(aged > 100);
  CHECK(paused > 20);
  CHECK(refused > 5);
}

TEST_CASE("engine.stage_sla.no_ageing_while_an_earlier_visit_lies_ahead") {
  // An earlier visit that (oddly) ends after now, and an open hold since
  // yesterday: the hold eats more of that visit as now moves, so the used
  // time shrinks. The test must not describe that as ageing.
  const auto cal = BusinessCalendar::weekdays("UTC");
  auto p = sales_pipeline();
  std::unordered_map<std::string, Pipeline> pipelines{{p.id, p}};
  StageSlaConfig c;
  c.restart_on_reentry = false;
  const StageSlaAssistant a{c};
  const Instant t0 = entered + Days{10};
  Deal d = deal(7, 10, 3, "lead", entered);
  d.pipeline = "sales";
  d.stage_entered = t0 - Days{2};
  d.history.push_back({"lead", entered, t0 + Days{3}});
  d.holds.push_back({t0 - Days{1}, std::nullopt, "client"});
  const auto first = test_at(a, cal, pipelines, d, t0);
  const auto later = test_at(a, cal, pipelines, d, t0 + Days{1});
  REQUIRE(first.holds);
  CHECK_FALSE(first.aging.known);
  CHECK(later.hit.seconds < first.hit.seconds);
}

TEST_CASE("engine.stage_sla.business_clocks_add_up") {
  // Ageing relies on elapsed(a, c) == elapsed(a, b) + elapsed(b, c).
  const auto cal = BusinessCalendar::weekdays("Europe/Berlin")
                       .with_holiday(HolidayRule::easter(-2, "Good Friday"))
                       .with_hours_all(hours{9}, hours{17});
  std::mt19937 rng(3);
  auto when = [&] { return at(2026, 1, 1) + Seconds{rng() % (400u * 86400u)}; };
  for (int i = 0; i < 20000; ++i) {
    Instant t[3] = {when(), when(), when()};
    std::sort(t, t + 3);
    for (const auto basis : {TimeBasis::business_hours, TimeBasis::business_days}) {
      CAPTURE(iso_instant(t[0]));
      CAPTURE(iso_instant(t[1]));
      CAPTURE(iso_instant(t[2]));
      CHECK(cal.elapsed(t[0], t[2], basis) == cal.elapsed(t[0], t[1], basis) + cal.elapsed(t[1], t[2], basis));
    }
  }
}

}  // namespace nudge_engine_test_stage_sla
