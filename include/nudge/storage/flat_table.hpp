#pragma once
/// @file
/// Flat containers behind MemoryStorage: an id index (a dense table while the
/// ids are dense, open addressing otherwise), a set of ids that is a bitmap
/// while ids are dense, and a table of rows kept in chunks of one huge page
/// each with its ascending-id order beside it. What a store of a million
/// clients needs to scan at memory speed and to find a row with one probe,
/// where a std::map costs a node, a pointer chase and a cache miss per row.

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <limits>
#include <memory>
#include <new>
#include <utility>
#include <vector>

#ifdef __linux__
#include <sys/mman.h>
#endif

#include <fmt/format.h>

#include <nudge/error.hpp>

namespace nudge::detail {

/// Maps 64-bit ids to 32-bit row numbers.
///
/// While every id put is the first one's + its row and the rows are 0, 1,
/// 2, ... in order (ids 1..n imported one after another, row r for the r-th),
/// there is no table at all: the row is computed, a lookup reads nothing (at
/// a million clients a second cache miss saved per random lookup, and 4 MB).
/// Erasing the last id stays so. The first put or erase that breaks it
/// writes those ids into the dense table below, and the index carries on
/// from there.
///
/// While the ids are dense (their span at most four times their number, plus
/// a little), a table of rows indexed by id - base: 4 bytes an id slot, one
/// read per lookup, and for a million clients 4 MB that stay in cache. Once
/// an id would break that, every id moves to a hash index: linear probing,
/// power-of-two capacity, at most half full, erase shifts the following run
/// back (no tombstones), 16 bytes a slot. When the hash index would grow and
/// the ids put so far (their extremes, erased or not) are dense again, they
/// move back to the table. Either way no more memory than the hash index.
class IdIndex {
public:
  static constexpr std::uint32_t npos = std::numeric_limits<std::uint32_t>::max();

  [[nodiscard]] std::size_t size() const { return size_; }
  /// Whether the ids went to the hash index (for tests and figures).
  [[nodiscard]] bool hashed() const { return hashed_; }
  /// Whether the rows are computed: id = the first id + row for rows 0 ..
  /// size() - 1 (an empty index is so).
  [[nodiscard]] bool identity() const { return identity_; }

  [[nodiscard]] std::uint32_t find(std::int64_t key) const {
    if (identity_) {
      const auto off = offset(key);
      return off < size_ ? static_cast<std::uint32_t>(off) : npos;
    }
    if (!hashed_) {
      const auto off = offset(key);
      return off < dense_.size() ? dense_[off] : npos;
    }
    if (slots_.empty() || key == empty) return npos;
    for (std::size_t i = home(key);; i = (i + 1) & mask_) {
      const auto& s = slots_[i];
      if (s.key == key) return s.row;
      if (s.key == empty) return npos;
    }
  }

  /// Starts loading the slot `find(key)` will read (a hint: nothing
  /// changes). A caller that knows the ids it will look up next issues this
  /// a few lookups ahead, so that the cache misses overlap.
  void prefetch(std::int64_t key) const {
    if (identity_) return;  // nothing to read
    if (!hashed_) {
      const auto off = offset(key);
      if (off < dense_.size()) __builtin_prefetch(&dense_[off]);
    } else if (!slots_.empty()) {
      __builtin_prefetch(&slots_[home(key)]);
    }
  }

  /// Inserts or overwrites.
  void put(std::int64_t key, std::uint32_t row) {
    if (key == empty) throw invalid_argument(fmt::format("id {}: cannot be indexed (the smallest 64-bit value)", key));
    if (row == npos) throw invalid_argument(fmt::format("id {}: row {} is out of range", key, row));
    if (identity_) {
      if (size_ == 0 && row == 0) base_ = low_ = high_ = key;  // the first id: the rows count from it
      const auto off = offset(key);
      if (off == size_ && row == size_) {  // the next id, the next row
        ++size_;
        high_ = key;
        return;
      }
      if (off < size_ && row == off) return;  // already so
      leave_identity();
    }
    if (!hashed_) {
      if (!cover(key)) start_or_extend(key);
      if (!hashed_) {
        dense_put(key, row);
        return;
      }
    } else if (hash_would_grow() && dense_enough(std::min(low_, key), std::max(high_, key), size_ + 1)) {
      // The hash index would grow, and the ids are dense again (ids put
      // shuffled, or a far id erased and many near ones put): back to the
      // table, which checks this only as often as the hash index grows.
      to_dense(key);
      dense_put(key, row);
      return;
    }
    low_ = std::min(low_, key);
    high_ = std::max(high_, key);
    hash_put(key, row);
  }

