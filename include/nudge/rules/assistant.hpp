#pragma once
/// @file
/// The assistant plug-in interface. Built-in assistants implement it, and so
/// does a host that adds its own: the engine gives every assistant the same
/// exactly-once actions, ladders, explanations and audit.

#include <array>
#include <cmath>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <nudge/calendar/business_calendar.hpp>
#include <nudge/domain/manager.hpp>
#include <nudge/domain/pipeline.hpp>
#include <nudge/rules/finding.hpp>
#include <nudge/rules/ladder.hpp>
#include <nudge/rules/scope.hpp>
#include <nudge/storage/storage.hpp>

namespace nudge {

/// The few facts of a client that deal, invoice and task assistants need
/// (the engine keeps them for every client during a plan).
struct ClientInfo {
  ClientId id;
  ManagerId owner;
  ClientKind kind = ClientKind::b2b;
  const Client* profile = nullptr;  ///< kind, segments and labels (shared by clients that have the same ones)
  /// The client's derived facts, when the store's views outlive a scan
  /// (Storage::stable_views); nullptr otherwise (ask the store).
  const ClientSummary* summary = nullptr;
  /// When `summary` is nullptr: the summary's contact facts, which the engine
  /// copies at the client scan when an assistant of another feed reads
  /// activities or tasks (Assistant::reads); nullptr otherwise.
  const ContactFacts* contacts = nullptr;

  /// Whether the client's latest contacts are at hand (from `summary` or
  /// `contacts`); when not, ask the store (Context::store).
  [[nodiscard]] bool knows_contacts() const { return summary || contacts; }
  /// The latest contact under a policy, from whichever of the two is set.
  /// Requires knows_contacts().
  [[nodiscard]] std::optional<Instant> last_contact(const ContactPolicy& p) const {
    return summary ? summary->last_contact(p) : contacts->last_contact(p);
  }
};

/// The numbers of a finding without its words: what an assistant's cheap test
/// computes, with no strings and no allocation. Engine::evaluate returns these;
/// a plan turns the ones that hold into Findings with explanations.
struct Hit {
  SubjectRef subject;
  ClientId client;
  ManagerId owner;
  /// The finding holds while now is after this. When the test fails: the
  /// subject's next deadline, the moment to test it again (never later than
  /// the condition could start to hold without an event); Instant::max() when
  /// only an event can make it hold; Instant::min() when unknown (test again
  /// at every move of time).
  Instant since = Instant::max();
  Instant anchor{};           ///< what it counts from: last contact, last order, issue, opening, stage entry
  std::int64_t count = 0;     ///< orders (churned), invoices (debtor per client)
  std::int64_t cents = 0;     ///< outstanding (invoices) or the deal's amount
  std::int64_t seconds = 0;   ///< time over the limit (stage SLA)
  std::uint32_t assistant = 0;  ///< index in Engine::assistants()
  ManagerId to;               ///< release: the proposed new owner (set by Engine::evaluate)
  friend bool operator==(const Hit&, const Hit&) = default;
};

/// How a hit that holds changes with time alone, told by a test that knows it
/// exactly (Context::aging). From the test's `now` until `until`, every field
/// of the hit stays as the test left it except `seconds`, which grows by
/// `calendar->elapsed(now, t, basis)` at a later `t` while `runs` (and stays
/// put while not). A fresh test at any `t` before `until` would give exactly
/// that hit, so an incremental evaluation (Watch) ages it when it is read and
/// tests the subject again only at `until` (a hold starts or ends) or after
/// an event.
struct Aging {
  TimeBasis basis = TimeBasis::calendar;
  bool runs = true;                ///< false: the figures stand still (a hold pauses the clock)
  Instant until = Instant::max();  ///< the first moment this no longer describes the hit
  bool known = false;              ///< set by the assistant when it filled the rest
};

/// What an assistant can see while it inspects a subject. Read-only.
struct Context {
  Instant now{};
  const BusinessCalendar* calendar = nullptr;
  const Storage* store = nullptr;
  const std::unordered_map<ManagerId, Manager>* managers = nullptr;
  const std::unordered_map<std::string, Pipeline>* pipelines = nullptr;
  /// Looks a client up in the plan's index (nullptr when unknown).
  std::function<const ClientInfo*(ClientId)> client;
  /// Set by an incremental evaluation (Watch) before each test, nullptr
  /// elsewhere: a test whose hit holds and changes with time may say how
  /// (Aging) instead of being tested again at every move of time. Optional;
  /// an assistant that leaves it alone is tested again (varies_with_time).
  Aging* aging = nullptr;

