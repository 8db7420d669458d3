#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <tuple>

#include <support/engine_support.hpp>
#include <nudge/engine/evaluate.hpp>
#include <nudge/engine/watch.hpp>
#include <nudge/storage/forwarding.hpp>

using namespace nudge;
using namespace nudge::test;

// Own namespace: the tests build as a unity build.
namespace nudge_engine_test_evaluate {

namespace {

/// A random CRM (seeded, so each run sees the same one): managers with
/// supervisors and a capacity, clients in two segments (some locked),
/// activities of every kind, tasks on clients and deals, deals with stage
/// history and holds, invoices with part payments.
void random_store(MemoryStorage& s, std::uint32_t seed) {
  std::mt19937 rng(seed);
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<std::uint32_t>(n)); };
  const Instant t0 = at(2026, 1, 1);
  auto when = [&](int max_days) { return t0 + std::chrono::hours{pick(max_days * 24)}; };
  const char* stages[] = {"lead", "offer", "contract"};
  edit(s, [&](UnitOfWork& w) {
    w.put_manager(manager(1, "Head"));
    for (int m = 2; m <= 9; ++m) {
      auto mg = manager(m, "Manager " + std::to_string(m), m <= 3 ? 1 : 2 + m % 2);
      if (m == 9) mg.capacity = 20;
      w.put_manager(mg);
    }
    std::int64_t act = 0, tsk = 0, dl = 0, inv = 0;
    for (int c = 1; c <= 240; ++c) {
      const std::int64_t owner = 2 + pick(8);
      auto cl = client(c, "Client " + std::to_string(c), owner, pick(3) ? "smb" : "enterprise", when(60));
      cl.release_locked = pick(25) == 0;
      w.put_client(cl);
      for (int k = pick(6); k > 0; --k) {
        auto a = activity(++act, c, owner, static_cast<ActivityKind>(pick(activity_kind_count)), when(300));
        if (a.kind == ActivityKind::other) a.custom_kind = "visit";
        w.add_activity(a);
      }
      for (int k = pick(3); k > 0; --k) {
        auto d = deal(++dl, c, owner, stages[pick(3)], when(250), 100.0 + pick(5000), 0.1 * pick(10));
        d.pipeline = "sales";
        d.stage_entered = d.opened + std::chrono::hours{pick(40 * 24)};
        if (pick(3) == 0) d.history.push_back({d.stage, d.opened, d.opened + std::chrono::hours{pick(48)}});
        if (pick(4) == 0) {
          Hold h{d.stage_entered + std::chrono::hours{pick(72)}, std::nullopt, "client"};
          if (pick(2)) h.to = h.from + std::chrono::hours{pick(200)};
          d.holds.push_back(h);
        }
        if (pick(5) == 0) {
          d.status = pick(2) ? DealStatus::won : DealStatus::lost;
          d.stage = d.status == DealStatus::won ? "won" : "lost";
          d.closed = d.stage_entered + std::chrono::hours{pick(500)};
        }
        w.put_deal(d);
        if (d.is_open() && pick(2)) {
          auto t = task(++tsk, c, owner, when(330));
          t.deal = d.id;
          t.created = d.opened;
          if (pick(3) == 0) {
            t.state = TaskState::done;
            t.closed = t.due;
          }
          w.put_task(t);
        }
      }
      for (int k = pick(3); k > 0; --k) {
        auto t = task(++tsk, c, owner, when(330));
        t.created = when(200);
        t.state = static_cast<TaskState>(pick(4));
        if (!t.open()) t.closed = t.due;
        w.put_task(t);
      }
      for (int k = pick(3); k > 0; --k) {
        const Instant issued = when(300);
        auto i = invoice(++inv, c, 50.0 + pick(900), issued, issued + Days{14 + pick(30)});
        if (pick(2)) i.payments.push_back({issued + Days{pick(40)}, i.amount.cents / (1 + pick(3))});
        i.settle_from_payments();
        w.put_invoice(i);
      }
    }
  });
}

EngineConfig every_assistant() {
  auto c = bare_config();
  c.pipelines.push_back(sales_pipeline(TimeBasis::business_days));
  ForgottenConfig f;
  f.after = Period::days(40);
  c.forgotten.push_back(f);
  ReleaseConfig r;
  r.grace = Period::business_days(5);
  c.release.push_back(r);
  ChurnedConfig ch;
  ch.min_orders = 1;
  ch.idle = Period::days(60);
  c.churned.push_back(ch);
  c.unpaid.emplace_back();
  c.debtor.emplace_back();
  DeadDealConfig dd;
  dd.max_age = Period::days(150);
  c.dead_deal.push_back(dd);
  c.stage_sla.emplace_back();
  c.no_next_step.emplace_back();
  c.neglected_task.emplace_back();
  return c;
}

using Key = std::tuple<std::string, std::string, std::int64_t>;  // rule, subject, since

/// A MemoryStorage seen as a store without stable views (as SQLite or a
/// host's SQL adapter is), counting how applied keys are asked for.
class Unstable : public ForwardingStorage {
public:
  using ForwardingStorage::ForwardingStorage;
  mutable std::atomic<std::size_t> one_key{0}, many_keys{0}, keys_asked{0};

  bool stable_views() const override { return false; }
  bool has_action(std::string_view key) const override {
    ++one_key;
    return ForwardingStorage::has_action(key);
  }
  std::vector<bool> has_actions(std::span<const std::string_view> keys) const override {
    ++many_keys;
    keys_asked += keys.size();
    return Storage::has_actions(keys);  // the port's default: has_action per key, counted there too
  }
};

}  // namespace

TEST_CASE("engine.evaluate: the same findings as a plan, on random stores and dates") {
  for (std::uint32_t seed : {1u, 2u, 3u}) {
    MemoryStorage s;
    random_store(s, seed);
    Engine engine{every_assistant()};
    for (Instant now : {at(2026, 6, 1), at(2026, 9, 15, 10), at(2026, 12, 24)}) {
      CAPTURE(seed);
      CAPTURE(iso_instant(now));
      const auto plan = engine.plan(s, now);
      const auto ev = engine.evaluate(s, now);
      std::set<Key> from_plan, from_eval;
      for (const auto& f : plan.findings) from_plan.emplace(f.rule, to_string(f.subject), to_unix(f.since));
      for (const auto& h : ev.hits)
        from_eval.emplace(ev.assistants.at(h.assistant), to_string(h.subject), to_unix(h.since));
      CHECK(ev.hits.size() == plan.findings.size());
      CHECK(from_eval == from_plan);
      CHECK(ev.forecast == plan.forecast);
      // Every assistant found something somewhere: the comparison is not vacuous.
      if (now == at(2026, 12, 24))
        for (const auto& a : ev.assistants) CHECK_MESSAGE(!ev.of(a).empty(), a);
      // Release hits name the manager the plan hands the client to.
      std::map<std::int64_t, std::int64_t> handed;
      for (const auto& a : plan.actions)
        if (a.kind == ActionKind::reassign) handed[a.client.value()] = a.to->value();
      std::map<std::int64_t, std::int64_t> proposed;
      for (const auto& h : ev.of("release"))
        if (h.to.valid()) proposed[h.client.value()] = h.to.value();
      CHECK(proposed == handed);
    }
  }
}

