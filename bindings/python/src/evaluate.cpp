// Engine.evaluate (every assistant's test as numbers, on N threads), its
// Evaluation and Hits, and the incremental Watch.
//
// Over a C++ store both run with the GIL released: other Python threads go on,
// Python assistants take the GIL for their calls, and Ctrl-C is still noticed
// between scan batches (GuardedStorage, released). A Python storage needs the
// GIL for every call, so the GIL is then held, as in Engine.plan.

#include "common.hpp"
#include "guard.hpp"

#include <fmt/format.h>

#include <nudge/engine/engine.hpp>
#include <nudge/engine/watch.hpp>
#include <nudge/error.hpp>

namespace nudge::bindings {

namespace {

using Ids = std::shared_ptr<const std::vector<std::string>>;

/// Watch.touch's `what`: None (anything may have changed), one kind's name,
/// or an iterable of names, or-ed together.
Changed changed_of(py::handle what) {
  static const std::string names = [] {
    std::string out;
    for (const auto& [n, bit] : changed_names) out += std::string(n) + ", ";
    return out + "all, none";
  }();
  auto one = [&](py::handle name) {
    if (!PyUnicode_Check(name.ptr()))
      throw py::type_error(fmt::format("Watch.touch: what: expected a kind's name (str), got {}",
                                       Py_TYPE(name.ptr())->tp_name));
    const auto text = name.cast<std::string>();
    const auto c = changed_from_string(text);
    if (!c) throw invalid_argument(fmt::format("Watch.touch: what: unknown kind '{}' (one of {})", text, names));
    return *c;
  };
  if (what.is_none()) return Changed::all;
  if (PyUnicode_Check(what.ptr())) return one(what);
  if (PyBytes_Check(what.ptr()) || !py::isinstance<py::iterable>(what))
    throw py::type_error(fmt::format("Watch.touch: what must be None, a kind's name or an iterable of names, got {}",
                                     Py_TYPE(what.ptr())->tp_name));
  Changed out = Changed::none;
  for (auto name : what) out |= one(name);
  return out;
}

/// A Hit with the assistant ids of the evaluation (or watch) it came from, so
/// that Python reads the assistant's id and not only its index.
struct HitData {
  Hit hit;
  Ids ids;
  [[nodiscard]] std::string assistant() const {
    return ids && hit.assistant < ids->size() ? (*ids)[hit.assistant] : std::string{};
  }
  friend bool operator==(const HitData& a, const HitData& b) { return a.hit == b.hit && a.assistant() == b.assistant(); }
};

/// Instant::max()/min() (the test's "no deadline" and "unknown") read as None.
py::object since_of(Instant t) {
  if (t == Instant::max() || t == Instant::min()) return py::none();
  return to_datetime(t);
}

py::object manager_or_none(ManagerId m) { return m.valid() ? py::object(py::int_(m.value())) : py::object(py::none()); }

py::list hit_list(std::span<const Hit> hits, const Ids& ids) {
  py::list out(hits.size());
  for (std::size_t i = 0; i < hits.size(); ++i) out[i] = py::cast(HitData{hits[i], ids});
  return out;
}

/// The Python Evaluation: the C++ one plus the ids shared with its hits.
struct EvaluationData {
  Evaluation ev;
  Ids ids;
};

/// Yields HitData by value over an evaluation's hits (py::make_iterator).
struct HitIterator {
  const Hit* p = nullptr;
  const Ids* ids = nullptr;
  HitData operator*() const { return {*p, *ids}; }
  HitIterator& operator++() {
    ++p;
    return *this;
  }
  friend bool operator==(const HitIterator& a, const HitIterator& b) { return a.p == b.p; }
};

std::string plural(std::size_t n, const char* what) { return fmt::format("{} {}{}", n, what, n == 1 ? "" : "s"); }

EvaluationData evaluate_guarded(const Engine& e, py::object store, py::handle now, long long threads,
                                long long batch, py::object progress) {
  const Instant at = instant_from(now, "now");
  if (threads < 1) throw invalid_argument(fmt::format("evaluate: threads must be at least 1, got {}", threads));
  if (batch < 1) throw invalid_argument(fmt::format("evaluate: batch must be at least 1, got {}", batch));
  const Storage& s = store.cast<const Storage&>();
  EvaluateOptions options;
  options.threads = static_cast<unsigned>(std::min<long long>(threads, 1024));
  options.batch = static_cast<std::size_t>(batch);
  options.progress = progress_from(std::move(progress));
  GuardedStorage guard(s, store, GuardedStorage::Released{.release_batches = options.threads > 1});
  EvaluationData out;
  if (is_python_storage(s)) {
    out.ev = e.evaluate(guard, at, options);
  } else {
    py::gil_scoped_release nogil;
    out.ev = e.evaluate(guard, at, options);
  }
  out.ids = std::make_shared<const std::vector<std::string>>(out.ev.assistants);
  return out;
}

/// What Watch.advance returns.
struct WatchChangesData {
  std::vector<HitData> started, ended;
  std::size_t clients_tested = 0;
};

/// The Python Watch: holds the engine and the store (their Python objects) for
/// its life, reads the store through a released guard, and refuses a second
/// thread while one runs it without the GIL.
class WatchHandle {
public:
  /// A store written in Python is read on this thread only, which holds the
  /// GIL the store's calls need: `threads` is then 1.
  WatchHandle(py::object engine, py::object store, unsigned threads, std::size_t min_slice)
      : engine_(std::move(engine)),
        python_store_(is_python_storage(store.cast<const Storage&>())),
        guard_(std::make_unique<GuardedStorage>(store.cast<const Storage&>(), store, GuardedStorage::Released{})),
        watch_(std::make_unique<Watch>(engine_.cast<const Engine&>(), *guard_,
                                       WatchOptions{.threads = python_store_ ? 1u : threads, .min_slice = min_slice})),
        ids_(std::make_shared<const std::vector<std::string>>(watch_->assistants())) {}

