// Event rules: conditions, the four reactions of the issue, exactly once per
// event id, the loop guard, the debounce window, and configuration errors.

#include <doctest/doctest.h>

#include <nudge/rules/event_engine.hpp>
#include <nudge/storage/memory_storage.hpp>

// Own namespace: the tests build as a unity build.
namespace nudge_notify_test_event_rules {

using namespace nudge;
using namespace std::chrono_literals;

namespace {

Instant utc(int d, int h, int m = 0) {
  return at_midnight(ymd(2026, 3, static_cast<unsigned>(d))) + std::chrono::hours{h} + std::chrono::minutes{m};
}

Client acme() {
  Client c;
  c.id = ClientId{10};
  c.name = "Acme";
  c.owner = ManagerId{2};
  c.segments = {"retail", "north"};
  c.kind = ClientKind::b2c;
  c.labels = {{"vip", "since 2020"}};
  c.phone = "+10";
  c.email = "acme@example.com";
  c.locale = "ru";
  c.time_zone = "Europe/Moscow";
  return c;
}

Deal deal20() {
  Deal d;
  d.id = DealId{20};
  d.client = ClientId{10};
  d.owner = ManagerId{3};
  d.stage = "negotiation";
  d.amount = Money::from_decimal(1500.0, "EUR");
  d.probability = 0.4;
  return d;
}

void seed(MemoryStorage& s) {
  auto w = s.begin();
  for (auto [id, name, sup] : {std::tuple{1, "Head", 0}, std::tuple{2, "Ivanova", 1}, std::tuple{3, "Petrov", 1}}) {
    Manager m;
    m.id = ManagerId{id};
    m.name = name;
    if (sup) m.supervisor = ManagerId{sup};
    m.email = fmt::format("m{}@crm.example", id);
    w->put_manager(m);
  }
  w->put_client(acme());
  auto mute = acme();
  mute.id = ClientId{11};
  mute.name = "Mute";
  mute.phone.clear();
  mute.locale = "en";
  w->put_client(mute);
  w->put_deal(deal20());
  Task t;
  t.id = TaskId{40};
  t.client = ClientId{10};
  t.assignee = ManagerId{3};
  t.title = "Send the offer";
  t.due = utc(12, 12);
  w->put_task(t);
  w->commit();
}

EngineConfig config() {
  EngineConfig c;
  c.calendar = BusinessCalendar::weekdays("Europe/Moscow").with_hours_all(9h, 18h);
  c.templates["missed_call"]["en"] = {"", "{client}, we call you back within {hours:plural(# hour|# hours)}, by {due}."};
  c.templates["missed_call"]["ru"] = {"", "{client}, перезвоним в течение {hours:plural(# часа|# часов|# часов)}, до {due}."};
  c.templates["business_card"]["en"] = {"", "{owner}, {manager}: call us any time."};
  c.templates["deal_stage.negotiation"]["en"] = {"Negotiation", "{client}: {from_stage} -> {stage}"};
  c.templates["deal_stage.negotiation"]["ru"] = {"Переговоры", "{client}: {from_stage} -> {stage}"};
  c.templates["handover"]["en"] = {"Task handed to you", "{manager}: a task of {client}."};
  return c;
}

EventRule rule(std::string id, std::string on, std::vector<EventAction> actions, Condition when = {}) {
  EventRule r;
  r.id = std::move(id);
  r.on = std::move(on);
  r.actions = std::move(actions);
  r.when = std::move(when);
  return r;
}

EventAction sms(std::string tpl, Target t = Target::client) {
  return {.action = EventActionKind::notify, .target = t, .channel = Channel::sms, .template_id = std::move(tpl)};
}
EventAction task_for(Target t, std::string title) {
  return {.action = EventActionKind::task, .target = t, .title = std::move(title)};
}

bool holds_for(const Condition& c, const Event& e, const Client* cl = nullptr, const Deal* d = nullptr) {
  return holds(c, EventFacts{&e, cl, d, nullptr});
}

std::string config_error(std::vector<EventRule> rs, EngineConfig c = config()) {
  try {
    EventEngine e{std::move(rs), std::move(c)};
  } catch (const configuration_error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("notify.event_rules.conditions") {
  const Client c = acme();
  const Deal d = deal20();
  auto e = Event::stage_changed("e1", d, "proposal", "negotiation", utc(10, 9));
  e.fields["source"] = "web form";
  using C = Condition;
  SUBCASE("compare: text and numbers") {
    CHECK(holds_for(C::compare("client.kind", CompareOp::eq, "B2C"), e, &c));
    CHECK(holds_for(C::compare("client.kind", CompareOp::ne, "B2B"), e, &c));
    CHECK(holds_for(C::compare("deal.amount", CompareOp::ge, "1500"), e, &c, &d));  // "1500.00" as a number
    CHECK_FALSE(holds_for(C::compare("deal.amount", CompareOp::gt, "1500"), e, &c, &d));
    CHECK(holds_for(C::compare("deal.amount", CompareOp::lt, "10000"), e, &c, &d));  // numbers, not text ("1500.00" > "10000")
    CHECK(holds_for(C::compare("deal.probability", CompareOp::le, "0.4"), e, &c, &d));
    CHECK(holds_for(C::compare("event.at", CompareOp::lt, "2026-03-11"), e));  // ISO text orders
    CHECK(holds_for(C::compare("event.source", CompareOp::contains, "web"), e));
    CHECK(holds_for(C::compare("client.label.vip", CompareOp::eq, "since 2020"), e, &c));
    CHECK(holds_for(C::compare("client.label.gold", CompareOp::eq, ""), e, &c));  // missing reads as ""
    CHECK(holds_for(C::compare("task.state", CompareOp::eq, ""), e));            // no task: ""
    CHECK(holds_for(C::compare("manager", CompareOp::eq, "3"), e));              // the deal's owner
  }
  SUBCASE("lists: some element; != means none") {
    CHECK(holds_for(C::compare("client.segments", CompareOp::eq, "north"), e, &c));
    CHECK(holds_for(C::compare("client.segments", CompareOp::contains, "retail"), e, &c));
    CHECK_FALSE(holds_for(C::compare("client.segments", CompareOp::contains, "ret"), e, &c));  // membership, not substring
    CHECK(holds_for(C::compare("client.segments", CompareOp::ne, "south"), e, &c));
    CHECK_FALSE(holds_for(C::compare("client.segments", CompareOp::ne, "north"), e, &c));
    CHECK(holds_for(C::in("client.segments", {"south", "north"}), e, &c));
    CHECK(holds_for(C::in("client.segment", {"retail", "x"}), e, &c));  // the primary one
    CHECK(holds_for(C::compare("client.labels", CompareOp::contains, "vip"), e, &c));
    CHECK_FALSE(holds_for(C::compare("deal.labels", CompareOp::contains, "vip"), e, &c, &d));
  }
  SUBCASE("changed: from one value to another, not just changed") {
    CHECK(holds_for(C::changed("stage"), e));
    CHECK(holds_for(C::changed("stage", "proposal", "negotiation"), e));
    CHECK(holds_for(C::changed("stage", std::nullopt, "negotiation"), e));
    CHECK_FALSE(holds_for(C::changed("stage", "qualification", "negotiation"), e));
    CHECK_FALSE(holds_for(C::changed("stage", "proposal", "won"), e));
    CHECK_FALSE(holds_for(C::changed("owner"), e));
    CHECK(holds_for(C::compare("change.stage.from", CompareOp::eq, "proposal"), e));
  }
  SUBCASE("all / any / not") {
    const auto b2c = C::compare("client.kind", CompareOp::eq, "B2C");
    const auto big = C::compare("deal.amount", CompareOp::gt, "100000");
    CHECK(holds_for(C::all({b2c, C::changed("stage")}), e, &c, &d));
    CHECK_FALSE(holds_for(C::all({b2c, big}), e, &c, &d));
    CHECK(holds_for(C::any({b2c, big}), e, &c, &d));
    CHECK(holds_for(C::negate(big), e, &c, &d));
    CHECK(holds_for(C::always(), e));
    CHECK_FALSE(holds_for(C::any({}), e));
  }
  SUBCASE("problems name their path") {
    std::vector<std::string> ps;
    condition_problems(C::all({C::compare("clinet.segment", CompareOp::eq, "x"), C::any({C::in("client.kind", {})}),
                               C::negate(C::all({})), Condition{Condition::Kind::negate, {}, {}, {}, {}, {}, {}},
                               C::compare("deal.colour", CompareOp::eq, "red"), C::compare("change.stage", CompareOp::eq, "x"),
                               C::changed("")}),
                       "when", ps);
    CHECK(ps == std::vector<std::string>{
                    "when.all[0].field: unknown field 'clinet.segment': fields start with event., client., deal., task., "
                    "change. (or are 'manager')",
                    "when.all[1].any[0].value: operator 'in' takes a list of values, got 0 values",
                    "when.all[3].not: expected exactly one condition, got 0",
                    "when.all[4].field: unknown deal field 'colour'",
                    "when.all[5].field: expected change.<name>.from or change.<name>.to",
                    "when.all[6].changed: expected the name of a field, like \"stage\""});
  }
}

TEST_CASE("notify.event_rules.missed_call_apology_and_call_back_task") {
  MemoryStorage s;
  seed(s);
  auto r = rule("missed_call", "call.missed", {sms("missed_call"), task_for(Target::owner, "Call {client} back by {due}")});
  r.within = Period::business_hours(2);
  const EventEngine ev{{r}, config()};
  // 16:30 Moscow (13:30Z): two business hours run to 09:30 the next morning.
  const auto e = Event::missed_call("pbx-1", ClientId{10}, utc(10, 13, 30));
  const auto p = ev.plan(s, e);
  REQUIRE(p.actions.size() == 2);
  const auto& msg = *p.actions[0].message;
  CHECK(p.actions[0].key == "event/pbx-1/missed_call/0");
  CHECK(msg.key == p.actions[0].key);
  CHECK(msg.channel == Channel::sms);
  CHECK(msg.to == Recipient{SubjectRef::of(ClientId{10}), "+10", "Acme"});
  CHECK(msg.locale == "ru");
  CHECK(msg.body == "Acme, перезвоним в течение 2 часов, до 2026-03-11 09:30.");
  CHECK(msg.created == utc(10, 13, 30));
  const auto& t = *p.actions[1].task;
  CHECK(p.actions[1].key == "event/pbx-1/missed_call/1");
  CHECK(t.assignee == ManagerId{2});
  CHECK(t.title == "Call Acme back by 2026-03-11 09:30");
  CHECK(t.due == utc(11, 6, 30));
  CHECK(t.origin == "event/pbx-1/missed_call/1");
  REQUIRE(p.findings.size() == 1);
  CHECK(p.findings[0].summary == "rule 'missed_call' on call.missed 'pbx-1' of client 'Acme'");

  const auto applied = ev.apply(p, s);
  CHECK(applied.applied == 2);
  REQUIRE(s.outbox().size() == 1);
  CHECK(s.tasks_of(ClientId{10}, true).size() == 2);
  const auto audit = s.audit_log(SubjectRef::of(ClientId{10}));
  REQUIRE(audit.size() == 2);
  CHECK(audit[0].rule == "missed_call");
  CHECK(audit[0].at == utc(10, 13, 30));

  SUBCASE("the same event again acts no more") {
    const auto again = ev.on(s, e);
    CHECK(again.plan.actions.empty());
    CHECK(again.applied.applied == 0);
    CHECK(s.outbox().size() == 1);
    // and applying the old plan a second time skips every action
    CHECK(ev.apply(p, s).skipped == 2);
  }
  SUBCASE("a client without a phone gets nothing, with a note") {
    const auto q = ev.plan(s, Event::missed_call("pbx-2", ClientId{11}, utc(10, 13, 30)));
    REQUIRE(q.actions.size() == 1);  // the task only
    CHECK(q.notes == std::vector<std::string>{
                         "rule 'missed_call' on event 'pbx-2': client 'Mute' has no phone number for sms; nothing sent"});
  }
  SUBCASE("an unknown client: a note, no rule") {
    const auto q = ev.plan(s, Event::missed_call("pbx-3", ClientId{99}, utc(10, 13, 30)));
    CHECK(q.actions.empty());
    CHECK(q.notes == std::vector<std::string>{"event 'pbx-3' (call.missed): unknown client 99; no rule ran"});
  }
  SUBCASE("a malformed event is the caller's error") {
    CHECK_THROWS_WITH_AS(ev.plan(s, Event::missed_call("", ClientId{10}, utc(10, 1))),
                         "event: id: must not be empty (actions are keyed by it)", invalid_argument);
  }
}

TEST_CASE("notify.event_rules.business_card_stage_template_and_handover") {
  MemoryStorage s;
  seed(s);
  auto card = rule("business_card", "call.incoming", {sms("business_card")});
  auto stage = rule("stage_message", "deal.stage_changed",
                    {{.action = EventActionKind::notify, .channel = Channel::email, .template_id = "deal_stage.{stage}"}},
                    Condition::compare("client.kind", CompareOp::eq, "B2C"));
  auto handover = rule("handover", "task.reassigned",
                       {{.action = EventActionKind::notify, .target = Target::assignee, .channel = Channel::email,
                         .template_id = "handover"}});
  const EventEngine ev{{card, stage, handover}, config()};

  auto c11 = ev.plan(s, Event::incoming_call("pbx-9", ClientId{10}, utc(10, 8), ManagerId{3}));
  REQUIRE(c11.actions.size() == 1);
  CHECK(c11.actions[0].message->locale == "en");  // no Russian business card: the default locale
  CHECK(c11.actions[0].message->body == "Ivanova, Petrov: call us any time.");

  const auto moved = ev.plan(s, Event::stage_changed("crm-1", deal20(), "proposal", "negotiation", utc(10, 9)));
  REQUIRE(moved.actions.size() == 1);
  CHECK(moved.actions[0].message->template_id == "deal_stage.negotiation");
  CHECK(moved.actions[0].message->subject == "Переговоры");
  CHECK(moved.actions[0].message->body == "Acme: proposal -> negotiation");
  CHECK(moved.actions[0].message->to.address == "acme@example.com");
  CHECK(moved.findings[0].subject == SubjectRef::of(DealId{20}));
  CHECK(moved.findings[0].summary == "rule 'stage_message' on deal.stage_changed 'crm-1' of client 'Acme', stage proposal -> negotiation");

  const auto won = ev.plan(s, Event::stage_changed("crm-2", deal20(), "negotiation", "won", utc(10, 10)));
  CHECK(won.actions.empty());
  CHECK(won.notes == std::vector<std::string>{"rule 'stage_message' on event 'crm-2': no template 'deal_stage.won'; nothing sent"});

  Task t = *s.find_task(TaskId{40});
  const auto h = ev.plan(s, Event::task_reassigned("crm-3", t, ManagerId{3}, ManagerId{2}, utc(10, 11)));
  REQUIRE(h.actions.size() == 1);
  CHECK(h.actions[0].message->to == Recipient{SubjectRef::of(ManagerId{2}), "m2@crm.example", "Ivanova"});
  CHECK(h.actions[0].message->body == "Ivanova: a task of Acme.");
  CHECK(h.actions[0].to == ManagerId{2});
}

TEST_CASE("notify.event_rules.debounce_keeps_a_burst_to_one_message") {
  MemoryStorage s;
  seed(s);
  auto r = rule("missed_call", "call.missed", {sms("missed_call")});
  r.debounce = 30min;
  const EventEngine ev{{r}, config()};
  std::size_t sent = 0;
  std::vector<std::string> notes;
  for (auto [id, at] : {std::pair{"c1", utc(10, 10, 0)}, std::pair{"c2", utc(10, 10, 5)}, std::pair{"c3", utc(10, 10, 29)},
                        std::pair{"c4", utc(10, 10, 30)}, std::pair{"c5", utc(10, 10, 40)}}) {
    const auto res = ev.on(s, Event::missed_call(id, ClientId{10}, at));
    sent += res.applied.applied;
    for (const auto& n : res.plan.notes) notes.push_back(n);
  }
  CHECK(sent == 2);  // c1, and c4 (30 minutes later: outside the window)
  REQUIRE(s.outbox().size() == 2);
  CHECK(s.outbox()[0].key == "event/c1/missed_call/0");
  CHECK(s.outbox()[1].key == "event/c4/missed_call/0");
  REQUIRE(notes.size() == 3);
  CHECK(notes[0] == "debounce: rule 'missed_call' fired for client 'Acme' at 2026-03-10T10:00:00Z, within 30m of event "
                    "'c2' at 2026-03-10T10:05:00Z; nothing more");
  // another client is not held back
  CHECK(ev.on(s, Event::missed_call("d1", ClientId{11}, utc(10, 10, 6))).plan.notes.size() == 1);  // no phone, but not debounced
}

TEST_CASE("notify.event_rules.effects_feed_back_with_a_loop_guard") {
  MemoryStorage s;
  seed(s);
  // call.missed -> task -> (task.created) label -> (client.labeled) task -> (task.created) label again: stopped.
  auto missed = rule("missed_call", "call.missed", {task_for(Target::owner, "Call {client} back")});
  auto mark = rule("mark", "task.created",
                   {{.action = EventActionKind::label, .title = "for {manager}", .label = "callback_pending"}});
  auto check = rule("check", "client.labeled", {task_for(Target::supervisor, "Check {client}")},
                    Condition::compare("client.labels", CompareOp::contains, "callback_pending"));
  const EventEngine ev{{missed, mark, check}, config()};
  const auto res = ev.on(s, Event::missed_call("pbx-1", ClientId{10}, utc(10, 13)));
  std::vector<std::string> keys;
  for (const auto& a : res.plan.actions) keys.push_back(a.key);
  CHECK(keys == std::vector<std::string>{"event/pbx-1/missed_call/0", "event/event/pbx-1/missed_call/0/mark/0",
                                         "event/event/event/pbx-1/missed_call/0/mark/0/check/0"});
  CHECK(res.plan.notes ==
        std::vector<std::string>{"loop guard: rule 'mark' not run on event 'event/event/event/pbx-1/missed_call/0/mark/0/"
                                 "check/0' (task.created): the event is its own effect (chain missed_call -> mark -> "
                                 "check -> mark)"});
  CHECK(res.applied.applied == 3);
  CHECK(s.find_client(ClientId{10})->labels.at("callback_pending") == "for Ivanova");
  const auto tasks = s.tasks_of(ClientId{10}, true);
  REQUIRE(tasks.size() == 3);  // the seeded one, the call back, the check
  CHECK(tasks[2].assignee == ManagerId{1});
  CHECK(tasks[2].title == "Check Acme");
  // the condition saw the label the earlier action set in the same plan
  CHECK(res.plan.findings.size() == 3);

  SUBCASE("depth stops a long chain") {
    MemoryStorage s2;
    seed(s2);
    const EventEngine shallow{{missed, mark, check}, config(), EventOptions{1}};
    const auto r2 = shallow.on(s2, Event::missed_call("pbx-1", ClientId{10}, utc(10, 13)));
    CHECK(r2.plan.actions.size() == 2);
    REQUIRE(r2.plan.notes.size() == 1);
    CHECK(r2.plan.notes[0] == "event 'event/event/pbx-1/missed_call/0/mark/0' (client.labeled): not followed, 2 levels of "
                              "effects deep (max_depth 1)");
  }
}

TEST_CASE("notify.event_rules.configuration_errors_at_construction") {
  CHECK(config_error({rule("a", "call.missed", {sms("missed_call")})}).empty());
  CHECK(config_error({rule("a", "call.missed", {sms("no_such")})}) ==
        "event rule 'a' actions[0].template: no template 'no_such' in the configuration");
  CHECK(config_error({rule("a", "call.missed", {sms("x.{client}")})}) ==
        "event rule 'a' actions[0].template: 'x.{client}': only {stage} may vary in a template id");
  CHECK(config_error({rule("a", "call.missed", {sms("missed_call")}), rule("a", "", {})}) ==
        "event rule 'a' id: duplicate\n"
        "event rule 'a' on: must name an event kind, like \"call.missed\"\n"
        "event rule 'a' actions: a rule needs at least one action");
  CHECK(config_error({rule("t", "call.missed", {task_for(Target::client, "x"), task_for(Target::owner, "{clinet}")})}) ==
        "event rule 't' actions[0].target: a task goes to a manager, not to the client\n"
        "event rule 't' actions[1].title: unknown placeholder {clinet}; known placeholders: {client}, {owner}, {manager}, "
        "{days}, {days_text}, {hours}, {minutes}, {amount}, {deal}, {invoice}, {stage}, {from_stage}, {summary}, {rule}, "
        "{due}");
  CHECK(config_error({rule("c", "call.missed", {sms("missed_call")}, Condition::compare("client.sgment", CompareOp::eq, "x"))}) ==
        "event rule 'c' when.field: unknown client field 'sgment'");
  auto bad = config();
  bad.templates["missed_call"]["ru"].body = "{hours:plural(a|b)}";
  CHECK(config_error({}, bad) == "template 'missed_call' (ru) body: plural: locale 'ru' needs 3 forms (one|few|many), got 2: 'a|b'");
}
}  // namespace nudge_notify_test_event_rules
