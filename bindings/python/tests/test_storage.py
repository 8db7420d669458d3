"""Mirrors tests/unit/storage/test_memory_storage.cpp, plus transactions as
context managers and the bulk loader."""

from datetime import datetime, timedelta, timezone

import pytest

import nudge
from nudge import ActivityKind, ContactPolicy
from conftest import activity, at, client, deal, manager, task


def seed(s):
    with s.begin() as w:
        w.put_manager(manager(1, "Ivanova"))
        w.put_manager(manager(2, "Petrov", 1))
        w.put_client(client(10, "Acme", 2))
        w.put_client(client(11, "Globex", 2, "retail"))
        w.add_activity(activity(100, 10, 2, ActivityKind.call_out, at(2026, 8, 14)))
        w.add_activity(activity(101, 10, 2, ActivityKind.call_missed, at(2026, 9, 1)))


def summary_of(s, client_id):
    return next(v.summary for v in s.scan_clients() if v.client.id == client_id)


def test_storage_memory_read_your_writes_and_commit(store):
    seed(store)
    assert store.find_client(10).name == "Acme"
    assert store.find_client(99) is None
    assert store.clients_of(2) == [10, 11]
    assert len(store.activities_of(10, at(2026, 8, 15))) == 1
    assert len(store.activities_of(10, at(2026, 1, 1))) == 2
    assert len(store.activities_of(10)) == 2


def test_storage_memory_summary_is_kept_current(store):
    seed(store)
    got = summary_of(store, 10)
    assert got.last_contact(ContactPolicy()) == at(2026, 8, 14)  # a missed call does not count
    assert got.last_contact(ContactPolicy.any_activity()) == at(2026, 9, 1)
    assert got == store.summarize(10)
    with store.begin() as w:
        tid = w.create_task(task(0, 10, 2, at(2026, 12, 1)))
    assert store.summarize(10).open_tasks == 1
    assert store.summarize(10).has_future_task(at(2026, 11, 30))
    done = store.find_task(tid)
    done.state = nudge.TaskState.done
    done.closed = at(2026, 10, 1)
    with store.begin() as w:
        w.put_task(done)
    after = summary_of(store, 10)
    assert after.open_tasks == 0
    assert after.last_contact(ContactPolicy()) == at(2026, 10, 1)  # a completed task counts


def test_storage_memory_rollback_restores_everything(store):
    seed(store)
    before = (store.find_client(10), store.scan_clients(), store.outbox(), store.audit_log())
    with pytest.raises(RuntimeError, match="boom"):
        with store.begin() as w:
            w.put_client(client(12, "Initech", 1))
            w.add_activity(activity(102, 12, 1, ActivityKind.email, at(2026, 10, 1)))
            w.reassign_client(10, 1)
            w.set_label(nudge.SubjectRef.client(11), "forgotten", "since 2026-08-14")
            w.create_task(task(0, 11, 2, at(2026, 12, 1)))
            w.put_deal(deal(7, 11, 2, "lead", at(2026, 9, 1)))
            assert w.claim_action("forgotten/client:11/x/0", at(2026, 11, 1))
            assert not w.claim_action("forgotten/client:11/x/0", at(2026, 11, 1))
            w.append_audit(nudge.AuditRecord(at=at(2026, 11, 1), action_key="k", rule="forgotten",
                                             subject=nudge.SubjectRef.client(11), action="label"))
            w.enqueue(nudge.Message(key="k/msg"))
            assert store.find_client(10).owner == 1  # visible inside the unit
            raise RuntimeError("boom")
    assert (store.find_client(10), store.scan_clients(), store.outbox(), store.audit_log()) == before
    assert store.find_client(12) is None and not store.has_action("forgotten/client:11/x/0")
    with store.begin():  # the store is free again
        pass


def test_storage_memory_exactly_once_keys_survive_commit(store):
    seed(store)
    with store.begin() as w:
        assert w.claim_action("a", at(2026, 11, 1))
    assert store.has_action("a")
    w = store.begin()
    assert not w.claim_action("a", at(2026, 11, 2))
    w.rollback()
    assert not w.active
    with pytest.raises(nudge.Conflict, match="rolled back"):
        w.commit()


def test_storage_memory_bad_references_name_the_field(store):
    seed(store)
    w = store.begin()
    with pytest.raises(nudge.NotFound, match="^client 20: owner: unknown manager 99$"):
        w.put_client(client(20, "X", 99))
    with pytest.raises(nudge.Conflict, match="^activity 100: id: already recorded$"):
        w.add_activity(activity(100, 10, 2, ActivityKind.email, at(2026, 1, 1)))
    with pytest.raises(nudge.NotFound, match="^reassign: to: unknown manager 77$"):
        w.reassign_client(10, 77)
    t = task(5, 10, 2, at(2026, 1, 1))
    t.planned_start = at(2026, 2, 1)
    with pytest.raises(nudge.InvalidArgument, match="^task 5: due"):
        w.put_task(t)
    with pytest.raises(nudge.NotFound):
        w.set_label(nudge.SubjectRef.deal(3), "x")
    with pytest.raises(nudge.Conflict):
        store.begin()  # one unit at a time
    with pytest.raises(nudge.InvalidArgument, match="^at: naive datetime"):
        w.claim_action("k", datetime(2026, 1, 1))


