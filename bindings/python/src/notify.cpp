// The notifier port from Python. A notifier is a built-in C++ one
// (CollectingNotifier, PrintNotifier, JsonLinesNotifier, RoutingNotifier) or any
// Python callable (or object with send() and optionally flush()); the C++
// Dispatcher delivers the outbox through it. An exception a Python notifier
// raises is a failed delivery, retried with backoff; nudge.Undeliverable is a
// permanent failure (a dead letter). Ctrl-C stops the pass: the message in
// flight is not recorded and the rest are not attempted.

#include "common.hpp"
#include "guard.hpp"

#include <fmt/format.h>

#include <nudge/config/loaded_config.hpp>
#include <nudge/notify/dispatcher.hpp>
#include <nudge/notify/notifier.hpp>

namespace nudge::bindings {

namespace {

// ---- interrupts ------------------------------------------------------------------------
// The KeyboardInterrupt (or SystemExit) a Python notifier raised during the
// current pass. Notifier::deliver() is noexcept, so the notifier parks it here
// and the dispatcher's store raises it when the attempt is about to be
// recorded. Guarded by the GIL.
std::optional<py::error_already_set>& pending_interrupt() {
  static std::optional<py::error_already_set> slot;
  return slot;
}

/// Runs Python code for a notifier: nudge.Undeliverable becomes `undeliverable`
/// (a dead letter), KeyboardInterrupt/SystemExit is parked, any other exception
/// becomes a temporary failure "Type: message".
template <class F>
void call_python(F&& f) {
  py::gil_scoped_acquire gil;
  if (pending_interrupt()) throw std::runtime_error("not attempted: the dispatch was interrupted");
  try {
    f();
  } catch (py::error_already_set& e) {
    if (e.matches(PyExc_KeyboardInterrupt) || e.matches(PyExc_SystemExit)) {
      pending_interrupt().emplace(std::move(e));
      throw std::runtime_error("interrupted");
    }
    if (e.matches(py::module_::import("nudge").attr("Undeliverable"))) throw undeliverable(py::str(e.value()));
    throw std::runtime_error(fmt::format("{}: {}", std::string(py::str(e.type().attr("__name__"))),
                                         std::string(py::str(e.value()))));
  }
}

/// Drops Python references with the GIL held (a C++ owner may destroy us anywhere).
void release(py::object& o) {
  if (!o) return;
  py::gil_scoped_acquire gil;
  o.release().dec_ref();
}

// ---- notifiers written in Python ---------------------------------------------------------

class PythonNotifier final : public Notifier {
public:
  explicit PythonNotifier(py::object target) : target_(std::move(target)) {
    send_fn_ = py::hasattr(target_, "send") ? target_.attr("send") : target_;
    if (!PyCallable_Check(send_fn_.ptr()))
      throw py::type_error("notifier: expected a callable taking a Message, an object with send(message), or a "
                           "nudge.Notifier");
    if (py::hasattr(target_, "flush")) flush_fn_ = target_.attr("flush");
  }
  ~PythonNotifier() override {
    release(send_fn_);
    release(flush_fn_);
    release(target_);
  }
  PythonNotifier(const PythonNotifier&) = delete;
  PythonNotifier& operator=(const PythonNotifier&) = delete;

protected:
  void send_(const Message& m) override { call_python([&] { send_fn_(m); }); }
  void flush_() override {
    call_python([&] {
      if (flush_fn_) flush_fn_();
    });
  }

private:
  py::object target_, send_fn_, flush_fn_;
};

/// The C++ OstreamNotifier's output (nudge::to_text), written to a Python file
/// object: sys.stdout (looked up at each message) unless one is given.
class PrintNotifier final : public Notifier {
public:
  explicit PrintNotifier(py::object file) : file_(std::move(file)) {
    if (!file_.is_none() && !py::hasattr(file_, "write"))
      throw py::type_error("PrintNotifier: `file` must have a write(str) method (a text file, io.StringIO, ...)");
  }
  ~PrintNotifier() override { release(file_); }
  PrintNotifier(const PrintNotifier&) = delete;
  PrintNotifier& operator=(const PrintNotifier&) = delete;

