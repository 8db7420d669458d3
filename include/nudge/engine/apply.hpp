#pragma once
/// @file
/// Carrying a plan out: the one unit of work both engines (the assistants'
/// Engine and the EventEngine) apply their plans through.

#include <fmt/format.h>

#include <nudge/engine/plan.hpp>
#include <nudge/progress.hpp>
#include <nudge/storage/storage.hpp>

namespace nudge::detail {

/// Actions between two progress reports of an apply.
inline constexpr std::size_t apply_report_every = 4096;

/// Applies every action whose key was not claimed before, with an audit
/// record each, in one unit of work; all or nothing. `at(action)` is the
/// instant the action is recorded at (the plan's now, or an event's time).
/// `progress` (optional) hears stage "actions" every apply_report_every
/// actions and once all are done, before the commit; returning false throws
/// nudge::cancelled and the unit rolls back: nothing is written.
template <class At>
ApplyResult apply_actions(const Plan& plan, Storage& store, At at, const ProgressFn& progress = {}) {
  ApplyResult out;
  auto uow = store.begin();
  const std::uint64_t total = plan.actions.size();
  std::uint64_t done = 0;
  for (const auto& a : plan.actions) {
    if (progress && done % apply_report_every == 0) report(progress, "apply", {"actions", done, total});
    ++done;
    if (a.once && !uow->claim_action(a.key, at(a))) {
      ++out.skipped;
      continue;
    }
    switch (a.kind) {
      case ActionKind::create_task: out.created_tasks.push_back(uow->create_task(*a.task)); break;
      case ActionKind::reassign: uow->reassign_client(a.client, *a.to); break;
      case ActionKind::notify: uow->enqueue(*a.message); break;
      case ActionKind::set_label: uow->set_label(SubjectRef::of(a.client), a.label, a.note); break;
      case ActionKind::clear_label: uow->clear_label(SubjectRef::of(a.client), a.label); break;
      case ActionKind::close_deal: {
        auto d = store.find_deal(DealId{a.subject.id});
        if (!d) throw not_found(fmt::format("apply {}: deal: unknown deal {}", a.key, a.subject.id));
        if (!d->is_open()) break;
        d->history.push_back({d->stage, d->stage_entered, at(a)});
        d->status = DealStatus::lost;
        d->closed = at(a);
        d->loss_reason = a.reason;
        uow->put_deal(*d);
        break;
      }
    }
    AuditRecord r;
    r.at = at(a);
    r.action_key = a.key;
    r.rule = a.rule;
    r.subject = a.subject;
    r.action = std::string(to_string(a.kind));
    r.explanation = a.finding < plan.findings.size() ? plan.findings[a.finding].summary + " -> " + a.explanation
                                                      : a.explanation;
    if (a.finding < plan.findings.size()) r.facts = plan.findings[a.finding].facts;
    if (a.kind == ActionKind::reassign) {
      r.facts.push_back({"released_from", a.from->value()});
      r.facts.push_back({"released_to", a.to->value()});
    }
    uow->append_audit(r);
    out.applied_keys.push_back(a.key);
    ++out.applied;
  }
  report(progress, "apply", {"actions", done, total});
  uow->commit();
  return out;
}

}  // namespace nudge::detail
