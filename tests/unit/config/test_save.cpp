#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include <nudge/config/config.hpp>

// Own namespace: the tests build as a unity build.
namespace nudge_config_test_save {

using namespace nudge;
using namespace std::chrono_literals;

namespace {

/// Every assistant kind twice, every field away from its default, every enum value used.
LoadedConfig everything() {
  EngineConfig e = EngineConfig::defaults();
  e.calendar = BusinessCalendar::weekdays("America/New_York")
                   .with_week_mask("0111110")
                   .with_hours(std::chrono::Tuesday, {{8h, 12h}, {13h, 17h}})
                   .with_hours(std::chrono::Sunday, {})
                   .with_holiday(HolidayRule::fixed(7, 4, "Independence Day").observed(Observance::nearest_weekday))
                   .with_holiday(HolidayRule::nth_weekday(-1, std::chrono::Monday, 5, "Memorial Day"))
                   .with_holiday(HolidayRule::nth_weekday(3, std::chrono::Monday, 1).observed(Observance::sunday_to_monday))
                   .with_holiday(HolidayRule::easter(-2, "Good Friday").observed(Observance::next_monday))
                   .with_holiday(HolidayRule::easter(0))
                   .with_holiday(HolidayRule::once(ymd(2027, 1, 2), "Bridge"))
                   .with_holidays({ymd(2026, 12, 24)})
                   .with_working_day(ymd(2026, 12, 27));
  e.pipelines.push_back({"p", "P", {{"a", "A", StageKind::open, Period{90min, TimeBasis::business_hours}, 0.25},
                                    {"w", "W", StageKind::won, std::nullopt, 1.0},
                                    {"l", "", StageKind::lost, std::nullopt, std::nullopt}}});
  e.forgotten[0].scope = {{"north", "south"}, ClientKind::b2c, {"vip"}, {"frozen"}, {}};
  e.forgotten[0].after = Period::weeks(3);
  e.forgotten[0].contact = ContactPolicy::any_activity();
  e.forgotten[0].exempt_future_task = false;
  e.forgotten[0].enabled = false;
  e.release[0].policy = {ReleasePolicy::Kind::weighted, false, 3, false};
  e.release[0].grace = Period{36h, TimeBasis::business_days};
  e.churned[0].factor = 0.1 + 0.2;  // not exactly representable in decimal
  e.churned[0].paid_invoices = true;
  e.dead_deal[0].per_pipeline["p"] = Period::days(10);
  e.dead_deal[0].scope.pipelines = {"p"};
  e.dead_deal[0].ladder.push_back(LadderStep{.id = "boss", .after = Period::seconds(45), .action = StepAction::notify,
                                             .target = Target::manager, .manager_id = 9000000000,
                                             .channel = Channel::webhook, .template_id = "custom"});
  e.dead_deal[0].ladder.push_back(LadderStep{.id = "close", .after = Period::days(60), .action = StepAction::close_lost,
                                             .reason = "expired"});
  e.stage_sla[0].pause_on = {"legal"};
  e.stage_sla[0].restart_on_reentry = false;
  e.neglected_task[0].ladder[0].channel = Channel::messenger;
  e.debtor[0].ladder[0].channel = Channel::other;
  e.unpaid[0].ladder[0].target = Target::assignee;
  e.options = {90min, 17};
  auto second = e;  // a second entry of each kind, with its own id
  detail::for_each_assistant_list(second, [&](std::string_view kind, detail::AssistantFeed, auto& list) {
    list[0].id = std::string(kind) + "_2";
  });
  e.forgotten.push_back(second.forgotten[0]);
  e.release.push_back(second.release[0]);
  e.release[1].forgotten = "forgotten_2";
  e.churned.push_back(second.churned[0]);
  e.unpaid.push_back(second.unpaid[0]);
  e.debtor.push_back(second.debtor[0]);
  e.dead_deal.push_back(second.dead_deal[0]);
  e.stage_sla.push_back(second.stage_sla[0]);
  e.no_next_step.push_back(second.no_next_step[0]);
  e.neglected_task.push_back(second.neglected_task[0]);
  e.default_locale = "de";
  e.templates["custom"]["de"] = {"Hallo {client}", "{summary} {{kein Platzhalter}} seit {days_text}"};
  e.templates["custom"]["ru"] = {"", "Привет, {client}: {days:plural(# день|# дня|# дней)}"};
  e.templates["stage.won"]["de"] = {"", "{stage}"};
  auto c = LoadedConfig::from(e);
  c.quiet_hours = {{Channel::sms, QuietHours::between(21h, 9h)}, {Channel::email, QuietHours::between(0min, 24h)}};
  EventRule r;
  r.id = "stage";
  r.enabled = false;
  r.on = "deal.stage_changed";
  r.when = Condition::all({Condition::changed("stage", std::nullopt, "won"), Condition::changed("owner", "1"),
                           Condition::negate(Condition::any({Condition::compare("deal.amount", CompareOp::lt, "1000"),
                                                             Condition::compare("deal.amount", CompareOp::gt, "1.5"),
                                                             Condition::compare("deal.amount", CompareOp::ge, "1e3"),
                                                             Condition::compare("deal.amount", CompareOp::le, "-0"),
                                                             Condition::compare("event.x", CompareOp::ne, "true")})),
                           Condition::in("client.segment", {"north", "42"})});
  r.within = Period::business_days(1);
  r.debounce = 90s;
  r.actions = {EventAction{.target = Target::manager, .manager_id = 3, .channel = Channel::email,
                           .template_id = "stage.{stage}"},
               EventAction{.action = EventActionKind::task, .target = Target::supervisor, .level = 2, .title = "Look"},
               EventAction{.action = EventActionKind::label, .target = Target::owner, .title = "{due}", .label = "won"}};
  c.event_rules = {r, EventRule{.id = "plain", .on = "call.missed",
                                .actions = {EventAction{.action = EventActionKind::label, .label = "missed"}}}};
  return c;
}

}  // namespace

TEST_CASE("config.save.round_trip") {
  const auto c = everything();
  REQUIRE(validate(c).empty());
  SUBCASE("only what differs from the defaults") { CHECK(load_config(save_config(c)) == c); }
  SUBCASE("with every default written") { CHECK(load_config(save_config(c, {.include_defaults = true})) == c); }
  SUBCASE("saving is stable") { CHECK(save_config(load_config(save_config(c))) == save_config(c)); }
}

TEST_CASE("config.save.defaults") {
  SUBCASE("an empty configuration is just the version") {
    CHECK(save_config(EngineConfig{}) == "{\n  \"version\": 1\n}\n");
  }
  SUBCASE("EngineConfig::defaults() lists each assistant by id") {
    const auto text = save_config(EngineConfig::defaults());
    const auto j = nlohmann::json::parse(text);
    CHECK(j["assistants"]["forgotten"] == nlohmann::json::parse(R"([{"id": "forgotten"}])"));
    CHECK(load_config(text).engine == EngineConfig::defaults());
  }
  SUBCASE("include_defaults writes every field") {
    const auto text = save_config(EngineConfig::defaults(), {.include_defaults = true});
    const auto j = nlohmann::json::parse(text);
    CHECK(j["assistants"]["forgotten"][0]["after"] == "90d");
    CHECK(j["assistants"]["forgotten"][0]["ladder"][0]["due_in"] == "1 business day");
    CHECK(j["calendar"]["hours"] == "09:00-18:00");
    CHECK(j["options"]["late_after"] == "1d");
    CHECK(load_config(text).engine == EngineConfig::defaults());
  }
}

TEST_CASE("config.save.templates_in_every_locale") {
  auto c = LoadedConfig::from(EngineConfig{});
  c.engine.templates["x"]["en"] = {"S", "B"};
  c.engine.templates["x"]["ru"] = {"С", "Т"};
  const auto back = load_config(save_config(c));
  CHECK(back == c);
  CHECK(back.engine.templates.at("x").at("ru") == MessageTemplate{"С", "Т"});
}

TEST_CASE("config.save.invalid_utf8_is_an_error_not_a_crash") {
  auto c = LoadedConfig::from(EngineConfig::defaults());
  c.engine.forgotten[0].label = "bad \xff byte";
  CHECK_THROWS_AS((void)save_config(c), invalid_argument);
}

TEST_CASE("config.save.human_forms") {
  const auto j = nlohmann::json::parse(save_config(everything()));
  CHECK(j["calendar"]["holidays"][1] == nlohmann::json::parse(R"({"name": "Memorial Day", "on": "last Monday of May"})"));
  CHECK(j["calendar"]["holidays"][3]["on"] == "Easter -2");
  CHECK(j["calendar"]["week"] == "Tue Wed Thu Fri Sat");
  CHECK(j["calendar"]["hours"]["tue"] == nlohmann::json::parse(R"(["08:00-12:00", "13:00-17:00"])"));
  CHECK(j["assistants"]["release"][0]["grace"] == "36h of business days");
  CHECK(j["quiet_hours"]["email"] == nlohmann::json::parse(R"({"from": "00:00", "to": "24:00"})"));
  // Compared values: numbers where the text is a JSON number as JSON writes it, else text.
  const auto& any = j["event_rules"][0]["when"]["all"][2]["not"]["any"];
  CHECK(any[0]["value"] == 1000);
  CHECK(any[1]["value"] == 1.5);
  CHECK(any[2]["value"] == "1e3");
  CHECK(any[3]["value"] == "-0");
  CHECK(any[4]["value"] == "true");
  CHECK(j["event_rules"][0]["when"]["all"][3]["value"] == nlohmann::json::parse(R"(["north", 42])"));
  CHECK(j["event_rules"][1] ==
        nlohmann::json::parse(R"({"id": "plain", "on": "call.missed", "actions": [{"action": "label", "label": "missed"}]})"));
}
}  // namespace nudge_config_test_save
