#pragma once
/// @file
/// The engine: plan (a pure, deterministic dry run) and apply (one unit of
/// work, exactly once per action key, audited).

#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <span>
#include <unordered_map>
#include <unordered_set>

#include <nudge/engine/apply.hpp>
#include <nudge/engine/balance.hpp>
#include <nudge/engine/client_index.hpp>
#include <nudge/engine/config.hpp>
#include <nudge/engine/evaluate.hpp>
#include <nudge/engine/plan.hpp>
#include <nudge/progress.hpp>
#include <nudge/rules/assistant.hpp>
#include <nudge/storage/storage.hpp>

namespace nudge {

/// How Engine::plan runs.
struct PlanOptions {
  /// Threads that inspect the scanned subjects and walk the findings'
  /// ladders into actions (1 = the calling thread only). The plan does not
  /// depend on it: each thread takes a fixed slice of each batch or run of
  /// findings, and the slices' findings, actions and notes are joined in
  /// order. The managers that clients are handed to are picked first, on the
  /// calling thread in the findings' order (each hand-over changes the loads
  /// the next one picks by). Over a store without stable views (SQLite),
  /// the calling thread also asks which steps were applied, once per run
  /// (Storage::has_actions), before the run is walked. With more than one, the store's
  /// reads and the assistants' inspect and step_due run on several threads
  /// at once: MemoryStorage and SqliteStorage allow that; so must a host's
  /// storage and assistants.
  unsigned threads = 1;
  /// Hears about each batch scanned; returning false stops the plan (nudge::cancelled).
  ProgressFn progress;
};

/// Runs assistants over a store.
///
/// Thread-safety: plan() and apply() are const and may run concurrently on
/// different stores; the engine holds no mutable state.
///
/// @code
/// nudge::Engine engine{nudge::EngineConfig::defaults()};
/// auto plan = engine.plan(store, nudge::from_unix(1795305600));  // dry run: no side effects
/// std::cout << nudge::explain(plan);
/// auto done = engine.apply(plan, store);                        // exactly once per action key
/// @endcode
class Engine {
public:
  explicit Engine(EngineConfig config) : config_(std::move(config)) {
    check_templates(config_.templates, config_.default_locale);
    for (const auto& p : config_.pipelines) {
      p.validate();
      pipelines_.emplace(p.id, p);
    }
    std::map<std::string, const ForgottenConfig*> forgotten;
    for (const auto& c : config_.forgotten) forgotten.emplace(c.id, &c);
    for (const auto& c : config_.forgotten)
      if (c.enabled) add(std::make_shared<ForgottenAssistant>(c));
    for (const auto& c : config_.release) {
      if (!c.enabled) continue;
      auto it = forgotten.find(c.forgotten);
      if (it == forgotten.end())
        throw configuration_error(
            fmt::format("release '{}': forgotten: no forgotten assistant with id '{}'", c.id, c.forgotten));
      // Release only ever follows forgetting: with its forgotten assistant
      // switched off no client is forgotten, so none is released.
      if (!it->second->enabled) continue;
      add(std::make_shared<ReleaseAssistant>(c, *it->second));
    }
    for (const auto& c : config_.churned)
      if (c.enabled) add(std::make_shared<ChurnedAssistant>(c));
    for (const auto& c : config_.unpaid)
      if (c.enabled) add(std::make_shared<UnpaidAssistant>(c));
    for (const auto& c : config_.debtor)
      if (c.enabled) add(std::make_shared<DebtorAssistant>(c));
    for (const auto& c : config_.dead_deal)
      if (c.enabled) add(std::make_shared<DeadDealAssistant>(c));
    for (const auto& c : config_.stage_sla)
      if (c.enabled) add(std::make_shared<StageSlaAssistant>(c));
    for (const auto& c : config_.no_next_step)
      if (c.enabled) add(std::make_shared<NoNextStepAssistant>(c));
    for (const auto& c : config_.neglected_task)
      if (c.enabled) add(std::make_shared<NeglectedTaskAssistant>(c));
  }

  /// Adds an assistant (a host's own, or a built-in configured by hand).
  /// Ids must be unique; ladder step ids unique within the ladder.
  Engine& add(std::shared_ptr<const Assistant> a) {
    if (!a) throw invalid_argument("engine.add: assistant: must not be null");
    if (a->id().empty()) throw invalid_argument("engine.add: assistant id: must not be empty");
    for (const auto& b : assistants_)
      if (b->id() == a->id()) throw invalid_argument(fmt::format("engine.add: assistant id: duplicate '{}'", a->id()));
    std::set<std::string> steps;
    for (const auto& s : a->ladder())
      if (s.id.empty() || !steps.insert(s.id).second)
        throw invalid_argument(fmt::format("assistant '{}': ladder: step ids must be unique and non-empty ('{}')",
                                           a->id(), s.id));
    assistants_.push_back(std::move(a));
    return *this;
  }

  [[nodiscard]] const std::vector<std::shared_ptr<const Assistant>>& assistants() const { return assistants_; }
  [[nodiscard]] const EngineConfig& config() const { return config_; }

  /// Reads the store and returns what would happen at `now`, and why. Never writes.
  /// `progress` (optional) hears about each batch scanned and may stop the plan
  /// (it then throws nudge::cancelled).
  [[nodiscard]] Plan plan(const Storage& store, Instant now, const ProgressFn& progress = {}) const;
  /// plan() with options: on several threads (PlanOptions::threads), with
  /// the same plan on any number.
  [[nodiscard]] Plan plan(const Storage& store, Instant now, const PlanOptions& options) const;

