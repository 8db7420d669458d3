#pragma once
/// @file
/// Loading a configuration from JSON text or a file: every problem at once,
/// each named by its JSON Pointer and saying what was expected.

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <limits>
#include <optional>
#include <set>
#include <span>
#include <cmath>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <date/tz.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <nudge/config/duration.hpp>
#include <nudge/config/holiday_text.hpp>
#include <nudge/config/issue.hpp>
#include <nudge/config/loaded_config.hpp>
#include <nudge/config/names.hpp>
#include <nudge/config/validate.hpp>

namespace nudge {

/// What try_load_config() found: the configuration (complete when `ok()`;
/// otherwise filled as far as the file allowed) and every problem.
struct LoadResult {
  LoadedConfig config;
  std::vector<ConfigIssue> errors;
  [[nodiscard]] bool ok() const { return errors.empty(); }
};

namespace detail {

using ojson = nlohmann::ordered_json;

/// Reads the JSON document into the objects, collecting every problem.
class ConfigReader {
public:
  std::vector<ConfigIssue> errors;

  void error(std::string path, std::string message) { errors.push_back({std::move(path), std::move(message)}); }

  // ---- document ---------------------------------------------------------------

  /// Parses the text; reports syntax errors and duplicate keys.
  std::optional<ojson> parse(std::string_view text) {
    struct Frame {
      bool array = false;
      std::size_t index = 0;
      std::string key;
      std::set<std::string> keys;
    };
    std::vector<Frame> stack;
    const auto current = [&] {
      std::string p;
      for (const auto& f : stack) p += f.array ? fmt::format("/{}", f.index) : "/" + pointer_token(f.key);
      return p;
    };
    const auto callback = [&](int, ojson::parse_event_t ev, ojson& parsed) {
      using E = ojson::parse_event_t;
      switch (ev) {
        case E::object_start: stack.push_back(Frame{}); break;
        case E::array_start: {
          Frame f;
          f.array = true;
          stack.push_back(std::move(f));
          break;
        }
        case E::key: {
          auto& top = stack.back();
          top.key = parsed.get<std::string>();
          if (!top.keys.insert(top.key).second)
            error(current(), "duplicate key (each key may appear once in an object; the values would silently "
                             "replace each other)");
          break;
        }
        case E::object_end:
        case E::array_end:
          stack.pop_back();
          if (!stack.empty() && stack.back().array) ++stack.back().index;
          break;
        case E::value:
          if (!stack.empty() && stack.back().array) ++stack.back().index;
          break;
      }
      return true;
    };
    try {
      return ojson::parse(text.begin(), text.end(), callback, /*allow_exceptions=*/true, /*ignore_comments=*/true);
    } catch (const ojson::exception& e) {
      std::string_view what = e.what();
      if (const auto b = what.find("] "); what.compare(0, 1, "[") == 0 && b != std::string_view::npos)
        what.remove_prefix(b + 2);
      errors.clear();  // positions inside a document that does not parse mean little
      error("", fmt::format("not valid JSON: {}", printable(what)));
      return std::nullopt;
    }
  }

  LoadedConfig read(const ojson& root) {
    LoadedConfig c;
    if (!root.is_object()) {
      error("", fmt::format("expected a JSON object with \"version\": {} at the top, got {}", config_format_version,
                            got(root)));
      return c;
    }
    if (!version(root)) return c;
    object(root, "", {"version", "default_locale", "calendar", "pipelines", "assistants", "event_rules", "templates",
                      "quiet_hours", "options"});
    field(root, "", "default_locale", [&](const ojson& v, const std::string& p) { str(v, p, c.engine.default_locale); });
    field(root, "", "calendar", [&](const ojson& v, const std::string& p) { c.engine.calendar = calendar(v, p); });
    field(root, "", "pipelines", [&](const ojson& v, const std::string& p) {
      list(v, p, "an array of pipelines", c.engine.pipelines,
           [&](const ojson& x, const std::string& xp, Pipeline& out) { pipeline(x, xp, out); });
    });
    field(root, "", "assistants", [&](const ojson& v, const std::string& p) { assistants(v, p, c.engine); });
    field(root, "", "event_rules", [&](const ojson& v, const std::string& p) {
      list(v, p, "an array of event rules", c.event_rules,
           [&](const ojson& x, const std::string& xp, EventRule& out) { event_rule(x, xp, out); });
    });
    field(root, "", "templates", [&](const ojson& v, const std::string& p) { templates(v, p, c.engine.templates); });
    field(root, "", "quiet_hours", [&](const ojson& v, const std::string& p) { quiet_hours(v, p, c.quiet_hours); });
    field(root, "", "options", [&](const ojson& v, const std::string& p) { options(v, p, c.engine.options); });
    return c;
  }

private:
  // ---- generic helpers ----------------------------------------------------------

  /// How a value reads in a message: "ninety" (quoted), 90, true, null, an object, an array.
  static std::string got(const ojson& v) {
    switch (v.type()) {
      case ojson::value_t::string: return quote_text(v.get_ref<const std::string&>());
      case ojson::value_t::object: return "an object";
      case ojson::value_t::array: return "an array";
      case ojson::value_t::null: return "null";
      case ojson::value_t::boolean:
      case ojson::value_t::number_integer:
      case ojson::value_t::number_unsigned:
      case ojson::value_t::number_float: return v.dump();
      default: return "a value";
    }
  }

