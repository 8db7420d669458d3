#pragma once
/// @file
/// Holiday dates as the configuration file writes them: "December 25",
/// "4th Thursday of November", "last Monday of May", "Easter +1",
/// "2026-06-12".

#include <array>
#include <cctype>
#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include <nudge/calendar/holiday.hpp>
#include <nudge/config/duration.hpp>
#include <nudge/error.hpp>

namespace nudge {

namespace detail {

inline constexpr std::string_view holiday_hint =
    R"(a date like "December 25", "4th Thursday of November", "last Monday of May", "Easter +1" or "2026-06-12")";

inline std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

/// 1..12 for "january"/"jan" ..., 0 if not a month.
inline unsigned month_number(std::string_view w) {
  for (unsigned m = 0; m < 12; ++m) {
    const auto full = lower(month_names[m]);
    if (w == full || (w.size() == 3 && full.compare(0, 3, w) == 0)) return m + 1;
  }
  return 0;
}

/// c_encoding (Sunday 0) for "monday"/"mon" ..., -1 if not a weekday.
inline int weekday_number(std::string_view w) {
  for (int d = 0; d < 7; ++d) {
    const auto full = lower(weekday_names[static_cast<std::size_t>(d)]);
    if (w == full || (w.size() == 3 && full.compare(0, 3, w) == 0)) return d;
  }
  return -1;
}

/// 1..5 for "1st"/"first" ..., -1 for "last", 0 otherwise.
inline int ordinal_number(std::string_view w) {
  static constexpr std::array<std::string_view, 5> words = {"first", "second", "third", "fourth", "fifth"};
  static constexpr std::array<std::string_view, 5> nums = {"1st", "2nd", "3rd", "4th", "5th"};
  for (int i = 0; i < 5; ++i)
    if (w == words[static_cast<std::size_t>(i)] || w == nums[static_cast<std::size_t>(i)]) return i + 1;
  return w == "last" ? -1 : 0;
}

/// A small whole number (up to 4 digits), or -1.
inline int small_number(std::string_view w) {
  if (w.empty() || w.size() > 4) return -1;
  int n = 0;
  for (char c : w) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return -1;
    n = n * 10 + (c - '0');
  }
  return n;
}

}  // namespace detail

/// Reads when a holiday falls (the rule gets `name`; no observance):
///  - "December 25" (or "25 December", "Dec 25"): every year on that day;
///  - "4th Thursday of November", "first Monday of September",
///    "last Monday of May": the n-th (1st..5th) or last weekday of a month;
///  - "Easter", "Easter +1", "Easter -2", "Easter +39 days": Western Easter
///    Sunday plus days;
///  - "2026-06-12": once.
/// Case-insensitive; month and weekday names may be cut to three letters.
///
/// @throws nudge::invalid_argument saying what was expected and quoting the text.
inline HolidayRule parse_holiday_on(std::string_view text, std::string name = {}) {
  const auto fail = [&](std::string_view why = {}) {
    return invalid_argument(
        fmt::format("expected {}, got {}{}", detail::holiday_hint, detail::quote_text(text), why));
  };
  const std::string s = detail::lower(text);
  std::vector<std::string_view> words;
  for (std::size_t i = 0; i < s.size();) {
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    const std::size_t b = i;
    while (i < s.size() && !std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    if (i > b) words.push_back(std::string_view(s).substr(b, i - b));
  }
  if (words.empty()) throw fail();
  try {
    if (words[0].compare(0, 6, "easter") == 0) {
      std::string rest(words[0].substr(6));
      for (std::size_t k = 1; k < words.size(); ++k) rest += words[k];
      for (std::string_view unit : {"days", "day"})
        if (rest.size() >= unit.size() && rest.compare(rest.size() - unit.size(), unit.size(), unit) == 0) {
          rest.resize(rest.size() - unit.size());
          break;
        }
      if (rest.empty()) return HolidayRule::easter(0, name);
      const bool minus = rest[0] == '-';
      if (rest[0] != '+' && rest[0] != '-') throw fail();
      const int n = detail::small_number(std::string_view(rest).substr(1));
      if (n < 0) throw fail();
      return HolidayRule::easter(minus ? -n : n, name);
    }
    if (words.size() == 1 && words[0].size() == 10 && words[0][4] == '-') return HolidayRule::once(parse_iso_date(words[0]), name);
    if (words.size() == 2) {
      unsigned m = detail::month_number(words[0]);
      int d = detail::small_number(words[1]);
      if (m == 0) {
        m = detail::month_number(words[1]);
        d = detail::small_number(words[0]);
      }
      if (m == 0 || d < 1) throw fail();
      return HolidayRule::fixed(m, static_cast<unsigned>(d), name);
    }
    if (words.size() == 4 && words[2] == "of") {
      const int n = detail::ordinal_number(words[0]);
      const int wd = detail::weekday_number(words[1]);
      const unsigned m = detail::month_number(words[3]);
      if (n == 0 || wd < 0 || m == 0) throw fail();
      return HolidayRule::nth_weekday(n, std::chrono::weekday{static_cast<unsigned>(wd)}, m, name);
    }
  } catch (const invalid_argument& e) {
    // The calendar's own range checks ("day 30 is not valid in February (1..29)").
    const std::string_view what = e.what();
    if (what.compare(0, 9, "holiday: ") == 0) throw fail(fmt::format(": {}", what.substr(9)));
    throw;
  }
  throw fail();
}

/// The canonical text of when a rule falls; parse_holiday_on() reads it back.
inline std::string holiday_on_text(const HolidayRule& r) {
  switch (r.kind()) {
    case HolidayRule::Kind::fixed: return fmt::format("{} {}", detail::month_names[r.month() - 1], r.day());
    case HolidayRule::Kind::nth_weekday:
      return fmt::format("{} {} of {}", r.nth() == -1 ? std::string("last") : detail::ordinal(r.nth()),
                         detail::weekday_names[r.weekday().c_encoding()], detail::month_names[r.month() - 1]);
    case HolidayRule::Kind::once: return iso_date(r.date());
    case HolidayRule::Kind::easter: return r.offset_days() == 0 ? std::string("Easter") : fmt::format("Easter {:+}", r.offset_days());
  }
  return "?";
}

}  // namespace nudge
