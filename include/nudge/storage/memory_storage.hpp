#pragma once
/// @file
/// The in-memory storage adapter: header-only, complete, keeps client
/// summaries current on every write. Good for tests, for hosts that load their
/// data per run, and as the reference the conformance kit is checked against.

#include <algorithm>
#include <limits>
#include <map>
#include <unordered_map>
#include <utility>
#include <vector>

#include <nudge/domain/slim_vector.hpp>
#include <nudge/storage/flat_table.hpp>
#include <nudge/storage/list_blocks.hpp>
#include <nudge/storage/storage.hpp>

namespace nudge {

/// Storage held in memory. Writes apply immediately inside a unit of work and
/// are undone on rollback, so reads inside the unit see its own writes.
///
/// Thread-safety: const functions may run concurrently with each other, not
/// with an open unit of work. One unit of work at a time (begin() throws
/// conflict otherwise).
///
/// @code
/// nudge::MemoryStorage store;
/// {
///   auto uow = store.begin();
///   uow->put_manager({nudge::ManagerId{1}, "Ivanova"});
///   uow->commit();
/// }
/// assert(store.find_manager(nudge::ManagerId{1}));
/// @endcode
class MemoryStorage final : public Storage {
public:
  /// An activity as the store keeps it: 24 bytes, the client implied by the
  /// entry that holds it, the manager as a slot in the store's table of
  /// activity managers, texts (custom kind, subject) in a side table.
  struct PackedActivity {
    static constexpr std::uint32_t max_managers = (1u << 23) - 1;
    std::int64_t id = 0;
    Instant at{};
    std::uint32_t manager : 23 = 0;  ///< slot in the store's activity managers
    std::uint32_t kind : 4 = 0;
    std::uint32_t outcome : 3 = 0;
    std::uint32_t contact : 2 = 0;
    std::uint32_t text = 0;  ///< 1 + index into State::texts; 0 = no text
    friend bool operator==(const PackedActivity&, const PackedActivity&) = default;
  };
  static_assert(sizeof(PackedActivity) == 24);
  static_assert(activity_kind_count <= 16);
  /// Activity lists grow by a quarter, not by half: ten million activities
  /// then keep about an eighth of their slots spare (the lists are short, so
  /// an import takes as long). Their size sits beside the pointer: a live
  /// event appends to a client at random, and reading the size from the
  /// block cost one more cache miss per event (batched ingest at L fell
  /// from 1.5 to 1.2 M events/s in a same-session A/B).
  /// The blocks come from huge pages (detail::PagedBlocks): an append at
  /// random then costs no page walk. The time of the last activity sits
  /// beside the list too: a live event, later than every activity its
  /// client has (nearly always), goes to the end without reading the list,
  /// so writing it does not wait for the list's cache line (ingest at L,
  /// one unit of work per event, same-session A/B: 1.47 to 1.55 M events/s).
  class ActivityList {
  public:
    using List = SlimVector<PackedActivity, 4, SlimLayout::beside, detail::PagedBlocks<PackedActivity, 4>>;
    [[nodiscard]] std::size_t size() const { return list_.size(); }
    [[nodiscard]] bool empty() const { return list_.empty(); }
    [[nodiscard]] const PackedActivity* begin() const { return list_.begin(); }
    [[nodiscard]] const PackedActivity* end() const { return list_.end(); }
    /// Adds p in its place (ascending time, then id).
    void add(const PackedActivity& p) {
      if (list_.empty() || p.at > last_) {
        list_.push_back(p);
        last_ = p.at;
      } else if (before(list_.back(), p)) {
        list_.push_back(p);
      } else {
        list_.insert(std::upper_bound(list_.begin(), list_.end(), p, &MemoryStorage::before), p);
      }
    }
    /// Removes the activities pred holds for.
    template <class Pred>
    void erase_if(Pred pred) {
      list_.erase_if(pred);
      last_ = list_.empty() ? Instant{} : list_.back().at;
    }
    friend bool operator==(const ActivityList& a, const ActivityList& b) { return a.list_ == b.list_; }

