#pragma once
/// @file
/// Money as integer minor units (cents) and an ISO 4217 currency code, so sums
/// are exact and plans are deterministic.

#include <cmath>
#include <compare>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include <nudge/domain/slim_string.hpp>
#include <nudge/error.hpp>

namespace nudge {

/// A currency code held in place: up to seven characters in eight bytes (a
/// std::string takes 32), so a Money is 16 bytes. Reads and assigns like the
/// std::string it replaces (`c == "EUR"`, `c = code`, `std::string s = c`,
/// passing it as a std::string_view, fmt formatting). A longer code throws
/// invalid_argument naming the currency; Money::check_currency is what
/// demands ISO's three capital letters.
class Currency {
public:
  static constexpr std::size_t max_size = 7;

  constexpr Currency() noexcept = default;
  Currency(std::string_view s) { assign(s); }                        // NOLINT: as std::string
  Currency(const char* s) { assign(s ? std::string_view(s) : std::string_view()); }  // NOLINT
  Currency(const std::string& s) { assign(s); }                     // NOLINT: as std::string

  operator std::string_view() const noexcept { return view(); }  // NOLINT: as std::string
  operator std::string() const { return str(); }                 // NOLINT: as std::string
  [[nodiscard]] std::string_view view() const noexcept { return {c_, size()}; }
  [[nodiscard]] std::string str() const { return std::string(view()); }
  [[nodiscard]] std::size_t size() const noexcept {
    std::size_t n = 0;  // at most seven: inline, where a strlen call cost 3% of an evaluate (the forecast)
    while (n < max_size && c_[n] != '\0') ++n;
    return n;
  }
  [[nodiscard]] bool empty() const noexcept { return c_[0] == '\0'; }
  [[nodiscard]] const char* data() const noexcept { return c_; }
  [[nodiscard]] const char* c_str() const noexcept { return c_; }
  [[nodiscard]] const char* begin() const noexcept { return c_; }
  [[nodiscard]] const char* end() const noexcept { return c_ + size(); }

  /// The eight bytes at once: the characters after the code are all zero.
  friend bool operator==(const Currency& a, const Currency& b) noexcept {
    return std::memcmp(a.c_, b.c_, sizeof a.c_) == 0;
  }
  friend bool operator==(const Currency& a, std::string_view b) noexcept { return a.view() == b; }
  friend bool operator==(const Currency& a, const std::string& b) noexcept { return a.view() == b; }
  friend bool operator==(const Currency& a, const char* b) noexcept { return a.view() == std::string_view(b); }
  friend std::strong_ordering operator<=>(const Currency& a, const Currency& b) noexcept {
    return a.view() <=> b.view();
  }

private:
  void assign(std::string_view s) {
    if (s.size() > max_size)
      throw invalid_argument(fmt::format("currency: '{}' is longer than {} characters", s, max_size));
    // Zero from the end of the code (or a '\0' in it, where a C string
    // would end) on: equal codes are equal bytes.
    bool ended = false;
    for (std::size_t i = 0; i < sizeof c_; ++i) {
      ended = ended || i >= s.size() || s[i] == '\0';
      c_[i] = ended ? '\0' : s[i];
    }
  }
  char c_[max_size + 1] = {};
};

}  // namespace nudge

template <>
struct fmt::formatter<nudge::Currency> : nudge::detail::text_formatter<nudge::Currency> {};

namespace nudge {

/// An amount of money in minor units (1/100) of a currency.
///
/// @code
/// auto m = nudge::Money::from_decimal(1250.5, "EUR", "invoice.amount");  // 125050 cents
/// @endcode
struct Money {
  std::int64_t cents = 0;
  Currency currency = "USD";

  /// From a decimal amount, rounded to cents. Throws invalid_argument naming
  /// `field` for a non-finite amount or an invalid currency code.
  static Money from_decimal(double amount, std::string_view currency, std::string_view field = "amount") {
    if (!std::isfinite(amount))
      throw invalid_argument(fmt::format("{}: amount must be a finite number, got {}", field, amount));
    if (std::fabs(amount) > 9.0e16)
      throw invalid_argument(fmt::format("{}: amount {} is out of range", field, amount));
    check_currency(currency, field);
    return Money{static_cast<std::int64_t>(std::llround(amount * 100.0)), Currency(currency)};
  }

  /// The amount as a decimal number.
  [[nodiscard]] double to_decimal() const { return static_cast<double>(cents) / 100.0; }

  /// Throws invalid_argument unless `code` is three upper-case letters.
  static void check_currency(std::string_view code, std::string_view field = "currency") {
    bool ok = code.size() == 3;
    for (char c : code) ok = ok && c >= 'A' && c <= 'Z';
    if (!ok) throw invalid_argument(fmt::format("{}: currency must be a 3-letter ISO code, got '{}'", field, code));
  }

  friend bool operator==(const Money&, const Money&) = default;
  friend auto operator<=>(const Money&, const Money&) = default;
};

/// "1250.50 EUR"
inline std::string to_string(const Money& m) {
  const auto a = m.cents < 0 ? -m.cents : m.cents;
  return fmt::format("{}{}.{:02} {}", m.cents < 0 ? "-" : "", a / 100, a % 100, m.currency);
}

}  // namespace nudge
