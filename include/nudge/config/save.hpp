#pragma once
/// @file
/// Saving a configuration as pretty JSON that load_config() reads back equal.

#include <filesystem>
#include <fstream>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <nudge/config/duration.hpp>
#include <nudge/config/holiday_text.hpp>
#include <nudge/config/loaded_config.hpp>
#include <nudge/config/names.hpp>

namespace nudge {

/// How save_config() writes.
struct SaveOptions {
  /// Write every value, also those equal to their defaults (a file that keeps
  /// today's defaults even if a later version changes them). By default only
  /// what differs from the defaults is written, as a person would.
  bool include_defaults = false;
};

namespace detail {

class ConfigWriter {
public:
  using ojson = nlohmann::ordered_json;

  explicit ConfigWriter(SaveOptions o) : all_(o.include_defaults) {}

  ojson write(const LoadedConfig& c) const {
    ojson j = ojson::object();
    j["version"] = config_format_version;
    if (all_ || c.engine.default_locale != EngineConfig{}.default_locale) j["default_locale"] = c.engine.default_locale;
    if (auto cal = calendar(c.engine.calendar); !cal.empty()) j["calendar"] = std::move(cal);
    if (all_ || !c.engine.pipelines.empty()) {
      auto& ps = j["pipelines"] = ojson::array();
      for (const auto& p : c.engine.pipelines) ps.push_back(pipeline(p));
    }
    auto as = assistants(c.engine);
    if (all_ || !as.empty()) j["assistants"] = std::move(as);
    if (all_ || !c.event_rules.empty()) {
      auto& rs = j["event_rules"] = ojson::array();
      for (const auto& r : c.event_rules) rs.push_back(event_rule(r));
    }
    auto ts = templates(c.engine.templates);
    if (all_ || !ts.empty()) j["templates"] = std::move(ts);
    if (all_ || !c.quiet_hours.empty()) {
      auto& q = j["quiet_hours"] = ojson::object();
      for (const auto& [ch, h] : c.quiet_hours)
        q[std::string(enum_name(ch))] = {{"from", clock_time_text(h.from)}, {"to", clock_time_text(h.to)}};
    }
    const EngineOptions od;
    ojson o = ojson::object();
    if (all_ || c.engine.options.late_after != od.late_after)
      o["late_after"] = duration_text(Period{c.engine.options.late_after});
    if (all_ || c.engine.options.batch != od.batch) o["batch"] = c.engine.options.batch;
    if (!o.empty()) j["options"] = std::move(o);
    return j;
  }

private:
  template <class T, class U>
  bool want(const T& v, const U& def) const {
    return all_ || !(v == def);
  }

  static std::string week_text(const std::array<bool, 7>& mask) {
    static constexpr std::array<const char*, 7> abbr = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
    std::string s;
    for (std::size_t i = 0; i < 7; ++i)
      if (mask[i]) s += (s.empty() ? "" : " ") + std::string(abbr[i]);
    return s;
  }

  static ojson windows(const std::vector<BusinessCalendar::Window>& ws) {
    if (ws.size() == 1) return window_text(ws.front());
    ojson a = ojson::array();
    for (const auto& w : ws) a.push_back(window_text(w));
    return a;
  }

  ojson calendar(const BusinessCalendar& cal) const {
    const BusinessCalendar def;
    ojson j = ojson::object();
    if (want(cal.time_zone(), def.time_zone())) j["zone"] = cal.time_zone();
    if (want(cal.week_mask(), def.week_mask())) j["week"] = week_text(cal.week_mask());
    static constexpr std::array<const char*, 7> days = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
    bool same = true, dflt = true;
    for (unsigned d = 1; d <= 7; ++d) {
      const std::chrono::weekday wd{d % 7};
      same = same && cal.hours(wd) == cal.hours(std::chrono::Monday);
      dflt = dflt && cal.hours(wd) == def.hours(wd);
    }
    if (all_ || !dflt) {
      if (same) {
        j["hours"] = windows(cal.hours(std::chrono::Monday));
      } else {
        auto& h = j["hours"] = ojson::object();
        for (unsigned d = 1; d <= 7; ++d) h[days[d - 1]] = windows(cal.hours(std::chrono::weekday{d % 7}));
      }
    }
    if (all_ || !cal.holiday_rules().empty()) {
      auto& hs = j["holidays"] = ojson::array();
      for (const auto& r : cal.holiday_rules()) {
        ojson h = ojson::object();
        if (all_ || !r.name().empty()) h["name"] = r.name();
        h["on"] = holiday_on_text(r);
        if (want(r.observance(), Observance::none)) h["observed"] = std::string(enum_name(r.observance()));
        hs.push_back(std::move(h));
      }
    }
    const auto dates = [&](const char* key, const std::vector<Date>& ds) {
      if (!all_ && ds.empty()) return;
      auto& a = j[key] = ojson::array();
      for (Date d : ds) a.push_back(iso_date(d));
    };
    dates("days_off", cal.holidays());
    dates("working_days", cal.working_days());
    return j;
  }

