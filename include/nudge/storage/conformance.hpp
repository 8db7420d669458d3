#pragma once
/// @file
/// The storage conformance kit: a doctest suite any Storage adapter runs
/// against itself to show it keeps every promise of the port
/// (include/nudge/storage/storage.hpp). Needs doctest; see
/// docs/storage-adapters.md.
///
/// @code
/// // in one of your test .cpp files (a doctest main is linked elsewhere):
/// #include <doctest/doctest.h>
/// #include <nudge/storage/conformance.hpp>
/// NUDGE_STORAGE_CONFORMANCE("mine", [] { return std::make_unique<my::TableStorage>(test_db()); });
/// @endcode
///
/// Every check takes a factory and asks it for a fresh, empty storage (one per
/// check, sometimes more). The checks use only the port's public functions.
/// Each is also callable on its own: `nudge::conformance::rollback_restores_everything(factory)`.

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include <nudge/storage/storage.hpp>

// doctest streams a message as `builder * msg`, so a message built with `+`
// needs parentheses of its own.
#define NUDGE_CONFORMANCE_CHECK(cond, ...) CHECK_MESSAGE(cond, (__VA_ARGS__))
#define NUDGE_CONFORMANCE_REQUIRE(cond, ...) REQUIRE_MESSAGE(cond, (__VA_ARGS__))

namespace nudge::conformance {

/// Makes a fresh, empty storage.
using Factory = std::function<std::unique_ptr<Storage>()>;

namespace detail {

// ---- builders: fixed dates, every field set where it matters --------------------

inline Instant day(int y, unsigned m, unsigned d, int h = 0) { return at_midnight(ymd(y, m, d)) + std::chrono::hours{h}; }
/// Earlier than anything a check writes (the port's own summarize() uses it).
inline constexpr Instant beginning{Seconds{std::numeric_limits<std::int64_t>::min() / 2}};

inline std::unique_ptr<Storage> fresh(const Factory& make) {
  auto s = make();
  NUDGE_CONFORMANCE_REQUIRE(s != nullptr, "the factory returned no storage");
  return s;
}

inline Manager manager(std::int64_t id, std::optional<std::int64_t> supervisor = {}) {
  Manager m;
  m.id = ManagerId{id};
  m.name = fmt::format("Manager {}", id);
  if (supervisor) m.supervisor = ManagerId{*supervisor};
  return m;
}
inline Manager rich_manager(std::int64_t id, std::int64_t supervisor) {
  Manager m = manager(id, supervisor);
  m.name = "Иванова \"Маша\" O'Neil";
  m.active = false;
  m.leave = {{ymd(1969, 12, 30), ymd(1970, 1, 2)}, {ymd(2026, 8, 1), ymd(2026, 8, 14)}};
  m.segments = {"retail", "north", "*"};
  m.capacity = 40;
  m.weight = 0.1;
  m.email = "ivanova@example.com";
  m.phone = "+7 900 000-00-00";
  return m;
}

inline Client client(std::int64_t id, std::int64_t owner) {
  Client c;
  c.id = ClientId{id};
  c.name = fmt::format("Client {}", id);
  c.owner = ManagerId{owner};
  c.segments = {"smb"};
  c.created = day(2025, 1, 1);
  return c;
}
inline Client rich_client(std::int64_t id, std::int64_t owner) {
  Client c = client(id, owner);
  c.name = "ООО \"Ромашка\"; DROP TABLE clients; --";
  c.segments = {"retail", "north", "b2c-online"};  // order matters: the first is primary
  c.kind = ClientKind::b2c;
  c.created = day(1969, 7, 20, 20);  // before the epoch
  c.labels = {{"debtor", "1200.00 EUR overdue"}, {"vip", ""}, {"Ünïcode label", "note\nwith lines"}};
  c.release_locked = true;
  c.email = "buyer@romashka.example";
  c.phone = "+49 151 0000000";
  c.time_zone = "Europe/Berlin";
  c.locale = "ru";
  return c;
}

inline Activity activity(std::int64_t id, std::int64_t client, ActivityKind k, Instant at,
                         Contact contact = Contact::by_kind) {
  Activity a;
  a.id = ActivityId{id};
  a.client = ClientId{client};
  a.manager = ManagerId{1};
  a.kind = k;
  if (k == ActivityKind::other) a.custom_kind = "erp_order";
  a.at = at;
  a.contact = contact;
  return a;
}

inline Task task(std::int64_t id, std::int64_t client, Instant due, TaskState state = TaskState::attention,
                 std::optional<Instant> closed = {}) {
  Task t;
  t.id = TaskId{id};
  t.client = ClientId{client};
  t.assignee = ManagerId{1};
  t.title = fmt::format("task {}", id);
  t.due = due;
  t.state = state;
  t.created = day(2026, 1, 1);
  t.closed = closed;
  return t;
}

/// The task, on deal `d`.
inline Task on_deal(Task t, std::int64_t d) {
  t.deal = DealId{d};
  return t;
}

inline Deal deal(std::int64_t id, std::int64_t client, DealStatus status = DealStatus::open,
                 std::optional<Instant> closed = {}) {
  Deal d;
  d.id = DealId{id};
  d.client = ClientId{client};
  d.owner = ManagerId{1};
  d.stage = "lead";
  d.amount = Money{100000, "USD"};
  d.probability = 0.5;
  d.opened = day(2026, 1, 1);
  d.stage_entered = d.opened;
  d.status = status;
  d.closed = closed;
  return d;
}
inline Deal rich_deal(std::int64_t id, std::int64_t client) {
  Deal d = deal(id, client, DealStatus::lost, day(2026, 6, 30, 17));
  d.pipeline = "enterprise";
  d.stage = "contract";
  d.amount = Money{12345678901, "EUR"};
  d.probability = 0.35;  // not exact in binary: must come back bit for bit
  d.opened = day(2026, 2, 1);
  d.stage_entered = day(2026, 5, 1);
  d.history = {{"lead", day(2026, 2, 1), day(2026, 3, 1)}, {"proposal", day(2026, 3, 1), std::nullopt}};
  d.holds = {{day(2026, 3, 10), day(2026, 3, 20), "waiting for the client"}, {day(2026, 6, 1), std::nullopt, ""}};
  d.loss_reason = "price";
  d.labels = {{"stuck", "in contract for 60 days"}, {"big", ""}};
  return d;
}

inline Invoice invoice(std::int64_t id, std::int64_t client, std::int64_t cents = 50000) {
  Invoice i;
  i.id = InvoiceId{id};
  i.client = ClientId{client};
  i.amount = Money{cents, "USD"};
  i.issued = day(2026, 3, 1);
  i.due = day(2026, 3, 31);
  return i;
}
inline Invoice rich_invoice(std::int64_t id, std::int64_t client, std::int64_t deal) {
  Invoice i = invoice(id, client, 150050);
  i.deal = DealId{deal};
  i.amount.currency = "EUR";
  i.payments = {{day(2026, 3, 5), 50050}, {day(2026, 3, 20, 12), 100000}};
  i.paid = day(2026, 3, 20, 12);
  return i;
}

inline AuditRecord audit(std::int64_t n, SubjectRef subject) {
  AuditRecord r;
  r.at = day(2026, 11, 1) + std::chrono::minutes{n};
  r.action_key = fmt::format("rule/{}/{}", to_string(subject), n);
  r.rule = "forgotten";
  r.subject = subject;
  r.action = "create_task";
  r.explanation = fmt::format("record {}", n);
  return r;
}

inline Message message(std::int64_t n) {
  Message m;
  m.key = fmt::format("debtor/client:{}/msg", n);
  m.channel = Channel::email;
  m.to = {SubjectRef::of(ClientId{1}), "buyer@romashka.example", "Ромашка"};
  m.template_id = "debtor.reminder";
  m.locale = "ru";
  m.subject = fmt::format("Invoice {} is overdue", n);
  m.body = "Dear client,\n\"please\" pay.\n";
  m.created = day(2026, 11, 1) + std::chrono::minutes{n};
  return m;
}

// ---- comparisons that name the field ---------------------------------------------

#define NUDGE_CONFORMANCE_SAME(field) NUDGE_CONFORMANCE_CHECK(got.field == want.field, where + "." #field " differs")

inline void same(const Manager& got, const Manager& want, const std::string& where) {
  NUDGE_CONFORMANCE_SAME(id);
  NUDGE_CONFORMANCE_SAME(name);
  NUDGE_CONFORMANCE_SAME(supervisor);
  NUDGE_CONFORMANCE_SAME(active);
  NUDGE_CONFORMANCE_SAME(leave);
  NUDGE_CONFORMANCE_SAME(segments);
  NUDGE_CONFORMANCE_SAME(capacity);
  NUDGE_CONFORMANCE_SAME(weight);
  NUDGE_CONFORMANCE_SAME(email);
  NUDGE_CONFORMANCE_SAME(phone);
  NUDGE_CONFORMANCE_CHECK(got == want, where + " differs");  // catches fields added later
}
inline void same(const Client& got, const Client& want, const std::string& where) {
  NUDGE_CONFORMANCE_SAME(id);
  NUDGE_CONFORMANCE_SAME(name);
  NUDGE_CONFORMANCE_SAME(owner);
  NUDGE_CONFORMANCE_SAME(segments);
  NUDGE_CONFORMANCE_SAME(kind);
  NUDGE_CONFORMANCE_SAME(created);
  NUDGE_CONFORMANCE_SAME(labels);
  NUDGE_CONFORMANCE_SAME(release_locked);
  NUDGE_CONFORMANCE_SAME(email);
  NUDGE_CONFORMANCE_SAME(phone);
  NUDGE_CONFORMANCE_SAME(time_zone);
  NUDGE_CONFORMANCE_SAME(locale);
  NUDGE_CONFORMANCE_CHECK(got == want, where + " differs");
}
inline void same(const Activity& got, const Activity& want, const std::string& where) {
  NUDGE_CONFORMANCE_SAME(id);
  NUDGE_CONFORMANCE_SAME(client);
  NUDGE_CONFORMANCE_SAME(manager);
  NUDGE_CONFORMANCE_SAME(kind);
  NUDGE_CONFORMANCE_SAME(custom_kind);
  NUDGE_CONFORMANCE_SAME(at);
  NUDGE_CONFORMANCE_SAME(outcome);
  NUDGE_CONFORMANCE_SAME(contact);
  NUDGE_CONFORMANCE_SAME(subject);
  NUDGE_CONFORMANCE_CHECK(got == want, where + " differs");
}
inline void same(const Task& got, const Task& want, const std::string& where) {
  NUDGE_CONFORMANCE_SAME(id);
  NUDGE_CONFORMANCE_SAME(client);
  NUDGE_CONFORMANCE_SAME(deal);
  NUDGE_CONFORMANCE_SAME(assignee);
  NUDGE_CONFORMANCE_SAME(author);
  NUDGE_CONFORMANCE_SAME(title);
  NUDGE_CONFORMANCE_SAME(planned_start);
  NUDGE_CONFORMANCE_SAME(due);
  NUDGE_CONFORMANCE_SAME(state);
  NUDGE_CONFORMANCE_SAME(created);
  NUDGE_CONFORMANCE_SAME(closed);
  NUDGE_CONFORMANCE_SAME(based_on);
  NUDGE_CONFORMANCE_SAME(origin);
  NUDGE_CONFORMANCE_CHECK(got == want, where + " differs");
}
inline void same(const Deal& got, const Deal& want, const std::string& where) {
  NUDGE_CONFORMANCE_SAME(id);
  NUDGE_CONFORMANCE_SAME(client);
  NUDGE_CONFORMANCE_SAME(owner);
  NUDGE_CONFORMANCE_SAME(pipeline);
  NUDGE_CONFORMANCE_SAME(stage);
  NUDGE_CONFORMANCE_SAME(amount);
  NUDGE_CONFORMANCE_SAME(probability);
  NUDGE_CONFORMANCE_SAME(opened);
  NUDGE_CONFORMANCE_SAME(stage_entered);
  NUDGE_CONFORMANCE_SAME(history);
  NUDGE_CONFORMANCE_SAME(holds);
  NUDGE_CONFORMANCE_SAME(status);
  NUDGE_CONFORMANCE_SAME(loss_reason);
  NUDGE_CONFORMANCE_SAME(closed);
  NUDGE_CONFORMANCE_SAME(labels);
  NUDGE_CONFORMANCE_CHECK(got == want, where + " differs");
}
inline void same(const Invoice& got, const Invoice& want, const std::string& where) {
  NUDGE_CONFORMANCE_SAME(id);
  NUDGE_CONFORMANCE_SAME(client);
  NUDGE_CONFORMANCE_SAME(deal);
  NUDGE_CONFORMANCE_SAME(amount);
  NUDGE_CONFORMANCE_SAME(issued);
  NUDGE_CONFORMANCE_SAME(due);
  NUDGE_CONFORMANCE_SAME(payments);
  NUDGE_CONFORMANCE_SAME(paid);
  NUDGE_CONFORMANCE_CHECK(got == want, where + " differs");
}
inline void same(const AuditRecord& got, const AuditRecord& want, const std::string& where) {
  NUDGE_CONFORMANCE_SAME(at);
  NUDGE_CONFORMANCE_SAME(action_key);
  NUDGE_CONFORMANCE_SAME(rule);
  NUDGE_CONFORMANCE_SAME(subject);
  NUDGE_CONFORMANCE_SAME(action);
  NUDGE_CONFORMANCE_SAME(explanation);
  NUDGE_CONFORMANCE_REQUIRE(got.facts.size() == want.facts.size(), where + ".facts: count differs");
  for (std::size_t i = 0; i < want.facts.size(); ++i) {
    const auto w = fmt::format("{}.facts[{}] ({})", where, i, want.facts[i].name);
    NUDGE_CONFORMANCE_CHECK(got.facts[i].name == want.facts[i].name, w + ": name differs");
    NUDGE_CONFORMANCE_CHECK(got.facts[i].value.index() == want.facts[i].value.index(),
                  w + ": the value came back as another alternative of FactValue");
    NUDGE_CONFORMANCE_CHECK(got.facts[i].value == want.facts[i].value, w + ": value differs");
  }
  NUDGE_CONFORMANCE_CHECK(got == want, where + " differs");
}
inline void same(const Message& got, const Message& want, const std::string& where) {
  NUDGE_CONFORMANCE_SAME(key);
  NUDGE_CONFORMANCE_SAME(channel);
  NUDGE_CONFORMANCE_SAME(custom_channel);
  NUDGE_CONFORMANCE_SAME(to.who);
  NUDGE_CONFORMANCE_SAME(to.address);
  NUDGE_CONFORMANCE_SAME(to.name);
  NUDGE_CONFORMANCE_SAME(template_id);
  NUDGE_CONFORMANCE_SAME(locale);
  NUDGE_CONFORMANCE_SAME(subject);
  NUDGE_CONFORMANCE_SAME(body);
  NUDGE_CONFORMANCE_SAME(created);
  NUDGE_CONFORMANCE_SAME(not_before);
  NUDGE_CONFORMANCE_CHECK(got == want, where + " differs");
}
inline void same(const OutboxEntry& got, const OutboxEntry& want, const std::string& where) {
  same(got.message, want.message, where + ".message");
  NUDGE_CONFORMANCE_SAME(state.status);
  NUDGE_CONFORMANCE_SAME(state.attempts);
  NUDGE_CONFORMANCE_SAME(state.last_error);
  NUDGE_CONFORMANCE_SAME(state.next_attempt);
  NUDGE_CONFORMANCE_SAME(state.delivered_at);
}
#undef NUDGE_CONFORMANCE_SAME

/// A lookup must find the entity and return it field for field.
template <class T>
void found(const std::optional<T>& got, const T& want, const std::string& where) {
  NUDGE_CONFORMANCE_REQUIRE(got.has_value(), where + ": not found");
  same(*got, want, where);
}
/// A list must hold exactly `want`, in that order.
template <class T>
void same_list(const std::vector<T>& got, const std::vector<T>& want, const std::string& where) {
  NUDGE_CONFORMANCE_REQUIRE(got.size() == want.size(),
                  fmt::format("{}: {} items, expected {}", where, got.size(), want.size()));
  for (std::size_t i = 0; i < want.size(); ++i) same(got[i], want[i], fmt::format("{}[{}]", where, i));
}

/// What the callback of an exception-throwing call threw, as "<Type>: message".
template <class E, class F>
std::string thrown(F&& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  } catch (const std::exception& e) {
    return std::string("<another exception> ") + e.what();
  }
  return "<nothing thrown>";
}

// ---- scans, collected -------------------------------------------------------------

struct ClientScan {
  std::vector<std::size_t> batches;
  std::vector<Client> clients;
  std::vector<ClientSummary> summaries;
};
inline ClientScan scan_clients(const Storage& s, std::size_t batch = Storage::default_batch) {
  ClientScan r;
  s.scan_clients(
      [&](std::span<const ClientView> b) {
        r.batches.push_back(b.size());
        for (const auto& v : b) {
          NUDGE_CONFORMANCE_REQUIRE((v.client != nullptr && v.summary != nullptr), "scan_clients: a view with a null pointer");
          r.clients.push_back(*v.client);
          r.summaries.push_back(*v.summary);
        }
      },
      batch);
  return r;
}
struct DealScan {
  std::vector<std::size_t> batches;
  std::vector<Deal> deals;
  std::vector<int> open_tasks;
  std::vector<std::optional<Instant>> last_task_closed;
};
inline DealScan scan_open_deals(const Storage& s, std::size_t batch = Storage::default_batch) {
  DealScan r;
  s.scan_open_deals(
      [&](std::span<const DealView> b) {
        r.batches.push_back(b.size());
        for (const auto& v : b) {
          NUDGE_CONFORMANCE_REQUIRE(v.deal != nullptr, "scan_open_deals: a view with a null deal");
          r.deals.push_back(*v.deal);
          r.open_tasks.push_back(v.open_tasks);
          r.last_task_closed.push_back(v.last_task_closed);
        }
      },
      batch);
  return r;
}
template <class T>
struct Scan {
  std::vector<std::size_t> batches;
  std::vector<T> items;
};
inline Scan<Invoice> scan_unpaid_invoices(const Storage& s, std::size_t batch = Storage::default_batch) {
  Scan<Invoice> r;
  s.scan_unpaid_invoices(
      [&](std::span<const Invoice> b) {
        r.batches.push_back(b.size());
        r.items.insert(r.items.end(), b.begin(), b.end());
      },
      batch);
  return r;
}
inline Scan<Task> scan_open_tasks(const Storage& s, std::size_t batch = Storage::default_batch) {
  Scan<Task> r;
  s.scan_open_tasks(
      [&](std::span<const Task> b) {
        r.batches.push_back(b.size());
        r.items.insert(r.items.end(), b.begin(), b.end());
      },
      batch);
  return r;
}

template <class T>
std::vector<std::int64_t> ids_of(const std::vector<T>& v) {
  std::vector<std::int64_t> out;
  for (const auto& x : v) out.push_back(x.id.value());
  return out;
}

/// Non-empty batches of at most `batch` items, `total` in all.
inline void check_batches(const std::vector<std::size_t>& sizes, std::size_t batch, std::size_t total,
                          const std::string& where) {
  std::size_t sum = 0;
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    NUDGE_CONFORMANCE_CHECK(sizes[i] >= 1, fmt::format("{}: batch {} is empty", where, i));
    NUDGE_CONFORMANCE_CHECK(sizes[i] <= std::max<std::size_t>(batch, 1),
                  fmt::format("{}: batch {} has {} items, more than the batch size {}", where, i, sizes[i], batch));
    sum += sizes[i];
  }
  NUDGE_CONFORMANCE_CHECK(sum == total, fmt::format("{}: {} items delivered, expected {}", where, sum, total));
}

