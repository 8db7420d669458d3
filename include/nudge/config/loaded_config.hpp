#pragma once
/// @file
/// LoadedConfig: everything a configuration file holds. The engine's part is
/// an EngineConfig; around it the file keeps what other parts of a host need
/// (message texts in every locale, quiet hours per channel).

#include <chrono>
#include <map>
#include <string>

#include <nudge/engine/config.hpp>
#include <nudge/notify/message.hpp>

namespace nudge {

/// The newest configuration format this build reads and writes.
inline constexpr int config_format_version = 1;

/// No messages on a channel between `from` and `to` (local clock times,
/// minutes after midnight); `from` after `to` spans midnight (21:00-09:00).
struct QuietHours {
  std::chrono::minutes from{};
  std::chrono::minutes to{};
  friend bool operator==(const QuietHours&, const QuietHours&) = default;
};

/// Message texts of one template id, per locale ("en", "ru", "pt-BR").
using LocalizedTemplate = std::map<std::string, MessageTemplate>;

/// A whole configuration file, loaded.
///
/// `engine.templates` holds each template's text in `default_locale` (what the
/// engine renders); `templates` holds every locale. The loader fills both;
/// save_config() writes `templates`, with `engine.templates` taking the
/// default locale's place (so a host that edits only the engine's texts still
/// saves them).
///
/// @code
/// auto cfg = nudge::load_config_file("nudge.json");
/// nudge::Engine engine{cfg.engine};
/// @endcode
struct LoadedConfig {
  EngineConfig engine;
  /// The locale whose texts go to EngineConfig::templates.
  std::string default_locale = "en";
  /// Template id -> locale -> text.
  std::map<std::string, LocalizedTemplate> templates;
  /// Per channel: when not to deliver messages (for the notifier).
  std::map<Channel, QuietHours> quiet_hours;

  /// Wraps an engine configuration: its templates become the default locale's.
  static LoadedConfig from(EngineConfig e, std::string default_locale = "en") {
    LoadedConfig c;
    c.engine = std::move(e);
    c.default_locale = std::move(default_locale);
    for (const auto& [id, t] : c.engine.templates) c.templates[id][c.default_locale] = t;
    return c;
  }

  friend bool operator==(const LoadedConfig&, const LoadedConfig&) = default;
};

}  // namespace nudge
