#pragma once
/// @file
/// Watch: an evaluation kept current as facts change and time passes. After
/// one full evaluation it keeps each client's hits and the client's next
/// deadline (the earliest moment one of its subjects can start to hold, or a
/// hit stops ageing as its test said) filed by the hour; moving to a later `now`
/// tests again only the clients the host touched and those whose deadline
/// fell due. A touch may say what changed (Changed): then only the
/// assistants that read that kind of fact (Assistant::reads) test the client
/// again. Hits whose figures grow with time (the stage SLA's excess) are aged
/// when read, not tested again. Cost: proportional to the changes, not to the
/// base.

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <nudge/engine/engine.hpp>
#include <nudge/engine/evaluate.hpp>
#include <nudge/engine/radix_sort.hpp>
#include <nudge/storage/flat_table.hpp>

namespace nudge {

/// What moving a Watch to a later `now` changed.
///
/// `Hit::seconds` (the stage SLA's time over the limit) is a measure, not an
/// identity: it grows with time and stands still during holds. A hit whose
/// only change is its `seconds` is neither started nor ended, whatever made
/// it change (time alone, a hold added or ended); `hits()` has the current
/// figure. A hit that holds with other figures after an event (a new owner,
/// another amount) is ended with its old figures and started with its new
/// ones. Ended hits carry the figures of the previous move.
struct WatchChanges {
  std::vector<Hit> started;  ///< hits that hold now and did not before (or hold with other figures than `seconds`)
  std::vector<Hit> ended;    ///< hits that held before and no longer do (or now hold with other figures)
  std::size_t clients_tested = 0;
  [[nodiscard]] bool empty() const { return started.empty() && ended.empty(); }
};

/// How a Watch runs.
struct WatchOptions {
  /// Threads that test clients (1 = the calling thread only), kept for the
  /// watch's life. Results do not depend on it: each thread tests a fixed
  /// slice of the clients due, in ascending id, and the slices' changes are
  /// joined in order. The store is read from that many threads at once
  /// (Storage: the engine calls const functions concurrently), and so are the
  /// assistants' tests, as in Engine::evaluate. 0 is taken as 1.
  unsigned threads = 1;
  /// The fewest clients worth a thread: a move with fewer than `threads`
  /// times as many due runs on the calling thread alone (waking a thread
  /// costs about what testing a few dozen clients does). 0 is taken as 1.
  std::size_t min_slice = 256;
};

/// Keeps Engine::evaluate's hits current incrementally.
///
/// The host tells the watch which clients changed (`touch`: a new activity,
/// task, deal or invoice of the client, a reassignment), and may say what
/// changed; time is explicit, as everywhere. `hits()` equals `engine.evaluate(store, now).hits` at every
/// moment (a property test compares them on random event streams), except
/// that release hits carry no proposed manager (`to`): picks depend on every
/// manager's load and are the plan's business. No forecast either.
///
/// What `advance` tests again: the touched clients, with the assistants that
/// read what changed (all of them for a plain `touch(id)`); those whose deadline fell
/// due (a failing test's `Hit::since`, or the `Aging::until` of a hit that
/// ages: a hold starts or ends); and the clients with a hit of an assistant
/// that varies with time but did not say how it ages (Context::aging), or a
/// failing test with no known deadline. Hits that age (the built-in stage
/// SLA) are stored with the moment of their test and aged in `hits()`, so a
/// move of time costs nothing for them.
///
/// @code
/// nudge::Watch watch{engine, store};
/// watch.reset(now);                       // one full evaluation
/// store.begin()->add_activity(call);      // ... the host's writes ...
/// watch.touch(call.client, nudge::Changed::activity);  // or touch(id): anything may have changed
/// auto changes = watch.advance(now + std::chrono::hours{1});
/// @endcode
///
/// With WatchOptions::threads, a move's clients are tested in slices on that
/// many threads (the same changes, in the same order): at a million clients
/// a day's move took 21 ms on two threads, 37 ms on one (the work is bound
/// by memory, which the threads share).
///
/// Which kind to touch with, after which write: `activity` after add_activity;
/// `task` after put_task or create_task; `deal` after put_deal (or a label on
/// a deal); `invoice` after put_invoice; `client` after put_client,
/// reassign_client or a label on the client (every assistant reads the
/// client's record through its scope). Several writes: the kinds or-ed
/// together, or several touches. A client the watch has not tested yet (new
/// since reset) is tested with every assistant whatever the touch says.
class Watch {
public:
  explicit Watch(const Engine& engine, const Storage& store, WatchOptions options = {})
      : engine_(engine), store_(store), pool_(options.threads), slices_(pool_->size()),
        min_slice_(std::max<std::size_t>(options.min_slice, 1)) {
    for (const auto& a : engine.assistants()) {
      ids_.push_back(a->id());
      reads_.push_back(a->reads() | Changed::client);  // the scope reads the client's record
      feeds_.push_back(a->feed() == Feed::deals      ? Storage::Parts::open_deals
                       : a->feed() == Feed::invoices ? Storage::Parts::unpaid_invoices
                       : a->feed() == Feed::tasks    ? Storage::Parts::open_tasks
                                                     : Storage::Parts::none);
    }
    for (const auto& p : engine.config().pipelines) pipelines_.emplace(p.id, p);
  }