// ---- everything readable, for before/after comparisons ------------------------------

/// Ids and keys a check wrote (or may have written): looked up one by one, so
/// an entity that should have vanished is noticed even if no list shows it.
struct Probe {
  std::vector<std::int64_t> ids;
  std::vector<std::string> keys;
};

struct Everything {
  std::vector<Manager> managers;
  std::vector<std::vector<ClientId>> clients_of;
  ClientScan clients;
  std::vector<std::vector<Activity>> activities;
  std::vector<std::vector<Task>> tasks;
  std::vector<std::vector<Task>> open_tasks_of;
  std::vector<std::vector<Deal>> deals;
  std::vector<std::vector<Invoice>> invoices;
  std::vector<ClientSummary> summarized;
  DealScan open_deals;
  Scan<Invoice> unpaid;
  Scan<Task> open_tasks;
  std::vector<std::optional<Manager>> find_manager;
  std::vector<std::optional<Client>> find_client;
  std::vector<std::optional<Task>> find_task;
  std::vector<std::optional<Deal>> find_deal;
  std::vector<std::optional<Invoice>> find_invoice;
  std::vector<bool> has_activity;
  std::vector<bool> has_action;
  std::vector<bool> has_actions;  ///< the same keys, asked in one has_actions call
  std::vector<AuditRecord> audit;
  std::vector<Message> outbox;
  std::vector<OutboxEntry> outbox_entries;
};

inline Everything read_everything(const Storage& s, const Probe& p) {
  Everything e;
  e.managers = s.managers();
  for (const auto& m : e.managers) e.clients_of.push_back(s.clients_of(m.id));
  e.clients = scan_clients(s);
  for (const auto& c : e.clients.clients) {
    e.activities.push_back(s.activities_of(c.id, beginning));
    e.tasks.push_back(s.tasks_of(c.id, false));
    e.open_tasks_of.push_back(s.tasks_of(c.id, true));
    e.deals.push_back(s.deals_of(c.id));
    e.invoices.push_back(s.invoices_of(c.id));
    e.summarized.push_back(s.summarize(c.id));
  }
  e.open_deals = scan_open_deals(s);
  e.unpaid = scan_unpaid_invoices(s);
  e.open_tasks = scan_open_tasks(s);
  for (auto id : p.ids) {
    e.find_manager.push_back(s.find_manager(ManagerId{id}));
    e.find_client.push_back(s.find_client(ClientId{id}));
    e.find_task.push_back(s.find_task(TaskId{id}));
    e.find_deal.push_back(s.find_deal(DealId{id}));
    e.find_invoice.push_back(s.find_invoice(InvoiceId{id}));
    e.has_activity.push_back(s.has_activity(ActivityId{id}));
  }
  for (const auto& k : p.keys) e.has_action.push_back(s.has_action(k));
  const std::vector<std::string_view> keys(p.keys.begin(), p.keys.end());
  e.has_actions = s.has_actions(keys);
  e.audit = s.audit_log();
  e.outbox = s.outbox();
  e.outbox_entries = s.outbox_entries();
  return e;
}

inline void same_everything(const Everything& got, const Everything& want, const std::string& where) {
#define NUDGE_CONFORMANCE_SAME_PART(part) NUDGE_CONFORMANCE_CHECK(got.part == want.part, where + ": " #part " differs")
  NUDGE_CONFORMANCE_SAME_PART(managers);
  NUDGE_CONFORMANCE_SAME_PART(clients_of);
  NUDGE_CONFORMANCE_SAME_PART(clients.clients);
  NUDGE_CONFORMANCE_SAME_PART(clients.summaries);
  NUDGE_CONFORMANCE_SAME_PART(activities);
  NUDGE_CONFORMANCE_SAME_PART(tasks);
  NUDGE_CONFORMANCE_SAME_PART(open_tasks_of);
  NUDGE_CONFORMANCE_SAME_PART(deals);
  NUDGE_CONFORMANCE_SAME_PART(invoices);
  NUDGE_CONFORMANCE_SAME_PART(summarized);
  NUDGE_CONFORMANCE_SAME_PART(open_deals.deals);
  NUDGE_CONFORMANCE_SAME_PART(open_deals.open_tasks);
  NUDGE_CONFORMANCE_SAME_PART(open_deals.last_task_closed);
  NUDGE_CONFORMANCE_SAME_PART(unpaid.items);
  NUDGE_CONFORMANCE_SAME_PART(open_tasks.items);
  NUDGE_CONFORMANCE_SAME_PART(find_manager);
  NUDGE_CONFORMANCE_SAME_PART(find_client);
  NUDGE_CONFORMANCE_SAME_PART(find_task);
  NUDGE_CONFORMANCE_SAME_PART(find_deal);
  NUDGE_CONFORMANCE_SAME_PART(find_invoice);
  NUDGE_CONFORMANCE_SAME_PART(has_activity);
  NUDGE_CONFORMANCE_SAME_PART(has_action);
  NUDGE_CONFORMANCE_SAME_PART(has_actions);
  NUDGE_CONFORMANCE_SAME_PART(audit);
  NUDGE_CONFORMANCE_SAME_PART(outbox);
  NUDGE_CONFORMANCE_SAME_PART(outbox_entries);
#undef NUDGE_CONFORMANCE_SAME_PART
}

/// A small world every kind of entity lives in: managers 1..3, clients 1..4,
/// activities, open and closed tasks, open/won/lost deals, paid and unpaid
/// invoices, a label, a claimed key, audit records and a message.
inline void seed_world(Storage& s) {
  auto w = s.begin();
  w->put_manager(manager(1));
  w->put_manager(manager(2, 1));
  w->put_manager(rich_manager(3, 1));
  w->put_client(rich_client(1, 2));
  w->put_client(client(2, 2));
  w->put_client(client(3, 3));
  w->put_client(client(4, 1));
  w->add_activity(activity(1, 1, ActivityKind::call_out, day(2026, 8, 14)));
  w->add_activity(activity(2, 1, ActivityKind::call_missed, day(2026, 9, 1)));
  w->add_activity(activity(3, 2, ActivityKind::email, day(2026, 7, 1), Contact::yes));
  w->put_deal(rich_deal(1, 1));
  w->put_deal(deal(2, 1));
  w->put_deal(deal(3, 2, DealStatus::won, day(2026, 5, 5)));
  auto t1 = task(1, 1, day(2026, 12, 1));
  t1.deal = DealId{2};
  w->put_task(t1);
  w->put_task(task(2, 2, day(2026, 10, 1), TaskState::done, day(2026, 9, 30)));
  w->put_invoice(rich_invoice(1, 1, 1));
  w->put_invoice(invoice(2, 2));
  w->set_label(SubjectRef::of(DealId{2}), "no_next_step", "");
  REQUIRE(w->claim_action("seed/key", day(2026, 11, 1)));
  w->append_audit(audit(1, SubjectRef::of(ClientId{1})));
  w->enqueue(message(1));
  w->commit();
}

}  // namespace detail

// =====================================================================================
// The checks. Each makes its own storage(s) from the factory.
// =====================================================================================

/// A new storage is empty: no lookups succeed, lists and scans are empty.
inline void empty_store_reads_nothing(const Factory& make) {
  using namespace detail;
  auto s = fresh(make);
  CHECK(s->managers().empty());
  CHECK(s->clients_of(ManagerId{1}).empty());
  CHECK(s->activities_of(ClientId{1}, beginning).empty());
  CHECK(s->tasks_of(ClientId{1}, false).empty());
  CHECK(s->deals_of(ClientId{1}).empty());
  CHECK(s->invoices_of(ClientId{1}).empty());
  CHECK(scan_clients(*s).batches.empty());
  CHECK(scan_open_deals(*s).batches.empty());
  CHECK(scan_unpaid_invoices(*s).batches.empty());
  CHECK(scan_open_tasks(*s).batches.empty());
  CHECK(s->audit_log().empty());
  CHECK(s->outbox().empty());
  CHECK(s->outbox_entries().empty());
  CHECK_FALSE(s->find_message("any"));
  CHECK(s->due_messages(day(2100, 1, 1)).empty());
  CHECK_FALSE(s->has_action("any"));
  CHECK(s->summarize(ClientId{1}) == ClientSummary{});
}

