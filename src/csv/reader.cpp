#include "reader.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <cstring>

#include <nudge/error.hpp>

namespace nudge::csv::detail {

namespace {
// ',', '\n', '\r' end an unquoted field.
constexpr std::array<bool, 256> make_stops() {
  std::array<bool, 256> t{};
  t[static_cast<unsigned char>(',')] = true;
  t[static_cast<unsigned char>('\n')] = true;
  t[static_cast<unsigned char>('\r')] = true;
  return t;
}
constexpr auto stops = make_stops();

// The first ',', '\n' or '\r' in [c, end), or end: eight bytes at a time.
const char* find_stop(const char* c, const char* end) {
  if constexpr (std::endian::native == std::endian::little) {
    constexpr std::uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    auto zero_bytes = [](std::uint64_t v) { return (v - ones) & ~v & highs; };  // lowest set bit is exact
    while (end - c >= 8) {
      std::uint64_t w;
      std::memcpy(&w, c, 8);
      const std::uint64_t m = zero_bytes(w ^ (ones * ',')) | zero_bytes(w ^ (ones * '\n')) | zero_bytes(w ^ (ones * '\r'));
      if (m) return c + (std::countr_zero(m) >> 3);
      c += 8;
    }
  }
  while (c != end && !stops[static_cast<unsigned char>(*c)]) ++c;
  return c;
}

std::size_t count_newlines(const char* b, const char* e) {
  return static_cast<std::size_t>(std::count(b, e, '\n'));
}
}  // namespace

Reader::Reader(std::istream& in, std::size_t chunk) : in_(in), buf_(std::max<std::size_t>(chunk, 64)) {}

bool Reader::fill() {
  if (eof_) return false;
  // Keep the unread tail; grow when it fills the whole buffer (a huge record).
  if (pos_ > 0) {
    std::memmove(buf_.data(), buf_.data() + pos_, end_ - pos_);
    end_ -= pos_;
    pos_ = 0;
  }
  if (end_ == buf_.size()) buf_.resize(buf_.size() * 2);
  const std::size_t want = buf_.size() - end_;
  in_.read(buf_.data() + end_, static_cast<std::streamsize>(want));
  const auto got = static_cast<std::size_t>(in_.gcount());
  if (in_.bad()) throw error("csv: reading the input failed");
  end_ += got;
  read_ += got;
  if (got < want) eof_ = true;  // read() only stops short at the end of the input
  if (!started_) {
    started_ = true;
    if (end_ >= 3 && std::memcmp(buf_.data(), "\xEF\xBB\xBF", 3) == 0) pos_ = 3;
  }
  return got > 0;
}

// Scans one record starting at p. On ok, fields_ point into the buffer (quoted
// fields still escaped), rec_next_ is where the next record starts and
// rec_newlines_ counts the line breaks consumed (embedded ones included).
Reader::Scan Reader::scan(const char* p) {
  const char* const end = buf_.data() + end_;
  fields_.clear();
  unescape_.clear();
  rec_newlines_ = 0;
  const char* s = p;
  for (;;) {
    if (s == end) {
      if (!eof_) return Scan::need_more;
      fields_.emplace_back(s, 0);
      unescape_.push_back(0);
      rec_next_ = end;
      return Scan::ok;
    }
    if (*s == '"') {
      const char* q = s + 1;
      bool doubled = false;
      for (;;) {
        const char* c = static_cast<const char*>(std::memchr(q, '"', static_cast<std::size_t>(end - q)));
        if (!c) return eof_ ? Scan::unclosed_quote : Scan::need_more;
        if (c + 1 == end && !eof_) return Scan::need_more;
        if (c + 1 != end && c[1] == '"') {
          doubled = true;
          q = c + 2;
          continue;
        }
        rec_newlines_ += count_newlines(s + 1, c);
        fields_.emplace_back(s + 1, static_cast<std::size_t>(c - s - 1));
        unescape_.push_back(doubled ? 1 : 0);
        const char* after = c + 1;
        if (after == end) {
          rec_next_ = end;
          return Scan::ok;
        }
        if (*after == ',') {
          s = after + 1;
          break;
        }
        if (*after == '\n') {
          rec_next_ = after + 1;
          ++rec_newlines_;
          return Scan::ok;
        }
        if (*after == '\r') {
          if (after + 1 == end && !eof_) return Scan::need_more;
          rec_next_ = after + 1 + (after + 1 != end && after[1] == '\n' ? 1 : 0);
          ++rec_newlines_;
          return Scan::ok;
        }
        bad_at_ = after;
        return Scan::bad_after_quote;
      }
      continue;
    }
    const char* c = find_stop(s, end);
    if (c == end) {
      if (!eof_) return Scan::need_more;
      fields_.emplace_back(s, static_cast<std::size_t>(c - s));
      unescape_.push_back(0);
      rec_next_ = end;
      return Scan::ok;
    }
    fields_.emplace_back(s, static_cast<std::size_t>(c - s));
    unescape_.push_back(0);
    if (*c == ',') {
      s = c + 1;
      continue;
    }
    if (*c == '\n') {
      rec_next_ = c + 1;
      ++rec_newlines_;
      return Scan::ok;
    }
    if (c + 1 == end && !eof_) return Scan::need_more;  // '\r': is a '\n' next?
    rec_next_ = c + 1 + (c + 1 != end && c[1] == '\n' ? 1 : 0);
    ++rec_newlines_;
    return Scan::ok;
  }
}

Reader::Status Reader::next() {
  for (;;) {
    if (pos_ == end_ && !fill()) return Status::end;
    const char* p = buf_.data() + pos_;
    const Scan r = scan(p);
    if (r == Scan::need_more) {
      fill();
      continue;
    }
    line_ = next_line_;
    if (r == Scan::unclosed_quote) {
      problem_ = "a quoted field is not closed before the end of the file";
      pos_ = end_;
      return Status::malformed;
    }
    if (r == Scan::bad_after_quote) {
      // Resynchronise at the end of the physical line holding the stray character.
      const char* const end = buf_.data() + end_;
      next_line_ += count_newlines(p, bad_at_);
      problem_ = "unexpected character after a closing quote (a field with quotes must be quoted whole)";
      const char* nl = static_cast<const char*>(std::memchr(bad_at_, '\n', static_cast<std::size_t>(end - bad_at_)));
      while (!nl && !eof_) {
        const auto off = static_cast<std::size_t>(bad_at_ - buf_.data()) - pos_;
        fill();
        bad_at_ = buf_.data() + pos_ + off;
        nl = static_cast<const char*>(
            std::memchr(bad_at_, '\n', static_cast<std::size_t>(buf_.data() + end_ - bad_at_)));
      }
      if (nl) {
        pos_ = static_cast<std::size_t>(nl + 1 - buf_.data());
        ++next_line_;
      } else {
        pos_ = end_;
      }
      return Status::malformed;
    }
    pos_ = static_cast<std::size_t>(rec_next_ - buf_.data());
    next_line_ += rec_newlines_;
    if (fields_.size() == 1 && fields_[0].empty() && (*p == '\n' || *p == '\r' || p == rec_next_))
      continue;  // a blank line
    // Undouble quotes in place: safe now that the record will not be rescanned.
    for (std::size_t i = 0; i < fields_.size(); ++i) {
      if (!unescape_[i]) continue;
      char* b = const_cast<char*>(fields_[i].data());
      const char* r2 = b;
      const char* e = b + fields_[i].size();
      char* w = b;
      while (r2 != e) {
        *w++ = *r2;
        r2 += (*r2 == '"') ? 2 : 1;
      }
      fields_[i] = std::string_view(b, static_cast<std::size_t>(w - b));
    }
    return Status::record;
  }
}

}  // namespace nudge::csv::detail