  /// A full evaluation at `now`: rebuilds every client's state and the index.
  /// What throws (the store, an assistant) leaves the watch to be reset again.
  void reset(Instant now) {
    check_engine("reset");
    failed_ = true;  // until the end
    index_ = detail::IdIndex{};
    states_.clear();
    deadlines_.clear();
    with_deadline_ = 0;
    live_.clear();
    managers_.clear();
    touched_.clear();
    now_ = now;
    std::vector<ClientId> all;
    store_.scan_clients([&](std::span<const ClientView> views) {
      for (const auto& v : views) all.push_back(v.client->id);
    });
    index_.reserve(all.size());
    states_.reserve(all.size());
    std::vector<std::uint32_t> rows(all.size());
    for (std::size_t i = 0; i < all.size(); ++i) rows[i] = state_row(all[i]);
    test_all(all, rows, {}, {}, false, now);
    failed_ = false;
  }

  /// Marks a client as changed: it is tested again at the next advance by the
  /// assistants that read `what` (Assistant::reads), by every one when `what`
  /// is Changed::all (the default: anything may have changed). Changed::none
  /// marks nothing. invalid_argument for bits outside Changed::all.
  void touch(ClientId id, Changed what = Changed::all) {
    if (static_cast<std::uint8_t>(what) & ~static_cast<std::uint8_t>(Changed::all))
      throw invalid_argument(fmt::format("watch.touch: what changed ({:#x}) has bits outside Changed::all ({:#x})",
                                         static_cast<unsigned>(what), static_cast<unsigned>(Changed::all)));
    if (what == Changed::none) return;
    touched_.push_back({id, what});
    if (touched_.size() >= touched_limit_) {  // a host that touches often between moves: keep it bounded
      merge(touched_);
      touched_limit_ = std::max<std::size_t>(1024, 2 * touched_.size());
    }
  }

