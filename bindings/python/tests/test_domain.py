"""Mirrors tests/unit/domain/test_domain.cpp, plus what only Python has: ids as
ints, time-zone aware datetimes, keyword construction, repr and to_dict."""

import copy
import math
from datetime import date, datetime, timedelta, timezone

import pytest

import nudge
from conftest import BENCH_NOW, at, client, deal, invoice, manager, task


def test_domain_ids_are_plain_ints():
    c = nudge.Client(42, "Acme", 1)
    assert c.id == 42 and isinstance(c.id, int)
    assert str(nudge.SubjectRef.client(42)) == "client:42"
    assert nudge.SubjectRef.deal(42) != nudge.SubjectRef.client(42)
    assert nudge.SubjectRef.client(1) < nudge.SubjectRef.client(2)
    assert {nudge.SubjectRef.client(1): "x"}[nudge.SubjectRef(nudge.SubjectKind.client, 1)] == "x"


def test_domain_money_exact_cents():
    m = nudge.Money.from_decimal(1250.505, "EUR")
    assert m.cents == 125051
    assert str(m) == "1250.51 EUR"
    assert str(nudge.Money(-5, "USD")) == "-0.05 USD"
    assert m.to_decimal() == pytest.approx(1250.51)
    with pytest.raises(nudge.InvalidArgument, match="invoice 7: amount.*finite"):
        nudge.Money.from_decimal(math.nan, "USD", "invoice 7: amount")
    with pytest.raises(nudge.InvalidArgument):
        nudge.Money.from_decimal(math.inf, "USD")
    with pytest.raises(nudge.InvalidArgument, match="currency"):
        nudge.Money.from_decimal(1, "euro")


def test_domain_task_validate():
    t = task(1, 1, 1, at(2026, 3, 1))
    t.validate()
    t.planned_start = at(2026, 3, 2)
    with pytest.raises(nudge.InvalidArgument, match="task 1: due.*planned start"):
        t.validate()
    t.planned_start = None
    t.state = nudge.TaskState.done
    with pytest.raises(nudge.InvalidArgument, match="closed"):
        t.validate()
    t.closed = at(2026, 3, 1)
    t.validate()
    assert not t.open


def test_domain_deal_validate():
    d = deal(5, 1, 1, "lead", at(2026, 1, 1))
    d.validate()
    d.probability = 1.5
    with pytest.raises(nudge.InvalidArgument, match="deal 5: probability"):
        d.validate()
    d.probability = 0.5
    d.status = nudge.DealStatus.won
    with pytest.raises(nudge.InvalidArgument, match="deal 5: closed"):
        d.validate()
    d.status = nudge.DealStatus.open
    d.stage_entered = at(2025, 12, 31)
    with pytest.raises(nudge.InvalidArgument, match="stage_entered"):
        d.validate()
    d.holds = [nudge.Hold(at(2026, 2, 1), at(2026, 2, 5), "client on holiday")]
    assert d.on_hold(at(2026, 2, 3))
    assert not d.on_hold(at(2026, 2, 5))


def test_domain_invoice_payments():
    i = invoice(3, 1, 100.0, at(2026, 1, 1), at(2026, 1, 15))
    i.payments = [nudge.Payment(at(2026, 1, 10), 4000)]
    i.settle_from_payments()
    assert not i.is_paid
    assert i.outstanding_cents() == 6000
    i.payments = i.payments + [nudge.Payment(at(2026, 1, 20), 6000)]
    i.settle_from_payments()
    assert i.is_paid
    assert i.paid == at(2026, 1, 20)
    i.due = at(2025, 12, 1)
    with pytest.raises(nudge.InvalidArgument, match="invoice 3: due"):
        i.validate()


def test_domain_manager_availability():
    m = manager(1, "Ivanova")
    m.leave = [nudge.DateRange(date(2026, 7, 1), date(2026, 7, 14))]
    m.segments = ["smb", "retail"]
    assert m.available(date(2026, 6, 30))
    assert not m.available(date(2026, 7, 14))
    assert m.serves("retail")
    assert not m.serves("enterprise")
    m.supervisor = 1
    with pytest.raises(nudge.InvalidArgument, match="supervisor"):
        m.validate()


def test_domain_client_kind_and_segments():
    c = client(1, "Acme", 1, "smb")
    assert c.primary_segment == "smb"
    assert c.kind == nudge.ClientKind.b2b
    c.owner = 0
    with pytest.raises(nudge.InvalidArgument, match="owner"):
        c.validate()


def test_domain_time_iso():
    assert nudge.parse_instant("2026-11-22T00:00:00Z") == BENCH_NOW
    f = nudge.Fact("last_contact", at(2026, 8, 14))
    assert str(f) == "last_contact=2026-08-14T00:00:00Z"


