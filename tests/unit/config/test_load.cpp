#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include <nudge/config/config.hpp>

// Own namespace: the tests build as a unity build.
namespace nudge_config_test_load {

using namespace nudge;
using namespace std::chrono_literals;

namespace {

std::vector<std::string> texts(const LoadResult& r) {
  std::vector<std::string> v;
  for (const auto& e : r.errors) v.push_back(e.text());
  return v;
}

}  // namespace

TEST_CASE("config.load.minimal") {
  const auto c = load_config(R"({"version": 1})");
  CHECK(c.engine == EngineConfig{});
  CHECK(c.event_rules.empty());
  CHECK(c.quiet_hours.empty());
}

TEST_CASE("config.load.assistant_fields") {
  const auto c = load_config(R"({
    "version": 1,
    "pipelines": [{"id": "b2b", "name": "B2B", "stages": [
      {"id": "lead", "name": "Lead", "limit": "2 business days", "probability": 0.1},
      {"id": "won", "kind": "won"}, {"id": "lost", "kind": "lost"}]}],
    "assistants": {
      "forgotten": [{"id": "f", "enabled": false, "after": "60d", "exempt_future_task": false, "label": "lost_touch",
                     "scope": {"segments": ["north"], "kind": "B2B", "labels": ["vip"], "except_labels": ["frozen"]},
                     "contact": {"kinds": ["call_out", "email"], "completed_tasks": false}}],
      "release": [{"id": "r", "forgotten": "f", "grace": "3 business days",
                   "policy": {"kind": "round_robin", "update_loads": false, "max_new_per_run": 5, "respect_capacity": false}}],
      "churned": [{"id": "c", "min_orders": 3, "idle": "2w", "factor": 1.5, "won_deals": false, "paid_invoices": true, "label": "gone"}],
      "unpaid": [{"id": "u", "after": "36h", "contact": {"kinds": []}}],
      "debtor": [{"id": "d", "grace": "8 business hours", "label": "owes"}],
      "dead_deal": [{"id": "dd", "max_age": "90d", "per_pipeline": {"b2b": "180d"}, "scope": {"pipelines": ["b2b"]}}],
      "stage_sla": [{"id": "s", "pause_on": ["vacation"], "restart_on_reentry": false}],
      "no_next_step": [{"id": "n", "grace": "1 business day"}],
      "neglected_task": [{"id": "t", "grace": "90m of business hours"}]
    }
  })");
  const auto& e = c.engine;
  REQUIRE(e.pipelines.size() == 1);
  CHECK(e.pipelines[0] == Pipeline{"b2b", "B2B", {{"lead", "Lead", StageKind::open, Period::business_days(2), 0.1},
                                                  {"won", "", StageKind::won, std::nullopt, std::nullopt},
                                                  {"lost", "", StageKind::lost, std::nullopt, std::nullopt}}});
  REQUIRE(e.forgotten.size() == 1);
  ForgottenConfig f;
  f.id = "f";
  f.enabled = false;
  f.after = Period::days(60);
  f.exempt_future_task = false;
  f.label = "lost_touch";
  f.scope = Scope{{"north"}, ClientKind::b2b, {"vip"}, {"frozen"}, {}};
  f.contact.kinds.fill(false);
  f.contact.kinds[static_cast<std::size_t>(ActivityKind::call_out)] = true;
  f.contact.kinds[static_cast<std::size_t>(ActivityKind::email)] = true;
  f.contact.completed_tasks = false;
  CHECK(e.forgotten[0] == f);

  ReleaseConfig r;
  r.id = "r";
  r.forgotten = "f";
  r.grace = Period::business_days(3);
  r.policy = {ReleasePolicy::Kind::round_robin, false, 5, false};
  CHECK(e.release == std::vector{r});

  ChurnedConfig ch;
  ch.id = "c";
  ch.min_orders = 3;
  ch.idle = Period::weeks(2);
  ch.factor = 1.5;
  ch.won_deals = false;
  ch.paid_invoices = true;
  ch.label = "gone";
  CHECK(e.churned == std::vector{ch});

  UnpaidConfig u;
  u.id = "u";
  u.after = Period::hours(36);
  u.contact.kinds.fill(false);
  CHECK(e.unpaid == std::vector{u});

