// Import of the CSV interchange format: every file of a run goes through one
// unit of work; the first problem stops the writing (nothing will be committed)
// but not the checking, so one run reports every bad row it can.

#include <nudge/csv/import.hpp>

#include <algorithm>
#include <fstream>
#include <memory>
#include <unordered_map>
#include <utility>

#include <fmt/format.h>

#include "columns.hpp"
#include "table.hpp"
#include "values.hpp"

namespace nudge::csv {

std::string to_string(const ImportIssue& i) {
  std::string s = i.file;
  if (i.line != 0) s += fmt::format(":{}", i.line);
  s += ": ";
  if (!i.column.empty()) s += fmt::format("column '{}': ", i.column);
  s += i.reason;
  return s;
}

namespace {
std::string describe(const std::vector<ImportIssue>& issues, std::size_t total) {
  std::string s = fmt::format("csv import: {} problem{}, nothing was imported", total, total == 1 ? "" : "s");
  for (const auto& i : issues) {
    s += '\n';
    s += to_string(i);
  }
  if (total > issues.size()) s += fmt::format("\n... and {} more", total - issues.size());
  return s;
}
}  // namespace

import_error::import_error(std::vector<ImportIssue> issues, std::size_t total)
    : invalid_argument(describe(issues, total)), issues_(std::move(issues)), total_(total) {}

namespace {

using namespace detail;

template <class T>
struct Child {
  T value;
  std::size_t line;
};
template <class T>
using Children = std::unordered_map<std::int64_t, std::vector<Child<T>>>;

struct Label {
  std::string name;
  std::string note;
};

constexpr std::string_view client_kind_names[] = {"B2B", "B2C", "b2b", "b2c"};
constexpr std::string_view outcome_names[] = {"none", "reached", "no_answer", "declined", "completed"};
constexpr std::string_view contact_names[] = {"by_kind", "yes", "no"};
constexpr std::string_view task_state_names[] = {"attention", "in_progress", "done", "cancelled"};
constexpr std::string_view deal_status_names[] = {"open", "won", "lost"};
constexpr std::string_view subject_names[] = {"client", "deal"};

bool valid_currency(std::string_view c) {
  return c.size() == 3 && std::all_of(c.begin(), c.end(), [](char x) { return x >= 'A' && x <= 'Z'; });
}

bool is_field_name(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return (c >= 'a' && c <= 'z') || c == '_'; });
}

// The column a domain error's field stands for ("owner" of a client is owner_manager_id).
std::string column_for(Entity e, std::string_view field) {
  struct Special {
    Entity e;
    std::string_view field, column;
  };
  static constexpr Special specials[] = {
      {Entity::clients, "owner", "owner_manager_id"}, {Entity::clients, "segments", "segment"},
      {Entity::tasks, "closed", "done_at"},           {Entity::tasks, "based_on", "based_on_task_id"},
      {Entity::invoices, "payments", "paid_amount"},
  };
  for (const auto& s : specials)
    if (s.e == e && s.field == field) return std::string(s.column);
  const auto cols = columns_of(e);
  for (const auto* suffix : {"", "_id", "_at"}) {
    const auto name = std::string(field) + suffix;
    for (const auto& c : cols)
      if (c.name == name) return name;
  }
  return std::string(field);
}

// "deal 5: probability: must be in [0, 1], got 2" -> {"probability", "must be in [0, 1], got 2"}
std::pair<std::string, std::string> split_domain_message(Entity e, std::string_view m) {
  const auto p = m.find(": ");
  if (p == std::string_view::npos) return {"", std::string(m)};
  const auto head = m.substr(0, p);
  const auto rest = m.substr(p + 2);
  if (const auto dot = head.find('.'); dot != std::string_view::npos && head.find(' ') == std::string_view::npos)
    return {column_for(e, head.substr(dot + 1)), std::string(rest)};  // "client.id: ..."
  if (head.find(' ') != std::string_view::npos) {                      // "deal 5: field: ..."
    const auto q = rest.find(": ");
    if (q != std::string_view::npos && is_field_name(rest.substr(0, q)))
      return {column_for(e, rest.substr(0, q)), std::string(rest.substr(q + 2))};
    return {"", std::string(rest)};
  }
  if (is_field_name(head)) return {column_for(e, head), std::string(rest)};
  return {"", std::string(m)};
}

