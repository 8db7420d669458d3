#pragma once
/// @file
/// The CSV interchange format's vocabulary: which files it has and how times
/// are written. The format itself is described in docs/csv-format.md.

#include <array>
#include <cstddef>
#include <optional>
#include <string_view>

namespace nudge::csv {

/// The kinds of rows the format knows; one file each (`managers.csv`, ...).
/// The first six are the main entities; the others hold the lists of a parent
/// row (a manager's leave, a client's or a deal's labels, a deal's stage
/// history and holds, an invoice's payments).
enum class Entity { managers, clients, activities, tasks, deals, invoices, leave, labels, stage_history, holds, payments };
inline constexpr std::size_t entity_count = 11;

inline constexpr std::array<Entity, entity_count> all_entities{
    Entity::managers, Entity::clients,       Entity::activities, Entity::tasks,
    Entity::deals,    Entity::invoices,      Entity::leave,      Entity::labels,
    Entity::stage_history, Entity::holds,    Entity::payments};

/// "managers", "stage_history", ...
inline std::string_view to_string(Entity e) {
  constexpr std::array<std::string_view, entity_count> names{
      "managers", "clients", "activities", "tasks", "deals", "invoices", "leave", "labels", "stage_history", "holds", "payments"};
  return names[static_cast<std::size_t>(e)];
}

/// The file an entity lives in: "managers.csv", ...
inline std::string_view file_name(Entity e) {
  constexpr std::array<std::string_view, entity_count> names{
      "managers.csv", "clients.csv", "activities.csv", "tasks.csv", "deals.csv", "invoices.csv",
      "leave.csv", "labels.csv", "stage_history.csv", "holds.csv", "payments.csv"};
  return names[static_cast<std::size_t>(e)];
}

/// The entity a file name stands for ("clients.csv" -> clients); empty for any other name.
inline std::optional<Entity> entity_of_file(std::string_view name) {
  for (auto e : all_entities)
    if (file_name(e) == name) return e;
  return std::nullopt;
}

/// How an export writes instants. An import reads both.
enum class TimeFormat {
  iso8601,       ///< "2026-08-14T09:30:00Z"
  unix_seconds,  ///< "1786699800" (the benchmark generator's form)
};

}  // namespace nudge::csv
