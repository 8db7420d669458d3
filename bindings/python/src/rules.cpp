// Assistants: scopes, ladders, findings, the nine built-in assistants with
// their configurations, and the plug-in interface a Python class implements.

#include "common.hpp"
#include "guard.hpp"

#include <fmt/format.h>

#include <nudge/engine/config.hpp>
#include <nudge/rules/assistant.hpp>

namespace nudge::bindings {

namespace {

/// What a Python assistant sees as `ctx`: valid only while its inspect runs.
struct ContextRef {
  const Context* ctx = nullptr;
  py::object store;
  const Context& get() const {
    if (!ctx) throw conflict("Context: used after the assistant's call returned (keep the values, not the context)");
    return *ctx;
  }
};

/// Invalidates the context handed to Python when the call returns.
class ContextScope {
public:
  explicit ContextScope(const Context& ctx) {
    py::object store;
    if (const auto* g = dynamic_cast<const GuardedStorage*>(ctx.store)) store = g->owner();
    else if (ctx.store) store = py::cast(ctx.store, py::return_value_policy::reference);
    else store = py::none();
    obj_ = py::cast(ContextRef{&ctx, std::move(store)});
  }
  ContextScope(const ContextScope&) = delete;
  ContextScope& operator=(const ContextScope&) = delete;
  ~ContextScope() {
    obj_.cast<ContextRef&>().ctx = nullptr;
    obj_.cast<ContextRef&>().store = py::none();
  }
  const py::object& obj() const { return obj_; }

private:
  py::object obj_;
};

std::string quoted(const std::string& s) { return py::repr(py::str(s)); }

ClientInfoData info_of(const ClientInfo& c) {
  ClientInfoData d;
  d.id = c.id;
  d.owner = c.owner;
  d.kind = c.kind;
  if (c.profile) {
    d.segments = c.profile->segments;
    d.labels = c.profile->labels;
  }
  return d;
}

struct AssistantAccess : Assistant {
  using Assistant::make_finding;
};

/// The trampoline: feed, label and release_policy may be class attributes,
/// properties or methods of the Python class; inspect_client, inspect_deal,
/// inspect_invoice and inspect_task are the four inspect overloads.
class PyAssistant : public Assistant {
public:
  using Assistant::Assistant;

  Feed feed() const override {
    py::gil_scoped_acquire gil;
    if (py::object v = attribute("feed")) return v.cast<Feed>();
    std::optional<Feed> found;
    for (auto [name, f] : {std::pair{"inspect_client", Feed::clients}, std::pair{"inspect_deal", Feed::deals},
                           std::pair{"inspect_invoice", Feed::invoices}, std::pair{"inspect_task", Feed::tasks}}) {
      if (!py::hasattr(self(), name)) continue;
      if (found)
        throw configuration_error(fmt::format("assistant '{}': several inspect_* methods; set `feed` to choose", id()));
      found = f;
    }
    if (!found)
      throw configuration_error(fmt::format(
          "assistant '{}': define one of inspect_client, inspect_deal, inspect_invoice, inspect_task", id()));
    return *found;
  }

  std::string label() const override {
    py::gil_scoped_acquire gil;
    if (py::object v = attribute("label")) return v.is_none() ? std::string{} : v.cast<std::string>();
    return Assistant::label();
  }

  std::optional<Finding> inspect(const Context& ctx, const ClientView& v) const override {
    py::gil_scoped_acquire gil;
    return call("inspect_client", ctx, ClientViewData{*v.client, *v.summary});
  }
  std::optional<Finding> inspect(const Context& ctx, const ClientInfo& c, const DealView& v) const override {
    py::gil_scoped_acquire gil;
    return call("inspect_deal", ctx, info_of(c), DealViewData{*v.deal, v.open_tasks, v.last_task_closed});
  }
  std::optional<Finding> inspect(const Context& ctx, const ClientInfo& c, const Invoice& i) const override {
    py::gil_scoped_acquire gil;
    return call("inspect_invoice", ctx, info_of(c), i);
  }
  std::optional<Finding> inspect(const Context& ctx, const ClientInfo& c, const Task& t) const override {
    py::gil_scoped_acquire gil;
    return call("inspect_task", ctx, info_of(c), t);
  }