  /// Carries a plan out in one unit of work: each action whose key was not
  /// applied before, with an audit record. All or nothing. `progress`
  /// (optional) hears stage "actions" every few thousand actions and once
  /// all are done, before the commit; returning false stops the apply (it
  /// throws nudge::cancelled) and nothing is written.
  ApplyResult apply(const Plan& plan, Storage& store, const ProgressFn& progress = {}) const;

  /// Every assistant's test at `now`, as numbers (no actions, no words): the
  /// findings' figures, release hits with the manager a plan would pick, and the
  /// forecast. Reads only; may use several threads (EvaluateOptions::threads)
  /// with the same result on any number.
  [[nodiscard]] Evaluation evaluate(const Storage& store, Instant now, const EvaluateOptions& options = {}) const {
    return detail::Evaluator(pipelines_, assistants_, config_.calendar, store, now, options).run();
  }

  /// plan + apply.
  ApplyResult run(Storage& store, Instant now) const { return apply(plan(store, now), store); }

private:
  EngineConfig config_;
  std::unordered_map<std::string, Pipeline> pipelines_;
  std::vector<std::shared_ptr<const Assistant>> assistants_;
};

namespace detail {

/// The state of one plan: the client index, loads for releases, raw findings.
class Planner {
public:
  Planner(const EngineConfig& config, const std::unordered_map<std::string, Pipeline>& pipelines,
          const std::vector<std::shared_ptr<const Assistant>>& assistants, const Storage& store, Instant now,
          const ProgressFn& progress = {}, unsigned threads = 1)
      : config_(config),
        assistants_(assistants),
        store_(store),
        progress_(progress),
        stable_(store.stable_views()),
        pool_(threads) {
    for (auto& m : store.managers()) managers_.emplace(m.id, std::move(m));
    ctx_.now = now;
    ctx_.calendar = &config.calendar;
    ctx_.store = &store;
    ctx_.managers = &managers_;
    ctx_.pipelines = &pipelines;
    ctx_.client = [this](ClientId id) { return lookup(id); };
    today_ = config.calendar.local_date(now);
    plan_.now = now;
    for (std::size_t i = 0; i < assistants.size(); ++i) {
      const auto l = assistants[i]->label();
      if (!l.empty()) engine_labels_.insert(l);
      const auto& steps = assistants[i]->ladder();
      in_order_.push_back(std::any_of(steps.begin(), steps.end(),
                                      [](const LadderStep& st) { return st.action == StepAction::reassign; }));
    }
  }

  Plan run() {
    scan();
    // Findings in (assistant, subject) order, ties in scan order: sort small
    // keys (the scan position breaks ties), not the findings themselves.
    struct Order {
      std::size_t assistant;
      SubjectRef subject;
      std::size_t at;
      Raw* raw;
    };
    std::vector<Order> order;
    std::size_t total = 0;
    for (const auto& list : found_) total += list.size();
    order.reserve(total);
    for (auto& list : found_)
      for (auto& r : list) order.push_back({r.assistant, r.finding.subject, order.size(), &r});
    std::sort(order.begin(), order.end(), [](const Order& a, const Order& b) {
      return std::tie(a.assistant, a.subject, a.at) < std::tie(b.assistant, b.subject, b.at);
    });
    // Room for every action the ladders and labels could add: the vector never
    // moves, and the pages of an unused tail are never touched.
    plan_.findings.reserve(total);
    plan_.actions.reserve(action_bound());
    read_clients();
    ladders(order);
    std::vector<std::vector<Raw>>().swap(found_);
    std::vector<Client>().swap(clients_);
    labels();
    forecast();
    return std::move(plan_);
  }

private:
  struct Raw {
    std::size_t assistant;
    Finding finding;
  };
  /// What one thread's walk of the ladders writes (its findings' actions and
  /// notes, in their order) and keeps to itself: parsed texts, and clients
  /// read from a store without stable views that read_clients() did not find.
  struct Lane {
    std::vector<Action> own_actions;
    std::vector<std::string> own_notes;
    /// Where the lane writes: the plan's own lists for the first lane (its
    /// slice comes first), its own for the others (appended after the run).
    std::vector<Action>* actions = &own_actions;
    std::vector<std::string>* notes = &own_notes;
    std::unordered_map<std::string, std::optional<CompiledText>> compiled;
    std::optional<CompiledText> scratch;
    std::unordered_map<ClientId, Client> clients;

    Lane() = default;
    Lane(const Lane&) = delete;  // the first lane points at the plan; the others at themselves
    Lane& operator=(const Lane&) = delete;
  };
  /// A step of a finding's ladder that fell due and was not applied yet,
  /// with the pick of a hand-over (steps_ahead).
  struct NewStep {
    const LadderStep* step;
    std::string key;
    Instant due;
    std::optional<Balancer::Pick> pick;
  };

  /// Over a store without stable views (SQLite), the clients the findings
  /// are about, copied from one more scan of the clients into clients_ (in
  /// ascending id) before the ladders need them: one pass in id order
  /// instead of a find_client per client, each a few statements and a read
  /// transaction.
  void read_clients() {
    if (stable_) return;
    std::vector<ClientId> ids;
    for (const auto& list : found_)
      for (const auto& r : list) ids.push_back(r.finding.client);
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    if (ids.empty()) return;
    clients_.reserve(ids.size());
    std::size_t next = 0;
    store_.scan_clients(
        [&](std::span<const ClientView> views) {
          for (const auto& v : views) {
            while (next < ids.size() && ids[next] < v.client->id) ++next;
            if (next < ids.size() && ids[next] == v.client->id) clients_.push_back(*v.client);
          }
        },
        config_.options.batch);
  }

