// The conformance kit against the in-memory adapter (the reference), and
// against deliberately broken adapters to show each kind of check can fail.

#include <doctest/doctest.h>

#include <algorithm>

#include <nudge/storage/conformance.hpp>
#include <nudge/storage/forwarding.hpp>
#include <nudge/storage/memory_storage.hpp>

// Own namespace: the tests build as a unity build.
namespace nudge_storage_test_conformance_memory {

NUDGE_STORAGE_CONFORMANCE("memory", [] { return std::make_unique<nudge::MemoryStorage>(); });

/// A ForwardingStorage that owns what it forwards to (constructed first).
struct OwnedInner {
  std::unique_ptr<nudge::MemoryStorage> inner = std::make_unique<nudge::MemoryStorage>();
};
struct Forwarded : private OwnedInner, public nudge::ForwardingStorage {
  Forwarded() : ForwardingStorage(*OwnedInner::inner) {}
};
// A decorator that overrides nothing is the storage it wraps.
NUDGE_STORAGE_CONFORMANCE("forwarding", [] { return std::make_unique<Forwarded>(); });

namespace {

using namespace nudge;

/// What a mutant gets wrong.
enum class Fault {
  none,
  scan_ignores_batch,     // scan_clients hands out everything in one batch
  since_exclusive,        // activities_of drops activities exactly at `since`
  stale_summary,          // scan_clients reports no open tasks
  rollback_commits,       // a unit destroyed without commit() commits
  claims_twice,           // claim_action always says "claimed"
  drops_holds,            // find_deal loses the holds
  tasks_descending,       // scan_open_tasks in descending id order
  audit_ignores_subject,  // audit_log(subject) returns everything
  reuses_task_ids,        // create_task hands out id 1 every time
  counts_closed_tasks,    // DealView.open_tasks counts every linked task
  fact_as_int,            // a whole double fact comes back as an int64
  due_ignores_not_before, // due_messages hands out messages before their not_before
  actions_deduplicated,   // has_actions answers each distinct key once (sorted), not one bool per key
  batch_loses_last,       // add_activities adds all but the batch's last activity
};

/// MemoryStorage behind a forwarding adapter with one fault injected.
class Mutant final : public Storage {
public:
  explicit Mutant(Fault f) : fault_(f) {}

  std::optional<Client> find_client(ClientId id) const override { return inner_.find_client(id); }
  std::optional<Manager> find_manager(ManagerId id) const override { return inner_.find_manager(id); }
  std::optional<Task> find_task(TaskId id) const override { return inner_.find_task(id); }
  std::optional<Deal> find_deal(DealId id) const override {
    auto d = inner_.find_deal(id);
    if (d && fault_ == Fault::drops_holds) d->holds.clear();
    return d;
  }
  std::optional<Invoice> find_invoice(InvoiceId id) const override { return inner_.find_invoice(id); }
  bool has_activity(ActivityId id) const override { return inner_.has_activity(id); }
  std::vector<Manager> managers() const override { return inner_.managers(); }
  std::vector<ClientId> clients_of(ManagerId m) const override { return inner_.clients_of(m); }
  std::vector<Activity> activities_of(ClientId c, Instant since) const override {
    auto v = inner_.activities_of(c, since);
    if (fault_ == Fault::since_exclusive) std::erase_if(v, [&](const Activity& a) { return a.at == since; });
    return v;
  }
  std::vector<Task> tasks_of(ClientId c, bool open_only) const override { return inner_.tasks_of(c, open_only); }
  std::vector<Deal> deals_of(ClientId c) const override { return inner_.deals_of(c); }
  std::vector<Invoice> invoices_of(ClientId c) const override { return inner_.invoices_of(c); }

