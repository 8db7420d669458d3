#pragma once
/// @file
/// Periods: a length of time together with the clock it is measured on
/// (plain calendar time, business days or business hours), their text form
/// ("90d", "3 business days", "8 business hours") and its parser.

#include <cctype>
#include <compare>
#include <cstdint>
#include <limits>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include <nudge/domain/time.hpp>
#include <nudge/error.hpp>

namespace nudge {

/// The clock a Period is measured on. See BusinessCalendar::elapsed().
enum class TimeBasis {
  calendar,        ///< every second counts
  business_days,   ///< only seconds of business days (whole local days) count
  business_hours,  ///< only seconds inside working hours of business days count
};

/// "calendar", "business_days" or "business_hours".
inline std::string to_string(TimeBasis b) {
  switch (b) {
    case TimeBasis::calendar: return "calendar";
    case TimeBasis::business_days: return "business_days";
    case TimeBasis::business_hours: return "business_hours";
  }
  return "unknown";
}

inline std::ostream& operator<<(std::ostream& os, TimeBasis b) { return os << to_string(b); }

/// A length of time measured on a TimeBasis. Regular value type.
///
/// A business-days period counts 86400 s per business day: "3 business days"
/// is `{259200s, business_days}`. A business-hours period counts working
/// seconds: "8 business hours" is `{28800s, business_hours}`. What a period
/// means at a given instant is decided by BusinessCalendar::advance() and
/// BusinessCalendar::elapsed().
///
/// The factories reject negative counts (nudge::invalid_argument); an
/// aggregate-initialised negative length is allowed and means "backwards"
/// to BusinessCalendar::advance().
///
/// @code
/// using nudge::Period;
/// Period p = Period::business_days(3);
/// assert(p == nudge::parse_period("3 business days"));
/// assert(nudge::to_string(Period::days(90)) == "90d");
/// @endcode
struct Period {
  Seconds length{0};
  TimeBasis basis = TimeBasis::calendar;

  friend constexpr bool operator==(const Period&, const Period&) = default;
  /// Orders by length, then basis (a total order for containers, not a
  /// comparison of durations across bases).
  friend constexpr auto operator<=>(const Period&, const Period&) = default;

