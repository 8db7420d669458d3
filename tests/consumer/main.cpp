#include <iostream>
#include <nudge/nudge.hpp>

int main() {
  nudge::MemoryStorage store;
  {
    auto w = store.begin();
    w->put_manager({nudge::ManagerId{1}, "Ivanova"});
    nudge::Client c{nudge::ClientId{1}, "Acme", nudge::ManagerId{1}, {"smb"}};
    c.created = nudge::parse_instant("2026-01-01");
    w->put_client(c);
    w->commit();
  }
  nudge::Engine engine{nudge::EngineConfig::defaults()};
  auto plan = engine.plan(store, nudge::parse_instant("2026-11-22"));
  std::cout << nudge::explain(plan);
  return plan.findings_of("forgotten").size() == 1 ? 0 : 1;  // (the release assistant finds it too)
}
