#pragma once
/// @file
/// Client release: a forgotten client whose owner still did nothing after a
/// grace period is handed to another, more diligent manager.

#include <nudge/rules/forgotten.hpp>

namespace nudge {

struct ReleaseConfig {
  std::string id = "release";
  bool enabled = true;
  Scope scope;
  /// The forgotten assistant this release follows (its threshold and contact rules).
  std::string forgotten = "forgotten";
  /// How long after becoming forgotten, with still no contact.
  Period grace = Period::days(14);
  ReleasePolicy policy;
  Ladder ladder{LadderStep{.id = "reassign", .action = StepAction::reassign,
                           .title = "Take over {client}: no contact for {days} days",
                           .due_in = Period::business_days(1)}};
  friend bool operator==(const ReleaseConfig&, const ReleaseConfig&) = default;
};

/// Release only ever follows forgetting: its condition is the forgotten
/// assistant's, held for the grace period longer. Locked clients are never released.
class ReleaseAssistant : public Assistant {
public:
  ReleaseAssistant(ReleaseConfig c, ForgottenConfig forgotten)
      : Assistant(c.id, c.scope, c.ladder), c_(std::move(c)), forgotten_(std::move(forgotten)) {}
  [[nodiscard]] Feed feed() const override { return Feed::clients; }
  [[nodiscard]] bool varies_with_time() const override { return false; }
  /// What its forgotten assistant reads (the release lock is the client's).
  [[nodiscard]] Changed reads() const override { return Changed::client | forgotten_.reads(); }
  [[nodiscard]] const ReleasePolicy* release_policy() const override { return &c_.policy; }
  [[nodiscard]] const ReleaseConfig& config() const { return c_; }

  [[nodiscard]] bool test(const Context& ctx, const ClientView& v, Hit& h) const override {
    aim(h, *v.client);
    if (v.client->release_locked) return false;
    if (!forgotten_.scope().matches(*v.client)) return false;  // not forgotten, so never released
    const auto st = forgotten_.state(ctx, v);
    if (!st) {
      h.since = v.summary->latest_open_due ? *v.summary->latest_open_due : Instant::max();
      return false;
    }
    h.anchor = st->anchor;
    h.since = ctx.calendar->advance(st->since, c_.grace);
    return ctx.now > st->since && ctx.now > h.since;
  }

  [[nodiscard]] std::optional<Finding> inspect(const Context& ctx, const ClientView& v) const override {
    Hit h;
    if (!test(ctx, v, h)) return std::nullopt;
    const auto st = forgotten_.state(ctx, v);
    const Instant since = h.since;
    const auto days = ctx.days_since(st->anchor);
    auto f = make_finding(*v.client, since, iso_instant(st->anchor),
                          fmt::format("client '{}' to be released: forgotten since {} and still no contact after {} "
                                      "(last contact {}, {} ago), owner {}",
                                      v.client->name, iso_date(utc_date(st->since)), period_text(c_.grace),
                                      st->never_contacted ? "never" : iso_date(utc_date(st->anchor)),
                                      days_text(days), ctx.manager_name(v.client->owner)));
    f.facts = {{st->never_contacted ? "created" : "last_contact", st->anchor},
               {"forgotten_since", st->since},
               {"days", days},
               {"grace", to_string(c_.grace)},
               {"owner", ctx.manager_name(v.client->owner)}};
    return f;
  }

private:
  ReleaseConfig c_;
  ForgottenAssistant forgotten_;
};

}  // namespace nudge