  bool erase(std::int64_t key) {
    if (identity_) {
      const auto off = offset(key);
      if (off >= size_) return false;
      if (off + 1 == size_) {  // the last: the others stay computed
        --size_;
        high_ = key - 1;
        return true;
      }
      leave_identity();
    }
    if (!hashed_) {
      const auto off = offset(key);
      if (off >= dense_.size() || dense_[off] == npos) return false;
      dense_[off] = npos;
      --size_;
      return true;
    }
    if (slots_.empty() || key == empty) return false;
    std::size_t i = home(key);
    for (;; i = (i + 1) & mask_) {
      if (slots_[i].key == key) break;
      if (slots_[i].key == empty) return false;
    }
    // Backward-shift deletion: move each later entry of the run into the gap
    // when the gap lies between its home and its slot.
    for (std::size_t j = (i + 1) & mask_;; j = (j + 1) & mask_) {
      if (slots_[j].key == empty) break;
      const std::size_t h = home(slots_[j].key);
      if (((j - h) & mask_) >= ((j - i) & mask_)) {
        slots_[i] = slots_[j];
        i = j;
      }
    }
    slots_[i] = {empty, 0};
    --size_;
    return true;
  }

  /// Room for n ids without growing (in the hash index; the dense table grows
  /// by doubling toward the new id).
  void reserve(std::size_t n) {
    if (hashed_)
      while (slots_.size() < n * 2) grow();
    else
      reserve_hint_ = std::max(reserve_hint_, n);
  }

private:
  static constexpr std::int64_t empty = std::numeric_limits<std::int64_t>::min();
  /// Dense while (highest - lowest + 1) <= 4 * ids + slack.
  static constexpr std::uint64_t slack = 1024;
  struct Slot {
    std::int64_t key = empty;
    std::uint32_t row = 0;
  };

  [[nodiscard]] std::uint64_t offset(std::int64_t key) const {
    return static_cast<std::uint64_t>(key) - static_cast<std::uint64_t>(base_);
  }
  [[nodiscard]] bool cover(std::int64_t key) const { return offset(key) < dense_.size(); }

  /// Makes the dense table cover `key`, or moves everything to the hash index
  /// when that would make it sparse.
  void start_or_extend(std::int64_t key) {
    if (dense_.empty()) {
      // The first id (or the first after every slot emptied): the table starts here.
      base_ = key;
      low_ = high_ = key;
      const auto first = std::min<std::uint64_t>(std::max<std::size_t>(reserve_hint_, 16), room_above(key));
      dense_.assign(static_cast<std::size_t>(first), npos);
      return;
    }
    const std::int64_t low = std::min(low_, key), high = std::max(high_, key);
    if (!dense_enough(low, high, size_ + 1)) {
      to_hash();
      return;
    }
    // Double toward the new id (amortized growth from either side), within
    // the 64-bit range.
    const auto size = static_cast<std::uint64_t>(dense_.size());
    if (key < base_) {
      const auto below = static_cast<std::uint64_t>(base_) - static_cast<std::uint64_t>(key);
      const auto extra = std::min(std::max(below, size), static_cast<std::uint64_t>(base_) - static_cast<std::uint64_t>(empty) - 1);
      std::vector<std::uint32_t> bigger(static_cast<std::size_t>(size + extra), npos);
      std::copy(dense_.begin(), dense_.end(), bigger.begin() + static_cast<std::ptrdiff_t>(extra));
      dense_ = std::move(bigger);
      base_ = static_cast<std::int64_t>(static_cast<std::uint64_t>(base_) - extra);
    } else {
      const auto need = offset(key) + 1;
      dense_.resize(static_cast<std::size_t>(std::min(std::max(need, 2 * size), room_above(base_))), npos);
    }
  }
  /// How many ids from `from` up to the largest 64-bit value.
  [[nodiscard]] static std::uint64_t room_above(std::int64_t from) {
    return static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) - static_cast<std::uint64_t>(from) + 1;
  }

