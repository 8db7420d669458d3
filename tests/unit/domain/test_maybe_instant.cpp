#include <doctest/doctest.h>

#include <optional>

#include <nudge/domain/time.hpp>

// Own namespace: the tests build as a unity build.
namespace nudge_domain_test_maybe_instant {

using nudge::Instant;
using nudge::MaybeInstant;

TEST_CASE("MaybeInstant reads and converts as std::optional<Instant>") {
  static_assert(sizeof(MaybeInstant) == 8);
  const Instant t = nudge::from_unix(1'790'000'000);
  MaybeInstant none;
  CHECK_FALSE(none);
  CHECK_FALSE(none.has_value());
  CHECK(none == std::nullopt);
  CHECK(none.value_or(t) == t);
  CHECK(none.or_min() == Instant::min());
  CHECK_THROWS_AS((void)none.value(), std::bad_optional_access);
  CHECK(static_cast<std::optional<Instant>>(none) == std::nullopt);

  MaybeInstant some = t;
  REQUIRE(some);
  CHECK(*some == t);
  CHECK(some->time_since_epoch().count() == 1'790'000'000);
  CHECK(some.value() == t);
  CHECK(some == t);
  CHECK_FALSE(some == t + std::chrono::seconds(1));
  CHECK_FALSE(none == t);
  CHECK(some != none);
  CHECK(static_cast<std::optional<Instant>>(some) == t);

  // From an optional, both ways; the epoch (zero) is an instant like any other.
  CHECK(MaybeInstant(std::optional<Instant>{}) == none);
  CHECK(MaybeInstant(std::optional<Instant>{nudge::from_unix(0)}) == nudge::from_unix(0));
  CHECK(MaybeInstant(nudge::from_unix(0)).has_value());
  CHECK(some == std::optional<Instant>(t));

  some.reset();
  CHECK(some == none);
  some = std::nullopt;
  CHECK_FALSE(some);
  some = std::optional<Instant>(t);
  CHECK(some == t);
}

}  // namespace nudge_domain_test_maybe_instant
