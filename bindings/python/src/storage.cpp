// The storage port: Storage (subclassable from Python), UnitOfWork (the hooks
// a Python adapter implements), Transaction (what begin() gives), the
// in-memory adapter, summaries and the views scans hand out.

#include "common.hpp"
#include "guard.hpp"

#include <deque>
#include <unordered_map>
#include <limits>

#include <fmt/format.h>

#include <nudge/notify/outbox.hpp>
#include <nudge/storage/memory_storage.hpp>
#include <nudge/storage/storage.hpp>

namespace nudge::bindings {

[[noreturn]] void rethrow_as_cpp(py::error_already_set& e);  // module.cpp

namespace {

std::string type_of(py::handle v) { return Py_TYPE(v.ptr())->tp_name; }

/// "Storage 'MyStore'" for messages.
std::string who(py::handle self) {
  return self ? fmt::format("Python storage {}", std::string(py::str(py::type::handle_of(self).attr("__name__"))))
              : std::string("Python storage");
}

// ---- a storage written in Python ------------------------------------------------

/// Forwards the engine's writes to a Python object's do_* hooks. The port's
/// checks (validation, referenced entities, commit once) run first, in C++.
class ForwardingWork final : public UnitOfWork {
public:
  ForwardingWork(const Storage& store, py::object target) : UnitOfWork(store), target_(std::move(target)) {}
  ForwardingWork(const ForwardingWork&) = delete;
  ForwardingWork& operator=(const ForwardingWork&) = delete;
  ~ForwardingWork() override {
    py::gil_scoped_acquire gil;
    if (!committed()) {
      try {
        if (py::hasattr(target_, "do_rollback")) target_.attr("do_rollback")();
      } catch (py::error_already_set& e) {
        e.discard_as_unraisable("nudge: rolling back a Python unit of work");
      } catch (...) {  // destructors never throw
      }
    }
    target_.release().dec_ref();
  }

protected:
  void do_put_manager(const Manager& m) override { call("do_put_manager", m); }
  void do_put_client(const Client& c) override { call("do_put_client", c); }
  void do_add_activity(const Activity& a) override { call("do_add_activity", a); }
  void do_put_task(const Task& t) override { call("do_put_task", t); }
  void do_put_deal(const Deal& d) override { call("do_put_deal", d); }
  void do_put_invoice(const Invoice& i) override { call("do_put_invoice", i); }
  TaskId do_next_task_id() override { return result<TaskId>(call("do_next_task_id"), "do_next_task_id", "an int"); }
  void do_set_label(SubjectRef s, const std::string& label, const std::string& note) override {
    call("do_set_label", s, label, note);
  }
  void do_clear_label(SubjectRef s, const std::string& label) override { call("do_clear_label", s, label); }
  bool do_claim_action(std::string_view key, Instant at) override {
    return result<bool>(call("do_claim_action", std::string(key), at), "do_claim_action", "a bool");
  }
  void do_append_audit(const AuditRecord& r) override { call("do_append_audit", r); }
  void do_enqueue(const Message& m) override { call("do_enqueue", m); }
  void do_record_delivery(std::string_view key, const DeliveryState& state) override {
    {
      py::gil_scoped_acquire gil;
      if (py::hasattr(target_, "do_record_delivery")) {
        call("do_record_delivery", std::string(key), state);
        return;
      }
    }
    UnitOfWork::do_record_delivery(key, state);  // keeps no delivery state: throws storage_error
  }
  void do_commit() override { call("do_commit"); }

private:
  template <class... A>
  py::object call(const char* name, A&&... args) {
    py::gil_scoped_acquire gil;
    if (!py::hasattr(target_, name))
      throw storage_error(fmt::format("{}: its unit of work {} has no {}()", who(py::handle()), type_of(target_), name));
    try {
      return target_.attr(name)(std::forward<A>(args)...);
    } catch (py::error_already_set& e) {
      rethrow_as_cpp(e);
    }
  }
  template <class R>
  R result(py::object r, const char* name, const char* expected) {
    try {
      return r.cast<R>();
    } catch (const py::cast_error&) {
      throw storage_error(fmt::format("Python unit of work: {}() must return {}, got {}", name, expected, type_of(r)));
    }
  }
  py::object target_;
};

/// The trampoline: each port function calls the Python subclass's method of
/// the same name. Scans accept items in several shapes (see Storage's docs);
/// the Python objects a batch points into are kept alive until the engine's
/// callback for that batch returns.
class PyStorage : public Storage {
public:
  using Storage::Storage;

