#pragma once
/// @file
/// A message to a person: the unit the outbox stores and notifiers deliver.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nudge/domain/subject.hpp>
#include <nudge/domain/time.hpp>

namespace nudge {

enum class Channel { email, sms, messenger, in_app, webhook, other };

inline std::string_view to_string(Channel c) {
  constexpr std::array<std::string_view, 6> names{"email", "sms", "messenger", "in_app", "webhook", "other"};
  return names[static_cast<std::size_t>(c)];
}

/// Who a message goes to: a client's contact or a manager.
struct Recipient {
  SubjectRef who{};        ///< client:ID or manager:ID
  std::string address{};   ///< e-mail, phone number, URL ... as the channel needs
  std::string name{};
  friend bool operator==(const Recipient&, const Recipient&) = default;
};

/// A rendered message. `key` is stable (derived from the action key) so a
/// gateway can drop duplicates when delivery is retried.
struct Message {
  std::string key{};
  Channel channel = Channel::in_app;
  std::string custom_channel{};  ///< host-defined channel name when channel == other
  Recipient to{};
  std::string template_id{};
  std::string locale{};
  std::string subject{};
  std::string body{};
  Instant created{};
  /// Not to be delivered before this instant (quiet hours); empty = now.
  std::optional<Instant> not_before{};
  friend bool operator==(const Message&, const Message&) = default;
};

}  // namespace nudge