class Importer {
public:
  Importer(Storage& store, const ImportOptions& options) : store_(store), opt_(options), issues_(options.max_errors) {}

  void unknown_file(const std::string& name) {
    std::string expected;
    for (auto e : all_entities) expected += fmt::format("{}{}", expected.empty() ? "" : ", ", file_name(e));
    issues_.add(name, 0, "", "not a file of the format (expected: " + expected + ")");
  }

  ImportReport run(std::span<const Input> inputs) {
    std::array<const Input*, entity_count> by{};
    for (const auto& in : inputs) {
      if (!in.stream) throw invalid_argument(fmt::format("csv import: input {}: no stream", to_string(in.entity)));
      auto& slot = by[static_cast<std::size_t>(in.entity)];
      if (slot) throw invalid_argument(fmt::format("csv import: two inputs for {}", to_string(in.entity)));
      slot = &in;
    }
    for (auto e : all_entities)
      if (by[idx(e)]) names_[idx(e)] = by[idx(e)]->name.empty() ? std::string(file_name(e)) : by[idx(e)]->name;
      else names_[idx(e)] = std::string(file_name(e));

    uow_ = store_.begin();
    // The lists of a row (leave, labels, history, holds, payments) are read
    // first and attached when their parent's row is written; then parents
    // before the rows that refer to them.
    static constexpr Entity order[] = {Entity::leave,    Entity::labels,  Entity::stage_history, Entity::holds,
                                       Entity::payments, Entity::managers, Entity::clients,      Entity::deals,
                                       Entity::tasks,    Entity::activities, Entity::invoices};
    for (auto e : order) {
      const Input* in = by[idx(e)];
      if (!in) continue;
      const std::uint64_t bytes = opt_.progress ? remaining_bytes(*in->stream) : 0;
      Table t(*in->stream, names_[idx(e)], columns_of(e), issues_);
      t.watch(opt_.progress, "csv import", to_string(e), bytes);
      switch (e) {
        case Entity::leave: read_leave(t); break;
        case Entity::labels: read_labels(t); break;
        case Entity::stage_history: read_history(t); break;
        case Entity::holds: read_holds(t); break;
        case Entity::payments: read_payments(t); break;
        case Entity::managers: do_managers(t); break;
        case Entity::clients: do_clients(t); break;
        case Entity::deals: do_deals(t); break;
        case Entity::tasks: do_tasks(t); break;
        case Entity::activities: do_activities(t); break;
        case Entity::invoices: do_invoices(t); break;
      }
      report_.rows[idx(e)] = t.rows();
    }
    orphans();
    if (issues_.any()) issues_.raise();  // the unit of work rolls back as it goes out of scope
    nudge::detail::report(opt_.progress, "csv import", {"commit", 0, 0});  // a cancel here still writes nothing
    if (!opt_.dry_run) uow_->commit();
    report_.committed = !opt_.dry_run;
    return report_;
  }

private:
  static std::size_t idx(Entity e) { return static_cast<std::size_t>(e); }

  // ---- writing ---------------------------------------------------------------
  // Validates a row's entity and, while there are no problems, writes it. A
  // domain error becomes an issue on that row's column. True when it passed.
  template <class V, class Put>
  bool store_row(Table& t, std::size_t line, Entity e, const V& v, Put&& put) {
    try {
      if (issues_.any()) v.validate();  // nothing will be committed: check, do not write
      else put(v);
      return true;
    } catch (const storage_error&) {
      throw;  // the backend failed: not a problem of this row
    } catch (const error& ex) {
      auto [column, reason] = split_domain_message(e, ex.what());
      t.fail_at(line, column, std::move(reason));
      return false;
    }
  }

