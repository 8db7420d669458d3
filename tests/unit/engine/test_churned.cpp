#include <doctest/doctest.h>

#include <support/engine_support.hpp>

// Own namespace: the tests build as a unity build.
namespace nudge_engine_test_churned {

using namespace nudge;
using namespace nudge::test;

namespace {

EngineConfig churned_config(ChurnedConfig c = {}) {
  auto e = bare_config();
  e.churned.push_back(std::move(c));
  return e;
}

Deal won(std::int64_t id, Instant closed, std::int64_t client = 10) {
  auto d = deal(id, client, 2, "won", closed - Days{10});
  d.status = DealStatus::won;
  d.closed = closed;
  return d;
}

// Ivanova (2) owns Acme (10), which won deals closed at `orders`.
void seed(MemoryStorage& s, std::vector<Instant> orders) {
  edit(s, [&](UnitOfWork& w) {
    w.put_manager(manager(1, "Head"));
    w.put_manager(manager(2, "Ivanova", 1));
    w.put_client(client(10, "Acme", 2, "smb", at(2024, 1, 1)));
    std::int64_t id = 1;
    for (auto t : orders) w.put_deal(won(id++, t));
  });
}

const Instant first_order = at(2025, 11, 1, 12);
const Instant last_order = at(2026, 1, 10, 12);

}  // namespace

TEST_CASE("engine.churned.threshold_edges") {
  MemoryStorage s;
  seed(s, {first_order, last_order});
  Engine e{churned_config()};
  const Instant limit = last_order + Days{180};
  SUBCASE("one second before") { CHECK(e.plan(s, limit - Seconds{1}).findings.empty()); }
  SUBCASE("exactly at the limit") { CHECK(e.plan(s, limit).findings.empty()); }
  SUBCASE("one second after") {
    auto p = e.plan(s, limit + Seconds{1});
    REQUIRE(p.findings.size() == 1);
    const auto& f = p.findings[0];
    CHECK(f.since == limit);
    CHECK(f.episode == iso_instant(last_order));
    CHECK(f.summary == "client 'Acme' churned: 2 orders, the last on 2026-01-10 (180 days ago), limit 180 days, "
                       "owner Ivanova");
    CHECK(f.fact("orders")->value == FactValue{std::int64_t{2}});
    CHECK(f.fact("last_order")->value == FactValue{last_order});
    auto tasks = actions_of(p, "churned", ActionKind::create_task);
    REQUIRE(tasks.size() == 1);
    CHECK(tasks[0]->task->title == "Win back Acme");
    CHECK(tasks[0]->task->due == at(2026, 7, 14, 12) + Seconds{1});  // 3 business days from Thursday 12:00:01
    auto labels = actions_of(p, "churned", ActionKind::set_label);
    REQUIRE(labels.size() == 1);
    CHECK(labels[0]->note == "last order 2026-01-10");
  }
}

TEST_CASE("engine.churned.needs_enough_orders") {
  MemoryStorage s;
  SUBCASE("one order is not a habit") {
    seed(s, {last_order});
    CHECK(Engine{churned_config()}.plan(s, last_order + Days{400}).findings.empty());
  }
  SUBCASE("lost deals are not orders") {
    seed(s, {last_order});
    edit(s, [](UnitOfWork& w) {
      auto d = deal(9, 10, 2, "lost", first_order - Days{10});
      d.status = DealStatus::lost;
      d.closed = first_order;
      w.put_deal(d);
    });
    CHECK(Engine{churned_config()}.plan(s, last_order + Days{400}).findings.empty());
  }
  SUBCASE("paid invoices count when configured") {
    seed(s, {last_order});
    edit(s, [](UnitOfWork& w) {
      auto i = invoice(5, 10, 100.0, first_order - Days{5}, first_order + Days{10});
      i.paid = first_order;
      w.put_invoice(i);
    });
    CHECK(Engine{churned_config()}.plan(s, last_order + Days{181}).findings.empty());
    ChurnedConfig c;
    c.paid_invoices = true;
    CHECK(Engine{churned_config(c)}.plan(s, last_order + Days{181}).findings.size() == 1);
  }
  SUBCASE("min_orders is configurable") {
    seed(s, {first_order, last_order});
    ChurnedConfig c;
    c.min_orders = 3;
    CHECK(Engine{churned_config(c)}.plan(s, last_order + Days{400}).findings.empty());
  }
}

TEST_CASE("engine.churned.limit_is_the_longer_of_idle_and_factor_times_the_median_interval") {
  // Orders 30, 30 and 90 days apart: the median interval is 30 days.
  const Instant o0 = at(2025, 6, 1);
  MemoryStorage s;
  seed(s, {o0, o0 + Days{30}, o0 + Days{60}, o0 + Days{150}});
  const Instant last = o0 + Days{150};
  SUBCASE("factor x median below idle: idle holds") {
    ChurnedConfig c;
    c.factor = 3.0;  // 90 days < 180
    Engine e{churned_config(c)};
    CHECK(e.plan(s, last + Days{180}).findings.empty());
    auto p = e.plan(s, last + Days{180} + Seconds{1});
    REQUIRE(p.findings.size() == 1);
    CHECK(p.findings[0].fact("median_interval_days")->value == FactValue{std::string("30")});
    CHECK(p.findings[0].fact("limit")->value == FactValue{std::string("180d")});
  }
  SUBCASE("factor x median above idle: the client's own rhythm holds") {
    ChurnedConfig c;
    c.factor = 8.0;  // 240 days
    Engine e{churned_config(c)};
    CHECK(e.plan(s, last + Days{240}).findings.empty());
    auto p = e.plan(s, last + Days{240} + Seconds{1});
    REQUIRE(p.findings.size() == 1);
    CHECK(p.findings[0].fact("limit")->value == FactValue{std::string("240d")});
    CHECK(contains(p.findings[0].summary, "4 orders"));
    CHECK(contains(p.findings[0].summary, "limit 240 days"));
  }
}

TEST_CASE("engine.churned.an_order_clears_the_episode_and_the_label_and_a_later_lapse_starts_again") {
  MemoryStorage s;
  seed(s, {first_order, last_order});
  Engine e{churned_config()};
  const Instant t1 = last_order + Days{200};
  e.run(s, t1);
  CHECK(s.find_client(ClientId{10})->has_label("churned"));
  CHECK(s.tasks_of(ClientId{10}, true).size() == 1);
  CHECK(once_keys(e.plan(s, t1 + Days{30})).empty());  // the same episode: nothing new

  const Instant back = t1 + Days{40};
  edit(s, [&](UnitOfWork& w) { w.put_deal(won(3, back)); });
  auto p = e.plan(s, back + Days{1});
  CHECK(p.findings.empty());
  auto clear = actions_of(p, "labels", ActionKind::clear_label);
  REQUIRE(clear.size() == 1);
  CHECK(clear[0]->label == "churned");
  e.apply(p, s);
  CHECK_FALSE(s.find_client(ClientId{10})->has_label("churned"));

  auto again = e.plan(s, back + Days{180} + Seconds{1});
  auto tasks = actions_of(again, "churned", ActionKind::create_task);
  REQUIRE(tasks.size() == 1);
  CHECK(split_key(tasks[0]->key).episode == iso_instant(back));
  CHECK(contains(again.findings[0].summary, "3 orders"));
}

TEST_CASE("engine.churned.scope_per_segment_and_kind") {
  MemoryStorage s;
  seed(s, {first_order, last_order});
  ChurnedConfig c;
  c.scope.kind = ClientKind::b2c;
  CHECK(Engine{churned_config(c)}.plan(s, last_order + Days{400}).findings.empty());
  c.scope = {};
  c.scope.segments = {"enterprise", "smb"};
  CHECK(Engine{churned_config(c)}.plan(s, last_order + Days{400}).findings.size() == 1);
  c.enabled = false;
  CHECK(Engine{churned_config(c)}.assistants().empty());
}
}  // namespace nudge_engine_test_churned