  /// Whether n ids between low and high (inclusive) are dense enough for the table.
  [[nodiscard]] static bool dense_enough(std::int64_t low, std::int64_t high, std::size_t n) {
    const auto span = static_cast<std::uint64_t>(high) - static_cast<std::uint64_t>(low);  // + 1, without overflow
    return span < 4 * static_cast<std::uint64_t>(n) + slack;
  }

  void dense_put(std::int64_t key, std::uint32_t row) {
    low_ = std::min(low_, key);
    high_ = std::max(high_, key);
    auto& r = dense_[offset(key)];
    if (r == npos) ++size_;
    r = row;
  }

  /// From computed rows to the dense table holding them (the index then
  /// goes on as if they had been put one by one).
  void leave_identity() {
    identity_ = false;
    if (size_ == 0) return;  // an empty table: the next put starts it
    const auto n = static_cast<std::uint64_t>(size_);
    dense_.assign(static_cast<std::size_t>(std::min(std::max(n, static_cast<std::uint64_t>(reserve_hint_)), room_above(base_))), npos);
    for (std::uint32_t r = 0; r < size_; ++r) dense_[r] = r;
  }

  /// Back from the hash index to a table covering every id put and `key`.
  void to_dense(std::int64_t key) {
    low_ = std::min(low_, key);
    high_ = std::max(high_, key);
    base_ = low_;
    const auto span = static_cast<std::uint64_t>(high_) - static_cast<std::uint64_t>(low_) + 1;
    dense_.assign(static_cast<std::size_t>(std::min(std::max(span, static_cast<std::uint64_t>(reserve_hint_)), room_above(base_))), npos);
    for (const auto& s : slots_)
      if (s.key != empty) dense_[offset(s.key)] = s.row;
    std::vector<Slot>().swap(slots_);  // freed (`slots_ = {}` would keep the capacity)
    mask_ = 0;
    shift_ = 64;
    hashed_ = false;
  }

  void to_hash() {
    std::vector<std::uint32_t> old = std::move(dense_);
    dense_ = {};
    hashed_ = true;
    const std::size_t n = size_;
    size_ = 0;
    while (slots_.size() < std::max(n + 1, reserve_hint_) * 2) grow();
    for (std::size_t off = 0; off < old.size(); ++off)
      if (old[off] != npos) hash_put(static_cast<std::int64_t>(static_cast<std::uint64_t>(base_) + off), old[off]);
  }

  /// Whether one more id would make the hash index grow (at most half full).
  [[nodiscard]] bool hash_would_grow() const { return (size_ + 1) * 2 > slots_.size(); }

  void hash_put(std::int64_t key, std::uint32_t row) {
    if (hash_would_grow()) grow();
    for (std::size_t i = home(key);; i = (i + 1) & mask_) {
      auto& s = slots_[i];
      if (s.key == key) {
        s.row = row;
        return;
      }
      if (s.key == empty) {
        s = {key, row};
        ++size_;
        return;
      }
    }
  }

  [[nodiscard]] std::size_t home(std::int64_t key) const {
    // Fibonacci hashing: consecutive ids spread over the table.
    return static_cast<std::size_t>((static_cast<std::uint64_t>(key) * 0x9E3779B97F4A7C15ull) >> shift_) & mask_;
  }
  void grow() {
    std::vector<Slot> old = std::move(slots_);
    const std::size_t cap = old.empty() ? 16 : old.size() * 2;
    slots_.assign(cap, Slot{});
    mask_ = cap - 1;
    shift_ = static_cast<unsigned>(64 - std::countr_zero(cap));
    size_ = 0;
    for (const auto& s : old)
      if (s.key != empty) hash_put(s.key, s.row);
  }

  std::size_t size_ = 0;
  // Identity mode: id base_ + r at row r, for r < size_ (no table).
  bool identity_ = true;
  // Dense mode: row per id - base_ (npos: absent); low_/high_ the extreme ids put.
  bool hashed_ = false;
  std::int64_t base_ = 0, low_ = 0, high_ = 0;
  std::vector<std::uint32_t> dense_;
  std::size_t reserve_hint_ = 0;
  // Hash mode.
  std::vector<Slot> slots_;
  std::size_t mask_ = 0;
  unsigned shift_ = 64;
};

