#pragma once
// A read-only decorator of a Storage that the bindings hand to Engine.plan:
// it checks for pending signals (Ctrl-C) between scan batches and every few
// lookups, so a KeyboardInterrupt stops a long plan within milliseconds. It
// also remembers the Python object of the store, so a Python assistant sees
// the store it was given (ctx.store), not this wrapper.

#include "common.hpp"

#include <algorithm>

#include <nudge/notify/outbox.hpp>
#include <nudge/storage/storage.hpp>

namespace nudge::bindings {

class GuardedStorage : public Storage {
public:
  /// Scans pass at most this many rows between two checks.
  static constexpr std::size_t check_batch = 1024;

  GuardedStorage(const Storage& inner, py::object owner) : inner_(inner), owner_(std::move(owner)) {}

  [[nodiscard]] const Storage& inner() const { return inner_; }
  [[nodiscard]] const py::object& owner() const { return owner_; }

  /// Raises the pending Python exception (KeyboardInterrupt) as a C++ exception.
  static void check_signals() {
    if (PyErr_CheckSignals() != 0) throw py::error_already_set();
  }

  std::optional<Client> find_client(ClientId id) const override { tick(); return inner_.find_client(id); }
  std::optional<Manager> find_manager(ManagerId id) const override { return inner_.find_manager(id); }
  std::optional<Task> find_task(TaskId id) const override { return inner_.find_task(id); }
  std::optional<Deal> find_deal(DealId id) const override { tick(); return inner_.find_deal(id); }
  std::optional<Invoice> find_invoice(InvoiceId id) const override { return inner_.find_invoice(id); }
  bool has_activity(ActivityId id) const override { return inner_.has_activity(id); }
  bool has_client(ClientId id) const override { return inner_.has_client(id); }
  bool has_manager(ManagerId id) const override { return inner_.has_manager(id); }
  bool has_task(TaskId id) const override { return inner_.has_task(id); }
  bool has_deal(DealId id) const override { return inner_.has_deal(id); }
  std::uint64_t client_count() const override { return inner_.client_count(); }
  std::vector<Manager> managers() const override { return inner_.managers(); }
  std::vector<ClientId> clients_of(ManagerId m) const override { return inner_.clients_of(m); }
  std::vector<Activity> activities_of(ClientId c, Instant since) const override {
    tick();
    return inner_.activities_of(c, since);
  }
  std::vector<Task> tasks_of(ClientId c, bool open_only) const override { return inner_.tasks_of(c, open_only); }
  std::vector<Deal> deals_of(ClientId c) const override { return inner_.deals_of(c); }
  std::vector<Invoice> invoices_of(ClientId c) const override { return inner_.invoices_of(c); }

  void scan_clients(const ClientBatchFn& fn, std::size_t batch) const override {
    check_signals();
    inner_.scan_clients([&](std::span<const ClientView> b) { check_signals(); fn(b); }, small(batch));
  }
  void scan_open_deals(const DealBatchFn& fn, std::size_t batch) const override {
    check_signals();
    inner_.scan_open_deals([&](std::span<const DealView> b) { check_signals(); fn(b); }, small(batch));
  }
  void scan_unpaid_invoices(const InvoiceBatchFn& fn, std::size_t batch) const override {
    check_signals();
    inner_.scan_unpaid_invoices([&](std::span<const Invoice> b) { check_signals(); fn(b); }, small(batch));
  }
  void scan_open_tasks(const TaskBatchFn& fn, std::size_t batch) const override {
    check_signals();
    inner_.scan_open_tasks([&](std::span<const Task> b) { check_signals(); fn(b); }, small(batch));
  }

  bool has_action(std::string_view key) const override { tick(); return inner_.has_action(key); }
  std::vector<AuditRecord> audit_log(std::optional<SubjectRef> s) const override { return inner_.audit_log(s); }
  std::vector<Message> outbox() const override { return inner_.outbox(); }
  std::vector<OutboxEntry> outbox_entries() const override { return inner_.outbox_entries(); }
  std::optional<OutboxEntry> find_message(std::string_view key) const override { return inner_.find_message(key); }
  std::vector<OutboxEntry> due_messages(Instant now, std::size_t limit) const override {
    check_signals();
    return inner_.due_messages(now, limit);
  }

protected:
  std::unique_ptr<UnitOfWork> do_begin() override { throw conflict("plan: the store is read-only during a plan"); }

private:
  static std::size_t small(std::size_t batch) { return std::clamp<std::size_t>(batch, 1, check_batch); }
  void tick() const {
    if (++calls_ % check_batch == 0) check_signals();
  }

  const Storage& inner_;
  py::object owner_;
  mutable std::size_t calls_ = 0;
};

}  // namespace nudge::bindings
