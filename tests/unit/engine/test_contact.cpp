#include <doctest/doctest.h>

#include <support/engine_support.hpp>
#include <nudge/engine/explain.hpp>

// Own namespace: the tests build as a unity build.
namespace nudge_engine_test_contact {

using namespace nudge;
using namespace nudge::test;

// Forgotten clients: what counts as contact, the future-task exemption at its
// edges, episodes that clear and start again, and the explanation of a release.

namespace {

const Instant last = at(2026, 3, 2, 10);
const Instant now = last + Days{100};

EngineConfig forgotten_config(ForgottenConfig f = {}) {
  auto c = bare_config();
  c.forgotten.push_back(std::move(f));
  return c;
}

void seed(MemoryStorage& s, bool contacted = true) {
  edit(s, [&](UnitOfWork& w) {
    w.put_manager(manager(1, "Head"));
    w.put_manager(manager(2, "Ivanova", 1));
    w.put_client(client(10, "Acme", 2, "smb", at(2025, 1, 1)));
    if (contacted) w.add_activity(activity(100, 10, 2, ActivityKind::call_out, last));
  });
}

void log(MemoryStorage& s, std::int64_t id, ActivityKind k, Instant t, Contact c = Contact::by_kind) {
  edit(s, [&](UnitOfWork& w) {
    auto a = activity(id, 10, 2, k, t);
    a.contact = c;
    w.add_activity(a);
  });
}

bool forgotten(const Engine& e, const Storage& s, Instant t) { return !e.plan(s, t).findings_of("forgotten").empty(); }

}  // namespace

TEST_CASE("engine.forgotten.never_contacted_counts_from_creation") {
  MemoryStorage s;
  seed(s, false);
  Engine e{forgotten_config()};
  const Instant limit = at(2025, 1, 1) + Days{90};
  CHECK_FALSE(forgotten(e, s, limit));
  auto p = e.plan(s, limit + Seconds{1});
  REQUIRE(p.findings.size() == 1);
  CHECK(p.findings[0].summary ==
        "client 'Acme' forgotten: never contacted since it was created 2025-01-01 (90 days ago), limit 90 days, "
        "owner Ivanova");
  CHECK(p.findings[0].fact("created") != nullptr);
  CHECK(p.findings[0].fact("last_contact") == nullptr);
}

TEST_CASE("engine.forgotten.what_counts_as_contact") {
  MemoryStorage s;
  seed(s);
  Engine e{forgotten_config()};
  const Instant recent = now - Days{5};
  SUBCASE("every kind but a missed call") {
    for (auto k : {ActivityKind::call_in, ActivityKind::email, ActivityKind::meeting, ActivityKind::message,
                   ActivityKind::note, ActivityKind::document}) {
      MemoryStorage t;
      seed(t);
      log(t, 200, k, recent);
      CHECK_MESSAGE(!forgotten(e, t, now), to_string(k));
    }
    log(s, 200, ActivityKind::call_missed, recent);
    CHECK(forgotten(e, s, now));
  }
  SUBCASE("a missed call forced to count, an e-mail forced not to") {
    log(s, 200, ActivityKind::email, recent, Contact::no);
    CHECK(forgotten(e, s, now));
    log(s, 201, ActivityKind::call_missed, recent, Contact::yes);
    CHECK_FALSE(forgotten(e, s, now));
  }
  SUBCASE("a completed task counts, a cancelled one does not") {
    auto t = task(1, 10, 2, recent);
    t.state = TaskState::cancelled;
    t.closed = recent;
    edit(s, [&](UnitOfWork& w) { w.put_task(t); });
    CHECK(forgotten(e, s, now));
    t.state = TaskState::done;
    edit(s, [&](UnitOfWork& w) { w.put_task(t); });
    CHECK_FALSE(forgotten(e, s, now));
    ForgottenConfig f;
    f.contact.completed_tasks = false;
    CHECK(forgotten(Engine{forgotten_config(f)}, s, now));
  }
  SUBCASE("the kinds are configurable") {
    log(s, 200, ActivityKind::note, recent);
    ForgottenConfig f;
    f.contact.kinds[static_cast<std::size_t>(ActivityKind::note)] = false;
    CHECK(forgotten(Engine{forgotten_config(f)}, s, now));
  }
}

TEST_CASE("engine.forgotten.future_task_exemption_edges") {
  MemoryStorage s;
  seed(s);
  Engine e{forgotten_config()};
  SUBCASE("an open task due exactly now still exempts; a second later it does not") {
    edit(s, [](UnitOfWork& w) { w.put_task(task(1, 10, 2, now)); });
    CHECK_FALSE(forgotten(e, s, now));
    CHECK(forgotten(e, s, now + Seconds{1}));
  }
  SUBCASE("a task in progress exempts as well") {
    auto t = task(1, 10, 2, now + Days{3});
    t.state = TaskState::in_progress;
    edit(s, [&](UnitOfWork& w) { w.put_task(t); });
    CHECK_FALSE(forgotten(e, s, now));
  }
  SUBCASE("the engine's own tasks never exempt") {
    auto t = task(1, 10, 2, now + Days{3});
    t.origin = "forgotten/client:10/x/task";
    edit(s, [&](UnitOfWork& w) { w.put_task(t); });
    CHECK(forgotten(e, s, now));
  }
  SUBCASE("switched off: a future task does not exempt") {
    edit(s, [](UnitOfWork& w) { w.put_task(task(1, 10, 2, now + Days{3})); });
    ForgottenConfig f;
    f.exempt_future_task = false;
    CHECK(forgotten(Engine{forgotten_config(f)}, s, now));
  }
}

TEST_CASE("engine.forgotten.an_episode_that_clears_and_starts_again") {
  MemoryStorage s;
  seed(s);
  Engine e{forgotten_config()};
  auto r1 = e.run(s, now);
  REQUIRE(r1.applied == 2);
  const Instant call = now + Days{1};
  log(s, 200, ActivityKind::call_out, call);
  auto r2 = e.run(s, call + Days{1});
  CHECK(r2.applied_keys == std::vector<std::string>{"label/forgotten/client:10/clear"});
  CHECK_FALSE(forgotten(e, s, call + Days{90}));
  auto r3 = e.run(s, call + Days{90} + Seconds{1});
  REQUIRE(r3.applied_keys.size() == 2);
  CHECK(r3.applied_keys[0] == "forgotten/client:10/" + iso_instant(call) + "/task");
  CHECK(s.tasks_of(ClientId{10}, true).size() == 2);  // the first task is still open; a second, for the new episode
}

TEST_CASE("engine.release.explanation_names_rule_subject_facts_threshold") {
  MemoryStorage s;
  seed(s);
  edit(s, [](UnitOfWork& w) {
    auto head = manager(1, "Head");
    head.segments = {};  // the head takes no clients
    w.put_manager(head);
    w.put_manager(manager(3, "Petrov", 1));
  });
  auto c = forgotten_config();
  c.release.emplace_back();
  Engine e{c};
  auto p = e.plan(s, last + Days{105});
  auto rel = p.findings_of("release");
  REQUIRE(rel.size() == 1);
  CHECK(rel[0]->summary == "client 'Acme' to be released: forgotten since 2026-05-31 and still no contact after 14 days "
                           "(last contact 2026-03-02, 105 days ago), owner Ivanova");
  CHECK(rel[0]->fact("forgotten_since")->value == FactValue{last + Days{90}});
  CHECK(rel[0]->fact("grace")->value == FactValue{std::string("14d")});
  const auto text = explain(p);
  CHECK(contains(text, "[release]\n- client 'Acme' to be released"));
  CHECK(contains(text, "-> hand client 'Acme' from Ivanova to Petrov: fewest clients in segment 'smb' (0), among 1 "
                       "eligible manager"));
  CHECK(contains(text, "[labels]\n"));
}

TEST_CASE("engine.explain.the_dry_run_text_of_docs_assistants_md") {
  MemoryStorage s;
  edit(s, [](UnitOfWork& w) {
    w.put_manager(manager(1, "Head"));
    w.put_manager(manager(2, "Ivanova", 1));
    w.put_client(client(10, "Acme", 2, "smb", at(2025, 1, 1)));
    w.add_activity(activity(100, 10, 2, ActivityKind::call_out, at(2026, 8, 14)));
  });
  auto p = Engine{forgotten_config()}.plan(s, bench_now);
  CHECK(explain(p) ==
        "Plan at 2026-11-22T00:00:00Z: 1 finding, 2 actions\n"
        "\n"
        "[forgotten]\n"
        "- client 'Acme' forgotten: last contact 2026-08-14 (100 days ago), limit 90 days, owner Ivanova\n"
        "    -> task for Ivanova: \"Call Acme: no contact for 100 days\", due 2026-11-24T00:00:00Z "
        "(late: fell due 2026-11-12T00:00:00Z, 10 days ago)\n"
        "\n"
        "[labels]\n"
        "    -> label client 10 'forgotten' (since 2026-11-12)\n");
}
}  // namespace nudge_engine_test_contact