  private:
    List list_;
    Instant last_{};  ///< the time of the last activity (when not empty)
  };
  /// A client with everything the store keeps about it.
  struct ClientEntry {
    Client client;
    ClientSummary summary;
    ActivityList activities;         // ascending time, then id
    SlimVector<TaskId> tasks;        // ascending id
    SlimVector<DealId> deals;        // ascending id
    SlimVector<InvoiceId> invoices;  // ascending id
    friend bool operator==(const ClientEntry&, const ClientEntry&) = default;
  };
  /// A deal with what its tasks say about it, kept on write.
  struct DealEntry {
    Deal deal;
    SlimVector<TaskId> tasks;  // ascending id
    int open_tasks = 0;
    MaybeInstant last_task_closed;
    friend bool operator==(const DealEntry&, const DealEntry&) = default;
  };
  static constexpr ClientId client_key(const ClientEntry& e) { return e.client.id; }
  static constexpr DealId deal_key(const DealEntry& e) { return e.deal.id; }
  static constexpr TaskId task_key(const Task& t) { return t.id; }
  static constexpr InvoiceId invoice_key(const Invoice& i) { return i.id; }
  using Clients = detail::FlatTable<ClientId, ClientEntry, &client_key>;
  using Deals = detail::FlatTable<DealId, DealEntry, &deal_key>;
  using Tasks = detail::FlatTable<TaskId, Task, &task_key>;
  using Invoices = detail::FlatTable<InvoiceId, Invoice, &invoice_key>;

  /// Everything the store holds, comparable as a whole (a dry run must leave it
  /// equal). Tables iterate in ascending id as (id, row) pairs.
  struct State {
    std::map<ManagerId, Manager> managers;
    Clients clients;
    Tasks tasks;
    Deals deals;
    Invoices invoices;
    std::vector<std::pair<std::string, std::string>> texts;  // activities' (custom kind, subject)
    std::map<std::string, Instant, std::less<>> actions;
    std::vector<AuditRecord> audit;
    std::vector<OutboxEntry> outbox;  // enqueue order
    std::unordered_map<std::string, std::size_t> outbox_index;  // key -> position in outbox
    std::int64_t last_task_id = 0;
    friend bool operator==(const State& a, const State& b) {
      return a.managers == b.managers && a.clients == b.clients && a.tasks == b.tasks && a.deals == b.deals &&
             a.invoices == b.invoices && a.texts == b.texts && a.actions == b.actions && a.audit == b.audit &&
             a.outbox == b.outbox && a.outbox_index == b.outbox_index && a.last_task_id == b.last_task_id;
    }
  };

  MemoryStorage() = default;

  /// The whole state (for tests: compare before and after a dry run).
  [[nodiscard]] const State& state() const { return s_; }

  // ---- lookups -------------------------------------------------------------
  std::optional<Client> find_client(ClientId id) const override {
    const auto* e = s_.clients.find(id);
    return e ? std::optional<Client>(e->client) : std::nullopt;
  }
  std::optional<Manager> find_manager(ManagerId id) const override {
    auto it = s_.managers.find(id);
    return it == s_.managers.end() ? std::nullopt : std::optional<Manager>(it->second);
  }
  std::optional<Task> find_task(TaskId id) const override { return copy(s_.tasks.find(id)); }
  std::optional<Deal> find_deal(DealId id) const override {
    const auto* d = s_.deals.find(id);
    return d ? std::optional<Deal>(d->deal) : std::nullopt;
  }
  std::optional<Invoice> find_invoice(InvoiceId id) const override { return copy(s_.invoices.find(id)); }
  bool has_activity(ActivityId id) const override { return activity_ids_.contains(id.value()); }
  bool has_client(ClientId id) const override { return s_.clients.find(id) != nullptr; }
  bool has_manager(ManagerId id) const override { return manager_ids_.contains(id.value()); }
  bool has_task(TaskId id) const override { return s_.tasks.find(id) != nullptr; }
  bool has_deal(DealId id) const override { return s_.deals.find(id) != nullptr; }

  std::vector<Manager> managers() const override {
    std::vector<Manager> out;
    out.reserve(s_.managers.size());
    for (const auto& [id, m] : s_.managers) out.push_back(m);
    return out;
  }
  std::vector<ClientId> clients_of(ManagerId m) const override {
    std::vector<ClientId> out;
    s_.clients.for_each([&](const ClientEntry& e) {
      if (e.client.owner == m) out.push_back(e.client.id);
    });
    return out;
  }
  std::vector<Activity> activities_of(ClientId c, Instant since) const override {
    std::vector<Activity> out;
    if (const auto* e = s_.clients.find(c)) {
      auto it = std::lower_bound(e->activities.begin(), e->activities.end(), since,
                                 [](const PackedActivity& a, Instant t) { return a.at < t; });
      out.reserve(static_cast<std::size_t>(e->activities.end() - it));
      for (; it != e->activities.end(); ++it) out.push_back(unpack(*it, c));
    }
    return out;
  }
  std::vector<Task> tasks_of(ClientId c, bool open_only) const override {
    std::vector<Task> out;
    if (const auto* e = s_.clients.find(c))
      for (auto id : e->tasks) {
        const auto& t = *s_.tasks.find(id);
        if (!open_only || t.open()) out.push_back(t);
      }
    return out;
  }
  std::vector<Deal> deals_of(ClientId c) const override {
    std::vector<Deal> out;
    if (const auto* e = s_.clients.find(c))
      for (auto id : e->deals) out.push_back(s_.deals.find(id)->deal);
    return out;
  }
  std::vector<Invoice> invoices_of(ClientId c) const override {
    std::vector<Invoice> out;
    if (const auto* e = s_.clients.find(c))
      for (auto id : e->invoices) out.push_back(*s_.invoices.find(id));
    return out;
  }

