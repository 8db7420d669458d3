#pragma once
/// @file
/// Watch: an evaluation kept current as facts change and time passes. After
/// one full evaluation it keeps each client's hits and the client's next
/// deadline (the earliest moment one of its subjects can start to hold) in an
/// ordered index; moving to a later `now` tests again only the clients the
/// host touched and those whose deadline fell due. Cost: proportional to the
/// changes, not to the base.

#include <algorithm>
#include <map>
#include <set>
#include <span>
#include <unordered_map>
#include <vector>

#include <nudge/engine/engine.hpp>

namespace nudge {

/// What moving a Watch to a later `now` changed.
struct WatchChanges {
  std::vector<Hit> started;  ///< hits that hold now and did not before (or hold with other figures)
  std::vector<Hit> ended;    ///< hits that held before and no longer do
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
    live_.clear();
    managers_.clear();
    now_ = now;
    std::vector<ClientId> all;
    store_.scan_clients([&](std::span<const ClientView> views) {
      for (const auto& v : views) all.push_back(v.client->id);
    });
    for (auto id : all) retest(id, nullptr);
    touched_.clear();
  }

  /// Marks a client as changed: it is tested again at the next advance.
  void touch(ClientId id) { touched_.insert(id); }

  /// Moves to `now` (not earlier than the last move): tests again the touched
  /// clients, those whose deadline is at or before `now`, and those with hits
  /// that change with time. Returns what started and what ended.
  WatchChanges advance(Instant now) {
    check_engine("advance");
    if (now < now_)
      throw invalid_argument(fmt::format("watch.advance: now {} is before the last move ({})", iso_instant(now),
                                         iso_instant(now_)));
    now_ = now;
    std::set<ClientId> due(touched_.begin(), touched_.end());
    touched_.clear();
    while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
      due.insert(deadlines_.begin()->second);
      deadlines_.erase(deadlines_.begin());
    }
    due.insert(live_.begin(), live_.end());
    WatchChanges out;
    for (auto id : due) retest(id, &out);
    out.clients_tested = due.size();
    return out;
  }

  /// Every hit that holds, grouped by assistant then ascending subject id
  /// (Engine::evaluate's order).
  [[nodiscard]] std::vector<Hit> hits() const {
    std::vector<Hit> out;
    for (const auto& [id, st] : clients_) out.insert(out.end(), st.hits.begin(), st.hits.end());
    std::sort(out.begin(), out.end(), [](const Hit& a, const Hit& b) {
      return std::tie(a.assistant, a.subject.id) < std::tie(b.assistant, b.subject.id);
    });
    return out;
  }

  [[nodiscard]] Instant now() const { return now_; }
  [[nodiscard]] const std::vector<std::string>& assistants() const { return ids_; }
  /// Clients with a pending deadline in the index.
  [[nodiscard]] std::size_t pending() const { return deadlines_.size(); }

private:
  struct ClientState {
    std::vector<Hit> hits;
    Instant deadline = Instant::max();
  };

  static bool same(const Hit& a, const Hit& b) { return a == b; }

  /// Hits index the engine's assistants as they were when the watch was made.
  void check_engine(std::string_view what) const {
    if (engine_.assistants().size() != ids_.size())
      throw conflict(fmt::format("watch.{}: the engine's assistants changed after the watch was made ({} then, {} now)",
                                 what, ids_.size(), engine_.assistants().size()));
  }

  /// Tests every subject of one client with every assistant, as the scans of a
  /// full evaluation would show them, and files the client's next deadline.
  void retest(ClientId id, WatchChanges* changes) {
    auto old = clients_.find(id);
    if (old != clients_.end() && old->second.deadline != Instant::max())
      erase_deadline(old->second.deadline, id);
    ClientState st;
    bool live = false;
    store_.visit_client(id, [&](const Storage::ClientSubjects& subjects) { test_client(subjects, st, live); });
    if (changes) {
      const std::vector<Hit> none;
      const auto& before = old == clients_.end() ? none : old->second.hits;
      for (const auto& h : st.hits)
        if (std::none_of(before.begin(), before.end(), [&](const Hit& b) { return same(b, h); }))
          changes->started.push_back(h);
      for (const auto& b : before)
        if (std::none_of(st.hits.begin(), st.hits.end(), [&](const Hit& h) { return same(b, h); }))
          changes->ended.push_back(b);
    }
    if (live) live_.insert(id);
    else live_.erase(id);
    if (st.deadline != Instant::max()) deadlines_.emplace(st.deadline, id);
    if (st.hits.empty() && st.deadline == Instant::max()) clients_.erase(id);
    else clients_[id] = std::move(st);
  }

  void erase_deadline(Instant when, ClientId id) {
    auto [lo, hi] = deadlines_.equal_range(when);
    for (auto it = lo; it != hi; ++it)
      if (it->second == id) {
        deadlines_.erase(it);
        return;
      }
  }

  void test_client(const Storage::ClientSubjects& subjects, ClientState& st, bool& live) {
    const Client& c = *subjects.client.client;
    Context ctx;
    ctx.now = now_;
    ctx.calendar = &engine_.config().calendar;
    ctx.store = &store_;
    ctx.managers = &managers();
    ctx.pipelines = &pipelines_;
    const ClientInfo info{c.id, c.owner, c.kind, &c, subjects.client.summary};
    ctx.client = [&](ClientId x) { return x == c.id ? &info : nullptr; };
    const auto& as = engine_.assistants();
    auto file = [&](std::size_t i, bool holds, Hit& h) {
      if (holds) {
        h.assistant = static_cast<std::uint32_t>(i);
        st.hits.push_back(h);
        if (as[i]->varies_with_time()) live = true;
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
  std::map<ClientId, ClientState> clients_;
  std::multimap<Instant, ClientId> deadlines_;
  std::set<ClientId> live_;
  std::set<ClientId> touched_;
};

}  // namespace nudge