  DebtorConfig d;
  d.id = "d";
  d.grace = Period::business_hours(8);
  d.label = "owes";
  CHECK(e.debtor == std::vector{d});

  DeadDealConfig dd;
  dd.id = "dd";
  dd.max_age = Period::days(90);
  dd.per_pipeline = {{"b2b", Period::days(180)}};
  dd.scope.pipelines = {"b2b"};
  CHECK(e.dead_deal == std::vector{dd});

  StageSlaConfig s;
  s.id = "s";
  s.pause_on = {"vacation"};
  s.restart_on_reentry = false;
  CHECK(e.stage_sla == std::vector{s});

  NoNextStepConfig n;
  n.id = "n";
  n.grace = Period::business_days(1);
  CHECK(e.no_next_step == std::vector{n});

  NeglectedTaskConfig t;
  t.id = "t";
  t.grace = Period{std::chrono::minutes{90}, TimeBasis::business_hours};
  CHECK(e.neglected_task == std::vector{t});
}

TEST_CASE("config.load.ladder_step_fields") {
  const auto c = load_config(R"({"version": 1,
    "assistants": {"dead_deal": [{"id": "dd", "ladder": [
      {"id": "tell", "after": "3 business days", "action": "notify", "target": "manager", "manager": 7,
       "channel": "sms", "template": "dead_deal"},
      {"id": "boss", "action": "notify", "target": "supervisor", "level": 2},
      {"id": "close", "after": "30d", "action": "close_lost", "reason": "expired"},
      {"id": "task", "action": "task", "title": "Look at {deal}", "due_in": "4h"}]}]}})");
  const Ladder want{
      LadderStep{.id = "tell", .after = Period::business_days(3), .action = StepAction::notify,
                 .target = Target::manager, .manager_id = 7, .channel = Channel::sms, .template_id = "dead_deal"},
      LadderStep{.id = "boss", .action = StepAction::notify, .target = Target::supervisor, .level = 2},
      LadderStep{.id = "close", .after = Period::days(30), .action = StepAction::close_lost, .reason = "expired"},
      LadderStep{.id = "task", .title = "Look at {deal}", .due_in = Period::hours(4)}};
  CHECK(c.engine.dead_deal.at(0).ladder == want);
}

TEST_CASE("config.load.omitted_lists_are_empty_and_omitted_fields_default") {
  const auto c = load_config(R"({"version": 1, "assistants": {"debtor": [{}]}})");
  CHECK(c.engine.forgotten.empty());
  REQUIRE(c.engine.debtor.size() == 1);
  CHECK(c.engine.debtor[0] == DebtorConfig{});
}

TEST_CASE("config.load.calendar") {
  const auto c = load_config(R"({"version": 1, "calendar": {
    "zone": "Europe/Berlin", "week": "Mon Tue Wed Thu Fri Sat",
    "hours": {"mon": ["09:00-13:00", "14:00-18:00"], "sat": "10:00-14:00", "sun": []},
    "holidays": [{"name": "Christmas Day", "on": "December 25"},
                 {"name": "Thanksgiving", "on": "4th Thursday of November"},
                 {"on": "last Monday of May", "observed": "next_monday"},
                 {"name": "Easter Monday", "on": "Easter +1"},
                 {"name": "Bridge", "on": "2026-05-15"}],
    "days_off": ["2026-12-31", "2026-12-24"],
    "working_days": ["2026-12-19"]}})");
  const auto want = BusinessCalendar::weekdays("Europe/Berlin")
                        .with_week_mask("1111110")
                        .with_hours(std::chrono::Monday, {{9h, 13h}, {14h, 18h}})
                        .with_hours(std::chrono::Saturday, {{10h, 14h}})
                        .with_hours(std::chrono::Sunday, {})
                        .with_holiday(HolidayRule::fixed(12, 25, "Christmas Day"))
                        .with_holiday(HolidayRule::nth_weekday(4, std::chrono::Thursday, 11, "Thanksgiving"))
                        .with_holiday(HolidayRule::nth_weekday(-1, std::chrono::Monday, 5).observed(Observance::next_monday))
                        .with_holiday(HolidayRule::easter(1, "Easter Monday"))
                        .with_holiday(HolidayRule::once(ymd(2026, 5, 15), "Bridge"))
                        .with_holidays({ymd(2026, 12, 24), ymd(2026, 12, 31)})
                        .with_working_day(ymd(2026, 12, 19));
  CHECK(c.engine.calendar == want);
  CHECK_FALSE(c.engine.calendar.is_business_day(ymd(2026, 4, 6)));  // Easter Monday
  CHECK(c.engine.calendar.is_business_day(ymd(2026, 12, 19)));       // a working Saturday

  SUBCASE("hours for every day at once") {
    const auto d = load_config(R"({"version": 1, "calendar": {"hours": "08:00-17:00"}})");
    for (unsigned w = 0; w < 7; ++w)
      CHECK(d.engine.calendar.hours(std::chrono::weekday{w}) == std::vector<BusinessCalendar::Window>{{8h, 17h}});
  }
}