/// Lookups of ids that were never written return nullopt / false / empty.
inline void missing_ids_are_nullopt(const Factory& make) {
  using namespace detail;
  auto s = fresh(make);
  seed_world(*s);
  CHECK_FALSE(s->find_manager(ManagerId{99}));
  CHECK_FALSE(s->find_client(ClientId{99}));
  CHECK_FALSE(s->find_task(TaskId{99}));
  CHECK_FALSE(s->find_deal(DealId{99}));
  CHECK_FALSE(s->find_invoice(InvoiceId{99}));
  CHECK_FALSE(s->has_activity(ActivityId{99}));
  CHECK_FALSE(s->has_action("seed/key/"));
  CHECK_FALSE(s->has_action("SEED/KEY"));
  CHECK(s->clients_of(ManagerId{99}).empty());
  CHECK(s->activities_of(ClientId{99}, beginning).empty());
  CHECK(s->tasks_of(ClientId{99}, false).empty());
  CHECK(s->deals_of(ClientId{99}).empty());
  CHECK(s->invoices_of(ClientId{99}).empty());
  CHECK(s->audit_log(SubjectRef::of(ClientId{99})).empty());
  // an id of one kind does not find an entity of another kind
  CHECK_FALSE(s->find_invoice(InvoiceId{3}));
  CHECK(s->audit_log(SubjectRef::of(DealId{1})).empty());
}

/// Managers come back field for field (leave periods, segments, an empty
/// segment list, an absent supervisor); put again replaces; managers() ascends.
inline void managers_round_trip(const Factory& make) {
  using namespace detail;
  auto s = fresh(make);
  auto rich = rich_manager(2, 7);
  auto bare = manager(5);
  bare.segments.clear();
  bare.weight = 1e-9;
  {
    auto w = s->begin();
    w->put_manager(manager(7));
    w->put_manager(rich);
    w->put_manager(bare);
    w->commit();
  }
  found(s->find_manager(ManagerId{2}), rich, "manager 2");
  found(s->find_manager(ManagerId{5}), bare, "manager 5 (no segments)");
  found(s->find_manager(ManagerId{7}), manager(7), "manager 7 (defaults)");
  same_list(s->managers(), {rich, bare, manager(7)}, "managers()");

  auto changed = rich;
  changed.supervisor.reset();
  changed.leave.pop_back();
  changed.segments = {"*"};
  changed.active = true;
  changed.name = "Petrova";
  {
    auto w = s->begin();
    w->put_manager(changed);
    w->commit();
  }
  found(s->find_manager(ManagerId{2}), changed, "manager 2 after replace");
  CHECK(s->managers().size() == 3);
}

/// Clients come back field for field (segments in order, labels, lock,
/// contacts, an instant before 1970); put again replaces, labels included.
inline void clients_round_trip(const Factory& make) {
  using namespace detail;
  auto s = fresh(make);
  auto rich = rich_client(3, 1);
  auto bare = client(1, 1);
  bare.segments.clear();
  {
    auto w = s->begin();
    w->put_manager(manager(1));
    w->put_manager(manager(2));
    w->put_client(rich);
    w->put_client(bare);
    w->commit();
  }
  found(s->find_client(ClientId{3}), rich, "client 3");
  found(s->find_client(ClientId{1}), bare, "client 1 (no segments)");
  auto scanned = scan_clients(*s);
  same_list(scanned.clients, {bare, rich}, "scan_clients");

  auto changed = rich;
  changed.owner = ManagerId{2};
  changed.segments = {"north"};
  changed.labels = {{"vip", "renewed"}};
  changed.kind = ClientKind::b2b;
  changed.release_locked = false;
  changed.email.clear();
  {
    auto w = s->begin();
    w->put_client(changed);
    w->commit();
  }
  found(s->find_client(ClientId{3}), changed, "client 3 after replace");
  same_list(scan_clients(*s).clients, {bare, changed}, "scan_clients after replace");
}

/// Activities come back field for field through activities_of; has_activity
/// knows them.
inline void activities_round_trip(const Factory& make) {
  using namespace detail;
  auto s = fresh(make);
  auto custom = activity(10, 1, ActivityKind::other, day(2026, 8, 14, 9));
  custom.outcome = Outcome::completed;
  custom.contact = Contact::yes;
  custom.subject = "order #77\nshipped";
  auto anonymous = activity(11, 1, ActivityKind::call_in, day(2026, 8, 15));
  anonymous.manager = ManagerId{};  // "no manager" is a valid activity
  anonymous.outcome = Outcome::no_answer;
  anonymous.contact = Contact::no;
  std::vector<Activity> every_kind;
  for (std::size_t k = 0; k < activity_kind_count; ++k) {
    auto a = activity(20 + static_cast<std::int64_t>(k), 1, static_cast<ActivityKind>(k), day(2026, 9, 1 + static_cast<unsigned>(k)));
    a.outcome = static_cast<Outcome>(k % 5);
    every_kind.push_back(a);
  }
  {
    auto w = s->begin();
    w->put_manager(manager(1));
    w->put_client(client(1, 1));
    w->add_activity(custom);
    w->add_activity(anonymous);
    for (const auto& a : every_kind) w->add_activity(a);
    w->commit();
  }
  std::vector<Activity> want{custom, anonymous};
  want.insert(want.end(), every_kind.begin(), every_kind.end());
  same_list(s->activities_of(ClientId{1}, beginning), want, "activities_of");
  for (const auto& a : want) NUDGE_CONFORMANCE_CHECK(s->has_activity(a.id), fmt::format("has_activity({})", a.id.value()));
}

/// Tasks come back field for field (deal, author, planned start, closing,
/// based_on, origin); put again replaces.
inline void tasks_round_trip(const Factory& make) {
  using namespace detail;
  auto s = fresh(make);
  auto first = task(1, 1, day(2026, 10, 1), TaskState::done, day(2026, 9, 20, 15));
  auto rich = task(2, 1, day(2026, 12, 1), TaskState::in_progress);
  rich.deal = DealId{1};
  rich.author = ManagerId{2};
  rich.title = "Позвонить \"снова\"";
  rich.planned_start = day(2026, 11, 25, 9);
  rich.created = day(2026, 11, 20, 8);
  rich.based_on = TaskId{1};
  rich.origin = "forgotten/client:1/2026-11-22";
  {
    auto w = s->begin();
    w->put_manager(manager(1));
    w->put_manager(manager(2));
    w->put_client(client(1, 1));
    w->put_client(client(2, 1));
    w->put_deal(deal(1, 1));
    w->put_task(first);
    w->put_task(rich);
    w->commit();
  }
  found(s->find_task(TaskId{1}), first, "task 1");
  found(s->find_task(TaskId{2}), rich, "task 2");

  auto changed = rich;
  changed.client = ClientId{2};
  changed.deal.reset();
  changed.author.reset();
  changed.planned_start.reset();
  changed.based_on.reset();
  changed.state = TaskState::cancelled;
  changed.closed = day(2026, 11, 30);
  {
    auto w = s->begin();
    w->put_task(changed);
    w->commit();
  }
  found(s->find_task(TaskId{2}), changed, "task 2 after replace");
  same_list(s->tasks_of(ClientId{1}, false), {first}, "tasks_of(client 1) after the task moved");
  same_list(s->tasks_of(ClientId{2}, false), {changed}, "tasks_of(client 2) after the task moved");
}

/// Deals come back field for field (stage history, holds, labels, money,
/// probability, status and closing); put again replaces every list.
inline void deals_round_trip(const Factory& make) {
  using namespace detail;
  auto s = fresh(make);
  auto rich = rich_deal(4, 1);
  auto plain = deal(2, 1);
  {
    auto w = s->begin();
    w->put_manager(manager(1));
    w->put_client(client(1, 1));
    w->put_deal(rich);
    w->put_deal(plain);
    w->commit();
  }
  found(s->find_deal(DealId{4}), rich, "deal 4");
  found(s->find_deal(DealId{2}), plain, "deal 2");
  same_list(s->deals_of(ClientId{1}), {plain, rich}, "deals_of");

  auto changed = rich;
  changed.status = DealStatus::open;
  changed.closed.reset();
  changed.loss_reason.clear();
  changed.history.pop_back();
  changed.holds.clear();
  changed.labels.erase("big");
  changed.probability = 1.0 / 3.0;
  {
    auto w = s->begin();
    w->put_deal(changed);
    w->commit();
  }
  found(s->find_deal(DealId{4}), changed, "deal 4 after replace");
  auto open = scan_open_deals(*s);
  same_list(open.deals, {plain, changed}, "scan_open_deals after replace");
}

/// Invoices come back field for field (deal, payments, paid); put again replaces.
inline void invoices_round_trip(const Factory& make) {
  using namespace detail;
  auto s = fresh(make);
  auto rich = rich_invoice(3, 1, 1);
  auto plain = invoice(1, 1);
  {
    auto w = s->begin();
    w->put_manager(manager(1));
    w->put_client(client(1, 1));
    w->put_deal(deal(1, 1));
    w->put_invoice(rich);
    w->put_invoice(plain);
    w->commit();
  }
  found(s->find_invoice(InvoiceId{3}), rich, "invoice 3");
  found(s->find_invoice(InvoiceId{1}), plain, "invoice 1");
  same_list(s->invoices_of(ClientId{1}), {plain, rich}, "invoices_of");

  auto changed = rich;
  changed.deal.reset();
  changed.payments.pop_back();
  changed.paid.reset();
  {
    auto w = s->begin();
    w->put_invoice(changed);
    w->commit();
  }
  found(s->find_invoice(InvoiceId{3}), changed, "invoice 3 after replace");
  same_list(scan_unpaid_invoices(*s).items, {plain, changed}, "scan_unpaid_invoices after replace");
}

/// clients_of, tasks_of (all / open only), deals_of and invoices_of hold only
/// that client's entities, complete, in ascending id order whatever the
/// order of writing.
inline void per_client_lists_in_id_order(const Factory& make) {
  using namespace detail;
  auto s = fresh(make);
  std::vector<Task> tasks1;
  std::vector<Deal> deals1;
  std::vector<Invoice> invoices1;
  {
    auto w = s->begin();
    w->put_manager(manager(1));
    w->put_manager(manager(2));
    for (std::int64_t id : {9, 2, 7, 4}) w->put_client(client(id, id % 2 == 0 ? 1 : 2));
    for (std::int64_t id : {30, 10, 20}) {
      auto d = id == 20 ? rich_deal(id, 2) : deal(id, 2);
      w->put_deal(d);
      deals1.push_back(d);
      w->put_deal(deal(id + 1, 4));  // another client's
    }
    for (std::int64_t id : {8, 3, 5, 1}) {
      auto t = id == 5 ? task(id, 2, day(2026, 10, 1), TaskState::done, day(2026, 9, 1)) : task(id, 2, day(2026, 10, 1));
      w->put_task(t);
      tasks1.push_back(t);
      w->put_task(task(id + 100, 4, day(2026, 10, 1)));
    }
    for (std::int64_t id : {6, 2}) {
      auto i = id == 6 ? rich_invoice(id, 2, 10) : invoice(id, 2);
      w->put_invoice(i);
      invoices1.push_back(i);
      w->put_invoice(invoice(id + 100, 4));
    }
    w->commit();
  }
  auto by_id = [](auto v) {
    std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
    return v;
  };
  CHECK(s->clients_of(ManagerId{1}) == std::vector{ClientId{2}, ClientId{4}});
  CHECK(s->clients_of(ManagerId{2}) == std::vector{ClientId{7}, ClientId{9}});
  same_list(s->tasks_of(ClientId{2}, false), by_id(tasks1), "tasks_of(all)");
  auto open = by_id(tasks1);
  std::erase_if(open, [](const Task& t) { return !t.open(); });
  same_list(s->tasks_of(ClientId{2}, true), open, "tasks_of(open_only)");
  same_list(s->deals_of(ClientId{2}), by_id(deals1), "deals_of");
  same_list(s->invoices_of(ClientId{2}), by_id(invoices1), "invoices_of");
  CHECK(s->tasks_of(ClientId{7}, false).empty());
  CHECK(s->deals_of(ClientId{7}).empty());
  CHECK(s->invoices_of(ClientId{7}).empty());
}

/// activities_of(c, since) holds the activities at or after `since` (an
/// activity exactly at `since` included), oldest first, of that client only.
inline void activities_since_includes_boundary(const Factory& make) {
  using namespace detail;
  auto s = fresh(make);
  const auto t0 = day(2026, 8, 1), t1 = day(2026, 8, 14, 10), t2 = day(2026, 9, 1);
  {
    auto w = s->begin();
    w->put_manager(manager(1));
    w->put_client(client(1, 1));
    w->put_client(client(2, 1));
    w->add_activity(activity(5, 1, ActivityKind::email, t2));
    w->add_activity(activity(4, 1, ActivityKind::note, t1));
    w->add_activity(activity(1, 1, ActivityKind::call_out, t0));
    w->add_activity(activity(3, 1, ActivityKind::call_in, t1));
    w->add_activity(activity(2, 2, ActivityKind::call_in, t1));
    w->commit();
  }
  auto ids = [](const std::vector<Activity>& v) {
    std::multiset<std::int64_t> out;
    for (const auto& a : v) out.insert(a.id.value());
    return out;
  };
  auto oldest_first = [](const std::vector<Activity>& v) {
    return std::is_sorted(v.begin(), v.end(), [](const Activity& a, const Activity& b) { return a.at < b.at; });
  };
  const auto at_t1 = s->activities_of(ClientId{1}, t1);
  NUDGE_CONFORMANCE_CHECK((ids(at_t1) == std::multiset<std::int64_t>{3, 4, 5}), "since == at: the activities at `since` belong in");
  NUDGE_CONFORMANCE_CHECK(oldest_first(at_t1), "activities_of: oldest first");
  CHECK(ids(s->activities_of(ClientId{1}, t1 + Seconds{1})) == std::multiset<std::int64_t>{5});
  CHECK(ids(s->activities_of(ClientId{1}, t1 - Seconds{1})) == std::multiset<std::int64_t>{3, 4, 5});
  CHECK(s->activities_of(ClientId{1}, t2 + Seconds{1}).empty());
  const auto all = s->activities_of(ClientId{1}, beginning);
  CHECK(ids(all) == std::multiset<std::int64_t>{1, 3, 4, 5});
  NUDGE_CONFORMANCE_CHECK(oldest_first(all), "activities_of: oldest first");
  CHECK(ids(s->activities_of(ClientId{2}, beginning)) == std::multiset<std::int64_t>{2});
}

