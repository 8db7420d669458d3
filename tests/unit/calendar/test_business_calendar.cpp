#include <doctest/doctest.h>

#include <array>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <nudge/calendar/business_calendar.hpp>

// Own namespace: the tests build as a unity build.
namespace nudge_calendar_test_business_calendar {

using nudge::BusinessCalendar;
using nudge::Convention;
using nudge::Date;
using nudge::HolidayRule;
using nudge::iso_date;
using nudge::Observance;
using nudge::ymd;
using namespace std::chrono;
using namespace std::chrono_literals;

namespace {

/// Christmas (Fri 2026-12-25), Boxing Day, New Year, Good Friday, Easter Monday.
BusinessCalendar uk_like() {
  return BusinessCalendar()
      .with_holiday(HolidayRule::fixed(12, 25, "Christmas Day"))
      .with_holiday(HolidayRule::fixed(12, 26, "Boxing Day"))
      .with_holiday(HolidayRule::fixed(1, 1, "New Year's Day"))
      .with_holiday(HolidayRule::easter(-2, "Good Friday"))
      .with_holiday(HolidayRule::easter(1, "Easter Monday"));
}

/// Counts day by day: the slow, obvious definition.
long brute_count(const BusinessCalendar& c, Date from, Date to) {
  long n = 0;
  for (Date d = from; d < to; d += days{1}) n += c.is_business_day(d) ? 1 : 0;
  return n;
}

}  // namespace

TEST_CASE("calendar.business_calendar.default") {
  const BusinessCalendar cal;
  CHECK(cal.time_zone() == "UTC");
  CHECK(cal.describe() == "week: Mon Tue Wed Thu Fri; hours: Mon-Sun 09:00-18:00; zone: UTC");
  CHECK(cal.week_mask() == std::array<bool, 7>{true, true, true, true, true, false, false});
  CHECK(cal.hours(Monday) == std::vector<BusinessCalendar::Window>{{9h, 18h}});
  // Mon 2026-08-10 .. Sun 2026-08-16
  const std::array<bool, 7> expected{true, true, true, true, true, false, false};
  for (int i = 0; i < 7; ++i) {
    CAPTURE(i);
    CHECK(cal.is_business_day(ymd(2026, 8, 10) + days{i}) == expected[static_cast<std::size_t>(i)]);
  }
  CHECK(cal == BusinessCalendar::weekdays());
}

TEST_CASE("calendar.business_calendar.week_mask") {
  SUBCASE("numpy digits") {
    const auto cal = BusinessCalendar().with_week_mask("1111110");  // Mon-Sat
    CHECK(cal.is_business_day(ymd(2026, 8, 15)));                   // Saturday
    CHECK_FALSE(cal.is_business_day(ymd(2026, 8, 16)));             // Sunday
  }
  SUBCASE("day names") {
    const auto sun_thu = BusinessCalendar().with_week_mask("Sun Mon Tue Wed Thu");
    CHECK(sun_thu.week_mask() == std::array<bool, 7>{true, true, true, true, false, false, true});
    CHECK(BusinessCalendar().with_week_mask("montuewed") == BusinessCalendar().with_week_mask("1110000"));
    CHECK(BusinessCalendar().with_week_mask("Sat, Sun") == BusinessCalendar().with_week_mask("0000011"));
  }
  SUBCASE("array") {
    const auto cal = BusinessCalendar().with_week_mask(std::array<bool, 7>{false, false, false, false, false, true, true});
    CHECK(cal.is_business_day(ymd(2026, 8, 15)));
    CHECK_FALSE(cal.is_business_day(ymd(2026, 8, 14)));
  }
  SUBCASE("rejected") {
    CHECK_THROWS_WITH_AS(BusinessCalendar().with_week_mask("11111"), doctest::Contains("got \"11111\""),
                         nudge::invalid_argument);
    CHECK_THROWS_AS(BusinessCalendar().with_week_mask("Mon Tux"), nudge::invalid_argument);
    CHECK_THROWS_AS(BusinessCalendar().with_week_mask("Monday"), nudge::invalid_argument);
    CHECK_THROWS_AS(BusinessCalendar().with_week_mask(""), nudge::invalid_argument);
    CHECK_THROWS_WITH_AS(BusinessCalendar().with_week_mask("0000000"), doctest::Contains("at least one"),
                         nudge::invalid_argument);
  }
}

TEST_CASE("calendar.business_calendar.immutable") {
  const BusinessCalendar base;
  const auto with_xmas = base.with_holiday(HolidayRule::fixed(12, 25, "Christmas Day"));
  CHECK_FALSE(with_xmas.is_business_day(ymd(2026, 12, 25)));
  CHECK(base.is_business_day(ymd(2026, 12, 25)));  // unchanged
  CHECK(base.holiday_rules().empty());
  CHECK(base != with_xmas);
  CHECK(base == BusinessCalendar());

  SUBCASE("copies compare equal and built-alike calendars too") {
    const auto copy = with_xmas;
    CHECK(copy == with_xmas);
    CHECK(BusinessCalendar().with_holiday(HolidayRule::fixed(12, 25, "Christmas Day")) == with_xmas);
  }
  SUBCASE("every with_* leaves the original alone") {
    const auto a = base.with_week_mask("1111111");
    const auto b = base.with_holidays({ymd(2026, 8, 10)});
    const auto c = base.with_working_day(ymd(2026, 8, 15));
    const auto d = base.with_hours(Monday, {{10h, 12h}});
    const auto e = base.with_time_zone("Europe/Berlin");
    for (const auto& changed : {a, b, c, d, e}) CHECK(changed != base);
    CHECK(base == BusinessCalendar());
    CHECK(base.describe() == "week: Mon Tue Wed Thu Fri; hours: Mon-Sun 09:00-18:00; zone: UTC");
  }
}

TEST_CASE("calendar.business_calendar.holidays") {
  const auto cal = uk_like();
  SUBCASE("rules") {
    CHECK_FALSE(cal.is_business_day(ymd(2026, 12, 25)));  // Friday
    CHECK_FALSE(cal.is_business_day(ymd(2026, 4, 3)));    // Good Friday
    CHECK_FALSE(cal.is_business_day(ymd(2026, 4, 6)));    // Easter Monday
    CHECK(cal.is_business_day(ymd(2026, 4, 7)));
    CHECK(cal.is_holiday(ymd(2026, 12, 26)));             // a Saturday, still a holiday
  }
  SUBCASE("one-off dates, merged") {
    const auto c2 = cal.with_holidays({ymd(2026, 6, 12), ymd(2026, 6, 12)}).with_holidays({ymd(2026, 6, 15)});
    CHECK(c2.holidays() == std::vector<Date>{ymd(2026, 6, 12), ymd(2026, 6, 15)});
    CHECK_FALSE(c2.is_business_day(ymd(2026, 6, 12)));
    CHECK(c2.business_days_between(ymd(2026, 6, 8), ymd(2026, 6, 22)) == 8);
  }
  SUBCASE("holidays on weekends change nothing") {
    // Dec 26 2026 is a Saturday, Dec 25 2027 a Saturday, Dec 26 2027 a Sunday.
    const BusinessCalendar plain;
    CHECK(cal.business_days_between(ymd(2027, 12, 20), ymd(2028, 1, 1)) ==
          plain.business_days_between(ymd(2027, 12, 20), ymd(2028, 1, 1)));
    const auto sat = plain.with_holidays({ymd(2026, 8, 15)});
    CHECK(sat.business_days_between(ymd(2026, 8, 10), ymd(2026, 8, 17)) == 5);
  }
  SUBCASE("observed holidays move onto weekdays") {
    const auto us = BusinessCalendar().with_holiday(
        HolidayRule::fixed(7, 4, "Independence Day").observed(Observance::nearest_weekday));
    CHECK_FALSE(us.is_business_day(ymd(2026, 7, 3)));  // Friday, for Saturday the 4th
    CHECK(us.is_business_day(ymd(2026, 7, 6)));
    const auto new_year = BusinessCalendar().with_holiday(HolidayRule::fixed(1, 1).observed(Observance::nearest_weekday));
    CHECK_FALSE(new_year.is_business_day(ymd(2021, 12, 31)));  // for Saturday 2022-01-01
  }
  SUBCASE("working days override mask and holidays") {
    const auto c2 = cal.with_working_day(ymd(2026, 8, 15))   // a Saturday
                        .with_working_day(ymd(2026, 12, 25)); // Christmas
    CHECK(c2.is_business_day(ymd(2026, 8, 15)));
    CHECK(c2.is_business_day(ymd(2026, 12, 25)));
    CHECK(c2.is_holiday(ymd(2026, 12, 25)));
    CHECK(c2.business_days_between(ymd(2026, 8, 10), ymd(2026, 8, 17)) == 6);
    CHECK(c2.working_days() == std::vector<Date>{ymd(2026, 8, 15), ymd(2026, 12, 25)});
  }
}

TEST_CASE("calendar.business_calendar.adjust") {
  const BusinessCalendar cal;
  const Date sat_month_end = ymd(2026, 1, 31);  // Saturday
  SUBCASE("following") { CHECK(iso_date(cal.adjust(sat_month_end)) == "2026-02-02"); }
  SUBCASE("modified following stays in the month") {
    CHECK(iso_date(cal.adjust(sat_month_end, Convention::modified_following)) == "2026-01-30");
    CHECK(iso_date(cal.adjust(ymd(2026, 8, 15), Convention::modified_following)) == "2026-08-17");
  }
  SUBCASE("preceding") { CHECK(iso_date(cal.adjust(sat_month_end, Convention::preceding)) == "2026-01-30"); }
  SUBCASE("modified preceding stays in the month") {
    CHECK(iso_date(cal.adjust(ymd(2026, 3, 1), Convention::modified_preceding)) == "2026-03-02");
    CHECK(iso_date(cal.adjust(ymd(2026, 8, 16), Convention::modified_preceding)) == "2026-08-14");
  }
  SUBCASE("unadjusted and business days stay") {
    CHECK(cal.adjust(sat_month_end, Convention::unadjusted) == sat_month_end);
    CHECK(cal.adjust(ymd(2026, 1, 30), Convention::preceding) == ymd(2026, 1, 30));
  }
  SUBCASE("over holidays") {
    CHECK(iso_date(uk_like().adjust(ymd(2026, 4, 4))) == "2026-04-07");  // Sat before Easter -> Tue
    CHECK(iso_date(uk_like().adjust(ymd(2026, 4, 6), Convention::preceding)) == "2026-04-02");
  }
  SUBCASE("convention names") {
    CHECK(nudge::parse_convention("modified_following") == Convention::modified_following);
    CHECK(to_string(Convention::preceding) == "preceding");
    CHECK_THROWS_WITH_AS(nudge::parse_convention("next"), doctest::Contains("got \"next\""), nudge::invalid_argument);
  }
}

TEST_CASE("calendar.business_calendar.add_business_days") {
  const BusinessCalendar cal;
  const Date sat = ymd(2026, 8, 15);
  SUBCASE("from a weekend: steps, never counts the start") {
    CHECK(iso_date(cal.add_business_days(sat, 1)) == "2026-08-17");   // Monday
    CHECK(iso_date(cal.add_business_days(sat, -1)) == "2026-08-14");  // Friday
    CHECK(iso_date(cal.add_business_days(sat, 0)) == "2026-08-17");   // rolls forward
    CHECK(iso_date(cal.add_business_days(sat, 2)) == "2026-08-18");
  }
  SUBCASE("from a business day") {
    CHECK(iso_date(cal.add_business_days(ymd(2026, 8, 12), 5)) == "2026-08-19");
    CHECK(iso_date(cal.add_business_days(ymd(2026, 8, 12), 0)) == "2026-08-12");
    CHECK(iso_date(cal.add_business_days(ymd(2026, 8, 12), -3)) == "2026-08-07");
  }
  SUBCASE("negative n across the new year and its holiday") {
    CHECK(iso_date(uk_like().add_business_days(ymd(2026, 1, 2), -3)) == "2025-12-29");
  }
  SUBCASE("over Easter") {
    CHECK(iso_date(uk_like().add_business_days(ymd(2026, 4, 2), 1)) == "2026-04-07");
    CHECK(iso_date(uk_like().add_business_days(ymd(2026, 4, 7), -1)) == "2026-04-02");
  }
  SUBCASE("beyond 1000 years is an error, not an overflow") {
    CHECK_THROWS_WITH_AS(cal.add_business_days(sat, 1L << 62), doctest::Contains("beyond 1000 years"),
                         nudge::invalid_argument);
    CHECK_THROWS_AS(cal.add_business_days(sat, -(1L << 62)), nudge::invalid_argument);
    CHECK(iso_date(cal.add_business_days(sat, 260 * 900)) == "2923-07-23");  // numpy.busday_offset, roll=backward
  }
  SUBCASE("long jumps agree with counting") {
    const auto c = uk_like();
    for (long n : {1L, 7L, 250L, 2600L, -1L, -250L, -2600L}) {
      CAPTURE(n);
      const Date from = ymd(2026, 5, 13);
      const Date to = c.add_business_days(from, n);
      CHECK(c.is_business_day(to));
      if (n > 0) CHECK(c.business_days_between(from + days{1}, to + days{1}) == n);
      if (n < 0) CHECK(c.business_days_between(to, from) == -n);
    }
  }
}

TEST_CASE("calendar.business_calendar.business_days_between") {
  const BusinessCalendar cal;
  SUBCASE("half-open, antisymmetric") {
    CHECK(cal.business_days_between(ymd(2026, 8, 10), ymd(2026, 8, 17)) == 5);
    CHECK(cal.business_days_between(ymd(2026, 8, 17), ymd(2026, 8, 10)) == -5);
    CHECK(cal.business_days_between(ymd(2026, 8, 10), ymd(2026, 8, 10)) == 0);
    CHECK(cal.business_days_between(ymd(2026, 8, 15), ymd(2026, 8, 17)) == 0);  // the weekend
    CHECK(cal.business_days_between(ymd(2026, 8, 14), ymd(2026, 8, 17)) == 1);
  }
  SUBCASE("across the year end with holidays") {
    const auto c = cal.with_holidays({ymd(2025, 12, 25), ymd(2025, 12, 26), ymd(2026, 1, 1)});
    CHECK(c.business_days_between(ymd(2025, 12, 22), ymd(2026, 1, 5)) == 7);
  }
  SUBCASE("decades") {
    CHECK(cal.business_days_between(ymd(1970, 1, 1), ymd(2100, 1, 1)) == 33916);  // numpy.busday_count
    // 8000 years = 20 Gregorian cycles = 417420 whole weeks; mostly outside the day table.
    CHECK(cal.business_days_between(ymd(1000, 1, 1), ymd(9000, 1, 1)) == 5 * 417420);
  }
  SUBCASE("additive") {
    const auto c = uk_like();
    const Date a = ymd(1987, 3, 4), b = ymd(2026, 12, 24), e = ymd(2044, 1, 2);
    CHECK(c.business_days_between(a, b) + c.business_days_between(b, e) == c.business_days_between(a, e));
    CHECK(c.business_days_between(ymd(2025, 12, 1), ymd(2027, 2, 1)) ==
          brute_count(c, ymd(2025, 12, 1), ymd(2027, 2, 1)));
  }
}

TEST_CASE("calendar.business_calendar.outside_day_table") {
  // The Gregorian calendar repeats every 400 years (146097 days), so a
  // calendar of yearly weekday rules must count the same in 2326 (computed
  // year by year) as in 1926 (from the table).
  const auto c = BusinessCalendar()
                     .with_week_mask("1111010")
                     .with_holiday(HolidayRule::fixed(12, 31).observed(Observance::next_monday))
                     .with_holiday(HolidayRule::fixed(1, 1).observed(Observance::nearest_weekday))
                     .with_holiday(HolidayRule::nth_weekday(-1, Friday, 5))
                     .with_holiday(HolidayRule::nth_weekday(5, Monday, 3))
                     .with_holiday(HolidayRule::fixed(2, 29).observed(Observance::sunday_to_monday));
  const days cycle{146097};
  for (const auto& [from, to] : std::vector<std::pair<Date, Date>>{{ymd(1926, 12, 30), ymd(1927, 1, 4)},
                                                                   {ymd(1927, 1, 1), ymd(1927, 1, 2)},
                                                                   {ymd(1928, 1, 2), ymd(1928, 1, 3)},
                                                                   {ymd(1921, 1, 1), ymd(1999, 6, 1)},
                                                                   {ymd(1933, 12, 31), ymd(1934, 1, 3)},
                                                                   {ymd(1950, 2, 27), ymd(1950, 3, 31)}}) {
    CAPTURE(iso_date(from));
    CAPTURE(iso_date(to));
    CHECK(c.business_days_between(from + cycle, to + cycle) == c.business_days_between(from, to));
    CHECK(c.business_days_between(from + cycle, to + cycle) == brute_count(c, from + cycle, to + cycle));
  }
  for (Date d = ymd(1932, 12, 20); d < ymd(1934, 1, 10); d += days{1}) {
    CAPTURE(iso_date(d));
    REQUIRE(c.is_business_day(d + cycle) == c.is_business_day(d));
    REQUIRE(c.add_business_days(d + cycle, 3) == c.add_business_days(d, 3) + cycle);
    REQUIRE(c.add_business_days(d + cycle, -3) == c.add_business_days(d, -3) + cycle);
  }
  SUBCASE("one-off dates far out") {
    const auto far = BusinessCalendar().with_holidays({ymd(2400, 1, 4)}).with_working_day(ymd(1850, 1, 5));  // Tue, Sat
    CHECK_FALSE(far.is_business_day(ymd(2400, 1, 4)));
    CHECK(far.is_business_day(ymd(1850, 1, 5)));
    CHECK(far.business_days_between(ymd(2400, 1, 3), ymd(2400, 1, 6)) == 2);
    CHECK(far.business_days_between(ymd(1850, 1, 5), ymd(1850, 1, 7)) == 1);
    CHECK(iso_date(far.add_business_days(ymd(2400, 1, 3), 1)) == "2400-01-05");
    CHECK(iso_date(far.add_business_days(ymd(1850, 1, 7), -1)) == "1850-01-05");
  }
  SUBCASE("across the table's ends") {
    const BusinessCalendar plain;
    CHECK(plain.business_days_between(ymd(2199, 12, 25), ymd(2200, 1, 10)) == 12);  // numpy.busday_count
    CHECK(iso_date(plain.add_business_days(ymd(2199, 12, 31), 1)) == "2200-01-01");  // Tue -> Wed
    CHECK(iso_date(plain.add_business_days(ymd(1900, 1, 1), -1)) == "1899-12-29");
  }
}

TEST_CASE("calendar.business_calendar.hours_validation") {
  const BusinessCalendar cal;
  CHECK_THROWS_WITH_AS(cal.with_hours(Monday, {{18h, 9h}}), doctest::Contains("Monday window 18:00-09:00 must start before it ends"),
                       nudge::invalid_argument);
  CHECK_THROWS_WITH_AS(cal.with_hours(Tuesday, {{9h, 25h}}), doctest::Contains("Tuesday window 09:00-25:00 must lie within 00:00-24:00"),
                       nudge::invalid_argument);
  CHECK_THROWS_AS(cal.with_hours(Tuesday, {{-1min, 9h}}), nudge::invalid_argument);
  CHECK_THROWS_AS(cal.with_hours(Tuesday, {{9h, 9h}}), nudge::invalid_argument);
  CHECK_THROWS_WITH_AS(cal.with_hours(Friday, {{9h, 13h}, {12h, 18h}}), doctest::Contains("overlap or are not sorted"),
                       nudge::invalid_argument);
  CHECK_THROWS_AS(cal.with_hours(Friday, {{14h, 18h}, {9h, 13h}}), nudge::invalid_argument);
  CHECK_THROWS_AS(cal.with_hours_all(17h, 9h), nudge::invalid_argument);
  CHECK_THROWS_AS(cal.with_hours(weekday{8}, {}), nudge::invalid_argument);
  SUBCASE("accepted") {
    const auto c = cal.with_hours(Friday, {{9h, 13h}, {13h, 17h}}).with_hours(Saturday, {});
    CHECK(c.hours(Friday).size() == 2);
    CHECK(c.hours(Saturday).empty());
    CHECK(c.describe() ==
          "week: Mon Tue Wed Thu Fri; hours: Mon-Thu 09:00-18:00, Fri 09:00-13:00 13:00-17:00, Sat closed, "
          "Sun 09:00-18:00; zone: UTC");
    CHECK(cal.with_hours_all(0h, 24h).hours(Sunday) == std::vector<BusinessCalendar::Window>{{0h, 24h}});
  }
}

TEST_CASE("calendar.business_calendar.time_zone") {
  SUBCASE("unknown zone") {
    CHECK_THROWS_WITH_AS(BusinessCalendar().with_time_zone("Mars/Base"),
                         doctest::Contains("time_zone: unknown IANA zone 'Mars/Base'"), nudge::invalid_argument);
    CHECK_THROWS_AS(BusinessCalendar::weekdays(""), nudge::invalid_argument);
  }
  SUBCASE("known zones") {
    CHECK(BusinessCalendar::weekdays("Europe/Berlin").time_zone() == "Europe/Berlin");
    CHECK(BusinessCalendar::weekdays("Etc/UTC").time_zone() == "Etc/UTC");
  }
}

TEST_CASE("calendar.business_calendar.describe") {
  const auto cal = uk_like()
                       .with_holidays({ymd(2026, 6, 12)})
                       .with_working_day(ymd(2026, 8, 15))
                       .with_time_zone("Europe/London")
                       .with_hours_all(9h, 17h + 30min);
  CHECK(cal.describe() ==
        "week: Mon Tue Wed Thu Fri; hours: Mon-Sun 09:00-17:30; zone: Europe/London; holidays: "
        "Christmas Day (every December 25), Boxing Day (every December 26), New Year's Day (every January 1), "
        "Good Friday (Easter -2 days), Easter Monday (Easter +1 day), 2026-06-12; working days: 2026-08-15");
  CHECK(to_string(cal) == cal.describe());
}

TEST_CASE("calendar.business_calendar.concurrent_first_use") {
  // The day table is built on first use; racing threads must all see it whole.
  const auto cal = uk_like().with_holidays({ymd(2026, 6, 12)});
  std::vector<long> results(8);
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < results.size(); ++i) {
    threads.emplace_back([&, i] { results[i] = cal.business_days_between(ymd(1950, 1, 1), ymd(2150, 1, 1)); });
  }
  for (auto& t : threads) t.join();
  for (long r : results) CHECK(r == results[0]);
  CHECK(results[0] == brute_count(cal, ymd(1950, 1, 1), ymd(2150, 1, 1)));
}
}  // namespace nudge_calendar_test_business_calendar
