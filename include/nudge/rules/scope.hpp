#pragma once
/// @file
/// Which clients (and deals) an assistant looks at: segments, client kind,
/// labels, pipelines. Assistants are configured per segment and per kind.

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include <nudge/domain/client.hpp>

namespace nudge {

/// A filter on clients and deals. Empty lists mean "any".
struct Scope {
  // Default member initializers let a host write Scope{.labels = {"vip"}} warnings-clean.
  std::vector<std::string> segments{};      ///< the client is in one of these
  std::optional<ClientKind> kind{};         ///< B2B or B2C only
  std::vector<std::string> labels{};        ///< the client carries all of these
  std::vector<std::string> except_labels{}; ///< the client carries none of these
  std::vector<std::string> pipelines{};     ///< deal assistants: the deal is in one of these

  [[nodiscard]] bool matches_segments(const std::vector<std::string>& client_segments) const {
    if (segments.empty()) return true;
    return std::any_of(client_segments.begin(), client_segments.end(), [&](const std::string& s) {
      return std::find(segments.begin(), segments.end(), s) != segments.end();
    });
  }
  [[nodiscard]] bool matches(const Client& c) const {
    if (kind && *kind != c.kind) return false;
    if (!matches_segments(c.segments)) return false;
    for (const auto& l : labels)
      if (!c.has_label(l)) return false;
    for (const auto& l : except_labels)
      if (c.has_label(l)) return false;
    return true;
  }
  [[nodiscard]] bool matches_pipeline(const std::string& p) const {
    return pipelines.empty() || std::find(pipelines.begin(), pipelines.end(), p) != pipelines.end();
  }
  friend bool operator==(const Scope&, const Scope&) = default;
};

}  // namespace nudge
