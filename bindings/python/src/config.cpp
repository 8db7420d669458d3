// The configuration file (include/nudge/config): load_config, validate_config
// and save_config over JSON text or a file, LoadedConfig with its event rules
// and quiet hours, ConfigIssue, and ConfigurationError carrying the issues.

#include "common.hpp"

#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include <nudge/config/config.hpp>
#include <nudge/storage/storage.hpp>

namespace nudge::bindings {

namespace {

// ---- where a configuration comes from ---------------------------------------------

/// Whether a str is JSON text rather than a file name: it opens like a JSON
/// document ('{', '[' or a comment) or spans lines. Anything else is a path.
bool looks_like_json(std::string_view s) {
  if (s.find('\n') != std::string_view::npos) return true;
  const auto i = s.find_first_not_of(" \t\r");
  if (i == std::string_view::npos) return true;  // empty text: the loader says "not valid JSON"
  const auto rest = s.substr(i);
  return rest.front() == '{' || rest.front() == '[' || rest.starts_with("//") || rest.starts_with("/*");
}

struct Source {
  std::string text;
  std::string name;  // the file name ("" for text)
};

std::string read_file(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw configuration_error(fmt::format("configuration file '{}': cannot be opened", file));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw configuration_error(fmt::format("configuration file '{}': cannot be read", file));
  return text.str();
}

/// A str (JSON text or a path, see looks_like_json), bytes (JSON text) or an
/// os.PathLike (a file).
Source source_of(py::handle v, const char* what) {
  if (PyBytes_Check(v.ptr())) return {v.cast<std::string>(), {}};
  if (PyUnicode_Check(v.ptr())) {
    auto s = v.cast<std::string>();
    if (looks_like_json(s)) return {std::move(s), {}};
    return {read_file(s), s};
  }
  if (py::isinstance(v, py::module_::import("os").attr("PathLike"))) {
    const auto file = py::str(py::module_::import("os").attr("fspath")(v)).cast<std::string>();
    return {read_file(file), file};
  }
  throw py::type_error(fmt::format("{}: expected JSON text (str or bytes) or a file path (str or os.PathLike), got {}",
                                   what, Py_TYPE(v.ptr())->tp_name));
}

/// A LoadedConfig from a LoadedConfig or an EngineConfig (None when it is neither).
std::optional<LoadedConfig> config_of(py::handle v) {
  if (py::isinstance<LoadedConfig>(v)) return v.cast<LoadedConfig>();
  if (py::isinstance<EngineConfig>(v)) return LoadedConfig::from(v.cast<EngineConfig>());
  return std::nullopt;
}

/// Managers from a list of Manager or from a Storage.
std::vector<Manager> managers_of(py::handle v) {
  if (py::isinstance<Storage>(v)) return v.cast<const Storage&>().managers();
  std::vector<Manager> out;
  for (py::handle m : v) out.push_back(m.cast<Manager>());
  return out;
}

// ---- event rules: their JSON form -----------------------------------------------------

/// The rule as the configuration file writes it (a dict), through save_config.
py::object rule_json(const EventRule& r) {
  LoadedConfig c;
  c.event_rules.push_back(r);
  const auto text = save_config(c);
  return py::module_::import("json").attr("loads")(text)["event_rules"][py::int_(0)];
}

std::chrono::minutes clock_from(py::handle v, const std::string& what) {
  if (PyUnicode_Check(v.ptr())) {
    try {
      return parse_clock_time(v.cast<std::string>());
    } catch (const invalid_argument& e) {
      throw invalid_argument(fmt::format("{}: {}", what, e.what()));
    }
  }
  if (is_timedelta(v)) return std::chrono::floor<std::chrono::minutes>(seconds_from(v, what));
  throw py::type_error(fmt::format("{}: expected a time of day like \"21:00\" or a timedelta, got {}", what,
                                   Py_TYPE(v.ptr())->tp_name));
}

void bind_quiet_hours(py::module_& m) {
  py::class_<QuietHours> q(m, "QuietHours",
                           "A span of local clock time in which a channel stays silent (no SMS at night). `from_` "
                           "after `to` spans midnight (21:00-09:00); equal bounds are no quiet time. The bounds are "
                           "timedeltas after midnight; \"21:00\" strings are accepted too. str() is \"21:00-09:00\".");
  def_converted(q, "from_", &QuietHours::from, clock_from, "Start (C++ `from`): a timedelta after local midnight.");
  def_converted(q, "to", &QuietHours::to, clock_from, "End: a timedelta after local midnight.");
  def_record(q, {"from_", "to"}, 2, /*repr_and_dict=*/false);  // a repr with clock times below
  q.def("to_dict", [](py::handle self) { return record_to_dict(self); },
        "{'from_': timedelta, 'to': timedelta}.");
  q.def("quiet_at", [](const QuietHours& h, py::handle local) { return h.quiet_at(clock_from(local, "local")); },
        py::arg("local"), "Whether a local time of day (\"22:30\" or a timedelta after midnight) is quiet.")
      .def("__str__", [](const QuietHours& h) { return clock_time_text(h.from) + "-" + clock_time_text(h.to); })
      .def("__repr__", [](const QuietHours& h) {
        return fmt::format("QuietHours(from_='{}', to='{}')", clock_time_text(h.from), clock_time_text(h.to));
      });
}

void bind_event_rule(py::module_& m) {
  py::class_<EventRule> r(m, "EventRule",
                          "A rule that reacts to events (a missed call, a deal entering a stage ...), as loaded from "
                          "the configuration's event_rules. Its condition and actions are kept as loaded and read "
                          "through to_dict() (the file's JSON form); id, enabled, on, within and debounce can be "
                          "changed. The event engine itself is not bound yet.");
  r.def(py::init<>(), "An empty rule (always true, no actions).")
      .def_readwrite("id", &EventRule::id, "The rule's id (part of its actions' exactly-once keys).")
      .def_readwrite("enabled", &EventRule::enabled, "Whether it runs.")
      .def_readwrite("on", &EventRule::on, "The event kind it reacts to (\"call.missed\").")
      .def_readwrite("within", &EventRule::within, "The promise: a task is due this long after the event (Period).")
      .def_readwrite("debounce", &EventRule::debounce, "Fires at most once per client within this window (timedelta).")
      .def_property_readonly("action_count", [](const EventRule& e) { return e.actions.size(); },
                             "How many actions it runs.")
      .def("to_dict", &rule_json, "The rule as the configuration file writes it (condition and actions included).")
      .def("__eq__", [](const EventRule& a, const EventRule& b) { return a == b; }, py::is_operator())
      .def("__copy__", [](const EventRule& e) { return EventRule(e); })
      .def("__deepcopy__", [](const EventRule& e, py::handle) { return EventRule(e); }, py::arg("memo"))
      .def("__repr__", [](const EventRule& e) {
        return fmt::format("EventRule(id={}, on={}, enabled={}, actions={})", std::string(py::repr(py::str(e.id))),
                           std::string(py::repr(py::str(e.on))), e.enabled ? "True" : "False", e.actions.size());
      });
}

}  // namespace

void bind_config(py::module_& m) {
  bind_quiet_hours(m);
  bind_event_rule(m);

  py::class_<ConfigIssue> issue(m, "ConfigIssue",
                                "One problem in a configuration: `path`, the JSON Pointer of the value at fault "
                                "(\"/assistants/forgotten/0/after\"; \"\" for the document itself), and `message`, "
                                "what was expected. str() is \"path: message\".");
  issue.def_readwrite("path", &ConfigIssue::path, "JSON Pointer (RFC 6901) of the value at fault.")
      .def_readwrite("message", &ConfigIssue::message, "What is wrong and what was expected.");
  def_record(issue, {"path", "message"}, 2);
  issue.def("text", &ConfigIssue::text, "\"path: message\" (the document itself prints as \"/\").")
      .def("__str__", &ConfigIssue::text);

  py::class_<LoadedConfig> loaded(m, "LoadedConfig",
                                  "A whole configuration file: `engine` (an EngineConfig, what nudge.Engine takes), "
                                  "`event_rules` (list of EventRule) and `quiet_hours` (dict Channel -> QuietHours, "
                                  "what DispatcherOptions takes). Lists and dicts are copies: assign new ones.");
  loaded.def_readwrite("engine", &LoadedConfig::engine, "The engine's part: EngineConfig.")
      .def_readwrite("event_rules", &LoadedConfig::event_rules, "Rules that react to events (list of EventRule).")
      .def_readwrite("quiet_hours", &LoadedConfig::quiet_hours,
                     "Per channel: when messages wait (dict of Channel to QuietHours).");
  def_record(loaded, {"engine", "event_rules", "quiet_hours"});
  m.attr("CONFIG_FORMAT_VERSION") = config_format_version;

  // ConfigurationError with the structured issues: registered after bind_errors,
  // so this translator is tried before the generic one.
  static py::handle error_type = m.attr("ConfigurationError");
  error_type.attr("issues") = py::tuple();  // raised without issues (a file that cannot be read, Python code)
  py::register_exception_translator([](std::exception_ptr p) {
    if (!p) return;
    try {
      std::rethrow_exception(p);
    } catch (const invalid_configuration& e) {
      py::object exc = error_type(e.what());
      exc.attr("issues") = py::cast(e.errors());
      PyErr_SetObject(error_type.ptr(), exc.ptr());
    }
  });

  m.def(
      "load_config",
      [](py::handle source) {
        auto s = source_of(source, "load_config");
        return load_config(s.text, s.name);
      },
      py::arg("source"),
      "Loads a configuration: JSON text (str or bytes) or a file (os.PathLike, or a str that does not open like JSON "
      "-- '{', '[' or a comment -- and has no line break). Returns a LoadedConfig. Raises nudge.ConfigurationError "
      "listing every problem at once; its `issues` attribute holds them as ConfigIssue (path, message).\n\n"
      "    cfg = nudge.load_config(pathlib.Path('nudge.json'))\n"
      "    engine = nudge.Engine(cfg)");
  m.def(
      "validate_config",
      [](py::handle config, py::object managers) {
        std::vector<ConfigIssue> out;
        if (auto c = config_of(config)) {
          out = validate(*c);
          if (!managers.is_none()) {
            auto more = validate_against(*c, managers_of(managers));
            out.insert(out.end(), more.begin(), more.end());
          }
          return out;
        }
        auto s = source_of(config, "validate_config");
        auto r = try_load_config(s.text);
        out = std::move(r.errors);
        if (!managers.is_none() && out.empty()) out = validate_against(r.config, managers_of(managers));
        return out;
      },
      py::arg("config"), py::arg("managers") = py::none(),
      "Every problem of a configuration as a list of ConfigIssue, in the file's order (empty when it is fine); never "
      "raises for the content. `config` is a LoadedConfig or EngineConfig (checked as a whole: ranges, unique ids, "
      "references, templates) or, as for load_config, JSON text or a file (checked as load_config would, syntax and "
      "types included). With `managers` (a list of Manager, or a Storage), also checks that the segments scopes name "
      "are served and that the managers steps address exist and are active.");
  m.def(
      "save_config",
      [](py::handle config, py::object path, bool include_defaults) {
        auto c = config_of(config);
        if (!c)
          throw py::type_error(fmt::format("save_config: expected a LoadedConfig or an EngineConfig, got {}",
                                           Py_TYPE(config.ptr())->tp_name));
        const SaveOptions o{include_defaults};
        auto text = save_config(*c, o);
        if (!path.is_none()) {
          const auto file = py::str(py::module_::import("os").attr("fspath")(path)).cast<std::string>();
          save_config_file(*c, file, o);
        }
        return text;
      },
      py::arg("config"), py::arg("path") = py::none(), py::kw_only(), py::arg("include_defaults") = false,
      "The configuration (LoadedConfig or EngineConfig) as pretty JSON text, also written to `path` when given "
      "(replacing the file; nudge.ConfigurationError when it cannot be written). load_config(save_config(c)) == c. "
      "By default only values that differ from the defaults are written; include_defaults=True writes them all.");
}

}  // namespace nudge::bindings
