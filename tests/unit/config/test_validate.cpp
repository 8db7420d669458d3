// validate() on configurations built in code (as a host's settings screen
// would), and validate_against() with the managers from storage.

#include <doctest/doctest.h>

#include <nudge/config/config.hpp>
#include <nudge/engine/engine.hpp>
#include <nudge/rules/event_engine.hpp>

// Own namespace: the tests build as a unity build.
namespace nudge_config_test_validate {

using namespace nudge;

namespace {

std::vector<std::string> texts(const std::vector<ConfigIssue>& v) {
  std::vector<std::string> out;
  for (const auto& i : v) out.push_back(i.text());
  return out;
}

Manager manager(std::int64_t id, std::vector<std::string> segments, bool active = true) {
  Manager m;
  m.id = ManagerId{id};
  m.name = fmt::format("M{}", id);
  m.segments = std::move(segments);
  m.active = active;
  return m;
}

}  // namespace

TEST_CASE("config.validate.defaults_are_valid") {
  CHECK(validate(LoadedConfig{}).empty());
  CHECK(validate(LoadedConfig::from(EngineConfig::defaults())).empty());
  // Default ladders name built-in templates ("sla_warning", ...) that need not be defined.
  CHECK(detail::builtin_template_ids().count("sla_warning") == 1);
}

TEST_CASE("config.validate.built_in_code") {
  auto c = LoadedConfig::from(EngineConfig::defaults());
  c.engine.forgotten[0].after = Period{Seconds{-86400}};  // aggregate-initialised negative length
  c.engine.churned[0].min_orders = 0;
  c.engine.churned[0].factor = -1;
  c.engine.stage_sla[0].ladder[0].level = 0;
  c.engine.release[0].policy.max_new_per_run = -1;
  c.engine.options.batch = 0;
  c.engine.options.late_after = Seconds{-1};
  c.engine.default_locale = "";
  CHECK(texts(validate(c)) ==
        std::vector<std::string>{
            "/default_locale: expected a locale like \"en\" or \"pt-BR\", got \"\"",
            "/assistants/forgotten/0/after: expected a duration like \"90d\", \"36h\" or \"3 business days\" (zero or "
            "more), got a negative duration \"-1d\"",
            "/assistants/release/0/policy/max_new_per_run: expected 0 (no cap) or more, got -1",
            "/assistants/churned/0/min_orders: expected 1 or more orders, got 0",
            "/assistants/churned/0/factor: expected 0 (off) or a positive factor of the median interval, got -1",
            "/assistants/stage_sla/0/ladder/0/level: expected a supervisor level of 1 or more (2 = the supervisor's "
            "supervisor), got 0",
            "/options/late_after: expected a duration like \"90d\", \"36h\" or \"3 business days\" (zero or more), got a "
            "negative duration \"-1s\"",
            "/options/batch: expected a batch size of 1 or more, got 0"});
}

TEST_CASE("config.validate.steps_whose_fields_would_be_ignored") {
  EngineConfig e;
  DeadDealConfig d;
  d.ladder = {LadderStep{.id = "a", .share = 0.5, .action = StepAction::notify, .title = "ignored"},
              LadderStep{.id = "b", .action = StepAction::task, .manager_id = 3, .reason = "why"},
              LadderStep{.id = "c", .action = StepAction::notify, .target = Target::manager}};
  e.dead_deal.push_back(d);
  CHECK(texts(validate(LoadedConfig::from(e))) ==
        std::vector<std::string>{
            "/assistants/dead_deal/0/ladder/0/share: only stage_sla steps fire at a share of a limit; a dead_deal step "
            "fires \"after\" a delay",
            "/assistants/dead_deal/0/ladder/0/title: only task and reassign steps create a task; a \"notify\" step would "
            "ignore its title",
            "/assistants/dead_deal/0/ladder/1/manager: a manager id only goes with target \"manager\"; this step's "
            "target is \"owner\"",
            "/assistants/dead_deal/0/ladder/1/reason: a loss reason only goes with action \"close_lost\"; this step's "
            "action is \"task\"",
            "/assistants/dead_deal/0/ladder/2/manager: expected the id of the manager this step addresses (target "
            "\"manager\")"});
}

TEST_CASE("config.validate.texts") {
  CHECK(detail::text_problem("Dear {client}, {{literal}} and }} fine, {days_text}", "en").empty());
  CHECK(detail::text_problem("{days:plural(# день|# дня|# дней)}", "ru").empty());
  CHECK(!detail::text_problem("{days:plural(# day|# days)}", "ru").empty());  // Russian has three forms
  CHECK(detail::text_problem("{client", "en").find("unclosed") != std::string::npos);
  CHECK(detail::text_problem("oops }", "en").find("'}'") != std::string::npos);
  CHECK(detail::text_problem("{client:>5}", "en").empty());
  CHECK(detail::text_problem("{client:>2000000000}", "en").find("over 999") != std::string::npos);
  CHECK(detail::text_problem("{ammount}", "en").find("unknown placeholder {ammount} (did you mean {amount}?)") !=
        std::string::npos);
}

TEST_CASE("config.validate.everything_valid_is_accepted_by_the_engine") {
  // The engine's own checks (pipelines, unique ids, release references) are a
  // subset of validate(): what validates constructs.
  auto c = load_config(R"({"version": 1,
    "pipelines": [{"id": "p", "stages": [{"id": "a", "limit": "1d"}, {"id": "w", "kind": "won"}, {"id": "l", "kind": "lost"}]}],
    "assistants": {"forgotten": [{"id": "f"}], "release": [{"id": "r", "forgotten": "f"}]}})");
  CHECK_NOTHROW(Engine{c.engine});
  CHECK_NOTHROW(EventEngine{c.event_rules, c.engine});
}