  // ---- references --------------------------------------------------------------
  template <class Find>
  static bool known(const IdSet& file, IdSet& stored, std::int64_t id, Find&& find) {
    if (file.contains(id) || stored.contains(id)) return true;
    if (!find()) return false;
    stored.insert(id);
    return true;
  }
  bool manager_known(std::int64_t id) {
    return known(managers_, stored_managers_, id, [&] { return store_.find_manager(ManagerId{id}).has_value(); });
  }
  bool client_known(std::int64_t id) {
    return known(clients_, stored_clients_, id, [&] { return store_.find_client(ClientId{id}).has_value(); });
  }
  bool deal_known(std::int64_t id) {
    return known(deals_, stored_deals_, id, [&] { return store_.find_deal(DealId{id}).has_value(); });
  }
  bool task_known(std::int64_t id) {
    return known(tasks_, stored_tasks_, id, [&] { return store_.find_task(TaskId{id}).has_value(); });
  }
  void check_manager(Table& t, int col, std::optional<std::int64_t> id) {
    if (id && !manager_known(*id)) t.fail(col, fmt::format("unknown manager {}", *id));
  }
  void check_client(Table& t, int col, std::optional<std::int64_t> id) {
    if (id && !client_known(*id)) t.fail(col, fmt::format("unknown client {}", *id));
  }
  void check_deal(Table& t, int col, std::optional<std::int64_t> id) {
    if (id && !deal_known(*id)) t.fail(col, fmt::format("unknown deal {}", *id));
  }
  bool first_in_file(Table& t, int col, IdSet& seen, std::string_view what, std::int64_t id) {
    if (seen.insert(id)) return true;
    t.fail(col, fmt::format("duplicate {} {} in this file", what, id));
    return false;
  }

  template <class T>
  std::vector<Child<T>> take(Children<T>& from, std::int64_t id) {
    auto it = from.find(id);
    if (it == from.end()) return {};
    auto v = std::move(it->second);
    from.erase(it);
    return v;
  }

  // "smb;retail" -> {"smb", "retail"}; `none` ("-") stands for an empty list.
  void segments(Table& t, int col, std::vector<std::string>& out, bool dash_is_none) {
    const auto v = t[col];
    if (v.empty()) return;
    out.clear();
    if (dash_is_none && v == "-") return;
    if (!valid_utf8(v)) {
      t.fail(col, fmt::format("invalid UTF-8 in '{}'", shown(v)));
      return;
    }
    std::size_t b = 0;
    for (;;) {
      const auto e = v.find(';', b);
      const auto item = v.substr(b, e == std::string_view::npos ? std::string_view::npos : e - b);
      if (item.empty()) {
        t.fail(col, fmt::format("empty segment name in '{}'", shown(v)));
        return;
      }
      out.emplace_back(item);
      if (e == std::string_view::npos) break;
      b = e + 1;
    }
  }

  // ---- the lists of a row --------------------------------------------------------
  void read_leave(Table& t) {
    while (t.next()) {
      const auto m = t.id(lc::manager_id);
      const auto f = t.date(lc::first_day);
      const auto l = t.date(lc::last_day);
      if (f && l && *l < *f)
        t.fail(lc::last_day, fmt::format("{} is before first_day {}", iso_date(*l), iso_date(*f)));
      if (t.ok()) leave_[*m].push_back({DateRange{*f, *l}, t.line()});
    }
  }

  void read_labels(Table& t) {
    Label l;
    while (t.next()) {
      const auto kind = t.choice(bc::subject, subject_names, "subject");
      const auto id = t.id(bc::subject_id);
      t.text(bc::label, l.name);
      t.text(bc::note, l.note);
      if (!t.ok()) continue;
      auto& list = (*kind == 0 ? client_labels_ : deal_labels_)[*id];
      if (std::any_of(list.begin(), list.end(), [&](const Child<Label>& c) { return c.value.name == l.name; })) {
        t.fail(bc::label, fmt::format("duplicate label '{}' for {} {}", shown(l.name), subject_names[*kind], *id));
        continue;
      }
      list.push_back({l, t.line()});
    }
  }