  /// Moves to `now` (not earlier than the last move): tests again the touched
  /// clients, those whose deadline is at or before `now`, and those with hits
  /// that change with time in a way their assistant did not describe. Returns
  /// what started and what ended. What throws while clients are tested (the
  /// store, an assistant) leaves some tested and some not: the watch then
  /// refuses to advance or show its hits (conflict) until it is reset.
  WatchChanges advance(Instant now) {
    check_engine("advance");
    check_sound("advance");
    if (now < now_)
      throw invalid_argument(fmt::format("watch.advance: now {} is before the last move ({})", iso_instant(now),
                                         iso_instant(now_)));
    failed_ = true;  // until the end
    const Instant then = now_;
    now_ = now;
    std::vector<Touch> due;
    due.swap(touched_);
    touched_limit_ = 1024;
    std::vector<Deadline> taken;
    deadlines_.take_due(now, [&](const Deadline& d) { taken.push_back(d); });
    constexpr std::size_t index_ahead = 16, state_ahead = 8;
    for (std::size_t i = 0; i < taken.size(); ++i) {  // the index slot and the state loaded ahead
      if (i + index_ahead < taken.size()) index_.prefetch(taken[i + index_ahead].id.value());
      if (i + state_ahead < taken.size())
        if (const auto r = index_.find(taken[i + state_ahead].id.value()); r != detail::IdIndex::npos)
          __builtin_prefetch(&states_[r].deadline);
      const auto& d = taken[i];
      const auto row = index_.find(d.id.value());
      if (row != detail::IdIndex::npos && states_[row].deadline == d.when) due.push_back({d.id, Changed::all});  // else stale
    }
    for (auto id : live_) due.push_back({id, Changed::all});
    merge(due);
    // What each client is tested with, and so which of its lists the store
    // need gather. A client never tested, or one whose other tests no longer
    // hold at now (a deadline passed, or hits that vary in ways nobody
    // described), is tested in full. Otherwise the tests skipped gave the
    // same at the last test as they would now: nothing they read changed,
    // and their deadlines lie after now.
    // Found in slices, as the tests are; then a client new to the watch gets
    // an empty state (as if tested with nothing found), so that the tests'
    // threads only read the index.
    std::vector<ClientId> ids(due.size());
    std::vector<Changed> what(due.size());
    std::vector<Storage::Parts> parts(due.size());
    std::vector<std::uint32_t> rows(due.size());
    sliced(due.size(), [&](std::size_t, std::size_t b, std::size_t e) {
      for (std::size_t i = b; i < e; ++i) {
        if (i + index_ahead < e) index_.prefetch(due[i + index_ahead].id.value());
        if (i + state_ahead < e)
          if (const auto r = index_.find(due[i + state_ahead].id.value()); r != detail::IdIndex::npos)
            __builtin_prefetch(&states_[r]);
        const auto& t = due[i];
        const auto row = index_.find(t.id.value());
        what[i] = row == detail::IdIndex::npos || states_[row].live || states_[row].deadline <= now_ ? Changed::all
                                                                                                   : t.what;
        ids[i] = t.id;
        rows[i] = row;
        parts[i] = parts_read(what[i]);
      }
    });
    for (std::size_t i = 0; i < rows.size(); ++i)
      if (rows[i] == detail::IdIndex::npos) rows[i] = state_row(ids[i]);
    auto out = test_all(ids, rows, what, parts, true, then);
    out.clients_tested = due.size();
    failed_ = false;
    return out;
  }

  /// Every hit that holds, grouped by assistant then ascending subject id
  /// (Engine::evaluate's order), with the figures of `now()`.
  [[nodiscard]] std::vector<Hit> hits() const {
    check_sound("hits");
    std::vector<Hit> out;
    for (const auto& st : states_) append_hits(st, now_, out);
    std::sort(out.begin(), out.end(), [](const Hit& a, const Hit& b) {
      return std::tie(a.assistant, a.subject.id, a.client) < std::tie(b.assistant, b.subject.id, b.client);
    });
    return out;
  }

