"""Builders mirroring tests/support/fixtures.hpp: fixed dates, never the wall clock."""

from datetime import date, datetime, timedelta, timezone

import pytest

import nudge

UTC = timezone.utc
#: 2026-11-22T00:00:00Z, the baseline's NOW.
BENCH_NOW = datetime(2026, 11, 22, tzinfo=UTC)


def at(y, m, d, hh=0, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=UTC)


def manager(id, name, sup=None):
    return nudge.Manager(id, name, sup)


def client(id, name, owner, segment="smb", created=None):
    return nudge.Client(id, name, owner, [segment], created=created or at(2025, 1, 1))


def activity(id, client, mgr, kind, when):
    return nudge.Activity(id, client, mgr, kind, at=when)


def task(id, client, assignee, due):
    return nudge.Task(id=id, client=client, assignee=assignee, due=due, title="call back")


def deal(id, client, owner, stage, opened, amount=1000.0, probability=0.5):
    return nudge.Deal(id=id, client=client, owner=owner, stage=stage, opened=opened, stage_entered=opened,
                      amount=nudge.Money.from_decimal(amount, "USD"), probability=probability)


def invoice(id, client, amount, issued, due):
    return nudge.Invoice(id=id, client=client, amount=nudge.Money.from_decimal(amount, "USD"), issued=issued, due=due)


def only_forgotten(after=None):
    config = nudge.EngineConfig(calendar=nudge.BusinessCalendar.weekdays("UTC"))
    config.forgotten = [nudge.ForgottenConfig(after=after or nudge.Period.days(90))]
    return config


def seed_forgotten(store, last_contact):
    """Head (1) supervises Ivanova (2), who owns Acme (10), last called at `last_contact`."""
    with store.begin() as w:
        w.put_manager(manager(1, "Head"))
        w.put_manager(manager(2, "Ivanova", 1))
        w.put_client(client(10, "Acme", 2, "smb", at(2025, 1, 1)))
        w.add_activity(activity(100, 10, 2, nudge.ActivityKind.call_out, last_contact))


@pytest.fixture
def store():
    return nudge.MemoryStorage()


__all__ = ["UTC", "BENCH_NOW", "at", "date", "timedelta", "manager", "client", "activity", "task", "deal",
           "invoice", "only_forgotten", "seed_forgotten"]
