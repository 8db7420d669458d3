#pragma once
/// @file
/// Library version.

#define NUDGE_VERSION_MAJOR 0
#define NUDGE_VERSION_MINOR 1
#define NUDGE_VERSION_PATCH 0

namespace nudge {
/// The library version as "major.minor.patch".
inline constexpr const char* version_string = "0.1.0";
}  // namespace nudge
