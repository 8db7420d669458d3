#pragma once
/// @file
/// Holiday rules: "every December 25", "4th Thursday of November",
/// "last Monday of May", "Easter Monday", "once on 2026-06-12", optionally
/// moved off weekends. Yearly rules are evaluated with Boost.Date_Time's
/// generators; Boost types stay inside this header's implementation.

#include <array>
#include <chrono>
#include <optional>
#include <ostream>
#include <string>
#include <utility>

#include <boost/date_time/gregorian/gregorian_types.hpp>
#include <fmt/format.h>

#include <nudge/domain/time.hpp>
#include <nudge/error.hpp>

namespace nudge {

/// How a holiday that falls on a Saturday or Sunday is observed. The weekend
/// here is always Saturday and Sunday, whatever a calendar's week mask says.
enum class Observance {
  none,              ///< on its date, weekend or not
  nearest_weekday,   ///< Saturday -> Friday before, Sunday -> Monday after (US federal)
  next_monday,       ///< Saturday or Sunday -> the Monday after (UK substitute day)
  sunday_to_monday,  ///< Sunday -> Monday; Saturday stays
};

namespace detail {

inline constexpr std::array<const char*, 12> month_names = {
    "January", "February", "March",     "April",   "May",      "June",
    "July",    "August",   "September", "October", "November", "December"};
inline constexpr std::array<const char*, 7> weekday_names = {  // c_encoding order, Sunday first
    "Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"};

/// Boost.Date_Time's Gregorian calendar covers these years only.
inline constexpr int boost_first_year = 1400;
inline constexpr int boost_last_year = 9999;

inline Date from_boost(const boost::gregorian::date& d) {
  return ymd(static_cast<int>(d.year()), static_cast<unsigned>(d.month()), static_cast<unsigned>(d.day()));
}

/// Western (Gregorian) Easter Sunday by the anonymous Gregorian algorithm
/// (Meeus/Jones/Butcher). Valid from 1583 on.
constexpr Date easter_sunday(int year) {
  const int a = year % 19, b = year / 100, c = year % 100;
  const int d = b / 4, e = b % 4, f = (b + 8) / 25, g = (b - f + 1) / 3;
  const int h = (19 * a + b - d - g + 15) % 30;
  const int i = c / 4, k = c % 4;
  const int l = (32 + 2 * e + 2 * i - h - k) % 7;
  const int m = (a + 11 * h + 22 * l) / 451;
  const int month = (h + l - 7 * m + 114) / 31;
  const int day = (h + l - 7 * m + 114) % 31 + 1;
  return ymd(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
}

inline std::string ordinal(int n) {
  switch (n) {
    case 1: return "1st";
    case 2: return "2nd";
    case 3: return "3rd";
    default: return fmt::format("{}th", n);
  }
}

}  // namespace detail

/// One holiday rule. Regular value type (copyable, comparable with ==,
/// printable with to_string()); immutable once built.
///
/// Yearly rules (fixed, nth_weekday) give dates for years 1400..9999, Easter
/// rules from 1583 on; in_year() gives std::nullopt outside those ranges.
///
/// @code
/// using nudge::HolidayRule;
/// auto christmas    = HolidayRule::fixed(12, 25, "Christmas Day");
/// auto thanksgiving = HolidayRule::nth_weekday(4, std::chrono::Thursday, 11, "Thanksgiving");
/// auto memorial     = HolidayRule::nth_weekday(-1, std::chrono::Monday, 5, "Memorial Day");
/// auto easter_mon   = HolidayRule::easter(1, "Easter Monday");
/// auto july4 = HolidayRule::fixed(7, 4, "Independence Day").observed(nudge::Observance::nearest_weekday);
/// assert(*thanksgiving.in_year(2026) == nudge::ymd(2026, 11, 26));
/// assert(*july4.in_year(2026) == nudge::ymd(2026, 7, 3));  // the 4th is a Saturday
/// @endcode
class HolidayRule {
public:
  enum class Kind { fixed, nth_weekday, once, easter };

  /// January 1 every year (a rule is regular, so it has a default).
  HolidayRule() = default;

