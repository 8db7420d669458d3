#pragma once
// A day of a small CRM, driven through every part of notifications: events
// from the telephone and the sales pipeline (EventEngine), an hourly plan of
// the assistants (Engine, a debtor ladder), and a dispatcher every 15 minutes
// over a notifier that fails every third call -- half of those failures after
// the gateway got the message (the acknowledgement was lost), so the retry is
// a duplicate the gateway must drop by key. Used over MemoryStorage
// (tests/unit/notify/test_day.cpp) and SqliteStorage (tests/unit/sqlite/test_notify_sqlite.cpp).
//
// Tuesday 2026-03-10, UTC. Clients in Moscow (UTC+3), New York (UTC-4, DST
// since 2026-03-08) and Vladivostok (UTC+10); SMS quiet hours 21:00-09:00 in
// the client's zone.

#include <doctest/doctest.h>

#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include <date/tz.h>

#include <nudge/engine/engine.hpp>
#include <nudge/notify/dispatcher.hpp>
#include <nudge/notify/notifier.hpp>
#include <nudge/rules/event_engine.hpp>
#include <nudge/storage/storage.hpp>

namespace nudge::day {

inline Instant utc(int d, int h, int m = 0) {
  return at_midnight(ymd(2026, 3, static_cast<unsigned>(d))) + std::chrono::hours{h} + std::chrono::minutes{m};
}

/// The gateway at the far end: keeps every raw delivery, and drops duplicates by key.
struct Gateway {
  struct Delivery {
    Message message;
    Instant at;
  };
  const Instant* clock = nullptr;
  std::vector<Delivery> raw;
  std::map<std::string, Delivery> unique;  // first delivery per key
  void receive(const Message& m) {
    raw.push_back({m, *clock});
    unique.emplace(m.key, Delivery{m, *clock});
  }
};

/// Fails every third call: the 3rd, 9th, 15th ... before sending (connection
/// refused), the 6th, 12th, 18th ... after the gateway took the message (ack lost).
class FlakyNotifier final : public Notifier {
public:
  explicit FlakyNotifier(Gateway& g) : g_(g) {}
  int calls = 0;
  int failures = 0;

protected:
  void send_(const Message& m) override {
    ++calls;
    if (calls % 3 != 0) return g_.receive(m);
    ++failures;
    if (calls % 6 == 3) throw std::runtime_error("gateway: connection refused");
    g_.receive(m);
    throw std::runtime_error("gateway: timeout waiting for the acknowledgement");
  }

private:
  Gateway& g_;
};

inline Client client(std::int64_t id, std::string name, std::int64_t owner, ClientKind kind, std::string locale,
                     std::string zone) {
  Client c;
  c.id = ClientId{id};
  c.name = std::move(name);
  c.owner = ManagerId{owner};
  c.segments = {"smb"};
  c.kind = kind;
  c.created = utc(1, 0);
  c.email = fmt::format("c{}@example.com", id);
  c.phone = fmt::format("+1000000{}", id);
  c.locale = std::move(locale);
  c.time_zone = std::move(zone);
  return c;
}

inline void seed(Storage& s) {
  auto w = s.begin();
  auto m = [&](std::int64_t id, std::string name, std::optional<std::int64_t> sup) {
    Manager x;
    x.id = ManagerId{id};
    x.name = std::move(name);
    if (sup) x.supervisor = ManagerId{*sup};
    x.email = fmt::format("m{}@crm.example", id);
    x.phone = fmt::format("+7000000{}", id);
    w->put_manager(x);
  };
  m(1, "Head", std::nullopt);
  m(2, "Ivanova", 1);
  m(3, "Petrov", 1);
  w->put_client(client(10, "Ромашка", 2, ClientKind::b2b, "ru", "Europe/Moscow"));
  w->put_client(client(11, "Acme", 3, ClientKind::b2c, "en", "America/New_York"));
  w->put_client(client(12, "Тайга", 2, ClientKind::b2b, "ru", "Asia/Vladivostok"));
  w->put_client(client(13, "Kuckuck", 3, ClientKind::b2b, "de", ""));
  Deal d;
  d.id = DealId{20};
  d.client = ClientId{10};
  d.owner = ManagerId{2};
  d.stage = "proposal";
  d.amount = Money::from_decimal(5000.0, "EUR");
  d.opened = utc(1, 0);
  d.stage_entered = utc(2, 0);
  w->put_deal(d);
  d.id = DealId{21};
  d.client = ClientId{11};
  d.owner = ManagerId{3};
  d.stage = "qualification";
  w->put_deal(d);
  Invoice i;
  i.id = InvoiceId{30};
  i.client = ClientId{12};
  i.amount = Money::from_decimal(1200.0, "EUR");
  i.issued = utc(1, 0);
  i.due = utc(8, 0);
  w->put_invoice(i);
  i.id = InvoiceId{31};
  i.client = ClientId{11};
  i.amount = Money::from_decimal(80.0, "USD");
  i.due = utc(8, 2, 30);
  w->put_invoice(i);
  Task t;
  t.id = TaskId{40};
  t.client = ClientId{13};
  t.assignee = ManagerId{2};
  t.title = "Prepare the offer";
  t.due = utc(12, 12);
  t.created = utc(1, 0);
  w->put_task(t);
  w->commit();
}

inline EngineConfig engine_config() {
  using namespace std::chrono_literals;
  EngineConfig c;
  c.calendar = BusinessCalendar::weekdays("Europe/Moscow").with_hours_all(9h, 18h);
  DebtorConfig d;
  d.ladder = {LadderStep{.id = "remind1", .after = Period::days(1), .action = StepAction::notify,
                         .target = Target::client, .channel = Channel::email, .template_id = "debtor_reminder"},
              LadderStep{.id = "remind2", .after = Period::days(2), .action = StepAction::notify,
                         .target = Target::client, .channel = Channel::sms, .template_id = "debtor_sms"}};
  c.debtor.push_back(d);
  auto& t = c.templates;
  t["debtor_reminder"]["en"] = {"Invoice {invoice} is overdue", "Dear {client}, {amount} is {days_text} overdue."};
  t["debtor_reminder"]["ru"] = {"Счёт {invoice} просрочен", "{client}, оплата {amount} просрочена на {days_text}."};
  t["debtor_sms"]["en"] = {"", "{client}: {amount} overdue, {days:plural(# day|# days)}."};
  t["debtor_sms"]["ru"] = {"", "{client}: долг {amount}, {days:plural(# день|# дня|# дней)}."};
  t["missed_call"]["en"] = {"", "{client}, sorry we missed your call. {owner} calls you back by {due}."};
  t["missed_call"]["ru"] = {"", "{client}, извините, мы пропустили ваш звонок. {owner} перезвонит до {due}."};
  t["business_card"]["en"] = {"", "Thank you for calling, {client}! Your manager: {owner}."};
  t["business_card"]["ru"] = {"", "Спасибо за звонок, {client}! Ваш менеджер: {owner}."};
  t["deal_stage.negotiation"]["en"] = {"Your order: negotiation", "{client}, we are agreeing the terms."};
  t["deal_stage.negotiation"]["ru"] = {"Ваш заказ: согласование", "{client}, согласуем условия."};
  t["deal_stage.won"]["en"] = {"Thank you!", "{client}, thank you for your order."};
  t["deal_stage.won"]["ru"] = {"Спасибо!", "{client}, спасибо за заказ."};
  t["negotiation_alert"]["en"] = {"Deal {deal} in negotiation", "{owner} moved deal {deal} of {client} from {from_stage} to {stage}."};
  t["handover"]["en"] = {"A task was handed to you", "{manager}, you now have a task of {client}."};
  return c;
}

inline std::vector<EventRule> event_rules() {
  std::vector<EventRule> rs(7);
  rs[0].id = "missed_call";
  rs[0].on = "call.missed";
  rs[0].within = Period::business_hours(2);
  rs[0].debounce = std::chrono::minutes{30};
  rs[0].actions = {{.action = EventActionKind::notify, .target = Target::client, .channel = Channel::sms,
                    .template_id = "missed_call"},
                   {.action = EventActionKind::task, .target = Target::owner, .title = "Call {client} back by {due}"}};
  rs[1].id = "business_card";
  rs[1].on = "call.incoming";
  rs[1].actions = {{.action = EventActionKind::notify, .channel = Channel::sms, .template_id = "business_card"}};
  rs[2].id = "stage_message";
  rs[2].on = "deal.stage_changed";
  rs[2].actions = {{.action = EventActionKind::notify, .channel = Channel::email, .template_id = "deal_stage.{stage}"}};
  rs[3].id = "negotiation_alert";
  rs[3].on = "deal.stage_changed";
  rs[3].when = Condition::all({Condition::changed("stage", "proposal", "negotiation"),
                               Condition::compare("client.segments", CompareOp::contains, "smb"),
                               Condition::compare("deal.amount", CompareOp::ge, "1000")});
  rs[3].actions = {{.action = EventActionKind::notify, .target = Target::supervisor, .channel = Channel::in_app,
                    .template_id = "negotiation_alert"}};
  rs[4].id = "handover";
  rs[4].on = "task.reassigned";
  rs[4].actions = {{.action = EventActionKind::notify, .target = Target::assignee, .channel = Channel::email,
                    .template_id = "handover"}};
  // Effects feeding back: a call-back task labels the client, the label asks
  // for a check task -- which is a call-back task again: the loop guard stops it.
  rs[5].id = "mark_callback";
  rs[5].on = "task.created";
  rs[5].when = Condition::compare("event.title", CompareOp::contains, "back");
  rs[5].actions = {{.action = EventActionKind::label, .title = "owner {owner}", .label = "callback_pending"}};
  rs[6].id = "check_callback";
  rs[6].on = "client.labeled";
  rs[6].when = Condition::compare("event.label", CompareOp::eq, "callback_pending");
  rs[6].actions = {{.action = EventActionKind::task, .target = Target::owner, .title = "Check the call back to {client}"}};
  return rs;
}

/// What the day left behind.
struct DayResult {
  Gateway gateway;
  int notifier_calls = 0;
  int notifier_failures = 0;
  std::vector<OutboxEntry> outbox;
  std::vector<std::string> event_notes;
  std::size_t event_actions = 0;
  std::size_t replayed_applied = 0;
  std::size_t deferred = 0;
  std::size_t retried = 0;
  std::size_t dead = 0;
  std::size_t engine_runs = 0;
};

inline DayResult run_day(Storage& store) {
  DayResult r;
  Instant now = utc(10, 0);
  r.gateway.clock = &now;
  FlakyNotifier flaky{r.gateway};
  seed(store);
  const Engine engine{engine_config()};
  const EventEngine events{event_rules(), engine_config()};
  DispatcherOptions o;
  o.quiet_hours[Channel::sms] = QuietHours::between(std::chrono::hours{21}, std::chrono::hours{9});
  o.time_zone = "Europe/Moscow";
  o.retry = {std::chrono::minutes{5}, 2.0, std::chrono::hours{2}, 8};
  Dispatcher dispatcher{store, flaky, o};

  // The host's events, with what the host itself changes first.
  struct Step {
    Instant at;
    std::function<Event(Storage&)> make;
  };
  auto deal_to = [](std::int64_t id, std::string to, Instant at, std::string event_id) {
    return [=](Storage& s) {
      auto d = *s.find_deal(DealId{id});
      const std::string from = d.stage;
      d.history.push_back({d.stage, d.stage_entered, at});
      d.stage = to;
      d.stage_entered = at;
      auto w = s.begin();
      w->put_deal(d);
      w->commit();
      return Event::stage_changed(event_id, d, from, to, at);
    };
  };
  std::vector<Step> steps{
      {utc(10, 5, 10), [](Storage&) { return Event::missed_call("pbx-1", ClientId{10}, utc(10, 5, 10)); }},
      {utc(10, 5, 12), [](Storage&) { return Event::missed_call("pbx-2", ClientId{10}, utc(10, 5, 12)); }},
      {utc(10, 5, 35), [](Storage&) { return Event::missed_call("pbx-3", ClientId{10}, utc(10, 5, 35)); }},
      {utc(10, 7, 0), [](Storage&) { return Event::incoming_call("pbx-4", ClientId{11}, utc(10, 7, 0), ManagerId{3}); }},
      {utc(10, 7, 5), [](Storage&) { return Event::incoming_call("pbx-4", ClientId{11}, utc(10, 7, 0), ManagerId{3}); }},
      {utc(10, 9, 0), deal_to(20, "negotiation", utc(10, 9, 0), "crm-deal-20-1")},
      {utc(10, 10, 0), deal_to(21, "proposal", utc(10, 10, 0), "crm-deal-21-1")},
      {utc(10, 12, 0),
       [](Storage& s) {
         auto t = *s.find_task(TaskId{40});
         const auto from = t.assignee;
         t.assignee = ManagerId{3};
         auto w = s.begin();
         w->put_task(t);
         w->commit();
         return Event::task_reassigned("crm-task-40-1", t, from, t.assignee, utc(10, 12, 0));
       }},
      {utc(10, 15, 0), deal_to(20, "won", utc(10, 15, 0), "crm-deal-20-2")},
      {utc(10, 19, 30), [](Storage&) { return Event::missed_call("pbx-5", ClientId{12}, utc(10, 19, 30)); }},
      {utc(10, 20, 0), [](Storage&) { return Event::missed_call("pbx-6", ClientId{11}, utc(10, 20, 0)); }},
  };
  std::size_t next = 0;
  auto tick = [&](Instant t) {
    now = t;
    for (; next < steps.size() && steps[next].at <= t; ++next) {
      const auto e = steps[next].make(store);
      const auto res = events.on(store, e);
      r.event_actions += res.applied.applied;
      if (steps[next].at != e.at) r.replayed_applied += res.applied.applied;  // the resent pbx-4
      for (const auto& n : res.plan.notes) r.event_notes.push_back(n);
    }
    if ((t - utc(10, 0)) % std::chrono::hours{1} == Seconds{0}) {
      engine.run(store, t);
      ++r.engine_runs;
    }
    if ((t - utc(10, 0)) % std::chrono::minutes{15} == Seconds{0}) {
      const auto d = dispatcher.run(t);
      r.deferred += d.deferred;
      r.retried += d.retried;
      r.dead += d.dead;
    }
  };
  // The day (and the night after), every 5 minutes.
  for (Instant t = utc(10, 0); t <= utc(11, 6); t += std::chrono::minutes{5}) tick(t);
  // Then the dispatcher alone until nothing is pending (at most two more days).
  for (Instant t = utc(11, 6) + std::chrono::minutes{15}; t <= utc(13, 6); t += std::chrono::minutes{15}) {
    now = t;
    if (store.due_messages(utc(13, 6)).empty()) break;
    const auto d = dispatcher.run(t);
    r.deferred += d.deferred;
    r.retried += d.retried;
    r.dead += d.dead;
  }
  r.notifier_calls = flaky.calls;
  r.notifier_failures = flaky.failures;
  r.outbox = store.outbox_entries();
  return r;
}

/// Minutes after local midnight of an instant in a zone (computed here with
/// date/tz directly, not through Nudge's quiet-hours code).
inline int local_minutes(Instant t, const std::string& zone) {
  const auto lt = date::locate_zone(zone)->to_local(t);
  return static_cast<int>(std::chrono::floor<std::chrono::minutes>(lt - std::chrono::floor<Days>(lt)).count());
}

/// The assertions, the same over every adapter.
inline void check_day(const DayResult& r) {
  const auto& g = r.gateway;
  std::set<std::string> outbox_keys;
  for (const auto& e : r.outbox) outbox_keys.insert(e.message.key);
  const std::set<std::string> expected{
      "event/pbx-1/missed_call/0",                     // SMS, 08:10 Moscow: waits for 09:00
      "event/pbx-4/business_card/0",                   // SMS, 03:00 New York: waits for 09:00
      "event/crm-deal-20-1/stage_message/0",           // e-mail, the stage's template
      "event/crm-deal-20-1/negotiation_alert/0",       // in-app to the supervisor: proposal -> negotiation
      "event/crm-task-40-1/handover/0",                // e-mail to the new assignee
      "event/crm-deal-20-2/stage_message/0",           // e-mail, deal won
      "event/pbx-5/missed_call/0",                     // SMS, 05:30 Vladivostok: waits for 09:00
      "event/pbx-6/missed_call/0",                     // SMS, 16:00 New York: at once
      "debtor/invoice:30/2026-03-08T00:00:00Z/remind1",  // e-mail
      "debtor/invoice:30/2026-03-08T00:00:00Z/remind2",  // SMS, 11:00 Vladivostok
      "debtor/invoice:31/2026-03-08T02:30:00Z/remind1",  // e-mail
      "debtor/invoice:31/2026-03-08T02:30:00Z/remind2",  // SMS, 23:00 New York: waits for 09:00
  };
  CHECK(outbox_keys == expected);

  // Every message delivered, exactly once as the reader sees it; none lost, none dead.
  for (const auto& e : r.outbox) {
    INFO(e.message.key);
    CHECK(e.state.status == DeliveryStatus::delivered);
    CHECK(g.unique.count(e.message.key) == 1);
  }
  CHECK(g.unique.size() == expected.size());
  std::set<std::string> gateway_keys;
  for (const auto& [k, d] : g.unique) gateway_keys.insert(k);
  CHECK(gateway_keys == expected);  // nothing the outbox does not know
  CHECK(r.dead == 0);
  // At least once: the lost acknowledgements made the gateway see duplicates.
  CHECK(g.raw.size() > g.unique.size());
  CHECK(r.notifier_failures == r.notifier_calls / 3);
  CHECK(r.notifier_failures >= 4);
  CHECK(r.retried == static_cast<std::size_t>(r.notifier_failures));
  CHECK(g.raw.size() == static_cast<std::size_t>(r.notifier_calls - (r.notifier_failures + 1) / 2));

  // No SMS to a client inside its quiet hours (21:00-09:00 in its own zone), any attempt.
  const std::map<std::int64_t, std::string> zone{
      {10, "Europe/Moscow"}, {11, "America/New_York"}, {12, "Asia/Vladivostok"}, {13, "Europe/Moscow"}};
  std::size_t sms = 0;
  for (const auto& d : g.raw) {
    if (d.message.channel != Channel::sms || d.message.to.who.kind != SubjectKind::client) continue;
    ++sms;
    const int m = local_minutes(d.at, zone.at(d.message.to.who.id));
    INFO(d.message.key << " at " << iso_instant(d.at) << ", local minute " << m);
    CHECK(m >= 9 * 60);
    CHECK(m < 21 * 60);
  }
  CHECK(sms >= 6);
  // ... because the quiet hours held four of them back until the morning.
  auto first = [&](const std::string& k) { return g.unique.at(k).at; };
  CHECK(first("event/pbx-1/missed_call/0") >= utc(10, 6));                               // 09:00 Moscow
  CHECK(first("event/pbx-4/business_card/0") >= utc(10, 13));                            // 09:00 New York
  CHECK(first("event/pbx-5/missed_call/0") >= utc(10, 23));                              // 09:00 Vladivostok
  CHECK(first("debtor/invoice:31/2026-03-08T02:30:00Z/remind2") >= utc(10, 13));         // 09:00 New York
  CHECK(first("event/pbx-6/missed_call/0") < utc(10, 20, 30));                           // not quiet: at once
  CHECK(r.deferred >= 4);

  // The burst of three missed calls sent one apology; the resent event did nothing.
  std::size_t debounced = 0, loops = 0;
  for (const auto& n : r.event_notes) {
    debounced += n.rfind("debounce: rule 'missed_call'", 0) == 0;
    loops += n.rfind("loop guard: rule 'mark_callback'", 0) == 0;
  }
  CHECK(debounced == 2);
  CHECK(loops == 3);  // one per call-back task chain (pbx-1, pbx-5, pbx-6)
  CHECK(r.replayed_applied == 0);
  bool no_template = false;
  for (const auto& n : r.event_notes) no_template = no_template || n.find("no template 'deal_stage.proposal'") != std::string::npos;
  CHECK(no_template);

  // Texts as the client reads them, in the client's language.
  CHECK(g.unique.at("event/pbx-1/missed_call/0").message.body ==
        "Ромашка, извините, мы пропустили ваш звонок. Ivanova перезвонит до 2026-03-10 11:00.");
  // 11:00 Moscow (the calendar's business hours), read in New York.
  CHECK(g.unique.at("event/pbx-6/missed_call/0").message.body ==
        "Acme, sorry we missed your call. Petrov calls you back by 2026-03-11 04:00.");
  CHECK(g.unique.at("event/pbx-4/business_card/0").message.body == "Thank you for calling, Acme! Your manager: Petrov.");
  CHECK(g.unique.at("event/crm-deal-20-1/stage_message/0").message.subject == "Ваш заказ: согласование");
  CHECK(g.unique.at("event/crm-deal-20-1/negotiation_alert/0").message.body ==
        "Ivanova moved deal 20 of Ромашка from proposal to negotiation.");
  CHECK(g.unique.at("event/crm-deal-20-1/negotiation_alert/0").message.to.who == SubjectRef::of(ManagerId{1}));
  CHECK(g.unique.at("event/crm-task-40-1/handover/0").message.body == "Petrov, you now have a task of Kuckuck.");
  CHECK(g.unique.at("debtor/invoice:30/2026-03-08T00:00:00Z/remind2").message.body == "Тайга: долг 1200.00 EUR, 2 дня.");
  CHECK(g.unique.at("debtor/invoice:30/2026-03-08T00:00:00Z/remind1").message.body ==
        "Тайга, оплата 1200.00 EUR просрочена на 2 дня.");
  CHECK(g.unique.at("debtor/invoice:31/2026-03-08T02:30:00Z/remind2").message.body == "Acme: 80.00 USD overdue, 2 days.");
}

}  // namespace nudge::day
