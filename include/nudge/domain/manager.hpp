#pragma once
/// @file
/// A manager (user): has a supervisor, access to segments, leave periods.

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nudge/domain/ids.hpp>
#include <nudge/domain/time.hpp>
#include <nudge/error.hpp>

namespace nudge {

/// An inclusive range of dates [first, last] (a holiday, a leave).
struct DateRange {
  Date first{};
  Date last{};
  [[nodiscard]] bool contains(Date d) const { return first <= d && d <= last; }
  friend bool operator==(const DateRange&, const DateRange&) = default;
};

/// A manager: a user who owns clients and deals and gets tasks.
struct Manager {
  ManagerId id{};
  std::string name{};
  std::optional<ManagerId> supervisor{};
  bool active = true;
  std::vector<DateRange> leave{};
  /// Segments this manager may serve; "*" serves every segment.
  std::vector<std::string> segments{"*"};
  /// Most clients this manager should own (0 = no cap); used by release policies.
  int capacity = 0;
  /// Relative weight for capacity-weighted distribution (> 0).
  double weight = 1.0;
  std::string email{};
  std::string phone{};

  [[nodiscard]] bool on_leave(Date d) const {
    return std::any_of(leave.begin(), leave.end(), [d](const DateRange& r) { return r.contains(d); });
  }
  [[nodiscard]] bool serves(std::string_view segment) const {
    return std::any_of(segments.begin(), segments.end(),
                       [&](const std::string& s) { return s == "*" || s == segment; });
  }
  /// Active and not on leave on that date.
  [[nodiscard]] bool available(Date d) const { return active && !on_leave(d); }

  void validate() const {
    if (!id.valid()) throw invalid_argument("manager.id: must be a positive id");
    if (supervisor && *supervisor == id)
      throw invalid_argument(fmt::format("manager {}: supervisor: a manager cannot supervise themselves", id.value()));
    for (const auto& r : leave)
      if (r.last < r.first)
        throw invalid_argument(fmt::format("manager {}: leave: period ends ({}) before it starts ({})", id.value(),
                                           iso_date(r.last), iso_date(r.first)));
    if (capacity < 0) throw invalid_argument(fmt::format("manager {}: capacity: must be >= 0", id.value()));
    if (!(weight > 0.0)) throw invalid_argument(fmt::format("manager {}: weight: must be > 0", id.value()));
  }

  friend bool operator==(const Manager&, const Manager&) = default;
};

}  // namespace nudge
