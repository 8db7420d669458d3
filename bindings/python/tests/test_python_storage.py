"""A storage written in Python runs the engine exactly as the in-memory one
does; what it does wrong is reported as a clean error, never a crash."""

from datetime import datetime

import pytest

import nudge
from nudge import ActivityKind
from conftest import BENCH_NOW, activity, at, client, deal, invoice, manager, only_forgotten, seed_forgotten, task
from pystore import DictStorage, DictWork


def seed_mixed(s):
    with s.begin() as w:
        w.put_manager(manager(1, "Head"))
        w.put_manager(manager(2, "Ivanova", 1))
        w.put_manager(manager(3, "Petrov", 1))
        for i in range(10, 20):
            w.put_client(client(i, f"client {i}", 2 if i % 2 else 3, "smb", at(2025, 1, 1)))
            w.add_activity(activity(100 + i, i, 2, ActivityKind.call_out, at(2026, 1 + i % 10, 1)))
        w.put_deal(deal(7, 10, 2, "lead", at(2026, 1, 1), 5000.0, 0.3))
        w.put_invoice(invoice(5, 11, 250.0, at(2026, 9, 1), at(2026, 9, 15)))
        w.put_task(task(1, 12, 3, at(2026, 11, 1)))


def outcome(engine, store, now):
    plan = engine.plan(store, now)
    return [(a.key, a.kind, a.explanation) for a in plan], [f.summary for f in plan.findings], \
        [(r.owner, r.open_deals, r.weighted) for r in plan.forecast]


def test_storage_python_runs_the_engine_like_memory_storage():
    mem, py = nudge.MemoryStorage(), DictStorage()
    seed_mixed(mem)
    seed_mixed(py)
    engine = nudge.Engine()
    expected = outcome(engine, mem, BENCH_NOW)
    assert len(expected[0]) > 5 and expected[2] == [(2, 1, pytest.approx(1500.0))]
    assert outcome(engine, py, BENCH_NOW) == expected

    r_mem, r_py = engine.apply(engine.plan(mem, BENCH_NOW), mem), engine.apply(engine.plan(py, BENCH_NOW), py)
    assert (r_py.applied, r_py.skipped, r_py.created_tasks) == (r_mem.applied, r_mem.skipped, r_mem.created_tasks)
    assert [m.key for m in py.outbox()] == [m.key for m in mem.outbox()]
    assert [r.action_key for r in py.audit_log()] == [r.action_key for r in mem.audit_log()]
    assert py.find_client(10).labels == mem.find_client(10).labels
    assert py.commits == 2  # the seed and the apply
    # exactly once: nothing is left to do at the same now
    assert [a for a in engine.plan(py, BENCH_NOW) if a.once] == []


def test_storage_python_forgotten_threshold_edges():
    s = DictStorage()
    last = at(2026, 8, 14, 10)
    seed_forgotten(s, last)
    e = nudge.Engine(only_forgotten())
    limit = datetime.fromtimestamp(last.timestamp() + 90 * 86400, last.tzinfo)
    assert len(e.plan(s, limit).findings) == 0
    p = e.plan(s, datetime.fromtimestamp(limit.timestamp() + 1, last.tzinfo))
    assert [f.since for f in p.findings] == [limit]


def test_storage_python_failed_apply_rolls_back():
    class FailingWork(DictWork):
        def do_append_audit(self, record):
            raise OSError("disk full")

    class Failing(DictStorage):
        def do_begin(self):
            return FailingWork(self)

    s = Failing()
    seed_forgotten(s, at(2026, 1, 1))
    e = nudge.Engine(only_forgotten())
    plan = e.plan(s, BENCH_NOW)
    with pytest.raises(OSError, match="disk full"):
        e.apply(plan, s)
    assert s.rollbacks == 1 and s.tasks_ == {} and s.actions_ == {} and s.audit_ == []
    assert s.find_client(10).labels == {}


def test_storage_python_errors_are_clean():
    class Wrong(DictStorage):
        def find_manager(self, id):
            return {"id": id}

    s = Wrong()
    with pytest.raises(nudge.StorageError, match=r"Python storage Wrong: find_manager\(\) must return a Manager or None, got dict"):
        with s.begin() as w:
            w.put_client(client(1, "a", 1))

    class Unsorted(DictStorage):
        def scan_clients(self):
            return [self.clients_[k] for k in sorted(self.clients_, reverse=True)]

    u = Unsorted()
    seed_mixed(u)
    with pytest.raises(nudge.StorageError, match=r"scan_clients\(\) must yield ascending ids, got 18 after 19"):
        nudge.Engine().plan(u, BENCH_NOW)

    class Missing(nudge.Storage):
        pass

    with pytest.raises(nudge.StorageError, match=r"managers\(\) is not implemented"):
        nudge.Engine().plan(Missing(), BENCH_NOW)

    class Raises(DictStorage):
        def scan_open_deals(self):
            raise RuntimeError("database is gone")

    r = Raises()
    seed_mixed(r)
    with pytest.raises(RuntimeError, match="database is gone"):
        nudge.Engine().plan(r, BENCH_NOW)


def test_storage_python_scan_shapes():
    class Views(DictStorage):
        def scan_clients(self):
            for k in sorted(self.clients_):
                yield (self.clients_[k], self.summarize(k))

        def scan_open_deals(self):
            return [nudge.DealView(d, 0, None) for _, d in sorted(self.deals_.items()) if d.is_open]

    s = Views()
    seed_mixed(s)
    assert outcome(nudge.Engine(), s, BENCH_NOW)[1] == outcome(nudge.Engine(), _seeded(), BENCH_NOW)[1]
    assert [c.id for c, _ in s.scan_clients()][:2] == [10, 11]  # called from Python: the method itself


def _seeded():
    m = nudge.MemoryStorage()
    seed_mixed(m)
    return m


@pytest.mark.skipif(not hasattr(nudge, "run_conformance"), reason="built without the conformance kit (doctest)")
def test_storage_conformance_python_dict_storage():
    ok, report = nudge.run_conformance(DictStorage)
    assert "test cases:" in report
    assert ok, report
    ok, report = nudge.run_conformance(nudge.MemoryStorage)
    assert ok, report


@pytest.mark.skipif(not hasattr(nudge, "run_conformance"), reason="built without the conformance kit (doctest)")
def test_storage_conformance_can_fail():
    class Forgetful(DictStorage):
        def do_begin(self):
            w = DictWork(self)
            w.do_rollback = lambda: None  # keeps what it should undo
            return w

    ok, report = nudge.run_conformance(Forgetful, "rollback_*")
    assert not ok
    assert "rollback_restores_everything" in report