  static Period seconds(long n) { return make(n, 1, TimeBasis::calendar, "seconds"); }
  static Period minutes(long n) { return make(n, 60, TimeBasis::calendar, "minutes"); }
  static Period hours(long n) { return make(n, 3600, TimeBasis::calendar, "hours"); }
  static Period days(long n) { return make(n, 86400, TimeBasis::calendar, "days"); }
  static Period weeks(long n) { return make(n, 7 * 86400, TimeBasis::calendar, "weeks"); }
  static Period business_days(long n) { return make(n, 86400, TimeBasis::business_days, "business days"); }
  static Period business_hours(long n) { return make(n, 3600, TimeBasis::business_hours, "business hours"); }

private:
  static Period make(long n, std::int64_t unit, TimeBasis basis, const char* what) {
    if (n < 0) {
      throw invalid_argument(fmt::format("period: {} must not be negative, got {}", what, n));
    }
    if (static_cast<std::int64_t>(n) > std::numeric_limits<std::int64_t>::max() / unit) {
      throw invalid_argument(fmt::format("period: {} {} is too large", n, what));
    }
    return Period{Seconds{static_cast<std::int64_t>(n) * unit}, basis};
  }
};

namespace detail {

/// Calendar text of a length in seconds: the largest of d, h, m, s that divides it.
inline std::string plain_duration_text(std::uint64_t s) {
  if (s == 0) return "0d";
  if (s % 86400 == 0) return fmt::format("{}d", s / 86400);
  if (s % 3600 == 0) return fmt::format("{}h", s / 3600);
  if (s % 60 == 0) return fmt::format("{}m", s / 60);
  return fmt::format("{}s", s);
}

/// Seconds per unit word of a calendar duration, 0 if the word is not a unit.
inline std::int64_t calendar_unit_seconds(std::string_view w) {
  for (auto u : {"s", "sec", "secs", "second", "seconds"}) if (w == u) return 1;
  for (auto u : {"m", "min", "mins", "minute", "minutes"}) if (w == u) return 60;
  for (auto u : {"h", "hr", "hrs", "hour", "hours"}) if (w == u) return 3600;
  for (auto u : {"d", "day", "days"}) if (w == u) return 86400;
  for (auto u : {"w", "wk", "wks", "week", "weeks"}) if (w == u) return 7 * 86400;
  return 0;
}

}  // namespace detail

/// Canonical text of a period; parse_period() reads it back to an equal value.
///
/// Calendar periods use the largest exact unit ("90d", "36h", "90m", "45s");
/// business periods read "3 business days", "1 business day",
/// "8 business hours", or, when the length is not whole days (hours),
/// "36h of business days" ("90m of business hours").
inline std::string to_string(const Period& p) {
  const bool negative = p.length.count() < 0;
  // The magnitude in unsigned arithmetic, so that Seconds::min() prints too.
  const std::uint64_t s = negative ? std::uint64_t{0} - static_cast<std::uint64_t>(p.length.count())
                                   : static_cast<std::uint64_t>(p.length.count());
  const std::string sign = negative ? "-" : "";
  switch (p.basis) {
    case TimeBasis::calendar: return sign + detail::plain_duration_text(s);
    case TimeBasis::business_days:
      if (s % 86400 == 0) return fmt::format("{}{} business day{}", sign, s / 86400, s == 86400 ? "" : "s");
      return fmt::format("{}{} of business days", sign, detail::plain_duration_text(s));
    case TimeBasis::business_hours:
      if (s % 3600 == 0) return fmt::format("{}{} business hour{}", sign, s / 3600, s == 3600 ? "" : "s");
      return fmt::format("{}{} of business hours", sign, detail::plain_duration_text(s));
  }
  return "?";
}

inline std::ostream& operator<<(std::ostream& os, const Period& p) { return os << to_string(p); }

/// Reads a period. Case-insensitive; the unit may follow the number directly
/// or after spaces. Accepted forms:
///   - calendar: "90d", "90 days", "36h", "36 hours", "30m", "15 minutes",
///     "45s", "2w", "2 weeks" (also "sec", "min", "hr", "wk" and singulars);
///   - business days: "3 business days", "1 business day", "3bd";
///   - business hours: "8 business hours", "1 business hour", "8bh";
///   - any calendar duration measured on a business clock:
///     "36h of business days", "90m of business hours".
///
/// @throws nudge::invalid_argument naming the text and what was expected; a
///         negative or fractional count is rejected.
///
/// @code
/// assert(nudge::parse_period("90 days") == nudge::Period::days(90));
/// assert(nudge::parse_period("8bh") == nudge::Period::business_hours(8));
/// @endcode
inline Period parse_period(std::string_view text) {
  const auto fail = [&](std::string_view why = {}) -> invalid_argument {
    return invalid_argument(fmt::format(
        "period: expected a duration like \"90d\", \"36h\", \"3 business days\" or \"8 business hours\"{}, got \"{}\"",
        why, text));
  };
  std::string s;
  s.reserve(text.size());
  for (char c : text) s.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));

  std::size_t i = 0;
  const auto skip_space = [&] {
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  };
  skip_space();
  if (i < s.size() && s[i] == '-') {
    throw invalid_argument(fmt::format("period: a duration must not be negative, got \"{}\"", text));
  }
  if (i < s.size() && s[i] == '+') ++i;
  if (i >= s.size() || !std::isdigit(static_cast<unsigned char>(s[i]))) throw fail();
  std::int64_t n = 0;
  for (; i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])); ++i) {
    if (n > (std::numeric_limits<std::int64_t>::max() - 9) / 10) throw fail(" (the number is too large)");
    n = n * 10 + (s[i] - '0');
  }
  if (i < s.size() && (s[i] == '.' || s[i] == ',')) throw fail(" (whole numbers only)");

  // The rest is a list of words: the unit may be glued to the number ("90d").
  std::vector<std::string_view> words;
  const std::string_view rest(s);
  while (true) {
    skip_space();
    if (i >= s.size()) break;
    const std::size_t b = i;
    while (i < s.size() && std::isalpha(static_cast<unsigned char>(s[i]))) ++i;
    if (i == b) throw fail();
    words.push_back(rest.substr(b, i - b));
  }

  const auto scaled = [&](std::int64_t unit, TimeBasis basis) {
    if (n > std::numeric_limits<std::int64_t>::max() / unit) throw fail(" (the number is too large)");
    return Period{Seconds{n * unit}, basis};
  };
  const auto is_day = [](std::string_view w) { return w == "day" || w == "days"; };
  const auto is_hour = [](std::string_view w) { return w == "hour" || w == "hours"; };

  if (words.size() == 1) {
    if (words[0] == "bd") return scaled(86400, TimeBasis::business_days);
    if (words[0] == "bh") return scaled(3600, TimeBasis::business_hours);
    if (const auto unit = detail::calendar_unit_seconds(words[0])) return scaled(unit, TimeBasis::calendar);
  } else if (words.size() == 2 && words[0] == "business") {
    if (is_day(words[1])) return scaled(86400, TimeBasis::business_days);
    if (is_hour(words[1])) return scaled(3600, TimeBasis::business_hours);
  } else if (words.size() == 4 && words[1] == "of" && words[2] == "business") {
    if (const auto unit = detail::calendar_unit_seconds(words[0])) {
      if (words[3] == "days") return scaled(unit, TimeBasis::business_days);
      if (words[3] == "hours") return scaled(unit, TimeBasis::business_hours);
    }
  }
  throw fail();
}

}  // namespace nudge