TEST_CASE("config.validate_against.segments_and_managers") {
  const auto c = load_config(R"({"version": 1,
    "event_rules": [{"id": "e", "on": "call.missed", "actions": [{"action": "task", "target": "manager", "manager": 98, "title": "Call"}]}],
    "assistants": {
    "forgotten": [{"id": "f", "scope": {"segments": ["north", "south", "retail"]}}],
    "dead_deal": [{"id": "d", "ladder": [
      {"id": "head", "action": "notify", "target": "manager", "manager": 1},
      {"id": "gone", "action": "notify", "target": "manager", "manager": 99},
      {"id": "away", "action": "notify", "target": "manager", "manager": 3}]}]}})");
  SUBCASE("segment served, or not") {
    const std::vector<Manager> ms{manager(1, {"north"}), manager(2, {"sooth"}), manager(3, {"south"}, false)};
    CHECK(texts(validate_against(c, ms)) ==
          std::vector<std::string>{
              "/assistants/forgotten/0/scope/segments/1: no active manager serves segment \"south\" (served: "
              "\"north\", \"sooth\") (did you mean \"sooth\"?)",
              "/assistants/forgotten/0/scope/segments/2: no active manager serves segment \"retail\" (served: "
              "\"north\", \"sooth\")",
              "/assistants/dead_deal/0/ladder/1/manager: no manager with id 99",
              "/assistants/dead_deal/0/ladder/2/manager: manager 3 (M3) is not active",
              "/event_rules/0/actions/0/manager: no manager with id 98"});
  }
  SUBCASE("a manager serving \"*\" serves every segment") {
    const std::vector<Manager> ms{manager(1, {"*"}), manager(3, {"x"})};
    CHECK(texts(validate_against(c, ms)) ==
          std::vector<std::string>{"/assistants/dead_deal/0/ladder/1/manager: no manager with id 99",
                                   "/event_rules/0/actions/0/manager: no manager with id 98"});
  }
  SUBCASE("no managers at all") {
    CHECK(texts(validate_against(c, {})).front() ==
          "/assistants/forgotten/0/scope/segments/0: no active manager serves segment \"north\" (there are no active "
          "managers)");
  }
}

TEST_CASE("config.validate.ids_and_limits") {
  const auto r = try_load_config(R"({"version": 1,
    "pipelines": [{"id": "p", "stages": [{"id": "a", "limit": "0d"}, {"id": "w", "kind": "won"}, {"id": "l", "kind": "lost"}]}],
    "assistants": {"debtor": [{"id": "debt/b2b", "ladder": [{"id": "mail/1", "action": "notify"}]}]}})");
  std::vector<std::string> got;
  for (const auto& e : r.errors) got.push_back(e.text());
  CHECK(got == std::vector<std::string>{
                   "/pipelines/0/stages/0/limit: expected a time limit above zero for stage \"a\" (leave \"limit\" out "
                   "for no limit), got \"0d\"",
                   "/assistants/debtor/0/id: an id cannot contain \"/\" (it separates the parts of an action's "
                   "exactly-once key), got \"debt/b2b\"",
                   "/assistants/debtor/0/ladder/0/id: an id cannot contain \"/\" (it separates the parts of an action's "
                   "exactly-once key), got \"mail/1\""});
}
}  // namespace nudge_config_test_validate
