#pragma once
/// @file
/// The event engine: runs event rules (rules/event_rules.hpp) on one event at a
/// time. Like the Engine it plans first (a dry run that says what would happen
/// and why) and then applies the plan in one unit of work, exactly once per
/// action key -- and the keys derive from the event's id, so an event the host
/// delivers twice acts once.

#include <algorithm>
#include <deque>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include <nudge/engine/apply.hpp>
#include <nudge/engine/config.hpp>
#include <nudge/engine/plan.hpp>
#include <nudge/error.hpp>
#include <nudge/notify/quiet_hours.hpp>
#include <nudge/notify/templates.hpp>
#include <nudge/rules/event_rules.hpp>
#include <nudge/storage/storage.hpp>

namespace nudge {

/// How far effects feed back.
struct EventOptions {
  /// An action that causes an event (a task created, a label set) feeds it back
  /// to the rules; effects of effects are followed at most this deep (the
  /// host's event is depth 0). Deeper ones are dropped with a note.
  int max_depth = 4;
  friend bool operator==(const EventOptions&, const EventOptions&) = default;
};

/// What EventEngine::on did: the plan (findings, actions, notes such as a loop
/// guard or a debounce) and what applying it changed.
struct EventResult {
  Plan plan;
  ApplyResult applied;
};

/// Runs event rules.
///
/// For an event, every enabled rule whose `on` names the event's kind and whose
/// condition holds fires: its actions become Actions keyed
/// `event/<event id>/<rule id>/<action index>`. Actions that cause events
/// (a task: task.created; a label: client.labeled) feed those back to the rules
/// in the same plan, with `caused_by` naming the rules behind them:
/// - loop guard: a rule never reacts to an event it caused itself, directly or
///   further down the chain (a note says so);
/// - depth: effects are followed `max_depth` levels deep;
/// - debounce: a rule with a debounce window fires at most once per client in
///   that window (counting what earlier events applied, from the audit log);
///   the others leave a note.
///
/// Messages are rendered from the EngineConfig's templates in the client's
/// locale (managers: the default locale); tasks fall due `within` after the
/// event on the EngineConfig's calendar.
///
/// Thread-safety: plan() and apply() are const; the engine holds no mutable state.
///
/// @code
/// nudge::EventRule missed;
/// missed.id = "missed_call";
/// missed.on = "call.missed";
/// missed.within = nudge::Period::hours(2);
/// missed.actions = {{.action = nudge::EventActionKind::notify, .target = nudge::Target::client,
///                    .channel = nudge::Channel::sms, .template_id = "missed_call"},
///                   {.action = nudge::EventActionKind::task, .target = nudge::Target::owner,
///                    .title = "Call {client} back"}};
/// nudge::EventEngine events{{missed}, config};
/// auto r = events.on(store, nudge::Event::missed_call("pbx-4711", nudge::ClientId{42}, now));
/// @endcode
class EventEngine {
public:
  /// @throws configuration_error listing every problem of the rules and templates.
  explicit EventEngine(std::vector<EventRule> rules, EngineConfig config = {}, EventOptions options = {})
      : rules_(std::move(rules)), config_(std::move(config)), options_(options) {
    check_templates(config_.templates, config_.default_locale);
    std::vector<std::string> ps;
    std::set<std::string> ids;
    for (std::size_t i = 0; i < rules_.size(); ++i) problems(rules_[i], ps, ids);
    if (options_.max_depth < 0) ps.push_back("event options: max_depth: must be >= 0");
    if (ps.empty()) return;
    std::string msg;
    for (const auto& p : ps) msg += (msg.empty() ? "" : "\n") + p;
    throw configuration_error(msg);
  }

  [[nodiscard]] const std::vector<EventRule>& rules() const { return rules_; }
  [[nodiscard]] const EngineConfig& config() const { return config_; }

  /// What the rules would do about `e`, and why. Never writes.
  /// @throws invalid_argument for an event without id, kind or client.
  [[nodiscard]] Plan plan(const Storage& store, const Event& e) const;

  /// Carries a plan out in one unit of work: each action whose key was not
  /// applied before, with an audit record (about the client). All or nothing.
  ApplyResult apply(const Plan& plan, Storage& store) const {
    return detail::apply_actions(plan, store, [](const Action& a) { return a.due; });
  }

