"""A Python callable is a notifier: the C++ dispatcher delivers the outbox
through it; a raise is a failed delivery (retried), Undeliverable a dead
letter, and Ctrl-C stops the pass."""

import io
import json
import os
import pathlib
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
    # nothing recorded: the message in flight counts no attempt either
    assert [(st.status, st.attempts) for st in states(store).values()] == [(DeliveryStatus.pending, 0)] * 3
    # the next pass delivers all three
    assert nudge.dispatch(store, lambda m: None, BENCH_NOW).delivered == 3


# ---- nudge.Dispatcher and the built-in notifiers ------------------------------------------

def message(key, channel=nudge.Channel.email, to=nudge.SubjectRef.manager(1), created=None, **kw):
    return nudge.Message(key=key, channel=channel, subject=f"about {key}", body="line 1\nline 2",
                         to=nudge.Recipient(to, "head@example.com", "Head"), created=created or at(2026, 11, 21), **kw)


def seed_messages(store, *messages):
    with store.begin() as w:
        w.put_manager(nudge.Manager(1, "Head", email="head@example.com"))
        w.put_client(nudge.Client(10, "Acme", 1, created=at(2025, 1, 1), time_zone="Europe/Moscow",
                                  phone="+7 900 000-00-00"))
        for m in messages:
            w.enqueue(m)


@pytest.mark.parametrize("make", [nudge.MemoryStorage, DictStorage], ids=["memory", "python"])
def test_notify_dispatcher_collecting(make):
    store = make()
    seed_messages(store, message("a"), message("b"))
    c = nudge.CollectingNotifier()
    d = nudge.Dispatcher(store, c)
    assert d.notifier is c and d.store is store and d.options.retry.max_attempts == 8
    r = d.run(BENCH_NOW)
    assert (r.delivered, r.retried, r.dead, r.deferred) == (2, 0, 0, 0)
    assert [o.key for o in r] == ["a", "b"] and len(r) == 2
    assert [m.key for m in c.messages] == ["a", "b"] and len(c) == 2 and [m.key for m in c] == ["a", "b"]
    assert states(store)["b"].delivered_at == BENCH_NOW
    assert d.run(BENCH_NOW).delivered == 0  # delivery is final
    c.clear()
    assert len(c) == 0 and repr(c) == "<CollectingNotifier: 0 messages>"
    assert c.deliver(message("x")) == nudge.DeliveryResult(ok=True, error="", permanent=False)


def test_notify_json_lines_to_a_path(store, tmp_path):
    seed_messages(store, message("a"), message("b", channel=nudge.Channel.other, custom_channel="telegram"))
    out = tmp_path / "outbox.jsonl"
    n = nudge.JsonLinesNotifier(out)
    assert n.path == str(out)
    assert nudge.Dispatcher(store, n).run(BENCH_NOW).delivered == 2
    lines = out.read_text(encoding="utf-8").splitlines()
    rows = [json.loads(l) for l in lines]
    assert [(r["key"], r["channel"], r["to"], r["recipient"]) for r in rows] == [
        ("a", "email", "head@example.com", "manager:1"), ("b", "telegram", "head@example.com", "manager:1")]
    assert rows[0]["body"] == "line 1\nline 2" and rows[0]["created"] == "2026-11-21T00:00:00Z"
    assert lines[0] == nudge.message_json_line(message("a"))
    with pytest.raises(nudge.Error, match="cannot open"):
        nudge.JsonLinesNotifier(tmp_path / "no" / "such" / "dir.jsonl")


def test_notify_print_to_a_file_or_stdout(store, capsys):
    seed_messages(store, message("a"))
    buf = io.StringIO()
    nudge.dispatch(store, nudge.PrintNotifier(buf), BENCH_NOW)
    text = buf.getvalue()
    assert text == nudge.message_text(message("a"))
    assert text == "[email] key=a to manager:1 Head <head@example.com>\n  about a\n  line 1\n  line 2\n"
    n = nudge.PrintNotifier()
    assert n.file is None
    assert n.deliver(message("z")).ok
    assert capsys.readouterr().out.startswith("[email] key=z to manager:1")

    class Full:
        def write(self, s):
            raise OSError("disk full")

    r = nudge.PrintNotifier(Full()).deliver(message("y"))
    assert (r.ok, r.error, r.permanent) == (False, "OSError: disk full", False)
    with pytest.raises(TypeError, match="write"):
        nudge.PrintNotifier(42)