/// scan_clients: every client once, ascending id across batches, no batch
/// larger than asked (1, 3, the default), written out of order.
inline void scan_clients_batches_in_id_order(const Factory& make) {
  using namespace detail;
  auto s = fresh(make);
  const std::vector<std::int64_t> order{7, 3, 10, 1, 42, 5, 2, 8, 9, 6};
  {
    auto w = s->begin();
    w->put_manager(manager(1));
    for (auto id : order) w->put_client(client(id, 1));
    w->commit();
  }
  auto want = order;
  std::sort(want.begin(), want.end());
  for (std::size_t batch : {std::size_t{1}, std::size_t{3}, Storage::default_batch}) {
    CAPTURE(batch);
    auto r = scan_clients(*s, batch);
    check_batches(r.batches, batch, want.size(), fmt::format("scan_clients(batch={})", batch));
    NUDGE_CONFORMANCE_CHECK(ids_of(r.clients) == want, "scan_clients: ascending id, each client once");
  }
}

/// scan_open_deals: only open deals, ascending id, in batches; DealView counts
/// the deal's open tasks and gives the latest closing of its closed tasks,
/// following tasks that move between deals or close.
inline void scan_open_deals_counts_tasks(const Factory& make) {
  using namespace detail;
  auto s = fresh(make);
  {
    auto w = s->begin();
    w->put_manager(manager(1));
    w->put_client(client(1, 1));
    w->put_deal(deal(5, 1));
    w->put_deal(deal(2, 1, DealStatus::won, day(2026, 4, 1)));
    w->put_deal(deal(1, 1));
    w->put_deal(deal(4, 1, DealStatus::lost, day(2026, 4, 2)));
    w->put_deal(deal(3, 1));
    w->put_task(on_deal(task(1, 1, day(2026, 12, 1)), 1));
    w->put_task(on_deal(task(2, 1, day(2026, 12, 2), TaskState::in_progress), 1));
    w->put_task(on_deal(task(3, 1, day(2026, 12, 3), TaskState::done, day(2026, 3, 1)), 1));
    w->put_task(on_deal(task(4, 1, day(2026, 12, 4), TaskState::cancelled, day(2026, 4, 1)), 3));
    w->put_task(on_deal(task(5, 1, day(2026, 12, 5), TaskState::done, day(2026, 2, 1)), 3));
    w->put_task(task(6, 1, day(2026, 12, 6)));
    w->put_task(on_deal(task(7, 1, day(2026, 12, 7)), 2));
    w->commit();
  }
  using Closed = std::vector<std::optional<Instant>>;
  for (std::size_t batch : {std::size_t{1}, std::size_t{3}, Storage::default_batch}) {
    CAPTURE(batch);
    auto r = scan_open_deals(*s, batch);
    check_batches(r.batches, batch, 3, fmt::format("scan_open_deals(batch={})", batch));
    NUDGE_CONFORMANCE_CHECK((ids_of(r.deals) == std::vector<std::int64_t>{1, 3, 5}), "scan_open_deals: only open deals, ascending id");
    NUDGE_CONFORMANCE_CHECK((r.open_tasks == std::vector<int>{2, 0, 0}), "DealView.open_tasks");
    NUDGE_CONFORMANCE_CHECK(r.last_task_closed == (Closed{day(2026, 3, 1), day(2026, 4, 1), std::nullopt}),
                  "DealView.last_task_closed");
  }
  {
    auto w = s->begin();
    w->put_task(on_deal(task(1, 1, day(2026, 12, 1)), 5));                                      // moves
    w->put_task(on_deal(task(2, 1, day(2026, 12, 2), TaskState::done, day(2026, 5, 1)), 1));  // closes
    w->commit();
  }
  auto r = scan_open_deals(*s);
  NUDGE_CONFORMANCE_CHECK((r.open_tasks == std::vector<int>{0, 0, 1}), "DealView.open_tasks after a task moved and one closed");
  NUDGE_CONFORMANCE_CHECK(r.last_task_closed == (Closed{day(2026, 5, 1), day(2026, 4, 1), std::nullopt}),
                "DealView.last_task_closed after a task closed");
}

/// scan_unpaid_invoices: only invoices without `paid`, ascending id, in batches.
inline void scan_unpaid_invoices_only_unpaid(const Factory& make) {
  using namespace detail;
  auto s = fresh(make);
  auto partly = invoice(3, 1);
  partly.payments = {{day(2026, 3, 5), 100}};  // partly paid is still unpaid
  const std::vector<Invoice> unpaid{invoice(1, 1), partly, invoice(5, 1), invoice(6, 1)};
  {
    auto w = s->begin();
    w->put_manager(manager(1));
    w->put_client(client(1, 1));
    w->put_invoice(invoice(6, 1));
    w->put_invoice(invoice(5, 1));
    w->put_invoice(partly);
    auto paid = invoice(2, 1);
    paid.paid = day(2026, 3, 10);
    w->put_invoice(paid);
    w->put_invoice(invoice(1, 1));
    w->commit();
  }
  for (std::size_t batch : {std::size_t{1}, std::size_t{3}, Storage::default_batch}) {
    CAPTURE(batch);
    auto r = scan_unpaid_invoices(*s, batch);
    check_batches(r.batches, batch, unpaid.size(), fmt::format("scan_unpaid_invoices(batch={})", batch));
    same_list(r.items, unpaid, fmt::format("scan_unpaid_invoices(batch={})", batch));
  }
  {
    auto w = s->begin();
    partly.paid = day(2026, 4, 1);
    w->put_invoice(partly);
    w->commit();
  }
  CHECK(ids_of(scan_unpaid_invoices(*s).items) == std::vector<std::int64_t>{1, 5, 6});
}

/// scan_open_tasks: only tasks in attention or in progress, ascending id, in batches.
inline void scan_open_tasks_only_open(const Factory& make) {
  using namespace detail;
  auto s = fresh(make);
  std::vector<Task> all{task(4, 1, day(2026, 12, 1)),
                        task(2, 1, day(2026, 12, 2), TaskState::in_progress),
                        task(7, 1, day(2026, 12, 3), TaskState::done, day(2026, 11, 1)),
                        task(1, 1, day(2026, 12, 4), TaskState::cancelled, day(2026, 11, 2)),
                        task(9, 1, day(2026, 12, 5)),
                        task(3, 1, day(2026, 12, 6))};
  {
    auto w = s->begin();
    w->put_manager(manager(1));
    w->put_client(client(1, 1));
    for (const auto& t : all) w->put_task(t);
    w->commit();
  }
  std::vector<Task> open;
  for (const auto& t : all)
    if (t.open()) open.push_back(t);
  std::sort(open.begin(), open.end(), [](const Task& a, const Task& b) { return a.id < b.id; });
  for (std::size_t batch : {std::size_t{1}, std::size_t{3}, Storage::default_batch}) {
    CAPTURE(batch);
    auto r = scan_open_tasks(*s, batch);
    check_batches(r.batches, batch, open.size(), fmt::format("scan_open_tasks(batch={})", batch));
    same_list(r.items, open, fmt::format("scan_open_tasks(batch={})", batch));
  }
}

/// A scan callback may call the storage's reads (the engine looks things up
/// while it plans); the scan then goes on where it was.
inline void scan_callbacks_may_read(const Factory& make) {
  using namespace detail;
  auto s = fresh(make);
  seed_world(*s);
  std::vector<std::int64_t> seen;
  s->scan_clients(
      [&](std::span<const ClientView> b) {
        for (const auto& v : b) {
          seen.push_back(v.client->id.value());
          CHECK(s->find_manager(v.client->owner));
          CHECK(s->find_client(v.client->id) == *v.client);
          CHECK(s->summarize(v.client->id) == *v.summary);
          (void)scan_open_tasks(*s, 1);  // a nested scan, too
        }
        NUDGE_CONFORMANCE_CHECK(!b.empty(), "a batch is never empty");
      },
      1);
  CHECK(seen == std::vector<std::int64_t>{1, 2, 3, 4});
  int deals = 0;
  s->scan_open_deals(
      [&](std::span<const DealView> b) {
        for (const auto& v : b) {
          ++deals;
          CHECK(s->find_deal(v.deal->id) == *v.deal);
          const auto open = s->tasks_of(v.deal->client, true);
          CHECK(std::count_if(open.begin(), open.end(), [&](const Task& t) { return t.deal == v.deal->id; }) ==
                v.open_tasks);
        }
      },
      1);
  CHECK(deals == 1);
}

namespace detail {
/// Client 1's facts after summary_world(): what summarize() must say.
inline ClientSummary expected_summary_1() {
  ClientSummary want;
  want.last_by_kind[static_cast<std::size_t>(ActivityKind::call_out)] = day(2026, 8, 2);
  want.last_by_kind[static_cast<std::size_t>(ActivityKind::call_missed)] = day(2026, 8, 3);
  want.last_by_kind[static_cast<std::size_t>(ActivityKind::meeting)] = day(2026, 8, 5);
  want.last_by_kind[static_cast<std::size_t>(ActivityKind::other)] = day(2026, 8, 7);
  want.last_forced_contact = day(2026, 8, 4);
  want.last_task_done = day(2026, 8, 8);
  want.open_tasks = 3;
  want.latest_open_due = day(2026, 12, 10);
  want.won_deals = {day(2026, 3, 3), day(2026, 9, 11)};
  want.paid_invoices = {day(2026, 4, 2), day(2026, 10, 12)};
  return want;
}
/// Activities of every contact flag, tasks open/done/cancelled, deals
/// won/lost/open, invoices paid/unpaid for client 1; a little for client 2.
inline void summary_world(UnitOfWork& w) {
  w.put_manager(manager(1));
  w.put_client(client(1, 1));
  w.put_client(client(2, 1));
  w.put_client(client(3, 1));  // nothing at all
  w.add_activity(activity(1, 1, ActivityKind::call_out, day(2026, 8, 2)));
  w.add_activity(activity(2, 1, ActivityKind::call_out, day(2026, 8, 1)));  // older, same kind
  w.add_activity(activity(3, 1, ActivityKind::call_missed, day(2026, 8, 3)));
  w.add_activity(activity(4, 1, ActivityKind::note, day(2026, 8, 4), Contact::yes));
  w.add_activity(activity(5, 1, ActivityKind::meeting, day(2026, 8, 5)));
  w.add_activity(activity(6, 1, ActivityKind::email, day(2026, 8, 20), Contact::no));
  w.add_activity(activity(7, 1, ActivityKind::other, day(2026, 8, 7)));
  w.add_activity(activity(8, 2, ActivityKind::email, day(2026, 8, 9)));
  w.put_task(task(1, 1, day(2026, 12, 10)));
  w.put_task(task(2, 1, day(2026, 12, 8), TaskState::in_progress));
  w.put_task(task(3, 1, day(2026, 9, 1), TaskState::done, day(2026, 8, 8)));
  w.put_task(task(4, 1, day(2026, 9, 1), TaskState::cancelled, day(2026, 8, 30)));  // not "done"
  w.put_task(task(5, 2, day(2026, 9, 1), TaskState::done, day(2026, 8, 1)));
  auto reminder = task(6, 1, day(2027, 3, 1));  // the engine's own: counted open, its due date not
  reminder.origin = "forgotten/client:1/2026-11-22";
  w.put_task(reminder);
  w.put_deal(deal(1, 1, DealStatus::won, day(2026, 9, 11)));
  w.put_deal(deal(2, 1, DealStatus::won, day(2026, 3, 3)));
  w.put_deal(deal(3, 1, DealStatus::lost, day(2026, 5, 5)));
  w.put_deal(deal(4, 1));
  auto paid = [](std::int64_t id, std::int64_t client, Instant when) {
    auto i = invoice(id, client);
    i.paid = when;
    return i;
  };
  w.put_invoice(paid(1, 1, day(2026, 10, 12)));
  w.put_invoice(paid(2, 1, day(2026, 4, 2)));
  w.put_invoice(invoice(3, 1));
  w.put_invoice(paid(4, 2, day(2026, 6, 6)));
}

/// Every scanned summary equals summarize() of its client.
inline void summaries_agree(const Storage& s, const std::string& where) {
  auto r = scan_clients(s);
  for (std::size_t i = 0; i < r.clients.size(); ++i)
    NUDGE_CONFORMANCE_CHECK(r.summaries[i] == s.summarize(r.clients[i].id),
                  fmt::format("{}: the summary scan_clients gives client {} differs from summarize()", where,
                              r.clients[i].id.value()));
}
inline ClientSummary scanned_summary(const Storage& s, ClientId id) {
  auto r = scan_clients(s);
  for (std::size_t i = 0; i < r.clients.size(); ++i)
    if (r.clients[i].id == id) return r.summaries[i];
  FAIL("scan_clients did not deliver client " << id.value());
  return {};
}
}  // namespace detail