TEST_CASE("engine.evaluate: the result does not depend on the number of threads or the batch size") {
  MemoryStorage s;
  random_store(s, 7);
  Engine engine{every_assistant()};
  const Instant now = at(2026, 11, 2);
  const auto one = engine.evaluate(s, now, {.threads = 1, .batch = 4096, .progress = {}});
  REQUIRE(!one.hits.empty());
  for (unsigned threads : {2u, 3u})
    for (std::size_t batch : {std::size_t{1}, std::size_t{7}, std::size_t{64}}) {
      CAPTURE(threads);
      CAPTURE(batch);
      const auto many = engine.evaluate(s, now, {.threads = threads, .batch = batch, .progress = {}});
      CHECK(many.hits == one.hits);
      CHECK(many.forecast == one.forecast);
    }
}

TEST_CASE("engine.plan: the plan does not depend on the number of threads or the run size") {
  MemoryStorage s;
  random_store(s, 7);
  auto config = every_assistant();
  // Two steps that hand over: the second picks by the loads the first left.
  config.release.front().ladder.push_back(config.release.front().ladder.front());
  config.release.front().ladder.back().id = "again";
  const Instant now = at(2026, 12, 24);
  auto plans = [&](const Storage& store, Instant when) {
    const Plan one = Engine{config}.plan(store, when, PlanOptions{.threads = 1, .progress = {}});
    REQUIRE(one.findings_of("release").size() > 10);
    REQUIRE(std::count_if(one.actions.begin(), one.actions.end(),
                          [](const Action& a) { return a.kind == ActionKind::reassign; }) > 1);
    for (unsigned threads : {2u, 3u})
      for (std::size_t batch : {std::size_t{1}, std::size_t{7}, std::size_t{4096}}) {
        CAPTURE(threads);
        CAPTURE(batch);
        auto c = config;
        c.options.batch = batch;
        const Plan many = Engine{c}.plan(store, when, PlanOptions{.threads = threads, .progress = {}});
        CHECK(many.actions.size() == one.actions.size());
        CHECK(many.notes == one.notes);
        CHECK(many == one);
      }
    return one;
  };
  const Plan first = plans(s, now);
  CHECK(first == Engine{config}.plan(s, now));
  // Part of it applied: the steps already taken are skipped alike when the
  // new managers are picked and when the actions are written.
  Plan half = first;
  half.actions.resize(first.actions.size() / 2);
  Engine{config}.apply(half, s);
  const Plan second = plans(s, now + Days{1});
  std::set<std::string> taken;
  for (const auto& a : half.actions)
    if (a.once) taken.insert(a.key);
  REQUIRE(!taken.empty());
  for (const auto& a : second.actions) CHECK_MESSAGE(!taken.count(a.key), a.key);
}

TEST_CASE("engine.plan: over a store without stable views, the applied keys are asked once per run") {
  MemoryStorage s;
  random_store(s, 11);
  Unstable unstable(s);
  REQUIRE_FALSE(unstable.stable_views());
  auto config = every_assistant();
  config.release.front().ladder.push_back(config.release.front().ladder.front());
  config.release.front().ladder.back().id = "again";
  const Instant now = at(2026, 12, 24);
  const Plan want = Engine{config}.plan(s, now, PlanOptions{.threads = 1, .progress = {}});
  REQUIRE(want.actions.size() > 100);
  std::size_t steps_due = 0;
  for (const auto& f : want.findings) steps_due += f.due_steps.size();
  for (unsigned threads : {1u, 2u, 3u})
    for (std::size_t batch : {std::size_t{1}, std::size_t{7}, std::size_t{4096}}) {
      CAPTURE(threads);
      CAPTURE(batch);
      auto c = config;
      c.options.batch = batch;
      unstable.one_key = unstable.many_keys = unstable.keys_asked = 0;
      const Plan got = Engine{c}.plan(unstable, now, PlanOptions{.threads = threads, .progress = {}});
      CHECK(got == want);
      // Every step that fell due was asked about once, through has_actions
      // (whose default asks has_action per key), one call per run: a run
      // holds at most `batch` findings.
      CHECK(unstable.keys_asked == steps_due);
      CHECK(unstable.one_key == steps_due);
      CHECK(unstable.many_keys >= (want.findings.size() + batch - 1) / batch);
      CHECK(unstable.many_keys <= want.findings.size());
    }
  // Half of it applied: the next day's plan, over either store, skips the
  // keys taken (has_actions said so) and is the same.
  Plan half = want;
  half.actions.resize(want.actions.size() / 2);
  Engine{config}.apply(half, s);
  std::set<std::string> taken;
  for (const auto& a : half.actions)
    if (a.once) taken.insert(a.key);
  REQUIRE(!taken.empty());
  const Plan next = Engine{config}.plan(unstable, now + Days{1}, PlanOptions{.threads = 2, .progress = {}});
  CHECK(next == Engine{config}.plan(s, now + Days{1}));
  for (const auto& a : next.actions) CHECK_MESSAGE(!taken.count(a.key), a.key);
}

TEST_CASE("storage.forwarding: a decorator passes has_actions on, not the port's default") {
  MemoryStorage s;
  random_store(s, 3);
  Unstable counting(s);
  ForwardingStorage outer(counting);  // a decorator of a decorator
  const std::vector<std::string_view> keys{"a", "b", "c"};
  CHECK(outer.has_actions(keys) == std::vector<bool>{false, false, false});
  CHECK(counting.many_keys == 1);
  CHECK(counting.keys_asked == 3);
  CHECK_FALSE(outer.stable_views());  // the inner store's answer
  CHECK(ForwardingStorage(s).stable_views());
}

TEST_CASE("storage.forwarding: a read-only decorator of a const store forwards reads and refuses begin") {
  struct Guard : ForwardingStorage {
    explicit Guard(const Storage& inner) : ForwardingStorage(inner, ReadOnly{}) {}
  };
  MemoryStorage s;
  random_store(s, 3);
  const Storage& frozen = s;
  Guard g(frozen);
  CHECK(&g.inner() == &frozen);
  CHECK(g.client_count() == s.client_count());
  CHECK(g.stable_views());
  const Instant now = at(2026, 12, 24);
  const Plan want = Engine{every_assistant()}.plan(s, now);
  REQUIRE(!want.actions.empty());
  CHECK(Engine{every_assistant()}.plan(g, now) == want);
  CHECK_THROWS_WITH_AS((void)g.begin(), doctest::Contains("read-only"), conflict);
  // A decorator of a store it may write still begins the store's units.
  ForwardingStorage writable(s);
  auto w = writable.begin();
  w->commit();
}

TEST_CASE("engine.plan: a store whose has_actions answers the wrong number of keys is an error") {
  struct Short : Unstable {
    using Unstable::Unstable;
    std::vector<bool> has_actions(std::span<const std::string_view> keys) const override {
      return std::vector<bool>(keys.empty() ? 0 : keys.size() - 1, false);
    }
  };
  MemoryStorage s;
  random_store(s, 11);
  Short store(s);
  CHECK_THROWS_WITH_AS(Engine{every_assistant()}.plan(store, at(2026, 12, 24)),
                       doctest::Contains("plan: the store's has_actions gave"), storage_error);
}

