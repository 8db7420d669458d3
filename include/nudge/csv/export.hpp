#pragma once
/// @file
/// Exporting a Storage to the CSV interchange format (docs/csv-format.md).

#include <array>
#include <cstddef>
#include <filesystem>
#include <ostream>

#include <nudge/csv/format.hpp>
#include <nudge/storage/storage.hpp>

namespace nudge::csv {

/// How an export writes.
struct ExportOptions {
  TimeFormat times = TimeFormat::iso8601;
};

/// Rows written per entity (indexed by Entity), headers excluded.
struct ExportReport {
  std::array<std::size_t, entity_count> rows{};
  [[nodiscard]] std::size_t rows_of(Entity e) const { return rows[static_cast<std::size_t>(e)]; }
};

/// Writes every file of the format (all eleven, header-only when empty, so a
/// stale file from an earlier export is never left behind) into `dir`, created
/// when missing. Importing the directory into an empty store gives back the
/// same managers, clients, activities, tasks, deals and invoices (the engine's
/// own records -- action keys, audit, outbox -- are not part of the format).
///
/// Rows come in ascending id order (managers, clients) or grouped by client in
/// ascending client id (the others), so the same store gives the same bytes.
/// Throws nudge::error when a file cannot be written and invalid_argument when
/// a value cannot be represented (a segment name containing ';').
/// Reads only const functions of `store`.
///
/// @code
/// nudge::csv::export_directory(store, "backup/");
/// nudge::MemoryStorage copy;
/// nudge::csv::import_directory(copy, "backup/");   // copy.state() == store.state()
/// @endcode
ExportReport export_directory(const Storage& store, const std::filesystem::path& dir, const ExportOptions& options = {});

/// Writes one entity's file (header and rows) to `out`; returns the row count.
std::size_t export_entity(const Storage& store, Entity entity, std::ostream& out, const ExportOptions& options = {});

}  // namespace nudge::csv
