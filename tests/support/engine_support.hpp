#pragma once
// Helpers for engine scenario tests: a store edited in one call, an empty
// configuration to add one assistant to, and readers for plans, action keys
// and the audit log.

#include <algorithm>
#include <functional>
#include <ostream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <support/fixtures.hpp>
#include <nudge/engine/engine.hpp>
#include <nudge/storage/memory_storage.hpp>

namespace nudge::test {

/// Runs `fn` in one unit of work and commits it.
inline void edit(MemoryStorage& s, const std::function<void(UnitOfWork&)>& fn) {
  auto w = s.begin();
  fn(*w);
  w->commit();
}

/// A configuration with no assistants, Monday-Friday in UTC, no holidays.
inline EngineConfig bare_config() {
  EngineConfig c;
  c.calendar = BusinessCalendar::weekdays("UTC");
  return c;
}

/// A pipeline "sales" with open stages lead (2 d), offer (5 d), contract (no limit)
/// and the two terminals; `basis` decides the clock of the limits.
inline Pipeline sales_pipeline(TimeBasis basis = TimeBasis::calendar, long lead_days = 2, long offer_days = 5) {
  auto limit = [basis](long d) {
    return basis == TimeBasis::business_days ? Period::business_days(d) : Period::days(d);
  };
  Pipeline p;
  p.id = "sales";
  p.name = "Sales";
  p.stages = {{"lead", "Lead", StageKind::open, limit(lead_days), 0.1},
              {"offer", "Offer", StageKind::open, limit(offer_days), 0.5},
              {"contract", "Contract", StageKind::open, std::nullopt, 0.8},
              {"won", "Won", StageKind::won, std::nullopt, 1.0},
              {"lost", "Lost", StageKind::lost, std::nullopt, 0.0}};
  return p;
}

/// The parts of an action key "rule/subject/episode/step[/sub]".
struct KeyParts {
  std::string rule, subject, episode, step;
};
inline KeyParts split_key(const std::string& key) {
  std::vector<std::string> parts;
  std::size_t b = 0;
  for (int i = 0; i < 3; ++i) {
    auto e = key.find('/', b);
    if (e == std::string::npos) break;
    parts.push_back(key.substr(b, e - b));
    b = e + 1;
  }
  parts.push_back(key.substr(b));
  parts.resize(4);
  return {parts[0], parts[1], parts[2], parts[3]};
}

/// Actions of one rule (all rules when empty), optionally of one kind.
inline std::vector<const Action*> actions_of(const Plan& p, std::string_view rule = {},
                                             std::optional<ActionKind> kind = {}) {
  std::vector<const Action*> out;
  for (const auto& a : p.actions)
    if ((rule.empty() || a.rule == rule) && (!kind || a.kind == *kind)) out.push_back(&a);
  return out;
}

/// Pointers into a temporary plan would dangle.
std::vector<const Action*> actions_of(Plan&&, std::string_view = {}, std::optional<ActionKind> = {}) = delete;

/// How many actions of one rule (and kind) a plan holds.
inline std::size_t count_of(const Plan& p, std::string_view rule = {}, std::optional<ActionKind> kind = {}) {
  return actions_of(p, rule, kind).size();
}

/// The exactly-once keys a plan would claim.
inline std::set<std::string> once_keys(const Plan& p) {
  std::set<std::string> out;
  for (const auto& a : p.actions)
    if (a.once) out.insert(a.key);
  return out;
}

/// Action keys the store has recorded.
inline std::set<std::string> stored_keys(const MemoryStorage& s) {
  std::set<std::string> out;
  for (const auto& [k, at] : s.state().actions) out.insert(k);
  return out;
}

/// How often each action key appears in the audit log.
inline std::map<std::string, int> audit_key_counts(const Storage& s) {
  std::map<std::string, int> out;
  for (const auto& r : s.audit_log()) ++out[r.action_key];
  return out;
}

/// The finding of `rule` about `subject`, or nullptr.
inline const Finding* finding(const Plan& p, std::string_view rule, SubjectRef subject) {
  for (const auto& f : p.findings)
    if (f.rule == rule && f.subject == subject) return &f;
  return nullptr;
}

const Finding* finding(Plan&&, std::string_view, SubjectRef) = delete;

inline bool contains(std::string_view text, std::string_view part) { return text.find(part) != std::string_view::npos; }

}  // namespace nudge::test

namespace nudge {
// doctest prints ids and subjects through these.
template <class Tag>
std::ostream& operator<<(std::ostream& os, Id<Tag> id) {
  return os << to_string(id);
}
inline std::ostream& operator<<(std::ostream& os, const SubjectRef& s) { return os << to_string(s); }
}  // namespace nudge
