#pragma once
// The eight rules of ../shared/bench (R1..R8 + forecast) configured as Nudge
// assistants, and the baseline's result signatures (common.signature) computed
// from a Nudge plan, so the two can be compared exactly. Used by the
// integration test and the benchmarks.

#include <cmath>
#include <map>
#include <string>
#include <vector>

#include <fmt/format.h>

#include <nudge/engine/config.hpp>
#include <nudge/engine/evaluate.hpp>
#include <nudge/engine/plan.hpp>

namespace nudge::baseline {

/// NOW of the baseline data: 2026-11-22T00:00:00Z.
inline constexpr Instant now = from_unix(1795305600);

inline const std::vector<std::string>& rule_names() {
  static const std::vector<std::string> names{"R1_forgotten", "R2_release",   "R3_churned",
                                              "R4_unpaid",    "R5_debtor",    "R6_stage_sla",
                                              "R7_dead_deal", "R8_no_next_step", "forecast"};
  return names;
}

/// The baseline's rules, calendar days, UTC.
inline EngineConfig config() {
  EngineConfig c;
  c.calendar = BusinessCalendar::weekdays("UTC");
  Pipeline p;
  p.id = "default";
  p.name = "Default";
  for (auto [id, days] : std::vector<std::pair<std::string, int>>{
           {"lead", 2}, {"qualified", 5}, {"proposal", 7}, {"negotiation", 10}, {"contract", 3}})
    p.stages.push_back({id, id, StageKind::open, Period::days(days), std::nullopt});
  p.stages.push_back({"won", "won", StageKind::won, std::nullopt, 1.0});
  p.stages.push_back({"lost", "lost", StageKind::lost, std::nullopt, 0.0});
  c.pipelines.push_back(p);

  ForgottenConfig f;
  f.after = Period::days(90);
  f.contact = ContactPolicy::any_activity();  // "last touch" = any activity
  c.forgotten.push_back(f);
  ReleaseConfig r;
  r.grace = Period::days(14);
  r.policy.update_loads = false;  // loads counted once, before any reassignment
  r.policy.respect_capacity = false;
  c.release.push_back(r);
  ChurnedConfig ch;
  ch.min_orders = 2;
  ch.idle = Period::days(180);
  c.churned.push_back(ch);
  UnpaidConfig u;
  u.after = Period::days(7);
  u.contact = ContactPolicy::any_activity();
  c.unpaid.push_back(u);
  DebtorConfig d;
  d.grace = Period::days(14);
  d.ladder = {LadderStep{.id = "remind", .action = StepAction::notify, .target = Target::client,
                         .channel = Channel::email}};
  c.debtor.push_back(d);
  StageSlaConfig s;
  s.ladder = {LadderStep{.id = "breach", .share = 1.0, .action = StepAction::notify, .target = Target::supervisor}};
  c.stage_sla.push_back(s);
  DeadDealConfig dd;
  dd.max_age = Period::days(120);
  c.dead_deal.push_back(dd);
  c.no_next_step.emplace_back();
  return c;
}

using Row = std::vector<double>;  // numeric columns only, as common.signature keeps them

inline std::int64_t fact_unix(const Finding& f, std::string_view name) {
  const auto* x = f.fact(name);
  return x ? to_unix(std::get<Instant>(x->value)) : 0;
}
inline std::int64_t fact_int(const Finding& f, std::string_view name) {
  const auto* x = f.fact(name);
  return x ? std::get<std::int64_t>(x->value) : 0;
}

/// The result rows of each rule, shaped like rules.sql's SELECTs.
inline std::map<std::string, std::vector<Row>> rows(const Plan& p) {
  std::map<std::string, std::vector<Row>> out;
  for (const auto& n : rule_names()) out[n];
  std::map<std::int64_t, std::pair<std::int64_t, std::int64_t>> debt;  // client -> (n, cents)
  for (const auto& f : p.findings) {
    const auto id = static_cast<double>(f.subject.id);
    if (f.rule == "forgotten") {
      auto t = f.fact("last_contact") ? fact_unix(f, "last_contact") : fact_unix(f, "created");
      out["R1_forgotten"].push_back({id, static_cast<double>(t)});
    } else if (f.rule == "churned") {
      out["R3_churned"].push_back({id, static_cast<double>(fact_int(f, "orders")),
                                   static_cast<double>(fact_unix(f, "last_order"))});
    } else if (f.rule == "unpaid") {
      out["R4_unpaid"].push_back({id, static_cast<double>(f.client.value()), static_cast<double>(fact_unix(f, "issued"))});
    } else if (f.rule == "debtor") {
      auto& d = debt[f.client.value()];
      ++d.first;
      d.second += f.cents.value_or(0);
    } else if (f.rule == "stage_sla") {
      out["R6_stage_sla"].push_back({id, static_cast<double>(fact_int(f, "over_seconds"))});
    } else if (f.rule == "dead_deal") {
      out["R7_dead_deal"].push_back(
          {id, static_cast<double>(f.client.value()), static_cast<double>(fact_unix(f, "opened"))});
    } else if (f.rule == "no_next_step") {
      out["R8_no_next_step"].push_back({id, static_cast<double>(f.client.value())});
    }
  }
  for (const auto& [client, d] : debt)
    out["R5_debtor"].push_back({static_cast<double>(client), static_cast<double>(d.first), static_cast<double>(d.second) / 100.0});
  for (const auto& a : p.actions)
    if (a.kind == ActionKind::reassign)
      out["R2_release"].push_back({static_cast<double>(a.client.value()), static_cast<double>(a.from->value()),
                                   static_cast<double>(a.to->value())});
  for (const auto& r : p.forecast)
    out["forecast"].push_back({static_cast<double>(r.owner.value()), std::round(r.weighted * 100.0) / 100.0,
                               static_cast<double>(r.open_deals)});
  return out;
}

/// Which columns of each rule are floats (rounded to cents as common.signature does).
inline bool float_column(const std::string& rule, std::size_t col) {
  return (rule == "R5_debtor" && col == 2) || (rule == "forecast" && col == 1);
}

/// The same rows from an evaluation (numbers only: Engine::evaluate).
inline std::map<std::string, std::vector<Row>> rows(const Evaluation& e) {
  std::map<std::string, std::vector<Row>> out;
  for (const auto& n : rule_names()) out[n];
  auto d = [](auto x) { return static_cast<double>(x); };
  for (const auto& h : e.of("forgotten")) out["R1_forgotten"].push_back({d(h.client.value()), d(to_unix(h.anchor))});
  for (const auto& h : e.of("release"))
    if (h.to.valid()) out["R2_release"].push_back({d(h.client.value()), d(h.owner.value()), d(h.to.value())});
  for (const auto& h : e.of("churned"))
    out["R3_churned"].push_back({d(h.client.value()), d(h.count), d(to_unix(h.anchor))});
  for (const auto& h : e.of("unpaid"))
    out["R4_unpaid"].push_back({d(h.subject.id), d(h.client.value()), d(to_unix(h.anchor))});
  std::map<std::int64_t, std::pair<std::int64_t, std::int64_t>> debt;
  for (const auto& h : e.of("debtor")) {
    auto& x = debt[h.client.value()];
    ++x.first;
    x.second += h.cents;
  }
  for (const auto& [client, x] : debt) out["R5_debtor"].push_back({d(client), d(x.first), d(x.second) / 100.0});
  for (const auto& h : e.of("stage_sla")) out["R6_stage_sla"].push_back({d(h.subject.id), d(h.seconds)});
  for (const auto& h : e.of("dead_deal"))
    out["R7_dead_deal"].push_back({d(h.subject.id), d(h.client.value()), d(to_unix(h.anchor))});
  for (const auto& h : e.of("no_next_step")) out["R8_no_next_step"].push_back({d(h.subject.id), d(h.client.value())});
  for (const auto& r : e.forecast)
    out["forecast"].push_back({d(r.owner.value()), std::round(r.weighted * 100.0) / 100.0, d(r.open_deals)});
  return out;
}

/// common.signature: row count, then the sum of each numeric column.
template <class Result>
inline std::map<std::string, std::vector<double>> signatures(const Result& p) {
  std::map<std::string, std::vector<double>> out;
  for (const auto& [rule, rs] : rows(p)) {
    std::vector<double> sig{static_cast<double>(rs.size())};
    if (!rs.empty())
      for (std::size_t j = 0; j < rs.front().size(); ++j) {
        double s = 0;
        for (const auto& r : rs) s += float_column(rule, j) ? std::round(r[j] * 100.0) / 100.0 : r[j];
        sig.push_back(float_column(rule, j) ? std::round(s * 100.0) / 100.0 : s);
      }
    out[rule] = sig;
  }
  return out;
}

inline std::string format_signature(const std::vector<double>& sig) {
  std::string s = "[";
  for (std::size_t i = 0; i < sig.size(); ++i) {
    if (i) s += ", ";
    s += std::floor(sig[i]) == sig[i] ? fmt::format("{:.0f}", sig[i]) : fmt::format("{:.2f}", sig[i]);
  }
  return s + "]";
}

/// Equal as check.py compares them: integers exactly, float sums within 0.01 per row.
inline bool same_signature(const std::vector<double>& got, const std::vector<double>& want, const std::string& rule) {
  if (got.size() != want.size()) return false;
  for (std::size_t j = 0; j < got.size(); ++j) {
    const bool is_float = j > 0 && float_column(rule, j - 1);
    if (is_float ? std::fabs(got[j] - want[j]) > 0.01 * want[0] + 1e-9 : got[j] != want[j]) return false;
  }
  return true;
}

/// The signatures the baseline published for scale S, seed 42 (../shared/bench/README.md).
inline std::map<std::string, std::vector<double>> published_s42() {
  return {{"R1_forgotten", {4686, 23521786, 8265410971154}},
          {"R2_release", {4402, 22061767, 112431, 156758}},
          {"R3_churned", {174, 877887, 367, 306697240116}},
          {"R4_unpaid", {836, 4305972, 4223028, 1490819254811}},
          {"R5_debtor", {1376, 6916512, 1447, 6234418.09}},
          {"R6_stage_sla", {1202, 6458116, 686242201}},
          {"R7_dead_deal", {637, 3497681, 3295220, 1122397008323}},
          {"R8_no_next_step", {1426, 7563796, 7124815}},
          {"forecast", {50, 1275, 7523388.81, 2432}}};
}

}  // namespace nudge::baseline
