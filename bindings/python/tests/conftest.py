"""Builders mirroring tests/support/fixtures.hpp: fixed dates, never the wall clock."""

import signal
import time
from datetime import date, datetime, timedelta, timezone

import pytest

import nudge

UTC = timezone.utc
#: 2026-11-22T00:00:00Z, the baseline's NOW.
BENCH_NOW = datetime(2026, 11, 22, tzinfo=UTC)


def at(y, m, d, hh=0, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=UTC)


T0 = int(at(2025, 1, 1).timestamp())


def big_store(n):
    """n clients of manager 2 (supervisor 1), created 2025-01-01, loaded in bulk."""
    s = nudge.MemoryStorage()
    s.bulk_load(managers=[(1, "Head"), (2, "Ivanova", 1)],
                clients=((i, f"client {i}", 2, "smb", "B2B", T0) for i in range(1, n + 1)))
    return s


def long_enough(run, n, at_least=0.05, limit=3_200_000):
    """A big_store(n), doubling n until run(store) takes at least `at_least`
    seconds, so a signal can land inside it on any machine. Returns (store,
    result, seconds). A machine too fast even at `limit` clients fails the
    caller's test instead of skipping it."""
    while True:
        store = big_store(n)
        started = time.perf_counter()
        result = run(store)
        took = time.perf_counter() - started
        if took >= at_least or n >= limit:
            assert took >= at_least, f"{n} clients took only {took:.3f}s"
            return store, result, took
        n *= 2


def interrupted(run, after):
    """Calls run() with a KeyboardInterrupt raised by SIGALRM `after` seconds
    in. Returns (what run() returned: [] when it was stopped, the seconds until
    it stopped). Fails unless a KeyboardInterrupt came out of it."""
    def on_alarm(signum, frame):
        raise KeyboardInterrupt

    old = signal.signal(signal.SIGALRM, on_alarm)
    got = []
    started = time.perf_counter()
    try:
        with pytest.raises(KeyboardInterrupt):
            signal.setitimer(signal.ITIMER_REAL, after)
            got.append(run())
            time.sleep(5)  # only reached when run() finished before the signal
    finally:
        stopped = time.perf_counter() - started
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
    return got, stopped


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
