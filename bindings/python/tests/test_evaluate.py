"""Engine.evaluate gives the figures of plan()'s findings as Hits, the same on
any number of threads; a Watch keeps them current as facts change and time
passes, and always equals a fresh evaluate."""

import threading
import time
from datetime import datetime, timedelta

import pytest

import nudge
from nudge import ActivityKind
from conftest import BENCH_NOW, activity, at, big_store, client, interrupted, long_enough, manager
from pystore import DictStorage
from test_assistant import VipSilence, seed as seed_vip
from test_python_storage import seed_mixed


def finding_keys(plan):
    return sorted((f.rule, str(f.subject), f.since) for f in plan.findings)


def hit_keys(hits):
    return sorted((h.assistant, str(h.subject), h.since) for h in hits)


def without_to(hits):
    """Watch hits carry no proposed manager (release picks are the plan's business)."""
    out = []
    for h in hits:
        d = h.to_dict()
        del d["to"]
        out.append(d)
    return out


def test_evaluate_agrees_with_plan_findings(store):
    seed_mixed(store)
    engine = nudge.Engine()
    plan = engine.plan(store, BENCH_NOW)
    ev = engine.evaluate(store, BENCH_NOW)
    assert isinstance(ev, nudge.Evaluation) and len(ev) == len(plan.findings) == 21
    assert hit_keys(ev) == finding_keys(plan)
    assert ev.now == BENCH_NOW
    assert ev.assistants == ["forgotten", "release", "churned", "unpaid", "debtor", "dead_deal", "stage_sla",
                             "no_next_step", "neglected_task"]
    # Real figures.
    forgotten = ev.of("forgotten")
    assert [h.client for h in forgotten] == list(range(10, 18))
    first = forgotten[0]
    assert (first.subject, first.owner, first.since, first.anchor) == (
        nudge.SubjectRef.client(10), 3, at(2026, 4, 1), at(2026, 1, 1))
    assert (first.assistant, first.assistant_index, first.to, first.count, first.cents, first.seconds, first.over) == (
        "forgotten", 0, None, 0, 0, 0, timedelta(0))
    (debtor,) = ev.of("debtor")
    assert (debtor.subject, debtor.client, debtor.since, debtor.anchor, debtor.cents) == (
        nudge.SubjectRef.invoice(5), 11, at(2026, 9, 15), at(2026, 9, 15), 25000)
    (dead,) = ev.of("dead_deal")
    assert (dead.subject, dead.since, dead.cents) == (nudge.SubjectRef.deal(7), at(2026, 5, 1), 500000)
    # Release hits carry the manager a plan would hand the client to.
    release = ev.of("release")
    assert [(h.client, h.to) for h in release] == [(10, 1), (11, 1), (12, 1), (13, 1), (14, 2), (15, 3), (16, 2),
                                                   (17, 3)]
    reassigned = {a.client: a.to for a in plan if a.kind == nudge.ActionKind.reassign}
    assert reassigned == {h.client: h.to for h in release}
    assert ev.of("nobody") == []
    # The forecast is plan's.
    assert isinstance(ev.forecast, nudge.ForecastList)
    assert [r.to_dict() for r in ev.forecast] == [r.to_dict() for r in plan.forecast]
    assert [(r.owner, r.currency, r.open_deals, r.amount_cents) for r in ev.forecast] == [(2, "USD", 1, 500000)]


def test_evaluate_same_hits_on_two_threads_and_small_batches(store):
    seed_mixed(store)
    engine = nudge.Engine()
    one = engine.evaluate(store, BENCH_NOW)
    two = engine.evaluate(store, BENCH_NOW, threads=2)
    tiny = engine.evaluate(store, BENCH_NOW, threads=2, batch=3)
    assert one.hits == two.hits == tiny.hits and len(one.hits) == 21
    assert one.to_dict() == two.to_dict() == tiny.to_dict()


