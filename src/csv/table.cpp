#include "table.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "values.hpp"

namespace nudge::csv::detail {

std::string shown(std::string_view v) {
  constexpr std::size_t max = 40;
  const bool utf8 = valid_utf8(v);
  std::string out;
  std::size_t i = 0;
  for (; i < v.size(); ++i) {
    const auto c = static_cast<unsigned char>(v[i]);
    if (out.size() >= max && (!utf8 || (c & 0xC0) != 0x80)) break;  // never cut a character in two
    if (c < 0x20 || c == 0x7F || (c >= 0x80 && !utf8)) out += fmt::format("\\x{:02X}", c);
    else out.push_back(static_cast<char>(c));
  }
  if (i < v.size()) out += "...";
  return out;
}

Table::Table(std::istream& in, std::string name, std::span<const Column> columns, Issues& issues, bool ignore_unknown)
    : reader_(in), name_(std::move(name)), columns_(columns), issues_(issues), index_(columns.size(), -1) {
  auto st = reader_.next();
  if (st == Reader::Status::end) {  // an empty file: no rows
    usable_ = false;
    return;
  }
  if (st == Reader::Status::malformed) {
    issues_.add(name_, reader_.line(), "", "header: " + reader_.problem());
    usable_ = false;
    return;
  }
  const auto& h = reader_.fields();
  const std::size_t at = reader_.line();
  fields_ = h.size();
  for (std::size_t i = 0; i < h.size(); ++i) {
    std::size_t c = 0;
    while (c < columns_.size() && columns_[c].name != h[i]) ++c;
    if (c == columns_.size()) {
      if (ignore_unknown) continue;
      std::string expected;
      for (const auto& col : columns_) expected += (expected.empty() ? "" : ", ") + std::string(col.name);
      issues_.add(name_, at, shown(h[i]), "unknown column (expected: " + expected + ")");
      usable_ = false;
    } else if (index_[c] >= 0) {
      issues_.add(name_, at, shown(h[i]), "the column appears twice");
      usable_ = false;
    } else {
      index_[c] = static_cast<int>(i);
    }
  }
  for (std::size_t c = 0; c < columns_.size(); ++c)
    if (columns_[c].required) {
      required_.push_back(static_cast<int>(c));
      if (index_[c] < 0) {
        issues_.add(name_, at, columns_[c].name, "required column is missing");
        usable_ = false;
      }
    }
}

std::uint64_t remaining_bytes(std::istream& in) {
  if (!in) return 0;
  const auto here = in.tellg();
  if (here == std::istream::pos_type(-1)) {
    in.clear(in.rdstate() & ~std::ios::failbit);
    return 0;
  }
  in.seekg(0, std::ios::end);
  const auto end = in.tellg();
  in.clear(in.rdstate() & ~(std::ios::failbit | std::ios::eofbit));
  in.seekg(here);
  if (!in || end == std::istream::pos_type(-1) || end < here) {
    in.clear(in.rdstate() & ~std::ios::failbit);
    in.seekg(here);
    return 0;
  }
  return static_cast<std::uint64_t>(end - here);
}

void Table::watch(const ProgressFn& fn, std::string_view what, std::string_view stage, std::uint64_t total) {
  if (!fn) return;
  progress_ = &fn;
  what_ = what;
  stage_ = stage;
  total_ = total;
  tick();
}

void Table::tick() const {
  // The end of a file is exact; a file that grew while read reports its size read.
  const auto done = reader_.consumed();
  nudge::detail::report(*progress_, what_, {stage_, done, total_ == 0 ? 0 : std::max(total_, done)});
}

bool Table::next() {
  if (!usable_) {
    if (progress_ && records_ == 0) {
      records_ = 1;  // once: the end of an empty or unusable file
      tick();
    }
    return false;
  }
  for (;;) {
    const auto st = reader_.next();
    if (st == Reader::Status::end) {
      if (progress_) tick();
      return false;
    }
    if (progress_ && (++records_ % progress_every) == 0) tick();
    bad_ = false;
    if (st == Reader::Status::malformed) {
      issues_.add(name_, reader_.line(), "", reader_.problem());
      continue;
    }
    ++rows_;
    const auto n = reader_.fields().size();
    if (n != fields_) {
      issues_.add(name_, reader_.line(), "", fmt::format("row has {} field{}, the header has {}", n, n == 1 ? "" : "s", fields_));
      continue;
    }
    for (int c : required_)
      if ((*this)[c].empty()) fail(c, "a value is required");
    return true;
  }
}

std::optional<std::int64_t> Table::id(int col) {
  const auto v = (*this)[col];
  if (v.empty()) return std::nullopt;
  std::int64_t x = 0;
  if (parse_id(v, x)) return x;
  fail(col, fmt::format("cannot read '{}' as an id (a positive integer)", shown(v)));
  return std::nullopt;
}

std::optional<Instant> Table::instant(int col) {
  const auto v = (*this)[col];
  if (v.empty()) return std::nullopt;
  Instant t;
  if (parse_instant(v, t)) return t;
  fail(col, fmt::format("cannot read '{}' as a time (ISO-8601 such as 2026-08-14T09:30:00Z, "
                        "2026-08-14T12:30:00+03:00 or 2026-08-14, or Unix seconds)",
                        shown(v)));
  return std::nullopt;
}

std::optional<Date> Table::date(int col) {
  const auto v = (*this)[col];
  if (v.empty()) return std::nullopt;
  Date d;
  if (parse_date(v, d)) return d;
  fail(col, fmt::format("cannot read '{}' as a date (YYYY-MM-DD)", shown(v)));
  return std::nullopt;
}

std::optional<std::int64_t> Table::amount(int col) {
  const auto v = (*this)[col];
  if (v.empty()) return std::nullopt;
  std::int64_t c = 0;
  if (!parse_cents(v, c)) {
    fail(col, fmt::format("cannot read '{}' as an amount (a decimal number such as 1250.50)", shown(v)));
    return std::nullopt;
  }
  if (c < 0) {
    fail(col, fmt::format("must not be negative, got {}", v));
    return std::nullopt;
  }
  return c;
}

std::optional<double> Table::number(int col) {
  const auto v = (*this)[col];
  if (v.empty()) return std::nullopt;
  double x = 0;
  if (parse_double(v, x)) return x;
  fail(col, fmt::format("cannot read '{}' as a number", shown(v)));
  return std::nullopt;
}

std::optional<double> Table::probability(int col) {
  const auto x = number(col);
  if (x && !(*x >= 0.0 && *x <= 1.0)) {
    fail(col, fmt::format("must be in [0, 1], got {}", (*this)[col]));
    return std::nullopt;
  }
  return x;
}

std::optional<std::int64_t> Table::integer(int col) {
  const auto v = (*this)[col];
  if (v.empty()) return std::nullopt;
  std::int64_t x = 0;
  if (parse_int(v, x)) return x;
  fail(col, fmt::format("cannot read '{}' as an integer", shown(v)));
  return std::nullopt;
}

std::optional<bool> Table::flag(int col) {
  const auto v = (*this)[col];
  if (v.empty()) return std::nullopt;
  bool b = false;
  if (parse_bool(v, b)) return b;
  fail(col, fmt::format("cannot read '{}' as a yes/no value (1, 0, true, false)", shown(v)));
  return std::nullopt;
}

void Table::text(int col, std::string& out) {
  const auto v = (*this)[col];
  if (v.empty()) {
    out.clear();
    return;
  }
  if (!valid_utf8(v)) {
    fail(col, fmt::format("invalid UTF-8 in '{}'", shown(v)));
    out.clear();
    return;
  }
  out.assign(v);
}

std::optional<std::size_t> Table::choice(int col, std::span<const std::string_view> names, std::string_view what) {
  const auto v = (*this)[col];
  if (v.empty()) return std::nullopt;
  for (std::size_t i = 0; i < names.size(); ++i)
    if (names[i] == v) return i;
  std::string expected;
  for (std::size_t i = 0; i < names.size(); ++i)
    expected += fmt::format("{}{}", i == 0 ? "" : i + 1 == names.size() ? " or " : ", ", names[i]);
  fail(col, fmt::format("unknown {} '{}' (expected {})", what, shown(v), expected));
  return std::nullopt;
}

}  // namespace nudge::csv::detail
