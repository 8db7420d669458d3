#pragma once
/// @file
/// The in-memory storage adapter: header-only, complete, keeps client
/// summaries current on every write. Good for tests, for hosts that load their
/// data per run, and as the reference the conformance kit is checked against.

#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>
#include <utility>

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
  /// Everything the store holds, comparable as a whole (a dry run must leave it equal).
  struct ClientEntry {
    Client client;
    ClientSummary summary;
    std::vector<Activity> activities;  // ascending time, then id
    std::vector<TaskId> tasks;
    std::vector<DealId> deals;
    std::vector<InvoiceId> invoices;
    friend bool operator==(const ClientEntry&, const ClientEntry&) = default;
  };
  struct State {
    std::map<ManagerId, Manager> managers;
    std::map<ClientId, ClientEntry> clients;
    std::map<TaskId, Task> tasks;
    std::map<DealId, Deal> deals;
    std::map<InvoiceId, Invoice> invoices;
    std::unordered_map<ActivityId, ClientId> activity_index;
    std::unordered_map<DealId, int> deal_open_tasks;
    std::unordered_map<DealId, std::vector<TaskId>> deal_tasks;
    std::map<std::string, Instant, std::less<>> actions;
    std::vector<AuditRecord> audit;
    std::vector<OutboxEntry> outbox;  // enqueue order
    std::unordered_map<std::string, std::size_t> outbox_index;  // key -> position in outbox
    std::int64_t last_task_id = 0;
    friend bool operator==(const State&, const State&) = default;
  };

  MemoryStorage() = default;

  /// The whole state (for tests: compare before and after a dry run).
  [[nodiscard]] const State& state() const { return s_; }

  // ---- lookups -------------------------------------------------------------
  std::optional<Client> find_client(ClientId id) const override {
    auto it = s_.clients.find(id);
    return it == s_.clients.end() ? std::nullopt : std::optional<Client>(it->second.client);
  }
  std::optional<Manager> find_manager(ManagerId id) const override { return get(s_.managers, id); }
  std::optional<Task> find_task(TaskId id) const override { return get(s_.tasks, id); }
  std::optional<Deal> find_deal(DealId id) const override { return get(s_.deals, id); }
  std::optional<Invoice> find_invoice(InvoiceId id) const override { return get(s_.invoices, id); }
  bool has_activity(ActivityId id) const override { return s_.activity_index.count(id) != 0; }
  bool has_client(ClientId id) const override { return s_.clients.count(id) != 0; }
  bool has_manager(ManagerId id) const override { return s_.managers.count(id) != 0; }
  bool has_task(TaskId id) const override { return s_.tasks.count(id) != 0; }
  bool has_deal(DealId id) const override { return s_.deals.count(id) != 0; }

  std::vector<Manager> managers() const override {
    std::vector<Manager> out;
    out.reserve(s_.managers.size());
    for (const auto& [id, m] : s_.managers) out.push_back(m);
    return out;
  }
  std::vector<ClientId> clients_of(ManagerId m) const override {
    std::vector<ClientId> out;
    for (const auto& [id, e] : s_.clients)
      if (e.client.owner == m) out.push_back(id);
    return out;
  }
  std::vector<Activity> activities_of(ClientId c, Instant since) const override {
    std::vector<Activity> out;
    if (auto* e = entry(c)) {
      auto it = std::lower_bound(e->activities.begin(), e->activities.end(), since,
                                 [](const Activity& a, Instant t) { return a.at < t; });
      out.assign(it, e->activities.end());
    }
    return out;
  }
  std::vector<Task> tasks_of(ClientId c, bool open_only) const override {
    std::vector<Task> out;
    if (auto* e = entry(c))
      for (auto id : e->tasks) {
        const auto& t = s_.tasks.at(id);
        if (!open_only || t.open()) out.push_back(t);
      }
    return out;
  }
  std::vector<Deal> deals_of(ClientId c) const override {
    std::vector<Deal> out;
    if (auto* e = entry(c))
      for (auto id : e->deals) out.push_back(s_.deals.at(id));
    return out;
  }
  std::vector<Invoice> invoices_of(ClientId c) const override {
    std::vector<Invoice> out;
    if (auto* e = entry(c))
      for (auto id : e->invoices) out.push_back(s_.invoices.at(id));
    return out;
  }

  std::uint64_t client_count() const override { return s_.clients.size(); }
  /// A client's subjects without copies: pointers into the store.
  bool visit_client(ClientId id, const ClientSubjectsFn& fn) const override {
    const auto* e = entry(id);
    if (!e) return false;
    std::vector<DealView> deals;
    for (auto d : e->deals)
      if (const auto& deal = s_.deals.at(d); deal.is_open()) deals.push_back(deal_view(deal));
    std::vector<const Invoice*> invoices;
    for (auto i : e->invoices)
      if (const auto& inv = s_.invoices.at(i); !inv.is_paid()) invoices.push_back(&inv);
    std::vector<const Task*> tasks;
    for (auto t : e->tasks)
      if (const auto& task = s_.tasks.at(t); task.open()) tasks.push_back(&task);
    fn({{&e->client, &e->summary}, deals, invoices, tasks});
    return true;
  }
  std::optional<ClientSummary> summary_of(ClientId id) const override {
    const auto* e = entry(id);
    return e ? std::optional<ClientSummary>(e->summary) : std::nullopt;
  }
  /// Views point into the store itself: valid until the next write.
  bool stable_views() const override { return true; }

  // ---- scans ---------------------------------------------------------------
  void scan_clients(const ClientBatchFn& fn, std::size_t batch = default_batch) const override {
    std::vector<ClientView> buf;
    buf.reserve(std::max<std::size_t>(batch, 1));
    for (const auto& [id, e] : s_.clients) {
      buf.push_back({&e.client, &e.summary});
      flush_if_full(buf, batch, fn);
    }
    if (!buf.empty()) fn(buf);
  }
  void scan_open_deals(const DealBatchFn& fn, std::size_t batch = default_batch) const override {
    std::vector<DealView> buf;
    for (const auto& [id, d] : s_.deals) {
      if (!d.is_open()) continue;
      buf.push_back(deal_view(d));
      flush_if_full(buf, batch, fn);
    }
    if (!buf.empty()) fn(buf);
  }
  void scan_unpaid_invoices(const InvoiceBatchFn& fn, std::size_t batch = default_batch) const override {
    std::vector<Invoice> buf;
    for (const auto& [id, i] : s_.invoices) {
      if (i.is_paid()) continue;
      buf.push_back(i);
      flush_if_full(buf, batch, fn);
    }
    if (!buf.empty()) fn(buf);
  }
  void scan_open_tasks(const TaskBatchFn& fn, std::size_t batch = default_batch) const override {
    std::vector<Task> buf;
    for (const auto& [id, t] : s_.tasks) {
      if (!t.open()) continue;
      buf.push_back(t);
      flush_if_full(buf, batch, fn);
    }
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
  template <class Map, class Key>
  static std::optional<typename Map::mapped_type> get(const Map& m, Key k) {
    auto it = m.find(k);
    return it == m.end() ? std::nullopt : std::optional<typename Map::mapped_type>(it->second);
  }
  template <class Buf, class Fn>
  static void flush_if_full(Buf& buf, std::size_t batch, const Fn& fn) {
    if (buf.size() >= std::max<std::size_t>(batch, 1)) {
      fn(std::span<const typename Buf::value_type>(buf));
      buf.clear();
    }
  }
  /// An open deal with its tasks: how many are open, when the last one closed.
  DealView deal_view(const Deal& d) const {
    auto it = s_.deal_open_tasks.find(d.id);
    DealView v{&d, it == s_.deal_open_tasks.end() ? 0 : it->second, std::nullopt};
    if (auto dt = s_.deal_tasks.find(d.id); dt != s_.deal_tasks.end())
      for (auto tid : dt->second) {
        const auto& t = s_.tasks.at(tid);
        if (!t.open() && t.closed && (!v.last_task_closed || *t.closed > *v.last_task_closed))
          v.last_task_closed = t.closed;
      }
    return v;
  }
  const ClientEntry* entry(ClientId c) const {
    auto it = s_.clients.find(c);
    return it == s_.clients.end() ? nullptr : &it->second;
  }
  ClientEntry* entry(ClientId c) {
    auto it = s_.clients.find(c);
    return it == s_.clients.end() ? nullptr : &it->second;
  }
  void rebuild_summary(ClientId c) {
    auto* e = entry(c);
    if (!e) return;
    ClientSummary s;
    for (const auto& a : e->activities) s.add(a);
    for (auto id : e->tasks) s.add(s_.tasks.at(id));
    for (auto id : e->deals) s.add(s_.deals.at(id));
    for (auto id : e->invoices) s.add(s_.invoices.at(id));
    e->summary = std::move(s);
  }
  template <class IdT>
  static void link(std::vector<IdT>& v, IdT id) {
    auto it = std::lower_bound(v.begin(), v.end(), id);
    if (it == v.end() || *it != id) v.insert(it, id);
  }
  template <class IdT>
  static void unlink(std::vector<IdT>& v, IdT id) {
    auto it = std::lower_bound(v.begin(), v.end(), id);
    if (it != v.end() && *it == id) v.erase(it);
  }
  void count_deal_task(const Task& t, int delta) {
    if (t.deal) {
      auto& v = s_.deal_tasks[*t.deal];
      if (delta > 0) link(v, t.id);
      else unlink(v, t.id);
      if (v.empty()) s_.deal_tasks.erase(*t.deal);
    }
    if (t.open() && t.deal) {
      auto& n = s_.deal_open_tasks[*t.deal];
      n += delta;
      if (n == 0) s_.deal_open_tasks.erase(*t.deal);
    }
  }

  // Replaces an entity in one of the id->entity maps with client back-links;
  // returns an undo closure.
  template <class IdT, class T>
  std::function<void()> replace(std::map<IdT, T>& map, std::vector<IdT> ClientEntry::*links, const T& v) {
    std::optional<T> old = get(map, v.id);
    auto apply = [this, &map, links](const std::optional<T>& before, const std::optional<T>& after, IdT id) {
      if (before)
        if (auto* e = entry(before->client)) {
          unlink(e->*links, id);
          if constexpr (std::is_same_v<T, Task>) count_deal_task(*before, -1);
        }
      if (after) {
        map[id] = *after;
        if (auto* e = entry(after->client)) link(e->*links, id);
        if constexpr (std::is_same_v<T, Task>) count_deal_task(*after, +1);
      } else {
        map.erase(id);
      }
      if (before) rebuild_summary(before->client);
      if (after && (!before || before->client != after->client)) rebuild_summary(after->client);
    };
    apply(old, v, v.id);
    return [apply, old, v]() { apply(std::optional<T>(v), old, v.id); };
  }

  class Work final : public UnitOfWork {
  public:
    explicit Work(MemoryStorage& s) : UnitOfWork(s), s_(s) { s_.open_ = true; }
    ~Work() override {
      if (done_) return;
      for (auto it = undo_.rbegin(); it != undo_.rend(); ++it) (*it)();
      for (auto c : stale_) s_.rebuild_summary(c);  // once per client, not once per undone activity
      s_.open_ = false;
    }

  protected:
    void do_put_manager(const Manager& m) override {
      auto old = get(s_.s_.managers, m.id);
      s_.s_.managers[m.id] = m;
      undo_.push_back([this, old, id = m.id] {
        if (old) s_.s_.managers[id] = *old;
        else s_.s_.managers.erase(id);
      });
    }
    void do_put_client(const Client& c) override {
      auto& clients = s_.s_.clients;
      auto it = clients.find(c.id);
      if (it == clients.end()) {
        clients.emplace(c.id, ClientEntry{c, {}, {}, {}, {}, {}});
        undo_.push_back([this, id = c.id] { s_.s_.clients.erase(id); });
      } else {
        Client old = it->second.client;
        it->second.client = c;
        undo_.push_back([this, old] { s_.s_.clients.at(old.id).client = old; });
      }
    }
    void do_add_activity(const Activity& a) override {
      auto* e = s_.entry(a.client);
      auto pos = std::upper_bound(e->activities.begin(), e->activities.end(), a, [](const Activity& x, const Activity& y) {
        return std::pair(x.at, x.id) < std::pair(y.at, y.id);
      });
      e->activities.insert(pos, a);
      e->summary.add(a);
      s_.s_.activity_index.emplace(a.id, a.client);
      undo_.push_back([this, a] {
        // Kept sorted by (time, id): find it by binary search (undoing a big
        // import must not cost a pass over the client's activities per row).
        auto* en = s_.entry(a.client);
        auto it = std::lower_bound(en->activities.begin(), en->activities.end(), a,
                                   [](const Activity& x, const Activity& y) {
                                     return std::pair(x.at, x.id) < std::pair(y.at, y.id);
                                   });
        if (it != en->activities.end() && it->id == a.id) en->activities.erase(it);
        s_.s_.activity_index.erase(a.id);
        stale_.insert(a.client);
      });
    }
    void do_put_task(const Task& t) override {
      undo_.push_back(s_.replace(s_.s_.tasks, &ClientEntry::tasks, t));
      if (t.id.value() > s_.s_.last_task_id) {
        auto old = s_.s_.last_task_id;
        s_.s_.last_task_id = t.id.value();
        undo_.push_back([this, old] { s_.s_.last_task_id = old; });
      }
    }
    void do_put_deal(const Deal& d) override { undo_.push_back(s_.replace(s_.s_.deals, &ClientEntry::deals, d)); }
    void do_put_invoice(const Invoice& i) override {
      undo_.push_back(s_.replace(s_.s_.invoices, &ClientEntry::invoices, i));
    }
    TaskId do_next_task_id() override { return TaskId{s_.s_.last_task_id + 1}; }
    void do_set_label(SubjectRef subject, const std::string& label, const std::string& note) override {
      auto& labels = labels_of(subject);
      std::optional<std::string> old;
      if (auto it = labels.find(label); it != labels.end()) old = it->second;
      labels[label] = note;
      undo_.push_back([this, subject, label, old] { restore_label(subject, label, old); });
    }
    void do_clear_label(SubjectRef subject, const std::string& label) override {
      if (subject.kind == SubjectKind::client ? !s_.entry(ClientId{subject.id})
                                              : !s_.s_.deals.count(DealId{subject.id}))
        return;
      auto& labels = labels_of(subject);
      auto it = labels.find(label);
      if (it == labels.end()) return;
      std::optional<std::string> old = it->second;
      labels.erase(it);
      undo_.push_back([this, subject, label, old] { restore_label(subject, label, old); });
    }
    bool do_claim_action(std::string_view key, Instant at) override {
      auto [it, inserted] = s_.s_.actions.emplace(std::string(key), at);
      if (inserted) undo_.push_back([this, k = std::string(key)] { s_.s_.actions.erase(k); });
      return inserted;
    }
    void do_append_audit(const AuditRecord& r) override {
      s_.s_.audit.push_back(r);
      undo_.push_back([this] { s_.s_.audit.pop_back(); });
    }
    void do_enqueue(const Message& m) override {
      s_.s_.outbox.push_back({m, {}});
      s_.s_.outbox_index.emplace(m.key, s_.s_.outbox.size() - 1);
      undo_.push_back([this, key = m.key] {
        s_.s_.outbox_index.erase(key);
        s_.s_.outbox.pop_back();
      });
    }
    void do_record_delivery(std::string_view key, const DeliveryState& state) override {
      const std::size_t i = s_.s_.outbox_index.at(std::string(key));
      DeliveryState old = std::exchange(s_.s_.outbox[i].state, state);
      // by position: a later enqueue in this unit may move the vector's elements
      undo_.push_back([this, i, old] { s_.s_.outbox[i].state = old; });
    }
    void do_commit() override {
      done_ = true;
      undo_.clear();
      s_.open_ = false;  // a committed unit is finished; the next may begin
    }

  private:
    std::map<std::string, std::string>& labels_of(SubjectRef s) {
      if (s.kind == SubjectKind::client) return s_.entry(ClientId{s.id})->client.labels;
      return s_.s_.deals.at(DealId{s.id}).labels;
    }
    void restore_label(SubjectRef subject, const std::string& label, const std::optional<std::string>& old) {
      auto& labels = labels_of(subject);
      if (old) labels[label] = *old;
      else labels.erase(label);
    }

    MemoryStorage& s_;
    std::vector<std::function<void()>> undo_;
    std::set<ClientId> stale_;  ///< clients whose summary a rollback must rebuild
    bool done_ = false;
  };

  State s_;
  bool open_ = false;
};

}  // namespace nudge
