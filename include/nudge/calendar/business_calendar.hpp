#pragma once
/// @file
/// BusinessCalendar: which days are business days (week mask, holiday rules,
/// one-off holidays and working days), the working hours of each weekday, and
/// the time zone they are read in; plus the clock arithmetic the engine uses
/// to measure and advance periods (see Period).

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <date/tz.h>
#include <fmt/format.h>

#include <nudge/calendar/convention.hpp>
#include <nudge/calendar/day_table.hpp>
#include <nudge/calendar/holiday.hpp>
#include <nudge/calendar/period.hpp>
#include <nudge/domain/time.hpp>
#include <nudge/error.hpp>

namespace nudge {

/// A business calendar. Immutable value: every `with_*` returns a new
/// calendar and leaves this one unchanged; copies are cheap (they share the
/// immutable state) and all const members are safe to call concurrently.
///
/// A date is a business day if it is a one-off working day
/// (with_working_day), or its weekday is in the week mask and it is not a
/// holiday (a HolidayRule or a date given to with_holidays). Working hours
/// are set per weekday, in local time of the calendar's zone, and apply on the
/// business days of that weekday (a one-off working Saturday works Saturday's
/// hours, which default to 09:00-18:00 like every other day).
///
/// Clock arithmetic (elapsed, advance) treats a business day as the whole
/// local day, local midnight to local midnight, and working hours as real
/// seconds between the UTC instants of each window's bounds: a 00:00-24:00
/// window is 23 hours on the day clocks go forward. A bound in a skipped hour
/// is the instant clocks jump; a bound in a repeated hour is its first
/// occurrence.
///
/// Performance: the first business-day query builds a table of 1900..2199
/// once (about 70 KB, std::call_once); from then on is_business_day() and
/// business_days_between() are O(1), add_business_days() is O(log n),
/// elapsed() is O(1) plus a few time-zone look-ups per DST switch in the span,
/// and advance() estimates the end day from nominal day lengths (a select in
/// the table for business days, a binary search on its running counts for
/// business hours) and corrects it around DST switches. Dates outside the
/// table are still exact, computed year by year. No heap allocation per call
/// within the table.
///
/// Time zones come from the system tz database through Howard Hinnant's
/// date/tz. With that library reading compiled zoneinfo files, offsets after
/// 2037 stay at the last transition's (no DST after 2037).
///
/// @code
/// using namespace std::chrono;
/// using nudge::BusinessCalendar, nudge::HolidayRule, nudge::Period, nudge::ymd;
/// const auto cal = BusinessCalendar::weekdays("Europe/Berlin")
///                      .with_holiday(HolidayRule::fixed(12, 25, "Christmas Day"))
///                      .with_holiday(HolidayRule::easter(-2, "Good Friday"))
///                      .with_holiday(HolidayRule::easter(1, "Easter Monday"))
///                      .with_hours_all(9h, 17h);
/// cal.is_business_day(ymd(2026, 4, 6));                    // false: Easter Monday
/// cal.add_business_days(ymd(2026, 4, 2), 1);               // Tue 2026-04-07
/// auto due = cal.advance(nudge::at_midnight(ymd(2026, 4, 2)) + 14h,   // Thu 16:00 CEST
///                        Period::business_hours(8));                   // Tue 16:00 CEST
/// @endcode
class BusinessCalendar {
public:
  /// A working window [start, end) in minutes after local midnight.
  using Window = std::pair<std::chrono::minutes, std::chrono::minutes>;

  /// Monday to Friday, no holidays, 09:00-18:00 (every weekday), zone "UTC".
  BusinessCalendar() : impl_(default_impl()) {}

  /// The default calendar in another zone.
  /// @throws nudge::invalid_argument for an unknown zone.
  static BusinessCalendar weekdays(std::string_view zone = "UTC") { return BusinessCalendar().with_time_zone(zone); }

  // ---- building (each returns a new calendar) ------------------------------

  /// Working weekdays, Monday first (numpy's weekmask order).
  /// @throws nudge::invalid_argument if no weekday is set.
  BusinessCalendar with_week_mask(std::array<bool, 7> mask_mon_first) const {
    if (std::none_of(mask_mon_first.begin(), mask_mon_first.end(), [](bool b) { return b; })) {
      throw invalid_argument("week mask: at least one working weekday is required");
    }
    Spec s = impl_->spec;
    s.week_mask = mask_mon_first;
    return with_spec(std::move(s));
  }

