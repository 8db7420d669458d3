"""Ctrl-C (KeyboardInterrupt) stops a long plan cleanly, and a load rolls back."""

import signal
import time

import pytest

import nudge
from conftest import BENCH_NOW, at
from pystore import DictStorage

T0 = int(at(2025, 1, 1).timestamp())


def big_store(n):
    s = nudge.MemoryStorage()
    s.bulk_load(managers=[(1, "Head"), (2, "Ivanova", 1)],
                clients=((i, f"client {i}", 2, "smb", "B2B", T0) for i in range(1, n + 1)))
    return s


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
    store = big_store(100_000)
    engine = nudge.Engine()
    started = time.perf_counter()
    full = engine.plan(store, BENCH_NOW)
    took = time.perf_counter() - started
    assert len(full.findings) >= 100_000
    if took < 0.05:
        pytest.skip(f"the plan took {took:.3f}s: too fast to interrupt reliably")

    def on_alarm(signum, frame):
        raise KeyboardInterrupt

    old = signal.signal(signal.SIGALRM, on_alarm)
    got = []
    try:
        with pytest.raises(KeyboardInterrupt):
            signal.setitimer(signal.ITIMER_REAL, took / 10)
            got.append(engine.plan(store, BENCH_NOW))
            time.sleep(5)  # only reached when the plan finished before the signal
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
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