  [[nodiscard]] Instant now() const { return now_; }
  [[nodiscard]] const std::vector<std::string>& assistants() const { return ids_; }
  /// Clients with a pending deadline in the index.
  [[nodiscard]] std::size_t pending() const { return with_deadline_; }

private:
  struct Touch {
    ClientId id;
    Changed what;
  };
  /// A hit of ClientState::hits whose `seconds` grows by the time elapsed on
  /// `basis` since the client was tested (Aging with `runs`).
  struct Ageing {
    std::uint32_t hit;
    TimeBasis basis;
  };
  /// One assistant's earliest deadline over the client's subjects.
  struct Slot {
    std::uint32_t assistant;
    Instant when;
  };
  /// A client's state: 104 bytes over two cache lines, those a move reads
  /// before testing (deadline, live) in the first.
  struct ClientState {
    ClientId id;
    Instant deadline = Instant::max();  ///< the earliest of `slots`
    bool live = false;                  ///< in live_
    Instant tested{};
    std::vector<Hit> hits;      ///< as tested at `tested`
    std::vector<Ageing> aging;  ///< which of them age, and on which clock (usually none)
    std::vector<Slot> slots;    ///< per assistant with a deadline: what a partial test keeps of the others
    void clear() {
      hits.clear();
      aging.clear();
      slots.clear();
      deadline = Instant::max();
      live = false;
    }
  };
  struct Deadline {
    Instant when;
    ClientId id;
  };
  /// What one thread's slice of test_all found, with its scratch buffers
  /// (kept between moves: a steady stream of tests allocates nothing).
  struct Slice {
    ClientState fresh;        ///< scratch: the state being tested
    std::vector<Hit> before;  ///< scratch: a client's hits before its test
    WatchChanges changes;
    std::vector<std::pair<ClientId, bool>> live;  ///< clients that became live (true) or stopped being so
    std::vector<Deadline> deadlines;              ///< to file
    std::ptrdiff_t with_deadline = 0;             ///< clients with a deadline: gained minus lost
    void reset() {
      changes = {};
      live.clear();
      deadlines.clear();
      with_deadline = 0;
    }
  };
  /// Deadlines filed by the hour they fall in: an ordered map of hours, each
  /// an unsorted list. Filing one is an append to a list of new ones; `file`
  /// sorts those by hour and appends each hour's to its list in one go.
  /// Taking what fell due reads the hours up to now and splits the current
  /// one. A binary heap of a million deadlines cost some twenty cache misses
  /// a take and one or more a push (12% of a day's advance at L), an append
  /// to a random hour's list one miss a push.
  class DeadlineQueue {
  public:
    void clear() {
      hours_.clear();
      new_.clear();
      size_ = 0;
    }
    [[nodiscard]] std::size_t size() const { return size_; }
    void push(const Deadline& d) {
      new_.push_back(d);
      ++size_;
    }
    /// Files the deadlines pushed since the last call under their hours.
    void file() {
      detail::radix_sort(new_, [](const Deadline& d) { return detail::signed_key(hour(d.when)); }, scratch_);
      std::vector<Deadline>* list = nullptr;
      std::int64_t at = 0;
      for (const auto& d : new_) {
        if (!list || hour(d.when) != at) list = &hours_[at = hour(d.when)];
        list->push_back(d);
      }
      new_.clear();
    }
    /// fn(d) for every deadline at or before `now`, which are removed.
    template <class Fn>
    void take_due(Instant now, Fn&& fn) {
      file();
      const auto current = hour(now);
      while (!hours_.empty() && hours_.begin()->first <= current) {
        auto it = hours_.begin();
        auto& list = it->second;
        std::size_t keep = 0;
        for (const auto& d : list) {
          if (d.when <= now) fn(d);
          else list[keep++] = d;  // later in the current hour
        }
        size_ -= list.size() - keep;
        if (keep > 0) {
          list.resize(keep);
          break;
        }
        hours_.erase(it);
      }
    }

  private:
    static std::int64_t hour(Instant t) {
      return std::chrono::floor<std::chrono::hours>(t).time_since_epoch().count();
    }
    std::map<std::int64_t, std::vector<Deadline>> hours_;
    std::vector<Deadline> new_;  ///< pushed since the last file()
    std::vector<Deadline> scratch_;
    std::size_t size_ = 0;
  };

  /// Sorts touches by client and merges each client's kinds into one touch.
  void merge(std::vector<Touch>& v) {
    detail::radix_sort(v, [](const Touch& t) { return detail::signed_key(t.id.value()); }, touch_scratch_);
    std::size_t n = 0;
    for (std::size_t i = 0; i < v.size(); ++i) {
      if (n > 0 && v[n - 1].id == v[i].id) v[n - 1].what |= v[i].what;
      else v[n++] = v[i];
    }
    v.resize(n);
  }

  /// Appends a client's hits with their figures at `at` (not before the test).
  void append_hits(const ClientState& st, Instant at, std::vector<Hit>& out) const {
    const auto first = out.size();
    out.insert(out.end(), st.hits.begin(), st.hits.end());
    for (const auto& a : st.aging)
      out[first + a.hit].seconds += engine_.config().calendar.elapsed(st.tested, at, a.basis).count();
  }

  /// The same hit with the same figures, but perhaps another `seconds`.
  static bool same(const Hit& a, const Hit& b) {
    Hit x = a;
    x.seconds = b.seconds;
    return x == b;
  }

  /// Hits index the engine's assistants as they were when the watch was made.
  void check_engine(std::string_view what) const {
    if (engine_.assistants().size() != ids_.size())
      throw conflict(fmt::format("watch.{}: the engine's assistants changed after the watch was made ({} then, {} now)",
                                 what, ids_.size(), engine_.assistants().size()));
  }

