#pragma once
/// @file
/// Engine::evaluate: every assistant's test over the whole store, as numbers
/// (Hit) without words, on one or more threads. What a nightly job or a
/// dashboard needs when it wants the findings' figures and not the plan's
/// actions and explanations; also what the benchmark compares with the
/// hand-written SQL.

#include <algorithm>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <span>
#include <thread>
#include <unordered_map>
#include <vector>

#include <nudge/engine/balance.hpp>
#include <nudge/engine/client_index.hpp>
#include <nudge/engine/plan.hpp>
#include <nudge/progress.hpp>
#include <nudge/rules/assistant.hpp>
#include <nudge/storage/storage.hpp>

namespace nudge {

/// How Engine::evaluate runs.
struct EvaluateOptions {
  /// Threads that test subjects (1 = the calling thread only). Results do not
  /// depend on it: every thread tests a fixed slice of each batch, and the
  /// slices are joined in order.
  unsigned threads = 1;
  /// Rows per scan batch.
  std::size_t batch = 16384;
  /// Hears about each batch; returning false stops with nudge::cancelled.
  ProgressFn progress;
};

/// The result of Engine::evaluate: the hits of every assistant at `now`, and
/// the forecast.
struct Evaluation {
  Instant now{};
  /// Assistant ids, in the engine's order (Hit::assistant indexes this).
  std::vector<std::string> assistants;
  /// Grouped by assistant (in the engine's order), then in scan order
  /// (ascending subject id).
  std::vector<Hit> hits;
  /// Open pipeline per owner and currency, ascending.
  std::vector<ForecastRow> forecast;

  /// The hits of one assistant (empty when there is none with that id).
  [[nodiscard]] std::span<const Hit> of(std::string_view assistant) const {
    auto it = std::find(assistants.begin(), assistants.end(), assistant);
    if (it == assistants.end()) return {};
    const auto i = static_cast<std::uint32_t>(it - assistants.begin());
    auto lo = std::partition_point(hits.begin(), hits.end(), [&](const Hit& h) { return h.assistant < i; });
    auto hi = std::partition_point(lo, hits.end(), [&](const Hit& h) { return h.assistant <= i; });
    return {&*lo, static_cast<std::size_t>(hi - lo)};
  }
};

namespace detail {

/// Runs fn(slice) for slice 0..n-1, slice 0 on the calling thread and the
/// others on n-1 threads kept for the pool's life. Exceptions from any slice
/// are rethrown to the caller (the first one).
class SlicePool {
public:
  explicit SlicePool(unsigned n) : n_(std::max(1u, n)) {
    for (unsigned i = 1; i < n_; ++i) threads_.emplace_back([this, i] { work(i); });
  }
  SlicePool(const SlicePool&) = delete;
  SlicePool& operator=(const SlicePool&) = delete;
  ~SlicePool() {
    {
      std::lock_guard lock(m_);
      stop_ = true;
    }
    go_.notify_all();
    for (auto& t : threads_) t.join();
  }

  [[nodiscard]] unsigned size() const { return n_; }

  void run(const std::function<void(unsigned)>& fn) {
    if (n_ == 1) return fn(0);
    {
      std::lock_guard lock(m_);
      job_ = &fn;
      pending_ = n_ - 1;
      error_ = nullptr;
      ++generation_;
    }
    go_.notify_all();
    std::exception_ptr mine;
    try {
      fn(0);
    } catch (...) {
      mine = std::current_exception();
    }
    std::unique_lock lock(m_);
    done_.wait(lock, [&] { return pending_ == 0; });
    job_ = nullptr;
    if (mine) std::rethrow_exception(mine);
    if (error_) std::rethrow_exception(error_);
  }

  /// run() over [0, n) cut into size() slices of equal length: fn(slice,
  /// begin, end) for each.
  template <class Fn>
  void run_slices(std::size_t n, const Fn& fn) {
    run([&](unsigned s) { fn(s, n * s / n_, n * (s + 1) / n_); });
  }

private:
  void work(unsigned slice) {
    std::uint64_t seen = 0;
    for (;;) {
      const std::function<void(unsigned)>* job = nullptr;
      {
        std::unique_lock lock(m_);
        go_.wait(lock, [&] { return stop_ || generation_ != seen; });
        if (stop_) return;
        seen = generation_;
        job = job_;
      }
      std::exception_ptr e;
      try {
        (*job)(slice);
      } catch (...) {
        e = std::current_exception();
      }
      std::lock_guard lock(m_);
      if (e && !error_) error_ = e;
      if (--pending_ == 0) done_.notify_one();
    }
  }