/// After a mixed sequence of writes, the summary each client gets from
/// scan_clients() equals summarize() -- and both say what the facts say.
inline void summaries_equal_summarize(const Factory& make) {
  using namespace detail;
  auto s = fresh(make);
  {
    auto w = s->begin();
    summary_world(*w);
    summaries_agree(*s, "inside the unit of work");
    w->commit();
  }
  summaries_agree(*s, "after commit");
  NUDGE_CONFORMANCE_CHECK(s->summarize(ClientId{1}) == expected_summary_1(), "summarize(client 1) against the facts");
  NUDGE_CONFORMANCE_CHECK(scanned_summary(*s, ClientId{1}) == expected_summary_1(), "scan_clients' summary of client 1");
  CHECK(scanned_summary(*s, ClientId{3}) == ClientSummary{});
  const auto two = scanned_summary(*s, ClientId{2});
  CHECK(two.last_by_kind[static_cast<std::size_t>(ActivityKind::email)] == day(2026, 8, 9));
  CHECK(two.last_task_done == day(2026, 8, 1));
  CHECK(two.paid_invoices == std::vector{day(2026, 6, 6)});
  CHECK(two.open_tasks == 0);
}

namespace detail {
/// For every client (and one that does not exist): summary_of() equals
/// summarize(), and visit_client() shows the client, its summary and exactly
/// the open deals (with their task figures), unpaid invoices and open tasks
/// the scans show for it, each ascending id.
inline void one_client_agrees_with_the_scans(const Storage& s, const std::string& where) {
  const auto clients = scan_clients(s);
  const auto deals = scan_open_deals(s);
  const auto invoices = scan_unpaid_invoices(s).items;
  const auto tasks = scan_open_tasks(s).items;
  for (std::size_t i = 0; i < clients.clients.size(); ++i) {
    const auto& c = clients.clients[i];
    const std::string at = fmt::format("{}: client {}", where, c.id.value());
    const auto summary = s.summary_of(c.id);
    NUDGE_CONFORMANCE_CHECK(summary.has_value(), at + ": summary_of() found nothing");
    if (summary) NUDGE_CONFORMANCE_CHECK(*summary == s.summarize(c.id), at + ": summary_of() differs from summarize()");
    std::vector<std::int64_t> want_deals, want_invoices, want_tasks;
    std::vector<int> want_open;
    std::vector<std::optional<Instant>> want_closed;
    for (std::size_t d = 0; d < deals.deals.size(); ++d)
      if (deals.deals[d].client == c.id) {
        want_deals.push_back(deals.deals[d].id.value());
        want_open.push_back(deals.open_tasks[d]);
        want_closed.push_back(deals.last_task_closed[d]);
      }
    for (const auto& inv : invoices)
      if (inv.client == c.id) want_invoices.push_back(inv.id.value());
    for (const auto& t : tasks)
      if (t.client == c.id) want_tasks.push_back(t.id.value());
    int calls = 0;
    const bool found = s.visit_client(c.id, [&](const Storage::ClientSubjects& v) {
      ++calls;
      NUDGE_CONFORMANCE_REQUIRE((v.client.client != nullptr && v.client.summary != nullptr),
                                at + ": visit_client gave a null pointer");
      same(*v.client.client, c, at + ": visit_client's client");
      NUDGE_CONFORMANCE_CHECK(*v.client.summary == clients.summaries[i], at + ": visit_client's summary");
      std::vector<std::int64_t> got_deals, got_invoices, got_tasks;
      std::vector<int> got_open;
      std::vector<std::optional<Instant>> got_closed;
      for (const auto& d : v.open_deals) {
        got_deals.push_back(d.deal->id.value());
        got_open.push_back(d.open_tasks);
        got_closed.push_back(d.last_task_closed);
      }
      for (const auto* inv : v.unpaid_invoices) got_invoices.push_back(inv->id.value());
      for (const auto* t : v.open_tasks) got_tasks.push_back(t->id.value());
      NUDGE_CONFORMANCE_CHECK(got_deals == want_deals, at + ": visit_client's open deals");
      NUDGE_CONFORMANCE_CHECK(got_open == want_open, at + ": visit_client's DealView.open_tasks");
      NUDGE_CONFORMANCE_CHECK(got_closed == want_closed, at + ": visit_client's DealView.last_task_closed");
      NUDGE_CONFORMANCE_CHECK(got_invoices == want_invoices, at + ": visit_client's unpaid invoices");
      NUDGE_CONFORMANCE_CHECK(got_tasks == want_tasks, at + ": visit_client's open tasks");
    });
    NUDGE_CONFORMANCE_CHECK((found && calls == 1), at + ": visit_client must call back once and return true");
  }
  NUDGE_CONFORMANCE_CHECK(!s.summary_of(ClientId{987654}).has_value(), where + ": summary_of(unknown client)");
  bool called = false;
  const bool visited = s.visit_client(ClientId{987654}, [&](const Storage::ClientSubjects&) { called = true; });
  NUDGE_CONFORMANCE_CHECK((!visited && !called), where + ": visit_client(unknown client) must return false without calling back");

  // visit_clients over a list (descending, an unknown id inside, one id
  // twice) calls back once per entry, in order, with what visit_client shows.
  auto key = [](const Storage::ClientSubjects& v) {
    std::string k = fmt::format("client {} summary {}|", v.client.client->id.value(),
                                v.client.summary->open_tasks);
    for (const auto& d : v.open_deals)
      k += fmt::format("deal {} {} {}|", d.deal->id.value(), d.open_tasks,
                       d.last_task_closed ? to_unix(*d.last_task_closed) : -1);
    for (const auto* inv : v.unpaid_invoices) k += fmt::format("invoice {}|", inv->id.value());
    for (const auto* t : v.open_tasks) k += fmt::format("task {}|", t->id.value());
    return k;
  };
  std::vector<ClientId> ids;
  for (auto it = clients.clients.rbegin(); it != clients.clients.rend(); ++it) ids.push_back(it->id);
  ids.insert(ids.begin() + static_cast<std::ptrdiff_t>(ids.size() / 2), ClientId{987654});
  if (!clients.clients.empty()) ids.push_back(clients.clients.back().id);
  std::vector<std::string> want;
  for (auto id : ids) {
    std::string k = "none";
    s.visit_client(id, [&](const Storage::ClientSubjects& v) { k = key(v); });
    want.push_back(k);
  }
  std::vector<std::string> got;
  std::vector<std::size_t> order;
  s.visit_clients(ids, [&](std::size_t i, const Storage::ClientSubjects* v) {
    order.push_back(i);
    got.push_back(v ? key(*v) : "none");
  });
  std::vector<std::size_t> in_turn(ids.size());
  for (std::size_t i = 0; i < in_turn.size(); ++i) in_turn[i] = i;
  NUDGE_CONFORMANCE_CHECK(order == in_turn, where + ": visit_clients must call back once per id, in the list's order");
  NUDGE_CONFORMANCE_CHECK(got == want, where + ": visit_clients must show what visit_client shows (null for an unknown id)");
}
}  // namespace detail

/// One client's facts (summary_of, visit_client: what an incremental
/// evaluation reads) agree with the scans, inside a unit of work and after,
/// and after tasks move between deals and close.
inline void one_client_reads_agree(const Factory& make) {
  using namespace detail;
  auto s = fresh(make);
  {
    auto w = s->begin();
    summary_world(*w);
    w->put_deal(deal(5, 2));
    w->put_invoice(invoice(6, 2));
    w->put_task(on_deal(task(20, 1, day(2026, 12, 1)), 4));
    w->put_task(on_deal(task(21, 1, day(2026, 12, 2), TaskState::done, day(2026, 8, 15)), 4));
    w->put_task(on_deal(task(22, 2, day(2026, 12, 3)), 5));
    one_client_agrees_with_the_scans(*s, "inside the unit of work");
    w->commit();
  }
  one_client_agrees_with_the_scans(*s, "after commit");
  {
    auto w = s->begin();
    w->put_task(on_deal(task(20, 1, day(2026, 12, 1), TaskState::done, day(2026, 9, 2)), 4));  // closes
    w->put_task(task(22, 2, day(2026, 12, 3)));                                                 // leaves deal 5
    auto paid = invoice(6, 2);
    paid.paid = day(2026, 9, 3);
    w->put_invoice(paid);
    w->commit();
  }
  one_client_agrees_with_the_scans(*s, "after tasks closed and moved, an invoice paid");
}

/// Summaries follow updates both ways: tasks that close, reopen or move to
/// another client, deals that stop being won, invoices that stop being paid.
inline void summaries_follow_updates(const Factory& make) {
  using namespace detail;
  auto s = fresh(make);
  {
    auto w = s->begin();
    summary_world(*w);
    w->commit();
  }
  auto step = [&](const char* what, auto&& write, auto&& expect) {
    INFO(what);
    {
      auto w = s->begin();
      write(*w);
      summaries_agree(*s, fmt::format("{} (inside the unit)", what));
      w->commit();
    }
    summaries_agree(*s, what);
    auto want = expected_summary_1();
    expect(want);
    NUDGE_CONFORMANCE_CHECK(scanned_summary(*s, ClientId{1}) == want, fmt::format("{}: client 1's summary", what));
  };
  step(
      "the engine's reminder is done; another reminder opens",
      [](UnitOfWork& w) {
        auto done = task(6, 1, day(2027, 3, 1), TaskState::done, day(2026, 8, 6));
        done.origin = "forgotten/client:1/2026-11-22";
        w.put_task(done);
        auto next = task(0, 1, day(2027, 6, 1));
        next.origin = "forgotten/client:1/2027-01-01";
        w.create_task(next);
      },
      [](ClientSummary&) {});  // done earlier than task 3, open again with no due date counted
  step(
      "the open task due latest is done",
      [](UnitOfWork& w) { w.put_task(task(1, 1, day(2026, 12, 10), TaskState::done, day(2026, 9, 9))); },
      [](ClientSummary& want) {
        want.open_tasks = 2;
        want.latest_open_due = day(2026, 12, 8);
        want.last_task_done = day(2026, 9, 9);
      });
  step(
      "the last open task moves to client 2",
      [](UnitOfWork& w) { w.put_task(task(2, 2, day(2026, 12, 8), TaskState::in_progress)); },
      [](ClientSummary& want) {
        want.open_tasks = 1;  // only the engine's reminder: no due date of people's tasks left
        want.latest_open_due.reset();
        want.last_task_done = day(2026, 9, 9);
      });
  step(
      "a done task reopens; a won deal reopens; a paid invoice is unpaid",
      [](UnitOfWork& w) {
        w.put_task(task(1, 1, day(2026, 12, 10)));
        w.put_deal(deal(1, 1));
        w.put_invoice(invoice(1, 1));
      },
      [](ClientSummary& want) {
        want.open_tasks = 2;
        want.latest_open_due = day(2026, 12, 10);
        want.won_deals = {day(2026, 3, 3)};
        want.paid_invoices = {day(2026, 4, 2)};
      });
  step(
      "a deal and an invoice move to client 2; a task is created",
      [](UnitOfWork& w) {
        auto d = deal(2, 2, DealStatus::won, day(2026, 3, 3));
        w.put_deal(d);
        auto i = invoice(2, 2);
        i.paid = day(2026, 4, 2);
        w.put_invoice(i);
        w.create_task(task(0, 1, day(2027, 1, 1)));
      },
      [](ClientSummary& want) {
        want.open_tasks = 3;
        want.latest_open_due = day(2027, 1, 1);
        want.won_deals.clear();
        want.paid_invoices.clear();
      });
  const auto two = scanned_summary(*s, ClientId{2});
  CHECK(two.open_tasks == 1);
  CHECK(two.won_deals == std::vector{day(2026, 3, 3)});
  CHECK(two.paid_invoices == (std::vector{day(2026, 4, 2), day(2026, 6, 6)}));
}

/// Inside a unit of work every read sees the unit's own writes.
inline void reads_see_own_writes(const Factory& make) {
  using namespace detail;
  auto s = fresh(make);
  seed_world(*s);
  auto w = s->begin();
  w->put_client(client(9, 1));
  w->add_activity(activity(90, 9, ActivityKind::meeting, day(2026, 11, 2)));
  auto t = task(90, 9, day(2026, 12, 1));
  t.deal = DealId{2};
  w->put_task(t);
  w->put_deal(deal(90, 9));
  w->put_invoice(invoice(90, 9));
  w->reassign_client(ClientId{2}, ManagerId{3});
  w->set_label(SubjectRef::of(ClientId{9}), "new", "");
  CHECK(w->claim_action("inside", day(2026, 11, 2)));
  w->append_audit(audit(90, SubjectRef::of(ClientId{9})));
  w->enqueue(message(90));

  CHECK(s->find_client(ClientId{9}).has_value());
  CHECK(s->find_client(ClientId{9})->has_label("new"));
  CHECK(s->has_activity(ActivityId{90}));
  CHECK(s->activities_of(ClientId{9}, beginning).size() == 1);
  CHECK(s->find_task(TaskId{90}).has_value());
  CHECK(s->tasks_of(ClientId{9}, true).size() == 1);
  CHECK(s->find_deal(DealId{90}).has_value());
  CHECK(s->deals_of(ClientId{9}).size() == 1);
  CHECK(s->find_invoice(InvoiceId{90}).has_value());
  CHECK(s->invoices_of(ClientId{9}).size() == 1);
  CHECK(s->find_client(ClientId{2})->owner == ManagerId{3});
  CHECK(s->clients_of(ManagerId{3}) == std::vector{ClientId{2}, ClientId{3}});
  CHECK(s->has_action("inside"));
  CHECK(s->audit_log(SubjectRef::of(ClientId{9})).size() == 1);
  CHECK(s->outbox().size() == 2);
  CHECK(ids_of(scan_clients(*s).clients) == std::vector<std::int64_t>{1, 2, 3, 4, 9});
  CHECK(ids_of(scan_open_deals(*s).deals) == std::vector<std::int64_t>{2, 90});
  CHECK(scan_open_deals(*s).open_tasks == std::vector<int>{2, 0});
  CHECK(ids_of(scan_unpaid_invoices(*s).items) == std::vector<std::int64_t>{2, 90});
  CHECK(ids_of(scan_open_tasks(*s).items) == std::vector<std::int64_t>{1, 90});
  CHECK(scanned_summary(*s, ClientId{9}).open_tasks == 1);
  CHECK(scanned_summary(*s, ClientId{9}).last_by_kind[static_cast<std::size_t>(ActivityKind::meeting)] == day(2026, 11, 2));
  w->commit();
}

