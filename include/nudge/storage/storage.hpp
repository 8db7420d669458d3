#pragma once
/// @file
/// The storage port: everything the engine reads, and the unit of work it
/// writes through. Small on purpose so it can be implemented over someone
/// else's tables; see docs/storage-adapters.md.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nudge/domain/activity.hpp>
#include <nudge/domain/client.hpp>
#include <nudge/domain/deal.hpp>
#include <nudge/domain/invoice.hpp>
#include <nudge/domain/manager.hpp>
#include <nudge/domain/subject.hpp>
#include <nudge/domain/task.hpp>
#include <nudge/error.hpp>
#include <nudge/notify/message.hpp>
#include <nudge/notify/outbox.hpp>
#include <nudge/storage/summary.hpp>

namespace nudge {

class Storage;

/// A unit of work: every write between begin() and commit() lands together or
/// not at all. Destroying it without commit() rolls back; destructors never throw.
///
/// The public functions are final: they validate their arguments (and that
/// referenced entities exist) and then call the protected `do_*` hooks, so an
/// adapter implements only the hooks and gets the checks for free.
///
/// @code
/// auto uow = store.begin();
/// uow->add_activity({nudge::ActivityId{1}, nudge::ClientId{42}, nudge::ManagerId{7},
///                    nudge::ActivityKind::call_out, {}, now});
/// uow->commit();
/// @endcode
class UnitOfWork {
public:
  explicit UnitOfWork(const Storage& store) : store_(store) {}
  UnitOfWork(const UnitOfWork&) = delete;
  UnitOfWork& operator=(const UnitOfWork&) = delete;
  virtual ~UnitOfWork() = default;

  // ---- facts from the host -------------------------------------------
  /// Inserts or replaces a manager.
  void put_manager(const Manager& m);
  /// Inserts or replaces a client; its owner must exist.
  void put_client(const Client& c);
  /// Appends an activity; its client must exist; its id must be new.
  void add_activity(const Activity& a);
  /// Appends activities, as add_activity on each in order would, but checked
  /// as a whole first: when one is invalid, names an unknown client or
  /// manager, or has an id that is recorded already or repeats one earlier in
  /// the span, the error names it and none of them is added. A store may add
  /// a batch faster than one at a time (the in-memory store loads the
  /// clients' entries ahead of their turn): a live feed's batch, an import.
  /// A failure of the store itself part way (storage_error) leaves the unit
  /// to be rolled back, as after any write the store fails.
  void add_activities(std::span<const Activity> activities);
  /// Inserts or replaces a task; client, assignee and deal must exist.
  void put_task(const Task& t);
  /// Inserts or replaces a deal; client and owner must exist.
  void put_deal(const Deal& d);
  /// Inserts or replaces an invoice; client (and deal, if any) must exist.
  void put_invoice(const Invoice& i);

  // ---- effects of the engine --------------------------------------------
  /// Creates a task; assigns a fresh id when `t.id` is not set. Returns the id.
  TaskId create_task(Task t);
  /// Hands a client to another manager.
  void reassign_client(ClientId client, ManagerId to);
  /// Sets (or replaces the note of) a label on a client or a deal.
  void set_label(SubjectRef subject, const std::string& label, const std::string& note = {});
  /// Removes a label; a no-op when absent.
  void clear_label(SubjectRef subject, const std::string& label);
  /// Records an action key. Returns false when the key was already recorded:
  /// the caller must then skip the action (this is what makes actions exactly-once).
  bool claim_action(std::string_view key, Instant at);
  /// Appends an audit record.
  void append_audit(const AuditRecord& r);
  /// Puts a message into the outbox, in this same unit of work, pending.
  /// Message keys are unique in the outbox: when a message with this key is
  /// already there (in any state, or enqueued earlier in this unit) nothing
  /// changes and the result is false -- a replayed action never queues twice.
  bool enqueue(const Message& m);
  /// Records what became of a delivery attempt (the dispatcher's write): replaces
  /// the delivery state of the message with key `key`. The message must exist
  /// (not_found), must not be delivered already (conflict: delivery is final),
  /// and the state must be consistent (invalid_argument, see DeliveryState::validate).
  void record_delivery(std::string_view key, const DeliveryState& state);

