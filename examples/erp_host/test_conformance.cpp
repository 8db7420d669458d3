// The storage conformance kit (include/nudge/storage/conformance.hpp) on the
// ERP adapter: a fresh ERP database per check, in memory and on a file (WAL).
// CTest: example.erp_conformance.

#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <atomic>
#include <filesystem>
#include <string>

#include <unistd.h>

#include <nudge/storage/conformance.hpp>

#include "erp_storage.hpp"

namespace {
std::unique_ptr<nudge::Storage> fresh_file() {
  static const auto dir = [] {
    auto d = std::filesystem::temp_directory_path() / ("nudge-erp-conformance-" + std::to_string(::getpid()));
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
  return std::make_unique<erp::ErpStorage>((dir / ("erp" + std::to_string(n++) + ".db")).string());
}
}  // namespace

NUDGE_STORAGE_CONFORMANCE("erp", [] { return std::make_unique<erp::ErpStorage>(":memory:"); });
NUDGE_STORAGE_CONFORMANCE("erp_file", fresh_file);