  Instant step_due(const Context& ctx, const Finding& f, const LadderStep& s) const override {
    py::gil_scoped_acquire gil;
    py::object m = py::getattr(self(), "step_due", py::none());
    if (m.is_none()) return Assistant::step_due(ctx, f, s);
    ContextScope scope(ctx);
    return instant_from(m(scope.obj(), f, s), fmt::format("assistant '{}': step_due()", id()));
  }

  std::string merge_label_notes(const std::vector<const Finding*>& fs) const override {
    py::gil_scoped_acquire gil;
    py::object m = py::getattr(self(), "merge_label_notes", py::none());
    if (m.is_none()) return Assistant::merge_label_notes(fs);
    py::list l;
    for (const auto* f : fs) l.append(py::cast(*f));
    return m(l).cast<std::string>();
  }

  const ReleasePolicy* release_policy() const override {
    py::gil_scoped_acquire gil;
    py::object v = attribute("release_policy");
    if (!v || v.is_none()) return nullptr;
    policy_ = v.cast<ReleasePolicy>();
    return &*policy_;
  }

private:
  py::handle self() const {
    return py::detail::get_object_handle(static_cast<const Assistant*>(this), py::detail::get_type_info(typeid(Assistant)));
  }

  /// The value of `name` when the Python class defines it (a class attribute,
  /// a property, or a method, which is then called); null when it is the
  /// bound base class's.
  py::object attribute(const char* name) const {
    py::handle s = self();
    py::handle base = py::type::of<Assistant>();
    for (py::handle cls : py::type::handle_of(s).attr("__mro__")) {
      if (cls.is(base)) return py::object();
      py::dict d = cls.attr("__dict__");
      if (!d.contains(name)) continue;
      py::object v = py::getattr(s, name);
      return PyMethod_Check(v.ptr()) ? v() : v;  // a method is called; a value or property is read
    }
    return py::object();
  }

  template <class... A>
  std::optional<Finding> call(const char* name, const Context& ctx, A&&... args) const {
    py::object m = py::getattr(self(), name, py::none());
    if (m.is_none())
      throw configuration_error(fmt::format("assistant '{}': its feed needs a method {}()", id(), name));
    ContextScope scope(ctx);
    py::object r = m(scope.obj(), std::forward<A>(args)...);
    if (r.is_none()) return std::nullopt;
    if (!py::isinstance<Finding>(r))
      throw invalid_argument(fmt::format("assistant '{}': {}() must return a Finding or None, got {}", id(), name,
                                         Py_TYPE(r.ptr())->tp_name));
    return r.cast<Finding>();
  }

