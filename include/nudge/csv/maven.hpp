#pragma once
/// @file
/// Importing Maven Analytics' "CRM + Sales + Opportunities" dataset
/// (examples/data/maven/, SOURCE.md there) into a Storage. The mapping and the
/// data's known quirks are described in docs/csv-format.md, "The Maven dataset".

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <istream>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nudge/domain/money.hpp>
#include <nudge/domain/time.hpp>
#include <nudge/progress.hpp>
#include <nudge/storage/storage.hpp>

namespace nudge::csv {

/// How the Maven dataset is mapped.
struct MavenOptions {
  /// What happens to a deal whose `account` is empty.
  enum class NoAccount {
    synthetic_client,  ///< attach it to one client per agent, "(no account) <agent>", owned by the agent
    skip,              ///< create no deal (the report counts them)
  };

  /// Added to every id (managers, clients, deals), to import next to other data.
  std::int64_t id_offset = 0;
  /// The pipeline the deals go into; its stages are prospecting, engaging, won, lost.
  std::string pipeline = "maven";
  /// Probability of an open deal by stage (won deals get 1, lost deals 0).
  double prospecting_probability = 0.10;
  double engaging_probability = 0.50;
  /// The snapshot date: stands in for dates the data lacks (a Prospecting deal's
  /// opening). Empty = the latest date in sales_pipeline.csv (2017-12-31).
  std::optional<Date> as_of;
  NoAccount deals_without_account = NoAccount::synthetic_client;
  /// Correct the known misspellings ("technolgy", "Philipines"); each is reported either way.
  bool fix_misspellings = true;
  /// A deal without a close_value (open deals) or with 0 (lost deals) gets its
  /// product's list price as its amount, labelled so; otherwise 0.
  bool list_price_for_missing_amounts = true;
  /// Examples kept per quirk in the report.
  std::size_t max_examples = 3;
  /// Hears how far the import is (optional). Stages "sales_teams", "products",
  /// "accounts", "sales_pipeline" while reading (`done`/`total` in **bytes**
  /// of that file; `total` 0 when the stream cannot tell its size), then
  /// "writing" (`done`/`total` in managers + clients + deals). Reported when a
  /// stage starts, every 65,536 rows or entities and when it ends. Returning
  /// false stops the import: it throws nudge::cancelled and nothing is written.
  ProgressFn progress;
};

/// A product from products.csv.
struct MavenProduct {
  std::string name;
  std::string series;
  Money list_price;
  friend bool operator==(const MavenProduct&, const MavenProduct&) = default;
};

/// A peculiarity of the data: what it is, how many rows have it, how it was handled.
struct MavenQuirk {
  std::string id;           ///< stable name: "product_name_mismatch", "misspelled_sector", ...
  std::string description;  ///< what is odd about the data
  std::string handling;     ///< what the import did about it
  std::size_t count = 0;    ///< rows (or entities) affected
  std::vector<std::string> examples;  ///< "sales_pipeline.csv:3: 'GTXPro'"
};

/// What the Maven import did.
struct MavenReport {
  std::size_t supervisors = 0;       ///< the distinct `manager` names of sales_teams.csv
  std::size_t agents = 0;            ///< the sales agents
  std::size_t clients = 0;           ///< accounts, including accounts only named in the pipeline
  std::size_t synthetic_clients = 0; ///< "(no account) <agent>" clients
  std::size_t deals = 0;
  std::size_t skipped_deals = 0;
  std::map<std::string, std::size_t> deals_by_stage;  ///< "won" -> 4238, ...
  Date as_of{};
  std::vector<MavenProduct> products;  ///< products.csv, in file order
  std::vector<MavenQuirk> quirks;      ///< only those found, in a fixed order

  /// The quirk with this id, or nullptr when the data did not have it.
  [[nodiscard]] const MavenQuirk* quirk(std::string_view id) const {
    for (const auto& q : quirks)
      if (q.id == id) return &q;
    return nullptr;
  }
};

/// A readable summary: the counts, then one paragraph per quirk.
std::string to_string(const MavenReport& report);

/// The four files of the dataset (not owned).
struct MavenInputs {
  std::istream* sales_teams = nullptr;
  std::istream* accounts = nullptr;
  std::istream* products = nullptr;
  std::istream* sales_pipeline = nullptr;
};

/// Imports sales_teams.csv, accounts.csv, products.csv and sales_pipeline.csv
/// from `dir` in one unit of work. Ids are deterministic (see the docs), so a
/// second import replaces the first with the same data. The data's quirks are
/// reported, never silently fixed; rows that cannot be read at all (a missing
/// column, an unparsable date) throw import_error naming file, line and column.
///
/// @code
/// nudge::MemoryStorage store;
/// auto report = nudge::csv::import_maven(store, "examples/data/maven");
/// std::cout << nudge::csv::to_string(report);
/// @endcode
MavenReport import_maven(Storage& store, const std::filesystem::path& dir, const MavenOptions& options = {});

/// The same over streams (tests, archives).
MavenReport import_maven(Storage& store, const MavenInputs& inputs, const MavenOptions& options = {});

}  // namespace nudge::csv
