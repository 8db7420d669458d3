#pragma once
/// @file
/// A vector of trivially copyable values in one pointer (8 bytes; a
/// std::vector takes 24): its size and capacity sit in the heap block before
/// the values, and an empty vector holds no block at all. For the lists a
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

/// How a SlimVector grows when full: by half its size by default (more room
/// than a quarter for short lists, less waste than doubling for long ones).
template <class T, unsigned GrowthDivisor = 2>
class SlimVector {
  static_assert(std::is_trivially_copyable_v<T>, "SlimVector moves its values with memcpy and realloc");
  static_assert(alignof(T) <= alignof(std::max_align_t));
  static_assert(GrowthDivisor >= 1);

public:
  using value_type = T;
  using size_type = std::size_t;
  using iterator = T*;
  using const_iterator = const T*;

  SlimVector() noexcept = default;
  SlimVector(std::initializer_list<T> values) { assign(values.begin(), values.size()); }
  SlimVector(const SlimVector& o) { assign(o.data(), o.size()); }
  SlimVector(SlimVector&& o) noexcept : block_(std::exchange(o.block_, nullptr)) {}
  SlimVector& operator=(const SlimVector& o) {
    if (this != &o) {
      clear();
      assign(o.data(), o.size());
    }
    return *this;
  }
  SlimVector& operator=(SlimVector&& o) noexcept {
    if (this != &o) {
      std::free(block_);
      block_ = std::exchange(o.block_, nullptr);
    }
    return *this;
  }
  ~SlimVector() { std::free(block_); }

  [[nodiscard]] std::size_t size() const noexcept { return block_ ? block_->size : 0; }
  [[nodiscard]] std::size_t capacity() const noexcept { return block_ ? block_->capacity : 0; }
  [[nodiscard]] bool empty() const noexcept { return size() == 0; }
  [[nodiscard]] T* data() noexcept { return block_ ? values(block_) : nullptr; }
  [[nodiscard]] const T* data() const noexcept { return block_ ? values(block_) : nullptr; }
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
    if (size() == capacity()) regrow(grown());
    values(block_)[block_->size++] = v;
  }
  /// Inserts v before pos; returns where it went.
  T* insert(const T* pos, const T& v) {
    const auto at = static_cast<std::size_t>(pos - data());
    const T copy = v;  // v may live in this vector
    if (size() == capacity()) regrow(grown());
    T* p = values(block_) + at;
    std::memmove(static_cast<void*>(p + 1), p, (block_->size - at) * sizeof(T));
    *p = copy;
    ++block_->size;
    return p;
  }
  /// Removes the value at pos; returns what follows it.
  T* erase(const T* pos) {
    const auto at = static_cast<std::size_t>(pos - data());
    T* p = values(block_) + at;
    std::memmove(static_cast<void*>(p), p + 1, (block_->size - at - 1) * sizeof(T));
    --block_->size;
    return p;
  }
  /// Removes the values pred holds for, keeping the others' order; returns how many went.
  template <class Pred>
  std::size_t erase_if(Pred pred) {
    T* kept = std::remove_if(begin(), end(), pred);
    const auto gone = static_cast<std::size_t>(end() - kept);
    if (block_) block_->size -= static_cast<std::uint32_t>(gone);
    return gone;
  }
  /// Empties it and gives its block back.
  void clear() noexcept {
    std::free(block_);
    block_ = nullptr;
  }

  friend bool operator==(const SlimVector& a, const SlimVector& b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end());
  }
  friend bool operator==(const SlimVector& a, const std::vector<T>& b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end());
  }

private:
  struct Header {
    std::uint32_t size;
    std::uint32_t capacity;
  };
  // The values start after the header, aligned for T.
  static constexpr std::size_t offset = (sizeof(Header) + alignof(T) - 1) / alignof(T) * alignof(T);
  static constexpr std::size_t max_size = std::numeric_limits<std::uint32_t>::max();

  static T* values(Header* h) noexcept { return reinterpret_cast<T*>(reinterpret_cast<char*>(h) + offset); }
  static const T* values(const Header* h) noexcept {
    return reinterpret_cast<const T*>(reinterpret_cast<const char*>(h) + offset);
  }

  [[nodiscard]] std::size_t grown() const {
    const auto n = size();
    if (n >= max_size) throw storage_error(fmt::format("a list of more than {} values", max_size));
    return std::min<std::size_t>(max_size, n + std::max<std::size_t>(n / GrowthDivisor, 1));
  }
  void regrow(std::size_t n) {
    if (n > max_size) throw storage_error(fmt::format("a list of more than {} values", max_size));
    const auto had = size();
    void* p = std::realloc(block_, offset + n * sizeof(T));
    if (!p) throw std::bad_alloc();
    block_ = static_cast<Header*>(p);
    block_->size = static_cast<std::uint32_t>(had);
    block_->capacity = static_cast<std::uint32_t>(n);
  }
  void assign(const T* from, std::size_t n) {
    if (n == 0) return;
    regrow(n);
    std::memcpy(static_cast<void*>(values(block_)), from, n * sizeof(T));
    block_->size = static_cast<std::uint32_t>(n);
  }

  Header* block_ = nullptr;
};

}  // namespace nudge
