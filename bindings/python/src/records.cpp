// The record protocol shared by the value types: keyword construction,
// __repr__ and to_dict, driven by each class's __fields__.

#include "common.hpp"

#include <fmt/format.h>

namespace nudge::bindings {

namespace {

bool is_enum(py::handle v) {
  py::handle t = reinterpret_cast<PyObject*>(Py_TYPE(v.ptr()));
  return py::hasattr(t, "__members__") && py::hasattr(v, "name");
}

py::tuple fields_of(py::handle self) {
  return py::reinterpret_borrow<py::tuple>(py::type::handle_of(self).attr("__fields__"));
}

}  // namespace

py::object to_plain(py::handle v) {
  PyObject* o = v.ptr();
  if (v.is_none() || PyBool_Check(o) || PyLong_Check(o) || PyFloat_Check(o) || PyUnicode_Check(o) || PyBytes_Check(o) ||
      is_datetime(v) || is_date(v) || is_timedelta(v))
    return py::reinterpret_borrow<py::object>(v);
  if (is_enum(v)) return v.attr("name");
  if (py::hasattr(v, "to_dict")) return v.attr("to_dict")();
  if (PyDict_Check(o)) {
    py::dict out;
    // Enum keys (quiet hours by Channel) become their names, like enum values.
    for (auto [k, x] : py::reinterpret_borrow<py::dict>(v)) out[is_enum(k) ? py::object(k.attr("name")) : py::reinterpret_borrow<py::object>(k)] = to_plain(x);
    return out;
  }
  if (py::isinstance<py::iterable>(v)) {
    py::list out;
    for (py::handle x : v) out.append(to_plain(x));
    return out;
  }
  return py::reinterpret_borrow<py::object>(v);
}

py::str record_repr(py::handle self) {
  std::string out = std::string(py::str(py::type::handle_of(self).attr("__name__"))) + "(";
  bool first = true;
  for (py::handle f : fields_of(self)) {
    py::object v = self.attr(f);
    out += fmt::format("{}{}={}", first ? "" : ", ", std::string(py::str(f)),
                       std::string(is_enum(v) ? py::str(v) : py::repr(v)));
    first = false;
  }
  return py::str(out + ")");
}

py::dict record_to_dict(py::handle self) {
  py::dict out;
  for (py::handle f : fields_of(self)) out[f] = to_plain(self.attr(f));
  return out;
}

void record_fill(py::handle self, const std::vector<std::string>& fields, std::size_t positional,
                 const py::args& args, const py::kwargs& kwargs) {
  const std::string type = py::str(py::type::handle_of(self).attr("__name__"));
  if (args.size() > positional)
    throw py::type_error(fmt::format("{}() takes at most {} positional argument{} ({} given); pass the others by keyword",
                                     type, positional, positional == 1 ? "" : "s", args.size()));
  for (std::size_t i = 0; i < args.size(); ++i) py::setattr(self, fields[i].c_str(), args[i]);
  for (auto [k, v] : kwargs) {
    const std::string key = py::str(k);
    if (std::find(fields.begin(), fields.end(), key) == fields.end())
      throw py::type_error(fmt::format("{}() got an unexpected keyword argument '{}'", type, key));
    for (std::size_t i = 0; i < args.size(); ++i)
      if (fields[i] == key)
        throw py::type_error(fmt::format("{}() got multiple values for argument '{}'", type, key));
    py::setattr(self, key.c_str(), v);
  }
}

}  // namespace nudge::bindings
