#include <doctest/doctest.h>

#include <support/engine_support.hpp>

// Own namespace: the tests build as a unity build.
namespace nudge_engine_test_neglected_task {

using namespace nudge;
using namespace nudge::test;

namespace {

// Task 1 for Ivanova, planned to start Friday 2026-03-06 16:00; working hours
// 09:00-18:00 Monday to Friday. 4 business hours: 2 on Friday, 2 on Monday.
const Instant start = at(2026, 3, 6, 16);
const Instant since = at(2026, 3, 9, 11);     // Monday 11:00
const Instant escalate = at(2026, 3, 10, 11); // one business day later

EngineConfig neglected_config(NeglectedTaskConfig n = {}) {
  auto c = bare_config();
  c.neglected_task.push_back(std::move(n));
  return c;
}

Task the_task(Instant planned = start) {
  auto t = task(1, 10, 3, planned + Days{3});
  t.planned_start = planned;
  t.created = planned - Days{1};
  t.title = "send the offer";
  return t;
}

void seed(MemoryStorage& s, bool supervisor = true) {
  edit(s, [&](UnitOfWork& w) {
    w.put_manager(manager(1, "Director"));
    w.put_manager(manager(2, "Head", 1));
    w.put_manager(manager(3, "Ivanova", supervisor ? std::optional<std::int64_t>{2} : std::nullopt));
    w.put_client(client(10, "Acme", 3));
    w.put_task(the_task());
  });
}

void put(MemoryStorage& s, const Task& t) {
  edit(s, [&](UnitOfWork& w) { w.put_task(t); });
}

std::vector<std::string> steps(const Plan& p) {
  std::vector<std::string> out;
  for (const auto* a : actions_of(p, "neglected_task")) out.push_back(a->step);
  return out;
}

}  // namespace

TEST_CASE("engine.neglected_task.grace_in_business_hours_over_a_weekend") {
  MemoryStorage s;
  seed(s);
  Engine e{neglected_config()};
  SUBCASE("one second before") { CHECK(e.plan(s, since - Seconds{1}).findings.empty()); }
  SUBCASE("exactly at the end of the grace") { CHECK(e.plan(s, since).findings.empty()); }
  SUBCASE("one second after: the assignee is reminded") {
    auto p = e.plan(s, since + Seconds{1});
    REQUIRE(p.findings.size() == 1);
    CHECK(p.findings[0].subject == SubjectRef::of(TaskId{1}));
    CHECK(p.findings[0].summary == "task 1 'send the offer' neglected: still in attention, planned start "
                                   "2026-03-06T16:00:00Z, grace 4 business hours, assignee Ivanova");
    CHECK(steps(p) == std::vector<std::string>{"remind"});
    CHECK(actions_of(p)[0]->to == ManagerId{3});
  }
  SUBCASE("the weekend does not count") { CHECK(e.plan(s, at(2026, 3, 8, 23)).findings.empty()); }
}

TEST_CASE("engine.neglected_task.remind_then_escalate") {
  MemoryStorage s;
  seed(s);
  SUBCASE("one business day after the reminder, the supervisor") {
    Engine e{neglected_config()};
    CHECK(steps(e.plan(s, escalate)) == std::vector<std::string>{"remind"});
    auto p = e.plan(s, escalate + Seconds{1});
    CHECK(steps(p) == std::vector<std::string>{"remind", "escalate"});
    CHECK(actions_of(p)[1]->to == ManagerId{2});
  }
  SUBCASE("a holiday on Tuesday moves the escalation to Wednesday") {
    auto c = neglected_config();
    c.calendar = c.calendar.with_holidays({ymd(2026, 3, 10)});
    Engine e{c};
    CHECK(steps(e.plan(s, at(2026, 3, 11, 11))) == std::vector<std::string>{"remind"});
    CHECK(steps(e.plan(s, at(2026, 3, 11, 11) + Seconds{1})) == std::vector<std::string>{"remind", "escalate"});
  }
  SUBCASE("daily runs: each step once") {
    Engine e{neglected_config()};
    std::map<std::string, int> n;
    for (int h = 0; h < 24 * 6; ++h)
      for (const auto& k : e.run(s, since + std::chrono::hours{h}).applied_keys) ++n[split_key(k).step];
    CHECK(n == std::map<std::string, int>{{"escalate", 1}, {"remind", 1}});
  }
  SUBCASE("no supervisor: a note, no escalation") {
    MemoryStorage t;
    seed(t, false);
    auto p = Engine{neglected_config()}.plan(t, escalate + Days{1});
    CHECK(steps(p) == std::vector<std::string>{"remind"});
    REQUIRE(p.notes.size() == 1);
    CHECK(contains(p.notes[0], "Ivanova has no supervisor"));
  }
}

TEST_CASE("engine.neglected_task.clears_when_taken_up_and_starts_again_when_replanned") {
  MemoryStorage s;
  seed(s);
  Engine e{neglected_config()};
  e.run(s, since + std::chrono::hours{1});
  SUBCASE("in progress: not neglected, no escalation") {
    auto t = the_task();
    t.state = TaskState::in_progress;
    put(s, t);
    CHECK(e.plan(s, escalate + Days{1}).findings.empty());
  }
  SUBCASE("done: not neglected") {
    auto t = the_task();
    t.state = TaskState::done;
    t.closed = since + std::chrono::hours{2};
    put(s, t);
    CHECK(e.plan(s, escalate + Days{1}).findings.empty());
  }
  SUBCASE("replanned: a new episode, reminded again") {
    const Instant later = at(2026, 3, 16, 9);  // next Monday 09:00
    put(s, the_task(later));
    CHECK(e.plan(s, later + std::chrono::hours{4}).findings.empty());
    auto p = e.plan(s, later + std::chrono::hours{4} + Seconds{1});
    CHECK(steps(p) == std::vector<std::string>{"remind"});
    CHECK(split_key(actions_of(p)[0]->key).episode == iso_instant(later));
  }
}

TEST_CASE("engine.neglected_task.without_a_planned_start_counts_from_creation") {
  MemoryStorage s;
  seed(s);
  auto t = the_task();
  t.planned_start.reset();
  t.created = start;
  put(s, t);
  Engine e{neglected_config()};
  CHECK(e.plan(s, since).findings.empty());
  CHECK(e.plan(s, since + Seconds{1}).findings.size() == 1);
}

TEST_CASE("engine.neglected_task.watches_the_engines_own_tasks_too") {
  // A forgotten-client task nobody touches is itself neglected four working hours later.
  MemoryStorage s;
  seed(s);
  auto c = neglected_config();
  c.forgotten.emplace_back();
  Engine e{c};
  const Instant monday = at(2026, 6, 1, 10);
  auto r = e.run(s, monday);
  REQUIRE(std::any_of(r.applied_keys.begin(), r.applied_keys.end(),
                      [](const std::string& k) { return k.rfind("forgotten/", 0) == 0; }));
  const auto mine = std::find_if(s.state().tasks.begin(), s.state().tasks.end(),
                                 [](const auto& kv) { return !kv.second.origin.empty(); });
  REQUIRE(mine != s.state().tasks.end());
  auto before = e.plan(s, monday + std::chrono::hours{4});
  CHECK(finding(before, "neglected_task", SubjectRef::of(mine->first)) == nullptr);
  auto p = e.plan(s, monday + std::chrono::hours{4} + Seconds{1});
  CHECK(finding(p, "neglected_task", SubjectRef::of(mine->first)) != nullptr);
}
}  // namespace nudge_engine_test_neglected_task
