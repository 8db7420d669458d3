#include <doctest/doctest.h>

#include <support/engine_support.hpp>

// Own namespace: the tests build as a unity build.
namespace nudge_engine_test_ladder {

using namespace nudge;
using namespace nudge::test;
using std::chrono::hours;

namespace {

// Director (1) <- Head (2) <- Ivanova (3), Petrov (4). Director and Head serve
// no segment (they never receive clients). Acme (10) of Ivanova, last contact
// 2026-03-02 10:00: forgotten from 2026-05-31 10:00.
const Instant last = at(2026, 3, 2, 10);
const Instant forgotten = last + Days{90};

void seed(MemoryStorage& s) {
  edit(s, [](UnitOfWork& w) {
    auto dir = manager(1, "Director");
    dir.segments = {};
    w.put_manager(dir);
    auto head = manager(2, "Head", 1);
    head.segments = {};
    w.put_manager(head);
    w.put_manager(manager(3, "Ivanova", 2));
    w.put_manager(manager(4, "Petrov", 2));
    w.put_client(client(10, "Acme", 3));
    w.add_activity(activity(100, 10, 3, ActivityKind::call_out, last));
  });
}

/// The ladder: task for the owner at day 0 -> reassign at day 14 ->
/// complain to the supervisor at day 21 -> to the supervisor's supervisor at day 30.
EngineConfig four_step_config() {
  auto c = bare_config();
  ForgottenConfig f;
  f.ladder = {LadderStep{.id = "task", .title = "Call {client}: no contact for {days} days"},
              LadderStep{.id = "reassign", .after = Period::days(14), .action = StepAction::reassign},
              LadderStep{.id = "complain", .after = Period::days(21), .action = StepAction::notify,
                         .target = Target::supervisor},
              LadderStep{.id = "complain2", .after = Period::days(30), .action = StepAction::notify,
                         .target = Target::supervisor, .level = 2}};
  c.forgotten.push_back(f);
  return c;
}

}  // namespace

TEST_CASE("engine.ladder.four_steps_each_once_on_its_day") {
  MemoryStorage s;
  seed(s);
  Engine e{four_step_config()};
  std::map<std::string, std::vector<int>> fired;  // step -> days it fired on
  for (int d = 0; d <= 40; ++d)
    for (const auto& k : e.run(s, forgotten + Days{d} + hours{1}).applied_keys)
      if (!k.starts_with("label/")) fired[split_key(k).step].push_back(d);
  CHECK(fired["task"] == std::vector<int>{0});
  CHECK(fired["reassign"] == std::vector<int>{14});
  CHECK(fired["reassign/task"] == std::vector<int>{14});
  CHECK(fired["complain"] == std::vector<int>{21});
  CHECK(fired["complain2"] == std::vector<int>{30});
  CHECK(s.find_client(ClientId{10})->owner == ManagerId{4});
  // Targets are resolved when a step fires: the complaints are about the current owner (Petrov).
  auto out = s.outbox();
  auto to = [&](std::string_view step) {
    auto it = std::find_if(out.begin(), out.end(), [&](const Message& m) { return m.key.ends_with(step); });
    return it == out.end() ? SubjectRef{} : it->to.who;
  };
  CHECK(to("/complain") == SubjectRef::of(ManagerId{2}));
  CHECK(to("/complain2") == SubjectRef::of(ManagerId{1}));
}

TEST_CASE("engine.ladder.a_step_fires_strictly_after_its_moment") {
  MemoryStorage s;
  seed(s);
  Engine e{four_step_config()};
  auto steps = [&](Instant now) {
    std::vector<std::string> out;
    auto p = e.plan(s, now);
    for (const auto& a : p.actions)
      if (a.once && a.rule == "forgotten") out.push_back(a.step);
    return out;
  };
  const Instant d14 = forgotten + Days{14};
  CHECK(steps(d14 - Seconds{1}) == std::vector<std::string>{"task"});
  CHECK(steps(d14) == std::vector<std::string>{"task"});
  auto after = steps(d14 + Seconds{1});
  REQUIRE(after.size() >= 2);
  CHECK(after[1] == "reassign");
}

TEST_CASE("engine.ladder.delays_in_business_days") {
  MemoryStorage s;
  edit(s, [](UnitOfWork& w) {
    w.put_manager(manager(1, "Head"));
    w.put_manager(manager(2, "Ivanova", 1));
    w.put_client(client(10, "Acme", 2));
    w.add_activity(activity(100, 10, 2, ActivityKind::call_out, at(2026, 3, 6, 10) - Days{90}));
  });
  // Forgotten from Friday 2026-03-06 10:00; complain after 2 business days: Tuesday 10:00.
  auto c = bare_config();
  ForgottenConfig f;
  f.ladder.push_back(LadderStep{.id = "complain", .after = Period::business_days(2), .action = StepAction::notify,
                                .target = Target::supervisor});
  c.forgotten.push_back(f);
  auto cal_holiday = c;
  cal_holiday.calendar = c.calendar.with_holidays({ymd(2026, 3, 9)});
  auto complained = [&](const EngineConfig& cfg, Instant now) {
    auto p = Engine{cfg}.plan(s, now);
    return count_of(p, "forgotten", ActionKind::notify) == 1;
  };
  CHECK_FALSE(complained(c, at(2026, 3, 10, 10)));
  CHECK(complained(c, at(2026, 3, 10, 10) + Seconds{1}));
  CHECK_FALSE(complained(cal_holiday, at(2026, 3, 11, 10)));
  CHECK(complained(cal_holiday, at(2026, 3, 11, 10) + Seconds{1}));
}

TEST_CASE("engine.ladder.late_steps_say_so") {
  MemoryStorage s;
  seed(s);
  Engine e{four_step_config()};
  const Instant d21 = forgotten + Days{21};
  auto complaint = [](const Plan& p) {
    std::vector<const Action*> out;
    for (const auto* a : actions_of(p, "forgotten", ActionKind::notify))
      if (a->step == "complain") out.push_back(a);
    return out;
  };
  SUBCASE("a day after its moment is still on time") {
    auto p = e.plan(s, d21 + hours{24});
    auto n = complaint(p);
    REQUIRE(n.size() == 1);
    CHECK_FALSE(n[0]->late);
    CHECK_FALSE(contains(n[0]->explanation, "late"));
  }
  SUBCASE("a second more is late") {
    auto p = e.plan(s, d21 + hours{24} + Seconds{1});
    auto n = complaint(p);
    REQUIRE(n.size() == 1);
    CHECK(n[0]->late);
    CHECK(n[0]->due == d21);
    CHECK(contains(n[0]->explanation, "(late: fell due 2026-06-21T10:00:00Z, 1 day ago)"));
    e.apply(p, s);
    auto audit = s.audit_log(SubjectRef::of(ClientId{10}));
    CHECK(std::any_of(audit.begin(), audit.end(), [](const AuditRecord& r) {
      return r.action_key.ends_with("/complain") && contains(r.explanation, "late");
    }));
  }
  SUBCASE("the threshold is configurable") {
    auto c = four_step_config();
    c.options.late_after = hours{1};
    auto p = Engine{c}.plan(s, d21 + hours{2});
    REQUIRE(complaint(p).size() == 1);
    CHECK(complaint(p)[0]->late);
  }
}

TEST_CASE("engine.ladder.the_condition_is_checked_again_when_a_step_falls_due") {
  MemoryStorage s;
  seed(s);
  Engine e{four_step_config()};
  auto early = e.plan(s, forgotten + Days{1});
  e.apply(early, s);
  // Called on day 10: at day 14 there is nothing to reassign.
  edit(s, [](UnitOfWork& w) { w.add_activity(activity(200, 10, 3, ActivityKind::call_in, forgotten + Days{10})); });
  auto p = e.plan(s, forgotten + Days{14} + hours{1});
  CHECK(p.findings.empty());
  CHECK(once_keys(p).empty());
  CHECK(s.find_client(ClientId{10})->owner == ManagerId{3});
}

TEST_CASE("engine.ladder.missing_targets_leave_notes_not_actions") {
  MemoryStorage s;
  edit(s, [](UnitOfWork& w) {
    w.put_manager(manager(3, "Ivanova"));
    w.put_client(client(10, "Acme", 3));
    w.add_activity(activity(100, 10, 3, ActivityKind::call_out, last));
  });
  auto c = four_step_config();
  c.forgotten[0].ladder.erase(c.forgotten[0].ladder.begin() + 1);  // no reassign: nobody to take it
  c.forgotten[0].ladder.push_back(
      LadderStep{.id = "close", .action = StepAction::close_lost});  // a client is not a deal
  Engine e{c};
  auto p = e.plan(s, forgotten + Days{31});
  CHECK(once_keys(p).size() == 1);  // only the task
  REQUIRE(p.notes.size() == 3);
  CHECK(contains(p.notes[0], "step 'complain': Ivanova has no supervisor at level 1"));
  CHECK(contains(p.notes[1], "step 'complain2': Ivanova has no supervisor at level 2"));
  CHECK(contains(p.notes[2], "step 'close' closes deals, but client:10 is not a deal"));
  auto f = p.findings[0];
  CHECK(f.due_steps == std::vector<std::string>{"task", "complain", "complain2", "close"});
}

TEST_CASE("engine.ladder.configuration_is_checked") {
  SUBCASE("step ids must be unique and non-empty") {
    auto c = bare_config();
    ForgottenConfig f;
    f.ladder.push_back(f.ladder.front());
    c.forgotten.push_back(f);
    CHECK_THROWS_AS(Engine{c}, invalid_argument);
    c.forgotten[0].ladder = {LadderStep{}};
    CHECK_THROWS_AS(Engine{c}, invalid_argument);
  }
  SUBCASE("assistant ids must be unique") {
    auto c = bare_config();
    c.forgotten.resize(2);
    CHECK_THROWS_AS(Engine{c}, invalid_argument);
    c.forgotten[1].id = "forgotten_b2c";
    CHECK_NOTHROW(Engine{c});
  }
  SUBCASE("release names an existing forgotten assistant") {
    auto c = bare_config();
    c.forgotten.emplace_back();
    ReleaseConfig r;
    r.forgotten = "nope";
    c.release.push_back(r);
    CHECK_THROWS_AS(Engine{c}, configuration_error);
  }
  SUBCASE("pipelines are validated") {
    auto c = bare_config();
    auto p = sales_pipeline();
    p.stages.pop_back();  // no lost terminal
    c.pipelines.push_back(p);
    CHECK_THROWS_AS(Engine{c}, invalid_argument);
  }
}

TEST_CASE("engine.ladder.assistants_per_segment_and_kind_and_switched_off") {
  MemoryStorage s;
  edit(s, [](UnitOfWork& w) {
    w.put_manager(manager(1, "Ivanova"));
    w.put_client(client(10, "Acme", 1, "smb"));
    auto shop = client(11, "Jane", 1, "retail");
    shop.kind = ClientKind::b2c;
    w.put_client(shop);
    w.put_client(client(12, "Bigcorp", 1, "enterprise"));
  });
  auto c = bare_config();
  ForgottenConfig smb;
  smb.id = "forgotten_smb";
  smb.after = Period::days(60);
  smb.scope.segments = {"smb"};
  ForgottenConfig b2c;
  b2c.id = "forgotten_b2c";
  b2c.scope.kind = ClientKind::b2c;
  b2c.enabled = false;  // in B2C constant reassignment hurts
  ForgottenConfig ent;
  ent.id = "forgotten_enterprise";
  ent.after = Period::days(180);
  ent.scope.segments = {"enterprise"};
  c.forgotten = {smb, b2c, ent};
  Engine e{c};
  CHECK(e.assistants().size() == 2);
  const Instant created = at(2025, 1, 1);
  auto p = e.plan(s, created + Days{100});
  REQUIRE(p.findings.size() == 1);
  CHECK(p.findings[0].rule == "forgotten_smb");
  p = e.plan(s, created + Days{181});
  REQUIRE(p.findings.size() == 2);
  CHECK(p.findings[0].rule == "forgotten_smb");
  CHECK(p.findings[1].rule == "forgotten_enterprise");
  CHECK(p.findings[1].subject == SubjectRef::of(ClientId{12}));
}

TEST_CASE("engine.ladder.labels_follow_the_findings") {
  MemoryStorage s;
  seed(s);
  auto c = bare_config();
  c.forgotten.emplace_back();
  Engine e{c};
  e.run(s, forgotten + Days{1});
  CHECK(s.find_client(ClientId{10})->labels.at("forgotten") == "since 2026-05-31");
  SUBCASE("cleared when the condition clears") {
    edit(s, [](UnitOfWork& w) { w.add_activity(activity(200, 10, 3, ActivityKind::email, forgotten + Days{2})); });
    auto p = e.plan(s, forgotten + Days{3});
    auto clear = actions_of(p, "labels", ActionKind::clear_label);
    REQUIRE(clear.size() == 1);
    CHECK_FALSE(clear[0]->once);
    CHECK(clear[0]->explanation == "clear label 'forgotten' from client 10: its condition no longer holds");
    e.apply(p, s);
    CHECK_FALSE(s.find_client(ClientId{10})->has_label("forgotten"));
    CHECK(e.plan(s, forgotten + Days{4}).actions.empty());
  }
  SUBCASE("a label a person removed comes back while the condition holds") {
    edit(s, [](UnitOfWork& w) { w.clear_label(SubjectRef::of(ClientId{10}), "forgotten"); });
    auto p = e.plan(s, forgotten + Days{2});
    CHECK(count_of(p, "forgotten", ActionKind::set_label) == 1);
    CHECK(once_keys(p).empty());  // but the task is not created again
  }
  SUBCASE("labels the engine does not manage are left alone") {
    edit(s, [](UnitOfWork& w) { w.set_label(SubjectRef::of(ClientId{10}), "vip", "key account"); });
    edit(s, [](UnitOfWork& w) { w.add_activity(activity(200, 10, 3, ActivityKind::email, forgotten + Days{2})); });
    e.run(s, forgotten + Days{3});
    CHECK(s.find_client(ClientId{10})->labels == std::map<std::string, std::string>{{"vip", "key account"}});
  }
}
}  // namespace nudge_engine_test_ladder
