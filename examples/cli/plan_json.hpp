#pragma once
// The plan as JSON: the stable schema documented in docs/cli.md.

#include <nlohmann/json.hpp>

#include <nudge/engine/plan.hpp>

namespace nudge::cli {

inline nlohmann::json to_json(const FactValue& v) {
  return std::visit(
      [](const auto& x) -> nlohmann::json {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, Instant>) return iso_instant(x);
        else return x;
      },
      v);
}

inline nlohmann::json to_json(const SubjectRef& s) { return {{"kind", std::string(to_string(s.kind))}, {"id", s.id}}; }

inline nlohmann::json to_json(const Plan& p) {
  using nlohmann::json;
  json out;
  out["schema"] = "nudge.plan/1";
  out["now"] = iso_instant(p.now);
  out["findings"] = json::array();
  for (const auto& f : p.findings) {
    json facts = json::object();
    for (const auto& x : f.facts) facts[x.name] = to_json(x.value);
    out["findings"].push_back({{"rule", f.rule},
                               {"subject", to_json(f.subject)},
                               {"client", f.client.value()},
                               {"owner", f.owner.value()},
                               {"episode", f.episode},
                               {"since", iso_instant(f.since)},
                               {"summary", f.summary},
                               {"facts", facts},
                               {"label", f.label},
                               {"due_steps", f.due_steps}});
  }
  out["actions"] = json::array();
  for (const auto& a : p.actions) {
    json j{{"key", a.key},
           {"kind", std::string(to_string(a.kind))},
           {"rule", a.rule},
           {"subject", to_json(a.subject)},
           {"client", a.client.value()},
           {"step", a.step},
           {"due", iso_instant(a.due)},
           {"late", a.late},
           {"explanation", a.explanation}};
    if (a.finding < p.findings.size()) j["finding"] = a.finding;
    if (a.from) j["from"] = a.from->value();
    if (a.to) j["to"] = a.to->value();
    if (!a.label.empty()) j["label"] = a.label, j["note"] = a.note;
    if (a.task) j["task"] = {{"assignee", a.task->assignee.value()}, {"title", a.task->title}, {"due", iso_instant(a.task->due)}};
    if (a.message)
      j["message"] = {{"channel", std::string(to_string(a.message->channel))},
                      {"to", to_json(a.message->to.who)},
                      {"address", a.message->to.address},
                      {"subject", a.message->subject},
                      {"body", a.message->body}};
    if (!a.reason.empty()) j["reason"] = a.reason;
    out["actions"].push_back(std::move(j));
  }
  out["notes"] = p.notes;
  out["forecast"] = json::array();
  for (const auto& r : p.forecast)
    out["forecast"].push_back({{"owner", r.owner.value()},
                               {"currency", r.currency},
                               {"open_deals", r.open_deals},
                               {"amount", static_cast<double>(r.amount_cents) / 100.0},
                               {"weighted", std::round(r.weighted * 100.0) / 100.0}});
  return out;
}

}  // namespace nudge::cli