  void reset(py::handle now) {
    const Instant at = instant_from(now, "now");
    run("reset", [&] { watch_->reset(at); });
    started_ = true;
  }

  void touch(ClientId id, py::handle what) {
    const Changed c = changed_of(what);
    idle("touch");
    watch_->touch(id, c);
  }

  WatchChangesData advance(py::handle now) {
    const Instant at = instant_from(now, "now");
    if (!started_) throw conflict("Watch.advance: call reset(now) first (one full evaluation)");
    WatchChanges c;
    run("advance", [&] { c = watch_->advance(at); });
    WatchChangesData out;
    out.clients_tested = c.clients_tested;
    for (const auto& h : c.started) out.started.push_back({h, ids_});
    for (const auto& h : c.ended) out.ended.push_back({h, ids_});
    return out;
  }

  py::list hits() {
    idle("hits");
    const auto hs = watch_->hits();
    return hit_list(hs, ids_);
  }

  [[nodiscard]] py::object now() const { return started_ ? to_datetime(watch_->now()) : py::object(py::none()); }
  [[nodiscard]] bool started() const { return started_; }
  [[nodiscard]] Instant instant() const { return watch_->now(); }
  [[nodiscard]] std::size_t pending() const { return watch_->pending(); }
  [[nodiscard]] const std::vector<std::string>& assistants() const { return *ids_; }
  [[nodiscard]] const py::object& engine() const { return engine_; }
  [[nodiscard]] const py::object& store() const { return guard_->owner(); }

private:
  void idle(const char* what) const {
    if (busy_) throw conflict(fmt::format("Watch.{}: the watch is in use by another thread", what));
    if (engine_.cast<const Engine&>().assistants().size() != ids_->size())
      throw conflict(fmt::format("Watch.{}: assistants were added to the engine after the watch was made; make a new "
                                 "Watch",
                                 what));
  }

  /// Runs a reset or an advance: without the GIL over a C++ store.
  template <class Fn>
  void run(const char* what, Fn&& fn) {
    idle(what);
    busy_ = true;
    struct Done {
      bool& b;
      ~Done() { b = false; }
    } done{busy_};
    guard_->arm();
    if (python_store_) {
      fn();
    } else {
      py::gil_scoped_release nogil;
      fn();
    }
  }