  std::optional<Client> find_client(ClientId id) const override {
    return call<std::optional<Client>>("find_client", "a Client or None", id);
  }
  std::optional<Manager> find_manager(ManagerId id) const override {
    return call<std::optional<Manager>>("find_manager", "a Manager or None", id);
  }
  std::optional<Task> find_task(TaskId id) const override {
    return call<std::optional<Task>>("find_task", "a Task or None", id);
  }
  std::optional<Deal> find_deal(DealId id) const override {
    return call<std::optional<Deal>>("find_deal", "a Deal or None", id);
  }
  std::optional<Invoice> find_invoice(InvoiceId id) const override {
    return call<std::optional<Invoice>>("find_invoice", "an Invoice or None", id);
  }
  bool has_activity(ActivityId id) const override { return call<bool>("has_activity", "a bool", id); }
  std::vector<Manager> managers() const override { return call<std::vector<Manager>>("managers", "a list of Manager"); }
  std::vector<ClientId> clients_of(ManagerId m) const override {
    return call<std::vector<ClientId>>("clients_of", "a list of client ids", m);
  }
  std::vector<Activity> activities_of(ClientId c, Instant since) const override {
    return call<std::vector<Activity>>("activities_of", "a list of Activity", c, since);
  }
  std::vector<Task> tasks_of(ClientId c, bool open_only) const override {
    return call<std::vector<Task>>("tasks_of", "a list of Task", c, open_only);
  }
  std::vector<Deal> deals_of(ClientId c) const override { return call<std::vector<Deal>>("deals_of", "a list of Deal", c); }
  std::vector<Invoice> invoices_of(ClientId c) const override {
    return call<std::vector<Invoice>>("invoices_of", "a list of Invoice", c);
  }
  bool has_action(std::string_view key) const override { return call<bool>("has_action", "a bool", std::string(key)); }
  // Optional: has_action for a list of keys at once (a list of bool, one per key), e.g. one SQL query.
  std::vector<bool> has_actions(std::span<const std::string_view> keys) const override {
    if (!defines("has_actions")) return Storage::has_actions(keys);
    auto out = call<std::vector<bool>>("has_actions", "a list of bool", std::vector<std::string>(keys.begin(), keys.end()));
    if (out.size() != keys.size())
      throw storage_error(fmt::format("{}: has_actions() must return one bool per key: {} keys, got {} bools",
                                      who(self()), keys.size(), out.size()));
    return out;
  }
  std::vector<AuditRecord> audit_log(std::optional<SubjectRef> s) const override {
    return call<std::vector<AuditRecord>>("audit_log", "a list of AuditRecord", s);
  }
  std::vector<Message> outbox() const override { return call<std::vector<Message>>("outbox", "a list of Message"); }
  // Optional: how many clients there are, for progress reports (0 = unknown, the port's default).
  std::uint64_t client_count() const override {
    if (!defines("client_count")) return Storage::client_count();
    return call<std::uint64_t>("client_count", "a non-negative int");
  }
  // Optional: a Python storage that keeps delivery state defines outbox_entries (and may define the other two).
  std::vector<OutboxEntry> outbox_entries() const override {
    if (!defines("outbox_entries")) return Storage::outbox_entries();
    return call<std::vector<OutboxEntry>>("outbox_entries", "a list of OutboxEntry");
  }
  std::optional<OutboxEntry> find_message(std::string_view key) const override {
    if (!defines("find_message")) return Storage::find_message(key);
    return call<std::optional<OutboxEntry>>("find_message", "an OutboxEntry or None", std::string(key));
  }
  std::vector<OutboxEntry> due_messages(Instant now, std::size_t limit) const override {
    if (!defines("due_messages")) return Storage::due_messages(now, limit);
    return call<std::vector<OutboxEntry>>("due_messages", "a list of OutboxEntry", now, limit);
  }