  ojson pipeline(const Pipeline& p) const {
    ojson j = ojson::object();
    j["id"] = p.id;
    if (want(p.name, "")) j["name"] = p.name;
    auto& ss = j["stages"] = ojson::array();
    for (const auto& s : p.stages) {
      ojson st = ojson::object();
      st["id"] = s.id;
      if (want(s.name, "")) st["name"] = s.name;
      if (want(s.kind, StageKind::open)) st["kind"] = std::string(enum_name(s.kind));
      if (s.limit) st["limit"] = duration_text(*s.limit);
      if (s.probability) st["probability"] = *s.probability;
      ss.push_back(std::move(st));
    }
    return j;
  }

  ojson scope(const Scope& s) const {
    ojson j = ojson::object();
    const auto names = [&](const char* key, const std::vector<std::string>& v) {
      if (all_ || !v.empty()) j[key] = v;
    };
    names("segments", s.segments);
    if (s.kind) j["kind"] = std::string(enum_name(*s.kind));
    names("labels", s.labels);
    names("except_labels", s.except_labels);
    names("pipelines", s.pipelines);
    return j;
  }

  static ojson contact(const ContactPolicy& c) {
    ojson kinds = ojson::array();
    for (std::size_t k = 0; k < activity_kind_count; ++k)
      if (c.kinds[k]) kinds.push_back(std::string(activity_kind_names[k]));
    return {{"kinds", std::move(kinds)}, {"completed_tasks", c.completed_tasks}};
  }

  ojson step(const LadderStep& s) const {
    const LadderStep d;
    ojson j = ojson::object();
    j["id"] = s.id;
    if (want(s.after, d.after)) j["after"] = duration_text(s.after);
    if (s.share) j["share"] = *s.share;
    if (want(s.action, d.action)) j["action"] = std::string(enum_name(s.action));
    if (want(s.target, d.target)) j["target"] = std::string(enum_name(s.target));
    if (want(s.level, d.level)) j["level"] = s.level;
    if (s.manager_id != 0) j["manager"] = s.manager_id;  // 0 is "none", never written
    if (want(s.channel, d.channel)) j["channel"] = std::string(enum_name(s.channel));
    if (want(s.template_id, d.template_id)) j["template"] = s.template_id;
    if (want(s.title, d.title)) j["title"] = s.title;
    if (want(s.due_in, d.due_in)) j["due_in"] = duration_text(s.due_in);
    if (want(s.reason, d.reason)) j["reason"] = s.reason;
    return j;
  }

