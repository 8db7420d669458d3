#pragma once
/// @file
/// A vector of trivially copyable values in one pointer (8 bytes; a
/// std::vector takes 24): its size and capacity sit in the heap block before
/// the values (or, as SlimLayout::beside, next to the pointer in 16 bytes),
/// and an empty vector holds no block at all. For the lists a
/// store keeps per row (a client's activities, tasks, deals and invoices; a
/// deal's tasks; a summary's won deals and paid invoices), most of them short
/// or empty: at a million clients the headers alone are 16 MB a list less.
///
/// It reads like a std::vector (size, empty, begin/end, [], front/back,
/// push_back, insert, erase, reserve, == with itself or a std::vector) and
/// converts to a std::span<const T>. Moves leave the source empty.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <iterator>
#include <limits>
#include <new>
#include <span>
#include <type_traits>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include <nudge/error.hpp>

namespace nudge {

/// Where a SlimVector keeps its size and capacity.
enum class SlimLayout {
  /// In the heap block, before the values: the vector is one pointer.
  in_block,
  /// Beside the pointer (16 bytes, still 8 less than a std::vector): an
  /// append reads them without touching the block's first line, for lists
  /// appended to at random (a client's activities, one per live event).
  beside,
};

/// Where a SlimVector's blocks come from: the C heap (the default). Another
/// source (a SlimLayout::beside vector's `Blocks`) has the same two calls:
/// allocate(n) gives room for at least n values and sets n to the room it
/// gave; deallocate(p, n) takes back a block with that room.
template <class T>
struct HeapBlocks {
  [[nodiscard]] static T* allocate(std::size_t& n) {
    auto* p = static_cast<T*>(std::malloc(n * sizeof(T)));
    if (!p) throw std::bad_alloc();
    return p;
  }
  static void deallocate(T* p, std::size_t) noexcept { std::free(p); }
};

/// How a SlimVector grows when full: by 1/GrowthDivisor of its size, half by
/// default (more room than a quarter for short lists, less waste than
/// doubling for long ones).
template <class T, unsigned GrowthDivisor = 2, SlimLayout Layout = SlimLayout::in_block, class Blocks = HeapBlocks<T>>
class SlimVector {
  static_assert(std::is_trivially_copyable_v<T>, "SlimVector moves its values with memcpy");
  static_assert(alignof(T) <= alignof(std::max_align_t));
  static_assert(GrowthDivisor >= 1);
  static_assert(Layout == SlimLayout::beside || std::is_same_v<Blocks, HeapBlocks<T>>,
                "a block source other than the heap needs SlimLayout::beside (the block holds values only)");

public:
  using value_type = T;
  using size_type = std::size_t;
  using iterator = T*;
  using const_iterator = const T*;

  SlimVector() noexcept = default;
  SlimVector(std::initializer_list<T> list) { assign(list.begin(), list.size()); }
  SlimVector(const SlimVector& o) { assign(o.data(), o.size()); }
  SlimVector(SlimVector&& o) noexcept : rep_(std::exchange(o.rep_, Rep{})) {}
  SlimVector& operator=(const SlimVector& o) {
    if (this != &o) {
      clear();
      assign(o.data(), o.size());  // into the block it has, when that is large enough
    }
    return *this;
  }
  SlimVector& operator=(SlimVector&& o) noexcept {
    if (this != &o) {
      rep_.release();
      rep_ = std::exchange(o.rep_, Rep{});
    }
    return *this;
  }
  ~SlimVector() { rep_.release(); }

  [[nodiscard]] std::size_t size() const noexcept { return rep_.size(); }
  [[nodiscard]] std::size_t capacity() const noexcept { return rep_.capacity(); }
  [[nodiscard]] bool empty() const noexcept { return size() == 0; }
  [[nodiscard]] T* data() noexcept { return rep_.data(); }
  [[nodiscard]] const T* data() const noexcept { return rep_.data(); }
  [[nodiscard]] T* begin() noexcept { return data(); }
  [[nodiscard]] T* end() noexcept { return data() + size(); }
  [[nodiscard]] const T* begin() const noexcept { return data(); }
  [[nodiscard]] const T* end() const noexcept { return data() + size(); }
  [[nodiscard]] T& operator[](std::size_t i) noexcept { return data()[i]; }
  [[nodiscard]] const T& operator[](std::size_t i) const noexcept { return data()[i]; }
  [[nodiscard]] T& front() noexcept { return *data(); }
  [[nodiscard]] const T& front() const noexcept { return *data(); }
  [[nodiscard]] T& back() noexcept { return data()[size() - 1]; }
  [[nodiscard]] const T& back() const noexcept { return data()[size() - 1]; }
  operator std::span<const T>() const noexcept { return {data(), size()}; }  // NOLINT: as a vector's data

