#include <nudge/sqlite/sqlite_storage.hpp>

int main() {
  nudge::SqliteStorage store{":memory:"};
  return store.managers().empty() ? 0 : 1;
}