  /// After a reset or advance that threw, only reset is allowed.
  void check_sound(std::string_view what) const {
    if (failed_)
      throw conflict(fmt::format("watch.{}: an earlier reset or advance failed part way; reset(now) first", what));
  }

  [[nodiscard]] bool reads(std::size_t assistant, Changed what) const { return overlaps(reads_[assistant], what); }

  /// The client's lists the assistants that read `what` are fed.
  [[nodiscard]] Storage::Parts parts_read(Changed what) const {
    if (what == Changed::all) return Storage::Parts::all;
    auto p = Storage::Parts::none;
    for (std::size_t i = 0; i < feeds_.size(); ++i)
      if (reads(i, what)) p = p | feeds_[i];
    return p;
  }

  /// Tests the subjects of one client (its state `old`, replaced), as the
  /// scans of a full evaluation would show them, with the assistants that
  /// read `what` (advance has made it every one when the client is new, live
  /// or due), keeps what the others found at their last test, and notes in
  /// `out` the changes (when asked), whether the client is live and its next
  /// deadline. `subjects`: what the store holds of the client (null: no such
  /// client). `then`: the previous move, whose figures ended hits carry.
  /// Writes nothing shared: slices run it on several threads.
  void retest(ClientState& old, Changed what, const Storage::ClientSubjects* subjects, Slice& out, bool changes,
              Instant then) {
    ClientState& st = out.fresh;
    st.clear();
    st.id = old.id;
    st.tested = now_;
    if (what != Changed::all) keep_untested(old, what, st);
    if (subjects) test_client(*subjects, what, st);
    for (const auto& sl : st.slots) st.deadline = std::min(st.deadline, sl.when);
    if (changes) {
      auto& before = out.before;
      before.clear();
      append_hits(old, then, before);
      for (const auto& h : st.hits)
        if (std::none_of(before.begin(), before.end(), [&](const Hit& b) { return same(b, h); }))
          out.changes.started.push_back(h);
      for (const auto& b : before)
        if (std::none_of(st.hits.begin(), st.hits.end(), [&](const Hit& h) { return same(b, h); }))
          out.changes.ended.push_back(b);
    }
    if (st.live != old.live) out.live.push_back({old.id, st.live});
    out.with_deadline += (st.deadline != Instant::max() ? 1 : 0) - (old.deadline != Instant::max() ? 1 : 0);
    // An entry at a later moment than now is still filed; one at or
    // before now was just taken out (or the client is new).
    if (st.deadline != Instant::max() && !(st.deadline == old.deadline && old.deadline > now_))
      out.deadlines.push_back({st.deadline, old.id});
    // Swap rather than copy: the scratch state keeps the old buffers for the
    // next client, so a steady stream of tests allocates nothing.
    std::swap(old, st);
  }

  /// Copies into `st` what the assistants that do not read `what` found at the
  /// client's last test: their hits (aged to now), their deadlines.
  void keep_untested(const ClientState& old, Changed what, ClientState& st) const {
    for (std::uint32_t k = 0; k < old.hits.size(); ++k) {
      const Hit& h = old.hits[k];
      if (reads(h.assistant, what)) continue;
      st.hits.push_back(h);
      for (const auto& a : old.aging)
        if (a.hit == k) {
          st.hits.back().seconds += engine_.config().calendar.elapsed(old.tested, now_, a.basis).count();
          st.aging.push_back({static_cast<std::uint32_t>(st.hits.size() - 1), a.basis});
        }
    }
    for (const auto& sl : old.slots)
      if (!reads(sl.assistant, what)) st.slots.push_back(sl);
  }

  /// The row of a client's state, an empty one (no hits, no deadline) for a
  /// client new to the watch.
  std::uint32_t state_row(ClientId id) {
    if (const auto r = index_.find(id.value()); r != detail::IdIndex::npos) return r;
    const auto r = static_cast<std::uint32_t>(states_.size());
    index_.put(id.value(), r);
    states_.emplace_back().id = id;
    return r;
  }