  void read_history(Table& t) {
    StageVisit v;
    while (t.next()) {
      const auto d = t.id(hc::deal_id);
      t.text(hc::stage, v.stage);
      const auto in = t.instant(hc::entered_at);
      v.left = t.instant(hc::left_at);
      if (in && v.left && *v.left < *in)
        t.fail(hc::left_at, fmt::format("{} is before entered_at {}", iso_instant(*v.left), iso_instant(*in)));
      if (!t.ok()) continue;
      v.entered = *in;
      history_[*d].push_back({v, t.line()});
    }
  }

  void read_holds(Table& t) {
    Hold h;
    while (t.next()) {
      const auto d = t.id(oc::deal_id);
      const auto from = t.instant(oc::from_at);
      h.to = t.instant(oc::to_at);
      t.text(oc::reason, h.reason);
      if (from && h.to && *h.to < *from)
        t.fail(oc::to_at, fmt::format("{} is before from_at {}", iso_instant(*h.to), iso_instant(*from)));
      if (!t.ok()) continue;
      h.from = *from;
      holds_[*d].push_back({h, t.line()});
    }
  }

  void read_payments(Table& t) {
    while (t.next()) {
      const auto i = t.id(pc::invoice_id);
      const auto at = t.instant(pc::at);
      const auto cents = t.amount(pc::amount);
      if (t.ok()) payments_[*i].push_back({Payment{*at, *cents}, t.line()});
    }
  }

  // ---- managers ----------------------------------------------------------------
  void do_managers(Table& t) {
    struct Pending {
      Manager m;
      std::size_t line;
    };
    std::vector<Pending> pending;  // supervisors named before their own row
    while (t.next()) {
      Manager m;
      const auto id = t.id(mc::id);
      t.text(mc::name, m.name);
      const auto sup = t.id(mc::supervisor_id);
      if (auto a = t.flag(mc::active)) m.active = *a;
      segments(t, mc::segments, m.segments, true);
      if (auto c = t.integer(mc::capacity)) {
        if (*c < 0 || *c > std::numeric_limits<int>::max()) t.fail(mc::capacity, fmt::format("must be in [0, {}], got {}", std::numeric_limits<int>::max(), *c));
        else m.capacity = static_cast<int>(*c);
      }
      if (auto w = t.number(mc::weight)) m.weight = *w;
      t.text(mc::email, m.email);
      t.text(mc::phone, m.phone);
      if (!id || !first_in_file(t, mc::id, managers_, "manager", *id)) continue;
      m.id = ManagerId{*id};
      for (auto& l : take(leave_, *id)) m.leave.push_back(l.value);
      if (!t.ok()) continue;
      bool later = false;
      if (sup) {
        m.supervisor = ManagerId{*sup};
        later = *sup != *id && !manager_known(*sup);
      }
      if (later) {
        pending.push_back({m, t.line()});
        m.supervisor.reset();  // written now without, again once every row is in
      }
      if (!store_row(t, t.line(), Entity::managers, m, [&](const Manager& v) { uow_->put_manager(v); }) && later)
        pending.pop_back();
    }
    for (auto& p : pending) {
      const auto sup = p.m.supervisor->value();
      if (!manager_known(sup)) {
        t.fail_at(p.line, "supervisor_id", fmt::format("unknown manager {}", sup));
        continue;
      }
      store_row(t, p.line, Entity::managers, p.m, [&](const Manager& v) { uow_->put_manager(v); });
    }
  }

  // ---- clients -------------------------------------------------------------------
  void do_clients(Table& t) {
    while (t.next()) {
      Client c;
      const auto id = t.id(cc::id);
      t.text(cc::name, c.name);
      const auto owner = t.id(cc::owner_manager_id);
      segments(t, cc::segment, c.segments, false);
      if (auto k = t.choice(cc::kind, client_kind_names, "client kind"))
        c.kind = *k % 2 == 0 ? ClientKind::b2b : ClientKind::b2c;
      if (auto at = t.instant(cc::created_at)) c.created = *at;
      if (auto f = t.flag(cc::release_locked)) c.release_locked = *f;
      t.text(cc::email, c.email);
      t.text(cc::phone, c.phone);
      t.text(cc::time_zone, c.time_zone);
      t.text(cc::locale, c.locale);
      check_manager(t, cc::owner_manager_id, owner);
      if (!id || !first_in_file(t, cc::id, clients_, "client", *id)) continue;
      c.id = ClientId{*id};
      for (auto& l : take(client_labels_, *id)) c.labels.emplace(std::move(l.value.name), std::move(l.value.note));
      if (!t.ok()) continue;
      c.owner = ManagerId{*owner};
      store_row(t, t.line(), Entity::clients, c, [&](const Client& v) { uow_->put_client(v); });
    }
  }

