#include <doctest/doctest.h>

#include <sstream>

#include <nudge/csv/export.hpp>
#include <nudge/csv/import.hpp>
#include <nudge/storage/memory_storage.hpp>
#include <support/fixtures.hpp>

#include "csv_test_support.hpp"

// Own namespace: the tests build as a unity build.
namespace nudge_csv_test_export {

using namespace nudge;
using namespace nudge::csv;
using namespace nudge::csv::test;
using nudge::test::at;

namespace {

// A store in which every field of every entity is used, with text that needs
// quoting (commas, quotes, line breaks) and non-ASCII text.
void fill_everything(MemoryStorage& s) {
  auto w = s.begin();
  Manager boss = nudge::test::manager(1, "Ivanova, Anna");
  boss.segments = {"*"};
  boss.email = "anna@example.com";
  boss.phone = "+7 900 000-00-01";
  w->put_manager(boss);
  Manager m = nudge::test::manager(2, "Petrov \"Pete\"", 1);
  m.active = false;
  m.leave = {{ymd(2026, 8, 1), ymd(2026, 8, 14)}, {ymd(2026, 12, 30), ymd(2027, 1, 8)}};
  m.segments = {"smb", "retail", "Юг"};
  m.capacity = 250;
  m.weight = 0.3;  // not exact in binary: must still come back bit for bit
  w->put_manager(m);
  Manager none = nudge::test::manager(3, "Sidorov", 1);
  none.segments.clear();
  w->put_manager(none);

  Client c = nudge::test::client(10, "Acme, Inc.", 2, "smb", at(2025, 3, 4, 5, 6) + Seconds{7});
  c.segments.push_back("east");
  c.kind = ClientKind::b2c;
  c.labels = {{"debtor", "1200.00 EUR overdue,\n\"call\" them"}, {"vip", ""}};
  c.release_locked = true;
  c.email = "ops@acme.example";
  c.phone = "+1 555 0100";
  c.time_zone = "America/Chicago";
  c.locale = "en";
  w->put_client(c);
  w->put_client(nudge::test::client(11, "Рога и копыта", 3, "mid"));
  Client bare;
  bare.id = ClientId{12};
  bare.owner = ManagerId{1};
  bare.name = "Bare";
  w->put_client(bare);

  Deal d = nudge::test::deal(100, 10, 2, "lost", at(2026, 1, 10), 1250.55, 0.0);
  d.pipeline = "enterprise";
  d.amount.currency = "EUR";
  d.stage_entered = at(2026, 3, 1, 12);
  d.history = {{"lead", at(2026, 1, 10), at(2026, 2, 1)}, {"proposal", at(2026, 2, 1), at(2026, 3, 1, 12)}};
  d.holds = {{at(2026, 2, 10), at(2026, 2, 20), "client on holiday, back \"soon\""}, {at(2026, 2, 25), std::nullopt, ""}};
  d.status = DealStatus::lost;
  d.loss_reason = "price\ntoo high";
  d.closed = at(2026, 3, 1, 12);
  d.labels = {{"dead", "no next step"}};
  w->put_deal(d);
  Deal open = nudge::test::deal(101, 11, 3, "proposal", at(2026, 6, 1), 99.99, 1.0 / 3.0);
  w->put_deal(open);

  Task t1 = nudge::test::task(7, 10, 2, at(2026, 8, 3));
  t1.deal = DealId{100};
  t1.author = ManagerId{1};
  t1.title = "Send the \"final\" contract, v2";
  t1.planned_start = at(2026, 8, 1, 9);
  t1.state = TaskState::in_progress;
  t1.created = at(2026, 7, 30);
  t1.based_on = TaskId{9};  // a later id: the predecessor comes later in the file
  t1.origin = "nudge:forgotten:client:10:2026-07-30";
  Task t9 = nudge::test::task(9, 10, 2, at(2026, 7, 20));
  t9.state = TaskState::done;
  t9.closed = at(2026, 7, 21, 7);
  Task t8 = nudge::test::task(8, 11, 3, at(2026, 9, 1));
  t8.state = TaskState::cancelled;
  t8.closed = at(2026, 8, 2);
  w->put_task(t9);
  w->put_task(t1);
  w->put_task(t8);

  const ActivityKind kinds[] = {ActivityKind::call_in, ActivityKind::call_out, ActivityKind::call_missed,
                                ActivityKind::email,   ActivityKind::meeting,  ActivityKind::message,
                                ActivityKind::note,    ActivityKind::document, ActivityKind::other};
  std::int64_t id = 1000;
  for (auto k : kinds) {
    Activity a = nudge::test::activity(++id, 10, 2, k, at(2026, 8, 1) + Seconds{id});
    if (k == ActivityKind::other) a.custom_kind = "site visit";
    a.outcome = static_cast<Outcome>(id % 5);
    a.contact = static_cast<Contact>(id % 3);
    a.subject = id % 2 ? "" : "talked about \"renewal\",\r\nnext week";
    w->add_activity(a);
  }
  Activity anonymous = nudge::test::activity(2000, 11, 0, ActivityKind::note, from_unix(-3600));
  w->add_activity(anonymous);

  Invoice i1 = nudge::test::invoice(50, 10, 1000.0, at(2026, 8, 1), at(2026, 8, 15));
  i1.deal = DealId{100};
  i1.amount.currency = "EUR";
  i1.payments = {{at(2026, 8, 10), 40000}, {at(2026, 8, 20), 60000}};
  i1.paid = at(2026, 8, 20);
  w->put_invoice(i1);
  Invoice i2 = nudge::test::invoice(51, 11, 300.0, at(2026, 8, 1), at(2026, 8, 31));
  i2.payments = {{at(2026, 8, 5), 0}};  // a zero payment is still a row
  w->put_invoice(i2);
  w->put_invoice(nudge::test::invoice(52, 11, 0.01, at(2026, 8, 1), at(2026, 8, 31)));
  w->commit();
}

}  // namespace

TEST_CASE("csv.export.round_trip") {
  MemoryStorage original;
  fill_everything(original);
  for (const auto times : {TimeFormat::iso8601, TimeFormat::unix_seconds}) {
    CAPTURE(static_cast<int>(times));
    const auto dir = fresh_dir("round-trip");
    ExportOptions o;
    o.times = times;
    const auto r = export_directory(original, dir, o);
    CHECK(r.rows_of(Entity::managers) == 3);
    CHECK(r.rows_of(Entity::leave) == 2);
    CHECK(r.rows_of(Entity::clients) == 3);
    CHECK(r.rows_of(Entity::labels) == 3);
    CHECK(r.rows_of(Entity::activities) == 10);
    CHECK(r.rows_of(Entity::tasks) == 3);
    CHECK(r.rows_of(Entity::deals) == 2);
    CHECK(r.rows_of(Entity::stage_history) == 2);
    CHECK(r.rows_of(Entity::holds) == 2);
    CHECK(r.rows_of(Entity::invoices) == 3);
    CHECK(r.rows_of(Entity::payments) == 3);

    MemoryStorage copy;
    const auto in = import_directory(copy, dir);
    CHECK(in.total_rows() == 36);
    CHECK(copy.state() == original.state());

    // exporting the copy gives the same bytes
    const auto again = fresh_dir("round-trip-again");
    export_directory(copy, again, o);
    for (auto e : all_entities) {
      CAPTURE(file_name(e));
      CHECK(read_file(again / file_name(e)) == read_file(dir / file_name(e)));
    }
    std::filesystem::remove_all(dir);
    std::filesystem::remove_all(again);
  }
}

TEST_CASE("csv.export.text") {
  MemoryStorage s;
  fill_everything(s);
  std::ostringstream out;
  CHECK(export_entity(s, Entity::clients, out) == 3);
  CHECK(out.str() ==
        "id,name,owner_manager_id,segment,kind,created_at,release_locked,email,phone,time_zone,locale\n"
        "10,\"Acme, Inc.\",2,smb;east,B2C,2025-03-04T05:06:07Z,1,ops@acme.example,+1 555 0100,America/Chicago,en\n"
        "11,Рога и копыта,3,mid,B2B,2025-01-01T00:00:00Z,0,,,,\n"
        "12,Bare,1,,B2B,1970-01-01T00:00:00Z,0,,,,\n");
  std::ostringstream managers;
  ExportOptions unix;
  unix.times = TimeFormat::unix_seconds;
  export_entity(s, Entity::managers, managers, unix);
  CHECK(managers.str() ==
        "id,name,supervisor_id,active,segments,capacity,weight,email,phone\n"
        "1,\"Ivanova, Anna\",,1,*,0,1,anna@example.com,+7 900 000-00-01\n"
        "2,\"Petrov \"\"Pete\"\"\",1,0,smb;retail;Юг,250,0.3,,\n"
        "3,Sidorov,1,1,-,0,1,,\n");
  std::ostringstream deals;
  export_entity(s, Entity::deals, deals, unix);
  CHECK(deals.str() ==
        "id,client_id,owner_id,pipeline,stage,stage_entered_at,opened_at,amount,currency,probability,status,"
        "loss_reason,closed_at\n"
        "100,10,2,enterprise,lost,1772366400,1768003200,1250.55,EUR,0,lost,\"price\ntoo high\",1772366400\n"
        "101,11,3,default,proposal,1780272000,1780272000,99.99,USD,0.3333333333333333,open,,\n");
}

TEST_CASE("csv.export.unrepresentable_segment") {
  MemoryStorage s;
  auto w = s.begin();
  Manager m = nudge::test::manager(1, "A");
  m.segments = {"a;b"};
  w->put_manager(m);
  w->commit();
  std::ostringstream out;
  CHECK_THROWS_AS(export_entity(s, Entity::managers, out), nudge::invalid_argument);
}
}  // namespace nudge_csv_test_export