  /// Walks the findings' ladders in `order`, run by run: a run is at most a
  /// batch (EngineOptions::batch) of findings in a row whose assistants all
  /// do, or all do not, hand clients over. Before a run of the first kind is
  /// walked on several threads, and before every run over a store without
  /// stable views, this thread finds its findings' new steps (steps_ahead)
  /// and picks every hand-over's new manager, in order (each changes the
  /// loads the next one picks by). Then the run is cut into the pool's
  /// slices, each walked into its lane; the first lane writes into the plan,
  /// the others' actions and notes are appended after it in slice order,
  /// then the run's findings: the same plan on any number of threads, and at
  /// most one run's actions held twice.
  template <class Order>
  void ladders(const std::vector<Order>& order) {
    const std::size_t chunk = std::max<std::size_t>(config_.options.batch, 1);
    const unsigned k = pool_.size();
    std::vector<Lane> lanes(k);
    lanes[0].actions = &plan_.actions;
    lanes[0].notes = &plan_.notes;
    for (std::size_t b = 0; b < order.size();) {
      const bool in_order = in_order_[order[b].assistant];
      std::size_t e = b + 1;
      while (e < order.size() && e - b < chunk && in_order_[order[e].assistant] == in_order) ++e;
      const std::span<const Order> run(order.data() + b, e - b);
      const std::size_t first = plan_.findings.size();
      // Found ahead: a run of hand-overs walked on several threads, and
      // every run over a store without stable views. There each has_action
      // is a query on one connection (SQLite, an empty actions table at M:
      // 2.6 us a key, a transaction and the file's locks each; threads
      // queued for it), and one has_actions for the run is one read (0.22
      // us a key).
      const bool ahead = !stable_ || (in_order && k > 1);
      if (ahead) steps_ahead(lanes[0], run);
      auto walk = [&](Lane& lane, std::size_t from, std::size_t to) {
        for (std::size_t i = from; i < to; ++i) {
          auto& r = *run[i].raw;
          if (!ahead) {
            ladder(lane, r.assistant, r.finding, first + i, nullptr);
            continue;
          }
          auto steps = std::span(ahead_).subspan(ahead_from_[i], ahead_from_[i + 1] - ahead_from_[i]);
          ladder(lane, r.assistant, r.finding, first + i, &steps);
        }
      };
      // (With one thread, the one slice runs on this thread.)
      pool_.run_slices(run.size(), [&](unsigned s, std::size_t from, std::size_t to) { walk(lanes[s], from, to); });
      for (std::size_t s = 1; s < k; ++s) {
        auto& lane = lanes[s];
        std::move(lane.own_actions.begin(), lane.own_actions.end(), std::back_inserter(plan_.actions));
        std::move(lane.own_notes.begin(), lane.own_notes.end(), std::back_inserter(plan_.notes));
        lane.own_actions.clear();
        lane.own_notes.clear();
      }
      for (const auto& o : run) plan_.findings.push_back(std::move(o.raw->finding));
      b = e;
    }
  }

  const ClientInfo* lookup(ClientId id) const { return index_.find(id); }

  /// At most as many actions as the findings' ladders and labels can make: a
  /// step one (a reassignment four), a label one, a present label one (clear).
  std::size_t action_bound() const {
    std::vector<std::size_t> per(assistants_.size());
    for (std::size_t i = 0; i < assistants_.size(); ++i)
      for (const auto& s : assistants_[i]->ladder()) per[i] += s.action == StepAction::reassign ? 4 : 1;
    std::size_t n = present_labels_.size();
    for (const auto& list : found_)
      for (const auto& r : list) n += per[r.assistant] + (r.finding.label.empty() ? 0 : 1);
    return n;
  }

  void keep(std::vector<Raw>& out, std::size_t i, std::optional<Finding> f) const {
    if (!f) return;
    if (f->rule.empty()) f->rule = assistants_[i]->id();
    out.push_back({i, std::move(*f)});
  }

  /// Runs fn(j, out) for each j in [0, n), cut into the pool's slices, each
  /// slice's findings into a list of its own after the earlier slices' (the
  /// same findings, in scan order, on any number of threads).
  template <class Fn>
  void inspect_all(std::size_t n, const Fn& fn) {
    const std::size_t first = found_.size();
    found_.resize(first + pool_.size());
    pool_.run_slices(n, [&](unsigned s, std::size_t b, std::size_t e) {
      for (std::size_t j = b; j < e; ++j) fn(j, found_[first + s]);
    });
    found_.erase(std::remove_if(found_.begin() + static_cast<std::ptrdiff_t>(first), found_.end(),
                                [](const std::vector<Raw>& l) { return l.empty(); }),
                 found_.end());
  }