  [[nodiscard]] const Manager* manager(ManagerId id) const {
    auto it = managers->find(id);
    return it == managers->end() ? nullptr : &it->second;
  }
  [[nodiscard]] std::string manager_name(ManagerId id) const {
    const auto* m = manager(id);
    return m ? m->name : fmt::format("manager {}", id.value());
  }
  [[nodiscard]] const Pipeline* pipeline(const std::string& id) const {
    auto it = pipelines->find(id);
    return it == pipelines->end() ? nullptr : &it->second;
  }
  /// Whole days from `t` to now (calendar days, rounded down).
  [[nodiscard]] std::int64_t days_since(Instant t) const {
    return std::chrono::floor<Days>(now - t).count();
  }
};

/// How a reassigning step picks the new manager.
struct ReleasePolicy {
  enum class Kind { least_loaded, round_robin, weighted };
  Kind kind = Kind::least_loaded;
  /// Count each manager's clients as the plan assigns (true), or once before any
  /// reassignment (false: what a single SQL query does).
  bool update_loads = true;
  /// At most this many clients handed to one manager per plan (0 = no cap).
  int max_new_per_run = 0;
  /// Respect Manager::capacity (most clients a manager should own).
  bool respect_capacity = true;
  friend bool operator==(const ReleasePolicy&, const ReleasePolicy&) = default;
};

inline std::string_view to_string(ReleasePolicy::Kind k) {
  switch (k) {
    case ReleasePolicy::Kind::least_loaded: return "least_loaded";
    case ReleasePolicy::Kind::round_robin: return "round_robin";
    case ReleasePolicy::Kind::weighted: return "weighted";
  }
  return "?";
}

/// Which scan feeds an assistant.
enum class Feed { clients, deals, invoices, tasks };

/// Kinds of facts about a client, as a set of bits: what a host changed
/// (Watch::touch) and what an assistant's test reads (Assistant::reads).
/// `client` is the client's own record (owner, kind, segments, labels, release
/// lock, creation); `activity`, `task`, `deal` and `invoice` are the client's
/// activities, tasks (work items), deals and invoices, with what the store
/// derives from them (ClientSummary, DealView's task figures).
enum class Changed : std::uint8_t {
  none = 0,
  client = 1,
  activity = 2,
  task = 4,
  deal = 8,
  invoice = 16,
  all = 31,
};

[[nodiscard]] constexpr Changed operator|(Changed a, Changed b) {
  return static_cast<Changed>(static_cast<std::uint8_t>(a) | static_cast<std::uint8_t>(b));
}
[[nodiscard]] constexpr Changed operator&(Changed a, Changed b) {
  return static_cast<Changed>(static_cast<std::uint8_t>(a) & static_cast<std::uint8_t>(b));
}
constexpr Changed& operator|=(Changed& a, Changed b) { return a = a | b; }
/// True when the two sets share a kind.
[[nodiscard]] constexpr bool overlaps(Changed a, Changed b) { return (a & b) != Changed::none; }

/// The names of the kinds, in bit order ("client", "activity", "task", "deal", "invoice").
inline constexpr std::array<std::pair<std::string_view, Changed>, 5> changed_names{{{"client", Changed::client},
                                                                                    {"activity", Changed::activity},
                                                                                    {"task", Changed::task},
                                                                                    {"deal", Changed::deal},
                                                                                    {"invoice", Changed::invoice}}};

/// "activity|task", "all", "none".
inline std::string to_string(Changed c) {
  if (c == Changed::all) return "all";
  if (c == Changed::none) return "none";
  std::string out;
  for (const auto& [name, bit] : changed_names)
    if (overlaps(c, bit)) out += (out.empty() ? "" : "|") + std::string(name);
  if (static_cast<std::uint8_t>(c) & ~static_cast<std::uint8_t>(Changed::all))
    out += fmt::format("{}0x{:x}", out.empty() ? "" : "|", static_cast<std::uint8_t>(c) & ~0x1fu);
  return out;
}

/// The kind named `name` ("client", "activity", "task", "deal", "invoice",
/// "all" or "none"); nullopt for any other name.
[[nodiscard]] inline std::optional<Changed> changed_from_string(std::string_view name) {
  if (name == "all") return Changed::all;
  if (name == "none") return Changed::none;
  for (const auto& [n, bit] : changed_names)
    if (n == name) return bit;
  return std::nullopt;
}

/// An assistant: a rule with a scope, thresholds and an escalation ladder.
/// Implement `feed()` and the matching `inspect` overload; return a Finding
/// when the condition holds at `ctx.now`. The engine decides which ladder steps
/// are due, keys them, and turns them into actions.
///
/// @code
/// class VipSilence : public nudge::Assistant {
/// public:
///   VipSilence() : Assistant("vip_silence", {.labels = {"vip"}}, {{.id = "call", .after = nudge::Period::days(0)}}) {}
///   nudge::Feed feed() const override { return nudge::Feed::clients; }
///   std::optional<nudge::Finding> inspect(const nudge::Context& ctx, const nudge::ClientView& v) const override {
///     auto last = v.summary->last_contact(nudge::ContactPolicy{}).value_or(v.client->created);
///     if (ctx.now - last <= std::chrono::days{7}) return std::nullopt;
///     return make_finding(*v.client, last + std::chrono::days{7}, nudge::iso_instant(last), "VIP not called for a week");
///   }
/// };
/// @endcode
class Assistant {
public:
  Assistant(std::string id, Scope scope, Ladder ladder)
      : id_(std::move(id)), scope_(std::move(scope)), ladder_(std::move(ladder)) {}
  virtual ~Assistant() = default;

