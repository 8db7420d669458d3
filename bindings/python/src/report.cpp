// Manager and team reports (include/nudge/engine/report.hpp): what the head of
// sales reads instead of clicking through every client.

#include "common.hpp"
#include "guard.hpp"

#include <limits>

#include <fmt/format.h>

#include <nudge/engine/report.hpp>

namespace nudge::bindings {

namespace {

/// Reports plus the managers they cover, so Python can iterate them.
class PyReports {
public:
  PyReports(const Plan& plan, const Storage& store, Instant since) : reports_(plan, store, since) {
    for (const auto& m : store.managers()) ids_.push_back(m.id);  // ascending id, as the port returns them
    now_ = plan.now;
  }
  [[nodiscard]] const Reports& reports() const { return reports_; }
  [[nodiscard]] const std::vector<ManagerId>& ids() const { return ids_; }
  [[nodiscard]] Instant now() const { return now_; }

private:
  Reports reports_;
  std::vector<ManagerId> ids_;
  Instant now_{};
};

/// The whole audit log: since the beginning of time.
constexpr Instant all_history{Seconds{std::numeric_limits<std::int64_t>::min() / 2}};

}  // namespace

void bind_report(py::module_& m) {
  py::class_<ManagerReport> r(m, "ManagerReport",
                              "One manager's (or one team's) figures at a plan's `now`: findings by assistant, "
                              "clients, open and overdue tasks, SLA breaches, releases in and out, the open pipeline "
                              "per currency and open deals per stage.");
  r.def_readwrite("manager", &ManagerReport::manager, "The manager (or the team's head).")
      .def_readwrite("name", &ManagerReport::name, "Their name.")
      .def_readwrite("members", &ManagerReport::members,
                     "Managers covered: the manager alone, or the whole team under a supervisor (list of ids).")
      .def_readwrite("findings", &ManagerReport::findings,
                     "Findings by assistant id for subjects the members own (dict str -> int).")
      .def_readwrite("clients", &ManagerReport::clients, "Clients the members own.")
      .def_readwrite("open_tasks", &ManagerReport::open_tasks, "Open tasks assigned to the members.")
      .def_readwrite("overdue_tasks", &ManagerReport::overdue_tasks, "Of those, due before the plan's now.")
      .def_readwrite("sla_breaches", &ManagerReport::sla_breaches, "Stage-SLA findings that are breaches.")
      .def_readwrite("released_in", &ManagerReport::released_in,
                     "Clients handed to the members: planned in this plan, and applied since `since`.")
      .def_readwrite("released_out", &ManagerReport::released_out, "Clients taken from the members, likewise.")
      .def_readwrite("pipeline", &ManagerReport::pipeline,
                     "Open pipeline per currency: dict str -> ManagerReport.Pipeline.")
      .def_readwrite("deals_by_stage", &ManagerReport::deals_by_stage, "Open deals per stage id (dict str -> int).");
  def_record(r, {"manager", "name", "members", "findings", "clients", "open_tasks", "overdue_tasks", "sla_breaches",
                 "released_in", "released_out", "pipeline", "deals_by_stage"});

  py::class_<ManagerReport::Pipeline> p(r, "Pipeline", "Open deals in one currency: count, amount, weighted amount.");
  p.def_readwrite("open_deals", &ManagerReport::Pipeline::open_deals, "Open deals.")
      .def_readwrite("amount_cents", &ManagerReport::Pipeline::amount_cents, "Sum of their amounts, in cents.")
      .def_readwrite("weighted", &ManagerReport::Pipeline::weighted,
                     "Sum of amount x probability, in currency units.");
  def_record(p, {"open_deals", "amount_cents", "weighted"});

  py::class_<PyReports>(m, "Reports",
                        "Manager and team reports built from a plan and the store it was planned over. Iterating "
                        "yields one ManagerReport per manager (ascending id); reports[id] is one manager's own "
                        "figures, team(id) a supervisor's summed over everyone below them.\n\n"
                        "    plan = engine.plan(store, now)\n"
                        "    reports = nudge.Reports(plan, store, since=now - timedelta(days=30))\n"
                        "    for r in reports: print(r.name, r.findings)\n"
                        "    print(reports.team(1).to_dict())")
      .def(py::init([](const Plan& plan, py::object store, py::handle since) {
             const Instant from = since.is_none() ? all_history : instant_from(since, "since");
             // Read through the guard: Ctrl-C stops a long scan of a big store.
             GuardedStorage guard(store.cast<const Storage&>(), store);
             return PyReports(plan, guard, from);
           }),
           py::arg("plan"), py::arg("store"), py::arg("since") = py::none(),
           "Reads the store once (clients, open tasks, open deals, the audit log). `since` (an aware datetime): "
           "releases applied from then on count as well as the plan's own; None counts the whole audit log.")
      .def("manager", [](const PyReports& r, ManagerId id) { return r.reports().manager(id); }, py::arg("id"),
           "One manager's own figures (zeros for an id the store does not know).")
      .def("team", [](const PyReports& r, ManagerId id) { return r.reports().team(id); }, py::arg("head"),
           "A supervisor's figures summed over everyone under them, themselves included (members lists them).")
      .def("teams", [](const PyReports& r) {
        std::vector<ManagerReport> out;
        for (auto id : r.ids())
          if (r.reports().org_chart().reports_of(id).size() > 0) out.push_back(r.reports().team(id));
        return out;
      }, "The team report of every manager who supervises someone, ascending id.")
      .def_property_readonly("managers", [](const PyReports& r) { return r.ids(); },
                             "Ids of the managers reported on, ascending.")
      .def_property_readonly("now", &PyReports::now, "The plan's now.")
      .def("__getitem__", [](const PyReports& r, ManagerId id) {
        const auto& ids = r.ids();
        if (std::find(ids.begin(), ids.end(), id) == ids.end())
          throw not_found(fmt::format("reports: no manager with id {}", id.value()));
        return r.reports().manager(id);
      }, py::arg("id"), "One manager's own figures; nudge.NotFound (a LookupError) for an unknown id.")
      .def("__len__", [](const PyReports& r) { return r.ids().size(); })
      .def("__iter__", [](const PyReports& r) {
        py::list out;
        for (auto id : r.ids()) out.append(r.reports().manager(id));
        return py::iter(out);
      })
      .def("to_dict", [](const PyReports& r) {
        py::dict out;
        for (auto id : r.ids()) out[py::int_(id.value())] = py::cast(r.reports().manager(id)).attr("to_dict")();
        return out;
      }, "{manager id: ManagerReport.to_dict()} for every manager.")
      .def("__repr__", [](const PyReports& r) {
        return fmt::format("<Reports at {}: {} managers>", iso_instant(r.now()), r.ids().size());
      });
}

}  // namespace nudge::bindings
