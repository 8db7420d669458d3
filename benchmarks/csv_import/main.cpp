// csv_import DIR [--repeat N] [--parse-only]
//
// Imports a directory of the CSV interchange format (the benchmark generator's
// output: python3 gen.py --scale M --seed 42 --out DIR) and prints rows per
// second, per file and in total, three ways:
//   parse+check   into a storage that keeps nothing (the importer's own cost:
//                 reading, parsing, reference and domain checks);
//   memory/file   file by file into a MemoryStorage (one unit of work each);
//   memory/all    the whole directory in one unit of work (import_directory).
// The best of N runs is shown. --parse-only skips the MemoryStorage runs (scale
// L needs many GiB in memory).

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include <nudge/csv/import.hpp>
#include <nudge/storage/memory_storage.hpp>

namespace {

using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;
using nudge::csv::Entity;

// A storage that finds everything and keeps nothing: what is left is the importer.
class NullStorage final : public nudge::Storage {
public:
  std::optional<nudge::Client> find_client(nudge::ClientId id) const override {
    nudge::Client c;
    c.id = id;
    return c;
  }
  std::optional<nudge::Manager> find_manager(nudge::ManagerId id) const override {
    nudge::Manager m;
    m.id = id;
    return m;
  }
  std::optional<nudge::Task> find_task(nudge::TaskId) const override { return nudge::Task{}; }
  std::optional<nudge::Deal> find_deal(nudge::DealId) const override { return nudge::Deal{}; }
  std::optional<nudge::Invoice> find_invoice(nudge::InvoiceId) const override { return nudge::Invoice{}; }
  bool has_activity(nudge::ActivityId) const override { return false; }
  std::vector<nudge::Manager> managers() const override { return {}; }
  std::vector<nudge::ClientId> clients_of(nudge::ManagerId) const override { return {}; }
  std::vector<nudge::Activity> activities_of(nudge::ClientId, nudge::Instant) const override { return {}; }
  std::vector<nudge::Task> tasks_of(nudge::ClientId, bool) const override { return {}; }
  std::vector<nudge::Deal> deals_of(nudge::ClientId) const override { return {}; }
  std::vector<nudge::Invoice> invoices_of(nudge::ClientId) const override { return {}; }
  void scan_clients(const ClientBatchFn&, std::size_t) const override {}
  void scan_open_deals(const DealBatchFn&, std::size_t) const override {}
  void scan_unpaid_invoices(const InvoiceBatchFn&, std::size_t) const override {}
  void scan_open_tasks(const TaskBatchFn&, std::size_t) const override {}
  bool has_action(std::string_view) const override { return false; }
  std::vector<nudge::AuditRecord> audit_log(std::optional<nudge::SubjectRef>) const override { return {}; }
  std::vector<nudge::Message> outbox() const override { return {}; }
  std::size_t writes = 0;

protected:
  std::unique_ptr<nudge::UnitOfWork> do_begin() override { return std::make_unique<Work>(*this); }

private:
  class Work final : public nudge::UnitOfWork {
  public:
    explicit Work(NullStorage& s) : UnitOfWork(s), s_(s) {}

  protected:
    void do_put_manager(const nudge::Manager&) override { ++s_.writes; }
    void do_put_client(const nudge::Client&) override { ++s_.writes; }
    void do_add_activity(const nudge::Activity&) override { ++s_.writes; }
    void do_put_task(const nudge::Task&) override { ++s_.writes; }
    void do_put_deal(const nudge::Deal&) override { ++s_.writes; }
    void do_put_invoice(const nudge::Invoice&) override { ++s_.writes; }
    nudge::TaskId do_next_task_id() override { return nudge::TaskId{1}; }
    void do_set_label(nudge::SubjectRef, const std::string&, const std::string&) override {}
    void do_clear_label(nudge::SubjectRef, const std::string&) override {}
    bool do_claim_action(std::string_view, nudge::Instant) override { return true; }
    void do_append_audit(const nudge::AuditRecord&) override {}
    void do_enqueue(const nudge::Message&) override {}
    void do_commit() override {}

