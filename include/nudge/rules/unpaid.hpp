#pragma once
/// @file
/// Unpaid orders: an invoice issued and then forgotten (unpaid, nobody talked to the client since).

#include <nudge/rules/assistant.hpp>

namespace nudge {

struct UnpaidConfig {
  std::string id = "unpaid";
  bool enabled = true;
  Scope scope;
  /// Unpaid this long after issue, with no contact since it was issued.
  Period after = Period::days(7);
  /// Which activities count as contact.
  ContactPolicy contact;
  Ladder ladder{LadderStep{.id = "task", .title = "Ask {client} about unpaid invoice {invoice}",
                           .due_in = Period::business_days(1)}};
  friend bool operator==(const UnpaidConfig&, const UnpaidConfig&) = default;
};

class UnpaidAssistant : public Assistant {
public:
  explicit UnpaidAssistant(UnpaidConfig c) : Assistant(c.id, c.scope, c.ladder), c_(std::move(c)) {}
  [[nodiscard]] Feed feed() const override { return Feed::invoices; }
  [[nodiscard]] bool varies_with_time() const override { return false; }
  /// The invoice, the client's owner, contacts since the issue (activities,
  /// and completed tasks when the contact policy counts them).
  [[nodiscard]] Changed reads() const override {
    return Changed::client | Changed::invoice | Changed::activity |
           (c_.contact.completed_tasks ? Changed::task : Changed::none);
  }
  [[nodiscard]] const UnpaidConfig& config() const { return c_; }

  [[nodiscard]] bool test(const Context& ctx, const ClientInfo& c, const Invoice& i, Hit& h) const override {
    aim(h, i, c.owner);
    if (i.is_paid()) return false;
    h.anchor = i.issued;
    h.cents = i.outstanding_cents();
    h.since = ctx.calendar->advance(i.issued, c_.after);
    if (!(ctx.now > h.since)) return false;
    // Any contact at or after the issue ends it: the client's latest contact
    // under the policy says so, when the plan has the derived facts at hand.
    if (c.knows_contacts()) {
      const auto last = c.last_contact(c_.contact);
      if (last && *last >= i.issued) {
        h.since = Instant::max();  // only a new invoice state can bring it back
        return false;
      }
      return true;
    }
    // Otherwise ask the store for the activities since issue (few invoices get this far).
    for (const auto& a : ctx.store->activities_of(i.client, i.issued))
      if (a.contact == Contact::yes || (a.contact == Contact::by_kind && c_.contact.counts(a.kind))) {
        h.since = Instant::max();
        return false;
      }
    if (c_.contact.completed_tasks)  // the contact policy says a completed task is contact
      for (const auto& t : ctx.store->tasks_of(i.client, false))
        if (t.state == TaskState::done && t.closed && *t.closed >= i.issued) {
          h.since = Instant::max();
          return false;
        }
    return true;
  }

  [[nodiscard]] std::optional<Finding> inspect(const Context& ctx, const ClientInfo& c, const Invoice& i) const override {
    Hit h;
    if (!test(ctx, c, i, h)) return std::nullopt;
    const Instant since = h.since;
    Finding f;
    f.rule = id();
    f.subject = SubjectRef::of(i.id);
    f.client = i.client;
    f.owner = c.owner;
    f.episode = iso_instant(i.issued);
    f.since = since;
    f.cents = i.outstanding_cents();
    f.currency = i.amount.currency;
    const auto days = ctx.days_since(i.issued);
    f.summary = fmt::format("invoice {} of client {} unpaid: issued {} ({} ago), {} outstanding, no contact since, "
                            "limit {}, owner {}",
                            i.id.value(), i.client.value(), iso_date(utc_date(i.issued)), days_text(days),
                            to_string(Money{i.outstanding_cents(), i.amount.currency}), period_text(c_.after),
                            ctx.manager_name(c.owner));
    f.facts = {{"issued", i.issued}, {"days", days}, {"outstanding", to_string(Money{i.outstanding_cents(), i.amount.currency})},
               {"limit", to_string(c_.after)}};
    return f;
  }

private:
  UnpaidConfig c_;
};

}  // namespace nudge
