#pragma once
// The command line's progress bar: one line on stderr redrawn with '\r', at
// most ten times a second, cleared when the work is done. The library only
// reports (nudge::Progress); reading the clock is the host's business.
//
// Ctrl-C sets a flag (nothing else is safe in a signal handler); the next
// report returns false, the library throws nudge::cancelled and writes nothing.

#include <chrono>
#include <csignal>
#include <cstdio>
#include <string>

#include <fmt/format.h>

#include <nudge/progress.hpp>

namespace nudge::cli {

inline volatile std::sig_atomic_t interrupted = 0;

extern "C" inline void on_sigint(int) { interrupted = 1; }

/// Ctrl-C asks the running operation to stop instead of killing the process.
inline void catch_ctrl_c() { std::signal(SIGINT, on_sigint); }

/// Draws `Progress` reports on a stream (stderr) when enabled; always carries
/// the Ctrl-C flag back to the library. Not thread-safe (one operation at a time).
class ProgressBar {
public:
  /// Units of `done`/`total` for the stages of this operation.
  enum class Unit { items, bytes };

  ProgressBar(bool enabled, std::string what, Unit unit, std::FILE* out = stderr)
      : enabled_(enabled), what_(std::move(what)), unit_(unit), out_(out) {}
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;
  ~ProgressBar() { clear(); }

  /// The callback for the library: false once Ctrl-C was pressed.
  nudge::ProgressFn callback() {
    return [this](const nudge::Progress& p) { return report(p); };
  }

  /// Some stages count items even in a byte-counted operation (the Maven
  /// import's "writing" stage counts entities).
  void items_for(std::string stage) { item_stage_ = std::move(stage); }

  bool report(const nudge::Progress& p) {
    if (interrupted) return false;
    if (!enabled_) return true;
    const auto now = std::chrono::steady_clock::now();
    const bool new_stage = p.stage != stage_;
    const bool finished = p.total != 0 && p.done >= p.total;
    // At most ~10 redraws a second; a new stage or a finished one always shows.
    if (drawn_ && !new_stage && !finished && now - last_ < std::chrono::milliseconds(100)) return true;
    stage_ = std::string(p.stage);
    last_ = now;
    draw(p);
    return true;
  }

  /// Removes the bar (before printing results, and at the end).
  void clear() {
    if (!drawn_) return;
    std::fputs("\r\033[K", out_);
    std::fflush(out_);
    drawn_ = false;
    stage_.clear();
  }

private:
  // Bytes scaled by the stage's size, so both numbers read in one unit.
  static std::string amount(std::uint64_t n, std::uint64_t scale, bool bytes) {
    if (!bytes) return fmt::format("{}", n);
    const auto x = static_cast<double>(n);
    if (scale >= 1'000'000) return fmt::format("{:.1f} MB", x / 1e6);
    if (scale >= 1'000) return fmt::format("{:.1f} kB", x / 1e3);
    return fmt::format("{} B", n);
  }

  void draw(const nudge::Progress& p) {
    constexpr int width = 28;
    const bool bytes = unit_ == Unit::bytes && p.stage != item_stage_;
    std::string line = fmt::format("{} {:<14} ", what_, p.stage);
    if (p.total != 0) {
      const double f = std::min(1.0, static_cast<double>(p.done) / static_cast<double>(p.total));
      const int full = static_cast<int>(f * width + 0.5);
      line += '[' + std::string(static_cast<std::size_t>(full), '#') + std::string(static_cast<std::size_t>(width - full), '.') +
              fmt::format("] {:3.0f}%  {} / {}", f * 100.0, amount(p.done, p.total, bytes), amount(p.total, p.total, bytes));
    } else {
      line += amount(p.done, p.done, bytes);
    }
    fmt::print(out_, "\r\033[K{}", line);
    std::fflush(out_);
    drawn_ = true;
  }

  bool enabled_;
  std::string what_;
  Unit unit_;
  std::FILE* out_;
  std::string stage_, item_stage_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point last_{};
};

}  // namespace nudge::cli