  /// Checks that `j` is an object whose keys are all in `keys`; reports each unknown key.
  bool object(const ojson& j, const std::string& path, std::initializer_list<std::string_view> keys,
              std::string_view what = "an object") {
    return object(j, path, std::span<const std::string_view>(keys.begin(), keys.size()), what);
  }
  bool object(const ojson& j, const std::string& path, std::span<const std::string_view> keys,
              std::string_view what = "an object") {
    if (!j.is_object()) {
      error(path, fmt::format("expected {}, got {}", what, got(j)));
      return false;
    }
    for (const auto& [k, v] : j.items()) {
      if (std::find(keys.begin(), keys.end(), k) != keys.end()) continue;
      const auto near = closest(k, keys);
      if (!near.empty())
        error(child(path, k), fmt::format("unknown key \"{}\" (did you mean \"{}\"?)", k, near));
      else
        error(child(path, k), fmt::format("unknown key {}; expected one of: {}", quote_text(k), join(keys)));
    }
    return true;
  }

  static std::string join(std::span<const std::string_view> keys) {
    std::string s;
    for (auto k : keys) s += fmt::format("{}{}", s.empty() ? "" : ", ", k);
    return s;
  }

  /// Calls `f(value, path)` when the object has `key`.
  template <class F>
  void field(const ojson& obj, const std::string& base, std::string_view key, F&& f) {
    if (!obj.is_object()) return;
    auto it = obj.find(std::string(key));
    if (it != obj.end()) f(*it, child(base, key));
  }

  /// As field(), reporting the key as missing when absent.
  template <class F>
  void required(const ojson& obj, const std::string& base, std::string_view key, std::string_view expected, F&& f) {
    if (!obj.is_object()) return;
    auto it = obj.find(std::string(key));
    if (it == obj.end())
      error(child(base, key), fmt::format("missing; expected {}", expected));
    else
      f(*it, child(base, key));
  }

  void str(const ojson& v, const std::string& path, std::string& out, std::string_view what = "a string") {
    if (v.is_string())
      out = v.get<std::string>();
    else
      error(path, fmt::format("expected {}, got {}", what, got(v)));
  }

  void boolean(const ojson& v, const std::string& path, bool& out) {
    if (v.is_boolean())
      out = v.get<bool>();
    else
      error(path, fmt::format("expected true or false, got {}", got(v)));
  }

  /// A whole number in [lo, hi].
  template <class T>
  void integer(const ojson& v, const std::string& path, T& out, std::int64_t lo, std::int64_t hi) {
    const auto range = [&] { return fmt::format("expected a whole number from {} to {}, got {}", lo, hi, got(v)); };
    if (v.is_number_unsigned()) {
      const auto u = v.get<std::uint64_t>();
      if (u > static_cast<std::uint64_t>(hi)) return error(path, range());
      out = static_cast<T>(u);
    } else if (v.is_number_integer()) {
      const auto i = v.get<std::int64_t>();
      if (i < lo || i > hi) return error(path, range());
      out = static_cast<T>(i);
    } else {
      error(path, fmt::format("expected a whole number, got {}", got(v)));
    }
  }

  void number(const ojson& v, const std::string& path, double& out) {
    if (v.is_number() && std::isfinite(v.get<double>()))
      out = v.get<double>();
    else
      error(path, fmt::format("expected a number, got {}", got(v)));
  }

  void period(const ojson& v, const std::string& path, Period& out) {
    if (!v.is_string()) return error(path, fmt::format("expected {}, got {}", duration_hint, got(v)));
    try {
      out = parse_duration(v.get_ref<const std::string&>());
    } catch (const invalid_argument& e) {
      error(path, e.what());
    }
  }

  template <class E>
  void enumeration(const ojson& v, const std::string& path, E& out) {
    const auto& names = EnumNames<E>::names;
    if (v.is_string()) {
      const auto& s = v.get_ref<const std::string&>();
      if (auto e = enum_value<E>(s)) {
        out = *e;
        return;
      }
    }
    error(path, fmt::format("expected one of {}, got {}{}", quoted_list(names), got(v),
                            v.is_string() ? did_you_mean(v.get_ref<const std::string&>(), names) : std::string{}));
  }

  /// An array whose items `item(value, path, T&)` reads.
  template <class T, class F>
  void list(const ojson& v, const std::string& path, std::string_view what, std::vector<T>& out, F&& item) {
    if (!v.is_array()) return error(path, fmt::format("expected {}, got {}", what, got(v)));
    out.clear();
    for (std::size_t i = 0; i < v.size(); ++i) {
      out.emplace_back();
      item(v[i], child(path, i), out.back());
    }
  }

  void strings(const ojson& v, const std::string& path, std::vector<std::string>& out, std::string_view what) {
    list(v, path, fmt::format("an array of {}s", what), out,
         [&](const ojson& x, const std::string& xp, std::string& s) { str(x, xp, s, fmt::format("a {} name", what)); });
  }

  /// A required id string.
  void id(const ojson& obj, const std::string& base, std::string& out, std::string_view example) {
    required(obj, base, "id", fmt::format("an id like \"{}\"", example),
             [&](const ojson& v, const std::string& p) { str(v, p, out, "an id"); });
  }

  // ---- version ------------------------------------------------------------------

  bool version(const ojson& root) {
    auto it = root.find("version");
    if (it == root.end()) {
      error("/version", fmt::format("missing; expected \"version\": {} (the format version)", config_format_version));
      return true;
    }
    const ojson& v = *it;
    if (v.is_number_unsigned() || v.is_number_integer()) {
      const bool big = v.is_number_unsigned() && v.get<std::uint64_t>() > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
      const std::int64_t n = big ? std::numeric_limits<std::int64_t>::max() : v.get<std::int64_t>();
      if (n > config_format_version) {
        error("/version", fmt::format("this file was written by a newer Nudge (version {}); this build reads up to "
                                      "version {}",
                                      v.dump(), config_format_version));
        return false;  // the rest is a format this build does not know
      }
      if (n >= 1) return true;
    }
    error("/version", fmt::format("expected a format version from 1 to {}, got {}", config_format_version, got(v)));
    return true;
  }

  // ---- calendar -------------------------------------------------------------------