  /// The same month and day every year. Feb 29 is allowed (no holiday in
  /// common years).
  /// @throws nudge::invalid_argument naming "month" or "day" when out of range.
  static HolidayRule fixed(unsigned month, unsigned day, std::string name = {}) {
    check_month(month);
    static constexpr std::array<unsigned, 12> longest = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (day < 1 || day > longest[month - 1]) {
      throw invalid_argument(fmt::format("holiday: day {} is not valid in {} (1..{})", day,
                                         detail::month_names[month - 1], longest[month - 1]));
    }
    HolidayRule r;
    r.kind_ = Kind::fixed;
    r.month_ = month;
    r.day_ = day;
    r.name_ = std::move(name);
    return r;
  }

  /// The n-th given weekday of a month (n = 1..5), or the last one (n = -1).
  /// A 5th weekday that a month lacks gives no holiday that year.
  /// @throws nudge::invalid_argument naming "n", "weekday" or "month".
  static HolidayRule nth_weekday(int n, std::chrono::weekday wd, unsigned month, std::string name = {}) {
    if (!(n == -1 || (n >= 1 && n <= 5))) {
      throw invalid_argument(fmt::format("holiday: n must be 1..5 or -1 (last), got {}", n));
    }
    if (!wd.ok()) throw invalid_argument(fmt::format("holiday: weekday {} is not valid", wd.c_encoding()));
    check_month(month);
    HolidayRule r;
    r.kind_ = Kind::nth_weekday;
    r.month_ = month;
    r.nth_ = n;
    r.weekday_ = wd;
    r.name_ = std::move(name);
    return r;
  }

  /// A single date.
  static HolidayRule once(Date d, std::string name = {}) {
    HolidayRule r;
    r.kind_ = Kind::once;
    r.date_ = d;
    r.name_ = std::move(name);
    return r;
  }

  /// Western Easter Sunday plus offset_days: Good Friday -2, Easter Monday 1,
  /// Ascension 39, Whit Monday 50.
  /// @throws nudge::invalid_argument naming "offset" when beyond +-365 days.
  static HolidayRule easter(int offset_days, std::string name = {}) {
    if (offset_days < -365 || offset_days > 365) {
      throw invalid_argument(fmt::format("holiday: Easter offset must be within -365..365 days, got {}", offset_days));
    }
    HolidayRule r;
    r.kind_ = Kind::easter;
    r.offset_ = offset_days;
    r.name_ = std::move(name);
    return r;
  }

  /// A copy of this rule observed as `o` says when it falls on a weekend.
  HolidayRule observed(Observance o) const {
    HolidayRule r = *this;
    r.observance_ = o;
    return r;
  }

  /// The date of this year's occurrence, after observance (which may move it
  /// into the adjacent year: Saturday January 1 observed on the nearest weekday
  /// is December 31 of the year before). std::nullopt if the rule gives no
  /// date that year.
  std::optional<Date> in_year(int year) const {
    const auto d = raw_in_year(year);
    if (!d) return std::nullopt;
    return observe(*d);
  }

  /// Whether the rule's (observed) date of some year is `d`.
  bool occurs_on(Date d) const {
    const int y = static_cast<int>(std::chrono::year_month_day{d}.year());
    for (int yy : {y - 1, y, y + 1}) {
      if (const auto h = in_year(yy); h && *h == d) return true;
    }
    return false;
  }

  /// The rule without its name: "every December 25", "4th Thursday of November",
  /// "last Monday of May", "Easter +1 day", "once on 2026-06-12", plus the
  /// observance ("..., observed on the nearest weekday").
  std::string description() const {
    std::string s;
    switch (kind_) {
      case Kind::fixed: s = fmt::format("every {} {}", detail::month_names[month_ - 1], day_); break;
      case Kind::nth_weekday:
        s = fmt::format("{} {} of {}", nth_ == -1 ? std::string("last") : detail::ordinal(nth_),
                        detail::weekday_names[weekday_.c_encoding()], detail::month_names[month_ - 1]);
        break;
      case Kind::once: s = "once on " + iso_date(date_); break;
      case Kind::easter:
        s = offset_ == 0 ? std::string("Easter Sunday")
                         : fmt::format("Easter {:+} day{}", offset_, offset_ == 1 || offset_ == -1 ? "" : "s");
        break;
    }
    switch (observance_) {
      case Observance::none: break;
      case Observance::nearest_weekday: s += ", observed on the nearest weekday"; break;
      case Observance::next_monday: s += ", observed on Monday when on a weekend"; break;
      case Observance::sunday_to_monday: s += ", observed on Monday when on a Sunday"; break;
    }
    return s;
  }

