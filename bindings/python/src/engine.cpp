// The engine: configuration, plan (a dry run that Ctrl-C can stop), explain,
// apply, and the plan's findings, actions and forecast.

#include "common.hpp"
#include "guard.hpp"

#include <fmt/format.h>

#include <nudge/config/loaded_config.hpp>
#include <nudge/engine/engine.hpp>
#include <nudge/engine/explain.hpp>
#include <nudge/progress.hpp>

namespace nudge::bindings {

namespace {

constexpr std::size_t no_finding = static_cast<std::size_t>(-1);

std::string quoted(const std::string& s) { return py::repr(py::str(s)); }

/// A copy of nudge::Progress that Python may keep (its stage is a string_view).
struct ProgressData {
  std::string stage;
  std::uint64_t done = 0;
  std::uint64_t total = 0;
  friend bool operator==(const ProgressData&, const ProgressData&) = default;
};

}  // namespace

/// Wraps a Python callable as a ProgressFn: False (any falsy value but None)
/// stops the plan; an exception it raises propagates unchanged. It takes the
/// GIL when called without it (Engine.evaluate over a C++ store).
ProgressFn progress_from(py::object fn) {
  if (fn.is_none()) return {};
  if (!PyCallable_Check(fn.ptr()))
    throw py::type_error(fmt::format("progress: expected a callable taking a nudge.Progress, got {}",
                                     Py_TYPE(fn.ptr())->tp_name));
  return [fn = std::move(fn)](const Progress& p) {
    py::gil_scoped_acquire gil;
    py::object r = fn(ProgressData{std::string(p.stage), p.done, p.total});
    if (r.is_none()) return true;
    const int truth = PyObject_IsTrue(r.ptr());
    if (truth < 0) throw py::error_already_set();
    return truth != 0;
  };
}

namespace {

Plan plan_guarded(const Engine& e, py::object store, py::handle now, py::object progress = py::none(),
                  long long threads = 1) {
  const Instant at = instant_from(now, "now");
  if (threads < 1) throw invalid_argument(fmt::format("plan: threads must be at least 1, got {}", threads));
  PlanOptions options;
  options.progress = progress_from(std::move(progress));
  const Storage& s = store.cast<const Storage&>();
  // A storage written in Python needs the GIL for every call, also from the
  // threads that walk the ladders outside any scan: it plans on this thread.
  if (threads == 1 || is_python_storage(s)) {
    GuardedStorage guard(s, store);
    return e.plan(guard, at, options);
  }
  // A C++ store: the GIL is let go for the plan (Python assistants and the
  // progress callable take it when called), as Engine.evaluate does.
  options.threads = static_cast<unsigned>(std::min<long long>(threads, 1024));
  GuardedStorage guard(s, store, GuardedStorage::Released{});
  py::gil_scoped_release nogil;
  return e.plan(guard, at, options);
}

py::list refs_of(py::handle plan, const std::vector<const Finding*>& fs) {
  py::list out;
  for (const auto* f : fs) out.append(py::cast(f, py::return_value_policy::reference_internal, plan));
  return out;
}

}  // namespace

void bind_engine(py::module_& m) {
  py::enum_<ActionKind>(m, "ActionKind", "What an action does.")
      .value("create_task", ActionKind::create_task)
      .value("reassign", ActionKind::reassign)
      .value("notify", ActionKind::notify)
      .value("set_label", ActionKind::set_label)
      .value("clear_label", ActionKind::clear_label)
      .value("close_deal", ActionKind::close_deal);

  // ---- configuration --------------------------------------------------------------------
  py::class_<MessageTemplate> tpl(m, "MessageTemplate",
                                  "A message template with {client}, {owner}, {days}, {amount}, {summary}, {rule}, "
                                  "{deal}, {invoice}, {stage}.");
  tpl.def_readwrite("subject", &MessageTemplate::subject, "Subject template.")
      .def_readwrite("body", &MessageTemplate::body, "Body template.");
  def_record(tpl, {"subject", "body"}, 2);

  py::class_<EngineOptions> options(m, "EngineOptions", "Engine-wide options.");
  options.def_readwrite("late_after", &EngineOptions::late_after, "A step counts as late this long after it fell due.")
      .def_readwrite("batch", &EngineOptions::batch, "Batch size of the storage scans.");
  def_record(options, {"late_after", "batch"});

  py::class_<EngineConfig> config(m, "EngineConfig",
                                  "The whole configuration: calendar, pipelines, one list per assistant kind (several "
                                  "entries with different scopes allowed), templates, options. Lists are copied: "
                                  "assign a new list to change one.");
  config.def_readwrite("calendar", &EngineConfig::calendar, "The BusinessCalendar.")
      .def_readwrite("pipelines", &EngineConfig::pipelines, "Pipelines (list of Pipeline).")
      .def_readwrite("forgotten", &EngineConfig::forgotten, "list of ForgottenConfig.")
      .def_readwrite("release", &EngineConfig::release, "list of ReleaseConfig.")
      .def_readwrite("churned", &EngineConfig::churned, "list of ChurnedConfig.")
      .def_readwrite("unpaid", &EngineConfig::unpaid, "list of UnpaidConfig.")
      .def_readwrite("debtor", &EngineConfig::debtor, "list of DebtorConfig.")
      .def_readwrite("dead_deal", &EngineConfig::dead_deal, "list of DeadDealConfig.")
      .def_readwrite("stage_sla", &EngineConfig::stage_sla, "list of StageSlaConfig.")
      .def_readwrite("no_next_step", &EngineConfig::no_next_step, "list of NoNextStepConfig.")
      .def_readwrite("neglected_task", &EngineConfig::neglected_task, "list of NeglectedTaskConfig.")
      .def_readwrite("templates", &EngineConfig::templates,
                     "Message templates by id, then locale: dict[str, dict[str, MessageTemplate]], e.g. "
                     "templates['debtor_reminder']['ru']. A message is rendered in the client's locale (messages to "
                     "managers: default_locale), falling back to its language, then to default_locale; every id "
                     "needs a default_locale text (checked when the Engine is built).")
      .def_readwrite("default_locale", &EngineConfig::default_locale,
                     "The locale of messages to managers and the fallback of every template (default 'en').")
      .def_readwrite("options", &EngineConfig::options, "EngineOptions.");
  def_record(config, {"calendar", "pipelines", "forgotten", "release", "churned", "unpaid", "debtor", "dead_deal",
                      "stage_sla", "no_next_step", "neglected_task", "templates", "default_locale", "options"});
  config.def_static("defaults", &EngineConfig::defaults, "One of each assistant with its defaults.");

  // ---- plans -----------------------------------------------------------------------------------
  py::class_<Action> action(m, "Action",
                            "One thing the engine will do, keyed by (rule, subject, episode, step) so that applying "
                            "it twice is a no-op. str() is its explanation.");
  action.def_readwrite("key", &Action::key, "The exactly-once key.")
      .def_readwrite("kind", &Action::kind, "ActionKind.")
      .def_readwrite("rule", &Action::rule, "The assistant that fired.")
      .def_readwrite("subject", &Action::subject, "What it is about (SubjectRef).")
      .def_readwrite("client", &Action::client, "The client behind the subject.")
      .def_readwrite("step", &Action::step, "The ladder step.");
  def_instant(action, "due", &Action::due, "When the step fell due.");
  action.def_readwrite("late", &Action::late, "The plan runs well after the step fell due.")
      .def_readwrite("task", &Action::task, "create_task: the Task to create, or None.")
      .def_readwrite("from_", &Action::from, "reassign: the previous owner (C++ `from`), or None.")
      .def_readwrite("to", &Action::to, "reassign: the new owner; notify: the manager addressed; or None.")
      .def_readwrite("label", &Action::label, "set_label / clear_label: the label.")
      .def_readwrite("note", &Action::note, "set_label: the note.")
      .def_readwrite("message", &Action::message, "notify: the Message, or None.")
      .def_readwrite("reason", &Action::reason, "close_deal: the loss reason.")
      .def_readwrite("explanation", &Action::explanation, "Who/what/why, as a person reads it.")
      .def_property(
          "finding",
          [](const Action& a) -> std::optional<std::size_t> {
            if (a.finding == no_finding) return std::nullopt;
            return a.finding;
          },
          [](Action& a, std::optional<std::size_t> i) { a.finding = i.value_or(no_finding); },
          "Index of the finding in Plan.findings, or None (label upkeep).")
      .def_readwrite("once", &Action::once, "Whether applying records the key (label upkeep does not).");
  def_record(action, {"key", "kind", "rule", "subject", "client", "step", "due", "late", "task", "from_", "to", "label",
                      "note", "message", "reason", "explanation", "finding", "once"},
             0, false);
  // The generic repr lists every field; a compact one reads better in a list.
  action.def("to_dict", [](py::handle self) { return record_to_dict(self); }, "The action as a dict of plain values.")
      .def("__str__", [](const Action& a) { return a.explanation; })
      .def("__repr__", [](const Action& a) {
        return fmt::format("Action(kind={}, rule={}, subject={}, key={}, explanation={})", to_string(a.kind),
                           quoted(a.rule), to_string(a.subject), quoted(a.key), quoted(a.explanation));
      });

  py::class_<ForecastRow> row(m, "ForecastRow", "Weighted open pipeline of one owner in one currency.");
  row.def_readwrite("owner", &ForecastRow::owner, "The owning manager's id.")
      .def_readwrite("currency", &ForecastRow::currency, "Currency.")
      .def_readwrite("open_deals", &ForecastRow::open_deals, "Number of open deals.")
      .def_readwrite("amount_cents", &ForecastRow::amount_cents, "Sum of their amounts, in cents.")
      .def_readwrite("weighted", &ForecastRow::weighted, "Sum of amount x probability, in currency units.");
  def_record(row, {"owner", "currency", "open_deals", "amount_cents", "weighted"});

  py::bind_vector<std::vector<Finding>>(m, "FindingList", "The findings of a plan (a list-like view).");
  py::bind_vector<std::vector<Action>>(m, "ActionList", "The actions of a plan (a list-like view).");
  py::bind_vector<std::vector<ForecastRow>>(m, "ForecastList", "The forecast rows of a plan (a list-like view).");

  py::class_<Plan> plan(m, "Plan",
                        "The result of Engine.plan: findings, the actions they lead to, notes and the forecast at "
                        "one `now`. Iterating a plan yields its actions; str() is explain().");
  def_instant(plan, "now", &Plan::now, "The moment planned for.");
  plan.def_readwrite("findings", &Plan::findings, "Every finding (FindingList), grouped by assistant.")
      .def_readwrite("actions", &Plan::actions, "Every action (ActionList), in the order apply carries them out.")
      .def_readwrite("notes", &Plan::notes, "Things a person should know that are not actions.")
      .def_readwrite("forecast", &Plan::forecast, "Weighted open pipeline per owner and currency (ForecastList).")
      .def("findings_of", [](py::handle self, std::string_view rule) {
        return refs_of(self, self.cast<const Plan&>().findings_of(rule));
      }, py::arg("rule"), "The findings of one assistant.")
      .def("actions_of", [](py::handle self, std::string_view rule) {
        py::list out;
        for (const auto& a : self.cast<const Plan&>().actions)
          if (a.rule == rule) out.append(py::cast(&a, py::return_value_policy::reference_internal, self));
        return out;
      }, py::arg("rule"), "The actions of one assistant.")
      .def("finding_of", [](py::handle self, const Action& a) -> py::object {
        const Plan& p = self.cast<const Plan&>();
        if (a.finding >= p.findings.size()) return py::none();
        return py::cast(&p.findings[a.finding], py::return_value_policy::reference_internal, self);
      }, py::arg("action"), "The finding an action comes from, or None.")
      .def("explain", [](const Plan& p) { return explain(p); }, "The plan as a person reads it.")
      .def("__str__", [](const Plan& p) { return explain(p); })
      .def("__repr__", [](const Plan& p) {
        return fmt::format("<Plan at {}: {} findings, {} actions, {} notes>", iso_instant(p.now), p.findings.size(),
                           p.actions.size(), p.notes.size());
      })
      .def("__len__", [](const Plan& p) { return p.actions.size(); })
      .def("__iter__", [](py::handle self) { return py::iter(self.attr("actions")); })
      .def("to_dict", [](py::handle self) {
        py::dict d;
        for (const char* f : {"now", "findings", "actions", "notes", "forecast"}) d[f] = to_plain(self.attr(f));
        return d;
      }, "The plan as a dict of plain values.");

  py::class_<ApplyResult> result(m, "ApplyResult", "What Engine.apply did.");
  result.def_readwrite("applied", &ApplyResult::applied, "Actions carried out.")
      .def_readwrite("skipped", &ApplyResult::skipped, "Actions skipped: their keys were applied before.")
      .def_readwrite("applied_keys", &ApplyResult::applied_keys, "Keys of the actions carried out.")
      .def_readwrite("created_tasks", &ApplyResult::created_tasks, "Ids of the tasks created.");
  result.attr("__fields__") = py::make_tuple("applied", "skipped", "applied_keys", "created_tasks");
  result.def("__repr__", [](py::handle self) { return record_repr(self); })
      .def("to_dict", [](py::handle self) { return record_to_dict(self); }, "The result as a dict.");

  // ---- the engine ----------------------------------------------------------------------------------
  py::class_<ProgressData> progress(m, "Progress",
                                    "Where a long operation is, as a progress callback hears it: `done` of `total` "
                                    "items of one `stage` ('clients', 'deals', 'invoices', 'tasks'); total is 0 when "
                                    "unknown.");
  progress.def_readwrite("stage", &ProgressData::stage, "The stage: 'clients', 'deals', 'invoices' or 'tasks'.")
      .def_readwrite("done", &ProgressData::done, "Items of this stage done so far.")
      .def_readwrite("total", &ProgressData::total, "Items of this stage in all, or 0 when unknown.");
  def_record(progress, {"stage", "done", "total"}, 3);

  py::class_<Engine> engine(m, "Engine",
                            "Runs assistants over a store: plan() is a deterministic dry run, apply() carries a plan "
                            "out in one unit of work, exactly once per action key, audited; evaluate() and Watch give "
                            "the findings' figures alone, fast.");
  engine.def(py::init([](const LoadedConfig& c) { return Engine(c.engine); }), py::arg("config"),
           "An engine built from a loaded configuration file (nudge.load_config): its `engine` part. Raises "
           "nudge.ConfigurationError when the configuration cannot run (a template without a default_locale text).")
      .def(py::init([](std::optional<EngineConfig> c) { return Engine(c ? std::move(*c) : EngineConfig::defaults()); }),
           py::arg("config") = py::none(),
           "An engine with the built-in assistants the configuration enables (default: EngineConfig.defaults()).")
      .def("add", [](Engine& e, std::shared_ptr<Assistant> a) -> Engine& { return e.add(std::move(a)); },
           py::arg("assistant"), py::keep_alive<1, 2>(), py::return_value_policy::reference_internal,
           "Adds an assistant (a Python subclass of Assistant, or a built-in one); ids must be unique. Returns the "
           "engine.")
      .def_property_readonly("assistants", [](const Engine& e) {
        std::vector<std::shared_ptr<Assistant>> out;
        for (const auto& a : e.assistants()) out.push_back(std::const_pointer_cast<Assistant>(a));
        return out;
      }, "The assistants, in the order they run.")
      .def_property_readonly("config", &Engine::config, "A copy of the configuration.")
      .def("plan", &plan_guarded, py::arg("store"), py::arg("now"), py::arg("progress") = py::none(),
           py::kw_only(), py::arg("threads") = 1,
           "What would happen at `now` (an aware datetime), and why. Never writes. `progress`, a callable taking a "
           "nudge.Progress, is called once per scanned batch and at the end of each stage; returning False stops "
           "the plan with nudge.Cancelled (None or True go on). Ctrl-C stops it with KeyboardInterrupt; an "
           "exception raised by a Python storage, assistant or progress callable propagates unchanged. "
           "`threads` > 1 inspects subjects and writes actions on that many threads, with the same plan, over a "
           "C++ store with the GIL released (a storage written in Python plans on one thread).")
      .def("apply",
           [](const Engine& e, const Plan& p, Storage& s, py::object progress) {
             return e.apply(p, s, progress_from(std::move(progress)));
           },
           py::arg("plan"), py::arg("store"), py::arg("progress") = py::none(),
           "Carries a plan out in one unit of work: each action whose key was not applied before, with an audit "
           "record. All or nothing. `progress`, a callable taking a nudge.Progress (stage 'actions'), is called "
           "every few thousand actions and once all are done, before the commit; returning False stops the apply "
           "with nudge.Cancelled and nothing is written.")
      .def("run", [](const Engine& e, py::object store, py::handle now, py::object progress) {
        Plan p = plan_guarded(e, store, now, std::move(progress));
        return e.apply(p, store.cast<Storage&>());
      }, py::arg("store"), py::arg("now"), py::arg("progress") = py::none(),
           "plan + apply (`progress` as for plan(); a cancelled plan applies nothing).");
  bind_evaluate(m, engine);

  m.def("explain", [](const Plan& p) { return explain(p); }, py::arg("plan"),
        "Every finding with the actions it leads to, grouped by rule, then the notes.");
}

}  // namespace nudge::bindings
