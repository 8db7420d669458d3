#include <doctest/doctest.h>

#include <algorithm>
#include <random>
#include <string>

#include <support/fixtures.hpp>
#include <nudge/storage/memory_storage.hpp>

// Own namespace: the tests build as a unity build.
namespace nudge_storage_test_memory_storage {

using namespace nudge;
using namespace nudge::test;

namespace {
void seed(MemoryStorage& s) {
  auto w = s.begin();
  w->put_manager(manager(1, "Ivanova"));
  w->put_manager(manager(2, "Petrov", 1));
  w->put_client(client(10, "Acme", 2));
  w->put_client(client(11, "Globex", 2, "retail"));
  w->add_activity(activity(100, 10, 2, ActivityKind::call_out, at(2026, 8, 14)));
  w->add_activity(activity(101, 10, 2, ActivityKind::call_missed, at(2026, 9, 1)));
  w->commit();
}
/// The ids of `table`'s rows that `open` holds for, ascending, and the ids
/// `scan` lists (in batches of 7; `id` reads a batch item's id).
template <class Table, class Open, class Scan, class IdOf>
void scan_lists_the_open_rows(const Table& table, Open open, Scan scan, IdOf id) {
  std::vector<std::int64_t> want, got;
  for (const auto& [key, row] : table)
    if (open(row)) want.push_back(key.value());
  scan([&](auto batch) {
    for (const auto& item : batch) got.push_back(id(item));
  });
  REQUIRE(got == want);
}
/// The scans of open deals, unpaid invoices and open tasks (which visit the
/// rows the store flags on write) list exactly the rows that are open, in
/// ascending id: what a filter over every row gives.
void scans_see_every_open_row(const MemoryStorage& s) {
  scan_lists_the_open_rows(
      s.state().deals, [](const auto& e) { return e.deal.is_open(); },
      [&](auto fn) { s.scan_open_deals([&](std::span<const DealView> b) { fn(b); }, 7); },
      [](const DealView& v) { return v.deal->id.value(); });
  scan_lists_the_open_rows(
      s.state().invoices, [](const Invoice& i) { return !i.is_paid(); },
      [&](auto fn) { s.scan_unpaid_invoices([&](std::span<const Invoice> b) { fn(b); }, 7); },
      [](const Invoice& i) { return i.id.value(); });
  scan_lists_the_open_rows(
      s.state().tasks, [](const Task& t) { return t.open(); },
      [&](auto fn) { s.scan_open_tasks([&](std::span<const Task> b) { fn(b); }, 7); },
      [](const Task& t) { return t.id.value(); });
}
}  // namespace

TEST_CASE("storage.memory.read_your_writes_and_commit") {
  MemoryStorage s;
  seed(s);
  REQUIRE(s.find_client(ClientId{10}));
  CHECK(s.find_client(ClientId{10})->name == "Acme");
  CHECK(s.clients_of(ManagerId{2}) == std::vector{ClientId{10}, ClientId{11}});
  CHECK(s.activities_of(ClientId{10}, at(2026, 8, 15)).size() == 1);
  CHECK(s.activities_of(ClientId{10}, at(2026, 1, 1)).size() == 2);
}

TEST_CASE("storage.memory.summary_is_kept_current") {
  MemoryStorage s;
  seed(s);
  std::optional<ClientSummary> got;
  s.scan_clients([&](std::span<const ClientView> b) {
    for (auto& v : b)
      if (v.client->id == ClientId{10}) got = *v.summary;
  });
  REQUIRE(got);
  CHECK(got->last_contact(ContactPolicy{}) == at(2026, 8, 14));         // missed call does not count
  CHECK(got->last_contact(ContactPolicy::any_activity()) == at(2026, 9, 1));
  CHECK(*got == s.summarize(ClientId{10}));

  SUBCASE("tasks move the open-task facts both ways") {
    auto w = s.begin();
    auto t = task(0, 10, 2, at(2026, 12, 1));
    auto id = w->create_task(t);
    w->commit();
    auto sum = s.summarize(ClientId{10});
    CHECK(sum.open_tasks == 1);
    CHECK(sum.has_future_task(at(2026, 11, 30)));
    auto w2 = s.begin();
    auto done = *s.find_task(id);
    done.state = TaskState::done;
    done.closed = at(2026, 10, 1);
    w2->put_task(done);
    w2->commit();
    std::optional<ClientSummary> after;
    s.scan_clients([&](std::span<const ClientView> b) {
      for (auto& v : b)
        if (v.client->id == ClientId{10}) after = *v.summary;
    });
    CHECK(after->open_tasks == 0);
    CHECK(after->last_contact(ContactPolicy{}) == at(2026, 10, 1));  // a completed task counts
  }
}

TEST_CASE("storage.memory.rollback_restores_everything") {
  MemoryStorage s;
  seed(s);
  const auto before = s.state();
  {
    auto w = s.begin();
    w->put_manager(manager(3, "Sidorov", 1));
    CHECK(s.has_manager(ManagerId{3}));
    w->put_manager(manager(2, "Petrov-Vodkin", 1));  // replaced: still there after the rollback
    w->put_client(client(12, "Initech", 3));
    w->add_activity(activity(102, 12, 3, ActivityKind::email, at(2026, 10, 1)));
    w->reassign_client(ClientId{10}, ManagerId{1});
    w->set_label(SubjectRef::of(ClientId{11}), "forgotten", "since 2026-08-14");
    w->create_task(task(0, 11, 2, at(2026, 12, 1)));
    w->put_deal(deal(7, 11, 2, "lead", at(2026, 9, 1)));
    CHECK(w->claim_action("forgotten/client:11/x/0", at(2026, 11, 1)));
    CHECK(!w->claim_action("forgotten/client:11/x/0", at(2026, 11, 1)));
    w->append_audit({at(2026, 11, 1), "k", "forgotten", SubjectRef::of(ClientId{11}), "label", "why", {}});
    Message m;
    m.key = "k/msg";
    w->enqueue(m);
    CHECK(s.find_client(ClientId{10})->owner == ManagerId{1});  // visible inside the unit
    // no commit: destroyed here
  }
  CHECK(s.state() == before);
  CHECK_FALSE(s.has_manager(ManagerId{3}));
  CHECK(s.has_manager(ManagerId{2}));
  CHECK(s.find_manager(ManagerId{2})->name == "Petrov");
}

TEST_CASE("storage.memory.rollback_of_random_units_restores_the_state") {
  // Random units over a seeded store: new rows with ids below, between and
  // above the old ones, rows put twice in the unit, old rows moved to other
  // clients, tasks on old and new deals, activities (some with texts) on old
  // and new clients. Each unit is rolled back and the state must equal what
  // it was; then the same unit is committed and the next builds on it.
  std::mt19937_64 rng(7);
  MemoryStorage s;
  seed(s);
  std::vector<std::int64_t> clients{10, 11}, deals, tasks, invoices;
  std::int64_t next_activity = 1000;
  for (int round = 0; round < 12; ++round) {
    const auto seed_of_round = rng();
    auto run = [&](UnitOfWork& w, std::vector<std::int64_t>& cs, std::vector<std::int64_t>& ds,
                   std::vector<std::int64_t>& ts, std::vector<std::int64_t>& is, std::int64_t& next) {
      std::mt19937_64 r(seed_of_round);
      const auto when = [&] { return at(2026, 1 + static_cast<unsigned>(r() % 12), 1 + static_cast<unsigned>(r() % 28)); };
      for (int step = 0; step < 60; ++step) {
        switch (r() % 7) {
          case 0: {  // a client: new (any id) or an old one changed
            const auto id = r() % 3 ? static_cast<std::int64_t>(r() % 500) + 1 : cs[r() % cs.size()];
            w.put_client(client(id, "c" + std::to_string(id), 1 + static_cast<std::int64_t>(r() % 2)));
            if (std::find(cs.begin(), cs.end(), id) == cs.end()) cs.push_back(id);
            break;
          }
          case 1: case 2: {
            auto a = activity(next++, cs[r() % cs.size()], 2, static_cast<ActivityKind>(r() % 4), when());
            if (r() % 3 == 0) a.subject = "subject " + std::to_string(r() % 5);
            w.add_activity(a);
            break;
          }
          case 3: {  // a deal, new or put again on another client, sometimes won
            const auto id = ds.empty() || r() % 2 ? static_cast<std::int64_t>(r() % 300) + 1 : ds[r() % ds.size()];
            auto d = deal(id, cs[r() % cs.size()], 2, "lead", when());
            if (r() % 3 == 0) {
              d.status = DealStatus::won;
              d.closed = d.opened + std::chrono::hours(24 * static_cast<int>(r() % 90));
            }
            w.put_deal(d);
            if (std::find(ds.begin(), ds.end(), id) == ds.end()) ds.push_back(id);
            break;
          }
          case 4: {  // a task, new or put again, on a deal or not, open or done
            const auto id = ts.empty() || r() % 2 ? static_cast<std::int64_t>(r() % 300) + 1 : ts[r() % ts.size()];
            auto t = task(id, cs[r() % cs.size()], 2, when());
            if (!ds.empty() && r() % 2) {
              const auto d = ds[r() % ds.size()];
              t.deal = DealId{d};
              t.client = s.find_deal(DealId{d})->client;
            }
            if (r() % 3 == 0) {
              t.state = TaskState::done;
              t.closed = when();
            }
            w.put_task(t);
            if (std::find(ts.begin(), ts.end(), id) == ts.end()) ts.push_back(id);
            break;
          }
          case 5: {
            const auto id = is.empty() || r() % 2 ? static_cast<std::int64_t>(r() % 300) + 1 : is[r() % is.size()];
            const auto issued = when();
            auto i = invoice(id, cs[r() % cs.size()], 100.0, issued, issued + std::chrono::hours(24 * 30));
            if (r() % 2) i.paid = issued + std::chrono::hours(24 * static_cast<int>(r() % 60));
            w.put_invoice(i);
            if (std::find(is.begin(), is.end(), id) == is.end()) is.push_back(id);
            break;
          }
          default:
            w.set_label(SubjectRef::of(ClientId{cs[r() % cs.size()]}), "l" + std::to_string(r() % 3), "note");
        }
      }
    };
    const auto before = s.state();
    {
      auto cs = clients, ds = deals, ts = tasks, is = invoices;
      auto next = next_activity;
      auto w = s.begin();
      run(*w, cs, ds, ts, is, next);
    }
    REQUIRE(s.state() == before);
    scans_see_every_open_row(s);
    auto w = s.begin();
    run(*w, clients, deals, tasks, invoices, next_activity);
    w->commit();
    for (auto c : clients) REQUIRE(s.summarize(ClientId{c}) == s.state().clients.find(ClientId{c})->summary);
    scans_see_every_open_row(s);
  }
  CHECK(s.state().deals.size() > 30);
  CHECK(s.state().tasks.size() > 30);
}

TEST_CASE("storage.memory.rollback_of_a_bulk_unit_removes_only_its_activities") {
  // More activities than a unit lists one by one (the rest go to a set):
  // interleaved between old and new clients, at times before, between and
  // after the old ones, with ids near the old ones and far above them.
  MemoryStorage s;
  seed(s);
  std::mt19937_64 rng(11);
  const auto when = [&] { return at(2026, 1 + static_cast<unsigned>(rng() % 12), 1 + static_cast<unsigned>(rng() % 28)); };
  {
    auto w = s.begin();
    for (std::int64_t id = 200; id < 500; ++id) w->add_activity(activity(id, 10 + id % 2, 2, ActivityKind::email, when()));
    w->commit();
  }
  const auto before = s.state();
  std::vector<Activity> added;
  for (std::int64_t i = 0; i < 10'000; ++i) {
    const std::int64_t id = i % 5 == 0 ? std::int64_t{1} << 40 | i : 1000 + i;
    auto a = activity(id, 10 + i % 3, 2, static_cast<ActivityKind>(rng() % 4), when());
    if (i % 7 == 0) a.subject = "s" + std::to_string(i);
    added.push_back(a);
  }
  auto run = [&](UnitOfWork& w) {
    w.put_client(client(12, "Initech", 2));
    for (const auto& a : added) w.add_activity(a);
  };
  {
    auto w = s.begin();
    run(*w);
    CHECK(s.has_activity(added.back().id));
  }
  CHECK(s.state() == before);
  for (const auto& a : added) REQUIRE_FALSE(s.has_activity(a.id));
  CHECK(s.has_activity(ActivityId{100}));
  CHECK(s.has_activity(ActivityId{499}));
  auto w = s.begin();
  run(*w);
  w->commit();
  CHECK(s.activities_of(ClientId{12}, at(2000, 1, 1)).size() == 3'333);
  CHECK(s.activities_of(ClientId{10}, at(2000, 1, 1)).size() == 2 + 150 + 3'334);
  for (auto c : {10, 11, 12}) CHECK(s.summarize(ClientId{c}) == s.state().clients.find(ClientId{c})->summary);
}

TEST_CASE("storage.memory.exactly_once_keys_survive_commit") {
  MemoryStorage s;
  seed(s);
  {
    auto w = s.begin();
    CHECK(w->claim_action("a", at(2026, 11, 1)));
    w->commit();
  }
  CHECK(s.has_action("a"));
  auto w = s.begin();
  CHECK(!w->claim_action("a", at(2026, 11, 2)));
}

TEST_CASE("storage.memory.bad_references_name_the_field") {
  MemoryStorage s;
  seed(s);
  auto w = s.begin();
  auto msg = [&](auto&& f) {
    try {
      f();
    } catch (const nudge::error& e) {
      return std::string(e.what());
    }
    return std::string("<none>");
  };
  CHECK(msg([&] { w->put_client(client(20, "X", 99)); }) == "client 20: owner: unknown manager 99");
  CHECK(msg([&] { w->add_activity(activity(100, 10, 2, ActivityKind::email, at(2026, 1, 1))); }) ==
        "activity 100: id: already recorded");
  CHECK(msg([&] { w->reassign_client(ClientId{10}, ManagerId{77}); }) == "reassign: to: unknown manager 77");
  CHECK(msg([&] { w->reassign_client(ClientId{99}, ManagerId{1}); }) == "reassign: client: unknown client 99");
  auto t = task(5, 10, 2, at(2026, 1, 1));
  t.planned_start = at(2026, 2, 1);
  CHECK(msg([&] { w->put_task(t); }).find("task 5: due") == 0);
  CHECK_THROWS_AS(w->set_label(SubjectRef::of(DealId{3}), "x"), not_found);
  CHECK_THROWS_AS(s.begin(), conflict);  // one unit at a time
}

TEST_CASE("storage.memory.scans_in_batches_in_id_order") {
  MemoryStorage s;
  {
    auto w = s.begin();
    w->put_manager(manager(1, "A"));
    for (int i = 50; i >= 1; --i) w->put_client(client(i, "c", 1));
    for (int i = 1; i <= 10; ++i) w->put_deal(deal(i, i, 1, "lead", at(2026, 1, 1)));
    auto closed = deal(11, 1, 1, "won", at(2026, 1, 1));
    closed.status = DealStatus::won;
    closed.closed = at(2026, 2, 1);
    w->put_deal(closed);
    auto t = task(1, 3, 1, at(2026, 3, 1));
    t.deal = DealId{3};
    w->put_task(t);
    w->commit();
  }
  std::vector<std::int64_t> ids;
  std::vector<std::size_t> sizes;
  s.scan_clients(
      [&](std::span<const ClientView> b) {
        sizes.push_back(b.size());
        for (auto& v : b) ids.push_back(v.client->id.value());
      },
      16);
  CHECK(sizes == std::vector<std::size_t>{16, 16, 16, 2});
  CHECK(std::is_sorted(ids.begin(), ids.end()));
  CHECK(ids.size() == 50);
  int open = 0, with_task = 0;
  s.scan_open_deals([&](std::span<const DealView> b) {
    for (auto& v : b) {
      ++open;
      if (v.open_tasks) with_task = static_cast<int>(v.deal->id.value());
    }
  });
  CHECK(open == 10);
  CHECK(with_task == 3);
  CHECK(s.summarize(ClientId{1}).won_deals == std::vector{at(2026, 2, 1)});
}
}  // namespace nudge_storage_test_memory_storage

namespace nudge_storage_test_memory_storage {

// visit_clients loads rows several clients ahead of the one it calls back
// for: over a store with hundreds of clients, a list in random order with
// unknown ids and repeats (ahead and behind the prefetch distances) must show
// exactly what visit_client shows, entry by entry.
TEST_CASE("storage.memory.visit_clients_equals_visit_client_over_a_long_list") {
  MemoryStorage s;
  std::mt19937_64 rng(7);
  {
    auto w = s.begin();
    w->put_manager(manager(1, "Ivanova"));
    for (std::int64_t c = 1; c <= 300; ++c) {
      w->put_client(client(c, "client " + std::to_string(c), 1));
      for (std::int64_t k = 0; k < c % 3; ++k) {
        auto d = deal(c * 10 + k, c, 1, "proposal", at(2026, 3, 1));
        if (k == 1) {
          d.status = DealStatus::won;
          d.closed = at(2026, 3, 15);
        }
        w->put_deal(d);
      }
      if (c % 2) {
        auto inv = invoice(c, c, 100.0 * static_cast<double>(c), at(2026, 4, 1), at(2026, 5, 1));
        if (c % 5 == 0) inv.paid = at(2026, 4, 20);
        w->put_invoice(inv);
      }
      if (c % 4 == 0) {
        auto t = task(c, c, 1, at(2026, 6, 1));
        if (c % 8 == 0 && c % 3 != 0) t.deal = DealId{c * 10};  // its open deal
        w->put_task(t);
      }
    }
    w->commit();
  }
  using Parts = Storage::Parts;
  // The lists `p` asks for, as text.
  auto asked = [](const Storage::ClientSubjects& v, Parts p) {
    std::string k = std::to_string(v.client.client->id.value()) + ":";
    if (overlaps(p, Parts::open_deals))
      for (const auto& d : v.open_deals) k += " d" + std::to_string(d.deal->id.value()) + "/" + std::to_string(d.open_tasks);
    if (overlaps(p, Parts::unpaid_invoices))
      for (const auto* i : v.unpaid_invoices) k += " i" + std::to_string(i->id.value());
    if (overlaps(p, Parts::open_tasks))
      for (const auto* t : v.open_tasks) k += " t" + std::to_string(t->id.value());
    return k;
  };
  auto key = [&](const Storage::ClientSubjects& v) { return asked(v, Parts::all); };
  std::vector<ClientId> ids;
  for (std::int64_t c = 1; c <= 320; ++c) ids.push_back(ClientId{c});  // 301..320 unknown
  for (int i = 0; i < 40; ++i) ids.push_back(ClientId{static_cast<std::int64_t>(rng() % 300 + 1)});  // repeats
  std::shuffle(ids.begin(), ids.end(), rng);
  std::vector<std::string> want, got;
  for (auto id : ids) {
    std::string k = "none";
    CHECK(s.visit_client(id, [&](const Storage::ClientSubjects& v) { k = key(v); }) == (id.value() <= 300));
    want.push_back(k);
  }
  std::size_t next = 0;
  s.visit_clients(ids, [&](std::size_t i, const Storage::ClientSubjects* v) {
    CHECK(i == next++);
    got.push_back(v ? key(*v) : "none");
  });
  CHECK(next == ids.size());
  CHECK(got == want);
  CHECK(std::count(want.begin(), want.end(), "none") == 20);
  CHECK(std::any_of(want.begin(), want.end(), [](const std::string& k) { return k.find(" t") != std::string::npos; }));
  CHECK(std::any_of(want.begin(), want.end(), [](const std::string& k) { return k.find("/1") != std::string::npos; }));
  // Asked for some lists only: those come complete (the others may be empty).
  std::vector<Parts> parts;
  for (std::size_t i = 0; i < ids.size(); ++i) parts.push_back(static_cast<Parts>(rng() % 8));
  std::vector<std::string> want_parts, got_parts;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    std::string k = "none";
    s.visit_client(ids[i], [&](const Storage::ClientSubjects& v) { k = asked(v, parts[i]); });
    want_parts.push_back(k);
  }
  s.visit_clients(ids, [&](std::size_t i, const Storage::ClientSubjects* v) {
    got_parts.push_back(v ? asked(*v, parts[i]) : "none");
  }, parts);
  CHECK(got_parts == want_parts);
  // One entry of parts per id, or none.
  CHECK_THROWS_AS(s.visit_clients(ids, [](std::size_t, const Storage::ClientSubjects*) {},
                                  std::span<const Parts>(parts).first(3)),
                  invalid_argument);

  // An empty list calls nothing.
  s.visit_clients({}, [&](std::size_t, const Storage::ClientSubjects*) { FAIL("called back for an empty list"); });
}

}  // namespace nudge_storage_test_memory_storage
