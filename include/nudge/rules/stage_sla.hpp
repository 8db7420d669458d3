#pragma once
/// @file
/// Stage SLA: time in the current stage against that stage's limit.

#include <algorithm>

#include <nudge/rules/assistant.hpp>

namespace nudge {

struct StageSlaConfig {
  std::string id = "stage_sla";
  bool enabled = true;
  Scope scope;
  /// Hold reasons that pause the clock (empty = every hold pauses it).
  std::vector<std::string> pause_on;
  /// Re-entering a stage restarts its clock (true) or continues from the earlier visits (false).
  bool restart_on_reentry = true;
  /// Steps fire at a share of the stage's limit: warn the owner at 80 %, the
  /// supervisor at the breach, the supervisor's supervisor at twice the limit.
  Ladder ladder{LadderStep{.id = "warning", .share = 0.8, .action = StepAction::notify, .template_id = "sla_warning"},
                LadderStep{.id = "breach", .share = 1.0, .action = StepAction::notify, .target = Target::supervisor,
                           .template_id = "sla_breach"},
                LadderStep{.id = "breach2", .share = 2.0, .action = StepAction::notify, .target = Target::supervisor,
                           .level = 2, .template_id = "sla_breach"}};
  friend bool operator==(const StageSlaConfig&, const StageSlaConfig&) = default;
};

class StageSlaAssistant : public Assistant {
public:
  explicit StageSlaAssistant(StageSlaConfig c) : Assistant(c.id, c.scope, c.ladder), c_(std::move(c)) {
    for (const auto& s : ladder()) min_share_ = std::min(min_share_, s.share.value_or(1.0));
  }
  [[nodiscard]] Feed feed() const override { return Feed::deals; }
  /// The deal alone: its stage, history and holds (not activities or tasks).
  [[nodiscard]] Changed reads() const override { return Changed::deal; }
  [[nodiscard]] const StageSlaConfig& config() const { return c_; }

  /// `seconds` = time used minus the limit (negative while within it).
  [[nodiscard]] bool test(const Context& ctx, const ClientInfo&, const DealView& v, Hit& h) const override {
    const Deal& d = *v.deal;
    aim(h, d);
    if (!d.is_open()) return false;
    const Stage* st = stage_of(ctx, d);
    if (!st || !st->limit) return false;
    const Period limit = *st->limit;
    h.anchor = d.stage_entered;
    h.cents = d.amount.cents;
    // The clock ran without a break since the stage was entered (the common
    // case) or over the runs that history and holds leave.
    const bool simple = d.holds.empty() && (c_.restart_on_reentry ||
                                            std::none_of(d.history.begin(), d.history.end(),
                                                         [&](const StageVisit& x) { return x.stage == d.stage; }));
    const Seconds used = !simple                      ? consumed(ctx, active_runs(ctx, d), limit.basis)
                         : d.stage_entered < ctx.now ? ctx.calendar->elapsed(d.stage_entered, ctx.now, limit.basis)
                                                     : Seconds{0};
    const auto threshold = Seconds{static_cast<std::int64_t>(min_share_ * static_cast<double>(limit.length.count()))};
    h.seconds = (used - limit.length).count();
    if (used > threshold) {
      h.since = d.stage_entered;
      if (ctx.aging) describe_aging(ctx, d, limit.basis, *ctx.aging);
      return true;
    }
    // Within the limit: the clock reaches the threshold after the time left,
    // unless a hold is running now (then only an event restarts it).
    // A hold that starts later can only delay it, so the deadline is never late.
    std::optional<Instant> resume;
    bool paused = false;
    for (const auto& x : d.holds) {
      if (!(x.from <= ctx.now && (!x.to || *x.to > ctx.now))) continue;
      if (!c_.pause_on.empty() && std::find(c_.pause_on.begin(), c_.pause_on.end(), x.reason) == c_.pause_on.end())
        continue;
      paused = true;
      if (!x.to) {
        resume = Instant::max();
        break;
      }
      resume = resume ? std::min(*resume, *x.to) : *x.to;  // test again when the first hold ends
    }
    h.since = paused ? *resume : ctx.calendar->advance(ctx.now, Period{threshold - used, limit.basis});
    return false;
  }

  [[nodiscard]] std::optional<Finding> inspect(const Context& ctx, const ClientInfo& c, const DealView& v) const override {
    Hit h;
    if (!test(ctx, c, v, h)) return std::nullopt;
    const Deal& d = *v.deal;
    const Period limit = *stage_of(ctx, d)->limit;
    const auto runs = active_runs(ctx, d);
    const Seconds used = consumed(ctx, runs, limit.basis);
    Finding f;
    f.rule = id();
    f.subject = SubjectRef::of(d.id);
    f.client = d.client;
    f.owner = d.owner;
    f.episode = d.stage + "@" + iso_instant(runs.empty() ? d.stage_entered : runs.front().first);
    f.since = d.stage_entered;
    f.cents = d.amount.cents;
    f.currency = d.amount.currency;
    const Seconds over = used - limit.length;
    const bool breached = used > limit.length;
    f.summary = fmt::format("deal {} {} stage '{}' limit: in stage since {}, used {} of {}{}, owner {}", d.id.value(),
                            breached ? "breached" : "nearing", d.stage, iso_instant(d.stage_entered),
                            used_text(used, limit.basis), period_text(limit),
                            breached ? fmt::format(" ({} over)", used_text(over, limit.basis)) : std::string{},
                            ctx.manager_name(d.owner));
    f.facts = {{"stage", d.stage},
               {"entered", d.stage_entered},
               {"limit", to_string(limit)},
               {"used_seconds", static_cast<std::int64_t>(used.count())},
               {"over_seconds", static_cast<std::int64_t>(over.count())},
               {"level", std::string(breached ? "breach" : "warning")}};
    return f;
  }