namespace {

/// A host's assistant with a bug: it throws on client 200 while armed (from
/// the start); otherwise clients are found 400 days after they were created.
struct Boom : Assistant {
  Boom() : Assistant("boom", {}, {LadderStep{.id = "x"}}) {}
  Feed feed() const override { return Feed::clients; }
  bool varies_with_time() const override { return false; }
  bool test(const Context& ctx, const ClientView& v, Hit& h) const override {
    if (armed && v.client->id == ClientId{200}) throw invalid_argument("boom at client 200");
    aim(h, *v.client);
    h.since = v.client->created + Days{400};
    return ctx.now >= h.since;
  }
  mutable std::atomic<bool> armed{true};
};

}  // namespace

TEST_CASE("engine.evaluate: a failing assistant's error reaches the caller from any thread") {
  MemoryStorage s;
  random_store(s, 3);
  Engine engine{bare_config()};
  engine.add(std::make_shared<Boom>());
  for (unsigned threads : {1u, 2u}) CHECK_THROWS_WITH_AS(engine.evaluate(s, at(2026, 6, 1), {.threads = threads, .batch = 50, .progress = {}}), "boom at client 200", invalid_argument);
}

TEST_CASE("engine.evaluate: progress per batch, and a cancel stops it") {
  MemoryStorage s;
  random_store(s, 4);
  Engine engine{every_assistant()};
  std::uint64_t last_clients = 0, total = 0;
  (void)engine.evaluate(s, at(2026, 6, 1), {.threads = 1, .batch = 100, .progress = [&](const Progress& p) {
                                             if (p.stage == "clients") {
                                               last_clients = p.done;
                                               total = p.total;
                                             }
                                             return true;
                                           }});
  CHECK(total == 240);
  CHECK(last_clients == 240);
  int calls = 0;
  CHECK_THROWS_AS(engine.evaluate(s, at(2026, 6, 1), {.threads = 1, .batch = 100, .progress = [&](const Progress&) { return ++calls < 3; }}), cancelled);
}

namespace {

std::vector<Hit> without_picks(std::vector<Hit> hits) {
  for (auto& h : hits) h.to = ManagerId{};
  return hits;
}

/// One random event on one client, written to the store; returns the client.
/// With `holds`, deals are also put on hold (from a moment around now, with
/// or without an end, for one of two reasons) and released. With `clients`,
/// clients are also handed to another manager or get a label. `what` (when
/// given) is set to the kind of fact the event wrote, as a host would touch
/// the watch with it (Changed::none when nothing was written).
ClientId random_event(MemoryStorage& s, std::mt19937& rng, Instant now, std::int64_t& next_id, bool holds = false,
                      Changed* what = nullptr, bool clients = false) {
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<std::uint32_t>(n)); };
  const ClientId c{1 + pick(240)};
  const auto owner = s.find_client(c)->owner;
  Changed wrote = Changed::none;
  auto w = s.begin();
  auto open_deal = [&]() -> std::optional<Deal> {
    auto ds = s.deals_of(c);
    std::erase_if(ds, [](const Deal& d) { return !d.is_open(); });
    if (ds.empty()) return std::nullopt;
    return ds[static_cast<std::size_t>(pick(static_cast<int>(ds.size())))];
  };
  switch (pick(clients ? 10 : holds ? 8 : 6)) {
    case 8: {  // the client goes to another manager
      auto cl = *s.find_client(c);
      cl.owner = ManagerId{2 + pick(8)};
      w->put_client(cl);
      wrote = Changed::client;
      break;
    }
    case 9: {  // the client gets (or loses) a label
      auto cl = *s.find_client(c);
      if (cl.labels.erase("vip") == 0) cl.labels["vip"] = "key account";
      w->put_client(cl);
      wrote = Changed::client;
      break;
    }
    case 6: {  // a deal is put on hold
      auto d = open_deal();
      if (!d) break;
      Hold h{now + std::chrono::hours{pick(96) - 48}, std::nullopt, pick(2) ? "client" : "legal"};
      if (pick(3)) h.to = h.from + std::chrono::minutes{1 + pick(300 * 60)};
      d->holds.push_back(h);
      w->put_deal(*d);
      wrote = Changed::deal;
      break;
    }
    case 7: {  // the deal's open holds end
      auto d = open_deal();
      if (!d) break;
      for (auto& h : d->holds)
        if (!h.to) h.to = std::max(h.from, now - std::chrono::hours{pick(24)});
      w->put_deal(*d);
      wrote = Changed::deal;
      break;
    }
    case 0: {  // a call or an e-mail
      auto a = activity(++next_id, c.value(), owner.value(), pick(2) ? ActivityKind::call_out : ActivityKind::email, now);
      w->add_activity(a);
      wrote = Changed::activity;
      break;
    }
    case 1: {  // a new task, due within two weeks
      auto t = task(++next_id, c.value(), owner.value(), now + std::chrono::hours{pick(14 * 24)});
      t.created = now;
      w->put_task(t);
      wrote = Changed::task;
      break;
    }
    case 2: {  // a task of the client is done
      auto ts = s.tasks_of(c, true);
      if (ts.empty()) break;
      auto t = ts[static_cast<std::size_t>(pick(static_cast<int>(ts.size())))];
      t.state = TaskState::done;
      t.closed = now;
      w->put_task(t);
      wrote = Changed::task;
      break;
    }
    case 3: {  // a deal moves on, or closes
      auto ds = s.deals_of(c);
      std::erase_if(ds, [](const Deal& d) { return !d.is_open(); });
      if (ds.empty()) break;
      auto d = ds[static_cast<std::size_t>(pick(static_cast<int>(ds.size())))];
      d.history.push_back({d.stage, d.stage_entered, now});
      if (pick(3) == 0) {
        d.status = DealStatus::won;
        d.stage = "won";
        d.closed = now;
      } else {
        d.stage = d.stage == "lead" ? "offer" : "contract";
      }
      d.stage_entered = now;
      w->put_deal(d);
      wrote = Changed::deal;
      break;
    }
    case 4: {  // a payment
      auto is = s.invoices_of(c);
      std::erase_if(is, [](const Invoice& i) { return i.is_paid(); });
      if (is.empty()) break;
      auto i = is.front();
      i.payments.push_back({now, i.outstanding_cents()});
      i.settle_from_payments();
      w->put_invoice(i);
      wrote = Changed::invoice;
      break;
    }
    default: {  // a new invoice
      auto i = invoice(++next_id, c.value(), 100.0 + pick(400), now, now + Days{pick(20)});
      w->put_invoice(i);
      wrote = Changed::invoice;
      break;
    }
  }
  w->commit();
  if (what) *what = wrote;
  return c;
}

}  // namespace

/// The same hit, perhaps with another `seconds` (a measure the changes do not report).
bool same_but_seconds(Hit a, const Hit& b) {
  a.seconds = b.seconds;
  return a == b;
}

