#pragma once
/// @file
/// Quiet hours: a span of local clock time in which a channel stays silent
/// (no SMS at night), and the next instant it may speak again, in a time zone.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include <date/tz.h>
#include <fmt/format.h>

#include <nudge/domain/time.hpp>
#include <nudge/error.hpp>

namespace nudge {

/// No messages between `from` and `to`, local clock times in minutes after
/// midnight; `from` after `to` spans midnight (21:00-09:00). `from == to` is
/// no quiet time at all.
struct QuietHours {
  std::chrono::minutes from{};
  std::chrono::minutes to{};

  /// 21:00-09:00 and the like.
  static QuietHours between(std::chrono::minutes from, std::chrono::minutes to) { return {from, to}; }

  /// Whether a local time of day (minutes after midnight) is quiet.
  [[nodiscard]] bool quiet_at(std::chrono::minutes local) const {
    if (from == to) return false;
    return from < to ? (from <= local && local < to) : (local >= from || local < to);
  }

  /// Throws invalid_argument unless both bounds lie within 00:00-24:00.
  void validate() const {
    const std::chrono::minutes day{24 * 60};
    if (from.count() < 0 || from > day || to.count() < 0 || to > day)
      throw invalid_argument(fmt::format("quiet hours: from/to must be times of day from 00:00 to 24:00, got {}-{}",
                                         from.count(), to.count()));
  }

  friend bool operator==(const QuietHours&, const QuietHours&) = default;
};

/// A time zone for quiet hours: an IANA name resolved once ("UTC" needs no database).
class LocalClock {
public:
  /// @throws invalid_argument naming the zone when the tz database lacks it.
  explicit LocalClock(std::string_view iana = "UTC") : name_(iana) {
    if (iana.empty() || iana == "UTC" || iana == "Etc/UTC") return;
    try {
      zone_ = date::locate_zone(iana);
    } catch (const std::exception& e) {
      throw invalid_argument(fmt::format("time_zone: unknown IANA zone '{}' ({})", iana, e.what()));
    }
  }
  [[nodiscard]] const std::string& name() const { return name_; }

  /// Local wall-clock seconds of an instant.
  [[nodiscard]] date::local_seconds local(Instant t) const {
    if (!zone_) return date::local_seconds{t.time_since_epoch()};
    return zone_->to_local(t);
  }
  /// The instant of a local time; a local time clocks skip maps to the jump,
  /// a repeated one to its first occurrence (its second with `latest`).
  [[nodiscard]] Instant instant(date::local_seconds lt, bool latest = false) const {
    if (!zone_) return Instant{lt.time_since_epoch()};
    const auto info = zone_->get_info(lt);
    if (info.result == date::local_info::nonexistent) return Instant{info.first.end};
    return zone_->to_sys(lt, latest ? date::choose::latest : date::choose::earliest);
  }

  /// Whether `t` falls in the quiet hours, read on this clock.
  [[nodiscard]] bool quiet(const QuietHours& q, Instant t) const {
    const auto lt = local(t);
    const auto midnight = std::chrono::floor<Days>(lt);
    return q.quiet_at(std::chrono::floor<std::chrono::minutes>(lt - midnight));
  }

  /// The first instant at or after `t` outside the quiet hours (t itself when it is not quiet).
  [[nodiscard]] Instant next_allowed(const QuietHours& q, Instant t) const {
    if (!quiet(q, t)) return t;
    const auto lt = local(t);
    auto day = std::chrono::floor<Days>(lt);
    // The quiet span ends at `to` today, or tomorrow when it has not begun to end yet today.
    if (lt - day >= q.to) day += Days{1};
    // When clocks went back, the end may be a repeated local time: its second
    // occurrence when t lies past the first; past both, the next day's end.
    for (const bool latest : {false, true})
      if (const Instant end = instant(day + q.to, latest); end > t) return end;
    return instant(day + Days{1} + q.to);
  }

private:
  std::string name_;
  const date::time_zone* zone_ = nullptr;
};

}  // namespace nudge
