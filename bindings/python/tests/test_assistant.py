"""A Python assistant plugs into the engine like a built-in one: the engine
gives it the ladder, the exactly-once keys, labels and the audit."""

import gc
from datetime import timedelta

import pytest

import nudge
from nudge import Feed, LadderStep, Period, StepAction, Target
from conftest import BENCH_NOW, activity, at, client, deal, manager


class VipSilence(nudge.Assistant):
    """VIP clients not called for a week: a task for the owner, then a note to the supervisor."""

    label = "silent_vip"

    def __init__(self):
        super().__init__("vip_silence", nudge.Scope(labels=["vip"]), [
            LadderStep("call", after=Period.days(0), title="Call {client}: VIP silent for {days} days"),
            LadderStep("complain", after=Period.days(3), action=StepAction.notify, target=Target.supervisor)])
        self.seen = []

    def inspect_client(self, ctx, view):
        self.seen.append(view.client.id)
        last = view.summary.last_contact() or view.client.created
        if ctx.now - last <= timedelta(days=7):
            return None
        f = self.make_finding(view.client, last + timedelta(days=7), last.isoformat(),
                              f"VIP '{view.client.name}' not called since {last.date()}, owner {ctx.manager_name(view.client.owner)}")
        f.facts = {"last_contact": last, "days": ctx.days_since(last)}
        return f


def seed(s):
    with s.begin() as w:
        w.put_manager(manager(1, "Head"))
        w.put_manager(manager(2, "Ivanova", 1))
        vip = client(10, "Acme", 2)
        vip.labels = {"vip": ""}
        w.put_client(vip)
        w.put_client(client(11, "Globex", 2))  # not a VIP: out of scope
        w.add_activity(activity(100, 10, 2, nudge.ActivityKind.call_out, at(2026, 11, 10)))
        w.add_activity(activity(101, 11, 2, nudge.ActivityKind.call_out, at(2026, 1, 10)))


def test_assistant_python_plugin_gets_ladder_keys_labels_and_audit(store):
    seed(store)
    engine = nudge.Engine(nudge.EngineConfig())  # no built-in assistants
    a = VipSilence()
    engine.add(a)
    assert [x.id for x in engine.assistants] == ["vip_silence"] and engine.assistants[0].feed == Feed.clients

    assert engine.plan(store, at(2026, 11, 17)).findings_of("vip_silence") == []  # exactly a week: not yet
    plan = engine.plan(store, at(2026, 11, 18))
    assert a.seen[-1] == 10 and 11 not in a.seen  # the scope filtered Globex out
    [f] = plan.findings
    assert f.summary == "VIP 'Acme' not called since 2026-11-10, owner Ivanova"
    assert f.label == "silent_vip" and f.due_steps == ["call"]
    assert [(x.kind, x.key) for x in plan] == [
        (nudge.ActionKind.create_task, "vip_silence/client:10/2026-11-10T00:00:00+00:00/call"),
        (nudge.ActionKind.set_label, "label/silent_vip/client:10/set")]
    assert plan.actions[0].task.title == "Call Acme: VIP silent for 8 days"
    engine.apply(plan, store)
    assert store.find_client(10).labels == {"vip": "", "silent_vip": ""}

    later = engine.plan(store, BENCH_NOW)  # four days on: only the complaint is new
    assert [x.step for x in later] == ["complain"]
    assert later.actions[0].message.to.who == nudge.SubjectRef.manager(1)
    engine.apply(later, store)
    assert [r.action for r in store.audit_log()] == ["create_task", "set_label", "notify"]
    assert store.audit_log()[0].rule == "vip_silence"
    assert len(engine.plan(store, BENCH_NOW)) == 0


def test_assistant_python_plugin_is_kept_alive_by_the_engine(store):
    seed(store)
    engine = nudge.Engine(nudge.EngineConfig())
    engine.add(VipSilence())
    gc.collect()
    assert len(engine.plan(store, BENCH_NOW).findings) == 1


def test_assistant_python_deal_feed_sees_client_info_and_the_store(store):
    seen = {}

    class BigDeal(nudge.Assistant):
        def __init__(self):
            super().__init__("big_deal", ladder=[LadderStep("alert", action=StepAction.notify,
                                                            target=Target.supervisor)])

        def inspect_deal(self, ctx, info, view):
            seen["store"] = ctx.store
            seen["info"] = (info.id, info.owner, info.segments, ctx.client(info.id).labels)
            if view.deal.amount.cents < 1_000_000:
                return None
            return nudge.Finding(rule=self.id, subject=nudge.SubjectRef.deal(view.deal.id), client=info.id,
                                 owner=view.deal.owner, episode="big", since=view.deal.opened,
                                 summary=f"deal {view.deal.id} is big: {view.deal.amount}",
                                 facts=[("amount", str(view.deal.amount))])

    seed(store)
    with store.begin() as w:
        w.put_deal(deal(7, 10, 2, "lead", at(2026, 11, 1), 20000.0))
        w.put_deal(deal(8, 11, 2, "lead", at(2026, 11, 1), 20.0))
    engine = nudge.Engine(nudge.EngineConfig()).add(BigDeal())
    plan = engine.plan(store, BENCH_NOW)
    assert seen["store"] is store
    assert seen["info"] == (11, 2, ["smb"], {})
    assert [f.summary for f in plan.findings] == ["deal 7 is big: 20000.00 USD"]
    assert plan.findings[0].fact("amount") == "20000.00 USD"
    assert plan.actions[0].key == "big_deal/deal:7/big/alert"


def test_assistant_python_plugin_errors_are_clean(store):
    seed(store)

    class WrongType(nudge.Assistant):
        def inspect_client(self, ctx, view):
            return "forgotten!"

    with pytest.raises(nudge.InvalidArgument, match=r"assistant 'wrong': inspect_client\(\) must return a Finding or None, got str"):
        nudge.Engine(nudge.EngineConfig()).add(WrongType("wrong")).plan(store, BENCH_NOW)

    class Raises(nudge.Assistant):
        def inspect_client(self, ctx, view):
            raise ZeroDivisionError("bug in the rule")

    with pytest.raises(ZeroDivisionError, match="bug in the rule"):
        nudge.Engine(nudge.EngineConfig()).add(Raises("raises")).plan(store, BENCH_NOW)

    kept = []

    class Keeps(nudge.Assistant):
        def inspect_client(self, ctx, view):
            kept.append(ctx)

    nudge.Engine(nudge.EngineConfig()).add(Keeps("keeps")).plan(store, BENCH_NOW)
    with pytest.raises(nudge.Conflict, match="used after the assistant's call returned"):
        kept[0].now

    with pytest.raises(nudge.ConfigurationError, match="define one of inspect_client"):
        nudge.Engine(nudge.EngineConfig()).add(nudge.Assistant("empty")).plan(store, BENCH_NOW)

    with pytest.raises(nudge.InvalidArgument, match="duplicate 'forgotten'"):
        nudge.Engine().add(nudge.ForgottenAssistant(nudge.ForgottenConfig()))