  std::uint64_t client_count() const override { return s_.clients.size(); }
  /// A client's subjects without copies: pointers into the store.
  bool visit_client(ClientId id, const ClientSubjectsFn& fn) const override {
    const auto* e = s_.clients.find(id);
    if (!e) return false;
    std::vector<DealView> deals;
    std::vector<const Invoice*> invoices;
    std::vector<const Task*> tasks;
    gather(*e, deals, invoices, tasks);
    fn({{&e->client, &e->summary}, deals, invoices, tasks});
    return true;
  }
  /// visit_client over a list, its cache misses overlapped: while fn works
  /// on one client, the index slots of the client 16 ahead, the entry 12
  /// ahead, the id lists 8 ahead and the deal, invoice and task rows 4 ahead
  /// are loaded (one client's visit is five or more dependent misses in a
  /// store larger than the cache; the Watch loads its own rows likewise).
  /// Lists not in `parts` are neither loaded nor gathered. The vectors fn
  /// sees are reused.
  void visit_clients(std::span<const ClientId> ids, const ClientsVisitFn& fn,
                     std::span<const Parts> parts = {}) const override {
    check_parts(ids, parts);
    auto wants = [&](std::size_t i, Parts p) { return parts.empty() || overlaps(parts[i], p); };
    constexpr std::size_t index_ahead = 16, entry_ahead = 12, lists_ahead = 8, rows_ahead = 4;
    std::vector<DealView> deals;
    std::vector<const Invoice*> invoices;
    std::vector<const Task*> tasks;
    for (std::size_t i = 0; i < ids.size(); ++i) {
      if (i + index_ahead < ids.size()) s_.clients.prefetch_index(ids[i + index_ahead]);
      if (i + entry_ahead < ids.size()) s_.clients.prefetch_row(ids[i + entry_ahead]);
      if (i + lists_ahead < ids.size())
        if (const auto* ahead = s_.clients.find(ids[i + lists_ahead])) {
          __builtin_prefetch(ahead->deals.data());
          __builtin_prefetch(ahead->invoices.data());
          __builtin_prefetch(ahead->tasks.data());
        }
      if (i + rows_ahead < ids.size())
        if (const auto* ahead = s_.clients.find(ids[i + rows_ahead])) {
          const auto k = i + rows_ahead;
          if (wants(k, Parts::open_deals))
            for (auto d : ahead->deals) s_.deals.prefetch_row(d);
          if (wants(k, Parts::unpaid_invoices))
            for (auto v : ahead->invoices) s_.invoices.prefetch_row(v);
          if (wants(k, Parts::open_tasks))
            for (auto t : ahead->tasks) s_.tasks.prefetch_row(t);
        }
      const auto* e = s_.clients.find(ids[i]);
      if (!e) {
        fn(i, nullptr);
        continue;
      }
      gather(*e, deals, invoices, tasks, parts.empty() ? Parts::all : parts[i]);
      const ClientSubjects subjects{{&e->client, &e->summary}, deals, invoices, tasks};
      fn(i, &subjects);
    }
  }
  std::optional<ClientSummary> summary_of(ClientId id) const override {
    const auto* e = s_.clients.find(id);
    return e ? std::optional<ClientSummary>(e->summary) : std::nullopt;
  }
  /// Views point into the store itself: valid until the next write.
  bool stable_views() const override { return true; }

