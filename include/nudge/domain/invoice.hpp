#pragma once
/// @file
/// Invoices and their payments.

#include <optional>
#include <vector>

#include <nudge/domain/ids.hpp>
#include <nudge/domain/money.hpp>
#include <nudge/domain/time.hpp>
#include <nudge/error.hpp>

namespace nudge {

struct Payment {
  Instant at{};
  std::int64_t cents = 0;
  friend bool operator==(const Payment&, const Payment&) = default;
};

/// An invoice (or an order awaiting payment) issued to a client.
struct Invoice {
  InvoiceId id{};
  ClientId client{};
  std::optional<DealId> deal{};
  Money amount{};
  Instant issued{};
  Instant due{};
  std::vector<Payment> payments{};
  /// When it was settled in full; set by the host or derived from payments.
  MaybeInstant paid{};

  [[nodiscard]] std::int64_t paid_cents() const {
    std::int64_t s = 0;
    for (const auto& p : payments) s += p.cents;
    return s;
  }
  [[nodiscard]] std::int64_t outstanding_cents() const { return amount.cents - paid_cents(); }
  [[nodiscard]] bool is_paid() const { return paid.has_value(); }

  /// Settles `paid` from the payments when they cover the amount.
  void settle_from_payments() {
    std::int64_t s = 0;
    for (const auto& p : payments) {
      s += p.cents;
      if (!paid && s >= amount.cents) paid = p.at;
    }
  }

  void validate() const {
    if (!id.valid()) throw invalid_argument("invoice.id: must be a positive id");
    const auto where = fmt::format("invoice {}", id.value());
    if (!client.valid()) throw invalid_argument(where + ": client: must name a client");
    if (amount.cents < 0) throw invalid_argument(where + ": amount: must not be negative");
    if (due < issued)
      throw invalid_argument(
          fmt::format("{}: due: {} is before issued {}", where, iso_instant(due), iso_instant(issued)));
    for (const auto& p : payments)
      if (p.cents < 0) throw invalid_argument(where + ": payments: a payment must not be negative");
  }

  friend bool operator==(const Invoice&, const Invoice&) = default;
};

}  // namespace nudge