  unsigned n_;
  std::vector<std::thread> threads_;
  std::mutex m_;
  std::condition_variable go_, done_;
  const std::function<void(unsigned)>* job_ = nullptr;
  unsigned pending_ = 0;
  std::uint64_t generation_ = 0;
  bool stop_ = false;
  std::exception_ptr error_;
};

/// One evaluation: scans the store once per feed, tests each subject with the
/// assistants of that feed, in slices of each batch on the pool's threads.
class Evaluator {
public:
  Evaluator(const std::unordered_map<std::string, Pipeline>& pipelines,
            const std::vector<std::shared_ptr<const Assistant>>& assistants, const BusinessCalendar& calendar,
            const Storage& store, Instant now, const EvaluateOptions& options)
      : assistants_(assistants), store_(store), options_(options), pool_(options.threads) {
    for (auto& m : store.managers()) managers_.emplace(m.id, std::move(m));
    ctx_.now = now;
    ctx_.calendar = &calendar;
    ctx_.store = &store;
    ctx_.managers = &managers_;
    ctx_.pipelines = &pipelines;
    ctx_.client = [this](ClientId id) { return lookup(id); };
    today_ = calendar.local_date(now);
    stable_ = store.stable_views();
    contacts_ = ClientIndex::wants_contacts(stable_, assistants);
    for (std::size_t i = 0; i < assistants.size(); ++i) {
      by_feed_[static_cast<int>(assistants[i]->feed())].push_back(i);
      if (assistants[i]->release_policy()) releases_ = true;
    }
    out_.now = now;
    for (const auto& a : assistants) out_.assistants.push_back(a->id());
  }

  Evaluation run() {
    const auto slices = pool_.size();
    buffers_.assign(slices, std::vector<HitBuffer>(assistants_.size()));
    chunks_.resize(assistants_.size());
    scan_clients();
    scan_deals();
    scan_invoices();
    scan_tasks();
    group();
    propose_owners();
    out_.forecast = forecast_.rows();
    return std::move(out_);
  }

private:
  const ClientInfo* lookup(ClientId id) const { return index_.find(id); }

  /// Splits [0, n) into the pool's slices and runs fn(slice's buffers, begin,
  /// end) on each, then keeps each slice's hits, per assistant, in slice order.
  /// `after`, when given, runs on the calling thread once its slice is done,
  /// while the other slices may still run: work of the batch that must run
  /// in order on one thread. With `lighter`, the calling thread's slice is
  /// half as long as each other one (with two threads, a third of the
  /// batch), for an `after` about half as long as a slice's tests: a fixed
  /// split, so the results do not depend on timing.
  template <class Fn>
  void sliced(std::size_t n, Fn&& fn, const std::function<void()>& after = {}, bool lighter = false) {
    const unsigned k = pool_.size();
    // Slice s covers [n * bound(s) / parts, n * bound(s + 1) / parts): one
    // part for slice 0 and two for each other one when lighter.
    lighter = lighter && k > 1 && after;
    const std::size_t parts = lighter ? 2 * k - 1 : k;
    auto bound = [&](unsigned s) -> std::size_t { return lighter && s > 0 ? 2 * s - 1 : s; };
    const std::function<void(unsigned)> job = [&](unsigned s) {
      const std::size_t b = n * bound(s) / parts, e = n * bound(s + 1) / parts;
      fn(buffers_[s], b, e);
      if (s == 0 && after) after();
    };
    pool_.run(job);
    // Each slice's hits of an assistant are kept as they are (a chunk, in
    // scan order) and copied once, by group(): no copy into a growing vector
    // in between.
    for (auto& per_assistant : buffers_)
      for (std::size_t a = 0; a < per_assistant.size(); ++a) {
        auto& buf = per_assistant[a];
        if (buf.empty()) continue;
        // Chunks of 64 KiB and more are mapped (most at L): freed, they go
        // back to the system. Smaller ones are not forced to a mapping, so a
        // store of many batches and assistants does not pile up mappings.
        const auto cap = buf.capacity();
        chunks_[a].push_back(std::move(buf));
        buf = {};
        buf.reserve(cap);
      }
  }

  void tick(std::string_view stage, std::uint64_t done, std::uint64_t total) {
    detail::report(options_.progress, "evaluate", {stage, done, total});
  }

