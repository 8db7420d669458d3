#pragma once
// Shared by every binding source: how Nudge's time and id types cross into
// Python (aware datetime, date, timedelta, int), the owning view types handed
// to Python code, the record helpers (keyword __init__, __repr__, to_dict) and
// the bind_* entry point of each area. Included first by each .cpp so every
// translation unit sees the same type casters.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <pybind11/stl_bind.h>

#include <nudge/domain/client.hpp>
#include <nudge/domain/deal.hpp>
#include <nudge/domain/ids.hpp>
#include <nudge/domain/optional_box.hpp>
#include <nudge/domain/slim_string.hpp>
#include <nudge/domain/slim_vector.hpp>
#include <nudge/domain/time.hpp>
#include <nudge/engine/plan.hpp>
#include <nudge/progress.hpp>
#include <nudge/storage/summary.hpp>

namespace nudge {
class Engine;
}  // namespace nudge

// Plans can be large: their lists are bound as views, not copied per access.
PYBIND11_MAKE_OPAQUE(std::vector<nudge::Finding>)
PYBIND11_MAKE_OPAQUE(std::vector<nudge::Action>)
PYBIND11_MAKE_OPAQUE(std::vector<nudge::ForecastRow>)

namespace nudge::bindings {

namespace py = pybind11;

// ---- time (time.cpp) --------------------------------------------------------

/// Imports the datetime C API; called once from the module's init.
void init_datetime();

bool is_datetime(py::handle v);
bool is_date(py::handle v);  ///< a date that is not a datetime
bool is_timedelta(py::handle v);

/// An aware datetime in UTC. Instants before year 1 or after 9999 are clamped
/// to datetime.min/max (they only occur as "since the beginning" bounds).
py::object to_datetime(Instant t);
py::object to_date(Date d);
py::object to_timedelta(Seconds s);

/// Conversions from Python that name `what` (the argument or field) when the
/// value is of the wrong type (TypeError) or a naive datetime (nudge.InvalidArgument).
Instant instant_from(py::handle v, std::string_view what);
std::optional<Instant> optional_instant_from(py::handle v, std::string_view what);
Date date_from(py::handle v, std::string_view what);
Seconds seconds_from(py::handle v, std::string_view what);
/// As instant_from, also accepting Unix seconds (int or float): the bulk loader's columns.
Instant instant_or_unix(py::handle v, std::string_view what);

}  // namespace nudge::bindings

