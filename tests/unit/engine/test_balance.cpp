#include <doctest/doctest.h>

#include <map>
#include <random>

#include <nudge/engine/balance.hpp>

// Own namespace: the tests build as a unity build.
namespace nudge_engine_test_balance {

using namespace nudge;

namespace {

/// What a least-loaded pick must be, recomputed from scratch at every step.
struct Model {
  std::map<ManagerId, int> total, assigned;
  std::map<std::string, std::map<ManagerId, int>> segment;

  bool blocked(const ReleasePolicy& p, const Manager& m) const {
    auto get = [](const std::map<ManagerId, int>& x, ManagerId id) {
      auto it = x.find(id);
      return it == x.end() ? 0 : it->second;
    };
    const int load = get(total, m.id) + (p.update_loads ? 0 : get(assigned, m.id));
    return (p.respect_capacity && m.capacity > 0 && load >= m.capacity) ||
           (p.max_new_per_run > 0 && get(assigned, m.id) >= p.max_new_per_run);
  }
  /// (best, eligible) among the managers who serve the segment, not `from`,
  /// not blocked: the least clients in the segment, then the lowest id.
  std::pair<std::optional<ManagerId>, std::size_t> pick(const ReleasePolicy& p,
                                                        const std::map<ManagerId, Manager>& managers,
                                                        const std::string& seg, ManagerId from) {
    std::optional<std::pair<int, ManagerId>> best;
    std::size_t eligible = 0;
    for (const auto& [id, m] : managers) {
      if (!m.serves(seg) || id == from || blocked(p, m)) continue;
      ++eligible;
      const auto key = std::pair(segment[seg][id], id);
      if (!best || key < *best) best = key;
    }
    return {best ? std::optional(best->second) : std::nullopt, eligible};
  }
  void assign(const ReleasePolicy& p, const Client& c, ManagerId from, ManagerId to) {
    if (p.update_loads) {
      ++total[to];
      --total[from];
      for (const auto& s : c.segments) {
        ++segment[s][to];
        --segment[s][from];
      }
    }
    ++assigned[to];
  }
};

}  // namespace

TEST_CASE("engine.balance.least_loaded_picks_equal_a_recount_from_scratch") {
  // Managers fill up (capacity, max_new_per_run) and, with update_loads,
  // free up again as their own clients are handed away: every pick must be
  // the least-loaded eligible manager a recount gives.
  const std::vector<std::string> segments{"smb", "mid", "ent"};
  for (std::uint64_t seed = 1; seed <= 24; ++seed) {
    std::mt19937_64 rng(seed);
    ReleasePolicy p;
    p.update_loads = seed % 2 == 0;
    p.respect_capacity = seed % 3 != 0;
    p.max_new_per_run = seed % 4 == 1 ? 3 : 0;
    std::unordered_map<ManagerId, Manager> managers;
    std::map<ManagerId, Manager> ordered;
    for (std::int64_t i = 1; i <= 12; ++i) {
      Manager m;
      m.id = ManagerId{i};
      m.name = "m";
      m.capacity = static_cast<int>(rng() % 3 == 0 ? 0 : 5 + rng() % 20);
      if (rng() % 3 == 0) m.segments = {segments[rng() % 3]};
      managers.emplace(m.id, m);
      ordered.emplace(m.id, m);
    }
    std::vector<Client> clients;
    for (std::int64_t i = 1; i <= 150; ++i) {
      Client c;
      c.id = ClientId{i};
      c.owner = ManagerId{1 + static_cast<std::int64_t>(rng() % 12)};
      c.segments = {segments[rng() % 3]};
      clients.push_back(c);
    }
    const Date today{std::chrono::year{2026} / 11 / 25};
    detail::Balancer balancer(managers, today);
    Model model;
    for (const auto& c : clients) {
      balancer.count(c);
      ++model.total[c.owner];
      ++model.segment[c.segments.front()][c.owner];
    }
    std::shuffle(clients.begin(), clients.end(), rng);
    std::size_t handed = 0;
    for (auto& c : clients) {
      CAPTURE(seed);
      CAPTURE(c.id.value());
      const auto want = model.pick(p, ordered, c.segments.front(), c.owner);
      const auto got = balancer.pick(p, c.segments.front(), c.owner);
      REQUIRE(got.eligible == want.second);
      REQUIRE((got.best ? std::optional(got.best->id) : std::nullopt) == want.first);
      if (!got.best) continue;
      balancer.assign(p, c, c.owner, got.best->id);
      model.assign(p, c, c.owner, got.best->id);
      c.owner = got.best->id;
      ++handed;
    }
    CHECK(handed > 0);
  }
}

}  // namespace nudge_engine_test_balance