  private:
    NullStorage& s_;
  };
};

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

std::string rate(std::size_t rows, double s) {
  if (s <= 0) return "-";
  const double r = static_cast<double>(rows) / s;
  return r >= 1e6 ? fmt::format("{:.2f} M/s", r / 1e6) : fmt::format("{:.0f} k/s", r / 1e3);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s DIR [--repeat N] [--parse-only]\n", argv[0]);
    return 2;
  }
  const fs::path dir = argv[1];
  int repeat = 1;
  bool parse_only = false;
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--repeat" && i + 1 < argc) repeat = std::max(1, std::atoi(argv[++i]));
    else if (a == "--parse-only") parse_only = true;
  }

  const Entity order[] = {Entity::managers, Entity::clients, Entity::deals, Entity::tasks, Entity::activities, Entity::invoices};
  struct Row {
    Entity e;
    std::size_t rows = 0;
    std::uintmax_t bytes = 0;
    double parse_s = 1e30, memory_s = 1e30;
  };
  std::vector<Row> rows;
  for (auto e : order)
    if (fs::exists(dir / nudge::csv::file_name(e)))
      rows.push_back({e, 0, fs::file_size(dir / nudge::csv::file_name(e))});

  try {
    double all_s = 1e30;
    std::size_t all_rows = 0;
    for (int r = 0; r < repeat; ++r) {
      NullStorage null;
      for (auto& row : rows) {
        std::ifstream in(dir / nudge::csv::file_name(row.e), std::ios::binary);
        const auto t0 = Clock::now();
        const auto rep = nudge::csv::import_entity(null, row.e, in);
        row.parse_s = std::min(row.parse_s, seconds_since(t0));
        row.rows = rep.rows_of(row.e);
      }
      if (parse_only) continue;
      {
        nudge::MemoryStorage store;
        for (auto& row : rows) {
          std::ifstream in(dir / nudge::csv::file_name(row.e), std::ios::binary);
          const auto t0 = Clock::now();
          nudge::csv::import_entity(store, row.e, in);
          row.memory_s = std::min(row.memory_s, seconds_since(t0));
        }
      }
      {
        nudge::MemoryStorage store;
        const auto t0 = Clock::now();
        const auto rep = nudge::csv::import_directory(store, dir);
        all_s = std::min(all_s, seconds_since(t0));
        all_rows = rep.total_rows();
      }
    }
    std::size_t total_rows = 0;
    std::uintmax_t total_bytes = 0;
    double parse_s = 0, memory_s = 0;
    fmt::print("csv_import {} (best of {})\n", dir.string(), repeat);
    fmt::print("{:<16}{:>11}{:>10}{:>16}{:>18}\n", "file", "rows", "MB", "parse+check", "memory/file");
    for (const auto& row : rows) {
      fmt::print("{:<16}{:>11}{:>10.1f}{:>16}{:>18}\n", nudge::csv::file_name(row.e), row.rows,
                 static_cast<double>(row.bytes) / 1e6, rate(row.rows, row.parse_s),
                 parse_only ? "-" : rate(row.rows, row.memory_s));
      total_rows += row.rows;
      total_bytes += row.bytes;
      parse_s += row.parse_s;
      memory_s += row.memory_s;
    }
    fmt::print("{:<16}{:>11}{:>10.1f}{:>16}{:>18}\n", "total", total_rows, static_cast<double>(total_bytes) / 1e6,
               rate(total_rows, parse_s), parse_only ? "-" : rate(total_rows, memory_s));
    fmt::print("parse+check {:.3f} s ({:.0f} MB/s)", parse_s, static_cast<double>(total_bytes) / 1e6 / parse_s);
    if (!parse_only)
      fmt::print("; memory/file {:.3f} s; memory/all (import_directory, one unit of work) {:.3f} s = {}", memory_s,
                 all_s, rate(all_rows, all_s));
    fmt::print("\n");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "csv_import: %s\n", e.what());
    return 1;
  }
  return 0;
}
