#pragma once
/// @file
/// Who takes over a released client: the managers' loads during one plan and
/// the choice a release policy makes (least loaded, round robin, weighted).
/// Shared by Engine::plan and Engine::evaluate.

#include <algorithm>
#include <array>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include <nudge/domain/client.hpp>
#include <nudge/domain/manager.hpp>
#include <nudge/rules/assistant.hpp>
#include <nudge/storage/flat_table.hpp>

namespace nudge::detail {

/// A count per manager: one hash probe into a flat index, the counts side by
/// side (what a pass over a million clients bumps once per client).
class ManagerCounts {
public:
  int& operator[](ManagerId m) {
    auto r = slots_.find(m.value());
    if (r == IdIndex::npos) {
      r = static_cast<std::uint32_t>(counts_.size());
      slots_.put(m.value(), r);
      counts_.push_back(0);
    }
    return counts_[r];
  }
  [[nodiscard]] int get(ManagerId m) const {
    const auto r = slots_.find(m.value());
    return r == IdIndex::npos ? 0 : counts_[r];
  }

private:
  IdIndex slots_;
  std::vector<int> counts_;
};

/// Managers' loads (clients owned, in total and per segment) and the picks of
/// release policies, kept current as clients are handed over.
///
/// For each (policy, segment) a pool holds the managers who serve the segment
/// and are available today (ascending id), ordered by load, with their blocked
/// flags (capacity, max_new_per_run): a least-loaded pick costs O(log n), not
/// a pass over every manager.
class Balancer {
public:
  /// `today` is read at each pick (it may be set after construction).
  Balancer(const std::unordered_map<ManagerId, Manager>& managers, const Date& today)
      : managers_(managers), today_(today) {}

  /// Counts a client's load (call once per client, before any pick).
  void count(const Client& c) {
    ++total_load_[c.owner];
    for (const auto& s : c.segments) ++loads_of(s)[c.owner];
  }

  /// The result of a pick: the manager (nullptr when nobody is eligible), how
  /// many were eligible, and the figure the policy chose by.
  struct Pick {
    const Manager* best = nullptr;
    std::size_t eligible = 0;
    int load = 0;  ///< least loaded: clients in the segment; weighted: clients in total
  };

  Pick pick(const ReleasePolicy& p, const std::string& segment, ManagerId from) {
    Pool& pool = pool_for(p, segment);
    Pick out;
    const bool from_counts = pool.blocked.count(from) && !pool.blocked.at(from);
    out.eligible = pool.base.size() - pool.blocked_count - (from_counts ? 1 : 0);
    if (out.eligible == 0) return out;
    auto ok = [&](const Manager* m) { return m->id != from && !pool.blocked.at(m->id); };
    switch (p.kind) {
      case ReleasePolicy::Kind::least_loaded:
        // by_load holds only the managers not blocked: at most two steps.
        for (const auto& [load, id] : pool.by_load) {
          const Manager* m = &managers_.at(ManagerId{id});
          if (ok(m)) {
            out.best = m;
            out.load = load;
            break;
          }
        }
        break;
      case ReleasePolicy::Kind::weighted: {
        // Ratios change with every hand-over in any segment: a pass over the pool.
        auto ratio = [&](const Manager* m) {
          const double cap = m->capacity > 0 ? static_cast<double>(m->capacity) : m->weight;
          return static_cast<double>(total_load(m->id)) / cap;
        };
        for (const auto* m : pool.base)
          if (ok(m) && (!out.best || std::pair(ratio(m), m->id) < std::pair(ratio(out.best), out.best->id)))
            out.best = m;
        out.load = total_load(out.best->id);
        break;
      }
      case ReleasePolicy::Kind::round_robin: {
        auto& last = cursor_[segment];
        auto start = std::upper_bound(pool.base.begin(), pool.base.end(), last,
                                      [](ManagerId x, const Manager* m) { return x < m->id; });
        auto it = std::find_if(start, pool.base.end(), ok);
        if (it == pool.base.end()) it = std::find_if(pool.base.begin(), start, ok);
        out.best = *it;
        last = out.best->id;
        break;
      }
    }
    return out;
  }

  /// Records a hand-over (loads move only when the policy updates them).
  void assign(const ReleasePolicy& p, const Client& c, ManagerId from, ManagerId to) {
    if (p.update_loads) {
      ++total_load_[to];
      --total_load_[from];
      for (const auto& s : c.segments) {
        move_segment_load(s, to, +1);
        move_segment_load(s, from, -1);
      }
    }
    ++assigned_[to];
    refresh_blocked(to);
    refresh_blocked(from);
  }

