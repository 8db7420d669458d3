#pragma once
/// @file
/// Blocks for the lists a store appends to at random (a client's activities,
/// one per live event), cut from large mappings that the system may back by
/// 2 MiB huge pages, in size classes that follow the lists' own growth.
///
/// Why not the C heap: at a million clients the activity lists are 10
/// million values spread over 250 MB of small heap blocks on 4 KiB pages. A
/// live event appends to one client at random, so besides the cache miss on
/// the list it paid a page walk (a TLB miss, itself missing the cache): a
/// quarter of the event's time. Blocks in huge pages cost the cache miss
/// alone (ingest at L, batched, in a same-session A/B: 1.45 to 2.0 M
/// events/s).

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>
#include <vector>

#include <nudge/domain/slim_vector.hpp>
#include <nudge/storage/flat_table.hpp>

namespace nudge::detail {

#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool list_blocks_from_heap = true;  // AddressSanitizer checks heap blocks, not ours
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
inline constexpr bool list_blocks_from_heap = true;
#else
inline constexpr bool list_blocks_from_heap = false;
#endif
#else
inline constexpr bool list_blocks_from_heap = false;
#endif

/// A SlimVector block source (see HeapBlocks) for values of T in vectors that
/// grow by 1/GrowthDivisor. Its size classes are the capacities such a
/// vector grows through (1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 15, ... for a
/// quarter), so a list grown by appends wastes nothing beyond its own spare
/// room, and a block carries no header (the C heap adds 8 to 24 bytes to
/// each); any other request is rounded up to the next class. Blocks above
/// 64 KiB come from the heap.
///
/// One pool per T and growth in the process, shared by every store and
/// thread (a mutex; blocks are taken only when a list grows). Freed blocks
/// are kept, per class, for the next lists of any store: like most of what
/// the C heap is given back, the memory is not returned to the system. The
/// mappings grow from 64 KiB to 2 MiB, then are whole huge pages on 2 MiB
/// boundaries with the advice to back them so (honoured when the system's
/// transparent huge pages are `madvise` or `always`); a small store maps
/// about 2 MiB in all. Under AddressSanitizer every block comes from the
/// heap, so that the sanitizer still sees the lists.
template <class T, unsigned GrowthDivisor>
class PagedBlocks {
  static_assert(sizeof(T) >= sizeof(void*) && alignof(T) >= alignof(void*),
                "a free block holds the link to the next one in its first bytes");

public:
  static constexpr std::size_t largest_bytes = std::size_t{64} << 10;  ///< larger blocks come from the heap

  [[nodiscard]] static T* allocate(std::size_t& n) {
    if constexpr (list_blocks_from_heap) return HeapBlocks<T>::allocate(n);
    auto& p = pool();
    const auto c = p.class_of(n);
    if (c == npos) return HeapBlocks<T>::allocate(n);
    n = p.sizes[c];
    std::lock_guard lock(p.m);
    return static_cast<T*>(p.take(c));
  }
  static void deallocate(T* block, std::size_t n) noexcept {
    if constexpr (list_blocks_from_heap) return HeapBlocks<T>::deallocate(block, n);
    auto& p = pool();
    const auto c = p.class_of(n);
    if (c == npos) return HeapBlocks<T>::deallocate(block, n);
    std::lock_guard lock(p.m);
    p.give(c, block);
  }

  /// The size classes, in values, ascending.
  [[nodiscard]] static const std::vector<std::size_t>& classes() { return pool().sizes; }
  /// Bytes mapped so far (all the pool's memory: it is never unmapped).
  [[nodiscard]] static std::size_t mapped_bytes() {
    auto& p = pool();
    std::lock_guard lock(p.m);
    return p.mapped;
  }

private:
  static constexpr std::size_t npos = static_cast<std::size_t>(-1);
  static constexpr std::size_t huge = std::size_t{2} << 20;
  static constexpr std::size_t first_mapping = std::size_t{64} << 10;

  struct Pool {
    std::mutex m;
    std::vector<std::size_t> sizes;  ///< class -> values
    std::vector<void*> free;         ///< class -> first free block (each links to the next)
    std::byte* next = nullptr;       ///< the current mapping's unused part
    std::byte* end = nullptr;
    std::size_t mapping = first_mapping;  ///< the size of the next mapping
    std::size_t mapped = 0;

    Pool() {
      for (std::size_t n = 1; n * sizeof(T) <= largest_bytes; n += std::max<std::size_t>(n / GrowthDivisor, 1))
        sizes.push_back(n);
      free.assign(sizes.size(), nullptr);
    }
    /// The smallest class with room for n values; npos when none has.
    [[nodiscard]] std::size_t class_of(std::size_t n) const {
      const auto it = std::lower_bound(sizes.begin(), sizes.end(), n);
      return it == sizes.end() ? npos : static_cast<std::size_t>(it - sizes.begin());
    }
    void* take(std::size_t c) {
      if (void* b = free[c]) {
        std::memcpy(&free[c], b, sizeof(void*));
        return b;
      }
      const auto bytes = sizes[c] * sizeof(T);
      if (static_cast<std::size_t>(end - next) < bytes) refill();
      void* b = next;
      next += bytes;
      return b;
    }
    void give(std::size_t c, void* b) {
      std::memcpy(b, &free[c], sizeof(void*));
      free[c] = b;
    }
    /// A new mapping; what is left of the current one goes to the free lists,
    /// in the largest blocks that fit.
    void refill() {
      for (auto c = sizes.size(); c-- > 0;)
        while (static_cast<std::size_t>(end - next) >= sizes[c] * sizeof(T)) {
          give(c, next);
          next += sizes[c] * sizeof(T);
        }
      std::byte* block = nullptr;
      if (mapping < huge) {
        block = MappedAllocator<std::byte>{}.allocate(mapping);
      } else {
        block = HugePageAllocator<std::byte>{}.allocate(huge);
      }
      next = block;
      end = block + std::min(mapping, huge);
      mapped += std::min(mapping, huge);
      mapping = std::min(2 * mapping, huge);
    }
  };
  /// Never destroyed: a store that outlives static destruction (a global in
  /// a host) still gives its blocks back to it.
  static Pool& pool() {
    static Pool* p = new Pool;
    return *p;
  }
};

}  // namespace nudge::detail
