#include <doctest/doctest.h>

#include <sstream>

#include <nudge/csv/import.hpp>
#include <nudge/csv/maven.hpp>
#include <nudge/storage/memory_storage.hpp>
#include <support/fixtures.hpp>

#include "csv_test_support.hpp"

// Own namespace: the tests build as a unity build.
namespace nudge_csv_test_maven {

using namespace nudge;
using namespace nudge::csv;
using namespace nudge::csv::test;
using nudge::test::at;

namespace {

// The dataset as copied into the project (examples/data/maven, see SOURCE.md there).
std::filesystem::path maven_dir() {
  return std::filesystem::path(__FILE__).parent_path().parent_path().parent_path().parent_path() / "examples" /
         "data" / "maven";
}

std::size_t count_of(const MavenReport& r, std::string_view quirk) {
  const auto* q = r.quirk(quirk);
  return q ? q->count : 0;
}

std::optional<Client> client_named(const Storage& s, std::string_view name) {
  std::optional<Client> found;
  s.scan_clients([&](std::span<const ClientView> batch) {
    for (const auto& v : batch)
      if (v.client->name == name) found = *v.client;
  });
  return found;
}

std::optional<Manager> manager_named(const Storage& s, std::string_view name) {
  for (const auto& m : s.managers())
    if (m.name == name) return m;
  return std::nullopt;
}

}  // namespace

TEST_CASE("csv.maven.counts") {
  MemoryStorage s;
  const auto r = import_maven(s, maven_dir());
  CHECK(r.supervisors == 6);
  CHECK(r.agents == 35);
  CHECK(s.managers().size() == 41);
  CHECK(r.clients == 85);
  CHECK(r.synthetic_clients == 27);
  CHECK(r.deals == 8800);
  CHECK(r.skipped_deals == 0);
  CHECK(r.deals_by_stage == std::map<std::string, std::size_t>{
                                {"won", 4238}, {"lost", 2473}, {"engaging", 1589}, {"prospecting", 500}});
  CHECK(r.as_of == ymd(2017, 12, 31));
  REQUIRE(r.products.size() == 7);
  CHECK(r.products[1] == MavenProduct{"GTX Pro", "GTX", Money{482100, "USD"}});
  std::size_t clients = 0;
  s.scan_clients([&](std::span<const ClientView> b) { clients += b.size(); });
  CHECK(clients == 85 + 27);
}

TEST_CASE("csv.maven.quirks") {
  MemoryStorage s;
  const auto r = import_maven(s, maven_dir());
  CHECK(count_of(r, "product_name_mismatch") == 1480);
  CHECK(count_of(r, "misspelled_sector") == 12);
  CHECK(count_of(r, "misspelled_country") == 1);
  CHECK(count_of(r, "account_name_case") == 1);
  CHECK(count_of(r, "deal_without_account") == 1425);
  CHECK(count_of(r, "prospecting_without_date") == 500);
  CHECK(count_of(r, "open_deal_without_value") == 2089);
  CHECK(count_of(r, "lost_deal_zero_value") == 2473);
  CHECK(count_of(r, "engaged_before_established") == 5);
  CHECK(count_of(r, "possible_duplicate_opportunity") == 352);
  CHECK(count_of(r, "agent_without_deals") == 5);
  CHECK(count_of(r, "owner_tie") == 19);
  // what the data does not have is not reported
  CHECK(r.quirk("unknown_agent") == nullptr);
  CHECK(r.quirk("account_without_deals") == nullptr);
  CHECK(r.quirks.size() == 12);

  const auto* p = r.quirk("product_name_mismatch");
  REQUIRE(p);
  CHECK(p->examples.front() == "sales_pipeline.csv:3: 'GTXPro' -> 'GTX Pro'");
  CHECK(p->examples.size() == 3);
  CHECK(r.quirk("misspelled_country")->examples == std::vector<std::string>{"accounts.csv:5: 'Philipines' (Bioholding)"});
  CHECK(r.quirk("misspelled_sector")->handling == "segment 'technology' (the corrected spelling)");
  CHECK(r.quirk("agent_without_deals")->examples.front() == "sales_teams.csv:36: 'Carl Lin'");

  const auto text = to_string(r);
  CHECK(text.rfind("maven import as of 2017-12-31: 41 managers (6 supervisors, 35 agents), 85 clients + 27 synthetic, "
                   "8800 deals (won 4238, lost 2473, engaging 1589, prospecting 500), 0 skipped, 7 products\n",
                   0) == 0);
  CHECK(text.find("- product_name_mismatch (1480): ") != std::string::npos);
}

TEST_CASE("csv.maven.mapping") {
  MemoryStorage s;
  import_maven(s, maven_dir());

  SUBCASE("managers: supervisors first, agents report to them, the office is their segment") {
    const auto cara = s.find_manager(ManagerId{1});
    CHECK(cara->name == "Cara Losch");
    CHECK_FALSE(cara->supervisor);
    CHECK(cara->segments == std::vector<std::string>{"east"});
    const auto anna = manager_named(s, "Anna Snelling");
    REQUIRE(anna);
    CHECK(anna->supervisor == manager_named(s, "Dustin Brinkmann")->id);
    CHECK(anna->segments == std::vector<std::string>{"central"});
  }
  SUBCASE("clients: by name, owned by the agent with most deals (ties by name)") {
    const auto acme = s.find_client(ClientId{1});
    CHECK(acme->name == "Acme Corporation");
    CHECK(acme->owner == manager_named(s, "Daniell Hammack")->id);  // four agents with 9 deals
    CHECK(acme->segments == std::vector<std::string>{"east", "technology"});
    CHECK(acme->kind == ClientKind::b2b);
    CHECK(acme->labels.at("maven.established") == "1996");
    CHECK(acme->labels.at("maven.country") == "United States");
    CHECK(acme->created == at(2016, 11, 12));  // its earliest deal
    CHECK(client_named(s, "Bioholding")->labels.at("maven.country") == "Philippines");
    CHECK(client_named(s, "Bluth Company")->labels.at("maven.subsidiary_of") == "Acme Corporation");
    CHECK(s.find_client(ClientId{85})->name == "dambase");  // byte order: lower case last
  }
  SUBCASE("a won deal with a misspelt product") {
    const auto d = s.find_deal(DealId{2});  // data row 2: Z063OYW0, GTXPro, Won
    CHECK(d->pipeline == "maven");
    CHECK(d->stage == "won");
    CHECK(d->status == DealStatus::won);
    CHECK(d->amount == Money{451400, "USD"});
    CHECK(d->probability == 1.0);
    CHECK(d->opened == at(2016, 10, 25));
    CHECK(d->closed == at(2017, 3, 11));
    CHECK(d->stage_entered == at(2017, 3, 11));
    CHECK(d->history == std::vector<StageVisit>{{"engaging", at(2016, 10, 25), at(2017, 3, 11)}});
    CHECK(d->labels.at("maven.opportunity_id") == "Z063OYW0");
    CHECK(d->labels.at("maven.product") == "GTX Pro");
    CHECK(d->client == client_named(s, "Isdom")->id);
    CHECK(d->owner == manager_named(s, "Darcel Schlecht")->id);
  }
  SUBCASE("a lost deal gets its list price") {
    const auto d = s.find_deal(DealId{12});
    CHECK(d->status == DealStatus::lost);
    CHECK(d->probability == 0.0);
    CHECK(d->amount == Money{482100, "USD"});
    CHECK(d->labels.count("maven.amount") == 1);
  }
  SUBCASE("an engaging deal without account goes to the agent's synthetic client") {
    const auto d = s.find_deal(DealId{10});
    CHECK(d->stage == "engaging");
    CHECK(d->is_open());
    CHECK(d->probability == 0.5);
    CHECK(d->opened == at(2016, 11, 3));
    CHECK(d->stage_entered == at(2016, 11, 3));
    CHECK(d->amount == Money{339300, "USD"});  // MG Advanced list price
    const auto c = s.find_client(d->client);
    CHECK(c->name == "(no account) James Ascencio");
    CHECK(c->owner == d->owner);
    CHECK(c->segments == std::vector<std::string>{"west"});
  }
  SUBCASE("a prospecting deal has no date: as_of") {
    const auto d = s.find_deal(DealId{8301});
    CHECK(d->stage == "prospecting");
    CHECK(d->probability == 0.1);
    CHECK(d->opened == at(2017, 12, 31));
    CHECK(d->labels.at("maven.dates") == "engage_date empty; opened set to as_of 2017-12-31");
    CHECK(d->client == client_named(s, "Green-Plus")->id);
  }
}

TEST_CASE("csv.maven.options") {
  SUBCASE("importing twice changes nothing") {
    MemoryStorage s;
    import_maven(s, maven_dir());
    const auto once = s.state();
    import_maven(s, maven_dir());
    CHECK(s.state() == once);
  }
  SUBCASE("skip deals without account") {
    MemoryStorage s;
    MavenOptions o;
    o.deals_without_account = MavenOptions::NoAccount::skip;
    const auto r = import_maven(s, maven_dir(), o);
    CHECK(r.deals == 8800 - 1425);
    CHECK(r.skipped_deals == 1425);
    CHECK(r.synthetic_clients == 0);
    CHECK_FALSE(s.find_deal(DealId{10}));
  }
  SUBCASE("misspellings kept, ids offset, other probabilities and date") {
    MemoryStorage s;
    MavenOptions o;
    o.fix_misspellings = false;
    o.id_offset = 1000;
    o.engaging_probability = 0.4;
    o.as_of = ymd(2018, 1, 15);
    o.list_price_for_missing_amounts = false;
    const auto r = import_maven(s, maven_dir(), o);
    CHECK(r.quirk("misspelled_sector")->handling == "kept as given (MavenOptions::fix_misspellings is off)");
    const auto acme = s.find_client(ClientId{1001});
    REQUIRE(acme);
    CHECK(acme->segments.back() == "technolgy");
    CHECK(s.find_deal(DealId{1010})->probability == 0.4);
    CHECK(s.find_deal(DealId{1010})->amount.cents == 0);
    CHECK(s.find_deal(DealId{9301})->opened == at(2018, 1, 15));
    CHECK_FALSE(s.find_client(ClientId{1}));
  }
}

TEST_CASE("csv.maven.handmade_quirks") {
  std::istringstream teams("sales_agent,manager,regional_office\nAnn,Boss,North\nBob,Boss,North\nAnn,Other,South\n");
  std::istringstream accounts(
      "account,sector,year_established,revenue,employees,office_location,subsidiary_of,extra\n"
      "Acme,tech,2000,1,2,US,Nobody,ignored\nLonely,tech,2000,1,2,US,,\n");
  std::istringstream products("product,series,sales_price\nWidget,W,100\n");
  std::istringstream pipeline(
      "opportunity_id,sales_agent,product,account,deal_stage,engage_date,close_date,close_value\n"
      "A1,Ann,Widget,Acme,Won,2017-01-10,2017-02-01,120\n"
      "A1,Ann,Widget,Acme,Won,2017-01-10,2017-02-01,120\n"   // duplicate id
      "A2,Zed,Widget,Acme,Won,2017-01-10,2017-02-01,120\n"   // unknown agent
      "A3,Bob,Gadget,Acme,Engaging,2017-01-10,,\n"           // unknown product: no list price
      "A4,Bob,Widget,Nowhere,Lost,2017-03-10,2017-02-01,0\n" // unknown account; closed before engaged
      "A5,Bob,Widget,Acme,Won,,,\n"                           // no dates, no value
      "A6,Bob,Widget,Acme,Engaging,2017-01-01,2017-01-05,50\n");
  MemoryStorage s;
  const auto r = import_maven(s, MavenInputs{&teams, &accounts, &products, &pipeline});
  CHECK(count_of(r, "duplicate_agent") == 1);
  CHECK(count_of(r, "duplicate_opportunity_id") == 1);
  CHECK(count_of(r, "unknown_agent") == 1);
  CHECK(count_of(r, "unknown_product") == 1);
  CHECK(count_of(r, "unknown_account") == 1);
  CHECK(count_of(r, "unknown_parent_account") == 1);
  CHECK(count_of(r, "closed_before_engaged") == 1);
  CHECK(count_of(r, "closed_deal_without_close_date") == 1);
  CHECK(count_of(r, "deal_without_engage_date") == 1);
  CHECK(count_of(r, "won_deal_without_value") == 1);
  CHECK(count_of(r, "open_deal_with_close_date") == 1);
  CHECK(count_of(r, "account_without_deals") == 1);
  CHECK(r.deals == 5);
  CHECK(r.skipped_deals == 2);
  CHECK(r.clients == 3);  // Acme, Lonely, Nowhere
  CHECK(r.as_of == ymd(2017, 3, 10));
  CHECK(r.quirk("unknown_agent")->examples == std::vector<std::string>{"sales_pipeline.csv:4: 'Zed'"});

  const auto a4 = s.find_deal(DealId{5});
  CHECK(a4->opened == at(2017, 2, 1));
  CHECK(a4->closed == at(2017, 2, 1));
  CHECK(s.find_client(a4->client)->name == "Nowhere");
  CHECK(s.find_client(a4->client)->labels.count("maven.unknown_account") == 1);
  const auto a5 = s.find_deal(DealId{6});
  CHECK(a5->closed == at(2017, 3, 10));
  CHECK(a5->opened == at(2017, 3, 10));
  CHECK(a5->amount.cents == 10000);
  CHECK(s.find_deal(DealId{4})->amount.cents == 0);  // unknown product: no list price
  CHECK_FALSE(s.find_deal(DealId{7})->closed);
  const auto lonely = client_named(s, "Lonely");
  CHECK(lonely->owner == manager_named(s, "Boss")->id);  // the first supervisor by name
}

TEST_CASE("csv.maven.unreadable_rows_are_errors") {
  std::istringstream teams("sales_agent,manager,regional_office\nAnn,Boss,North\n");
  std::istringstream accounts("account,sector\nAcme,tech\n");
  std::istringstream products("product,series,sales_price\nWidget,W,cheap\n");
  std::istringstream pipeline(
      "opportunity_id,sales_agent,product,account,deal_stage,engage_date,close_date\n"
      "A1,Ann,Widget,Acme,Won,2017-01-10,01/02/2017\n"
      "A2,Ann,Widget,Acme,Stalled,2017-01-10,\n");
  MemoryStorage s;
  CHECK(problems([&] { import_maven(s, MavenInputs{&teams, &accounts, &products, &pipeline}); }) ==
        std::vector<std::string>{
            "products.csv:2: column 'sales_price': cannot read 'cheap' as an amount (a decimal number such as 1250.50)",
            "sales_pipeline.csv:2: column 'close_date': cannot read '01/02/2017' as a date (YYYY-MM-DD)",
            "sales_pipeline.csv:3: column 'deal_stage': unknown deal_stage 'Stalled' (expected Prospecting, Engaging, "
            "Won or Lost)"});
  CHECK(s.state() == MemoryStorage::State{});
  std::istringstream no_agent("manager,regional_office\nBoss,North\n");
  std::istringstream a2("account\nAcme\n"), p2("product\nWidget\n"), s2("opportunity_id,sales_agent,deal_stage\n");
  CHECK(problems([&] { import_maven(s, MavenInputs{&no_agent, &a2, &p2, &s2}); }) ==
        std::vector<std::string>{"sales_teams.csv:1: column 'sales_agent': required column is missing"});
}
}  // namespace nudge_csv_test_maven
