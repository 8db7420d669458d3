#pragma once
// Helpers for the csv tests: stream inputs, catching import errors as text.

#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <doctest/doctest.h>

#include <nudge/csv/import.hpp>
#include <nudge/storage/memory_storage.hpp>
#include <support/fixtures.hpp>

// Lists of messages print one per line when a check fails.
template <>
struct doctest::StringMaker<std::vector<std::string>> {
  static String convert(const std::vector<std::string>& v) {
    std::string s = "{";
    for (const auto& x : v) s += "\n  \"" + x + "\"";
    s += v.empty() ? "}" : "\n}";
    return String(s.c_str());
  }
};

namespace nudge::csv::test {

/// A file set given as (entity, text) pairs, imported with import_streams.
inline ImportReport import_texts(Storage& store, std::initializer_list<std::pair<Entity, std::string>> files,
                                 const ImportOptions& options = {}) {
  std::vector<std::istringstream> streams;
  streams.reserve(files.size());
  std::vector<Input> inputs;
  for (const auto& [e, text] : files) {
    streams.emplace_back(text);
    inputs.push_back({e, &streams.back(), {}});
  }
  return import_streams(store, inputs, options);
}

/// The problems an import reports, one string each ("clients.csv:3: column 'id': ..."); empty when it succeeds.
template <class F>
std::vector<std::string> problems(F&& f) {
  try {
    f();
  } catch (const import_error& e) {
    std::vector<std::string> out;
    for (const auto& i : e.issues()) out.push_back(to_string(i));
    return out;
  }
  return {};
}

/// Two managers (1 supervises 2) and two clients of manager 2.
inline void seed(MemoryStorage& s) {
  using namespace nudge::test;
  auto w = s.begin();
  w->put_manager(manager(1, "Ivanova"));
  w->put_manager(manager(2, "Petrov", 1));
  w->put_client(client(10, "Acme", 2));
  w->put_client(client(11, "Globex", 2, "retail"));
  w->commit();
}

/// A fresh, empty directory under the system's temporary directory.
inline std::filesystem::path fresh_dir(const std::string& name) {
  auto d = std::filesystem::temp_directory_path() / ("nudge-csv-test-" + name);
  std::filesystem::remove_all(d);
  std::filesystem::create_directories(d);
  return d;
}

inline void write_file(const std::filesystem::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary);
  out << text;
}

inline std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace nudge::csv::test
