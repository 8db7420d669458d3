#pragma once
/// @file
/// Validation of a configuration as a whole: ranges, unique ids, references
/// between its parts, message texts. Works on the objects, so it checks a
/// configuration built in code (a host's settings screen) as well as one
/// loaded from a file; the loader runs it and reports its findings together
/// with the file's own problems.

#include <cctype>
#include <cmath>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>

#include <nudge/config/duration.hpp>
#include <nudge/config/issue.hpp>
#include <nudge/config/loaded_config.hpp>
#include <nudge/config/names.hpp>
#include <nudge/domain/manager.hpp>
#include <nudge/notify/templates.hpp>
#include <nudge/rules/event_rules.hpp>

namespace nudge {

namespace detail {

/// Template ids the built-in ladders and the engine use. A step may name one
/// without defining it: the message then carries the finding's own text.
inline const std::set<std::string>& builtin_template_ids() {
  static const std::set<std::string> ids = [] {
    std::set<std::string> s{"released", "release_failed"};
    EngineConfig d = EngineConfig::defaults();
    for_each_assistant_list(d, [&](std::string_view, AssistantFeed, const auto& list) {
      for (const auto& a : list)
        for (const auto& step : a.ladder)
          if (!step.template_id.empty()) s.insert(step.template_id);
    });
    return s;
  }();
  return ids;
}

/// What is wrong with a message text (a template's subject or body, a task
/// title, a label's note) rendered in `locale`, or "": placeholders from
/// nudge::template_placeholders, `{{` and `}}` for literal braces, plural
/// specs that fit the locale (notify/templates.hpp). Widths and precisions
/// above 999 are refused: a text must not make every message megabytes long.
inline std::string text_problem(std::string_view text, std::string_view locale) {
  if (auto why = check_placeholder_names(text); !why.empty()) {
    // "unknown placeholder {clinet}; known ..." -> add the likely one.
    constexpr std::string_view unknown = "unknown placeholder {";
    if (why.compare(0, unknown.size(), unknown) == 0) {
      const auto close = why.find('}', unknown.size());
      const auto name = std::string_view(why).substr(unknown.size(), close - unknown.size());
      if (const auto near = closest(name, template_placeholders); !near.empty() && close != std::string::npos)
        why.insert(close + 1, fmt::format(" (did you mean {{{}}}?)", near));
    }
    return why;
  }
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '{' || (i + 1 < text.size() && text[i + 1] == '{')) {
      if (text[i] == '{') ++i;
      continue;
    }
    const auto close = text.find('}', i);
    const auto spec = text.substr(i + 1, close - i - 1);
    const auto colon = spec.find(':');
    if (colon != std::string_view::npos && spec.compare(colon + 1, 7, "plural(") != 0) {
      std::size_t run = 0;
      for (char c : spec.substr(colon + 1)) {
        run = std::isdigit(static_cast<unsigned char>(c)) ? run + 1 : 0;
        if (run > 3)
          return fmt::format("placeholder {} asks for a width or precision over 999", quote_text(text.substr(i, close - i + 1)));
      }
    }
    i = close;
  }
  TemplateArgs sample;  // every count set, so each plural spec is tried
  sample.client = "client";
  sample.days = 2;
  sample.hours = 2;
  sample.minutes = 2;
  try {
    (void)render_text(text, locale, sample);
  } catch (const fmt::format_error& e) {
    return printable(e.what());
  }
  return {};
}

