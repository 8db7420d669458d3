#pragma once
/// @file
/// An optional value held out of line: 8 bytes whether set or not.

#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

namespace nudge {

/// A T or none, held on the heap: the holder is one pointer, so a record with
/// several rarely-set parts pays for the part it has, not for all of them.
/// Reads like std::optional<T> (`if (b)`, `*b`, `b->x`, `value()`,
/// `has_value()`, `reset()`, `emplace`, comparing with std::nullopt) and
/// converts to and from it, so code written against the optional keeps
/// working. Copies are deep; moves take the pointer. Action holds its Task and
/// its Message this way (832 -> 336 bytes per action).
template <class T>
class OptionalBox {
public:
  using value_type = T;

  OptionalBox() noexcept = default;
  OptionalBox(std::nullopt_t) noexcept {}                            // NOLINT: as std::optional
  OptionalBox(const T& v) : p_(std::make_unique<T>(v)) {}            // NOLINT: as std::optional
  OptionalBox(T&& v) : p_(std::make_unique<T>(std::move(v))) {}      // NOLINT: as std::optional
  OptionalBox(const std::optional<T>& o) {                           // NOLINT: as std::optional
    if (o) p_ = std::make_unique<T>(*o);
  }
  OptionalBox(std::optional<T>&& o) {  // NOLINT: as std::optional
    if (o) p_ = std::make_unique<T>(std::move(*o));
  }
  OptionalBox(const OptionalBox& o) : p_(o.p_ ? std::make_unique<T>(*o.p_) : nullptr) {}
  OptionalBox(OptionalBox&&) noexcept = default;
  OptionalBox& operator=(const OptionalBox& o) {
    if (!o.p_) p_.reset();
    else *this = *o.p_;  // the value's own assignment, reusing a set box (and safe on itself)
    return *this;
  }
  OptionalBox& operator=(OptionalBox&&) noexcept = default;
  OptionalBox& operator=(std::nullopt_t) noexcept {
    p_.reset();
    return *this;
  }
  // Assigning a value (anything T is made from) or a std::optional<T>:
  // templates, so that `box = {}` empties the box (the move assignment wins),
  // as it does a std::optional.
  template <class U>
    requires(!std::is_same_v<std::remove_cvref_t<U>, OptionalBox> &&
             !std::is_same_v<std::remove_cvref_t<U>, std::optional<T>> &&
             !std::is_same_v<std::remove_cvref_t<U>, std::nullopt_t> && std::is_constructible_v<T, U> &&
             std::is_assignable_v<T&, U>)
  OptionalBox& operator=(U&& v) {
    if (p_) *p_ = std::forward<U>(v);
    else p_ = std::make_unique<T>(std::forward<U>(v));
    return *this;
  }
  template <class O>
    requires std::is_same_v<std::remove_cvref_t<O>, std::optional<T>>
  OptionalBox& operator=(O&& o) {
    if (!o) p_.reset();
    else *this = std::forward<O>(o).value();
    return *this;
  }
  ~OptionalBox() = default;

  operator std::optional<T>() const {  // NOLINT: as std::optional
    return p_ ? std::optional<T>(*p_) : std::nullopt;
  }

  [[nodiscard]] bool has_value() const noexcept { return p_ != nullptr; }
  explicit operator bool() const noexcept { return has_value(); }
  /// Require has_value().
  T& operator*() noexcept { return *p_; }
  const T& operator*() const noexcept { return *p_; }
  T* operator->() noexcept { return p_.get(); }
  const T* operator->() const noexcept { return p_.get(); }
  /// Throw std::bad_optional_access when none.
  [[nodiscard]] T& value() {
    if (!p_) throw std::bad_optional_access();
    return *p_;
  }
  [[nodiscard]] const T& value() const {
    if (!p_) throw std::bad_optional_access();
    return *p_;
  }
  template <class U>
  [[nodiscard]] T value_or(U&& other) const {
    return p_ ? *p_ : static_cast<T>(std::forward<U>(other));
  }
  template <class... Args>
  T& emplace(Args&&... args) {
    p_ = std::make_unique<T>(std::forward<Args>(args)...);
    return *p_;
  }
  void reset() noexcept { p_.reset(); }

  friend bool operator==(const OptionalBox& a, const OptionalBox& b) {
    return a.p_ && b.p_ ? *a.p_ == *b.p_ : a.p_ == b.p_;
  }
  friend bool operator==(const OptionalBox& a, std::nullopt_t) noexcept { return !a.p_; }
  /// Set and equal to `b` (anything T compares with, like std::optional).
  template <class U>
    requires(!std::is_same_v<U, OptionalBox> && !std::is_same_v<U, std::nullopt_t> &&
             !std::is_same_v<U, std::optional<T>>)
  friend bool operator==(const OptionalBox& a, const U& b) {
    return a.p_ && *a.p_ == b;
  }
  friend bool operator==(const OptionalBox& a, const std::optional<T>& b) {
    return a.p_ && b ? *a.p_ == *b : !a.p_ == !b;
  }

private:
  std::unique_ptr<T> p_;
};

}  // namespace nudge