  void scan_clients() {
    const auto& feed = by_feed_[0];
    // The client count sizes the index once (ClientIndex::reserve; at L, a
    // second evaluate peaked 37 MB higher with the rows grown by doubling).
    const std::uint64_t total = store_.client_count();
    index_.reserve(total, contacts_);
    store_.scan_clients(
        [&](std::span<const ClientView> views) {
          tick("clients", index_.size(), total);
          auto& rows = index_.rows();
          const std::size_t base = rows.size();
          rows.resize(base + views.size());
          sliced(views.size(), [&](std::vector<HitBuffer>& out, std::size_t b, std::size_t e) {
            for (std::size_t j = b; j < e; ++j) {
              const auto& v = views[j];
              const Client& c = *v.client;
              rows[base + j] = {c.id, c.owner, c.kind, stable_ ? &c : nullptr, stable_ ? v.summary : nullptr};
              for (auto i : feed) {
                if (!assistants_[i]->scope().matches(c)) continue;
                Hit h;
                if (assistants_[i]->test(ctx_, v, h)) {
                  h.assistant = static_cast<std::uint32_t>(i);
                  out[i].push_back(h);
                }
              }
            }
          }, [&] {
            // Profiles, contact facts and loads: once per client, in order,
            // on this thread while the other slices test. The profiles go
            // to the rows after the slices (which write the rows) are done.
            // Over stable views, only the loads and segment codes are left
            // (about a third of the tests' time at L): this thread's slice
            // is the lighter one.
            if (releases_) index_.segments().resize(base + views.size());
            if (!stable_) profiles_.resize(views.size());
            for (std::size_t j = 0; j < views.size(); ++j) {
              const Client& c = *views[j].client;
              if (!stable_) profiles_[j] = index_.profile(c);
              if (contacts_) index_.set_contacts(base + j, views[j].summary);
              if (releases_) {
                balancer_.count(c);
                index_.segments()[base + j] = index_.segment_code(c.primary_segment());
              }
            }
          }, /*lighter=*/stable_);
          if (!stable_)
            for (std::size_t j = 0; j < views.size(); ++j) rows[base + j].profile = profiles_[j];
        },
        options_.batch);
    index_.seal();
    tick("clients", index_.size(), total);
  }

  void scan_deals() {
    const auto& feed = by_feed_[1];
    std::uint64_t seen = 0;
    store_.scan_open_deals(
        [&](std::span<const DealView> views) {
          tick("deals", seen, 0);
          seen += views.size();
          known_.assign(views.size(), 0);
          sliced(views.size(), [&](std::vector<HitBuffer>& out, std::size_t b, std::size_t e) {
            for (std::size_t j = b; j < e; ++j) {
              // The deals of a batch and their clients' rows lie anywhere:
              // load the deal eight ahead, its client four ahead.
              if (j + 8 < e) __builtin_prefetch(views[j + 8].deal);
              if (j + 4 < e) index_.prefetch(views[j + 4].deal->client);
              const auto& v = views[j];
              const auto* info = lookup(v.deal->client);
              if (!info) continue;
              known_[j] = 1;
              for (auto i : feed) {
                const auto& sc = assistants_[i]->scope();
                if (!sc.matches(*info->profile) || !sc.matches_pipeline(v.deal->pipeline)) continue;
                Hit h;
                if (assistants_[i]->test(ctx_, *info, v, h)) {
                  h.assistant = static_cast<std::uint32_t>(i);
                  out[i].push_back(h);
                }
              }
            }
          });
          // The forecast sums in scan order on this thread (the same sums on
          // any number of threads), over the deals the slices found a client for.
          for (std::size_t j = 0; j < views.size(); ++j)
            if (known_[j]) forecast_.add(*views[j].deal);
        },
        options_.batch);
    tick("deals", seen, 0);
  }

  template <class Row, class Scan>
  void scan_subjects(int feed_index, std::string_view stage, Scan scan) {
    const auto& feed = by_feed_[feed_index];
    std::uint64_t seen = 0;
    if (feed.empty()) return;
    scan(
        [&](std::span<const Row> rows) {
          tick(stage, seen, 0);
          seen += rows.size();
          sliced(rows.size(), [&](std::vector<HitBuffer>& out, std::size_t b, std::size_t e) {
            for (std::size_t j = b; j < e; ++j) {
              if (j + 4 < e) index_.prefetch(rows[j + 4].client);  // its client's row lies anywhere
              const auto& r = rows[j];
              const auto* info = lookup(r.client);
              if (!info) continue;
              for (auto i : feed) {
                if (!assistants_[i]->scope().matches(*info->profile)) continue;
                Hit h;
                if (assistants_[i]->test(ctx_, *info, r, h)) {
                  h.assistant = static_cast<std::uint32_t>(i);
                  out[i].push_back(h);
                }
              }
            }
          });
        });
    tick(stage, seen, 0);
  }

