// Business time: Period, HolidayRule, BusinessCalendar and their enums.

#include "common.hpp"

#include <fmt/format.h>

#include <nudge/calendar/business_calendar.hpp>

namespace nudge::bindings {

namespace {

/// Python's numbering: Monday is 0, as date.weekday().
enum class Weekday { monday, tuesday, wednesday, thursday, friday, saturday, sunday };

std::chrono::weekday to_chrono(Weekday w) { return std::chrono::weekday{(static_cast<unsigned>(w) + 1) % 7}; }
Weekday from_chrono(std::chrono::weekday w) { return static_cast<Weekday>((w.c_encoding() + 6) % 7); }

}  // namespace

void bind_calendar(py::module_& m) {
  py::enum_<Weekday>(m, "Weekday", "Days of the week, Monday = 0 as in datetime.date.weekday().")
      .value("monday", Weekday::monday)
      .value("tuesday", Weekday::tuesday)
      .value("wednesday", Weekday::wednesday)
      .value("thursday", Weekday::thursday)
      .value("friday", Weekday::friday)
      .value("saturday", Weekday::saturday)
      .value("sunday", Weekday::sunday);
  py::implicitly_convertible<int, Weekday>();

  py::enum_<TimeBasis>(m, "TimeBasis", "The clock a Period is measured on.")
      .value("calendar", TimeBasis::calendar, "Every second counts.")
      .value("business_days", TimeBasis::business_days, "Only seconds of business days count.")
      .value("business_hours", TimeBasis::business_hours, "Only seconds inside working hours count.");

  py::enum_<Convention>(m, "Convention", "How BusinessCalendar.adjust moves a date that is not a business day.")
      .value("unadjusted", Convention::unadjusted)
      .value("following", Convention::following)
      .value("modified_following", Convention::modified_following)
      .value("preceding", Convention::preceding)
      .value("modified_preceding", Convention::modified_preceding);

  py::enum_<Observance>(m, "Observance", "How a holiday falling on a Saturday or Sunday is observed.")
      .value("none", Observance::none)
      .value("nearest_weekday", Observance::nearest_weekday)
      .value("next_monday", Observance::next_monday)
      .value("sunday_to_monday", Observance::sunday_to_monday);

  // ---- Period ------------------------------------------------------------------
  py::class_<Period> period(m, "Period",
                            "A length of time on a clock: Period.days(90), Period.business_days(3), "
                            "Period.parse('8 business hours').");
  period.def_readwrite("length", &Period::length, "The length (timedelta); a business day counts 24 hours.")
      .def_readwrite("basis", &Period::basis, "The TimeBasis it is measured on.");
  def_record(period, {"length", "basis"}, 2, false);
  period.def("to_dict", [](py::handle self) { return record_to_dict(self); }, "{'length': timedelta, 'basis': name}.");
  period.def_static("seconds", &Period::seconds, py::arg("n"), "n seconds of calendar time.")
      .def_static("minutes", &Period::minutes, py::arg("n"), "n minutes of calendar time.")
      .def_static("hours", &Period::hours, py::arg("n"), "n hours of calendar time.")
      .def_static("days", &Period::days, py::arg("n"), "n calendar days.")
      .def_static("weeks", &Period::weeks, py::arg("n"), "n calendar weeks.")
      .def_static("business_days", &Period::business_days, py::arg("n"), "n business days.")
      .def_static("business_hours", &Period::business_hours, py::arg("n"), "n working hours.")
      .def_static("parse", &parse_period, py::arg("text"),
                  "Reads '90d', '36 hours', '3 business days', '8bh' ...; raises InvalidArgument quoting the text.")
      .def("__str__", [](const Period& p) { return to_string(p); })
      .def("__repr__", [](const Period& p) { return fmt::format("Period.parse('{}')", to_string(p)); })
      .def("__hash__", [](const Period& p) { return py::hash(py::make_tuple(p.length.count(), static_cast<int>(p.basis))); });

  // ---- HolidayRule ----------------------------------------------------------------
  py::class_<HolidayRule> rule(m, "HolidayRule",
                               "A holiday rule: fixed date, n-th weekday of a month, Easter-relative or once; "
                               "immutable.");
  py::enum_<HolidayRule::Kind>(rule, "Kind", "The kind of rule.")
      .value("fixed", HolidayRule::Kind::fixed)
      .value("nth_weekday", HolidayRule::Kind::nth_weekday)
      .value("once", HolidayRule::Kind::once)
      .value("easter", HolidayRule::Kind::easter);
  rule.def(py::init<>(), "January 1 every year.")
      .def_static("fixed", &HolidayRule::fixed, py::arg("month"), py::arg("day"), py::arg("name") = "",
                  "The same month and day every year.")
      .def_static("nth_weekday",
                  [](int n, Weekday w, unsigned month, std::string name) {
                    return HolidayRule::nth_weekday(n, to_chrono(w), month, std::move(name));
                  },
                  py::arg("n"), py::arg("weekday"), py::arg("month"), py::arg("name") = "",
                  "The n-th (1..5) or last (-1) weekday of a month, e.g. nth_weekday(4, Weekday.thursday, 11).")
      .def_static("once", &HolidayRule::once, py::arg("day"), py::arg("name") = "", "A single date.")
      .def_static("easter", &HolidayRule::easter, py::arg("offset_days"), py::arg("name") = "",
                  "Western Easter Sunday plus an offset: Good Friday -2, Easter Monday 1.")
      .def("observed", &HolidayRule::observed, py::arg("observance"), "A copy observed as given when on a weekend.")
      .def("in_year", &HolidayRule::in_year, py::arg("year"), "This year's (observed) date, or None.")
      .def("occurs_on", &HolidayRule::occurs_on, py::arg("day"), "Whether the rule's date of some year is `day`.")
      .def("description", &HolidayRule::description, "'4th Thursday of November', without the name.")
      .def_property_readonly("kind", &HolidayRule::kind, "HolidayRule.Kind.")
      .def_property_readonly("name", &HolidayRule::name, "The holiday's name.")
      .def_property_readonly("observance", &HolidayRule::observance, "Observance.")
      .def_property_readonly("month", &HolidayRule::month, "Month (fixed, nth_weekday).")
      .def_property_readonly("day", &HolidayRule::day, "Day of month (fixed).")
      .def_property_readonly("nth", &HolidayRule::nth, "1..5 or -1 (nth_weekday).")
      .def_property_readonly("weekday", [](const HolidayRule& r) { return from_chrono(r.weekday()); },
                             "Weekday (nth_weekday).")
      .def_property_readonly("date", &HolidayRule::date, "The date (once).")
      .def_property_readonly("offset_days", &HolidayRule::offset_days, "Days from Easter Sunday (easter).")
      .def("__str__", [](const HolidayRule& r) { return to_string(r); })
      .def("__repr__", [](const HolidayRule& r) { return fmt::format("<HolidayRule {}>", to_string(r)); })
      .def("__eq__", [](const HolidayRule& a, const HolidayRule& b) { return a == b; }, py::is_operator());

  // ---- BusinessCalendar -----------------------------------------------------------------
  using Window = BusinessCalendar::Window;
  py::class_<BusinessCalendar> cal(
      m, "BusinessCalendar",
      "Business days (week mask, holidays, working days), working hours and a time zone; an immutable value: "
      "every with_* returns a new calendar.");
  cal.def(py::init<>(), "Monday to Friday, no holidays, 09:00-18:00, zone UTC.")
      .def_static("weekdays", &BusinessCalendar::weekdays, py::arg("zone") = "UTC",
                  "The default calendar in an IANA zone; raises InvalidArgument for an unknown zone.")
      .def("with_week_mask", py::overload_cast<std::string_view>(&BusinessCalendar::with_week_mask, py::const_),
           py::arg("mask"), "Working weekdays as '1111100' (Monday first) or 'Mon Tue Wed Thu Fri'.")
      .def("with_week_mask", py::overload_cast<std::array<bool, 7>>(&BusinessCalendar::with_week_mask, py::const_),
           py::arg("mask"), "Working weekdays as 7 booleans, Monday first.")
      .def("with_holiday", &BusinessCalendar::with_holiday, py::arg("rule"), "Adds a HolidayRule.")
      .def("with_holidays", &BusinessCalendar::with_holidays, py::arg("days"), "Adds one-off holidays (dates).")
      .def("with_working_day", &BusinessCalendar::with_working_day, py::arg("day"),
           "Makes a date a business day whatever the week mask and holidays say.")
      .def("with_hours",
           [](const BusinessCalendar& c, Weekday w, std::vector<Window> windows) {
             return c.with_hours(to_chrono(w), std::move(windows));
           },
           py::arg("weekday"), py::arg("windows"),
           "Working windows of one weekday as (start, end) timedeltas after local midnight; [] = none.")
      .def("with_hours_all", &BusinessCalendar::with_hours_all, py::arg("start"), py::arg("end"),
           "The same window (timedeltas after local midnight) on every weekday.")
      .def("with_time_zone", &BusinessCalendar::with_time_zone, py::arg("zone"), "The IANA zone hours are read in.")
      .def_property_readonly("time_zone", &BusinessCalendar::time_zone, "The IANA zone.")
      .def_property_readonly("week_mask", &BusinessCalendar::week_mask, "Working weekdays, Monday first (7 bools).")
      .def_property_readonly("holiday_rules", &BusinessCalendar::holiday_rules, "The HolidayRules.")
      .def_property_readonly("holidays", &BusinessCalendar::holidays, "One-off holidays, sorted.")
      .def_property_readonly("working_days", &BusinessCalendar::working_days, "One-off working days, sorted.")
      .def("hours", [](const BusinessCalendar& c, Weekday w) { return c.hours(to_chrono(w)); }, py::arg("weekday"),
           "Working windows of a weekday, as (start, end) timedeltas.")
      .def("describe", &BusinessCalendar::describe, "One line: week, hours, zone, holidays, working days.")
      .def("__str__", &BusinessCalendar::describe)
      .def("__repr__", [](const BusinessCalendar& c) { return "<BusinessCalendar " + c.describe() + ">"; })
      .def("__eq__", [](const BusinessCalendar& a, const BusinessCalendar& b) { return a == b; }, py::is_operator())
      .def("is_holiday", &BusinessCalendar::is_holiday, py::arg("day"), "Whether a holiday falls on `day`.")
      .def("is_business_day", &BusinessCalendar::is_business_day, py::arg("day"), "Whether `day` is a business day.")
      .def("adjust", &BusinessCalendar::adjust, py::arg("day"), py::arg("convention") = Convention::following,
           "Moves a non-business day by the convention; business days stay.")
      .def("add_business_days", &BusinessCalendar::add_business_days, py::arg("day"), py::arg("n"),
           "The n-th business day after (n > 0) or before (n < 0) `day`, like numpy.busday_offset.")
      .def("business_days_between", &BusinessCalendar::business_days_between, py::arg("start"), py::arg("end"),
           "Business days in [start, end), like numpy.busday_count.")
      .def("local_date",
           [](const BusinessCalendar& c, py::handle t) { return c.local_date(instant_from(t, "at")); }, py::arg("at"),
           "The local date of an aware datetime in the calendar's zone.")
      .def("local_midnight", &BusinessCalendar::local_midnight, py::arg("day"),
           "The first instant of a local date (aware UTC datetime).")
      .def("add_business_hours",
           [](const BusinessCalendar& c, py::handle t, py::handle d) {
             return c.add_business_hours(instant_from(t, "start"), seconds_from(d, "working_time"));
           },
           py::arg("start"), py::arg("working_time"),
           "The earliest instant when `working_time` (timedelta) of working hours has elapsed since `start`.")
      .def("business_hours_between",
           [](const BusinessCalendar& c, py::handle a, py::handle b) {
             return c.business_hours_between(instant_from(a, "start"), instant_from(b, "end"));
           },
           py::arg("start"), py::arg("end"), "Working time in [start, end) as a timedelta.")
      .def("elapsed",
           [](const BusinessCalendar& c, py::handle a, py::handle b, TimeBasis basis) {
             return c.elapsed(instant_from(a, "start"), instant_from(b, "end"), basis);
           },
           py::arg("start"), py::arg("end"), py::arg("basis"), "How much of [start, end) counts on a clock (timedelta).")
      .def("advance",
           [](const BusinessCalendar& c, py::handle t, const Period& p) { return c.advance(instant_from(t, "start"), p); },
           py::arg("start"), py::arg("period"),
           "The earliest instant at which `period` has elapsed since `start` on the period's clock.");
}

}  // namespace nudge::bindings