  py::object engine_;
  bool python_store_ = false;
  std::unique_ptr<GuardedStorage> guard_;
  std::unique_ptr<Watch> watch_;
  Ids ids_;
  bool started_ = false;
  bool busy_ = false;
};

py::dict hit_dict(py::handle self) {
  py::dict d = record_to_dict(self);
  d["assistant_index"] = self.cast<const HitData&>().hit.assistant;
  return d;
}

}  // namespace

void bind_evaluate(py::module_& m, py::class_<Engine>& engine) {
  py::class_<HitData> hit(
      m, "Hit",
      "The numbers of one finding without its words: what an assistant's test computed for one subject at the "
      "evaluation's `now` (Engine.evaluate, Watch). Read-only; == compares every field.");
  hit.def_property_readonly("assistant", &HitData::assistant, "The id of the assistant that fired.")
      .def_property_readonly("assistant_index", [](const HitData& h) { return h.hit.assistant; },
                             "Its index in the evaluation's (or watch's) `assistants`.")
      .def_property_readonly("subject", [](const HitData& h) { return h.hit.subject; },
                             "What it is about (SubjectRef).")
      .def_property_readonly("client", [](const HitData& h) { return h.hit.client; }, "The client behind the subject.")
      .def_property_readonly("owner", [](const HitData& h) { return h.hit.owner; }, "Who is responsible.")
      .def_property_readonly("since", [](const HitData& h) { return since_of(h.hit.since); },
                             "When the condition started to hold (an aware UTC datetime), as Finding.since. None "
                             "for C++'s Instant::max()/min() sentinels (no deadline / unknown), which a hit that "
                             "holds does not normally carry.")
      .def_property_readonly("anchor", [](const HitData& h) { return to_datetime(h.hit.anchor); },
                             "What the test counts from (last contact, last order, issue or due date, opening, stage "
                             "entry, planned start): an aware UTC datetime; the Unix epoch (1970-01-01) when the "
                             "assistant does not fill it (an assistant with only inspect, such as one written in "
                             "Python).")
      .def_property_readonly("count", [](const HitData& h) { return h.hit.count; },
                             "Orders (churned), invoices (debtor per client); 0 otherwise.")
      .def_property_readonly("cents", [](const HitData& h) { return h.hit.cents; },
                             "Outstanding amount (invoices) or the deal's amount, in cents; 0 otherwise.")
      .def_property_readonly("seconds", [](const HitData& h) { return h.hit.seconds; },
                             "Time over the limit in seconds (stage SLA); 0 otherwise.")
      .def_property_readonly("over", [](const HitData& h) { return to_timedelta(Seconds{h.hit.seconds}); },
                             "`seconds` as a timedelta.")
      .def_property_readonly("to", [](const HitData& h) { return manager_or_none(h.hit.to); },
                             "Release hits of Engine.evaluate: the manager a plan would hand the client to; else "
                             "None (always None from a Watch).");
  hit.attr("__fields__") =
      py::make_tuple("assistant", "subject", "client", "owner", "since", "anchor", "count", "cents", "seconds", "to");
  hit.def("__repr__", [](py::handle self) { return record_repr(self); })
      .def("to_dict", &hit_dict, "The hit as a dict of plain values (plus `assistant_index`).")
      .def("__eq__", [](const HitData& a, const HitData& b) { return a == b; }, py::is_operator())
      .def("__hash__", [](const HitData& h) {
        const Hit& x = h.hit;
        return py::hash(py::make_tuple(h.assistant(), static_cast<int>(x.subject.kind), x.subject.id,
                                       x.client.value(), x.owner.value(), to_unix(x.since), to_unix(x.anchor), x.count,
                                       x.cents, x.seconds, x.to.value()));
      })
      .def("__copy__", [](const HitData& h) { return h; })
      .def("__deepcopy__", [](const HitData& h, py::handle) { return h; }, py::arg("memo"));

  py::class_<EvaluationData> evaluation(
      m, "Evaluation",
      "The result of Engine.evaluate: every assistant's hits at `now` (grouped by assistant in the engine's order, "
      "then by ascending subject id) and the forecast. Iterating yields the hits; len() counts them.");
  evaluation
      .def_property_readonly("now", [](const EvaluationData& e) { return e.ev.now; }, "The moment evaluated.")
      .def_property_readonly("assistants", [](const EvaluationData& e) { return e.ev.assistants; },
                             "The assistant ids, in the engine's order (Hit.assistant_index indexes this).")
      .def_property_readonly("hits", [](const EvaluationData& e) { return hit_list(e.ev.hits, e.ids); },
                             "Every hit (a new list of Hit at each access; iterate the evaluation to avoid it).")
      .def_property_readonly(
          "forecast", [](EvaluationData& e) -> std::vector<ForecastRow>& { return e.ev.forecast; },
          py::return_value_policy::reference_internal,
          "Weighted open pipeline per owner and currency, ascending (ForecastList, as Plan.forecast).")
      .def("of", [](const EvaluationData& e, std::string_view id) { return hit_list(e.ev.of(id), e.ids); },
           py::arg("assistant"), "The hits of one assistant, by id ([] when there is none with that id).")
      .def("__len__", [](const EvaluationData& e) { return e.ev.hits.size(); })
      .def("__iter__", [](const EvaluationData& e) {
        const Hit* b = e.ev.hits.data();
        return py::make_iterator<py::return_value_policy::move>(HitIterator{b, &e.ids},
                                                                HitIterator{b + e.ev.hits.size(), &e.ids});
      }, py::keep_alive<0, 1>())
      .def("__repr__", [](const EvaluationData& e) {
        return fmt::format("<Evaluation at {}: {} of {}, {}>", iso_instant(e.ev.now), plural(e.ev.hits.size(), "hit"),
                           plural(e.ev.assistants.size(), "assistant"), plural(e.ev.forecast.size(), "forecast row"));
      })
      .def("to_dict", [](py::handle self) {
        py::dict d;
        for (const char* f : {"now", "assistants", "hits", "forecast"}) d[f] = to_plain(self.attr(f));
        return d;
      }, "The evaluation as a dict of plain values.");

  engine.def(
      "evaluate", &evaluate_guarded, py::arg("store"), py::arg("now"), py::kw_only(), py::arg("threads") = 1,
      py::arg("batch") = 16384, py::arg("progress") = py::none(),
      "Every assistant's test at `now` (an aware datetime) over the whole store, as numbers (an Evaluation of "
      "Hits, plus the forecast): the figures of plan()'s findings without actions or words. Never writes. "
      "`threads` test subjects in parallel with the same result (1 = this thread only); `batch` rows per scan "
      "batch; `progress` as for plan() (stages 'clients', 'deals', 'invoices', 'tasks'; False stops it with "
      "nudge.Cancelled). Over a C++ store the GIL is released while it runs (do not write to the store or add "
      "assistants from another thread meanwhile); a Python storage keeps it. Ctrl-C stops it with "
      "KeyboardInterrupt between batches.");

  py::class_<WatchChangesData> changes(m, "WatchChanges",
                                       "What Watch.advance changed: hits that started, hits that ended, and how many "
                                       "clients it tested. False when nothing started or ended.");
  changes.def_readonly("started", &WatchChangesData::started,
                       "Hits that hold now and did not before (or hold with other figures than seconds): list of Hit.")
      .def_readonly("ended", &WatchChangesData::ended, "Hits that held before and no longer do: list of Hit.")
      .def_readonly("clients_tested", &WatchChangesData::clients_tested,
                    "Clients tested again: touched, due by their deadline, or with hits that vary with time.")
      .def("__bool__", [](const WatchChangesData& c) { return !c.started.empty() || !c.ended.empty(); });
  changes.attr("__fields__") = py::make_tuple("started", "ended", "clients_tested");
  changes.def("__repr__", [](py::handle self) { return record_repr(self); })
      .def("to_dict", [](py::handle self) { return record_to_dict(self); }, "The changes as a dict of plain values.");

  py::class_<WatchHandle>(
      m, "Watch",
      "Engine.evaluate's hits kept current as facts change and time passes. reset(now) runs one full evaluation; "
      "after the host's writes, touch(client) each changed client; advance(later) tests again only the touched "
      "clients, those whose next deadline fell due and those whose hits vary with time, and returns what started "
      "and ended. hits() then equals engine.evaluate(store, now).hits, except that release hits carry no `to`. "
      "Keeps the engine and the store alive; use it from one thread at a time.")
      .def(py::init([](py::object engine, py::object store, py::object now, long long threads, long long min_slice) {
             if (!py::isinstance<Engine>(engine))
               throw py::type_error(fmt::format("Watch: engine must be a nudge.Engine, got {}",
                                                Py_TYPE(engine.ptr())->tp_name));
             if (!py::isinstance<Storage>(store))
               throw py::type_error(fmt::format("Watch: store must be a nudge.Storage, got {}",
                                                Py_TYPE(store.ptr())->tp_name));
             if (threads < 1) throw invalid_argument(fmt::format("Watch: threads must be at least 1, got {}", threads));
             if (min_slice < 1)
               throw invalid_argument(fmt::format("Watch: min_slice must be at least 1, got {}", min_slice));
             auto w = std::make_unique<WatchHandle>(std::move(engine), std::move(store),
                                                    static_cast<unsigned>(std::min<long long>(threads, 1024)),
                                                    static_cast<std::size_t>(min_slice));
             if (!now.is_none()) w->reset(now);
             return w;
           }),
           py::arg("engine"), py::arg("store"), py::arg("now") = py::none(), py::kw_only(), py::arg("threads") = 1,
           py::arg("min_slice") = WatchOptions{}.min_slice, py::keep_alive<1, 2>(), py::keep_alive<1, 3>(),
           "A watch over `store` with `engine`'s assistants; with `now`, also reset(now). Assistants added to the "
           "engine later make it raise nudge.Conflict. `threads` test the clients due at each reset and advance "
           "in parallel, with the same results (1 = this thread only; over a store written in Python always 1); "
           "a move with fewer than `threads` times `min_slice` clients due runs on this thread alone. Values "
           "below 1 raise nudge.InvalidArgument.")
      .def("reset", &WatchHandle::reset, py::arg("now"),
           "One full evaluation at `now` (an aware datetime): rebuilds every client's hits and deadline.")
      .def("touch", &WatchHandle::touch, py::arg("client"), py::arg("what") = py::none(),
           "Marks a client as changed: it is tested again at the next advance(). `what` says what changed, so "
           "only the assistants that read it test the client again: 'activity' (add_activity), 'task' (put_task), "
           "'deal' (put_deal), 'invoice' (put_invoice), 'client' (put_client, a reassignment, a label: every "
           "assistant), 'all', 'none' (marks nothing), or an iterable of these; None (the default) means anything "
           "may have changed. An unknown name raises nudge.InvalidArgument, a value that is not a str or an "
           "iterable of str TypeError. Assistants written in Python read everything.")
      .def("advance", &WatchHandle::advance, py::arg("now"),
           "Moves to `now` (not earlier than the last reset or advance: nudge.InvalidArgument) and returns the "
           "WatchChanges. nudge.Conflict before the first reset().")
      .def("hits", &WatchHandle::hits,
           "Every hit that holds, grouped by assistant then ascending subject id (Engine.evaluate's order).")
      .def_property_readonly("now", &WatchHandle::now, "The moment of the last reset or advance (None before reset).")
      .def_property_readonly("pending", &WatchHandle::pending, "Clients with a pending deadline in the index.")
      .def_property_readonly("assistants", &WatchHandle::assistants,
                             "The assistant ids, in the engine's order (Hit.assistant_index indexes this).")
      .def_property_readonly("engine", &WatchHandle::engine, "The Engine.")
      .def_property_readonly("store", &WatchHandle::store, "The Storage watched.")
      .def("__repr__", [](const WatchHandle& w) {
        return fmt::format("<Watch at {}: {}, {} pending>", w.started() ? iso_instant(w.instant()) : "(not reset)",
                           plural(w.assistants().size(), "assistant"), w.pending());
      });
}

}  // namespace nudge::bindings