  /// Makes every write of this unit durable. Once only.
  void commit();
  [[nodiscard]] bool committed() const { return committed_; }

protected:
  virtual void do_put_manager(const Manager&) = 0;
  virtual void do_put_client(const Client&) = 0;
  virtual void do_add_activity(const Activity&) = 0;
  /// Activities add_activities checked: by default do_add_activity on each, in order.
  virtual void do_add_activities(std::span<const Activity> activities) {
    for (const auto& a : activities) do_add_activity(a);
  }
  virtual void do_put_task(const Task&) = 0;
  virtual void do_put_deal(const Deal&) = 0;
  virtual void do_put_invoice(const Invoice&) = 0;
  /// A task id not used yet.
  virtual TaskId do_next_task_id() = 0;
  /// Hands a client to another manager (checked: both exist). The default
  /// reads the client and puts it back with the new owner; an adapter may
  /// change the owner alone (SqliteStorage: one UPDATE, where a put rewrites
  /// the client's row, segments and labels).
  virtual void do_reassign_client(ClientId client, ManagerId to);
  virtual void do_set_label(SubjectRef, const std::string& label, const std::string& note) = 0;
  virtual void do_clear_label(SubjectRef, const std::string& label) = 0;
  virtual bool do_claim_action(std::string_view key, Instant at) = 0;
  virtual void do_append_audit(const AuditRecord&) = 0;
  /// Appends a pending message (its key is checked to be new).
  virtual void do_enqueue(const Message&) = 0;
  /// Replaces a message's delivery state (checked: it exists and is not delivered).
  /// The default throws storage_error: an adapter that keeps no delivery state
  /// cannot be drained by a Dispatcher.
  virtual void do_record_delivery(std::string_view key, const DeliveryState& state);
  virtual void do_commit() = 0;

  /// The storage this unit writes to (reads see this unit's own writes).
  [[nodiscard]] const Storage& store() const { return store_; }

private:
  void require_open() const;
  /// add_activity's checks (throws what it says).
  void check_activity(const Activity& a) const;
  const Storage& store_;
  bool committed_ = false;
};

/// The storage port. Reads are const; writes go through begin().
///
/// Implement it over your own tables: the lookups, the per-client lists, four
/// scans (in batches, in ascending id order so plans are deterministic), the
/// action-key check, the audit log and the outbox, and a UnitOfWork. Derived
/// summaries (ClientSummary) may be kept current on write; summarize() computes
/// them from the per-client lists when an adapter keeps none.
///
/// Thread-safety: adapters document their own; the engine only calls const
/// functions concurrently, never while a unit of work is open.
///
/// @code
/// nudge::MemoryStorage store;   // or nudge::SqliteStorage store{"crm.db"};
/// auto uow = store.begin();
/// uow->put_manager({nudge::ManagerId{1}, "Ivanova"});
/// uow->put_client({nudge::ClientId{1}, "Acme", nudge::ManagerId{1}, {"smb"}});
/// uow->commit();
/// store.scan_clients([](std::span<const nudge::ClientView> batch) { /* ... */ });
/// @endcode
class Storage {
public:
  using ClientBatchFn = std::function<void(std::span<const ClientView>)>;
  using DealBatchFn = std::function<void(std::span<const DealView>)>;
  /// One client's subjects as the scans show them: the client with its
  /// summary, its open deals, its unpaid invoices and its open tasks (each
  /// ascending id). The pointers are valid during the call only.
  struct ClientSubjects {
    ClientView client;
    std::span<const DealView> open_deals;
    std::span<const Invoice* const> unpaid_invoices;
    std::span<const Task* const> open_tasks;
  };
  using ClientSubjectsFn = std::function<void(const ClientSubjects&)>;
  using ClientsVisitFn = std::function<void(std::size_t, const ClientSubjects*)>;
  /// Which of ClientSubjects' lists a visit_clients caller reads (a bit set).
  enum class Parts : std::uint8_t { none = 0, open_deals = 1, unpaid_invoices = 2, open_tasks = 4, all = 7 };
  [[nodiscard]] friend constexpr Parts operator|(Parts a, Parts b) {
    return static_cast<Parts>(static_cast<std::uint8_t>(a) | static_cast<std::uint8_t>(b));
  }
  /// Whether the two sets share a list (as `overlaps` for Changed).
  [[nodiscard]] friend constexpr bool overlaps(Parts a, Parts b) {
    return (static_cast<std::uint8_t>(a) & static_cast<std::uint8_t>(b)) != 0;
  }
  using InvoiceBatchFn = std::function<void(std::span<const Invoice>)>;
  using TaskBatchFn = std::function<void(std::span<const Task>)>;
  static constexpr std::size_t default_batch = 4096;

