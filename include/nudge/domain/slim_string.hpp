#pragma once
/// @file
/// nudge::SlimString: text in one pointer (8 bytes; a std::string takes 32),
/// empty without any allocation. For the fields most rows leave empty (a
/// client's e-mail, phone, time zone and locale; a deal's loss reason): at a
/// million clients the four of them are 96 MB less. A set field holds one
/// heap block (its length, then the characters and a NUL).
///
/// It reads and assigns like the std::string it replaces: `s.empty()`,
/// `s.size()`, `s == "text"`, `s = other_string`, `s.clear()`, `s.c_str()`,
/// `std::string x = s`, passing it where a std::string_view or a
/// `const std::string&` is taken, and fmt formatting. What does not carry
/// over: mutating characters in place, `s + "text"` (write `s.str() + ...`)
/// and binding a `std::string&` to it.

#include <compare>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <new>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include <fmt/format.h>

#include <nudge/error.hpp>

namespace nudge {

class SlimString {
public:
  SlimString() noexcept = default;
  SlimString(std::string_view s) { assign(s); }                        // NOLINT: as std::string
  SlimString(const char* s) { assign(s ? std::string_view(s) : std::string_view()); }  // NOLINT
  SlimString(const std::string& s) { assign(s); }                     // NOLINT: as std::string
  SlimString(const SlimString& o) { assign(o.view()); }
  SlimString(SlimString&& o) noexcept : block_(std::exchange(o.block_, nullptr)) {}
  SlimString& operator=(const SlimString& o) {
    if (this != &o) *this = SlimString(o);
    return *this;
  }
  SlimString& operator=(SlimString&& o) noexcept {
    if (this != &o) {
      std::free(block_);
      block_ = std::exchange(o.block_, nullptr);
    }
    return *this;
  }
  ~SlimString() { std::free(block_); }

  operator std::string_view() const noexcept { return view(); }  // NOLINT: as std::string
  operator std::string() const { return str(); }                 // NOLINT: as std::string

  /// Never a null data pointer, even when empty (as std::string's).
  [[nodiscard]] std::string_view view() const noexcept {
    return block_ ? std::string_view(chars(), block_->size) : std::string_view("", 0);
  }
  [[nodiscard]] std::string str() const { return std::string(view()); }
  [[nodiscard]] bool empty() const noexcept { return block_ == nullptr; }
  [[nodiscard]] std::size_t size() const noexcept { return block_ ? block_->size : 0; }
  [[nodiscard]] std::size_t length() const noexcept { return size(); }
  [[nodiscard]] const char* data() const noexcept { return block_ ? chars() : ""; }
  [[nodiscard]] const char* c_str() const noexcept { return data(); }
  [[nodiscard]] const char* begin() const noexcept { return data(); }
  [[nodiscard]] const char* end() const noexcept { return data() + size(); }
  void clear() noexcept {
    std::free(block_);
    block_ = nullptr;
  }

  friend bool operator==(const SlimString& a, const SlimString& b) noexcept { return a.view() == b.view(); }
  friend bool operator==(const SlimString& a, std::string_view b) noexcept { return a.view() == b; }
  friend bool operator==(const SlimString& a, const std::string& b) noexcept { return a.view() == b; }
  friend bool operator==(const SlimString& a, const char* b) noexcept { return a.view() == std::string_view(b); }
  friend std::strong_ordering operator<=>(const SlimString& a, const SlimString& b) noexcept {
    return a.view() <=> b.view();
  }
  /// Against any text (a literal, a std::string, a std::string_view): a
  /// template, so that no conversion of the right side competes with the
  /// one above.
  template <class S>
    requires(std::is_convertible_v<const S&, std::string_view> && !std::is_same_v<S, SlimString>)
  friend std::strong_ordering operator<=>(const SlimString& a, const S& b) noexcept {
    return a.view() <=> std::string_view(b);
  }

private:
  struct Header {
    std::uint32_t size;
  };
  [[nodiscard]] const char* chars() const noexcept { return reinterpret_cast<const char*>(block_ + 1); }

  void assign(std::string_view s) {
    if (s.empty()) return;
    if (s.size() > std::numeric_limits<std::uint32_t>::max())
      throw invalid_argument(fmt::format("text of {} bytes: longer than 4 GiB", s.size()));
    void* p = std::malloc(sizeof(Header) + s.size() + 1);
    if (!p) throw std::bad_alloc();
    block_ = static_cast<Header*>(p);
    block_->size = static_cast<std::uint32_t>(s.size());
    char* c = reinterpret_cast<char*>(block_ + 1);
    std::memcpy(c, s.data(), s.size());
    c[s.size()] = '\0';
  }

  Header* block_ = nullptr;
};

}  // namespace nudge

namespace nudge::detail {
/// Formats any text type with data() and size() as a string (SlimString, Currency).
template <class T>
struct text_formatter : fmt::formatter<fmt::string_view> {
  template <class Ctx>
  auto format(const T& t, Ctx& ctx) const {
    return fmt::formatter<fmt::string_view>::format(fmt::string_view(t.data(), t.size()), ctx);
  }
};
}  // namespace nudge::detail

template <>
struct fmt::formatter<nudge::SlimString> : nudge::detail::text_formatter<nudge::SlimString> {};