/// A set of 64-bit ids: a bitmap over [0, n) while the ids are dense (it
/// grows to cover a new id only while that costs at most 64 bits per id
/// held), an IdIndex for the others. An id is in the set when its bit is set
/// or the sparse index holds it.
class IdSet {
public:
  [[nodiscard]] bool contains(std::int64_t id) const {
    if (in_bitmap(id) && ((bits_[word(id)] >> bit(id)) & 1u)) return true;
    return sparse_.size() != 0 && sparse_.find(id) != IdIndex::npos;
  }
  /// False when already present.
  bool insert(std::int64_t id) {
    if (contains(id)) return false;
    if (id >= 0 && !in_bitmap(id) && static_cast<std::uint64_t>(id) / 64 < size_ + 65536)
      bits_.resize(std::max(word(id) + 1, std::min(bits_.size() * 2, size_ + 65536)), 0);
    if (in_bitmap(id)) bits_[word(id)] |= std::uint64_t{1} << bit(id);
    else sparse_.put(id, 0);
    ++size_;
    return true;
  }
  bool erase(std::int64_t id) {
    bool removed = false;
    if (in_bitmap(id) && ((bits_[word(id)] >> bit(id)) & 1u)) {
      bits_[word(id)] &= ~(std::uint64_t{1} << bit(id));
      removed = true;
    } else {
      removed = sparse_.erase(id);
    }
    if (removed) --size_;
    return removed;
  }
  [[nodiscard]] std::size_t size() const { return size_; }

private:
  [[nodiscard]] bool in_bitmap(std::int64_t id) const {
    return id >= 0 && static_cast<std::uint64_t>(id) / 64 < bits_.size();
  }
  static std::size_t word(std::int64_t id) { return static_cast<std::size_t>(id) / 64; }
  static unsigned bit(std::int64_t id) { return static_cast<unsigned>(id % 64); }

  std::vector<std::uint64_t> bits_;
  IdIndex sparse_;
  std::size_t size_ = 0;
};

/// Allocates blocks of `Min` bytes and more with mmap, smaller ones from
/// std::allocator. Freeing a mapped block gives its pages back to the system
/// at once (malloc keeps freed blocks below its mmap threshold, which grows up
/// to 32 MiB, for reuse). With `Huge`, mapped blocks are whole 2 MiB pages on
/// 2 MiB boundaries and, on Linux, ask for transparent huge pages (madvise,
/// honoured when the system's setting is `madvise` or `always`).
template <class T, std::size_t Min, bool Huge>
struct PageAllocator {
  using value_type = T;
  template <class U>
  struct rebind {
    using other = PageAllocator<U, Min, Huge>;
  };
  static constexpr std::size_t huge = std::size_t{2} << 20;  ///< a huge page
  static constexpr std::size_t mapped = Min;                 ///< the smallest block mapped

  PageAllocator() = default;
  template <class U>
  PageAllocator(const PageAllocator<U, Min, Huge>&) noexcept {}  // NOLINT: rebinding, as allocators do

