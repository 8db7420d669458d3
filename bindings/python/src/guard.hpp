#pragma once
// A read-only decorator of a Storage that the bindings hand to Engine.plan:
// it checks for pending signals (Ctrl-C) between scan batches and every few
// lookups, so a KeyboardInterrupt stops a long plan within milliseconds. It
// also remembers the Python object of the store, so a Python assistant sees
// the store it was given (ctx.store), not this wrapper.
//
// Engine.evaluate and Watch may run with the GIL released (a C++ store) and on
// several threads: made with `Released`, the guard then checks for signals only
// on the thread that armed it, taking the GIL for the check, counts lookups
// atomically, keeps the caller's batch size, and (several threads) lets go of
// the GIL around each batch a Python storage hands over, so the worker threads
// can call Python assistants or the storage without deadlocking.

#include "common.hpp"

#include <algorithm>
#include <atomic>
#include <thread>

#include <nudge/notify/outbox.hpp>
#include <nudge/storage/forwarding.hpp>
#include <nudge/storage/storage.hpp>

namespace nudge::bindings {

// The reads it does not check are forwarded by ForwardingStorage, the
// optional ones included (visit_clients, has_actions, ...): the engine then
// takes the inner store's fast paths, not the port's defaults.
class GuardedStorage : public ForwardingStorage {
public:
  /// Scans pass at most this many rows between two checks.
  static constexpr std::size_t check_batch = 1024;

  GuardedStorage(const Storage& inner, py::object owner)
      : ForwardingStorage(inner, ReadOnly{}), owner_(std::move(owner)) {}

  /// How a guard that may run without the GIL behaves (Engine.evaluate, Watch).
  struct Released {
    /// Several threads test subjects: let go of the GIL around a batch's callback.
    bool release_batches = false;
  };
  GuardedStorage(const Storage& inner, py::object owner, Released r)
      : ForwardingStorage(inner, ReadOnly{}), owner_(std::move(owner)), released_(true),
        release_batches_(r.release_batches),
        thread_(std::this_thread::get_id()) {}

  /// Released guards: signals are checked on the calling thread only (call
  /// before each top-level operation, with the GIL held).
  void arm() { thread_ = std::this_thread::get_id(); }

  [[nodiscard]] const py::object& owner() const { return owner_; }

  /// Raises the pending Python exception (KeyboardInterrupt) as a C++ exception.
  static void check_signals() {
    if (PyErr_CheckSignals() != 0) throw py::error_already_set();
  }

  std::optional<Client> find_client(ClientId id) const override { tick(); return inner().find_client(id); }
  std::optional<Deal> find_deal(DealId id) const override { tick(); return inner().find_deal(id); }
  std::optional<ClientSummary> summary_of(ClientId id) const override { tick(); return inner().summary_of(id); }
  std::vector<Activity> activities_of(ClientId c, Instant since) const override {
    tick();
    return inner().activities_of(c, since);
  }
  bool visit_client(ClientId id, const ClientSubjectsFn& fn) const override {
    tick();
    return inner().visit_client(id, fn);
  }
  void visit_clients(std::span<const ClientId> ids, const ClientsVisitFn& fn,
                     std::span<const Parts> parts = {}) const override {
    poll();
    inner().visit_clients(ids, fn, parts);
  }

  void scan_clients(const ClientBatchFn& fn, std::size_t batch) const override {
    poll();
    inner().scan_clients([&](std::span<const ClientView> b) { poll(); pass(fn, b); }, small(batch));
  }
  void scan_open_deals(const DealBatchFn& fn, std::size_t batch) const override {
    poll();
    inner().scan_open_deals([&](std::span<const DealView> b) { poll(); pass(fn, b); }, small(batch));
  }
  void scan_unpaid_invoices(const InvoiceBatchFn& fn, std::size_t batch) const override {
    poll();
    inner().scan_unpaid_invoices([&](std::span<const Invoice> b) { poll(); pass(fn, b); }, small(batch));
  }
  void scan_open_tasks(const TaskBatchFn& fn, std::size_t batch) const override {
    poll();
    inner().scan_open_tasks([&](std::span<const Task> b) { poll(); pass(fn, b); }, small(batch));
  }

  bool has_action(std::string_view key) const override { tick(); return inner().has_action(key); }
  std::vector<bool> has_actions(std::span<const std::string_view> keys) const override {
    tick();
    return inner().has_actions(keys);
  }
  std::vector<OutboxEntry> due_messages(Instant now, std::size_t limit) const override {
    check_signals();
    return inner().due_messages(now, limit);
  }

protected:
  std::unique_ptr<UnitOfWork> do_begin() override { throw conflict("plan: the store is read-only during a plan"); }

private:
  /// A plan's scans pass at most check_batch rows between two checks; a
  /// released guard keeps the caller's batch (evaluate's threads share it out).
  std::size_t small(std::size_t batch) const {
    return released_ ? std::max<std::size_t>(batch, 1) : std::clamp<std::size_t>(batch, 1, check_batch);
  }
  void tick() const {
    if (calls_.fetch_add(1, std::memory_order_relaxed) % check_batch == check_batch - 1) poll();
  }
  /// check_signals, as this guard may: a released guard only on the armed
  /// thread, taking the GIL if it does not hold it.
  void poll() const {
    if (!released_) return check_signals();
    if (std::this_thread::get_id() != thread_) return;
    if (PyGILState_Check()) return check_signals();
    py::gil_scoped_acquire gil;
    check_signals();
  }
  template <class Fn, class Batch>
  void pass(const Fn& fn, Batch b) const {
    if (release_batches_ && PyGILState_Check()) {
      py::gil_scoped_release nogil;
      fn(b);
    } else {
      fn(b);
    }
  }

  py::object owner_;
  bool released_ = false;
  bool release_batches_ = false;
  std::thread::id thread_{};
  mutable std::atomic<std::size_t> calls_{0};
};

/// Whether `s` is a storage written in Python (a subclass of nudge.Storage):
/// it needs the GIL for every call, so the engine holds it (storage.cpp).
bool is_python_storage(const Storage& s);

}  // namespace nudge::bindings