  [[nodiscard]] py::object file() const { return file_; }

protected:
  void send_(const Message& m) override {
    const std::string text = to_text(m);
    call_python([&] { target().attr("write")(text); });
  }
  void flush_() override {
    call_python([&] {
      py::object f = target();
      if (py::hasattr(f, "flush")) f.attr("flush")();
    });
  }

private:
  py::object target() const { return file_.is_none() ? py::module_::import("sys").attr("stdout") : file_; }
  py::object file_;
};

/// A built-in notifier as is, anything else through PythonNotifier.
std::shared_ptr<Notifier> notifier_from(py::handle v) {
  if (py::isinstance<Notifier>(v)) return v.cast<std::shared_ptr<Notifier>>();
  return std::make_shared<PythonNotifier>(py::reinterpret_borrow<py::object>(v));
}

// ---- the dispatcher ----------------------------------------------------------------------------

/// The store as the dispatcher sees it: reads through GuardedStorage (Ctrl-C
/// is checked per batch of due messages) and units of work that only record
/// deliveries, raising a parked KeyboardInterrupt (or a pending signal)
/// instead of recording the interrupted attempt.
class DispatchStorage final : public GuardedStorage {
public:
  DispatchStorage(Storage& inner, py::object owner) : GuardedStorage(inner, std::move(owner)), writable_(inner) {}

  static void raise_interrupt() {
    if (auto& p = pending_interrupt()) {
      py::error_already_set e = std::move(*p);
      p.reset();
      throw e;
    }
    check_signals();
  }

protected:
  std::unique_ptr<UnitOfWork> do_begin() override { return std::make_unique<Work>(*this, writable_.begin()); }

private:
  class Work final : public UnitOfWork {
  public:
    Work(const Storage& s, std::unique_ptr<UnitOfWork> inner) : UnitOfWork(s), inner_(std::move(inner)) {}

  protected:
    void do_put_manager(const Manager&) override { refuse(); }
    void do_put_client(const Client&) override { refuse(); }
    void do_add_activity(const Activity&) override { refuse(); }
    void do_put_task(const Task&) override { refuse(); }
    void do_put_deal(const Deal&) override { refuse(); }
    void do_put_invoice(const Invoice&) override { refuse(); }
    TaskId do_next_task_id() override { refuse(); }
    void do_set_label(SubjectRef, const std::string&, const std::string&) override { refuse(); }
    void do_clear_label(SubjectRef, const std::string&) override { refuse(); }
    bool do_claim_action(std::string_view, Instant) override { refuse(); }
    void do_append_audit(const AuditRecord&) override { refuse(); }
    void do_enqueue(const Message&) override { refuse(); }
    void do_record_delivery(std::string_view key, const DeliveryState& state) override {
      {
        py::gil_scoped_acquire gil;
        raise_interrupt();
      }
      inner_->record_delivery(key, state);
    }
    void do_commit() override { inner_->commit(); }

  private:
    [[noreturn]] static void refuse() { throw conflict("dispatch: the dispatcher only records deliveries"); }
    std::unique_ptr<UnitOfWork> inner_;
  };

  Storage& writable_;
};

/// nudge.Dispatcher: the C++ Dispatcher with the Python objects it refers to kept alive.
class PyDispatcher {
public:
  PyDispatcher(py::object store, py::handle notifier, DispatcherOptions options)
      : store_(std::move(store)),
        notifier_(notifier_from(notifier)),
        guard_(store_.cast<Storage&>(), store_),
        dispatcher_(guard_, *notifier_, std::move(options)) {}

  DispatchReport run(py::handle now) {
    const Instant at = instant_from(now, "now");
    pending_interrupt().reset();
    try {
      DispatchReport r = dispatcher_.run(at);
      DispatchStorage::raise_interrupt();  // parked by the last message, or Ctrl-C during the pass
      return r;
    } catch (...) {
      pending_interrupt().reset();
      throw;
    }
  }

