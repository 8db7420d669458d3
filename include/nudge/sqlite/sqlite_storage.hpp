#pragma once
/// @file
/// The SQLite storage adapter (target nudge::sqlite): the embedded default.
/// SQLiteCpp and sqlite3.h stay behind a pimpl; this header only
/// forward-declares `struct sqlite3` for native_handle().

#include <memory>
#include <string>

#include <nudge/storage/storage.hpp>

struct sqlite3;

namespace nudge {

/// Storage in one SQLite file (or ":memory:").
///
/// Opening creates the file when missing, switches it to WAL, turns foreign
/// keys on and migrates the schema forward (PRAGMA user_version) inside one
/// transaction. A file written by a newer build is refused with storage_error.
///
/// A unit of work is one SQLite transaction (BEGIN IMMEDIATE ... COMMIT, or
/// ROLLBACK when it is destroyed uncommitted); reads through this object while
/// it is open see its writes. Client summaries and per-deal task facts are kept
/// current on write, so scan_clients() never rescans activities. Scans read in
/// keyset-paginated batches; the pointers in a ClientView / DealView are valid
/// only during the callback, which may call back into this object (even begin()).
/// A batch's read transaction stays open while its callback runs (the reads it
/// makes share it; a begin() ends it first). A scan of a file, outside a unit
/// of work, reads every other batch ahead on a helper thread through a second,
/// read-only connection (opened on the first scan and kept with the object);
/// callbacks still run in order on the calling thread.
///
/// A unit of work that begins on a new file (Nudge's tables, all empty, nothing
/// else in it) while this is the only connection to the file -- an import --
/// is written without the WAL: its rollback journal in memory, each page
/// written once into the file, one sync at its commit. It is still all or
/// nothing (a failure or a dropped unit rolls back, and the file is as it
/// was). From before its first page until its data is synced, the file carries
/// a mark in its header (PRAGMA application_id): a unit cut short by a crash,
/// a kill or a power cut leaves the mark, and opening the file then throws
/// storage_error naming it ("... did not finish ..."; delete it and import
/// again). Meanwhile other connections read the file empty or wait for the
/// lock (busy timeout, then an error), and a storage opened on it is refused.
/// Afterwards the file is in WAL again. See docs/storage-adapters.md.
///
/// Every failure of SQLite surfaces as nudge::storage_error (conflict for a
/// UNIQUE violation, not_found for a foreign key), naming the operation.
///
/// Thread-safety: one connection per object, guarded by a mutex, so calls from
/// several threads are serialized (not parallel). One unit of work at a time per
/// object (begin() throws conflict otherwise), and a unit of work must not
/// outlive its storage. Other processes may open the same file (WAL; a writer
/// waits up to 5 s for another writer's lock, then gets storage_error).
///
/// @code
/// nudge::SqliteStorage store{"crm.db"};
/// {
///   auto uow = store.begin();
///   uow->put_manager({nudge::ManagerId{1}, "Ivanova"});
///   uow->put_client({nudge::ClientId{1}, "Acme", nudge::ManagerId{1}, {"smb"}});
///   uow->commit();
/// }
/// store.scan_clients([](std::span<const nudge::ClientView> batch) { /* ... */ });
/// @endcode
class SqliteStorage final : public Storage {
public:
  /// Opens (or creates) the database at `path`; ":memory:" gives a private
  /// in-memory database. Throws storage_error, naming the file and leaving it
  /// untouched, when it cannot be opened, is not an SQLite file, is cut short
  /// (smaller than its header says, with no journal or WAL to recover from),
  /// belongs to another application (a non-zero application_id, or a schema
  /// version without Nudge's tables), has a newer schema than
  /// schema_version(), or is marked by a unit of work on the new file that did
  /// not finish (see above). An SQLite file at version 0 (empty, or a host's own
  /// tables) gets Nudge's tables added.
  explicit SqliteStorage(const std::string& path);
  ~SqliteStorage() override;

