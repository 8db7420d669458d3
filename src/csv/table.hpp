#pragma once
// Reading one file of a known shape: the header is matched against the
// expected columns, then rows are handed out with typed, reporting getters.
// Every problem becomes an ImportIssue "file:line: column 'x': reason".

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include <nudge/csv/import.hpp>
#include <nudge/domain/slim_string.hpp>
#include <nudge/domain/time.hpp>
#include <nudge/progress.hpp>

#include "columns.hpp"
#include "reader.hpp"

namespace nudge::csv::detail {

/// Collects problems; keeps the first `max` of them, counts all.
class Issues {
public:
  explicit Issues(std::size_t max) : max_(max) {}
  void add(std::string_view file, std::size_t line, std::string_view column, std::string reason) {
    ++total_;
    if (list_.size() < max_) list_.push_back({std::string(file), line, std::string(column), std::move(reason)});
  }
  [[nodiscard]] std::size_t total() const { return total_; }
  [[nodiscard]] bool any() const { return total_ != 0; }
  [[noreturn]] void raise() { throw import_error(std::move(list_), total_); }

private:
  std::size_t max_;
  std::size_t total_ = 0;
  std::vector<ImportIssue> list_;
};

/// A value as shown inside a message: at most 40 bytes, control and invalid bytes escaped.
std::string shown(std::string_view v);

/// A set of int64 ids: a bitmap for the usual small positive ids, a hash set beyond.
class IdSet {
public:
  /// False when the id was already there.
  bool insert(std::int64_t id) {
    if (id > 0 && id < dense_limit) {
      const auto i = static_cast<std::uint64_t>(id);
      const std::size_t w = i >> 6;
      if (w >= bits_.size()) bits_.resize(std::max(w + 1, bits_.size() * 2), 0);
      const std::uint64_t m = std::uint64_t{1} << (i & 63);
      if (bits_[w] & m) return false;
      bits_[w] |= m;
      return true;
    }
    return sparse_.insert(id).second;
  }
  [[nodiscard]] bool contains(std::int64_t id) const {
    if (id > 0 && id < dense_limit) {
      const auto i = static_cast<std::uint64_t>(id);
      const std::size_t w = i >> 6;
      return w < bits_.size() && (bits_[w] >> (i & 63) & 1) != 0;
    }
    return sparse_.count(id) != 0;
  }

private:
  static constexpr std::int64_t dense_limit = std::int64_t{1} << 28;  // at most 32 MiB of bits
  std::vector<std::uint64_t> bits_;
  std::unordered_set<std::int64_t> sparse_;
};

/// The bytes left in a stream from where it is, or 0 when it cannot tell (a
/// pipe). Seeks to the end and back; the stream's state is left as it was.
std::uint64_t remaining_bytes(std::istream& in);

/// Rows between two progress reports of one file.
inline constexpr std::uint64_t progress_every = std::uint64_t{1} << 16;

/// One file being read.
class Table {
public:
  /// `ignore_unknown`: other columns are skipped instead of reported (foreign formats).
  Table(std::istream& in, std::string name, std::span<const Column> columns, Issues& issues, bool ignore_unknown = false);

  /// False when the header had problems (then no rows are read).
  [[nodiscard]] bool usable() const { return usable_; }
  /// Advances to the next row with the right number of fields whose required
  /// values are all there; reports the others. False at the end.
  bool next();
  /// Reports progress to `fn` as stage `stage` of operation `what`: bytes of
  /// the file consumed of `total` (0 = unknown), now, every progress_every
  /// records and at the end of the file. Throws cancelled when `fn` says stop.
  /// `fn`, `what` and `stage` must outlive the table.
  void watch(const ProgressFn& fn, std::string_view what, std::string_view stage, std::uint64_t total);
  /// Rows handed out so far (the report counts them).
  [[nodiscard]] std::size_t rows() const { return rows_; }

  [[nodiscard]] const std::string& name() const { return name_; }
  [[nodiscard]] std::size_t line() const { return reader_.line(); }
  [[nodiscard]] bool has(int col) const { return index_[static_cast<std::size_t>(col)] >= 0; }
  /// The raw field, "" when the column is absent.
  [[nodiscard]] std::string_view operator[](int col) const {
    const int i = index_[static_cast<std::size_t>(col)];
    return i < 0 ? std::string_view{} : reader_.fields()[static_cast<std::size_t>(i)];
  }
  [[nodiscard]] std::string_view column_name(int col) const { return columns_[static_cast<std::size_t>(col)].name; }

  /// Reports a problem with a column of the current row; the row is then bad.
  void fail(int col, std::string reason) { fail(column_name(col), std::move(reason)); }
  void fail(std::string_view column, std::string reason) {
    bad_ = true;
    issues_.add(name_, line(), column, std::move(reason));
  }
  void fail_at(std::size_t line, std::string_view column, std::string reason) {
    issues_.add(name_, line, column, std::move(reason));
  }
  /// No problem reported for the current row so far.
  [[nodiscard]] bool ok() const { return !bad_; }

  // ---- typed getters: empty field -> nullopt (no problem); bad -> reported, nullopt
  std::optional<std::int64_t> id(int col);
  std::optional<Instant> instant(int col);
  std::optional<Date> date(int col);
  /// Cents; negative amounts are reported.
  std::optional<std::int64_t> amount(int col);
  std::optional<double> probability(int col);
  std::optional<double> number(int col);
  std::optional<std::int64_t> integer(int col);
  std::optional<bool> flag(int col);
  /// Text (checked to be UTF-8) assigned to `out`; "" when empty.
  void text(int col, std::string& out);
  void text(int col, SlimString& out) {
    std::string s;
    text(col, s);
    out = s;
  }
  /// Index of the field among `names`, or nullopt (reported as an unknown `what`).
  std::optional<std::size_t> choice(int col, std::span<const std::string_view> names, std::string_view what);

private:
  Reader reader_;
  std::string name_;
  std::span<const Column> columns_;
  Issues& issues_;
  std::vector<int> index_;  // column -> field position, -1 when absent
  std::vector<int> required_;  // the required columns
  std::size_t fields_ = 0;
  std::size_t rows_ = 0;
  bool usable_ = true;
  bool bad_ = false;
  // progress (watch())
  const ProgressFn* progress_ = nullptr;
  std::string_view what_, stage_;
  std::uint64_t total_ = 0, records_ = 0;
  void tick() const;
};

}  // namespace nudge::csv::detail