  /// Working weekdays written like numpy's weekmask: "1111100" (Monday first)
  /// or day names "Mon Tue Wed Thu Fri" (case-insensitive, separators optional).
  /// @throws nudge::invalid_argument quoting the text.
  BusinessCalendar with_week_mask(std::string_view numpy_style) const { return with_week_mask(parse_week_mask(numpy_style)); }

  /// Adds a holiday rule.
  BusinessCalendar with_holiday(HolidayRule rule) const {
    Spec s = impl_->spec;
    s.rules.push_back(std::move(rule));
    return with_spec(std::move(s));
  }

  /// Adds one-off holidays (merged with those already given).
  BusinessCalendar with_holidays(std::vector<Date> dates) const {
    Spec s = impl_->spec;
    s.holidays.insert(s.holidays.end(), dates.begin(), dates.end());
    sort_unique(s.holidays);
    return with_spec(std::move(s));
  }

  /// Makes a date a business day whatever the week mask and holidays say
  /// (e.g. a working Saturday that makes up for a bridge day).
  BusinessCalendar with_working_day(Date d) const {
    Spec s = impl_->spec;
    s.working_days.push_back(d);
    sort_unique(s.working_days);
    return with_spec(std::move(s));
  }

  /// Working windows of one weekday; an empty list means no working hours.
  /// @throws nudge::invalid_argument unless each window has 0 <= start < end <= 24h
  ///         and the windows are sorted and do not overlap (they may touch).
  BusinessCalendar with_hours(std::chrono::weekday wd, std::vector<Window> windows) const {
    check_windows(wd, windows);
    Spec s = impl_->spec;
    s.hours[static_cast<std::size_t>(wd.iso_encoding() - 1)] = std::move(windows);
    return with_spec(std::move(s));
  }

  /// The same single window on every weekday.
  /// @throws nudge::invalid_argument as with_hours().
  BusinessCalendar with_hours_all(std::chrono::minutes start, std::chrono::minutes end) const {
    const std::vector<Window> windows{{start, end}};
    check_windows(std::chrono::Monday, windows);
    Spec s = impl_->spec;
    for (auto& h : s.hours) h = windows;
    return with_spec(std::move(s));
  }

  /// The IANA zone working hours and business days are read in.
  /// @throws nudge::invalid_argument naming the zone if the tz database lacks it.
  BusinessCalendar with_time_zone(std::string_view iana) const {
    Spec s = impl_->spec;
    s.zone = std::string(iana);
    return BusinessCalendar(std::make_shared<const Impl>(std::move(s), locate(iana)));
  }

  // ---- reading the definition ----------------------------------------------

  const std::string& time_zone() const { return impl_->spec.zone; }
  const std::array<bool, 7>& week_mask() const { return impl_->spec.week_mask; }
  const std::vector<HolidayRule>& holiday_rules() const { return impl_->spec.rules; }
  /// One-off holidays given to with_holidays(), sorted.
  const std::vector<Date>& holidays() const { return impl_->spec.holidays; }
  /// One-off working days, sorted.
  const std::vector<Date>& working_days() const { return impl_->spec.working_days; }
  const std::vector<Window>& hours(std::chrono::weekday wd) const {
    return impl_->spec.hours[static_cast<std::size_t>(wd.iso_encoding() - 1) % 7];
  }

  /// One line: week, hours, zone, holidays, working days.
  std::string describe() const;

  friend bool operator==(const BusinessCalendar& a, const BusinessCalendar& b) {
    return a.impl_ == b.impl_ || a.impl_->spec == b.impl_->spec;
  }

  // ---- days ------------------------------------------------------------------

  /// Whether a holiday rule or a one-off holiday falls on d (weekend or not;
  /// one-off working days do not clear it).
  bool is_holiday(Date d) const {
    if (std::binary_search(impl_->spec.holidays.begin(), impl_->spec.holidays.end(), d)) return true;
    return std::any_of(impl_->spec.rules.begin(), impl_->spec.rules.end(),
                       [&](const HolidayRule& r) { return r.occurs_on(d); });
  }

  bool is_business_day(Date d) const {
    if (detail::DayTable::covers(d)) return impl_->table().test(d);
    return slow_is_business_day(d);
  }

  /// Moves a non-business day by the convention; business days stay.
  Date adjust(Date d, Convention c = Convention::following) const {
    if (c == Convention::unadjusted || is_business_day(d)) return d;
    const auto month = [](Date x) { return std::chrono::year_month_day{x}.month(); };
    switch (c) {
      case Convention::following: return step(d, 1);
      case Convention::preceding: return step(d, -1);
      case Convention::modified_following: {
        const Date f = step(d, 1);
        return month(f) == month(d) ? f : step(d, -1);
      }
      case Convention::modified_preceding: {
        const Date p = step(d, -1);
        return month(p) == month(d) ? p : step(d, 1);
      }
      case Convention::unadjusted: break;
    }
    return d;
  }