  // ---- deals -----------------------------------------------------------------------
  void do_deals(Table& t) {
    while (t.next()) {
      Deal d;
      const auto id = t.id(dc::id);
      const auto client = t.id(dc::client_id);
      const auto owner = t.id(dc::owner_id);
      t.text(dc::pipeline, d.pipeline);
      if (d.pipeline.empty()) d.pipeline = "default";
      t.text(dc::stage, d.stage);
      const auto opened = t.instant(dc::opened_at);
      const auto entered = t.instant(dc::stage_entered_at);
      if (auto a = t.amount(dc::amount)) d.amount.cents = *a;
      if (t.has(dc::currency) && !t[dc::currency].empty()) {
        if (valid_currency(t[dc::currency])) d.amount.currency = std::string(t[dc::currency]);
        else t.fail(dc::currency, fmt::format("must be a 3-letter ISO 4217 code such as USD, got '{}'", shown(t[dc::currency])));
      }
      if (auto p = t.probability(dc::probability)) d.probability = *p;
      if (auto s = t.choice(dc::status, deal_status_names, "deal status")) d.status = static_cast<DealStatus>(*s);
      t.text(dc::loss_reason, d.loss_reason);
      d.closed = t.instant(dc::closed_at);
      check_client(t, dc::client_id, client);
      check_manager(t, dc::owner_id, owner);
      if (!id || !first_in_file(t, dc::id, deals_, "deal", *id)) continue;
      d.id = DealId{*id};
      for (auto& v : take(history_, *id)) d.history.push_back(std::move(v.value));
      for (auto& h : take(holds_, *id)) d.holds.push_back(std::move(h.value));
      for (auto& l : take(deal_labels_, *id)) d.labels.emplace(std::move(l.value.name), std::move(l.value.note));
      if (!t.ok()) continue;
      d.client = ClientId{*client};
      d.owner = ManagerId{*owner};
      d.opened = *opened;
      d.stage_entered = entered.value_or(*opened);
      store_row(t, t.line(), Entity::deals, d, [&](const Deal& v) { uow_->put_deal(v); });
    }
  }

  // ---- tasks -------------------------------------------------------------------------
  void do_tasks(Table& t) {
    struct Pending {
      Task task;
      std::size_t line;
    };
    std::vector<Pending> pending;  // predecessors named before their own row
    while (t.next()) {
      Task k;
      const auto id = t.id(tc::id);
      const auto client = t.id(tc::client_id);
      const auto deal = t.id(tc::deal_id);
      const auto assignee = t.id(tc::assignee_id);
      const auto author = t.id(tc::author_id);
      t.text(tc::title, k.title);
      k.planned_start = t.instant(tc::planned_start_at);
      const auto due = t.instant(tc::due_at);
      const auto state = t.choice(tc::state, task_state_names, "task state");
      if (auto c = t.instant(tc::created_at)) k.created = *c;
      k.closed = t.instant(tc::done_at);
      const auto based_on = t.id(tc::based_on_task_id);
      t.text(tc::origin, k.origin);
      check_client(t, tc::client_id, client);
      check_deal(t, tc::deal_id, deal);
      check_manager(t, tc::assignee_id, assignee);
      check_manager(t, tc::author_id, author);
      if (!id || !first_in_file(t, tc::id, tasks_, "task", *id)) continue;
      if (!t.ok()) continue;
      k.id = TaskId{*id};
      k.client = ClientId{*client};
      if (deal) k.deal = DealId{*deal};
      k.assignee = ManagerId{*assignee};
      if (author) k.author = ManagerId{*author};
      k.due = *due;
      // No state column (the benchmark's files): done when done_at is set.
      k.state = state ? static_cast<TaskState>(*state) : k.closed ? TaskState::done : TaskState::attention;
      bool later = false;
      if (based_on) {
        k.based_on = TaskId{*based_on};
        later = *based_on != *id && !task_known(*based_on);
      }
      if (later) {
        pending.push_back({k, t.line()});
        k.based_on.reset();
      }
      if (!store_row(t, t.line(), Entity::tasks, k, [&](const Task& v) { uow_->put_task(v); }) && later)
        pending.pop_back();
    }
    for (auto& p : pending) {
      const auto prev = p.task.based_on->value();
      if (!task_known(prev)) {
        t.fail_at(p.line, "based_on_task_id", fmt::format("unknown task {}", prev));
        continue;
      }
      store_row(t, p.line, Entity::tasks, p.task, [&](const Task& v) { uow_->put_task(v); });
    }
  }

