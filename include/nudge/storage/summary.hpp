#pragma once
/// @file
/// Derived facts per client and per deal. An adapter may keep them current on
/// write (the in-memory adapter does) so a plan never rescans every activity;
/// the port's default computes them from the plain reads.

#include <algorithm>
#include <array>
#include <optional>
#include <utility>
#include <vector>

#include <nudge/domain/activity.hpp>
#include <nudge/domain/client.hpp>
#include <nudge/domain/deal.hpp>
#include <nudge/domain/invoice.hpp>
#include <nudge/domain/slim_vector.hpp>
#include <nudge/domain/task.hpp>

namespace nudge {

/// Which activities count as contact with a client.
struct ContactPolicy {
  /// Per ActivityKind (indexed by its value): does an activity of that kind count?
  /// Default: every kind except a missed call.
  std::array<bool, activity_kind_count> kinds{true, true, false, true, true, true, true, true, true};
  /// Does a completed task count as contact?
  bool completed_tasks = true;

  static ContactPolicy any_activity() {
    ContactPolicy p;
    p.kinds.fill(true);
    p.completed_tasks = false;
    return p;
  }
  [[nodiscard]] bool counts(ActivityKind k) const { return kinds[static_cast<std::size_t>(k)]; }
  friend bool operator==(const ContactPolicy&, const ContactPolicy&) = default;
};

namespace detail {
/// The latest contact under a policy of a ClientSummary or ContactFacts
/// (their contact facts have the same names and types).
template <class Facts>
[[nodiscard]] std::optional<Instant> last_contact(const Facts& f, const ContactPolicy& p) {
  Instant best = f.last_forced_contact.or_min();
  for (std::size_t k = 0; k < activity_kind_count; ++k)
    if (p.kinds[k]) best = std::max(best, f.last_by_kind[k].or_min());
  if (p.completed_tasks) best = std::max(best, f.last_task_done.or_min());
  return best == Instant::min() ? std::nullopt : std::optional<Instant>(best);
}
}  // namespace detail

/// Derived facts about one client. The instants are MaybeInstant (8 bytes, read
/// like std::optional<Instant>): a million clients' summaries take 88 MB less.
struct ClientSummary {
  /// Latest activity of each kind whose contact flag is `by_kind`.
  std::array<MaybeInstant, activity_kind_count> last_by_kind{};
  /// Latest activity forced to count as contact (Contact::yes).
  MaybeInstant last_forced_contact;
  /// Latest completion of a task of this client (state done).
  MaybeInstant last_task_done;
  /// Open tasks of this client, and the latest due date among the open tasks
  /// people made (tasks the engine created, with an origin, are not counted there).
  int open_tasks = 0;
  MaybeInstant latest_open_due;
  /// Closing instants of won deals and settling instants of paid invoices, ascending.
  /// (SlimVectors: one pointer each, no allocation while empty.)
  SlimVector<Instant> won_deals;
  SlimVector<Instant> paid_invoices;

  /// The latest contact under a policy; empty when there was none.
  [[nodiscard]] std::optional<Instant> last_contact(const ContactPolicy& p) const {
    return detail::last_contact(*this, p);
  }

  /// True when an open task is due at or after `now`.
  [[nodiscard]] bool has_future_task(Instant now) const { return latest_open_due && *latest_open_due >= now; }

  /// Folds one activity in.
  void add(const Activity& a) { add_contact(a.kind, a.contact, a.at); }
  /// What an activity adds: its kind, whether it counts as contact, its time.
  void add_contact(ActivityKind kind, Contact contact, Instant at) {
    MaybeInstant* slot = contact_slot(kind, contact);
    if (slot && (!*slot || at > **slot)) *slot = at;
  }
  /// The slot an activity of this kind and contact flag moves: its kind's,
  /// or the forced contact's; none for an activity that is not contact.
  [[nodiscard]] const MaybeInstant* contact_slot(ActivityKind kind, Contact contact) const {
    if (contact == Contact::no) return nullptr;
    return contact == Contact::yes ? &last_forced_contact : &last_by_kind[static_cast<std::size_t>(kind)];
  }
  [[nodiscard]] MaybeInstant* contact_slot(ActivityKind kind, Contact contact) {
    return const_cast<MaybeInstant*>(std::as_const(*this).contact_slot(kind, contact));
  }
  void add(const Task& t) {
    if (t.open()) {
      ++open_tasks;
      // The engine's own reminders (origin set) do not exempt a client from being forgotten.
      if (t.origin.empty() && (!latest_open_due || t.due > *latest_open_due)) latest_open_due = t.due;
    } else if (t.state == TaskState::done && t.closed) {
      if (!last_task_done || *t.closed > *last_task_done) last_task_done = t.closed;
    }
  }
  void add(const Deal& d) {
    if (d.status == DealStatus::won && d.closed) insert_sorted(won_deals, *d.closed);
  }
  void add(const Invoice& i) {
    if (i.paid) insert_sorted(paid_invoices, *i.paid);
  }

  friend bool operator==(const ClientSummary&, const ClientSummary&) = default;

private:
  static void insert_sorted(SlimVector<Instant>& v, Instant t) { v.insert(std::upper_bound(v.begin(), v.end(), t), t); }
};

/// The contact facts of a ClientSummary, copied (88 bytes, no allocation):
/// what the engine keeps per client for the assistants of other feeds when
/// the store's summaries do not outlive a scan (Storage::stable_views false).
struct ContactFacts {
  std::array<MaybeInstant, activity_kind_count> last_by_kind{};
  MaybeInstant last_forced_contact;
  MaybeInstant last_task_done;

  ContactFacts() = default;
  explicit ContactFacts(const ClientSummary& s)
      : last_by_kind(s.last_by_kind), last_forced_contact(s.last_forced_contact), last_task_done(s.last_task_done) {}
  /// As ClientSummary::last_contact.
  [[nodiscard]] std::optional<Instant> last_contact(const ContactPolicy& p) const {
    return detail::last_contact(*this, p);
  }
  friend bool operator==(const ContactFacts&, const ContactFacts&) = default;
};

/// A client with its derived facts, as handed out by a batch scan.
struct ClientView {
  const Client* client = nullptr;
  const ClientSummary* summary = nullptr;
};

/// An open deal with the tasks linked to it: how many are open, and when the
/// latest one was closed (done or cancelled) -- "no next step" starts from there.
struct DealView {
  const Deal* deal = nullptr;
  int open_tasks = 0;
  std::optional<Instant> last_task_closed;
};

}  // namespace nudge