  void scan_clients(const ClientBatchFn& fn, std::size_t batch) const override {
    py::gil_scoped_acquire gil;
    py::object items = method("scan_clients")();
    batch = std::max<std::size_t>(batch, 1);
    std::vector<py::object> keep;
    std::vector<ClientView> views;
    std::deque<ClientSummary> computed;  // stable addresses
    views.reserve(batch);
    std::int64_t last = std::numeric_limits<std::int64_t>::min();
    auto flush = [&] {
      if (views.empty()) return;
      fn(std::span<const ClientView>(views));
      views.clear();
      keep.clear();
      computed.clear();
    };
    for (py::handle item : iterate(items, "scan_clients")) {
      const Client* c = nullptr;
      const ClientSummary* s = nullptr;
      if (py::isinstance<Client>(item)) {
        c = &item.cast<const Client&>();
        computed.push_back(summarize(c->id));
        s = &computed.back();
      } else if (py::isinstance<ClientViewData>(item)) {
        const auto& v = item.cast<const ClientViewData&>();
        c = &v.client;
        s = &v.summary;
      } else if (py::isinstance<py::tuple>(item) && py::len(item) == 2 && py::isinstance<Client>(item[py::int_(0)]) &&
                 py::isinstance<ClientSummary>(item[py::int_(1)])) {
        auto t = py::reinterpret_borrow<py::tuple>(item);
        c = &t[0].cast<const Client&>();
        s = &t[1].cast<const ClientSummary&>();
      } else {
        throw storage_error(fmt::format("{}: scan_clients() must yield Client, ClientView or (Client, ClientSummary), got {}",
                                        who(self()), type_of(item)));
      }
      ascending("scan_clients", last, c->id.value());
      keep.push_back(py::reinterpret_borrow<py::object>(item));
      views.push_back({c, s});
      if (views.size() >= batch) flush();
    }
    flush();
  }

  void scan_open_deals(const DealBatchFn& fn, std::size_t batch) const override {
    py::gil_scoped_acquire gil;
    py::object items = method("scan_open_deals")();
    batch = std::max<std::size_t>(batch, 1);
    std::vector<py::object> keep;
    std::vector<DealView> views;
    views.reserve(batch);
    std::int64_t last = std::numeric_limits<std::int64_t>::min();
    auto flush = [&] {
      if (views.empty()) return;
      fn(std::span<const DealView>(views));
      views.clear();
      keep.clear();
    };
    // For plain Deals: open tasks per deal from one scan_open_tasks() pass (a
    // task of another client may point at the deal), the latest closed one
    // from the tasks of the deal's client.
    std::optional<std::unordered_map<DealId, int>> open_by_deal;
    for (py::handle item : iterate(items, "scan_open_deals")) {
      DealView v;
      if (py::isinstance<Deal>(item)) {
        v.deal = &item.cast<const Deal&>();
        if (!open_by_deal) {
          open_by_deal.emplace();
          scan_open_tasks(
              [&](std::span<const Task> ts) {
                for (const auto& t : ts)
                  if (t.deal) ++(*open_by_deal)[*t.deal];
              },
              default_batch);
        }
        if (auto it = open_by_deal->find(v.deal->id); it != open_by_deal->end()) v.open_tasks = it->second;
        for (const auto& t : tasks_of(v.deal->client, false))
          if (t.deal == v.deal->id && !t.open() && t.closed &&
              (!v.last_task_closed || *t.closed > *v.last_task_closed))
            v.last_task_closed = t.closed;
      } else if (py::isinstance<DealViewData>(item)) {
        const auto& d = item.cast<const DealViewData&>();
        v = DealView{&d.deal, d.open_tasks, d.last_task_closed};
      } else {
        throw storage_error(fmt::format("{}: scan_open_deals() must yield Deal or DealView, got {}", who(self()),
                                        type_of(item)));
      }
      ascending("scan_open_deals", last, v.deal->id.value());
      keep.push_back(py::reinterpret_borrow<py::object>(item));
      views.push_back(v);
      if (views.size() >= batch) flush();
    }
    flush();
  }

  void scan_unpaid_invoices(const InvoiceBatchFn& fn, std::size_t batch) const override {
    scan_values<Invoice>("scan_unpaid_invoices", "Invoice", fn, batch);
  }
  void scan_open_tasks(const TaskBatchFn& fn, std::size_t batch) const override {
    scan_values<Task>("scan_open_tasks", "Task", fn, batch);
  }

protected:
  std::unique_ptr<UnitOfWork> do_begin() override {
    py::gil_scoped_acquire gil;
    py::object w;
    try {
      w = method("do_begin")();
    } catch (py::error_already_set& e) {
      rethrow_as_cpp(e);
    }
    if (w.is_none()) throw storage_error(fmt::format("{}: do_begin() must return a UnitOfWork, got None", who(self())));
    return std::make_unique<ForwardingWork>(*this, std::move(w));
  }

private:
  py::handle self() const { return py::detail::get_object_handle(static_cast<const Storage*>(this), py::detail::get_type_info(typeid(Storage))); }

  bool defines(const char* name) const {
    py::gil_scoped_acquire gil;
    return static_cast<bool>(py::get_override(static_cast<const Storage*>(this), name));
  }

  py::function method(const char* name) const {
    py::function f = py::get_override(static_cast<const Storage*>(this), name);
    if (!f) throw storage_error(fmt::format("{}: {}() is not implemented", who(self()), name));
    return f;
  }

