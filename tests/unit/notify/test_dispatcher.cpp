// The dispatcher: backoff, dead letters, quiet hours in the recipient's zone,
// at-least-once delivery when the record of a send is lost.

#include <doctest/doctest.h>

#include <nudge/notify/dispatcher.hpp>
#include <nudge/storage/memory_storage.hpp>

// Own namespace: the tests build as a unity build.
namespace nudge_notify_test_dispatcher {

using namespace nudge;
using namespace std::chrono_literals;

namespace {

Instant utc(int m, int d, int h, int min = 0) {
  return at_midnight(ymd(2026, static_cast<unsigned>(m), static_cast<unsigned>(d))) + std::chrono::hours{h} +
         std::chrono::minutes{min};
}

void seed(MemoryStorage& s) {
  auto w = s.begin();
  Manager m;
  m.id = ManagerId{1};
  m.name = "Ivanova";
  m.phone = "+7 1";
  w->put_manager(m);
  auto c = [&](std::int64_t id, std::string zone) {
    Client x;
    x.id = ClientId{id};
    x.name = fmt::format("Client {}", id);
    x.owner = ManagerId{1};
    x.phone = fmt::format("+{}", id);
    x.email = fmt::format("{}@example.com", id);
    x.time_zone = std::move(zone);
    w->put_client(x);
  };
  c(10, "Europe/Moscow");
  c(11, "America/New_York");
  c(12, "");  // the dispatcher's default zone
  c(13, "Mars/Olympus_Mons");
  w->commit();
}

Message message(std::string key, Channel ch, SubjectRef to, Instant created) {
  Message m;
  m.key = std::move(key);
  m.channel = ch;
  m.to = {to, "addr", "name"};
  m.body = "hello";
  m.created = created;
  return m;
}

void enqueue(MemoryStorage& s, const std::vector<Message>& ms) {
  auto w = s.begin();
  for (const auto& m : ms) REQUIRE(w->enqueue(m));
  w->commit();
}

/// Fails the next `fail` calls (permanently when `permanent`), then delivers.
class Scripted final : public Notifier {
public:
  int fail = 0;
  bool permanent = false;
  std::vector<std::string> sent;  // keys, every successful call
  int calls = 0;

protected:
  void send_(const Message& m) override {
    ++calls;
    if (fail > 0) {
      --fail;
      if (permanent) throw undeliverable("550 no such user");
      throw std::runtime_error(fmt::format("503 busy (call {})", calls));
    }
    sent.push_back(m.key);
  }
};

DeliveryState state_of(const Storage& s, const std::string& key) { return s.find_message(key)->state; }

}  // namespace

TEST_CASE("notify.dispatcher.backoff_schedule") {
  const RetryPolicy p{60s, 2.0, 10min, 5};
  CHECK(p.delay(1) == 60s);
  CHECK(p.delay(2) == 120s);
  CHECK(p.delay(3) == 240s);
  CHECK(p.delay(4) == 480s);
  CHECK(p.delay(5) == 600s);  // capped
  CHECK(p.delay(2000) == 600s);
  CHECK(RetryPolicy{7s, 1.5, 1h, 3}.delay(2) == 11s);  // 10.5 rounded up
  CHECK_THROWS_WITH_AS(RetryPolicy({0s, 2.0, 1h, 3}).validate(), "retry.base: must be positive", invalid_argument);
  CHECK_THROWS_WITH_AS(RetryPolicy({1s, 0.5, 1h, 3}).validate(), "retry.factor: must be >= 1, got 0.5", invalid_argument);
  CHECK_THROWS_WITH_AS(RetryPolicy({1h, 2.0, 1s, 3}).validate(), "retry.cap: must not be shorter than retry.base",
                       invalid_argument);
  CHECK_THROWS_WITH_AS(RetryPolicy({1s, 2.0, 1h, 0}).validate(), "retry.max_attempts: must be >= 1, got 0",
                       invalid_argument);
}

TEST_CASE("notify.dispatcher.retries_with_backoff_then_dead_letter") {
  MemoryStorage s;
  seed(s);
  const Instant t0 = utc(3, 10, 12);
  enqueue(s, {message("k", Channel::email, SubjectRef::of(ClientId{10}), t0)});
  Scripted n;
  n.fail = 100;
  DispatcherOptions o;
  o.retry = {60s, 2.0, 10min, 4};
  Dispatcher d{s, n, o};

  auto r = d.run(t0);
  CHECK(r.retried == 1);
  REQUIRE(r.outcomes.size() == 1);
  CHECK(r.outcomes[0] == DispatchOutcome{"k", DispatchOutcome::Kind::retry, t0 + 60s, "503 busy (call 1)", 1});
  CHECK(state_of(s, "k") == DeliveryState{DeliveryStatus::pending, 1, "503 busy (call 1)", t0 + 60s, std::nullopt});
  // not before the next attempt
  CHECK(d.run(t0 + 59s).handled() == 0);
  CHECK(n.calls == 1);
  CHECK(d.run(t0 + 60s).retried == 1);
  CHECK(state_of(s, "k").next_attempt == t0 + 60s + 120s);
  CHECK(d.run(t0 + 180s).retried == 1);
  CHECK(state_of(s, "k").next_attempt == t0 + 180s + 240s);
  r = d.run(t0 + 420s);  // the 4th attempt: the last
  CHECK(r.dead == 1);
  CHECK(r.outcomes[0].kind == DispatchOutcome::Kind::dead);
  CHECK(state_of(s, "k") == DeliveryState{DeliveryStatus::dead, 4, "503 busy (call 4)", std::nullopt, std::nullopt});
  CHECK(s.outbox().empty());
  CHECK(d.run(t0 + 24h).handled() == 0);  // dead letters stay dead
  CHECK(n.calls == 4);

  // a person requeues it; the gateway works again
  {
    auto w = s.begin();
    w->record_delivery("k", {DeliveryStatus::pending, 0, "503 busy (call 4)", std::nullopt, std::nullopt});
    w->commit();
  }
  n.fail = 0;
  r = d.run(t0 + 25h);
  CHECK(r.delivered == 1);
  CHECK(state_of(s, "k") == DeliveryState{DeliveryStatus::delivered, 1, "503 busy (call 4)", std::nullopt, t0 + 25h});
  CHECK(n.sent == std::vector<std::string>{"k"});
}

TEST_CASE("notify.dispatcher.permanent_failure_is_dead_at_once") {
  MemoryStorage s;
  seed(s);
  const Instant t0 = utc(3, 10, 12);
  enqueue(s, {message("a", Channel::email, SubjectRef::of(ClientId{10}), t0),
              message("b", Channel::email, SubjectRef::of(ClientId{10}), t0)});
  Scripted n;
  n.fail = 1;
  n.permanent = true;
  Dispatcher d{s, n};
  const auto r = d.run(t0);
  CHECK(r.dead == 1);
  CHECK(r.delivered == 1);  // the next message is not held up
  CHECK(state_of(s, "a") == DeliveryState{DeliveryStatus::dead, 1, "550 no such user", std::nullopt, std::nullopt});
  CHECK(state_of(s, "b").status == DeliveryStatus::delivered);
}

TEST_CASE("notify.dispatcher.quiet_hours_in_the_recipients_zone") {
  MemoryStorage s;
  seed(s);
  // 19:00Z = 22:00 Moscow = 15:00 New York (EDT, UTC-4 since 2026-03-08).
  const Instant t0 = utc(3, 10, 19);
  enqueue(s, {message("moscow-sms", Channel::sms, SubjectRef::of(ClientId{10}), t0),
              message("ny-sms", Channel::sms, SubjectRef::of(ClientId{11}), t0),
              message("default-zone-sms", Channel::sms, SubjectRef::of(ClientId{12}), t0),
              message("moscow-email", Channel::email, SubjectRef::of(ClientId{10}), t0),
              message("manager-sms", Channel::sms, SubjectRef::of(ManagerId{1}), t0),
              message("mars-sms", Channel::sms, SubjectRef::of(ClientId{13}), t0)});
  Scripted n;
  DispatcherOptions o;
  o.quiet_hours[Channel::sms] = QuietHours::between(21h, 9h);
  o.time_zone = "Asia/Vladivostok";  // 19:00Z = 05:00 Vladivostok: quiet
  Dispatcher d{s, n, o};
  auto r = d.run(t0);
  CHECK(n.sent == std::vector<std::string>{"ny-sms", "moscow-email", "manager-sms"});
  CHECK(r.deferred == 3);
  // Moscow: until 09:00 Moscow = 06:00Z; not an attempt
  CHECK(state_of(s, "moscow-sms") == DeliveryState{DeliveryStatus::pending, 0, "", utc(3, 11, 6), std::nullopt});
  // no zone of its own: the default zone's morning, 09:00 Vladivostok = 23:00Z
  CHECK(state_of(s, "default-zone-sms").next_attempt == utc(3, 10, 23));
  // an unknown zone: the default zone, with a note
  CHECK(state_of(s, "mars-sms").next_attempt == utc(3, 10, 23));
  REQUIRE(r.notes.size() == 1);
  CHECK(r.notes[0] == "client:13: time zone 'Mars/Olympus_Mons' is unknown; quiet hours read in Asia/Vladivostok");

  CHECK(d.run(utc(3, 10, 22, 59)).handled() == 0);
  r = d.run(utc(3, 10, 23));
  CHECK(r.delivered == 2);
  CHECK(d.run(utc(3, 11, 5, 59)).handled() == 0);
  CHECK(d.run(utc(3, 11, 6)).delivered == 1);
  CHECK(n.sent.size() == 6);
  CHECK(state_of(s, "moscow-sms").attempts == 1);

  SUBCASE("managers too, when asked") {
    MemoryStorage s2;
    seed(s2);
    enqueue(s2, {message("manager-sms", Channel::sms, SubjectRef::of(ManagerId{1}), t0)});
    o.quiet_hours_for_managers = true;
    Scripted n2;
    Dispatcher d2{s2, n2, o};
    CHECK(d2.run(t0).deferred == 1);
    CHECK(state_of(s2, "manager-sms").next_attempt == utc(3, 10, 23));
  }
}

TEST_CASE("notify.dispatcher.a_retry_that_falls_into_quiet_hours_waits") {
  MemoryStorage s;
  seed(s);
  const Instant t0 = utc(3, 10, 17, 55);  // 20:55 Moscow
  enqueue(s, {message("k", Channel::sms, SubjectRef::of(ClientId{10}), t0)});
  Scripted n;
  n.fail = 1;
  DispatcherOptions o;
  o.quiet_hours[Channel::sms] = QuietHours::between(21h, 9h);
  o.retry = {10min, 2.0, 1h, 5};
  Dispatcher d{s, n, o};
  CHECK(d.run(t0).retried == 1);                  // 20:55: tried, failed
  CHECK(d.run(t0 + 10min).deferred == 1);         // 21:05: quiet now
  CHECK(state_of(s, "k").next_attempt == utc(3, 11, 6));
  CHECK(state_of(s, "k").attempts == 1);
  CHECK(state_of(s, "k").last_error == "503 busy (call 1)");
  CHECK(d.run(utc(3, 11, 6)).delivered == 1);
}

TEST_CASE("notify.quiet_hours.local_clock_edges") {
  const QuietHours night = QuietHours::between(21h, 9h);
  CHECK(night.quiet_at(21h));
  CHECK(night.quiet_at(0min));
  CHECK(night.quiet_at(8h + 59min));
  CHECK_FALSE(night.quiet_at(9h));
  CHECK_FALSE(night.quiet_at(20h + 59min));
  const QuietHours lunch = QuietHours::between(13h, 14h);
  CHECK(lunch.quiet_at(13h));
  CHECK_FALSE(lunch.quiet_at(14h));
  CHECK_FALSE(QuietHours::between(9h, 9h).quiet_at(9h));  // from == to: never quiet
  CHECK_THROWS_AS(QuietHours::between(-1min, 9h).validate(), invalid_argument);

  const LocalClock utc_clock;
  CHECK(utc_clock.next_allowed(night, utc(3, 10, 22)) == utc(3, 11, 9));
  CHECK(utc_clock.next_allowed(night, utc(3, 10, 3)) == utc(3, 10, 9));
  CHECK(utc_clock.next_allowed(night, utc(3, 10, 12)) == utc(3, 10, 12));
  CHECK(utc_clock.next_allowed(lunch, utc(3, 10, 13, 30)) == utc(3, 10, 14));
  CHECK(utc_clock.next_allowed(QuietHours::between(21h, 24h), utc(3, 10, 22)) == utc(3, 11, 0));

  const LocalClock ny{"America/New_York"};
  // Spring forward, Sunday 2026-03-08: 02:00 EST jumps to 03:00 EDT (07:00Z).
  // Quiet until 02:30, a local time that does not exist that night: it ends at the jump.
  const QuietHours to_230 = QuietHours::between(22h, 2h + 30min);
  CHECK(ny.next_allowed(to_230, utc(3, 8, 4)) == utc(3, 8, 7));  // 23:00 EST on the 7th
  // Fall back, Sunday 2026-11-01: 01:00-02:00 happens twice (EDT 05:00-06:00Z, EST 06:00-07:00Z).
  const QuietHours to_130 = QuietHours::between(0h, 1h + 30min);
  CHECK(ny.next_allowed(to_130, utc(11, 1, 5, 15)) == utc(11, 1, 5, 30));  // 01:15 EDT -> 01:30 EDT
  CHECK(ny.next_allowed(to_130, utc(11, 1, 6, 15)) == utc(11, 1, 6, 30));  // 01:15 EST -> 01:30 EST
  CHECK_FALSE(ny.quiet(to_130, utc(11, 1, 5, 45)));                       // 01:45 EDT
  CHECK_THROWS_WITH_AS(LocalClock{"Nowhere/Town"}, doctest::Contains("time_zone: unknown IANA zone 'Nowhere/Town'"),
                       invalid_argument);
}

TEST_CASE("notify.dispatcher.a_lost_record_means_a_resend_with_the_same_key") {
  // The send succeeds, then the process "crashes" before the outcome is
  // recorded (here: the record cannot get a unit of work). The message stays
  // pending and is sent again; the gateway drops it by its key.
  MemoryStorage s;
  seed(s);
  const Instant t0 = utc(3, 10, 12);
  enqueue(s, {message("k", Channel::email, SubjectRef::of(ClientId{10}), t0)});

  class Blocking final : public Notifier {
  public:
    explicit Blocking(Storage& s) : s_(s) {}
    std::unique_ptr<UnitOfWork> held;
    std::vector<std::string> gateway;  // raw deliveries
    bool block = true;

  protected:
    void send_(const Message& m) override {
      gateway.push_back(m.key);
      if (block) held = s_.begin();  // the dispatcher's record will find the store busy
    }

  private:
    Storage& s_;
  };
  Blocking n{s};
  Dispatcher d{s, n};
  CHECK_THROWS_AS(d.run(t0), conflict);
  CHECK(n.gateway == std::vector<std::string>{"k"});
  n.held.reset();  // the crash: nothing was recorded
  CHECK(state_of(s, "k") == DeliveryState{});
  n.block = false;
  CHECK(d.run(t0 + 1min).delivered == 1);
  CHECK(n.gateway == std::vector<std::string>{"k", "k"});  // the same key twice: the gateway keeps one
  CHECK(state_of(s, "k").status == DeliveryStatus::delivered);
}

TEST_CASE("notify.dispatcher.batches_and_the_per_run_limit") {
  MemoryStorage s;
  seed(s);
  const Instant t0 = utc(3, 10, 12);
  std::vector<Message> ms;
  for (int i = 0; i < 10; ++i) ms.push_back(message(fmt::format("k{}", i), Channel::email, SubjectRef::of(ClientId{10}), t0));
  enqueue(s, ms);
  Scripted n;
  DispatcherOptions o;
  o.batch = 3;
  o.max_per_run = 7;
  Dispatcher d{s, n, o};
  CHECK(d.run(t0).delivered == 7);
  CHECK(n.sent == std::vector<std::string>{"k0", "k1", "k2", "k3", "k4", "k5", "k6"});  // enqueue order
  CHECK(d.run(t0).delivered == 3);
  CHECK(d.run(t0).handled() == 0);
  o.batch = 0;
  CHECK_THROWS_WITH_AS((Dispatcher{s, n, o}), "batch: must be >= 1", invalid_argument);
  o.batch = 1;
  o.time_zone = "Nowhere/Town";
  CHECK_THROWS_AS((Dispatcher{s, n, o}), invalid_argument);
}

TEST_CASE("notify.dispatcher.not_before_is_respected") {
  MemoryStorage s;
  seed(s);
  const Instant t0 = utc(3, 10, 12);
  auto m = message("later", Channel::email, SubjectRef::of(ClientId{10}), t0);
  m.not_before = t0 + 2h;
  enqueue(s, {m});
  Scripted n;
  Dispatcher d{s, n};
  CHECK(d.run(t0 + 1h).handled() == 0);
  CHECK(d.run(t0 + 2h).delivered == 1);
}
}  // namespace nudge_notify_test_dispatcher
