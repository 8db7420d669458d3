#include <doctest/doctest.h>

#include <string>

#include <nudge/calendar/period.hpp>

// Own namespace: the tests build as a unity build.
namespace nudge_calendar_test_period {

using nudge::parse_period;
using nudge::Period;
using nudge::TimeBasis;
using namespace std::chrono_literals;

TEST_CASE("calendar.period.factories") {
  SUBCASE("lengths and bases") {
    CHECK(Period::days(90) == Period{90 * 86400s, TimeBasis::calendar});
    CHECK(Period::hours(36) == Period{36h, TimeBasis::calendar});
    CHECK(Period::minutes(90) == Period{90min, TimeBasis::calendar});
    CHECK(Period::seconds(45) == Period{45s, TimeBasis::calendar});
    CHECK(Period::weeks(2) == Period::days(14));
    CHECK(Period::business_days(3) == Period{3 * 86400s, TimeBasis::business_days});
    CHECK(Period::business_hours(8) == Period{8h, TimeBasis::business_hours});
    CHECK(Period{} == Period{0s, TimeBasis::calendar});
  }
  SUBCASE("negative counts are rejected") {
    CHECK_THROWS_AS(Period::days(-1), nudge::invalid_argument);
    CHECK_THROWS_WITH(Period::business_days(-3), doctest::Contains("must not be negative"));
  }
  SUBCASE("overflow is rejected") { CHECK_THROWS_AS(Period::weeks(1L << 60), nudge::invalid_argument); }
  SUBCASE("equal lengths on different clocks differ") {
    CHECK(Period::days(1) != Period::business_days(1));
    CHECK(Period::hours(24) == Period::days(1));
    CHECK(Period::hours(1) < Period::hours(2));
  }
}

TEST_CASE("calendar.period.to_string") {
  CHECK(to_string(Period::days(90)) == "90d");
  CHECK(to_string(Period::hours(36)) == "36h");
  CHECK(to_string(Period::minutes(90)) == "90m");
  CHECK(to_string(Period::seconds(45)) == "45s");
  CHECK(to_string(Period::weeks(2)) == "14d");
  CHECK(to_string(Period{}) == "0d");
  CHECK(to_string(Period::business_days(3)) == "3 business days");
  CHECK(to_string(Period::business_days(1)) == "1 business day");
  CHECK(to_string(Period::business_hours(8)) == "8 business hours");
  CHECK(to_string(Period::business_hours(1)) == "1 business hour");
  CHECK(to_string(Period{36h, TimeBasis::business_days}) == "36h of business days");
  CHECK(to_string(Period{90min, TimeBasis::business_hours}) == "90m of business hours");
  CHECK(to_string(TimeBasis::business_hours) == "business_hours");
  CHECK(to_string(Period{-90min, TimeBasis::calendar}) == "-90m");
  CHECK(to_string(Period{nudge::Seconds::min(), TimeBasis::calendar}) == "-9223372036854775808s");
}

TEST_CASE("calendar.period.parse") {
  SUBCASE("calendar units") {
    CHECK(parse_period("90d") == Period::days(90));
    CHECK(parse_period("90 days") == Period::days(90));
    CHECK(parse_period("1 day") == Period::days(1));
    CHECK(parse_period("36h") == Period::hours(36));
    CHECK(parse_period("36 hours") == Period::hours(36));
    CHECK(parse_period("30m") == Period::minutes(30));
    CHECK(parse_period("15 minutes") == Period::minutes(15));
    CHECK(parse_period("15 min") == Period::minutes(15));
    CHECK(parse_period("45s") == Period::seconds(45));
    CHECK(parse_period("2w") == Period::weeks(2));
    CHECK(parse_period("2 weeks") == Period::days(14));
  }
  SUBCASE("business units") {
    CHECK(parse_period("3 business days") == Period::business_days(3));
    CHECK(parse_period("1 business day") == Period::business_days(1));
    CHECK(parse_period("3bd") == Period::business_days(3));
    CHECK(parse_period("8 business hours") == Period::business_hours(8));
    CHECK(parse_period("1 business hour") == Period::business_hours(1));
    CHECK(parse_period("8bh") == Period::business_hours(8));
    CHECK(parse_period("36h of business days") == Period{36h, TimeBasis::business_days});
    CHECK(parse_period("90 minutes of business hours") == Period{90min, TimeBasis::business_hours});
  }
  SUBCASE("case and spacing") {
    CHECK(parse_period("  3 Business  Days ") == Period::business_days(3));
    CHECK(parse_period("90D") == Period::days(90));
    CHECK(parse_period("+5h") == Period::hours(5));
  }
}

TEST_CASE("calendar.period.parse_rejects") {
  SUBCASE("names the text and what was expected") {
    CHECK_THROWS_WITH_AS(parse_period("ninety"),
                         doctest::Contains("expected a duration like \"90d\""), nudge::invalid_argument);
    CHECK_THROWS_WITH(parse_period("ninety"), doctest::Contains("got \"ninety\""));
  }
  SUBCASE("negative") {
    CHECK_THROWS_WITH_AS(parse_period("-3d"), doctest::Contains("must not be negative"), nudge::invalid_argument);
  }
  SUBCASE("malformed") {
    for (const char* bad : {"", "   ", "90", "d", "1.5d", "90 parsecs", "3 business weeks", "3 business",
                            "3d 4h", "36h of business", "36h of business minutes", "3 bd bd",
                            "99999999999999999999d", "9999999999999999h", "3_days"}) {
      CAPTURE(bad);
      CHECK_THROWS_AS(parse_period(bad), nudge::invalid_argument);
    }
  }
}

TEST_CASE("calendar.period.round_trip") {
  for (const Period p : {Period::days(90), Period::hours(36), Period::minutes(90), Period::seconds(45), Period{},
                         Period::business_days(3), Period::business_days(1), Period::business_hours(8),
                         Period{36h, TimeBasis::business_days}, Period{90min, TimeBasis::business_hours},
                         Period{45s, TimeBasis::business_days}, Period{0s, TimeBasis::business_hours}}) {
    CAPTURE(to_string(p));
    CHECK(parse_period(to_string(p)) == p);
  }
}
}  // namespace nudge_calendar_test_period