  template <class R, class... A>
  R call(const char* name, const char* expected, A&&... args) const {
    py::gil_scoped_acquire gil;
    py::object r;
    try {
      r = method(name)(std::forward<A>(args)...);
    } catch (py::error_already_set& e) {
      rethrow_as_cpp(e);
    }
    try {
      return r.cast<R>();
    } catch (const py::cast_error&) {
      throw storage_error(fmt::format("{}: {}() must return {}, got {}", who(self()), name, expected, type_of(r)));
    }
  }

  py::iterator iterate(const py::object& items, const char* name) const {
    try {
      return py::iter(items);
    } catch (py::error_already_set&) {
      throw storage_error(fmt::format("{}: {}() must return an iterable, got {}", who(self()), name, type_of(items)));
    }
  }

  void ascending(const char* name, std::int64_t& last, std::int64_t id) const {
    if (id <= last)
      throw storage_error(fmt::format("{}: {}() must yield ascending ids, got {} after {}", who(self()), name, id, last));
    last = id;
  }

  template <class T, class Fn>
  void scan_values(const char* name, const char* type, const Fn& fn, std::size_t batch) const {
    py::gil_scoped_acquire gil;
    py::object items = method(name)();
    batch = std::max<std::size_t>(batch, 1);
    std::vector<T> buf;
    buf.reserve(batch);
    std::int64_t last = std::numeric_limits<std::int64_t>::min();
    for (py::handle item : iterate(items, name)) {
      if (!py::isinstance<T>(item))
        throw storage_error(fmt::format("{}: {}() must yield {}, got {}", who(self()), name, type, type_of(item)));
      buf.push_back(item.cast<const T&>());
      ascending(name, last, buf.back().id.value());
      if (buf.size() >= batch) {
        fn(std::span<const T>(buf));
        buf.clear();
      }
    }
    if (!buf.empty()) fn(std::span<const T>(buf));
  }
};

/// The same hooks as UnitOfWork's, for a Python subclass used directly.
class PyUnitOfWork : public UnitOfWork {
public:
  using UnitOfWork::UnitOfWork;

protected:
  void do_put_manager(const Manager& m) override { PYBIND11_OVERRIDE_PURE(void, UnitOfWork, do_put_manager, m); }
  void do_put_client(const Client& c) override { PYBIND11_OVERRIDE_PURE(void, UnitOfWork, do_put_client, c); }
  void do_add_activity(const Activity& a) override { PYBIND11_OVERRIDE_PURE(void, UnitOfWork, do_add_activity, a); }
  void do_put_task(const Task& t) override { PYBIND11_OVERRIDE_PURE(void, UnitOfWork, do_put_task, t); }
  void do_put_deal(const Deal& d) override { PYBIND11_OVERRIDE_PURE(void, UnitOfWork, do_put_deal, d); }
  void do_put_invoice(const Invoice& i) override { PYBIND11_OVERRIDE_PURE(void, UnitOfWork, do_put_invoice, i); }
  TaskId do_next_task_id() override { PYBIND11_OVERRIDE_PURE(TaskId, UnitOfWork, do_next_task_id, ); }
  void do_set_label(SubjectRef s, const std::string& label, const std::string& note) override {
    PYBIND11_OVERRIDE_PURE(void, UnitOfWork, do_set_label, s, label, note);
  }
  void do_clear_label(SubjectRef s, const std::string& label) override {
    PYBIND11_OVERRIDE_PURE(void, UnitOfWork, do_clear_label, s, label);
  }
  bool do_claim_action(std::string_view key, Instant at) override {
    PYBIND11_OVERRIDE_PURE(bool, UnitOfWork, do_claim_action, std::string(key), at);
  }
  void do_append_audit(const AuditRecord& r) override { PYBIND11_OVERRIDE_PURE(void, UnitOfWork, do_append_audit, r); }
  void do_enqueue(const Message& m) override { PYBIND11_OVERRIDE_PURE(void, UnitOfWork, do_enqueue, m); }
  void do_record_delivery(std::string_view key, const DeliveryState& state) override {
    PYBIND11_OVERRIDE(void, UnitOfWork, do_record_delivery, key, state);
  }
  void do_commit() override { PYBIND11_OVERRIDE_PURE(void, UnitOfWork, do_commit, ); }
};

/// What Storage.begin() returns: owns the unit of work, so that rollback()
/// and leaving a `with` block on an exception undo it at once.
class Transaction {
public:
  Transaction(std::unique_ptr<UnitOfWork> w, py::object store) : w_(std::move(w)), store_(std::move(store)) {}

