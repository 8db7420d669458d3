// The notifier port from Python: any callable (or an object with send() and
// optionally flush()) delivers the outbox through the C++ Dispatcher. An
// exception it raises is a failed delivery, retried with backoff;
// nudge.Undeliverable is a permanent failure (a dead letter). Ctrl-C stops the
// pass: the remaining messages are left for the next one.

#include "common.hpp"

#include <fmt/format.h>

#include <nudge/notify/dispatcher.hpp>
#include <nudge/notify/notifier.hpp>

namespace nudge::bindings {

namespace {

class PythonNotifier final : public Notifier {
public:
  explicit PythonNotifier(py::object target) : target_(std::move(target)) {
    send_fn_ = py::hasattr(target_, "send") ? target_.attr("send") : target_;
    if (!PyCallable_Check(send_fn_.ptr()))
      throw py::type_error("notifier: expected a callable taking a Message, or an object with send(message)");
    if (py::hasattr(target_, "flush")) flush_fn_ = target_.attr("flush");
  }
  ~PythonNotifier() override {
    py::gil_scoped_acquire gil;
    send_fn_.release().dec_ref();
    flush_fn_.release().dec_ref();
    target_.release().dec_ref();
  }
  PythonNotifier(const PythonNotifier&) = delete;
  PythonNotifier& operator=(const PythonNotifier&) = delete;

  /// The KeyboardInterrupt (or SystemExit) that stopped the pass, to raise once it is over.
  std::optional<py::error_already_set>& interrupted() { return interrupted_; }

protected:
  void send_(const Message& m) override {
    py::gil_scoped_acquire gil;
    if (interrupted_) throw std::runtime_error("not attempted: the dispatch was interrupted");
    try {
      send_fn_(m);
    } catch (py::error_already_set& e) {
      if (e.matches(PyExc_KeyboardInterrupt) || e.matches(PyExc_SystemExit)) {
        interrupted_.emplace(std::move(e));
        throw std::runtime_error("interrupted");
      }
      const std::string what = fmt::format("{}: {}", std::string(py::str(e.type().attr("__name__"))),
                                           std::string(py::str(e.value())));
      if (e.matches(py::module_::import("nudge").attr("Undeliverable"))) throw undeliverable(py::str(e.value()));
      throw std::runtime_error(what);
    }
  }
  void flush_() override {
    py::gil_scoped_acquire gil;
    if (flush_fn_) flush_fn_();
  }

private:
  py::object target_, send_fn_, flush_fn_;
  std::optional<py::error_already_set> interrupted_;
};

}  // namespace

void bind_notify(py::module_& m) {
  auto& und = py::register_exception<undeliverable>(m, "Undeliverable", m.attr("Error"));
  und.attr("__doc__") = "Raised by a notifier when a message can never be delivered: it becomes a dead letter, no retry.";

  py::class_<RetryPolicy> retry(m, "RetryPolicy", "Backoff between failed delivery attempts.");
  retry.def(py::init<>(), "The defaults: 1 min, doubling, at most 6 h apart, 8 attempts.")
      .def_readwrite("base", &RetryPolicy::base, "Delay after the first failure (timedelta).")
      .def_readwrite("factor", &RetryPolicy::factor, "Growth of the delay per failure.")
      .def_readwrite("cap", &RetryPolicy::cap, "Longest delay (timedelta).")
      .def_readwrite("max_attempts", &RetryPolicy::max_attempts, "Attempts before a message becomes a dead letter.");

  py::class_<DispatcherOptions> opts(m, "DispatcherOptions", "How the outbox is delivered.");
  opts.def(py::init<>(), "The defaults.")
      .def_readwrite("retry", &DispatcherOptions::retry, "RetryPolicy.")
      .def_readwrite("quiet_hours_for_managers", &DispatcherOptions::quiet_hours_for_managers,
                     "Apply quiet hours to managers too (not only clients).")
      .def_readwrite("time_zone", &DispatcherOptions::time_zone, "Zone of recipients without their own.")
      .def_readwrite("batch", &DispatcherOptions::batch, "Messages read per batch.")
      .def_readwrite("max_per_run", &DispatcherOptions::max_per_run, "Most messages handled per pass.");

  py::class_<DispatchOutcome> outcome(m, "DispatchOutcome", "What happened to one message in a pass.");
  py::enum_<DispatchOutcome::Kind>(outcome, "Kind", "delivered, retry, dead or deferred.")
      .value("delivered", DispatchOutcome::Kind::delivered)
      .value("retry", DispatchOutcome::Kind::retry)
      .value("dead", DispatchOutcome::Kind::dead)
      .value("deferred", DispatchOutcome::Kind::deferred);
  outcome.def_readonly("key", &DispatchOutcome::key, "The message key.")
      .def_readonly("kind", &DispatchOutcome::kind, "DispatchOutcome.Kind.")
      .def_readonly("next_attempt", &DispatchOutcome::next_attempt, "retry / deferred: when it is tried again.")
      .def_readonly("error", &DispatchOutcome::error, "The notifier's error, if it failed.")
      .def_readonly("attempts", &DispatchOutcome::attempts, "Attempts so far.");
  outcome.attr("__fields__") = py::make_tuple("key", "kind", "next_attempt", "error", "attempts");
  outcome.def("__repr__", [](py::handle self) { return record_repr(self); })
      .def("to_dict", [](py::handle self) { return record_to_dict(self); }, "The outcome as a dict.");

  py::class_<DispatchReport> report(m, "DispatchReport", "What one delivery pass did.");
  report.def_readonly("delivered", &DispatchReport::delivered, "Messages delivered.")
      .def_readonly("retried", &DispatchReport::retried, "Failed, will be tried again.")
      .def_readonly("dead", &DispatchReport::dead, "Moved to the dead letters.")
      .def_readonly("deferred", &DispatchReport::deferred, "Held back by quiet hours.")
      .def_readonly("outcomes", &DispatchReport::outcomes, "One DispatchOutcome per message handled.")
      .def_readonly("notes", &DispatchReport::notes, "Things a person should know.");
  report.attr("__fields__") = py::make_tuple("delivered", "retried", "dead", "deferred", "outcomes", "notes");
  report.def("__repr__", [](py::handle self) { return record_repr(self); })
      .def("to_dict", [](py::handle self) { return record_to_dict(self); }, "The report as a dict.");

  m.def(
      "dispatch",
      [](py::object store, py::object notifier, py::handle now, const DispatcherOptions& options) {
        const Instant at = instant_from(now, "now");
        PythonNotifier n(notifier);
        Dispatcher d(store.cast<Storage&>(), n, options);
        DispatchReport r = d.run(at);
        if (n.interrupted()) {
          n.interrupted()->restore();
          throw py::error_already_set();
        }
        return r;
      },
      py::arg("store"), py::arg("notifier"), py::arg("now"), py::arg("options") = DispatcherOptions{},
      "Delivers the outbox messages due at `now` through `notifier`: a callable taking a Message, or an object with "
      "send(message) and optionally flush(). Each message's delivery state is recorded in the store. An exception "
      "the notifier raises is a failed delivery (retried with backoff), nudge.Undeliverable a dead letter; "
      "KeyboardInterrupt stops the pass and is raised again when it is over.");
}

}  // namespace nudge::bindings