def test_notify_routing_by_channel_and_python_failures(store):
    seed_messages(store, message("mail"), message("sms", channel=nudge.Channel.sms),
                  message("bot", channel=nudge.Channel.other, custom_channel="telegram"),
                  message("chat", channel=nudge.Channel.messenger))
    mail, bots = nudge.CollectingNotifier(), []

    def sms_gateway(m):
        raise ConnectionError("gateway down")

    router = nudge.RoutingNotifier().route(nudge.Channel.email, mail).route(nudge.Channel.sms, sms_gateway)
    assert router.route("telegram", bots.append) is router
    r = nudge.Dispatcher(store, router).run(BENCH_NOW)
    assert (r.delivered, r.retried, r.dead) == (2, 1, 1)
    assert [m.key for m in mail.messages] == ["mail"] and [m.key for m in bots] == ["bot"]
    s = states(store)
    assert s["sms"].status == DeliveryStatus.pending and s["sms"].last_error == "ConnectionError: gateway down"
    assert s["sms"].next_attempt == BENCH_NOW + timedelta(minutes=1)
    assert s["chat"].status == DeliveryStatus.dead
    assert s["chat"].last_error == "routing: no notifier for channel 'messenger'"
    # a fallback takes what no route does
    later = nudge.CollectingNotifier()
    router.fallback(later).route(nudge.Channel.sms, later)
    assert nudge.Dispatcher(store, router).run(BENCH_NOW + timedelta(minutes=2)).delivered == 1
    assert [m.key for m in later.messages] == ["sms"]


def test_notify_routing_keyboard_interrupt_stops_the_pass(store):
    seed_messages(store, message("a", channel=nudge.Channel.sms), message("b"))
    mail = nudge.CollectingNotifier()

    def sms(m):
        raise KeyboardInterrupt

    router = nudge.RoutingNotifier().route(nudge.Channel.sms, sms).fallback(mail)
    with pytest.raises(KeyboardInterrupt):
        nudge.Dispatcher(store, router).run(BENCH_NOW)
    assert len(mail) == 0
    assert [(st.status, st.attempts) for st in states(store).values()] == [(DeliveryStatus.pending, 0)] * 2


def test_notify_quiet_hours_from_the_configuration(store):
    root = pathlib.Path(os.environ.get("NUDGE_SOURCE_DIR", pathlib.Path(__file__).resolve().parents[3]))
    cfg = nudge.load_config(root / "tests" / "fixtures" / "config" / "example.json")
    opts = nudge.DispatcherOptions.from_config(cfg)
    assert opts.time_zone == "Europe/Berlin"
    assert opts.quiet_hours[nudge.Channel.sms] == nudge.QuietHours("21:00", "09:00")
    to_client = nudge.SubjectRef.client(10)  # Acme is in Europe/Moscow (UTC+3)
    seed_messages(store, message("night", channel=nudge.Channel.sms, to=to_client), message("mail", to=to_client))
    c = nudge.CollectingNotifier()
    d = nudge.Dispatcher(store, c, opts)
    evening = at(2026, 11, 22, 20)  # 23:00 in Moscow
    morning = at(2026, 11, 23, 6)   # 09:00 in Moscow
    assert d.allowed_at(message("x", channel=nudge.Channel.sms, to=to_client), evening) == morning
    r = d.run(evening)
    assert (r.delivered, r.deferred) == (1, 1)
    deferred = [o for o in r if o.kind == nudge.DispatchOutcome.Kind.deferred]
    assert [(o.key, o.next_attempt, o.attempts) for o in deferred] == [("night", morning, 0)]
    assert d.run(morning - timedelta(minutes=1)).delivered == 0
    assert d.run(morning).delivered == 1 and [m.key for m in c.messages] == ["mail", "night"]


def test_notify_dispatcher_options():
    o = nudge.DispatcherOptions(time_zone="Europe/Berlin", batch=10,
                                quiet_hours={nudge.Channel.sms: nudge.QuietHours("22:00", "07:00")})
    assert (o.time_zone, o.batch, o.max_per_run) == ("Europe/Berlin", 10, 100000)
    assert o.to_dict()["quiet_hours"] == {"sms": {"from_": timedelta(hours=22), "to": timedelta(hours=7)}}
    assert o.retry.delay(3) == timedelta(minutes=4)
    with pytest.raises(TypeError, match="unexpected keyword argument 'zone'"):
        nudge.DispatcherOptions(zone="UTC")
    with pytest.raises(nudge.InvalidArgument, match="Mars/Base"):
        nudge.Dispatcher(nudge.MemoryStorage(), print, nudge.DispatcherOptions(time_zone="Mars/Base"))
    with pytest.raises(TypeError, match="must be a nudge.Storage"):
        nudge.Dispatcher({}, print)
