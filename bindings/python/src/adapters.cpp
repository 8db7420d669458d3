#include "common.hpp"
namespace nudge::bindings {
void bind_adapters(py::module_&) {}
}
