#pragma once
/// @file
/// A storage that passes every call to another one: the base of a decorator
/// (a cache, metrics, access checks, a test's fault) that overrides only what
/// it changes. Every function of the port is forwarded here, the optional
/// ones included, so a decorator never falls back to a port default that is
/// slower than what the storage underneath does (Storage::has_actions, one
/// read in SqliteStorage, would otherwise become one has_action per key).
///
/// @code
/// class CountingStorage : public nudge::ForwardingStorage {
/// public:
///   using ForwardingStorage::ForwardingStorage;
///   mutable std::atomic<std::size_t> lookups{0};
///   std::optional<nudge::Client> find_client(nudge::ClientId id) const override {
///     ++lookups;
///     return ForwardingStorage::find_client(id);
///   }
/// };
/// @endcode

#include <concepts>
#include <type_traits>

#include <nudge/storage/storage.hpp>

namespace nudge {

class ForwardingStorage : public Storage {
public:
  /// `inner` must outlive this storage. Any storage, a decorator too (this
  /// template, not the deleted copy constructor, takes one: decorators stack).
  template <std::derived_from<Storage> S>
    requires(!std::is_const_v<S>)
  explicit ForwardingStorage(S& inner) : inner_(inner), writable_(&inner) {}

  [[nodiscard]] const Storage& inner() const { return inner_; }

  std::optional<Client> find_client(ClientId id) const override { return inner_.find_client(id); }
  std::optional<Manager> find_manager(ManagerId id) const override { return inner_.find_manager(id); }
  std::optional<Task> find_task(TaskId id) const override { return inner_.find_task(id); }
  std::optional<Deal> find_deal(DealId id) const override { return inner_.find_deal(id); }
  std::optional<Invoice> find_invoice(InvoiceId id) const override { return inner_.find_invoice(id); }
  bool has_activity(ActivityId id) const override { return inner_.has_activity(id); }
  bool has_client(ClientId id) const override { return inner_.has_client(id); }
  bool has_manager(ManagerId id) const override { return inner_.has_manager(id); }
  bool has_task(TaskId id) const override { return inner_.has_task(id); }
  bool has_deal(DealId id) const override { return inner_.has_deal(id); }
  bool stable_views() const override { return inner_.stable_views(); }
  std::optional<ClientSummary> summary_of(ClientId id) const override { return inner_.summary_of(id); }
  bool visit_client(ClientId id, const ClientSubjectsFn& fn) const override { return inner_.visit_client(id, fn); }
  void visit_clients(std::span<const ClientId> ids, const ClientsVisitFn& fn,
                     std::span<const Parts> parts = {}) const override {
    inner_.visit_clients(ids, fn, parts);
  }
  std::uint64_t client_count() const override { return inner_.client_count(); }
  std::vector<Manager> managers() const override { return inner_.managers(); }
  std::vector<ClientId> clients_of(ManagerId m) const override { return inner_.clients_of(m); }
  std::vector<Activity> activities_of(ClientId c, Instant since) const override {
    return inner_.activities_of(c, since);
  }
  std::vector<Task> tasks_of(ClientId c, bool open_only) const override { return inner_.tasks_of(c, open_only); }
  std::vector<Deal> deals_of(ClientId c) const override { return inner_.deals_of(c); }
  std::vector<Invoice> invoices_of(ClientId c) const override { return inner_.invoices_of(c); }
  void scan_clients(const ClientBatchFn& fn, std::size_t batch = default_batch) const override {
    inner_.scan_clients(fn, batch);
  }
  void scan_open_deals(const DealBatchFn& fn, std::size_t batch = default_batch) const override {
    inner_.scan_open_deals(fn, batch);
  }
  void scan_unpaid_invoices(const InvoiceBatchFn& fn, std::size_t batch = default_batch) const override {
    inner_.scan_unpaid_invoices(fn, batch);
  }
  void scan_open_tasks(const TaskBatchFn& fn, std::size_t batch = default_batch) const override {
    inner_.scan_open_tasks(fn, batch);
  }
  bool has_action(std::string_view key) const override { return inner_.has_action(key); }
  std::vector<bool> has_actions(std::span<const std::string_view> keys) const override {
    return inner_.has_actions(keys);
  }
  std::vector<AuditRecord> audit_log(std::optional<SubjectRef> subject = {}) const override {
    return inner_.audit_log(subject);
  }
  std::vector<Message> outbox() const override { return inner_.outbox(); }
  std::vector<OutboxEntry> outbox_entries() const override { return inner_.outbox_entries(); }
  std::optional<OutboxEntry> find_message(std::string_view key) const override { return inner_.find_message(key); }
  std::vector<OutboxEntry> due_messages(Instant now, std::size_t limit = default_batch) const override {
    return inner_.due_messages(now, limit);
  }

protected:
  /// For a read-only decorator of a const storage: every read is forwarded,
  /// begin() is refused (nudge::conflict) unless the decorator overrides it.
  struct ReadOnly {};
  ForwardingStorage(const Storage& inner, ReadOnly) : inner_(inner) {}

  /// The inner storage's unit of work: writes go to it unchanged.
  std::unique_ptr<UnitOfWork> do_begin() override {
    if (!writable_) throw conflict("storage: read-only (a decorator of a const storage); begin() is refused");
    return writable_->begin();
  }

private:
  const Storage& inner_;
  Storage* writable_ = nullptr;  ///< the same storage, when it may be written
};

}  // namespace nudge
