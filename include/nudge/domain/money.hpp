#pragma once
/// @file
/// Money as integer minor units (cents) and an ISO 4217 currency code, so sums
/// are exact and plans are deterministic.

#include <cmath>
#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include <nudge/error.hpp>

namespace nudge {

/// An amount of money in minor units (1/100) of a currency.
///
/// @code
/// auto m = nudge::Money::from_decimal(1250.5, "EUR", "invoice.amount");  // 125050 cents
/// @endcode
struct Money {
  std::int64_t cents = 0;
  std::string currency = "USD";

  /// From a decimal amount, rounded to cents. Throws invalid_argument naming
  /// `field` for a non-finite amount or an invalid currency code.
  static Money from_decimal(double amount, std::string_view currency, std::string_view field = "amount") {
    if (!std::isfinite(amount))
      throw invalid_argument(fmt::format("{}: amount must be a finite number, got {}", field, amount));
    if (std::fabs(amount) > 9.0e16)
      throw invalid_argument(fmt::format("{}: amount {} is out of range", field, amount));
    check_currency(currency, field);
    return Money{static_cast<std::int64_t>(std::llround(amount * 100.0)), std::string(currency)};
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
