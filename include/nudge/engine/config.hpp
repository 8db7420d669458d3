#pragma once
/// @file
/// Everything configurable, as plain objects. The configuration file format
/// (config/) maps one to one onto these.

#include <map>
#include <string>
#include <vector>

#include <nudge/calendar/business_calendar.hpp>
#include <nudge/domain/pipeline.hpp>
#include <nudge/notify/templates.hpp>
#include <nudge/rules/churned.hpp>
#include <nudge/rules/dead_deal.hpp>
#include <nudge/rules/debtor.hpp>
#include <nudge/rules/forgotten.hpp>
#include <nudge/rules/neglected_task.hpp>
#include <nudge/rules/no_next_step.hpp>
#include <nudge/rules/release.hpp>
#include <nudge/rules/stage_sla.hpp>
#include <nudge/rules/unpaid.hpp>

namespace nudge {

/// Engine-wide options.
struct EngineOptions {
  /// A step counts as late (and says so) when the plan runs this long after it fell due.
  Seconds late_after = std::chrono::hours{24};
  /// Batch size for the storage scans.
  std::size_t batch = 4096;
  friend bool operator==(const EngineOptions&, const EngineOptions&) = default;
};

/// The whole configuration. Every assistant list may hold several entries
/// with different scopes (e.g. forgotten after 60 days for B2B, never for B2C).
struct EngineConfig {
  BusinessCalendar calendar;
  std::vector<Pipeline> pipelines;
  std::vector<ForgottenConfig> forgotten;
  std::vector<ReleaseConfig> release;
  std::vector<ChurnedConfig> churned;
  std::vector<UnpaidConfig> unpaid;
  std::vector<DebtorConfig> debtor;
  std::vector<DeadDealConfig> dead_deal;
  std::vector<StageSlaConfig> stage_sla;
  std::vector<NoNextStepConfig> no_next_step;
  std::vector<NeglectedTaskConfig> neglected_task;
  /// Message templates by id, then locale: `templates["debtor_reminder"]["ru"]` (notify/templates.hpp).
  /// A message is rendered in the client's locale (messages to managers: default_locale), falling back to
  /// its language, then to default_locale; an id with no template falls back to the finding's summary.
  /// Checked when the Engine is built: every id needs a default_locale text, placeholders must be known.
  std::map<std::string, LocalizedTemplate> templates;
  /// The locale every template has, used when a client's locale has no text ("en").
  std::string default_locale = "en";
  EngineOptions options;

  /// One of each assistant with its defaults (no pipelines: stage limits come from the ones you add).
  static EngineConfig defaults() {
    EngineConfig c;
    c.forgotten.emplace_back();
    c.release.emplace_back();
    c.churned.emplace_back();
    c.unpaid.emplace_back();
    c.debtor.emplace_back();
    c.dead_deal.emplace_back();
    c.stage_sla.emplace_back();
    c.no_next_step.emplace_back();
    c.neglected_task.emplace_back();
    return c;
  }

  friend bool operator==(const EngineConfig&, const EngineConfig&) = default;
};

}  // namespace nudge
