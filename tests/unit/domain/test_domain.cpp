#include <doctest/doctest.h>

#include <support/fixtures.hpp>
#include <nudge/domain/money.hpp>
#include <nudge/domain/subject.hpp>

#include <cmath>
#include <limits>

// Own namespace: the tests build as a unity build.
namespace nudge_domain_test_domain {

using namespace nudge;
using namespace nudge::test;

namespace {
template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const nudge::error& e) {
    return e.what();
  }
  return "<no error>";
}
}  // namespace

TEST_CASE("domain.ids.are_distinct_types") {
  ClientId c{42};
  DealId d{42};
  CHECK(c.value() == d.value());
  CHECK(!std::is_convertible_v<ClientId, DealId>);
  CHECK(!std::is_convertible_v<std::int64_t, ClientId>);
  CHECK(to_string(c) == "client 42");
  CHECK(fmt::format("{}", d) == "42");
  CHECK(ClientId{1} < ClientId{2});
  CHECK(!ClientId{}.valid());
}

TEST_CASE("domain.money.exact_cents") {
  auto m = Money::from_decimal(1250.505, "EUR");
  CHECK(m.cents == 125051);
  CHECK(to_string(m) == "1250.51 EUR");
  CHECK(to_string(Money{-5, "USD"}) == "-0.05 USD");
  SUBCASE("not finite") {
    auto msg = error_of([] { (void)Money::from_decimal(std::nan(""), "USD", "invoice 7: amount"); });
    CHECK(msg.find("invoice 7: amount") != std::string::npos);
    CHECK(msg.find("finite") != std::string::npos);
    CHECK_THROWS_AS((void)Money::from_decimal(std::numeric_limits<double>::infinity(), "USD"), invalid_argument);
  }
  SUBCASE("bad currency") {
    CHECK(error_of([] { (void)Money::from_decimal(1, "euro"); }).find("currency") != std::string::npos);
  }
}

TEST_CASE("domain.task.validate") {
  auto t = task(1, 1, 1, at(2026, 3, 1));
  CHECK_NOTHROW(t.validate());
  SUBCASE("due before planned start names the field") {
    t.planned_start = at(2026, 3, 2);
    auto msg = error_of([&] { t.validate(); });
    CHECK(msg.find("task 1: due") != std::string::npos);
    CHECK(msg.find("planned start") != std::string::npos);
  }
  SUBCASE("done needs closed") {
    t.state = TaskState::done;
    CHECK(error_of([&] { t.validate(); }).find("closed") != std::string::npos);
    t.closed = at(2026, 3, 1);
    CHECK_NOTHROW(t.validate());
  }
  SUBCASE("states parse and print") {
    for (auto s : {TaskState::attention, TaskState::in_progress, TaskState::done, TaskState::cancelled})
      CHECK(parse_task_state(to_string(s)) == s);
    CHECK(error_of([] { (void)parse_task_state("finished", "tasks.csv:3: state"); }).find("tasks.csv:3: state") !=
          std::string::npos);
  }
}

TEST_CASE("domain.deal.validate") {
  auto d = deal(5, 1, 1, "lead", at(2026, 1, 1));
  CHECK_NOTHROW(d.validate());
  SUBCASE("probability out of range") {
    d.probability = 1.5;
    CHECK(error_of([&] { d.validate(); }).find("deal 5: probability") != std::string::npos);
  }
  SUBCASE("won needs closed") {
    d.status = DealStatus::won;
    CHECK(error_of([&] { d.validate(); }).find("deal 5: closed") != std::string::npos);
  }
  SUBCASE("stage entered before opened") {
    d.stage_entered = at(2025, 12, 31);
    CHECK(error_of([&] { d.validate(); }).find("stage_entered") != std::string::npos);
  }
  SUBCASE("hold") {
    d.holds.push_back({at(2026, 2, 1), at(2026, 2, 5), "client on holiday"});
    CHECK(d.on_hold(at(2026, 2, 3)));
    CHECK(!d.on_hold(at(2026, 2, 5)));
  }
}

TEST_CASE("domain.invoice.payments") {
  auto i = invoice(3, 1, 100.0, at(2026, 1, 1), at(2026, 1, 15));
  i.payments.push_back({at(2026, 1, 10), 4000});
  i.settle_from_payments();
  CHECK(!i.is_paid());
  CHECK(i.outstanding_cents() == 6000);
  i.payments.push_back({at(2026, 1, 20), 6000});
  i.settle_from_payments();
  REQUIRE(i.is_paid());
  CHECK(*i.paid == at(2026, 1, 20));
  SUBCASE("due before issue") {
    i.due = at(2025, 12, 1);
    CHECK(error_of([&] { i.validate(); }).find("invoice 3: due") != std::string::npos);
  }
}

