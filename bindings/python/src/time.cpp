// datetime, date and timedelta <-> Nudge's Instant, Date and Seconds.
// The datetime C API pointer is a static of <datetime.h>, one per translation
// unit, so every use of that API lives in this file.

#include "common.hpp"

#include <datetime.h>

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include <nudge/error.hpp>

namespace nudge::bindings {

namespace {

// datetime's range: 0001-01-01T00:00:00Z .. 9999-12-31T23:59:59Z.
constexpr std::int64_t min_unix = -62135596800;
constexpr std::int64_t max_unix = 253402300799;

const char* type_name(py::handle v) { return Py_TYPE(v.ptr())->tp_name; }

py::object steal_or_throw(PyObject* o) {
  if (!o) throw py::error_already_set();
  return py::reinterpret_steal<py::object>(o);
}

}  // namespace

void init_datetime() {
  PyDateTime_IMPORT;
  if (!PyDateTimeAPI) throw py::error_already_set();
}

bool is_datetime(py::handle v) { return PyDateTime_Check(v.ptr()); }
bool is_date(py::handle v) { return PyDate_Check(v.ptr()) && !PyDateTime_Check(v.ptr()); }
bool is_timedelta(py::handle v) { return PyDelta_Check(v.ptr()); }

py::object to_datetime(Instant t) {
  const auto s = std::clamp<std::int64_t>(to_unix(t), min_unix, max_unix);
  const Instant c = from_unix(s);
  const Date d = utc_date(c);
  const std::chrono::year_month_day v{d};
  const auto in_day = (c - at_midnight(d)).count();
  return steal_or_throw(PyDateTimeAPI->DateTime_FromDateAndTime(
      static_cast<int>(v.year()), static_cast<int>(static_cast<unsigned>(v.month())),
      static_cast<int>(static_cast<unsigned>(v.day())), static_cast<int>(in_day / 3600),
      static_cast<int>(in_day / 60 % 60), static_cast<int>(in_day % 60), 0, PyDateTime_TimeZone_UTC,
      PyDateTimeAPI->DateTimeType));
}

py::object to_date(Date d) {
  const std::chrono::year_month_day v{d};
  const int y = static_cast<int>(v.year());
  if (y < 1 || y > 9999) throw py::value_error(fmt::format("date {} is outside datetime.date's range", iso_date(d)));
  return steal_or_throw(PyDate_FromDate(y, static_cast<int>(static_cast<unsigned>(v.month())),
                                        static_cast<int>(static_cast<unsigned>(v.day()))));
}

py::object to_timedelta(Seconds s) {
  const auto n = s.count();
  auto days = n / 86400;
  auto rest = n % 86400;
  if (rest < 0) {
    rest += 86400;
    --days;
  }
  return steal_or_throw(PyDelta_FromDSU(static_cast<int>(days), static_cast<int>(rest), 0));
}

Instant instant_from(py::handle v, std::string_view what) {
  PyObject* o = v.ptr();
  if (!PyDateTime_Check(o))
    throw py::type_error(fmt::format("{}: expected a time-zone aware datetime.datetime, got {}", what, type_name(v)));
  std::int64_t offset = 0;
  PyObject* tz = PyDateTime_DATE_GET_TZINFO(o);  // borrowed; Py_None when naive
  if (tz != PyDateTime_TimeZone_UTC) {
    py::object off = v.attr("utcoffset")();
    if (off.is_none())
      throw invalid_argument(fmt::format(
          "{}: naive datetime {} has no time zone; pass an aware one, e.g. datetime(2026, 8, 14, tzinfo=timezone.utc)",
          what, std::string(py::str(v))));
    offset = static_cast<std::int64_t>(PyDateTime_DELTA_GET_DAYS(off.ptr())) * 86400 +
             PyDateTime_DELTA_GET_SECONDS(off.ptr());
  }
  const Date d = ymd(PyDateTime_GET_YEAR(o), static_cast<unsigned>(PyDateTime_GET_MONTH(o)),
                     static_cast<unsigned>(PyDateTime_GET_DAY(o)));
  const std::int64_t in_day = PyDateTime_DATE_GET_HOUR(o) * 3600 + PyDateTime_DATE_GET_MINUTE(o) * 60 +
                              PyDateTime_DATE_GET_SECOND(o);
  return at_midnight(d) + Seconds{in_day - offset};
}

std::optional<Instant> optional_instant_from(py::handle v, std::string_view what) {
  if (v.is_none()) return std::nullopt;
  return instant_from(v, what);
}

Date date_from(py::handle v, std::string_view what) {
  PyObject* o = v.ptr();
  if (PyDateTime_Check(o))
    throw py::type_error(fmt::format("{}: expected a datetime.date, got a datetime (use its .date())", what));
  if (!PyDate_Check(o)) throw py::type_error(fmt::format("{}: expected a datetime.date, got {}", what, type_name(v)));
  return ymd(PyDateTime_GET_YEAR(o), static_cast<unsigned>(PyDateTime_GET_MONTH(o)),
             static_cast<unsigned>(PyDateTime_GET_DAY(o)));
}

Seconds seconds_from(py::handle v, std::string_view what) {
  PyObject* o = v.ptr();
  if (!PyDelta_Check(o)) throw py::type_error(fmt::format("{}: expected a datetime.timedelta, got {}", what, type_name(v)));
  // Microseconds are always in [0, 1e6): dropping them rounds down.
  return Seconds{static_cast<std::int64_t>(PyDateTime_DELTA_GET_DAYS(o)) * 86400 + PyDateTime_DELTA_GET_SECONDS(o)};
}

Instant instant_or_unix(py::handle v, std::string_view what) {
  PyObject* o = v.ptr();
  if (PyLong_Check(o)) {
    int overflow = 0;
    const long long s = PyLong_AsLongLongAndOverflow(o, &overflow);
    if (overflow) throw invalid_argument(fmt::format("{}: Unix time {} is out of range", what, std::string(py::str(v))));
    return from_unix(s);
  }
  if (PyFloat_Check(o)) {
    const double s = PyFloat_AS_DOUBLE(o);
    if (!(s > -9.0e15 && s < 9.0e15)) throw invalid_argument(fmt::format("{}: Unix time {} is out of range", what, s));
    return from_unix(static_cast<std::int64_t>(std::floor(s)));
  }
  if (!PyDateTime_Check(o))
    throw py::type_error(
        fmt::format("{}: expected an aware datetime or Unix seconds (int/float), got {}", what, type_name(v)));
  return instant_from(v, what);
}

}  // namespace nudge::bindings