  /// fn(slice, begin, end) over [0, n) cut into a slice per thread where
  /// there is enough to share (WatchOptions::min_slice), else fn(0, 0, n)
  /// on this thread.
  template <class Fn>
  void sliced(std::size_t n, const Fn& fn) {
    if (n / min_slice_ >= pool_->size() && pool_->size() > 1) pool_->run_slices(n, fn);
    else fn(0, 0, n);
  }

  /// Tests clients ids[i] (state rows[i]) again with the assistants that read
  /// what[i] (empty: all), gathering parts[i] of the store's lists (empty:
  /// all), in slices on the pool's threads; then files what the slices found
  /// (the live clients, the deadlines) in slice order, and returns the
  /// changes when asked (else none). Nothing but the clients' own states is
  /// written while the slices run.
  WatchChanges test_all(std::span<const ClientId> ids, std::span<const std::uint32_t> rows,
                        std::span<const Changed> what, std::span<const Storage::Parts> parts, bool changes,
                        Instant then) {
    (void)managers();  // read before the threads share it
    for (auto& sl : slices_) sl.reset();
    sliced(ids.size(), [&](std::size_t s, std::size_t b, std::size_t e) {
      auto sub = [&](auto span) { return span.empty() ? span : span.subspan(b, e - b); };
      test_range(ids.subspan(b, e - b), rows.subspan(b, e - b), sub(what), sub(parts), slices_[s], changes, then);
    });
    WatchChanges out = std::move(slices_.front().changes);
    std::ptrdiff_t with_deadline = 0;
    for (auto& sl : slices_) {
      if (&sl != &slices_.front()) {
        out.started.insert(out.started.end(), sl.changes.started.begin(), sl.changes.started.end());
        out.ended.insert(out.ended.end(), sl.changes.ended.begin(), sl.changes.ended.end());
      }
      for (const auto& [id, live] : sl.live) {
        if (live) live_.insert(id);
        else live_.erase(id);
      }
      with_deadline += sl.with_deadline;
      for (const auto& d : sl.deadlines) deadlines_.push(d);
    }
    with_deadline_ = static_cast<std::size_t>(static_cast<std::ptrdiff_t>(with_deadline_) + with_deadline);
    // Entries whose client has moved on are skipped when taken out, and
    // dropped all at once when they outnumber the clients with a deadline.
    if (deadlines_.size() > 2 * with_deadline_ + 1024) {
      deadlines_.clear();
      for (const auto& st : states_)
        if (st.deadline != Instant::max()) deadlines_.push({st.deadline, st.id});
    }
    deadlines_.file();
    return out;
  }

  /// One slice of test_all: the store loads the next clients' rows while one
  /// is tested; the watch does the same for its own rows (the state and its
  /// hits).
  void test_range(std::span<const ClientId> ids, std::span<const std::uint32_t> rows, std::span<const Changed> what,
                  std::span<const Storage::Parts> parts, Slice& out, bool changes, Instant then) {
    constexpr std::size_t state_ahead = 8, hits_ahead = 4;
    store_.visit_clients(ids, [&](std::size_t i, const Storage::ClientSubjects* subjects) {
      if (i + state_ahead < ids.size()) {  // both of its lines
        const auto* ahead = &states_[rows[i + state_ahead]];
        __builtin_prefetch(ahead);
        __builtin_prefetch(reinterpret_cast<const char*>(ahead + 1) - 1);
      }
      if (i + hits_ahead < ids.size()) {
        const auto& ahead = states_[rows[i + hits_ahead]];
        __builtin_prefetch(ahead.hits.data());
        __builtin_prefetch(ahead.slots.data());
      }
      retest(states_[rows[i]], what.empty() ? Changed::all : what[i], subjects, out, changes, then);
    }, parts);
  }

