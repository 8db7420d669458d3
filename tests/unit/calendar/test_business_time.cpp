// Clock arithmetic on instants: elapsed(), advance(), business hours, local
// dates, and time zones with and without DST. Every expected instant is
// written in UTC, computed by hand from the zone's offsets:
//   Europe/Berlin 2026: CET (+1) until Sun 03-29 01:00Z, CEST (+2) until Sun 10-25 01:00Z
//   America/New_York 2026: EST (-5) until Sun 03-08 07:00Z, EDT (-4) until Sun 11-01 06:00Z
//   Europe/Moscow: MSK (+3), no DST
//   Asia/Beirut 2026: local midnight of Sun 03-29 is skipped (00:00 -> 01:00 at 03-28 22:00Z)

#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <vector>

#include <nudge/calendar/business_calendar.hpp>

// Own namespace: the tests build as a unity build.
namespace nudge_calendar_test_business_time {

using nudge::BusinessCalendar;
using nudge::HolidayRule;
using nudge::Instant;
using nudge::iso_date;
using nudge::iso_instant;
using nudge::Period;
using nudge::Seconds;
using nudge::TimeBasis;
using nudge::ymd;
using namespace std::chrono;
using namespace std::chrono_literals;

namespace {

Instant utc(int y, unsigned m, unsigned d, int h = 0, int min = 0) {
  return nudge::at_midnight(ymd(y, m, d)) + hours{h} + minutes{min};
}

std::string advance(const BusinessCalendar& c, Instant from, Period p) { return iso_instant(c.advance(from, p)); }

/// advance() is the earliest instant at which elapsed() reaches the length.
void check_advance_is_earliest(const BusinessCalendar& c, Instant from, Period p) {
  CAPTURE(iso_instant(from));
  CAPTURE(to_string(p));
  const Instant t = c.advance(from, p);
  if (p.length.count() >= 0) {
    CHECK(c.elapsed(from, t, p.basis) == p.length);
    if (t > from) CHECK(c.elapsed(from, t - 1s, p.basis) < p.length);
  } else {
    CHECK(c.elapsed(t, from, p.basis) == -p.length);
    if (t < from) CHECK(c.elapsed(t + 1s, from, p.basis) < -p.length);
  }
}

}  // namespace

TEST_CASE("calendar.elapsed.calendar_basis") {
  const auto cal = BusinessCalendar::weekdays("Europe/Berlin");
  const Instant a = utc(2026, 3, 27, 16), b = utc(2026, 3, 30, 8);
  CHECK(cal.elapsed(a, b, TimeBasis::calendar) == 64h);  // 65 h on the wall clock, 64 real
  CHECK(cal.elapsed(b, a, TimeBasis::calendar) == -64h);
  CHECK(cal.advance(a, Period::days(3)) == a + 72h);
  CHECK(cal.advance(a, Period{-90min, TimeBasis::calendar}) == a - 90min);
}

TEST_CASE("calendar.elapsed.utc") {
  const BusinessCalendar cal;  // Mon-Fri 09:00-18:00 UTC
  SUBCASE("business days count whole days") {
    // Fri 2026-08-14 12:00 -> Tue 2026-08-18 06:00: 12 h Fri + 24 h Mon + 6 h Tue
    CHECK(cal.elapsed(utc(2026, 8, 14, 12), utc(2026, 8, 18, 6), TimeBasis::business_days) == 42h);
    CHECK(cal.elapsed(utc(2026, 8, 18, 6), utc(2026, 8, 14, 12), TimeBasis::business_days) == -42h);
    CHECK(cal.elapsed(utc(2026, 8, 15, 1), utc(2026, 8, 16, 23), TimeBasis::business_days) == 0s);
    CHECK(cal.elapsed(utc(2026, 8, 17, 1), utc(2026, 8, 17, 3), TimeBasis::business_days) == 2h);
  }
  SUBCASE("business hours count working windows") {
    CHECK(cal.business_hours_between(utc(2026, 8, 14, 12), utc(2026, 8, 18, 6)) == 6h + 9h);
    CHECK(cal.business_hours_between(utc(2026, 8, 17, 7), utc(2026, 8, 17, 8)) == 0s);
    CHECK(cal.business_hours_between(utc(2026, 8, 17, 17), utc(2026, 8, 18, 10)) == 2h);
    CHECK(cal.business_hours_between(utc(2026, 8, 10), utc(2026, 8, 17)) == 45h);
  }
  SUBCASE("the brief's examples") {
    // Saturday 10:00 + 2 business days = Wednesday 00:00; Monday 10:00 + 2 = Wednesday 10:00.
    CHECK(advance(cal, utc(2026, 8, 15, 10), Period::business_days(2)) == "2026-08-19T00:00:00Z");
    CHECK(advance(cal, utc(2026, 8, 17, 10), Period::business_days(2)) == "2026-08-19T10:00:00Z");
  }
  SUBCASE("business hours") {
    CHECK(advance(cal, utc(2026, 8, 14, 15), Period::business_hours(8)) == "2026-08-17T14:00:00Z");
    CHECK(advance(cal, utc(2026, 8, 14, 15), Period::business_hours(3)) == "2026-08-14T18:00:00Z");  // not Monday
    CHECK(advance(cal, utc(2026, 8, 14, 20), Period::business_hours(1)) == "2026-08-17T10:00:00Z");
    CHECK(advance(cal, utc(2026, 8, 17, 6), Period{30min, TimeBasis::business_hours}) == "2026-08-17T09:30:00Z");
    CHECK(advance(cal, utc(2026, 8, 17, 10), Period::business_hours(45)) == "2026-08-24T10:00:00Z");
    CHECK(iso_instant(cal.add_business_hours(utc(2026, 8, 14, 15), 8h)) == "2026-08-17T14:00:00Z");
  }
  SUBCASE("zero stays put") {
    CHECK(cal.advance(utc(2026, 8, 15, 10), Period::business_days(0)) == utc(2026, 8, 15, 10));
    CHECK(cal.advance(utc(2026, 8, 15, 10), Period::business_hours(0)) == utc(2026, 8, 15, 10));
  }
  SUBCASE("backwards") {
    CHECK(advance(cal, utc(2026, 8, 17, 10), Period{-8h, TimeBasis::business_hours}) == "2026-08-14T11:00:00Z");
    CHECK(advance(cal, utc(2026, 8, 17, 9), Period{-9h, TimeBasis::business_hours}) == "2026-08-14T09:00:00Z");
    CHECK(advance(cal, utc(2026, 8, 19), Period{-2 * 86400s, TimeBasis::business_days}) == "2026-08-17T00:00:00Z");
    CHECK(advance(cal, utc(2026, 8, 17, 10), Period{-1 * 86400s, TimeBasis::business_days}) == "2026-08-14T10:00:00Z");
    CHECK(iso_instant(cal.add_business_hours(utc(2026, 8, 17, 10), -8h)) == "2026-08-14T11:00:00Z");
  }
  SUBCASE("holidays and working days") {
    const auto c = cal.with_holiday(HolidayRule::fixed(12, 25)).with_working_day(ymd(2026, 12, 26));  // Fri, Sat
    CHECK(advance(c, utc(2026, 12, 24, 17), Period::business_hours(2)) == "2026-12-26T10:00:00Z");
    CHECK(advance(c, utc(2026, 12, 24, 12), Period::business_days(1)) == "2026-12-26T12:00:00Z");
    CHECK(c.elapsed(utc(2026, 12, 24), utc(2026, 12, 28), TimeBasis::business_days) == 48h);
  }
  SUBCASE("several windows a day") {
    const auto c = cal.with_hours(Monday, {{9h, 13h}, {14h, 18h}});
    CHECK(advance(c, utc(2026, 8, 17, 9), Period::business_hours(5)) == "2026-08-17T15:00:00Z");
    CHECK(advance(c, utc(2026, 8, 17, 9), Period::business_hours(4)) == "2026-08-17T13:00:00Z");
    CHECK(advance(c, utc(2026, 8, 17, 13, 30), Period{30min, TimeBasis::business_hours}) == "2026-08-17T14:30:00Z");
    CHECK(c.business_hours_between(utc(2026, 8, 17, 12), utc(2026, 8, 17, 15)) == 2h);
    CHECK(advance(c, utc(2026, 8, 17, 15), Period{-2h, TimeBasis::business_hours}) == "2026-08-17T12:00:00Z");
  }
  SUBCASE("long periods") {
    CHECK(advance(cal, utc(2026, 8, 17, 10), Period::business_days(260)) == "2027-08-16T10:00:00Z");
    CHECK(advance(cal, utc(2026, 8, 17, 10), Period{-260 * 86400s, TimeBasis::business_days}) ==
          "2025-08-18T10:00:00Z");
    CHECK(cal.elapsed(utc(1970, 1, 1), utc(2100, 1, 1), TimeBasis::business_days) == 33916 * 86400s);
  }
}

TEST_CASE("calendar.local_time") {
  SUBCASE("UTC") {
    const BusinessCalendar cal;
    CHECK(iso_date(cal.local_date(utc(2026, 8, 14, 23, 59))) == "2026-08-14");
    CHECK(cal.local_midnight(ymd(2026, 8, 14)) == utc(2026, 8, 14));
  }
  SUBCASE("Berlin") {
    const auto cal = BusinessCalendar::weekdays("Europe/Berlin");
    CHECK(iso_instant(cal.local_midnight(ymd(2026, 3, 29))) == "2026-03-28T23:00:00Z");
    CHECK(iso_instant(cal.local_midnight(ymd(2026, 3, 30))) == "2026-03-29T22:00:00Z");
    CHECK(iso_instant(cal.local_midnight(ymd(2026, 10, 26))) == "2026-10-25T23:00:00Z");
    CHECK(iso_date(cal.local_date(utc(2026, 3, 29, 21, 59))) == "2026-03-29");
    CHECK(iso_date(cal.local_date(utc(2026, 3, 29, 22))) == "2026-03-30");
  }
  SUBCASE("New York") {
    const auto cal = BusinessCalendar::weekdays("America/New_York");
    CHECK(iso_instant(cal.local_midnight(ymd(2026, 3, 8))) == "2026-03-08T05:00:00Z");
    CHECK(iso_instant(cal.local_midnight(ymd(2026, 3, 9))) == "2026-03-09T04:00:00Z");
    CHECK(iso_instant(cal.local_midnight(ymd(2026, 11, 1))) == "2026-11-01T04:00:00Z");
    CHECK(iso_date(cal.local_date(utc(2026, 3, 9, 3, 59))) == "2026-03-08");
  }
  SUBCASE("Moscow") {
    const auto cal = BusinessCalendar::weekdays("Europe/Moscow");
    CHECK(iso_instant(cal.local_midnight(ymd(2026, 3, 29))) == "2026-03-28T21:00:00Z");
    CHECK(iso_date(cal.local_date(utc(2026, 3, 28, 21))) == "2026-03-29");
  }
  SUBCASE("midnight skipped by DST: the first instant of the day") {
    const auto beirut = BusinessCalendar::weekdays("Asia/Beirut").with_week_mask("1111111");
    CHECK(iso_instant(beirut.local_midnight(ymd(2026, 3, 29))) == "2026-03-28T22:00:00Z");  // 01:00 EEST
    CHECK(iso_instant(beirut.local_midnight(ymd(2026, 3, 28))) == "2026-03-27T22:00:00Z");
    CHECK(beirut.elapsed(beirut.local_midnight(ymd(2026, 3, 29)), beirut.local_midnight(ymd(2026, 3, 30)),
                         TimeBasis::business_days) == 23h);
    CHECK(beirut.elapsed(utc(2026, 3, 28, 21, 30), utc(2026, 3, 28, 22, 30), TimeBasis::business_days) == 1h);
  }
}

TEST_CASE("calendar.dst.berlin") {
  const auto cal = BusinessCalendar::weekdays("Europe/Berlin");  // Mon-Fri 09:00-18:00 local
  SUBCASE("spring: Friday 17:00 CET to Monday 10:00 CEST") {
    const Instant fri = utc(2026, 3, 27, 16), mon = utc(2026, 3, 30, 8);
    CHECK(cal.business_hours_between(fri, mon) == 2h);
    CHECK(cal.elapsed(fri, mon, TimeBasis::business_days) == 17h);  // 7 h of Friday, 10 h of Monday
  }
  SUBCASE("spring: 8 business hours from Friday 15:00 CET") {
    CHECK(advance(cal, utc(2026, 3, 27, 14), Period::business_hours(8)) == "2026-03-30T12:00:00Z");  // Mon 14:00 CEST
    CHECK(advance(cal, utc(2026, 3, 30, 8), Period{-8h, TimeBasis::business_hours}) == "2026-03-27T10:00:00Z");
  }
  SUBCASE("autumn: Friday 17:00 CEST to Monday 10:00 CET") {
    const Instant fri = utc(2026, 10, 23, 15), mon = utc(2026, 10, 26, 9);
    CHECK(cal.elapsed(fri, mon, TimeBasis::calendar) == 66h);
    CHECK(cal.business_hours_between(fri, mon) == 2h);
    CHECK(cal.elapsed(fri, mon, TimeBasis::business_days) == 17h);
  }
  SUBCASE("autumn: 8 business hours from Friday 15:00 CEST") {
    CHECK(advance(cal, utc(2026, 10, 23, 13), Period::business_hours(8)) == "2026-10-26T13:00:00Z");  // Mon 14:00 CET
  }
  SUBCASE("business days across the switch") {
    // Fri 12:00 CET + 2 business days: 12 h Friday, 24 h Monday, 12 h Tuesday -> Tue 12:00 CEST.
    CHECK(advance(cal, utc(2026, 3, 27, 11), Period::business_days(2)) == "2026-03-31T10:00:00Z");
    CHECK(advance(cal, utc(2026, 3, 28, 9), Period::business_days(2)) == "2026-03-31T22:00:00Z");  // Sat -> Wed 00:00
    CHECK(advance(cal, utc(2026, 3, 30, 8), Period::business_days(2)) == "2026-04-01T08:00:00Z");  // Mon -> Wed 10:00
  }
  SUBCASE("round-the-clock windows: the switch day is 23 or 25 hours") {
    const auto all = cal.with_week_mask("1111111").with_hours_all(0h, 24h);
    // Sat 00:00 CET -> Mon 00:00 CEST: 24 h + 23 h
    CHECK(all.business_hours_between(utc(2026, 3, 27, 23), utc(2026, 3, 29, 22)) == 47h);
    CHECK(all.elapsed(utc(2026, 3, 27, 23), utc(2026, 3, 29, 22), TimeBasis::business_days) == 47h);
    // Sat 00:00 CEST -> Mon 00:00 CET: 24 h + 25 h
    CHECK(all.business_hours_between(utc(2026, 10, 23, 22), utc(2026, 10, 25, 23)) == 49h);
    // Sunday 00:00 CET + 24 working hours = Monday 01:00 CEST
    CHECK(advance(all, utc(2026, 3, 28, 23), Period::business_hours(24)) == "2026-03-29T23:00:00Z");
    CHECK(advance(all, utc(2026, 10, 24, 22), Period::business_hours(24)) == "2026-10-25T22:00:00Z");  // 23:00 CET
    // a whole year: the short and the long day cancel out
    CHECK(all.elapsed(all.local_midnight(ymd(2026, 1, 1)), all.local_midnight(ymd(2027, 1, 1)),
                      TimeBasis::business_hours) == 365 * 24h);
  }
  SUBCASE("a window containing the switch") {
    const auto sun = cal.with_week_mask("0000001").with_hours(Sunday, {{1h, 5h}});
    CHECK(sun.business_hours_between(utc(2026, 3, 28), utc(2026, 3, 30)) == 3h);    // 01:00 CET - 05:00 CEST
    CHECK(sun.business_hours_between(utc(2026, 10, 24), utc(2026, 10, 26)) == 5h);  // 01:00 CEST - 05:00 CET
    CHECK(advance(sun, utc(2026, 3, 28), Period::business_hours(2)) == "2026-03-29T02:00:00Z");  // 04:00 CEST
    CHECK(advance(sun, utc(2026, 10, 24), Period::business_hours(2)) == "2026-10-25T01:00:00Z");  // 02:00 CET
    const auto gap = cal.with_week_mask("0000001").with_hours(Sunday, {{2h + 30min, 4h}});  // starts in the gap
    CHECK(gap.business_hours_between(utc(2026, 3, 28), utc(2026, 3, 30)) == 1h);  // 03:00 - 04:00 CEST
  }
  SUBCASE("Sundays only: the short day counts 23 hours") {
    const auto sundays = cal.with_week_mask("0000001");
    CHECK(sundays.elapsed(sundays.local_midnight(ymd(2026, 3, 1)), sundays.local_midnight(ymd(2026, 7, 1)),
                          TimeBasis::business_days) == 18 * 24h - 1h);
  }
  SUBCASE("a year of weekdays: the switches fall on Sundays") {
    CHECK(cal.elapsed(cal.local_midnight(ymd(2026, 1, 1)), cal.local_midnight(ymd(2027, 1, 1)),
                      TimeBasis::business_days) == 261 * 24h);
    CHECK(cal.business_hours_between(cal.local_midnight(ymd(2026, 1, 1)), cal.local_midnight(ymd(2027, 1, 1))) ==
          261 * 9h);
  }
}

TEST_CASE("calendar.dst.new_york") {
  const auto cal = BusinessCalendar::weekdays("America/New_York");
  SUBCASE("spring") {
    const Instant fri = utc(2026, 3, 6, 22), mon = utc(2026, 3, 9, 14);  // Fri 17:00 EST, Mon 10:00 EDT
    CHECK(cal.elapsed(fri, mon, TimeBasis::calendar) == 64h);
    CHECK(cal.business_hours_between(fri, mon) == 2h);
    CHECK(advance(cal, utc(2026, 3, 6, 20), Period::business_hours(8)) == "2026-03-09T18:00:00Z");  // Mon 14:00 EDT
  }
  SUBCASE("autumn") {
    CHECK(advance(cal, utc(2026, 10, 30, 19), Period::business_hours(8)) == "2026-11-02T19:00:00Z");  // Mon 14:00 EST
    CHECK(cal.business_hours_between(utc(2026, 10, 30, 21), utc(2026, 11, 2, 15)) == 2h);
    const auto all = cal.with_week_mask("1111111").with_hours_all(0h, 24h);
    CHECK(all.elapsed(utc(2026, 11, 1, 4), utc(2026, 11, 2, 5), TimeBasis::business_days) == 25h);
    CHECK(all.business_hours_between(utc(2026, 11, 1, 4), utc(2026, 11, 2, 5)) == 25h);
  }
}

TEST_CASE("calendar.dst.moscow") {
  const auto cal = BusinessCalendar::weekdays("Europe/Moscow");  // UTC+3 all year
  const Instant fri = utc(2026, 3, 27, 14), mon = utc(2026, 3, 30, 7);  // Fri 17:00, Mon 10:00 MSK
  CHECK(cal.elapsed(fri, mon, TimeBasis::calendar) == 65h);
  CHECK(cal.business_hours_between(fri, mon) == 2h);
  CHECK(advance(cal, utc(2026, 3, 27, 12), Period::business_hours(8)) == "2026-03-30T11:00:00Z");  // Mon 14:00 MSK
  CHECK(advance(cal, utc(2026, 3, 28, 7), Period::business_days(2)) == "2026-03-31T21:00:00Z");   // Sat -> Wed 00:00
  // A working Saturday (Russia moves days off this way).
  const auto c2 = cal.with_working_day(ymd(2026, 3, 28));
  CHECK(c2.business_hours_between(fri, mon) == 11h);
}

TEST_CASE("calendar.advance.is_earliest") {
  // The defining property, over every hour of two DST weeks and a spread of lengths.
  for (const char* zone : {"Europe/Berlin", "America/New_York", "UTC"}) {
    const auto cal = BusinessCalendar::weekdays(zone)
                         .with_hours(Wednesday, {{8h, 12h}, {13h, 17h + 30min}})
                         .with_holiday(HolidayRule::fixed(3, 31))
                         .with_working_day(ymd(2026, 3, 28));
    const std::vector<Period> periods = {
        Period::business_hours(1), Period::business_hours(8),  Period::business_hours(9),
        Period{17s, TimeBasis::business_hours}, Period::business_hours(100), Period::business_days(1),
        Period::business_days(3), Period{36h, TimeBasis::business_days}, Period::business_days(40),
        Period{-8h, TimeBasis::business_hours}, Period{-3 * 86400s, TimeBasis::business_days},
        Period{-100h, TimeBasis::business_hours}};
    for (Instant t = utc(2026, 3, 25); t < utc(2026, 4, 2); t += 7h + 13min) {
      for (const auto& p : periods) check_advance_is_earliest(cal, t, p);
    }
    for (Instant t = utc(2026, 10, 22); t < utc(2026, 11, 4); t += 5h + 7min) {
      for (const auto& p : periods) check_advance_is_earliest(cal, t, p);
    }
  }
}

TEST_CASE("calendar.advance.no_working_time") {
  const auto closed = BusinessCalendar().with_hours_all(9h, 17h).with_hours(Monday, {}).with_hours(Tuesday, {})
                          .with_hours(Wednesday, {}).with_hours(Thursday, {}).with_hours(Friday, {});
  CHECK_THROWS_WITH_AS(closed.advance(utc(2026, 8, 17), Period::business_hours(1)),
                       doctest::Contains("no working time"), nudge::invalid_argument);
  CHECK(closed.advance(utc(2026, 8, 17), Period::business_days(1)) == utc(2026, 8, 18));
  CHECK_THROWS_WITH_AS(BusinessCalendar().advance(utc(2026, 8, 17), Period{Seconds::max(), TimeBasis::business_hours}),
                       doctest::Contains("beyond 1000 years"), nudge::invalid_argument);
  CHECK_THROWS_AS(BusinessCalendar().advance(utc(2026, 8, 17), Period{Seconds::min(), TimeBasis::business_days}),
                  nudge::invalid_argument);
}
}  // namespace nudge_calendar_test_business_time