  /// The moment `share` of the limit was used up, walking the active runs.
  [[nodiscard]] Instant step_due(const Context& ctx, const Finding& f, const LadderStep& s) const override {
    auto d = ctx.store->find_deal(DealId{f.subject.id});
    const Pipeline* p = d ? ctx.pipeline(d->pipeline) : nullptr;
    const Stage* st = p ? p->find(d->stage) : nullptr;
    if (!st || !st->limit) return Assistant::step_due(ctx, f, s);
    const auto limit = *st->limit;
    Seconds left{static_cast<std::int64_t>(s.share.value_or(1.0) * static_cast<double>(limit.length.count()))};
    left += s.after.length;
    Instant last = f.since;
    for (const auto& [a, b] : active_runs(ctx, *d)) {
      const Seconds e = ctx.calendar->elapsed(a, b, limit.basis);
      if (e >= left) return ctx.calendar->advance(a, Period{left, limit.basis});
      left -= e;
      last = b;
    }
    return ctx.calendar->advance(last, Period{left, limit.basis});
  }

private:
  [[nodiscard]] bool pauses(const Hold& x) const {
    return c_.pause_on.empty() || std::find(c_.pause_on.begin(), c_.pause_on.end(), x.reason) != c_.pause_on.end();
  }

  /// How a breach that holds at ctx.now ages (see Aging): the used time grows
  /// by the clock's elapsed time on the limit's basis while no pausing hold
  /// runs, and stands still while one does, until the next pausing hold
  /// starts or ends. Exact because the clock's runs keep their shape until
  /// then: only the last run's end (now) moves, and elapsed() is additive.
  /// Left unset (the Watch tests again at every move) when the stage entry or
  /// an earlier visit counted lies after now, where the runs change shape.
  void describe_aging(const Context& ctx, const Deal& d, TimeBasis basis, Aging& a) const {
    if (d.stage_entered > ctx.now) return;
    if (!c_.restart_on_reentry)
      for (const auto& x : d.history)
        if (x.stage == d.stage && x.left && (*x.left > ctx.now || x.entered > ctx.now)) return;
    Aging out{.basis = basis, .runs = true, .until = Instant::max(), .known = true};
    for (const auto& x : d.holds) {
      if (!pauses(x)) continue;
      if (x.from > ctx.now) {
        out.until = std::min(out.until, x.from);  // a hold starts: test again then
      } else if (!x.to) {
        out.runs = false;  // an open hold: stands still until an event
      } else if (*x.to > ctx.now) {
        out.runs = false;
        out.until = std::min(out.until, *x.to);  // the hold ends: test again then
      }
    }
    a = out;
  }

  [[nodiscard]] static const Stage* stage_of(const Context& ctx, const Deal& d) {
    const Pipeline* p = ctx.pipeline(d.pipeline);
    return p ? p->find(d.stage) : nullptr;
  }

  /// The intervals [a, b) the clock ran in the current stage up to now: the
  /// current visit (and earlier ones unless restarting), minus pausing holds.
  [[nodiscard]] std::vector<std::pair<Instant, Instant>> active_runs(const Context& ctx, const Deal& d) const {
    std::vector<std::pair<Instant, Instant>> visits;
    if (!c_.restart_on_reentry)
      for (const auto& h : d.history)
        if (h.stage == d.stage && h.left) visits.emplace_back(h.entered, *h.left);
    visits.emplace_back(d.stage_entered, ctx.now);
    std::vector<std::pair<Instant, Instant>> out;
    for (auto [a, b] : visits) {
      std::vector<std::pair<Instant, Instant>> pauses;
      for (const auto& h : d.holds)
        if (c_.pause_on.empty() || std::find(c_.pause_on.begin(), c_.pause_on.end(), h.reason) != c_.pause_on.end())
          pauses.emplace_back(h.from, h.to.value_or(ctx.now));
      std::sort(pauses.begin(), pauses.end());
      Instant cur = a;
      for (auto [pa, pb] : pauses) {
        if (pb <= cur || pa >= b) continue;
        if (pa > cur) out.emplace_back(cur, pa);
        cur = std::max(cur, pb);
      }
      if (cur < b) out.emplace_back(cur, b);
    }
    return out;
  }
  [[nodiscard]] Seconds consumed(const Context& ctx, const std::vector<std::pair<Instant, Instant>>& runs,
                                 TimeBasis basis) const {
    Seconds s{0};
    for (const auto& [a, b] : runs) s += ctx.calendar->elapsed(a, b, basis);
    return s;
  }
  static std::string used_text(Seconds s, TimeBasis basis) {
    if (basis == TimeBasis::business_hours) return fmt::format("{:.1f} business hours", static_cast<double>(s.count()) / 3600.0);
    const auto n = days_of(s);
    return fmt::format("{} {}day{}", n, basis == TimeBasis::business_days ? "business " : "", n == "1" ? "" : "s");
  }

  StageSlaConfig c_;
  double min_share_ = 1.0;
};

}  // namespace nudge