  mutable std::optional<ReleasePolicy> policy_;
};

py::dict finding_dict(py::handle self) {
  py::dict d = record_to_dict(self);
  py::dict facts;
  for (const auto& f : self.cast<const Finding&>().facts) facts[py::str(f.name)] = to_plain(py::cast(f.value));
  d["facts"] = facts;
  return d;
}

template <class A, class C>
void builtin(py::module_& m, const char* name, const char* doc) {
  py::class_<A, Assistant, std::shared_ptr<A>>(m, name, doc)
      .def(py::init<C>(), py::arg("config"), "The assistant with this configuration.")
      .def_property_readonly("config", &A::config, "Its configuration.");
}

}  // namespace

void bind_rules(py::module_& m) {
  py::enum_<Feed>(m, "Feed", "Which scan feeds an assistant.")
      .value("clients", Feed::clients)
      .value("deals", Feed::deals)
      .value("invoices", Feed::invoices)
      .value("tasks", Feed::tasks);
  py::enum_<StepAction>(m, "StepAction", "What a ladder step does.")
      .value("task", StepAction::task, "Create a task for the target.")
      .value("notify", StepAction::notify, "Send a message to the target.")
      .value("reassign", StepAction::reassign, "Hand the client to another manager.")
      .value("close_lost", StepAction::close_lost, "Close the deal as lost.");
  py::enum_<Target>(m, "Target", "Who a ladder step addresses.")
      .value("owner", Target::owner)
      .value("supervisor", Target::supervisor)
      .value("client", Target::client)
      .value("assignee", Target::assignee)
      .value("manager", Target::manager);

  py::class_<Scope> scope(m, "Scope", "Which clients (and deals) an assistant looks at; empty lists mean any.");
  scope.def_readwrite("segments", &Scope::segments, "The client is in one of these segments.")
      .def_readwrite("kind", &Scope::kind, "ClientKind only, or None.")
      .def_readwrite("labels", &Scope::labels, "The client carries all of these labels.")
      .def_readwrite("except_labels", &Scope::except_labels, "The client carries none of these labels.")
      .def_readwrite("pipelines", &Scope::pipelines, "Deal assistants: the deal is in one of these pipelines.");
  def_record(scope, {"segments", "kind", "labels", "except_labels", "pipelines"});
  scope.def("matches", &Scope::matches, py::arg("client"), "Whether the client is in scope.")
      .def("matches_pipeline", &Scope::matches_pipeline, py::arg("pipeline"), "Whether the pipeline is in scope.");

  py::class_<LadderStep> step(m, "LadderStep", "One rung of an escalation ladder; fires once per episode.");
  step.def_readwrite("id", &LadderStep::id, "Unique within the ladder: 'task', 'reassign', 'complain'.")
      .def_readwrite("after", &LadderStep::after, "Delay from the start of the episode (Period).")
      .def_readwrite("share", &LadderStep::share, "Alternative: a share of the subject's limit (1.0 = breach).")
      .def_readwrite("action", &LadderStep::action, "StepAction.")
      .def_readwrite("target", &LadderStep::target, "Target.")
      .def_readwrite("level", &LadderStep::level, "Supervisor level for Target.supervisor.")
      .def_readwrite("manager_id", &LadderStep::manager_id, "The manager for Target.manager.")
      .def_readwrite("channel", &LadderStep::channel, "Channel of notify steps.")
      .def_readwrite("template_id", &LadderStep::template_id, "Message template of notify steps.")
      .def_readwrite("title", &LadderStep::title, "Task title of task steps ('' = the finding's summary).")
      .def_readwrite("due_in", &LadderStep::due_in, "Task steps: due this long after the step fires (Period).")
      .def_readwrite("reason", &LadderStep::reason, "close_lost: the loss reason.");
  def_record(step, {"id", "after", "share", "action", "target", "level", "manager_id", "channel", "template_id", "title",
                    "due_in", "reason"},
             1);

  py::class_<ReleasePolicy> policy(m, "ReleasePolicy", "How a reassigning step picks the new manager.");
  py::enum_<ReleasePolicy::Kind>(policy, "Kind", "The distribution rule.")
      .value("least_loaded", ReleasePolicy::Kind::least_loaded)
      .value("round_robin", ReleasePolicy::Kind::round_robin)
      .value("weighted", ReleasePolicy::Kind::weighted);
  policy.def_readwrite("kind", &ReleasePolicy::kind, "ReleasePolicy.Kind.")
      .def_readwrite("update_loads", &ReleasePolicy::update_loads, "Count loads as the plan assigns (else once).")
      .def_readwrite("max_new_per_run", &ReleasePolicy::max_new_per_run, "At most this many per manager per plan (0 = no cap).")
      .def_readwrite("respect_capacity", &ReleasePolicy::respect_capacity, "Respect Manager.capacity.");
  def_record(policy, {"kind", "update_loads", "max_new_per_run", "respect_capacity"});

  // ---- configurations -------------------------------------------------------------
#define NUDGE_COMMON(C) \
  def_readwrite("id", &C::id, "The assistant's id (unique in an engine).") \
      .def_readwrite("enabled", &C::enabled, "Whether the engine runs it.") \
      .def_readwrite("scope", &C::scope, "Scope.") \
      .def_readwrite("ladder", &C::ladder, "The escalation ladder (list of LadderStep).")

  py::class_<ForgottenConfig> forgotten(m, "ForgottenConfig", "Forgotten clients: no contact for longer than `after`.");
  forgotten.NUDGE_COMMON(ForgottenConfig)
      .def_readwrite("after", &ForgottenConfig::after, "No contact for longer than this (Period).")
      .def_readwrite("contact", &ForgottenConfig::contact, "ContactPolicy.")
      .def_readwrite("exempt_future_task", &ForgottenConfig::exempt_future_task,
                     "An open task due at or after now exempts the client.")
      .def_readwrite("label", &ForgottenConfig::label, "The label put on forgotten clients.");
  def_record(forgotten, {"id", "enabled", "scope", "after", "contact", "exempt_future_task", "label", "ladder"});

  py::class_<ReleaseConfig> release(m, "ReleaseConfig", "Client release: still forgotten after a grace period.");
  release.NUDGE_COMMON(ReleaseConfig)
      .def_readwrite("forgotten", &ReleaseConfig::forgotten, "The id of the forgotten assistant it follows.")
      .def_readwrite("grace", &ReleaseConfig::grace, "How long after becoming forgotten (Period).")
      .def_readwrite("policy", &ReleaseConfig::policy, "ReleasePolicy.");
  def_record(release, {"id", "enabled", "scope", "forgotten", "grace", "policy", "ladder"});

  py::class_<ChurnedConfig> churned(m, "ChurnedConfig", "Churned clients: used to order, stopped.");
  churned.NUDGE_COMMON(ChurnedConfig)
      .def_readwrite("min_orders", &ChurnedConfig::min_orders, "Orders needed before a client can churn.")
      .def_readwrite("idle", &ChurnedConfig::idle, "Nothing ordered for longer than this (Period).")
      .def_readwrite("factor", &ChurnedConfig::factor, "Or factor x the client's median interval, if longer.")
      .def_readwrite("won_deals", &ChurnedConfig::won_deals, "Won deals count as orders.")
      .def_readwrite("paid_invoices", &ChurnedConfig::paid_invoices, "Paid invoices count as orders.")
      .def_readwrite("label", &ChurnedConfig::label, "The label put on churned clients.");
  def_record(churned, {"id", "enabled", "scope", "min_orders", "idle", "factor", "won_deals", "paid_invoices", "label",
                       "ladder"});

  py::class_<UnpaidConfig> unpaid(m, "UnpaidConfig", "Unpaid orders: unpaid and no contact since issue.");
  unpaid.NUDGE_COMMON(UnpaidConfig)
      .def_readwrite("after", &UnpaidConfig::after, "Unpaid this long after issue (Period).")
      .def_readwrite("contact", &UnpaidConfig::contact, "ContactPolicy.");
  def_record(unpaid, {"id", "enabled", "scope", "after", "contact", "ladder"});

  py::class_<DebtorConfig> debtor(m, "DebtorConfig", "Debtors: overdue receivables, a reminder ladder.");
  debtor.NUDGE_COMMON(DebtorConfig)
      .def_readwrite("grace", &DebtorConfig::grace, "Overdue for longer than this after the due date (Period).")
      .def_readwrite("label", &DebtorConfig::label, "The label put on debtors.");
  def_record(debtor, {"id", "enabled", "scope", "grace", "label", "ladder"});

  py::class_<DeadDealConfig> dead(m, "DeadDealConfig", "Dead deals: open far longer than the cycle.");
  dead.NUDGE_COMMON(DeadDealConfig)
      .def_readwrite("max_age", &DeadDealConfig::max_age, "Open longer than this -> dead (Period).")
      .def_readwrite("per_pipeline", &DeadDealConfig::per_pipeline, "Per-pipeline overrides: pipeline -> Period.");
  def_record(dead, {"id", "enabled", "scope", "max_age", "per_pipeline", "ladder"});

  py::class_<StageSlaConfig> sla(m, "StageSlaConfig", "Stage SLA: time in the current stage against its limit.");
  sla.NUDGE_COMMON(StageSlaConfig)
      .def_readwrite("pause_on", &StageSlaConfig::pause_on, "Hold reasons that pause the clock (empty = every hold).")
      .def_readwrite("restart_on_reentry", &StageSlaConfig::restart_on_reentry, "Re-entering a stage restarts its clock.");
  def_record(sla, {"id", "enabled", "scope", "pause_on", "restart_on_reentry", "ladder"});

  py::class_<NoNextStepConfig> next(m, "NoNextStepConfig", "No next step: an open deal with no open task.");
  next.NUDGE_COMMON(NoNextStepConfig).def_readwrite("grace", &NoNextStepConfig::grace, "Allowed time without a task.");
  def_record(next, {"id", "enabled", "scope", "grace", "ladder"});

  py::class_<NeglectedTaskConfig> neglected(m, "NeglectedTaskConfig", "Neglected work items: still in attention.");
  neglected.NUDGE_COMMON(NeglectedTaskConfig)
      .def_readwrite("grace", &NeglectedTaskConfig::grace, "Allowed time after the planned start (Period).");
  def_record(neglected, {"id", "enabled", "scope", "grace", "ladder"});
#undef NUDGE_COMMON

  // ---- findings ------------------------------------------------------------------------
  py::class_<Finding> finding(m, "Finding", "What an assistant saw about one subject, with the facts that explain it.");
  finding.def_readwrite("rule", &Finding::rule, "The assistant's id.")
      .def_readwrite("subject", &Finding::subject, "What it is about (SubjectRef).")
      .def_readwrite("client", &Finding::client, "The client behind the subject.")
      .def_readwrite("owner", &Finding::owner, "Who is responsible.")
      .def_readwrite("episode", &Finding::episode, "Stays the same while the condition lasts.");
  def_instant(finding, "since", &Finding::since, "When the episode started; ladder delays count from here.");
  finding
      .def_property(
          "facts", [](const Finding& f) { return f.facts; },
          [](Finding& f, py::handle v) {
            std::vector<Fact> out;
            if (PyDict_Check(v.ptr())) {
              for (auto [k, x] : py::reinterpret_borrow<py::dict>(v))
                out.push_back(py::type::of<Fact>()(k, x).cast<Fact>());
            } else {
              for (py::handle x : v) {
                if (py::isinstance<Fact>(x)) out.push_back(x.cast<Fact>());
                else out.push_back(py::type::of<Fact>()(*x).cast<Fact>());
              }
            }
            f.facts = std::move(out);
          },
          "The facts (list of Fact); may be set from a dict {name: value} or (name, value) pairs.")
      .def_readwrite("summary", &Finding::summary, "One line a person reads.")
      .def_readwrite("label", &Finding::label, "Label to put on the client while it holds ('' = none).")
      .def_readwrite("label_note", &Finding::label_note, "The label's note.")
      .def_readwrite("cents", &Finding::cents, "Amount behind the finding in cents, or None.")
      .def_readwrite("currency", &Finding::currency, "Currency of `cents`.")
      .def_readwrite("due_steps", &Finding::due_steps, "Ladder steps that fell due (filled by the engine).");
  def_record(finding, {"rule", "subject", "client", "owner", "episode", "since", "facts", "summary", "label",
                       "label_note", "cents", "currency", "due_steps"},
             0, false);
  finding
      .def("fact", [](const Finding& f, std::string_view name) -> py::object {
        const Fact* x = f.fact(name);
        return x ? py::cast(x->value) : py::none();
      }, py::arg("name"), "The value of the fact named `name`, or None.")
      .def("to_dict", &finding_dict, "The finding as a dict of plain values; facts as {name: value}.")
      .def("__str__", [](const Finding& f) { return f.summary; })
      .def("__repr__", [](const Finding& f) {
        return fmt::format("Finding(rule={}, subject={}, since={}, summary={})", quoted(f.rule), to_string(f.subject),
                           iso_instant(f.since), quoted(f.summary));
      });

  // ---- the plug-in interface ---------------------------------------------------------------
  py::class_<ContextRef>(m, "Context", "What an assistant can see while it inspects a subject; read-only, valid "
                                       "only during the call.")
      .def_property_readonly("now", [](const ContextRef& c) { return c.get().now; }, "The plan's now.")
      .def_property_readonly("calendar", [](const ContextRef& c) { return *c.get().calendar; }, "The BusinessCalendar.")
      .def_property_readonly("store", [](const ContextRef& c) { c.get(); return c.store; }, "The Storage being planned.")
      .def("manager", [](const ContextRef& c, ManagerId id) -> std::optional<Manager> {
        if (const auto* x = c.get().manager(id)) return *x;
        return std::nullopt;
      }, py::arg("id"), "The manager, or None.")
      .def("manager_name", [](const ContextRef& c, ManagerId id) { return c.get().manager_name(id); }, py::arg("id"),
           "The manager's name, or 'manager <id>'.")
      .def("pipeline", [](const ContextRef& c, const std::string& id) -> std::optional<Pipeline> {
        if (const auto* x = c.get().pipeline(id)) return *x;
        return std::nullopt;
      }, py::arg("id"), "The pipeline, or None.")
      .def("client", [](const ContextRef& c, ClientId id) -> std::optional<ClientInfoData> {
        if (const auto* x = c.get().client(id)) return info_of(*x);
        return std::nullopt;
      }, py::arg("id"), "The ClientInfo of a client in this plan, or None.")
      .def("days_since", [](const ContextRef& c, py::handle t) { return c.get().days_since(instant_from(t, "at")); },
           py::arg("at"), "Whole calendar days from `at` to now.");

  py::class_<Assistant, PyAssistant, std::shared_ptr<Assistant>> assistant(
      m, "Assistant",
      "An assistant: a rule with a scope and an escalation ladder. Subclass it and define one of "
      "inspect_client(ctx, view), inspect_deal(ctx, client, view), inspect_invoice(ctx, client, invoice) or "
      "inspect_task(ctx, client, task), returning a Finding or None. Optional: `feed`, `label` and "
      "`release_policy` (attributes, properties or methods), step_due(ctx, finding, step), "
      "merge_label_notes(findings). The engine turns findings into keyed, audited actions through the ladder.");
  assistant
      .def(py::init<std::string, Scope, Ladder>(), py::arg("id"), py::arg("scope") = Scope{},
           py::arg("ladder") = Ladder{}, "An assistant with an id, a scope and a ladder.")
      .def_property_readonly("id", &Assistant::id, "The assistant's id.")
      .def_property_readonly("scope", &Assistant::scope, "Its Scope.")
      .def_property_readonly("ladder", &Assistant::ladder, "Its ladder (list of LadderStep).")
      .def_property_readonly("feed", &Assistant::feed, "Which scan feeds it (Feed).")
      .def_property_readonly("label", &Assistant::label, "The label it puts on clients ('' = none).")
      .def("make_finding",
           [](const Assistant& a, const Client& c, py::handle since, std::string episode, std::string summary) {
             return (a.*(&AssistantAccess::make_finding))(c, instant_from(since, "since"), std::move(episode),
                                                          std::move(summary));
           },
           py::arg("client"), py::arg("since"), py::arg("episode"), py::arg("summary"),
           "A finding about a client with rule, subject, client, owner, since, episode, summary and label filled.")
      .def("__repr__", [](const Assistant& a) { return fmt::format("<Assistant '{}'>", a.id()); });

  builtin<ForgottenAssistant, ForgottenConfig>(m, "ForgottenAssistant", "The forgotten-client assistant.");
  py::class_<ReleaseAssistant, Assistant, std::shared_ptr<ReleaseAssistant>>(m, "ReleaseAssistant",
                                                                             "The client-release assistant.")
      .def(py::init<ReleaseConfig, ForgottenConfig>(), py::arg("config"), py::arg("forgotten"),
           "Release following the forgotten assistant configured by `forgotten`.")
      .def_property_readonly("config", &ReleaseAssistant::config, "Its configuration.");
  builtin<ChurnedAssistant, ChurnedConfig>(m, "ChurnedAssistant", "The churned-client assistant.");
  builtin<UnpaidAssistant, UnpaidConfig>(m, "UnpaidAssistant", "The unpaid-order assistant.");
  builtin<DebtorAssistant, DebtorConfig>(m, "DebtorAssistant", "The debtor assistant.");
  builtin<DeadDealAssistant, DeadDealConfig>(m, "DeadDealAssistant", "The dead-deal assistant.");
  builtin<StageSlaAssistant, StageSlaConfig>(m, "StageSlaAssistant", "The stage-SLA assistant.");
  builtin<NoNextStepAssistant, NoNextStepConfig>(m, "NoNextStepAssistant", "The no-next-step assistant.");
  builtin<NeglectedTaskAssistant, NeglectedTaskConfig>(m, "NeglectedTaskAssistant", "The neglected-task assistant.");
}

}  // namespace nudge::bindings