  /// The calendar's own message without its "what: " prefix.
  static std::string_view calendar_reason(const std::exception& e) {
    std::string_view w = e.what();
    if (auto c = w.find(": "); c != std::string_view::npos && c < 20) w.remove_prefix(c + 2);
    return w;
  }

  static std::vector<std::string> zone_names() {
    std::vector<std::string> v{"UTC"};
    try {
      for (const auto& z : date::get_tzdb().zones) v.push_back(z.name());
    } catch (const std::exception&) {
    }
    return v;
  }

  BusinessCalendar calendar(const ojson& j, const std::string& path) {
    BusinessCalendar cal;
    if (!object(j, path, {"zone", "week", "hours", "holidays", "days_off", "working_days"})) return cal;
    field(j, path, "zone", [&](const ojson& v, const std::string& p) {
      std::string zone;
      str(v, p, zone, "an IANA time zone like \"Europe/Berlin\"");
      if (!v.is_string()) return;
      try {
        cal = cal.with_time_zone(zone);
      } catch (const std::exception&) {
        error(p, fmt::format("unknown time zone {}; expected an IANA name like \"Europe/Berlin\" or \"UTC\"{}",
                             quote_text(zone), did_you_mean(zone, zone_names())));
      }
    });
    field(j, path, "week", [&](const ojson& v, const std::string& p) {
      if (!v.is_string())
        return error(p, fmt::format("expected working weekdays like \"Mon Tue Wed Thu Fri\", got {}", got(v)));
      try {
        cal = cal.with_week_mask(std::string_view(v.get_ref<const std::string&>()));
      } catch (const invalid_argument& e) {
        error(p, std::string(calendar_reason(e)));
      }
    });
    field(j, path, "hours", [&](const ojson& v, const std::string& p) { hours(v, p, cal); });
    field(j, path, "holidays", [&](const ojson& v, const std::string& p) {
      std::vector<std::optional<HolidayRule>> rules;
      list(v, p, "an array of holidays like {\"name\": \"Christmas Day\", \"on\": \"December 25\"}", rules,
           [&](const ojson& x, const std::string& xp, std::optional<HolidayRule>& r) { r = holiday(x, xp); });
      for (auto& r : rules)
        if (r) cal = cal.with_holiday(std::move(*r));
    });
    field(j, path, "days_off", [&](const ojson& v, const std::string& p) {
      std::vector<std::optional<Date>> days;
      list(v, p, "an array of dates like \"2026-12-31\"", days,
           [&](const ojson& x, const std::string& xp, std::optional<Date>& d) { d = day(x, xp); });
      std::vector<Date> ok;
      for (auto& d : days)
        if (d) ok.push_back(*d);
      cal = cal.with_holidays(std::move(ok));
    });
    field(j, path, "working_days", [&](const ojson& v, const std::string& p) {
      std::vector<std::optional<Date>> days;
      list(v, p, "an array of dates like \"2026-12-27\"", days,
           [&](const ojson& x, const std::string& xp, std::optional<Date>& d) { d = day(x, xp); });
      for (auto& d : days)
        if (d) cal = cal.with_working_day(*d);
    });
    return cal;
  }

  std::optional<Date> day(const ojson& v, const std::string& path) {
    if (!v.is_string()) {
      error(path, fmt::format("expected a date like \"2026-06-12\", got {}", got(v)));
      return std::nullopt;
    }
    try {
      return parse_iso_date(v.get_ref<const std::string&>());
    } catch (const invalid_argument& e) {
      error(path, e.what());
      return std::nullopt;
    }
  }

  std::optional<std::vector<BusinessCalendar::Window>> windows(const ojson& v, const std::string& path) {
    std::vector<BusinessCalendar::Window> out;
    bool ok = true;
    const auto one = [&](const ojson& x, const std::string& xp) {
      if (!x.is_string()) {
        error(xp, fmt::format("expected working hours like \"09:00-18:00\", got {}", got(x)));
        ok = false;
        return;
      }
      try {
        out.push_back(parse_window(x.get_ref<const std::string&>()));
      } catch (const invalid_argument& e) {
        error(xp, e.what());
        ok = false;
      }
    };
    if (v.is_array()) {
      for (std::size_t i = 0; i < v.size(); ++i) one(v[i], child(path, i));
    } else if (v.is_string()) {
      one(v, path);
    } else {
      error(path, fmt::format("expected working hours like \"09:00-18:00\", a list of them, or [] for none, got {}",
                              got(v)));
      return std::nullopt;
    }
    if (!ok) return std::nullopt;
    return out;
  }

