// The done-when test of notifications, over the in-memory adapter (the SQLite
// run is tests/unit/sqlite/test_notify_sqlite.cpp): a day of events and time,
// a notifier failing every third call, every message delivered exactly once to
// a deduplicating gateway, none lost, none sent in quiet hours.

#include <doctest/doctest.h>

#include <nudge/storage/memory_storage.hpp>

#include "day_scenario.hpp"

// Own namespace: the tests build as a unity build.
namespace nudge_notify_test_day {

TEST_CASE("notify.day.memory") {
  nudge::MemoryStorage store;
  const auto r = nudge::day::run_day(store);
  nudge::day::check_day(r);
  MESSAGE("memory: " << r.outbox.size() << " messages, " << r.gateway.raw.size() << " raw deliveries, "
                     << r.notifier_calls << " notifier calls (" << r.notifier_failures << " failed), " << r.deferred
                     << " deferrals for quiet hours, " << r.event_actions << " event actions, last delivery at "
                     << nudge::iso_instant(r.gateway.raw.back().at));
}
}  // namespace nudge_notify_test_day