def test_evaluate_hits_are_values(store):
    seed_mixed(store)
    ev = nudge.Engine().evaluate(store, BENCH_NOW)
    hits = list(ev)
    assert hits == ev.hits and hits[0] != hits[1]
    assert len(set(hits)) == len(hits) and hits[0] in set(ev.hits)
    assert repr(hits[0]).startswith("Hit(assistant='forgotten', subject=SubjectRef.client(10), client=10, owner=3, ")
    assert hits[0].to_dict() == {
        "assistant": "forgotten", "subject": {"kind": "client", "id": 10}, "client": 10, "owner": 3,
        "since": at(2026, 4, 1), "anchor": at(2026, 1, 1), "count": 0, "cents": 0, "seconds": 0, "to": None,
        "assistant_index": 0}
    with pytest.raises(AttributeError):
        hits[0].cents = 5
    assert repr(ev) == "<Evaluation at 2026-11-22T00:00:00Z: 21 hits of 9 assistants, 1 forecast row>"
    d = ev.to_dict()
    assert d["now"] == BENCH_NOW and len(d["hits"]) == 21 and d["forecast"][0]["owner"] == 2


def test_evaluate_rejects_bad_arguments(store):
    engine = nudge.Engine()
    with pytest.raises(nudge.InvalidArgument, match="now: naive datetime"):
        engine.evaluate(store, datetime(2026, 11, 22))
    with pytest.raises(nudge.InvalidArgument, match="threads must be at least 1"):
        engine.evaluate(store, BENCH_NOW, threads=0)
    with pytest.raises(nudge.InvalidArgument, match="batch must be at least 1"):
        engine.evaluate(store, BENCH_NOW, batch=0)
    with pytest.raises(TypeError):
        engine.evaluate(store, BENCH_NOW, 2)  # threads is keyword-only


def test_evaluate_progress_and_cancel(store):
    seed_mixed(store)
    engine = nudge.Engine()
    heard = []
    engine.evaluate(store, BENCH_NOW, threads=2, batch=4, progress=heard.append)
    clients = [(p.done, p.total) for p in heard if p.stage == "clients"]
    assert clients[0] == (0, 10) and clients[-1] == (10, 10) and len(clients) >= 4
    assert {p.stage for p in heard} >= {"clients", "deals", "invoices", "tasks"}
    with pytest.raises(nudge.Cancelled, match="evaluate: cancelled while at clients"):
        engine.evaluate(store, BENCH_NOW, progress=lambda p: False)

    def boom(p):
        raise ZeroDivisionError("from progress")

    with pytest.raises(ZeroDivisionError, match="from progress"):
        engine.evaluate(store, BENCH_NOW, threads=2, progress=boom)


def test_evaluate_python_storage_same_hits_on_one_and_two_threads():
    mem, py = nudge.MemoryStorage(), DictStorage()
    seed_mixed(mem)
    seed_mixed(py)
    engine = nudge.Engine()
    expected = engine.evaluate(mem, BENCH_NOW)
    assert engine.evaluate(py, BENCH_NOW).hits == expected.hits
    assert engine.evaluate(py, BENCH_NOW, threads=2, batch=2).hits == expected.hits


def test_evaluate_python_assistant_through_the_default_test(store):
    seed_vip(store)
    engine = nudge.Engine(nudge.EngineConfig())  # no built-in assistants
    vip = VipSilence()
    engine.add(vip)
    now = at(2026, 11, 22)
    plan = engine.plan(store, now)
    ev = engine.evaluate(store, now)
    assert hit_keys(ev) == finding_keys(plan) == [("vip_silence", "client:10", at(2026, 11, 17))]
    (h,) = ev
    # The default test keeps what inspect's Finding says: no anchor (the epoch), no count.
    assert (h.assistant, h.client, h.owner, h.since, h.anchor, h.count, h.cents) == (
        "vip_silence", 10, 2, at(2026, 11, 17), datetime.fromtimestamp(0, nudge.UTC), 0, 0)
    # Several threads call it under the GIL, on a C++ and on a Python store.
    assert engine.evaluate(store, now, threads=2, batch=1).hits == ev.hits
    py = DictStorage()
    seed_vip(py)
    assert engine.evaluate(py, now, threads=2, batch=1).hits == ev.hits
    # Only the client in scope was inspected each time.
    assert set(vip.seen) == {10}

    # A Watch tests it again at every move (a Python assistant varies with time).
    watch = nudge.Watch(engine, store, now)
    assert watch.hits() == ev.hits
    with store.begin() as w:
        w.add_activity(activity(102, 10, 2, ActivityKind.call_out, now + timedelta(hours=1)))
    watch.touch(10)
    changes = watch.advance(now + timedelta(hours=2))
    assert changes.ended == [h] and changes.started == [] and watch.hits() == []
    later = now + timedelta(days=8, hours=2)  # a week after the call: silent again
    changes = watch.advance(later)
    assert [(x.client, x.since) for x in changes.started] == [(10, now + timedelta(days=7, hours=1))]
    assert watch.hits() == engine.evaluate(store, later).hits