  // ---- scans ---------------------------------------------------------------
  void scan_clients(const ClientBatchFn& fn, std::size_t batch = default_batch) const override {
    std::vector<ClientView> buf;
    buf.reserve(std::max<std::size_t>(batch, 1));
    s_.clients.for_each([&](const ClientEntry& e) {
      buf.push_back({&e.client, &e.summary});
      flush_if_full(buf, batch, fn);
    });
    if (!buf.empty()) fn(buf);
  }
  void scan_open_deals(const DealBatchFn& fn, std::size_t batch = default_batch) const override {
    std::vector<DealView> buf;
    buf.reserve(std::max<std::size_t>(batch, 1));
    s_.deals.for_each_flagged([&](const DealEntry& d) {
      buf.push_back(view(d));
      flush_if_full(buf, batch, fn);
    });
    if (!buf.empty()) fn(buf);
  }
  void scan_unpaid_invoices(const InvoiceBatchFn& fn, std::size_t batch = default_batch) const override {
    std::vector<Invoice> buf;
    buf.reserve(std::max<std::size_t>(batch, 1));
    s_.invoices.for_each_flagged([&](const Invoice& i) {
      buf.push_back(i);
      flush_if_full(buf, batch, fn);
    });
    if (!buf.empty()) fn(buf);
  }
  void scan_open_tasks(const TaskBatchFn& fn, std::size_t batch = default_batch) const override {
    std::vector<Task> buf;
    buf.reserve(std::max<std::size_t>(batch, 1));
    s_.tasks.for_each_flagged([&](const Task& t) {
      buf.push_back(t);
      flush_if_full(buf, batch, fn);
    });
    if (!buf.empty()) fn(buf);
  }

  // ---- exactly-once, audit, outbox -----------------------------------------
  bool has_action(std::string_view key) const override { return s_.actions.find(key) != s_.actions.end(); }
  std::vector<AuditRecord> audit_log(std::optional<SubjectRef> subject = {}) const override {
    if (!subject) return s_.audit;
    std::vector<AuditRecord> out;
    for (const auto& r : s_.audit)
      if (r.subject == *subject) out.push_back(r);
    return out;
  }
  std::vector<Message> outbox() const override {
    std::vector<Message> out;
    for (const auto& e : s_.outbox)
      if (e.state.status == DeliveryStatus::pending) out.push_back(e.message);
    return out;
  }
  std::vector<OutboxEntry> outbox_entries() const override { return s_.outbox; }
  std::optional<OutboxEntry> find_message(std::string_view key) const override {
    auto it = s_.outbox_index.find(std::string(key));
    return it == s_.outbox_index.end() ? std::nullopt : std::optional<OutboxEntry>(s_.outbox[it->second]);
  }
  std::vector<OutboxEntry> due_messages(Instant now, std::size_t limit = default_batch) const override {
    std::vector<OutboxEntry> out;
    for (const auto& e : s_.outbox) {
      if (out.size() >= limit) break;
      if (e.due(now)) out.push_back(e);
    }
    return out;
  }

protected:
  std::unique_ptr<UnitOfWork> do_begin() override {
    if (open_) throw conflict("memory storage: a unit of work is already open");
    return std::make_unique<Work>(*this);
  }

private:
  template <class T>
  static std::optional<T> copy(const T* p) {
    return p ? std::optional<T>(*p) : std::nullopt;
  }
  template <class Buf, class Fn>
  static void flush_if_full(Buf& buf, std::size_t batch, const Fn& fn) {
    if (buf.size() >= std::max<std::size_t>(batch, 1)) {
      fn(std::span<const typename Buf::value_type>(buf));
      buf.clear();
    }
  }
  static DealView view(const DealEntry& d) { return {&d.deal, d.open_tasks, d.last_task_closed}; }
  /// A client's open deals, unpaid invoices and open tasks (visit_client).
  /// Lists not in `parts` are left empty (visit_clients).
  void gather(const ClientEntry& e, std::vector<DealView>& deals, std::vector<const Invoice*>& invoices,
              std::vector<const Task*>& tasks, Parts parts = Parts::all) const {
    deals.clear();
    invoices.clear();
    tasks.clear();
    if (overlaps(parts, Parts::open_deals))
      for (auto d : e.deals)
        if (const auto& de = *s_.deals.find(d); de.deal.is_open()) deals.push_back(view(de));
    if (overlaps(parts, Parts::unpaid_invoices))
      for (auto i : e.invoices)
        if (const auto* inv = s_.invoices.find(i); !inv->is_paid()) invoices.push_back(inv);
    if (overlaps(parts, Parts::open_tasks))
      for (auto t : e.tasks)
        if (const auto* task = s_.tasks.find(t); task->open()) tasks.push_back(task);
  }

