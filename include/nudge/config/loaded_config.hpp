#pragma once
/// @file
/// LoadedConfig: everything a configuration file holds. The engine's part is
/// an EngineConfig (calendar, pipelines, assistants, templates in every
/// locale, options); around it the file keeps what other parts of a host
/// build from it: the event rules (for an EventEngine) and the quiet hours
/// per channel (for the Dispatcher).

#include <map>
#include <vector>

#include <nudge/engine/config.hpp>
#include <nudge/notify/message.hpp>
#include <nudge/notify/quiet_hours.hpp>
#include <nudge/rules/event_rules.hpp>

namespace nudge {

/// The newest configuration format this build reads and writes.
inline constexpr int config_format_version = 1;

/// A whole configuration file, loaded.
///
/// @code
/// auto cfg = nudge::load_config_file("nudge.json");
/// nudge::Engine engine{cfg.engine};
/// nudge::EventEngine events{cfg.event_rules, cfg.engine};
/// nudge::DispatcherOptions o;
/// o.quiet_hours = cfg.quiet_hours;
/// @endcode
struct LoadedConfig {
  EngineConfig engine;
  /// Rules that react to events (rules/event_rules.hpp).
  std::vector<EventRule> event_rules;
  /// Per channel: when messages wait (DispatcherOptions::quiet_hours).
  std::map<Channel, QuietHours> quiet_hours;

  /// An engine configuration alone.
  static LoadedConfig from(EngineConfig e) {
    LoadedConfig c;
    c.engine = std::move(e);
    return c;
  }

  friend bool operator==(const LoadedConfig&, const LoadedConfig&) = default;
};

}  // namespace nudge