namespace detail {
/// Ids and keys seed_world() and the rollback checks touch.
inline Probe world_probe() {
  Probe p;
  for (std::int64_t id = 1; id <= 12; ++id) p.ids.push_back(id);
  p.ids.push_back(90);
  p.ids.push_back(91);
  p.keys = {"seed/key", "rollback/key", "rollback/key2"};
  return p;
}
/// Every kind of write the port has, over seed_world().
inline void write_everything(UnitOfWork& w) {
  w.put_manager(manager(90, 1));
  auto m3 = rich_manager(3, 2);
  m3.leave.clear();
  w.put_manager(m3);                                   // replace
  w.put_client(client(90, 90));                        // new
  auto c1 = rich_client(1, 1);
  c1.segments = {"other"};
  c1.labels.clear();
  w.put_client(c1);                                    // replace
  w.add_activity(activity(90, 1, ActivityKind::meeting, day(2026, 11, 5)));
  w.add_activity(activity(91, 90, ActivityKind::other, day(2026, 11, 5), Contact::yes));
  w.put_task(task(1, 1, day(2026, 12, 1), TaskState::done, day(2026, 11, 3)));  // closes; leaves deal 2
  w.put_task(task(90, 2, day(2027, 1, 1)));
  w.create_task(task(0, 3, day(2027, 2, 1)));
  w.put_deal(deal(2, 1, DealStatus::won, day(2026, 11, 4)));  // replace: won, labels dropped
  w.put_deal(rich_deal(90, 90));
  auto i2 = invoice(2, 2);
  i2.paid = day(2026, 11, 4);
  i2.payments = {{day(2026, 11, 4), 50000}};
  w.put_invoice(i2);                                   // replace: paid
  w.put_invoice(invoice(90, 90));
  w.reassign_client(ClientId{4}, ManagerId{3});
  w.set_label(SubjectRef::of(ClientId{2}), "forgotten", "since 2026-07-01");
  w.set_label(SubjectRef::of(DealId{1}), "stuck", "replaced note");
  w.clear_label(SubjectRef::of(DealId{1}), "big");
  w.clear_label(SubjectRef::of(ClientId{1}), "absent");
  REQUIRE(w.claim_action("rollback/key", day(2026, 11, 5)));
  REQUIRE_FALSE(w.claim_action("seed/key", day(2026, 11, 5)));
  w.append_audit(audit(90, SubjectRef::of(ClientId{1})));
  w.enqueue(message(90));
  w.record_delivery(message(1).key, {DeliveryStatus::pending, 1, "timeout", day(2026, 11, 6), std::nullopt});
  w.record_delivery(message(90).key, {DeliveryStatus::delivered, 1, "", std::nullopt, day(2026, 11, 5)});
}
}  // namespace detail

/// A unit of work destroyed without commit() leaves everything readable as it
/// was: entities, lists, summaries, scans, keys, audit and outbox.
inline void rollback_restores_everything(const Factory& make) {
  using namespace detail;
  auto s = fresh(make);
  seed_world(*s);
  const auto probe = world_probe();
  const auto before = read_everything(*s, probe);
  {
    auto w = s->begin();
    write_everything(*w);
    // the unit sees its writes (so the rollback below has something to undo)
    CHECK(s->find_client(ClientId{90}).has_value());
    CHECK(s->find_deal(DealId{2})->status == DealStatus::won);
    CHECK(s->has_action("rollback/key"));
  }
  same_everything(read_everything(*s, probe), before, "after rollback");

  // and a new unit starts from the old state: the rolled-back key is free again
  auto w = s->begin();
  NUDGE_CONFORMANCE_CHECK(w->claim_action("rollback/key", day(2026, 11, 6)), "a rolled-back claim must not stay claimed");
  w->commit();
}

/// A unit abandoned after a failed write (an exception from the port's
/// checks) rolls back its earlier writes too.
inline void rollback_after_failed_write(const Factory& make) {
  using namespace detail;
  auto s = fresh(make);
  seed_world(*s);
  const auto probe = world_probe();
  const auto before = read_everything(*s, probe);
  try {
    auto w = s->begin();
    write_everything(*w);
    w->put_client(client(91, 99));  // unknown owner: throws
    FAIL("put_client with an unknown owner did not throw");
  } catch (const not_found&) {
  }
  same_everything(read_everything(*s, probe), before, "after a failed unit");
}

/// commit() makes the writes stay: after the unit is gone, and after a later
/// unit rolls back. commit() is once only; writes after it throw conflict; a
/// new unit may begin while the committed one still exists.
inline void commit_is_durable(const Factory& make) {
  using namespace detail;
  auto s = fresh(make);
  seed_world(*s);
  const auto probe = world_probe();
  Everything committed;
  {
    auto w = s->begin();
    write_everything(*w);
    CHECK_FALSE(w->committed());
    w->commit();
    CHECK(w->committed());
    CHECK(thrown<conflict>([&] { w->commit(); }) == "unit of work: already committed");
    CHECK_THROWS_AS(w->put_manager(manager(77)), conflict);
    committed = read_everything(*s, probe);
    auto next = s->begin();  // the committed unit still exists: fine
    next->put_manager(manager(78));
    w.reset();  // destroying the committed unit must not disturb `next`
    next->put_client(client(78, 78));
    // no commit: `next` rolls back
  }
  CHECK(s->find_client(ClientId{90}).has_value());
  CHECK(s->find_deal(DealId{2})->status == DealStatus::won);
  CHECK(s->has_action("rollback/key"));
  CHECK_FALSE(s->find_manager(ManagerId{77}));
  CHECK_FALSE(s->find_manager(ManagerId{78}));
  same_everything(read_everything(*s, probe), committed, "after a later unit rolled back");
}

/// claim_action: true the first time a key is claimed, false ever after --
/// in the same unit and in later ones; a rolled-back claim does not count.
inline void claim_action_exactly_once(const Factory& make) {
  using namespace detail;
  auto s = fresh(make);
  const std::string long_key(1000, 'k');
  {
    auto w = s->begin();
    CHECK(w->claim_action("forgotten/client:1/2026-11-22", day(2026, 11, 22)));
    CHECK_FALSE(w->claim_action("forgotten/client:1/2026-11-22", day(2026, 11, 23)));
    CHECK(w->claim_action("forgotten/client:1/2026-11-22/", day(2026, 11, 22)));  // another key
    CHECK(w->claim_action("Forgotten/client:1/2026-11-22", day(2026, 11, 22)));   // case matters
    CHECK(w->claim_action("ключ/ü", day(2026, 11, 22)));
    CHECK(w->claim_action(long_key, day(2026, 11, 22)));
    CHECK(s->has_action("forgotten/client:1/2026-11-22"));
    // has_actions sees the unit's claims as has_action does.
    const std::vector<std::string_view> pending{"forgotten/client:1", "forgotten/client:1/2026-11-22", long_key};
    NUDGE_CONFORMANCE_CHECK(s->has_actions(pending) == (std::vector<bool>{false, true, true}),
                            "has_actions inside a unit of work: one bool per key, the unit's claims seen");
    w->commit();
  }
  CHECK(s->has_action("forgotten/client:1/2026-11-22"));
  CHECK(s->has_action("ключ/ü"));
  CHECK(s->has_action(long_key));
  CHECK_FALSE(s->has_action("forgotten/client:1"));
  {
    // One bool per key, in the keys' order, duplicates included; none for none.
    const std::vector<std::string_view> asked{"ключ/ü", "forgotten/client:1", "Forgotten/client:1/2026-11-22",
                                              "ключ/ü", "", "forgotten/client:1/2026-11-22/", long_key,
                                              "forgotten/client:1/2026-11-2"};
    NUDGE_CONFORMANCE_CHECK(s->has_actions(asked) == (std::vector<bool>{true, false, true, true, false, true, true,
                                                                        false}),
                            "has_actions: one bool per key, in order, duplicates included");
    NUDGE_CONFORMANCE_CHECK(s->has_actions({}).empty(), "has_actions of no keys: none");
  }
  {
    auto w = s->begin();
    CHECK_FALSE(w->claim_action("forgotten/client:1/2026-11-22", day(2026, 11, 24)));
    CHECK_FALSE(w->claim_action(long_key, day(2026, 11, 24)));
    CHECK(w->claim_action("release/client:1", day(2026, 11, 24)));
  }
  CHECK_FALSE(s->has_action("release/client:1"));
  auto w = s->begin();
  CHECK(w->claim_action("release/client:1", day(2026, 11, 25)));
  w->commit();
  CHECK(s->has_action("release/client:1"));
}

/// set_label adds or replaces a note, clear_label removes (absent: no-op), on
/// clients and deals; labels show in lookups, lists and scans.
inline void labels_set_replace_clear(const Factory& make) {
  using namespace detail;
  auto s = fresh(make);
  {
    auto w = s->begin();
    w->put_manager(manager(1));
    w->put_client(client(1, 1));
    w->put_deal(deal(1, 1));
    w->commit();
  }
  {
    auto w = s->begin();
    w->set_label(SubjectRef::of(ClientId{1}), "forgotten", "since 2026-08-14");
    w->set_label(SubjectRef::of(ClientId{1}), "forgotten", "since 2026-09-01");
    w->set_label(SubjectRef::of(ClientId{1}), "debtor");
    w->set_label(SubjectRef::of(DealId{1}), "stuck", "60 days");
    w->set_label(SubjectRef::of(DealId{1}), "dead", "");
    w->clear_label(SubjectRef::of(DealId{1}), "dead");
    w->clear_label(SubjectRef::of(DealId{1}), "never-set");
    w->clear_label(SubjectRef::of(ClientId{42}), "anything");  // unknown client: a no-op as well
    w->commit();
  }
  using Labels = std::map<std::string, std::string>;
  const Labels client_labels{{"debtor", ""}, {"forgotten", "since 2026-09-01"}};
  const Labels deal_labels{{"stuck", "60 days"}};
  CHECK(s->find_client(ClientId{1})->labels == client_labels);
  CHECK(scan_clients(*s).clients.at(0).labels == client_labels);
  CHECK(s->find_deal(DealId{1})->labels == deal_labels);
  CHECK(s->deals_of(ClientId{1}).at(0).labels == deal_labels);
  CHECK(scan_open_deals(*s).deals.at(0).labels == deal_labels);
  {
    auto w = s->begin();
    w->clear_label(SubjectRef::of(ClientId{1}), "forgotten");
    w->commit();
  }
  CHECK(s->find_client(ClientId{1})->labels == Labels{{"debtor", ""}});
  auto w = s->begin();
  CHECK_THROWS_AS(w->set_label(SubjectRef::of(InvoiceId{1}), "x"), not_found);
  CHECK_THROWS_AS(w->clear_label(SubjectRef::of(InvoiceId{1}), "x"), invalid_argument);
}

/// reassign_client changes the owner and nothing else.
inline void reassign_client_keeps_the_rest(const Factory& make) {
  using namespace detail;
  auto s = fresh(make);
  seed_world(*s);
  auto before = *s->find_client(ClientId{1});
  const auto summary = scanned_summary(*s, ClientId{1});
  {
    auto w = s->begin();
    w->reassign_client(ClientId{1}, ManagerId{3});
    w->commit();
  }
  auto want = before;
  want.owner = ManagerId{3};
  found(s->find_client(ClientId{1}), want, "client 1 after reassign");
  CHECK(s->clients_of(ManagerId{2}) == std::vector{ClientId{2}});
  CHECK(s->clients_of(ManagerId{3}) == std::vector{ClientId{1}, ClientId{3}});
  CHECK(scanned_summary(*s, ClientId{1}) == summary);
  {
    // A client put in the same unit, then handed over; unknown ones refused.
    auto w = s->begin();
    auto c = client(9, 2);
    c.segments = {"north"};
    c.labels = {{"vip", "x"}};
    w->put_client(c);
    w->reassign_client(ClientId{9}, ManagerId{1});
    c.owner = ManagerId{1};
    found(s->find_client(ClientId{9}), c, "client 9 put, then reassigned in the same unit");
    CHECK_THROWS_AS(w->reassign_client(ClientId{99}, ManagerId{1}), not_found);
    CHECK_THROWS_AS(w->reassign_client(ClientId{9}, ManagerId{99}), not_found);
    w->commit();
  }
  auto want9 = client(9, 1);
  want9.segments = {"north"};
  want9.labels = {{"vip", "x"}};
  found(s->find_client(ClientId{9}), want9, "client 9 after the commit");
  CHECK(s->clients_of(ManagerId{1}) == std::vector{ClientId{4}, ClientId{9}});
}