  static bool before(const PackedActivity& x, const PackedActivity& y) {
    return std::pair(x.at, x.id) < std::pair(y.at, y.id);
  }
  PackedActivity pack(const Activity& a) {
    PackedActivity p;
    p.id = a.id.value();
    p.at = a.at;
    p.manager = manager_slot(a);
    p.kind = static_cast<std::uint32_t>(a.kind) & 0xfu;
    p.outcome = static_cast<std::uint32_t>(a.outcome) & 0x7u;
    p.contact = static_cast<std::uint32_t>(a.contact) & 0x3u;
    if (!a.custom_kind.empty() || !a.subject.empty()) {
      s_.texts.emplace_back(a.custom_kind, a.subject);
      p.text = static_cast<std::uint32_t>(s_.texts.size());
    }
    return p;
  }
  /// The slot of an activity's manager, given on first sight (slots are
  /// never taken back: a rolled-back unit leaves at most an unused one).
  std::uint32_t manager_slot(const Activity& a) {
    const auto m = a.manager.value();
    if (m == last_manager_) return last_manager_slot_;
    auto slot = manager_slots_.find(m);
    if (slot == detail::IdIndex::npos) {
      if (activity_managers_.size() >= PackedActivity::max_managers)
        throw storage_error(fmt::format("activity {}: manager {}: the in-memory store keeps at most {} distinct "
                                        "activity managers",
                                        a.id.value(), m, PackedActivity::max_managers));
      slot = static_cast<std::uint32_t>(activity_managers_.size());
      activity_managers_.push_back(m);
      manager_slots_.put(m, slot);
    }
    last_manager_ = m;
    last_manager_slot_ = slot;
    return slot;
  }
  Activity unpack(const PackedActivity& p, ClientId client) const {
    Activity a;
    a.id = ActivityId{p.id};
    a.client = client;
    a.manager = ManagerId{activity_managers_[p.manager]};
    a.kind = static_cast<ActivityKind>(p.kind);
    a.at = p.at;
    a.outcome = static_cast<Outcome>(p.outcome);
    a.contact = static_cast<Contact>(p.contact);
    if (p.text) std::tie(a.custom_kind, a.subject) = s_.texts[p.text - 1];
    return a;
  }

  void rebuild_summary(ClientId c) {
    auto* e = s_.clients.find(c);
    if (!e) return;
    ClientSummary s;
    for (const auto& a : e->activities)
      s.add_contact(static_cast<ActivityKind>(a.kind), static_cast<Contact>(a.contact), a.at);
    for (auto id : e->tasks) s.add(*s_.tasks.find(id));
    for (auto id : e->deals) s.add(s_.deals.find(id)->deal);
    for (auto id : e->invoices) s.add(*s_.invoices.find(id));
    e->summary = std::move(s);
  }
  /// A deal's open tasks and last closed task, from its task list.
  void refresh_deal(DealId id) {
    auto* d = s_.deals.find(id);
    if (!d) return;
    d->open_tasks = 0;
    d->last_task_closed.reset();
    for (auto tid : d->tasks) {
      const auto& t = *s_.tasks.find(tid);
      if (t.open()) ++d->open_tasks;
      else if (t.closed && (!d->last_task_closed || *t.closed > *d->last_task_closed)) d->last_task_closed = t.closed;
    }
  }
  template <class IdT>
  static void link(SlimVector<IdT>& v, IdT id) {
    if (v.empty() || v.back() < id) return v.push_back(id);
    auto it = std::lower_bound(v.begin(), v.end(), id);
    if (it == v.end() || *it != id) v.insert(it, id);
  }
  template <class IdT>
  static void unlink(SlimVector<IdT>& v, IdT id) {
    auto it = std::lower_bound(v.begin(), v.end(), id);
    if (it != v.end() && *it == id) v.erase(it);
  }

  // Entities with a client (tasks, deals, invoices): the row, the client's
  // list of them, the client's summary, and for tasks their deal's figures.
  static Task& value_of(Task& t) { return t; }
  static Invoice& value_of(Invoice& i) { return i; }
  static Deal& value_of(DealEntry& d) { return d.deal; }
  /// The rows a scan visits (FlatTable's flags, kept by put and unput).
  static bool scanned(const Task& t) { return t.open(); }
  static bool scanned(const Invoice& i) { return !i.is_paid(); }
  static bool scanned(const Deal& d) { return d.is_open(); }
  static Task make_row(const Task& t) { return t; }
  static Invoice make_row(const Invoice& i) { return i; }
  static DealEntry make_row(const Deal& d) { return DealEntry{d, {}, 0, std::nullopt}; }

  template <class T>
  void attach(const T& v, SlimVector<decltype(T::id)> ClientEntry::*links, int delta) {
    if (auto* e = s_.clients.find(v.client)) {
      if (delta > 0) link(e->*links, v.id);
      else unlink(e->*links, v.id);
    }
    if constexpr (std::is_same_v<T, Task>) {
      if (v.deal)
        if (auto* d = s_.deals.find(*v.deal)) {
          if (delta > 0) link(d->tasks, v.id);
          else unlink(d->tasks, v.id);
          refresh_deal(*v.deal);
        }
    }
  }

