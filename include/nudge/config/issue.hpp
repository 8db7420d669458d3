#pragma once
/// @file
/// What a configuration check reports: one problem per ConfigIssue, named by
/// the JSON Pointer of the value at fault; and the exception that carries
/// them all at once.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include <nudge/error.hpp>

namespace nudge {

/// One problem in a configuration: where (an RFC 6901 JSON Pointer such as
/// `/assistants/forgotten/0/after`; empty for the document itself) and what
/// was expected.
struct ConfigIssue {
  std::string path;
  std::string message;

  /// `/assistants/forgotten/0/after: expected a duration like "90d", ... got "ninety"`
  /// (the document itself prints as `/`).
  [[nodiscard]] std::string text() const { return fmt::format("{}: {}", path.empty() ? "/" : path, message); }

  friend bool operator==(const ConfigIssue&, const ConfigIssue&) = default;
};

/// A configuration that does not load: every problem found, not just the
/// first. `what()` lists them one per line after a heading; `errors()` gives
/// the structured list (for a host's UI).
///
/// @code
/// try { auto c = nudge::load_config(text); }
/// catch (const nudge::invalid_configuration& e) {
///   for (const auto& i : e.errors()) show(i.path, i.message);
/// }
/// @endcode
class invalid_configuration : public configuration_error {
public:
  explicit invalid_configuration(std::vector<ConfigIssue> errors, std::string_view source = {})
      : configuration_error(describe(errors, source)), errors_(std::move(errors)) {}

  [[nodiscard]] const std::vector<ConfigIssue>& errors() const noexcept { return errors_; }

private:
  static std::string describe(const std::vector<ConfigIssue>& errors, std::string_view source) {
    std::string s = fmt::format("invalid configuration{}: {} problem{}", source.empty() ? "" : fmt::format(" ({})", source),
                                errors.size(), errors.size() == 1 ? "" : "s");
    for (const auto& e : errors) s += "\n" + e.text();
    return s;
  }

  std::vector<ConfigIssue> errors_;
};

namespace detail {

/// One reference token of a JSON Pointer: `~` -> `~0`, `/` -> `~1`.
inline std::string pointer_token(std::string_view key) {
  std::string out;
  out.reserve(key.size());
  for (char c : key) {
    if (c == '~') out += "~0";
    else if (c == '/') out += "~1";
    else out += c;
  }
  return out;
}

/// `base` + "/" + the escaped key.
inline std::string child(std::string_view base, std::string_view key) {
  return std::string(base) + "/" + pointer_token(key);
}
inline std::string child(std::string_view base, std::size_t index) { return fmt::format("{}/{}", base, index); }

/// Levenshtein distance, giving up (returning `limit + 1`) past `limit`.
inline std::size_t edit_distance(std::string_view a, std::string_view b, std::size_t limit) {
  if ((a.size() > b.size() ? a.size() - b.size() : b.size() - a.size()) > limit) return limit + 1;
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    std::size_t best = row[0];
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      const char x = static_cast<char>(a[i - 1] | 0x20), y = static_cast<char>(b[j - 1] | 0x20);  // ASCII case-blind
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (x == y ? 0 : 1)});
      diag = up;
      best = std::min(best, row[j]);
    }
    if (best > limit) return limit + 1;
  }
  return row[b.size()];
}

/// The text with every byte that is not part of valid, printable UTF-8
/// replaced by '?' (a message may quote raw input, and must stay text).
inline std::string printable(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    bool ok = n > 0 && i + n <= s.size() && !(n == 1 && (c < 0x20 || c == 0x7F));
    for (std::size_t k = 1; ok && k < n; ++k) ok = (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80;
    if (ok && n > 1) {  // reject overlong forms, surrogates and code points past U+10FFFF
      std::uint32_t cp = c & (0x7F >> n);
      for (std::size_t k = 1; k < n; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
      static constexpr std::uint32_t min_for[] = {0, 0, 0x80, 0x800, 0x10000};
      ok = cp >= min_for[n] && cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF);
    }
    if (ok) {
      out.append(s.substr(i, n));
      i += n;
    } else {
      out += '?';
      ++i;
    }
  }
  return out;
}

/// The closest candidate within a small edit distance, or "" (cheap: skips long words).
template <class Range>
std::string closest(std::string_view word, const Range& candidates) {
  if (word.empty() || word.size() > 64) return {};
  const std::size_t limit = word.size() <= 3 ? 1 : word.size() <= 8 ? 2 : 3;
  std::string best;
  std::size_t best_d = limit + 1;
  for (const auto& c : candidates) {
    const std::string_view cv(c);
    if (cv == word) continue;
    const auto d = edit_distance(word, cv, limit);
    if (d < best_d) {
      best_d = d;
      best = std::string(cv);
    }
  }
  return best;
}

/// ` (did you mean "x"?)` or "".
template <class Range>
std::string did_you_mean(std::string_view word, const Range& candidates) {
  const auto c = closest(word, candidates);
  return c.empty() ? std::string{} : fmt::format(" (did you mean \"{}\"?)", c);
}

/// `"a", "b", "c"`.
template <class Range>
std::string quoted_list(const Range& items) {
  std::string s;
  for (const auto& i : items) s += fmt::format("{}\"{}\"", s.empty() ? "" : ", ", std::string_view(i));
  return s;
}

}  // namespace detail
}  // namespace nudge
