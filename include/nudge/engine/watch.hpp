#pragma once
/// @file
/// Watch: an evaluation kept current as facts change and time passes. After
/// one full evaluation it keeps each client's hits and the client's next
/// deadline (the earliest moment one of its subjects can start to hold, or a
/// hit stops ageing as its test said) in a heap; moving to a later `now`
/// tests again only the clients the host touched and those whose deadline
/// fell due. Hits whose figures grow with time (the stage SLA's excess) are
/// aged when read, not tested again. Cost: proportional to the changes, not
/// to the base.

#include <algorithm>
#include <functional>
#include <span>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <nudge/engine/engine.hpp>

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

/// Keeps Engine::evaluate's hits current incrementally.
///
/// The host tells the watch which clients changed (`touch`: a new activity,
/// task, deal or invoice of the client, a reassignment); time is explicit, as
/// everywhere. `hits()` equals `engine.evaluate(store, now).hits` at every
/// moment (a property test compares them on random event streams), except
/// that release hits carry no proposed manager (`to`): picks depend on every
/// manager's load and are the plan's business. No forecast either.
///
/// What `advance` tests again: the touched clients; those whose deadline fell
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
/// watch.touch(call.client);
/// auto changes = watch.advance(now + std::chrono::hours{1});
/// @endcode
class Watch {
public:
  Watch(const Engine& engine, const Storage& store) : engine_(engine), store_(store) {
    for (const auto& a : engine.assistants()) ids_.push_back(a->id());
    for (const auto& p : engine.config().pipelines) pipelines_.emplace(p.id, p);
  }

  /// A full evaluation at `now`: rebuilds every client's state and the index.
  void reset(Instant now) {
    check_engine("reset");
    clients_.clear();
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
    for (auto id : all) retest(id, nullptr, now);
  }

  /// Marks a client as changed: it is tested again at the next advance.
  void touch(ClientId id) {
    touched_.push_back(id);
    if (touched_.size() >= touched_limit_) {  // a host that touches often between moves: keep it bounded
      sort_unique(touched_);
      touched_limit_ = std::max<std::size_t>(1024, 2 * touched_.size());
    }
  }

  /// Moves to `now` (not earlier than the last move): tests again the touched
  /// clients, those whose deadline is at or before `now`, and those with hits
  /// that change with time in a way their assistant did not describe. Returns
  /// what started and what ended.
  WatchChanges advance(Instant now) {
    check_engine("advance");
    if (now < now_)
      throw invalid_argument(fmt::format("watch.advance: now {} is before the last move ({})", iso_instant(now),
                                         iso_instant(now_)));
    const Instant then = now_;
    now_ = now;
    std::vector<ClientId> due;
    due.swap(touched_);
    touched_limit_ = 1024;
    while (!deadlines_.empty() && deadlines_.front().when <= now) {
      std::pop_heap(deadlines_.begin(), deadlines_.end(), later);
      const Deadline d = deadlines_.back();
      deadlines_.pop_back();
      auto it = clients_.find(d.id);
      if (it != clients_.end() && it->second.deadline == d.when) due.push_back(d.id);  // else stale
    }
    due.insert(due.end(), live_.begin(), live_.end());
    sort_unique(due);
    WatchChanges out;
    for (auto id : due) retest(id, &out, then);
    out.clients_tested = due.size();
    return out;
  }

