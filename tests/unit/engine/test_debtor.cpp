#include <doctest/doctest.h>

#include <support/engine_support.hpp>

// Own namespace: the tests build as a unity build.
namespace nudge_engine_test_debtor {

using namespace nudge;
using namespace nudge::test;

namespace {

// Invoice 5 of Acme (10), 1000.00 EUR, due Monday 2026-03-02 00:00.
const Instant due = at(2026, 3, 2);

EngineConfig debtor_config(DebtorConfig d = {}) {
  auto c = bare_config();
  c.debtor.push_back(std::move(d));
  return c;
}

Invoice eur(std::int64_t id, double amount, Instant due_at, std::string currency = "EUR") {
  auto i = invoice(id, 10, amount, due_at - Days{30}, due_at);
  i.amount = Money::from_decimal(amount, currency);
  return i;
}

void seed(MemoryStorage& s, bool with_supervisor = true) {
  edit(s, [&](UnitOfWork& w) {
    w.put_manager(manager(1, "Head"));
    w.put_manager(manager(2, "Ivanova", with_supervisor ? std::optional<std::int64_t>{1} : std::nullopt));
    auto c = client(10, "Acme", 2);
    c.email = "ap@acme.example";
    c.phone = "+10000000010";
    w.put_client(c);
    w.put_invoice(eur(5, 1000.0, due));
  });
}

void put(MemoryStorage& s, const Invoice& i) {
  edit(s, [&](UnitOfWork& w) { w.put_invoice(i); });
}

}  // namespace

TEST_CASE("engine.debtor.threshold_edges") {
  MemoryStorage s;
  seed(s);
  SUBCASE("no grace: overdue from the second after the due date") {
    Engine e{debtor_config()};
    CHECK(e.plan(s, due - Seconds{1}).findings.empty());
    CHECK(e.plan(s, due).findings.empty());
    auto p = e.plan(s, due + Seconds{1});
    REQUIRE(p.findings.size() == 1);
    CHECK(p.findings[0].summary ==
          "invoice 5 of client 10 overdue: due 2026-03-02 (0 days ago), 1000.00 EUR outstanding, owner Ivanova");
    CHECK(actions_of(p, "debtor", ActionKind::notify).empty());  // the first reminder is at day 1
    CHECK(actions_of(p, "debtor", ActionKind::set_label).size() == 1);
  }
  SUBCASE("the first reminder: one day after, strictly") {
    Engine e{debtor_config()};
    CHECK(count_of(e.plan(s, due + Days{1}), "debtor", ActionKind::notify) == 0);
    auto p = e.plan(s, due + Days{1} + Seconds{1});
    auto n = actions_of(p, "debtor", ActionKind::notify);
    REQUIRE(n.size() == 1);
    CHECK(n[0]->step == "remind1");
    CHECK(n[0]->message->to.who == SubjectRef::of(ClientId{10}));
    CHECK(n[0]->message->to.address == "ap@acme.example");
    CHECK(n[0]->message->channel == Channel::email);
  }
  SUBCASE("with a grace period of 14 days") {
    DebtorConfig d;
    d.grace = Period::days(14);
    Engine e{debtor_config(d)};
    CHECK(e.plan(s, due + Days{14} - Seconds{1}).findings.empty());
    CHECK(e.plan(s, due + Days{14}).findings.empty());
    auto p = e.plan(s, due + Days{14} + Seconds{1});
    REQUIRE(p.findings.size() == 1);
    CHECK(p.findings[0].since == due + Days{14});
    CHECK(p.findings[0].fact("days_overdue")->value == FactValue{std::int64_t{14}});
  }
}

TEST_CASE("engine.debtor.reminder_ladder_day_1_7_14_then_supervisor_at_30") {
  MemoryStorage s;
  seed(s);
  Engine e{debtor_config()};
  std::map<std::string, int> fired_on;  // step -> day
  std::map<std::string, int> times;
  for (int day = 0; day <= 40; ++day) {
    auto r = e.run(s, due + Days{day} + std::chrono::hours{9});
    for (const auto& k : r.applied_keys)
      if (k.rfind("debtor/", 0) == 0) {
        fired_on[split_key(k).step] = day;
        ++times[split_key(k).step];
      }
  }
  CHECK(fired_on == std::map<std::string, int>{{"remind1", 1}, {"remind2", 7}, {"remind3", 14}, {"supervisor", 30}});
  for (const auto& [step, n] : times) CHECK_MESSAGE(n == 1, step);
  auto out = s.outbox();
  REQUIRE(out.size() == 4);
  CHECK(out[2].channel == Channel::sms);
  CHECK(out[2].to.address == "+10000000010");
  CHECK(out[3].to.who == SubjectRef::of(ManagerId{1}));
  CHECK(out[3].template_id == "debtor_escalation");
}

TEST_CASE("engine.debtor.messages_use_the_configured_templates") {
  MemoryStorage s;
  seed(s);
  auto c = debtor_config();
  c.templates["debtor_reminder"]["en"] = {"Reminder: {amount} overdue",
                                          "Dear {client}, invoice {invoice} is {days} days overdue."};
  auto p = Engine{c}.plan(s, due + Days{3});
  auto n = actions_of(p, "debtor", ActionKind::notify);
  REQUIRE(n.size() == 1);
  CHECK(n[0]->message->subject == "Reminder: 1000.00 EUR overdue");
  CHECK(n[0]->message->body == "Dear Acme, invoice 5 is 3 days overdue.");
  SUBCASE("a template with an unknown field is a configuration error, found when the engine is built") {
    c.templates["debtor_reminder"]["en"].body = "{nonsense}";
    CHECK_THROWS_AS(Engine{c}, configuration_error);
  }
}

TEST_CASE("engine.debtor.label_note_sums_per_currency") {
  MemoryStorage s;
  seed(s);
  edit(s, [](UnitOfWork& w) {
    w.put_invoice(eur(6, 200.0, due + Days{1}));
    w.put_invoice(eur(7, 80.0, due, "USD"));
    w.put_invoice(eur(8, 500.0, due + Days{60}));  // not due yet
  });
  Engine e{debtor_config()};
  const Instant now = due + Days{10};
  auto p = e.plan(s, now);
  CHECK(p.findings.size() == 3);
  auto set = actions_of(p, "debtor", ActionKind::set_label);
  REQUIRE(set.size() == 1);
  CHECK(set[0]->label == "debtor");
  CHECK(set[0]->note == "1200.00 EUR, 80.00 USD overdue");
  e.apply(p, s);
  CHECK(s.find_client(ClientId{10})->labels.at("debtor") == "1200.00 EUR, 80.00 USD overdue");
  CHECK(count_of(e.plan(s, now), "debtor", ActionKind::set_label) == 0);  // unchanged: nothing to do

  SUBCASE("a part payment updates the note") {
    auto i = *s.find_invoice(InvoiceId{5});
    i.payments.push_back({now, 10000});
    put(s, i);
    e.run(s, now + Days{1});
    CHECK(s.find_client(ClientId{10})->labels.at("debtor") == "1100.00 EUR, 80.00 USD overdue");
  }
  SUBCASE("everything paid: the label goes") {
    for (auto id : {5, 6, 7}) {
      auto i = *s.find_invoice(InvoiceId{id});
      i.paid = now;
      put(s, i);
    }
    auto q = e.plan(s, now + Days{1});
    CHECK(q.findings.empty());
    auto clear = actions_of(q, "labels", ActionKind::clear_label);
    REQUIRE(clear.size() == 1);
    CHECK(clear[0]->label == "debtor");
    e.apply(q, s);
    CHECK_FALSE(s.find_client(ClientId{10})->has_label("debtor"));
  }
}

TEST_CASE("engine.debtor.an_episode_that_clears_and_starts_again") {
  MemoryStorage s;
  seed(s);
  Engine e{debtor_config()};
  e.run(s, due + Days{2});
  REQUIRE(s.outbox().size() == 1);
  SUBCASE("paid, then a new invoice falls overdue: new keys, it fires again") {
    auto i = *s.find_invoice(InvoiceId{5});
    i.paid = due + Days{3};
    put(s, i);
    e.run(s, due + Days{4});
    CHECK_FALSE(s.find_client(ClientId{10})->has_label("debtor"));
    const Instant due2 = due + Days{20};
    put(s, eur(9, 300.0, due2));
    auto r = e.run(s, due2 + Days{2});
    CHECK(std::count(r.applied_keys.begin(), r.applied_keys.end(),
                     "debtor/invoice:9/" + iso_instant(due2) + "/remind1") == 1);
    CHECK(s.find_client(ClientId{10})->labels.at("debtor") == "300.00 EUR overdue");
  }
  SUBCASE("the due date is moved: a new episode, reminders start over") {
    auto i = *s.find_invoice(InvoiceId{5});
    i.due = due + Days{10};
    put(s, i);
    CHECK(e.plan(s, due + Days{5}).findings.empty());  // not overdue any more
    auto r = e.run(s, due + Days{12});
    CHECK(r.applied_keys.size() == 1);  // the label note is unchanged; the reminder is new
    CHECK(r.applied_keys[0] == "debtor/invoice:5/" + iso_instant(due + Days{10}) + "/remind1");
  }
}

TEST_CASE("engine.debtor.no_supervisor_leaves_a_note") {
  MemoryStorage s;
  seed(s, false);
  auto p = Engine{debtor_config()}.plan(s, due + Days{31});
  CHECK(actions_of(p, "debtor", ActionKind::notify).size() == 3);
  REQUIRE(p.notes.size() == 1);
  CHECK(contains(p.notes[0], "no supervisor"));
}
}  // namespace nudge_engine_test_debtor
