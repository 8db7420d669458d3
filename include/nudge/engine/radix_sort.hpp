#pragma once
/// @file
/// A stable least-significant-digit radix sort by an unsigned 64-bit key, for
/// the Watch's per-move lists (a day's touches, the deadlines to file): tens
/// of thousands of small records whose keys (client ids, hours) span few
/// bits, where std::sort's comparisons cost several times more.

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace nudge::detail {

/// A signed value as a key that sorts as the value does (the sign bit
/// flipped).
constexpr std::uint64_t signed_key(std::int64_t x) {
  return static_cast<std::uint64_t>(x) ^ (std::uint64_t{1} << 63);
}

/// Sorts `v` by key(x) (std::uint64_t), stably, in passes of 11 bits over
/// only the bits in which the keys differ from the smallest (keys within a
/// range of 2^22 take two passes). `scratch` is working room, left in any
/// state; passing the same one each time keeps its memory.
template <class T, class Key>
void radix_sort(std::vector<T>& v, const Key& key, std::vector<T>& scratch) {
  if (v.size() < 2) return;
  constexpr unsigned digit = 11;
  constexpr std::size_t buckets = std::size_t{1} << digit;
  std::uint64_t low = key(v.front()), high = low;
  bool sorted = true;
  for (std::size_t i = 1; i < v.size(); ++i) {
    const std::uint64_t k = key(v[i]);
    sorted = sorted && k >= key(v[i - 1]);
    low = std::min(low, k);
    high = std::max(high, k);
  }
  if (sorted) return;
  const auto bits = static_cast<unsigned>(std::bit_width(high - low));
  scratch.resize(v.size());
  std::array<std::size_t, buckets> count{};
  for (unsigned shift = 0; shift < bits; shift += digit) {
    count.fill(0);
    for (const auto& x : v) ++count[((key(x) - low) >> shift) & (buckets - 1)];
    std::size_t at = 0;
    for (auto& c : count) at += std::exchange(c, at);
    for (auto& x : v) scratch[count[((key(x) - low) >> shift) & (buckets - 1)]++] = std::move(x);
    v.swap(scratch);
  }
}

}  // namespace nudge::detail