  // ---- activities (the big file: no allocation per row unless the row has text) ----
  void do_activities(Table& t) {
    Activity a;
    while (t.next()) {
      const auto id = t.id(ac::id);
      const auto client = t.id(ac::client_id);
      const auto manager = t.id(ac::manager_id);
      const auto kind = t.choice(ac::kind, activity_kind_names, "activity kind");
      t.text(ac::custom_kind, a.custom_kind);
      const auto at = t.instant(ac::at);
      const auto outcome = t.choice(ac::outcome, outcome_names, "outcome");
      const auto contact = t.choice(ac::contact, contact_names, "contact");
      t.text(ac::subject, a.subject);
      check_client(t, ac::client_id, client);
      check_manager(t, ac::manager_id, manager);
      if (!id || !first_in_file(t, ac::id, activities_, "activity", *id)) continue;
      if (store_.has_activity(ActivityId{*id})) {
        if (opt_.skip_existing_activities) {
          ++report_.skipped_activities;
          continue;
        }
        t.fail(ac::id, fmt::format("activity {} is already stored (activities are never replaced)", *id));
      }
      if (!t.ok()) continue;
      a.id = ActivityId{*id};
      a.client = ClientId{*client};
      a.manager = manager ? ManagerId{*manager} : ManagerId{};
      a.kind = static_cast<ActivityKind>(*kind);
      a.at = *at;
      a.outcome = outcome ? static_cast<Outcome>(*outcome) : Outcome::none;
      a.contact = contact ? static_cast<Contact>(*contact) : Contact::by_kind;
      store_row(t, t.line(), Entity::activities, a, [&](const Activity& v) { uow_->add_activity(v); });
    }
  }

  // ---- invoices ------------------------------------------------------------------------
  void do_invoices(Table& t) {
    while (t.next()) {
      Invoice inv;
      const auto id = t.id(ic::id);
      const auto client = t.id(ic::client_id);
      const auto deal = t.id(ic::deal_id);
      const auto amount = t.amount(ic::amount);
      if (t.has(ic::currency) && !t[ic::currency].empty()) {
        if (valid_currency(t[ic::currency])) inv.amount.currency = std::string(t[ic::currency]);
        else t.fail(ic::currency, fmt::format("must be a 3-letter ISO 4217 code such as USD, got '{}'", shown(t[ic::currency])));
      }
      const auto issued = t.instant(ic::issued_at);
      const auto due = t.instant(ic::due_at);
      inv.paid = t.instant(ic::paid_at);
      const auto paid_amount = t.amount(ic::paid_amount);
      check_client(t, ic::client_id, client);
      check_deal(t, ic::deal_id, deal);
      if (!id || !first_in_file(t, ic::id, invoices_, "invoice", *id)) continue;
      auto listed = take(payments_, *id);
      if (!t.ok()) continue;
      inv.id = InvoiceId{*id};
      inv.client = ClientId{*client};
      if (deal) inv.deal = DealId{*deal};
      inv.amount.cents = *amount;
      inv.issued = *issued;
      inv.due = *due;
      if (!listed.empty()) {
        std::int64_t sum = 0;
        for (auto& p : listed) {
          sum += p.value.cents;
          inv.payments.push_back(p.value);
        }
        if (paid_amount && *paid_amount != sum) {
          std::string a, b;
          put_cents(a, *paid_amount);
          put_cents(b, sum);
          t.fail(ic::paid_amount, fmt::format("is {} but the rows of {} for this invoice add up to {}", a,
                                              names_[idx(Entity::payments)], b));
          continue;
        }
      } else if (paid_amount && *paid_amount > 0) {
        // The benchmark's form: one sum, no payment rows -- one payment, dated
        // when the invoice was settled or else when it was issued.
        inv.payments.push_back(Payment{inv.paid.value_or(inv.issued), *paid_amount});
      }
      store_row(t, t.line(), Entity::invoices, inv, [&](const Invoice& v) { uow_->put_invoice(v); });
    }
  }