/// Checks that `changes` are exactly the difference between the hits before
/// and after a move, `seconds` aside: ended hits are hits of before, started
/// ones hits of after, and every other hit of after is a hit of before with
/// perhaps another `seconds` (the stage SLA's excess, grown or held).
void check_changes(const std::vector<Hit>& before, const WatchChanges& changes, const std::vector<Hit>& got) {
  using Id = std::tuple<std::uint32_t, int, std::int64_t>;
  auto id = [](const Hit& h) { return Id{h.assistant, static_cast<int>(h.subject.kind), h.subject.id}; };
  std::map<Id, Hit> now, from_changes;
  for (const auto& h : got) now.emplace(id(h), h);
  for (const auto& h : before) from_changes.emplace(id(h), h);
  std::map<Id, Hit> ended;
  for (const auto& h : changes.ended) {
    CHECK(std::find(before.begin(), before.end(), h) != before.end());
    CHECK(from_changes.erase(id(h)) == 1);
    ended.emplace(id(h), h);
  }
  for (const auto& h : changes.started) {
    CHECK(std::find(got.begin(), got.end(), h) != got.end());
    CHECK(from_changes.insert_or_assign(id(h), h).second);
    auto e = ended.find(id(h));
    if (e != ended.end()) CHECK_FALSE(same_but_seconds(e->second, h));  // reported for more than its seconds
  }
  REQUIRE(from_changes.size() == now.size());
  for (const auto& [k, h] : now) {
    auto it = from_changes.find(k);
    REQUIRE(it != from_changes.end());
    CHECK(same_but_seconds(it->second, h));
  }
}

BusinessCalendar berlin_calendar() {
  return BusinessCalendar::weekdays("Europe/Berlin")
      .with_holiday(HolidayRule::fixed(12, 25, "Christmas Day"))
      .with_holiday(HolidayRule::fixed(1, 1, "New Year"))
      .with_holiday(HolidayRule::easter(-2, "Good Friday"))
      .with_hours_all(std::chrono::hours{9}, std::chrono::hours{17});
}

/// Stage limits in business hours (lead, 20), business days (offer, 4) and
/// calendar days (contract, 9); a second stage SLA that pauses only for legal
/// holds and counts earlier visits.
void business_sla(EngineConfig& c) {
  c.calendar = berlin_calendar();
  if (c.pipelines.empty()) c.pipelines.push_back(sales_pipeline());
  auto& p = c.pipelines.front();
  p.stages[0].limit = Period::business_hours(20);
  p.stages[1].limit = Period::business_days(4);
  p.stages[2].limit = Period::days(9);
  if (c.stage_sla.empty()) c.stage_sla.emplace_back();
  StageSlaConfig legal;
  legal.id = "stage_sla_legal";
  legal.pause_on = {"legal"};
  legal.restart_on_reentry = false;
  c.stage_sla.push_back(legal);
}

/// Every assistant, on a business calendar in a zone with DST and holidays.
EngineConfig business_time() {
  auto c = every_assistant();
  business_sla(c);
  return c;
}

TEST_CASE("engine.watch: incremental hits equal a full evaluation on random event streams") {
  for (std::uint32_t seed : {11u, 12u}) {
    CAPTURE(seed);
    MemoryStorage s;
    random_store(s, seed);
    Engine engine{every_assistant()};
    Watch watch{engine, s};
    Instant now = at(2026, 10, 20);  // after every generated deal was opened and entered its stage
    watch.reset(now);
    REQUIRE(without_picks(engine.evaluate(s, now).hits) == watch.hits());
    std::mt19937 rng(seed);
    std::int64_t next_id = 100000;
    std::size_t started = 0, ended = 0, tested = 0;
    for (int step = 0; step < 80; ++step) {
      now += std::chrono::hours{1 + rng() % 60};
      for (int k = static_cast<int>(rng() % 6); k > 0; --k) watch.touch(random_event(s, rng, now, next_id));
      const auto before = watch.hits();
      const auto changes = watch.advance(now);
      const auto got = watch.hits();
      CAPTURE(step);
      CHECK(got == without_picks(engine.evaluate(s, now).hits));
      check_changes(before, changes, got);
      started += changes.started.size();
      ended += changes.ended.size();
      tested += changes.clients_tested;
    }
    // Things happened, and the watch did not retest everything every time.
    CHECK(started > 20);
    CHECK(ended > 5);
    CHECK(tested < 80u * 240u / 2);
  }
}

TEST_CASE("engine.watch: on several threads, the same changes in the same order as on one") {
  for (std::uint32_t seed : {41u, 42u}) {
    CAPTURE(seed);
    MemoryStorage s;
    random_store(s, seed);
    const Engine engine{business_time()};
    // min_slice 1: every move with three clients due or more is cut into
    // slices, however few (the random store has 240 clients).
    Watch one{engine, s}, two{engine, s, {.threads = 2, .min_slice = 1}},
        three{engine, s, {.threads = 3, .min_slice = 1}};
    const std::array<Watch*, 3> watches{&one, &two, &three};
    Instant now = at(2026, 10, 20, 7, 30);
    for (auto* w : watches) w->reset(now);
    REQUIRE(one.hits() == without_picks(engine.evaluate(s, now).hits));
    CHECK(two.hits() == one.hits());
    CHECK(three.hits() == one.hits());
    CHECK(two.pending() == one.pending());
    std::mt19937 rng(seed);
    std::int64_t next_id = 500000, next_client = 1000;
    std::size_t changed = 0, tested = 0, moves_in_slices = 0;
    for (int step = 0; step < 60; ++step) {
      now += std::chrono::minutes{1 + rng() % (2 * 24 * 60)};
      for (int k = static_cast<int>(rng() % 12); k > 0; --k) {
        Changed what = Changed::all;
        const auto c = random_event(s, rng, now, next_id, true, &what, true);
        for (auto* w : watches) w->touch(c, what);
      }
      if (step % 5 == 2) {
        // A client new to the watches (an overdue invoice: the debtor fires),
        // touched for an activity only; and an id the store does not hold.
        const auto id = next_client++;
        edit(s, [&](UnitOfWork& w) {
          w.put_client(client(id, "New " + std::to_string(id), 2, "smb", now - Days{40}));
          w.put_invoice(invoice(next_id++, id, 500.0, now - Days{30}, now - Days{2}));
        });
        for (auto* w : watches) {
          w->touch(ClientId{id}, Changed::activity);
          w->touch(ClientId{900000 + step});
        }
      }
      const auto a = one.advance(now);
      CAPTURE(step);
      for (auto* w : {&two, &three}) {
        const auto b = w->advance(now);
        CHECK(b.started == a.started);
        CHECK(b.ended == a.ended);
        CHECK(b.clients_tested == a.clients_tested);
        CHECK(w->hits() == one.hits());
        CHECK(w->pending() == one.pending());
      }
      REQUIRE(one.hits() == without_picks(engine.evaluate(s, now).hits));
      changed += a.started.size() + a.ended.size();
      tested += a.clients_tested;
      if (a.clients_tested >= 3) ++moves_in_slices;
    }
    // Things happened, most moves were sliced, and the new clients were found.
    CHECK(changed > 40);
    CHECK(moves_in_slices > 40);
    CHECK(tested > 300);
    std::set<std::int64_t> found;
    for (const auto& h : one.hits())
      if (h.client.value() >= 1000) found.insert(h.client.value());
    CHECK(found.size() >= 10);  // of 12 (the last ones' invoices may be too freshly overdue)
  }
}

