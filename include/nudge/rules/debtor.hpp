#pragma once
/// @file
/// Debtors: overdue receivables -> a reminder ladder to the client, then the supervisor.

#include <map>

#include <nudge/rules/assistant.hpp>

namespace nudge {

struct DebtorConfig {
  std::string id = "debtor";
  bool enabled = true;
  Scope scope;
  /// Overdue for longer than this after the due date.
  Period grace = Period::days(0);
  std::string label = "debtor";
  Ladder ladder{
      LadderStep{.id = "remind1", .after = Period::days(1), .action = StepAction::notify, .target = Target::client,
                 .channel = Channel::email, .template_id = "debtor_reminder"},
      LadderStep{.id = "remind2", .after = Period::days(7), .action = StepAction::notify, .target = Target::client,
                 .channel = Channel::email, .template_id = "debtor_reminder"},
      LadderStep{.id = "remind3", .after = Period::days(14), .action = StepAction::notify, .target = Target::client,
                 .channel = Channel::sms, .template_id = "debtor_reminder"},
      LadderStep{.id = "supervisor", .after = Period::days(30), .action = StepAction::notify,
                 .target = Target::supervisor, .template_id = "debtor_escalation"}};
  friend bool operator==(const DebtorConfig&, const DebtorConfig&) = default;
};

class DebtorAssistant : public Assistant {
public:
  explicit DebtorAssistant(DebtorConfig c) : Assistant(c.id, c.scope, c.ladder), c_(std::move(c)) {}
  [[nodiscard]] Feed feed() const override { return Feed::invoices; }
  [[nodiscard]] bool varies_with_time() const override { return false; }
  /// The invoice and the client's owner.
  [[nodiscard]] Changed reads() const override { return Changed::client | Changed::invoice; }
  [[nodiscard]] std::string label() const override { return c_.label; }
  [[nodiscard]] const DebtorConfig& config() const { return c_; }

  [[nodiscard]] bool test(const Context& ctx, const ClientInfo& c, const Invoice& i, Hit& h) const override {
    aim(h, i, c.owner);
    if (i.is_paid() || i.outstanding_cents() <= 0) return false;
    h.anchor = i.due;
    h.cents = i.outstanding_cents();
    h.since = ctx.calendar->advance(i.due, c_.grace);
    return ctx.now > h.since;
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
    f.episode = iso_instant(i.due);
    f.since = since;
    f.cents = i.outstanding_cents();
    f.currency = i.amount.currency;
    f.label = c_.label;
    const Money owed{i.outstanding_cents(), i.amount.currency};
    f.label_note = to_string(owed);
    const auto days = ctx.days_since(i.due);
    f.summary = fmt::format("invoice {} of client {} overdue: due {} ({} ago), {} outstanding, owner {}", i.id.value(),
                            i.client.value(), iso_date(utc_date(i.due)), days_text(days), to_string(owed),
                            ctx.manager_name(c.owner));
    f.facts = {{"due", i.due}, {"days_overdue", days}, {"outstanding", to_string(owed)}, {"grace", to_string(c_.grace)}};
    return f;
  }

  /// The client's label says the overdue sum per currency: "1200.00 EUR, 80.00 USD overdue".
  [[nodiscard]] std::string merge_label_notes(const std::vector<const Finding*>& fs) const override {
    std::map<std::string, std::int64_t> sums;
    for (const auto* f : fs) sums[f->currency] += f->cents.value_or(0);
    std::string out;
    for (const auto& [cur, cents] : sums) out += (out.empty() ? "" : ", ") + to_string(Money{cents, cur});
    return out + " overdue";
  }

private:
  DebtorConfig c_;
};

}  // namespace nudge