// ---- type casters ------------------------------------------------------------------
namespace pybind11::detail {

/// Instants are aware datetimes (UTC when going out; any zone coming in).
template <>
struct type_caster<nudge::Instant> {
  PYBIND11_TYPE_CASTER(nudge::Instant, const_name("datetime.datetime"));
  bool load(handle src, bool) {
    if (!nudge::bindings::is_datetime(src)) return false;
    value = nudge::bindings::instant_from(src, "datetime");
    return true;
  }
  static handle cast(nudge::Instant t, return_value_policy, handle) { return nudge::bindings::to_datetime(t).release(); }
};

/// An OptionalBox<T> is a T or None, as std::optional<T>.
template <class T>
struct type_caster<nudge::OptionalBox<T>> : optional_caster<nudge::OptionalBox<T>> {};

/// A MaybeInstant is an aware datetime or None, as std::optional<Instant>.
template <>
struct type_caster<nudge::MaybeInstant> {
  PYBIND11_TYPE_CASTER(nudge::MaybeInstant, const_name("Optional[datetime.datetime]"));
  bool load(handle src, bool) {
    if (src.is_none()) {
      value.reset();
      return true;
    }
    if (!nudge::bindings::is_datetime(src)) return false;
    value = nudge::bindings::instant_from(src, "datetime");
    return true;
  }
  static handle cast(nudge::MaybeInstant t, return_value_policy, handle) {
    if (!t) return none().release();
    return nudge::bindings::to_datetime(*t).release();
  }
};

/// SlimString and Currency are str, as the std::string they replaced (a
/// currency longer than its seven characters raises InvalidArgument).
template <class S>
struct slim_text_caster {
  PYBIND11_TYPE_CASTER(S, const_name("str"));
  bool load(handle src, bool convert) {
    make_caster<std::string> text;
    if (!text.load(src, convert)) return false;
    value = cast_op<std::string&>(text);
    return true;
  }
  static handle cast(const S& s, return_value_policy, handle) {
    return PyUnicode_DecodeUTF8(s.data(), static_cast<ssize_t>(s.size()), nullptr);
  }
};
template <>
struct type_caster<nudge::SlimString> : slim_text_caster<nudge::SlimString> {};
template <>
struct type_caster<nudge::Currency> : slim_text_caster<nudge::Currency> {};

/// A SlimVector is a list, as the std::vector it replaced.
template <class T>
struct type_caster<nudge::SlimVector<T>> : list_caster<nudge::SlimVector<T>, T> {};

/// Dates are datetime.date.
template <>
struct type_caster<nudge::Date> {
  PYBIND11_TYPE_CASTER(nudge::Date, const_name("datetime.date"));
  bool load(handle src, bool) {
    if (!nudge::bindings::is_date(src)) return false;
    value = nudge::bindings::date_from(src, "date");
    return true;
  }
  static handle cast(nudge::Date d, return_value_policy, handle) { return nudge::bindings::to_date(d).release(); }
};

/// Durations (seconds, minutes) are timedelta.
template <class Rep, class Period>
struct type_caster<std::chrono::duration<Rep, Period>> {
  using D = std::chrono::duration<Rep, Period>;
  PYBIND11_TYPE_CASTER(D, const_name("datetime.timedelta"));
  bool load(handle src, bool) {
    if (!nudge::bindings::is_timedelta(src)) return false;
    value = std::chrono::floor<D>(nudge::bindings::seconds_from(src, "timedelta"));
    return true;
  }
  static handle cast(D d, return_value_policy, handle) {
    return nudge::bindings::to_timedelta(std::chrono::duration_cast<nudge::Seconds>(d)).release();
  }
};

/// Strong ids are plain ints in Python.
template <class Tag>
struct type_caster<nudge::Id<Tag>> {
  PYBIND11_TYPE_CASTER(nudge::Id<Tag>, const_name("int"));
  bool load(handle src, bool convert) {
    make_caster<std::int64_t> c;
    if (!c.load(src, convert)) return false;
    value = nudge::Id<Tag>{cast_op<std::int64_t>(c)};
    return true;
  }
  static handle cast(nudge::Id<Tag> id, return_value_policy, handle) { return PyLong_FromLongLong(id.value()); }
};

}  // namespace pybind11::detail