  void specific(ojson& j, const ForgottenConfig& a, const ForgottenConfig& d) const {
    if (want(a.after, d.after)) j["after"] = duration_text(a.after);
    if (want(a.contact, d.contact)) j["contact"] = contact(a.contact);
    if (want(a.exempt_future_task, d.exempt_future_task)) j["exempt_future_task"] = a.exempt_future_task;
    if (want(a.label, d.label)) j["label"] = a.label;
  }
  void specific(ojson& j, const ReleaseConfig& a, const ReleaseConfig& d) const {
    if (want(a.forgotten, d.forgotten)) j["forgotten"] = a.forgotten;
    if (want(a.grace, d.grace)) j["grace"] = duration_text(a.grace);
    ojson p = ojson::object();
    if (want(a.policy.kind, d.policy.kind)) p["kind"] = std::string(enum_name(a.policy.kind));
    if (want(a.policy.update_loads, d.policy.update_loads)) p["update_loads"] = a.policy.update_loads;
    if (want(a.policy.max_new_per_run, d.policy.max_new_per_run)) p["max_new_per_run"] = a.policy.max_new_per_run;
    if (want(a.policy.respect_capacity, d.policy.respect_capacity)) p["respect_capacity"] = a.policy.respect_capacity;
    if (!p.empty()) j["policy"] = std::move(p);
  }
  void specific(ojson& j, const ChurnedConfig& a, const ChurnedConfig& d) const {
    if (want(a.min_orders, d.min_orders)) j["min_orders"] = a.min_orders;
    if (want(a.idle, d.idle)) j["idle"] = duration_text(a.idle);
    if (want(a.factor, d.factor)) j["factor"] = a.factor;
    if (want(a.won_deals, d.won_deals)) j["won_deals"] = a.won_deals;
    if (want(a.paid_invoices, d.paid_invoices)) j["paid_invoices"] = a.paid_invoices;
    if (want(a.label, d.label)) j["label"] = a.label;
  }
  void specific(ojson& j, const UnpaidConfig& a, const UnpaidConfig& d) const {
    if (want(a.after, d.after)) j["after"] = duration_text(a.after);
    if (want(a.contact, d.contact)) j["contact"] = contact(a.contact);
  }
  void specific(ojson& j, const DebtorConfig& a, const DebtorConfig& d) const {
    if (want(a.grace, d.grace)) j["grace"] = duration_text(a.grace);
    if (want(a.label, d.label)) j["label"] = a.label;
  }
  void specific(ojson& j, const DeadDealConfig& a, const DeadDealConfig& d) const {
    if (want(a.max_age, d.max_age)) j["max_age"] = duration_text(a.max_age);
    if (all_ || !a.per_pipeline.empty()) {
      auto& pp = j["per_pipeline"] = ojson::object();
      for (const auto& [p, l] : a.per_pipeline) pp[p] = duration_text(l);
    }
  }
  void specific(ojson& j, const StageSlaConfig& a, const StageSlaConfig& d) const {
    if (want(a.pause_on, d.pause_on)) j["pause_on"] = a.pause_on;
    if (want(a.restart_on_reentry, d.restart_on_reentry)) j["restart_on_reentry"] = a.restart_on_reentry;
  }
  void specific(ojson& j, const NoNextStepConfig& a, const NoNextStepConfig& d) const {
    if (want(a.grace, d.grace)) j["grace"] = duration_text(a.grace);
  }
  void specific(ojson& j, const NeglectedTaskConfig& a, const NeglectedTaskConfig& d) const {
    if (want(a.grace, d.grace)) j["grace"] = duration_text(a.grace);
  }

  ojson assistants(const EngineConfig& e) const {
    ojson j = ojson::object();
    for_each_assistant_list(e, [&](std::string_view kind, AssistantFeed, const auto& list) {
      using C = typename std::decay_t<decltype(list)>::value_type;
      if (!all_ && list.empty()) return;
      auto& arr = j[std::string(kind)] = ojson::array();
      const C d{};
      for (const auto& a : list) {
        ojson x = ojson::object();
        x["id"] = a.id;
        if (want(a.enabled, d.enabled)) x["enabled"] = a.enabled;
        if (auto s = scope(a.scope); !s.empty()) x["scope"] = std::move(s);
        specific(x, a, d);
        if (want(a.ladder, d.ladder)) {
          auto& l = x["ladder"] = ojson::array();
          for (const auto& s : a.ladder) l.push_back(step(s));
        }
        arr.push_back(std::move(x));
      }
    });
    return j;
  }

  ojson templates(const std::map<std::string, LocalizedTemplate>& all) const {
    ojson j = ojson::object();
    for (const auto& [id, locales] : all) {
      auto& x = j[id] = ojson::object();
      for (const auto& [loc, t] : locales) {
        ojson m = ojson::object();
        if (want(t.subject, "")) m["subject"] = t.subject;
        m["body"] = t.body;
        x[loc] = std::move(m);
      }
    }
    return j;
  }