  UnitOfWork& get() {
    if (!w_) throw conflict(committed_ ? "unit of work: already committed" : "unit of work: already rolled back");
    return *w_;
  }
  void commit() {
    get().commit();
    committed_ = true;
    w_.reset();
  }
  void rollback() { w_.reset(); }
  [[nodiscard]] bool committed() const { return committed_; }
  [[nodiscard]] bool active() const { return w_ != nullptr; }

private:
  std::unique_ptr<UnitOfWork> w_;
  py::object store_;  // keeps the store alive while the unit is open
  bool committed_ = false;
};

std::vector<Task> open_tasks(const Storage& s) {
  std::vector<Task> out;
  s.scan_open_tasks([&](std::span<const Task> b) { out.insert(out.end(), b.begin(), b.end()); });
  return out;
}

}  // namespace

bool is_python_storage(const Storage& s) { return dynamic_cast<const PyStorage*>(&s) != nullptr; }

void bind_storage(py::module_& m) {
  // ---- summaries and views -----------------------------------------------------------
  py::class_<ContactPolicy> policy(m, "ContactPolicy", "Which activities count as contact with a client.");
  policy
      .def_readwrite("kinds", &ContactPolicy::kinds,
                     "Per ActivityKind (by value): does it count? Default: all but missed calls.")
      .def_readwrite("completed_tasks", &ContactPolicy::completed_tasks, "Whether a completed task counts as contact.");
  def_record(policy, {"kinds", "completed_tasks"});
  policy.def_static("any_activity", &ContactPolicy::any_activity, "Every activity counts; completed tasks do not.")
      .def("counts", &ContactPolicy::counts, py::arg("kind"), "Whether an activity of `kind` counts.");

  py::class_<ClientSummary> summary(m, "ClientSummary",
                                    "Derived facts about one client, kept current by the store or computed by "
                                    "Storage.summarize().");
  summary
      .def_readwrite("last_by_kind", &ClientSummary::last_by_kind,
                     "Latest activity of each kind (by ActivityKind value), or None.")
      .def_readwrite("last_forced_contact", &ClientSummary::last_forced_contact,
                     "Latest activity forced to count as contact.")
      .def_readwrite("last_task_done", &ClientSummary::last_task_done, "Latest completion of a task.")
      .def_readwrite("open_tasks", &ClientSummary::open_tasks, "Number of open tasks.")
      .def_readwrite("latest_open_due", &ClientSummary::latest_open_due,
                     "Latest due date among open tasks people made.")
      .def_readwrite("won_deals", &ClientSummary::won_deals, "Closing instants of won deals, ascending.")
      .def_readwrite("paid_invoices", &ClientSummary::paid_invoices, "Settling instants of paid invoices, ascending.");
  def_record(summary, {"last_by_kind", "last_forced_contact", "last_task_done", "open_tasks", "latest_open_due",
                       "won_deals", "paid_invoices"});
  summary
      .def("last_contact", &ClientSummary::last_contact, py::arg("policy") = ContactPolicy{},
           "The latest contact under a policy, or None.")
      .def("has_future_task",
           [](const ClientSummary& s, py::handle now) { return s.has_future_task(instant_from(now, "now")); },
           py::arg("now"), "Whether an open task is due at or after `now`.")
      .def("add", py::overload_cast<const Activity&>(&ClientSummary::add), py::arg("activity"), "Folds an activity in.")
      .def("add", py::overload_cast<const Task&>(&ClientSummary::add), py::arg("task"), "Folds a task in.")
      .def("add", py::overload_cast<const Deal&>(&ClientSummary::add), py::arg("deal"), "Folds a deal in.")
      .def("add", py::overload_cast<const Invoice&>(&ClientSummary::add), py::arg("invoice"), "Folds an invoice in.");

  py::class_<ClientViewData> cview(m, "ClientView", "A client with its derived facts, as scans hand them out.");
  cview.def_readwrite("client", &ClientViewData::client, "The Client.")
      .def_readwrite("summary", &ClientViewData::summary, "Its ClientSummary.");
  def_record(cview, {"client", "summary"}, 2);

  py::class_<DealViewData> dview(m, "DealView", "An open deal with the facts of its tasks, as scans hand them out.");
  dview.def_readwrite("deal", &DealViewData::deal, "The Deal.")
      .def_readwrite("open_tasks", &DealViewData::open_tasks, "Open tasks linked to the deal.");
  def_instant(dview, "last_task_closed", &DealViewData::last_task_closed,
              "When the deal's latest task was closed, or None.");
  def_record(dview, {"deal", "open_tasks", "last_task_closed"}, 3);

  py::class_<ClientInfoData> info(m, "ClientInfo", "The facts of a client that deal, invoice and task assistants see.");
  info.def_readwrite("id", &ClientInfoData::id, "The client's id.")
      .def_readwrite("owner", &ClientInfoData::owner, "The owning manager's id.")
      .def_readwrite("kind", &ClientInfoData::kind, "ClientKind.")
      .def_readwrite("segments", &ClientInfoData::segments, "Market segments.")
      .def_readwrite("labels", &ClientInfoData::labels, "Labels: name -> note.");
  def_record(info, {"id", "owner", "kind", "segments", "labels"});

  // ---- outbox delivery state -----------------------------------------------------------------
  py::enum_<DeliveryStatus>(m, "DeliveryStatus", "Where an outbox message is in its life.")
      .value("pending", DeliveryStatus::pending)
      .value("delivered", DeliveryStatus::delivered)
      .value("dead", DeliveryStatus::dead);
  py::class_<DeliveryState> dstate(m, "DeliveryState", "The delivery state of one outbox message.");
  dstate.def_readwrite("status", &DeliveryState::status, "DeliveryStatus.")
      .def_readwrite("attempts", &DeliveryState::attempts, "Delivery attempts made so far.")
      .def_readwrite("last_error", &DeliveryState::last_error, "The notifier's error of the last failed attempt.");
  def_instant(dstate, "next_attempt", &DeliveryState::next_attempt, "Pending only: not to be tried before, or None.");
  def_instant(dstate, "delivered_at", &DeliveryState::delivered_at, "Delivered only: when it was accepted, or None.");
  def_record(dstate, {"status", "attempts", "last_error", "next_attempt", "delivered_at"}, 5);
  dstate.def("validate", &DeliveryState::validate, py::arg("key"), "Raises InvalidArgument when it contradicts itself.");
  py::class_<OutboxEntry> entry(m, "OutboxEntry", "A message in the outbox with its delivery state.");
  entry.def_readwrite("message", &OutboxEntry::message, "The Message.")
      .def_readwrite("state", &OutboxEntry::state, "Its DeliveryState.");
  def_record(entry, {"message", "state"}, 2);
  entry.def("due", [](const OutboxEntry& e, py::handle now) { return e.due(instant_from(now, "now")); }, py::arg("now"),
            "Whether a dispatcher should try it at `now`.");

  // ---- the unit of work ------------------------------------------------------------------
  py::class_<UnitOfWork, PyUnitOfWork> uow(
      m, "UnitOfWork",
      "The writes of a storage adapter. Subclass it in Python and implement the do_* hooks (do_put_manager, "
      "do_put_client, do_add_activity, do_put_task, do_put_deal, do_put_invoice, do_next_task_id, do_set_label, "
      "do_clear_label, do_claim_action, do_append_audit, do_enqueue, do_commit, and optionally do_rollback); return "
      "one from your Storage's do_begin(). The port validates every write before a hook sees it.");
  uow.def(py::init<const Storage&>(), py::arg("store"), py::keep_alive<1, 2>(),
          "A unit of work writing to `store` (which must see this unit's own writes).")
      .def("do_rollback", [](UnitOfWork&) {},
           "Hook: undo every write of this unit; called when it ends without commit. Default: nothing.")
      .def("put_manager", &UnitOfWork::put_manager, py::arg("manager"), "Validates, then calls do_put_manager.")
      .def("put_client", &UnitOfWork::put_client, py::arg("client"), "Validates, then calls do_put_client.")
      .def("add_activity", &UnitOfWork::add_activity, py::arg("activity"), "Validates, then calls do_add_activity.")
      .def(
          "add_activities", [](UnitOfWork& w, const std::vector<Activity>& xs) { w.add_activities(xs); },
          py::arg("activities"), "Validates them all, then calls do_add_activity on each in order.")
      .def("put_task", &UnitOfWork::put_task, py::arg("task"), "Validates, then calls do_put_task.")
      .def("put_deal", &UnitOfWork::put_deal, py::arg("deal"), "Validates, then calls do_put_deal.")
      .def("put_invoice", &UnitOfWork::put_invoice, py::arg("invoice"), "Validates, then calls do_put_invoice.")
      .def("commit", &UnitOfWork::commit, "Calls do_commit, once.")
      .def_property_readonly("committed", &UnitOfWork::committed, "Whether commit() was called.");

  py::class_<Transaction> txn(
      m, "Transaction",
      "An open unit of work, from Storage.begin(): every write lands at commit() or not at all. As a context "
      "manager it commits when the block ends normally and rolls back on an exception.");
  txn.def("put_manager", [](Transaction& t, const Manager& x) { t.get().put_manager(x); }, py::arg("manager"),
          "Inserts or replaces a manager; its supervisor must exist.")
      .def("put_client", [](Transaction& t, const Client& x) { t.get().put_client(x); }, py::arg("client"),
           "Inserts or replaces a client; its owner must exist.")
      .def("add_activity", [](Transaction& t, const Activity& x) { t.get().add_activity(x); }, py::arg("activity"),
           "Appends an activity; its client must exist and its id be new.")
      .def(
          "add_activities", [](Transaction& t, const std::vector<Activity>& xs) { t.get().add_activities(xs); },
          py::arg("activities"),
          "Appends activities as add_activity on each in order would, but checked as a whole first: when one is "
          "refused (the error names it) none is added. Faster than one at a time in the in-memory store.")
      .def("put_task", [](Transaction& t, const Task& x) { t.get().put_task(x); }, py::arg("task"),
           "Inserts or replaces a task; client, assignee and deal must exist.")
      .def("put_deal", [](Transaction& t, const Deal& x) { t.get().put_deal(x); }, py::arg("deal"),
           "Inserts or replaces a deal; client and owner must exist.")
      .def("put_invoice", [](Transaction& t, const Invoice& x) { t.get().put_invoice(x); }, py::arg("invoice"),
           "Inserts or replaces an invoice; client (and deal) must exist.")
      .def("create_task", [](Transaction& t, const Task& x) { return t.get().create_task(x); }, py::arg("task"),
           "Creates a task, assigning a fresh id when task.id is 0; returns the id.")
      .def("reassign_client", [](Transaction& t, ClientId c, ManagerId to) { t.get().reassign_client(c, to); },
           py::arg("client"), py::arg("to"), "Hands a client to another manager.")
      .def("set_label",
           [](Transaction& t, SubjectRef s, const std::string& l, const std::string& n) { t.get().set_label(s, l, n); },
           py::arg("subject"), py::arg("label"), py::arg("note") = "", "Sets a label on a client or a deal.")
      .def("clear_label", [](Transaction& t, SubjectRef s, const std::string& l) { t.get().clear_label(s, l); },
           py::arg("subject"), py::arg("label"), "Removes a label; a no-op when absent.")
      .def("claim_action",
           [](Transaction& t, const std::string& key, py::handle at) {
             return t.get().claim_action(key, instant_from(at, "at"));
           },
           py::arg("key"), py::arg("at"), "Records an action key; False when it was recorded before (skip the action).")
      .def("append_audit", [](Transaction& t, const AuditRecord& r) { t.get().append_audit(r); }, py::arg("record"),
           "Appends an audit record.")
      .def("enqueue", [](Transaction& t, const Message& x) { return t.get().enqueue(x); }, py::arg("message"),
           "Puts a message into the outbox; False (and nothing done) when its key is there already.")
      .def("record_delivery",
           [](Transaction& t, const std::string& key, const DeliveryState& s) { t.get().record_delivery(key, s); },
           py::arg("key"), py::arg("state"), "Replaces a message's DeliveryState (checked: it exists, not delivered).")
      .def("commit", &Transaction::commit, "Makes every write durable; once.")
      .def("rollback", &Transaction::rollback, "Undoes every write now (also what dropping an uncommitted unit does).")
      .def_property_readonly("committed", &Transaction::committed, "Whether commit() succeeded.")
      .def_property_readonly("active", &Transaction::active, "Neither committed nor rolled back yet.")
      .def("__enter__", [](py::object self) { return self; })
      .def("__exit__", [](Transaction& t, py::handle type, py::handle, py::handle) {
        if (type.is_none() && t.active()) t.commit();
        else t.rollback();
        return false;
      });

  // ---- the port ------------------------------------------------------------------------------
  py::class_<Storage, PyStorage> storage(
      m, "Storage",
      "The storage port. Subclass it to run the engine over data you already hold: implement find_client, "
      "find_manager, find_task, find_deal, find_invoice, has_activity, managers, clients_of, activities_of, "
      "tasks_of, deals_of, invoices_of, scan_clients, scan_open_deals, scan_unpaid_invoices, scan_open_tasks, "
      "has_action, audit_log, outbox and do_begin (client_count, has_actions, outbox_entries, find_message and "
      "due_messages are optional). Scans return iterables in ascending id order: scan_clients "
      "yields Client (the summary is then computed), ClientView or (Client, ClientSummary); scan_open_deals "
      "yields Deal or DealView.");
  storage.def(py::init<>(), "For subclasses.")
      .def("find_client", &Storage::find_client, py::arg("id"), "The client, or None.")
      .def("find_manager", &Storage::find_manager, py::arg("id"), "The manager, or None.")
      .def("find_task", &Storage::find_task, py::arg("id"), "The task, or None.")
      .def("find_deal", &Storage::find_deal, py::arg("id"), "The deal, or None.")
      .def("find_invoice", &Storage::find_invoice, py::arg("id"), "The invoice, or None.")
      .def("has_activity", &Storage::has_activity, py::arg("id"), "Whether an activity with this id is stored.")
      .def("managers", &Storage::managers, "Every manager, ascending id.")
      .def("client_count", &Storage::client_count,
           "How many clients the store holds, for progress reports; 0 = unknown. Optional in a Python storage "
           "(the default says 0, and Engine.plan's progress then reports total=0 for clients).")
      .def("clients_of", &Storage::clients_of, py::arg("manager"), "Ids of the clients a manager owns, ascending.")
      .def("activities_of",
           [](const Storage& s, ClientId c, py::handle since) {
             return s.activities_of(c, since.is_none() ? Instant{Seconds{std::numeric_limits<std::int64_t>::min() / 2}}
                                                       : instant_from(since, "since"));
           },
           py::arg("client"), py::arg("since") = py::none(),
           "Activities of a client at or after `since` (None = all), oldest first.")
      .def("tasks_of", &Storage::tasks_of, py::arg("client"), py::arg("open_only") = false,
           "Tasks of a client (only open ones when open_only), ascending id.")
      .def("deals_of", &Storage::deals_of, py::arg("client"), "Deals of a client, ascending id.")
      .def("invoices_of", &Storage::invoices_of, py::arg("client"), "Invoices of a client, ascending id.")
      .def("scan_clients",
           [](const Storage& s) {
             std::vector<ClientViewData> out;
             s.scan_clients([&](std::span<const ClientView> b) {
               for (const auto& v : b) out.push_back({*v.client, *v.summary});
             });
             return out;
           },
           "Every client with its summary (list of ClientView), ascending id.")
      .def("scan_open_deals",
           [](const Storage& s) {
             std::vector<DealViewData> out;
             s.scan_open_deals([&](std::span<const DealView> b) {
               for (const auto& v : b) out.push_back({*v.deal, v.open_tasks, v.last_task_closed});
             });
             return out;
           },
           "Every open deal (list of DealView), ascending id.")
      .def("scan_unpaid_invoices",
           [](const Storage& s) {
             std::vector<Invoice> out;
             s.scan_unpaid_invoices([&](std::span<const Invoice> b) { out.insert(out.end(), b.begin(), b.end()); });
             return out;
           },
           "Every unpaid invoice, ascending id.")
      .def("scan_open_tasks", &open_tasks, "Every open task, ascending id.")
      .def("has_action", &Storage::has_action, py::arg("key"), "Whether an action with this key was applied.")
      .def(
          "has_actions",
          [](const Storage& s, const std::vector<std::string>& keys) {
            const std::vector<std::string_view> views(keys.begin(), keys.end());
            return s.has_actions(views);
          },
          py::arg("keys"),
          "has_action for each key, in one call (a list of bool, one per key). Optional in a Python storage: the "
          "default asks has_action per key; a storage over SQL may answer with one query. Engine.plan asks this "
          "way, a run of findings at a time.")
      .def("audit_log", &Storage::audit_log, py::arg("subject") = py::none(),
           "Audit records in the order appended; only those about `subject` when given.")
      .def("outbox", &Storage::outbox, "Messages waiting in the outbox, in order.")
      .def("outbox_entries", &Storage::outbox_entries,
           "Every message with its delivery state (list of OutboxEntry), in the order enqueued. A Python storage "
           "that keeps delivery state defines it (and UnitOfWork.do_record_delivery); the default reports every "
           "message of outbox() as pending.")
      .def("find_message", &Storage::find_message, py::arg("key"), "The OutboxEntry with this key, or None.")
      .def("due_messages",
           [](const Storage& s, py::handle now, std::size_t limit) { return s.due_messages(instant_from(now, "now"), limit); },
           py::arg("now"), py::arg("limit") = Storage::default_batch,
           "Pending messages due at `now`, in the order enqueued, at most `limit`.")
      .def("summarize", &Storage::summarize, py::arg("client"), "A client's derived facts computed from its lists.")
      .def("begin", [](py::object self) { return Transaction(self.cast<Storage&>().begin(), self); },
           "Starts a unit of work (a Transaction). Use `with store.begin() as w:` to commit at the end of the block.");

  py::class_<MemoryStorage, Storage> mem(
      m, "MemoryStorage",
      "Storage held in memory; keeps summaries current on every write. One unit of work at a time.");
  mem.def(py::init<>(), "An empty store.");
}

}  // namespace nudge::bindings
