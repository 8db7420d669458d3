"""Ctrl-C (KeyboardInterrupt) stops a long plan cleanly, and a load rolls back."""

import pytest

import nudge
from conftest import BENCH_NOW, T0, at, big_store, interrupted, long_enough
from pystore import DictStorage


def test_interrupt_python_storage_scan_raising_keyboard_interrupt():
    class Interrupted(DictStorage):
        def scan_clients(self):
            yield from list(super().scan_clients())[:1]
            raise KeyboardInterrupt

    s = Interrupted()
    with s.begin() as w:
        w.put_manager(nudge.Manager(1, "Head"))
        w.put_client(nudge.Client(1, "a", 1, created=at(2025, 1, 1)))
        w.put_client(nudge.Client(2, "b", 1, created=at(2025, 1, 1)))
    with pytest.raises(KeyboardInterrupt):
        nudge.Engine().plan(s, BENCH_NOW)
    assert s.commits == 1 and s.rollbacks == 0


def test_interrupt_signal_during_a_long_plan_stops_it():
    engine = nudge.Engine()
    store, full, took = long_enough(lambda s: engine.plan(s, BENCH_NOW), 100_000)
    assert len(full.findings) >= 100_000
    got, _ = interrupted(lambda: engine.plan(store, BENCH_NOW), took / 10)
    assert got == []  # stopped inside the plan
    again = engine.plan(store, BENCH_NOW)  # nothing was left half-done
    assert len(again.findings) == len(full.findings) and len(again) == len(full)


def test_interrupt_during_bulk_load_rolls_back():
    store = big_store(10)

    def rows():
        for i in range(100, 200_000):
            if i == 150_000:
                raise KeyboardInterrupt
            yield (i, "c", 2, "smb", "B2B", T0)

    with pytest.raises(KeyboardInterrupt):
        store.bulk_load(clients=rows())
    assert store.find_client(100) is None and len(store.scan_clients()) == 10
    with store.begin():
        pass  # the unit of work was closed


def test_interrupt_python_assistant_raising_keyboard_interrupt(store):
    class Stop(nudge.Assistant):
        def inspect_client(self, ctx, view):
            raise KeyboardInterrupt

    s = big_store(3)
    with pytest.raises(KeyboardInterrupt):
        nudge.Engine(nudge.EngineConfig()).add(Stop("stop")).plan(s, BENCH_NOW)