  /// Puts v (a Task, Deal or Invoice) into its table; returns the value it
  /// replaced, if any.
  template <class Table, class T>
  std::optional<T> put(Table& table, SlimVector<decltype(T::id)> ClientEntry::*links, const T& v) {
    std::optional<T> old;
    if (auto* row = table.find(v.id)) {
      old = value_of(*row);
      attach(*old, links, -1);
      value_of(*row) = v;
    } else {
      table.insert(make_row(v));
    }
    attach(v, links, +1);
    table.set_flag(v.id, scanned(v));
    if (!old) {
      s_.clients.find(v.client)->summary.add(v);  // a new row only adds to the summary
    } else {
      rebuild_summary(old->client);
      if (old->client != v.client) rebuild_summary(v.client);
    }
    return old;
  }
  /// Undoes the put of v over an existing row: restores `old`.
  template <class Table, class T>
  void unput(Table& table, SlimVector<decltype(T::id)> ClientEntry::*links, const T& v, const T& old) {
    attach(v, links, -1);
    value_of(*table.find(v.id)) = old;
    table.set_flag(old.id, scanned(old));
    attach(old, links, +1);
    rebuild_summary(old.client);
    if (old.client != v.client) rebuild_summary(v.client);
  }

  /// Undoes the puts of new rows (those from insertion position `mark` on):
  /// detaches each from its client (and a task from its deal), notes the
  /// client, and removes the rows.
  template <class Table, class IdT>
  void drop_new(Table& table, SlimVector<IdT> ClientEntry::*links, std::size_t mark, std::vector<ClientId>& stale) {
    for (auto r = table.size(); r-- > mark;) {
      const auto& v = value_of(table.at(r));
      attach(v, links, -1);
      stale.push_back(v.client);
    }
    table.truncate(mark);
  }

  void normalize() {
    s_.clients.normalize();
    s_.tasks.normalize();
    s_.deals.normalize();
    s_.invoices.normalize();
  }

  class Work final : public UnitOfWork {
  public:
    explicit Work(MemoryStorage& s)
        : UnitOfWork(s),
          s_(s),
          mark_{s.s_.clients.size(), s.s_.tasks.size(), s.s_.deals.size(), s.s_.invoices.size(), s.s_.texts.size(),
                s.s_.last_task_id} {
      added_ids_.first.swap(s.spare_.added);
      touched_.swap(s.spare_.touched);
      s_.open_ = true;
    }
    /// Rollback, in three steps that do not depend on each other's order
    /// beyond this one: the closures (changes to rows that were there),
    /// newest first; the added activities; then the new rows, which sit
    /// after the marks taken at begin() (tasks before the deals they point
    /// at, clients last). Summaries are rebuilt once per client touched.
    ~Work() override {
      if (!done_) rollback();
      // The next unit reuses the small buffers: a live feed's unit of one
      // event then allocates nothing but itself.
      auto keep = [](auto& from, auto& spare) {
        if (from.capacity() > AddedIds::listed) return;
        from.clear();
        spare.swap(from);
      };
      keep(added_ids_.first, s_.spare_.added);
      keep(touched_, s_.spare_.touched);
    }

  private:
    void rollback() {
      for (auto it = fns_.rbegin(); it != fns_.rend(); ++it) (*it)();
      // The added activities: each client they went to keeps the ones this
      // unit did not add (one pass over its list, not a search per activity).
      std::sort(touched_.begin(), touched_.end());
      touched_.erase(std::unique(touched_.begin(), touched_.end()), touched_.end());
      std::sort(added_ids_.first.begin(), added_ids_.first.end());
      for (auto c : touched_) {
        s_.s_.clients.find(c)->activities.erase_if([&](const PackedActivity& a) {
          if (!added_ids_.contains(a.id)) return false;
          s_.activity_ids_.erase(a.id);
          return true;
        });
        stale_.push_back(c);
      }
      s_.drop_new(s_.s_.tasks, &ClientEntry::tasks, mark_.tasks, stale_);
      s_.drop_new(s_.s_.invoices, &ClientEntry::invoices, mark_.invoices, stale_);
      s_.drop_new(s_.s_.deals, &ClientEntry::deals, mark_.deals, stale_);
      s_.s_.clients.truncate(mark_.clients);
      s_.s_.texts.resize(mark_.texts);  // the texts of the added activities
      s_.s_.last_task_id = mark_.last_task_id;
      std::sort(stale_.begin(), stale_.end());
      stale_.erase(std::unique(stale_.begin(), stale_.end()), stale_.end());
      for (auto c : stale_) s_.rebuild_summary(c);  // once per client, not once per undone row; gone ones skipped
      s_.normalize();
      s_.open_ = false;
    }

