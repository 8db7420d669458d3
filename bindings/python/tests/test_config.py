"""Mirrors tests/unit/config/test_{load,broken,validate,save,example}.cpp: the
JSON configuration from Python -- load_config, validate_config, save_config,
ConfigurationError.issues, and an Engine built from a loaded file."""

import os
import pathlib
from datetime import timedelta

import pytest

import nudge
from conftest import BENCH_NOW, at, seed_forgotten

ROOT = pathlib.Path(os.environ.get("NUDGE_SOURCE_DIR", pathlib.Path(__file__).resolve().parents[3]))
FIXTURES = ROOT / "tests" / "fixtures" / "config"
EXAMPLE = FIXTURES / "example.json"
MAVEN = ROOT / "examples" / "config" / "maven.json"
BROKEN = sorted((FIXTURES / "broken").glob("*.json"))


def test_config_load_example_from_a_path():
    c = nudge.load_config(EXAMPLE)
    assert isinstance(c, nudge.LoadedConfig)
    assert c.engine.default_locale == "en"
    # templates: id -> locale -> MessageTemplate
    win_back = c.engine.templates["win_back"]
    assert set(win_back) == {"en", "ru"}
    assert win_back["en"].subject == "We miss you, {client}"
    assert win_back["ru"].subject == "{client}, мы скучаем"
    # quiet hours per channel
    assert c.quiet_hours == {
        nudge.Channel.sms: nudge.QuietHours("21:00", "09:00"),
        nudge.Channel.messenger: nudge.QuietHours(timedelta(hours=22), timedelta(hours=8)),
    }
    assert str(c.quiet_hours[nudge.Channel.sms]) == "21:00-09:00"
    # event rules: ids, kinds, and their JSON form
    assert [(r.id, r.on) for r in c.event_rules] == [
        ("handover", "task.reassigned"), ("missed_call_b2c", "call.missed"), ("negotiation_alert", "deal.stage_changed")]
    assert c.event_rules[0].to_dict() == {
        "id": "handover", "on": "task.reassigned",
        "actions": [{"action": "notify", "target": "assignee", "channel": "email", "template": "handover"}]}
    assert [r.action_count for r in c.event_rules] == [1, 2, 2]
    d = c.to_dict()
    assert d["quiet_hours"]["sms"] == {"from_": timedelta(hours=21), "to": timedelta(hours=9)}
    assert d["engine"]["default_locale"] == "en" and d["event_rules"][1]["id"] == "missed_call_b2c"


def test_config_load_from_text_str_path_and_bytes_agree():
    text = EXAMPLE.read_text(encoding="utf-8")
    by_path = nudge.load_config(EXAMPLE)
    assert nudge.load_config(str(EXAMPLE)) == by_path
    assert nudge.load_config(text) == by_path
    assert nudge.load_config(text.encode("utf-8")) == by_path
    one_line = '{"version": 1, "assistants": {"forgotten": [{"id": "f", "after": "60d"}]}}'
    c = nudge.load_config(one_line)
    assert [f.id for f in c.engine.forgotten] == ["f"] and c.engine.forgotten[0].after == nudge.Period.days(60)
    assert nudge.load_config('// a comment first\n{"version": 1}') == nudge.LoadedConfig()
    with pytest.raises(TypeError, match="load_config: expected JSON text"):
        nudge.load_config(42)


def test_config_broken_expected_messages():
    assert len(BROKEN) >= 20
    for f in BROKEN:
        expected = [l for l in f.with_suffix(".expected").read_text(encoding="utf-8").splitlines() if l]
        with pytest.raises(nudge.ConfigurationError) as e:
            nudge.load_config(f)
        assert [i.text() for i in e.value.issues] == expected, f.name
        assert [str(i) for i in e.value.issues] == expected
        lines = str(e.value).splitlines()
        assert lines[0] == f"invalid configuration ({f}): {len(expected)} problem{'' if len(expected) == 1 else 's'}"
        assert lines[1:] == expected
        # validate_config reports the same without raising
        assert [i.text() for i in nudge.validate_config(f)] == expected


def test_config_broken_all_errors_at_once():
    with pytest.raises(nudge.ConfigurationError) as e:
        nudge.load_config(FIXTURES / "broken" / "24-three-problems.json")
    err = e.value
    assert isinstance(err, nudge.Error) and isinstance(err, ValueError)
    assert [i.path for i in err.issues] == [
        "/assistants/forgotten/0/after", "/assistants/release/0/forgotten",
        "/assistants/stage_sla/0/ladder/0/target"]
    assert err.issues[0] == nudge.ConfigIssue(
        "/assistants/forgotten/0/after",
        'expected a duration like "90d", "36h" or "3 business days", got "ninety"')
    assert err.issues[0].to_dict()["path"] == "/assistants/forgotten/0/after"


def test_config_unreadable_file_is_a_configuration_error_without_issues(tmp_path):
    missing = tmp_path / "nope.json"
    with pytest.raises(nudge.ConfigurationError, match="nope.json': cannot be opened") as e:
        nudge.load_config(missing)
    assert e.value.issues == ()
    with pytest.raises(nudge.ConfigurationError, match="cannot be opened"):
        nudge.validate_config(missing)