  [[nodiscard]] const std::string& id() const { return id_; }
  [[nodiscard]] const Scope& scope() const { return scope_; }
  [[nodiscard]] const Ladder& ladder() const { return ladder_; }
  /// The label this assistant puts on clients while its findings hold ("" = none).
  /// The engine removes it from clients that no longer have a finding.
  [[nodiscard]] virtual std::string label() const { return {}; }

  [[nodiscard]] virtual Feed feed() const = 0;
  [[nodiscard]] virtual std::optional<Finding> inspect(const Context&, const ClientView&) const { return std::nullopt; }
  [[nodiscard]] virtual std::optional<Finding> inspect(const Context&, const ClientInfo&, const DealView&) const {
    return std::nullopt;
  }
  /// True when a hit that holds changes with time alone (its figures, or
  /// whether it holds), so an incremental evaluation tests it at every move of
  /// time, unless the test tells it how the hit ages (Context::aging). The
  /// default (true) is safe; built-ins whose hits stay as they are once they
  /// hold say false.
  [[nodiscard]] virtual bool varies_with_time() const { return true; }
  /// The kinds of facts `test` reads. An incremental evaluation (Watch) tests
  /// the assistant again on a client touched with one of these kinds (or with
  /// `client`: the scope reads the client's record for every assistant), and
  /// skips it for the others. The default, every kind, is always right; an
  /// assistant that reads less may say so, as the built-ins do. Saying less
  /// than `test` reads makes a Watch miss changes.
  ///
  /// @code
  /// nudge::Changed reads() const override { return nudge::Changed::client | nudge::Changed::activity; }
  /// @endcode
  [[nodiscard]] virtual Changed reads() const { return Changed::all; }
  [[nodiscard]] virtual std::optional<Finding> inspect(const Context&, const ClientInfo&, const Invoice&) const {
    return std::nullopt;
  }
  [[nodiscard]] virtual std::optional<Finding> inspect(const Context&, const ClientInfo&, const Task&) const {
    return std::nullopt;
  }

  /// The cheap half of inspect, for Engine::evaluate and the deadline index:
  /// does the condition hold at ctx.now? Fills `h` (at least `since`) without
  /// building strings. Built-ins override it and build inspect on it; the
  /// default runs inspect, so an assistant that only has inspect still works.
  [[nodiscard]] virtual bool test(const Context& ctx, const ClientView& v, Hit& h) const {
    return from_finding(inspect(ctx, v), h);
  }
  [[nodiscard]] virtual bool test(const Context& ctx, const ClientInfo& c, const DealView& v, Hit& h) const {
    return from_finding(inspect(ctx, c, v), h);
  }
  [[nodiscard]] virtual bool test(const Context& ctx, const ClientInfo& c, const Invoice& i, Hit& h) const {
    return from_finding(inspect(ctx, c, i), h);
  }
  [[nodiscard]] virtual bool test(const Context& ctx, const ClientInfo& c, const Task& t, Hit& h) const {
    return from_finding(inspect(ctx, c, t), h);
  }