def test_domain_time_parse_instant():
    assert nudge.parse_instant("2026-08-14") == at(2026, 8, 14)
    assert nudge.parse_instant("2026-08-14 12:30:00+03:00") == at(2026, 8, 14, 9, 30)
    assert nudge.parse_instant("2026-08-14").tzinfo is not None
    with pytest.raises(nudge.InvalidArgument, match="expected an ISO-8601 time"):
        nudge.parse_instant("2026-02-30")


# ---- Python only ----------------------------------------------------------------------

def test_domain_time_naive_datetime_is_rejected_naming_the_field():
    with pytest.raises(nudge.InvalidArgument, match=r"^Client\.created: naive datetime 2026-01-01 00:00:00"):
        nudge.Client(1, "Acme", 1, created=datetime(2026, 1, 1))
    a = nudge.Activity(1, 1, 1)
    with pytest.raises(nudge.InvalidArgument, match=r"Activity\.at: naive"):
        a.at = datetime(2026, 1, 1, 9)
    with pytest.raises(TypeError, match=r"Task\.due: expected a time-zone aware datetime"):
        nudge.Task(due="2026-01-01")
    # InvalidArgument is also a ValueError, so generic handlers catch it
    with pytest.raises(ValueError):
        nudge.Deal(opened=datetime(2026, 1, 1))


def test_domain_time_zones_convert_to_utc():
    moscow = timezone(timedelta(hours=3))
    a = nudge.Activity(1, 1, 1, at=datetime(2026, 8, 14, 12, 30, tzinfo=moscow))
    assert a.at == at(2026, 8, 14, 9, 30)
    assert a.at.utcoffset() == timedelta(0)
    d = nudge.DateRange(date(2026, 7, 1), date(2026, 7, 2))
    assert d.first == date(2026, 7, 1)
    with pytest.raises(TypeError, match="use its .date()"):
        nudge.DateRange(datetime(2026, 7, 1, tzinfo=timezone.utc), date(2026, 7, 2))


def test_domain_records_keyword_init_repr_to_dict():
    c = nudge.Client(10, "Acme", 2, ["smb", "retail"], kind=nudge.ClientKind.b2c, created=at(2025, 1, 1),
                     labels={"vip": ""})
    assert repr(c).startswith("Client(id=10, name='Acme', owner=2, segments=['smb', 'retail'], kind=ClientKind.b2c")
    d = c.to_dict()
    assert d["kind"] == "b2c" and d["created"] == at(2025, 1, 1) and d["labels"] == {"vip": ""}
    assert nudge.Client(**{k: v for k, v in d.items() if k != "kind"}, kind=nudge.ClientKind.b2c) == c
    assert copy.copy(c) == c and copy.copy(c) is not c
    with pytest.raises(TypeError, match="unexpected keyword argument 'colour'"):
        nudge.Client(colour="red")
    with pytest.raises(TypeError, match="at most 4 positional"):
        nudge.Client(1, "a", 1, [], nudge.ClientKind.b2b)
    # nested records are references: changing them changes the parent
    dl = deal(1, 1, 1, "lead", at(2026, 1, 1))
    dl.amount.cents = 5
    assert dl.amount.cents == 5
    assert dl.to_dict()["amount"] == {"cents": 5, "currency": "USD"}


def test_domain_slim_fields_read_and_write_as_str_list_and_datetime():
    # Client contact fields, a deal's loss reason and a currency are held
    # compactly in C++ (SlimString, Currency); Python sees plain str.
    c = client(1, "Romashka", 1)
    assert c.email == "" and c.time_zone == "" and isinstance(c.locale, str)
    c.email, c.phone, c.time_zone, c.locale = "a@example.com", "+7 900", "Europe/Moscow", "ru"
    assert (c.email, c.phone, c.time_zone, c.locale) == ("a@example.com", "+7 900", "Europe/Moscow", "ru")
    c.email = "привет@пример.рф"
    assert c.email == "привет@пример.рф"
    c.email = ""
    assert c.email == ""
    d = deal(1, 1, 1, "lead", at(2026, 1, 1))
    d.loss_reason = "price"
    assert d.loss_reason == "price"
    d.amount = nudge.Money(500, "EUR")
    assert d.amount.currency == "EUR"
    m = nudge.Money(1, "USD")
    with pytest.raises(nudge.InvalidArgument, match="currency: 'EURODOLLAR' is longer than 7 characters"):
        m.currency = "EURODOLLAR"
    assert m.currency == "USD"
    # Optional instants are None or an aware datetime; a summary's lists are lists.
    t = task(1, 1, 1, at(2026, 2, 1))
    assert t.closed is None and t.planned_start is None
    t.closed = at(2026, 3, 1)
    assert t.closed == at(2026, 3, 1)
    t.closed = None
    assert t.closed is None
    s = nudge.ClientSummary()
    s.won_deals = [at(2026, 1, 1), at(2026, 2, 1)]
    assert s.won_deals == [at(2026, 1, 1), at(2026, 2, 1)]
    s.paid_invoices = []
    assert s.paid_invoices == []
