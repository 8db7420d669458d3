#pragma once
/// @file
/// Forgotten clients: no contact for N days -> label and a task for the owner.

#include <nudge/rules/assistant.hpp>

namespace nudge {

/// Configuration of a forgotten-client assistant (maps one to one to the
/// configuration file's `assistants.forgotten[]` entries).
struct ForgottenConfig {
  std::string id = "forgotten";
  bool enabled = true;
  Scope scope;
  /// No contact for longer than this -> forgotten. A client never contacted counts from its creation.
  Period after = Period::days(90);
  /// Which activities count as contact (default: all but missed calls; completed tasks count).
  ContactPolicy contact;
  /// "Don't forget while an active task exists": an open task due at or after now exempts the client.
  bool exempt_future_task = true;
  std::string label = "forgotten";
  Ladder ladder{LadderStep{.id = "task", .title = "Call {client}: no contact for {days} days",
                           .due_in = Period::business_days(1)}};
  friend bool operator==(const ForgottenConfig&, const ForgottenConfig&) = default;
};

/// The forgotten-client assistant.
class ForgottenAssistant : public Assistant {
public:
  explicit ForgottenAssistant(ForgottenConfig c) : Assistant(c.id, c.scope, c.ladder), c_(std::move(c)) {}
  [[nodiscard]] Feed feed() const override { return Feed::clients; }
  [[nodiscard]] bool varies_with_time() const override { return false; }
  /// The client's creation, its contacts (activities), and its tasks when an
  /// open task exempts it or a completed one counts as contact.
  [[nodiscard]] Changed reads() const override {
    return Changed::client | Changed::activity |
           (c_.exempt_future_task || c_.contact.completed_tasks ? Changed::task : Changed::none);
  }
  [[nodiscard]] std::string label() const override { return c_.label; }
  [[nodiscard]] const ForgottenConfig& config() const { return c_; }

  /// When the client became (or becomes) forgotten and the contact it counts
  /// from; nullopt while exempt. Shared with the release assistant.
  struct State {
    Instant anchor;
    bool never_contacted;
    Instant since;
  };
  [[nodiscard]] std::optional<State> state(const Context& ctx, const ClientView& v) const {
    const auto last = v.summary->last_contact(c_.contact);
    if (c_.exempt_future_task && v.summary->has_future_task(ctx.now)) return std::nullopt;
    const Instant anchor = last.value_or(v.client->created);
    return State{anchor, !last.has_value(), ctx.calendar->advance(anchor, c_.after)};
  }

  [[nodiscard]] bool test(const Context& ctx, const ClientView& v, Hit& h) const override {
    aim(h, *v.client);
    const auto st = state(ctx, v);
    if (!st) {
      // Exempt while an open task is due at or after now: test again once it is past due.
      h.since = v.summary->latest_open_due ? *v.summary->latest_open_due : Instant::max();
      return false;
    }
    h.anchor = st->anchor;
    h.since = st->since;
    return ctx.now > st->since;
  }

  [[nodiscard]] std::optional<Finding> inspect(const Context& ctx, const ClientView& v) const override {
    Hit h;
    if (!test(ctx, v, h)) return std::nullopt;
    const auto st = state(ctx, v);
    const auto days = ctx.days_since(st->anchor);
    const auto owner = ctx.manager_name(v.client->owner);
    auto f = make_finding(*v.client, st->since, iso_instant(st->anchor),
                          st->never_contacted
                              ? fmt::format("client '{}' forgotten: never contacted since it was created {} ({} ago), "
                                            "limit {}, owner {}",
                                            v.client->name, iso_date(utc_date(st->anchor)), days_text(days),
                                            period_text(c_.after), owner)
                              : fmt::format("client '{}' forgotten: last contact {} ({} ago), limit {}, owner {}",
                                            v.client->name, iso_date(utc_date(st->anchor)), days_text(days),
                                            period_text(c_.after), owner));
    f.facts = {{st->never_contacted ? "created" : "last_contact", st->anchor},
               {"days", days},
               {"limit", to_string(c_.after)},
               {"owner", owner}};
    f.label_note = fmt::format("since {}", iso_date(utc_date(st->since)));
    return f;
  }

private:
  ForgottenConfig c_;
};

}  // namespace nudge
