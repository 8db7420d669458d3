"""Mirrors tests/unit/engine/test_forgotten.cpp, plus the plan as Python sees it."""

from datetime import datetime, timedelta

import pytest

import nudge
from conftest import BENCH_NOW, at, only_forgotten, seed_forgotten, task


def test_engine_forgotten_threshold_edges(store):
    last = at(2026, 8, 14, 10)
    seed_forgotten(store, last)
    e = nudge.Engine(only_forgotten())
    limit = last + timedelta(days=90)
    assert len(e.plan(store, limit - timedelta(seconds=1)).findings) == 0
    assert len(e.plan(store, limit).findings) == 0
    p = e.plan(store, limit + timedelta(seconds=1))
    assert len(p.findings) == 1
    assert p.findings[0].rule == "forgotten"
    assert p.findings[0].since == limit


def test_engine_forgotten_explanation_names_rule_subject_facts_threshold(store):
    seed_forgotten(store, at(2026, 8, 14))
    p = nudge.Engine(only_forgotten()).plan(store, at(2026, 11, 22))
    assert len(p.findings) == 1
    f = p.findings[0]
    assert str(f) == "client 'Acme' forgotten: last contact 2026-08-14 (100 days ago), limit 90 days, owner Ivanova"
    assert f.fact("days") == 100 and f.fact("last_contact") == at(2026, 8, 14) and f.fact("nope") is None
    text = p.explain()
    assert "[forgotten]" in text and "task for Ivanova" in text and "label client 10 'forgotten'" in text
    assert str(p) == text == nudge.explain(p)


def test_engine_forgotten_future_task_exempts(store):
    seed_forgotten(store, at(2026, 1, 1))
    e = nudge.Engine(only_forgotten())
    now = at(2026, 11, 22)
    assert len(e.plan(store, now).findings) == 1
    with store.begin() as w:
        w.put_task(task(1, 10, 2, now + timedelta(days=10)))  # the client is on holiday: call in 10 days
    assert len(e.plan(store, now).findings) == 0
    assert len(e.plan(store, now + timedelta(days=11)).findings) == 1  # the task is overdue now


def test_engine_forgotten_dry_run_has_no_side_effects_and_apply_is_exactly_once(store):
    seed_forgotten(store, at(2026, 1, 1))
    e = nudge.Engine(only_forgotten())
    now = at(2026, 11, 22)
    before = (store.scan_clients(), store.audit_log(), store.outbox(), store.scan_open_tasks())
    p = e.plan(store, now)
    assert (store.scan_clients(), store.audit_log(), store.outbox(), store.scan_open_tasks()) == before
    assert len(p) == 2  # task + label
    r = e.apply(p, store)
    assert r.applied == 2
    assert store.find_client(10).has_label("forgotten")
    assert len(store.tasks_of(10, open_only=True)) == 1
    r2 = e.apply(p, store)  # the same plan again: the task is not created twice
    assert (r2.applied, r2.skipped) == (1, 1)
    assert len(store.tasks_of(10, True)) == 1
    assert len(e.plan(store, now).actions) == 0
    assert len(e.plan(store, now + timedelta(days=5)).actions) == 0
    audit = store.audit_log(nudge.SubjectRef.client(10))
    assert [a.action for a in audit] == ["create_task", "set_label", "set_label"]
    assert audit[0].facts[1].name == "days"


def test_engine_plan_is_iterable_printable_and_convertible(store):
    seed_forgotten(store, at(2026, 1, 1))
    p = nudge.Engine(only_forgotten()).plan(store, BENCH_NOW)
    kinds = [a.kind for a in p]
    assert kinds == [nudge.ActionKind.create_task, nudge.ActionKind.set_label]
    task_action = p.actions[0]
    assert repr(task_action).startswith("Action(kind=create_task, rule='forgotten', subject=client:10, key='forgotten/client:10/")
    assert str(task_action).startswith('task for Ivanova: "Call Acme: no contact for')
    assert p.finding_of(task_action).rule == "forgotten"
    assert p.finding_of(p.actions[1]) is None
    assert repr(p) == "<Plan at 2026-11-22T00:00:00Z: 1 findings, 2 actions, 0 notes>"
    d = p.to_dict()
    assert d["now"] == BENCH_NOW
    assert d["actions"][0]["kind"] == "create_task"
    assert d["actions"][0]["task"]["assignee"] == 2
    assert d["actions"][1]["finding"] is None
    assert d["findings"][0]["facts"]["days"] == 325
    assert d["findings"][0]["subject"] == {"kind": "client", "id": 10}
    assert [f.rule for f in p.findings_of("forgotten")] == ["forgotten"]
    # the lists are views of the plan, not copies
    p.actions[0].explanation = "changed"
    assert p.actions[0].explanation == "changed"


def test_engine_forecast_weighted_per_owner(store):
    with store.begin() as w:
        w.put_manager(nudge.Manager(1, "Head"))
        w.put_client(nudge.Client(10, "Acme", 1, created=at(2026, 1, 1)))
        for i, (amount, p) in enumerate([(1000.0, 0.5), (3000.0, 0.1)], start=1):
            w.put_deal(nudge.Deal(id=i, client=10, owner=1, stage="lead", opened=at(2026, 11, 1),
                                  stage_entered=at(2026, 11, 1), amount=nudge.Money.from_decimal(amount, "EUR"),
                                  probability=p))
    plan = nudge.Engine(nudge.EngineConfig()).plan(store, BENCH_NOW)
    assert [r.to_dict() for r in plan.forecast] == [
        {"owner": 1, "currency": "EUR", "open_deals": 2, "amount_cents": 400000, "weighted": pytest.approx(800.0)}]


def test_engine_naive_now_is_rejected_naming_the_argument(store):
    with pytest.raises(nudge.InvalidArgument, match="^now: naive datetime 2026-11-22 00:00:00"):
        nudge.Engine().plan(store, datetime(2026, 11, 22))
    with pytest.raises(TypeError, match="^now: expected a time-zone aware datetime.datetime, got str"):
        nudge.Engine().plan(store, "2026-11-22")
