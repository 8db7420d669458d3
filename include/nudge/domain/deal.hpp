#pragma once
/// @file
/// A deal moving through a pipeline's stages.

#include <array>
#include <cmath>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nudge/domain/ids.hpp>
#include <nudge/domain/money.hpp>
#include <nudge/domain/slim_string.hpp>
#include <nudge/domain/time.hpp>
#include <nudge/error.hpp>

namespace nudge {

enum class DealStatus { open, won, lost };

inline std::string_view to_string(DealStatus s) {
  constexpr std::array<std::string_view, 3> names{"open", "won", "lost"};
  return names[static_cast<std::size_t>(s)];
}

inline DealStatus parse_deal_status(std::string_view s, std::string_view field = "status") {
  if (s == "open") return DealStatus::open;
  if (s == "won") return DealStatus::won;
  if (s == "lost") return DealStatus::lost;
  throw invalid_argument(fmt::format("{}: expected open, won or lost, got '{}'", field, s));
}

/// One visit of a deal to a stage: [entered, left).
struct StageVisit {
  std::string stage{};
  Instant entered{};
  std::optional<Instant> left{};
  friend bool operator==(const StageVisit&, const StageVisit&) = default;
};

/// A period the deal was on hold ("waiting for the client"): [from, to).
struct Hold {
  Instant from{};
  std::optional<Instant> to{};
  std::string reason{};
  friend bool operator==(const Hold&, const Hold&) = default;
};

/// A deal: an opportunity in a pipeline.
struct Deal {
  DealId id{};
  ClientId client{};
  ManagerId owner{};
  std::string pipeline = "default";
  std::string stage{};
  Money amount{};
  /// The owner's stated chance of winning, in [0, 1].
  double probability = 0.0;
  Instant opened{};
  Instant stage_entered{};
  /// Earlier visits, oldest first (the current stage is `stage`/`stage_entered`).
  std::vector<StageVisit> history{};
  std::vector<Hold> holds{};
  DealStatus status = DealStatus::open;
  SlimString loss_reason{};
  MaybeInstant closed{};
  std::map<std::string, std::string> labels{};

  [[nodiscard]] bool is_open() const { return status == DealStatus::open; }
  [[nodiscard]] bool on_hold(Instant t) const {
    for (const auto& h : holds)
      if (h.from <= t && (!h.to || t < *h.to)) return true;
    return false;
  }

  void validate() const {
    if (!id.valid()) throw invalid_argument("deal.id: must be a positive id");
    const auto where = fmt::format("deal {}", id.value());
    if (!client.valid()) throw invalid_argument(where + ": client: must name a client");
    if (!owner.valid()) throw invalid_argument(where + ": owner: must name a manager");
    if (stage.empty()) throw invalid_argument(where + ": stage: must not be empty");
    if (!(probability >= 0.0 && probability <= 1.0))
      throw invalid_argument(fmt::format("{}: probability: must be in [0, 1], got {}", where, probability));
    if (amount.cents < 0) throw invalid_argument(where + ": amount: must not be negative");
    if (stage_entered < opened)
      throw invalid_argument(fmt::format("{}: stage_entered: {} is before opened {}", where,
                                         iso_instant(stage_entered), iso_instant(opened)));
    if (status == DealStatus::open && closed) throw invalid_argument(where + ": closed: must be empty while open");
    if (status != DealStatus::open && !closed)
      throw invalid_argument(fmt::format("{}: closed: required when the deal is {}", where, to_string(status)));
    if (closed && *closed < opened) throw invalid_argument(where + ": closed: before opened");
    for (const auto& h : holds)
      if (h.to && *h.to < h.from) throw invalid_argument(where + ": holds: a hold ends before it starts");
  }

  friend bool operator==(const Deal&, const Deal&) = default;
};

}  // namespace nudge