  /// Every hit that holds, grouped by assistant then ascending subject id
  /// (Engine::evaluate's order), with the figures of `now()`.
  [[nodiscard]] std::vector<Hit> hits() const {
    std::vector<Hit> out;
    for (const auto& [id, st] : clients_) append_hits(st, now_, out);
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
  /// A hit of ClientState::hits whose `seconds` grows by the time elapsed on
  /// `basis` since the client was tested (Aging with `runs`).
  struct Ageing {
    std::uint32_t hit;
    TimeBasis basis;
  };
  struct ClientState {
    std::vector<Hit> hits;      ///< as tested at `tested`
    std::vector<Ageing> aging;  ///< which of them age, and on which clock (usually none)
    Instant tested{};
    Instant deadline = Instant::max();
  };
  struct Deadline {
    Instant when;
    ClientId id;
  };
  /// The heap's order: the earliest deadline on top.
  static bool later(const Deadline& a, const Deadline& b) { return a.when > b.when; }

  static void sort_unique(std::vector<ClientId>& v) {
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
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

  /// Tests every subject of one client with every assistant, as the scans of a
  /// full evaluation would show them, and files the client's next deadline.
  /// `then`: the previous move, whose figures ended hits carry.
  void retest(ClientId id, WatchChanges* changes, Instant then) {
    ClientState st;
    st.tested = now_;
    bool live = false;
    store_.visit_client(id, [&](const Storage::ClientSubjects& subjects) { test_client(subjects, st, live); });
    auto old = clients_.find(id);
    const Instant old_deadline = old == clients_.end() ? Instant::max() : old->second.deadline;
    if (changes) {
      std::vector<Hit> before;
      if (old != clients_.end()) append_hits(old->second, then, before);
      for (const auto& h : st.hits)
        if (std::none_of(before.begin(), before.end(), [&](const Hit& b) { return same(b, h); }))
          changes->started.push_back(h);
      for (const auto& b : before)
        if (std::none_of(st.hits.begin(), st.hits.end(), [&](const Hit& h) { return same(b, h); }))
          changes->ended.push_back(b);
    }
    if (live) live_.insert(id);
    else live_.erase(id);
    with_deadline_ += (st.deadline != Instant::max() ? 1 : 0) - (old_deadline != Instant::max() ? 1 : 0);
    // An entry at a later moment than now is still in the heap; one at or
    // before now was just taken out (or the client is new).
    if (st.deadline != Instant::max() && !(st.deadline == old_deadline && old_deadline > now_))
      push_deadline({st.deadline, id});
    if (st.hits.empty() && st.deadline == Instant::max()) {
      if (old != clients_.end()) clients_.erase(old);
    } else if (old != clients_.end()) {
      old->second = std::move(st);
    } else {
      clients_.emplace(id, std::move(st));
    }
  }

  /// Files a deadline; entries whose client has moved on are skipped when
  /// taken out, and dropped all at once when they outnumber the live ones.
  void push_deadline(Deadline d) {
    deadlines_.push_back(d);
    std::push_heap(deadlines_.begin(), deadlines_.end(), later);
    if (deadlines_.size() > 2 * with_deadline_ + 1024) {
      deadlines_.clear();
      for (const auto& [id, st] : clients_)
        if (st.deadline != Instant::max() && id != d.id) deadlines_.push_back({st.deadline, id});
      deadlines_.push_back(d);  // the client's state is stored after this
      std::make_heap(deadlines_.begin(), deadlines_.end(), later);
    }
  }

  void test_client(const Storage::ClientSubjects& subjects, ClientState& st, bool& live) {
    const Client& c = *subjects.client.client;
    Aging aging;
    Context ctx;
    ctx.now = now_;
    ctx.calendar = &engine_.config().calendar;
    ctx.store = &store_;
    ctx.managers = &managers();
    ctx.pipelines = &pipelines_;
    ctx.aging = &aging;
    const ClientInfo info{c.id, c.owner, c.kind, &c, subjects.client.summary};
    ctx.client = [&](ClientId x) { return x == c.id ? &info : nullptr; };
    const auto& as = engine_.assistants();
    auto file = [&](std::size_t i, bool holds, Hit& h) {
      if (holds) {
        h.assistant = static_cast<std::uint32_t>(i);
        if (aging.known) {
          if (aging.runs) st.aging.push_back({static_cast<std::uint32_t>(st.hits.size()), aging.basis});
          if (aging.until < st.deadline) st.deadline = aging.until;
        } else if (as[i]->varies_with_time()) {
          live = true;
        }
        st.hits.push_back(h);
      } else if (h.since == Instant::min()) {
        live = true;  // no known deadline: test again at every move
      } else if (h.since < st.deadline) {
        st.deadline = h.since;
      }
    };
    for (std::size_t i = 0; i < as.size(); ++i) {
      if (!as[i]->scope().matches(c)) continue;
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
    }
  }

  const std::unordered_map<ManagerId, Manager>& managers() {
    if (managers_.empty())
      for (auto& m : store_.managers()) managers_.emplace(m.id, std::move(m));
    return managers_;
  }

  const Engine& engine_;
  const Storage& store_;
  std::vector<std::string> ids_;
  std::unordered_map<std::string, Pipeline> pipelines_;
  std::unordered_map<ManagerId, Manager> managers_;
  Instant now_{};
  /// Clients with hits or a deadline (the others have no state).
  std::unordered_map<ClientId, ClientState> clients_;
  /// A binary heap (earliest on top) of deadlines, with stale entries.
  std::vector<Deadline> deadlines_;
  std::size_t with_deadline_ = 0;  ///< clients whose state has a deadline
  /// Clients tested again at every move (usually few: hits that vary with time
  /// in ways their assistant did not describe).
  std::unordered_set<ClientId> live_;
  std::vector<ClientId> touched_;  ///< with repeats, until the next advance
  std::size_t touched_limit_ = 1024;
};

}  // namespace nudge