  [[nodiscard]] T* allocate(std::size_t n) {
#ifdef __linux__
    if (n >= Min / sizeof(T)) {
      if (n > (std::numeric_limits<std::size_t>::max() - 2 * huge) / sizeof(T)) throw std::bad_array_new_length();
      if constexpr (!Huge) {
        void* p = ::mmap(nullptr, n * sizeof(T), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) throw std::bad_alloc();
        return static_cast<T*>(p);
      } else {
        // Map one huge page more than needed and unmap the ends around the
        // aligned part: the block is exactly its pages, on a 2 MiB boundary.
        const std::size_t bytes = rounded(n);
        void* raw = ::mmap(nullptr, bytes + huge, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (raw == MAP_FAILED) throw std::bad_alloc();
        const auto start = reinterpret_cast<std::uintptr_t>(raw);
        const auto aligned = (start + huge - 1) & ~(std::uintptr_t{huge} - 1);
        if (aligned > start) ::munmap(raw, aligned - start);
        if (const auto tail = start + bytes + huge - (aligned + bytes))
          ::munmap(reinterpret_cast<void*>(aligned + bytes), tail);
        ::madvise(reinterpret_cast<void*>(aligned), bytes, MADV_HUGEPAGE);  // advice: ignored where unsupported
        return reinterpret_cast<T*>(aligned);
      }
    }
#endif
    return std::allocator<T>{}.allocate(n);
  }
  void deallocate(T* p, std::size_t n) noexcept {
#ifdef __linux__
    if (n >= Min / sizeof(T)) {
      ::munmap(p, Huge ? rounded(n) : n * sizeof(T));
      return;
    }
#endif
    std::allocator<T>{}.deallocate(p, n);
  }
  template <class U>
  friend bool operator==(const PageAllocator&, const PageAllocator<U, Min, Huge>&) noexcept {
    return true;
  }

private:
  static std::size_t rounded(std::size_t n) { return (n * sizeof(T) + huge - 1) & ~(huge - 1); }
};

/// Blocks of 2 MiB and more as whole huge pages: a million clients' rows then
/// span a few hundred pages instead of 150,000, so reading a random row costs
/// a cache miss without a page walk (the store's row chunks).
template <class T>
using HugePageAllocator = PageAllocator<T, std::size_t{2} << 20, true>;
/// Blocks of 64 KiB and more mapped: buffers that are filled, copied out and
/// freed while the copy grows (the hits of Engine::evaluate) give their memory
/// back as they go instead of at the end.
template <class T>
using MappedAllocator = PageAllocator<T, std::size_t{64} << 10, false>;

/// Asks for transparent huge pages under the whole 2 MiB pages of a block
/// that is about to be written (advice: ignored where unsupported): a large
/// buffer filled once (the hits of Engine::evaluate, 128 MB at L) then costs
/// one page fault per 2 MiB instead of per 4 KiB.
inline void advise_huge_pages([[maybe_unused]] void* p, [[maybe_unused]] std::size_t bytes) {
#ifdef __linux__
  constexpr std::uintptr_t huge = std::uintptr_t{2} << 20;
  const auto start = reinterpret_cast<std::uintptr_t>(p);
  const auto first = (start + huge - 1) & ~(huge - 1), last = (start + bytes) & ~(huge - 1);
  if (last > first) ::madvise(reinterpret_cast<void*>(first), last - first, MADV_HUGEPAGE);
#endif
}

/// Rows of one entity in insertion order (chunked), found by id through an
/// IdIndex (which computes the row while row r holds the first id + r, as
/// an import of ids 1..n leaves them), listed in ascending id through `order` (row numbers). Rows are
/// only ever removed from the end (a rolled-back insertion). Appending
/// ascending ids keeps the order by push_back; a few out-of-order ids are
/// placed by insertion, many are appended and sorted once by normalize().
template <class Id, class Row, auto KeyOf>
class FlatTable {
public:
  [[nodiscard]] std::size_t size() const { return rows_.size(); }
  [[nodiscard]] bool empty() const { return rows_.size() == 0; }

  [[nodiscard]] const Row* find(Id id) const {
    const auto r = row_of(id.value());
    return r == IdIndex::npos ? nullptr : &rows_[r];
  }
  [[nodiscard]] Row* find(Id id) {
    const auto r = row_of(id.value());
    return r == IdIndex::npos ? nullptr : &rows_[r];
  }

  /// Whether row r holds id (row 0's id) + r for every row, so find computes
  /// the row (for tests and figures).
  [[nodiscard]] bool aligned() const { return index_.identity(); }

  /// Starts loading what find(id) reads first: the index slot (nothing
  /// while the rows are aligned: the row's place is computed).
  void prefetch_index(Id id) const { index_.prefetch(id.value()); }
  /// Starts loading the row itself, its first `bytes` (all of it by
  /// default); finds its slot now (best issued after prefetch_index, further
  /// ahead).
  void prefetch_row(Id id, std::size_t bytes = sizeof(Row)) const {
    const auto r = row_of(id.value());
    if (r != IdIndex::npos) prefetch_lines(&rows_[r], bytes);
  }

