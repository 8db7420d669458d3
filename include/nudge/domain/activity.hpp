#pragma once
/// @file
/// Activities: calls, e-mails, meetings, messages, notes, ERP documents.

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

#include <nudge/domain/ids.hpp>
#include <nudge/domain/time.hpp>
#include <nudge/error.hpp>

namespace nudge {

/// What kind of activity. `other` carries a host-defined name in Activity::custom_kind.
enum class ActivityKind { call_in, call_out, call_missed, email, meeting, message, note, document, other };
inline constexpr std::size_t activity_kind_count = 9;

inline constexpr std::array<std::string_view, activity_kind_count> activity_kind_names{
    "call_in", "call_out", "call_missed", "email", "meeting", "message", "note", "document", "other"};

inline std::string_view to_string(ActivityKind k) { return activity_kind_names[static_cast<std::size_t>(k)]; }

/// Parses a built-in kind name; anything else is `other` (a host-defined kind).
inline ActivityKind parse_activity_kind(std::string_view s) {
  for (std::size_t i = 0; i < activity_kind_count; ++i)
    if (activity_kind_names[i] == s) return static_cast<ActivityKind>(i);
  return ActivityKind::other;
}

/// How it went.
enum class Outcome { none, reached, no_answer, declined, completed };

inline std::string_view to_string(Outcome o) {
  constexpr std::array<std::string_view, 5> names{"none", "reached", "no_answer", "declined", "completed"};
  return names[static_cast<std::size_t>(o)];
}

/// Whether an activity counts as contact with the client: decided by its kind
/// (the configuration says which kinds count), or forced either way.
enum class Contact { by_kind, yes, no };

/// Something that happened with a client.
struct Activity {
  ActivityId id{};
  ClientId client{};
  ManagerId manager{};
  ActivityKind kind = ActivityKind::note;
  std::string custom_kind{};  ///< the host's name when kind == other
  Instant at{};
  Outcome outcome = Outcome::none;
  Contact contact = Contact::by_kind;
  std::string subject{};

  void validate() const {
    if (!id.valid()) throw invalid_argument("activity.id: must be a positive id");
    if (!client.valid()) throw invalid_argument(fmt::format("activity {}: client: must name a client", id.value()));
    if (kind == ActivityKind::other && custom_kind.empty())
      throw invalid_argument(fmt::format("activity {}: custom_kind: required when kind is 'other'", id.value()));
  }

  friend bool operator==(const Activity&, const Activity&) = default;
};

}  // namespace nudge
