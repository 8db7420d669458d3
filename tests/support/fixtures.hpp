#pragma once
// Small builders for tests: a manager, a client, an activity ... with fixed dates.

#include <nudge/domain/activity.hpp>
#include <nudge/domain/client.hpp>
#include <nudge/domain/deal.hpp>
#include <nudge/domain/invoice.hpp>
#include <nudge/domain/manager.hpp>
#include <nudge/domain/task.hpp>

namespace nudge::test {

/// 2026-11-22T00:00:00Z, the baseline's NOW.
inline constexpr Instant bench_now = from_unix(1795305600);

inline Instant at(int y, unsigned m, unsigned d, int hh = 0, int mm = 0) {
  return at_midnight(ymd(y, m, d)) + std::chrono::hours{hh} + std::chrono::minutes{mm};
}

inline Manager manager(std::int64_t id, std::string name, std::optional<std::int64_t> sup = {}) {
  Manager m;
  m.id = ManagerId{id};
  m.name = std::move(name);
  if (sup) m.supervisor = ManagerId{*sup};
  return m;
}

inline Client client(std::int64_t id, std::string name, std::int64_t owner, std::string segment = "smb",
                     Instant created = at(2025, 1, 1)) {
  Client c;
  c.id = ClientId{id};
  c.name = std::move(name);
  c.owner = ManagerId{owner};
  c.segments = {std::move(segment)};
  c.created = created;
  return c;
}

inline Activity activity(std::int64_t id, std::int64_t client, std::int64_t mgr, ActivityKind k, Instant when) {
  Activity a;
  a.id = ActivityId{id};
  a.client = ClientId{client};
  a.manager = ManagerId{mgr};
  a.kind = k;
  a.at = when;
  return a;
}

inline Task task(std::int64_t id, std::int64_t client, std::int64_t assignee, Instant due) {
  Task t;
  t.id = TaskId{id};
  t.client = ClientId{client};
  t.assignee = ManagerId{assignee};
  t.due = due;
  t.title = "call back";
  return t;
}

inline Deal deal(std::int64_t id, std::int64_t client, std::int64_t owner, std::string stage, Instant opened,
                 double amount = 1000.0, double probability = 0.5) {
  Deal d;
  d.id = DealId{id};
  d.client = ClientId{client};
  d.owner = ManagerId{owner};
  d.stage = std::move(stage);
  d.opened = opened;
  d.stage_entered = opened;
  d.amount = Money::from_decimal(amount, "USD");
  d.probability = probability;
  return d;
}

inline Invoice invoice(std::int64_t id, std::int64_t client, double amount, Instant issued, Instant due) {
  Invoice i;
  i.id = InvoiceId{id};
  i.client = ClientId{client};
  i.amount = Money::from_decimal(amount, "USD");
  i.issued = issued;
  i.due = due;
  return i;
}

}  // namespace nudge::test