  /// plan + apply.
  EventResult on(Storage& store, const Event& e) const {
    EventResult r{plan(store, e), {}};
    r.applied = apply(r.plan, store);
    return r;
  }

private:
  void problems(const EventRule& r, std::vector<std::string>& out, std::set<std::string>& ids) const {
    const auto where = fmt::format("event rule '{}'", r.id);
    auto add = [&](std::string what) { out.push_back(where + " " + std::move(what)); };
    if (r.id.empty()) add("id: must not be empty");
    else if (!ids.insert(r.id).second) add("id: duplicate");
    if (r.on.empty()) add("on: must name an event kind, like \"call.missed\"");
    if (r.within.length.count() < 0) add("within: must not be negative");
    if (r.debounce.count() < 0) add("debounce: must not be negative");
    if (r.actions.empty()) add("actions: a rule needs at least one action");
    std::vector<std::string> cond;
    condition_problems(r.when, "when", cond);
    for (auto& c : cond) add(std::move(c));
    for (std::size_t i = 0; i < r.actions.size(); ++i) {
      const auto& a = r.actions[i];
      const auto at = fmt::format("actions[{}]", i);
      if (a.target == Target::manager && a.manager_id <= 0) add(at + ".manager: a manager target needs a manager id");
      if (a.target == Target::supervisor && a.level < 1) add(at + ".level: must be >= 1");
      auto text = [&](const std::string& t, const char* field) {
        if (auto why = check_placeholder_names(t); !why.empty()) return add(fmt::format("{}.{}: {}", at, field, why));
        try {
          (void)render_text(t, config_.default_locale, TemplateArgs{});
        } catch (const fmt::format_error& e) {
          add(fmt::format("{}.{}: {}", at, field, e.what()));
        }
      };
      switch (a.action) {
        case EventActionKind::notify: {
          if (a.template_id.empty()) {
            add(at + ".template: a notify action needs a template id");
            break;
          }
          const bool per_stage = a.template_id.find("{stage}") != std::string::npos;
          if (!per_stage && a.template_id.find('{') != std::string::npos)
            add(fmt::format("{}.template: '{}': only {{stage}} may vary in a template id", at, a.template_id));
          else if (!per_stage && !config_.templates.count(a.template_id))
            add(fmt::format("{}.template: no template '{}' in the configuration", at, a.template_id));
          break;
        }
        case EventActionKind::task:
          if (a.target == Target::client) add(at + ".target: a task goes to a manager, not to the client");
          if (a.title.empty()) add(at + ".title: a task needs a title");
          else text(a.title, "title");
          break;
        case EventActionKind::label:
          if (a.label.empty()) add(at + ".label: must not be empty");
          text(a.title, "note");
          break;
      }
    }
  }

  std::vector<EventRule> rules_;
  EngineConfig config_;
  EventOptions options_;
};

namespace detail {

/// The state of one event plan: overlay copies of the clients the actions touch.
class EventPlanner {
public:
  EventPlanner(const std::vector<EventRule>& rules, const EngineConfig& config, const EventOptions& options,
               const Storage& store)
      : rules_(rules), config_(config), options_(options), store_(store) {}

  Plan run(const Event& root) {
    if (root.id.empty()) throw invalid_argument("event: id: must not be empty (actions are keyed by it)");
    if (root.kind.empty()) throw invalid_argument(fmt::format("event '{}': kind: must not be empty", root.id));
    if (!root.client.valid()) throw invalid_argument(fmt::format("event '{}': client: must name a client", root.id));
    plan_.now = root.at;
    std::deque<std::pair<Event, int>> queue{{root, 0}};
    while (!queue.empty()) {
      auto [e, depth] = std::move(queue.front());
      queue.pop_front();
      process(e, depth, queue);
    }
    return std::move(plan_);
  }

private:
  const Client* client(ClientId id) {
    auto it = clients_.find(id);
    if (it == clients_.end()) {
      auto c = store_.find_client(id);
      if (!c) return nullptr;
      it = clients_.emplace(id, std::move(*c)).first;
    }
    return &it->second;
  }
  const Manager* manager(ManagerId id) {
    auto it = managers_.find(id);
    if (it == managers_.end()) {
      auto m = store_.find_manager(id);
      if (!m) return nullptr;
      it = managers_.emplace(id, std::move(*m)).first;
    }
    return &it->second;
  }
  std::string manager_name(ManagerId id) {
    const auto* m = manager(id);
    return m ? m->name : fmt::format("manager {}", id.value());
  }