def test_watch_on_threads_calls_python_assistants_and_gives_the_same_changes(store):
    seed_vip(store)
    with store.begin() as w:  # more VIP clients, so that every move is cut into slices
        for i in range(20, 40):
            c = client(i, f"vip {i}", 2)
            c.labels = {"vip": "key account"}
            w.put_client(c)
            w.add_activity(activity(200 + i, i, 2, ActivityKind.call_out, at(2026, 11, 1 + i % 20)))
    engine = nudge.Engine(nudge.EngineConfig())
    vip = VipSilence()
    engine.add(vip)
    now = at(2026, 11, 22)
    one = nudge.Watch(engine, store, now)
    two = nudge.Watch(engine, store, now, threads=2, min_slice=1)
    assert two.hits() == one.hits() == engine.evaluate(store, now).hits
    assert len(one.hits()) > 5
    for day in range(1, 12):
        at_ = now + timedelta(days=day)
        with store.begin() as w:
            for i in range(20 + day, 40, 4):
                w.add_activity(activity(1000 * day + i, i, 2, ActivityKind.email, at_ - timedelta(hours=1)))
                one.touch(i, "activity")
                two.touch(i, "activity")
        a, b = one.advance(at_), two.advance(at_)
        assert (b.started, b.ended, b.clients_tested) == (a.started, a.ended, a.clients_tested)
        assert two.hits() == one.hits() == engine.evaluate(store, at_).hits
    assert set(vip.seen) >= set(range(20, 40))

    # Over a store written in Python the watch reads on this thread only.
    py = DictStorage()
    seed_vip(py)
    assert nudge.Watch(engine, py, now, threads=2, min_slice=1).hits() == engine.evaluate(py, now).hits


def seed_watch(s):
    """Acme (10) forgotten since 2026-04-05; Globex (11) becomes forgotten on 2026-11-28."""
    with s.begin() as w:
        w.put_manager(manager(1, "Head"))
        w.put_manager(manager(2, "Ivanova", 1))
        w.put_client(client(10, "Acme", 2))
        w.put_client(client(11, "Globex", 2))
        w.add_activity(activity(100, 10, 2, ActivityKind.call_out, at(2026, 1, 5)))
        w.add_activity(activity(101, 11, 2, ActivityKind.call_out, at(2026, 8, 30)))


def only_forgotten_engine():
    config = nudge.EngineConfig(calendar=nudge.BusinessCalendar.weekdays("UTC"))
    config.forgotten = [nudge.ForgottenConfig(after=nudge.Period.days(90))]
    return nudge.Engine(config)


