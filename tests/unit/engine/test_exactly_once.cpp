#include <doctest/doctest.h>

#include <support/engine_support.hpp>
#include <nudge/engine/explain.hpp>

// Own namespace: the tests build as a unity build.
namespace nudge_engine_test_exactly_once {

using namespace nudge;
using namespace nudge::test;
using std::chrono::hours;

namespace {

// Day 0 is Monday 2026-06-01; the engine runs at 09:00, people act at 08:00.
const Instant day0 = at(2026, 6, 1, 9);
Instant day(int d) { return day0 + Days{d}; }

EngineConfig all_assistants(bool neglected = true) {
  auto c = EngineConfig::defaults();
  c.calendar = BusinessCalendar::weekdays("UTC");
  c.pipelines.push_back(sales_pipeline());
  if (!neglected) c.neglected_task.clear();
  return c;
}

/// A small company where every assistant has something to find during the
/// next two months: 20 clients, 8 open deals, 10 invoices, a locked client.
/// With `future_tasks`, open tasks due in the coming days keep some clients
/// from being forgotten until they fall due.
void build_world(MemoryStorage& s, bool future_tasks = true) {
  edit(s, [&](UnitOfWork& w) {
    auto head = manager(1, "Head");
    head.segments = {};
    w.put_manager(head);
    w.put_manager(manager(2, "Ivanova", 1));
    w.put_manager(manager(3, "Petrov", 1));
    w.put_manager(manager(4, "Sidorov", 1));
    for (int i = 0; i < 20; ++i) {
      const std::int64_t id = 10 + i;
      auto c = client(id, fmt::format("Client{}", id), 2 + i % 3, i % 2 ? "retail" : "smb", at(2025, 1, 1));
      c.release_locked = id == 15;
      c.email = fmt::format("c{}@example.com", id);
      w.put_client(c);
      // Last contact 80 .. 137 days ago: forgotten and released at different days.
      w.add_activity(activity(1000 + id, id, c.owner.value(), ActivityKind::call_out, day0 - Days{80 + 3 * i}));
    }
    // Churned: two won deals, the last 175 days ago.
    for (std::int64_t id : {12, 13}) {
      for (int k = 0; k < 2; ++k) {
        auto d = deal(500 + id * 2 + k, id, 2 + (id - 10) % 3, "won", day0 - Days{300 - 125 * k});
        d.pipeline = "sales";
        d.status = DealStatus::won;
        d.closed = day0 - Days{290 - 115 * k};
        w.put_deal(d);
      }
    }
    for (int i = 0; i < 10; ++i) {
      const std::int64_t id = 10 + i;
      auto inv = invoice(100 + i, id, 100.0 * (i + 1), day0 - Days{40 - 2 * i}, day0 - Days{26 - 2 * i});
      inv.amount.currency = i % 2 ? "USD" : "EUR";
      w.put_invoice(inv);
    }
    for (int i = 0; i < 8; ++i) {
      const std::int64_t id = 10 + i;
      auto d = deal(200 + i, id, 2 + i % 3, i % 2 ? "offer" : "lead", day0 - Days{100 + 5 * i});
      d.pipeline = "sales";
      d.stage_entered = day0 - Days{i};
      w.put_deal(d);
      if (i % 2 == 0) {
        auto t = task(300 + i, id, d.owner.value(), future_tasks ? day0 + Days{2 + i} : day0 - Days{1});
        t.deal = d.id;
        w.put_task(t);
      }
    }
    if (future_tasks) w.put_task(task(400, 11, 3, day0 + Days{20}));  // keeps client 11 from being forgotten
  });
}

const std::vector<std::string> stages{"lead", "offer", "contract"};

/// What people do on day `d` (at 08:00): calls, payments, stage moves, tasks.
void events(MemoryStorage& s, int d) {
  const Instant t = day(d) - hours{1};
  edit(s, [&](UnitOfWork& w) {
    const std::int64_t c = 10 + (d * 7) % 20;
    w.add_activity(activity(10000 + d, c, 2, d % 3 ? ActivityKind::call_out : ActivityKind::call_missed, t));
    if (d % 10 == 5) {
      auto inv = *s.find_invoice(InvoiceId{100 + d / 10});
      inv.paid = t;
      w.put_invoice(inv);
    }
    if (d % 9 == 4) {
      auto inv = invoice(150 + d, 10 + d % 20, 50.0 + d, t, t + Days{5});
      w.put_invoice(inv);
    }
    if (d % 7 == 3) {
      auto deal = *s.find_deal(DealId{200 + (d / 7) % 8});
      if (deal.is_open()) {
        const auto next = stages[(std::find(stages.begin(), stages.end(), deal.stage) - stages.begin() + 1) % 3];
        deal.history.push_back({deal.stage, deal.stage_entered, t});
        deal.stage = next;
        deal.stage_entered = t;
        w.put_deal(deal);
      }
    }
    if (d == 20) {
      auto deal = *s.find_deal(DealId{201});
      deal.holds.push_back({t, t + Days{5}, "client"});
      w.put_deal(deal);
    }
    if (d % 4 == 0) {  // the oldest open task the engine made is done
      for (const auto& [id, task] : s.state().tasks)
        if (task.open() && !task.origin.empty()) {
          auto done = task;
          done.state = TaskState::done;
          done.closed = t;
          w.put_task(done);
          break;
        }
    }
  });
}

bool is_label_key(const std::string& k) { return k.rfind("label/", 0) == 0; }

}  // namespace

TEST_CASE("engine.exactly_once.plan_and_apply_twice_at_the_same_now") {
  MemoryStorage s;
  build_world(s);
  Engine e{all_assistants()};
  auto p = e.plan(s, day0);
  const auto once = once_keys(p);
  REQUIRE(once.size() > 10);
  auto r1 = e.apply(p, s);
  CHECK(r1.skipped == 0);
  const auto after_first = s.state();
  auto r2 = e.apply(p, s);
  CHECK(r2.skipped == once.size());
  for (const auto& k : r2.applied_keys) CHECK_MESSAGE(is_label_key(k), k);  // only idempotent label upkeep
  CHECK(s.state().tasks == after_first.tasks);
  CHECK(s.state().clients == after_first.clients);
  CHECK(s.state().outbox == after_first.outbox);
  CHECK(s.state().actions == after_first.actions);
  auto again = e.plan(s, day0);
  CHECK(again.actions.empty());
  CHECK(e.apply(again, s).applied == 0);
}

TEST_CASE("engine.exactly_once.sixty_days_of_daily_runs_with_events") {
  MemoryStorage s;
  build_world(s);
  Engine e{all_assistants()};
  std::size_t planned_once = 0;
  for (int d = 0; d < 60; ++d) {
    if (d > 0) events(s, d);
    auto p = e.plan(s, day(d));
    planned_once += once_keys(p).size();
    auto r = e.apply(p, s);
    CHECK(r.skipped == 0);
    auto r2 = e.apply(p, s);  // a retry of the same plan
    CHECK(r2.skipped == once_keys(p).size());
    CHECK(once_keys(e.plan(s, day(d))).empty());  // and planning again at the same now
  }
  // Exactly one applied action per (rule, subject, episode, step), in the audit log and in the store's keys.
  std::set<std::string> audited;
  std::map<std::string, int> per_rule;
  for (const auto& [k, n] : audit_key_counts(s)) {
    if (is_label_key(k)) continue;
    CHECK_MESSAGE(n == 1, k);
    audited.insert(k);
    ++per_rule[split_key(k).rule];
  }
  CHECK(audited == stored_keys(s));
  CHECK(audited.size() == planned_once);
  std::set<std::tuple<std::string, std::string, std::string, std::string>> steps;
  for (const auto& k : audited) {
    const auto kp = split_key(k);
    CHECK(steps.insert({kp.rule, kp.subject, kp.episode, kp.step}).second);
  }
  // No task and no message twice.
  std::set<std::string> origins;
  for (const auto& [id, t] : s.state().tasks)
    if (!t.origin.empty()) CHECK_MESSAGE(origins.insert(t.origin).second, t.origin);
  std::set<std::string> message_keys;
  for (const auto& m : s.outbox()) CHECK_MESSAGE(message_keys.insert(m.key).second, m.key);
  // Every assistant had work to do.
  for (const char* rule : {"forgotten", "release", "churned", "unpaid", "debtor", "dead_deal", "stage_sla",
                           "no_next_step", "neglected_task"})
    CHECK_MESSAGE(per_rule[rule] > 0, rule);
  // Episodes cleared and started again: some subject has more than one episode of a rule.
  std::map<std::pair<std::string, std::string>, std::set<std::string>> episodes;
  for (const auto& k : audited) {
    const auto kp = split_key(k);
    episodes[{kp.rule, kp.subject}].insert(kp.episode);
  }
  CHECK(std::any_of(episodes.begin(), episodes.end(), [](const auto& kv) { return kv.second.size() > 1; }));
  // The locked client was never reassigned.
  for (const auto& r : s.audit_log(SubjectRef::of(ClientId{15}))) CHECK(r.action != "reassign");
}

TEST_CASE("engine.exactly_once.nothing_missed_after_a_gap") {
  // Running daily for ten days and running once on day ten plan the same
  // episodes and steps. (Without the neglected-task assistant: its subjects
  // are the tasks the daily runs create, which the single run creates later.
  // Without future tasks: a client whose exemption ends is forgotten from
  // its last contact + 90 days, so its first step is reported late.)
  MemoryStorage daily, once;
  build_world(daily, false);
  build_world(once, false);
  Engine e{all_assistants(false)};
  for (int d = 0; d <= 10; ++d) {
    auto p = e.plan(daily, day(d));
    if (d > 0)  // what fell due since yesterday's run is on time
      for (const auto& a : p.actions) CHECK_MESSAGE(!a.late, a.key);
    e.apply(p, daily);
  }
  e.run(once, day(0));
  auto gap = e.plan(once, day(10));
  e.apply(gap, once);
  CHECK(stored_keys(daily) == stored_keys(once));
  // Every step that fell due more than a day before day ten fires late, and says so.
  std::size_t late = 0;
  for (const auto& a : gap.actions) {
    if (!a.once) continue;
    CHECK(a.due >= day(0));  // it fell due during the gap
    const bool overdue = day(10) - a.due > hours{24};
    CHECK_MESSAGE(a.late == overdue, a.key);
    CHECK(contains(a.explanation, "(late: fell due " + iso_instant(a.due)) == overdue);
    late += a.late;
  }
  CHECK(late > 5);
  // The audit says so too.
  for (const auto& a : gap.actions) {
    if (!a.once) continue;
    auto audit = once.audit_log(a.subject);
    auto it = std::find_if(audit.begin(), audit.end(), [&](const AuditRecord& r) { return r.action_key == a.key; });
    REQUIRE(it != audit.end());
    CHECK(contains(it->explanation, "late") == a.late);
  }
  // Each step fired once, in both histories.
  for (const auto* s : {&daily, &once})
    for (const auto& [k, n] : audit_key_counts(*s))
      if (!is_label_key(k)) CHECK(n == 1);
}

TEST_CASE("engine.exactly_once.a_dry_run_has_no_side_effects") {
  MemoryStorage s;
  build_world(s);
  Engine e{all_assistants()};
  for (int d = 0; d < 5; ++d) e.run(s, day(d));  // some history: keys, tasks, labels, audit, outbox
  const auto before = s.state();
  for (int d = 5; d < 40; d += 7) {
    auto p = e.plan(s, day(d));
    (void)explain(p);
    CHECK(s.state() == before);
  }
}

TEST_CASE("engine.exactly_once.plans_are_deterministic") {
  MemoryStorage a, b;
  build_world(a);
  build_world(b);
  Engine e{all_assistants()};
  for (int d = 0; d < 30; d += 3) {
    auto pa = e.plan(a, day(d));
    CHECK(pa == e.plan(a, day(d)));
    CHECK(pa == e.plan(b, day(d)));
    CHECK(explain(pa) == explain(e.plan(b, day(d))));
    e.apply(pa, a);
    e.apply(e.plan(b, day(d)), b);
  }
  SUBCASE("whatever the scan batch size") {
    auto small = all_assistants();
    small.options.batch = 1;
    CHECK(Engine{small}.plan(a, day(31)) == e.plan(a, day(31)));
  }
}
}  // namespace nudge_engine_test_exactly_once