  Kind kind() const { return kind_; }
  const std::string& name() const { return name_; }
  Observance observance() const { return observance_; }
  unsigned month() const { return month_; }           ///< fixed, nth_weekday
  unsigned day() const { return day_; }               ///< fixed
  int nth() const { return nth_; }                    ///< nth_weekday: 1..5 or -1
  std::chrono::weekday weekday() const { return weekday_; }  ///< nth_weekday
  Date date() const { return date_; }                 ///< once
  int offset_days() const { return offset_; }         ///< easter

  friend bool operator==(const HolidayRule&, const HolidayRule&) = default;

private:
  static void check_month(unsigned month) {
    if (month < 1 || month > 12) throw invalid_argument(fmt::format("holiday: month must be 1..12, got {}", month));
  }

  std::optional<Date> raw_in_year(int year) const {
    namespace bg = boost::gregorian;
    switch (kind_) {
      case Kind::once:
        if (static_cast<int>(std::chrono::year_month_day{date_}.year()) != year) return std::nullopt;
        return date_;
      case Kind::easter:
        if (year < 1583 || year > detail::boost_last_year) return std::nullopt;
        return detail::easter_sunday(year) + Days{offset_};
      case Kind::fixed:
      case Kind::nth_weekday: break;
    }
    if (year < detail::boost_first_year || year > detail::boost_last_year) return std::nullopt;
    const auto y = static_cast<unsigned short>(year);
    const bg::greg_month m(static_cast<unsigned short>(month_));
    if (kind_ == Kind::fixed) {
      if (month_ == 2 && day_ == 29 && !bg::gregorian_calendar::is_leap_year(y)) return std::nullopt;
      return detail::from_boost(bg::partial_date(bg::greg_day(static_cast<unsigned short>(day_)), m).get_date(y));
    }
    const bg::greg_weekday wd(static_cast<unsigned short>(weekday_.c_encoding()));
    if (nth_ == -1) return detail::from_boost(bg::last_day_of_the_week_in_month(wd, m).get_date(y));
    const auto d = bg::nth_day_of_the_week_in_month(
                       static_cast<bg::nth_day_of_the_week_in_month::week_num>(nth_), wd, m)
                       .get_date(y);
    // Boost answers the last such weekday when the month has no n-th one.
    if ((d.day() - 1) / 7 + 1 != nth_) return std::nullopt;
    return detail::from_boost(d);
  }

  Date observe(Date d) const {
    const auto wd = std::chrono::weekday{d};
    switch (observance_) {
      case Observance::none: break;
      case Observance::nearest_weekday:
        if (wd == std::chrono::Saturday) return d - Days{1};
        if (wd == std::chrono::Sunday) return d + Days{1};
        break;
      case Observance::next_monday:
        if (wd == std::chrono::Saturday) return d + Days{2};
        if (wd == std::chrono::Sunday) return d + Days{1};
        break;
      case Observance::sunday_to_monday:
        if (wd == std::chrono::Sunday) return d + Days{1};
        break;
    }
    return d;
  }

  Kind kind_ = Kind::fixed;
  unsigned month_ = 1;
  unsigned day_ = 1;
  int nth_ = 1;
  std::chrono::weekday weekday_{};
  Date date_{};
  int offset_ = 0;
  Observance observance_ = Observance::none;
  std::string name_;
};

/// "Christmas Day (every December 25)", or the description alone when unnamed.
inline std::string to_string(const HolidayRule& r) {
  return r.name().empty() ? r.description() : fmt::format("{} ({})", r.name(), r.description());
}

inline std::ostream& operator<<(std::ostream& os, const HolidayRule& r) { return os << to_string(r); }

}  // namespace nudge
