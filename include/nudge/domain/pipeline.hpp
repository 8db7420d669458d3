#pragma once
/// @file
/// A pipeline: ordered stages, won/lost terminals, a time limit per stage.

#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nudge/calendar/period.hpp>
#include <nudge/error.hpp>

namespace nudge {

/// Whether a stage is a working stage or a terminal outcome.
enum class StageKind { open, won, lost };

/// One stage of a pipeline.
struct Stage {
  std::string id{};
  std::string name{};
  StageKind kind = StageKind::open;
  /// How long a deal may stay here (SLA); none = no limit. Terminal stages have none.
  std::optional<Period> limit{};
  /// Default win probability of a deal in this stage, in [0, 1].
  std::optional<double> probability{};

  friend bool operator==(const Stage&, const Stage&) = default;
};

/// An ordered list of stages with at least one won and one lost terminal.
///
/// @code
/// nudge::Pipeline p{"sales", "Sales", {
///     {"lead", "Lead", nudge::StageKind::open, nudge::Period::business_days(2)},
///     {"won", "Won", nudge::StageKind::won}, {"lost", "Lost", nudge::StageKind::lost}}};
/// p.validate();
/// @endcode
struct Pipeline {
  std::string id{};
  std::string name{};
  std::vector<Stage> stages{};

  [[nodiscard]] const Stage* find(std::string_view stage) const {
    for (const auto& s : stages)
      if (s.id == stage) return &s;
    return nullptr;
  }
  /// Position of a stage in the order, or -1.
  [[nodiscard]] int index_of(std::string_view stage) const {
    for (std::size_t i = 0; i < stages.size(); ++i)
      if (stages[i].id == stage) return static_cast<int>(i);
    return -1;
  }

  void validate() const {
    if (id.empty()) throw invalid_argument("pipeline.id: must not be empty");
    std::set<std::string> seen;
    bool won = false, lost = false;
    for (std::size_t i = 0; i < stages.size(); ++i) {
      const auto& s = stages[i];
      const auto where = fmt::format("pipeline '{}': stages[{}]", id, i);
      if (s.id.empty()) throw invalid_argument(where + ".id: must not be empty");
      if (!seen.insert(s.id).second) throw invalid_argument(fmt::format("{}.id: duplicate stage '{}'", where, s.id));
      if (s.kind != StageKind::open && s.limit)
        throw invalid_argument(fmt::format("{}.limit: terminal stage '{}' cannot have a time limit", where, s.id));
      if (s.probability && !(*s.probability >= 0.0 && *s.probability <= 1.0))
        throw invalid_argument(fmt::format("{}.probability: must be in [0, 1]", where));
      won = won || s.kind == StageKind::won;
      lost = lost || s.kind == StageKind::lost;
    }
    if (!won || !lost)
      throw invalid_argument(fmt::format("pipeline '{}': stages: needs a won and a lost terminal stage", id));
  }

  friend bool operator==(const Pipeline&, const Pipeline&) = default;
};

}  // namespace nudge
