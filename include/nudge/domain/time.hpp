#pragma once
/// @file
/// Time vocabulary: instants are UTC seconds, dates are days. Nothing in the
/// core reads the wall clock; every evaluation takes `now` as an argument.

#include <chrono>
#include <cstdint>
#include <charconv>
#include <optional>
#include <string>
#include <string_view>

#include <nudge/error.hpp>

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

/// An instant or none, in 8 bytes (std::optional<Instant> takes 16): none is
/// Instant::min(), which no fact carries. Reads like std::optional<Instant>
/// (`if (t)`, `*t`, `value_or`, `reset`, comparing with an instant or
/// std::nullopt) and converts to and from it, so code written against the
/// optional keeps working. ClientSummary holds eleven per client.
class MaybeInstant {
public:
  constexpr MaybeInstant() noexcept = default;
  constexpr MaybeInstant(std::nullopt_t) noexcept {}                // NOLINT: as std::optional
  constexpr MaybeInstant(Instant t) noexcept : t_(t) {}             // NOLINT: as std::optional
  constexpr MaybeInstant(const std::optional<Instant>& o) noexcept  // NOLINT: as std::optional
      : t_(o ? *o : none) {}
  constexpr operator std::optional<Instant>() const noexcept {      // NOLINT: as std::optional
    return has_value() ? std::optional<Instant>(t_) : std::nullopt;
  }

  [[nodiscard]] constexpr bool has_value() const noexcept { return t_ != none; }
  constexpr explicit operator bool() const noexcept { return has_value(); }
  /// Requires has_value().
  constexpr const Instant& operator*() const noexcept { return t_; }
  constexpr const Instant* operator->() const noexcept { return &t_; }
  /// Throws std::bad_optional_access when none.
  [[nodiscard]] constexpr const Instant& value() const {
    if (!has_value()) throw std::bad_optional_access();
    return t_;
  }
  [[nodiscard]] constexpr Instant value_or(Instant other) const noexcept { return has_value() ? t_ : other; }
  /// The instant, Instant::min() when none: the raw form (earlier than any fact).
  [[nodiscard]] constexpr Instant or_min() const noexcept { return t_; }
  constexpr void reset() noexcept { t_ = none; }

  friend constexpr bool operator==(MaybeInstant, MaybeInstant) = default;
  friend constexpr bool operator==(MaybeInstant a, Instant b) noexcept { return a.has_value() && a.t_ == b; }
  friend constexpr bool operator==(MaybeInstant a, std::nullopt_t) noexcept { return !a.has_value(); }
  friend constexpr bool operator==(MaybeInstant a, const std::optional<Instant>& b) noexcept {
    return a == MaybeInstant(b);
  }

private:
  static constexpr Instant none = Instant::min();
  Instant t_ = none;
};

namespace detail {
/// Writes `v` (0..99) as two digits at `p`.
inline void two_digits(char* p, unsigned v) {
  p[0] = static_cast<char>('0' + v / 10);
  p[1] = static_cast<char>('0' + v % 10);
}
/// Writes "YYYY-MM-DD" at `p` (10 chars) for a year in 0..9999; false otherwise.
inline bool write_iso_date(char* p, const std::chrono::year_month_day& v) {
  const int y = static_cast<int>(v.year());
  if (y < 0 || y > 9999) return false;
  two_digits(p, static_cast<unsigned>(y / 100));
  two_digits(p + 2, static_cast<unsigned>(y % 100));
  p[4] = '-';
  two_digits(p + 5, static_cast<unsigned>(v.month()));
  p[7] = '-';
  two_digits(p + 8, static_cast<unsigned>(v.day()));
  return true;
}
}  // namespace detail

/// ISO-8601 text of a date: "2026-08-14". Years outside 0000..9999 print as
/// many digits as they need, with their sign.
inline std::string iso_date(Date d) {
  const std::chrono::year_month_day v{d};
  char buf[10];
  if (detail::write_iso_date(buf, v)) return std::string(buf, sizeof buf);
  return fmt::format("{:04}-{:02}-{:02}", static_cast<int>(v.year()), static_cast<unsigned>(v.month()),
                     static_cast<unsigned>(v.day()));
}

