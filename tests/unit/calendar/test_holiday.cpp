#include <doctest/doctest.h>

#include <chrono>
#include <string>

#include <nudge/calendar/holiday.hpp>

// Own namespace: the tests build as a unity build.
namespace nudge_calendar_test_holiday {

using nudge::HolidayRule;
using nudge::iso_date;
using nudge::Observance;
using nudge::ymd;
using namespace std::chrono;

namespace {
std::string in_year(const HolidayRule& r, int y) {
  const auto d = r.in_year(y);
  return d ? iso_date(*d) : std::string("none");
}
}  // namespace

TEST_CASE("calendar.holiday.fixed") {
  SUBCASE("every year") {
    const auto xmas = HolidayRule::fixed(12, 25, "Christmas Day");
    CHECK(in_year(xmas, 2026) == "2026-12-25");
    CHECK(in_year(xmas, 1999) == "1999-12-25");
    CHECK(xmas.name() == "Christmas Day");
    CHECK(xmas.kind() == HolidayRule::Kind::fixed);
  }
  SUBCASE("February 29 only in leap years") {
    const auto leap = HolidayRule::fixed(2, 29);
    CHECK(in_year(leap, 2028) == "2028-02-29");
    CHECK(in_year(leap, 2000) == "2000-02-29");
    CHECK(in_year(leap, 2026) == "none");
    CHECK(in_year(leap, 2100) == "none");
  }
  SUBCASE("invalid month or day names the field") {
    CHECK_THROWS_WITH_AS(HolidayRule::fixed(2, 30), doctest::Contains("day 30 is not valid in February"),
                         nudge::invalid_argument);
    CHECK_THROWS_WITH(HolidayRule::fixed(2, 31), doctest::Contains("day 31"));
    CHECK_THROWS_WITH(HolidayRule::fixed(4, 31), doctest::Contains("day 31 is not valid in April"));
    CHECK_THROWS_WITH(HolidayRule::fixed(1, 0), doctest::Contains("day 0"));
    CHECK_THROWS_WITH(HolidayRule::fixed(13, 1), doctest::Contains("month must be 1..12, got 13"));
    CHECK_THROWS_WITH(HolidayRule::fixed(0, 1), doctest::Contains("month"));
  }
  SUBCASE("outside Boost's years there is no date") {
    CHECK(in_year(HolidayRule::fixed(1, 1), 1399) == "none");
    CHECK(in_year(HolidayRule::fixed(1, 1), 10000) == "none");
    CHECK(in_year(HolidayRule::fixed(1, 1), 1400) == "1400-01-01");
  }
}

TEST_CASE("calendar.holiday.nth_weekday") {
  SUBCASE("n-th") {
    CHECK(in_year(HolidayRule::nth_weekday(4, Thursday, 11), 2026) == "2026-11-26");  // Thanksgiving
    CHECK(in_year(HolidayRule::nth_weekday(3, Monday, 1), 2026) == "2026-01-19");     // MLK Day
    CHECK(in_year(HolidayRule::nth_weekday(1, Monday, 9), 2026) == "2026-09-07");     // Labor Day
    CHECK(in_year(HolidayRule::nth_weekday(1, Sunday, 3), 2026) == "2026-03-01");     // the 1st itself
  }
  SUBCASE("last") {
    CHECK(in_year(HolidayRule::nth_weekday(-1, Monday, 5), 2026) == "2026-05-25");    // Memorial Day
    CHECK(in_year(HolidayRule::nth_weekday(-1, Sunday, 3), 2026) == "2026-03-29");    // EU DST switch
    CHECK(in_year(HolidayRule::nth_weekday(-1, Thursday, 12), 2026) == "2026-12-31");
  }
  SUBCASE("a fifth weekday only when the month has one") {
    const auto fifth_monday_march = HolidayRule::nth_weekday(5, Monday, 3);
    CHECK(in_year(fifth_monday_march, 2026) == "2026-03-30");
    CHECK(in_year(fifth_monday_march, 2027) == "2027-03-29");
    CHECK(in_year(fifth_monday_march, 2028) == "none");  // Mondays 6, 13, 20, 27
    CHECK(in_year(HolidayRule::nth_weekday(5, Monday, 2), 2026) == "none");
  }
  SUBCASE("invalid arguments name the field") {
    CHECK_THROWS_WITH_AS(HolidayRule::nth_weekday(0, Monday, 1), doctest::Contains("n must be 1..5 or -1"),
                         nudge::invalid_argument);
    CHECK_THROWS_WITH(HolidayRule::nth_weekday(6, Monday, 1), doctest::Contains("got 6"));
    CHECK_THROWS_AS(HolidayRule::nth_weekday(-2, Monday, 1), nudge::invalid_argument);
    CHECK_THROWS_WITH(HolidayRule::nth_weekday(1, Monday, 13), doctest::Contains("month"));
    CHECK_THROWS_WITH(HolidayRule::nth_weekday(1, weekday{9}, 1), doctest::Contains("weekday"));
  }
}

TEST_CASE("calendar.holiday.once") {
  const auto r = HolidayRule::once(ymd(2026, 6, 12), "Company day");
  CHECK(in_year(r, 2026) == "2026-06-12");
  CHECK(in_year(r, 2025) == "none");
  CHECK(in_year(r, 2027) == "none");
  CHECK(r.occurs_on(ymd(2026, 6, 12)));
  CHECK_FALSE(r.occurs_on(ymd(2027, 6, 12)));
}

TEST_CASE("calendar.holiday.easter") {
  SUBCASE("Easter Sunday, checked against published dates") {
    const auto easter = HolidayRule::easter(0);
    CHECK(in_year(easter, 2024) == "2024-03-31");
    CHECK(in_year(easter, 2025) == "2025-04-20");
    CHECK(in_year(easter, 2026) == "2026-04-05");
    CHECK(in_year(easter, 2019) == "2019-04-21");
    CHECK(in_year(easter, 2000) == "2000-04-23");
    CHECK(in_year(easter, 1818) == "1818-03-22");  // earliest possible
    CHECK(in_year(easter, 2038) == "2038-04-25");  // latest possible
    CHECK(in_year(easter, 1583) == "1583-04-10");
    CHECK(in_year(easter, 1582) == "none");        // before the Gregorian calendar
  }
  SUBCASE("offsets") {
    CHECK(in_year(HolidayRule::easter(-2, "Good Friday"), 2026) == "2026-04-03");
    CHECK(in_year(HolidayRule::easter(1, "Easter Monday"), 2026) == "2026-04-06");
    CHECK(in_year(HolidayRule::easter(39, "Ascension Day"), 2026) == "2026-05-14");
    CHECK(in_year(HolidayRule::easter(50, "Whit Monday"), 2026) == "2026-05-25");
  }
  SUBCASE("offset out of range") {
    CHECK_THROWS_WITH_AS(HolidayRule::easter(400), doctest::Contains("offset"), nudge::invalid_argument);
  }
}

TEST_CASE("calendar.holiday.observance") {
  SUBCASE("nearest weekday") {
    const auto july4 = HolidayRule::fixed(7, 4).observed(Observance::nearest_weekday);
    CHECK(in_year(july4, 2026) == "2026-07-03");  // Saturday -> Friday
    CHECK(in_year(july4, 2027) == "2027-07-05");  // Sunday -> Monday
    CHECK(in_year(july4, 2025) == "2025-07-04");  // Friday stays
  }
  SUBCASE("into the previous year") {
    const auto new_year = HolidayRule::fixed(1, 1).observed(Observance::nearest_weekday);
    CHECK(in_year(new_year, 2022) == "2021-12-31");  // Saturday January 1
    CHECK(new_year.occurs_on(ymd(2021, 12, 31)));
    CHECK_FALSE(new_year.occurs_on(ymd(2022, 1, 1)));
  }
  SUBCASE("next Monday") {
    const auto xmas = HolidayRule::fixed(12, 25).observed(Observance::next_monday);
    CHECK(in_year(xmas, 2027) == "2027-12-27");  // Saturday -> Monday
    CHECK(in_year(xmas, 2022) == "2022-12-26");  // Sunday -> Monday
  }
  SUBCASE("Sunday to Monday leaves Saturday") {
    const auto r = HolidayRule::fixed(7, 4).observed(Observance::sunday_to_monday);
    CHECK(in_year(r, 2026) == "2026-07-04");
    CHECK(in_year(r, 2027) == "2027-07-05");
  }
  SUBCASE("observed() returns a new rule") {
    const auto plain = HolidayRule::fixed(7, 4);
    const auto moved = plain.observed(Observance::nearest_weekday);
    CHECK(plain.observance() == Observance::none);
    CHECK(moved.observance() == Observance::nearest_weekday);
    CHECK(plain != moved);
  }
}

TEST_CASE("calendar.holiday.to_string") {
  CHECK(to_string(HolidayRule::fixed(12, 25, "Christmas Day")) == "Christmas Day (every December 25)");
  CHECK(to_string(HolidayRule::fixed(12, 25)) == "every December 25");
  CHECK(HolidayRule::nth_weekday(4, Thursday, 11).description() == "4th Thursday of November");
  CHECK(HolidayRule::nth_weekday(1, Monday, 9).description() == "1st Monday of September");
  CHECK(HolidayRule::nth_weekday(2, Monday, 9).description() == "2nd Monday of September");
  CHECK(HolidayRule::nth_weekday(3, Monday, 1).description() == "3rd Monday of January");
  CHECK(HolidayRule::nth_weekday(-1, Monday, 5).description() == "last Monday of May");
  CHECK(HolidayRule::once(ymd(2026, 6, 12)).description() == "once on 2026-06-12");
  CHECK(HolidayRule::easter(0).description() == "Easter Sunday");
  CHECK(HolidayRule::easter(1).description() == "Easter +1 day");
  CHECK(HolidayRule::easter(-2).description() == "Easter -2 days");
  CHECK(HolidayRule::fixed(7, 4, "Independence Day").observed(Observance::nearest_weekday).description() ==
        "every July 4, observed on the nearest weekday");
}

TEST_CASE("calendar.holiday.regular") {
  SUBCASE("equality covers every field") {
    CHECK(HolidayRule::fixed(12, 25, "X") == HolidayRule::fixed(12, 25, "X"));
    CHECK(HolidayRule::fixed(12, 25, "X") != HolidayRule::fixed(12, 25, "Y"));
    CHECK(HolidayRule::fixed(12, 25) != HolidayRule::fixed(12, 26));
    CHECK(HolidayRule::nth_weekday(1, Monday, 9) != HolidayRule::nth_weekday(1, Tuesday, 9));
    CHECK(HolidayRule::easter(1) != HolidayRule::easter(-1));
  }
  SUBCASE("default is January 1") {
    const HolidayRule r;
    CHECK(r == HolidayRule::fixed(1, 1));
    HolidayRule copy = HolidayRule::easter(1);
    copy = r;
    CHECK(copy == r);
  }
}
}  // namespace nudge_calendar_test_holiday