/// A locale tag like "en", "ru", "pt-BR", "zh_Hant".
inline bool locale_ok(std::string_view s) {
  if (s.empty() || s.size() > 35) return false;
  for (char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_')) return false;
  return std::isalpha(static_cast<unsigned char>(s.front())) != 0;
}

/// Assistant and step ids are parts of an action's exactly-once key
/// ("rule/subject/episode/step"), so they cannot hold its separator.
inline std::string key_part_problem(std::string_view id) {
  if (id.find('/') != std::string_view::npos)
    return fmt::format("an id cannot contain \"/\" (it separates the parts of an action's exactly-once key), got {}",
                       quote_text(id));
  return {};
}

/// How deep all / any / not may nest in an event rule's condition.
inline constexpr int max_condition_depth = 32;

class Validator {
public:
  explicit Validator(const LoadedConfig& c) : c_(c), e_(c.engine) {}

  std::vector<ConfigIssue> run() {
    locale();
    pipelines();
    assistants();
    templates();
    event_rules();
    quiet_hours();
    options();
    return std::move(out_);
  }

private:
  void add(std::string path, std::string message) { out_.push_back({std::move(path), std::move(message)}); }

  void locale() {
    if (!locale_ok(e_.default_locale))
      add("/default_locale", fmt::format("expected a locale like \"en\" or \"pt-BR\", got {}", quote_text(e_.default_locale)));
  }

  void period(const std::string& path, const Period& p) {
    if (p.length.count() < 0)
      add(path, fmt::format("expected {} (zero or more), got a negative duration {}", duration_hint,
                            quote_text(to_string(p))));
  }

  void pipelines() {
    std::map<std::string, std::size_t> ids;
    for (std::size_t i = 0; i < e_.pipelines.size(); ++i) {
      const auto& p = e_.pipelines[i];
      const auto base = child("/pipelines", i);
      if (p.id.empty()) {
        add(child(base, "id"), "expected a pipeline id, got \"\"");
      } else if (auto [it, fresh] = ids.emplace(p.id, i); !fresh) {
        add(child(base, "id"), fmt::format("duplicate pipeline id \"{}\" (also /pipelines/{}/id)", p.id, it->second));
      }
      std::map<std::string, std::size_t> stage_ids;
      bool won = false, lost = false;
      for (std::size_t j = 0; j < p.stages.size(); ++j) {
        const auto& s = p.stages[j];
        const auto sp = child(child(base, "stages"), j);
        if (s.id.empty()) {
          add(child(sp, "id"), "expected a stage id, got \"\"");
        } else if (auto [it, fresh] = stage_ids.emplace(s.id, j); !fresh) {
          add(child(sp, "id"), fmt::format("duplicate stage id \"{}\" (also {}/stages/{}/id)", s.id, base, it->second));
        }
        if (s.limit) {
          if (s.kind != StageKind::open)
            add(child(sp, "limit"), fmt::format("stage \"{}\" is terminal (kind \"{}\"): a terminal stage cannot have a "
                                                "time limit; remove \"limit\" or make it an open stage",
                                                s.id, enum_name(s.kind)));
          else if (s.limit->length.count() == 0)
            add(child(sp, "limit"), fmt::format("expected a time limit above zero for stage \"{}\" (leave \"limit\" "
                                                "out for no limit), got \"{}\"",
                                                s.id, to_string(*s.limit)));
          else
            period(child(sp, "limit"), *s.limit);
        }
        if (s.probability && !(*s.probability >= 0.0 && *s.probability <= 1.0))
          add(child(sp, "probability"), fmt::format("expected a probability from 0 to 1, got {}", *s.probability));
        won = won || s.kind == StageKind::won;
        lost = lost || s.kind == StageKind::lost;
      }
      if (!won || !lost)
        add(child(base, "stages"), fmt::format("expected a stage of kind \"won\" and one of kind \"lost\"; pipeline "
                                               "\"{}\" has {}",
                                               p.id, !won && !lost ? "neither" : won ? "no \"lost\" stage" : "no \"won\" stage"));
    }
  }

  std::vector<std::string> pipeline_ids() const {
    std::vector<std::string> v;
    for (const auto& p : e_.pipelines) v.push_back(p.id);
    return v;
  }

  void names(const std::string& path, const std::vector<std::string>& v, std::string_view what) {
    for (std::size_t i = 0; i < v.size(); ++i)
      if (v[i].empty()) add(child(path, i), fmt::format("expected a {} name, got \"\"", what));
  }

  void scope(const std::string& path, const Scope& s, std::string_view kind, AssistantFeed feed) {
    names(child(path, "segments"), s.segments, "segment");
    names(child(path, "labels"), s.labels, "label");
    names(child(path, "except_labels"), s.except_labels, "label");
    for (std::size_t i = 0; i < s.except_labels.size(); ++i)
      for (const auto& l : s.labels)
        if (!l.empty() && l == s.except_labels[i])
          add(child(child(path, "except_labels"), i),
              fmt::format("label \"{}\" is both required and excluded, so the scope matches no client", l));
    if (s.pipelines.empty()) return;
    if (feed != AssistantFeed::deals) {
      add(child(path, "pipelines"), fmt::format("only deal assistants (dead_deal, stage_sla, no_next_step) filter by "
                                                "pipeline; a {} assistant would ignore it",
                                                kind));
      return;
    }
    const auto known = pipeline_ids();
    for (std::size_t i = 0; i < s.pipelines.size(); ++i) {
      const auto& p = s.pipelines[i];
      if (std::find(known.begin(), known.end(), p) != known.end()) continue;
      add(child(child(path, "pipelines"), i), unknown_pipeline(p, known));
    }
  }

  static std::string unknown_pipeline(const std::string& p, const std::vector<std::string>& known) {
    return fmt::format("no pipeline \"{}\" in /pipelines{}{}", p,
                       known.empty() ? std::string(" (none defined)") : fmt::format(" (defined: {})", quoted_list(known)),
                       did_you_mean(p, known));
  }

  std::set<std::string> template_ids() const {
    std::set<std::string> s;
    for (const auto& [id, t] : e_.templates) s.insert(id);
    return s;
  }

  void text(const std::string& path, const std::string& t, std::string_view locale) {
    if (auto why = text_problem(t, locale); !why.empty()) add(path, why);
  }
  void text(const std::string& path, const std::string& t) { text(path, t, e_.default_locale); }

  void ladder(const std::string& path, const Ladder& l, std::string_view kind, AssistantFeed feed) {
    const auto defined = template_ids();
    std::map<std::string, std::size_t> ids;
    for (std::size_t i = 0; i < l.size(); ++i) {
      const auto& s = l[i];
      const auto sp = child(path, i);
      if (s.id.empty()) {
        add(child(sp, "id"), "expected a step id, got \"\"");
      } else if (auto [it, fresh] = ids.emplace(s.id, i); !fresh) {
        add(child(sp, "id"), fmt::format("duplicate step id \"{}\" (also {}/{}/id)", s.id, path, it->second));
      }
      if (auto why = key_part_problem(s.id); !why.empty()) add(child(sp, "id"), why);
      period(child(sp, "after"), s.after);
      period(child(sp, "due_in"), s.due_in);
      if (s.share) {
        if (kind != "stage_sla")
          add(child(sp, "share"), fmt::format("only stage_sla steps fire at a share of a limit; a {} step fires "
                                              "\"after\" a delay",
                                              kind));
        else if (!(*s.share > 0.0 && *s.share <= 10.0))
          add(child(sp, "share"), fmt::format("expected a share of the stage's limit above 0 and at most 10 (1 = the "
                                              "limit), got {}",
                                              *s.share));
      }
      if (s.level < 1)
        add(child(sp, "level"), fmt::format("expected a supervisor level of 1 or more (2 = the supervisor's "
                                            "supervisor), got {}",
                                            s.level));
      if (s.target == Target::manager && s.manager_id <= 0)
        add(child(sp, "manager"), "expected the id of the manager this step addresses (target \"manager\")");
      if (s.target != Target::manager && s.manager_id != 0)
        add(child(sp, "manager"), fmt::format("a manager id only goes with target \"manager\"; this step's target is "
                                              "\"{}\"",
                                              enum_name(s.target)));
      if (s.action == StepAction::task && s.target == Target::client)
        add(child(sp, "target"), "a task is for a manager: expected target \"owner\", \"supervisor\", \"assignee\" or "
                                 "\"manager\", got \"client\"");
      if (s.action == StepAction::close_lost && feed != AssistantFeed::deals)
        add(child(sp, "action"), fmt::format("\"close_lost\" closes deals; a {} assistant's findings are not deals",
                                             kind));
      if (!s.reason.empty() && s.action != StepAction::close_lost)
        add(child(sp, "reason"), fmt::format("a loss reason only goes with action \"close_lost\"; this step's action "
                                             "is \"{}\"",
                                             enum_name(s.action)));
      if (s.action != StepAction::notify) {
        if (!s.template_id.empty())
          add(child(sp, "template"), fmt::format("only notify steps send a message; a \"{}\" step would ignore it",
                                                 enum_name(s.action)));
        if (s.channel != LadderStep{}.channel)
          add(child(sp, "channel"), fmt::format("only notify steps send a message; a \"{}\" step would ignore it",
                                                enum_name(s.action)));
      } else if (!s.template_id.empty() && !defined.count(s.template_id) &&
                 !builtin_template_ids().count(s.template_id)) {
        std::vector<std::string> all(defined.begin(), defined.end());
        std::set<std::string> near(defined);
        near.insert(builtin_template_ids().begin(), builtin_template_ids().end());
        add(child(sp, "template"),
            fmt::format("no template \"{}\" in /templates{}{}", s.template_id,
                        all.empty() ? std::string(" (none defined)") : fmt::format(" (defined: {})", quoted_list(all)),
                        did_you_mean(s.template_id, near)));
      }
      if (!s.title.empty()) {
        if (s.action == StepAction::task || s.action == StepAction::reassign)
          text(child(sp, "title"), s.title);
        else
          add(child(sp, "title"), fmt::format("only task and reassign steps create a task; a \"{}\" step would "
                                              "ignore its title",
                                              enum_name(s.action)));
      }
    }
  }

  void assistants() {
    std::map<std::string, std::string> ids;  // id -> path of its first use
    std::vector<std::string> forgotten_ids;
    for (const auto& f : e_.forgotten) forgotten_ids.push_back(f.id);
    for_each_assistant_list(e_, [&](std::string_view kind, AssistantFeed feed, const auto& list) {
      using C = typename std::decay_t<decltype(list)>::value_type;
      for (std::size_t i = 0; i < list.size(); ++i) {
        const C& a = list[i];
        const auto base = child(child("/assistants", kind), i);
        if (a.id.empty()) {
          add(child(base, "id"), "expected an assistant id, got \"\"");
        } else if (auto [it, fresh] = ids.emplace(a.id, child(base, "id")); !fresh) {
          add(child(base, "id"), fmt::format("duplicate assistant id \"{}\" (also {}); every assistant needs its own "
                                             "id",
                                             a.id, it->second));
        }
        if (auto why = key_part_problem(a.id); !why.empty()) add(child(base, "id"), why);
        scope(child(base, "scope"), a.scope, kind, feed);
        ladder(child(base, "ladder"), a.ladder, kind, feed);
        specific(base, a, forgotten_ids);
      }
    });
  }

  void specific(const std::string& base, const ForgottenConfig& a, const std::vector<std::string>&) {
    period(child(base, "after"), a.after);
  }
  void specific(const std::string& base, const ReleaseConfig& a, const std::vector<std::string>& forgotten) {
    period(child(base, "grace"), a.grace);
    if (std::find(forgotten.begin(), forgotten.end(), a.forgotten) == forgotten.end())
      add(child(base, "forgotten"),
          fmt::format("no forgotten assistant with id \"{}\" in /assistants/forgotten{}{}; a release only ever "
                      "follows forgetting",
                      a.forgotten,
                      forgotten.empty() ? std::string(" (none defined)")
                                        : fmt::format(" (defined: {})", quoted_list(forgotten)),
                      did_you_mean(a.forgotten, forgotten)));
    if (a.policy.max_new_per_run < 0)
      add(child(child(base, "policy"), "max_new_per_run"),
          fmt::format("expected 0 (no cap) or more, got {}", a.policy.max_new_per_run));
  }
  void specific(const std::string& base, const ChurnedConfig& a, const std::vector<std::string>&) {
    period(child(base, "idle"), a.idle);
    if (a.min_orders < 1) add(child(base, "min_orders"), fmt::format("expected 1 or more orders, got {}", a.min_orders));
    if (!(a.factor >= 0.0) || !std::isfinite(a.factor))
      add(child(base, "factor"), fmt::format("expected 0 (off) or a positive factor of the median interval, got {}",
                                             a.factor));
    if (!a.won_deals && !a.paid_invoices)
      add(base, "neither won_deals nor paid_invoices counts as an order, so no client can churn; set one of them");
  }
  void specific(const std::string& base, const UnpaidConfig& a, const std::vector<std::string>&) {
    period(child(base, "after"), a.after);
  }
  void specific(const std::string& base, const DebtorConfig& a, const std::vector<std::string>&) {
    period(child(base, "grace"), a.grace);
  }
  void specific(const std::string& base, const DeadDealConfig& a, const std::vector<std::string>&) {
    period(child(base, "max_age"), a.max_age);
    const auto known = pipeline_ids();
    for (const auto& [p, limit] : a.per_pipeline) {
      const auto path = child(child(base, "per_pipeline"), p);
      if (std::find(known.begin(), known.end(), p) == known.end()) add(path, unknown_pipeline(p, known));
      period(path, limit);
    }
  }
  void specific(const std::string& base, const StageSlaConfig& a, const std::vector<std::string>&) {
    names(child(base, "pause_on"), a.pause_on, "hold reason");
  }
  void specific(const std::string& base, const NoNextStepConfig& a, const std::vector<std::string>&) {
    period(child(base, "grace"), a.grace);
  }
  void specific(const std::string& base, const NeglectedTaskConfig& a, const std::vector<std::string>&) {
    period(child(base, "grace"), a.grace);
  }

  void templates() {
    for (const auto& [id, locales] : e_.templates) {
      const auto base = child("/templates", id);
      if (id.empty()) add(base, "expected a template id, got \"\"");
      for (const auto& [loc, t] : locales) {
        const auto lp = child(base, loc);
        if (!locale_ok(loc)) {
          add(lp, fmt::format("expected a locale like \"en\" or \"pt-BR\", got {}", quote_text(loc)));
          continue;
        }
        text(child(lp, "subject"), t.subject, loc);
        text(child(lp, "body"), t.body, loc);
      }
      if (!locales.count(e_.default_locale))
        add(base, fmt::format("no text for the default locale \"{}\"; add \"{}\": {{\"subject\": ..., \"body\": ...}}",
                              e_.default_locale, e_.default_locale));
    }
  }

  /// " (did you mean \"client.segment\"?)" for a misspelt field of a client, deal or task.
  static std::string field_hint(std::string_view field) {
    const auto hint = [&](std::string_view prefix, const auto& names) -> std::string {
      if (field.compare(0, prefix.size(), prefix) != 0) return {};
      const auto near = closest(field.substr(prefix.size()), names);
      return near.empty() ? std::string{} : fmt::format(" (did you mean \"{}{}\"?)", prefix, near);
    };
    if (auto h = hint("client.", nudge::detail::client_fields); !h.empty()) return h;
    if (auto h = hint("deal.", nudge::detail::deal_fields); !h.empty()) return h;
    return hint("task.", nudge::detail::task_fields);
  }

  /// The problems of a condition; `depth` counts nesting (the loader refuses deeper trees).
  void condition(const std::string& path, const Condition& c, int depth) {
    if (depth > max_condition_depth) return add(path, fmt::format("conditions nest deeper than {}", max_condition_depth));
    switch (c.kind) {
      case Condition::Kind::all:
      case Condition::Kind::any: {
        const auto lp = child(path, c.kind == Condition::Kind::all ? "all" : "any");
        for (std::size_t i = 0; i < c.items.size(); ++i) condition(child(lp, i), c.items[i], depth + 1);
        break;
      }
      case Condition::Kind::negate:
        if (c.items.size() != 1)
          add(child(path, "not"), fmt::format("expected exactly one condition, got {}", c.items.size()));
        else
          condition(child(path, "not"), c.items.front(), depth + 1);
        break;
      case Condition::Kind::changed:
        if (c.field.empty()) add(child(path, "changed"), "expected the name of a changed field, like \"stage\"");
        break;
      case Condition::Kind::compare:
        if (auto why = nudge::detail::check_field(c.field); !why.empty()) add(child(path, "field"), why + field_hint(c.field));
        if (c.op == CompareOp::in ? c.values.empty() : c.values.size() != 1)
          add(child(path, "value"), fmt::format("operator \"{}\" takes {}, got {} value{}", enum_name(c.op),
                                                c.op == CompareOp::in ? "a list of values" : "one value",
                                                c.values.size(), c.values.size() == 1 ? "" : "s"));
        break;
    }
  }

  void event_rules() {
    std::map<std::string, std::size_t> ids;
    const auto defined = template_ids();
    const std::vector<std::string> known(defined.begin(), defined.end());
    for (std::size_t i = 0; i < c_.event_rules.size(); ++i) {
      const auto& r = c_.event_rules[i];
      const auto base = child("/event_rules", i);
      if (r.id.empty()) {
        add(child(base, "id"), "expected an event rule id, got \"\"");
      } else if (auto [it, fresh] = ids.emplace(r.id, i); !fresh) {
        add(child(base, "id"), fmt::format("duplicate event rule id \"{}\" (also /event_rules/{}/id)", r.id, it->second));
      }
      if (auto why = key_part_problem(r.id); !why.empty()) add(child(base, "id"), why);
      if (r.on.empty()) add(child(base, "on"), "expected an event kind like \"call.missed\" or \"deal.stage_changed\", got \"\"");
      condition(child(base, "when"), r.when, 1);
      period(child(base, "within"), r.within);
      if (r.debounce.count() < 0)
        add(child(base, "debounce"), fmt::format("expected {} (zero or more), got a negative duration {}", duration_hint,
                                                 quote_text(to_string(Period{r.debounce}))));
      if (r.actions.empty()) add(child(base, "actions"), "expected at least one action");
      for (std::size_t k = 0; k < r.actions.size(); ++k) event_action(child(child(base, "actions"), k), r.actions[k], known);
    }
  }

  void event_action(const std::string& path, const EventAction& a, const std::vector<std::string>& templates) {
    const EventAction d;
    const auto action = enum_name(a.action);
    if (a.target == Target::manager && a.manager_id <= 0)
      add(child(path, "manager"), "expected the id of the manager this action addresses (target \"manager\")");
    if (a.target != Target::manager && a.manager_id != 0)
      add(child(path, "manager"), fmt::format("a manager id only goes with target \"manager\"; this action's target is "
                                              "\"{}\"",
                                              enum_name(a.target)));
    if (a.level < 1)
      add(child(path, "level"), fmt::format("expected a supervisor level of 1 or more (2 = the supervisor's "
                                            "supervisor), got {}",
                                            a.level));
    const auto ignored = [&](std::string_view key, std::string_view what) {
      add(child(path, key), fmt::format("{}; a \"{}\" action would ignore it", what, action));
    };
    if (a.action != EventActionKind::notify) {
      if (!a.template_id.empty()) ignored("template", "only notify actions send a message");
      if (a.channel != d.channel) ignored("channel", "only notify actions send a message");
    }
    if (a.action != EventActionKind::label && !a.label.empty()) ignored("label", "only label actions set a label");
    switch (a.action) {
      case EventActionKind::notify: {
        if (!a.title.empty()) ignored("title", "only task and label actions have a title or note");
        const auto tp = child(path, "template");
        if (a.template_id.empty()) {
          add(tp, "expected the id of the message's template");
        } else if (a.template_id.find("{stage}") != std::string::npos) {
          // "deal_stage.{stage}": one template per stage, looked up when the event comes.
          std::string rest = a.template_id;
          for (auto at = rest.find("{stage}"); at != std::string::npos; at = rest.find("{stage}")) rest.erase(at, 7);
          if (rest.find_first_of("{}") != std::string::npos)
            add(tp, fmt::format("only {{stage}} may vary in a template id, got {}", quote_text(a.template_id)));
        } else if (a.template_id.find_first_of("{}") != std::string::npos) {
          add(tp, fmt::format("only {{stage}} may vary in a template id, got {}", quote_text(a.template_id)));
        } else if (!e_.templates.count(a.template_id)) {
          add(tp, fmt::format("no template \"{}\" in /templates{}{}", a.template_id,
                              templates.empty() ? std::string(" (none defined)")
                                                : fmt::format(" (defined: {})", quoted_list(templates)),
                              did_you_mean(a.template_id, templates)));
        }
        break;
      }
      case EventActionKind::task:
        if (a.target == Target::client)
          add(child(path, "target"), "a task is for a manager: expected target \"owner\", \"supervisor\", "
                                     "\"assignee\" or \"manager\", got \"client\"");
        if (a.title.empty())
          add(child(path, "title"), "expected the task's title, like \"Call {client} back\"");
        else
          text(child(path, "title"), a.title);
        break;
      case EventActionKind::label:
        if (a.label.empty()) add(child(path, "label"), "expected the label to set, like \"called_back\"");
        text(child(path, "title"), a.title);
        break;
    }
  }

  void quiet_hours() {
    for (const auto& [ch, q] : c_.quiet_hours) {
      const auto base = child("/quiet_hours", enum_name(ch));
      const auto day = std::chrono::minutes{24 * 60};
      if (q.from.count() < 0 || q.from > day) add(child(base, "from"), "expected a time of day from 00:00 to 24:00");
      if (q.to.count() < 0 || q.to > day) add(child(base, "to"), "expected a time of day from 00:00 to 24:00");
      if (q.from == q.to)
        add(base, fmt::format("\"from\" and \"to\" are both {}: expected a span like {{\"from\": \"21:00\", \"to\": "
                              "\"09:00\"}}",
                              clock_time_text(q.from)));
    }
  }

  void options() {
    if (e_.options.late_after.count() < 0)
      add("/options/late_after", fmt::format("expected {} (zero or more), got a negative duration {}", duration_hint,
                                             quote_text(to_string(Period{e_.options.late_after}))));
    if (e_.options.batch < 1) add("/options/batch", "expected a batch size of 1 or more, got 0");
  }

  const LoadedConfig& c_;
  const EngineConfig& e_;
  std::vector<ConfigIssue> out_;
};

}  // namespace detail

