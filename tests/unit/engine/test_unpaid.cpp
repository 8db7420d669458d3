#include <doctest/doctest.h>

#include <support/engine_support.hpp>

// Own namespace: the tests build as a unity build.
namespace nudge_engine_test_unpaid {

using namespace nudge;
using namespace nudge::test;

namespace {

// Invoice 5 of Acme (10), 1200.00, issued Monday 2026-03-02 09:00, due in 30 days.
const Instant issued = at(2026, 3, 2, 9);
const Instant limit = issued + Days{7};

EngineConfig unpaid_config(UnpaidConfig u = {}) {
  auto c = bare_config();
  c.unpaid.push_back(std::move(u));
  return c;
}

void seed(MemoryStorage& s) {
  edit(s, [](UnitOfWork& w) {
    w.put_manager(manager(1, "Head"));
    w.put_manager(manager(2, "Ivanova", 1));
    w.put_client(client(10, "Acme", 2));
    w.add_activity(activity(100, 10, 2, ActivityKind::call_out, issued - Days{1}));  // before issue: not counted
    w.put_invoice(invoice(5, 10, 1200.0, issued, issued + Days{30}));
  });
}

void log(MemoryStorage& s, std::int64_t id, ActivityKind k, Instant t, Contact c = Contact::by_kind) {
  edit(s, [&](UnitOfWork& w) {
    auto a = activity(id, 10, 2, k, t);
    a.contact = c;
    w.add_activity(a);
  });
}

}  // namespace

TEST_CASE("engine.unpaid.threshold_edges") {
  MemoryStorage s;
  seed(s);
  Engine e{unpaid_config()};
  SUBCASE("one second before") { CHECK(e.plan(s, limit - Seconds{1}).findings.empty()); }
  SUBCASE("exactly at the limit") { CHECK(e.plan(s, limit).findings.empty()); }
  SUBCASE("one second after") {
    auto p = e.plan(s, limit + Seconds{1});
    REQUIRE(p.findings.size() == 1);
    const auto& f = p.findings[0];
    CHECK(f.subject == SubjectRef::of(InvoiceId{5}));
    CHECK(f.client == ClientId{10});
    CHECK(f.episode == iso_instant(issued));
    CHECK(f.summary == "invoice 5 of client 10 unpaid: issued 2026-03-02 (7 days ago), 1200.00 USD outstanding, no "
                       "contact since, limit 7 days, owner Ivanova");
    auto tasks = actions_of(p, "unpaid", ActionKind::create_task);
    REQUIRE(tasks.size() == 1);
    CHECK(tasks[0]->task->title == "Ask Acme about unpaid invoice 5");
    CHECK(tasks[0]->task->assignee == ManagerId{2});
    CHECK(tasks[0]->key == "unpaid/invoice:5/" + iso_instant(issued) + "/task");
  }
}

TEST_CASE("engine.unpaid.contact_since_issue") {
  MemoryStorage s;
  seed(s);
  Engine e{unpaid_config()};
  const Instant now = limit + Days{3};
  SUBCASE("an e-mail after issue: the client was talked to") {
    log(s, 200, ActivityKind::email, issued + Days{2});
    CHECK(e.plan(s, now).findings.empty());
  }
  SUBCASE("an activity at the very instant of issue counts") {
    log(s, 200, ActivityKind::meeting, issued);
    CHECK(e.plan(s, now).findings.empty());
  }
  SUBCASE("a missed call is not contact") {
    log(s, 200, ActivityKind::call_missed, issued + Days{2});
    CHECK(e.plan(s, now).findings.size() == 1);
  }
  SUBCASE("contact forced either way") {
    log(s, 200, ActivityKind::call_missed, issued + Days{2}, Contact::yes);
    CHECK(e.plan(s, now).findings.empty());
  }
  SUBCASE("contact forced off") {
    log(s, 200, ActivityKind::email, issued + Days{2}, Contact::no);
    CHECK(e.plan(s, now).findings.size() == 1);
  }
  SUBCASE("a task completed after issue counts, as the contact policy says") {
    auto t = task(1, 10, 2, issued + Days{2});
    t.state = TaskState::done;
    t.closed = issued + Days{1};
    edit(s, [&](UnitOfWork& w) { w.put_task(t); });
    CHECK(e.plan(s, now).findings.empty());
    UnpaidConfig u;
    u.contact.completed_tasks = false;
    CHECK(Engine{unpaid_config(u)}.plan(s, now).findings.size() == 1);
  }
  SUBCASE("which kinds count is configurable") {
    log(s, 200, ActivityKind::note, issued + Days{2});
    CHECK(e.plan(s, now).findings.empty());
    UnpaidConfig u;
    u.contact.kinds[static_cast<std::size_t>(ActivityKind::note)] = false;
    CHECK(Engine{unpaid_config(u)}.plan(s, now).findings.size() == 1);
  }
}

TEST_CASE("engine.unpaid.payment_clears_and_exactly_once") {
  MemoryStorage s;
  seed(s);
  Engine e{unpaid_config()};
  const Instant now = limit + Days{1};
  auto r = e.run(s, now);
  CHECK(r.applied == 1);
  CHECK(once_keys(e.plan(s, now + Days{10})).empty());
  SUBCASE("partly paid: still unpaid, the outstanding sum is reported") {
    auto i = *s.find_invoice(InvoiceId{5});
    i.payments.push_back({now, 20000});
    edit(s, [&](UnitOfWork& w) { w.put_invoice(i); });
    auto p = e.plan(s, now + Days{1});
    REQUIRE(p.findings.size() == 1);
    CHECK(p.findings[0].fact("outstanding")->value == FactValue{std::string("1000.00 USD")});
    CHECK(p.actions.empty());
  }
  SUBCASE("paid: no finding") {
    auto i = *s.find_invoice(InvoiceId{5});
    i.paid = now;
    edit(s, [&](UnitOfWork& w) { w.put_invoice(i); });
    CHECK(e.plan(s, now + Days{1}).findings.empty());
  }
}
}  // namespace nudge_engine_test_unpaid