namespace nudge::bindings {

namespace py = pybind11;

// ---- owning views handed to Python code ---------------------------------------

/// A client with its derived facts (what a scan yields, what a client assistant inspects).
struct ClientViewData {
  Client client;
  ClientSummary summary;
  friend bool operator==(const ClientViewData&, const ClientViewData&) = default;
};

/// An open deal with the facts of its tasks.
struct DealViewData {
  Deal deal;
  int open_tasks = 0;
  std::optional<Instant> last_task_closed;
  friend bool operator==(const DealViewData&, const DealViewData&) = default;
};

/// The facts of a client that deal, invoice and task assistants see.
struct ClientInfoData {
  ClientId id;
  ManagerId owner;
  ClientKind kind = ClientKind::b2b;
  std::vector<std::string> segments;
  std::map<std::string, std::string> labels;
  friend bool operator==(const ClientInfoData&, const ClientInfoData&) = default;
};

// ---- records (records.cpp) -------------------------------------------------------

/// Python-native form of a value: enums become their names, records dicts
/// (through their to_dict), sequences lists; datetimes and scalars stay.
py::object to_plain(py::handle v);
/// "Client(id=10, name='Acme', ...)" from the record's __fields__.
py::str record_repr(py::handle self);
/// {field: to_plain(value)} from the record's __fields__.
py::dict record_to_dict(py::handle self);
/// Sets the fields of a fresh record from positional and keyword arguments.
void record_fill(py::handle self, const std::vector<std::string>& fields, std::size_t positional,
                 const py::args& args, const py::kwargs& kwargs);

/// Gives a bound value type the record protocol: a constructor taking any
/// field by keyword (the first `positional` also by position), __repr__,
/// to_dict(), ==, copy. Fields are set through their properties, so a bad
/// value is reported with the field's name.
template <class T, class... Opts>
void def_record(py::class_<T, Opts...>& cls, std::vector<std::string> fields, std::size_t positional = 0,
                bool repr_and_dict = true) {
  py::tuple names(fields.size());
  for (std::size_t i = 0; i < fields.size(); ++i) names[i] = py::str(fields[i]);
  cls.attr("__fields__") = names;
  cls.def(py::init([fields, positional](const py::args& args, const py::kwargs& kwargs) {
            py::object self = py::cast(T{});
            record_fill(self, fields, positional, args, kwargs);
            return self.cast<T>();
          }),
          "Builds the record from keyword arguments (see __fields__); fields not given keep their defaults.");
  if (repr_and_dict) {
    cls.def("__repr__", [](py::handle self) { return record_repr(self); });
    cls.def("to_dict", [](py::handle self) { return record_to_dict(self); },
            "The record as a dict of plain Python values (enums as names, nested records as dicts).");
  }
  cls.def("__eq__", [](const T& a, const T& b) { return a == b; }, py::is_operator());
  cls.def("__copy__", [](const T& v) { return T(v); });
  cls.def("__deepcopy__", [](const T& v, py::handle) { return T(v); }, py::arg("memo"));
}

/// A read-write property whose setter names the field when the value is wrong.
template <class Conv, class T, class D, class... Opts>
void def_converted(py::class_<T, Opts...>& cls, const char* name, D T::*pm, Conv conv, const char* doc) {
  const std::string what = std::string(py::str(cls.attr("__name__"))) + "." + name;
  cls.def_property(
      name, [pm](const T& o) { return o.*pm; }, [pm, conv, what](T& o, py::handle v) { o.*pm = conv(v, what); },
      doc);
}

template <class T, class... Opts>
void def_instant(py::class_<T, Opts...>& cls, const char* name, Instant T::*pm, const char* doc) {
  def_converted(cls, name, pm, [](py::handle v, const std::string& w) { return instant_from(v, w); }, doc);
}
template <class T, class... Opts>
void def_instant(py::class_<T, Opts...>& cls, const char* name, std::optional<Instant> T::*pm, const char* doc) {
  def_converted(cls, name, pm, [](py::handle v, const std::string& w) { return optional_instant_from(v, w); }, doc);
}
template <class T, class... Opts>
void def_instant(py::class_<T, Opts...>& cls, const char* name, MaybeInstant T::*pm, const char* doc) {
  def_converted(
      cls, name, pm, [](py::handle v, const std::string& w) { return MaybeInstant(optional_instant_from(v, w)); }, doc);
}

// ---- areas -------------------------------------------------------------------------
void bind_errors(py::module_& m);
void bind_domain(py::module_& m);
void bind_calendar(py::module_& m);
void bind_storage(py::module_& m);
void bind_bulk(py::module_& m);
void bind_rules(py::module_& m);
void bind_engine(py::module_& m);
/// Engine.evaluate, Evaluation, Hit, Watch (evaluate.cpp); called by bind_engine.
void bind_evaluate(py::module_& m, py::class_<Engine>& engine);
/// A Python progress callable as a ProgressFn (engine.cpp); None -> empty.
ProgressFn progress_from(py::object fn);
void bind_adapters(py::module_& m);

}  // namespace nudge::bindings