def test_watch_touch_ends_a_hit_and_equals_a_fresh_evaluate(store):
    seed_watch(store)
    engine = only_forgotten_engine()
    watch = nudge.Watch(engine, store)
    assert watch.now is None and repr(watch) == "<Watch at (not reset): 1 assistant, 0 pending>"
    watch.reset(BENCH_NOW)
    assert watch.now == BENCH_NOW and watch.assistants == ["forgotten"]
    (acme,) = watch.hits()
    assert (acme.assistant, acme.client, acme.since, acme.anchor) == ("forgotten", 10, at(2026, 4, 5), at(2026, 1, 5))
    assert watch.hits() == engine.evaluate(store, BENCH_NOW).hits
    assert watch.pending == 1  # Globex's deadline
    assert repr(watch) == "<Watch at 2026-11-22T00:00:00Z: 1 assistant, 1 pending>"

    # Acme is called: no longer forgotten.
    call = BENCH_NOW + timedelta(hours=1)
    with store.begin() as w:
        w.add_activity(activity(102, 10, 2, ActivityKind.call_in, call))
    watch.touch(10)
    changes = watch.advance(call + timedelta(hours=1))
    assert isinstance(changes, nudge.WatchChanges) and changes
    assert changes.ended == [acme] and changes.started == [] and changes.clients_tested == 1
    assert watch.hits() == [] == engine.evaluate(store, watch.now).hits
    assert watch.pending == 2  # both clients now have a deadline

    # Nothing to do until Globex's deadline ...
    quiet = watch.advance(at(2026, 11, 27))
    assert not quiet and quiet.clients_tested == 0
    # ... after which it is forgotten, found without touching it.
    changes = watch.advance(at(2026, 11, 29))
    assert [(h.client, h.since, h.anchor) for h in changes.started] == [(11, at(2026, 11, 28), at(2026, 8, 30))]
    assert changes.ended == [] and changes.clients_tested == 1
    assert watch.hits() == engine.evaluate(store, at(2026, 11, 29)).hits
    assert changes.to_dict()["started"][0]["client"] == 11


def test_watch_equals_evaluate_with_every_assistant(store):
    seed_mixed(store)
    engine = nudge.Engine()
    watch = nudge.Watch(engine, store, BENCH_NOW)
    assert without_to(watch.hits()) == without_to(engine.evaluate(store, BENCH_NOW).hits)
    with store.begin() as w:
        w.add_activity(activity(500, 12, 2, ActivityKind.meeting, BENCH_NOW + timedelta(minutes=5)))
        w.put_task(nudge.Task(id=2, client=13, assignee=2, due=at(2026, 12, 1), title="call"))
    watch.touch(12)
    watch.touch(13)
    later = BENCH_NOW + timedelta(days=40)
    changes = watch.advance(later)
    ended = {(h.assistant, h.client) for h in changes.ended}
    assert {("forgotten", 12), ("release", 12)} <= ended
    assert without_to(watch.hits()) == without_to(engine.evaluate(store, later).hits)


class Flaky(VipSilence):
    """VipSilence that raises for client 10 while armed."""

    def __init__(self):
        super().__init__()
        self.armed = False

    def inspect_client(self, ctx, view):
        if self.armed and view.client.id == 10:
            raise ZeroDivisionError("flaky at client 10")
        return super().inspect_client(ctx, view)


def test_watch_that_raised_part_way_wants_a_reset(store):
    seed_vip(store)
    engine = nudge.Engine(nudge.EngineConfig())
    flaky = Flaky()
    engine.add(flaky)
    now = at(2026, 11, 22)
    watch = nudge.Watch(engine, store, now, threads=2, min_slice=1)
    flaky.armed = True
    with pytest.raises(ZeroDivisionError, match="flaky at client 10"):
        watch.advance(now + timedelta(days=1))
    with pytest.raises(nudge.Conflict, match="failed part way; reset"):
        watch.advance(now + timedelta(days=2))
    with pytest.raises(nudge.Conflict, match="failed part way"):
        watch.hits()
    flaky.armed = False
    watch.reset(now + timedelta(days=2))
    assert watch.hits() == engine.evaluate(store, now + timedelta(days=2)).hits != []


def test_watch_errors(store):
    seed_watch(store)
    engine = only_forgotten_engine()
    watch = nudge.Watch(engine, store)
    with pytest.raises(nudge.Conflict, match="reset"):
        watch.advance(BENCH_NOW)
    watch.reset(BENCH_NOW)
    with pytest.raises(nudge.InvalidArgument, match="before the last move"):
        watch.advance(BENCH_NOW - timedelta(seconds=1))
    with pytest.raises(nudge.InvalidArgument, match="now: naive datetime"):
        watch.advance(datetime(2026, 12, 1))
    with pytest.raises(TypeError, match="engine must be a nudge.Engine"):
        nudge.Watch(store, store)
    with pytest.raises(nudge.InvalidArgument, match="threads must be at least 1, got 0"):
        nudge.Watch(engine, store, threads=0)
    with pytest.raises(nudge.InvalidArgument, match="min_slice must be at least 1, got -3"):
        nudge.Watch(engine, store, threads=2, min_slice=-3)
    engine.add(VipSilence())
    with pytest.raises(nudge.Conflict, match="assistants were added"):
        watch.advance(at(2026, 12, 1))