def test_config_validate_built_in_code():
    c = nudge.EngineConfig(calendar=nudge.BusinessCalendar.weekdays("UTC"))
    c.forgotten = [nudge.ForgottenConfig(id="f"), nudge.ForgottenConfig(id="f")]
    issues = nudge.validate_config(c)
    assert len(issues) == 1 and issues[0].path == "/assistants/forgotten/1/id"
    assert "f" in issues[0].message
    assert nudge.validate_config(nudge.LoadedConfig(engine=nudge.EngineConfig.defaults())) == []
    assert nudge.validate_config(nudge.load_config(EXAMPLE)) == []


def test_config_validate_against_managers(store):
    c = nudge.load_config('{"version": 1, "assistants": {"forgotten": [{"id": "f", "scope": {"segments": ["smb"]}}]}}')
    assert nudge.validate_config(c, managers=[]) == [nudge.ConfigIssue(
        "/assistants/forgotten/0/scope/segments/0",
        'no active manager serves segment "smb" (there are no active managers)')]
    seed_forgotten(store, at(2026, 8, 14))  # managers 1 and 2 serve every segment ("*" by default)
    assert nudge.validate_config(c, managers=store) == []
    assert nudge.validate_config(c, managers=[nudge.Manager(1, "Head", segments=["retail"])])[0].message.startswith(
        'no active manager serves segment "smb" (served: "retail")')


def test_config_save_round_trip(tmp_path):
    c = nudge.load_config(EXAMPLE)
    text = nudge.save_config(c)
    assert text.startswith('{\n  "version": 1,')
    assert nudge.load_config(text) == c
    out = tmp_path / "saved.json"
    assert nudge.save_config(c, out) == text
    assert out.read_text(encoding="utf-8") == text
    assert nudge.load_config(out) == c
    # defaults are left out unless asked for
    minimal = nudge.save_config(nudge.LoadedConfig())
    assert minimal == '{\n  "version": 1\n}\n'
    full = nudge.save_config(nudge.LoadedConfig(), include_defaults=True)
    assert '"default_locale": "en"' in full and '"late_after"' in full
    assert nudge.load_config(full) == nudge.LoadedConfig()
    # an EngineConfig alone saves as a LoadedConfig holding it
    e = nudge.EngineConfig.defaults()
    assert nudge.load_config(nudge.save_config(e)).engine == e
    with pytest.raises(TypeError, match="expected a LoadedConfig or an EngineConfig"):
        nudge.save_config({"version": 1})


def test_config_edit_and_save(tmp_path):
    c = nudge.load_config(EXAMPLE)
    c.quiet_hours = {nudge.Channel.sms: nudge.QuietHours("22:00", "08:30")}
    rules = c.event_rules
    rules[0].enabled = False
    c.event_rules = rules
    back = nudge.load_config(nudge.save_config(c))
    assert back.quiet_hours == {nudge.Channel.sms: nudge.QuietHours(timedelta(hours=22), timedelta(hours=8, minutes=30))}
    assert back.event_rules[0].enabled is False and back.event_rules[0].to_dict()["enabled"] is False
    # a default locale without texts is saved, and refused when loaded: every template named
    c.engine.default_locale = "ru"
    with pytest.raises(nudge.ConfigurationError) as e:
        nudge.load_config(nudge.save_config(c))
    assert [i.path for i in e.value.issues] == [
        "/templates/" + t for t in ("dead_deal", "debtor_escalation", "neglected_task", "negotiation_alert",
                                    "sla_breach", "sla_warning")]
    assert all('no text for the default locale "ru"' in i.message for i in e.value.issues)


def test_config_quiet_hours_values():
    q = nudge.QuietHours("21:00", "09:00")
    assert q.from_ == timedelta(hours=21) and q.to == timedelta(hours=9)
    assert q.quiet_at("22:30") and q.quiet_at(timedelta(hours=3)) and not q.quiet_at("09:00")
    assert repr(q) == "QuietHours(from_='21:00', to='09:00')"
    assert not nudge.QuietHours("10:00", "10:00").quiet_at("10:00")
    with pytest.raises(nudge.InvalidArgument, match="QuietHours.from_"):
        nudge.QuietHours("25:99", "09:00")


def test_config_engine_from_a_loaded_config(store):
    seed_forgotten(store, at(2026, 8, 14))
    c = nudge.load_config(MAVEN)
    assert [p.id for p in c.engine.pipelines] == ["maven"]
    assert c.engine.calendar.time_zone == "America/Chicago"
    e = nudge.Engine(c)
    assert [a.id for a in e.assistants] == ["forgotten", "release", "churned", "dead_deal", "stage_sla",
                                            "no_next_step"]
    p = e.plan(store, BENCH_NOW)
    assert [(f.rule, f.subject.id) for f in p.findings] == [("forgotten", 10)]
    assert p.findings[0].fact("days") == 100
    assert e.config == c.engine


def test_config_engine_refuses_a_config_that_cannot_run():
    c = nudge.LoadedConfig(engine=nudge.EngineConfig.defaults())
    c.engine.templates = {"x": {"ru": nudge.MessageTemplate("s", "b")}}  # no default_locale ('en') text
    assert any(i.path.startswith("/templates/x") for i in nudge.validate_config(c))
    with pytest.raises(nudge.ConfigurationError, match="x"):
        nudge.Engine(c)
