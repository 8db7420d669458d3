#include <doctest/doctest.h>

#include <support/engine_support.hpp>
#include <nudge/engine/explain.hpp>

// Own namespace: the tests build as a unity build.
namespace nudge_engine_test_release {

using namespace nudge;
using namespace nudge::test;

namespace {

// Last contact Monday 2026-03-02 10:00; forgotten after 90 days (2026-05-31
// 10:00); released 14 days later (2026-06-14 10:00).
const Instant last = at(2026, 3, 2, 10);
const Instant forgotten_at = last + Days{90};
const Instant release_at = last + Days{104};
const Instant now = release_at + Days{1};

EngineConfig release_config(ReleasePolicy policy = {}) {
  auto c = bare_config();
  ForgottenConfig f;
  f.after = Period::days(90);
  c.forgotten.push_back(f);
  ReleaseConfig r;
  r.grace = Period::days(14);
  r.policy = policy;
  c.release.push_back(r);
  return c;
}

ReleasePolicy policy(ReleasePolicy::Kind k, bool update_loads = true) {
  ReleasePolicy p;
  p.kind = k;
  p.update_loads = update_loads;
  return p;
}

// Head (1) supervises Ivanova (2), Petrov (3), Sidorov (4), Kozlov (5).
// Ivanova owns `forgotten` smb clients 10, 11, ... last contacted at `last`.
// The head serves no segment, so never receives released clients.
void seed(MemoryStorage& s, int forgotten = 1, std::function<void(Manager&)> tweak = {}) {
  edit(s, [&](UnitOfWork& w) {
    auto head = manager(1, "Head");
    head.segments = {};
    w.put_manager(head);
    for (auto [id, name] : {std::pair{2, "Ivanova"}, {3, "Petrov"}, {4, "Sidorov"}, {5, "Kozlov"}}) {
      auto m = manager(id, name, 1);
      if (tweak) tweak(m);
      w.put_manager(m);
    }
    for (int i = 0; i < forgotten; ++i) {
      w.put_client(client(10 + i, fmt::format("Client{}", 10 + i), 2, "smb", at(2025, 1, 1)));
      w.add_activity(activity(100 + i, 10 + i, 2, ActivityKind::call_out, last));
    }
  });
}

// A client of `owner` in `segment` contacted recently: load, never released.
void add_busy_client(MemoryStorage& s, std::int64_t id, std::int64_t owner, std::string segment = "smb") {
  edit(s, [&](UnitOfWork& w) {
    w.put_client(client(id, fmt::format("Busy{}", id), owner, segment));
    w.add_activity(activity(1000 + id, id, owner, ActivityKind::meeting, now - Days{1}));
  });
}

std::map<std::int64_t, ManagerId> recipients(const Plan& p) {
  std::map<std::int64_t, ManagerId> out;
  for (const auto* a : actions_of(p, "release", ActionKind::reassign)) out[a->client.value()] = *a->to;
  return out;
}

}  // namespace

TEST_CASE("engine.release.threshold_edges_follow_forgetting_plus_grace") {
  MemoryStorage s;
  seed(s);
  Engine e{release_config()};
  SUBCASE("forgotten, but within the grace period") {
    auto p = e.plan(s, forgotten_at + Days{7});
    CHECK(p.findings_of("forgotten").size() == 1);
    CHECK(p.findings_of("release").empty());
  }
  SUBCASE("one second before the grace ends") { CHECK(e.plan(s, release_at - Seconds{1}).findings_of("release").empty()); }
  SUBCASE("exactly when the grace ends") { CHECK(e.plan(s, release_at).findings_of("release").empty()); }
  SUBCASE("one second after") {
    auto p = e.plan(s, release_at + Seconds{1});
    auto fs = p.findings_of("release");
    REQUIRE(fs.size() == 1);
    CHECK(fs[0]->since == release_at);
    CHECK(fs[0]->episode == iso_instant(last));
    CHECK(actions_of(p, "release", ActionKind::reassign).size() == 1);
  }
}

TEST_CASE("engine.release.never_for_a_client_that_is_not_forgotten") {
  MemoryStorage s;
  seed(s);
  SUBCASE("contacted recently") {
    edit(s, [](UnitOfWork& w) { w.add_activity(activity(200, 10, 2, ActivityKind::email, now - Days{3})); });
    auto p = Engine{release_config()}.plan(s, now);
    CHECK(p.findings.empty());
  }
  SUBCASE("a future task exempts from forgetting, so from release") {
    edit(s, [](UnitOfWork& w) { w.put_task(task(1, 10, 2, now + Days{5})); });
    auto p = Engine{release_config()}.plan(s, now);
    CHECK(p.findings.empty());
  }
  SUBCASE("outside the forgotten assistant's scope") {
    auto c = release_config();
    c.forgotten[0].scope.kind = ClientKind::b2c;  // Client 10 is B2B: never forgotten, never released
    auto p = Engine{c}.plan(s, now);
    CHECK(p.findings.empty());
  }
  SUBCASE("the forgotten assistant is switched off") {
    auto c = release_config();
    c.forgotten[0].enabled = false;  // nothing is forgotten, so nothing is released
    auto p = Engine{c}.plan(s, now);
    CHECK(p.findings.empty());
    CHECK(p.actions.empty());
  }
  SUBCASE("a missed call is not contact") {
    edit(s, [](UnitOfWork& w) { w.add_activity(activity(201, 10, 2, ActivityKind::call_missed, now - Days{1})); });
    CHECK(Engine{release_config()}.plan(s, now).findings_of("release").size() == 1);
  }
}

TEST_CASE("engine.release.lock_is_honoured") {
  MemoryStorage s;
  seed(s, 2);
  edit(s, [](UnitOfWork& w) {
    auto c = client(10, "Client10", 2, "smb", at(2025, 1, 1));
    c.release_locked = true;
    w.put_client(c);
  });
  Engine e{release_config()};
  auto p = e.plan(s, now + Days{30});
  CHECK(p.findings_of("forgotten").size() == 2);  // still forgotten, still gets its task
  auto rel = p.findings_of("release");
  REQUIRE(rel.size() == 1);
  CHECK(rel[0]->subject == SubjectRef::of(ClientId{11}));
  e.apply(p, s);
  CHECK(s.find_client(ClientId{10})->owner == ManagerId{2});
  CHECK(s.find_client(ClientId{11})->owner != ManagerId{2});
}

TEST_CASE("engine.release.a_reassign_step_of_any_ladder_honours_the_lock") {
  // The lock belongs to the client, not to the release assistant: a forgotten
  // ladder with its own reassign step must not hand a locked client over either.
  MemoryStorage s;
  seed(s);
  edit(s, [](UnitOfWork& w) {
    auto c = client(10, "Client10", 2, "smb", at(2025, 1, 1));
    c.release_locked = true;
    w.put_client(c);
  });
  auto c = bare_config();
  ForgottenConfig f;
  f.ladder.push_back(LadderStep{.id = "reassign", .after = Period::days(14), .action = StepAction::reassign});
  c.forgotten.push_back(f);
  Engine e{c};
  auto p = e.plan(s, now);
  CHECK(actions_of(p, "", ActionKind::reassign).empty());
  CHECK(std::any_of(p.notes.begin(), p.notes.end(), [](const std::string& n) { return contains(n, "locked"); }));
  e.apply(p, s);
  CHECK(s.find_client(ClientId{10})->owner == ManagerId{2});
}

TEST_CASE("engine.release.least_loaded_counts_the_segment_and_updates_loads_as_it_assigns") {
  MemoryStorage s;
  seed(s, 3);
  add_busy_client(s, 50, 3);                  // Petrov: 1 smb client
  for (int i = 0; i < 4; ++i) add_busy_client(s, 60 + i, 4, "enterprise");  // Sidorov: 0 smb, 4 elsewhere
  edit(s, [](UnitOfWork& w) {
    auto k = manager(5, "Kozlov", 1);
    k.segments = {"enterprise"};  // no access to smb
    w.put_manager(k);
  });
  SUBCASE("loads updated: one run does not pour every client onto one person") {
    auto p = Engine{release_config(policy(ReleasePolicy::Kind::least_loaded))}.plan(s, now);
    auto r = recipients(p);
    REQUIRE(r.size() == 3);
    CHECK(r[10] == ManagerId{4});  // Sidorov 0 < Petrov 1
    CHECK(r[11] == ManagerId{3});  // 1 = 1: the lower id
    CHECK(r[12] == ManagerId{4});  // Petrov 2 > Sidorov 1
    auto reassign = actions_of(p, "release", ActionKind::reassign);
    CHECK(contains(reassign[0]->explanation, "fewest clients in segment 'smb' (0)"));
    CHECK(contains(reassign[0]->explanation, "among 2 eligible managers"));
  }
  SUBCASE("update_loads=false: loads counted once, before any reassignment") {
    auto r = recipients(Engine{release_config(policy(ReleasePolicy::Kind::least_loaded, false))}.plan(s, now));
    REQUIRE(r.size() == 3);
    for (auto& [c, m] : r) CHECK(m == ManagerId{4});
  }
}

TEST_CASE("engine.release.round_robin_takes_turns_in_id_order") {
  MemoryStorage s;
  seed(s, 4);
  for (int i = 0; i < 3; ++i) add_busy_client(s, 50 + i, 3);  // loads do not matter to round robin
  auto r = recipients(Engine{release_config(policy(ReleasePolicy::Kind::round_robin))}.plan(s, now));
  REQUIRE(r.size() == 4);
  CHECK(r[10] == ManagerId{3});
  CHECK(r[11] == ManagerId{4});
  CHECK(r[12] == ManagerId{5});
  CHECK(r[13] == ManagerId{3});
}

TEST_CASE("engine.release.weighted_by_capacity") {
  MemoryStorage s;
  seed(s, 6, [](Manager& m) {
    if (m.id == ManagerId{3}) m.capacity = 10;
    if (m.id == ManagerId{4}) m.capacity = 20;
    if (m.id == ManagerId{5}) m.active = false;
  });
  auto p = Engine{release_config(policy(ReleasePolicy::Kind::weighted))}.plan(s, now);
  auto r = recipients(p);
  REQUIRE(r.size() == 6);
  int petrov = 0, sidorov = 0;
  for (auto& [c, m] : r) (m == ManagerId{3} ? petrov : sidorov) += 1;
  CHECK(petrov == 2);  // in proportion to capacity, 10 : 20
  CHECK(sidorov == 4);
  CHECK(r[10] == ManagerId{3});  // 0/10 = 0/20: the lower id
  CHECK(contains(actions_of(p, "release", ActionKind::reassign)[0]->explanation, "capacity"));
}

TEST_CASE("engine.release.capacity_caps") {
  MemoryStorage s;
  seed(s, 3, [](Manager& m) {
    if (m.id == ManagerId{3}) m.capacity = 2;
    if (m.id == ManagerId{5}) m.active = false;
  });
  for (int i = 0; i < 5; ++i) add_busy_client(s, 50 + i, 4);  // Sidorov: 5 clients, no cap
  SUBCASE("loads updated") {
    auto r = recipients(Engine{release_config(policy(ReleasePolicy::Kind::least_loaded))}.plan(s, now));
    CHECK(r[10] == ManagerId{3});
    CHECK(r[11] == ManagerId{3});
    CHECK(r[12] == ManagerId{4});  // Petrov is full
  }
  SUBCASE("the cap holds even when loads are counted once") {
    auto r = recipients(Engine{release_config(policy(ReleasePolicy::Kind::least_loaded, false))}.plan(s, now));
    CHECK(r[10] == ManagerId{3});
    CHECK(r[11] == ManagerId{3});
    CHECK(r[12] == ManagerId{4});
  }
  SUBCASE("weighted skips a full manager too") {
    auto r = recipients(Engine{release_config(policy(ReleasePolicy::Kind::weighted, false))}.plan(s, now));
    CHECK(r[10] == ManagerId{3});  // 0 / 2 < 5 / weight 1
    CHECK(r[11] == ManagerId{3});
    CHECK(r[12] == ManagerId{4});  // Petrov is full
  }
  SUBCASE("respect_capacity=false ignores it") {
    auto pol = policy(ReleasePolicy::Kind::least_loaded);
    pol.respect_capacity = false;
    auto r = recipients(Engine{release_config(pol)}.plan(s, now));
    CHECK(r[12] == ManagerId{3});
  }
  SUBCASE("a cap on new clients per run; the rest escalate to the supervisor") {
    auto pol = policy(ReleasePolicy::Kind::least_loaded);
    pol.max_new_per_run = 1;
    pol.respect_capacity = false;
    auto p = Engine{release_config(pol)}.plan(s, now);
    auto r = recipients(p);
    CHECK(r.size() == 2);
    CHECK(r[10] == ManagerId{3});
    CHECK(r[11] == ManagerId{4});
    auto n = actions_of(p, "release", ActionKind::notify);
    auto esc = std::find_if(n.begin(), n.end(), [](const Action* a) { return a->client == ClientId{12}; });
    REQUIRE(esc != n.end());
    CHECK((*esc)->to == ManagerId{1});
  }
}

TEST_CASE("engine.release.ineligible_managers_are_never_chosen") {
  MemoryStorage s;
  seed(s, 1, [](Manager& m) {
    if (m.id == ManagerId{3}) m.leave = {DateRange{ymd(2026, 6, 10), ymd(2026, 6, 20)}};
    if (m.id == ManagerId{4}) m.active = false;
    if (m.id == ManagerId{5}) m.segments = {"enterprise"};
  });
  Engine e{release_config()};
  SUBCASE("on leave, inactive, without the segment, the owner: nobody is left -> supervisor") {
    auto p = e.plan(s, now);
    CHECK(actions_of(p, "release", ActionKind::reassign).empty());
    auto n = actions_of(p, "release", ActionKind::notify);
    REQUIRE(n.size() == 1);
    CHECK(n[0]->to == ManagerId{1});
    CHECK(n[0]->step == "reassign");
    CHECK(n[0]->message->template_id == "release_failed");
    CHECK(contains(n[0]->explanation, "no eligible manager in segment 'smb'"));
    e.apply(p, s);
    CHECK(s.find_client(ClientId{10})->owner == ManagerId{2});
    // The step is spent: the supervisor was told once, not every day.
    CHECK(once_keys(e.plan(s, now + Days{1})).empty());
  }
  SUBCASE("back from leave the day after it ends") {
    auto r = recipients(e.plan(s, at(2026, 6, 21, 0, 0) + Seconds{1}));
    CHECK(r[10] == ManagerId{3});
  }
  SUBCASE("leave is read on the calendar's local date") {
    auto c = release_config();
    c.calendar = BusinessCalendar::weekdays("Asia/Tokyo");
    // 2026-06-20T20:00Z is already 2026-06-21 in Tokyo: the leave is over there.
    CHECK(recipients(Engine{c}.plan(s, at(2026, 6, 20, 20)))[10] == ManagerId{3});
    CHECK(recipients(Engine{release_config()}.plan(s, at(2026, 6, 20, 20))).empty());
  }
  SUBCASE("access to the segment makes a manager eligible") {
    edit(s, [](UnitOfWork& w) {
      auto k = manager(5, "Kozlov", 1);
      k.segments = {"enterprise", "smb"};
      w.put_manager(k);
    });
    CHECK(recipients(e.plan(s, now))[10] == ManagerId{5});
  }
}

TEST_CASE("engine.release.no_eligible_recipient_and_no_supervisor_leaves_a_note") {
  MemoryStorage s;
  edit(s, [](UnitOfWork& w) {
    w.put_manager(manager(2, "Ivanova"));
    w.put_client(client(10, "Acme", 2, "smb", at(2025, 1, 1)));
    w.add_activity(activity(100, 10, 2, ActivityKind::call_out, last));
  });
  Engine e{release_config()};
  auto p = e.plan(s, now);
  CHECK(actions_of(p, "release").empty());
  REQUIRE(p.notes.size() == 1);
  CHECK(contains(p.notes[0], "no eligible manager"));
  e.apply(p, s);
  // Nothing was claimed: once someone can take the client, the release happens.
  edit(s, [](UnitOfWork& w) { w.put_manager(manager(3, "Petrov")); });
  CHECK(recipients(e.plan(s, now + Days{1}))[10] == ManagerId{3});
}

TEST_CASE("engine.release.new_owner_gets_a_task_old_owner_and_supervisor_are_told") {
  MemoryStorage s;
  seed(s, 1, [](Manager& m) {
    if (m.id != ManagerId{3}) m.active = m.id == ManagerId{2};
  });
  Engine e{release_config()};
  auto p = e.plan(s, now);
  auto rel = actions_of(p, "release");
  REQUIRE(rel.size() == 4);
  const std::string base = fmt::format("release/client:10/{}/reassign", iso_instant(last));
  CHECK(rel[0]->kind == ActionKind::reassign);
  CHECK(rel[0]->key == base);
  CHECK(rel[0]->from == ManagerId{2});
  CHECK(rel[0]->to == ManagerId{3});
  CHECK(contains(rel[0]->explanation, "hand client 'Client10' from Ivanova to Petrov"));
  CHECK(rel[1]->kind == ActionKind::create_task);
  CHECK(rel[1]->key == base + "/task");
  CHECK(rel[1]->task->assignee == ManagerId{3});
  CHECK(rel[1]->task->title == "Take over Client10: no contact for 105 days");
  CHECK(rel[2]->key == base + "/notify-owner");
  CHECK(rel[2]->message->to.who == SubjectRef::of(ManagerId{2}));
  CHECK(rel[3]->key == base + "/notify-supervisor");
  CHECK(rel[3]->message->to.who == SubjectRef::of(ManagerId{1}));

  auto r = e.apply(p, s);
  CHECK(s.find_client(ClientId{10})->owner == ManagerId{3});
  CHECK(s.tasks_of(ClientId{10}, true).size() == 2);  // the forgotten task (Ivanova) and the take-over (Petrov)
  CHECK(s.outbox().size() == 2);
  auto audit = s.audit_log(SubjectRef::of(ClientId{10}));
  CHECK(std::count_if(audit.begin(), audit.end(), [](const AuditRecord& a) { return a.action == "reassign"; }) == 1);
  // Planning again, the same day or later: no second reassignment.
  CHECK(count_of(e.plan(s, now), "release") == 0);
  CHECK(count_of(e.plan(s, now + Days{20}), "release") == 0);
}

TEST_CASE("engine.release.an_episode_that_clears_and_lapses_again_releases_again") {
  MemoryStorage s;
  seed(s);
  Engine e{release_config()};
  e.run(s, now);
  const auto first = s.find_client(ClientId{10})->owner;
  REQUIRE(first != ManagerId{2});
  const Instant call = now + Days{2};
  edit(s, [&](UnitOfWork& w) { w.add_activity(activity(300, 10, first.value(), ActivityKind::call_out, call)); });
  CHECK(e.plan(s, call + Days{104}).findings_of("release").empty());
  auto p = e.plan(s, call + Days{104} + Seconds{1});
  auto moved = actions_of(p, "release", ActionKind::reassign);
  REQUIRE(moved.size() == 1);
  CHECK(moved[0]->from == first);
  CHECK(split_key(moved[0]->key).episode == iso_instant(call));
}
}  // namespace nudge_engine_test_release