  /// Room for n values in all (never shrinks).
  void reserve(std::size_t n) {
    if (n > capacity()) regrow(n);
  }
  void push_back(const T& v) {
    const auto n = size();
    if (n == capacity()) {
      const T copy = v;  // v may live in this vector
      regrow(grown());
      rep_.data()[n] = copy;
    } else {
      rep_.data()[n] = v;
    }
    rep_.set_size(n + 1);
  }
  /// Inserts v before pos; returns where it went.
  T* insert(const T* pos, const T& v) {
    const auto at = static_cast<std::size_t>(pos - data());
    const auto n = size();
    const T copy = v;  // v may live in this vector
    if (n == capacity()) regrow(grown());
    T* p = rep_.data() + at;
    std::memmove(static_cast<void*>(p + 1), p, (n - at) * sizeof(T));
    *p = copy;
    rep_.set_size(n + 1);
    return p;
  }
  /// Removes the value at pos; returns what follows it.
  T* erase(const T* pos) {
    const auto at = static_cast<std::size_t>(pos - data());
    const auto n = size();
    T* p = rep_.data() + at;
    std::memmove(static_cast<void*>(p), p + 1, (n - at - 1) * sizeof(T));
    rep_.set_size(n - 1);
    return p;
  }
  /// Removes the values pred holds for, keeping the others' order; returns how many went.
  template <class Pred>
  std::size_t erase_if(Pred pred) {
    T* kept = std::remove_if(begin(), end(), pred);
    const auto gone = static_cast<std::size_t>(end() - kept);
    if (gone) rep_.set_size(size() - gone);
    return gone;
  }
  /// Empties it and keeps its block, as std::vector::clear: a list filled
  /// again (an adapter's reused batch of summaries) does not allocate again.
  void clear() noexcept {
    if (capacity()) rep_.set_size(0);
  }
  /// Gives the block of an empty vector back.
  void shrink_to_fit() noexcept {
    if (empty()) {
      rep_.release();
      rep_ = Rep{};
    }
  }

  friend bool operator==(const SlimVector& a, const SlimVector& b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end());
  }
  friend bool operator==(const SlimVector& a, const std::vector<T>& b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end());
  }

private:
  static constexpr std::size_t max_size = std::numeric_limits<std::uint32_t>::max();

  /// Size and capacity in the block, the values after them (aligned for T).
  struct InBlock {
    struct Header {
      std::uint32_t size;
      std::uint32_t capacity;
    };
    static constexpr std::size_t offset = (sizeof(Header) + alignof(T) - 1) / alignof(T) * alignof(T);
    Header* block = nullptr;

    [[nodiscard]] std::size_t size() const noexcept { return block ? block->size : 0; }
    [[nodiscard]] std::size_t capacity() const noexcept { return block ? block->capacity : 0; }
    [[nodiscard]] T* data() const noexcept {
      return block ? reinterpret_cast<T*>(reinterpret_cast<char*>(block) + offset) : nullptr;
    }
    void set_size(std::size_t n) noexcept { block->size = static_cast<std::uint32_t>(n); }
    /// Room for n values (n > 0); the caller copies the values and frees the old block.
    [[nodiscard]] static InBlock allocate(std::size_t n, std::size_t size) {
      InBlock r;
      r.block = static_cast<Header*>(std::malloc(offset + n * sizeof(T)));
      if (!r.block) throw std::bad_alloc();
      r.block->size = static_cast<std::uint32_t>(size);
      r.block->capacity = static_cast<std::uint32_t>(n);
      return r;
    }
    void release() noexcept { std::free(block); }
  };
  /// Size and capacity beside the pointer.
  struct Beside {
    T* values = nullptr;
    std::uint32_t count = 0;
    std::uint32_t room = 0;

    [[nodiscard]] std::size_t size() const noexcept { return count; }
    [[nodiscard]] std::size_t capacity() const noexcept { return room; }
    [[nodiscard]] T* data() const noexcept { return values; }
    void set_size(std::size_t n) noexcept { count = static_cast<std::uint32_t>(n); }
    [[nodiscard]] static Beside allocate(std::size_t n, std::size_t size) {
      Beside r;
      r.values = Blocks::allocate(n);  // n becomes the room given, n or more
      r.count = static_cast<std::uint32_t>(size);
      r.room = static_cast<std::uint32_t>(std::min<std::size_t>(n, max_size));
      return r;
    }
    void release() noexcept {
      if (values) Blocks::deallocate(values, room);
    }
  };
  using Rep = std::conditional_t<Layout == SlimLayout::in_block, InBlock, Beside>;

  [[nodiscard]] std::size_t grown() const {
    const auto n = size();
    if (n >= max_size) throw storage_error(fmt::format("a list of more than {} values", max_size));
    return std::min<std::size_t>(max_size, n + std::max<std::size_t>(n / GrowthDivisor, 1));
  }
  // A new block, the values copied, the old one freed: not realloc, whose
  // growth in place merges the free block beside it (glibc unlinks it from
  // its bin: cache misses on its neighbours), which made ingest at L half as
  // fast; a freed small block goes to the thread's cache instead.
  void regrow(std::size_t n) {
    if (n > max_size) throw storage_error(fmt::format("a list of more than {} values", max_size));
    const auto had = size();
    Rep next = Rep::allocate(n, had);
    if (had) std::memcpy(static_cast<void*>(next.data()), rep_.data(), had * sizeof(T));
    rep_.release();
    rep_ = next;
  }
  void assign(const T* from, std::size_t n) {
    if (n == 0) return;
    if (n > capacity()) regrow(n);
    std::memcpy(static_cast<void*>(rep_.data()), from, n * sizeof(T));
    rep_.set_size(n);
  }

  Rep rep_;
};

}  // namespace nudge