  /// Adds a row whose id is not in the table yet.
  Row& insert(Row row) {
    const auto id = KeyOf(row).value();
    const auto r = static_cast<std::uint32_t>(rows_.size());
    Row& added = rows_.push_back(std::move(row));
    try {
      index_.put(id, r);
    } catch (...) {  // an id that cannot be indexed: the row goes too
      rows_.pop_back();
      throw;
    }
    if (order_.empty() || key(order_.back()) < id) {
      order_.push_back(r);
    } else if (!unsorted_ && ++placed_ <= max_placed) {
      auto at = std::lower_bound(order_.begin(), order_.end(), id,
                                 [&](std::uint32_t x, std::int64_t k) { return key(x) < k; });
      order_.insert(at, r);
    } else {
      order_.push_back(r);
      unsorted_ = true;
    }
    return added;
  }

  /// The row at insertion position r (0 <= r < size()): a unit of work's new
  /// rows are the last ones.
  [[nodiscard]] Row& at(std::size_t r) { return rows_[r]; }

  /// Removes the rows from insertion position `mark` on (a rollback of the
  /// rows a unit of work added), in one pass over the order.
  void truncate(std::size_t mark) {
    if (mark >= rows_.size()) return;
    // Last row first: rows that were aligned stay so (only the last ones go).
    for (auto r = rows_.size(); r-- > mark;) {
      index_.erase(key(static_cast<std::uint32_t>(r)));
      flags_.erase(static_cast<std::int64_t>(r));
    }
    std::erase_if(order_, [&](std::uint32_t r) { return r >= mark; });
    while (rows_.size() > mark) rows_.pop_back();
    if (mark == 0) index_ = IdIndex{};  // emptied: aligned again, whatever ids come next
  }

  /// Restores the ascending order after a unit of work appended many ids out
  /// of order.
  void normalize() {
    placed_ = 0;
    if (!unsorted_) return;
    std::sort(order_.begin(), order_.end(), [&](std::uint32_t a, std::uint32_t b) { return key(a) < key(b); });
    unsorted_ = false;
  }

  /// Calls fn(row) in ascending id order.
  template <class Fn>
  void for_each(Fn&& fn) const {
    in_order([&](const std::vector<std::uint32_t>& order) {
      for (auto r : order) fn(rows_[r]);
    });
  }

  /// A flag per row that the table's owner keeps (set_flag after every
  /// write of a row; rows removed by truncate lose theirs): which rows a
  /// scan of a subset visits (the open deals, the unpaid invoices), so that
  /// it reads those rows and not every row.
  void set_flag(Id id, bool on) {
    const auto r = row_of(id.value());
    if (r == IdIndex::npos) return;
    if (on) flags_.insert(r);
    else flags_.erase(r);
  }

  /// Calls fn(row) for the flagged rows, in ascending id order. The rows a
  /// few flags ahead are loaded while one is visited (they are apart, so the
  /// hardware's stream prefetch does not see them coming).
  template <class Fn>
  void for_each_flagged(Fn&& fn) const {
    if (flags_.size() == 0) return;
    in_order([&](const std::vector<std::uint32_t>& order) {
      constexpr std::size_t ahead = 8;
      std::size_t next = 0;  // where the walk ahead is: the next row it looks at
      std::size_t issued = 0, done = 0;
      for (auto r : order) {
        if (!flags_.contains(r)) continue;
        for (; next < order.size() && issued < done + ahead + 1; ++next)
          if (flags_.contains(order[next])) {
            ++issued;
            prefetch_lines(&rows_[order[next]], sizeof(Row));
          }
        ++done;
        fn(rows_[r]);
      }
    });
  }

  /// Ascending-id iteration as (id, row) pairs, like a std::map (outside a
  /// unit of work, where the order is normalized).
  class const_iterator {
  public:
    using value_type = std::pair<Id, const Row&>;
    using difference_type = std::ptrdiff_t;
    using iterator_category = std::forward_iterator_tag;
    struct Arrow {
      value_type p;
      const value_type* operator->() const { return &p; }
    };
    const_iterator() = default;
    const_iterator(const FlatTable* t, std::size_t i) : t_(t), i_(i) {}
    value_type operator*() const {
      const Row& r = t_->rows_[t_->order_[i_]];
      return {KeyOf(r), r};
    }
    Arrow operator->() const { return {**this}; }
    const_iterator& operator++() {
      ++i_;
      return *this;
    }
    const_iterator operator++(int) {
      auto c = *this;
      ++i_;
      return c;
    }
    friend bool operator==(const const_iterator& a, const const_iterator& b) { return a.i_ == b.i_; }