  /// The moment a step falls due for a finding. By default `after` from the
  /// episode start, in the step's time basis; assistants that measure a share
  /// of a limit override it. The step fires when now is strictly after it.
  [[nodiscard]] virtual Instant step_due(const Context& ctx, const Finding& f, const LadderStep& s) const {
    return ctx.calendar->advance(f.since, s.after);
  }

  /// The note of the label when several findings of this assistant hold for one
  /// client (the debtor sums its invoices per currency). Default: the first note.
  [[nodiscard]] virtual std::string merge_label_notes(const std::vector<const Finding*>& fs) const {
    return fs.empty() ? std::string{} : fs.front()->label_note;
  }

  /// For assistants whose ladder reassigns: how the new manager is chosen
  /// (nullptr = the engine's default, least loaded).
  [[nodiscard]] virtual const ReleasePolicy* release_policy() const { return nullptr; }

protected:
  /// A finding's numbers as a Hit (the default test).
  static bool from_finding(const std::optional<Finding>& f, Hit& h) {
    if (!f) {
      h.since = Instant::min();  // unknown: test again at every move of time
      return false;
    }
    aim(h, f->subject, f->client, f->owner);
    h.since = f->since;
    h.cents = f->cents.value_or(0);
    return true;
  }
  /// Points a hit at its subject: the subject, its client and the owner the
  /// finding is about (a deal's or a task's own, a client's for an invoice).
  static void aim(Hit& h, const Client& c) { aim(h, SubjectRef::of(c.id), c.id, c.owner); }
  static void aim(Hit& h, const Deal& d) { aim(h, SubjectRef::of(d.id), d.client, d.owner); }
  static void aim(Hit& h, const Invoice& i, ManagerId owner) { aim(h, SubjectRef::of(i.id), i.client, owner); }
  static void aim(Hit& h, const Task& t) { aim(h, SubjectRef::of(t.id), t.client, t.assignee); }
  static void aim(Hit& h, SubjectRef subject, ClientId client, ManagerId owner) {
    h.subject = subject;
    h.client = client;
    h.owner = owner;
  }

  /// A finding made from a hit: rule, subject, client, owner, since, amount.
  [[nodiscard]] Finding finding_of(const Hit& h) const {
    Finding f;
    f.rule = id_;
    f.subject = h.subject;
    f.client = h.client;
    f.owner = h.owner;
    f.since = h.since;
    return f;
  }

  /// A finding about a client, filled with the common fields.
  [[nodiscard]] Finding make_finding(const Client& c, Instant since, std::string episode, std::string summary) const {
    Finding f;
    f.rule = id_;
    f.subject = SubjectRef::of(c.id);
    f.client = c.id;
    f.owner = c.owner;
    f.since = since;
    f.episode = std::move(episode);
    f.summary = std::move(summary);
    f.label = label();
    return f;
  }

private:
  std::string id_;
  Scope scope_;
  Ladder ladder_;
};

/// "100 days", "1 day".
inline std::string days_text(std::int64_t n) { return fmt::format("{} day{}", n, n == 1 || n == -1 ? "" : "s"); }

}  // namespace nudge

namespace nudge {

/// A period as people say it: "90 days", "36 hours", "3 business days".
inline std::string period_text(const Period& p) {
  const auto s = p.length.count();
  if (p.basis == TimeBasis::calendar) {
    if (s % 86400 == 0) return days_text(s / 86400);
    if (s % 3600 == 0) return fmt::format("{} hour{}", s / 3600, s == 3600 ? "" : "s");
  }
  return to_string(p);
}

/// Days (with one decimal when not whole) of a length of time: "3", "2.5".
inline std::string days_of(Seconds s) {
  if (s.count() % 86400 == 0) return std::to_string(s.count() / 86400);
  return fmt::format("{:.1f}", static_cast<double>(s.count()) / 86400.0);
}

}  // namespace nudge
