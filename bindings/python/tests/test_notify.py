"""A Python callable is a notifier: the C++ dispatcher delivers the outbox
through it; a raise is a failed delivery (retried), Undeliverable a dead
letter, and Ctrl-C stops the pass."""

from datetime import timedelta

import pytest

import nudge
from nudge import DeliveryStatus
from conftest import BENCH_NOW, at
from pystore import DictStorage

pytestmark = pytest.mark.skipif(not hasattr(nudge, "dispatch"), reason="built without the notifier port")


def seed(store, keys=("m1", "m2", "m3")):
    with store.begin() as w:
        w.put_manager(nudge.Manager(1, "Head", email="head@example.com"))
        for k in keys:
            w.enqueue(nudge.Message(key=k, channel=nudge.Channel.email, subject=f"about {k}", body="...",
                                    to=nudge.Recipient(nudge.SubjectRef.manager(1), "head@example.com", "Head"),
                                    created=at(2026, 11, 21)))


def states(store):
    return {e.message.key: e.state for e in store.outbox_entries()}


@pytest.mark.parametrize("make", [nudge.MemoryStorage, DictStorage], ids=["memory", "python"])
def test_notify_python_callable_failures_are_failed_deliveries(make):
    store = make()
    seed(store)
    sent = []

    def notifier(m):
        if m.key == "m2":
            raise ConnectionError("gateway down")
        if m.key == "m3":
            raise nudge.Undeliverable("no such address")
        sent.append(m.key)

    r = nudge.dispatch(store, notifier, BENCH_NOW)
    assert (r.delivered, r.retried, r.dead) == (1, 1, 1)
    assert sent == ["m1"]
    s = states(store)
    assert s["m1"].status == DeliveryStatus.delivered and s["m1"].delivered_at == BENCH_NOW
    assert s["m2"].status == DeliveryStatus.pending and s["m2"].attempts == 1
    assert "ConnectionError: gateway down" in s["m2"].last_error and s["m2"].next_attempt > BENCH_NOW
    assert s["m3"].status == DeliveryStatus.dead and "no such address" in s["m3"].last_error
    assert [m.key for m in store.outbox()] == ["m2"]

    # before the backoff is over nothing is due; after it, m2 goes out
    assert nudge.dispatch(store, sent.append, BENCH_NOW).delivered == 0
    later = s["m2"].next_attempt + timedelta(seconds=1)
    assert nudge.dispatch(store, sent.append, later).delivered == 1
    assert [m.key for m in sent[1:]] == ["m2"] and store.outbox() == []


def test_notify_object_with_send_and_flush(store):
    seed(store, ["a"])

    class Gateway:
        def __init__(self):
            self.sent, self.flushed = [], 0

        def send(self, message):
            self.sent.append(message.subject)

        def flush(self):
            self.flushed += 1

    g = Gateway()
    r = nudge.dispatch(store, g, BENCH_NOW)
    assert r.delivered == 1 and g.sent == ["about a"]
    assert [o.kind for o in r.outcomes] == [nudge.DispatchOutcome.Kind.delivered]
    with pytest.raises(TypeError, match="expected a callable"):
        nudge.dispatch(store, object(), BENCH_NOW)


def test_notify_keyboard_interrupt_stops_the_pass(store):
    seed(store)
    calls = []

    def notifier(m):
        calls.append(m.key)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        nudge.dispatch(store, notifier, BENCH_NOW)
    assert calls == ["m1"]  # the others were not attempted
    assert all(st.status == DeliveryStatus.pending for st in states(store).values())