  /// Steps n business days: for n > 0 the n-th business day after d, for
  /// n < 0 the |n|-th business day before d (d itself never counts), for n = 0
  /// d adjusted to the following business day. So Saturday + 1 is Monday and
  /// Saturday - 1 is Friday under Mon-Fri. Equals
  /// `numpy.busday_offset(d, n, roll='backward' if n > 0 else 'forward')`.
  Date add_business_days(Date d, long n) const {
    if (n == 0) return adjust(d, Convention::following);
    return step(d, n);
  }

  /// Business days in [from, to); -business_days_between(to, from) when
  /// to < from. Equals `numpy.busday_count(from, to)` for from <= to.
  long business_days_between(Date from, Date to) const {
    if (to < from) return -business_days_between(to, from);
    if (from >= detail::DayTable::first && to <= detail::DayTable::last) {
      const auto& t = impl_->table();
      return static_cast<long>(t.rank(to) - t.rank(from));
    }
    const auto c = counts(from, to);
    long n = 0;
    for (auto v : c) n += static_cast<long>(v);
    return n;
  }

  // ---- instants ----------------------------------------------------------------

  /// The local (wall-clock) date of an instant in the calendar's zone.
  Date local_date(Instant t) const {
    if (!impl_->zone) return utc_date(t);
    return Date{std::chrono::floor<Days>(impl_->zone->to_local(t).time_since_epoch())};
  }

  /// The first instant of a local date: local midnight, or when clocks skip
  /// midnight the instant they jump.
  Instant local_midnight(Date d) const { return frame(d).begin; }

  /// The earliest instant at which `working_time` of working hours has
  /// elapsed since `from`; for a negative `working_time`, the latest instant
  /// that far before `from`. Same as advance(from, {working_time, TimeBasis::business_hours}).
  Instant add_business_hours(Instant from, Seconds working_time) const {
    return advance(from, Period{working_time, TimeBasis::business_hours});
  }

  /// Working-hour seconds in [a, b); negative if b < a.
  Seconds business_hours_between(Instant a, Instant b) const { return elapsed(a, b, TimeBasis::business_hours); }

  /// How much of [a, b) counts on a clock (negative if b < a):
  ///  - calendar: every second, b - a;
  ///  - business_days: seconds falling on business days (whole local days);
  ///  - business_hours: seconds inside working windows of business days.
  Seconds elapsed(Instant a, Instant b, TimeBasis basis) const {
    if (basis == TimeBasis::calendar) return b - a;
    if (b == a) return Seconds{0};
    if (b < a) return -elapsed(b, a, basis);
    const DayFrame fa = frame_at(a);
    const DayFrame fb = frame_at(b);
    if (fa.day == fb.day) return work_in(fa, a, b, basis);
    return work_in(fa, a, fa.end, basis) + whole_days(fa.day + Days{1}, fb.day, basis, fa.end, fb.begin) +
           work_in(fb, fb.begin, b, basis);
  }

  /// The earliest instant t with elapsed(from, t, p.basis) >= p.length. From
  /// Saturday 10:00, 2 business days is Wednesday 00:00; from Monday 10:00 it
  /// is Wednesday 10:00 (Mon-Fri). A negative length goes back: the latest t
  /// with elapsed(t, from, p.basis) >= -p.length.
  /// @throws nudge::invalid_argument if the calendar has no working time
  ///         within 1000 years.
  ///
  /// @code
  /// // Friday 2026-03-27 15:00 Berlin (14:00Z) + 8 business hours, 09:00-18:00:
  /// cal.advance(nudge::from_unix(1774620000), nudge::Period::business_hours(8));
  /// // -> Monday 2026-03-30 14:00 CEST = 12:00Z
  /// @endcode
  Instant advance(Instant from, Period p) const {
    if (p.basis == TimeBasis::calendar || p.length.count() == 0) return from + p.length;
    if (p.length > max_working_time || p.length < -max_working_time) {
      throw invalid_argument(fmt::format("business calendar: a period of {} reaches beyond 1000 years", to_string(p)));
    }
    return p.length.count() > 0 ? forward(from, p.length, p.basis) : backward(from, -p.length, p.basis);
  }

private:
  struct Spec {
    std::array<bool, 7> week_mask{true, true, true, true, true, false, false};
    std::vector<HolidayRule> rules;
    std::vector<Date> holidays;      // sorted, unique
    std::vector<Date> working_days;  // sorted, unique
    std::array<std::vector<Window>, 7> hours;  // Monday first
    std::string zone = "UTC";
    bool operator==(const Spec&) const = default;
  };