  /// The last time a rule fired for a client: in this plan, or as audited by earlier events.
  std::optional<Instant> last_fired(const EventRule& r, ClientId c, Instant at, const std::string& own_prefix) {
    std::optional<Instant> best;
    auto consider = [&](Instant t) {
      if (!best || (t > at ? t - at : at - t) < (*best > at ? *best - at : at - *best)) best = t;
    };
    if (auto it = fired_.find({r.id, c}); it != fired_.end()) consider(it->second);
    for (const auto& rec : store_.audit_log(SubjectRef::of(c)))
      if (rec.rule == r.id && rec.action_key.rfind("event/", 0) == 0 && rec.action_key.rfind(own_prefix, 0) != 0)
        consider(rec.at);
    return best;
  }

  void process(const Event& e, int depth, std::deque<std::pair<Event, int>>& queue) {
    if (depth > options_.max_depth) {
      plan_.notes.push_back(fmt::format("event '{}' ({}): not followed, {} levels of effects deep (max_depth {})", e.id,
                                        e.kind, depth, options_.max_depth));
      return;
    }
    const Client* c = client(e.client);
    if (!c) {
      plan_.notes.push_back(fmt::format("event '{}' ({}): unknown client {}; no rule ran", e.id, e.kind, e.client.value()));
      return;
    }
    std::optional<Deal> deal;
    if (e.deal) deal = store_.find_deal(*e.deal);
    std::optional<Task> task;
    if (e.task) task = store_.find_task(*e.task);

    for (const auto& r : rules_) {
      if (!r.enabled || r.on != e.kind) continue;
      if (std::find(e.caused_by.begin(), e.caused_by.end(), r.id) != e.caused_by.end()) {
        std::string chain;
        for (const auto& x : e.caused_by) chain += x + " -> ";
        plan_.notes.push_back(fmt::format("loop guard: rule '{}' not run on event '{}' ({}): the event is its own effect "
                                          "(chain {}{})",
                                          r.id, e.id, e.kind, chain, r.id));
        continue;
      }
      c = client(e.client);  // an earlier rule may have labelled it
      const EventFacts facts{&e, c, deal ? &*deal : nullptr, task ? &*task : nullptr};
      if (!holds(r.when, facts)) continue;
      const std::string base = fmt::format("event/{}/{}/", e.id, r.id);
      bool all_applied = true;
      for (std::size_t i = 0; i < r.actions.size() && all_applied; ++i)
        all_applied = store_.has_action(base + std::to_string(i));
      if (all_applied) continue;  // this event was applied before
      if (r.debounce.count() > 0) {
        if (auto last = last_fired(r, e.client, e.at, base); last && (*last > e.at ? *last - e.at : e.at - *last) < r.debounce) {
          plan_.notes.push_back(fmt::format("debounce: rule '{}' fired for client '{}' at {}, within {} of event '{}' at "
                                            "{}; nothing more",
                                            r.id, c->name, iso_instant(*last), to_string(Period{r.debounce}), e.id,
                                            iso_instant(e.at)));
          continue;
        }
      }
      fire(r, e, *c, deal ? &*deal : nullptr, task ? &*task : nullptr, base, depth, queue);
    }
  }