TEST_CASE("engine.watch: business-time limits, holds, quiet stretches and long jumps") {
  for (std::uint32_t seed : {21u, 22u, 23u}) {
    CAPTURE(seed);
    MemoryStorage s;
    random_store(s, seed);
    Engine engine{business_time()};
    Watch watch{engine, s};
    // After every generated deal entered its stage; the end of DST, Christmas,
    // New Year, Good Friday and the start of DST ahead.
    Instant now = at(2026, 10, 20, 7, 30);
    watch.reset(now);
    REQUIRE(without_picks(engine.evaluate(s, now).hits) == watch.hits());
    std::mt19937 rng(seed);
    auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<std::uint32_t>(n)); };
    std::int64_t next_id = 200000;
    std::size_t quiet_tested = 0, quiet_moves = 0, sla_hits = 0;
    for (int step = 0; step < 120; ++step) {
      switch (pick(6)) {
        case 0: break;                                                 // the same moment again
        case 1: now += std::chrono::minutes{1 + pick(90)}; break;      // within a working day
        case 2: now += std::chrono::hours{1 + pick(30)}; break;
        case 3: now += Days{1 + pick(4)}; break;
        case 4: now += Days{20 + pick(70)}; break;                     // a long jump
        default: now += std::chrono::seconds{1 + pick(7 * 86400)}; break;
      }
      const bool quiet = pick(3) == 0;  // several moves with no events in between
      if (!quiet)
        for (int k = 1 + pick(5); k > 0; --k) watch.touch(random_event(s, rng, now, next_id, true));
      const auto before = watch.hits();
      const auto changes = watch.advance(now);
      const auto got = watch.hits();
      CAPTURE(step);
      CAPTURE(iso_instant(now));
      REQUIRE(got == without_picks(engine.evaluate(s, now).hits));
      check_changes(before, changes, got);
      const auto sla = static_cast<std::size_t>(std::count_if(got.begin(), got.end(), [&](const Hit& h) {
        return engine.assistants()[h.assistant]->id().starts_with("stage_sla");
      }));
      sla_hits += sla;
      if (quiet) {
        quiet_tested += changes.clients_tested;
        ++quiet_moves;
      }
    }
    // Breaches were there to age, and moves without events tested only the
    // clients whose deadline fell due, not every breach.
    CHECK(sla_hits > 120u * 10u);
    CHECK(quiet_moves > 20u);
    CHECK(quiet_tested < sla_hits / 4);
  }
}

TEST_CASE("engine.watch: a breach ages without being tested again, and a hold is a deadline") {
  MemoryStorage s;
  edit(s, [&](UnitOfWork& w) {
    w.put_manager(manager(1, "Head"));
    w.put_client(client(10, "Acme", 1));
    // Monday 2026-03-02 11:00 Berlin; the lead's limit is 20 business hours (09-17).
    auto d = deal(7, 10, 1, "lead", at(2026, 3, 2, 10));
    d.pipeline = "sales";
    d.stage_entered = d.opened;
    d.holds.push_back({at(2026, 3, 9, 12), at(2026, 3, 10, 12), "legal"});  // next week, a day on hold
    w.put_deal(d);
  });
  auto config = bare_config();
  business_sla(config);
  Engine engine{config};
  Watch watch{engine, s};
  auto sla = [&] {
    std::vector<std::int64_t> out;
    for (const auto& h : watch.hits()) out.push_back(h.seconds / 3600);
    return out;
  };
  auto check_full = [&] { CHECK(watch.hits() == engine.evaluate(s, watch.now()).hits); };
  watch.reset(at(2026, 3, 6, 12));  // Friday 13:00 Berlin: 6 + 3 * 8 + 4 = 34 business hours used
  CHECK(sla() == std::vector<std::int64_t>{14, 14});
  CHECK(watch.pending() == 1);  // the hold's start
  auto c = watch.advance(at(2026, 3, 9, 10));  // Monday 11:00 Berlin: 4 + 2 more hours, the client is not tested
  CHECK(c.clients_tested == 0);
  CHECK(c.empty());
  CHECK(sla() == std::vector<std::int64_t>{20, 20});
  check_full();
  c = watch.advance(at(2026, 3, 9, 12));  // the hold starts: tested again, nothing to report
  CHECK(c.clients_tested == 1);
  CHECK(c.empty());
  CHECK(sla() == std::vector<std::int64_t>{22, 22});
  c = watch.advance(at(2026, 3, 10, 9));  // on hold: stands still, not tested
  CHECK(c.clients_tested == 0);
  CHECK(sla() == std::vector<std::int64_t>{22, 22});
  check_full();
  // The hold ended on Tuesday 13:00 Berlin: tested once, then ageing again
  // (4 + 8 + 1 more hours); its seconds grew, which is not a change.
  c = watch.advance(at(2026, 3, 12, 9));
  CHECK(c.clients_tested == 1);
  CHECK(c.empty());
  CHECK(sla() == std::vector<std::int64_t>{35, 35});
  check_full();
  c = watch.advance(at(2026, 4, 20, 9));  // weeks later, past Good Friday, Easter and DST: not tested
  CHECK(c.clients_tested == 0);
  check_full();
  CHECK(watch.pending() == 0);
}

namespace {
/// One assistant: a client is forgotten 40 days after its last contact.
EngineConfig forgotten_after_40_days() {
  auto config = bare_config();
  ForgottenConfig f;
  f.after = Period::days(40);
  config.forgotten.push_back(f);
  return config;
}
/// Clients 1..n of manager 1, created on 2026-01-01.
void clients_of_one_manager(UnitOfWork& w, int n) {
  w.put_manager(manager(1, "Head"));
  for (int c = 1; c <= n; ++c) w.put_client(client(c, "Client " + std::to_string(c), 1, "smb", at(2026, 1, 1)));
}
}  // namespace

TEST_CASE("engine.watch: deadlines that keep moving leave stale entries, which are dropped") {
  // Every client called every day: each move files a new deadline per client
  // and leaves the old one behind, until stale entries outnumber the live
  // ones and are dropped all at once.
  MemoryStorage s;
  constexpr int n = 1500;
  edit(s, [&](UnitOfWork& w) { clients_of_one_manager(w, n); });
  Engine engine{forgotten_after_40_days()};
  Watch watch{engine, s};
  Instant now = at(2026, 1, 2);
  watch.reset(now);
  CHECK(watch.pending() == n);
  std::int64_t next_id = 0;
  for (int round = 0; round < 8; ++round) {
    now += Days{1};
    edit(s, [&](UnitOfWork& w) {
      for (int c = 1; c <= n; ++c) w.add_activity(activity(++next_id, c, 1, ActivityKind::call_out, now));
    });
    for (int c = 1; c <= n; ++c) watch.touch(ClientId{c});
    watch.touch(ClientId{1});  // twice: tested once
    CHECK(watch.advance(now).clients_tested == n);
    CHECK(watch.pending() == n);
  }
  CHECK(watch.advance(now + Days{39}).clients_tested == 0);  // quiet until the deadlines
  const auto c = watch.advance(now + Days{40} + Seconds{1});  // all fall due at once, and hold
  CHECK(c.clients_tested == n);
  CHECK(c.started.size() == n);
  CHECK(watch.pending() == 0);
  CHECK(watch.hits() == engine.evaluate(s, watch.now()).hits);
}