  private:
    const FlatTable* t_ = nullptr;
    std::size_t i_ = 0;
  };
  [[nodiscard]] const_iterator begin() const { return {this, 0}; }
  [[nodiscard]] const_iterator end() const { return {this, order_.size()}; }

  /// Equal when both hold the same rows (order of insertion aside).
  friend bool operator==(const FlatTable& a, const FlatTable& b) {
    if (a.rows_.size() != b.rows_.size()) return false;
    if (a.rows_.chunks == b.rows_.chunks) return true;
    std::vector<const Row*> x, y;
    a.for_each([&](const Row& r) { x.push_back(&r); });
    b.for_each([&](const Row& r) { y.push_back(&r); });
    return std::equal(x.begin(), x.end(), y.begin(), [](const Row* p, const Row* q) { return *p == *q; });
  }

private:
  static constexpr std::size_t max_placed = 64;  ///< out-of-order ids placed one by one per unit of work
  [[nodiscard]] std::int64_t key(std::uint32_t r) const { return KeyOf(rows_[r]).value(); }

  /// The row of `id`, or IdIndex::npos. While the rows are aligned (ids
  /// inserted one after another, as an import of ids 1..n does) the index
  /// computes the row: a random lookup is then one cache miss (the row),
  /// not two (its index slot, then the row; at a million clients the slot
  /// was a third of a live event's time), and the table holds no index.
  [[nodiscard]] std::uint32_t row_of(std::int64_t id) const { return index_.find(id); }

  /// fn(row numbers in ascending id): the order, or inside a unit of work
  /// that appended ids out of order, a sorted copy of it.
  template <class Fn>
  void in_order(Fn&& fn) const {
    if (!unsorted_) return fn(order_);
    auto sorted = order_;
    std::sort(sorted.begin(), sorted.end(), [&](std::uint32_t a, std::uint32_t b) { return key(a) < key(b); });
    fn(sorted);
  }
  /// Starts loading the cache lines of [p, p + bytes).
  static void prefetch_lines(const void* p, std::size_t bytes) {
    const auto start = reinterpret_cast<std::uintptr_t>(p);
    for (auto line = start & ~std::uintptr_t{63}; line < start + bytes; line += 64)
      __builtin_prefetch(reinterpret_cast<const void*>(line));
  }

  /// Rows in chunks of `chunk` that never move once full: no copy of the
  /// whole table (and no second table at the peak) when it grows. A full
  /// chunk is as many rows as fit in one huge page (2 MiB).
  struct Rows {
    using Chunk = std::vector<Row, HugePageAllocator<Row>>;
    static constexpr std::size_t chunk = std::max<std::size_t>(1, HugePageAllocator<Row>::huge / sizeof(Row));
    std::vector<Chunk> chunks;
    std::size_t n = 0;
    [[nodiscard]] std::size_t size() const { return n; }
    Row& operator[](std::size_t r) { return chunks[r / chunk][r % chunk]; }
    const Row& operator[](std::size_t r) const { return chunks[r / chunk][r % chunk]; }
    Row& push_back(Row row) {
      if (chunks.empty() || chunks.back().size() == chunk) {
        // The first chunk grows as a vector does (a small table stays
        // small); once full it is trimmed to its rows, one huge page.
        if (chunks.size() == 1) chunks.back().shrink_to_fit();
        chunks.emplace_back();
        if (chunks.size() > 1) chunks.back().reserve(chunk);
      }
      ++n;
      return chunks.back().emplace_back(std::move(row));
    }
    void pop_back() {
      chunks.back().pop_back();
      if (chunks.back().empty()) chunks.pop_back();
      --n;
    }
  };
  Rows rows_;
  IdIndex index_;  ///< every row's id (computed while the rows are aligned)
  std::vector<std::uint32_t> order_;
  IdSet flags_;  ///< the row numbers set_flag flagged (a bit each: row numbers are dense)
  std::size_t placed_ = 0;
  bool unsorted_ = false;
};

}  // namespace nudge::detail
