// Adapters built alongside the core, bound when their targets exist:
// the SQLite storage (nudge::sqlite) and CSV import/export (nudge::csv).

#include "common.hpp"

#ifdef NUDGE_PYTHON_SQLITE
#include <nudge/sqlite/sqlite_storage.hpp>
#endif
#ifdef NUDGE_PYTHON_CSV
#include <nudge/csv/csv.hpp>
#endif

namespace nudge::bindings {

#ifdef NUDGE_PYTHON_CSV
namespace {

/// Read-only records: __fields__, __repr__ and to_dict without a constructor.
template <class T>
void def_view(py::class_<T>& cls, std::vector<const char*> fields) {
  py::tuple names(fields.size());
  for (std::size_t i = 0; i < fields.size(); ++i) names[i] = py::str(fields[i]);
  cls.attr("__fields__") = names;
  cls.def("__repr__", [](py::handle self) { return record_repr(self); });
  cls.def("to_dict", [](py::handle self) { return record_to_dict(self); }, "The record as a dict of plain values.");
}

py::dict rows_of(const std::array<std::size_t, csv::entity_count>& rows) {
  py::dict d;
  for (auto e : csv::all_entities) d[py::str(std::string(csv::to_string(e)))] = rows[static_cast<std::size_t>(e)];
  return d;
}

void bind_csv(py::module_& parent) {
  py::module_ m = parent.def_submodule(
      "csv", "The CSV interchange format (import all-or-nothing, export) and the Maven CRM dataset import.");

  // Carries the problems as data: CsvImportError.issues is a list of (file, line, column, reason).
  // Never destroyed: it must outlive the interpreter's teardown.
  static auto* import_error = new py::exception<csv::import_error>(m, "CsvImportError", parent.attr("InvalidArgument"));
  import_error->attr("__doc__") =
      "An import found problems and wrote nothing; the message lists them, `issues` holds them as "
      "(file, line, column, reason) tuples.";
  py::register_exception_translator([](std::exception_ptr p) {
    if (!p) return;
    try {
      std::rethrow_exception(p);
    } catch (const csv::import_error& e) {
      py::list issues;
      for (const auto& i : e.issues()) issues.append(py::make_tuple(i.file, i.line, i.column, i.reason));
      py::object exc = py::handle(import_error->ptr())(e.what());
      exc.attr("issues") = issues;
      PyErr_SetObject(import_error->ptr(), exc.ptr());
    }
  });

  py::class_<csv::ImportOptions> io(m, "ImportOptions", "How an import behaves.");
  io.def(py::init<>(), "The defaults.")
      .def_readwrite("max_errors", &csv::ImportOptions::max_errors, "Most problems listed in the error.")
      .def_readwrite("skip_existing_activities", &csv::ImportOptions::skip_existing_activities,
                     "Skip activities whose id is stored already (incremental loads).")
      .def_readwrite("dry_run", &csv::ImportOptions::dry_run, "Check everything, write nothing.");

  py::class_<csv::ImportReport> ir(m, "ImportReport", "What an import did.");
  ir.def_property_readonly("rows", [](const csv::ImportReport& r) { return rows_of(r.rows); },
                           "Rows read per file: {'clients': n, ...}.")
      .def_readonly("skipped_activities", &csv::ImportReport::skipped_activities, "Activities skipped as existing.")
      .def_readonly("committed", &csv::ImportReport::committed, "False for a dry run.")
      .def_property_readonly("total_rows", &csv::ImportReport::total_rows, "Rows read in all.");
  def_view(ir, {"rows", "skipped_activities", "committed"});

  m.def("import_directory",
        [](Storage& s, const std::string& dir, const csv::ImportOptions& o) { return csv::import_directory(s, dir, o); },
        py::arg("store"), py::arg("directory"), py::arg("options") = csv::ImportOptions{},
        "Imports every file of the format in `directory` (managers.csv, clients.csv, ...) in one unit of work; "
        "raises CsvImportError listing every problem (nothing written).");
  m.def("export_directory",
        [](const Storage& s, const std::string& dir, bool unix_seconds) {
          csv::ExportOptions o;
          o.times = unix_seconds ? csv::TimeFormat::unix_seconds : csv::TimeFormat::iso8601;
          return rows_of(csv::export_directory(s, dir, o).rows);
        },
        py::arg("store"), py::arg("directory"), py::arg("unix_seconds") = false,
        "Writes every file of the format into `directory`; returns the rows written per file.");

  py::class_<csv::MavenOptions> mo(m, "MavenOptions", "How the Maven dataset is mapped.");
  py::enum_<csv::MavenOptions::NoAccount>(mo, "NoAccount", "What happens to a deal without an account.")
      .value("synthetic_client", csv::MavenOptions::NoAccount::synthetic_client)
      .value("skip", csv::MavenOptions::NoAccount::skip);
  mo.def(py::init<>(), "The defaults.")
      .def_readwrite("id_offset", &csv::MavenOptions::id_offset, "Added to every id.")
      .def_readwrite("pipeline", &csv::MavenOptions::pipeline, "The pipeline the deals go into.")
      .def_readwrite("prospecting_probability", &csv::MavenOptions::prospecting_probability,
                     "Probability of a deal in Prospecting.")
      .def_readwrite("engaging_probability", &csv::MavenOptions::engaging_probability,
                     "Probability of a deal in Engaging.")
      .def_readwrite("as_of", &csv::MavenOptions::as_of, "The snapshot date (datetime.date), or None = the latest.")
      .def_readwrite("deals_without_account", &csv::MavenOptions::deals_without_account, "MavenOptions.NoAccount.")
      .def_readwrite("fix_misspellings", &csv::MavenOptions::fix_misspellings, "Correct the known misspellings.")
      .def_readwrite("list_price_for_missing_amounts", &csv::MavenOptions::list_price_for_missing_amounts,
                     "Missing amounts become the product's list price.")
      .def_readwrite("max_examples", &csv::MavenOptions::max_examples, "Examples kept per quirk.");

  py::class_<csv::MavenProduct> mp(m, "MavenProduct", "A product from products.csv.");
  mp.def_readonly("name", &csv::MavenProduct::name, "Product name.")
      .def_readonly("series", &csv::MavenProduct::series, "Product series.")
      .def_readonly("list_price", &csv::MavenProduct::list_price, "List price (Money).");
  def_view(mp, {"name", "series", "list_price"});

  py::class_<csv::MavenQuirk> mq(m, "MavenQuirk", "A peculiarity of the data and how the import handled it.");
  mq.def_readonly("id", &csv::MavenQuirk::id, "Stable name.")
      .def_readonly("description", &csv::MavenQuirk::description, "What is odd.")
      .def_readonly("handling", &csv::MavenQuirk::handling, "What the import did.")
      .def_readonly("count", &csv::MavenQuirk::count, "Rows affected.")
      .def_readonly("examples", &csv::MavenQuirk::examples, "A few examples.");
  def_view(mq, {"id", "description", "handling", "count", "examples"});

  py::class_<csv::MavenReport> mr(m, "MavenReport", "What the Maven import did; str() is a readable summary.");
  mr.def_readonly("supervisors", &csv::MavenReport::supervisors, "Supervisors (sales_teams.csv managers).")
      .def_readonly("agents", &csv::MavenReport::agents, "Sales agents.")
      .def_readonly("clients", &csv::MavenReport::clients, "Clients.")
      .def_readonly("synthetic_clients", &csv::MavenReport::synthetic_clients, "'(no account) <agent>' clients.")
      .def_readonly("deals", &csv::MavenReport::deals, "Deals imported.")
      .def_readonly("skipped_deals", &csv::MavenReport::skipped_deals, "Deals skipped.")
      .def_readonly("deals_by_stage", &csv::MavenReport::deals_by_stage, "Deals per stage.")
      .def_readonly("as_of", &csv::MavenReport::as_of, "The snapshot date used.")
      .def_readonly("products", &csv::MavenReport::products, "Products (list of MavenProduct).")
      .def_readonly("quirks", &csv::MavenReport::quirks, "Quirks found (list of MavenQuirk).")
      .def("__str__", [](const csv::MavenReport& r) { return csv::to_string(r); });
  def_view(mr, {"supervisors", "agents", "clients", "synthetic_clients", "deals", "skipped_deals", "deals_by_stage",
                "as_of"});

  m.def("import_maven",
        [](Storage& s, const std::string& dir, const csv::MavenOptions& o) { return csv::import_maven(s, dir, o); },
        py::arg("store"), py::arg("directory"), py::arg("options") = csv::MavenOptions{},
        "Imports Maven Analytics' CRM + Sales + Opportunities dataset (sales_teams.csv, accounts.csv, "
        "products.csv, sales_pipeline.csv in `directory`) in one unit of work; returns a MavenReport.");
}

}  // namespace
#endif

void bind_adapters(py::module_& m) {
#ifdef NUDGE_PYTHON_SQLITE
  py::class_<SqliteStorage, Storage>(
      m, "SqliteStorage",
      "Storage in one SQLite file (or ':memory:'): WAL, schema migrated on open, summaries kept current. One unit "
      "of work at a time; calls from several threads are serialized. SQLite failures raise StorageError.")
      .def(py::init<const std::string&>(), py::arg("path"),
           "Opens (or creates) the database at `path`; ':memory:' gives a private in-memory database.")
      .def_property_readonly("path", &SqliteStorage::path, "The path it was opened with.")
      .def_static("schema_version", &SqliteStorage::schema_version, "The schema version this build writes.");
  m.attr("HAS_SQLITE") = true;
#else
  m.attr("HAS_SQLITE") = false;
#endif
#ifdef NUDGE_PYTHON_CSV
  bind_csv(m);
  m.attr("HAS_CSV") = true;
#else
  m.attr("HAS_CSV") = false;
#endif
}

}  // namespace nudge::bindings