  [[nodiscard]] int total_load(ManagerId m) const { return total_load_.get(m); }

private:
  struct Pool {
    const ReleasePolicy* policy = nullptr;
    std::string segment;
    std::vector<const Manager*> base;
    std::set<std::pair<int, std::int64_t>> by_load;  ///< (clients in the segment, id) of those not blocked
    std::unordered_map<ManagerId, bool> blocked;
    std::size_t blocked_count = 0;
  };

  /// Whether a policy can block anyone at all: without a capacity to respect
  /// and without a cap per run, nobody is ever blocked and hand-overs need no
  /// refresh of the flags.
  [[nodiscard]] static bool can_block(const ReleasePolicy& p) { return p.respect_capacity || p.max_new_per_run > 0; }

  [[nodiscard]] bool blocked_under(const ReleasePolicy& p, const Manager& m) {
    const int load = total_load_.get(m.id) + (p.update_loads ? 0 : assigned_.get(m.id));
    return (p.respect_capacity && m.capacity > 0 && load >= m.capacity) ||
           (p.max_new_per_run > 0 && assigned_.get(m.id) >= p.max_new_per_run);
  }

  Pool& pool_for(const ReleasePolicy& p, const std::string& segment) {
    // Picks come in client order with few distinct segments: the pools asked
    // for lately are remembered, a string comparison each.
    for (Pool* recent : recent_pools_)
      if (recent && recent->policy == &p && recent->segment == segment) return *recent;
    auto [it, inserted] = pools_.try_emplace({&p, segment});
    Pool& pool = it->second;
    recent_pools_[next_recent_] = &pool;
    next_recent_ = (next_recent_ + 1) % recent_pools_.size();
    if (!inserted) return pool;
    pool.policy = &p;
    pool.segment = segment;
    std::vector<const Manager*> all;
    for (const auto& [id, m] : managers_) all.push_back(&m);
    std::sort(all.begin(), all.end(), [](const Manager* a, const Manager* b) { return a->id < b->id; });
    const auto& loads = loads_of(segment);
    for (const auto* m : all) {
      if (!m->available(today_) || !m->serves(segment)) continue;
      pool.base.push_back(m);
      const bool b = blocked_under(p, *m);
      if (!b) pool.by_load.emplace(loads.get(m->id), m->id.value());
      pool.blocked.emplace(m->id, b);
      pool.blocked_count += b ? 1 : 0;
      pools_of_[m->id].push_back(&pool);
    }
    return pool;
  }

  [[nodiscard]] int segment_load(const std::string& segment, ManagerId m) {
    return loads_of(segment).get(m);
  }
  /// The loads in one segment (the last one asked for is remembered: clients
  /// come with few distinct segments).
  ManagerCounts& loads_of(const std::string& segment) {
    if (last_segment_ && last_segment_->first == segment) return last_segment_->second;
    last_segment_ = &*segment_load_.try_emplace(segment).first;
    return last_segment_->second;
  }

  void move_segment_load(const std::string& segment, ManagerId m, int by) {
    int& load = loads_of(segment)[m];
    if (auto it = pools_of_.find(m); it != pools_of_.end())
      for (Pool* pool : it->second)
        if (pool->segment == segment && pool->by_load.erase({load, m.value()}))
          pool->by_load.emplace(load + by, m.value());
    load += by;
  }

  void refresh_blocked(ManagerId m) {
    auto it = pools_of_.find(m);
    if (it == pools_of_.end()) return;
    for (Pool* pool : it->second) {
      if (!can_block(*pool->policy)) continue;
      bool& flag = pool->blocked.at(m);
      const bool now_blocked = blocked_under(*pool->policy, managers_.at(m));
      if (now_blocked != flag) {
        pool->blocked_count += now_blocked ? 1 : 0;
        pool->blocked_count -= now_blocked ? 0 : 1;
        flag = now_blocked;
        const int load = segment_load(pool->segment, m);
        if (now_blocked) pool->by_load.erase({load, m.value()});
        else pool->by_load.emplace(load, m.value());
      }
    }
  }

  const std::unordered_map<ManagerId, Manager>& managers_;
  const Date& today_;
  ManagerCounts total_load_;
  std::unordered_map<std::string, ManagerCounts> segment_load_;  // node-based: references stay valid
  std::pair<const std::string, ManagerCounts>* last_segment_ = nullptr;
  ManagerCounts assigned_;
  std::map<std::string, ManagerId> cursor_;
  std::map<std::pair<const ReleasePolicy*, std::string>, Pool> pools_;  // node-based: pointers stay valid
  std::array<Pool*, 8> recent_pools_{};
  std::size_t next_recent_ = 0;
  std::unordered_map<ManagerId, std::vector<Pool*>> pools_of_;
};

}  // namespace nudge::detail