  Storage() = default;
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
  virtual ~Storage() = default;

  // ---- lookups -----------------------------------------------------------
  [[nodiscard]] virtual std::optional<Client> find_client(ClientId) const = 0;
  [[nodiscard]] virtual std::optional<Manager> find_manager(ManagerId) const = 0;
  [[nodiscard]] virtual std::optional<Task> find_task(TaskId) const = 0;
  [[nodiscard]] virtual std::optional<Deal> find_deal(DealId) const = 0;
  [[nodiscard]] virtual std::optional<Invoice> find_invoice(InvoiceId) const = 0;
  [[nodiscard]] virtual bool has_activity(ActivityId) const = 0;

  /// Existence checks the unit of work validates references with. The defaults
  /// load the whole entity; a SQL adapter overrides them with one indexed lookup.
  [[nodiscard]] virtual bool has_client(ClientId id) const { return find_client(id).has_value(); }
  [[nodiscard]] virtual bool has_manager(ManagerId id) const { return find_manager(id).has_value(); }
  [[nodiscard]] virtual bool has_task(TaskId id) const { return find_task(id).has_value(); }
  [[nodiscard]] virtual bool has_deal(DealId id) const { return find_deal(id).has_value(); }

  /// True when the pointers of a scan's views (ClientView, DealView) stay valid
  /// after the batch, until the next write: the engine then keeps them instead
  /// of copying (the in-memory adapter). Default: false (a batch buffer).
  [[nodiscard]] virtual bool stable_views() const { return false; }

  /// One client's derived facts, as scan_clients shows them (nullopt: no such
  /// client). The default folds the plain reads; an adapter that keeps the
  /// summary on write returns it.
  [[nodiscard]] virtual std::optional<ClientSummary> summary_of(ClientId id) const {
    if (!has_client(id)) return std::nullopt;
    ClientSummary s;
    for (const auto& a : activities_of(id, Instant{Seconds{-62135596800}})) s.add(a);  // since 0001-01-01
    for (const auto& t : tasks_of(id, false)) s.add(t);
    for (const auto& d : deals_of(id)) s.add(d);
    for (const auto& i : invoices_of(id)) s.add(i);
    return s;
  }

  /// Calls fn with one client's subjects (see ClientSubjects); false when
  /// there is no such client. What an incremental evaluation re-tests. The
  /// default builds them from the plain reads (copies); an adapter that holds
  /// them in memory hands out its own.
  virtual bool visit_client(ClientId id, const ClientSubjectsFn& fn) const {
    auto c = find_client(id);
    if (!c) return false;
    const auto summary = summary_of(id);
    if (!summary) return false;
    const auto tasks = tasks_of(id, false);
    const auto deals = deals_of(id);
    const auto invoices = invoices_of(id);
    std::vector<DealView> views;
    for (const auto& d : deals) {
      if (!d.is_open()) continue;
      DealView v{&d, 0, std::nullopt};
      for (const auto& t : tasks) {
        if (t.deal != d.id) continue;
        if (t.open()) ++v.open_tasks;
        else if (t.closed && (!v.last_task_closed || *t.closed > *v.last_task_closed)) v.last_task_closed = t.closed;
      }
      views.push_back(v);
    }
    std::vector<const Invoice*> unpaid;
    for (const auto& i : invoices)
      if (!i.is_paid()) unpaid.push_back(&i);
    std::vector<const Task*> open;
    for (const auto& t : tasks)
      if (t.open()) open.push_back(&t);
    fn({{&*c, &*summary}, views, unpaid, open});
    return true;
  }

  /// visit_client for each of `ids` in turn: fn(i, &subjects) for ids[i], or
  /// fn(i, nullptr) when there is no such client. What an incremental
  /// evaluation re-tests after a day of events. `parts`, when not empty, has
  /// one entry per id saying which of the client's lists the caller reads
  /// (a client touched by a new activity needs no deals or tasks when no
  /// assistant that reads activities is fed them): a list not asked for may
  /// be left empty. The default calls visit_client and fills every list; an
  /// in-memory adapter overrides it to load the next clients' rows while fn
  /// works on this one (the cost of a visit is its cache misses) and to skip
  /// the lists not asked for. The subjects are valid during the call only.
  virtual void visit_clients(std::span<const ClientId> ids, const ClientsVisitFn& fn,
                             std::span<const Parts> parts = {}) const {
    check_parts(ids, parts);
    for (std::size_t i = 0; i < ids.size(); ++i)
      if (!visit_client(ids[i], [&](const ClientSubjects& s) { fn(i, &s); })) fn(i, nullptr);
  }
  /// visit_clients' argument check: `parts` empty or one per id.
  static void check_parts(std::span<const ClientId> ids, std::span<const Parts> parts) {
    if (!parts.empty() && parts.size() != ids.size())
      throw invalid_argument(fmt::format("visit_clients: {} parts for {} ids (one per id, or none)", parts.size(),
                                         ids.size()));
  }

