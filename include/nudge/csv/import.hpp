#pragma once
/// @file
/// Importing the CSV interchange format (docs/csv-format.md) into a Storage.

#include <array>
#include <cstddef>
#include <filesystem>
#include <istream>
#include <span>
#include <string>
#include <vector>

#include <nudge/csv/format.hpp>
#include <nudge/error.hpp>
#include <nudge/progress.hpp>
#include <nudge/storage/storage.hpp>

namespace nudge::csv {

/// How an import behaves.
struct ImportOptions {
  /// Most problems listed in an import_error (its what() and issues()); the
  /// rest are only counted ("... and N more").
  std::size_t max_errors = 50;
  /// Activities are append-only facts: by default an activity whose id is
  /// already in the store is an error. Set this to skip such rows instead, so
  /// the same activities.csv can be loaded again (incremental loads).
  bool skip_existing_activities = false;
  /// Check everything, write nothing: the unit of work is rolled back even
  /// when there are no errors.
  bool dry_run = false;
  /// Hears how far the import is (optional). One stage per file, named after
  /// its entity ("managers", "clients", "activities", ...), in the order the
  /// files are read; `done` and `total` are **bytes** of that file (`total` is
  /// 0 when the stream cannot tell its size, e.g. a pipe). Reported when a
  /// file starts, every 65,536 rows and when it ends, then once as stage
  /// "commit" (0 of 0) before the unit of work is committed. Returning false
  /// stops the import: it throws nudge::cancelled and nothing is written.
  ProgressFn progress;
};

/// One problem with one row (or the header, line 1) of one file.
struct ImportIssue {
  std::string file;    ///< "clients.csv"
  std::size_t line = 0;  ///< physical line where the row starts, 1-based (the header is line 1)
  std::string column;  ///< "owner_manager_id"; empty when the problem is the row as a whole
  std::string reason;  ///< "unknown manager 77"
  friend bool operator==(const ImportIssue&, const ImportIssue&) = default;
};

/// "clients.csv:12: column 'owner_manager_id': unknown manager 77", or
/// "clients.csv:7: row has 5 fields, the header has 6" when no column applies.
std::string to_string(const ImportIssue& issue);

/// Thrown when an import finds problems; nothing was written. what() lists
/// each problem on its own line (up to ImportOptions::max_errors, then
/// "... and N more"); issues() holds the same problems as data.
class import_error : public invalid_argument {
public:
  import_error(std::vector<ImportIssue> issues, std::size_t total);
  /// The problems listed (at most ImportOptions::max_errors), in file order.
  [[nodiscard]] const std::vector<ImportIssue>& issues() const noexcept { return issues_; }
  /// Every problem found, listed or not.
  [[nodiscard]] std::size_t total() const noexcept { return total_; }

private:
  std::vector<ImportIssue> issues_;
  std::size_t total_ = 0;
};

/// What an import did: rows read per file. The library measures no time (the
/// core never reads a clock); callers time the call if they want a rate.
struct ImportReport {
  /// Rows read per entity (indexed by Entity), header excluded.
  std::array<std::size_t, entity_count> rows{};
  /// Activities skipped because their id was already stored (ImportOptions::skip_existing_activities).
  std::size_t skipped_activities = 0;
  /// False for a dry run.
  bool committed = false;

  [[nodiscard]] std::size_t rows_of(Entity e) const { return rows[static_cast<std::size_t>(e)]; }
  [[nodiscard]] std::size_t total_rows() const {
    std::size_t n = 0;
    for (auto r : rows) n += r;
    return n;
  }
};

/// One input of a multi-file import: the text of one entity's file.
struct Input {
  Entity entity = Entity::clients;
  std::istream* stream = nullptr;  ///< not owned; read to its end
  std::string name;                ///< used in messages; empty = file_name(entity)
};

/// Imports every file of the format found in `dir` (`managers.csv`,
/// `clients.csv`, ... each optional) in one unit of work: either every row is
/// written and committed, or nothing is and import_error lists the problems.
/// References may point into the same file set or at entities already stored.
/// A `.csv` file with another name is an error (a misspelt file name would
/// otherwise be skipped silently); other files are ignored.
///
/// Throws import_error for bad rows, nudge::cancelled when
/// ImportOptions::progress asked to stop, nudge::error when a file cannot be read,
/// and whatever the storage throws from begin() (e.g. conflict when a unit of
/// work is already open). Not thread-safe with other writers of `store`.
///
/// @code
/// nudge::MemoryStorage store;
/// try {
///   auto report = nudge::csv::import_directory(store, "crm-export/");
///   std::cout << report.rows_of(nudge::csv::Entity::clients) << " clients\n";
/// } catch (const nudge::csv::import_error& e) {
///   std::cerr << e.what() << '\n';   // clients.csv:12: column 'owner_manager_id': unknown manager 77
/// }
/// @endcode
ImportReport import_directory(Storage& store, const std::filesystem::path& dir, const ImportOptions& options = {});

/// Imports several streams as one file set, all or nothing (as import_directory).
/// At most one input per entity; the order of `inputs` does not matter.
ImportReport import_streams(Storage& store, std::span<const Input> inputs, const ImportOptions& options = {});

/// Imports one file's text, all or nothing; references must already be stored.
/// Messages name the file as `file_name(entity)`.
ImportReport import_entity(Storage& store, Entity entity, std::istream& in, const ImportOptions& options = {});

inline ImportReport import_managers(Storage& s, std::istream& in, const ImportOptions& o = {}) {
  return import_entity(s, Entity::managers, in, o);
}
inline ImportReport import_clients(Storage& s, std::istream& in, const ImportOptions& o = {}) {
  return import_entity(s, Entity::clients, in, o);
}
inline ImportReport import_activities(Storage& s, std::istream& in, const ImportOptions& o = {}) {
  return import_entity(s, Entity::activities, in, o);
}
inline ImportReport import_tasks(Storage& s, std::istream& in, const ImportOptions& o = {}) {
  return import_entity(s, Entity::tasks, in, o);
}
inline ImportReport import_deals(Storage& s, std::istream& in, const ImportOptions& o = {}) {
  return import_entity(s, Entity::deals, in, o);
}
inline ImportReport import_invoices(Storage& s, std::istream& in, const ImportOptions& o = {}) {
  return import_entity(s, Entity::invoices, in, o);
}

}  // namespace nudge::csv