  struct Impl {
    Impl(Spec s, const date::time_zone* z) : spec(std::move(s)), zone(z) {
      for (std::size_t w = 0; w < 7; ++w) {
        for (const auto& [b, e] : spec.hours[w]) hours_seconds[w] += e - b;
      }
    }
    const detail::DayTable& table() const {
      std::call_once(table_once_, [this] { build_table(); });
      return table_;
    }

    Spec spec;
    const date::time_zone* zone;  // nullptr: UTC
    std::array<Seconds, 7> hours_seconds{};  // nominal working seconds per weekday

  private:
    void build_table() const {
      std::vector<Date> hol(spec.holidays);
      const int y0 = static_cast<int>(std::chrono::year_month_day{detail::DayTable::first}.year());
      const int y1 = static_cast<int>(std::chrono::year_month_day{detail::DayTable::last}.year());
      for (const auto& r : spec.rules) {
        for (int y = y0 - 1; y <= y1; ++y) {
          if (const auto d = r.in_year(y)) hol.push_back(*d);
        }
      }
      table_.build(spec.week_mask, hol, spec.working_days);
    }
    mutable std::once_flag table_once_;
    mutable detail::DayTable table_;
  };

  /// A local day: its first instant and the next day's, and the UTC offset
  /// when one offset holds for the whole day (`uniform`).
  struct DayFrame {
    Date day;
    Instant begin;
    Instant end;
    Seconds offset{0};
    bool uniform = true;
  };

  explicit BusinessCalendar(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}

  static std::shared_ptr<const Impl> default_impl() {
    static const auto impl = [] {
      Spec s;
      for (auto& h : s.hours) h = {{std::chrono::hours{9}, std::chrono::hours{18}}};
      return std::make_shared<const Impl>(std::move(s), nullptr);
    }();
    return impl;
  }

  BusinessCalendar with_spec(Spec s) const {
    return BusinessCalendar(std::make_shared<const Impl>(std::move(s), impl_->zone));
  }

  static void sort_unique(std::vector<Date>& v) {
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
  }

  static const date::time_zone* locate(std::string_view iana) {
    if (iana == "UTC" || iana == "Etc/UTC") return nullptr;  // no tz lookups needed
    try {
      return date::locate_zone(iana);
    } catch (const std::exception& e) {
      throw invalid_argument(fmt::format("time_zone: unknown IANA zone '{}' ({})", iana, e.what()));
    }
  }

  static void check_windows(std::chrono::weekday wd, const std::vector<Window>& windows) {
    if (!wd.ok()) throw invalid_argument(fmt::format("working hours: weekday {} is not valid", wd.c_encoding()));
    const char* day = detail::weekday_names[wd.c_encoding()];
    for (std::size_t i = 0; i < windows.size(); ++i) {
      const auto [b, e] = windows[i];
      if (b.count() < 0 || e.count() < 0 || b > std::chrono::hours{24} || e > std::chrono::hours{24}) {
        throw invalid_argument(fmt::format("working hours: {} window {} must lie within 00:00-24:00", day,
                                           window_text(windows[i])));
      }
      if (b >= e) {
        throw invalid_argument(fmt::format("working hours: {} window {} must start before it ends", day,
                                           window_text(windows[i])));
      }
      if (i > 0 && windows[i - 1].second > b) {
        throw invalid_argument(fmt::format("working hours: {} windows {} and {} overlap or are not sorted", day,
                                           window_text(windows[i - 1]), window_text(windows[i])));
      }
    }
  }

  static std::array<bool, 7> parse_week_mask(std::string_view text) {
    const auto fail = [&] {
      return invalid_argument(fmt::format(
          "week mask: expected 7 digits like \"1111100\" (Monday first) or day names like "
          "\"Mon Tue Wed Thu Fri\", got \"{}\"",
          text));
    };
    std::string s;
    for (char c : text) {
      if (std::isspace(static_cast<unsigned char>(c)) || c == ',') continue;
      s.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    }
    std::array<bool, 7> mask{};
    if (s.size() == 7 && s.find_first_not_of("01") == std::string::npos) {
      for (std::size_t i = 0; i < 7; ++i) mask[i] = s[i] == '1';
      return mask;
    }
    static constexpr std::array<std::string_view, 7> names = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
    if (s.empty() || s.size() % 3 != 0) throw fail();
    for (std::size_t i = 0; i < s.size(); i += 3) {
      const auto it = std::find(names.begin(), names.end(), std::string_view(s).substr(i, 3));
      if (it == names.end()) throw fail();
      mask[static_cast<std::size_t>(it - names.begin())] = true;
    }
    return mask;
  }