  void hours(const ojson& v, const std::string& path, BusinessCalendar& cal) {
    static constexpr std::array<std::string_view, 7> days{"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
    const auto set = [&](unsigned iso_day, const std::vector<BusinessCalendar::Window>& w, const std::string& p) {
      try {
        cal = cal.with_hours(std::chrono::weekday{iso_day % 7}, w);
      } catch (const invalid_argument& e) {
        error(p, std::string(calendar_reason(e)));
      }
    };
    if (!v.is_object()) {
      if (auto w = windows(v, path))
        for (unsigned d = 1; d <= 7; ++d) set(d, *w, path);
      return;
    }
    object(v, path, {"mon", "tue", "wed", "thu", "fri", "sat", "sun"});
    for (unsigned d = 1; d <= 7; ++d)
      field(v, path, days[d - 1], [&](const ojson& x, const std::string& p) {
        if (auto w = windows(x, p)) set(d, *w, p);
      });
  }

  std::optional<HolidayRule> holiday(const ojson& j, const std::string& path) {
    if (!object(j, path, {"name", "on", "observed"}, "a holiday like {\"name\": \"Christmas Day\", \"on\": \"December 25\"}"))
      return std::nullopt;
    std::string name;
    field(j, path, "name", [&](const ojson& v, const std::string& p) { str(v, p, name); });
    std::optional<HolidayRule> rule;
    required(j, path, "on", holiday_hint, [&](const ojson& v, const std::string& p) {
      if (!v.is_string()) return error(p, fmt::format("expected {}, got {}", holiday_hint, got(v)));
      try {
        rule = parse_holiday_on(v.get_ref<const std::string&>(), name);
      } catch (const invalid_argument& e) {
        error(p, e.what());
      }
    });
    field(j, path, "observed", [&](const ojson& v, const std::string& p) {
      Observance o = Observance::none;
      enumeration(v, p, o);
      if (rule) rule = rule->observed(o);
    });
    return rule;
  }

  // ---- pipelines ------------------------------------------------------------------

  void pipeline(const ojson& j, const std::string& path, Pipeline& p) {
    if (!object(j, path, {"id", "name", "stages"}, "a pipeline like {\"id\": \"sales\", \"stages\": [...]}")) return;
    id(j, path, p.id, "sales");
    field(j, path, "name", [&](const ojson& v, const std::string& vp) { str(v, vp, p.name); });
    required(j, path, "stages", "an array of stages", [&](const ojson& v, const std::string& vp) {
      list(v, vp, "an array of stages", p.stages, [&](const ojson& x, const std::string& xp, Stage& s) { stage(x, xp, s); });
    });
  }

  void stage(const ojson& j, const std::string& path, Stage& s) {
    if (!object(j, path, {"id", "name", "kind", "limit", "probability"}, "a stage like {\"id\": \"lead\", \"limit\": \"2d\"}"))
      return;
    id(j, path, s.id, "lead");
    field(j, path, "name", [&](const ojson& v, const std::string& p) { str(v, p, s.name); });
    field(j, path, "kind", [&](const ojson& v, const std::string& p) { enumeration(v, p, s.kind); });
    field(j, path, "limit", [&](const ojson& v, const std::string& p) {
      Period l;
      period(v, p, l);
      s.limit = l;
    });
    field(j, path, "probability", [&](const ojson& v, const std::string& p) {
      double x = 0;
      number(v, p, x);
      s.probability = x;
    });
  }

  // ---- assistants -----------------------------------------------------------------

  void assistants(const ojson& j, const std::string& path, EngineConfig& e) {
    std::vector<std::string_view> kinds(assistant_kinds.begin(), assistant_kinds.end());
    if (!j.is_object()) return error(path, fmt::format("expected an object of assistant lists like {{\"forgotten\": [...]}}, "
                                                       "got {}",
                                                       got(j)));
    for (const auto& [k, v] : j.items()) {
      if (std::find(kinds.begin(), kinds.end(), k) != kinds.end()) continue;
      const auto near = closest(k, kinds);
      error(child(path, k), near.empty() ? fmt::format("unknown assistant {}; expected one of: {}", quote_text(k),
                                                       quoted_list(kinds))
                                         : fmt::format("unknown assistant \"{}\" (did you mean \"{}\"?)", k, near));
    }
    for_each_assistant_list(e, [&](std::string_view kind, AssistantFeed, auto& vec) {
      using C = typename std::decay_t<decltype(vec)>::value_type;
      field(j, path, kind, [&](const ojson& v, const std::string& p) {
        list(v, p, fmt::format("an array of {} assistants", kind), vec,
             [&](const ojson& x, const std::string& xp, C& a) { assistant(x, xp, a); });
      });
    });
  }

  static std::span<const std::string_view> keys(const ForgottenConfig*) {
    static constexpr std::string_view k[] = {"id", "enabled", "scope", "after", "contact", "exempt_future_task", "label", "ladder"};
    return k;
  }
  static std::span<const std::string_view> keys(const ReleaseConfig*) {
    static constexpr std::string_view k[] = {"id", "enabled", "scope", "forgotten", "grace", "policy", "ladder"};
    return k;
  }
  static std::span<const std::string_view> keys(const ChurnedConfig*) {
    static constexpr std::string_view k[] = {"id", "enabled", "scope", "min_orders", "idle", "factor", "won_deals", "paid_invoices", "label", "ladder"};
    return k;
  }
  static std::span<const std::string_view> keys(const UnpaidConfig*) {
    static constexpr std::string_view k[] = {"id", "enabled", "scope", "after", "contact", "ladder"};
    return k;
  }
  static std::span<const std::string_view> keys(const DebtorConfig*) {
    static constexpr std::string_view k[] = {"id", "enabled", "scope", "grace", "label", "ladder"};
    return k;
  }
  static std::span<const std::string_view> keys(const DeadDealConfig*) {
    static constexpr std::string_view k[] = {"id", "enabled", "scope", "max_age", "per_pipeline", "ladder"};
    return k;
  }
  static std::span<const std::string_view> keys(const StageSlaConfig*) {
    static constexpr std::string_view k[] = {"id", "enabled", "scope", "pause_on", "restart_on_reentry", "ladder"};
    return k;
  }
  static std::span<const std::string_view> keys(const NoNextStepConfig*) {
    static constexpr std::string_view k[] = {"id", "enabled", "scope", "grace", "ladder"};
    return k;
  }
  static std::span<const std::string_view> keys(const NeglectedTaskConfig*) {
    static constexpr std::string_view k[] = {"id", "enabled", "scope", "grace", "ladder"};
    return k;
  }

  template <class C>
  void assistant(const ojson& j, const std::string& path, C& a) {
    if (!object(j, path, keys(static_cast<const C*>(nullptr)), "an assistant like {\"id\": \"...\", ...}")) return;
    field(j, path, "id", [&](const ojson& v, const std::string& p) { str(v, p, a.id, "an id"); });
    field(j, path, "enabled", [&](const ojson& v, const std::string& p) { boolean(v, p, a.enabled); });
    field(j, path, "scope", [&](const ojson& v, const std::string& p) { scope(v, p, a.scope); });
    specific(j, path, a);
    field(j, path, "ladder", [&](const ojson& v, const std::string& p) {
      list(v, p, "an array of ladder steps", a.ladder,
           [&](const ojson& x, const std::string& xp, LadderStep& s) { step(x, xp, s); });
    });
  }

  void specific(const ojson& j, const std::string& path, ForgottenConfig& a) {
    field(j, path, "after", [&](const ojson& v, const std::string& p) { period(v, p, a.after); });
    field(j, path, "contact", [&](const ojson& v, const std::string& p) { contact(v, p, a.contact); });
    field(j, path, "exempt_future_task", [&](const ojson& v, const std::string& p) { boolean(v, p, a.exempt_future_task); });
    field(j, path, "label", [&](const ojson& v, const std::string& p) { str(v, p, a.label); });
  }
  void specific(const ojson& j, const std::string& path, ReleaseConfig& a) {
    field(j, path, "forgotten", [&](const ojson& v, const std::string& p) {
      str(v, p, a.forgotten, "the id of a forgotten assistant");
    });
    field(j, path, "grace", [&](const ojson& v, const std::string& p) { period(v, p, a.grace); });
    field(j, path, "policy", [&](const ojson& v, const std::string& p) {
      if (!object(v, p, {"kind", "update_loads", "max_new_per_run", "respect_capacity"})) return;
      field(v, p, "kind", [&](const ojson& x, const std::string& xp) { enumeration(x, xp, a.policy.kind); });
      field(v, p, "update_loads", [&](const ojson& x, const std::string& xp) { boolean(x, xp, a.policy.update_loads); });
      field(v, p, "max_new_per_run", [&](const ojson& x, const std::string& xp) {
        integer(x, xp, a.policy.max_new_per_run, 0, std::numeric_limits<int>::max());
      });
      field(v, p, "respect_capacity",
            [&](const ojson& x, const std::string& xp) { boolean(x, xp, a.policy.respect_capacity); });
    });
  }
  void specific(const ojson& j, const std::string& path, ChurnedConfig& a) {
    field(j, path, "min_orders", [&](const ojson& v, const std::string& p) {
      integer(v, p, a.min_orders, 1, std::numeric_limits<int>::max());
    });
    field(j, path, "idle", [&](const ojson& v, const std::string& p) { period(v, p, a.idle); });
    field(j, path, "factor", [&](const ojson& v, const std::string& p) { number(v, p, a.factor); });
    field(j, path, "won_deals", [&](const ojson& v, const std::string& p) { boolean(v, p, a.won_deals); });
    field(j, path, "paid_invoices", [&](const ojson& v, const std::string& p) { boolean(v, p, a.paid_invoices); });
    field(j, path, "label", [&](const ojson& v, const std::string& p) { str(v, p, a.label); });
  }
  void specific(const ojson& j, const std::string& path, UnpaidConfig& a) {
    field(j, path, "after", [&](const ojson& v, const std::string& p) { period(v, p, a.after); });
    field(j, path, "contact", [&](const ojson& v, const std::string& p) { contact(v, p, a.contact); });
  }
  void specific(const ojson& j, const std::string& path, DebtorConfig& a) {
    field(j, path, "grace", [&](const ojson& v, const std::string& p) { period(v, p, a.grace); });
    field(j, path, "label", [&](const ojson& v, const std::string& p) { str(v, p, a.label); });
  }
  void specific(const ojson& j, const std::string& path, DeadDealConfig& a) {
    field(j, path, "max_age", [&](const ojson& v, const std::string& p) { period(v, p, a.max_age); });
    field(j, path, "per_pipeline", [&](const ojson& v, const std::string& p) {
      if (!v.is_object())
        return error(p, fmt::format("expected an object of pipeline ids and durations like {{\"b2b\": \"180d\"}}, got {}",
                                    got(v)));
      a.per_pipeline.clear();
      for (const auto& [k, x] : v.items()) {
        Period l;
        const auto before = errors.size();
        period(x, child(p, k), l);
        if (errors.size() == before) a.per_pipeline[k] = l;
      }
    });
  }
  void specific(const ojson& j, const std::string& path, StageSlaConfig& a) {
    field(j, path, "pause_on", [&](const ojson& v, const std::string& p) { strings(v, p, a.pause_on, "hold reason"); });
    field(j, path, "restart_on_reentry",
          [&](const ojson& v, const std::string& p) { boolean(v, p, a.restart_on_reentry); });
  }
  void specific(const ojson& j, const std::string& path, NoNextStepConfig& a) {
    field(j, path, "grace", [&](const ojson& v, const std::string& p) { period(v, p, a.grace); });
  }
  void specific(const ojson& j, const std::string& path, NeglectedTaskConfig& a) {
    field(j, path, "grace", [&](const ojson& v, const std::string& p) { period(v, p, a.grace); });
  }

  void scope(const ojson& j, const std::string& path, Scope& s) {
    if (!object(j, path, {"segments", "kind", "labels", "except_labels", "pipelines"})) return;
    field(j, path, "segments", [&](const ojson& v, const std::string& p) { strings(v, p, s.segments, "segment"); });
    field(j, path, "kind", [&](const ojson& v, const std::string& p) {
      ClientKind k = ClientKind::b2b;
      const auto before = errors.size();
      enumeration(v, p, k);
      if (errors.size() == before) s.kind = k;
    });
    field(j, path, "labels", [&](const ojson& v, const std::string& p) { strings(v, p, s.labels, "label"); });
    field(j, path, "except_labels", [&](const ojson& v, const std::string& p) { strings(v, p, s.except_labels, "label"); });
    field(j, path, "pipelines", [&](const ojson& v, const std::string& p) { strings(v, p, s.pipelines, "pipeline"); });
  }

  void contact(const ojson& j, const std::string& path, ContactPolicy& c) {
    if (!object(j, path, {"kinds", "completed_tasks"})) return;
    field(j, path, "kinds", [&](const ojson& v, const std::string& p) {
      std::vector<ActivityKind> kinds;
      list(v, p, "an array of activity kinds like [\"call_in\", \"call_out\", \"email\"]", kinds,
           [&](const ojson& x, const std::string& xp, ActivityKind& k) { enumeration(x, xp, k); });
      c.kinds.fill(false);
      for (auto k : kinds) c.kinds[static_cast<std::size_t>(k)] = true;
    });
    field(j, path, "completed_tasks", [&](const ojson& v, const std::string& p) { boolean(v, p, c.completed_tasks); });
  }

  void step(const ojson& j, const std::string& path, LadderStep& s) {
    if (!object(j, path, {"id", "after", "share", "action", "target", "level", "manager", "channel", "template", "title",
                          "due_in", "reason"},
                "a ladder step like {\"id\": \"remind\", \"after\": \"1d\", \"action\": \"notify\"}"))
      return;
    id(j, path, s.id, "remind");
    field(j, path, "after", [&](const ojson& v, const std::string& p) { period(v, p, s.after); });
    field(j, path, "share", [&](const ojson& v, const std::string& p) {
      double x = 0;
      number(v, p, x);
      s.share = x;
    });
    field(j, path, "action", [&](const ojson& v, const std::string& p) { enumeration(v, p, s.action); });
    field(j, path, "target", [&](const ojson& v, const std::string& p) { enumeration(v, p, s.target); });
    field(j, path, "level", [&](const ojson& v, const std::string& p) { integer(v, p, s.level, 1, 100); });
    field(j, path, "manager", [&](const ojson& v, const std::string& p) {
      integer(v, p, s.manager_id, 1, std::numeric_limits<std::int64_t>::max());
    });
    field(j, path, "channel", [&](const ojson& v, const std::string& p) { enumeration(v, p, s.channel); });
    field(j, path, "template", [&](const ojson& v, const std::string& p) { str(v, p, s.template_id, "a template id"); });
    field(j, path, "title", [&](const ojson& v, const std::string& p) { str(v, p, s.title, "a task title"); });
    field(j, path, "due_in", [&](const ojson& v, const std::string& p) { period(v, p, s.due_in); });
    field(j, path, "reason", [&](const ojson& v, const std::string& p) { str(v, p, s.reason, "a loss reason"); });
  }

  // ---- event rules ----------------------------------------------------------------

  void event_rule(const ojson& j, const std::string& path, EventRule& r) {
    if (!object(j, path, {"id", "enabled", "on", "when", "within", "debounce", "actions"},
                "an event rule like {\"id\": \"missed_call\", \"on\": \"call.missed\", \"actions\": [...]}"))
      return;
    id(j, path, r.id, "missed_call");
    field(j, path, "enabled", [&](const ojson& v, const std::string& p) { boolean(v, p, r.enabled); });
    required(j, path, "on", "an event kind like \"call.missed\"",
             [&](const ojson& v, const std::string& p) { str(v, p, r.on, "an event kind like \"call.missed\""); });
    field(j, path, "when", [&](const ojson& v, const std::string& p) { r.when = condition(v, p, 1); });
    field(j, path, "within", [&](const ojson& v, const std::string& p) { period(v, p, r.within); });
    field(j, path, "debounce", [&](const ojson& v, const std::string& p) {
      Period d{r.debounce};
      const auto before = errors.size();
      period(v, p, d);
      if (errors.size() != before) return;
      if (d.basis != TimeBasis::calendar)
        return error(p, fmt::format("expected a plain duration like \"30m\" (not business time), got {}", got(v)));
      r.debounce = d.length;
    });
    required(j, path, "actions", "an array of actions", [&](const ojson& v, const std::string& p) {
      list(v, p, "an array of actions", r.actions,
           [&](const ojson& x, const std::string& xp, EventAction& a) { event_action(x, xp, a); });
    });
  }

  static constexpr std::string_view condition_forms =
      R"({"all": [...]}, {"any": [...]}, {"not": {...}}, {"field": ..., "op": ..., "value": ...} or {"changed": ...})";

  Condition condition(const ojson& j, const std::string& path, int depth) {
    Condition c;
    if (!j.is_object()) {
      error(path, fmt::format("expected a condition: {}; got {}", condition_forms, got(j)));
      return c;
    }
    if (depth > max_condition_depth) {
      error(path, fmt::format("conditions nest deeper than {}", max_condition_depth));
      return c;
    }
    const bool all = j.contains("all"), any = j.contains("any"), negate = j.contains("not"),
               compare = j.contains("field"), changed = j.contains("changed");
    if (all + any + negate + compare + changed != 1) {
      error(path, fmt::format("expected one condition form: {}; got {}", condition_forms,
                              all + any + negate + compare + changed == 0 ? std::string("none of them")
                                                                          : std::string("several in one object")));
      return c;
    }
    const auto parts = [&](std::string_view key, Condition::Kind kind) {
      object(j, path, {key});
      c.kind = kind;
      field(j, path, key, [&](const ojson& v, const std::string& p) {
        if (!v.is_array()) return error(p, fmt::format("expected an array of conditions, got {}", got(v)));
        for (std::size_t i = 0; i < v.size(); ++i) c.items.push_back(condition(v[i], child(p, i), depth + 1));
      });
    };
    if (all) parts("all", Condition::Kind::all);
    if (any) parts("any", Condition::Kind::any);
    if (negate) {
      object(j, path, {"not"});
      c.kind = Condition::Kind::negate;
      field(j, path, "not", [&](const ojson& v, const std::string& p) { c.items.push_back(condition(v, p, depth + 1)); });
    }
    if (compare) {
      object(j, path, {"field", "op", "value"});
      c.kind = Condition::Kind::compare;
      field(j, path, "field", [&](const ojson& v, const std::string& p) {
        str(v, p, c.field, "a field like \"client.segment\"");
      });
      field(j, path, "op", [&](const ojson& v, const std::string& p) { enumeration(v, p, c.op); });
      required(j, path, "value", "a value, or a list of values for \"in\"", [&](const ojson& v, const std::string& p) {
        if (v.is_array()) {
          for (std::size_t i = 0; i < v.size(); ++i) {
            c.values.emplace_back();
            scalar(v[i], child(p, i), c.values.back());
          }
        } else {
          c.values.emplace_back();
          scalar(v, p, c.values.back());
        }
      });
    }
    if (changed) {
      object(j, path, {"changed", "from", "to"});
      c.kind = Condition::Kind::changed;
      field(j, path, "changed", [&](const ojson& v, const std::string& p) {
        str(v, p, c.field, "the name of a changed field, like \"stage\"");
      });
      field(j, path, "from", [&](const ojson& v, const std::string& p) {
        std::string x;
        str(v, p, x, "the old value");
        c.from = x;
      });
      field(j, path, "to", [&](const ojson& v, const std::string& p) {
        std::string x;
        str(v, p, x, "the new value");
        c.to = x;
      });
    }
    return c;
  }

  /// A value compared with a field: text, or a number or true/false read as its text.
  void scalar(const ojson& v, const std::string& path, std::string& out) {
    if (v.is_string()) out = v.get<std::string>();
    else if (v.is_number_unsigned()) out = std::to_string(v.get<std::uint64_t>());
    else if (v.is_number_integer()) out = std::to_string(v.get<std::int64_t>());
    else if (v.is_number_float() || v.is_boolean()) out = v.dump();
    else error(path, fmt::format("expected a text, number or true/false to compare with, got {}", got(v)));
  }

  void event_action(const ojson& j, const std::string& path, EventAction& a) {
    if (!object(j, path, {"action", "target", "level", "manager", "channel", "template", "title", "label"},
                "an action like {\"action\": \"notify\", \"target\": \"client\", \"template\": \"...\"}"))
      return;
    field(j, path, "action", [&](const ojson& v, const std::string& p) { enumeration(v, p, a.action); });
    field(j, path, "target", [&](const ojson& v, const std::string& p) { enumeration(v, p, a.target); });
    field(j, path, "level", [&](const ojson& v, const std::string& p) { integer(v, p, a.level, 1, 100); });
    field(j, path, "manager", [&](const ojson& v, const std::string& p) {
      integer(v, p, a.manager_id, 1, std::numeric_limits<std::int64_t>::max());
    });
    field(j, path, "channel", [&](const ojson& v, const std::string& p) { enumeration(v, p, a.channel); });
    field(j, path, "template", [&](const ojson& v, const std::string& p) { str(v, p, a.template_id, "a template id"); });
    field(j, path, "title", [&](const ojson& v, const std::string& p) { str(v, p, a.title, "a title or a label's note"); });
    field(j, path, "label", [&](const ojson& v, const std::string& p) { str(v, p, a.label, "a label"); });
  }

  // ---- templates, quiet hours, options --------------------------------------------

  void templates(const ojson& j, const std::string& path, std::map<std::string, LocalizedTemplate>& out) {
    if (!j.is_object())
      return error(path, fmt::format("expected an object of templates like {{\"debtor_reminder\": {{\"en\": {{\"subject\": "
                                     "..., \"body\": ...}}}}}}, got {}",
                                     got(j)));
    for (const auto& [id, locales] : j.items()) {
      const auto ip = child(path, id);
      if (!locales.is_object()) {
        error(ip, fmt::format("expected an object of texts per locale like {{\"en\": {{\"subject\": ..., \"body\": "
                              "...}}}}, got {}",
                              got(locales)));
        continue;
      }
      auto& t = out[id];
      for (const auto& [loc, text] : locales.items()) {
        const auto lp = child(ip, loc);
        if (!object(text, lp, {"subject", "body"}, "a message like {\"subject\": \"...\", \"body\": \"...\"}")) continue;
        MessageTemplate m;
        field(text, lp, "subject", [&](const ojson& v, const std::string& p) { str(v, p, m.subject, "a subject line"); });
        required(text, lp, "body", "the message text", [&](const ojson& v, const std::string& p) {
          str(v, p, m.body, "the message text");
        });
        t[loc] = m;
      }
    }
  }

  void quiet_hours(const ojson& j, const std::string& path, std::map<Channel, QuietHours>& out) {
    if (!j.is_object())
      return error(path, fmt::format("expected an object of channels like {{\"sms\": {{\"from\": \"21:00\", \"to\": "
                                     "\"09:00\"}}}}, got {}",
                                     got(j)));
    for (const auto& item : j.items()) {
      const std::string& name = item.key();
      const ojson& v = item.value();  // not a structured binding: lambdas below capture it
      const auto p = child(path, name);
      const auto ch = enum_value<Channel>(name);
      if (!ch) {
        error(p, fmt::format("unknown channel {}; expected one of {}{}", quote_text(name),
                             quoted_list(EnumNames<Channel>::names), did_you_mean(name, EnumNames<Channel>::names)));
        continue;
      }
      if (!object(v, p, {"from", "to"}, "quiet hours like {\"from\": \"21:00\", \"to\": \"09:00\"}")) continue;
      QuietHours q;
      const auto time = [&](std::string_view key, std::chrono::minutes& m) {
        required(v, p, key, "a time of day like \"21:00\"", [&](const ojson& x, const std::string& xp) {
          if (!x.is_string()) return error(xp, fmt::format("expected a time of day like \"21:00\", got {}", got(x)));
          try {
            m = parse_clock_time(x.get_ref<const std::string&>());
          } catch (const invalid_argument& e) {
            error(xp, e.what());
          }
        });
      };
      time("from", q.from);
      time("to", q.to);
      out[*ch] = q;
    }
  }

  void options(const ojson& j, const std::string& path, EngineOptions& o) {
    if (!object(j, path, {"late_after", "batch"})) return;
    field(j, path, "late_after", [&](const ojson& v, const std::string& p) {
      Period l{o.late_after};
      const auto before = errors.size();
      period(v, p, l);
      if (errors.size() != before) return;
      if (l.basis != TimeBasis::calendar)
        return error(p, fmt::format("expected a plain duration like \"24h\" (not business time), got {}", got(v)));
      o.late_after = l.length;
    });
    field(j, path, "batch", [&](const ojson& v, const std::string& p) {
      integer(v, p, o.batch, 1, std::int64_t{1} << 30);
    });
  }
};

/// Whether two paths lie on one branch (equal, or one inside the other).
inline bool related_paths(std::string_view a, std::string_view b) {
  if (a.size() > b.size()) std::swap(a, b);
  return b.compare(0, a.size(), a) == 0 && (b.size() == a.size() || b[a.size()] == '/');
}

/// Whether a whole-config finding at `issue` is likely an echo of the file's
/// own problem at `error`: on the same branch, or beside a value other checks
/// of that object depend on (a step's action or target, a stage's kind).
inline bool echo_of(std::string_view error, std::string_view issue) {
  if (related_paths(error, issue)) return true;
  const auto slash = error.rfind('/');
  if (slash == std::string_view::npos) return false;
  const auto key = error.substr(slash + 1);
  if (key != "action" && key != "target" && key != "kind" && key != "manager" && key != "share") return false;
  const auto parent = error.substr(0, slash);
  return issue.size() > parent.size() && issue.compare(0, parent.size(), parent) == 0 && issue[parent.size()] == '/';
}

/// Where a JSON Pointer lies in the document, as the positions of its tokens
/// in their objects and arrays (a key the document lacks sorts after its
/// parent's keys). Sorting by it puts problems in the file's order.
inline std::vector<std::size_t> document_position(const ojson& doc, std::string_view path) {
  std::vector<std::size_t> pos;
  const ojson* at = &doc;
  std::size_t i = 0;
  while (i < path.size() && path[i] == '/') {
    const auto end = std::min(path.find('/', i + 1), path.size());
    std::string token;
    for (std::size_t k = i + 1; k < end; ++k) {
      if (path[k] == '~' && k + 1 < end) {
        token += path[k + 1] == '1' ? '/' : '~';
        ++k;
      } else {
        token += path[k];
      }
    }
    i = end;
    if (at && at->is_object()) {
      std::size_t n = 0;
      const ojson* next = nullptr;
      for (const auto& item : at->items()) {
        if (item.key() == token) {
          next = &item.value();
          break;
        }
        ++n;
      }
      pos.push_back(n);
      at = next;
    } else if (at && at->is_array()) {
      std::size_t n = 0;
      bool digits = !token.empty() && token.size() < 10;
      for (char c : token) digits = digits && c >= '0' && c <= '9';
      if (digits) n = std::stoul(token);
      pos.push_back(digits ? n : at->size());
      at = digits && n < at->size() ? &(*at)[n] : nullptr;
    } else {
      pos.push_back(0);
      at = nullptr;
    }
  }
  return pos;
}

}  // namespace detail

/// Loads a configuration without throwing for its content: the result holds
/// every problem (syntax, types, unknown keys, values, references). JSON
/// comments are accepted (a saved file does not keep them).
///
/// @code
/// auto r = nudge::try_load_config(text);
/// if (!r.ok()) for (const auto& e : r.errors) std::cerr << e.text() << '\n';
/// @endcode
inline LoadResult try_load_config(std::string_view json_text) {
  detail::ConfigReader reader;
  LoadResult r;
  auto doc = reader.parse(json_text);
  if (doc) r.config = reader.read(*doc);
  r.errors = std::move(reader.errors);
  if (!doc) return r;
  if (!r.errors.empty() && r.errors.front().path == "/version" &&
      r.errors.front().message.compare(0, 30, "this file was written by a new") == 0)
    return r;
  // A whole-config finding that echoes one of the file's own problems is left out.
  const auto file_errors = r.errors.size();
  for (auto& i : validate(r.config)) {
    bool echo = false;
    for (std::size_t k = 0; k < file_errors && !echo; ++k) echo = detail::echo_of(r.errors[k].path, i.path);
    if (!echo) r.errors.push_back(std::move(i));
  }
  // In the file's order (problems at one path keep theirs).
  std::vector<std::pair<std::vector<std::size_t>, ConfigIssue>> keyed;
  keyed.reserve(r.errors.size());
  for (auto& e : r.errors) keyed.emplace_back(detail::document_position(*doc, e.path), std::move(e));
  std::stable_sort(keyed.begin(), keyed.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  r.errors.clear();
  for (auto& [pos, e] : keyed) r.errors.push_back(std::move(e));
  return r;
}

/// Loads a configuration from JSON text.
/// @param source names the text in the error's heading (a file name, "database").
/// @throws nudge::invalid_configuration listing every problem.
///
/// @code
/// auto cfg = nudge::load_config(R"({"version": 1, "assistants": {"forgotten": [{"after": "60d"}]}})");
/// nudge::Engine engine{cfg.engine};
/// @endcode
inline LoadedConfig load_config(std::string_view json_text, std::string_view source = {}) {
  auto r = try_load_config(json_text);
  if (!r.ok()) throw invalid_configuration(std::move(r.errors), source);
  return std::move(r.config);
}

/// Loads a configuration file.
/// @throws nudge::configuration_error when the file cannot be read;
///         nudge::invalid_configuration (a configuration_error) listing every problem.
inline LoadedConfig load_config_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw configuration_error(fmt::format("configuration file '{}': cannot be opened", file.string()));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw configuration_error(fmt::format("configuration file '{}': cannot be read", file.string()));
  return load_config(text.str(), file.string());
}

}  // namespace nudge
