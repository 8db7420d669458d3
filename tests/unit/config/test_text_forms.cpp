#include <doctest/doctest.h>

#include <nudge/config/duration.hpp>
#include <nudge/config/holiday_text.hpp>

// Own namespace: the tests build as a unity build.
namespace nudge_config_test_text_forms {

using namespace nudge;
using namespace std::chrono_literals;

TEST_CASE("config.duration.forms") {
  CHECK(parse_duration("90d") == Period::days(90));
  CHECK(parse_duration("90 days") == Period::days(90));
  CHECK(parse_duration("36h") == Period::hours(36));
  CHECK(parse_duration("2w") == Period::weeks(2));
  CHECK(parse_duration("3 business days") == Period::business_days(3));
  CHECK(parse_duration("8 business hours") == Period::business_hours(8));
  CHECK(parse_duration("36h of business days") == Period{36h, TimeBasis::business_days});
  CHECK(parse_duration("0d") == Period{});
  for (const auto& p : {Period::days(90), Period::hours(36), Period::business_days(1), Period{90min, TimeBasis::business_hours},
                        Period::seconds(45)})
    CHECK(parse_duration(duration_text(p)) == p);
}

TEST_CASE("config.duration.errors") {
  const auto message = [](std::string_view text) {
    try {
      (void)parse_duration(text);
    } catch (const invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("(accepted)");
  };
  CHECK(message("ninety") == R"(expected a duration like "90d", "36h" or "3 business days", got "ninety")");
  CHECK(message("") == R"(expected a duration like "90d", "36h" or "3 business days", got "")");
  CHECK(message("-3d") ==
        R"(expected a duration like "90d", "36h" or "3 business days" (zero or more), got a negative duration "-3d")");
  CHECK(message("1.5d") ==
        R"(expected a duration like "90d", "36h" or "3 business days" in whole units ("36h" rather than "1.5d"), got "1.5d")");
  CHECK(message("99999999999999999999d").find("got \"99999999999999999999d\"") != std::string::npos);
  CHECK(message(std::string(200, 'x')).find("...\"") != std::string::npos);  // long text is cut
}

TEST_CASE("config.clock_time_and_window") {
  CHECK(parse_clock_time("09:00") == 9h);
  CHECK(parse_clock_time("9:30") == 9h + 30min);
  CHECK(parse_clock_time("24:00") == 24h);
  for (auto bad : {"24:01", "9", "09:60", "0900", "ab:cd", "-1:00", "09:00 "}) {
    CAPTURE(bad);
    CHECK_THROWS_AS(parse_clock_time(bad), invalid_argument);
  }
  CHECK(parse_window("09:00-18:00") == std::pair{std::chrono::minutes{9h}, std::chrono::minutes{18h}});
  CHECK(parse_window("09:00 - 18:00") == std::pair{std::chrono::minutes{9h}, std::chrono::minutes{18h}});
  CHECK_THROWS_AS(parse_window("18:00-09:00"), invalid_argument);
  CHECK(window_text({9h, 24h}) == "09:00-24:00");
}

TEST_CASE("config.iso_date") {
  CHECK(parse_iso_date("2026-06-12") == ymd(2026, 6, 12));
  CHECK(parse_iso_date("2028-02-29") == ymd(2028, 2, 29));
  for (auto bad : {"2026-02-29", "2026-13-01", "2026-6-12", "0000-01-01", "2026/06/12", "2026-06-12T00:00"}) {
    CAPTURE(bad);
    CHECK_THROWS_AS(parse_iso_date(bad), invalid_argument);
  }
}

TEST_CASE("config.holiday_text.forms") {
  using std::chrono::Monday, std::chrono::Thursday;
  CHECK(parse_holiday_on("December 25") == HolidayRule::fixed(12, 25));
  CHECK(parse_holiday_on("25 Dec") == HolidayRule::fixed(12, 25));
  CHECK(parse_holiday_on("february 29") == HolidayRule::fixed(2, 29));
  CHECK(parse_holiday_on("4th Thursday of November") == HolidayRule::nth_weekday(4, Thursday, 11));
  CHECK(parse_holiday_on("fourth thu of nov") == HolidayRule::nth_weekday(4, Thursday, 11));
  CHECK(parse_holiday_on("last Monday of May") == HolidayRule::nth_weekday(-1, Monday, 5));
  CHECK(parse_holiday_on("Easter") == HolidayRule::easter(0));
  CHECK(parse_holiday_on("Easter +1") == HolidayRule::easter(1));
  CHECK(parse_holiday_on("easter-2") == HolidayRule::easter(-2));
  CHECK(parse_holiday_on("Easter + 39 days") == HolidayRule::easter(39));
  CHECK(parse_holiday_on("2026-06-12", "Bridge") == HolidayRule::once(ymd(2026, 6, 12), "Bridge"));
}

TEST_CASE("config.holiday_text.round_trip") {
  using std::chrono::Monday, std::chrono::Friday;
  for (const auto& r : {HolidayRule::fixed(1, 1), HolidayRule::nth_weekday(1, Monday, 9), HolidayRule::nth_weekday(2, Friday, 3),
                        HolidayRule::nth_weekday(3, Monday, 1), HolidayRule::nth_weekday(5, Friday, 12),
                        HolidayRule::nth_weekday(-1, Monday, 5), HolidayRule::easter(-2), HolidayRule::easter(0),
                        HolidayRule::easter(50), HolidayRule::once(ymd(2027, 1, 2))}) {
    CAPTURE(holiday_on_text(r));
    CHECK(parse_holiday_on(holiday_on_text(r)) == r);
  }
  CHECK(holiday_on_text(HolidayRule::nth_weekday(4, std::chrono::Thursday, 11)) == "4th Thursday of November");
  CHECK(holiday_on_text(HolidayRule::easter(1)) == "Easter +1");
}

TEST_CASE("config.holiday_text.errors") {
  for (auto bad : {"", "Christmas", "February 30", "6th Monday of May", "Easter +400", "Easter tomorrow",
                   "4th Thursday in November", "13 Smarch", "2026-02-30"}) {
    CAPTURE(bad);
    CHECK_THROWS_AS(parse_holiday_on(bad), invalid_argument);
  }
  try {
    (void)parse_holiday_on("February 30");
  } catch (const invalid_argument& e) {
    CHECK(std::string(e.what()).find("got \"February 30\": day 30 is not valid in February (1..29)") != std::string::npos);
  }
}
}  // namespace nudge_config_test_text_forms
