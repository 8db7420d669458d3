#pragma once
/// @file
/// Progress reports from long operations (a plan over a big store, a CSV
/// import), so a host can draw a progress bar or stop the work.

#include <cstdint>
#include <functional>
#include <string_view>

#include <nudge/error.hpp>

namespace nudge {

/// Where a long operation is: `done` of `total` items of one stage
/// ("clients", "deals", "invoices", "tasks", "activities", ...). `total` is 0
/// when unknown.
struct Progress {
  std::string_view stage;
  std::uint64_t done = 0;
  std::uint64_t total = 0;
};

/// Called now and then (once per batch, never per item). Return false to stop:
/// the operation then throws nudge::cancelled and has written nothing.
using ProgressFn = std::function<bool(const Progress&)>;

namespace detail {
/// Reports to `fn` (when set) and throws cancelled when it asks to stop.
inline void report(const ProgressFn& fn, std::string_view what, const Progress& p) {
  if (fn && !fn(p)) throw cancelled(std::string(what) + ": cancelled while at " + std::string(p.stage));
}
}  // namespace detail

}  // namespace nudge