  void scan() {
    const auto batch = config_.options.batch;
    std::vector<std::size_t> by_feed[4];
    for (std::size_t i = 0; i < assistants_.size(); ++i)
      by_feed[static_cast<int>(assistants_[i]->feed())].push_back(i);

    // Progress: before each batch and at the end of each scan (so a cancel
    // stops between batches).
    // The client count sizes the index once (0 when the store cannot tell).
    const std::uint64_t total = store_.client_count();
    const bool contacts = ClientIndex::wants_contacts(stable_, assistants_);
    index_.reserve(total, contacts);
    std::uint64_t seen = 0;
    auto tick = [&](std::string_view stage, std::size_t n, std::uint64_t of) {
      detail::report(progress_, "plan", {stage, seen, of});
      seen += n;
    };
    store_.scan_clients(
        [&](std::span<const ClientView> views) {
          tick("clients", views.size(), total);
          // In order, on this thread: the index, the loads, the labels present.
          for (const auto& v : views) {
            const Client& c = *v.client;
            if (contacts) index_.set_contacts(index_.size(), v.summary);
            index_.rows().push_back(
                {c.id, c.owner, c.kind, stable_ ? &c : index_.profile(c), stable_ ? v.summary : nullptr});
            balancer_.count(c);
            for (const auto& [l, note] : c.labels)
              if (engine_labels_.count(l)) present_labels_.push_back({c.id, l, note});
          }
          if (by_feed[0].empty()) return;
          inspect_all(views.size(), [&](std::size_t j, std::vector<Raw>& out) {
            const auto& v = views[j];
            for (auto i : by_feed[0])
              if (assistants_[i]->scope().matches(*v.client)) keep(out, i, assistants_[i]->inspect(ctx_, v));
          });
        },
        batch);
    index_.seal();
    tick("clients", 0, total);
    seen = 0;
    store_.scan_open_deals(
        [&](std::span<const DealView> views) {
          tick("deals", views.size(), 0);
          // The forecast sums in scan order, on this thread.
          for (const auto& v : views)
            if (lookup(v.deal->client)) forecast_.add(*v.deal);
          if (by_feed[1].empty()) return;
          inspect_all(views.size(), [&](std::size_t j, std::vector<Raw>& out) {
            const auto& v = views[j];
            const auto* info = lookup(v.deal->client);
            if (!info) return;
            for (auto i : by_feed[1]) {
              const auto& sc = assistants_[i]->scope();
              if (sc.matches(*info->profile) && sc.matches_pipeline(v.deal->pipeline))
                keep(out, i, assistants_[i]->inspect(ctx_, *info, v));
            }
          });
        },
        batch);
    tick("deals", 0, 0);
    seen = 0;
    store_.scan_unpaid_invoices(
        [&](std::span<const Invoice> invoices) {
          tick("invoices", invoices.size(), 0);
          inspect_all(invoices.size(), [&](std::size_t j, std::vector<Raw>& out) {
            const auto& inv = invoices[j];
            const auto* info = lookup(inv.client);
            if (!info) return;
            for (auto i : by_feed[2])
              if (assistants_[i]->scope().matches(*info->profile))
                keep(out, i, assistants_[i]->inspect(ctx_, *info, inv));
          });
        },
        batch);
    tick("invoices", 0, 0);
    seen = 0;
    store_.scan_open_tasks(
        [&](std::span<const Task> tasks) {
          tick("tasks", tasks.size(), 0);
          inspect_all(tasks.size(), [&](std::size_t j, std::vector<Raw>& out) {
            const auto& t = tasks[j];
            const auto* info = lookup(t.client);
            if (!info) return;
            for (auto i : by_feed[3])
              if (assistants_[i]->scope().matches(*info->profile)) keep(out, i, assistants_[i]->inspect(ctx_, *info, t));
          });
        },
        batch);
    tick("tasks", 0, 0);
  }

  // ---- ladders -------------------------------------------------------------

  const Client& client_of(Lane& lane, ClientId id) const {
    // Stable views: the index points at the store's own client.
    if (stable_)
      if (const auto* info = lookup(id)) return *info->profile;
    // Otherwise the copy read_clients() made, else (a client gone since the
    // scans) the store once, kept by the lane.
    const auto copy = std::lower_bound(clients_.begin(), clients_.end(), id,
                                       [](const Client& c, ClientId x) { return c.id < x; });
    if (copy != clients_.end() && copy->id == id) return *copy;
    auto it = lane.clients.find(id);
    if (it == lane.clients.end()) {
      auto c = store_.find_client(id);
      it = lane.clients.emplace(id, c ? std::move(*c) : Client{}).first;
    }
    return it->second;
  }

  /// The manager `level` steps up from `from`; nullopt when the chain ends.
  std::optional<ManagerId> supervisor(ManagerId from, int level) const {
    ManagerId cur = from;
    for (int i = 0; i < level; ++i) {
      const auto* m = ctx_.manager(cur);
      if (!m || !m->supervisor) return std::nullopt;
      cur = *m->supervisor;
    }
    return cur;
  }

  /// A text parsed once per plan (nullptr when render_text must take it).
  /// Template texts and ladder titles repeat; a finding's own summary as a
  /// title does not, so at most a few hundred texts are kept.
  static const CompiledText* compiled(Lane& lane, const std::string& text) {
    if (auto it = lane.compiled.find(text); it != lane.compiled.end()) return it->second ? &*it->second : nullptr;
    if (lane.compiled.size() >= 256) {
      lane.scratch = CompiledText::compile(text);
      return lane.scratch ? &*lane.scratch : nullptr;
    }
    const auto& c = lane.compiled.emplace(text, CompiledText::compile(text)).first->second;
    return c ? &*c : nullptr;
  }

