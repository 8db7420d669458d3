// libFuzzer target for the configuration loader. Besides "no crash, hang or
// leak" it checks the loader's promises on every input:
//  - content problems are reported, never thrown; each says something, in valid UTF-8;
//  - a configuration that loads saves to text that loads back equal, both
//    with and without the defaults written out;
//  - the engine and the event engine accept every configuration the loader accepts.

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include <nudge/config/config.hpp>
#include <nudge/engine/engine.hpp>
#include <nudge/rules/event_engine.hpp>

namespace {

[[noreturn]] void fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "nudge_fuzz_config: %s\n%s\n", what, detail.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto r = nudge::try_load_config(text);
  if (!r.ok()) {
    for (const auto& e : r.errors) {
      if (e.message.empty()) fail("an error without a message", e.path);
      // Messages are text a host can put into JSON: valid UTF-8 (dump() throws otherwise).
      try {
        (void)nlohmann::json(e.text()).dump();
      } catch (const nlohmann::json::exception&) {
        fail("an error message that is not valid UTF-8", e.path);
      }
    }
    const nudge::invalid_configuration error(r.errors, "fuzz");
    if (std::string_view(error.what()).empty()) fail("an empty what()", "");
    return 0;
  }
  for (const bool all : {false, true}) {
    const auto saved = nudge::save_config(r.config, {.include_defaults = all});
    auto again = nudge::try_load_config(saved);
    if (!again.ok()) {
      std::string why;
      for (const auto& e : again.errors) why += e.text() + "\n";
      fail("a saved configuration does not load", saved + "\n" + why);
    }
    if (!(again.config == r.config)) fail("a saved configuration loads different", saved);
  }
  try {
    const nudge::Engine engine{r.config.engine};
    (void)engine;
  } catch (const std::exception& e) {
    fail("the engine rejects a configuration the loader accepted", e.what());
  }
  try {
    const nudge::EventEngine events{r.config.event_rules, r.config.engine};
    (void)events;
  } catch (const std::exception& e) {
    fail("the event engine rejects a configuration the loader accepted", e.what());
  }
  return 0;
}
