#include <doctest/doctest.h>

#include <support/fixtures.hpp>
#include <nudge/graph/org_chart.hpp>

// Own namespace: the tests build as a unity build.
namespace nudge_graph_test_org_chart {

using namespace nudge;
using namespace nudge::test;

TEST_CASE("graph.org_chart.teams_and_heads") {
  // 1 heads 2 and 3; 3 heads 4 and 5; 6 is on their own.
  OrgChart org{{manager(1, "Head"), manager(2, "A", 1), manager(3, "B", 1), manager(4, "C", 3), manager(5, "D", 3),
                manager(6, "Solo")}};
  CHECK(org.team(ManagerId{1}) == std::vector{ManagerId{1}, ManagerId{2}, ManagerId{3}, ManagerId{4}, ManagerId{5}});
  CHECK(org.team(ManagerId{3}) == std::vector{ManagerId{3}, ManagerId{4}, ManagerId{5}});
  CHECK(org.team(ManagerId{4}) == std::vector{ManagerId{4}});
  CHECK(org.team(ManagerId{99}).empty());
  CHECK(org.reports_of(ManagerId{1}) == std::vector{ManagerId{2}, ManagerId{3}});
  CHECK(org.heads() == std::vector{ManagerId{1}, ManagerId{6}});
}

TEST_CASE("graph.org_chart.cycle_is_named") {
  try {
    OrgChart org{{manager(1, "A", 3), manager(2, "B", 1), manager(3, "C", 2)}};
    FAIL("a loop must be refused");
  } catch (const invalid_argument& e) {
    CHECK(std::string(e.what()) == "manager 1: supervisor: the chain loops (1 -> 3 -> 2 -> 1)");
  }
}
}  // namespace nudge_graph_test_org_chart