  static std::string hhmm(std::chrono::minutes m) { return fmt::format("{:02}:{:02}", m.count() / 60, m.count() % 60); }
  static std::string window_text(const Window& w) { return hhmm(w.first) + "-" + hhmm(w.second); }

  // ---- days: table and out-of-table fallback --------------------------------

  bool in_mask(Date d) const { return impl_->spec.week_mask[static_cast<std::size_t>(detail::weekday_index(d))]; }

  bool slow_is_business_day(Date d) const {
    const auto& wd = impl_->spec.working_days;
    if (std::binary_search(wd.begin(), wd.end(), d)) return true;
    return in_mask(d) && !is_holiday(d);
  }

  /// Business days in [x, y) per Monday-first weekday, y >= x.
  std::array<std::int64_t, 7> counts(Date x, Date y) const {
    using detail::DayTable;
    std::array<std::int64_t, 7> c{};
    if (y <= x) return c;
    const auto add_slow = [&](Date a, Date b) {
      if (a < b) slow_counts(a, b, c);
    };
    add_slow(x, std::min(y, DayTable::first));
    const Date a = std::max(x, DayTable::first), b = std::min(y, DayTable::last);
    if (a < b) {
      const auto& t = impl_->table();
      const auto ra = t.rank_by_weekday(a), rb = t.rank_by_weekday(b);
      for (std::size_t w = 0; w < 7; ++w) c[w] += rb[w] - ra[w];
    }
    add_slow(std::max(x, DayTable::last), y);
    return c;
  }

  /// Adds business days of [x, y) per weekday: week-mask arithmetic plus the
  /// exceptions (holidays on mask days, working days off the mask) year by year.
  void slow_counts(Date x, Date y, std::array<std::int64_t, 7>& c) const {
    const auto& spec = impl_->spec;
    for (int w = 0; w < 7; ++w) {
      if (spec.week_mask[static_cast<std::size_t>(w)]) c[static_cast<std::size_t>(w)] += detail::weekday_count(x, y, w);
    }
    std::vector<Date> hol;
    for (auto it = std::lower_bound(spec.holidays.begin(), spec.holidays.end(), x);
         it != spec.holidays.end() && *it < y; ++it) {
      hol.push_back(*it);
    }
    const int y0 = std::max(static_cast<int>(std::chrono::year_month_day{x}.year()) - 1, detail::boost_first_year);
    const int y1 = std::min(static_cast<int>(std::chrono::year_month_day{y}.year()) + 1, detail::boost_last_year);
    for (const auto& r : spec.rules) {
      for (int yy = y0; yy <= y1; ++yy) {
        if (const auto d = r.in_year(yy); d && *d >= x && *d < y) hol.push_back(*d);
      }
    }
    sort_unique(hol);
    const auto& work = spec.working_days;
    for (Date h : hol) {
      if (in_mask(h) && !std::binary_search(work.begin(), work.end(), h)) --c[static_cast<std::size_t>(detail::weekday_index(h))];
    }
    for (auto it = std::lower_bound(work.begin(), work.end(), x); it != work.end() && *it < y; ++it) {
      if (!in_mask(*it)) ++c[static_cast<std::size_t>(detail::weekday_index(*it))];
    }
  }

  long count(Date x, Date y) const { return business_days_between(x, y); }

  /// The n-th business day after d (n > 0) or the |n|-th before it (n < 0).
  Date step(Date d, long n) const {
    using detail::DayTable;
    if (n > search_limit_days || n < -search_limit_days) {
      throw invalid_argument(fmt::format("business calendar: {} business days reach beyond 1000 years", n));
    }
    const auto& t = impl_->table();
    if (n > 0 && d + Days{1} >= DayTable::first && d + Days{1} <= DayTable::last) {
      const std::int64_t r = t.rank(d + Days{1}) + n - 1;
      if (r < t.total()) return t.select(r);
    } else if (n < 0 && d >= DayTable::first && d <= DayTable::last) {
      const std::int64_t r = t.rank(d) + n;
      if (r >= 0) return t.select(r);
    }
    // Outside the table: search on the count.
    const std::int64_t guess = std::abs(n) * 7 / 5 + 7;
    if (n > 0) {
      const Date y = gallop_up(d + Days{1}, guess, [&](Date y) { return count(d + Days{1}, y) >= n; }, "business day");
      return y - Days{1};
    }
    return gallop_down(d, guess, [&](Date y) { return count(y, d) >= -n; }, "business day");
  }

