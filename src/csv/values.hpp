#pragma once
// Field values of the format: integers, instants, dates, exact decimal
// amounts, probabilities, booleans, UTF-8 text -- parsing and writing. Parsers
// return false on malformed input and never allocate.

#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <string_view>
#include <system_error>

#include <nudge/domain/time.hpp>

namespace nudge::csv::detail {

// Hand-rolled: std::from_chars<long> was the largest single cost of an import.
inline bool parse_int(std::string_view s, std::int64_t& out) {
  const char* p = s.data();
  const char* const e = p + s.size();
  const bool neg = p != e && *p == '-';
  if (neg) ++p;
  if (p == e || e - p > 19) return false;
  std::uint64_t v = 0;
  for (; p != e; ++p) {
    const unsigned d = static_cast<unsigned char>(*p) - '0';
    if (d > 9) return false;
    v = v * 10 + d;  // 19 digits cannot wrap an unsigned 64-bit value
  }
  const std::uint64_t limit = neg ? std::uint64_t{1} << 63 : (std::uint64_t{1} << 63) - 1;
  if (v > limit) return false;
  out = neg ? static_cast<std::int64_t>(0 - v) : static_cast<std::int64_t>(v);
  return true;
}

/// A positive integer id.
inline bool parse_id(std::string_view s, std::int64_t& out) { return parse_int(s, out) && out > 0; }

namespace time_detail {
inline bool digits(const char* p, int n, int& out) {
  int v = 0;
  for (int i = 0; i < n; ++i) {
    const unsigned d = static_cast<unsigned char>(p[i]) - '0';
    if (d > 9) return false;
    v = v * 10 + static_cast<int>(d);
  }
  out = v;
  return true;
}
}  // namespace time_detail

/// "YYYY-MM-DD", a real calendar date.
inline bool parse_date(std::string_view s, Date& out) {
  using namespace time_detail;
  int y = 0, m = 0, d = 0;
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  if (!digits(s.data(), 4, y) || !digits(s.data() + 5, 2, m) || !digits(s.data() + 8, 2, d)) return false;
  const std::chrono::year_month_day ymd{std::chrono::year{y}, std::chrono::month{static_cast<unsigned>(m)},
                                        std::chrono::day{static_cast<unsigned>(d)}};
  if (!ymd.ok()) return false;
  out = Date{ymd};
  return true;
}

/// Unix seconds ("1786699800", "-86400"), or ISO-8601: a bare date (midnight
/// UTC), or date 'T' (or ' ') hh:mm[:ss[.fraction]] followed by 'Z' or an
/// offset (+hh:mm, +hhmm, +hh). A fraction is truncated: instants are seconds.
inline bool parse_instant(std::string_view s, Instant& out) {
  using namespace time_detail;
  if (s.empty()) return false;
  if (s.size() < 10 || s[4] != '-') {
    std::int64_t v = 0;
    if (!parse_int(s, v)) return false;
    // Keep far from the limits of sys_seconds arithmetic (+-292 billion years).
    if (v > (std::int64_t{1} << 53) || v < -(std::int64_t{1} << 53)) return false;
    out = from_unix(v);
    return true;
  }
  Date d;
  if (!parse_date(s.substr(0, 10), d)) return false;
  if (s.size() == 10) {
    out = at_midnight(d);
    return true;
  }
  const char* p = s.data() + 10;
  const char* e = s.data() + s.size();
  if (*p != 'T' && *p != ' ' && *p != 't') return false;
  ++p;
  int hh = 0, mm = 0, ss = 0;
  if (e - p < 5 || !digits(p, 2, hh) || p[2] != ':' || !digits(p + 3, 2, mm)) return false;
  p += 5;
  if (p != e && *p == ':') {
    if (e - p < 3 || !digits(p + 1, 2, ss)) return false;
    p += 3;
    if (p != e && (*p == '.' || *p == ',')) {
      ++p;
      const char* f = p;
      while (p != e && *p >= '0' && *p <= '9') ++p;
      if (p == f) return false;
    }
  }
  if (hh > 23 || mm > 59 || ss > 59) return false;
  if (p == e) return false;  // a local time: the format needs 'Z' or an offset
  int offset = 0;
  if (*p == 'Z' || *p == 'z') {
    ++p;
  } else if (*p == '+' || *p == '-') {
    const int sign = *p == '-' ? -1 : 1;
    ++p;
    int oh = 0, om = 0;
    if (e - p < 2 || !digits(p, 2, oh)) return false;
    p += 2;
    if (p != e && *p == ':') ++p;
    if (p != e) {
      if (e - p < 2 || !digits(p, 2, om)) return false;
      p += 2;
    }
    if (oh > 23 || om > 59) return false;
    offset = sign * (oh * 3600 + om * 60);
  } else {
    return false;
  }
  if (p != e) return false;
  out = at_midnight(d) + Seconds{hh * 3600 + mm * 60 + ss - offset};
  return true;
}

/// An exact decimal amount in cents: "1250", "1250.5", "-3.25". More than two
/// decimals are rounded half away from zero. No exponent, no thousands separator.
inline bool parse_cents(std::string_view s, std::int64_t& out) {
  const char* p = s.data();
  const char* e = p + s.size();
  bool neg = false;
  if (p != e && (*p == '-' || *p == '+')) neg = *p++ == '-';
  std::int64_t whole = 0;
  const char* digits_start = p;
  constexpr std::int64_t limit = std::numeric_limits<std::int64_t>::max() / 1000;
  while (p != e && *p >= '0' && *p <= '9') {
    whole = whole * 10 + (*p++ - '0');
    if (whole > limit) return false;
  }
  bool any = p != digits_start;
  std::int64_t frac = 0;
  int nfrac = 0;
  bool round_up = false;
  if (p != e && *p == '.') {
    ++p;
    const char* f = p;
    while (p != e && *p >= '0' && *p <= '9') {
      if (nfrac < 2) {
        frac = frac * 10 + (*p - '0');
        ++nfrac;
      } else if (nfrac == 2) {
        round_up = *p >= '5';
        ++nfrac;
      }
      ++p;
    }
    any = any || p != f;
  }
  if (!any || p != e) return false;
  while (nfrac < 2) {
    frac *= 10;
    ++nfrac;
  }
  std::int64_t v = whole * 100 + frac + (round_up ? 1 : 0);
  out = neg ? -v : v;
  return true;
}

/// A finite decimal number.
inline bool parse_double(std::string_view s, double& out) {
  if (s.empty()) return false;
  const char* b = s.data();
  const char* e = b + s.size();
  if (*b == '+') ++b;
  auto [p, ec] = std::from_chars(b, e, out);
  return ec == std::errc{} && p == e && std::isfinite(out);
}

inline bool parse_bool(std::string_view s, bool& out) {
  if (s == "1" || s == "true" || s == "TRUE" || s == "True" || s == "yes") {
    out = true;
    return true;
  }
  if (s == "0" || s == "false" || s == "FALSE" || s == "False" || s == "no") {
    out = false;
    return true;
  }
  return false;
}

/// Well-formed UTF-8 (no overlongs, no surrogates, at most U+10FFFF).
inline bool valid_utf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* e = p + s.size();
  while (p != e) {
    // ASCII fast path, eight bytes at a time.
    while (e - p >= 8) {
      std::uint64_t w;
      std::memcpy(&w, p, 8);
      if (w & 0x8080808080808080ull) break;
      p += 8;
    }
    if (p == e) break;
    const unsigned c = *p;
    if (c < 0x80) {
      ++p;
      continue;
    }
    int n = 0;
    unsigned lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) n = 1;
    else if (c == 0xE0) n = 2, lo = 0xA0;
    else if (c >= 0xE1 && c <= 0xEC) n = 2;
    else if (c == 0xED) n = 2, hi = 0x9F;
    else if (c >= 0xEE && c <= 0xEF) n = 2;
    else if (c == 0xF0) n = 3, lo = 0x90;
    else if (c >= 0xF1 && c <= 0xF3) n = 3;
    else if (c == 0xF4) n = 3, hi = 0x8F;
    else return false;
    if (e - p <= n) return false;
    if (p[1] < lo || p[1] > hi) return false;
    for (int i = 2; i <= n; ++i)
      if ((p[i] & 0xC0) != 0x80) return false;
    p += n + 1;
  }
  return true;
}

