#include <doctest/doctest.h>

#include <cstdint>
#include <limits>
#include <random>
#include <set>
#include <vector>

#include <nudge/engine/client_index.hpp>
#include <nudge/rules/forgotten.hpp>
#include <nudge/rules/unpaid.hpp>

// Own namespace: the tests build as a unity build.
namespace nudge_engine_test_client_index {

using namespace nudge;

namespace {

/// Fills an index with ascending ids (as a scan does), seals it and checks
/// every id in and around the span against the set the rows came from.
void check_against_set(const std::vector<std::int64_t>& ids, const std::vector<std::int64_t>& probes) {
  detail::ClientIndex index;
  for (auto id : ids) index.rows().push_back({ClientId{id}, ManagerId{id % 7 + 1}, ClientKind::b2b, nullptr, nullptr});
  const std::set<std::int64_t> present(ids.begin(), ids.end());
  auto check = [&](std::int64_t id) {
    const auto* info = index.find(ClientId{id});
    if (present.count(id)) {
      REQUIRE(info != nullptr);
      CHECK(info->id == ClientId{id});
      CHECK(info->owner == ManagerId{id % 7 + 1});
    } else {
      CHECK(info == nullptr);
    }
  };
  for (auto id : probes) check(id);  // before seal(): binary search
  index.seal();
  for (auto id : probes) check(id);  // after: the dense table or the hash index
  for (auto id : ids) check(id);
}

}  // namespace

TEST_CASE("ClientIndex: dense and sparse ids give the rows a scan appended, and nothing else") {
  std::mt19937_64 rng(7);
  SUBCASE("dense ids with gaps (the dense table)") {
    std::vector<std::int64_t> ids;
    for (std::int64_t id = 1000; id < 3000; ++id)
      if (rng() % 3 != 0) ids.push_back(id);  // about two of three ids present
    std::vector<std::int64_t> probes;
    for (std::int64_t id = 900; id < 3100; ++id) probes.push_back(id);
    check_against_set(ids, probes);
  }
  SUBCASE("sparse ids (the hash index)") {
    std::vector<std::int64_t> ids;
    std::int64_t id = -5'000'000;
    for (int i = 0; i < 2000; ++i) ids.push_back(id += static_cast<std::int64_t>(1 + rng() % 10'000));
    std::vector<std::int64_t> probes{std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::int64_t>::max(),
                                     0, -1};
    for (int i = 0; i < 4000; ++i) probes.push_back(ids[static_cast<std::size_t>(i) % ids.size()] + (i % 3) - 1);
    check_against_set(ids, probes);
  }
  SUBCASE("ids at both ends of the 64-bit range") {
    const auto lo = std::numeric_limits<std::int64_t>::min() + 1, hi = std::numeric_limits<std::int64_t>::max();
    check_against_set({lo, lo + 1, 0, hi - 1, hi},
                      {std::numeric_limits<std::int64_t>::min(), lo, lo + 2, -1, 0, 1, hi - 2, hi - 1, hi});
  }
  SUBCASE("consecutive ids (the row computed, no index)") {
    std::vector<std::int64_t> ids;
    for (std::int64_t id = -3; id < 5000; ++id) ids.push_back(id);
    std::vector<std::int64_t> probes{std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::int64_t>::max()};
    for (std::int64_t id = -10; id < 5010; ++id) probes.push_back(id);
    check_against_set(ids, probes);
    const auto hi = std::numeric_limits<std::int64_t>::max();
    check_against_set({hi - 2, hi - 1, hi}, {hi - 3, hi - 2, hi, std::numeric_limits<std::int64_t>::min(), 0});
    detail::ClientIndex index;
    for (auto id : ids) index.rows().push_back({ClientId{id}, ManagerId{1}, ClientKind::b2b, nullptr, nullptr});
    index.seal();
    CHECK(index.consecutive());
    index.rows().back().id = ClientId{6000};  // a gap before the last row
    index.seal();
    CHECK_FALSE(index.consecutive());
    CHECK(index.find(ClientId{6000}) == &index.rows().back());
    CHECK(index.find(ClientId{4999}) == nullptr);
  }
  SUBCASE("one client, and none") {
    check_against_set({42}, {41, 42, 43, std::numeric_limits<std::int64_t>::min()});
    check_against_set({}, {0, 1, std::numeric_limits<std::int64_t>::max()});
  }
}

TEST_CASE("ClientIndex: segment codes name each distinct segment once, beyond the first sixteen too") {
  detail::ClientIndex index;
  std::vector<std::string> names;
  for (int i = 0; i < 40; ++i) names.push_back("segment " + std::to_string(i));
  std::vector<std::uint32_t> first(names.size());
  for (std::size_t i = 0; i < names.size(); ++i) first[i] = index.segment_code(names[i]);
  std::mt19937 rng(3);
  for (int k = 0; k < 500; ++k) {
    const auto i = rng() % names.size();
    const auto code = index.segment_code(names[i]);
    CHECK(code == first[i]);
    CHECK(index.segment_name(code) == names[i]);
  }
  CHECK(std::set<std::uint32_t>(first.begin(), first.end()).size() == names.size());
}

TEST_CASE("ContactFacts: the latest contact under any policy is the summary's") {
  std::mt19937_64 rng(17);
  auto when = [&] { return from_unix(1'700'000'000 + static_cast<std::int64_t>(rng() % 100'000'000)); };
  for (int round = 0; round < 2000; ++round) {
    ClientSummary s;
    for (auto& k : s.last_by_kind)
      if (rng() % 3 == 0) k = when();
    if (rng() % 4 == 0) s.last_forced_contact = when();
    if (rng() % 4 == 0) s.last_task_done = when();
    ContactPolicy p;
    for (auto& k : p.kinds) k = rng() % 2 == 0;
    p.completed_tasks = rng() % 2 == 0;
    const ContactFacts f(s);
    REQUIRE(f.last_contact(p) == s.last_contact(p));
    REQUIRE(f.last_contact(ContactPolicy{}) == s.last_contact(ContactPolicy{}));
  }
  CHECK_FALSE(ContactFacts{}.last_contact(ContactPolicy::any_activity()));
}

TEST_CASE("ClientIndex: contact facts are kept for other feeds' readers when views do not last, and dropped whole") {
  const std::vector<std::shared_ptr<const Assistant>> unpaid{std::make_shared<UnpaidAssistant>(UnpaidConfig{})};
  const std::vector<std::shared_ptr<const Assistant>> forgotten{
      std::make_shared<ForgottenAssistant>(ForgottenConfig{})};
  CHECK(detail::ClientIndex::wants_contacts(false, unpaid));
  CHECK_FALSE(detail::ClientIndex::wants_contacts(true, unpaid));      // the rows point at the summaries
  CHECK_FALSE(detail::ClientIndex::wants_contacts(false, forgotten));  // reads the view at the client scan

  ClientSummary s1, s2;
  s1.last_by_kind[0] = from_unix(1'800'000'000);
  s2.last_forced_contact = from_unix(1'700'000'000);
  {
    detail::ClientIndex index;
    for (std::int64_t id = 1; id <= 2; ++id)
      index.rows().push_back({ClientId{id}, ManagerId{1}, ClientKind::b2b, nullptr, nullptr});
    index.set_contacts(0, &s1);
    index.set_contacts(1, &s2);
    index.seal();
    REQUIRE(index.find(ClientId{1})->contacts);
    CHECK(*index.find(ClientId{1})->contacts == ContactFacts(s1));
    CHECK(*index.find(ClientId{2})->contacts == ContactFacts(s2));
    // An assistant asks the row, whichever of summary and contacts it has.
    const ClientInfo with_summary{ClientId{1}, ManagerId{1}, ClientKind::b2b, nullptr, &s1};
    for (const auto& p : {ContactPolicy{}, ContactPolicy::any_activity()}) {
      CHECK(index.find(ClientId{2})->knows_contacts());
      CHECK(index.find(ClientId{2})->last_contact(p) == s2.last_contact(p));
      CHECK(with_summary.last_contact(p) == s1.last_contact(p));
    }
  }
  {
    detail::ClientIndex index;  // one client scanned without a summary: no facts for anyone
    for (std::int64_t id = 1; id <= 3; ++id)
      index.rows().push_back({ClientId{id}, ManagerId{1}, ClientKind::b2b, nullptr, nullptr});
    index.set_contacts(0, &s1);
    index.set_contacts(1, nullptr);
    index.set_contacts(2, &s2);
    index.seal();
    for (std::int64_t id = 1; id <= 3; ++id) {
      CHECK(index.find(ClientId{id})->contacts == nullptr);
      CHECK_FALSE(index.find(ClientId{id})->knows_contacts());
    }
  }
}

}  // namespace nudge_engine_test_client_index