  // ---- list rows whose parent row never came ----------------------------------------------
  template <class T>
  void orphans_of(Children<T>& rows, Entity child, Entity parent, std::string_view column, std::string_view what) {
    std::vector<std::pair<std::size_t, std::int64_t>> left;
    for (const auto& [id, list] : rows)
      for (const auto& c : list) left.emplace_back(c.line, id);
    std::sort(left.begin(), left.end());
    for (const auto& [line, id] : left)
      issues_.add(names_[idx(child)], line, column,
                  fmt::format("{} {} is not in {} (these rows belong to a row of that file)", what, id, names_[idx(parent)]));
    rows.clear();
  }
  void orphans() {
    orphans_of(leave_, Entity::leave, Entity::managers, "manager_id", "manager");
    orphans_of(client_labels_, Entity::labels, Entity::clients, "subject_id", "client");
    orphans_of(deal_labels_, Entity::labels, Entity::deals, "subject_id", "deal");
    orphans_of(history_, Entity::stage_history, Entity::deals, "deal_id", "deal");
    orphans_of(holds_, Entity::holds, Entity::deals, "deal_id", "deal");
    orphans_of(payments_, Entity::payments, Entity::invoices, "invoice_id", "invoice");
  }

  Storage& store_;
  const ImportOptions& opt_;
  Issues issues_;
  std::unique_ptr<UnitOfWork> uow_;
  ImportReport report_;
  std::array<std::string, entity_count> names_;

  // ids seen in the files, and ids found in the store
  IdSet managers_, clients_, deals_, tasks_, activities_, invoices_;
  IdSet stored_managers_, stored_clients_, stored_deals_, stored_tasks_;

  Children<DateRange> leave_;
  Children<Label> client_labels_, deal_labels_;
  Children<StageVisit> history_;
  Children<Hold> holds_;
  Children<Payment> payments_;
};

}  // namespace

ImportReport import_streams(Storage& store, std::span<const Input> inputs, const ImportOptions& options) {
  return Importer(store, options).run(inputs);
}

ImportReport import_entity(Storage& store, Entity entity, std::istream& in, const ImportOptions& options) {
  const Input input{entity, &in, {}};
  return import_streams(store, std::span<const Input>(&input, 1), options);
}

ImportReport import_directory(Storage& store, const std::filesystem::path& dir, const ImportOptions& options) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    throw invalid_argument(fmt::format("csv import: '{}' is not a directory", dir.string()));
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir, ec))
    if (entry.is_regular_file() && entry.path().extension() == ".csv") files.push_back(entry.path());
  if (ec) throw error(fmt::format("csv import: cannot list '{}': {}", dir.string(), ec.message()));
  std::sort(files.begin(), files.end());

  Importer importer(store, options);
  std::vector<std::unique_ptr<std::ifstream>> streams;
  std::vector<Input> inputs;
  for (const auto& f : files) {
    const auto name = f.filename().string();
    const auto e = entity_of_file(name);
    if (!e) {
      importer.unknown_file(name);
      continue;
    }
    auto s = std::make_unique<std::ifstream>(f, std::ios::binary);
    if (!*s) throw error(fmt::format("csv import: cannot open '{}'", f.string()));
    inputs.push_back({*e, s.get(), name});
    streams.push_back(std::move(s));
  }
  return importer.run(inputs);
}

}  // namespace nudge::csv
