#pragma once
/// @file
/// Reports per manager and per team: what the head of sales reads instead of
/// clicking through every client.

#include <map>
#include <string>
#include <vector>

#include <nudge/engine/plan.hpp>
#include <nudge/graph/org_chart.hpp>
#include <nudge/storage/storage.hpp>

namespace nudge {

/// One manager's (or one team's) figures at a plan's `now`.
struct ManagerReport {
  ManagerId manager;
  std::string name;
  /// Managers covered: the manager alone, or the whole team under a supervisor.
  std::vector<ManagerId> members;
  /// Findings by assistant id for subjects the members own.
  std::map<std::string, std::int64_t> findings;
  std::int64_t clients = 0;
  std::int64_t open_tasks = 0;
  std::int64_t overdue_tasks = 0;
  /// Stage-SLA findings that are breaches (not just warnings).
  std::int64_t sla_breaches = 0;
  /// Clients handed to / taken from the members: planned in this plan, and applied since `since`.
  std::int64_t released_in = 0;
  std::int64_t released_out = 0;
  /// Open pipeline per currency: deals, amount (cents) and weighted amount.
  struct Pipeline {
    std::int64_t open_deals = 0;
    std::int64_t amount_cents = 0;
    double weighted = 0.0;
    friend bool operator==(const Pipeline&, const Pipeline&) = default;
  };
  std::map<std::string, Pipeline> pipeline;
  /// Open deals per stage.
  std::map<std::string, std::int64_t> deals_by_stage;

  friend bool operator==(const ManagerReport&, const ManagerReport&) = default;
};

/// Builds manager and team reports from a plan and the store.
///
/// @code
/// auto plan = engine.plan(store, now);
/// nudge::Reports reports{plan, store, now - std::chrono::days{30}};
/// auto mine = reports.manager(nudge::ManagerId{7});
/// auto team = reports.team(nudge::ManagerId{1});   // the supervisor and everyone below
/// @endcode
class Reports {
public:
  /// `since`: releases applied from this instant on (from the audit log) count as well.
  Reports(const Plan& plan, const Storage& store, Instant since) : org_(store.managers()) {
    for (const auto& m : store.managers()) per_[m.id].name = m.name, per_[m.id].manager = m.id;
    store.scan_clients([&](std::span<const ClientView> b) {
      for (const auto& v : b) ++at(v.client->owner).clients;
    });
    store.scan_open_tasks([&](std::span<const Task> b) {
      for (const auto& t : b) {
        ++at(t.assignee).open_tasks;
        if (t.due < plan.now) ++at(t.assignee).overdue_tasks;
      }
    });
    store.scan_open_deals([&](std::span<const DealView> b) {
      for (const auto& v : b) {
        auto& r = at(v.deal->owner);
        auto& p = r.pipeline[v.deal->amount.currency];
        ++p.open_deals;
        p.amount_cents += v.deal->amount.cents;
        p.weighted += v.deal->amount.to_decimal() * v.deal->probability;
        ++r.deals_by_stage[v.deal->stage];
      }
    });
    for (const auto& f : plan.findings) {
      auto& r = at(f.owner);
      ++r.findings[f.rule];
      if (const auto* lv = f.fact("level"); lv && std::get<std::string>(lv->value) == "breach") ++r.sla_breaches;
    }
    for (const auto& a : plan.actions)
      if (a.kind == ActionKind::reassign && a.from && a.to) {
        ++at(*a.to).released_in;
        ++at(*a.from).released_out;
      }
    for (const auto& rec : store.audit_log()) {
      if (rec.action != "reassign" || rec.at < since || rec.at >= plan.now) continue;
      std::optional<ManagerId> from, to;
      for (const auto& f : rec.facts) {
        if (f.name == "released_from") from = ManagerId{std::get<std::int64_t>(f.value)};
        if (f.name == "released_to") to = ManagerId{std::get<std::int64_t>(f.value)};
      }
      if (from) ++at(*from).released_out;
      if (to) ++at(*to).released_in;
    }
  }

  /// One manager's own figures.
  [[nodiscard]] ManagerReport manager(ManagerId id) const {
    auto it = per_.find(id);
    ManagerReport r = it == per_.end() ? ManagerReport{} : it->second;
    r.manager = id;
    r.members = {id};
    return r;
  }

  /// The supervisor's figures summed over everyone under them (themselves included).
  [[nodiscard]] ManagerReport team(ManagerId head) const {
    ManagerReport t = manager(head);
    t.members = org_.team(head);
    for (auto m : t.members) {
      if (m == head) continue;
      const auto r = manager(m);
      for (const auto& [k, n] : r.findings) t.findings[k] += n;
      t.clients += r.clients;
      t.open_tasks += r.open_tasks;
      t.overdue_tasks += r.overdue_tasks;
      t.sla_breaches += r.sla_breaches;
      t.released_in += r.released_in;
      t.released_out += r.released_out;
      for (const auto& [cur, p] : r.pipeline) {
        auto& q = t.pipeline[cur];
        q.open_deals += p.open_deals;
        q.amount_cents += p.amount_cents;
        q.weighted += p.weighted;
      }
      for (const auto& [s, n] : r.deals_by_stage) t.deals_by_stage[s] += n;
    }
    return t;
  }

  [[nodiscard]] const OrgChart& org_chart() const { return org_; }

private:
  ManagerReport& at(ManagerId id) {
    auto& r = per_[id];
    r.manager = id;
    return r;
  }

  OrgChart org_;
  std::map<ManagerId, ManagerReport> per_;
};

}  // namespace nudge
