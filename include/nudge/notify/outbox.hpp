#pragma once
/// @file
/// The outbox's delivery state: what became of each message the engine queued.
/// The storage port keeps it (Storage::outbox_entries, UnitOfWork::record_delivery);
/// the Dispatcher (notify/dispatcher.hpp) is what writes it.

#include <array>
#include <optional>
#include <string>
#include <string_view>

#include <nudge/error.hpp>
#include <nudge/notify/message.hpp>

namespace nudge {

/// Where a message is in its life:
///
///     enqueue -> pending -> delivered                  (final: never changes again)
///                pending -> pending                    (failed, will retry; or deferred for quiet hours)
///                pending -> dead                       (failed for good or too often: a dead letter)
///                dead    -> pending                    (a person requeues it)
enum class DeliveryStatus { pending, delivered, dead };

inline std::string_view to_string(DeliveryStatus s) {
  constexpr std::array<std::string_view, 3> names{"pending", "delivered", "dead"};
  return names[static_cast<std::size_t>(s)];
}

/// Parses "pending" / "delivered" / "dead"; throws invalid_argument naming `field`.
inline DeliveryStatus parse_delivery_status(std::string_view s, std::string_view field = "status") {
  for (int i = 0; i < 3; ++i)
    if (to_string(static_cast<DeliveryStatus>(i)) == s) return static_cast<DeliveryStatus>(i);
  throw invalid_argument(fmt::format("{}: expected pending, delivered or dead, got '{}'", field, s));
}

/// The delivery state of one outbox message. A new message is pending with no
/// attempts; UnitOfWork::record_delivery replaces the whole state.
struct DeliveryState {
  DeliveryStatus status = DeliveryStatus::pending;
  /// Delivery attempts made so far (a deferral for quiet hours is not an attempt).
  int attempts = 0;
  /// The notifier's error of the last failed attempt ("" when none failed).
  std::string last_error;
  /// Pending only: not to be tried before this instant (backoff, quiet hours); empty = as soon as due.
  std::optional<Instant> next_attempt;
  /// Delivered only: when the notifier accepted it.
  std::optional<Instant> delivered_at;

  /// Throws invalid_argument naming the field when the state contradicts itself
  /// (a delivered message without delivered_at, a dead one with a next attempt ...).
  void validate(std::string_view key) const {
    if (attempts < 0) throw invalid_argument(fmt::format("delivery of '{}': attempts: must be >= 0, got {}", key, attempts));
    if ((status == DeliveryStatus::delivered) != delivered_at.has_value())
      throw invalid_argument(fmt::format("delivery of '{}': delivered_at: {} when the status is {}", key,
                                         delivered_at ? "must be empty" : "required", to_string(status)));
    if (next_attempt && status != DeliveryStatus::pending)
      throw invalid_argument(
          fmt::format("delivery of '{}': next_attempt: only a pending message has one, this one is {}", key,
                      to_string(status)));
  }

  friend bool operator==(const DeliveryState&, const DeliveryState&) = default;
};

/// A message in the outbox with its delivery state.
struct OutboxEntry {
  Message message;
  DeliveryState state;

  /// Whether the dispatcher should try it at `now`: pending, and neither its
  /// next attempt nor the message's own not_before lies after `now`.
  [[nodiscard]] bool due(Instant now) const {
    return state.status == DeliveryStatus::pending && (!state.next_attempt || *state.next_attempt <= now) &&
           (!message.not_before || *message.not_before <= now);
  }
  friend bool operator==(const OutboxEntry&, const OutboxEntry&) = default;
};

}  // namespace nudge