  void scan_clients(const ClientBatchFn& fn, std::size_t batch) const override {
    if (fault_ == Fault::scan_ignores_batch) batch = default_batch;
    if (fault_ != Fault::stale_summary) return inner_.scan_clients(fn, batch);
    inner_.scan_clients(
        [&](std::span<const ClientView> b) {
          std::vector<ClientSummary> sums;
          for (const auto& v : b) sums.push_back(*v.summary);
          std::vector<ClientView> views;
          for (std::size_t i = 0; i < b.size(); ++i) {
            sums[i].open_tasks = 0;
            views.push_back({b[i].client, &sums[i]});
          }
          fn(views);
        },
        batch);
  }
  void scan_open_deals(const DealBatchFn& fn, std::size_t batch) const override {
    if (fault_ != Fault::counts_closed_tasks) return inner_.scan_open_deals(fn, batch);
    inner_.scan_open_deals(
        [&](std::span<const DealView> b) {
          std::vector<DealView> views(b.begin(), b.end());
          for (auto& v : views) {
            v.open_tasks = 0;
            for (const auto& t : inner_.tasks_of(v.deal->client, false)) v.open_tasks += t.deal == v.deal->id;
          }
          fn(views);
        },
        batch);
  }
  void scan_unpaid_invoices(const InvoiceBatchFn& fn, std::size_t batch) const override {
    inner_.scan_unpaid_invoices(fn, batch);
  }
  void scan_open_tasks(const TaskBatchFn& fn, std::size_t batch) const override {
    if (fault_ != Fault::tasks_descending) return inner_.scan_open_tasks(fn, batch);
    std::vector<Task> all;
    inner_.scan_open_tasks([&](std::span<const Task> b) { all.insert(all.end(), b.begin(), b.end()); });
    std::reverse(all.begin(), all.end());
    for (std::size_t i = 0; i < all.size(); i += batch)
      fn(std::span<const Task>(all).subspan(i, std::min(batch, all.size() - i)));
  }

  bool has_action(std::string_view key) const override { return inner_.has_action(key); }
  std::vector<bool> has_actions(std::span<const std::string_view> keys) const override {
    if (fault_ != Fault::actions_deduplicated) return inner_.has_actions(keys);
    std::vector<std::string_view> distinct(keys.begin(), keys.end());
    std::sort(distinct.begin(), distinct.end());
    distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
    return inner_.has_actions(distinct);
  }
  std::vector<AuditRecord> audit_log(std::optional<SubjectRef> subject) const override {
    auto v = inner_.audit_log(fault_ == Fault::audit_ignores_subject ? std::nullopt : subject);
    if (fault_ == Fault::fact_as_int)
      for (auto& r : v)
        for (auto& f : r.facts)
          if (auto* d = std::get_if<double>(&f.value); d && *d == static_cast<double>(static_cast<std::int64_t>(*d)))
            f.value = static_cast<std::int64_t>(*d);
    return v;
  }
  std::vector<Message> outbox() const override { return inner_.outbox(); }
  std::vector<OutboxEntry> outbox_entries() const override { return inner_.outbox_entries(); }
  std::optional<OutboxEntry> find_message(std::string_view key) const override { return inner_.find_message(key); }
  std::vector<OutboxEntry> due_messages(Instant now, std::size_t limit) const override {
    if (fault_ != Fault::due_ignores_not_before) return inner_.due_messages(now, limit);
    std::vector<OutboxEntry> out;
    for (auto& e : inner_.outbox_entries())
      if (out.size() < limit && e.state.status == DeliveryStatus::pending &&
          (!e.state.next_attempt || *e.state.next_attempt <= now))
        out.push_back(std::move(e));
    return out;
  }

protected:
  std::unique_ptr<UnitOfWork> do_begin() override { return std::make_unique<Work>(*this, inner_.begin()); }

private:
  class Work final : public UnitOfWork {
  public:
    Work(Mutant& m, std::unique_ptr<UnitOfWork> inner) : UnitOfWork(m), m_(m), inner_(std::move(inner)) {}
    ~Work() override {
      if (m_.fault_ == Fault::rollback_commits && !inner_->committed()) inner_->commit();
    }