  /// Renders a text (template, task title) in `locale` (default: the configured
  /// default). `summary` stands in for the finding's own when given.
  std::string render(Lane& lane, const std::string& text, const Finding& f, const Client& c,
                     std::string_view locale = {}, const std::string* summary = nullptr) const {
    using F = CompiledText::Field;
    const auto* t = compiled(lane, text);
    auto wants = [&](F x) { return !t || t->uses(x); };
    TemplateView v;
    for (const char* n : {"days", "days_overdue", "days_open"})
      if (const auto* x = f.fact(n); x && !v.days) {
        if (const auto* i = std::get_if<std::int64_t>(&x->value)) v.days = *i;
      }
    v.client = c.name;
    std::string owner, amount, deal, invoice, stage;
    if (wants(F::owner)) {
      if (const auto* m = ctx_.manager(f.owner)) v.owner = m->name;
      else v.owner = owner = ctx_.manager_name(f.owner);
    }
    if (wants(F::amount) && f.cents) v.amount = amount = to_string(Money{*f.cents, f.currency});
    if (wants(F::deal) && f.subject.kind == SubjectKind::deal) v.deal = deal = std::to_string(f.subject.id);
    if (wants(F::invoice) && f.subject.kind == SubjectKind::invoice)
      v.invoice = invoice = std::to_string(f.subject.id);
    if (wants(F::stage))
      if (const auto* x = f.fact("stage")) v.stage = stage = to_string(x->value);
    v.summary = summary ? *summary : f.summary;
    v.rule = f.rule;
    const std::string_view loc = locale.empty() ? std::string_view(config_.default_locale) : locale;
    try {
      return t ? t->render(loc, v) : render_text(text, loc, args_of(v));
    } catch (const fmt::format_error& e) {
      throw configuration_error(fmt::format("template '{}': {}", text, e.what()));
    }
  }

  Action base(const Finding& f, const LadderStep& s, std::string key, Instant due, std::size_t finding) const {
    Action a;
    a.key = std::move(key);
    a.rule = f.rule;
    a.subject = f.subject;
    a.client = f.client;
    a.step = s.id;
    a.due = due;
    a.late = ctx_.now - due > config_.options.late_after;
    a.finding = finding;
    return a;
  }

  /// An action's explanation: `f` with `args`, then, when the action is late,
  /// " (late: fell due <when>, <n> days ago)". Formatted once, in place.
  template <class... Args>
  std::string explained(const Action& a, fmt::format_string<Args...> f, Args&&... args) const {
    fmt::memory_buffer out;
    fmt::format_to(std::back_inserter(out), f, std::forward<Args>(args)...);
    if (a.late)
      fmt::format_to(std::back_inserter(out), " (late: fell due {}, {} ago)", detail::IsoText(a.due).view(),
                     days_text(ctx_.days_since(a.due)));
    return fmt::to_string(out);
  }

  void add_task(Lane& lane, const LadderStep& s, Action a, ManagerId who, std::string title) const {
    Task t;
    t.client = a.client;
    if (a.subject.kind == SubjectKind::deal) t.deal = DealId{a.subject.id};
    t.assignee = who;
    t.title = std::move(title);
    t.planned_start = ctx_.now;
    t.due = config_.calendar.advance(ctx_.now, s.due_in);
    t.created = ctx_.now;
    t.origin = a.key;
    a.kind = ActionKind::create_task;
    a.to = who;
    a.explanation = explained(a, "task for {}: \"{}\", due {}", ctx_.manager_name(who), t.title,
                              detail::IsoText(t.due).view());
    a.task = std::move(t);
    lane.actions->push_back(std::move(a));
  }

  /// `summary` (optional) stands in for the finding's own (a release's notices).
  void add_notify(Lane& lane, const Finding& f, const LadderStep& s, Action a, const Client& c, Recipient to,
                  std::optional<ManagerId> manager, std::string who, const std::string* summary = nullptr) const {
    Message m;
    m.key = a.key;
    m.channel = s.channel;
    m.to = std::move(to);
    m.template_id = s.template_id;
    // Clients read their own locale; managers the default one.
    m.locale = s.target == Target::client && !c.locale.empty() ? c.locale.str() : config_.default_locale;
    m.created = ctx_.now;
    if (auto tpl = find_template(config_.templates, s.template_id, m.locale, config_.default_locale); tpl.text) {
      m.locale = tpl.locale;
      m.subject = render(lane, tpl.text->subject, f, c, m.locale, summary);
      m.body = render(lane, tpl.text->body, f, c, m.locale, summary);
    } else {
      m.subject = fmt::format("[{}] {}", f.rule, c.name.empty() ? to_string(f.subject) : c.name);
      m.body = summary ? *summary : f.summary;
    }
    a.kind = ActionKind::notify;
    a.to = manager;
    a.explanation = explained(a, "{} to {}: {}", to_string(s.channel), who, m.subject);
    a.message = std::move(m);
    lane.actions->push_back(std::move(a));
  }

  Recipient manager_recipient(ManagerId id) const {
    const auto* m = ctx_.manager(id);
    return Recipient{SubjectRef::of(id), m ? m->email : std::string{}, m ? m->name : std::string{}};
  }

  /// Resolves a manager target; nullopt (with a note) when there is none.
  std::optional<ManagerId> manager_target(Lane& lane, const Finding& f, const LadderStep& s) const {
    switch (s.target) {
      case Target::owner:
      case Target::assignee: return f.owner;
      case Target::manager:
        if (ctx_.manager(ManagerId{s.manager_id})) return ManagerId{s.manager_id};
        lane.notes->push_back(fmt::format("{}: step '{}' names unknown manager {}", f.rule, s.id, s.manager_id));
        return std::nullopt;
      case Target::supervisor: {
        auto sup = supervisor(f.owner, s.level);
        if (!sup)
          lane.notes->push_back(fmt::format("{} {}: step '{}': {} has no supervisor at level {}", f.rule,
                                            to_string(f.subject), s.id, ctx_.manager_name(f.owner), s.level));
        return sup;
      }
      case Target::client: return std::nullopt;
    }
    return std::nullopt;
  }