  /// A compared value: a number when the text is one exactly as JSON writes it ("1000"), else the text.
  static ojson scalar(const std::string& v) {
    const auto j = ojson::parse(v, nullptr, /*allow_exceptions=*/false);
    if (j.is_number() && j.dump() == v) return j;
    return v;
  }

  ojson condition(const Condition& c) const {
    switch (c.kind) {
      case Condition::Kind::all:
      case Condition::Kind::any: {
        ojson items = ojson::array();
        for (const auto& x : c.items) items.push_back(condition(x));
        ojson j = ojson::object();
        j[c.kind == Condition::Kind::all ? "all" : "any"] = std::move(items);
        return j;
      }
      case Condition::Kind::negate: {
        ojson j = ojson::object();
        j["not"] = c.items.empty() ? ojson::object() : condition(c.items.front());
        return j;
      }
      case Condition::Kind::compare: {
        ojson j = ojson::object();
        j["field"] = c.field;
        j["op"] = std::string(enum_name(c.op));
        if (c.op == CompareOp::in || c.values.size() != 1) {
          auto& a = j["value"] = ojson::array();
          for (const auto& v : c.values) a.push_back(scalar(v));
        } else {
          j["value"] = scalar(c.values.front());
        }
        return j;
      }
      case Condition::Kind::changed: {
        ojson j = ojson::object();
        j["changed"] = c.field;
        if (c.from) j["from"] = *c.from;
        if (c.to) j["to"] = *c.to;
        return j;
      }
    }
    return ojson::object();
  }

  ojson event_rule(const EventRule& r) const {
    const EventRule d;
    ojson j = ojson::object();
    j["id"] = r.id;
    if (want(r.enabled, d.enabled)) j["enabled"] = r.enabled;
    j["on"] = r.on;
    if (want(r.when, d.when)) j["when"] = condition(r.when);
    if (want(r.within, d.within)) j["within"] = duration_text(r.within);
    if (want(r.debounce, d.debounce)) j["debounce"] = duration_text(Period{r.debounce});
    auto& as = j["actions"] = ojson::array();
    for (const auto& a : r.actions) {
      const EventAction e;
      ojson x = ojson::object();
      x["action"] = std::string(enum_name(a.action));  // always: it says what the rest means
      if (want(a.target, e.target)) x["target"] = std::string(enum_name(a.target));
      if (want(a.level, e.level)) x["level"] = a.level;
      if (a.manager_id != 0) x["manager"] = a.manager_id;
      if (want(a.channel, e.channel)) x["channel"] = std::string(enum_name(a.channel));
      if (want(a.template_id, e.template_id)) x["template"] = a.template_id;
      if (want(a.title, e.title)) x["title"] = a.title;
      if (want(a.label, e.label)) x["label"] = a.label;
      as.push_back(std::move(x));
    }
    return j;
  }

  bool all_;
};

}  // namespace detail

/// The configuration as pretty JSON (two-space indent, UTF-8 kept as is);
/// `load_config(save_config(c)) == c` for every configuration that validates.
///
/// @throws nudge::invalid_argument if a text is not valid UTF-8.
///
/// @code
/// std::ofstream("nudge.json") << nudge::save_config(cfg);
/// @endcode
inline std::string save_config(const LoadedConfig& c, SaveOptions options = {}) {
  const auto j = detail::ConfigWriter(options).write(c);
  try {
    return j.dump(2) + "\n";
  } catch (const nlohmann::ordered_json::exception& e) {
    throw invalid_argument(fmt::format("save_config: a text is not valid UTF-8 ({})", e.what()));
  }
}

/// An engine configuration alone.
inline std::string save_config(const EngineConfig& c, SaveOptions options = {}) {
  return save_config(LoadedConfig::from(c), options);
}

/// Writes save_config(c) to a file (replacing it).
/// @throws nudge::configuration_error when the file cannot be written.
inline void save_config_file(const LoadedConfig& c, const std::filesystem::path& file, SaveOptions options = {}) {
  const auto text = save_config(c, options);
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) throw configuration_error(fmt::format("configuration file '{}': cannot be written", file.string()));
}

}  // namespace nudge
