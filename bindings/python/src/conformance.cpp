// The storage conformance kit (include/nudge/storage/conformance.hpp, a
// doctest suite) compiled into the module, so a storage written in Python is
// checked by the same 29 checks as the C++ adapters:
//     ok, report = nudge.run_conformance(MyStorage)

#define DOCTEST_CONFIG_IMPLEMENT
#define DOCTEST_CONFIG_NO_POSIX_SIGNALS  // Python owns the signal handlers
#include <doctest/doctest.h>

#include "common.hpp"

#include <sstream>

#include <nudge/storage/conformance.hpp>
#include <nudge/storage/forwarding.hpp>

namespace nudge::bindings {

namespace {

/// The factory of the run in progress (the checks are plain test cases).
py::object* current_factory = nullptr;

/// A C++-owned handle on a Python-owned storage: the kit's factory returns
/// unique_ptr<Storage>, so the storage object is kept alive by reference and
/// every call is forwarded (ForwardingStorage).
class Held final : public ForwardingStorage {
public:
  explicit Held(py::object obj) : ForwardingStorage(obj.cast<Storage&>()), obj_(std::move(obj)) {}
  ~Held() override {
    py::gil_scoped_acquire gil;
    obj_.release().dec_ref();
  }
  Held(const Held&) = delete;
  Held& operator=(const Held&) = delete;

private:
  py::object obj_;
};

std::unique_ptr<Storage> make_storage() {
  py::object s = (*current_factory)();
  if (!py::isinstance<Storage>(s))
    throw invalid_argument(fmt::format("conformance: the factory must return a nudge.Storage, got {}",
                                       Py_TYPE(s.ptr())->tp_name));
  return std::make_unique<Held>(std::move(s));
}

}  // namespace

void bind_conformance(py::module_& m) {
  m.def(
      "run_conformance",
      [](py::object factory, const std::string& checks) {
        if (current_factory) throw conflict("run_conformance: a run is already in progress");
        current_factory = &factory;
        std::ostringstream out;
        int failed = 0;
        try {
          doctest::Context ctx;
          ctx.setOption("no-colors", true);
          ctx.setOption("no-breaks", true);
          ctx.setOption("no-version", true);
          ctx.setOption("test-case", ("storage.conformance.python." + checks).c_str());
          ctx.setCout(&out);
          failed = ctx.run();
        } catch (...) {
          current_factory = nullptr;
          throw;
        }
        current_factory = nullptr;
        return py::make_tuple(failed == 0, out.str());
      },
      py::arg("factory"), py::arg("checks") = "*",
      "Runs the storage conformance kit (the checks every C++ adapter passes) on storages made by `factory`, a "
      "callable returning a fresh, empty nudge.Storage each time. `checks` filters by name (a doctest wildcard, "
      "e.g. 'rollback_*'). Returns (ok, report): ok is True when every check passed; the report names each "
      "failure with the entity and field.");
}

}  // namespace nudge::bindings

NUDGE_STORAGE_CONFORMANCE("python", ::nudge::bindings::make_storage)
