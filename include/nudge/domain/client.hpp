#pragma once
/// @file
/// A client (counterparty) and the labels assistants put on it.

#include <algorithm>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nudge/domain/ids.hpp>
#include <nudge/domain/slim_string.hpp>
#include <nudge/domain/time.hpp>
#include <nudge/error.hpp>

namespace nudge {

/// B2B clients have long cycles; B2C clients are many and short-lived.
enum class ClientKind { b2b, b2c };

inline std::string_view to_string(ClientKind k) { return k == ClientKind::b2b ? "B2B" : "B2C"; }

/// Parses "B2B"/"b2b"/"B2C"/"b2c"; throws invalid_argument naming `field`.
inline ClientKind parse_client_kind(std::string_view s, std::string_view field = "kind") {
  if (s == "B2B" || s == "b2b") return ClientKind::b2b;
  if (s == "B2C" || s == "b2c") return ClientKind::b2c;
  throw invalid_argument(fmt::format("{}: expected B2B or B2C, got '{}'", field, s));
}

/// A client: the counterparty a manager owns. A regular value type.
struct Client {
  ClientId id{};
  std::string name{};
  ManagerId owner{};
  /// Market segments (region, industry, kind of business); the first is primary.
  std::vector<std::string> segments{};
  ClientKind kind = ClientKind::b2b;
  Instant created{};
  /// Labels put by assistants or people: name -> note ("debtor" -> "1200.00 EUR overdue").
  std::map<std::string, std::string> labels{};
  /// "Do not release": the client is never handed to another manager automatically.
  bool release_locked = false;
  /// Contact details for messages to the client (optional). These four are
  /// SlimStrings (8 bytes, nothing allocated while empty): most clients
  /// leave them empty, and a store holds every client.
  SlimString email{};
  SlimString phone{};
  /// IANA zone of the client (quiet hours); empty = the calendar's zone.
  SlimString time_zone{};
  /// Preferred locale of messages ("en", "ru"); empty = the configured default.
  SlimString locale{};

  [[nodiscard]] bool has_label(std::string_view label) const { return labels.find(std::string(label)) != labels.end(); }
  [[nodiscard]] bool in_segment(std::string_view s) const {
    return std::find(segments.begin(), segments.end(), s) != segments.end();
  }
  /// The primary segment, or "" when the client has none.
  [[nodiscard]] const std::string& primary_segment() const {
    static const std::string none;
    return segments.empty() ? none : segments.front();
  }

  /// Throws invalid_argument naming the bad field.
  void validate() const {
    if (!id.valid()) throw invalid_argument("client.id: must be a positive id");
    if (!owner.valid()) throw invalid_argument(fmt::format("client {}: owner: must name a manager", id.value()));
    for (const auto& s : segments)
      if (s.empty()) throw invalid_argument(fmt::format("client {}: segments: empty segment name", id.value()));
  }

  friend bool operator==(const Client&, const Client&) = default;
};

}  // namespace nudge
