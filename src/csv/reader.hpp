#pragma once
// A streaming RFC 4180 record reader: fields are string_views into its own
// buffer (no allocation per field), valid until the next call to next().

#include <cstddef>
#include <cstdint>
#include <istream>
#include <string>
#include <string_view>
#include <vector>

namespace nudge::csv::detail {

class Reader {
public:
  enum class Status {
    record,     ///< fields() holds a record
    end,        ///< no more input
    malformed,  ///< a quoting error; problem() says what; the reader has skipped past it
  };

  explicit Reader(std::istream& in, std::size_t chunk = std::size_t{1} << 20);

  /// The next record, skipping blank lines. A UTF-8 BOM at the start is dropped;
  /// lines end with LF or CRLF (a lone CR too).
  Status next();

  [[nodiscard]] const std::vector<std::string_view>& fields() const { return fields_; }
  /// The physical line (1-based) the last record (or malformed text) started on.
  [[nodiscard]] std::size_t line() const { return line_; }
  /// What was malformed.
  [[nodiscard]] const std::string& problem() const { return problem_; }
  /// Bytes of the input consumed so far (read and handed out or skipped).
  [[nodiscard]] std::uint64_t consumed() const { return read_ - (end_ - pos_); }

private:
  enum class Scan { ok, need_more, bad_after_quote, unclosed_quote };
  Scan scan(const char* p);
  bool fill();  // reads more; false when nothing more could be read

  std::istream& in_;
  std::vector<char> buf_;
  std::size_t pos_ = 0, end_ = 0;
  bool eof_ = false, started_ = false;
  std::uint64_t read_ = 0;  // bytes read from in_
  std::size_t line_ = 0, next_line_ = 1;
  std::vector<std::string_view> fields_;
  std::vector<unsigned char> unescape_;  // per field: has doubled quotes
  // results of scan()
  const char* rec_next_ = nullptr;
  std::size_t rec_newlines_ = 0;
  const char* bad_at_ = nullptr;
  std::string problem_;
};

}  // namespace nudge::csv::detail