  static constexpr std::int64_t search_limit_days = 1000 * 366;
  static constexpr Seconds max_working_time{search_limit_days * 86400};

  /// The smallest y > lo with reaches(y), for reaches monotone (false at lo).
  template <class F>
  static Date gallop_up(Date lo, std::int64_t guess, F&& reaches, const char* what) {
    const Date limit = lo + Days{search_limit_days};
    std::int64_t step = std::clamp<std::int64_t>(guess, 1, search_limit_days);
    Date hi = std::min(lo + Days{step}, limit);
    while (!reaches(hi)) {
      if (hi == limit) throw no_time(what, limit - Days{search_limit_days});
      lo = hi;
      step *= 2;
      hi = std::min(lo + Days{step}, limit);
    }
    while ((hi - lo).count() > 1) {
      const Date mid = lo + (hi - lo) / 2;
      (reaches(mid) ? hi : lo) = mid;
    }
    return hi;
  }

  /// The largest y < hi with reaches(y), for reaches monotone (false at hi,
  /// true far enough back).
  template <class F>
  static Date gallop_down(Date hi, std::int64_t guess, F&& reaches, const char* what) {
    const Date limit = hi - Days{search_limit_days};
    std::int64_t step = std::clamp<std::int64_t>(guess, 1, search_limit_days);
    Date lo = std::max(hi - Days{step}, limit);
    while (!reaches(lo)) {
      if (lo == limit) throw no_time(what, limit + Days{search_limit_days});
      hi = lo;
      step *= 2;
      lo = std::max(hi - Days{step}, limit);
    }
    while ((hi - lo).count() > 1) {
      const Date mid = lo + (hi - lo) / 2;
      (reaches(mid) ? lo : hi) = mid;
    }
    return lo;
  }

  static invalid_argument no_time(const char* what, Date origin) {
    return invalid_argument(
        fmt::format("business calendar: no {} within 1000 years of {}", what, iso_date(origin)));
  }

  // ---- instants ----------------------------------------------------------------

  Instant to_instant(date::local_seconds lt) const {
    return impl_->zone->to_sys(lt, date::choose::earliest);  // a skipped time maps to the jump
  }

  DayFrame frame(Date d) const {
    const Instant mid = at_midnight(d);
    if (!impl_->zone) return {d, mid, mid + Days{1}, Seconds{0}, true};
    const date::local_seconds lt{mid.time_since_epoch()};
    const auto li = impl_->zone->get_info(lt);
    if (li.result == date::local_info::unique) {
      const Instant begin = mid - li.first.offset;
      const Instant next = begin + Days{1};
      if (li.first.end > next) return {d, begin, next, li.first.offset, true};
      return {d, begin, to_instant(lt + Days{1}), li.first.offset, false};
    }
    const Instant begin = li.result == date::local_info::nonexistent ? Instant{li.first.end} : mid - li.first.offset;
    return {d, begin, to_instant(lt + Days{1}), Seconds{0}, false};
  }

  /// The local day whose [begin, end) holds t. (Differs from local_date(t)
  /// only in an hour repeated across midnight, counted to the later day.)
  DayFrame frame_at(Instant t) const {
    if (const auto* zone = impl_->zone) {
      // Fast path: one offset from a day before local midnight to past the next.
      const auto info = zone->get_info(t);
      const Date d{std::chrono::floor<Days>((t + info.offset).time_since_epoch())};
      const Instant begin = at_midnight(d) - info.offset, end = begin + Days{1};
      if (Instant{info.begin} + Days{1} <= begin && Instant{info.end} > end) return {d, begin, end, info.offset, true};
    }
    DayFrame f = frame(local_date(t));
    while (t >= f.end) f = frame(f.day + Days{1});
    while (t < f.begin) f = frame(f.day - Days{1});
    return f;
  }

  /// The instant of a window bound (minutes after local midnight) on a day.
  Instant bound(const DayFrame& f, std::chrono::minutes m) const {
    if (m.count() <= 0) return f.begin;
    if (m >= std::chrono::hours{24}) return f.end;
    if (f.uniform) return f.begin + m;
    return to_instant(date::local_seconds{(at_midnight(f.day) + m).time_since_epoch()});
  }

  const std::vector<Window>& windows_of(Date d) const {
    return impl_->spec.hours[static_cast<std::size_t>(detail::weekday_index(d))];
  }