  protected:
    void do_put_manager(const Manager& m) override {
      auto& managers = s_.s_.managers;
      std::optional<Manager> old;
      if (auto it = managers.find(m.id); it != managers.end()) old = it->second;
      managers[m.id] = m;
      s_.manager_ids_.insert(m.id.value());
      undo([this, old, id = m.id] {
        if (old) {
          s_.s_.managers[id] = *old;
        } else {
          s_.s_.managers.erase(id);
          s_.manager_ids_.erase(id.value());
        }
      });
    }
    void do_put_client(const Client& c) override {
      if (auto* e = s_.s_.clients.find(c.id)) {
        Client old = std::exchange(e->client, c);
        undo([this, old = std::move(old)] { s_.s_.clients.find(old.id)->client = old; });
      } else {
        s_.s_.clients.insert(ClientEntry{c, {}, {}, {}, {}, {}});  // a new row: undone from the mark
      }
    }
    void do_add_activity(const Activity& a) override {
      auto* e = s_.s_.clients.find(a.client);
      e->activities.add(s_.pack(a));
      e->summary.add_contact(a.kind, a.contact, a.at);
      s_.activity_ids_.insert(a.id.value());
      added_ids_.insert(a.id.value());  // new: the port checked
      if (touched_.empty() || touched_.back() != a.client) touched_.push_back(a.client);
    }
    /// do_add_activity on each, their cache misses overlapped: in a store
    /// larger than the cache one activity waits on the client's index slot
    /// (none while the ids are aligned), then its entry (the summary slot,
    /// the list's header), then the list's last line. While one is added, the
    /// index slot of the client 16 ahead, the entry lines of the one 12 ahead
    /// and the list tail of the one 6 ahead are loaded.
    void do_add_activities(std::span<const Activity> as) override {
      constexpr std::size_t index_ahead = 16, entry_ahead = 12, tail_ahead = 6;
      const auto& clients = s_.s_.clients;
      for (std::size_t i = 0; i < as.size(); ++i) {
        if (i + index_ahead < as.size()) clients.prefetch_index(as[i + index_ahead].client);
        if (i + entry_ahead < as.size())
          if (const auto* e = clients.find(as[i + entry_ahead].client)) {
            const auto& a = as[i + entry_ahead];
            if (const auto* slot = e->summary.contact_slot(a.kind, a.contact)) __builtin_prefetch(slot, 1);
            __builtin_prefetch(&e->activities, 1);
            __builtin_prefetch(reinterpret_cast<const char*>(&e->activities) + sizeof(ActivityList) - 1, 1);
          }
        if (i + tail_ahead < as.size())
          if (const auto* e = clients.find(as[i + tail_ahead].client)) __builtin_prefetch(e->activities.end(), 1);
        do_add_activity(as[i]);
      }
    }
    void do_put_task(const Task& t) override {
      // A new row is undone from the mark; last_task_id is restored from it.
      auto old = s_.put(s_.s_.tasks, &ClientEntry::tasks, t);
      if (old) undo([this, t, old = std::move(*old)] { s_.unput(s_.s_.tasks, &ClientEntry::tasks, t, old); });
      s_.s_.last_task_id = std::max(s_.s_.last_task_id, t.id.value());
    }
    void do_put_deal(const Deal& d) override {
      auto old = s_.put(s_.s_.deals, &ClientEntry::deals, d);
      if (old) undo([this, d, old = std::move(*old)] { s_.unput(s_.s_.deals, &ClientEntry::deals, d, old); });
    }
    void do_put_invoice(const Invoice& i) override {
      auto old = s_.put(s_.s_.invoices, &ClientEntry::invoices, i);
      if (old) undo([this, i, old = std::move(*old)] { s_.unput(s_.s_.invoices, &ClientEntry::invoices, i, old); });
    }
    TaskId do_next_task_id() override { return TaskId{s_.s_.last_task_id + 1}; }
    void do_set_label(SubjectRef subject, const std::string& label, const std::string& note) override {
      auto& labels = labels_of(subject);
      std::optional<std::string> old;
      if (auto it = labels.find(label); it != labels.end()) old = it->second;
      labels[label] = note;
      undo([this, subject, label, old] { restore_label(subject, label, old); });
    }
    void do_clear_label(SubjectRef subject, const std::string& label) override {
      if (subject.kind == SubjectKind::client ? !s_.s_.clients.find(ClientId{subject.id})
                                              : !s_.s_.deals.find(DealId{subject.id}))
        return;
      auto& labels = labels_of(subject);
      auto it = labels.find(label);
      if (it == labels.end()) return;
      std::optional<std::string> old = it->second;
      labels.erase(it);
      undo([this, subject, label, old] { restore_label(subject, label, old); });
    }
    bool do_claim_action(std::string_view key, Instant at) override {
      auto [it, inserted] = s_.s_.actions.emplace(std::string(key), at);
      if (inserted) undo([this, k = std::string(key)] { s_.s_.actions.erase(k); });
      return inserted;
    }
    void do_append_audit(const AuditRecord& r) override {
      s_.s_.audit.push_back(r);
      undo([this] { s_.s_.audit.pop_back(); });
    }
    void do_enqueue(const Message& m) override {
      s_.s_.outbox.push_back({m, {}});
      s_.s_.outbox_index.emplace(m.key, s_.s_.outbox.size() - 1);
      undo([this, key = m.key] {
        s_.s_.outbox_index.erase(key);
        s_.s_.outbox.pop_back();
      });
    }
    void do_record_delivery(std::string_view key, const DeliveryState& state) override {
      const std::size_t i = s_.s_.outbox_index.at(std::string(key));
      DeliveryState old = std::exchange(s_.s_.outbox[i].state, state);
      // by position: a later enqueue in this unit may move the vector's elements
      undo([this, i, old] { s_.s_.outbox[i].state = old; });
    }
    void do_commit() override {
      done_ = true;
      fns_.clear();
      s_.normalize();
      s_.open_ = false;  // a committed unit is finished; the next may begin
    }