TEST_CASE("engine.watch: deadlines within one hour fall due one by one as time moves through it") {
  // Deadlines are filed by the hour: a move into the middle of an hour takes
  // what fell due so far and leaves the rest of that hour for later moves.
  MemoryStorage s;
  edit(s, [&](UnitOfWork& w) {
    clients_of_one_manager(w, 3);
    for (int c = 1; c <= 3; ++c)  // last contacts at 09:10, 09:30, 09:50
      w.add_activity(activity(c, c, 1, ActivityKind::call_out, at(2026, 1, 2, 9, 10 + 20 * (c - 1))));
  });
  Engine engine{forgotten_after_40_days()};
  Watch watch{engine, s};
  watch.reset(at(2026, 1, 3));
  CHECK(watch.pending() == 3);
  const std::pair<Instant, std::size_t> moves[] = {
      {at(2026, 2, 11, 9, 0), 0},  {at(2026, 2, 11, 9, 20), 1}, {at(2026, 2, 11, 9, 21), 0},
      {at(2026, 2, 11, 9, 45), 1}, {at(2026, 2, 11, 9, 59), 1}, {at(2026, 2, 11, 10, 30), 0},
  };
  std::size_t started = 0;
  for (const auto& [when, tested] : moves) {
    CAPTURE(iso_instant(when));
    const auto c = watch.advance(when);
    CHECK(c.clients_tested == tested);
    started += c.started.size();
    CHECK(watch.hits() == engine.evaluate(s, when).hits);
  }
  CHECK(started == 3);
  CHECK(watch.pending() == 0);
}

TEST_CASE("engine.watch: time may not go back") {
  MemoryStorage s;
  random_store(s, 5);
  Engine engine{every_assistant()};
  Watch watch{engine, s};
  watch.reset(at(2026, 6, 1));
  CHECK_THROWS_AS(watch.advance(at(2026, 5, 31)), invalid_argument);
  CHECK(watch.advance(at(2026, 6, 1)).empty());
}

TEST_CASE("engine.watch: a copy has its own state and threads, and a watch moves") {
  MemoryStorage s;
  random_store(s, 8);
  const Engine engine{every_assistant()};
  Watch watch{engine, s, {.threads = 2, .min_slice = 1}};
  const Instant now = at(2026, 10, 20);
  watch.reset(now);
  std::mt19937 rng(8);
  std::int64_t next_id = 800000;
  for (int k = 0; k < 20; ++k) watch.touch(random_event(s, rng, now + Days{1}, next_id));
  Watch copy = watch;  // the pending touches too
  const auto a = watch.advance(now + Days{2});
  const auto b = copy.advance(now + Days{2});
  CHECK(a.clients_tested >= 10);
  CHECK(b.clients_tested == a.clients_tested);
  CHECK(b.started == a.started);
  CHECK(b.ended == a.ended);
  CHECK(copy.hits() == watch.hits());
  // The copy moves on alone; the original keeps its moment and its hits.
  const auto before = watch.hits();
  (void)copy.advance(now + Days{30});
  CHECK(watch.now() == now + Days{2});
  CHECK(watch.hits() == before);
  CHECK(copy.hits() == without_picks(engine.evaluate(s, now + Days{30}).hits));
  CHECK(copy.hits() != before);
  Watch moved = std::move(watch);
  (void)moved.advance(now + Days{30});
  CHECK(moved.hits() == copy.hits());
}

TEST_CASE("engine.watch: a reset or advance that throws part way must be followed by a reset") {
  // Boom fails on client 200 while armed (a host's bug, a store gone away):
  // the clients tested before it have new states, the others not.
  for (unsigned threads : {1u, 2u}) {
    CAPTURE(threads);
    MemoryStorage s;
    random_store(s, 7);
    Engine engine{every_assistant()};
    auto boom = std::make_shared<Boom>();
    boom->armed = false;
    engine.add(boom);
    Watch watch{engine, s, {.threads = threads, .min_slice = 1}};
    Instant now = at(2026, 10, 20);
    watch.reset(now);
    std::mt19937 rng(7);
    std::int64_t next_id = 700000;
    for (int k = 0; k < 30; ++k) watch.touch(random_event(s, rng, now + Days{1}, next_id));
    watch.touch(ClientId{200});
    boom->armed = true;
    CHECK_THROWS_WITH_AS(watch.advance(now + Days{2}), "boom at client 200", invalid_argument);
    CHECK_THROWS_WITH_AS(watch.advance(now + Days{3}), doctest::Contains("watch.advance: an earlier reset or advance "
                                                                         "failed part way; reset(now) first"),
                         conflict);
    CHECK_THROWS_AS((void)watch.hits(), conflict);
    CHECK_THROWS_WITH_AS(watch.reset(now + Days{3}), "boom at client 200", invalid_argument);
    CHECK_THROWS_AS((void)watch.hits(), conflict);
    boom->armed = false;
    watch.reset(now + Days{3});
    CHECK(watch.hits() == without_picks(engine.evaluate(s, now + Days{3}).hits));
    for (int k = 0; k < 30; ++k) watch.touch(random_event(s, rng, now + Days{4}, next_id));
    (void)watch.advance(now + Days{5});
    CHECK(watch.hits() == without_picks(engine.evaluate(s, now + Days{5}).hits));
  }
}

TEST_CASE("engine.watch: an engine that gained an assistant after the watch was made is refused") {
  MemoryStorage s;
  random_store(s, 6);
  auto config = every_assistant();
  config.neglected_task.clear();
  Engine engine{config};
  Watch watch{engine, s};
  watch.reset(at(2026, 6, 1));
  engine.add(std::make_shared<NeglectedTaskAssistant>(NeglectedTaskConfig{}));
  CHECK_THROWS_AS(watch.advance(at(2026, 6, 2)), conflict);
  CHECK_THROWS_AS(watch.reset(at(2026, 6, 2)), conflict);
}