TEST_CASE("config.load.templates_locales_quiet_hours_options") {
  const auto c = load_config(R"({"version": 1, "default_locale": "ru",
    "templates": {"debtor_reminder": {"en": {"subject": "Overdue", "body": "{amount} overdue for {days_text}"},
                                      "ru": {"body": "Просрочено {amount}, {days:plural(# день|# дня|# дней)}"}}},
    "quiet_hours": {"sms": {"from": "21:00", "to": "09:00"}},
    "options": {"late_after": "36h", "batch": 100}})");
  CHECK(c.engine.default_locale == "ru");
  CHECK(c.engine.templates.at("debtor_reminder").at("ru") ==
        MessageTemplate{"", "Просрочено {amount}, {days:plural(# день|# дня|# дней)}"});
  CHECK(c.engine.templates.at("debtor_reminder").at("en") == MessageTemplate{"Overdue", "{amount} overdue for {days_text}"});
  CHECK(c.quiet_hours.at(Channel::sms) == QuietHours::between(21h, 9h));
  CHECK(c.engine.options.late_after == 36h);
  CHECK(c.engine.options.batch == 100);
}

TEST_CASE("config.load.event_rules") {
  const auto c = load_config(R"({"version": 1,
    "templates": {"missed_call": {"en": {"body": "Sorry, {client}: {owner} calls you back within {hours:plural(# hour|# hours)}."}}},
    "event_rules": [{
      "id": "negotiation_alert", "enabled": false, "on": "deal.stage_changed",
      "when": {"all": [
        {"changed": "stage", "from": "proposal", "to": "negotiation"},
        {"field": "client.segments", "op": "contains", "value": "smb"},
        {"any": [{"field": "deal.amount", "op": ">=", "value": 1000},
                 {"field": "client.labels", "op": "contains", "value": "vip"}]},
        {"not": {"field": "client.kind", "op": "in", "value": ["B2C", "other"]}},
        {"changed": "owner"},
        {"field": "event.urgent", "value": true}]},
      "within": "2 business hours", "debounce": "30m",
      "actions": [
        {"action": "notify", "target": "manager", "manager": 7, "channel": "email", "template": "missed_call"},
        {"action": "notify", "template": "deal_stage.{stage}"},
        {"action": "task", "target": "owner", "title": "Agree the terms with {client}"},
        {"action": "label", "label": "negotiating", "title": "since {due}"}]},
      {"id": "plain", "on": "call.missed", "actions": [{"action": "label", "label": "missed"}]}]})");
  REQUIRE(c.event_rules.size() == 2);
  EventRule want;
  want.id = "negotiation_alert";
  want.enabled = false;
  want.on = "deal.stage_changed";
  want.when = Condition::all({Condition::changed("stage", "proposal", "negotiation"),
                              Condition::compare("client.segments", CompareOp::contains, "smb"),
                              Condition::any({Condition::compare("deal.amount", CompareOp::ge, "1000"),
                                              Condition::compare("client.labels", CompareOp::contains, "vip")}),
                              Condition::negate(Condition::in("client.kind", {"B2C", "other"})),
                              Condition::changed("owner"),
                              Condition::compare("event.urgent", CompareOp::eq, "true")});
  want.within = Period::business_hours(2);
  want.debounce = 30min;
  want.actions = {EventAction{.target = Target::manager, .manager_id = 7, .channel = Channel::email,
                              .template_id = "missed_call"},
                  EventAction{.template_id = "deal_stage.{stage}"},
                  EventAction{.action = EventActionKind::task, .target = Target::owner,
                              .title = "Agree the terms with {client}"},
                  EventAction{.action = EventActionKind::label, .title = "since {due}", .label = "negotiating"}};
  CHECK(c.event_rules[0] == want);
  CHECK(c.event_rules[1].when == Condition::always());
  CHECK(c.event_rules[1].within == Period::hours(2));
  CHECK(load_config(save_config(c)) == c);
}

