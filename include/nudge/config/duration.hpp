#pragma once
/// @file
/// The small text forms of the configuration file: durations as people write
/// them ("90d", "36h", "3 business days"), clock times ("09:00"), working
/// windows ("09:00-18:00") and dates ("2026-06-12"). Each parser throws
/// nudge::invalid_argument whose message says what was expected and quotes
/// what it got, without a path (the loader adds the path).

#include <cctype>
#include <chrono>
#include <string>
#include <string_view>
#include <utility>

#include <fmt/format.h>

#include <nudge/calendar/period.hpp>
#include <nudge/domain/time.hpp>
#include <nudge/error.hpp>

namespace nudge {

namespace detail {

/// The text quoted in a message, cut to a readable length.
inline std::string quote_text(std::string_view s) {
  constexpr std::size_t max = 60;
  if (s.size() <= max) return fmt::format("\"{}\"", s);
  std::size_t cut = max;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;  // keep UTF-8 whole
  return fmt::format("\"{}...\"", s.substr(0, cut));
}

inline constexpr std::string_view duration_hint = R"(a duration like "90d", "36h" or "3 business days")";

}  // namespace detail

/// Reads a duration: "90d", "90 days", "36h", "2w", "3 business days",
/// "8 business hours", "36h of business days" (see nudge::parse_period).
///
/// @throws nudge::invalid_argument: `expected a duration like "90d", "36h" or
///         "3 business days", got "ninety"`; negative and fractional counts
///         get their own message.
///
/// @code
/// assert(nudge::parse_duration("3 business days") == nudge::Period::business_days(3));
/// @endcode
inline Period parse_duration(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
  if (i < text.size() && text[i] == '-')
    throw invalid_argument(fmt::format("expected {} (zero or more), got a negative duration {}", detail::duration_hint,
                                       detail::quote_text(text)));
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
  if (i < text.size() && i > 0 && (text[i] == '.' || text[i] == ','))
    throw invalid_argument(fmt::format("expected {} in whole units (\"36h\" rather than \"1.5d\"), got {}",
                                       detail::duration_hint, detail::quote_text(text)));
  try {
    return parse_period(text);
  } catch (const invalid_argument&) {
    throw invalid_argument(fmt::format("expected {}, got {}", detail::duration_hint, detail::quote_text(text)));
  }
}

/// The canonical text of a duration; parse_duration() reads it back equal.
inline std::string duration_text(const Period& p) { return to_string(p); }

/// Reads a clock time "HH:MM" (also "H:MM"), 00:00 to 24:00, as minutes after midnight.
/// @throws nudge::invalid_argument quoting the text.
inline std::chrono::minutes parse_clock_time(std::string_view text) {
  const auto fail = [&] {
    return invalid_argument(fmt::format("expected a time of day like \"09:00\" (00:00 to 24:00), got {}",
                                        detail::quote_text(text)));
  };
  const auto colon = text.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon > 2 || text.size() != colon + 3) throw fail();
  int h = 0, m = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (i == colon) continue;
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) throw fail();
    (i < colon ? h : m) = (i < colon ? h : m) * 10 + (text[i] - '0');
  }
  if (m > 59 || h > 24 || (h == 24 && m != 0)) throw fail();
  return std::chrono::hours{h} + std::chrono::minutes{m};
}

/// "09:00", "24:00".
inline std::string clock_time_text(std::chrono::minutes m) {
  return fmt::format("{:02}:{:02}", m.count() / 60, m.count() % 60);
}

/// Reads a working window "09:00-18:00" (start before end).
/// @throws nudge::invalid_argument quoting the text.
inline std::pair<std::chrono::minutes, std::chrono::minutes> parse_window(std::string_view text) {
  const auto fail = [&](std::string_view why) {
    return invalid_argument(fmt::format("expected working hours like \"09:00-18:00\"{}, got {}", why,
                                        detail::quote_text(text)));
  };
  const auto dash = text.find('-');
  if (dash == std::string_view::npos) throw fail("");
  auto trim = [](std::string_view s) {
    while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
    while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
    return s;
  };
  std::chrono::minutes b{}, e{};
  try {
    b = parse_clock_time(trim(text.substr(0, dash)));
    e = parse_clock_time(trim(text.substr(dash + 1)));
  } catch (const invalid_argument&) {
    throw fail(" (times 00:00 to 24:00)");
  }
  if (b >= e) throw fail(" (the start before the end)");
  return {b, e};
}

/// "09:00-18:00".
inline std::string window_text(const std::pair<std::chrono::minutes, std::chrono::minutes>& w) {
  return clock_time_text(w.first) + "-" + clock_time_text(w.second);
}

/// Reads an ISO date "2026-06-12" (years 1..9999).
/// @throws nudge::invalid_argument quoting the text.
inline Date parse_iso_date(std::string_view text) {
  const auto fail = [&] {
    return invalid_argument(fmt::format("expected a date like \"2026-06-12\", got {}", detail::quote_text(text)));
  };
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') throw fail();
  int v[3] = {0, 0, 0};
  const std::size_t starts[3] = {0, 5, 8}, lens[3] = {4, 2, 2};
  for (int k = 0; k < 3; ++k)
    for (std::size_t i = starts[k]; i < starts[k] + lens[k]; ++i) {
      if (!std::isdigit(static_cast<unsigned char>(text[i]))) throw fail();
      v[k] = v[k] * 10 + (text[i] - '0');
    }
  const std::chrono::year_month_day d{std::chrono::year{v[0]}, std::chrono::month{static_cast<unsigned>(v[1])},
                                      std::chrono::day{static_cast<unsigned>(v[2])}};
  if (v[0] < 1 || !d.ok()) throw fail();
  return Date{d};
}

}  // namespace nudge