def test_watch_touch_says_what_changed(store):
    seed_watch(store)
    engine = only_forgotten_engine()
    watch = nudge.Watch(engine, store, BENCH_NOW)
    (acme,) = watch.hits()
    call = BENCH_NOW + timedelta(hours=1)
    with store.begin() as w:
        w.add_activity(activity(102, 10, 2, ActivityKind.call_in, call))
    # The call told as a deal change: the forgotten assistant reads no deal, so
    # it does not look again (the host's mistake) ...
    watch.touch(10, "deal")
    changes = watch.advance(call + timedelta(hours=1))
    assert not changes and changes.clients_tested == 1 and watch.hits() == [acme]
    # ... told as an activity (here with a task, as a list) it ends the hit, as a fresh evaluate says.
    watch.touch(10, ["activity", "task"])
    changes = watch.advance(call + timedelta(hours=2))
    assert changes.ended == [acme] and watch.hits() == [] == engine.evaluate(store, watch.now).hits
    # "none" and an empty iterable mark nothing; None and "all" mean anything may have changed.
    watch.touch(11, "none")
    watch.touch(11, ())
    assert watch.advance(call + timedelta(hours=3)).clients_tested == 0
    watch.touch(11, None)
    watch.touch(10, "all")
    watch.touch(10, {"client", "invoice"})
    assert watch.advance(call + timedelta(hours=4)).clients_tested == 2


def test_watch_touch_refuses_bad_kinds(store):
    seed_watch(store)
    watch = nudge.Watch(only_forgotten_engine(), store, BENCH_NOW)
    with pytest.raises(nudge.InvalidArgument, match="unknown kind 'activities' \\(one of client, activity, task, deal, "
                       "invoice, all, none\\)"):
        watch.touch(10, "activities")
    with pytest.raises(ValueError, match="unknown kind 'Deal'"):
        watch.touch(10, ["activity", "Deal"])
    with pytest.raises(TypeError, match="what must be None, a kind's name or an iterable of names, got int"):
        watch.touch(10, 2)
    with pytest.raises(TypeError, match="what must be None, a kind's name or an iterable of names, got bytes"):
        watch.touch(10, b"deal")
    with pytest.raises(TypeError, match="expected a kind's name \\(str\\), got int"):
        watch.touch(10, ["activity", 4])
    # Nothing was marked by the refused touches.
    assert watch.advance(BENCH_NOW + timedelta(hours=1)).clients_tested == 0


def test_watch_keeps_engine_and_store_alive():
    store = nudge.MemoryStorage()
    seed_watch(store)
    watch = nudge.Watch(only_forgotten_engine(), store, BENCH_NOW)
    del store
    import gc
    gc.collect()
    assert len(watch.hits()) == 1 and isinstance(watch.engine, nudge.Engine)
    assert watch.store.find_client(10).name == "Acme"


@pytest.fixture(scope="module")
def big():
    return big_store(200_000)


def test_evaluate_releases_the_gil_over_a_cpp_store(big):
    engine = nudge.Engine()
    stamps, stop = [], threading.Event()

    def spin():
        while not stop.is_set():
            stamps.append(time.perf_counter())
            time.sleep(0.0005)

    t = threading.Thread(target=spin)
    t.start()
    try:
        time.sleep(0.01)
        begin = time.perf_counter()
        ev = engine.evaluate(big, BENCH_NOW, threads=2)
        end = time.perf_counter()
    finally:
        stop.set()
        t.join()
    assert len(ev) == 400_000  # every client forgotten, and released
    margin = (end - begin) / 5
    assert any(begin + margin < x < end - margin for x in stamps)  # the other thread ran meanwhile