def test_storage_add_activities_checks_the_batch_first(store):
    seed(store)
    batch = [activity(200 + i, 10 + i % 2, 2, ActivityKind.email, at(2026, 10, 1 + i)) for i in range(20)]
    with store.begin() as w:
        with pytest.raises(nudge.NotFound, match="^activity 213: client: unknown client 99$"):
            w.add_activities(batch[:13] + [activity(213, 99, 2, ActivityKind.email, at(2026, 10, 1))])
        with pytest.raises(nudge.Conflict, match="^activity 201: id: given twice in one add_activities$"):
            w.add_activities(batch + [batch[1]])
        assert not store.has_activity(200)  # none of a refused batch
        w.add_activities(batch)
    assert all(store.has_activity(200 + i) for i in range(20))
    assert summary_of(store, 11).last_by_kind[int(ActivityKind.email)] == at(2026, 10, 20)
    assert len(store.activities_of(10)) == 2 + 10


def test_storage_memory_scans_in_id_order(store):
    with store.begin() as w:
        w.put_manager(manager(1, "A"))
        for i in range(50, 0, -1):
            w.put_client(client(i, "c", 1))
        for i in range(1, 11):
            w.put_deal(deal(i, i, 1, "lead", at(2026, 1, 1)))
        closed = deal(11, 1, 1, "won", at(2026, 1, 1))
        closed.status = nudge.DealStatus.won
        closed.closed = at(2026, 2, 1)
        w.put_deal(closed)
        t = task(1, 3, 1, at(2026, 3, 1))
        t.deal = 3
        w.put_task(t)
    ids = [v.client.id for v in store.scan_clients()]
    assert ids == list(range(1, 51))
    deals = store.scan_open_deals()
    assert len(deals) == 10
    assert [d.deal.id for d in deals if d.open_tasks] == [3]
    assert store.summarize(1).won_deals == [at(2026, 2, 1)]
    assert [t.id for t in store.scan_open_tasks()] == [1]


# ---- bulk load --------------------------------------------------------------------------

T0 = int(at(2026, 1, 1).timestamp())


def test_storage_bulk_load_tuples_in_one_unit(store):
    counts = store.bulk_load(
        managers=[(1, "Head"), (2, "Ivanova", 1)],
        clients=[(10, "Acme", 2, "smb", "B2B", T0), (11, "Globex", 2, ["retail", "smb"], nudge.ClientKind.b2c,
                                                     at(2026, 2, 1))],
        deals=[(7, 10, 2, "default", "lead", 1500.0, "EUR", 0.4, T0, T0, "open", None)],
        tasks=[(3, 10, 2, "call", T0 + 86400, "done", T0 + 3600, 7)],
        invoices=[(5, 11, 99.5, "USD", T0, T0 + 30 * 86400, None)],
        activities=[(100, 10, 2, "call_out", T0), (101, 11, 2, ActivityKind.email, at(2026, 3, 1)),
                    (102, 11, None, "fax", T0 + 1.5)])
    assert counts == {"managers": 2, "clients": 2, "deals": 1, "tasks": 1, "invoices": 1, "activities": 3}
    assert store.find_manager(2).supervisor == 1
    g = store.find_client(11)
    assert g.segments == ["retail", "smb"] and g.kind == nudge.ClientKind.b2c and g.created == at(2026, 2, 1)
    assert store.find_deal(7).amount == nudge.Money(150000, "EUR")
    assert store.find_task(3).state == nudge.TaskState.done and store.find_task(3).deal == 7
    acts = store.activities_of(11)
    assert [(a.kind, a.custom_kind) for a in acts] == [(ActivityKind.other, "fax"), (ActivityKind.email, "")]
    assert acts[0].at == at(2026, 1, 1, 0, 0) + timedelta(seconds=1)
    assert store.summarize(10).last_contact() == at(2026, 1, 1, 1)  # the task done at 01:00 counts


def test_storage_bulk_load_errors_name_row_and_column_and_roll_back(store):
    store.bulk_load(managers=[(1, "Head")])
    with pytest.raises(nudge.InvalidArgument, match=r"^clients\[1\]\.created: naive datetime"):
        store.bulk_load(clients=[(10, "Acme", 1, "smb", "B2B", T0), (11, "B", 1, "smb", "B2B", datetime(2026, 1, 1))])
    assert store.find_client(10) is None  # all or nothing
    with pytest.raises(nudge.NotFound, match=r"^activities\[0\]: activity 1: client: unknown client 99$"):
        store.bulk_load(activities=[(1, 99, 1, "email", T0)])
    with pytest.raises(nudge.InvalidArgument, match=r"^clients\[0\]\.kind: expected B2B or B2C, got 'B2G'"):
        store.bulk_load(clients=[(10, "Acme", 1, "smb", "B2G", T0)])
    with pytest.raises(nudge.InvalidArgument, match=r"^managers\[0\]: expected 2 to 4 columns"):
        store.bulk_load(managers=[(2,)])
    with pytest.raises(nudge.InvalidArgument, match=r"^clients\[0\]\.owner: expected an int"):
        store.bulk_load(clients=[(10, "Acme", "Head", "smb", "B2B", T0)])


def test_storage_bulk_load_accepts_records_and_generators(store):
    def clients():
        for i in range(1, 1001):
            yield (i, f"c{i}", 1, "smb", "B2B", T0 + i)
    counts = store.bulk_load(managers=[nudge.Manager(1, "Head")], clients=clients())
    assert counts["clients"] == 1000 and counts["managers"] == 1
    assert store.find_client(1000).created == datetime.fromtimestamp(T0 + 1000, timezone.utc)