  protected:
    void do_put_manager(const Manager& x) override { inner_->put_manager(x); }
    void do_put_client(const Client& x) override { inner_->put_client(x); }
    void do_add_activity(const Activity& x) override { inner_->add_activity(x); }
    void do_add_activities(std::span<const Activity> xs) override {
      inner_->add_activities(m_.fault_ == Fault::batch_loses_last && !xs.empty() ? xs.first(xs.size() - 1) : xs);
    }
    void do_put_task(const Task& x) override { inner_->put_task(x); }
    void do_put_deal(const Deal& x) override { inner_->put_deal(x); }
    void do_put_invoice(const Invoice& x) override { inner_->put_invoice(x); }
    TaskId do_next_task_id() override {
      return TaskId{m_.fault_ == Fault::reuses_task_ids ? 1 : m_.inner_.state().last_task_id + 1};
    }
    void do_set_label(SubjectRef s, const std::string& l, const std::string& n) override { inner_->set_label(s, l, n); }
    void do_clear_label(SubjectRef s, const std::string& l) override { inner_->clear_label(s, l); }
    bool do_claim_action(std::string_view key, Instant at) override {
      const bool claimed = inner_->claim_action(key, at);
      return m_.fault_ == Fault::claims_twice || claimed;
    }
    void do_append_audit(const AuditRecord& r) override { inner_->append_audit(r); }
    void do_enqueue(const Message& msg) override { inner_->enqueue(msg); }
    void do_record_delivery(std::string_view key, const DeliveryState& st) override { inner_->record_delivery(key, st); }
    void do_commit() override { inner_->commit(); }

  private:
    Mutant& m_;
    std::unique_ptr<UnitOfWork> inner_;
  };

  MemoryStorage inner_;
  Fault fault_;
};

conformance::Factory mutant(Fault f) {
  return [f] { return std::make_unique<Mutant>(f); };
}

}  // namespace

// The forwarding adapter itself conforms; each fault must make its check fail.
NUDGE_STORAGE_CONFORMANCE("forwarding", mutant(Fault::none));

TEST_CASE("storage.conformance.detects.scan_ignores_batch" * doctest::should_fail()) {
  conformance::scan_clients_batches_in_id_order(mutant(Fault::scan_ignores_batch));
}
TEST_CASE("storage.conformance.detects.since_exclusive" * doctest::should_fail()) {
  conformance::activities_since_includes_boundary(mutant(Fault::since_exclusive));
}
TEST_CASE("storage.conformance.detects.stale_summary" * doctest::should_fail()) {
  conformance::summaries_equal_summarize(mutant(Fault::stale_summary));
}
TEST_CASE("storage.conformance.detects.stale_summary_after_updates" * doctest::should_fail()) {
  conformance::summaries_follow_updates(mutant(Fault::stale_summary));
}
TEST_CASE("storage.conformance.detects.rollback_commits" * doctest::should_fail()) {
  conformance::rollback_restores_everything(mutant(Fault::rollback_commits));
}
TEST_CASE("storage.conformance.detects.batch_loses_last" * doctest::should_fail()) {
  conformance::activities_in_a_batch(mutant(Fault::batch_loses_last));
}
TEST_CASE("storage.conformance.detects.claims_twice" * doctest::should_fail()) {
  conformance::claim_action_exactly_once(mutant(Fault::claims_twice));
}
TEST_CASE("storage.conformance.detects.actions_deduplicated" * doctest::should_fail()) {
  conformance::claim_action_exactly_once(mutant(Fault::actions_deduplicated));
}
TEST_CASE("storage.conformance.detects.drops_holds" * doctest::should_fail()) {
  conformance::deals_round_trip(mutant(Fault::drops_holds));
}
TEST_CASE("storage.conformance.detects.tasks_descending" * doctest::should_fail()) {
  conformance::scan_open_tasks_only_open(mutant(Fault::tasks_descending));
}
TEST_CASE("storage.conformance.detects.audit_ignores_subject" * doctest::should_fail()) {
  conformance::audit_order_and_filter(mutant(Fault::audit_ignores_subject));
}
TEST_CASE("storage.conformance.detects.reuses_task_ids" * doctest::should_fail()) {
  conformance::create_task_fresh_ids(mutant(Fault::reuses_task_ids));
}
TEST_CASE("storage.conformance.detects.counts_closed_tasks" * doctest::should_fail()) {
  conformance::scan_open_deals_counts_tasks(mutant(Fault::counts_closed_tasks));
}
TEST_CASE("storage.conformance.detects.fact_as_int" * doctest::should_fail()) {
  conformance::audit_order_and_filter(mutant(Fault::fact_as_int));
}
TEST_CASE("storage.conformance.detects.due_ignores_not_before" * doctest::should_fail()) {
  conformance::due_messages_in_order(mutant(Fault::due_ignores_not_before));
}
}  // namespace nudge_storage_test_conformance_memory