  [[nodiscard]] const DispatcherOptions& options() const { return dispatcher_.options(); }
  [[nodiscard]] Instant allowed_at(const Message& m, Instant t) { return dispatcher_.allowed_at(m, t); }
  [[nodiscard]] std::shared_ptr<Notifier> notifier() const { return notifier_; }
  [[nodiscard]] py::object store() const { return store_; }

private:
  py::object store_;
  std::shared_ptr<Notifier> notifier_;
  DispatchStorage guard_;
  Dispatcher dispatcher_;
};

}  // namespace

void bind_notify(py::module_& m) {
  auto& und = py::register_exception<undeliverable>(m, "Undeliverable", m.attr("Error"));
  und.attr("__doc__") = "Raised by a notifier when a message can never be delivered: it becomes a dead letter, no retry.";

  m.def("message_text", &to_text, py::arg("message"),
        "A message as a person reads it on a console (what PrintNotifier writes): a header line "
        "'[channel] key=... to client:10 Name <address>', then the subject and body indented.");
  m.def("message_json_line", &to_json_line, py::arg("message"),
        "A message as one line of JSON (what JsonLinesNotifier appends): key, channel, to, to_name, recipient, "
        "subject, body, template, locale, created.");

  // ---- notifiers ------------------------------------------------------------------------------
  py::class_<DeliveryResult> result(m, "DeliveryResult", "What one delivery attempt came to.");
  result.def_readwrite("ok", &DeliveryResult::ok, "Delivered.")
      .def_readwrite("error", &DeliveryResult::error, "The failure as the notifier reported it ('' when ok).")
      .def_readwrite("permanent", &DeliveryResult::permanent, "The failure is for good (undeliverable): no retry.");
  def_record(result, {"ok", "error", "permanent"});

  py::class_<Notifier, std::shared_ptr<Notifier>> notifier(
      m, "Notifier",
      "Base of the built-in notifiers (CollectingNotifier, PrintNotifier, JsonLinesNotifier, RoutingNotifier). "
      "Wherever a notifier is taken, a Python callable taking a Message, or an object with send(message) and "
      "optionally flush(), works as well; it is not subclassed.");
  notifier
      .def("deliver", &Notifier::deliver, py::arg("message"),
           "Hands one message to the notifier; never raises: a failure is a DeliveryResult with ok=False.")
      .def("flush", &Notifier::flush, "Flushes buffered output; never raises (see the DeliveryResult).");

  py::class_<CollectingNotifier, Notifier, std::shared_ptr<CollectingNotifier>>(
      m, "CollectingNotifier", "Keeps every message it is given (for tests, and hosts that deliver later).")
      .def(py::init<>(), "An empty collector.")
      .def_property_readonly("messages", &CollectingNotifier::messages,
                             "A copy of the messages delivered so far, in order (list of Message).")
      .def("clear", &CollectingNotifier::clear, "Forgets the messages collected.")
      .def("__len__", &CollectingNotifier::size)
      .def("__iter__", [](const CollectingNotifier& n) { return py::iter(py::cast(n.messages())); })
      .def("__repr__", [](const CollectingNotifier& n) { return fmt::format("<CollectingNotifier: {} messages>", n.size()); });

  py::class_<PrintNotifier, Notifier, std::shared_ptr<PrintNotifier>>(
      m, "PrintNotifier",
      "Prints every message as message_text() does (the C++ OstreamNotifier's format) to a Python text file: "
      "sys.stdout at the time of each message unless `file` is given. A write that raises is a failed delivery.")
      .def(py::init<py::object>(), py::arg("file") = py::none(), "Prints to `file` (default: sys.stdout).")
      .def_property_readonly("file", &PrintNotifier::file, "The file printed to (None: sys.stdout).");

  py::class_<JsonLinesNotifier, Notifier, std::shared_ptr<JsonLinesNotifier>>(
      m, "JsonLinesNotifier",
      "Appends each message as one JSON line (message_json_line) to a file, flushing after every line so a "
      "delivered message is on disk; a gateway process can tail the file and drop duplicate keys.")
      .def(py::init([](py::handle path) {
             const auto p = py::str(py::module_::import("os").attr("fspath")(path)).cast<std::string>();
             return std::make_shared<JsonLinesNotifier>(p);
           }),
           py::arg("path"), "Opens (creates) `path` (str or os.PathLike) for appending; nudge.Error if it cannot.")
      .def_property_readonly("path", &JsonLinesNotifier::path, "The file appended to.");

  py::class_<RoutingNotifier, Notifier, std::shared_ptr<RoutingNotifier>>(
      m, "RoutingNotifier",
      "Sends each message through the notifier routed for its channel (for Channel.other, its custom_channel name "
      "first), else the fallback; a message no route takes is a dead letter. route() and fallback() return the "
      "router, so they chain:\n\n"
      "    router = nudge.RoutingNotifier().route(nudge.Channel.sms, sms).route('telegram', bot).fallback(print)")
      .def(py::init<>(), "A router with no routes.")
      .def(
          "route",
          [](py::object self, py::handle channel, py::handle target) {
            auto& r = self.cast<RoutingNotifier&>();
            auto n = notifier_from(target);
            if (PyUnicode_Check(channel.ptr()))
              r.route(channel.cast<std::string>(), std::move(n));
            else
              r.route(channel.cast<Channel>(), std::move(n));
            return self;
          },
          py::arg("channel"), py::arg("notifier"),
          "Routes a Channel, or a custom channel name (str, for Channel.other), to a notifier (built-in or Python). "
          "Returns the router.")
      .def(
          "fallback",
          [](py::object self, py::handle target) {
            self.cast<RoutingNotifier&>().fallback(notifier_from(target));
            return self;
          },
          py::arg("notifier"), "The notifier for messages no route takes. Returns the router.");

  // ---- dispatching ---------------------------------------------------------------------------------
  py::class_<RetryPolicy> retry(m, "RetryPolicy", "Backoff between failed delivery attempts.");
  retry.def(py::init<>(), "The defaults: 1 min, doubling, at most 6 h apart, 8 attempts.")
      .def_readwrite("base", &RetryPolicy::base, "Delay after the first failure (timedelta).")
      .def_readwrite("factor", &RetryPolicy::factor, "Growth of the delay per failure.")
      .def_readwrite("cap", &RetryPolicy::cap, "Longest delay (timedelta).")
      .def_readwrite("max_attempts", &RetryPolicy::max_attempts, "Attempts before a message becomes a dead letter.")
      .def("delay", &RetryPolicy::delay, py::arg("failed_attempts"), "The wait after the n-th failed attempt.");

  const std::vector<std::string> option_fields{"retry",      "quiet_hours", "quiet_hours_for_managers",
                                               "time_zone",  "batch",       "max_per_run"};
  py::class_<DispatcherOptions> opts(m, "DispatcherOptions",
                                     "How the outbox is delivered; any field by keyword. quiet_hours usually comes "
                                     "from a configuration file: DispatcherOptions.from_config(cfg).");
  opts.def(py::init([option_fields](const py::kwargs& kw) {
             py::object self = py::cast(DispatcherOptions{});
             record_fill(self, option_fields, 0, py::args(), kw);
             return self.cast<DispatcherOptions>();
           }),
           "The defaults, with any field given by keyword.")
      .def_readwrite("retry", &DispatcherOptions::retry, "RetryPolicy.")
      .def_readwrite("quiet_hours", &DispatcherOptions::quiet_hours,
                     "Per channel: when it stays silent, read in the recipient's time zone (dict of Channel to "
                     "QuietHours). A copy: assign a new dict.")
      .def_readwrite("quiet_hours_for_managers", &DispatcherOptions::quiet_hours_for_managers,
                     "Apply quiet hours to managers too (not only clients).")
      .def_readwrite("time_zone", &DispatcherOptions::time_zone, "Zone of recipients without their own.")
      .def_readwrite("batch", &DispatcherOptions::batch, "Messages read per batch.")
      .def_readwrite("max_per_run", &DispatcherOptions::max_per_run, "Most messages handled per pass.")
      .def_static(
          "from_config",
          [](const LoadedConfig& c) {
            DispatcherOptions o;
            o.quiet_hours = c.quiet_hours;
            o.time_zone = c.engine.calendar.time_zone();
            return o;
          },
          py::arg("config"),
          "Options for a loaded configuration: its quiet hours, and its calendar's zone for recipients without "
          "their own.");
  opts.attr("__fields__") = py::make_tuple("retry", "quiet_hours", "quiet_hours_for_managers", "time_zone", "batch",
                                           "max_per_run");
  opts.def("__repr__", [](py::handle self) { return record_repr(self); })
      .def("to_dict", [](py::handle self) { return record_to_dict(self); }, "The options as a dict.");

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

  py::class_<DispatchReport> report(m, "DispatchReport",
                                    "What one delivery pass did. Iterating yields the outcomes.");
  report.def_readonly("delivered", &DispatchReport::delivered, "Messages delivered.")
      .def_readonly("retried", &DispatchReport::retried, "Failed, will be tried again.")
      .def_readonly("dead", &DispatchReport::dead, "Moved to the dead letters.")
      .def_readonly("deferred", &DispatchReport::deferred, "Held back by quiet hours.")
      .def_readonly("outcomes", &DispatchReport::outcomes, "One DispatchOutcome per message handled.")
      .def_readonly("notes", &DispatchReport::notes, "Things a person should know.");
  report.attr("__fields__") = py::make_tuple("delivered", "retried", "dead", "deferred", "outcomes", "notes");
  report.def("__repr__", [](py::handle self) { return record_repr(self); })
      .def("__iter__", [](py::handle self) { return py::iter(self.attr("outcomes")); })
      .def("__len__", [](const DispatchReport& r) { return r.outcomes.size(); })
      .def("to_dict", [](py::handle self) { return record_to_dict(self); }, "The report as a dict.");

  py::class_<PyDispatcher>(m, "Dispatcher",
                           "Drains the outbox of a store through a notifier: run(now) hands each message due at `now` "
                           "to the notifier and records the outcome in the store right away -- delivered; failed and "
                           "retried after the RetryPolicy's backoff; or dead (nudge.Undeliverable, or too many "
                           "attempts). Quiet hours hold a message back until they end. It never reads the wall "
                           "clock.\n\n"
                           "    cfg = nudge.load_config('nudge.json')\n"
                           "    d = nudge.Dispatcher(store, nudge.JsonLinesNotifier('outbox.jsonl'),\n"
                           "                         nudge.DispatcherOptions.from_config(cfg))\n"
                           "    report = d.run(now)")
      .def(py::init([](py::object store, py::handle notifier, std::optional<DispatcherOptions> options) {
             if (!py::isinstance<Storage>(store))
               throw py::type_error(fmt::format("Dispatcher: `store` must be a nudge.Storage, got {}",
                                                Py_TYPE(store.ptr())->tp_name));
             return std::make_unique<PyDispatcher>(std::move(store), notifier, options.value_or(DispatcherOptions{}));
           }),
           py::arg("store"), py::arg("notifier"), py::arg("options") = py::none(),
           "`notifier`: a built-in Notifier, a callable taking a Message, or an object with send(message) (and "
           "optionally flush()). nudge.InvalidArgument for bad options (an unknown time zone, ...).")
      .def("run", &PyDispatcher::run, py::arg("now"),
           "One pass over the messages due at `now` (an aware datetime); returns a DispatchReport. An exception a "
           "Python notifier raises is a failed delivery, nudge.Undeliverable a dead letter. KeyboardInterrupt (from "
           "the notifier, or Ctrl-C) stops the pass: the message in flight is not recorded, the rest are not "
           "attempted, and the KeyboardInterrupt is raised.")
      .def("allowed_at", &PyDispatcher::allowed_at, py::arg("message"), py::arg("at"),
           "When the message may go out at `at`: `at` itself, or the end of the quiet hours that hold for its "
           "recipient then.")
      .def_property_readonly("options", [](const PyDispatcher& d) { return DispatcherOptions(d.options()); },
                             "The DispatcherOptions (a copy).")
      .def_property_readonly("notifier", &PyDispatcher::notifier,
                             "The notifier (a Python one is wrapped; the built-ins are themselves).")
      .def_property_readonly("store", &PyDispatcher::store, "The store drained.");

  m.def(
      "dispatch",
      [](py::object store, py::handle notifier, py::handle now, const DispatcherOptions& options) {
        PyDispatcher d(std::move(store), notifier, options);
        return d.run(now);
      },
      py::arg("store"), py::arg("notifier"), py::arg("now"), py::arg("options") = DispatcherOptions{},
      "One delivery pass: Dispatcher(store, notifier, options).run(now).");
}

}  // namespace nudge::bindings