/// audit_log(): records in the order appended, every field and every
/// FactValue alternative exact; audit_log(subject) only that subject's.
inline void audit_order_and_filter(const Factory& make) {
  using namespace detail;
  auto s = fresh(make);
  auto r1 = audit(1, SubjectRef::of(ClientId{1}));
  r1.facts = {{"count", std::int64_t{3}},
              {"ratio", 3.0},  // a whole double stays a double
              {"text", std::string("3")},
              {"last_contact", day(2026, 8, 14, 9)},
              {"min", std::numeric_limits<std::int64_t>::min()},
              {"max", std::numeric_limits<std::int64_t>::max()},
              {"tiny", -2.5e-300},
              {"third", 1.0 / 3.0},
              {"huge", 1.7e308},
              {"empty", std::string()},
              {"quoted", std::string("\"q\" 'u' \\ \n ünï")},
              {"before_epoch", day(1960, 1, 1)}};
  auto r2 = audit(2, SubjectRef::of(DealId{1}));  // same id, another kind
  auto r3 = audit(3, SubjectRef::of(ClientId{2}));
  r3.facts = {{"days_overdue", std::int64_t{45}}};
  auto r4 = audit(4, SubjectRef::of(ClientId{1}));
  r4.at = day(2020, 1, 1);  // appended last, earlier instant: order is append order
  r4.action_key = r1.action_key;
  {
    auto w = s->begin();
    w->append_audit(r1);
    w->append_audit(r2);
    w->commit();
  }
  {
    auto w = s->begin();
    w->append_audit(r3);
    w->append_audit(r4);
    w->commit();
  }
  same_list(s->audit_log(), {r1, r2, r3, r4}, "audit_log()");
  same_list(s->audit_log(SubjectRef::of(ClientId{1})), {r1, r4}, "audit_log(client:1)");
  same_list(s->audit_log(SubjectRef::of(DealId{1})), {r2}, "audit_log(deal:1)");
  CHECK(s->audit_log(SubjectRef::of(ManagerId{1})).empty());
}

/// outbox(): messages in the order enqueued, every field exact; a rolled-back
/// enqueue leaves nothing.
inline void outbox_in_enqueue_order(const Factory& make) {
  using namespace detail;
  auto s = fresh(make);
  auto m1 = message(1);
  m1.channel = Channel::other;
  m1.custom_channel = "telegram";
  m1.not_before = day(2026, 11, 2, 9);
  auto m2 = message(2);
  m2.to = {SubjectRef::of(ManagerId{7}), "+49 151 1", ""};
  m2.channel = Channel::sms;
  m2.body.clear();
  auto m3 = message(3);
  m3.created = day(2020, 1, 1);  // enqueued last, created earlier: order is enqueue order
  {
    auto w = s->begin();
    w->enqueue(m1);
    w->enqueue(m2);
    w->commit();
  }
  {
    auto w = s->begin();
    w->enqueue(message(99));
  }
  {
    auto w = s->begin();
    w->enqueue(m3);
    w->commit();
  }
  same_list(s->outbox(), {m1, m2, m3}, "outbox()");
}

/// Message keys are unique in the outbox: enqueue() of a key already there --
/// in the same unit, in an earlier one, delivered or dead -- returns false and
/// changes nothing (the first message stays as it was); a rolled-back enqueue
/// frees its key.
inline void enqueue_keys_are_unique(const Factory& make) {
  using namespace detail;
  auto s = fresh(make);
  auto m1 = message(1);
  auto again = m1;
  again.body = "a second text under the same key";
  {
    auto w = s->begin();
    NUDGE_CONFORMANCE_CHECK(w->enqueue(m1), "the first enqueue of a key must return true");
    NUDGE_CONFORMANCE_CHECK(!w->enqueue(again), "a second enqueue of a key in the same unit must return false");
    w->commit();
  }
  {
    auto w = s->begin();
    NUDGE_CONFORMANCE_CHECK(!w->enqueue(again), "enqueue of a key enqueued by an earlier unit must return false");
    CHECK(w->enqueue(message(2)));
    w->record_delivery(message(2).key, {DeliveryStatus::dead, 3, "550 mailbox unavailable", std::nullopt, std::nullopt});
    w->commit();
  }
  {
    auto w = s->begin();
    NUDGE_CONFORMANCE_CHECK(!w->enqueue(message(2)), "enqueue of a key whose message is dead must return false");
    CHECK(w->enqueue(message(3)));
    // rolled back
  }
  same_list(s->outbox(), {m1}, "outbox() after duplicate enqueues");
  CHECK(s->outbox_entries().size() == 2);
  auto w = s->begin();
  NUDGE_CONFORMANCE_CHECK(w->enqueue(message(3)), "a rolled-back enqueue must not keep its key");
  w->commit();
}

/// outbox_entries() / find_message(): every message with its delivery state, in
/// enqueue order; record_delivery() replaces the state field for field and
/// outbox() keeps only the pending ones. A delivered message is final
/// (conflict), an unknown key is not_found, a contradictory state is
/// invalid_argument -- each naming the key; a dead letter may be requeued.
inline void outbox_delivery_state(const Factory& make) {
  using namespace detail;
  auto s = fresh(make);
  auto m1 = message(1), m2 = message(2), m3 = message(3);
  m2.not_before = day(2026, 11, 2, 9);
  {
    auto w = s->begin();
    w->enqueue(m1);
    w->enqueue(m2);
    w->enqueue(m3);
    w->commit();
  }
  same_list(s->outbox_entries(), {OutboxEntry{m1, {}}, OutboxEntry{m2, {}}, OutboxEntry{m3, {}}}, "outbox_entries()");
  const DeliveryState retry{DeliveryStatus::pending, 2, "503 try later\nline 2 \"quoted\"", day(2026, 11, 1, 10), std::nullopt};
  const DeliveryState delivered{DeliveryStatus::delivered, 3, "503 try later", std::nullopt, day(2026, 11, 1, 11)};
  const DeliveryState dead{DeliveryStatus::dead, 8, "550 no such user", std::nullopt, std::nullopt};
  {
    auto w = s->begin();
    w->record_delivery(m1.key, retry);
    w->record_delivery(m2.key, delivered);
    w->record_delivery(m3.key, dead);
    // the unit reads its own writes
    const auto inside = s->find_message(m1.key);
    NUDGE_CONFORMANCE_CHECK((inside && inside->state == retry), "find_message inside the unit must see record_delivery");
    w->commit();
  }
  same_list(s->outbox_entries(), {OutboxEntry{m1, retry}, OutboxEntry{m2, delivered}, OutboxEntry{m3, dead}},
            "outbox_entries() after record_delivery");
  same_list(s->outbox(), {m1}, "outbox() (pending only)");
  found(s->find_message(m3.key), OutboxEntry{m3, dead}, "find_message(m3)");
  CHECK_FALSE(s->find_message("debtor/client:1/ms"));
  CHECK_FALSE(s->find_message("DEBTOR/CLIENT:1/MSG"));

  auto w = s->begin();
  CHECK(thrown<conflict>([&] { w->record_delivery(m2.key, retry); }) ==
        "record_delivery: message 'debtor/client:2/msg' was delivered at 2026-11-01T11:00:00Z; delivery is final");
  CHECK(thrown<not_found>([&] { w->record_delivery("nope", retry); }) == "record_delivery: key: unknown message 'nope'");
  CHECK(thrown<invalid_argument>([&] { w->record_delivery("", retry); }) == "record_delivery: key: must not be empty");
  CHECK(thrown<invalid_argument>([&] {
          w->record_delivery(m1.key, {DeliveryStatus::delivered, 1, "", std::nullopt, std::nullopt});
        }) == "delivery of 'debtor/client:1/msg': delivered_at: required when the status is delivered");
  CHECK(thrown<invalid_argument>([&] {
          w->record_delivery(m1.key, {DeliveryStatus::dead, 1, "x", day(2026, 11, 2), std::nullopt});
        }) == "delivery of 'debtor/client:1/msg': next_attempt: only a pending message has one, this one is dead");
  CHECK(thrown<invalid_argument>([&] {
          w->record_delivery(m1.key, {DeliveryStatus::pending, -1, "", std::nullopt, std::nullopt});
        }) == "delivery of 'debtor/client:1/msg': attempts: must be >= 0, got -1");
  // a dead letter may be requeued by a person
  const DeliveryState requeued{DeliveryStatus::pending, 0, "550 no such user", std::nullopt, std::nullopt};
  w->record_delivery(m3.key, requeued);
  w->commit();
  same_list(s->outbox_entries(), {OutboxEntry{m1, retry}, OutboxEntry{m2, delivered}, OutboxEntry{m3, requeued}},
            "outbox_entries() after the refused writes and a requeue");
  same_list(s->outbox(), {m1, m3}, "outbox() after a requeue");
}

/// due_messages(now, limit): pending messages whose next attempt and
/// not_before are both at or before `now` (exactly `now` is due), in enqueue
/// order, at most `limit`; delivered and dead ones never.
inline void due_messages_in_order(const Factory& make) {
  using namespace detail;
  auto s = fresh(make);
  const Instant now = day(2026, 11, 3, 12);
  std::vector<Message> ms;
  for (int i = 1; i <= 7; ++i) ms.push_back(message(i));
  ms[1].not_before = now;                          // due: exactly now
  ms[2].not_before = now + Seconds{1};             // not yet
  ms[4].created = day(2020, 1, 1);                 // created earlier, enqueued later: order is enqueue order
  {
    auto w = s->begin();
    for (const auto& m : ms) w->enqueue(m);
    w->record_delivery(ms[0].key, {DeliveryStatus::pending, 1, "e", now + Seconds{1}, std::nullopt});  // not yet
    w->record_delivery(ms[3].key, {DeliveryStatus::pending, 2, "e", now, std::nullopt});               // due
    w->record_delivery(ms[5].key, {DeliveryStatus::delivered, 1, "", std::nullopt, now});              // done
    w->record_delivery(ms[6].key, {DeliveryStatus::dead, 5, "e", std::nullopt, std::nullopt});         // dead
    auto m8 = message(8);
    m8.not_before = now - Seconds{1};
    w->enqueue(m8);  // due
    w->record_delivery(m8.key, {DeliveryStatus::pending, 1, "e", now - Seconds{60}, std::nullopt});
    w->commit();
  }
  auto keys = [](const std::vector<OutboxEntry>& es) {
    std::vector<std::string> out;
    for (const auto& e : es) out.push_back(e.message.key);
    return out;
  };
  const std::vector<std::string> due{ms[1].key, ms[3].key, ms[4].key, message(8).key};
  NUDGE_CONFORMANCE_CHECK(keys(s->due_messages(now)) == due, "due_messages(now): the due pending messages, in enqueue order");
  NUDGE_CONFORMANCE_CHECK(keys(s->due_messages(now, 2)) == std::vector<std::string>(due.begin(), due.begin() + 2),
                          "due_messages(now, 2): the first two");
  CHECK(s->due_messages(now, 0).empty());
  NUDGE_CONFORMANCE_CHECK(keys(s->due_messages(now - Seconds{61})) == std::vector<std::string>{ms[4].key},
                          "due_messages(earlier): only the message with neither a next attempt nor not_before");
  CHECK(keys(s->due_messages(now + Seconds{1})).size() == 6);
  const auto got = s->due_messages(now);
  REQUIRE(got.size() == 4);
  same(got[1], OutboxEntry{ms[3], {DeliveryStatus::pending, 2, "e", now, std::nullopt}}, "due_messages(now)[1]");
}

/// The port's checks (UnitOfWork's final functions) refuse bad writes with
/// messages naming the field; nothing of a refused write lands, and the unit
/// stays usable.
inline void validation_names_the_field(const Factory& make) {
  using namespace detail;
  auto s = fresh(make);
  seed_world(*s);
  auto w = s->begin();
  CHECK(thrown<not_found>([&] { w->put_client(client(20, 99)); }) == "client 20: owner: unknown manager 99");
  CHECK(thrown<not_found>([&] { w->put_manager(manager(20, 99)); }) == "manager 20: supervisor: unknown manager 99");
  CHECK(thrown<not_found>([&] { w->add_activity(activity(50, 99, ActivityKind::email, day(2026, 1, 1))); }) ==
        "activity 50: client: unknown client 99");
  CHECK(thrown<conflict>([&] { w->add_activity(activity(1, 1, ActivityKind::email, day(2026, 1, 1))); }) ==
        "activity 1: id: already recorded");
  auto t = task(50, 1, day(2026, 1, 1));
  t.deal = DealId{99};
  CHECK(thrown<not_found>([&] { w->put_task(t); }) == "task 50: deal: unknown deal 99");
  t.deal.reset();
  t.based_on = TaskId{77};
  CHECK(thrown<not_found>([&] { w->put_task(t); }) == "task 50: based_on: unknown task 77");
  t.based_on.reset();
  t.assignee = ManagerId{99};
  CHECK(thrown<not_found>([&] { w->put_task(t); }) == "task 50: assignee: unknown manager 99");
  auto d = deal(50, 1);
  d.owner = ManagerId{99};
  CHECK(thrown<not_found>([&] { w->put_deal(d); }) == "deal 50: owner: unknown manager 99");
  d.owner = ManagerId{1};
  d.probability = 1.5;
  CHECK(thrown<invalid_argument>([&] { w->put_deal(d); }).rfind("deal 50: probability:", 0) == 0);
  auto i = invoice(50, 1);
  i.deal = DealId{99};
  CHECK(thrown<not_found>([&] { w->put_invoice(i); }) == "invoice 50: deal: unknown deal 99");
  CHECK(thrown<not_found>([&] { w->reassign_client(ClientId{1}, ManagerId{77}); }) == "reassign: to: unknown manager 77");
  CHECK(thrown<not_found>([&] { w->reassign_client(ClientId{99}, ManagerId{1}); }) == "reassign: client: unknown client 99");
  CHECK(thrown<not_found>([&] { w->set_label(SubjectRef::of(DealId{99}), "x"); }) == "set_label: subject: unknown deal:99");
  CHECK(thrown<invalid_argument>([&] { w->set_label(SubjectRef::of(ClientId{1}), ""); }) ==
        "set_label: label: must not be empty");
  CHECK(thrown<invalid_argument>([&] { w->claim_action("", day(2026, 1, 1)); }) == "claim_action: key: must not be empty");
  auto r = audit(50, SubjectRef::of(ClientId{1}));
  r.rule.clear();
  CHECK(thrown<invalid_argument>([&] { w->append_audit(r); }) == "audit: rule: must not be empty");
  CHECK(thrown<invalid_argument>([&] { w->enqueue(Message{}); }) == "enqueue: key: a message needs a stable key");
  CHECK(thrown<conflict>([&] { w->create_task(task(1, 1, day(2026, 1, 1))); }) == "task 1: id: already exists");
  // nothing of the refused writes landed; the unit still works
  CHECK_FALSE(s->find_client(ClientId{20}));
  CHECK_FALSE(s->find_manager(ManagerId{20}));
  CHECK_FALSE(s->has_activity(ActivityId{50}));
  CHECK_FALSE(s->find_task(TaskId{50}));
  CHECK_FALSE(s->find_deal(DealId{50}));
  CHECK_FALSE(s->find_invoice(InvoiceId{50}));
  CHECK(s->find_client(ClientId{1})->owner == ManagerId{2});
  CHECK(s->audit_log().size() == 1);
  CHECK(s->outbox().size() == 1);
  w->put_client(client(20, 1));
  w->commit();
  CHECK(s->find_client(ClientId{20}).has_value());
}

