"""Mirrors tests/unit/engine/test_report.cpp: manager and team reports from a
plan and its store, as dicts and by iteration."""

import pytest

import nudge
from conftest import BENCH_NOW, activity, at, client, deal, manager, task


def seed(store):
    """Head (1) supervises Ivanova (2) and Petrov (3). Acme (10) was last called
    in March: forgotten, and released to Head in the same plan."""
    with store.begin() as w:
        for m in (manager(1, "Head"), manager(2, "Ivanova", 1), manager(3, "Petrov", 1)):
            w.put_manager(m)
        w.put_client(client(10, "Acme", 2))
        w.put_client(client(11, "Beta", 2))
        w.put_client(client(12, "Gamma", 3))
        w.add_activity(activity(100, 10, 2, nudge.ActivityKind.call_out, at(2026, 3, 1)))
        w.add_activity(activity(101, 11, 2, nudge.ActivityKind.call_out, at(2026, 11, 20)))
        w.add_activity(activity(102, 12, 3, nudge.ActivityKind.call_out, at(2026, 11, 20)))
        w.put_task(task(1, 11, 2, at(2026, 11, 1)))   # overdue at BENCH_NOW
        w.put_task(task(2, 12, 3, at(2026, 12, 1)))   # not yet due
        w.put_deal(deal(1, 11, 2, "proposal", at(2026, 10, 1), 1000, 0.5))
        w.put_deal(deal(2, 12, 3, "proposal", at(2026, 11, 1), 2000, 0.25))
        eur = deal(3, 12, 3, "contract", at(2026, 11, 1), 500, 1.0)
        eur.amount = nudge.Money.from_decimal(500, "EUR")
        w.put_deal(eur)


Pipeline = nudge.ManagerReport.Pipeline


def test_report_manager_figures(store):
    seed(store)
    plan = nudge.Engine().plan(store, BENCH_NOW)
    reports = nudge.Reports(plan, store)
    assert len(reports) == 3 and reports.managers == [1, 2, 3] and reports.now == BENCH_NOW
    iva = reports[2]
    assert (iva.manager, iva.name, iva.members) == (2, "Ivanova", [2])
    assert iva.findings == {"forgotten": 1, "neglected_task": 1, "no_next_step": 1, "release": 1}
    assert (iva.clients, iva.open_tasks, iva.overdue_tasks, iva.sla_breaches) == (2, 1, 1, 0)
    assert (iva.released_in, iva.released_out) == (0, 1)
    assert iva.pipeline == {"USD": Pipeline(open_deals=1, amount_cents=100000, weighted=500.0)}
    assert iva.deals_by_stage == {"proposal": 1}
    pet = reports.manager(3)
    assert pet.findings == {"neglected_task": 1, "no_next_step": 2}
    assert (pet.clients, pet.open_tasks, pet.overdue_tasks) == (1, 1, 0)
    assert pet.pipeline["EUR"] == Pipeline(open_deals=1, amount_cents=50000, weighted=500.0)
    assert pet.pipeline["USD"].weighted == 500.0
    head = reports[1]
    assert (head.clients, head.released_in, head.findings) == (0, 1, {})


def test_report_team_sums_everyone_below(store):
    seed(store)
    reports = nudge.Reports(nudge.Engine().plan(store, BENCH_NOW), store)
    team = reports.team(1)
    assert team.members == [1, 2, 3]
    assert team.findings == {"forgotten": 1, "neglected_task": 2, "no_next_step": 3, "release": 1}
    assert (team.clients, team.open_tasks, team.overdue_tasks) == (3, 2, 1)
    assert (team.released_in, team.released_out) == (1, 1)  # inside the team: in and out both count
    assert team.pipeline == {"EUR": Pipeline(open_deals=1, amount_cents=50000, weighted=500.0),
                             "USD": Pipeline(open_deals=2, amount_cents=300000, weighted=1000.0)}
    assert team.deals_by_stage == {"contract": 1, "proposal": 2}
    assert reports.teams() == [team]          # only Head supervises anyone
    assert reports.team(2) == reports[2]      # a team of one


def test_report_dicts_and_iteration(store):
    seed(store)
    reports = nudge.Reports(nudge.Engine().plan(store, BENCH_NOW), store)
    assert [r.name for r in reports] == ["Head", "Ivanova", "Petrov"]
    d = reports.to_dict()
    assert sorted(d) == [1, 2, 3]
    assert d[3]["pipeline"]["EUR"] == {"open_deals": 1, "amount_cents": 50000, "weighted": 500.0}
    assert d[2] == reports[2].to_dict() and d[2]["findings"]["forgotten"] == 1
    assert repr(reports) == "<Reports at 2026-11-22T00:00:00Z: 3 managers>"
    with pytest.raises(nudge.NotFound, match="no manager with id 99"):
        reports[99]
    assert reports.manager(99).clients == 0  # the C++ behaviour: zeros for an unknown id


def test_report_applied_releases_count_since(store):
    seed(store)
    engine = nudge.Engine()
    engine.apply(engine.plan(store, BENCH_NOW), store)        # Acme goes to Head
    later = engine.plan(store, at(2026, 11, 23))
    assert not [a for a in later if a.kind == nudge.ActionKind.reassign]
    month = nudge.Reports(later, store, since=at(2026, 11, 1))
    assert (month[2].released_out, month[1].released_in) == (1, 1)
    assert month[1].clients == 1                               # Head owns Acme now
    assert nudge.Reports(later, store, since=at(2026, 11, 23))[2].released_out == 0
    with pytest.raises(nudge.InvalidArgument, match="since: naive datetime"):
        nudge.Reports(later, store, since=at(2026, 11, 1).replace(tzinfo=None))