  /// Working time of day f inside [x, y).
  Seconds work_in(const DayFrame& f, Instant x, Instant y, TimeBasis basis) const {
    if (!is_business_day(f.day)) return Seconds{0};
    return raw_work(f, x, y, basis);
  }

  Seconds raw_work(const DayFrame& f, Instant x, Instant y, TimeBasis basis) const {
    const auto overlap = [&](Instant s, Instant e) {
      const Instant a = std::max(s, x), b = std::min(e, y);
      return b > a ? b - a : Seconds{0};
    };
    if (basis == TimeBasis::business_days) return overlap(f.begin, f.end);
    Seconds sum{0};
    for (const auto& [b, e] : windows_of(f.day)) sum += overlap(bound(f, b), bound(f, e));
    return sum;
  }

  Seconds nominal(int weekday, TimeBasis basis) const {
    return basis == TimeBasis::business_days ? Seconds{86400} : impl_->hours_seconds[static_cast<std::size_t>(weekday)];
  }

  /// Working time of the whole days [x, y) by the nominal length of each
  /// business day (24 h, or the wall-clock length of its windows).
  Seconds nominal_days(Date x, Date y, TimeBasis basis) const {
    if (y <= x) return Seconds{0};
    const auto c = counts(x, y);
    Seconds sum{0};
    for (int w = 0; w < 7; ++w) sum += c[static_cast<std::size_t>(w)] * nominal(w, basis);
    return sum;
  }

  /// Real working time of the whole days [x, y), given their local midnights
  /// lo and hi: the nominal time corrected on the days around each change of
  /// UTC offset in [lo, hi].
  Seconds whole_days(Date x, Date y, TimeBasis basis, Instant lo, Instant hi) const {
    Seconds sum = nominal_days(x, y, basis);
    const auto* zone = impl_->zone;
    if (!zone || y <= x) return sum;
    Date done = x - Days{1};  // days up to here are corrected
    const auto correct_around = [&](Instant t, Seconds offset) {
      const Date dt = Date{std::chrono::floor<Days>((t + offset).time_since_epoch())};
      const Date from = std::max({dt - Days{1}, done + Days{1}, x});
      const Date to = std::min(dt + Days{1}, y - Days{1});
      for (Date d = from; d <= to; d += Days{1}) {
        if (!is_business_day(d)) continue;
        const DayFrame f = frame(d);
        sum += raw_work(f, f.begin, f.end, basis) - nominal(detail::weekday_index(d), basis);
      }
      done = std::max(done, to);
    };
    auto info = zone->get_info(lo);
    if (Instant{info.begin} == lo) correct_around(lo, info.offset);
    while (Instant{info.end} <= hi) {
      const Instant t = info.end;
      info = zone->get_info(t);
      correct_around(t, info.offset);
    }
    return sum;
  }

  /// Real working time of a whole day.
  Seconds day_work(const DayFrame& f, TimeBasis basis) const { return work_in(f, f.begin, f.end, basis); }

  // advance() in two steps: estimate the day that holds the end from the
  // nominal day lengths (no time-zone look-ups: a select in the day table for
  // business days, a search on the running counts for hours), then correct
  // it with the real lengths, which differ only around DST switches.

  Instant forward(Instant from, Seconds length, TimeBasis basis) const {
    const DayFrame f = frame_at(from);
    const Seconds first = work_in(f, from, f.end, basis);
    if (length <= first) return locate_forward(f, from, length, basis);
    const Seconds rest = length - first;
    const Date base = f.day + Days{1};
    Date x;
    if (basis == TimeBasis::business_days) {
      x = step(f.day, static_cast<long>((rest.count() + 86399) / 86400));
    } else {
      x = gallop_up(base, guess_days(rest, basis), [&](Date y) { return nominal_days(base, y, basis) >= rest; },
                    "working time") - Days{1};
    }
    DayFrame fx = frame(x);
    Seconds before = whole_days(base, x, basis, f.end, fx.begin);  // [base, x)
    Seconds here = day_work(fx, basis);
    while (before >= rest) {
      fx = frame(fx.day - Days{1});
      here = day_work(fx, basis);
      before -= here;
    }
    while (before + here < rest) {
      before += here;
      fx = frame(fx.day + Days{1});
      here = day_work(fx, basis);
    }
    return locate_forward(fx, fx.begin, rest - before, basis);
  }