  /// Calls fn(step, key, due) for each step of `f`'s ladder that fell due,
  /// applied or not, and records it in f.due_steps.
  template <class Fn>
  void steps_due(const Assistant& as, Finding& f, Fn&& fn) const {
    for (const auto& s : as.ladder()) {
      const Instant due = as.step_due(ctx_, f, s);
      if (!(ctx_.now > due)) continue;  // strictly after, like every condition (a breach at exactly the limit is none)
      f.due_steps.push_back(s.id);
      fn(s, fmt::format("{}/{}/{}/{}", f.rule, to_string(f.subject), f.episode, s.id), due);
    }
  }

  /// Calls fn(step, key, due) for each step of `f`'s ladder that fell due
  /// and whose action was not applied yet (one has_action each).
  template <class Fn>
  void new_steps(const Assistant& as, Finding& f, Fn&& fn) const {
    steps_due(as, f, [&](const LadderStep& s, std::string key, Instant due) {
      if (!store_.has_action(key)) fn(s, std::move(key), due);
    });
  }

  /// One finding's ladder: the actions of the steps that fell due, into
  /// `lane`. `index` is the finding's place in Plan::findings. `ahead`: the
  /// new steps steps_ahead() found (nullptr: found now).
  void ladder(Lane& lane, std::size_t assistant, Finding& f, std::size_t index, const std::span<NewStep>* ahead) {
    const Assistant& as = *assistants_[assistant];
    auto act = [&](const LadderStep& s, std::string key, Instant due, const Balancer::Pick* picked) {
      const Client& c = client_of(lane, f.client);
      Action a = base(f, s, std::move(key), due, index);
      switch (s.action) {
        case StepAction::task: {
          auto who = manager_target(lane, f, s);
          if (!who) break;
          add_task(lane, s, std::move(a), *who, render(lane, s.title.empty() ? f.summary : s.title, f, c));
          break;
        }
        case StepAction::notify: {
          if (s.target == Target::client) {
            const std::string addr = s.channel == Channel::sms ? c.phone : c.email;
            add_notify(lane, f, s, std::move(a), c, Recipient{SubjectRef::of(f.client), addr, c.name}, std::nullopt,
                       fmt::format("client '{}'", c.name));
          } else if (auto who = manager_target(lane, f, s)) {
            add_notify(lane, f, s, std::move(a), c, manager_recipient(*who), *who,
                       fmt::format("{} ({})", ctx_.manager_name(*who), to_string(s.target)));
          }
          break;
        }
        case StepAction::reassign: reassign(lane, as, f, s, std::move(a), c, picked); break;
        case StepAction::close_lost: {
          if (f.subject.kind != SubjectKind::deal) {
            lane.notes->push_back(fmt::format("{}: step '{}' closes deals, but {} is not a deal", f.rule, s.id,
                                             to_string(f.subject)));
            break;
          }
          a.kind = ActionKind::close_deal;
          a.reason = s.reason.empty() ? "expired" : s.reason;
          a.explanation = explained(a, "close deal {} as lost, reason '{}'", f.subject.id, a.reason);
          lane.actions->push_back(std::move(a));
          break;
        }
      }
    };
    if (ahead) {
      for (auto& n : *ahead) act(*n.step, std::move(n.key), n.due, n.pick ? &*n.pick : nullptr);
    } else {
      new_steps(as, f, [&](const LadderStep& s, std::string key, Instant due) { act(s, std::move(key), due, nullptr); });
    }
  }

  // ---- release ---------------------------------------------------------------

  static const ReleasePolicy& policy_of(const Assistant& as) {
    static const ReleasePolicy default_policy{};
    return as.release_policy() ? *as.release_policy() : default_policy;
  }
  static ManagerId owner_of(const Client& c, const Finding& f) { return c.owner.valid() ? c.owner : f.owner; }

  /// Picks the manager a client is handed to and counts the hand-over in the
  /// loads the next pick goes by: on the calling thread, in the findings' order.
  Balancer::Pick hand_over(const Assistant& as, const Finding& f, const Client& c) {
    const ReleasePolicy& p = policy_of(as);
    const ManagerId from = owner_of(c, f);
    const auto pick = balancer_.pick(p, c.primary_segment(), from);
    if (pick.best) balancer_.assign(p, c, from, pick.best->id);
    return pick;
  }

  /// A run's new steps, found ahead of its walk into ahead_ (finding i's
  /// are [ahead_from_[i], ahead_from_[i + 1])), each hand-over with its pick
  /// (none for a client locked against release), made here in the run's
  /// order. Which steps were applied is asked of the store once for the
  /// whole run (Storage::has_actions).
  template <class Order>
  void steps_ahead(Lane& lane, std::span<const Order> run) {
    due_.clear();
    std::vector<std::size_t> due_from;
    due_from.reserve(run.size() + 1);
    for (const auto& o : run) {
      due_from.push_back(due_.size());
      steps_due(*assistants_[o.raw->assistant], o.raw->finding, [&](const LadderStep& s, std::string key, Instant due) {
        due_.push_back({&s, std::move(key), due, std::nullopt});
      });
    }
    due_from.push_back(due_.size());
    keys_.clear();
    for (const auto& n : due_) keys_.push_back(n.key);
    const auto applied = store_.has_actions(keys_);
    if (applied.size() != keys_.size())
      throw storage_error(
          fmt::format("plan: the store's has_actions gave {} answers for {} keys", applied.size(), keys_.size()));
    ahead_.clear();
    ahead_from_.clear();
    for (std::size_t i = 0; i < run.size(); ++i) {
      ahead_from_.push_back(ahead_.size());
      const Assistant& as = *assistants_[run[i].raw->assistant];
      const Finding& f = run[i].raw->finding;
      for (std::size_t j = due_from[i]; j < due_from[i + 1]; ++j) {
        if (applied[j]) continue;
        auto& n = due_[j];
        if (n.step->action == StepAction::reassign)
          if (const Client& c = client_of(lane, f.client); !c.release_locked) n.pick = hand_over(as, f, c);
        ahead_.push_back(std::move(n));
      }
    }
    ahead_from_.push_back(ahead_.size());
  }