  /// The path this storage was opened with.
  [[nodiscard]] const std::string& path() const;
  /// The schema version this build writes (PRAGMA user_version of a migrated file).
  [[nodiscard]] static int schema_version();
  /// The underlying connection, for diagnostics and for hosts that keep their
  /// own tables in the same file. Never begin, commit or roll back a transaction
  /// through it, and never use it while another thread calls this object (the
  /// connection is opened without SQLite's own mutex; this object's mutex guards
  /// it). Callers need to link SQLite3 themselves.
  [[nodiscard]] sqlite3* native_handle() const noexcept;

  // ---- lookups -------------------------------------------------------------
  [[nodiscard]] std::optional<Client> find_client(ClientId) const override;
  [[nodiscard]] std::optional<Manager> find_manager(ManagerId) const override;
  [[nodiscard]] std::optional<Task> find_task(TaskId) const override;
  [[nodiscard]] std::optional<Deal> find_deal(DealId) const override;
  [[nodiscard]] std::optional<Invoice> find_invoice(InvoiceId) const override;
  [[nodiscard]] bool has_activity(ActivityId) const override;
  /// Existence checks: one indexed `SELECT 1 ... LIMIT 1` each (the port's
  /// defaults would read the whole entity through find_*).
  [[nodiscard]] bool has_client(ClientId) const override;
  [[nodiscard]] bool has_manager(ManagerId) const override;
  [[nodiscard]] bool has_task(TaskId) const override;
  [[nodiscard]] bool has_deal(DealId) const override;
  /// `SELECT count(*) FROM clients` (a scan of the smallest index: call it once
  /// per pass, not per client).
  [[nodiscard]] std::uint64_t client_count() const override;

  [[nodiscard]] std::vector<Manager> managers() const override;
  [[nodiscard]] std::vector<ClientId> clients_of(ManagerId) const override;
  [[nodiscard]] std::vector<Activity> activities_of(ClientId, Instant since) const override;
  [[nodiscard]] std::vector<Task> tasks_of(ClientId, bool open_only) const override;
  [[nodiscard]] std::vector<Deal> deals_of(ClientId) const override;
  [[nodiscard]] std::vector<Invoice> invoices_of(ClientId) const override;

  // ---- scans ---------------------------------------------------------------
  void scan_clients(const ClientBatchFn&, std::size_t batch = default_batch) const override;
  void scan_open_deals(const DealBatchFn&, std::size_t batch = default_batch) const override;
  void scan_unpaid_invoices(const InvoiceBatchFn&, std::size_t batch = default_batch) const override;
  void scan_open_tasks(const TaskBatchFn&, std::size_t batch = default_batch) const override;

  // ---- exactly-once, audit, outbox -----------------------------------------
  [[nodiscard]] bool has_action(std::string_view key) const override;
  /// One read transaction and one prepared statement for all the keys.
  [[nodiscard]] std::vector<bool> has_actions(std::span<const std::string_view> keys) const override;
  [[nodiscard]] std::vector<AuditRecord> audit_log(std::optional<SubjectRef> subject = {}) const override;
  /// Messages still pending delivery, in the order they were enqueued.
  [[nodiscard]] std::vector<Message> outbox() const override;
  [[nodiscard]] std::vector<OutboxEntry> outbox_entries() const override;
  /// One indexed lookup (message keys are UNIQUE in the table).
  [[nodiscard]] std::optional<OutboxEntry> find_message(std::string_view key) const override;
  /// Pending rows through a partial index, in enqueue order.
  [[nodiscard]] std::vector<OutboxEntry> due_messages(Instant now, std::size_t limit = default_batch) const override;

protected:
  std::unique_ptr<UnitOfWork> do_begin() override;

private:
  struct Impl;
  class Work;
  std::unique_ptr<Impl> impl_;
};

}  // namespace nudge