namespace {

/// An assistant that forwards to a built-in and counts the subjects it tests
/// (shared between copies of the engine's list, read by the test).
class Counting : public Assistant {
public:
  explicit Counting(std::shared_ptr<const Assistant> inner)
      : Assistant(inner->id(), inner->scope(), inner->ladder()), inner_(std::move(inner)) {}
  [[nodiscard]] Feed feed() const override { return inner_->feed(); }
  [[nodiscard]] bool varies_with_time() const override { return inner_->varies_with_time(); }
  [[nodiscard]] Changed reads() const override { return inner_->reads(); }
  [[nodiscard]] std::string label() const override { return inner_->label(); }
  [[nodiscard]] const ReleasePolicy* release_policy() const override { return inner_->release_policy(); }
  bool test(const Context& ctx, const ClientView& v, Hit& h) const override { return count(inner_->test(ctx, v, h)); }
  bool test(const Context& ctx, const ClientInfo& c, const DealView& v, Hit& h) const override {
    return count(inner_->test(ctx, c, v, h));
  }
  bool test(const Context& ctx, const ClientInfo& c, const Invoice& i, Hit& h) const override {
    return count(inner_->test(ctx, c, i, h));
  }
  bool test(const Context& ctx, const ClientInfo& c, const Task& t, Hit& h) const override {
    return count(inner_->test(ctx, c, t, h));
  }
  mutable std::size_t tests = 0;

private:
  bool count(bool holds) const {
    ++tests;
    return holds;
  }
  std::shared_ptr<const Assistant> inner_;
};

/// The assistants of `config`, each wrapped in a Counting one.
Engine counting_engine(EngineConfig config) {
  const Engine built{config};
  config.forgotten.clear();
  config.release.clear();
  config.churned.clear();
  config.unpaid.clear();
  config.debtor.clear();
  config.dead_deal.clear();
  config.stage_sla.clear();
  config.no_next_step.clear();
  config.neglected_task.clear();
  Engine e{config};
  for (const auto& a : built.assistants()) e.add(std::make_shared<Counting>(a));
  return e;
}

std::size_t tests_of(const Engine& e, std::string_view id) {
  for (const auto& a : e.assistants())
    if (a->id() == id) return dynamic_cast<const Counting&>(*a).tests;
  FAIL("no assistant " << id);
  return 0;
}

/// Every assistant, plus variants whose reads differ: a forgotten assistant
/// for VIP clients that counts only activities and is not exempted by tasks
/// (it reads no task), an unpaid assistant whose contact is any activity (no
/// task either), churn counted on paid invoices (invoices, not deals), and a
/// dead-deal assistant that skips VIP clients (a deal assistant a label on
/// the client concerns).
EngineConfig precise_config(EngineConfig c) {
  ForgottenConfig vip;
  vip.id = "forgotten_vip";
  vip.label = "forgotten_vip";
  vip.scope.labels = {"vip"};
  vip.after = Period::days(20);
  vip.contact = ContactPolicy::any_activity();
  vip.exempt_future_task = false;
  c.forgotten.push_back(vip);
  UnpaidConfig u;
  u.id = "unpaid_any";
  u.after = Period::days(3);
  u.contact = ContactPolicy::any_activity();
  c.unpaid.push_back(u);
  ChurnedConfig ch;
  ch.id = "churned_paid";
  ch.label = "churned_paid";
  ch.min_orders = 1;
  ch.idle = Period::days(45);
  ch.won_deals = false;
  ch.paid_invoices = true;
  c.churned.push_back(ch);
  c.dead_deal.front().scope.except_labels = {"vip"};
  return c;
}

}  // namespace

TEST_CASE("engine.watch: the built-ins read what their tests read") {
  const Engine e{precise_config(every_assistant())};
  std::map<std::string, Changed> got;
  for (const auto& a : e.assistants()) got[a->id()] = a->reads();
  const auto c = Changed::client, act = Changed::activity, task = Changed::task, deal = Changed::deal,
             inv = Changed::invoice;
  CHECK(got.at("forgotten") == (c | act | task));  // completed tasks count, an open task exempts
  CHECK(got.at("forgotten_vip") == (c | act));
  CHECK(got.at("release") == (c | act | task));
  CHECK(got.at("churned") == (c | deal));
  CHECK(got.at("churned_paid") == (c | inv));
  CHECK(got.at("unpaid") == (c | inv | act | task));
  CHECK(got.at("unpaid_any") == (c | inv | act));
  CHECK(got.at("debtor") == (c | inv));
  CHECK(got.at("stage_sla") == deal);
  CHECK(got.at("dead_deal") == deal);
  CHECK(got.at("no_next_step") == (deal | task));
  CHECK(got.at("neglected_task") == task);
  ChurnedConfig both;
  both.paid_invoices = true;
  CHECK(ChurnedAssistant{both}.reads() == (c | deal | inv));
  ForgottenConfig f;
  f.exempt_future_task = false;
  CHECK(ForgottenAssistant{f}.reads() == (c | act | task));  // completed tasks still count
  f.contact.completed_tasks = false;
  CHECK(ReleaseAssistant({}, f).reads() == (c | act));
}

TEST_CASE("engine.watch: touches that say what changed equal a full evaluation on random event streams") {
  struct Variant {
    const char* name;
    EngineConfig config;
  };
  for (const auto& v : {Variant{"calendar days", precise_config(every_assistant())},
                        Variant{"business time", precise_config(business_time())}}) {
    for (std::uint32_t seed : {31u, 32u, 33u}) {
      CAPTURE(std::string(v.name));
      CAPTURE(seed);
      MemoryStorage s;
      random_store(s, seed);
      // Two watches on the same store: one told what changed, one told only
      // who; their engines count tests (the full evaluations use a third).
      const Engine full{v.config};
      const Engine precise_engine = counting_engine(v.config), plain_engine = counting_engine(v.config);
      Watch precise{precise_engine, s}, plain{plain_engine, s};
      Instant now = at(2026, 10, 20, 7, 30);
      precise.reset(now);
      plain.reset(now);
      REQUIRE(precise.hits() == without_picks(full.evaluate(s, now).hits));
      std::mt19937 rng(seed);
      std::int64_t next_id = 300000;
      std::map<Changed, int> kinds;
      for (int step = 0; step < 100; ++step) {
        now += std::chrono::minutes{1 + rng() % (3 * 24 * 60)};
        for (int k = static_cast<int>(rng() % 7); k > 0; --k) {
          Changed what = Changed::all;
          const auto c = random_event(s, rng, now, next_id, true, &what, true);
          ++kinds[what];
          precise.touch(c, what);
          if (what != Changed::none) plain.touch(c);
        }
        const auto before = precise.hits();
        const auto changes = precise.advance(now);
        const auto got = precise.hits();
        CAPTURE(step);
        CAPTURE(iso_instant(now));
        REQUIRE(got == without_picks(full.evaluate(s, now).hits));
        check_changes(before, changes, got);
        const auto plain_changes = plain.advance(now);
        CHECK(plain.hits() == got);
        CHECK(changes.clients_tested == plain_changes.clients_tested);  // the same clients, fewer tests each
      }
      // Every kind of write happened, and the precise touches spared tests:
      // the deal and invoice assistants were not asked about activities, the
      // stage SLA not about tasks.
      for (auto k : {Changed::none, Changed::client, Changed::activity, Changed::task, Changed::deal, Changed::invoice})
        CHECK(kinds[k] > 5);
      for (const char* id : {"stage_sla", "dead_deal", "debtor", "neglected_task", "churned", "churned_paid"})
        CHECK(tests_of(precise_engine, id) < tests_of(plain_engine, id));
      std::size_t precise_tests = 0, plain_tests = 0;
      for (const auto& a : precise_engine.assistants()) precise_tests += dynamic_cast<const Counting&>(*a).tests;
      for (const auto& a : plain_engine.assistants()) plain_tests += dynamic_cast<const Counting&>(*a).tests;
      CHECK(precise_tests < plain_tests);
    }
  }
}

