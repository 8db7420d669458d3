// The conformance kit against the SQLite adapter: in memory, and on a file.

#include <doctest/doctest.h>

#include <atomic>
#include <filesystem>

#include <unistd.h>

#include <nudge/sqlite/sqlite_storage.hpp>
#include <nudge/storage/conformance.hpp>

// Own namespace: the tests build as a unity build.
namespace nudge_sqlite_test_conformance_sqlite {

NUDGE_STORAGE_CONFORMANCE("sqlite", [] { return std::make_unique<nudge::SqliteStorage>(":memory:"); });

namespace {
/// A fresh database file per call (WAL, real transactions), removed at exit.
std::unique_ptr<nudge::Storage> fresh_file() {
  static const auto dir = [] {
    auto d = std::filesystem::temp_directory_path() / ("nudge-conformance-" + std::to_string(::getpid()));
    std::filesystem::remove_all(d);
    std::filesystem::create_directories(d);
    static struct Cleanup {
      std::filesystem::path p;
      ~Cleanup() {
        std::error_code ec;
        std::filesystem::remove_all(p, ec);
      }
    } cleanup{d};
    return d;
  }();
  static std::atomic<int> n{0};
  return std::make_unique<nudge::SqliteStorage>((dir / ("db" + std::to_string(n++) + ".sqlite")).string());
}
}  // namespace

NUDGE_STORAGE_CONFORMANCE("sqlite_file", fresh_file);
}  // namespace nudge_sqlite_test_conformance_sqlite
