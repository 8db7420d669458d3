#pragma once
/// @file
/// Time vocabulary: instants are UTC seconds, dates are days. Nothing in the
/// core reads the wall clock; every evaluation takes `now` as an argument.

#include <chrono>
#include <cstdint>
#include <string>

#include <fmt/format.h>

namespace nudge {

/// A moment in time, UTC, second resolution.
using Instant = std::chrono::sys_seconds;
/// A calendar date (no time zone attached).
using Date = std::chrono::sys_days;
using Seconds = std::chrono::seconds;
using Days = std::chrono::days;

/// An instant from Unix seconds.
constexpr Instant from_unix(std::int64_t s) { return Instant{Seconds{s}}; }
/// Unix seconds of an instant.
constexpr std::int64_t to_unix(Instant t) { return t.time_since_epoch().count(); }

/// A date from year, month, day (not validated; see make_date).
constexpr Date ymd(int y, unsigned m, unsigned d) {
  return std::chrono::sys_days{std::chrono::year{y} / std::chrono::month{m} / std::chrono::day{d}};
}

/// Midnight UTC of a date.
constexpr Instant at_midnight(Date d) { return std::chrono::time_point_cast<Seconds>(d); }

/// The UTC date an instant falls on.
constexpr Date utc_date(Instant t) { return std::chrono::floor<Days>(t); }

/// ISO-8601 text of a date: "2026-08-14".
inline std::string iso_date(Date d) {
  const std::chrono::year_month_day v{d};
  return fmt::format("{:04}-{:02}-{:02}", static_cast<int>(v.year()), static_cast<unsigned>(v.month()),
                     static_cast<unsigned>(v.day()));
}

/// ISO-8601 text of an instant in UTC: "2026-08-14T09:30:00Z".
inline std::string iso_instant(Instant t) {
  const Date d = utc_date(t);
  const auto s = (t - at_midnight(d)).count();
  return fmt::format("{}T{:02}:{:02}:{:02}Z", iso_date(d), s / 3600, s / 60 % 60, s % 60);
}

}  // namespace nudge