TEST_CASE("domain.manager.availability") {
  auto m = manager(1, "Ivanova");
  m.leave.push_back({ymd(2026, 7, 1), ymd(2026, 7, 14)});
  m.segments = {"smb", "retail"};
  CHECK(m.available(ymd(2026, 6, 30)));
  CHECK(!m.available(ymd(2026, 7, 14)));
  CHECK(m.serves("retail"));
  CHECK(!m.serves("enterprise"));
  m.supervisor = ManagerId{1};
  CHECK(error_of([&] { m.validate(); }).find("supervisor") != std::string::npos);
}

TEST_CASE("domain.client.kind_and_segments") {
  CHECK(parse_client_kind("B2B") == ClientKind::b2b);
  CHECK(error_of([] { (void)parse_client_kind("B2G", "clients.csv:4: kind"); }).find("clients.csv:4: kind") !=
        std::string::npos);
  auto c = client(1, "Acme", 1, "smb");
  CHECK(c.primary_segment() == "smb");
  c.owner = ManagerId{};
  CHECK(error_of([&] { c.validate(); }).find("owner") != std::string::npos);
}

TEST_CASE("domain.time.iso") {
  CHECK(iso_instant(bench_now) == "2026-11-22T00:00:00Z");
  CHECK(iso_instant(at(2026, 8, 14, 9, 30)) == "2026-08-14T09:30:00Z");
  CHECK(to_string(FactValue{at(2026, 8, 14)}) == "2026-08-14T00:00:00Z");
  CHECK(iso_instant(at(2026, 12, 31, 23, 59) + std::chrono::seconds{59}) == "2026-12-31T23:59:59Z");
  CHECK(iso_date(Date{}) == "1970-01-01");
  CHECK(iso_instant(Instant{std::chrono::seconds{-1}}) == "1969-12-31T23:59:59Z");
  CHECK(iso_date(std::chrono::year{0} / 3 / 1) == "0000-03-01");
  CHECK(iso_date(std::chrono::year{9999} / 12 / 31) == "9999-12-31");
  // Outside 0000..9999 the year keeps its sign and digits.
  CHECK(iso_date(std::chrono::year{10000} / 1 / 1) == "10000-01-01");
  CHECK(iso_instant(at_midnight(std::chrono::year{-1} / 1 / 2) + std::chrono::seconds{3661}) ==
        "-001-01-02T01:01:01Z");
  // The hand-written digits agree with a formatter's, a second apart and days apart.
  for (std::int64_t s = -86'400LL * 800'000; s < 86'400LL * 3'000'000; s += 86'400LL * 997 + 3'607) {
    const Instant t{std::chrono::seconds{s}};
    const std::chrono::year_month_day d{utc_date(t)};
    const auto sec = (t - at_midnight(utc_date(t))).count();
    const auto want = fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", static_cast<int>(d.year()),
                                  static_cast<unsigned>(d.month()), static_cast<unsigned>(d.day()), sec / 3600,
                                  sec / 60 % 60, sec % 60);
    REQUIRE(iso_instant(t) == want);
  }
}

TEST_CASE("domain.time.parse_instant") {
  CHECK(parse_instant("2026-08-14") == at(2026, 8, 14));
  CHECK(parse_instant("2026-08-14T09:30") == at(2026, 8, 14, 9, 30));
  CHECK(parse_instant("2026-08-14T09:30:00Z") == at(2026, 8, 14, 9, 30));
  CHECK(parse_instant("2026-08-14 12:30:00+03:00") == at(2026, 8, 14, 9, 30));
  CHECK(parse_instant("2026-08-14T01:00:00-02:30") == at(2026, 8, 14, 3, 30));
  for (auto bad : {"2026-02-30", "2026-13-01", "14.08.2026", "2026-08-14T25:00", "2026-08-14T09:30Zjunk", ""}) {
    CAPTURE(bad);
    CHECK(error_of([&] { (void)parse_instant(bad, "--now"); }).find("--now: expected an ISO-8601 time") == 0);
  }
}
}  // namespace nudge_domain_test_domain