  void scan_invoices() {
    scan_subjects<Invoice>(2, "invoices", [&](const auto& fn) { store_.scan_unpaid_invoices(fn, options_.batch); });
  }
  void scan_tasks() {
    scan_subjects<Task>(3, "tasks", [&](const auto& fn) { store_.scan_open_tasks(fn, options_.batch); });
  }

  /// Joins the hits, by assistant and in scan order within each. The result
  /// is reserved, not filled, and each chunk is freed once copied (its pages
  /// go back to the system: MappedAllocator): the hits are held about once,
  /// not twice, at the peak.
  void group() {
    std::size_t total = 0;
    for (const auto& per_assistant : chunks_)
      for (const auto& chunk : per_assistant) total += chunk.size();
    out_.hits.reserve(total);
    advise_huge_pages(out_.hits.data(), total * sizeof(Hit));
    ranges_.assign(assistants_.size() + 1, 0);
    for (std::size_t a = 0; a < chunks_.size(); ++a) {
      ranges_[a] = out_.hits.size();
      for (auto& chunk : chunks_[a]) {
        out_.hits.insert(out_.hits.end(), chunk.begin(), chunk.end());
        HitBuffer().swap(chunk);  // freed now (`chunk = {}` would keep its capacity)
      }
    }
    ranges_.back() = out_.hits.size();
    chunks_ = {};
  }

  /// Release hits get the manager a plan would hand the client to, in the
  /// order a plan hands them over (assistant, then client id).
  void propose_owners() {
    if (!releases_) return;
    for (std::size_t a = 0; a < assistants_.size(); ++a) {
      const auto* policy = assistants_[a]->release_policy();
      if (!policy) continue;
      // A client feed's hits come in ascending client order, as the rows do:
      // a walk along the rows finds them (a lookup for any that do not).
      const auto& rows = index_.rows();
      std::size_t cursor = 0;
      for (std::size_t k = ranges_[a]; k < ranges_[a + 1]; ++k) {
        auto& h = out_.hits[k];
        const ClientInfo* info = nullptr;
        if (cursor < rows.size() && !(h.client < rows[cursor].id)) {
          while (cursor < rows.size() && rows[cursor].id < h.client) ++cursor;
          if (cursor < rows.size() && rows[cursor].id == h.client) info = &rows[cursor];
        } else {
          info = lookup(h.client);
        }
        if (!info || !info->profile) continue;
        const auto row = static_cast<std::size_t>(info - rows.data());
        const ManagerId from = info->owner.valid() ? info->owner : h.owner;
        const auto pick = balancer_.pick(*policy, index_.segment_name(index_.segments()[row]), from);
        if (!pick.best) continue;
        h.to = pick.best->id;
        balancer_.assign(*policy, *info->profile, from, h.to);
      }
    }
  }

  const std::vector<std::shared_ptr<const Assistant>>& assistants_;
  const Storage& store_;
  const EvaluateOptions& options_;
  SlicePool pool_;
  std::unordered_map<ManagerId, Manager> managers_;
  Context ctx_;
  Date today_{};
  bool stable_ = false;
  bool contacts_ = false;  ///< ClientIndex::wants_contacts
  bool releases_ = false;
  std::vector<std::size_t> by_feed_[4];
  ClientIndex index_;
  using HitBuffer = std::vector<Hit, MappedAllocator<Hit>>;
  std::vector<std::vector<HitBuffer>> buffers_;  ///< per slice, per assistant
  std::vector<char> known_;  ///< per deal of the current batch: its client is in the index
  std::vector<const Client*> profiles_;  ///< per client of the current batch, when !stable_
  std::vector<std::vector<HitBuffer>> chunks_;  ///< per assistant, the slices' hits, batch by batch, in scan order
  std::vector<std::size_t> ranges_;       ///< after group(): assistant i's hits are [ranges_[i], ranges_[i+1])
  Balancer balancer_{managers_, today_};
  ForecastTally forecast_;
  Evaluation out_;
};

}  // namespace detail

}  // namespace nudge