TEST_CASE("config.load.event_rule_problems") {
  const auto r = try_load_config(R"({"version": 1,
    "templates": {"missed_call": {"en": {"body": "Sorry"}}},
    "event_rules": [
      {"id": "a", "on": "call.missed", "debounce": "1 business day",
       "when": {"all": [{"field": "client.sgment", "op": "==", "value": "x"},
                        {"field": "deal.stage", "op": "=", "value": "won"},
                        {"field": "client.kind", "op": "==", "value": ["B2B", "B2C"]},
                        {"field": "client.kind", "any": []},
                        {}]},
       "actions": [{"action": "notify", "template": "missed_cal"},
                   {"action": "task", "target": "client"},
                   {"action": "label", "template": "missed_call"}]},
      {"id": "a", "on": "", "actions": []}]})");
  std::vector<std::string> got;
  for (const auto& e : r.errors) got.push_back(e.text());
  CHECK(got == std::vector<std::string>{
                   "/event_rules/0/debounce: expected a plain duration like \"30m\" (not business time), got \"1 business day\"",
                   "/event_rules/0/when/all/0/field: unknown client field 'sgment' (did you mean \"client.segment\"?)",
                   "/event_rules/0/when/all/1/op: expected one of \"==\", \"!=\", \"<\", \"<=\", \">\", \">=\", \"in\", "
                   "\"contains\", got \"=\" (did you mean \"==\"?)",
                   "/event_rules/0/when/all/2/value: operator \"==\" takes one value, got 2 values",
                   "/event_rules/0/when/all/3: expected one condition form: {\"all\": [...]}, {\"any\": [...]}, {\"not\": "
                   "{...}}, {\"field\": ..., \"op\": ..., \"value\": ...} or {\"changed\": ...}; got several in one object",
                   "/event_rules/0/when/all/4: expected one condition form: {\"all\": [...]}, {\"any\": [...]}, {\"not\": "
                   "{...}}, {\"field\": ..., \"op\": ..., \"value\": ...} or {\"changed\": ...}; got none of them",
                   "/event_rules/0/actions/0/template: no template \"missed_cal\" in /templates (defined: \"missed_call\") "
                   "(did you mean \"missed_call\"?)",
                   "/event_rules/0/actions/1/target: a task is for a manager: expected target \"owner\", \"supervisor\", "
                   "\"assignee\" or \"manager\", got \"client\"",
                   "/event_rules/0/actions/1/title: expected the task's title, like \"Call {client} back\"",
                   "/event_rules/0/actions/2/template: only notify actions send a message; a \"label\" action would ignore it",
                   "/event_rules/0/actions/2/label: expected the label to set, like \"called_back\"",
                   "/event_rules/1/id: duplicate event rule id \"a\" (also /event_rules/0/id)",
                   "/event_rules/1/on: expected an event kind like \"call.missed\" or \"deal.stage_changed\", got \"\"",
                   "/event_rules/1/actions: expected at least one action"});
}

TEST_CASE("config.load.deeply_nested_conditions_are_refused_not_recursed") {
  std::string when;
  for (int i = 0; i < 10000; ++i) when += R"({"not": )";
  when += R"({"changed": "stage"})";
  for (int i = 0; i < 10000; ++i) when += "}";
  const auto r = try_load_config(R"({"version": 1, "event_rules": [{"id": "x", "on": "e", "when": )" + when +
                                 R"(, "actions": [{"action": "label", "label": "l"}]}]})");
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].message == "conditions nest deeper than 32");
}

TEST_CASE("config.load.json_comments_are_accepted") {
  const auto c = load_config(R"({
    // B2C clients are never forgotten: the scope says B2B only.
    "version": 1, /* the format */
    "assistants": {"forgotten": [{"scope": {"kind": "B2B"}}]}
  })");
  CHECK(c.engine.forgotten.at(0).scope.kind == ClientKind::b2b);
}

