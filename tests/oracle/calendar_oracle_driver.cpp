// Reads calendar definitions and queries from stdin, answers one line per
// query on stdout. Driven by calendar_oracle.py, which compares the answers
// with numpy's busday functions and with a brute-force Python model of the
// clock arithmetic built on the zoneinfo module.
//
//   calendar <mask like 1111100>          starts a new calendar
//   rule fixed <month> <day> <observance>
//   rule nth <n> <weekday 0=Sun..6> <month>
//   rule easter <offset days>
//   holidays <YYYY-MM-DD>...
//   count <from> <to>                      -> business_days_between
//   offset <date> <n>                      -> add_business_days
//   isbd <date>                            -> 1 / 0
//   adjust <date> <convention>             -> adjust
//   zone <IANA name>
//   hours <weekday 0=Mon..6> [<start>-<end> (minutes)]...
//   workday <YYYY-MM-DD>                   -> with_working_day
//   elapsed <basis> <unix a> <unix b>      -> seconds
//   advance <basis> <unix> <seconds>       -> unix seconds
//   localdate <unix>                       -> local_date
//   midnight <YYYY-MM-DD>                  -> local_midnight, unix seconds

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <nudge/calendar/business_calendar.hpp>

namespace {

nudge::Date read_date(const std::string& s) {
  int y = 0;
  unsigned m = 0, d = 0;
  if (std::sscanf(s.c_str(), "%d-%u-%u", &y, &m, &d) != 3) throw nudge::invalid_argument("bad date " + s);
  return nudge::ymd(y, m, d);
}

nudge::TimeBasis read_basis(const std::string& s) {
  if (s == "business_days") return nudge::TimeBasis::business_days;
  if (s == "business_hours") return nudge::TimeBasis::business_hours;
  return nudge::TimeBasis::calendar;
}

nudge::Observance read_observance(const std::string& s) {
  if (s == "nearest_weekday") return nudge::Observance::nearest_weekday;
  if (s == "next_monday") return nudge::Observance::next_monday;
  if (s == "sunday_to_monday") return nudge::Observance::sunday_to_monday;
  return nudge::Observance::none;
}

}  // namespace

int main() {
  std::ios::sync_with_stdio(false);
  nudge::BusinessCalendar cal;
  std::string line;
  std::string out;
  while (std::getline(std::cin, line)) {
    std::istringstream in(line);
    std::string op;
    if (!(in >> op)) continue;
    if (op == "calendar") {
      std::string mask;
      in >> mask;
      cal = nudge::BusinessCalendar().with_week_mask(mask);
    } else if (op == "rule") {
      std::string kind;
      in >> kind;
      if (kind == "fixed") {
        unsigned m = 0, d = 0;
        std::string obs;
        in >> m >> d >> obs;
        cal = cal.with_holiday(nudge::HolidayRule::fixed(m, d).observed(read_observance(obs)));
      } else if (kind == "nth") {
        int n = 0;
        unsigned wd = 0, m = 0;
        in >> n >> wd >> m;
        cal = cal.with_holiday(nudge::HolidayRule::nth_weekday(n, std::chrono::weekday{wd}, m));
      } else if (kind == "easter") {
        int off = 0;
        in >> off;
        cal = cal.with_holiday(nudge::HolidayRule::easter(off));
      }
    } else if (op == "holidays") {
      std::vector<nudge::Date> dates;
      std::string s;
      while (in >> s) dates.push_back(read_date(s));
      cal = cal.with_holidays(std::move(dates));
    } else if (op == "count") {
      std::string a, b;
      in >> a >> b;
      out += std::to_string(cal.business_days_between(read_date(a), read_date(b)));
      out += '\n';
    } else if (op == "offset") {
      std::string d;
      long n = 0;
      in >> d >> n;
      out += nudge::iso_date(cal.add_business_days(read_date(d), n));
      out += '\n';
    } else if (op == "isbd") {
      std::string d;
      in >> d;
      out += cal.is_business_day(read_date(d)) ? "1\n" : "0\n";
    } else if (op == "adjust") {
      std::string d, c;
      in >> d >> c;
      out += nudge::iso_date(cal.adjust(read_date(d), nudge::parse_convention(c)));
      out += '\n';
    } else if (op == "zone") {
      std::string z;
      in >> z;
      cal = cal.with_time_zone(z);
    } else if (op == "hours") {
      unsigned wd = 0;
      in >> wd;
      std::vector<nudge::BusinessCalendar::Window> windows;
      long b = 0, e = 0;
      char dash = 0;
      while (in >> b >> dash >> e) windows.emplace_back(std::chrono::minutes{b}, std::chrono::minutes{e});
      cal = cal.with_hours(std::chrono::weekday{(wd + 1) % 7}, std::move(windows));
    } else if (op == "workday") {
      std::string d;
      in >> d;
      cal = cal.with_working_day(read_date(d));
    } else if (op == "elapsed") {
      std::string basis;
      std::int64_t a = 0, b = 0;
      in >> basis >> a >> b;
      out += std::to_string(cal.elapsed(nudge::from_unix(a), nudge::from_unix(b), read_basis(basis)).count());
      out += '\n';
    } else if (op == "advance") {
      std::string basis;
      std::int64_t t = 0, len = 0;
      in >> basis >> t >> len;
      const auto r = cal.advance(nudge::from_unix(t), nudge::Period{nudge::Seconds{len}, read_basis(basis)});
      out += std::to_string(nudge::to_unix(r));
      out += '\n';
    } else if (op == "localdate") {
      std::int64_t t = 0;
      in >> t;
      out += nudge::iso_date(cal.local_date(nudge::from_unix(t)));
      out += '\n';
    } else if (op == "midnight") {
      std::string d;
      in >> d;
      out += std::to_string(nudge::to_unix(cal.local_midnight(read_date(d))));
      out += '\n';
    } else {
      std::cerr << "calendar_oracle_driver: unknown line: " << line << '\n';
      return 2;
    }
  }
  std::cout << out;
  return 0;
}