def test_evaluate_interrupt_signal_stops_it():
    engine = nudge.Engine()
    store, full, took = long_enough(lambda s: engine.evaluate(s, BENCH_NOW, batch=1024), 200_000)
    assert len(full) >= 200_000
    got, stopped = interrupted(lambda: engine.evaluate(store, BENCH_NOW, batch=1024), took / 10)
    assert got == []
    assert stopped < took * 0.6  # stopped inside evaluate (the GIL released), not after it
    assert len(engine.evaluate(store, BENCH_NOW)) == len(full)


def test_watch_over_a_python_storage_equals_evaluate():
    py = DictStorage()
    seed_mixed(py)
    engine = nudge.Engine()
    watch = nudge.Watch(engine, py, BENCH_NOW)
    later = BENCH_NOW + timedelta(days=30)
    watch.advance(later)
    assert len(watch.hits()) == 23
    assert without_to(watch.hits()) == without_to(engine.evaluate(py, later).hits)


def test_plan_the_same_on_several_threads():
    mem, py = nudge.MemoryStorage(), DictStorage()
    seed_mixed(mem)
    seed_mixed(py)
    engine = nudge.Engine()
    one = engine.plan(mem, BENCH_NOW).to_dict()
    assert len(one["actions"]) > 5
    assert engine.plan(mem, BENCH_NOW, threads=2).to_dict() == one
    assert engine.plan(mem, BENCH_NOW, None, threads=3).to_dict() == one
    # A storage written in Python plans on one thread: the same plan.
    assert engine.plan(py, BENCH_NOW, threads=2).to_dict() == one
    with pytest.raises(nudge.InvalidArgument, match="plan: threads must be at least 1, got 0"):
        engine.plan(mem, BENCH_NOW, threads=0)


def test_plan_asks_a_python_storage_for_applied_keys_in_runs():
    class Batched(DictStorage):
        def __init__(self):
            super().__init__()
            self.calls, self.keys = 0, 0

        def has_actions(self, keys):
            self.calls += 1
            self.keys += len(keys)
            return [self.has_action(k) for k in keys]

    mem, py = nudge.MemoryStorage(), Batched()
    seed_mixed(mem)
    seed_mixed(py)
    engine = nudge.Engine()
    want = engine.plan(mem, BENCH_NOW).to_dict()
    assert engine.plan(py, BENCH_NOW).to_dict() == want
    due = sum(len(f["due_steps"]) for f in want["findings"])
    assert due > 5 and py.keys == due
    assert 1 <= py.calls < due  # a run of findings per call, not a key

    class Short(DictStorage):
        def has_actions(self, keys):
            return [False] * (len(keys) - 1)

    short = Short()
    seed_mixed(short)
    with pytest.raises(nudge.StorageError, match=r"has_actions\(\) must return one bool per key"):
        engine.plan(short, BENCH_NOW)


def test_has_actions_of_cpp_stores(tmp_path):
    for store in (nudge.MemoryStorage(), nudge.SqliteStorage(str(tmp_path / "k.db"))):
        with store.begin() as w:
            w.put_manager(manager(1, "Head"))
            assert w.claim_action("forgotten/client:1/x/remind", at(2026, 11, 1))
            assert store.has_actions(["forgotten/client:1/x/remind", "nope"]) == [True, False]
        keys = ["nope", "forgotten/client:1/x/remind", "", "forgotten/client:1/x/remind"]
        assert store.has_actions(keys) == [store.has_action(k) for k in keys] == [False, True, False, True]
        assert store.has_actions([]) == []


def test_plan_python_assistant_on_two_threads(store):
    # The worker threads take the GIL to call the assistant, which the
    # calling thread let go of for the plan over a C++ store.
    seed_vip(store)
    engine = nudge.Engine(nudge.EngineConfig())
    engine.add(VipSilence())
    now = at(2026, 11, 22)
    one = engine.plan(store, now)
    assert finding_keys(one) == [("vip_silence", "client:10", at(2026, 11, 17))]
    assert engine.plan(store, now, threads=2).to_dict() == one.to_dict()