  /// How many clients the store holds; 0 = unknown. Progress reports show
  /// it, and Engine::plan/evaluate reserve their client index from it (48
  /// bytes a client), so an adapter that cannot count cheaply and exactly
  /// returns 0 rather than an estimate.
  [[nodiscard]] virtual std::uint64_t client_count() const { return 0; }

  /// Every manager, ascending id.
  [[nodiscard]] virtual std::vector<Manager> managers() const = 0;
  /// Clients a manager owns, ascending id.
  [[nodiscard]] virtual std::vector<ClientId> clients_of(ManagerId) const = 0;
  /// Activities of a client at or after `since`, oldest first.
  [[nodiscard]] virtual std::vector<Activity> activities_of(ClientId, Instant since) const = 0;
  /// Tasks of a client (only the open ones when `open_only`), ascending id.
  [[nodiscard]] virtual std::vector<Task> tasks_of(ClientId, bool open_only) const = 0;
  /// Deals of a client, ascending id.
  [[nodiscard]] virtual std::vector<Deal> deals_of(ClientId) const = 0;
  /// Invoices of a client, ascending id.
  [[nodiscard]] virtual std::vector<Invoice> invoices_of(ClientId) const = 0;

  // ---- scans (batches, ascending id) ----------------------------------------
  virtual void scan_clients(const ClientBatchFn&, std::size_t batch = default_batch) const = 0;
  virtual void scan_open_deals(const DealBatchFn&, std::size_t batch = default_batch) const = 0;
  virtual void scan_unpaid_invoices(const InvoiceBatchFn&, std::size_t batch = default_batch) const = 0;
  virtual void scan_open_tasks(const TaskBatchFn&, std::size_t batch = default_batch) const = 0;

  // ---- exactly-once, audit, outbox ------------------------------------------
  /// Was an action with this key applied?
  [[nodiscard]] virtual bool has_action(std::string_view key) const = 0;
  /// has_action for many keys at once: element i says whether an action with
  /// keys[i] was applied (one element per key, duplicates included). The
  /// default asks has_action once per key. An adapter where each has_action
  /// is a query answers them all in one read instead (SqliteStorage: one
  /// read transaction and one prepared statement, not a transaction and the
  /// file's locks per key); the engine's plan asks this way, a run of
  /// findings at a time.
  [[nodiscard]] virtual std::vector<bool> has_actions(std::span<const std::string_view> keys) const {
    std::vector<bool> out;
    out.reserve(keys.size());
    for (const auto k : keys) out.push_back(has_action(k));
    return out;
  }
  /// Audit records, in the order they were appended; only those about `subject` when given.
  [[nodiscard]] virtual std::vector<AuditRecord> audit_log(std::optional<SubjectRef> subject = {}) const = 0;
  /// Messages waiting in the outbox (status pending), in the order they were enqueued.
  [[nodiscard]] virtual std::vector<Message> outbox() const = 0;

  // ---- outbox delivery (notify/dispatcher.hpp) --------------------------------
  // The defaults serve adapters that keep no delivery state: every message of
  // outbox() is pending with no attempts. An adapter that implements
  // do_record_delivery overrides outbox_entries(), and a SQL adapter the other
  // two with one indexed query each.

  /// Every message with its delivery state (pending, delivered, dead), in the order enqueued.
  [[nodiscard]] virtual std::vector<OutboxEntry> outbox_entries() const {
    std::vector<OutboxEntry> out;
    for (auto& m : outbox()) out.push_back({std::move(m), {}});
    return out;
  }
  /// The message with this key and its state, or nullopt.
  [[nodiscard]] virtual std::optional<OutboxEntry> find_message(std::string_view key) const {
    for (auto& e : outbox_entries())
      if (e.message.key == key) return std::move(e);
    return std::nullopt;
  }
  /// Pending messages due at `now` (OutboxEntry::due: neither next_attempt nor
  /// not_before after `now`), in the order enqueued, at most `limit` of them.
  [[nodiscard]] virtual std::vector<OutboxEntry> due_messages(Instant now, std::size_t limit = default_batch) const {
    std::vector<OutboxEntry> out;
    for (auto& e : outbox_entries()) {
      if (out.size() >= limit) break;
      if (e.due(now)) out.push_back(std::move(e));
    }
    return out;
  }