TEST_CASE("config.load.version") {
  SUBCASE("newer: one clear error, nothing else") {
    const auto r = try_load_config(R"({"version": 2, "brand_new_section": {}})");
    CHECK(texts(r) == std::vector<std::string>{
                          "/version: this file was written by a newer Nudge (version 2); this build reads up to version 1"});
  }
  SUBCASE("not a version") {
    CHECK(texts(try_load_config(R"({"version": "1"})")) ==
          std::vector<std::string>{"/version: expected a format version from 1 to 1, got \"1\""});
    CHECK(texts(try_load_config(R"({"version": 0})")) ==
          std::vector<std::string>{"/version: expected a format version from 1 to 1, got 0"});
    CHECK(texts(try_load_config(R"({"version": 1.5})")) ==
          std::vector<std::string>{"/version: expected a format version from 1 to 1, got 1.5"});
  }
  SUBCASE("huge") {
    const auto r = try_load_config(R"({"version": 18446744073709551615})");
    REQUIRE(r.errors.size() == 1);
    CHECK(r.errors[0].message.find("newer Nudge") != std::string::npos);
  }
}

TEST_CASE("config.load.not_an_object") {
  CHECK(texts(try_load_config("[1, 2]")) ==
        std::vector<std::string>{"/: expected a JSON object with \"version\": 1 at the top, got an array"});
  CHECK(texts(try_load_config("")).at(0).rfind("/: not valid JSON: ", 0) == 0);
}

TEST_CASE("config.load.json_pointer_escapes_keys") {
  const auto r = try_load_config(R"({"version": 1, "templates": {"a/b~c": {"en": {"body": "{nope}"}}}})");
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].path == "/templates/a~1b~0c/en/body");
}

TEST_CASE("config.load.unknown_key_without_a_near_match_lists_the_keys") {
  const auto r = try_load_config(R"({"version": 1, "options": {"parallelism": 4}})");
  CHECK(texts(r) == std::vector<std::string>{
                        "/options/parallelism: unknown key \"parallelism\"; expected one of: late_after, batch"});
}

TEST_CASE("config.load.missing_required_fields") {
  const auto r = try_load_config(R"({"version": 1,
    "pipelines": [{"stages": [{"kind": "won"}, {"id": "lost", "kind": "lost"}]}],
    "calendar": {"holidays": [{"name": "Someday"}]},
    "assistants": {"debtor": [{"ladder": [{"after": "1d"}]}]},
    "templates": {"x": {"en": {"subject": "no body"}}},
    "quiet_hours": {"sms": {"from": "21:00"}}})");
  CHECK(texts(r) == std::vector<std::string>{
                        "/pipelines/0/stages/0/id: missing; expected an id like \"lead\"",
                        "/pipelines/0/id: missing; expected an id like \"sales\"",  // a missing key sorts last in its object
                        "/calendar/holidays/0/on: missing; expected a date like \"December 25\", \"4th Thursday of "
                        "November\", \"last Monday of May\", \"Easter +1\" or \"2026-06-12\"",
                        "/assistants/debtor/0/ladder/0/id: missing; expected an id like \"remind\"",
                        "/templates/x/en/body: missing; expected the message text",
                        "/quiet_hours/sms/to: missing; expected a time of day like \"21:00\""});
}

TEST_CASE("config.load.file") {
  SUBCASE("missing file") {
    CHECK_THROWS_AS(load_config_file("/nonexistent/nudge.json"), configuration_error);
  }
  SUBCASE("save_config_file then load_config_file") {
    const auto path = std::filesystem::temp_directory_path() / "nudge_test_config_roundtrip.json";
    auto c = LoadedConfig::from(EngineConfig::defaults());
    c.quiet_hours[Channel::sms] = QuietHours::between(21h, 9h);
    save_config_file(c, path);
    CHECK(load_config_file(path) == c);
    std::filesystem::remove(path);
  }
}

TEST_CASE("config.load.syntax_errors_quote_raw_bytes_safely") {
  const auto r = try_load_config("{\"version\": 1, \"x\": \xff\x01}");
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].text().find('\xff') == std::string::npos);
  CHECK(detail::printable("ok \xd0\x96 \xff\xc0\x80 \x01") == "ok \xd0\x96 ??? ?");
}
}  // namespace nudge_config_test_load
