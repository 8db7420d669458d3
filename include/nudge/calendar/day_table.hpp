#pragma once
/// @file
/// Internal to BusinessCalendar: a precomputed bit per day saying "business
/// day", with running counts, so that counting and stepping business days are
/// O(1)/O(log n) over 1900..2199. Not part of the public API.

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <vector>

#include <nudge/domain/time.hpp>

namespace nudge::detail {

/// Monday-first weekday index: Monday 0 .. Sunday 6 (numpy's week mask order).
inline int weekday_index(Date d) { return static_cast<int>(std::chrono::weekday{d}.iso_encoding()) - 1; }

/// How many days in [x, y) fall on the Monday-first weekday `w`.
inline std::int64_t weekday_count(Date x, Date y, int w) {
  const std::int64_t n = (y - x).count();
  if (n <= 0) return 0;
  const std::int64_t first = (w - weekday_index(x) + 7) % 7;  // offset of the first such day
  return first < n ? (n - first - 1) / 7 + 1 : 0;
}

/// Business-day bits for [first, last) with per-weekday running counts.
/// Built once, then read-only (safe for concurrent readers).
class DayTable {
public:
  static constexpr Date first = ymd(1900, 1, 1);  // a Monday: bit j of word i is weekday (i + j) % 7
  static constexpr Date last = ymd(2200, 1, 1);
  static_assert(std::chrono::weekday{first} == std::chrono::Monday);

  static constexpr bool covers(Date d) { return d >= first && d < last; }

  /// business(d) = d in working_days || (mask[weekday(d)] && d not in holidays).
  /// Dates outside [first, last) are ignored.
  void build(const std::array<bool, 7>& mask, const std::vector<Date>& holidays,
             const std::vector<Date>& working_days) {
    const std::int64_t n = (last - first).count();
    const std::size_t nwords = static_cast<std::size_t>((n + 63) / 64);
    words_.assign(nwords, 0);
    for (std::size_t i = 0; i < nwords; ++i) {
      std::uint64_t w = 0;
      for (int wd = 0; wd < 7; ++wd) {
        if (mask[wd]) w |= pattern(wd, static_cast<int>(i % 7));
      }
      words_[i] = w;
    }
    if (n % 64 != 0) words_.back() &= (std::uint64_t{1} << (n % 64)) - 1;
    for (Date h : holidays) {
      if (covers(h)) words_[index(h) / 64] &= ~(std::uint64_t{1} << (index(h) % 64));
    }
    for (Date o : working_days) {
      if (covers(o)) words_[index(o) / 64] |= std::uint64_t{1} << (index(o) % 64);
    }
    prefix_.assign(nwords + 1, 0);
    for (auto& p : prefix_wd_) p.assign(nwords + 1, 0);
    for (std::size_t i = 0; i < nwords; ++i) {
      prefix_[i + 1] = prefix_[i] + std::popcount(words_[i]);
      for (int wd = 0; wd < 7; ++wd) {
        prefix_wd_[wd][i + 1] = prefix_wd_[wd][i] + std::popcount(words_[i] & pattern(wd, static_cast<int>(i % 7)));
      }
    }
  }

  /// Whether d (covered) is a business day.
  bool test(Date d) const {
    const auto i = index(d);
    return (words_[i / 64] >> (i % 64)) & 1U;
  }

  /// Business days in [first, d), for d in [first, last].
  std::int64_t rank(Date d) const {
    const auto i = index(d);
    return prefix_[i / 64] + std::popcount(words_at(i / 64) & below(i % 64));
  }

  /// Business days in [first, d) per Monday-first weekday, for d in [first, last].
  std::array<std::int64_t, 7> rank_by_weekday(Date d) const {
    const auto i = index(d);
    const std::uint64_t low = words_at(i / 64) & below(i % 64);
    std::array<std::int64_t, 7> r{};
    for (int wd = 0; wd < 7; ++wd) {
      r[wd] = prefix_wd_[wd][i / 64] + std::popcount(low & pattern(wd, static_cast<int>((i / 64) % 7)));
    }
    return r;
  }

  /// Business days in [first, last).
  std::int64_t total() const { return prefix_.back(); }

  /// The business day of rank r (0-based), 0 <= r < total().
  Date select(std::int64_t r) const {
    // The word holding it: the last i with prefix_[i] <= r.
    const auto it = std::upper_bound(prefix_.begin(), prefix_.end(), r);
    const auto i = static_cast<std::size_t>(it - prefix_.begin() - 1);
    std::uint64_t w = words_[i];
    for (std::int64_t k = r - prefix_[i]; k > 0; --k) w &= w - 1;  // drop the lower set bits
    return first + Days{static_cast<std::int64_t>(i) * 64 + std::countr_zero(w)};
  }

private:
  static std::size_t index(Date d) { return static_cast<std::size_t>((d - first).count()); }
  static std::uint64_t below(std::size_t bit) { return (std::uint64_t{1} << bit) - 1; }
  std::uint64_t words_at(std::size_t i) const { return i < words_.size() ? words_[i] : 0; }

  /// Bits j of a word with (r + j) % 7 == wd, where r = word index % 7 (64 = 1 mod 7).
  static std::uint64_t pattern(int wd, int r) {
    static const auto table = [] {
      std::array<std::array<std::uint64_t, 7>, 7> t{};
      for (int w = 0; w < 7; ++w) {
        for (int rr = 0; rr < 7; ++rr) {
          for (int j = 0; j < 64; ++j) {
            if ((rr + j) % 7 == w) t[w][rr] |= std::uint64_t{1} << j;
          }
        }
      }
      return t;
    }();
    return table[wd][r];
  }

  std::vector<std::uint64_t> words_;
  std::vector<std::int32_t> prefix_;
  std::array<std::vector<std::int32_t>, 7> prefix_wd_;
};

}  // namespace nudge::detail
