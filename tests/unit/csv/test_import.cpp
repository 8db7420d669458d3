#include <doctest/doctest.h>

#include <memory>
#include <random>
#include <sstream>

#include <nudge/csv/import.hpp>
#include <nudge/storage/memory_storage.hpp>
#include <support/fixtures.hpp>

#include "csv_test_support.hpp"

// Own namespace: the tests build as a unity build.
namespace nudge_csv_test_import {

using namespace nudge;
using namespace nudge::csv;
using namespace nudge::csv::test;
using nudge::test::at;

// ---- good files, one entity at a time ---------------------------------------------------

TEST_CASE("csv.import.managers") {
  MemoryStorage s;
  std::istringstream in(
      "id,name,supervisor_id,active,segments,capacity,weight,email,phone\n"
      "2,Petrov,1,0,smb;retail,120,1.5,petrov@example.com,+7 900 000 00 02\n"  // supervisor named before its row
      "1,Ivanova,,1,,,,,\n"
      "3,Sidorov,1,true,-,,,,\n");
  const auto r = import_managers(s, in);
  CHECK(r.rows_of(Entity::managers) == 3);
  CHECK(r.committed);
  const auto p = s.find_manager(ManagerId{2});
  REQUIRE(p);
  CHECK(p->name == "Petrov");
  CHECK(p->supervisor == ManagerId{1});
  CHECK_FALSE(p->active);
  CHECK(p->segments == std::vector<std::string>{"smb", "retail"});
  CHECK(p->capacity == 120);
  CHECK(p->weight == 1.5);
  CHECK(p->email == "petrov@example.com");
  CHECK(p->phone == "+7 900 000 00 02");
  const auto i = s.find_manager(ManagerId{1});
  CHECK(i->segments == std::vector<std::string>{"*"});  // absent -> the default: every segment
  CHECK(i->active);
  CHECK_FALSE(i->supervisor);
  CHECK(s.find_manager(ManagerId{3})->segments.empty());  // "-" -> no segment at all
}

TEST_CASE("csv.import.clients") {
  MemoryStorage s;
  seed(s);
  std::istringstream in(
      "id,name,owner_manager_id,segment,kind,created_at,release_locked,email,phone,time_zone,locale\n"
      "20,\"Initech, LLC\",2,mid;east,B2C,2026-08-14T09:30:00Z,1,ops@initech.example,+1 555 0100,America/Chicago,en\n"
      "21,Umbrella,1,,,,,,,,\n");
  const auto r = import_clients(s, in);
  CHECK(r.rows_of(Entity::clients) == 2);
  const auto c = s.find_client(ClientId{20});
  REQUIRE(c);
  CHECK(c->name == "Initech, LLC");
  CHECK(c->owner == ManagerId{2});
  CHECK(c->segments == std::vector<std::string>{"mid", "east"});
  CHECK(c->kind == ClientKind::b2c);
  CHECK(c->created == at(2026, 8, 14, 9, 30));
  CHECK(c->release_locked);
  CHECK(c->email == "ops@initech.example");
  CHECK(c->time_zone == "America/Chicago");
  CHECK(c->locale == "en");
  const auto u = s.find_client(ClientId{21});
  CHECK(u->segments.empty());
  CHECK(u->kind == ClientKind::b2b);
  CHECK(u->created == Instant{});
  CHECK_FALSE(u->release_locked);
}

TEST_CASE("csv.import.activities") {
  MemoryStorage s;
  seed(s);
  std::istringstream in(
      "id,client_id,manager_id,kind,custom_kind,at,outcome,contact,subject\n"
      "100,10,2,call_out,,2026-08-14T09:30:00Z,reached,,first call\n"
      "101,10,,other,site visit,2026-08-15,completed,yes,\n"
      "102,11,1,note,,1786700000,,no,\"said \"\"call me in May\"\"\"\n");
  const auto r = import_activities(s, in);
  CHECK(r.rows_of(Entity::activities) == 3);
  const auto acts = s.activities_of(ClientId{10}, Instant{});
  REQUIRE(acts.size() == 2);
  CHECK(acts[0].id == ActivityId{100});
  CHECK(acts[0].kind == ActivityKind::call_out);
  CHECK(acts[0].outcome == Outcome::reached);
  CHECK(acts[0].contact == Contact::by_kind);
  CHECK(acts[0].subject == "first call");
  CHECK(acts[1].kind == ActivityKind::other);
  CHECK(acts[1].custom_kind == "site visit");
  CHECK_FALSE(acts[1].manager.valid());
  CHECK(acts[1].at == at(2026, 8, 15));
  CHECK(acts[1].contact == Contact::yes);
  const auto n = s.activities_of(ClientId{11}, Instant{});
  REQUIRE(n.size() == 1);
  CHECK(n[0].at == from_unix(1786700000));
  CHECK(n[0].contact == Contact::no);
  CHECK(n[0].subject == "said \"call me in May\"");
}

TEST_CASE("csv.import.deals_with_history_holds_and_labels") {
  MemoryStorage s;
  seed(s);
  import_texts(s, {{Entity::deals,
                    "id,client_id,owner_id,pipeline,stage,stage_entered_at,opened_at,amount,currency,probability,status,"
                    "loss_reason,closed_at\n"
                    "7,10,2,sales,lost,2026-03-01,2026-01-10,1250.5,EUR,0,lost,price too high,2026-03-01\n"
                    "8,11,2,,proposal,,2026-02-01,,,0.25,,,\n"},
                   {Entity::stage_history,
                    "deal_id,stage,entered_at,left_at\n"
                    "7,lead,2026-01-10,2026-02-01\n"
                    "7,proposal,2026-02-01,2026-03-01\n"},
                   {Entity::holds, "deal_id,from_at,to_at,reason\n7,2026-02-10,2026-02-20,client on holiday\n8,2026-02-05,,\n"},
                   {Entity::labels, "subject,subject_id,label,note\ndeal,7,dead,\"no answer, 3 calls\"\nclient,10,vip,\n"},
                   {Entity::clients, "id,name,owner_manager_id\n10,Acme,2\n"}});
  const auto d = s.find_deal(DealId{7});
  REQUIRE(d);
  CHECK(d->pipeline == "sales");
  CHECK(d->stage == "lost");
  CHECK(d->amount == Money{125050, "EUR"});
  CHECK(d->status == DealStatus::lost);
  CHECK(d->loss_reason == "price too high");
  CHECK(d->closed == at(2026, 3, 1));
  CHECK(d->opened == at(2026, 1, 10));
  CHECK(d->stage_entered == at(2026, 3, 1));
  REQUIRE(d->history.size() == 2);
  CHECK(d->history[0] == StageVisit{"lead", at(2026, 1, 10), at(2026, 2, 1)});
  CHECK(d->history[1].stage == "proposal");
  REQUIRE(d->holds.size() == 1);
  CHECK(d->holds[0] == Hold{at(2026, 2, 10), at(2026, 2, 20), "client on holiday"});
  CHECK(d->labels == std::map<std::string, std::string>{{"dead", "no answer, 3 calls"}});
  CHECK(s.find_client(ClientId{10})->labels.count("vip") == 1);

  const auto e = s.find_deal(DealId{8});
  CHECK(e->pipeline == "default");
  CHECK(e->stage_entered == e->opened);  // absent -> opened
  CHECK(e->amount == Money{0, "USD"});
  CHECK(e->status == DealStatus::open);
  CHECK(e->probability == 0.25);
  REQUIRE(e->holds.size() == 1);
  CHECK_FALSE(e->holds[0].to);
}

TEST_CASE("csv.import.tasks") {
  MemoryStorage s;
  seed(s);
  import_texts(s, {{Entity::deals, "id,client_id,owner_id,stage,opened_at\n7,10,2,lead,2026-01-10\n"},
                   {Entity::tasks,
                    "id,client_id,deal_id,assignee_id,author_id,title,planned_start_at,due_at,state,created_at,done_at,"
                    "based_on_task_id,origin\n"
                    "5,10,7,2,1,\"Send the contract\",2026-08-01,2026-08-03,in_progress,2026-07-30,,4,\n"  // 4 comes later
                    "4,10,,2,,Call back,,2026-07-20,done,,2026-07-21T10:00:00+03:00,,forgotten:client:10\n"
                    "6,11,,1,,,,2026-09-01,cancelled,,2026-08-02,,\n"}});
  const auto t = s.find_task(TaskId{5});
  REQUIRE(t);
  CHECK(t->deal == DealId{7});
  CHECK(t->author == ManagerId{1});
  CHECK(t->title == "Send the contract");
  CHECK(t->planned_start == at(2026, 8, 1));
  CHECK(t->due == at(2026, 8, 3));
  CHECK(t->state == TaskState::in_progress);
  CHECK(t->created == at(2026, 7, 30));
  CHECK(t->based_on == TaskId{4});
  const auto d = s.find_task(TaskId{4});
  CHECK(d->state == TaskState::done);
  CHECK(d->closed == at(2026, 7, 21, 7));  // +03:00
  CHECK(d->origin == "forgotten:client:10");
  CHECK(s.find_task(TaskId{6})->state == TaskState::cancelled);
}

TEST_CASE("csv.import.tasks.state_from_done_at") {
  // The benchmark's tasks have no state column: done when done_at is set.
  MemoryStorage s;
  seed(s);
  std::istringstream in("id,client_id,deal_id,assignee_id,due_at,done_at\n1,10,,2,1795305600,\n2,10,,2,1795305600,1795300000\n");
  import_tasks(s, in);
  CHECK(s.find_task(TaskId{1})->state == TaskState::attention);
  CHECK(s.find_task(TaskId{2})->state == TaskState::done);
  CHECK(s.find_task(TaskId{2})->closed == from_unix(1795300000));
}

TEST_CASE("csv.import.invoices_and_payments") {
  MemoryStorage s;
  seed(s);
  import_texts(s, {{Entity::invoices,
                    "id,client_id,deal_id,amount,currency,issued_at,due_at,paid_at,paid_amount\n"
                    "1,10,,1000.00,EUR,2026-08-01,2026-08-15,2026-08-20,1000.00\n"  // rows in payments.csv
                    "2,10,,500,,2026-08-01,2026-08-31,2026-08-10,500.00\n"         // bench form: one sum, settled
                    "3,11,,300,,2026-08-01,2026-08-31,,120.50\n"                   // bench form: partly paid
                    "4,11,,300,,2026-08-01,2026-08-31,,0.00\n"},
                   {Entity::payments, "invoice_id,at,amount\n1,2026-08-10,400\n1,2026-08-20,600.00\n"}});
  const auto i1 = s.find_invoice(InvoiceId{1});
  REQUIRE(i1);
  CHECK(i1->amount == Money{100000, "EUR"});
  CHECK(i1->payments == std::vector<Payment>{{at(2026, 8, 10), 40000}, {at(2026, 8, 20), 60000}});
  CHECK(i1->paid == at(2026, 8, 20));
  const auto i2 = s.find_invoice(InvoiceId{2});
  CHECK(i2->payments == std::vector<Payment>{{at(2026, 8, 10), 50000}});
  const auto i3 = s.find_invoice(InvoiceId{3});
  CHECK(i3->payments == std::vector<Payment>{{at(2026, 8, 1), 12050}});  // dated when issued: the data has no date
  CHECK_FALSE(i3->is_paid());
  CHECK(i3->outstanding_cents() == 17950);
  CHECK(s.find_invoice(InvoiceId{4})->payments.empty());
}

TEST_CASE("csv.import.leave") {
  MemoryStorage s;
  import_texts(s, {{Entity::managers, "id,name\n1,Ivanova\n"},
                   {Entity::leave, "manager_id,first_day,last_day\n1,2026-08-01,2026-08-14\n1,2026-12-30,2027-01-08\n"}});
  const auto m = s.find_manager(ManagerId{1});
  REQUIRE(m->leave.size() == 2);
  CHECK(m->leave[0] == DateRange{ymd(2026, 8, 1), ymd(2026, 8, 14)});
  CHECK(m->on_leave(ymd(2027, 1, 2)));
}

// ---- times -------------------------------------------------------------------------------

TEST_CASE("csv.import.times") {
  struct Case {
    const char* text;
    Instant expected;
  };
  const Case cases[] = {
      {"2026-08-14T09:30:00Z", at(2026, 8, 14, 9, 30)},
      {"2026-08-14T12:30:00+03:00", at(2026, 8, 14, 9, 30)},
      {"2026-08-14T04:00:00-0530", at(2026, 8, 14, 9, 30)},
      {"2026-08-14T10:30+01", at(2026, 8, 14, 9, 30)},
      {"2026-08-14 09:30:00.750Z", at(2026, 8, 14, 9, 30)},  // a fraction is truncated
      {"2026-08-14", at(2026, 8, 14)},
      {"1786699800", at(2026, 8, 14, 9, 30)},
      {"0", from_unix(0)},
      {"-86400", from_unix(-86400)},
      {"2028-02-29T23:59:59Z", at(2028, 2, 29, 23, 59) + Seconds{59}},
  };
  for (const auto& c : cases) {
    CAPTURE(c.text);
    MemoryStorage s;
    seed(s);
    std::istringstream in(std::string("id,client_id,kind,at\n1,10,email,") + c.text + "\n");
    import_activities(s, in);
    const auto a = s.activities_of(ClientId{10}, Instant{Seconds{-1000000}});
    REQUIRE(a.size() == 1);
    CHECK(a[0].at == c.expected);
  }
}

TEST_CASE("csv.import.times.rejected") {
  const char* bad[] = {"2026-13-01", "2026-02-30", "2026-08-14T09:30", "2026-08-14T24:00Z", "2026-08-14T09:30:00+3",
                       "14.08.2026", "2026-08-14Z", "1786699800.5", "17866998OO", "2026-8-14"};
  for (const char* b : bad) {
    CAPTURE(b);
    MemoryStorage s;
    seed(s);
    std::istringstream in(std::string("id,client_id,kind,at\n1,10,email,") + b + "\n");
    const auto p = problems([&] { import_activities(s, in); });
    REQUIRE(p.size() == 1);
    CHECK(p[0] == fmt::format("activities.csv:2: column 'at': cannot read '{}' as a time (ISO-8601 such as "
                              "2026-08-14T09:30:00Z, 2026-08-14T12:30:00+03:00 or 2026-08-14, or Unix seconds)",
                              b));
  }
}

// ---- the text layer: quoting, line ends, BOM ----------------------------------------------

TEST_CASE("csv.import.text.quoting_crlf_bom_and_embedded_newlines") {
  const std::string rows =
      "id,name,owner_manager_id,segment\r\n"
      "20,\"Initech, LLC\",2,smb\r\n"
      "21,\"He said \"\"hi\"\"\",2,smb\r\n"
      "22,\"two\r\nlines\",2,smb\r\n"
      "\r\n"  // a blank line is skipped
      "23,Quoted empty,2,\"\"\r\n"  // "" is an empty field: absent
      "24,Plain,\"2\",smb";  // no line end at the end
  for (const bool bom : {false, true}) {
    CAPTURE(bom);
    MemoryStorage s;
    seed(s);
    std::istringstream in((bom ? "\xEF\xBB\xBF" : "") + rows);
    CHECK(import_clients(s, in).rows_of(Entity::clients) == 5);
    CHECK(s.find_client(ClientId{20})->name == "Initech, LLC");
    CHECK(s.find_client(ClientId{21})->name == "He said \"hi\"");
    CHECK(s.find_client(ClientId{22})->name == "two\r\nlines");
    CHECK(s.find_client(ClientId{23})->segments.empty());
    CHECK(s.find_client(ClientId{24})->name == "Plain");
  }
}

TEST_CASE("csv.import.text.line_numbers_count_embedded_newlines") {
  MemoryStorage s;
  seed(s);
  std::istringstream in(
      "id,name,owner_manager_id\n"
      "20,\"a\nb\nc\",2\n"  // lines 2-4
      "\n"                  // line 5
      "21,x,77\n");         // line 6
  CHECK(problems([&] { import_clients(s, in); }) ==
        std::vector<std::string>{"clients.csv:6: column 'owner_manager_id': unknown manager 77"});
}

TEST_CASE("csv.import.text.utf8") {
  MemoryStorage s;
  seed(s);
  SUBCASE("valid UTF-8 is kept") {
    std::istringstream in("id,name,owner_manager_id\n20,Рога и копыта 🦌,2\n");
    import_clients(s, in);
    CHECK(s.find_client(ClientId{20})->name == "Рога и копыта 🦌");
  }
  SUBCASE("invalid UTF-8 is rejected naming the line") {
    std::istringstream in("id,name,owner_manager_id\n20,ok,2\n21,Caf\xE9,2\n22,\xC0\xAF,2\n23,\xED\xA0\x80,2\n");
    CHECK(problems([&] { import_clients(s, in); }) ==
          std::vector<std::string>{"clients.csv:3: column 'name': invalid UTF-8 in 'Caf\\xE9'",
                                   "clients.csv:4: column 'name': invalid UTF-8 in '\\xC0\\xAF'",
                                   "clients.csv:5: column 'name': invalid UTF-8 in '\\xED\\xA0\\x80'"});
  }
}

TEST_CASE("csv.import.text.large_fields_cross_buffer_boundaries") {
  // The reader works in 1 MiB chunks: a field larger than that, and many rows
  // so records straddle chunk ends, quoted and not.
  MemoryStorage s;
  seed(s);
  std::string big(3'000'000, 'x');
  big[1'500'000] = '"';
  std::string text = "id,name,owner_manager_id\n";
  text += "1,\"" + std::string(big).replace(1'500'000, 1, "\"\"") + "\",2\n";
  for (int i = 2; i <= 60'000; ++i) text += fmt::format("{},\"Client, {}\",2\n", i, i);
  std::istringstream in(text);
  CHECK(import_clients(s, in).rows_of(Entity::clients) == 60'000);
  CHECK(s.find_client(ClientId{1})->name == big);
  CHECK(s.find_client(ClientId{60'000})->name == "Client, 60000");
}

TEST_CASE("csv.import.text.malformed_quotes") {
  MemoryStorage s;
  seed(s);
  SUBCASE("text after a closing quote") {
    std::istringstream in("id,name,owner_manager_id\n20,\"Acme\"x,2\n21,Fine,77\n");
    CHECK(problems([&] { import_clients(s, in); }) ==
          std::vector<std::string>{
              "clients.csv:2: unexpected character after a closing quote (a field with quotes must be quoted whole)",
              "clients.csv:3: column 'owner_manager_id': unknown manager 77"});
  }
  SUBCASE("a quote that is never closed") {
    std::istringstream in("id,name,owner_manager_id\n20,ok,2\n21,\"Acme,2\n22,x,2\n");
    CHECK(problems([&] { import_clients(s, in); }) ==
          std::vector<std::string>{"clients.csv:3: a quoted field is not closed before the end of the file"});
  }
}

TEST_CASE("csv.import.text.empty_input") {
  MemoryStorage s;
  std::istringstream in("");
  CHECK(import_clients(s, in).rows_of(Entity::clients) == 0);
  std::istringstream header_only("id,name,owner_manager_id\n");
  CHECK(import_clients(s, header_only).rows_of(Entity::clients) == 0);
}

// ---- every kind of problem, with its exact message ---------------------------------------

TEST_CASE("csv.import.errors.header") {
  MemoryStorage s;
  seed(s);
  SUBCASE("missing required column") {
    std::istringstream in("id,name,segment\n20,Acme,smb\n");
    CHECK(problems([&] { import_clients(s, in); }) ==
          std::vector<std::string>{"clients.csv:1: column 'owner_manager_id': required column is missing"});
  }
  SUBCASE("unknown column") {
    std::istringstream in("id,name,owner_manager_id,colour\n20,Acme,2,red\n");
    CHECK(problems([&] { import_clients(s, in); }) ==
          std::vector<std::string>{
              "clients.csv:1: column 'colour': unknown column (expected: id, name, owner_manager_id, segment, kind, "
              "created_at, release_locked, email, phone, time_zone, locale)"});
  }
  SUBCASE("a column twice") {
    std::istringstream in("id,name,owner_manager_id,name\n20,Acme,2,Acme\n");
    CHECK(problems([&] { import_clients(s, in); }) ==
          std::vector<std::string>{"clients.csv:1: column 'name': the column appears twice"});
  }
  SUBCASE("column order is free") {
    std::istringstream in("owner_manager_id,name,id\n2,Acme Two,20\n");
    import_clients(s, in);
    CHECK(s.find_client(ClientId{20})->name == "Acme Two");
  }
}

TEST_CASE("csv.import.errors.rows") {
  MemoryStorage s;
  seed(s);
  struct Case {
    std::string name;
    Entity entity;
    std::string text;
    std::vector<std::string> expected;
  };
  const Case cases[] = {
      {"unknown reference", Entity::clients, "id,name,owner_manager_id\n20,Acme,2\n21,Initech,77\n",
       {"clients.csv:3: column 'owner_manager_id': unknown manager 77"}},
      {"unknown client", Entity::activities, "id,client_id,manager_id,kind,at\n1,99,2,email,2026-08-14\n",
       {"activities.csv:2: column 'client_id': unknown client 99"}},
      {"unknown manager of an activity", Entity::activities, "id,client_id,manager_id,kind,at\n1,10,9,email,2026-08-14\n",
       {"activities.csv:2: column 'manager_id': unknown manager 9"}},
      {"unknown deal", Entity::invoices, "id,client_id,deal_id,amount,issued_at,due_at\n1,10,5,10,2026-08-01,2026-08-15\n",
       {"invoices.csv:2: column 'deal_id': unknown deal 5"}},
      {"unknown predecessor task", Entity::tasks, "id,client_id,assignee_id,due_at,based_on_task_id\n1,10,2,2026-08-01,3\n",
       {"tasks.csv:2: column 'based_on_task_id': unknown task 3"}},
      {"unknown supervisor", Entity::managers, "id,name,supervisor_id\n5,A,6\n",
       {"managers.csv:2: column 'supervisor_id': unknown manager 6"}},
      {"duplicate id", Entity::clients, "id,name,owner_manager_id\n20,Acme,2\n20,Acme again,2\n",
       {"clients.csv:3: column 'id': duplicate client 20 in this file"}},
      {"unparsable id", Entity::clients, "id,name,owner_manager_id\nx20,Acme,2\n0,Zero,2\n",
       {"clients.csv:2: column 'id': cannot read 'x20' as an id (a positive integer)",
        "clients.csv:3: column 'id': cannot read '0' as an id (a positive integer)"}},
      {"unparsable amount", Entity::invoices, "id,client_id,amount,issued_at,due_at\n1,10,12.3.4,2026-08-01,2026-08-15\n",
       {"invoices.csv:2: column 'amount': cannot read '12.3.4' as an amount (a decimal number such as 1250.50)"}},
      {"negative amount", Entity::deals, "id,client_id,owner_id,stage,opened_at,amount\n1,10,2,lead,2026-08-01,-5.00\n",
       {"deals.csv:2: column 'amount': must not be negative, got -5.00"}},
      {"negative payment", Entity::payments, "invoice_id,at,amount\n1,2026-08-01,-1\n",
       {"payments.csv:2: column 'amount': must not be negative, got -1"}},
      {"probability out of range", Entity::deals,
       "id,client_id,owner_id,stage,opened_at,probability\n1,10,2,lead,2026-08-01,1.5\n2,10,2,lead,2026-08-01,high\n",
       {"deals.csv:2: column 'probability': must be in [0, 1], got 1.5",
        "deals.csv:3: column 'probability': cannot read 'high' as a number"}},
      {"unknown activity kind", Entity::activities, "id,client_id,kind,at\n1,10,fax,2026-08-14\n",
       {"activities.csv:2: column 'kind': unknown activity kind 'fax' (expected call_in, call_out, call_missed, "
        "email, meeting, message, note, document or other)"}},
      {"unknown deal status", Entity::deals, "id,client_id,owner_id,stage,opened_at,status\n1,10,2,lead,2026-08-01,stalled\n",
       {"deals.csv:2: column 'status': unknown deal status 'stalled' (expected open, won or lost)"}},
      {"unknown task state", Entity::tasks, "id,client_id,assignee_id,due_at,state\n1,10,2,2026-08-01,waiting\n",
       {"tasks.csv:2: column 'state': unknown task state 'waiting' (expected attention, in_progress, done or "
        "cancelled)"}},
      {"unknown client kind", Entity::clients, "id,name,owner_manager_id,kind\n20,Acme,2,B2G\n",
       {"clients.csv:2: column 'kind': unknown client kind 'B2G' (expected B2B, B2C, b2b or b2c)"}},
      {"wrong field count", Entity::clients, "id,name,owner_manager_id\n20,Acme,2\n21,Initech\n22,Globex,2,x\n",
       {"clients.csv:3: row has 2 fields, the header has 3", "clients.csv:4: row has 4 fields, the header has 3"}},
      {"required value", Entity::clients, "id,name,owner_manager_id\n20,,2\n",
       {"clients.csv:2: column 'name': a value is required"}},
      {"bad flag", Entity::managers, "id,name,active\n5,A,maybe\n",
       {"managers.csv:2: column 'active': cannot read 'maybe' as a yes/no value (1, 0, true, false)"}},
      {"bad currency", Entity::deals, "id,client_id,owner_id,stage,opened_at,currency\n1,10,2,lead,2026-08-01,usd\n",
       {"deals.csv:2: column 'currency': must be a 3-letter ISO 4217 code such as USD, got 'usd'"}},
      {"empty segment", Entity::clients, "id,name,owner_manager_id,segment\n20,Acme,2,smb;;mid\n",
       {"clients.csv:2: column 'segment': empty segment name in 'smb;;mid'"}},
      {"bad date", Entity::leave, "manager_id,first_day,last_day\n1,2026-08-01,2026-08-32\n",
       {"leave.csv:2: column 'last_day': cannot read '2026-08-32' as a date (YYYY-MM-DD)"}},
      {"leave backwards", Entity::leave, "manager_id,first_day,last_day\n1,2026-08-14,2026-08-01\n",
       {"leave.csv:2: column 'last_day': 2026-08-01 is before first_day 2026-08-14"}},
      {"duplicate label", Entity::labels, "subject,subject_id,label,note\nclient,10,vip,\nclient,10,vip,again\n",
       {"labels.csv:3: column 'label': duplicate label 'vip' for client 10",
        "labels.csv:2: column 'subject_id': client 10 is not in clients.csv (these rows belong to a row of that "
        "file)"}},
      {"unknown label subject", Entity::labels, "subject,subject_id,label\ninvoice,1,x\n",
       {"labels.csv:2: column 'subject': unknown subject 'invoice' (expected client or deal)"}},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    const auto before = s.state();
    std::istringstream in(c.text);
    CHECK(problems([&] { import_entity(s, c.entity, in); }) == c.expected);
    CHECK(s.state() == before);
  }
}

TEST_CASE("csv.import.errors.domain_rules_map_to_columns") {
  MemoryStorage s;
  seed(s);
  struct Case {
    Entity entity;
    std::string text;
    std::string expected;
  };
  const Case cases[] = {
      {Entity::deals, "id,client_id,owner_id,stage,opened_at,stage_entered_at\n1,10,2,lead,2026-02-01,2026-01-01\n",
       "deals.csv:2: column 'stage_entered_at': 2026-01-01T00:00:00Z is before opened 2026-02-01T00:00:00Z"},
      {Entity::deals, "id,client_id,owner_id,stage,opened_at,status\n1,10,2,won,2026-02-01,won\n",
       "deals.csv:2: column 'closed_at': required when the deal is won"},
      {Entity::tasks, "id,client_id,assignee_id,due_at,state\n1,10,2,2026-08-01,done\n",
       "tasks.csv:2: column 'done_at': required when the state is done"},
      {Entity::tasks, "id,client_id,assignee_id,due_at,planned_start_at\n1,10,2,2026-08-01,2026-08-05\n",
       "tasks.csv:2: column 'due_at': 2026-08-01T00:00:00Z is before the planned start 2026-08-05T00:00:00Z"},
      {Entity::activities, "id,client_id,kind,at\n1,10,other,2026-08-14\n",
       "activities.csv:2: column 'custom_kind': required when kind is 'other'"},
      {Entity::invoices, "id,client_id,amount,issued_at,due_at\n1,10,5,2026-08-15,2026-08-01\n",
       "invoices.csv:2: column 'due_at': 2026-08-01T00:00:00Z is before issued 2026-08-15T00:00:00Z"},
      {Entity::managers, "id,name,supervisor_id\n5,A,5\n",
       "managers.csv:2: column 'supervisor_id': a manager cannot supervise themselves"},
      {Entity::managers, "id,name,weight\n5,A,0\n", "managers.csv:2: column 'weight': must be > 0"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.text);
    const auto before = s.state();
    std::istringstream in(c.text);
    CHECK(problems([&] { import_entity(s, c.entity, in); }) == std::vector<std::string>{c.expected});
    CHECK(s.state() == before);
  }
}

TEST_CASE("csv.import.errors.activity_already_stored") {
  MemoryStorage s;
  seed(s);
  std::istringstream first("id,client_id,kind,at\n1,10,email,2026-08-14\n");
  import_activities(s, first);
  SUBCASE("an error by default") {
    std::istringstream again("id,client_id,kind,at\n2,10,email,2026-08-15\n1,10,email,2026-08-14\n");
    CHECK(problems([&] { import_activities(s, again); }) ==
          std::vector<std::string>{
              "activities.csv:3: column 'id': activity 1 is already stored (activities are never replaced)"});
  }
  SUBCASE("skipped when asked") {
    std::istringstream again("id,client_id,kind,at\n2,10,email,2026-08-15\n1,10,email,2026-08-14\n");
    ImportOptions o;
    o.skip_existing_activities = true;
    const auto r = import_activities(s, again, o);
    CHECK(r.skipped_activities == 1);
    CHECK(r.rows_of(Entity::activities) == 2);
    CHECK(s.activities_of(ClientId{10}, Instant{}).size() == 2);
  }
}

TEST_CASE("csv.import.errors.paid_amount_disagrees_with_payments") {
  MemoryStorage s;
  seed(s);
  CHECK(problems([&] {
          import_texts(s, {{Entity::invoices,
                            "id,client_id,amount,issued_at,due_at,paid_amount\n1,10,100,2026-08-01,2026-08-15,90\n"},
                           {Entity::payments, "invoice_id,at,amount\n1,2026-08-02,80\n"}});
        }) == std::vector<std::string>{"invoices.csv:2: column 'paid_amount': is 90.00 but the rows of payments.csv for "
                                       "this invoice add up to 80.00"});
}

TEST_CASE("csv.import.errors.lists_rows_of_a_parent_that_never_came") {
  MemoryStorage s;
  seed(s);
  CHECK(problems([&] {
          import_texts(s, {{Entity::stage_history, "deal_id,stage,entered_at\n9,lead,2026-08-01\n"},
                           {Entity::payments, "invoice_id,at,amount\n4,2026-08-01,1\n"}});
        }) == std::vector<std::string>{
                  "stage_history.csv:2: column 'deal_id': deal 9 is not in deals.csv (these rows belong to a row of "
                  "that file)",
                  "payments.csv:2: column 'invoice_id': invoice 4 is not in invoices.csv (these rows belong to a row "
                  "of that file)"});
}

TEST_CASE("csv.import.errors.limit") {
  MemoryStorage s;
  seed(s);
  std::string text = "id,name,owner_manager_id\n";
  for (int i = 1; i <= 60; ++i) text += fmt::format("{},C{},77\n", i, i);
  std::istringstream in(text);
  try {
    import_clients(s, in);
    FAIL("no error");
  } catch (const import_error& e) {
    CHECK(e.total() == 60);
    REQUIRE(e.issues().size() == 50);
    CHECK(e.issues()[0] == ImportIssue{"clients.csv", 2, "owner_manager_id", "unknown manager 77"});
    const std::string what = e.what();
    CHECK(what.rfind("csv import: 60 problems, nothing was imported\nclients.csv:2: column 'owner_manager_id': "
                     "unknown manager 77\n",
                     0) == 0);
    CHECK(what.size() > 20);
    CHECK(what.substr(what.size() - 16) == "\n... and 10 more");
  }
  SUBCASE("the limit is an option") {
    std::istringstream again(text);
    ImportOptions o;
    o.max_errors = 3;
    try {
      import_clients(s, again, o);
    } catch (const import_error& e) {
      CHECK(e.issues().size() == 3);
      CHECK(e.total() == 60);
    }
  }
}

TEST_CASE("csv.import.error_type") {
  MemoryStorage s;
  std::istringstream in("id,name,owner_manager_id\n1,A,9\n");
  CHECK_THROWS_AS(import_clients(s, in), nudge::invalid_argument);
  std::istringstream in2("id,name,owner_manager_id\n1,A,9\n");
  CHECK_THROWS_AS(import_clients(s, in2), nudge::error);
}

// ---- all or nothing ------------------------------------------------------------------------

TEST_CASE("csv.import.all_or_nothing") {
  MemoryStorage s;
  seed(s);
  const auto before = s.state();
  const std::string managers = "id,name,supervisor_id\n3,Sidorov,1\n";
  const std::string clients = "id,name,owner_manager_id\n10,Acme renamed,3\n12,Hooli,3\n";
  const std::string deals = "id,client_id,owner_id,stage,opened_at\n1,12,3,lead,2026-08-01\n";
  const std::string good_acts = "id,client_id,kind,at\n1,12,email,2026-08-02\n2,10,call_in,2026-08-03\n";
  const std::string bad_acts = good_acts + "3,10,call_in,not a time\n";

  SUBCASE("one bad row in the last file: nothing changes") {
    CHECK(problems([&] {
            import_texts(s, {{Entity::managers, managers},
                             {Entity::clients, clients},
                             {Entity::deals, deals},
                             {Entity::activities, bad_acts}});
          }).size() == 1);
    CHECK(s.state() == before);
    // and the store still takes a unit of work afterwards
    auto w = s.begin();
    w->commit();
  }
  SUBCASE("problems in several files are all reported, in file order") {
    const auto p = problems([&] {
      import_texts(s, {{Entity::activities, bad_acts},
                       {Entity::clients, clients + "13,Bad,88\n"},
                       {Entity::managers, managers}});
    });
    CHECK(p == std::vector<std::string>{
                   "clients.csv:4: column 'owner_manager_id': unknown manager 88",
                   "activities.csv:4: column 'at': cannot read 'not a time' as a time (ISO-8601 such as "
                   "2026-08-14T09:30:00Z, 2026-08-14T12:30:00+03:00 or 2026-08-14, or Unix seconds)"});
    CHECK(s.state() == before);
  }
  SUBCASE("a dry run checks and writes nothing") {
    ImportOptions o;
    o.dry_run = true;
    const auto r = import_texts(s,
                                {{Entity::managers, managers},
                                 {Entity::clients, clients},
                                 {Entity::deals, deals},
                                 {Entity::activities, good_acts}},
                                o);
    CHECK_FALSE(r.committed);
    CHECK(r.total_rows() == 6);
    CHECK(s.state() == before);
  }
  SUBCASE("the good file set goes in whole") {
    const auto r = import_texts(s, {{Entity::managers, managers},
                                    {Entity::clients, clients},
                                    {Entity::deals, deals},
                                    {Entity::activities, good_acts}});
    CHECK(r.committed);
    CHECK(s.find_client(ClientId{10})->name == "Acme renamed");  // a row replaces the stored entity
    CHECK(s.find_client(ClientId{10})->owner == ManagerId{3});
    CHECK(s.activities_of(ClientId{12}, Instant{}).size() == 1);
    CHECK(s.find_deal(DealId{1}));
  }
}

TEST_CASE("csv.import.references_into_the_store") {
  MemoryStorage s;
  seed(s);
  std::istringstream in("id,client_id,manager_id,kind,at\n1,11,1,meeting,2026-08-14\n");
  import_activities(s, in);
  CHECK(s.activities_of(ClientId{11}, Instant{}).size() == 1);
}

TEST_CASE("csv.import.inputs") {
  MemoryStorage s;
  std::istringstream a("id,name\n1,A\n"), b("id,name\n2,B\n");
  const Input twice[] = {{Entity::managers, &a, {}}, {Entity::managers, &b, {}}};
  CHECK_THROWS_AS(import_streams(s, twice), nudge::invalid_argument);
  SUBCASE("a name of one's own in messages") {
    std::istringstream c("id,name,owner_manager_id\n1,A,9\n");
    const Input named[] = {{Entity::clients, &c, "crm/2026-08/clients.csv"}};
    CHECK(problems([&] { import_streams(s, named); }) ==
          std::vector<std::string>{"crm/2026-08/clients.csv:2: column 'owner_manager_id': unknown manager 9"});
  }
}

// ---- directories -------------------------------------------------------------------------

TEST_CASE("csv.import.directory") {
  const auto dir = fresh_dir("import-directory");
  write_file(dir / "managers.csv", "id,name\n1,Ivanova\n");
  write_file(dir / "clients.csv", "id,name,owner_manager_id\n10,Acme,1\n");
  write_file(dir / "README.md", "not csv: ignored");
  MemoryStorage s;
  SUBCASE("good") {
    const auto r = import_directory(s, dir);
    CHECK(r.rows_of(Entity::managers) == 1);
    CHECK(r.rows_of(Entity::clients) == 1);
    CHECK(s.find_client(ClientId{10}));
  }
  SUBCASE("a misspelt file name is an error") {
    write_file(dir / "client.csv", "id,name,owner_manager_id\n11,Globex,1\n");
    const auto p = problems([&] { import_directory(s, dir); });
    REQUIRE(p.size() == 1);
    CHECK(p[0].rfind("client.csv: not a file of the format (expected: managers.csv, clients.csv,", 0) == 0);
    CHECK(s.state() == MemoryStorage::State{});
  }
  SUBCASE("not a directory") { CHECK_THROWS_AS(import_directory(s, dir / "nope"), nudge::invalid_argument); }
  std::filesystem::remove_all(dir);
}

TEST_CASE("csv.import.text.garbage_is_reported_never_crashes") {
  // Deterministic noise made of the characters that matter to the parser.
  std::mt19937 rng(42);
  const std::string alphabet = "\",\r\n;a1-:TZ+\xEF\xBB\xBF\xC3\xA9\xFF 0";
  auto s = std::make_unique<MemoryStorage>();
  seed(*s);
  const auto before = s->state();
  for (int round = 0; round < 3000; ++round) {
    std::string text = round % 2 ? "id,client_id,kind,at\n" : "id,name,owner_manager_id,segment\n";
    const auto n = rng() % 64;
    for (unsigned i = 0; i < n; ++i) text.push_back(alphabet[rng() % alphabet.size()]);
    std::istringstream in(text);
    try {
      import_entity(*s, round % 2 ? Entity::activities : Entity::clients, in);
    } catch (const import_error& e) {
      CHECK(e.total() >= e.issues().size());
    }
    if (s->state() != before) {  // a lucky valid row: start again from the seed
      s = std::make_unique<MemoryStorage>();
      seed(*s);
    }
  }
}
}  // namespace nudge_csv_test_import
