#pragma once
/// @file
/// The dry run as a person reads it.

#include <map>
#include <string>

#include <nudge/engine/plan.hpp>

namespace nudge {

/// Every finding with the actions it leads to, grouped by rule, then the notes.
///
/// @code
/// std::cout << nudge::explain(engine.plan(store, now));
/// @endcode
inline std::string explain(const Plan& plan) {
  std::string out = fmt::format("Plan at {}: {} finding{}, {} action{}\n", iso_instant(plan.now), plan.findings.size(),
                                plan.findings.size() == 1 ? "" : "s", plan.actions.size(),
                                plan.actions.size() == 1 ? "" : "s");
  std::map<std::size_t, std::vector<const Action*>> by_finding;
  std::vector<const Action*> other;
  for (const auto& a : plan.actions) {
    if (a.finding < plan.findings.size()) by_finding[a.finding].push_back(&a);
    else other.push_back(&a);
  }
  std::string rule;
  for (std::size_t i = 0; i < plan.findings.size(); ++i) {
    const auto& f = plan.findings[i];
    if (f.rule != rule) {
      rule = f.rule;
      out += fmt::format("\n[{}]\n", rule);
    }
    out += fmt::format("- {}\n", f.summary);
    for (const auto* a : by_finding[i]) out += fmt::format("    -> {}\n", a->explanation);
  }
  if (!other.empty()) {
    out += "\n[labels]\n";
    for (const auto* a : other) out += fmt::format("    -> {}\n", a->explanation);
  }
  if (!plan.notes.empty()) {
    out += "\n[notes]\n";
    for (const auto& n : plan.notes) out += fmt::format("- {}\n", n);
  }
  return out;
}

}  // namespace nudge