namespace detail {
/// A batch for add_activities over seed_world(): 60 activities of the four
/// clients in a seeded shuffle (so more than any read-ahead distance, a
/// client's several out of time order, every kind and contact flag), ids
/// from 100 up, in the order given.
inline std::vector<Activity> activity_batch(bool ascending_ids) {
  std::vector<Activity> out;
  std::uint64_t x = 0x9e3779b97f4a7c15ull;
  auto next = [&] {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x;
  };
  for (std::int64_t i = 0; i < 60; ++i) {
    const auto kind = static_cast<ActivityKind>(next() % activity_kind_count);
    const auto contact = static_cast<Contact>(next() % 3);
    out.push_back(activity(100 + i, 1 + static_cast<std::int64_t>(next() % 4), kind,
                           day(2026, 9, 1) + std::chrono::hours{static_cast<std::int64_t>(next() % 2000)}, contact));
  }
  if (!ascending_ids) std::swap(out[7].id, out[41].id);
  return out;
}
}  // namespace detail

/// add_activities leaves what add_activity on each in order leaves (lists,
/// summaries, scans), in ascending id order or not; a batch it refuses (an
/// unknown client, an id already recorded or given twice, an invalid
/// activity, at any place in the batch) names the activity and adds none of
/// it; the unit stays usable, and a batch is rolled back with its unit.
inline void activities_in_a_batch(const Factory& make) {
  using namespace detail;
  auto probe = world_probe();
  for (std::int64_t id = 100; id < 160; ++id) probe.ids.push_back(id);
  for (const bool ascending : {true, false}) {
    const auto batch = activity_batch(ascending);
    auto one_by_one = fresh(make);
    auto batched = fresh(make);
    seed_world(*one_by_one);
    seed_world(*batched);
    const auto before = read_everything(*batched, probe);
    {
      auto w = one_by_one->begin();
      for (const auto& a : batch) w->add_activity(a);
      w->commit();
    }
    {
      auto w = batched->begin();
      w->add_activities({});  // nothing, and no error
      w->add_activities(batch);
      // the unit sees its batch before the commit, as it sees single writes
      NUDGE_CONFORMANCE_CHECK(batched->has_activity(batch.back().id), "add_activities: the unit's own batch not seen");
    }  // rolled back
    same_everything(read_everything(*batched, probe), before, "a batch rolled back with its unit");
    {
      auto w = batched->begin();
      w->add_activities(std::span(batch).first(25));
      w->add_activities(std::span(batch).subspan(25));
      w->commit();
    }
    same_everything(read_everything(*batched, probe), read_everything(*one_by_one, probe),
                    ascending ? "add_activities (ascending ids) against add_activity"
                              : "add_activities (ids out of order) against add_activity");
  }

  auto s = fresh(make);
  seed_world(*s);
  const auto before = read_everything(*s, probe);
  auto w = s->begin();
  auto batch = activity_batch(true);
  auto refused = [&](auto kind, std::size_t at, auto change) {
    auto bad = batch;
    change(bad[at]);
    return thrown<decltype(kind)>([&] { w->add_activities(bad); });
  };
  CHECK(refused(not_found{""}, 30, [](Activity& a) { a.client = ClientId{99}; }) ==
        "activity 130: client: unknown client 99");
  CHECK(refused(not_found{""}, 59, [](Activity& a) { a.manager = ManagerId{77}; }) ==
        "activity 159: manager: unknown manager 77");
  CHECK(refused(conflict{""}, 12, [](Activity& a) { a.id = ActivityId{2}; }) == "activity 2: id: already recorded");
  CHECK(refused(conflict{""}, 40, [](Activity& a) { a.id = ActivityId{103}; }) ==
        "activity 103: id: given twice in one add_activities");
  CHECK(refused(invalid_argument{""}, 0, [](Activity& a) { a.id = ActivityId{}; }) == "activity.id: must be a positive id");
  same_everything(read_everything(*s, probe), before, "after refused batches");
  w->add_activities(batch);
  w->commit();
  NUDGE_CONFORMANCE_CHECK(s->activities_of(ClientId{1}, beginning).size() + s->activities_of(ClientId{2}, beginning).size() +
                              s->activities_of(ClientId{3}, beginning).size() +
                              s->activities_of(ClientId{4}, beginning).size() ==
                          batch.size() + 3,
                "add_activities after refused batches: the unit still adds");
}

/// One unit of work at a time: begin() while one is open throws conflict;
/// once it is committed or destroyed, begin() works again.
inline void one_unit_at_a_time(const Factory& make) {
  using namespace detail;
  auto s = fresh(make);
  {
    auto w = s->begin();
    CHECK_THROWS_AS(static_cast<void>(s->begin()), conflict);
    w->put_manager(manager(1));
    CHECK_THROWS_AS(static_cast<void>(s->begin()), conflict);
    // the failed begin() did not disturb the open unit
    w->put_client(client(1, 1));
    w->commit();
  }
  CHECK(s->find_client(ClientId{1}).has_value());
  {
    auto w = s->begin();
    w->put_manager(manager(2));
  }
  auto w = s->begin();
  CHECK_THROWS_AS(static_cast<void>(s->begin()), conflict);
  w->commit();
  CHECK_FALSE(s->find_manager(ManagerId{2}));
}

/// create_task: without an id it gets a fresh one -- not any existing task's,
/// not one given earlier in the same unit; with an id it keeps it.
inline void create_task_fresh_ids(const Factory& make) {
  using namespace detail;
  auto s = fresh(make);
  {
    auto w = s->begin();
    w->put_manager(manager(1));
    w->put_client(client(1, 1));
    w->put_task(task(10, 1, day(2026, 12, 1)));
    w->put_task(task(3, 1, day(2026, 12, 1), TaskState::done, day(2026, 11, 1)));
    w->commit();
  }
  std::set<std::int64_t> used{3, 10};
  auto fresh_id = [&](UnitOfWork& w, const char* title) {
    auto t = task(0, 1, day(2026, 12, 24));
    t.title = title;
    const auto id = w.create_task(t);
    NUDGE_CONFORMANCE_CHECK(id.valid(), "create_task returned an unset id");
    NUDGE_CONFORMANCE_CHECK(used.insert(id.value()).second, fmt::format("create_task reused id {}", id.value()));
    auto got = s->find_task(id);
    NUDGE_CONFORMANCE_REQUIRE(got.has_value(), "the created task is not found under the returned id");
    t.id = id;
    same(*got, t, "created task");
    return id;
  };
  {
    auto w = s->begin();
    fresh_id(*w, "first");
    fresh_id(*w, "second");
    CHECK(w->create_task(task(42, 1, day(2026, 12, 24))) == TaskId{42});
    used.insert(42);
    fresh_id(*w, "after an explicit id");
    w->commit();
  }
  {
    auto w = s->begin();
    fresh_id(*w, "in a later unit");
    w->put_task(task(1000, 1, day(2026, 12, 1)));
    used.insert(1000);
    fresh_id(*w, "after a host's task");
    w->commit();
  }
  CHECK(s->tasks_of(ClientId{1}, false).size() == used.size());
}

}  // namespace nudge::conformance

/// Defines one doctest TEST_CASE per check, named
/// "storage.conformance.<name>.<check>", each running the check with the
/// factory (any callable returning std::unique_ptr<nudge::Storage> -- or of a
/// class derived from it -- for a fresh, empty storage).
#define NUDGE_STORAGE_CONFORMANCE(name, ...)                                                               \
  NUDGE_STORAGE_CONFORMANCE_CHECK(name, empty_store_reads_nothing, __VA_ARGS__)                           \
  NUDGE_STORAGE_CONFORMANCE_CHECK(name, missing_ids_are_nullopt, __VA_ARGS__)                             \
  NUDGE_STORAGE_CONFORMANCE_CHECK(name, managers_round_trip, __VA_ARGS__)                                 \
  NUDGE_STORAGE_CONFORMANCE_CHECK(name, clients_round_trip, __VA_ARGS__)                                  \
  NUDGE_STORAGE_CONFORMANCE_CHECK(name, activities_round_trip, __VA_ARGS__)                               \
  NUDGE_STORAGE_CONFORMANCE_CHECK(name, tasks_round_trip, __VA_ARGS__)                                    \
  NUDGE_STORAGE_CONFORMANCE_CHECK(name, deals_round_trip, __VA_ARGS__)                                    \
  NUDGE_STORAGE_CONFORMANCE_CHECK(name, invoices_round_trip, __VA_ARGS__)                                 \
  NUDGE_STORAGE_CONFORMANCE_CHECK(name, per_client_lists_in_id_order, __VA_ARGS__)                        \
  NUDGE_STORAGE_CONFORMANCE_CHECK(name, activities_since_includes_boundary, __VA_ARGS__)                  \
  NUDGE_STORAGE_CONFORMANCE_CHECK(name, scan_clients_batches_in_id_order, __VA_ARGS__)                    \
  NUDGE_STORAGE_CONFORMANCE_CHECK(name, scan_open_deals_counts_tasks, __VA_ARGS__)                        \
  NUDGE_STORAGE_CONFORMANCE_CHECK(name, scan_unpaid_invoices_only_unpaid, __VA_ARGS__)                    \
  NUDGE_STORAGE_CONFORMANCE_CHECK(name, scan_open_tasks_only_open, __VA_ARGS__)                           \
  NUDGE_STORAGE_CONFORMANCE_CHECK(name, scan_callbacks_may_read, __VA_ARGS__)                             \
  NUDGE_STORAGE_CONFORMANCE_CHECK(name, summaries_equal_summarize, __VA_ARGS__)                           \
  NUDGE_STORAGE_CONFORMANCE_CHECK(name, summaries_follow_updates, __VA_ARGS__)                            \
  NUDGE_STORAGE_CONFORMANCE_CHECK(name, one_client_reads_agree, __VA_ARGS__)                              \
  NUDGE_STORAGE_CONFORMANCE_CHECK(name, reads_see_own_writes, __VA_ARGS__)                                \
  NUDGE_STORAGE_CONFORMANCE_CHECK(name, rollback_restores_everything, __VA_ARGS__)                        \
  NUDGE_STORAGE_CONFORMANCE_CHECK(name, rollback_after_failed_write, __VA_ARGS__)                         \
  NUDGE_STORAGE_CONFORMANCE_CHECK(name, commit_is_durable, __VA_ARGS__)                                   \
  NUDGE_STORAGE_CONFORMANCE_CHECK(name, claim_action_exactly_once, __VA_ARGS__)                           \
  NUDGE_STORAGE_CONFORMANCE_CHECK(name, labels_set_replace_clear, __VA_ARGS__)                            \
  NUDGE_STORAGE_CONFORMANCE_CHECK(name, reassign_client_keeps_the_rest, __VA_ARGS__)                      \
  NUDGE_STORAGE_CONFORMANCE_CHECK(name, audit_order_and_filter, __VA_ARGS__)                              \
  NUDGE_STORAGE_CONFORMANCE_CHECK(name, outbox_in_enqueue_order, __VA_ARGS__)                             \
  NUDGE_STORAGE_CONFORMANCE_CHECK(name, enqueue_keys_are_unique, __VA_ARGS__)                             \
  NUDGE_STORAGE_CONFORMANCE_CHECK(name, outbox_delivery_state, __VA_ARGS__)                               \
  NUDGE_STORAGE_CONFORMANCE_CHECK(name, due_messages_in_order, __VA_ARGS__)                               \
  NUDGE_STORAGE_CONFORMANCE_CHECK(name, validation_names_the_field, __VA_ARGS__)                          \
  NUDGE_STORAGE_CONFORMANCE_CHECK(name, activities_in_a_batch, __VA_ARGS__)                               \
  NUDGE_STORAGE_CONFORMANCE_CHECK(name, one_unit_at_a_time, __VA_ARGS__)                                  \
  NUDGE_STORAGE_CONFORMANCE_CHECK(name, create_task_fresh_ids, __VA_ARGS__)

/// One check as one TEST_CASE (also usable alone to run a single check).
#define NUDGE_STORAGE_CONFORMANCE_CHECK(name, check, ...)                                                  \
  TEST_CASE("storage.conformance." name "." #check) {                                                   \
    ::nudge::conformance::check(::nudge::conformance::Factory([&]() -> std::unique_ptr<::nudge::Storage> { \
      return (__VA_ARGS__)();                                                                              \
    }));                                                                                                   \
  }