namespace {

/// A host's assistant that declares nothing about what it reads: VIP clients
/// not contacted (by any activity) for a week.
class VipSilence : public Assistant {
public:
  VipSilence() : Assistant("vip_silence", {.labels = {"vip"}}, {{.id = "call"}}) {}
  [[nodiscard]] Feed feed() const override { return Feed::clients; }
  [[nodiscard]] bool varies_with_time() const override { return false; }
  bool test(const Context& ctx, const ClientView& v, Hit& h) const override {
    ++tests;
    aim(h, *v.client);
    h.anchor = v.summary->last_contact(ContactPolicy::any_activity()).value_or(v.client->created);
    h.since = h.anchor + Days{7};
    return ctx.now > h.since;
  }
  mutable std::size_t tests = 0;
};

/// A host's assistant that says it reads deals only (and counts its tests).
class DealsOnly : public Assistant {
public:
  DealsOnly() : Assistant("deals_only", {}, {{.id = "note"}}) {}
  [[nodiscard]] Feed feed() const override { return Feed::clients; }
  [[nodiscard]] bool varies_with_time() const override { return false; }
  [[nodiscard]] Changed reads() const override { return Changed::deal; }
  bool test(const Context&, const ClientView& v, Hit& h) const override {
    ++tests;
    aim(h, *v.client);
    return false;
  }
  mutable std::size_t tests = 0;
};

}  // namespace

TEST_CASE("engine.watch: a plug-in assistant that declares nothing is tested again on any touch") {
  MemoryStorage s;
  edit(s, [&](UnitOfWork& w) {
    w.put_manager(manager(1, "Head"));
    auto acme = client(10, "Acme", 1, "smb", at(2026, 1, 1));
    acme.labels["vip"] = "key account";
    w.put_client(acme);
    w.add_activity(activity(1, 10, 1, ActivityKind::call_out, at(2026, 3, 1)));
  });
  Engine engine{bare_config()};
  auto vip = std::make_shared<VipSilence>();
  auto deals = std::make_shared<DealsOnly>();
  engine.add(vip).add(deals);
  CHECK(vip->reads() == Changed::all);
  Watch watch{engine, s};
  watch.reset(at(2026, 3, 20));
  REQUIRE(watch.hits().size() == 1);  // silent since March 1st
  CHECK(vip->tests == 1);
  CHECK(deals->tests == 1);
  struct Step {
    Changed what;
    std::size_t deal_tests;
  };
  // Each kind alone: the silent plug-in is tested every time; the one that
  // reads deals only on a deal, or on the client's record.
  for (const auto& [what, deal_tests] :
       {Step{Changed::activity, 0}, Step{Changed::task, 0}, Step{Changed::invoice, 0}, Step{Changed::deal, 1},
        Step{Changed::client, 1}, Step{Changed::activity | Changed::task, 0}, Step{Changed::all, 1}}) {
    CAPTURE(to_string(what));
    const auto vip_before = vip->tests, deals_before = deals->tests;
    watch.touch(ClientId{10}, what);
    const auto c = watch.advance(watch.now() + std::chrono::hours{1});
    CHECK(c.clients_tested == 1);
    CHECK(vip->tests - vip_before == 1);
    CHECK(deals->tests - deals_before == deal_tests);
    CHECK(watch.hits() == engine.evaluate(s, watch.now()).hits);
  }
  // A call, told as a task change: the plug-in still sees it, the hit ends.
  edit(s, [&](UnitOfWork& w) { w.add_activity(activity(100, 10, 1, ActivityKind::call_in, at(2026, 3, 21))); });
  watch.touch(ClientId{10}, Changed::task);
  const auto c = watch.advance(at(2026, 3, 21, 12));
  CHECK(c.ended.size() == 1);
  CHECK(watch.hits().empty());
  CHECK(watch.hits() == engine.evaluate(s, watch.now()).hits);
  // Changed::none marks nothing.
  watch.touch(ClientId{10}, Changed::none);
  CHECK(watch.advance(at(2026, 3, 21, 13)).clients_tested == 0);
}

TEST_CASE("engine.watch: a client new since the reset is tested in full whatever the touch says") {
  MemoryStorage s;
  edit(s, [&](UnitOfWork& w) {
    w.put_manager(manager(1, "Head"));
    w.put_client(client(10, "Acme", 1, "smb", at(2026, 1, 1)));
  });
  auto config = bare_config();
  config.debtor.emplace_back();
  config.forgotten.emplace_back();
  Engine engine{config};
  Watch watch{engine, s};
  watch.reset(at(2026, 3, 1));
  CHECK(watch.hits().empty());
  // A client arrives with an overdue invoice and a call; the host touches it
  // for the call only. The debtor does not read activities, but has never
  // seen this client.
  edit(s, [&](UnitOfWork& w) {
    w.put_client(client(11, "Bolt", 1, "smb", at(2026, 2, 1)));
    w.put_invoice(invoice(5, 11, 100.0, at(2026, 2, 1), at(2026, 2, 15)));
    w.add_activity(activity(7, 11, 1, ActivityKind::call_out, at(2026, 3, 1, 9)));
  });
  watch.touch(ClientId{11}, Changed::activity);
  const auto c = watch.advance(at(2026, 3, 1, 10));
  REQUIRE(c.started.size() == 1);
  CHECK(engine.assistants()[c.started.front().assistant]->id() == "debtor");
  CHECK(watch.hits() == engine.evaluate(s, watch.now()).hits);
  // Once known, a payment told as an activity is missed (the host's error),
  // and told as an invoice it is seen.
  edit(s, [&](UnitOfWork& w) {
    auto i = *s.find_invoice(InvoiceId{5});
    i.payments.push_back({at(2026, 3, 2), i.amount.cents});
    i.settle_from_payments();
    w.put_invoice(i);
  });
  watch.touch(ClientId{11}, Changed::activity);
  CHECK(watch.advance(at(2026, 3, 2, 10)).empty());
  CHECK(watch.hits().size() == 1);
  CHECK(engine.evaluate(s, watch.now()).hits.empty());
  watch.touch(ClientId{11}, Changed::invoice);
  CHECK(watch.advance(at(2026, 3, 2, 11)).ended.size() == 1);
  CHECK(watch.hits() == engine.evaluate(s, watch.now()).hits);
}

TEST_CASE("engine.watch: what changed, as names, and bad values refused") {
  CHECK(to_string(Changed::activity | Changed::task) == "activity|task");
  CHECK(to_string(Changed::all) == "all");
  CHECK(to_string(Changed::none) == "none");
  CHECK(to_string(Changed::client | Changed::invoice) == "client|invoice");
  for (const auto& [name, bit] : changed_names) CHECK(changed_from_string(name) == bit);
  CHECK(changed_from_string("all") == Changed::all);
  CHECK(changed_from_string("none") == Changed::none);
  CHECK_FALSE(changed_from_string("activities").has_value());
  CHECK_FALSE(changed_from_string("").has_value());
  MemoryStorage s;
  random_store(s, 7);
  Engine engine{every_assistant()};
  Watch watch{engine, s};
  watch.reset(at(2026, 6, 1));
  CHECK_THROWS_AS(watch.touch(ClientId{1}, static_cast<Changed>(32)), invalid_argument);
  CHECK_THROWS_WITH_AS(watch.touch(ClientId{1}, static_cast<Changed>(0x42)),
                       "watch.touch: what changed (0x42) has bits outside Changed::all (0x1f)", invalid_argument);
  CHECK(watch.advance(at(2026, 6, 1)).clients_tested == 0);  // the refused touches marked nothing
}

}  // namespace nudge_engine_test_evaluate