  /// A hand-over's actions, with the pick made ahead (`picked`, from
  /// steps_ahead) or, on one thread, now.
  void reassign(Lane& lane, const Assistant& as, const Finding& f, const LadderStep& s, Action a, const Client& c,
                const Balancer::Pick* picked) {
    const ReleasePolicy& p = policy_of(as);
    // The "do not release" lock belongs to the client: no ladder hands it over.
    if (c.release_locked) {
      lane.notes->push_back(fmt::format("{} {}: step '{}': client '{}' is locked against release", f.rule,
                                        to_string(f.subject), s.id, c.name));
      return;
    }
    const std::string segment = c.primary_segment();
    const ManagerId from = owner_of(c, f);
    const auto pick = picked ? *picked : hand_over(as, f, c);
    if (!pick.best) {
      // No one to hand the client to: the ladder moves on to the supervisor.
      LadderStep up = s;
      up.action = StepAction::notify;
      up.target = Target::supervisor;
      up.level = 1;
      up.template_id = "release_failed";
      if (auto sup = supervisor(from, 1)) {
        const auto summary =
            fmt::format("{}; no eligible manager to take it over (segment '{}'): escalated", f.summary, segment);
        add_notify(lane, f, up, std::move(a), c, manager_recipient(*sup), *sup,
                   fmt::format("{} (supervisor, no eligible manager in segment '{}')", ctx_.manager_name(*sup),
                               segment),
                   &summary);
      } else {
        lane.notes->push_back(fmt::format("{} {}: no eligible manager in segment '{}' and no supervisor above {}",
                                          f.rule, to_string(f.subject), segment, ctx_.manager_name(from)));
      }
      return;
    }
    const Manager* best = pick.best;
    std::string why;
    switch (p.kind) {
      case ReleasePolicy::Kind::least_loaded:
        why = fmt::format("fewest clients in segment '{}' ({})", segment, pick.load);
        break;
      case ReleasePolicy::Kind::weighted:
        why = best->capacity > 0
                  ? fmt::format("lowest load for its capacity ({} clients, {:.0f}% of capacity)", pick.load,
                                100.0 * pick.load / best->capacity)
                  : fmt::format("lowest load for its weight ({} clients, weight {})", pick.load, best->weight);
        break;
      case ReleasePolicy::Kind::round_robin:
        why = fmt::format("next in turn for segment '{}'", segment);
        break;
    }
    const ManagerId to = best->id;
    const std::size_t eligible = pick.eligible;
    const std::string base_key = a.key;
    Action r = a;
    r.kind = ActionKind::reassign;
    r.from = from;
    r.to = to;
    r.explanation = explained(a, "hand client '{}' from {} to {}: {}, among {} eligible manager{}", c.name,
                              ctx_.manager_name(from), best->name, why, eligible, eligible == 1 ? "" : "s");
    lane.actions->push_back(std::move(r));

    Action t = a;
    t.key = base_key + "/task";
    add_task(lane, s, std::move(t), to,
             render(lane, s.title.empty() ? "Take over {client}" : s.title, f, c));

    LadderStep tell = s;
    tell.action = StepAction::notify;
    tell.template_id = "released";
    const auto summary = fmt::format("{} handed client '{}' to {}: {}", f.rule, c.name, best->name, f.summary);
    Action n1 = a;
    n1.key = base_key + "/notify-owner";
    add_notify(lane, f, tell, std::move(n1), c, manager_recipient(from), from,
               fmt::format("{} (previous owner)", ctx_.manager_name(from)), &summary);
    if (auto sup = supervisor(from, 1)) {
      Action n2 = std::move(a);
      n2.key = base_key + "/notify-supervisor";
      add_notify(lane, f, tell, std::move(n2), c, manager_recipient(*sup), *sup,
                 fmt::format("{} (supervisor)", ctx_.manager_name(*sup)), &summary);
    }
  }

  // ---- labels and forecast ---------------------------------------------------