namespace detail {
/// An instant's ISO-8601 text held in place, without allocating: for code
/// that prints millions (a plan's explanations). view() lives as long as it.
class IsoText {
public:
  explicit IsoText(Instant t) {
    const Date d = utc_date(t);
    const auto s = static_cast<unsigned>((t - at_midnight(d)).count());  // 0..86399
    const std::chrono::year_month_day v{d};
    if (!write_iso_date(buf_, v)) {  // a year outside 0000..9999: as many digits as it needs
      const auto r = fmt::format_to_n(buf_, sizeof buf_, "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
                                      static_cast<int>(v.year()), static_cast<unsigned>(v.month()),
                                      static_cast<unsigned>(v.day()), s / 3600, s / 60 % 60, s % 60);
      n_ = r.size;
      return;
    }
    buf_[10] = 'T';
    two_digits(buf_ + 11, s / 3600);
    buf_[13] = ':';
    two_digits(buf_ + 14, s / 60 % 60);
    buf_[16] = ':';
    two_digits(buf_ + 17, s % 60);
    buf_[19] = 'Z';
    n_ = 20;
  }
  [[nodiscard]] std::string_view view() const { return {buf_, n_}; }

private:
  char buf_[32];  // a year of int's range and the rest: at most 31
  std::size_t n_ = 0;
};
}  // namespace detail

/// ISO-8601 text of an instant in UTC: "2026-08-14T09:30:00Z". Years outside
/// 0000..9999 print as many digits as they need, with their sign.
inline std::string iso_instant(Instant t) { return std::string(detail::IsoText(t).view()); }

/// Parses an ISO-8601 instant: "2026-08-14" (midnight UTC), "2026-08-14T09:30",
/// "2026-08-14T09:30:00Z", "2026-08-14T12:30:00+03:00" (a space may replace the T).
/// Throws invalid_argument naming `field` and the text.
inline Instant parse_instant(std::string_view text, std::string_view field = "time") {
  auto fail = [&]() -> Instant {
    throw invalid_argument(fmt::format("{}: expected an ISO-8601 time like 2026-08-14 or 2026-08-14T09:30:00Z, got '{}'",
                                       field, text));
  };
  std::size_t i = 0;
  auto num = [&](std::size_t digits, int& out) {
    if (i + digits > text.size()) return false;
    auto r = std::from_chars(text.data() + i, text.data() + i + digits, out);
    if (r.ec != std::errc{} || r.ptr != text.data() + i + digits) return false;
    i += digits;
    return true;
  };
  auto lit = [&](char c) {
    if (i < text.size() && text[i] == c) {
      ++i;
      return true;
    }
    return false;
  };
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  if (!num(4, y) || !lit('-') || !num(2, mo) || !lit('-') || !num(2, d)) return fail();
  const std::chrono::year_month_day ymd_v{std::chrono::year{y}, std::chrono::month{static_cast<unsigned>(mo)},
                                          std::chrono::day{static_cast<unsigned>(d)}};
  if (!ymd_v.ok()) return fail();
  Instant t = at_midnight(Date{ymd_v});
  if (i == text.size()) return t;
  if (!lit('T') && !lit(' ')) return fail();
  if (!num(2, h) || !lit(':') || !num(2, mi)) return fail();
  if (lit(':') && !num(2, sec)) return fail();
  if (h > 23 || mi > 59 || sec > 60) return fail();
  t += std::chrono::hours{h} + std::chrono::minutes{mi} + Seconds{sec};
  if (i == text.size() || lit('Z')) return i == text.size() ? t : fail();
  const bool plus = lit('+');
  if (!plus && !lit('-')) return fail();
  int oh = 0, om = 0;
  if (!num(2, oh)) return fail();
  lit(':');
  if (!num(2, om) || i != text.size() || oh > 23 || om > 59) return fail();
  const auto off = std::chrono::hours{oh} + std::chrono::minutes{om};
  return plus ? t - off : t + off;
}

}  // namespace nudge
