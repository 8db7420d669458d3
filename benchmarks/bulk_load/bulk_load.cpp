// Bulk load from C++: the same rows benchmarks/python_bulk_load.py loads
// through Storage.bulk_load, built in memory first (not timed), then written
// through one unit of work of a MemoryStorage. Prints rows per second.
//
//   nudge_bench_bulk_load [clients=100000] [activities=1000000]

#include <chrono>
#include <ctime>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include <nudge/storage/memory_storage.hpp>

namespace {

// The generator both sides share (python_bulk_load.py mirrors it line by line).
constexpr std::int64_t t0 = 1700000000;  // 2023-11-14T22:13:20Z
constexpr std::int64_t span = 3 * 365 * 86400;
const char* const segments[] = {"smb", "mid", "enterprise", "retail", "public"};
constexpr nudge::ActivityKind kinds[] = {nudge::ActivityKind::call_in, nudge::ActivityKind::call_out,
                                         nudge::ActivityKind::call_missed, nudge::ActivityKind::email,
                                         nudge::ActivityKind::meeting, nudge::ActivityKind::message,
                                         nudge::ActivityKind::note, nudge::ActivityKind::document};

std::int64_t managers_for(std::int64_t clients) { return std::max<std::int64_t>(1, std::min<std::int64_t>(2000, clients / 200)); }

}  // namespace

int main(int argc, char** argv) {
  const std::int64_t n_clients = argc > 1 ? std::atoll(argv[1]) : 100'000;
  const std::int64_t n_activities = argc > 2 ? std::atoll(argv[2]) : 1'000'000;
  const std::int64_t n_managers = managers_for(n_clients);

  std::vector<nudge::Manager> managers;
  for (std::int64_t i = 1; i <= n_managers; ++i) {
    nudge::Manager m;
    m.id = nudge::ManagerId{i};
    m.name = fmt::format("manager {}", i);
    managers.push_back(std::move(m));
  }
  std::vector<nudge::Client> clients;
  clients.reserve(static_cast<std::size_t>(n_clients));
  for (std::int64_t i = 1; i <= n_clients; ++i) {
    nudge::Client c;
    c.id = nudge::ClientId{i};
    c.name = fmt::format("client {}", i);
    c.owner = nudge::ManagerId{1 + i % n_managers};
    c.segments = {segments[i % 5]};
    c.kind = i % 3 ? nudge::ClientKind::b2b : nudge::ClientKind::b2c;
    c.created = nudge::from_unix(t0 + i);
    clients.push_back(std::move(c));
  }
  std::vector<nudge::Activity> activities;
  activities.reserve(static_cast<std::size_t>(n_activities));
  for (std::int64_t j = 1; j <= n_activities; ++j) {
    nudge::Activity a;
    a.id = nudge::ActivityId{j};
    a.client = nudge::ClientId{1 + (j * 7919) % n_clients};
    a.manager = nudge::ManagerId{1 + j % n_managers};
    a.kind = kinds[j % 8];
    a.at = nudge::from_unix(t0 + (j * 104729) % span);
    activities.push_back(a);
  }

  nudge::MemoryStorage store;
  const auto start = std::chrono::steady_clock::now();
  const std::clock_t cpu_start = std::clock();
  {
    auto w = store.begin();
    for (const auto& m : managers) w->put_manager(m);
    for (const auto& c : clients) w->put_client(c);
    for (const auto& a : activities) w->add_activity(a);
    w->commit();
  }
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double cpu = static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;
  const auto rows = static_cast<double>(n_managers + n_clients + n_activities);
  // CPU time is the fair figure on a shared machine; wall time is printed too.
  std::cout << fmt::format("C++ MemoryStorage, one unit of work: {} managers + {} clients + {} activities: "
                           "{:.3f} s CPU ({:.3f} s wall) = {:.0f} rows/s of CPU\n",
                           n_managers, n_clients, n_activities, cpu, s, rows / cpu);
  return 0;
}
