// How the SQLite adapter's scans behave around their callbacks: a batch's
// callback reads inside one read transaction of the scan's, may begin and
// commit a unit of work (which ends that transaction first), and may throw;
// the connection is left without a transaction in every case.

#include <doctest/doctest.h>

#include <algorithm>
#include <stdexcept>
#include <thread>

#include <sqlite3.h>

#include <nudge/engine/watch.hpp>
#include <nudge/sqlite/sqlite_storage.hpp>
#include <support/fixtures.hpp>
#include <support/temp_dir.hpp>

// Own namespace: the tests build as a unity build.
namespace nudge_sqlite_test_scans {

using namespace nudge;
using namespace nudge::test;

namespace {

/// Managers 1-2, clients 1..n (owner 1), one activity each, an open deal and
/// an unpaid invoice for every third client, an open task for every other.
void fill(Storage& s, int n) {
  auto w = s.begin();
  w->put_manager(manager(1, "A"));
  w->put_manager(manager(2, "B"));
  for (int i = 1; i <= n; ++i) {
    w->put_client(client(i, "c", 1));
    w->add_activity(activity(i, i, 1, ActivityKind::call_out, at(2026, 1, 1) + Seconds{i}));
    if (i % 3 == 0) {
      w->put_deal(deal(i, i, 1, "proposal", at(2026, 2, 1)));
      w->put_invoice(invoice(i, i, 100.0, at(2026, 3, 1), at(2026, 3, 31)));
    }
    if (i % 2 == 0) w->put_task(task(i, i, 1, at(2026, 12, 1)));
  }
  w->commit();
}

bool in_transaction(const SqliteStorage& s) { return sqlite3_get_autocommit(s.native_handle()) == 0; }

}  // namespace

TEST_CASE("storage.sqlite.scans.callbacks_read_inside_the_scans_transaction") {
  TempDir dir;
  SqliteStorage s{dir.file("scan.db")};
  fill(s, 40);
  std::size_t seen = 0;
  s.scan_clients(
      [&](std::span<const ClientView> b) {
        CHECK(in_transaction(s));  // the batch's read transaction, kept for the callback
        for (const auto& v : b) {
          CHECK(s.activities_of(v.client->id, at(2000, 1, 1)).size() == 1);
          CHECK(s.find_client(v.client->id) == *v.client);
        }
        seen += b.size();
      },
      7);
  CHECK(seen == 40);
  CHECK_FALSE(in_transaction(s));  // ended with the last batch
}

TEST_CASE("storage.sqlite.scans.a_callback_may_write") {
  TempDir dir;
  SqliteStorage s{dir.file("scan.db")};
  fill(s, 30);
  SUBCASE("a unit begun and committed in a callback; later batches see it") {
    std::vector<std::int64_t> ids;
    s.scan_clients(
        [&](std::span<const ClientView> b) {
          for (const auto& v : b) {
            ids.push_back(v.client->id.value());
            if (v.client->id.value() == 5) CHECK(v.client->owner == ManagerId{1});
          }
          if (b.front().client->id.value() == 1) {
            auto w = s.begin();
            w->reassign_client(ClientId{5}, ManagerId{2});
            w->reassign_client(ClientId{15}, ManagerId{2});  // in the batch read ahead meanwhile
            w->reassign_client(ClientId{25}, ManagerId{2});
            w->commit();
            CHECK_FALSE(in_transaction(s));
            CHECK(s.find_client(ClientId{5})->owner == ManagerId{2});
          }
          if (b.front().client->id.value() > 10) {
            for (const auto& v : b)
              if (v.client->id.value() == 15 || v.client->id.value() == 25) CHECK(v.client->owner == ManagerId{2});
          }
        },
        10);
    CHECK(ids.size() == 30);
    CHECK_FALSE(in_transaction(s));
  }
  SUBCASE("a unit begun in a callback and committed after the scan") {
    std::unique_ptr<UnitOfWork> w;
    std::size_t deals = 0;
    s.scan_open_deals(
        [&](std::span<const DealView> b) {
          deals += b.size();
          if (!w) {
            w = s.begin();
            w->put_client(client(100, "new", 2));
          }
        },
        4);
    CHECK(deals == 10);
    REQUIRE(w);
    CHECK(in_transaction(s));  // the unit's, untouched by the scan
    w->commit();
    CHECK_FALSE(in_transaction(s));
    CHECK(s.find_client(ClientId{100}));
  }
  SUBCASE("a unit rolled back in a callback") {
    std::size_t invoices = 0;
    s.scan_unpaid_invoices(
        [&](std::span<const Invoice> b) {
          invoices += b.size();
          auto w = s.begin();
          w->put_client(client(200, "gone", 2));
        },
        3);
    CHECK(invoices == 10);
    CHECK_FALSE(in_transaction(s));
    CHECK_FALSE(s.find_client(ClientId{200}));
  }
}

TEST_CASE("storage.sqlite.scans.a_throwing_callback_ends_the_transaction") {
  TempDir dir;
  SqliteStorage s{dir.file("scan.db")};
  fill(s, 20);
  CHECK_THROWS_AS(s.scan_open_tasks([](std::span<const Task>) { throw std::runtime_error("stop"); }, 4),
                  std::runtime_error);
  CHECK_FALSE(in_transaction(s));
  auto w = s.begin();  // nothing left open in the way
  w->put_client(client(300, "after", 1));
  w->commit();
  CHECK(s.find_client(ClientId{300}));
}

TEST_CASE("storage.sqlite.scans.nested_scans_share_the_outer_transaction") {
  TempDir dir;
  SqliteStorage s{dir.file("scan.db")};
  fill(s, 12);
  std::size_t outer = 0, inner = 0;
  s.scan_clients(
      [&](std::span<const ClientView> b) {
        outer += b.size();
        s.scan_open_tasks([&](std::span<const Task> t) { inner += t.size(); }, 2);
        CHECK(in_transaction(s));  // the inner scan left the outer one's open
      },
      5);
  CHECK(outer == 12);
  CHECK(inner == 3 * 6);
  CHECK_FALSE(in_transaction(s));
}

TEST_CASE("storage.sqlite.scans.read_ahead_gives_every_row_once_in_order") {
  // Sparse ids (gaps of 1..6), so batches of n rows span irregular id ranges;
  // the batches read ahead on the second connection must join up exactly.
  TempDir dir;
  SqliteStorage s{dir.file("scan.db")};
  std::vector<std::int64_t> clients, deals, invoices, tasks;
  {
    auto w = s.begin();
    w->put_manager(manager(1, "A"));
    std::int64_t id = 0;
    for (int i = 0; i < 700; ++i) {
      id += 1 + (i * 7919) % 6;
      w->put_client(client(id, "c", 1));
      clients.push_back(id);
      if (i % 4 != 1) {
        auto d = deal(id, id, 1, "proposal", at(2026, 2, 1));
        if (i % 4 == 2) {
          d.status = DealStatus::lost;
          d.closed = at(2026, 2, 20);
        } else {
          deals.push_back(id);
        }
        w->put_deal(d);
      }
      auto inv = invoice(id, id, 10.0, at(2026, 3, 1), at(2026, 3, 31));
      if (i % 3 == 0) inv.paid = at(2026, 3, 5);
      else invoices.push_back(id);
      w->put_invoice(inv);
      auto t = task(id, id, 1, at(2026, 12, 1));
      if (i % 4 != 1) t.deal = DealId{id};
      if (i % 5 == 0) {
        t.state = TaskState::done;
        t.closed = at(2026, 4, 1);
      } else {
        tasks.push_back(id);
      }
      w->put_task(t);
    }
    w->commit();
  }
  for (std::size_t n : {std::size_t{1}, std::size_t{2}, std::size_t{7}, std::size_t{64}, std::size_t{349},
                        std::size_t{350}, std::size_t{351}, std::size_t{699}, std::size_t{700}, std::size_t{4096}}) {
    CAPTURE(n);
    auto check = [&](const std::vector<std::int64_t>& got, const std::vector<std::size_t>& sizes,
                     const std::vector<std::int64_t>& want) {
      CHECK(got == want);
      for (const auto k : sizes) CHECK((k >= 1 && k <= n));
    };
    std::vector<std::int64_t> got;
    std::vector<std::size_t> sizes;
    s.scan_clients(
        [&](std::span<const ClientView> b) {
          sizes.push_back(b.size());
          for (const auto& v : b) got.push_back(v.client->id.value());
        },
        n);
    check(got, sizes, clients);
    got.clear();
    sizes.clear();
    s.scan_open_deals(
        [&](std::span<const DealView> b) {
          sizes.push_back(b.size());
          for (const auto& v : b) {
            got.push_back(v.deal->id.value());
            CHECK(v.open_tasks == (std::binary_search(tasks.begin(), tasks.end(), v.deal->id.value()) ? 1 : 0));
          }
        },
        n);
    check(got, sizes, deals);
    got.clear();
    sizes.clear();
    s.scan_unpaid_invoices(
        [&](std::span<const Invoice> b) {
          sizes.push_back(b.size());
          for (const auto& i : b) got.push_back(i.id.value());
        },
        n);
    check(got, sizes, invoices);
    got.clear();
    sizes.clear();
    s.scan_open_tasks(
        [&](std::span<const Task> b) {
          sizes.push_back(b.size());
          for (const auto& t : b) got.push_back(t.id.value());
        },
        n);
    check(got, sizes, tasks);
  }
}

TEST_CASE("storage.sqlite.scans.two_threads_scan_one_storage") {
  // One of them has the read-ahead connection, the other reads on the main one.
  TempDir dir;
  SqliteStorage s{dir.file("scan.db")};
  fill(s, 300);
  std::vector<std::int64_t> a, b;
  auto scan = [&](std::vector<std::int64_t>& out) {
    for (int k = 0; k < 5; ++k)
      s.scan_clients(
          [&](std::span<const ClientView> batch) {
            for (const auto& v : batch) out.push_back(v.client->id.value());
          },
          16);
  };
  std::thread other([&] { scan(b); });
  scan(a);
  other.join();
  REQUIRE(a.size() == 1500);
  CHECK(a == b);
  for (std::size_t i = 0; i < a.size(); ++i) CHECK(a[i] == static_cast<std::int64_t>(i % 300) + 1);
  CHECK_FALSE(in_transaction(s));
}

TEST_CASE("storage.sqlite.scans.a_watch_on_two_threads_reads_the_file_as_one_does") {
  // The Watch's slices read the store from two threads at once; the adapter
  // serializes its calls. Both watches equal a full evaluation at every move.
  TempDir dir;
  SqliteStorage s{dir.file("watch.db")};
  fill(s, 300);
  const Engine engine{EngineConfig::defaults()};
  Watch one{engine, s}, two{engine, s, {.threads = 2, .min_slice = 1}};
  Instant now = at(2026, 4, 1);
  one.reset(now);
  two.reset(now);
  auto full = [&] {
    auto hits = engine.evaluate(s, now).hits;
    for (auto& h : hits) h.to = ManagerId{};  // a watch proposes no new owner
    return hits;
  };
  REQUIRE(one.hits() == full());
  CHECK(two.hits() == one.hits());
  std::int64_t next = 1000;
  std::size_t changed = 0;
  for (int day = 1; day <= 6; ++day) {
    now += Days{9};
    {
      auto w = s.begin();
      for (int c = day; c <= 300; c += 7) {
        w->add_activity(activity(next++, c, 2, ActivityKind::meeting, now - Days{1}));
        one.touch(ClientId{c}, Changed::activity);
        two.touch(ClientId{c}, Changed::activity);
      }
      w->commit();
    }
    const auto a = one.advance(now), b = two.advance(now);
    CAPTURE(day);
    CHECK(b.started == a.started);
    CHECK(b.ended == a.ended);
    CHECK(b.clients_tested == a.clients_tested);
    CHECK(a.clients_tested >= 40);
    REQUIRE(one.hits() == full());
    CHECK(two.hits() == one.hits());
    changed += a.started.size() + a.ended.size();
  }
  CHECK(changed > 20);
  CHECK_FALSE(in_transaction(s));
}

}  // namespace nudge_sqlite_test_scans
