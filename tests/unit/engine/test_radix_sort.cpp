#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include <nudge/engine/radix_sort.hpp>

using nudge::detail::radix_sort;
using nudge::detail::signed_key;

namespace {

struct Rec {
  std::int64_t key;
  std::uint32_t seq;  // the position before sorting: stability is visible
  friend bool operator==(const Rec&, const Rec&) = default;
};

std::vector<Rec> sorted_by_model(std::vector<Rec> v) {
  std::stable_sort(v.begin(), v.end(), [](const Rec& a, const Rec& b) { return a.key < b.key; });
  return v;
}

}  // namespace

TEST_CASE("engine.radix_sort: a signed key sorts as the value does") {
  const std::int64_t lo = std::numeric_limits<std::int64_t>::min(), hi = std::numeric_limits<std::int64_t>::max();
  const std::vector<std::int64_t> xs{lo, lo + 1, -3600, -1, 0, 1, 3600, hi - 1, hi};
  for (std::size_t i = 1; i < xs.size(); ++i) CHECK(signed_key(xs[i - 1]) < signed_key(xs[i]));
}

TEST_CASE("engine.radix_sort: equals a stable sort for keys over narrow and wide ranges") {
  std::mt19937_64 rng(5);
  std::vector<Rec> scratch;  // reused across calls, as the Watch does
  struct Case {
    std::size_t n;
    std::int64_t low, span;  // keys in [low, low + span)
  };
  const std::int64_t lo = std::numeric_limits<std::int64_t>::min();
  for (const auto& c : {Case{0, 0, 1}, Case{1, 5, 1}, Case{2, 7, 2}, Case{50, 1, 4}, Case{5000, 1, 1000000},
                        Case{20000, -500000, 1000}, Case{20000, 1, std::int64_t{1} << 22},
                        Case{20000, 1, (std::int64_t{1} << 22) + 1}, Case{3000, lo, std::numeric_limits<std::int64_t>::max()},
                        Case{4000, -(std::int64_t{1} << 40), std::int64_t{1} << 41}}) {
    CAPTURE(c.n);
    CAPTURE(c.low);
    CAPTURE(c.span);
    std::vector<Rec> v(c.n);
    for (std::uint32_t i = 0; i < c.n; ++i)
      v[i] = {c.low + static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(c.span)), i};
    if (c.n > 10) v[3].key = v[c.n - 2].key;  // a tie at least
    const auto want = sorted_by_model(v);
    radix_sort(v, [](const Rec& r) { return signed_key(r.key); }, scratch);
    CHECK(v == want);
  }
  // Both extremes of the 64-bit range in one list, and keys already sorted
  // (left as they are).
  std::vector<Rec> ends{{std::numeric_limits<std::int64_t>::max(), 0}, {lo, 1}, {0, 2}, {lo, 3}, {-1, 4}};
  auto want = sorted_by_model(ends);
  radix_sort(ends, [](const Rec& r) { return signed_key(r.key); }, scratch);
  CHECK(ends == want);
  radix_sort(ends, [](const Rec& r) { return signed_key(r.key); }, scratch);
  CHECK(ends == want);
  // An unsigned key used as is: descending by flipping it.
  std::vector<Rec> d{{1, 0}, {3, 1}, {2, 2}, {3, 3}};
  radix_sort(d, [](const Rec& r) { return ~static_cast<std::uint64_t>(r.key); }, scratch);
  CHECK(d == std::vector<Rec>{{3, 1}, {3, 3}, {2, 2}, {1, 0}});
}