  // ---- writes ---------------------------------------------------------------
  /// Starts a unit of work. Adapters may allow one at a time (throw conflict otherwise).
  [[nodiscard]] std::unique_ptr<UnitOfWork> begin() { return do_begin(); }

  /// Derived facts of one client computed from the per-client lists: what an
  /// adapter that keeps no summaries returns from its scans.
  [[nodiscard]] ClientSummary summarize(ClientId c) const {
    ClientSummary s;
    for (const auto& a : activities_of(c, Instant{Seconds{std::numeric_limits<std::int64_t>::min() / 2}})) s.add(a);
    for (const auto& t : tasks_of(c, false)) s.add(t);
    for (const auto& d : deals_of(c)) s.add(d);
    for (const auto& i : invoices_of(c)) s.add(i);
    return s;
  }

protected:
  virtual std::unique_ptr<UnitOfWork> do_begin() = 0;
};

// ---- UnitOfWork: checks, then hooks ---------------------------------------

inline void UnitOfWork::require_open() const {
  if (committed_) throw conflict("unit of work: already committed");
}

inline void UnitOfWork::put_manager(const Manager& m) {
  require_open();
  m.validate();
  if (m.supervisor && *m.supervisor != m.id && !store_.has_manager(*m.supervisor))
    throw not_found(fmt::format("manager {}: supervisor: unknown manager {}", m.id.value(), m.supervisor->value()));
  do_put_manager(m);
}

inline void UnitOfWork::put_client(const Client& c) {
  require_open();
  c.validate();
  if (!store_.has_manager(c.owner))
    throw not_found(fmt::format("client {}: owner: unknown manager {}", c.id.value(), c.owner.value()));
  do_put_client(c);
}

inline void UnitOfWork::check_activity(const Activity& a) const {
  a.validate();
  if (!store_.has_client(a.client))
    throw not_found(fmt::format("activity {}: client: unknown client {}", a.id.value(), a.client.value()));
  if (a.manager.valid() && !store_.has_manager(a.manager))
    throw not_found(fmt::format("activity {}: manager: unknown manager {}", a.id.value(), a.manager.value()));
  if (store_.has_activity(a.id)) throw conflict(fmt::format("activity {}: id: already recorded", a.id.value()));
}

inline void UnitOfWork::add_activity(const Activity& a) {
  require_open();
  check_activity(a);
  do_add_activity(a);
}

inline void UnitOfWork::add_activities(std::span<const Activity> activities) {
  require_open();
  bool ascending = true;  // ids in ascending order cannot repeat (a feed's usual case: no sort)
  for (std::size_t i = 0; i < activities.size(); ++i) {
    check_activity(activities[i]);
    if (i > 0 && !(activities[i - 1].id.value() < activities[i].id.value())) ascending = false;
  }
  if (!ascending) {
    std::vector<std::int64_t> ids(activities.size());
    std::transform(activities.begin(), activities.end(), ids.begin(), [](const Activity& a) { return a.id.value(); });
    std::sort(ids.begin(), ids.end());
    if (auto twice = std::adjacent_find(ids.begin(), ids.end()); twice != ids.end())
      throw conflict(fmt::format("activity {}: id: given twice in one add_activities", *twice));
  }
  do_add_activities(activities);
}

inline void UnitOfWork::put_task(const Task& t) {
  require_open();
  t.validate();
  if (!store_.has_client(t.client))
    throw not_found(fmt::format("task {}: client: unknown client {}", t.id.value(), t.client.value()));
  if (!store_.has_manager(t.assignee))
    throw not_found(fmt::format("task {}: assignee: unknown manager {}", t.id.value(), t.assignee.value()));
  if (t.author && !store_.has_manager(*t.author))
    throw not_found(fmt::format("task {}: author: unknown manager {}", t.id.value(), t.author->value()));
  if (t.deal && !store_.has_deal(*t.deal))
    throw not_found(fmt::format("task {}: deal: unknown deal {}", t.id.value(), t.deal->value()));
  if (t.based_on && !store_.has_task(*t.based_on))
    throw not_found(fmt::format("task {}: based_on: unknown task {}", t.id.value(), t.based_on->value()));
  do_put_task(t);
}

inline void UnitOfWork::put_deal(const Deal& d) {
  require_open();
  d.validate();
  if (!store_.has_client(d.client))
    throw not_found(fmt::format("deal {}: client: unknown client {}", d.id.value(), d.client.value()));
  if (!store_.has_manager(d.owner))
    throw not_found(fmt::format("deal {}: owner: unknown manager {}", d.id.value(), d.owner.value()));
  do_put_deal(d);
}

inline void UnitOfWork::put_invoice(const Invoice& i) {
  require_open();
  i.validate();
  if (!store_.has_client(i.client))
    throw not_found(fmt::format("invoice {}: client: unknown client {}", i.id.value(), i.client.value()));
  if (i.deal && !store_.has_deal(*i.deal))
    throw not_found(fmt::format("invoice {}: deal: unknown deal {}", i.id.value(), i.deal->value()));
  do_put_invoice(i);
}

inline TaskId UnitOfWork::create_task(Task t) {
  require_open();
  if (!t.id.valid()) t.id = do_next_task_id();
  else if (store_.has_task(t.id))
    throw conflict(fmt::format("task {}: id: already exists", t.id.value()));
  put_task(t);
  return t.id;
}

inline void UnitOfWork::reassign_client(ClientId client, ManagerId to) {
  require_open();
  if (!store_.has_client(client)) throw not_found(fmt::format("reassign: client: unknown client {}", client.value()));
  if (!store_.has_manager(to)) throw not_found(fmt::format("reassign: to: unknown manager {}", to.value()));
  do_reassign_client(client, to);
}

inline void UnitOfWork::do_reassign_client(ClientId client, ManagerId to) {
  auto c = store_.find_client(client);
  if (!c) throw not_found(fmt::format("reassign: client: unknown client {}", client.value()));
  c->owner = to;
  do_put_client(*c);
}

inline void UnitOfWork::set_label(SubjectRef subject, const std::string& label, const std::string& note) {
  require_open();
  if (label.empty()) throw invalid_argument("set_label: label: must not be empty");
  if (subject.kind == SubjectKind::client ? !store_.has_client(ClientId{subject.id})
      : subject.kind == SubjectKind::deal ? !store_.has_deal(DealId{subject.id})
                                          : true)
    throw not_found(fmt::format("set_label: subject: unknown {}", to_string(subject)));
  do_set_label(subject, label, note);
}

inline void UnitOfWork::clear_label(SubjectRef subject, const std::string& label) {
  require_open();
  if (subject.kind != SubjectKind::client && subject.kind != SubjectKind::deal)
    throw invalid_argument(fmt::format("clear_label: subject: labels go on clients and deals, not {}", to_string(subject)));
  do_clear_label(subject, label);
}

inline bool UnitOfWork::claim_action(std::string_view key, Instant at) {
  require_open();
  if (key.empty()) throw invalid_argument("claim_action: key: must not be empty");
  return do_claim_action(key, at);
}

inline void UnitOfWork::append_audit(const AuditRecord& r) {
  require_open();
  if (r.rule.empty()) throw invalid_argument("audit: rule: must not be empty");
  do_append_audit(r);
}

inline bool UnitOfWork::enqueue(const Message& m) {
  require_open();
  if (m.key.empty()) throw invalid_argument("enqueue: key: a message needs a stable key");
  if (store_.find_message(m.key)) return false;
  do_enqueue(m);
  return true;
}

inline void UnitOfWork::record_delivery(std::string_view key, const DeliveryState& state) {
  require_open();
  if (key.empty()) throw invalid_argument("record_delivery: key: must not be empty");
  state.validate(key);
  auto e = store_.find_message(key);
  if (!e) throw not_found(fmt::format("record_delivery: key: unknown message '{}'", key));
  if (e->state.status == DeliveryStatus::delivered)
    throw conflict(fmt::format("record_delivery: message '{}' was delivered at {}; delivery is final", key,
                               iso_instant(e->state.delivered_at.value_or(Instant{}))));
  do_record_delivery(key, state);
}

inline void UnitOfWork::do_record_delivery(std::string_view key, const DeliveryState&) {
  throw storage_error(fmt::format("record_delivery '{}': this storage adapter keeps no delivery state "
                                  "(implement UnitOfWork::do_record_delivery and Storage::outbox_entries)",
                                  key));
}

inline void UnitOfWork::commit() {
  require_open();
  do_commit();
  committed_ = true;
}

}  // namespace nudge