  void fire(const EventRule& r, const Event& e, const Client& c, const Deal* deal, const Task* task,
            const std::string& base, int depth, std::deque<std::pair<Event, int>>& queue) {
    const ManagerId owner = deal ? deal->owner : c.owner;
    Finding f;
    f.rule = r.id;
    f.subject = deal ? SubjectRef::of(deal->id) : task ? SubjectRef::of(task->id) : SubjectRef::of(c.id);
    f.client = c.id;
    f.owner = owner;
    f.episode = e.id;
    f.since = e.at;
    f.facts = {{"event", e.id}, {"event_kind", e.kind}, {"at", e.at}};
    std::string changes;
    for (const auto& [name, ch] : e.changes) {
      f.facts.push_back({name + "_from", ch.from});
      f.facts.push_back({name + "_to", ch.to});
      changes += fmt::format(", {} {} -> {}", name, ch.from.empty() ? "(none)" : ch.from, ch.to);
    }
    if (!e.caused_by.empty()) f.facts.push_back({"caused_by", e.caused_by.back()});
    f.summary = fmt::format("rule '{}' on {} '{}' of client '{}'{}", r.id, e.kind, e.id, c.name, changes);
    const std::size_t fi = plan_.findings.size();
    plan_.findings.push_back(f);
    fired_[{r.id, c.id}] = e.at;

    // Template arguments shared by the rule's actions.
    TemplateArgs args;
    args.client = c.name;
    args.owner = manager_name(owner);
    if (e.manager) args.manager = manager_name(*e.manager);
    else if (task) args.manager = manager_name(task->assignee);
    if (auto it = e.changes.find("stage"); it != e.changes.end()) {
      args.stage = it->second.to;
      args.from_stage = it->second.from;
    } else if (deal) {
      args.stage = deal->stage;
    }
    if (deal) args.deal = std::to_string(deal->id.value());
    args.summary = f.summary;
    args.rule = r.id;
    args.hours = r.within.length.count() / 3600;
    args.minutes = r.within.length.count() / 60;
    const Instant due = config_.calendar.advance(e.at, r.within);
    args.due = local_text(c, due);

    std::vector<std::string> chain = e.caused_by;
    chain.push_back(r.id);
    for (std::size_t i = 0; i < r.actions.size(); ++i) {
      const auto& x = r.actions[i];
      const std::string key = base + std::to_string(i);
      if (store_.has_action(key)) continue;
      Action a;
      a.key = key;
      a.rule = r.id;
      a.subject = SubjectRef::of(c.id);  // the client: debounce reads its audit log
      a.client = c.id;
      a.step = fmt::format("{}:{}", i, to_string(x.action));
      a.due = e.at;
      a.finding = fi;
      switch (x.action) {
        case EventActionKind::notify: notify(r, x, e, c, deal, task, owner, args, std::move(a)); break;
        case EventActionKind::task: {
          auto who = manager_target(r, x, e, task, owner);
          if (!who) break;
          TemplateArgs ta = args;
          ta.manager = manager_name(*who);
          Task t;
          t.client = c.id;
          if (deal) t.deal = deal->id;
          t.assignee = *who;
          t.title = render(x.title, config_.default_locale, ta, r.id);
          t.planned_start = e.at;
          t.due = due;
          t.created = e.at;
          t.origin = key;
          a.kind = ActionKind::create_task;
          a.to = *who;
          a.explanation = fmt::format("task for {}: \"{}\", due {}", manager_name(*who), t.title, iso_instant(t.due));
          a.task = t;
          plan_.actions.push_back(std::move(a));
          Event next{key, std::string(event_kind::task_created), e.at, c.id, t.deal, {}, *who, {}, {}, chain};
          next.fields["title"] = t.title;
          queue.emplace_back(std::move(next), depth + 1);
          break;
        }
        case EventActionKind::label: {
          a.kind = ActionKind::set_label;
          a.label = x.label;
          a.note = render(x.title, config_.default_locale, args, r.id);
          a.explanation = fmt::format("label client '{}' '{}'{}", c.name, a.label,
                                      a.note.empty() ? std::string{} : fmt::format(" ({})", a.note));
          clients_.at(c.id).labels[a.label] = a.note;
          plan_.actions.push_back(std::move(a));
          Event next{key, std::string(event_kind::client_labeled), e.at, c.id, e.deal, {}, {}, {}, {}, chain};
          next.fields["label"] = x.label;
          queue.emplace_back(std::move(next), depth + 1);
          break;
        }
      }
    }
  }

  std::optional<ManagerId> manager_target(const EventRule& r, const EventAction& x, const Event& e, const Task* task,
                                          ManagerId owner) {
    std::optional<ManagerId> who;
    switch (x.target) {
      case Target::owner: who = owner; break;
      case Target::assignee:
        if (e.manager) who = *e.manager;
        else if (task) who = task->assignee;
        break;
      case Target::manager: who = ManagerId{x.manager_id}; break;
      case Target::supervisor: {
        ManagerId cur = owner;
        for (int i = 0; i < x.level; ++i) {
          const auto* m = manager(cur);
          if (!m || !m->supervisor) {
            plan_.notes.push_back(fmt::format("rule '{}' on event '{}': {} has no supervisor at level {}", r.id, e.id,
                                              manager_name(owner), x.level));
            return std::nullopt;
          }
          cur = *m->supervisor;
        }
        who = cur;
        break;
      }
      case Target::client: return std::nullopt;
    }
    if (!who || !manager(*who)) {
      plan_.notes.push_back(fmt::format("rule '{}' on event '{}': no {} to address{}", r.id, e.id, to_string(x.target),
                                        who ? fmt::format(" (unknown manager {})", who->value()) : std::string{}));
      return std::nullopt;
    }
    return who;
  }

