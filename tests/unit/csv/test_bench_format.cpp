// The benchmark generator's files (/work/shared/bench/gen.py, columns of
// schema.sql, Unix seconds, empty = NULL) are valid input of the format.

#include <doctest/doctest.h>

#include <cmath>
#include <cstdlib>
#include <map>

#include <nudge/csv/export.hpp>
#include <nudge/csv/import.hpp>
#include <nudge/storage/memory_storage.hpp>

#include "csv_test_support.hpp"

// Own namespace: the tests build as a unity build.
namespace nudge_csv_test_bench_format {

using namespace nudge;
using namespace nudge::csv;
using namespace nudge::csv::test;

namespace {

// A few rows in exactly the generator's shape (headers and number formats).
const char* const bench_managers =
    "id,name,supervisor_id,active\n"
    "1,Manager 1,,1\n"
    "2,Manager 2,1,0\n";
const char* const bench_clients =
    "id,name,owner_manager_id,segment,kind,created_at\n"
    "1,Client 1,2,smb,B2B,1776454981\n"
    "2,Client 2,1,mid,B2C,1734280917\n";
const char* const bench_activities =
    "id,client_id,manager_id,kind,at\n"
    "1,1,2,email,1776616035\n"
    "2,1,1,call_in,1778046760\n"
    "3,2,2,call_missed,1790000000\n";
const char* const bench_deals =
    "id,client_id,owner_id,stage,stage_entered_at,opened_at,amount,probability,status,closed_at\n"
    "1,2,1,won,1773265113,1772610770,19128.09,1.0,won,1773265113\n"
    "2,2,1,proposal,1795000000,1790000000,4765.75,0.5,open,\n";
const char* const bench_invoices =
    "id,client_id,deal_id,amount,issued_at,due_at,paid_at,paid_amount\n"
    "1,1,,1794.93,1784589312,1785798912,1785434550,1794.93\n"
    "2,2,1,19128.09,1773711792,1776303792,,0.00\n"
    "3,2,,250.00,1773711792,1776303792,,100.50\n";
const char* const bench_tasks =
    "id,client_id,deal_id,assignee_id,due_at,done_at\n"
    "1,2,2,1,1797007187,\n"
    "2,1,,2,1790000000,1790003600\n";

std::size_t data_lines(const std::filesystem::path& p) {
  const auto text = read_file(p);
  std::size_t n = 0;
  for (char c : text) n += c == '\n';
  return n - 1;  // the header
}

}  // namespace

TEST_CASE("csv.bench.sample") {
  MemoryStorage s;
  const auto r = import_texts(s, {{Entity::managers, bench_managers},
                                  {Entity::clients, bench_clients},
                                  {Entity::activities, bench_activities},
                                  {Entity::deals, bench_deals},
                                  {Entity::invoices, bench_invoices},
                                  {Entity::tasks, bench_tasks}});
  CHECK(r.total_rows() == 14);
  CHECK_FALSE(s.find_manager(ManagerId{2})->active);
  CHECK(s.find_manager(ManagerId{2})->supervisor == ManagerId{1});
  const auto c = s.find_client(ClientId{2});
  CHECK(c->kind == ClientKind::b2c);
  CHECK(c->segments == std::vector<std::string>{"mid"});
  CHECK(c->created == from_unix(1734280917));
  const auto won = s.find_deal(DealId{1});
  CHECK(won->amount == Money{1912809, "USD"});
  CHECK(won->probability == 1.0);
  CHECK(won->status == DealStatus::won);
  CHECK(won->closed == from_unix(1773265113));
  CHECK(won->stage_entered == from_unix(1773265113));
  CHECK_FALSE(s.find_deal(DealId{2})->closed);
  CHECK(s.find_invoice(InvoiceId{1})->paid == from_unix(1785434550));
  CHECK(s.find_invoice(InvoiceId{1})->outstanding_cents() == 0);
  CHECK(s.find_invoice(InvoiceId{2})->deal == DealId{1});
  CHECK(s.find_invoice(InvoiceId{3})->outstanding_cents() == 14950);
  CHECK(s.find_task(TaskId{1})->state == TaskState::attention);
  CHECK(s.find_task(TaskId{1})->deal == DealId{2});
  CHECK(s.find_task(TaskId{2})->state == TaskState::done);
  CHECK(s.activities_of(ClientId{1}, Instant{}).size() == 2);
}

// The generator's real output at scale S. Runs when NUDGE_CSV_BENCH_DIR names
// a directory made by `gen.py --scale S --seed 42` (CTest sets it up: see
// tests/CMakeLists.txt); checks the row counts and two of the baseline's
// published result signatures (README.md of the benchmark), which need every
// amount, probability, status and payment read right.
TEST_CASE("csv.bench.generated_S") {
  const char* env = std::getenv("NUDGE_CSV_BENCH_DIR");
  if (!env || !*env) {
    MESSAGE("NUDGE_CSV_BENCH_DIR is not set: skipped");
    return;
  }
  const std::filesystem::path dir = env;
  MemoryStorage s;
  const auto r = import_directory(s, dir);
  for (auto e : {Entity::managers, Entity::clients, Entity::activities, Entity::tasks, Entity::deals, Entity::invoices}) {
    CAPTURE(file_name(e));
    CHECK(r.rows_of(e) == data_lines(dir / file_name(e)));
  }
  CHECK(r.rows_of(Entity::clients) == 10'000);
  CHECK(r.rows_of(Entity::managers) == 50);

  const Instant now = from_unix(1795305600);
  // forecast: per owner, sum(amount * probability) over open deals -> [50, 1275, 7523388.81, 2432]
  std::map<std::int64_t, std::pair<double, std::int64_t>> forecast;
  s.scan_open_deals([&](std::span<const DealView> batch) {
    for (const auto& v : batch) {
      auto& f = forecast[v.deal->owner.value()];
      f.first += static_cast<double>(v.deal->amount.cents) / 100.0 * v.deal->probability;
      ++f.second;
    }
  });
  std::int64_t owners = 0, n_open = 0;
  double weighted = 0;
  for (const auto& [owner, f] : forecast) {
    owners += owner;
    weighted += std::round(f.first * 100.0) / 100.0;
    n_open += f.second;
  }
  CHECK(forecast.size() == 50);
  CHECK(owners == 1275);
  CHECK(n_open == 2432);
  CHECK(std::fabs(weighted - 7523388.81) < 0.05);

  // R5 debtor: unpaid invoices due before NOW - 14 d, per client -> [1376, 6916512, 1447, 6234418.09]
  std::map<std::int64_t, std::pair<std::int64_t, std::int64_t>> debt;  // client -> (count, cents)
  s.scan_unpaid_invoices([&](std::span<const Invoice> batch) {
    for (const auto& i : batch)
      if (i.due < now - Days{14}) {
        auto& d = debt[i.client.value()];
        ++d.first;
        d.second += i.outstanding_cents();
      }
  });
  std::int64_t clients = 0, count = 0, cents = 0;
  for (const auto& [c, d] : debt) {
    clients += c;
    count += d.first;
    cents += d.second;
  }
  CHECK(debt.size() == 1376);
  CHECK(clients == 6916512);
  CHECK(count == 1447);
  CHECK(cents == 623441809);

  // and the export of it reads back as the same store
  const auto out = fresh_dir("bench-S-export");
  export_directory(s, out);
  MemoryStorage copy;
  import_directory(copy, out);
  CHECK(copy.state() == s.state());
  std::filesystem::remove_all(out);
}
}  // namespace nudge_csv_test_bench_format