  void test_client(const Storage::ClientSubjects& subjects, Changed what, ClientState& st) const {
    const Client& c = *subjects.client.client;
    Aging aging;
    Context ctx;
    ctx.now = now_;
    ctx.calendar = &engine_.config().calendar;
    ctx.store = &store_;
    ctx.managers = &managers_;  // filled by test_all before the threads start
    ctx.pipelines = &pipelines_;
    ctx.aging = &aging;
    const ClientInfo info{c.id, c.owner, c.kind, &c, subjects.client.summary};
    ctx.client = [&](ClientId x) { return x == c.id ? &info : nullptr; };
    const auto& as = engine_.assistants();
    Instant next = Instant::max();  // the assistant's earliest deadline over its subjects
    auto file = [&](std::size_t i, bool holds, Hit& h) {
      if (holds) {
        h.assistant = static_cast<std::uint32_t>(i);
        if (aging.known) {
          if (aging.runs) st.aging.push_back({static_cast<std::uint32_t>(st.hits.size()), aging.basis});
          if (aging.until < next) next = aging.until;
        } else if (as[i]->varies_with_time()) {
          st.live = true;
        }
        st.hits.push_back(h);
      } else if (h.since == Instant::min()) {
        st.live = true;  // no known deadline: test again at every move
      } else if (h.since < next) {
        next = h.since;
      }
    };
    for (std::size_t i = 0; i < as.size(); ++i) {
      if (!reads(i, what) || !as[i]->scope().matches(c)) continue;
      next = Instant::max();
      auto test = [&](const auto&... subject) {
        Hit h;
        aging = Aging{};
        const bool holds = as[i]->test(ctx, subject..., h);
        file(i, holds, h);
      };
      switch (as[i]->feed()) {
        case Feed::clients: test(subjects.client); break;
        case Feed::deals:
          for (const auto& v : subjects.open_deals)
            if (as[i]->scope().matches_pipeline(v.deal->pipeline)) test(info, v);
          break;
        case Feed::invoices:
          for (const auto* inv : subjects.unpaid_invoices) test(info, *inv);
          break;
        case Feed::tasks:
          for (const auto* t : subjects.open_tasks) test(info, *t);
          break;
      }
      if (next != Instant::max()) st.slots.push_back({static_cast<std::uint32_t>(i), next});
    }
  }

  const std::unordered_map<ManagerId, Manager>& managers() {
    if (managers_.empty())
      for (auto& m : store_.managers()) managers_.emplace(m.id, std::move(m));
    return managers_;
  }

  const Engine& engine_;
  const Storage& store_;
  /// The threads (WatchOptions::threads); a copy of the watch gets its own.
  class Threads {
  public:
    explicit Threads(unsigned n) : p_(std::make_unique<detail::SlicePool>(n)) {}
    Threads(const Threads& o) : Threads(o.size()) {}
    Threads(Threads&&) noexcept = default;
    Threads& operator=(const Threads& o) {
      if (this != &o) p_ = std::make_unique<detail::SlicePool>(o.size());
      return *this;
    }
    [[nodiscard]] unsigned size() const { return p_ ? p_->size() : 1; }  // (a moved-from one: none)
    Threads& operator=(Threads&&) noexcept = default;
    detail::SlicePool* operator->() const { return p_.get(); }

  private:
    std::unique_ptr<detail::SlicePool> p_;
  };
  Threads pool_;
  std::vector<Slice> slices_;                ///< one per thread
  std::size_t min_slice_;                    ///< WatchOptions::min_slice
  std::vector<std::string> ids_;
  std::vector<Changed> reads_;  ///< per assistant: what it reads, and the client's record
  std::vector<Storage::Parts> feeds_;  ///< per assistant: the client's list it is fed (none: the client)
  std::unordered_map<std::string, Pipeline> pipelines_;
  std::unordered_map<ManagerId, Manager> managers_;
  Instant now_{};
  /// Every client tested since reset (a row each, never removed: most have a
  /// deadline anyway), found through the flat id index the in-memory store uses.
  detail::IdIndex index_;
  std::vector<ClientState> states_;
  /// The clients' deadlines, with stale entries.
  DeadlineQueue deadlines_;
  std::size_t with_deadline_ = 0;  ///< clients whose state has a deadline
  /// Clients tested again at every move (usually few: hits that vary with time
  /// in ways their assistant did not describe).
  std::unordered_set<ClientId> live_;
  std::vector<Touch> touched_;  ///< with repeats, until the next advance
  std::vector<Touch> touch_scratch_;  ///< merge's working room
  std::size_t touched_limit_ = 1024;
  bool failed_ = false;  ///< a reset or advance threw part way: reset first
};

}  // namespace nudge
