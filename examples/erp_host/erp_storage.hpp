#pragma once
// A Nudge storage adapter over "Acme ERP"'s own tables (erp_schema.hpp),
// written the way an integrator would: the ERP keeps its data where it is,
// Nudge reads counterparties, employees, the interaction log, to-dos,
// opportunities and bills through this class and writes its effects back into
// them (a to-do, a new account manager) or into the few nudge_* tables.
//
// Summaries are computed on the fly (Storage::summarize per client during
// scan_clients): simple and correct, fine for the tens of thousands of
// counterparties an ERP like this has. See README.md for the mapping.
//
// Thread-safety: one connection; use from one thread at a time.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nudge/storage/storage.hpp>

namespace SQLite {
class Database;
}

namespace erp {

class ErpStorage final : public nudge::Storage {
public:
  /// Opens (creating when missing) the ERP database at `path` (":memory:" for
  /// a private in-memory one) and adds the integration's nudge_* tables.
  /// Throws nudge::storage_error when the file cannot be opened.
  explicit ErpStorage(const std::string& path);
  ~ErpStorage() override;

  /// The ERP's connection, for the host's own work (its mail queue, its screens).
  /// Not while a unit of work is open.
  [[nodiscard]] SQLite::Database& database() { return *db_; }

  // ---- lookups -------------------------------------------------------------
  [[nodiscard]] std::optional<nudge::Client> find_client(nudge::ClientId) const override;
  [[nodiscard]] std::optional<nudge::Manager> find_manager(nudge::ManagerId) const override;
  [[nodiscard]] std::optional<nudge::Task> find_task(nudge::TaskId) const override;
  [[nodiscard]] std::optional<nudge::Deal> find_deal(nudge::DealId) const override;
  [[nodiscard]] std::optional<nudge::Invoice> find_invoice(nudge::InvoiceId) const override;
  [[nodiscard]] bool has_activity(nudge::ActivityId) const override;
  [[nodiscard]] bool has_client(nudge::ClientId) const override;
  [[nodiscard]] bool has_manager(nudge::ManagerId) const override;
  [[nodiscard]] bool has_task(nudge::TaskId) const override;
  [[nodiscard]] bool has_deal(nudge::DealId) const override;
  [[nodiscard]] std::uint64_t client_count() const override;

  [[nodiscard]] std::vector<nudge::Manager> managers() const override;
  [[nodiscard]] std::vector<nudge::ClientId> clients_of(nudge::ManagerId) const override;
  [[nodiscard]] std::vector<nudge::Activity> activities_of(nudge::ClientId, nudge::Instant since) const override;
  [[nodiscard]] std::vector<nudge::Task> tasks_of(nudge::ClientId, bool open_only) const override;
  [[nodiscard]] std::vector<nudge::Deal> deals_of(nudge::ClientId) const override;
  [[nodiscard]] std::vector<nudge::Invoice> invoices_of(nudge::ClientId) const override;

  // ---- scans ---------------------------------------------------------------
  void scan_clients(const ClientBatchFn&, std::size_t batch = default_batch) const override;
  void scan_open_deals(const DealBatchFn&, std::size_t batch = default_batch) const override;
  void scan_unpaid_invoices(const InvoiceBatchFn&, std::size_t batch = default_batch) const override;
  void scan_open_tasks(const TaskBatchFn&, std::size_t batch = default_batch) const override;

  // ---- exactly-once, audit, outbox -------------------------------------------
  [[nodiscard]] bool has_action(std::string_view key) const override;
  [[nodiscard]] std::vector<nudge::AuditRecord> audit_log(std::optional<nudge::SubjectRef> subject = {}) const override;
  [[nodiscard]] std::vector<nudge::Message> outbox() const override;
  [[nodiscard]] std::vector<nudge::OutboxEntry> outbox_entries() const override;
  [[nodiscard]] std::optional<nudge::OutboxEntry> find_message(std::string_view key) const override;
  [[nodiscard]] std::vector<nudge::OutboxEntry> due_messages(nudge::Instant now, std::size_t limit = default_batch) const override;

protected:
  std::unique_ptr<nudge::UnitOfWork> do_begin() override;

private:
  friend class ErpWork;
  std::vector<std::int64_t> ids(const char* sql, std::int64_t key) const;
  std::vector<nudge::OutboxEntry> entries(const char* where, std::optional<std::string_view> key,
                                          std::optional<nudge::Instant> now, std::size_t limit) const;

  std::unique_ptr<SQLite::Database> db_;
  bool unit_open_ = false;
};

}  // namespace erp
