"""Mirrors tests/unit/engine/test_progress.cpp: Engine.plan(store, now,
progress=...) reports each scanned batch; returning False stops the plan with
nudge.Cancelled; client_count gives the total (also from a Python storage)."""

import pytest

import nudge
from conftest import BENCH_NOW, at, big_store
from pystore import DictStorage


def test_progress_reports_each_batch_with_the_total():
    store = big_store(3000)
    assert store.client_count() == 3000
    seen = []
    plan = nudge.Engine().plan(store, BENCH_NOW, progress=lambda p: seen.append((p.stage, p.done, p.total)))
    # the bindings scan in batches of 1,024 (so Ctrl-C is checked often); the last call closes the stage
    assert seen == [("clients", 0, 3000), ("clients", 1024, 3000), ("clients", 2048, 3000), ("clients", 3000, 3000),
                    ("deals", 0, 0), ("invoices", 0, 0), ("tasks", 0, 0)]
    assert len(plan.findings) == 6000  # forgotten + release for each: the plan is whole


def test_progress_false_cancels():
    store = big_store(2000)
    calls = []

    def stop_at_deals(p):
        calls.append(p.stage)
        return p.stage != "deals"

    with pytest.raises(nudge.Cancelled, match="plan: cancelled while at deals") as e:
        nudge.Engine().plan(store, BENCH_NOW, progress=stop_at_deals)
    assert isinstance(e.value, nudge.Error)
    assert calls == ["clients", "clients", "clients", "deals"]
    # run() = plan + apply: a cancelled plan applies nothing
    with pytest.raises(nudge.Cancelled):
        nudge.Engine().run(store, BENCH_NOW, progress=lambda p: False)
    assert store.audit_log() == [] and store.outbox() == []
    # None and True go on
    assert len(nudge.Engine().plan(store, BENCH_NOW, progress=lambda p: None).findings) == 4000
    assert len(nudge.Engine().plan(store, BENCH_NOW, progress=lambda p: True).findings) == 4000


def test_apply_progress_and_cancel():
    store = big_store(3000)
    engine = nudge.Engine()
    plan = engine.plan(store, BENCH_NOW)
    total = len(plan.actions)
    assert total > 4096
    seen = []

    def stop_after_first(p):
        seen.append((p.stage, p.done, p.total))
        return p.done == 0

    with pytest.raises(nudge.Cancelled, match="apply: cancelled while at actions"):
        engine.apply(plan, store, progress=stop_after_first)
    assert seen == [("actions", 0, total), ("actions", 4096, total)]
    assert store.audit_log() == [] and store.outbox() == []  # rolled back: nothing written
    assert not any(store.has_actions([a.key for a in plan.actions]))
    seen.clear()
    result = engine.apply(plan, store, progress=lambda p: seen.append(p.done))
    assert result.applied == total
    assert seen[0] == 0 and seen[-1] == total and seen[1] == 4096
    assert len(store.audit_log()) == total
    with pytest.raises(ValueError, match="progress bar broke"):
        engine.apply(plan, store, progress=lambda p: (_ for _ in ()).throw(ValueError("progress bar broke")))


def test_progress_callable_errors_propagate():
    store = big_store(10)

    def broken(p):
        raise ValueError("progress bar broke")

    with pytest.raises(ValueError, match="progress bar broke"):
        nudge.Engine().plan(store, BENCH_NOW, progress=broken)
    with pytest.raises(TypeError, match="progress: expected a callable"):
        nudge.Engine().plan(store, BENCH_NOW, progress=42)
    with pytest.raises(nudge.InvalidArgument, match="now: naive datetime"):
        nudge.Engine().plan(store, BENCH_NOW.replace(tzinfo=None), progress=print)


def seeded(cls):
    s = cls()
    with s.begin() as w:
        w.put_manager(nudge.Manager(1, "Head"))
        for i in (1, 2, 3):
            w.put_client(nudge.Client(i, f"c{i}", 1, created=at(2025, 1, 1)))
    return s


def test_progress_python_storage_client_count_is_optional():
    totals = []
    plain = seeded(DictStorage)
    assert plain.client_count() == 0  # the port's default: unknown
    nudge.Engine().plan(plain, BENCH_NOW, progress=lambda p: totals.append((p.stage, p.done, p.total)))
    assert totals[:2] == [("clients", 0, 0), ("clients", 3, 0)]

    class Counting(DictStorage):
        def client_count(self):
            return len(self.clients_)

    counting = seeded(Counting)
    totals.clear()
    nudge.Engine().plan(counting, BENCH_NOW, progress=lambda p: totals.append((p.stage, p.done, p.total)))
    assert totals[:2] == [("clients", 0, 3), ("clients", 3, 3)]

    class Wrong(DictStorage):
        def client_count(self):
            return -1

    with pytest.raises(nudge.StorageError, match=r"client_count\(\) must return a non-negative int, got int"):
        nudge.Engine().plan(seeded(Wrong), BENCH_NOW, progress=print)


def test_progress_record():
    p = nudge.Progress("clients", 5, 10)
    assert p.to_dict() == {"stage": "clients", "done": 5, "total": 10}
    assert repr(p) == "Progress(stage='clients', done=5, total=10)"
