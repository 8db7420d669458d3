// Each broken configuration in tests/fixtures/config/broken/NN-name.json
// produces exactly the problems listed in NN-name.expected, one per line, in
// the file's order: every one names its JSON Pointer and what was expected.

#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nudge/config/config.hpp>

// Own namespace: the tests build as a unity build.
namespace nudge_config_test_broken {

using namespace nudge;
namespace fs = std::filesystem;

namespace {

const fs::path broken = fs::path(__FILE__).parent_path() / "../../fixtures/config/broken";

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);)
    if (!l.empty()) out.push_back(l);
  return out;
}

std::vector<fs::path> cases() {
  std::vector<fs::path> v;
  for (const auto& e : fs::directory_iterator(broken))
    if (e.path().extension() == ".json") v.push_back(e.path());
  std::sort(v.begin(), v.end());
  return v;
}

}  // namespace

TEST_CASE("config.broken.at_least_twenty") { CHECK(cases().size() >= 20); }

TEST_CASE("config.broken.expected_messages") {
  for (const auto& file : cases()) {
    const auto name = file.stem().string();
    CAPTURE(name);
    auto expected_file = file;
    expected_file.replace_extension(".expected");
    REQUIRE(fs::exists(expected_file));
    const auto expected = lines(read(expected_file));
    REQUIRE(!expected.empty());

    const auto r = try_load_config(read(file));
    std::vector<std::string> got;
    for (const auto& e : r.errors) got.push_back(e.text());
    CHECK(got == expected);
    for (const auto& e : r.errors) {
      CHECK((e.path.empty() || e.path.front() == '/'));
      CHECK(!e.message.empty());
    }

    // The same through the throwing API and through a file.
    try {
      (void)load_config_file(file);
      FAIL("loaded a broken configuration");
    } catch (const invalid_configuration& e) {
      CHECK(e.errors() == r.errors);
      const auto what = lines(e.what());
      REQUIRE(what.size() == expected.size() + 1);
      CHECK(what.front().find(file.string()) != std::string::npos);
      CHECK(std::equal(expected.begin(), expected.end(), what.begin() + 1));
    }
  }
}

TEST_CASE("config.broken.all_errors_at_once") {
  const auto r = try_load_config(read(broken / "24-three-problems.json"));
  REQUIRE(r.errors.size() == 3);
  CHECK(r.errors[0].path == "/assistants/forgotten/0/after");
  CHECK(r.errors[1].path == "/assistants/release/0/forgotten");
  CHECK(r.errors[2].path == "/assistants/stage_sla/0/ladder/0/target");
}
}  // namespace nudge_config_test_broken