  Instant backward(Instant from, Seconds length, TimeBasis basis) const {
    const DayFrame f = frame_at(from);
    const Seconds first = work_in(f, f.begin, from, basis);
    if (length <= first) return locate_backward(f, from, length, basis);
    const Seconds rest = length - first;
    const Date top = f.day;
    Date x;
    if (basis == TimeBasis::business_days) {
      x = step(top, -static_cast<long>((rest.count() + 86399) / 86400));
    } else {
      x = gallop_down(top, guess_days(rest, basis), [&](Date y) { return nominal_days(y, top, basis) >= rest; },
                      "working time");
    }
    DayFrame fx = frame(x);
    Seconds after = whole_days(x + Days{1}, top, basis, fx.end, f.begin);  // (x, top)
    Seconds here = day_work(fx, basis);
    while (after >= rest) {
      fx = frame(fx.day + Days{1});
      here = day_work(fx, basis);
      after -= here;
    }
    while (after + here < rest) {
      after += here;
      fx = frame(fx.day - Days{1});
      here = day_work(fx, basis);
    }
    return locate_backward(fx, fx.end, rest - after, basis);
  }

  /// Calendar days that roughly hold `length` of working time.
  std::int64_t guess_days(Seconds length, TimeBasis basis) const {
    Seconds week{0};
    for (int w = 0; w < 7; ++w) {
      if (impl_->spec.week_mask[static_cast<std::size_t>(w)]) week += nominal(w, basis);
    }
    if (week.count() == 0) return 7;
    return length.count() * 7 / week.count() + 1;
  }

  /// On business day f, the instant when `length` (> 0, available) of working
  /// time after x has elapsed.
  Instant locate_forward(const DayFrame& f, Instant x, Seconds length, TimeBasis basis) const {
    if (basis == TimeBasis::business_days) return std::max(x, f.begin) + length;
    Instant last = x;
    for (const auto& [b, e] : windows_of(f.day)) {
      const Instant s = std::max(bound(f, b), x), en = bound(f, e);
      if (en <= s) continue;
      if (length <= en - s) return s + length;
      length -= en - s;
      last = en;
    }
    return last;  // not reached when the caller checked the available time
  }

  /// On business day f, the latest instant t with `length` (> 0, available)
  /// of working time in [t, y).
  Instant locate_backward(const DayFrame& f, Instant y, Seconds length, TimeBasis basis) const {
    if (basis == TimeBasis::business_days) return std::min(y, f.end) - length;
    const auto& ws = windows_of(f.day);
    Instant last = y;
    for (auto it = ws.rbegin(); it != ws.rend(); ++it) {
      const Instant s = bound(f, it->first), en = std::min(bound(f, it->second), y);
      if (en <= s) continue;
      if (length <= en - s) return en - length;
      length -= en - s;
      last = s;
    }
    return last;
  }

  std::shared_ptr<const Impl> impl_;
};

inline std::string BusinessCalendar::describe() const {
  static constexpr std::array<const char*, 7> abbr = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
  const Spec& s = impl_->spec;
  std::string week;
  for (std::size_t w = 0; w < 7; ++w) {
    if (s.week_mask[w]) week += (week.empty() ? "" : " ") + std::string(abbr[w]);
  }
  std::string hours;
  for (std::size_t w = 0; w < 7;) {
    std::size_t e = w;
    while (e + 1 < 7 && s.hours[e + 1] == s.hours[w]) ++e;
    std::string ws;
    for (const auto& win : s.hours[w]) ws += (ws.empty() ? "" : " ") + window_text(win);
    hours += fmt::format("{}{}{} {}", hours.empty() ? "" : ", ", abbr[w], e == w ? "" : std::string("-") + abbr[e],
                         ws.empty() ? "closed" : ws);
    w = e + 1;
  }
  std::string out = fmt::format("week: {}; hours: {}; zone: {}", week, hours, s.zone);
  if (!s.rules.empty() || !s.holidays.empty()) {
    std::string hol;
    for (const auto& r : s.rules) hol += (hol.empty() ? "" : ", ") + to_string(r);
    for (Date d : s.holidays) hol += (hol.empty() ? "" : ", ") + iso_date(d);
    out += "; holidays: " + hol;
  }
  if (!s.working_days.empty()) {
    std::string wd;
    for (Date d : s.working_days) wd += (wd.empty() ? "" : ", ") + iso_date(d);
    out += "; working days: " + wd;
  }
  return out;
}

/// Same as describe().
inline std::string to_string(const BusinessCalendar& c) { return c.describe(); }

inline std::ostream& operator<<(std::ostream& os, const BusinessCalendar& c) { return os << c.describe(); }

}  // namespace nudge