  private:
    /// What rollback needs, beside closures for changes to rows that were
    /// there: the tables' sizes at begin() (new rows come after them, nothing
    /// kept per new row); for added activities (the common case of an import
    /// or a live feed) their ids in a set (a bit each while they are dense)
    /// and the clients they went to (8 bytes per run of one client's).
    struct Marks {
      std::size_t clients, tasks, deals, invoices, texts;
      std::int64_t last_task_id;
    };
    template <class Fn>
    void undo(Fn&& fn) {
      fns_.emplace_back(std::forward<Fn>(fn));
    }

    std::map<std::string, std::string>& labels_of(SubjectRef s) {
      if (s.kind == SubjectKind::client) return s_.s_.clients.find(ClientId{s.id})->client.labels;
      return s_.s_.deals.find(DealId{s.id})->deal.labels;
    }
    void restore_label(SubjectRef subject, const std::string& label, const std::optional<std::string>& old) {
      auto& labels = labels_of(subject);
      if (old) labels[label] = *old;
      else labels.erase(label);
    }

    MemoryStorage& s_;
    Marks mark_;
    std::vector<std::function<void()>> fns_;
    /// The ids of the activities a unit added: a list for the first ones (a
    /// live event's unit: no bitmap to allocate), a set for the rest (an
    /// import's: a bit each while the ids are dense).
    struct AddedIds {
      static constexpr std::size_t listed = 4096;
      std::vector<std::int64_t> first;  // sorted before contains() is asked
      detail::IdSet rest;
      void insert(std::int64_t id) {
        if (first.size() < listed) first.push_back(id);
        else rest.insert(id);
      }
      [[nodiscard]] bool contains(std::int64_t id) const {
        return std::binary_search(first.begin(), first.end(), id) || rest.contains(id);
      }
    };
    AddedIds added_ids_;             ///< activities this unit added
    std::vector<ClientId> touched_;  ///< the clients they went to (repeats possible)
    std::vector<ClientId> stale_;    ///< clients whose summary a rollback must rebuild (repeats possible)
    bool done_ = false;
  };

  State s_;
  detail::IdSet activity_ids_;  ///< derived from the clients' activities (has_activity)
  detail::IdSet manager_ids_;   ///< derived from s_.managers (has_manager: every row of an import asks)
  std::vector<std::int64_t> activity_managers_;  ///< PackedActivity::manager -> manager id
  detail::IdIndex manager_slots_;                ///< manager id -> PackedActivity::manager
  std::int64_t last_manager_ = std::numeric_limits<std::int64_t>::min();  ///< the last slot given, for runs
  std::uint32_t last_manager_slot_ = 0;
  bool open_ = false;
  /// What a finished unit of work leaves for the next to fill (~Work).
  struct Spare {
    std::vector<std::int64_t> added;
    std::vector<ClientId> touched;
  } spare_;
};

}  // namespace nudge