/// Every problem of a configuration, in the file's order (empty when it is
/// fine): ranges (shares in (0, 10], supervisor levels >= 1, no negative
/// durations), unique ids (pipelines, stages, assistants across all lists,
/// ladder steps, event rules), references (a release's forgotten assistant,
/// templates named by steps and event actions, pipelines named by scopes and
/// by dead_deal overrides), pipeline shape (won and lost terminals, no limit
/// on a terminal stage), message texts (placeholders, plural forms, a text in
/// the default locale), event conditions (known fields, operators with the
/// right values), and steps or actions whose fields would be ignored. What
/// validates, Engine and EventEngine accept.
///
/// Paths are those of the file format (`/assistants/release/0/forgotten`).
///
/// @code
/// for (const auto& i : nudge::validate(cfg)) std::cerr << i.text() << '\n';
/// @endcode
inline std::vector<ConfigIssue> validate(const LoadedConfig& c) { return detail::Validator(c).run(); }

/// The checks that need the managers (kept in storage, not in the
/// configuration): every segment a scope names is served by an active manager
/// (Manager::serves, "*" serves all), and every step addressed to a fixed
/// manager (a ladder step or an event action) names an active one.
///
/// @code
/// auto issues = nudge::validate_against(cfg, store.managers());
/// @endcode
inline std::vector<ConfigIssue> validate_against(const LoadedConfig& c, const std::vector<Manager>& managers) {
  using namespace detail;
  std::vector<ConfigIssue> out;
  std::vector<std::string> served;
  for (const auto& m : managers)
    if (m.active)
      for (const auto& s : m.segments)
        if (std::find(served.begin(), served.end(), s) == served.end()) served.push_back(s);
  const auto check_manager = [&](std::string path, std::int64_t id) {
    const auto it = std::find_if(managers.begin(), managers.end(), [&](const Manager& m) { return m.id.value() == id; });
    if (it == managers.end())
      out.push_back({std::move(path), fmt::format("no manager with id {}", id)});
    else if (!it->active)
      out.push_back({std::move(path), fmt::format("manager {} ({}) is not active", id, it->name)});
  };
  for_each_assistant_list(c.engine, [&](std::string_view kind, AssistantFeed, const auto& list) {
    for (std::size_t i = 0; i < list.size(); ++i) {
      const auto base = child(child("/assistants", kind), i);
      const auto& segs = list[i].scope.segments;
      for (std::size_t k = 0; k < segs.size(); ++k) {
        const bool ok = std::any_of(managers.begin(), managers.end(),
                                    [&](const Manager& m) { return m.active && m.serves(segs[k]); });
        if (!ok)
          out.push_back({child(child(child(base, "scope"), "segments"), k),
                         fmt::format("no active manager serves segment \"{}\"{}{}", segs[k],
                                     served.empty() ? std::string(" (there are no active managers)")
                                                    : fmt::format(" (served: {})", quoted_list(served)),
                                     did_you_mean(segs[k], served))});
      }
      const auto& ladder = list[i].ladder;
      for (std::size_t k = 0; k < ladder.size(); ++k) {
        const auto& s = ladder[k];
        if (s.target == Target::manager && s.manager_id > 0)
          check_manager(child(child(child(base, "ladder"), k), "manager"), s.manager_id);
      }
    }
  });
  for (std::size_t i = 0; i < c.event_rules.size(); ++i)
    for (std::size_t k = 0; k < c.event_rules[i].actions.size(); ++k) {
      const auto& a = c.event_rules[i].actions[k];
      if (a.target == Target::manager && a.manager_id > 0)
        check_manager(child(child(child(child("/event_rules", i), "actions"), k), "manager"), a.manager_id);
    }
  return out;
}

}  // namespace nudge