// ---- writing ---------------------------------------------------------------

inline void put_int(std::string& out, std::int64_t v) {
  char buf[24];
  auto [p, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, p);
}

inline void put_2(std::string& out, unsigned v) {
  out.push_back(static_cast<char>('0' + v / 10));
  out.push_back(static_cast<char>('0' + v % 10));
}

inline void put_date(std::string& out, Date d) {
  const std::chrono::year_month_day v{d};
  const int y = static_cast<int>(v.year());
  if (y < 0 || y > 9999) {  // beyond ISO's four digits: Unix days would mislead, so spell it out
    out += iso_date(d);
    return;
  }
  put_2(out, static_cast<unsigned>(y / 100));
  put_2(out, static_cast<unsigned>(y % 100));
  out.push_back('-');
  put_2(out, static_cast<unsigned>(v.month()));
  out.push_back('-');
  put_2(out, static_cast<unsigned>(v.day()));
}

/// "2026-08-14T09:30:00Z"
inline void put_iso_instant(std::string& out, Instant t) {
  const Date d = utc_date(t);
  const int y = static_cast<int>(std::chrono::year_month_day{d}.year());
  if (y < 0 || y > 9999) {  // ISO needs four digits; Unix seconds read back the same
    put_int(out, to_unix(t));
    return;
  }
  const auto s = static_cast<unsigned>((t - at_midnight(d)).count());
  put_date(out, d);
  out.push_back('T');
  put_2(out, s / 3600);
  out.push_back(':');
  put_2(out, s / 60 % 60);
  out.push_back(':');
  put_2(out, s % 60);
  out.push_back('Z');
}

/// "1250.50", "-3.05"
inline void put_cents(std::string& out, std::int64_t cents) {
  std::uint64_t a = cents < 0 ? 0 - static_cast<std::uint64_t>(cents) : static_cast<std::uint64_t>(cents);
  if (cents < 0) out.push_back('-');
  char buf[24];
  auto [p, ec] = std::to_chars(buf, buf + sizeof buf, a / 100);
  out.append(buf, p);
  out.push_back('.');
  put_2(out, static_cast<unsigned>(a % 100));
}

/// The shortest text that reads back as the same double.
inline void put_double(std::string& out, double v) {
  char buf[32];
  auto [p, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, p);
}

/// A field, quoted (RFC 4180) when it holds a comma, a quote or a line break.
inline void put_text(std::string& out, std::string_view s) {
  if (s.find_first_of(",\"\r\n") == std::string_view::npos) {
    out.append(s);
    return;
  }
  out.push_back('"');
  for (char c : s) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
}

}  // namespace nudge::csv::detail