  void labels() {
    // Desired labels: one row per finding that sets one, sorted by (client,
    // label, assistant, finding), so each (client, label) is one run and each
    // assistant's findings a run inside it. Sorting rows, not map nodes: a
    // plan at a million clients sets about as many labels.
    std::unordered_map<std::string_view, std::size_t> assistant_index;
    for (std::size_t i = 0; i < assistants_.size(); ++i) assistant_index.emplace(assistants_[i]->id(), i);
    struct Want {
      ClientId client;
      std::string_view label;
      std::size_t assistant;
      std::size_t at;  // in plan_.findings
    };
    std::vector<Want> want;
    for (std::size_t k = 0; k < plan_.findings.size(); ++k) {
      const auto& f = plan_.findings[k];
      if (f.label.empty()) continue;
      const auto it = assistant_index.find(f.rule);
      want.push_back({f.client, f.label, it == assistant_index.end() ? 0 : it->second, k});
    }
    std::sort(want.begin(), want.end(), [](const Want& a, const Want& b) {
      return std::tie(a.client, a.label, a.assistant, a.at) < std::tie(b.client, b.label, b.assistant, b.at);
    });
    // Labels the clients carry now, one per (client, label): the last wins.
    auto same = [](ClientId c1, std::string_view l1, ClientId c2, std::string_view l2) {
      return c1 == c2 && l1 == l2;
    };
    auto& have = present_labels_;
    std::stable_sort(have.begin(), have.end(), [](const PresentLabel& a, const PresentLabel& b) {
      return std::pair(a.client, std::string_view(a.label)) < std::pair(b.client, std::string_view(b.label));
    });
    {
      std::size_t out = 0;
      for (std::size_t i = 0; i < have.size(); ++i) {
        if (i + 1 < have.size() && same(have[i + 1].client, have[i + 1].label, have[i].client, have[i].label))
          continue;
        if (out != i) have[out] = std::move(have[i]);
        ++out;
      }
      have.resize(out);
    }

    std::size_t h = 0;
    std::vector<const Finding*> fs;
    for (std::size_t g = 0; g < want.size();) {
      const ClientId client = want[g].client;
      const std::string_view label = want[g].label;
      std::string note;
      std::size_t e = g;
      while (e < want.size() && same(want[e].client, want[e].label, client, label)) {
        const std::size_t assistant = want[e].assistant;
        fs.clear();
        for (; e < want.size() && same(want[e].client, want[e].label, client, label) &&
               want[e].assistant == assistant;
             ++e)
          fs.push_back(&plan_.findings[want[e].at]);
        auto n = assistants_[assistant]->merge_label_notes(fs);
        note += (note.empty() || n.empty() ? "" : "; ") + n;
      }
      // The present label with this key, if any (both lists ascend).
      while (h < have.size() && std::pair(have[h].client, std::string_view(have[h].label)) < std::pair(client, label))
        ++h;
      const bool present = h < have.size() && same(have[h].client, have[h].label, client, label);
      if (!(present && have[h].note == note)) {
        Action a;
        a.kind = ActionKind::set_label;
        a.rule = plan_.findings[want[g].at].rule;
        a.subject = SubjectRef::of(client);
        a.client = client;
        a.label = std::string(label);
        a.note = note;
        a.once = false;
        a.due = ctx_.now;
        a.key = fmt::format("label/{}/client:{}/set", label, client.value());
        a.explanation = fmt::format("label client {} '{}'{}", client.value(), label,
                                    note.empty() ? std::string{} : fmt::format(" ({})", note));
        plan_.actions.push_back(std::move(a));
      }
      g = e;
    }
    std::size_t w = 0;
    for (std::size_t i = 0; i < have.size(); ++i) {
      const auto& p = have[i];
      while (w < want.size() && std::pair(want[w].client, want[w].label) < std::pair(p.client, std::string_view(p.label)))
        ++w;
      if (w < want.size() && same(want[w].client, want[w].label, p.client, p.label)) continue;
      Action a;
      a.kind = ActionKind::clear_label;
      a.rule = "labels";
      a.subject = SubjectRef::of(p.client);
      a.client = p.client;
      a.label = p.label;
      a.once = false;
      a.due = ctx_.now;
      a.key = fmt::format("label/{}/client:{}/clear", p.label, p.client.value());
      a.explanation = fmt::format("clear label '{}' from client {}: its condition no longer holds", p.label,
                                  p.client.value());
      plan_.actions.push_back(std::move(a));
    }
  }

  void forecast() { plan_.forecast = forecast_.rows(); }

  struct PresentLabel {
    ClientId client;
    std::string label;
    std::string note;
  };

  const EngineConfig& config_;
  const std::vector<std::shared_ptr<const Assistant>>& assistants_;
  const Storage& store_;
  const ProgressFn& progress_;
  const bool stable_;
  std::unordered_map<ManagerId, Manager> managers_;
  Context ctx_;
  Date today_{};
  Plan plan_;
  ClientIndex index_;
  Balancer balancer_{managers_, today_};
  std::set<std::string> engine_labels_;
  std::vector<PresentLabel> present_labels_;
  /// The scans' findings: lists in scan order (a batch's slices', each
  /// moved in whole), so that a finding never moves until the ladders.
  std::vector<std::vector<Raw>> found_;
  std::vector<Client> clients_;  ///< without stable views: the findings' clients, ascending id (read_clients)
  ForecastTally forecast_;
  std::vector<char> in_order_;  ///< per assistant: its ladder hands clients over (picked in order, on one thread)
  std::vector<NewStep> ahead_;           ///< the current run's new steps, found ahead (steps_ahead)
  std::vector<NewStep> due_;             ///< steps_ahead: the run's steps that fell due, applied or not
  std::vector<std::string_view> keys_;   ///< steps_ahead: their keys, for has_actions
  std::vector<std::size_t> ahead_from_;  ///< per finding of the run, then the end: where its steps start in ahead_
  SlicePool pool_;
};

}  // namespace detail

inline Plan Engine::plan(const Storage& store, Instant now, const ProgressFn& progress) const {
  return detail::Planner(config_, pipelines_, assistants_, store, now, progress).run();
}

inline Plan Engine::plan(const Storage& store, Instant now, const PlanOptions& options) const {
  return detail::Planner(config_, pipelines_, assistants_, store, now, options.progress, std::max(1u, options.threads))
      .run();
}

inline ApplyResult Engine::apply(const Plan& plan, Storage& store, const ProgressFn& progress) const {
  return detail::apply_actions(plan, store, [&](const Action&) { return plan.now; }, progress);
}

}  // namespace nudge
