#include <doctest/doctest.h>

#include <support/engine_support.hpp>
#include <nudge/engine/explain.hpp>

using namespace nudge::test;
using std::chrono::hours;

// ---- the example of docs/assistants.md, "Writing your own assistant" (keep them the same) ----
#include <nudge/engine/engine.hpp>

// Own namespace: the tests build as a unity build.
namespace nudge_engine_test_plugin {

/// Key accounts (label "vip") that nobody has contacted for a week: a call
/// task for the owner, and the supervisor hears of it three business days later.
class VipSilence : public nudge::Assistant {
public:
  VipSilence()
      : Assistant("vip_silence", nudge::Scope{.labels = {"vip"}},
                  {nudge::LadderStep{.id = "call", .title = "Call {client} today"},
                   nudge::LadderStep{.id = "tell", .after = nudge::Period::business_days(3),
                                     .action = nudge::StepAction::notify, .target = nudge::Target::supervisor}}) {}

  nudge::Feed feed() const override { return nudge::Feed::clients; }
  std::string label() const override { return "vip_silent"; }

  std::optional<nudge::Finding> inspect(const nudge::Context& ctx, const nudge::ClientView& v) const override {
    const nudge::Instant last = v.summary->last_contact(nudge::ContactPolicy{}).value_or(v.client->created);
    const nudge::Instant since = last + std::chrono::days{7};
    if (!(ctx.now > since)) return std::nullopt;  // strictly after, like the built-ins
    auto f = make_finding(*v.client, since, nudge::iso_instant(last),  // the episode: this last contact
                          fmt::format("VIP client '{}' not contacted for {}, limit 7 days", v.client->name,
                                      nudge::days_text(ctx.days_since(last))));
    f.facts = {{"last_contact", last}, {"days", ctx.days_since(last)}};
    f.label_note = "since " + nudge::iso_date(nudge::utc_date(since));
    return f;
  }
};

// nudge::Engine engine{config};
// engine.add(std::make_shared<VipSilence>());
// ---- end of the example ----

using namespace nudge;

namespace {

/// A deal-feed assistant: big deals with a low stated chance, open for more
/// than 30 days, go to a fixed manager (the head of sales).
class LongShot : public Assistant {
public:
  explicit LongShot(std::int64_t head)
      : Assistant("long_shot", {}, {LadderStep{.id = "review", .action = StepAction::notify,
                                               .target = Target::manager, .manager_id = head}}) {}
  Feed feed() const override { return Feed::deals; }
  std::optional<Finding> inspect(const Context& ctx, const ClientInfo& c, const DealView& v) const override {
    const Deal& d = *v.deal;
    if (d.amount.cents < 1000000 || d.probability >= 0.3) return std::nullopt;
    const Instant since = d.opened + Days{30};
    if (!(ctx.now > since)) return std::nullopt;
    Finding f;
    f.subject = SubjectRef::of(d.id);  // rule left empty: the engine fills in the assistant's id
    f.client = d.client;
    f.owner = c.owner;
    f.episode = iso_instant(d.opened);
    f.since = since;
    f.summary = fmt::format("deal {} is a long shot: {} at {:.0f} %", d.id.value(), to_string(d.amount),
                            100 * d.probability);
    return f;
  }
};

/// A client assistant that hands clients over, round robin.
class Rotate : public Assistant {
public:
  Rotate() : Assistant("rotate", Scope{.segments = {"pool"}}, {LadderStep{.id = "move", .action = StepAction::reassign}}) {
    policy_.kind = ReleasePolicy::Kind::round_robin;
  }
  Feed feed() const override { return Feed::clients; }
  const ReleasePolicy* release_policy() const override { return &policy_; }
  std::optional<Finding> inspect(const Context&, const ClientView& v) const override {
    return make_finding(*v.client, v.client->created, "always", fmt::format("rotate '{}'", v.client->name));
  }

private:
  ReleasePolicy policy_;
};

// Head (1) <- Ivanova (2), Petrov (3). Acme (10) is a VIP of Ivanova, last
// contacted Monday 2026-03-02 10:00; Bolt (11) is not a VIP.
const Instant last = at(2026, 3, 2, 10);
const Instant silent = last + Days{7};  // Monday 2026-03-09 10:00

void seed(MemoryStorage& s) {
  edit(s, [](UnitOfWork& w) {
    auto head = manager(1, "Head");
    head.segments = {};
    w.put_manager(head);
    w.put_manager(manager(2, "Ivanova", 1));
    w.put_manager(manager(3, "Petrov", 1));
    auto acme = client(10, "Acme", 2);
    acme.labels["vip"] = "key account";
    w.put_client(acme);
    w.put_client(client(11, "Bolt", 2));
    w.add_activity(activity(100, 10, 2, ActivityKind::meeting, last));
    w.add_activity(activity(101, 11, 2, ActivityKind::meeting, last));
  });
}

Engine vip_engine() {
  Engine e{bare_config()};
  e.add(std::make_shared<VipSilence>());
  return e;
}

}  // namespace

TEST_CASE("engine.plugin.host_assistant_edges_and_scope") {
  MemoryStorage s;
  seed(s);
  auto e = vip_engine();
  CHECK(e.plan(s, silent).findings.empty());
  auto p = e.plan(s, silent + Seconds{1});
  REQUIRE(p.findings.size() == 1);  // Bolt is no VIP
  CHECK(p.findings[0].rule == "vip_silence");
  CHECK(p.findings[0].subject == SubjectRef::of(ClientId{10}));
  CHECK(p.findings[0].summary == "VIP client 'Acme' not contacted for 7 days, limit 7 days");
}

TEST_CASE("engine.plugin.host_assistant_gets_ladders_keys_audit_and_labels") {
  MemoryStorage s;
  seed(s);
  auto e = vip_engine();
  const Instant now = silent + hours{1};
  auto p = e.plan(s, now);
  REQUIRE(p.actions.size() == 2);
  const std::string key = "vip_silence/client:10/" + iso_instant(last) + "/call";
  CHECK(p.actions[0].key == key);
  CHECK(p.actions[0].task->title == "Call Acme today");
  CHECK(p.actions[1].kind == ActionKind::set_label);
  CHECK(p.actions[1].label == "vip_silent");
  CHECK(p.actions[1].note == "since 2026-03-09");
  const auto text = explain(p);
  CHECK(contains(text, "[vip_silence]\n- VIP client 'Acme' not contacted for 7 days, limit 7 days\n"
                       "    -> task for Ivanova: \"Call Acme today\""));

  e.apply(p, s);
  CHECK(s.has_action(key));
  CHECK(s.find_client(ClientId{10})->labels.at("vip_silent") == "since 2026-03-09");
  auto audit = s.audit_log(SubjectRef::of(ClientId{10}));
  REQUIRE(audit.size() == 2);
  CHECK(audit[0].rule == "vip_silence");
  CHECK(audit[0].action == "create_task");
  CHECK(audit[0].facts == std::vector<Fact>{{"last_contact", last}, {"days", std::int64_t{7}}});
  CHECK(contains(audit[0].explanation, "VIP client 'Acme' not contacted for 7 days, limit 7 days -> task for Ivanova"));

  // The ladder goes on: three business days later, the supervisor. Once.
  const Instant tell = silent + Days{3};  // Thursday 10:00
  CHECK(once_keys(e.plan(s, tell)).empty());
  auto q = e.plan(s, tell + Seconds{1});
  REQUIRE(once_keys(q).size() == 1);
  CHECK(q.actions[0].to == ManagerId{1});
  e.apply(q, s);
  CHECK(once_keys(e.plan(s, tell + Days{5})).empty());

  // A contact ends the episode and the label goes.
  edit(s, [&](UnitOfWork& w) { w.add_activity(activity(200, 10, 2, ActivityKind::call_out, tell + Days{1})); });
  auto r = e.run(s, tell + Days{2});
  CHECK(r.applied_keys == std::vector<std::string>{"label/vip_silent/client:10/clear"});
  CHECK_FALSE(s.find_client(ClientId{10})->has_label("vip_silent"));
  CHECK(s.find_client(ClientId{10})->has_label("vip"));
  // ... and a new silence is a new episode with new keys.
  auto again = e.plan(s, tell + Days{1} + Days{7} + Seconds{1});
  REQUIRE(once_keys(again).size() == 1);
  CHECK(split_key(*once_keys(again).begin()).episode == iso_instant(tell + Days{1}));
}

TEST_CASE("engine.plugin.host_assistant_steps_can_be_late") {
  MemoryStorage s;
  seed(s);
  auto e = vip_engine();
  auto p = e.plan(s, silent + Days{10});
  REQUIRE(once_keys(p).size() == 2);
  for (const auto& a : p.actions)
    if (a.once) CHECK(a.late);
}

TEST_CASE("engine.plugin.deal_feed_and_fixed_target") {
  MemoryStorage s;
  seed(s);
  edit(s, [](UnitOfWork& w) {
    w.put_deal(deal(7, 11, 2, "lead", last, 50000.0, 0.1));
    w.put_deal(deal(8, 11, 2, "lead", last, 50000.0, 0.6));
    w.put_deal(deal(9, 11, 2, "lead", last, 500.0, 0.1));
  });
  Engine e{bare_config()};
  e.add(std::make_shared<LongShot>(1));
  auto p = e.plan(s, last + Days{31});
  REQUIRE(p.findings.size() == 1);
  CHECK(p.findings[0].rule == "long_shot");
  CHECK(p.findings[0].summary == "deal 7 is a long shot: 50000.00 USD at 10 %");
  REQUIRE(p.actions.size() == 1);
  CHECK(p.actions[0].key == "long_shot/deal:7/" + iso_instant(last) + "/review");
  CHECK(p.actions[0].to == ManagerId{1});
  e.apply(p, s);
  CHECK(e.plan(s, last + Days{32}).actions.empty());
}

TEST_CASE("engine.plugin.reassigning_with_the_assistants_own_policy") {
  MemoryStorage s;
  seed(s);
  edit(s, [](UnitOfWork& w) {
    w.put_manager(manager(4, "Sidorov", 1));
    for (int i = 0; i < 3; ++i) w.put_client(client(20 + i, fmt::format("Pool{}", i), 2, "pool"));
    for (int i = 0; i < 5; ++i) w.put_client(client(30 + i, fmt::format("Busy{}", i), 4, "pool"));
  });
  Engine e{bare_config()};
  e.add(std::make_shared<Rotate>());
  auto p = e.plan(s, last);
  std::vector<std::int64_t> to;
  for (const auto& a : p.actions)
    if (a.kind == ActionKind::reassign && a.from == ManagerId{2}) {
      to.push_back(a.to->value());
      CHECK(contains(a.explanation, "next in turn for segment 'pool'"));
    }
  CHECK(to == std::vector<std::int64_t>{3, 4, 3});  // round robin, whatever Sidorov's load
}

TEST_CASE("engine.plugin.ids_must_not_clash") {
  auto c = bare_config();
  c.forgotten.emplace_back();
  Engine e{c};
  CHECK_THROWS_AS(e.add(nullptr), invalid_argument);
  e.add(std::make_shared<VipSilence>());
  CHECK_THROWS_AS(e.add(std::make_shared<VipSilence>()), invalid_argument);
  CHECK(e.assistants().size() == 2);
}
}  // namespace nudge_engine_test_plugin
