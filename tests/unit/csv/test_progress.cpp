#include <doctest/doctest.h>

#include <fmt/format.h>

#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include <nudge/csv/import.hpp>
#include <nudge/csv/maven.hpp>
#include <nudge/storage/memory_storage.hpp>
#include <support/fixtures.hpp>

#include "csv_test_support.hpp"

// Own namespace: the tests build as a unity build.
namespace nudge_csv_test_progress {

using namespace nudge;
using namespace nudge::csv;
using namespace nudge::csv::test;

struct Seen {
  std::string stage;
  std::uint64_t done, total;
};

std::filesystem::path maven_data() {
  return std::filesystem::path(__FILE__).parent_path().parent_path().parent_path().parent_path() / "examples" /
         "data" / "maven";
}

// `n` activities of clients 10 and 11 (see seed()), ids from `first`.
std::string activities_csv(int first, int n) {
  std::string s = "id,client_id,manager_id,kind,at\n";
  // One second apart, in time order (as an export is): each client's
  // activities are appended, never inserted in the middle.
  for (int i = 0; i < n; ++i)
    s += std::to_string(first + i) + (i % 2 ? ",10,2,call_out," : ",11,2,email,") +
         fmt::format("2026-03-{:02}T{:02}:{:02}:{:02}Z\n", 1 + i / 86400, i / 3600 % 24, i / 60 % 60, i % 60);
  return s;
}

const std::string clients_csv =
    "id,name,owner_manager_id\n"
    "20,Initech,2\n"
    "21,Umbrella,1\n";

TEST_CASE("csv.progress.reports_bytes_per_file") {
  MemoryStorage s;
  seed(s);
  const auto acts = activities_csv(1000, 150'000);  // three reports inside the file
  std::vector<Seen> seen;
  ImportOptions o;
  o.progress = [&](const Progress& p) {
    seen.push_back({std::string(p.stage), p.done, p.total});
    return true;
  };
  const auto r = import_texts(s, {{Entity::activities, acts}, {Entity::clients, clients_csv}}, o);
  CHECK(r.rows_of(Entity::activities) == 150'000);
  REQUIRE(seen.size() == 2 + 4 + 1);  // clients: start, end; activities: start, 2 inside, end; commit
  // clients first (parents before the rows that refer to them), then activities, then the commit
  CHECK(seen.front().stage == "clients");
  CHECK(seen.front().done < clients_csv.size());  // the header is read when the file starts
  CHECK(seen.back().stage == "commit");
  std::vector<Seen> of_acts;
  for (const auto& x : seen)
    if (x.stage == "activities") of_acts.push_back(x);
  REQUIRE(of_acts.size() == 1 + 150'000 / 65'536 + 1);
  for (std::size_t i = 0; i < of_acts.size(); ++i) {
    CHECK(of_acts[i].total == acts.size());
    if (i) CHECK(of_acts[i].done > of_acts[i - 1].done);
  }
  CHECK(of_acts.back().done == acts.size());
  bool clients_done = false;
  for (const auto& x : seen)
    if (x.stage == "clients" && x.done == clients_csv.size() && x.total == clients_csv.size()) clients_done = true;
  CHECK(clients_done);
  CHECK(s.has_activity(ActivityId{1000 + 149'999}));
}

TEST_CASE("csv.progress.cancel_writes_nothing") {
  MemoryStorage s;
  seed(s);
  const auto before = s.state();
  const auto acts = activities_csv(1000, 70'000);

  SUBCASE("in the middle of a file, after another file was written") {
    ImportOptions o;
    o.progress = [](const Progress& p) { return !(p.stage == "activities" && p.done > 0 && p.done < p.total); };
    CHECK_THROWS_AS(import_texts(s, {{Entity::clients, clients_csv}, {Entity::activities, acts}}, o), cancelled);
  }
  SUBCASE("at the commit") {
    ImportOptions o;
    o.progress = [](const Progress& p) { return p.stage != "commit"; };
    CHECK_THROWS_AS(import_texts(s, {{Entity::clients, clients_csv}, {Entity::activities, acts}}, o), cancelled);
  }
  SUBCASE("a directory, when its first file starts") {
    const auto dir = fresh_dir("progress-cancel");
    write_file(dir / "clients.csv", clients_csv);
    write_file(dir / "activities.csv", acts);
    ImportOptions o;
    std::size_t calls = 0;
    o.progress = [&](const Progress&) { return ++calls < 1; };
    CHECK_THROWS_AS(import_directory(s, dir, o), cancelled);
    CHECK(calls == 1);
  }
  CHECK(s.state() == before);
  CHECK_FALSE(s.find_client(ClientId{20}));
  CHECK_FALSE(s.has_activity(ActivityId{1000}));
  // the store is usable afterwards: no unit of work left open
  CHECK(import_texts(s, {{Entity::clients, clients_csv}}).rows_of(Entity::clients) == 2);
}

TEST_CASE("csv.progress.unknown_size") {
  // A stream that cannot seek (a pipe) reports total 0 and still its bytes done.
  struct NoSeek : std::stringbuf {
    using std::stringbuf::stringbuf;
    pos_type seekoff(off_type, std::ios_base::seekdir, std::ios_base::openmode) override { return pos_type(-1); }
    pos_type seekpos(pos_type, std::ios_base::openmode) override { return pos_type(-1); }
  };
  MemoryStorage s;
  seed(s);
  NoSeek buf(clients_csv);
  std::istream in(&buf);
  std::vector<Seen> seen;
  ImportOptions o;
  o.progress = [&](const Progress& p) {
    seen.push_back({std::string(p.stage), p.done, p.total});
    return true;
  };
  CHECK(import_clients(s, in, o).rows_of(Entity::clients) == 2);
  REQUIRE(seen.size() == 3);
  CHECK(seen[1].stage == "clients");
  CHECK(seen[1].total == 0);
  CHECK(seen[1].done == clients_csv.size());
  CHECK(s.find_client(ClientId{21}));
}

TEST_CASE("csv.progress.maven") {
  SUBCASE("stages in order, bytes then entities") {
    MemoryStorage s;
    std::vector<Seen> seen;
    MavenOptions o;
    o.progress = [&](const Progress& p) {
      seen.push_back({std::string(p.stage), p.done, p.total});
      return true;
    };
    const auto r = import_maven(s, maven_data(), o);
    std::vector<std::string> stages;
    for (const auto& x : seen)
      if (stages.empty() || stages.back() != x.stage) stages.push_back(x.stage);
    CHECK(stages == std::vector<std::string>{"sales_teams", "products", "accounts", "sales_pipeline", "writing"});
    const auto pipeline_bytes = std::filesystem::file_size(maven_data() / "sales_pipeline.csv");
    bool pipeline_end = false;
    for (const auto& x : seen)
      if (x.stage == "sales_pipeline" && x.done == pipeline_bytes && x.total == pipeline_bytes) pipeline_end = true;
    CHECK(pipeline_end);
    CHECK(seen.back().stage == "writing");
    CHECK(seen.back().done == seen.back().total);
    CHECK(seen.back().total == r.supervisors + r.agents + r.clients + r.synthetic_clients + r.deals);
  }
  SUBCASE("cancelled while writing: nothing written") {
    MemoryStorage s;
    seed(s);
    const auto before = s.state();
    MavenOptions o;
    o.progress = [](const Progress& p) { return !(p.stage == "writing" && p.done == p.total); };
    CHECK_THROWS_AS(import_maven(s, maven_data(), o), cancelled);
    CHECK(s.state() == before);
  }
}

}  // namespace nudge_csv_test_progress
