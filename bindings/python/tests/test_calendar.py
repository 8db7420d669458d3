"""Mirrors tests/unit/calendar/: periods, holiday rules, business days and hours."""

from datetime import date, datetime, timedelta, timezone

import pytest

import nudge
from nudge import BusinessCalendar, HolidayRule, Period, TimeBasis, Weekday
from conftest import at


def uk_like():
    return (BusinessCalendar()
            .with_holiday(HolidayRule.fixed(12, 25, "Christmas Day"))
            .with_holiday(HolidayRule.fixed(12, 26, "Boxing Day"))
            .with_holiday(HolidayRule.fixed(1, 1, "New Year's Day"))
            .with_holiday(HolidayRule.easter(-2, "Good Friday"))
            .with_holiday(HolidayRule.easter(1, "Easter Monday")))


def test_calendar_period_factories():
    assert Period.days(90).length == timedelta(days=90)
    assert Period.business_days(3).basis == TimeBasis.business_days
    assert Period.business_hours(8).length == timedelta(hours=8)
    assert Period.days(1) != Period.business_days(1)
    with pytest.raises(nudge.InvalidArgument, match="must not be negative"):
        Period.days(-1)


def test_calendar_period_parse_and_to_string():
    assert Period.parse("90 days") == Period.days(90)
    assert Period.parse("8bh") == Period.business_hours(8)
    assert str(Period.days(90)) == "90d"
    assert str(Period.business_days(1)) == "1 business day"
    assert eval(repr(Period.business_hours(8)), {"Period": Period}) == Period.business_hours(8)
    with pytest.raises(nudge.InvalidArgument, match='got "soon"'):
        Period.parse("soon")


def test_calendar_holiday_fixed():
    christmas = HolidayRule.fixed(12, 25, "Christmas Day")
    assert christmas.in_year(2026) == date(2026, 12, 25)
    assert str(christmas) == "Christmas Day (every December 25)"
    assert HolidayRule.fixed(2, 29).in_year(2026) is None
    with pytest.raises(nudge.InvalidArgument, match="day 31 is not valid in April"):
        HolidayRule.fixed(4, 31)


def test_calendar_holiday_nth_weekday():
    thanksgiving = HolidayRule.nth_weekday(4, Weekday.thursday, 11, "Thanksgiving")
    assert thanksgiving.in_year(2026) == date(2026, 11, 26)
    assert thanksgiving.weekday == Weekday.thursday
    memorial = HolidayRule.nth_weekday(-1, Weekday.monday, 5)
    assert memorial.in_year(2026) == date(2026, 5, 25)
    assert memorial.description() == "last Monday of May"


def test_calendar_holiday_easter():
    assert HolidayRule.easter(0).in_year(2026) == date(2026, 4, 5)
    assert HolidayRule.easter(1).in_year(2026) == date(2026, 4, 6)


def test_calendar_holiday_observance():
    july4 = HolidayRule.fixed(7, 4, "Independence Day").observed(nudge.Observance.nearest_weekday)
    assert july4.in_year(2026) == date(2026, 7, 3)  # the 4th is a Saturday
    assert july4.observance == nudge.Observance.nearest_weekday


def test_calendar_business_calendar_default():
    cal = BusinessCalendar()
    assert cal.time_zone == "UTC"
    assert cal.describe() == "week: Mon Tue Wed Thu Fri; hours: Mon-Sun 09:00-18:00; zone: UTC"
    assert cal.week_mask == [True, True, True, True, True, False, False]
    assert cal.hours(Weekday.monday) == [(timedelta(hours=9), timedelta(hours=18))]
    assert [cal.is_business_day(date(2026, 8, 10) + timedelta(days=i)) for i in range(7)] == \
        [True] * 5 + [False] * 2
    assert cal == BusinessCalendar.weekdays()


def test_calendar_business_calendar_immutable():
    base = BusinessCalendar()
    sat = base.with_week_mask("1111110")
    assert sat.is_business_day(date(2026, 8, 15))
    assert not base.is_business_day(date(2026, 8, 15))


def test_calendar_business_calendar_adjust():
    cal = BusinessCalendar()
    assert cal.adjust(date(2026, 1, 31)) == date(2026, 2, 2)
    assert cal.adjust(date(2026, 1, 31), nudge.Convention.modified_following) == date(2026, 1, 30)


def test_calendar_business_calendar_add_business_days():
    cal = uk_like()
    assert cal.add_business_days(date(2026, 4, 2), 1) == date(2026, 4, 7)  # over Good Friday and Easter Monday
    assert cal.add_business_days(date(2026, 8, 15), -1) == date(2026, 8, 14)


def test_calendar_business_calendar_business_days_between():
    cal = uk_like()
    assert cal.business_days_between(date(2026, 12, 21), date(2026, 12, 28)) == 4  # Christmas is a Friday
    assert cal.business_days_between(date(2026, 12, 28), date(2026, 12, 21)) == -4
    assert cal.business_days_between(date(2026, 12, 21), date(2027, 1, 4)) == 8  # Boxing Day is a Saturday


def test_calendar_business_calendar_hours_validation():
    with pytest.raises(nudge.InvalidArgument, match="must start before it ends"):
        BusinessCalendar().with_hours(Weekday.monday, [(timedelta(hours=18), timedelta(hours=9))])


def test_calendar_business_calendar_time_zone():
    with pytest.raises(nudge.InvalidArgument, match="Mars/Olympus"):
        BusinessCalendar.weekdays("Mars/Olympus")


def test_calendar_advance_business_hours_berlin():
    # Friday 2026-03-27 15:00 Berlin (14:00Z) + 8 business hours, 09:00-18:00 -> Monday 14:00 CEST = 12:00Z
    cal = BusinessCalendar.weekdays("Europe/Berlin")
    start = datetime(2026, 3, 27, 14, tzinfo=timezone.utc)
    assert cal.advance(start, Period.business_hours(8)) == at(2026, 3, 30, 12)
    assert cal.business_hours_between(start, at(2026, 3, 30, 12)) == timedelta(hours=8)
    assert cal.local_date(at(2026, 3, 27, 23, 30)) == date(2026, 3, 28)
    assert cal.elapsed(at(2026, 3, 27), at(2026, 3, 30), TimeBasis.calendar) == timedelta(days=3)


def test_calendar_naive_datetime_names_the_argument():
    with pytest.raises(nudge.InvalidArgument, match="^start: naive datetime"):
        BusinessCalendar().advance(datetime(2026, 3, 27), Period.days(1))