  void notify(const EventRule& r, const EventAction& x, const Event& e, const Client& c, const Deal* deal,
              const Task* task, ManagerId owner, const TemplateArgs& args, Action a) {
    Message m;
    m.key = a.key;
    m.channel = x.channel;
    m.created = e.at;
    TemplateArgs ta = args;
    std::string who;
    if (x.target == Target::client) {
      const std::string& addr = x.channel == Channel::sms || x.channel == Channel::messenger ? c.phone : c.email;
      if (addr.empty()) {
        plan_.notes.push_back(fmt::format("rule '{}' on event '{}': client '{}' has no {} for {}; nothing sent", r.id,
                                          e.id, c.name, x.channel == Channel::email ? "e-mail address" : "phone number",
                                          to_string(x.channel)));
        return;
      }
      m.to = Recipient{SubjectRef::of(c.id), addr, c.name};
      m.locale = c.locale.empty() ? config_.default_locale : c.locale.str();
      who = fmt::format("client '{}'", c.name);
    } else {
      auto id = manager_target(r, x, e, task, owner);
      if (!id) return;
      const Manager& mg = *manager(*id);
      m.to = Recipient{SubjectRef::of(*id), x.channel == Channel::sms ? mg.phone : mg.email, mg.name};
      m.locale = config_.default_locale;
      ta.manager = mg.name;
      a.to = *id;
      who = fmt::format("{} ({})", mg.name, to_string(x.target));
    }
    std::string id = x.template_id;
    for (auto p = id.find("{stage}"); p != std::string::npos; p = id.find("{stage}"))
      id.replace(p, 7, ta.stage.empty() && deal ? deal->stage : ta.stage);
    const auto tpl = find_template(config_.templates, id, m.locale, config_.default_locale);
    if (!tpl.text) {
      plan_.notes.push_back(fmt::format("rule '{}' on event '{}': no template '{}'; nothing sent", r.id, e.id, id));
      return;
    }
    m.template_id = id;
    m.locale = tpl.locale;
    m.subject = render(tpl.text->subject, m.locale, ta, r.id);
    m.body = render(tpl.text->body, m.locale, ta, r.id);
    a.kind = ActionKind::notify;
    a.explanation = fmt::format("{} to {}: {}", to_string(x.channel), who, m.subject.empty() ? m.body : m.subject);
    a.message = std::move(m);
    plan_.actions.push_back(std::move(a));
  }

  static std::string render(const std::string& text, std::string_view locale, const TemplateArgs& a,
                            const std::string& rule) {
    try {
      return render_text(text, locale, a);
    } catch (const fmt::format_error& e) {
      throw configuration_error(fmt::format("event rule '{}': text '{}': {}", rule, text, e.what()));
    }
  }

  /// "2026-03-10 14:30" in the client's zone (else the calendar's).
  std::string local_text(const Client& c, Instant t) const {
    std::string zone = c.time_zone.empty() ? config_.calendar.time_zone() : c.time_zone.str();
    date::local_seconds lt;
    try {
      lt = LocalClock(zone).local(t);
    } catch (const invalid_argument&) {
      lt = LocalClock(config_.calendar.time_zone()).local(t);
    }
    const auto day = std::chrono::floor<Days>(lt);
    const auto mins = std::chrono::floor<std::chrono::minutes>(lt - day).count();
    return fmt::format("{} {:02}:{:02}", iso_date(Date{day.time_since_epoch()}), mins / 60, mins % 60);
  }

  const std::vector<EventRule>& rules_;
  const EngineConfig& config_;
  const EventOptions& options_;
  const Storage& store_;
  Plan plan_;
  std::map<ClientId, Client> clients_;
  std::map<ManagerId, Manager> managers_;
  std::map<std::pair<std::string, ClientId>, Instant> fired_;
};

}  // namespace detail

inline Plan EventEngine::plan(const Storage& store, const Event& e) const {
  return detail::EventPlanner(rules_, config_, options_, store).run(e);
}

}  // namespace nudge
