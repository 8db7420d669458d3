#pragma once
/// @file
/// The configuration file: one JSON document for the calendar, pipelines,
/// assistants with their scopes and ladders, message templates per locale,
/// quiet hours and engine options. See docs/configuration.md.
///
/// @code
/// auto cfg = nudge::load_config_file("nudge.json");        // every problem at once, or a LoadedConfig
/// for (const auto& i : nudge::validate_against(cfg, store.managers())) std::cerr << i.text() << '\n';
/// nudge::Engine engine{cfg.engine};
/// std::ofstream("nudge.json") << nudge::save_config(cfg);  // reads back equal
/// @endcode

#include <nudge/config/duration.hpp>
#include <nudge/config/holiday_text.hpp>
#include <nudge/config/issue.hpp>
#include <nudge/config/load.hpp>
#include <nudge/config/loaded_config.hpp>
#include <nudge/config/save.hpp>
#include <nudge/config/validate.hpp>
