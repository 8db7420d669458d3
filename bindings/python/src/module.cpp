// The _nudge extension module: each area binds itself from its own file.

#include "common.hpp"

#include <nudge/error.hpp>
#include <nudge/version.hpp>

namespace nudge::bindings {

#ifdef NUDGE_PYTHON_CONFORMANCE
void bind_conformance(py::module_& m);  // conformance.cpp
#endif
#ifdef NUDGE_PYTHON_NOTIFY
void bind_notify(py::module_& m);  // notify.cpp
#endif
void bind_config(py::module_& m);  // config.cpp
void bind_report(py::module_& m);  // report.cpp

namespace {

template <class E>
void subclass(py::module_& m, py::handle base, const char* name, py::handle also, const char* doc) {
  py::tuple bases = also ? py::make_tuple(base, also) : py::make_tuple(base);
  auto& e = py::register_exception<E>(m, name, bases);
  e.attr("__doc__") = doc;
}

}  // namespace

namespace {
py::handle error_classes[7];  // Error, NotFound, InvalidArgument, Conflict, StorageError, ConfigurationError, Cancelled
}  // namespace

[[noreturn]] void rethrow_as_cpp(py::error_already_set& e) {
  // A Python adapter or assistant raised one of nudge's errors: give C++ code the
  // C++ exception it expects (the kit and the engine catch nudge::conflict ...).
  const std::string msg = py::str(e.value());
  if (error_classes[1] && e.matches(error_classes[1])) throw not_found(msg);
  if (error_classes[2] && e.matches(error_classes[2])) throw invalid_argument(msg);
  if (error_classes[3] && e.matches(error_classes[3])) throw conflict(msg);
  if (error_classes[4] && e.matches(error_classes[4])) throw storage_error(msg);
  if (error_classes[5] && e.matches(error_classes[5])) throw configuration_error(msg);
  if (error_classes[6] && e.matches(error_classes[6])) throw cancelled(msg);
  if (error_classes[0] && e.matches(error_classes[0])) throw error(msg);
  throw;
}

void bind_errors(py::module_& m) {
  // Translators are tried newest first: the base goes first so that each
  // subclass is caught by its own translator.
  auto& base = py::register_exception<error>(m, "Error", PyExc_RuntimeError);
  base.attr("__doc__") =
      "Base of every error Nudge raises (C++ nudge::error). The message names what was wrong: "
      "the field, the id, the row or the configuration path.";
  subclass<not_found>(m, base, "NotFound", PyExc_LookupError,
      "A referenced entity (client, manager, deal, ...) does not exist (C++ nudge::not_found).");
  subclass<invalid_argument>(m, base, "InvalidArgument", PyExc_ValueError,
      "An argument or a value is malformed or out of range, e.g. a naive datetime (C++ nudge::invalid_argument).");
  subclass<conflict>(m, base, "Conflict", py::handle(),
      "The operation contradicts the current state: a duplicate id, a second open unit of work "
      "(C++ nudge::conflict).");
  subclass<storage_error>(m, base, "StorageError", py::handle(),
      "The storage backend failed, or a Python storage returned something unusable (C++ nudge::storage_error).");
  subclass<configuration_error>(m, base, "ConfigurationError", PyExc_ValueError,
      "A configuration is invalid; the message lists every problem with its path (C++ nudge::configuration_error).");
  subclass<cancelled>(m, base, "Cancelled", py::handle(),
      "A long operation (Engine.plan) was stopped by its progress callable returning False; nothing was written "
      "(C++ nudge::cancelled).");
  const char* names[] = {"Error",        "NotFound",           "InvalidArgument", "Conflict",
                         "StorageError", "ConfigurationError", "Cancelled"};
  for (int i = 0; i < 7; ++i) error_classes[i] = m.attr(names[i]);  // the module keeps them alive
}

}  // namespace nudge::bindings

PYBIND11_MODULE(_nudge, m) {
  using namespace nudge::bindings;
  m.doc() = "Nudge, an embeddable CRM rules engine: the compiled core. Import the `nudge` package instead.";
  init_datetime();
  bind_errors(m);
  bind_calendar(m);
  bind_domain(m);
  bind_storage(m);
  bind_bulk(m);
  bind_rules(m);
  bind_engine(m);
  bind_adapters(m);
  bind_config(m);
  bind_report(m);
#ifdef NUDGE_PYTHON_CONFORMANCE
  bind_conformance(m);
#endif
#ifdef NUDGE_PYTHON_NOTIFY
  bind_notify(m);
#endif
  m.attr("__version__") = nudge::version_string;
}
