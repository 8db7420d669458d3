// The documented example (docs/configuration.md shows exactly
// tests/fixtures/config/example.json) and the baseline rules as a file.

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <support/baseline.hpp>
#include <nudge/config/config.hpp>
#include <nudge/engine/engine.hpp>
#include <nudge/rules/event_engine.hpp>

// Own namespace: the tests build as a unity build.
namespace nudge_config_test_example {

using namespace nudge;
namespace fs = std::filesystem;

namespace {

const fs::path here = fs::path(__FILE__).parent_path();
const fs::path fixtures = here / "../../fixtures/config";
const fs::path docs = here / "../../../docs/configuration.md";

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  REQUIRE(in.good());
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

LoadedConfig load_or_fail(const fs::path& p) {
  try {
    return load_config_file(p);
  } catch (const invalid_configuration& e) {
    FAIL(e.what());
  }
  return {};
}

/// The ```json blocks of a Markdown text, each with the line before its fence.
std::vector<std::pair<std::string, std::string>> json_blocks(const std::string& md) {
  std::vector<std::pair<std::string, std::string>> out;
  std::istringstream in(md);
  std::string line, before, block;
  bool inside = false;
  while (std::getline(in, line)) {
    if (!inside && line == "```json") {
      inside = true;
      block.clear();
    } else if (inside && line == "```") {
      inside = false;
      out.emplace_back(before, block);
    } else if (inside) {
      block += line + "\n";
    } else if (!line.empty()) {
      before = line;
    }
  }
  return out;
}

}  // namespace

TEST_CASE("config.example.loads_round_trips_and_builds_the_engine") {
  const auto c = load_or_fail(fixtures / "example.json");
  CHECK(c.engine.pipelines.size() == 4);
  CHECK(c.engine.forgotten.size() == 2);
  CHECK(c.engine.calendar.time_zone() == "Europe/Berlin");
  CHECK(c.engine.templates.at("debtor_reminder").size() == 2);
  CHECK(c.engine.templates.at("debtor_reminder").at("en").subject == "Invoice {invoice} is overdue");
  CHECK(c.event_rules.size() == 3);
  CHECK(c.quiet_hours.size() == 2);
  CHECK(load_config(save_config(c)) == c);
  CHECK(load_config(save_config(c, {.include_defaults = true})) == c);
  const Engine e{c.engine};
  CHECK(e.assistants().size() == 13);
  const EventEngine events{c.event_rules, c.engine};
  CHECK(events.rules().size() == 3);
}

TEST_CASE("config.example.b2c_is_never_forgotten") {
  const auto c = load_or_fail(fixtures / "example.json");
  Client b2c;
  b2c.kind = ClientKind::b2c;
  b2c.segments = {"retail"};
  for (const auto& f : c.engine.forgotten) CHECK_FALSE(f.scope.matches(b2c));
  for (const auto& r : c.engine.release) CHECK_FALSE(r.scope.matches(b2c));
}

TEST_CASE("config.example.is_the_one_in_the_docs") {
  const auto md = read(docs);
  const auto blocks = json_blocks(md);
  int shown = 0;
  for (const auto& [before, block] : blocks) {
    if (before.find("tests/fixtures/config/example.json") == std::string::npos) continue;
    ++shown;
    CHECK(block == read(fixtures / "example.json"));
  }
  CHECK(shown == 1);
  // Every complete configuration the page shows loads.
  for (const auto& [before, block] : blocks) {
    if (block.find("\"version\"") == std::string::npos) continue;
    CAPTURE(block);
    const auto r = try_load_config(block);
    CHECK(r.ok());
  }
}

TEST_CASE("config.baseline.equals_the_baseline_rules") {
  const auto c = load_or_fail(fixtures / "baseline.json");
  CHECK(c.engine == baseline::config());
  CHECK(c.engine.neglected_task.empty());
  CHECK(c.event_rules.empty());
  CHECK_NOTHROW(Engine{c.engine});
}
}  // namespace nudge_config_test_example
