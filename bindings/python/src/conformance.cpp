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

namespace nudge::bindings {

namespace {

/// The factory of the run in progress (the checks are plain test cases).
py::object* current_factory = nullptr;

/// A C++-owned handle on a Python-owned storage: the kit's factory returns
/// unique_ptr<Storage>, so the storage object is kept alive by reference and
/// every call is forwarded.
class Held final : public Storage {
public:
  explicit Held(py::object obj) : obj_(std::move(obj)), s_(obj_.cast<Storage&>()) {}
  ~Held() override {
    py::gil_scoped_acquire gil;
    obj_.release().dec_ref();
  }
  Held(const Held&) = delete;
  Held& operator=(const Held&) = delete;

  std::optional<Client> find_client(ClientId id) const override { return s_.find_client(id); }
  std::optional<Manager> find_manager(ManagerId id) const override { return s_.find_manager(id); }
  std::optional<Task> find_task(TaskId id) const override { return s_.find_task(id); }
  std::optional<Deal> find_deal(DealId id) const override { return s_.find_deal(id); }
  std::optional<Invoice> find_invoice(InvoiceId id) const override { return s_.find_invoice(id); }
  bool has_activity(ActivityId id) const override { return s_.has_activity(id); }
  bool has_client(ClientId id) const override { return s_.has_client(id); }
  bool has_manager(ManagerId id) const override { return s_.has_manager(id); }
  bool has_task(TaskId id) const override { return s_.has_task(id); }
  bool has_deal(DealId id) const override { return s_.has_deal(id); }
  std::vector<OutboxEntry> outbox_entries() const override { return s_.outbox_entries(); }
  std::optional<OutboxEntry> find_message(std::string_view key) const override { return s_.find_message(key); }
  std::vector<OutboxEntry> due_messages(Instant now, std::size_t limit) const override {
    return s_.due_messages(now, limit);
  }
  std::vector<Manager> managers() const override { return s_.managers(); }
  std::vector<ClientId> clients_of(ManagerId m) const override { return s_.clients_of(m); }
  std::vector<Activity> activities_of(ClientId c, Instant since) const override { return s_.activities_of(c, since); }
  std::vector<Task> tasks_of(ClientId c, bool open_only) const override { return s_.tasks_of(c, open_only); }
  std::vector<Deal> deals_of(ClientId c) const override { return s_.deals_of(c); }
  std::vector<Invoice> invoices_of(ClientId c) const override { return s_.invoices_of(c); }
  void scan_clients(const ClientBatchFn& fn, std::size_t b) const override { s_.scan_clients(fn, b); }
  void scan_open_deals(const DealBatchFn& fn, std::size_t b) const override { s_.scan_open_deals(fn, b); }
  void scan_unpaid_invoices(const InvoiceBatchFn& fn, std::size_t b) const override { s_.scan_unpaid_invoices(fn, b); }
  void scan_open_tasks(const TaskBatchFn& fn, std::size_t b) const override { s_.scan_open_tasks(fn, b); }
  bool has_action(std::string_view key) const override { return s_.has_action(key); }
  std::vector<AuditRecord> audit_log(std::optional<SubjectRef> s) const override { return s_.audit_log(s); }
  std::vector<Message> outbox() const override { return s_.outbox(); }

protected:
  std::unique_ptr<UnitOfWork> do_begin() override { return s_.begin(); }

private:
  py::object obj_;
  Storage& s_;
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
