#pragma once
/// @file
/// Business-day conventions: how a date that is not a business day is moved
/// onto one (the names follow QuantLib and ISDA).

#include <ostream>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include <nudge/error.hpp>

namespace nudge {

/// How BusinessCalendar::adjust() moves a non-business day.
///
/// @code
/// // Saturday 2026-01-31 under Mon-Fri:
/// cal.adjust(ymd(2026, 1, 31), nudge::Convention::following);           // Mon 2026-02-02
/// cal.adjust(ymd(2026, 1, 31), nudge::Convention::modified_following);  // Fri 2026-01-30
/// @endcode
enum class Convention {
  unadjusted,          ///< keep the date
  following,           ///< the first business day on or after it
  modified_following,  ///< following, unless that is in the next month: then preceding
  preceding,           ///< the last business day on or before it
  modified_preceding,  ///< preceding, unless that is in the previous month: then following
};

/// The snake_case name: "following", "modified_following", ...
inline std::string to_string(Convention c) {
  switch (c) {
    case Convention::unadjusted: return "unadjusted";
    case Convention::following: return "following";
    case Convention::modified_following: return "modified_following";
    case Convention::preceding: return "preceding";
    case Convention::modified_preceding: return "modified_preceding";
  }
  return "unknown";
}

inline std::ostream& operator<<(std::ostream& os, Convention c) { return os << to_string(c); }

/// Reads a convention by its to_string() name.
/// @throws nudge::invalid_argument listing the accepted names.
inline Convention parse_convention(std::string_view text) {
  for (auto c : {Convention::unadjusted, Convention::following, Convention::modified_following,
                 Convention::preceding, Convention::modified_preceding}) {
    if (text == to_string(c)) return c;
  }
  throw invalid_argument(fmt::format(
      "convention: expected one of unadjusted, following, modified_following, preceding, "
      "modified_preceding, got \"{}\"",
      text));
}

}  // namespace nudge
