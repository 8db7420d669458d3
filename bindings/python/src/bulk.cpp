// Storage.bulk_load: rows as tuples, converted and written in C++ in one unit
// of work, so loading a large base from Python is not dominated by per-object
// Python calls.

#include "common.hpp"
#include "guard.hpp"

#include <array>

#include <fmt/format.h>

#include <nudge/storage/storage.hpp>

namespace nudge::bindings {

namespace {

/// One row (a tuple or list) of one table; conversions name the table, row and column.
class Row {
public:
  Row(const char* table, const char* const* columns, std::size_t min, std::size_t max)
      : table_(table), columns_(columns), min_(min), max_(max) {}

  void reset(py::handle item, std::size_t index) {
    index_ = index;
    seq_ = py::reinterpret_steal<py::object>(PySequence_Fast(item.ptr(), ""));
    if (!seq_) {
      PyErr_Clear();
      throw invalid_argument(fmt::format("{}[{}]: expected a tuple or list, got {}", table_, index_,
                                         Py_TYPE(item.ptr())->tp_name));
    }
    size_ = static_cast<std::size_t>(PySequence_Fast_GET_SIZE(seq_.ptr()));
    if (size_ < min_ || size_ > max_)
      throw invalid_argument(fmt::format("{}[{}]: expected {} to {} columns ({}), got {}", table_, index_, min_, max_,
                                         column_list(), size_));
  }

  [[nodiscard]] bool has(std::size_t i) const { return i < size_ && !at(i).is_none(); }

  std::int64_t integer(std::size_t i) const {
    PyObject* o = at(i).ptr();
    if (!PyLong_Check(o) && !PyIndex_Check(o)) fail(i, "expected an int");
    const long long v = PyLong_AsLongLong(o);
    if (v == -1 && PyErr_Occurred()) {
      PyErr_Clear();
      fail(i, "int out of range");
    }
    return v;
  }
  bool boolean(std::size_t i) const {
    const int v = PyObject_IsTrue(at(i).ptr());
    if (v < 0) throw py::error_already_set();
    return v != 0;
  }
  double number(std::size_t i) const {
    const double v = PyFloat_AsDouble(at(i).ptr());
    if (v == -1.0 && PyErr_Occurred()) {
      PyErr_Clear();
      fail(i, "expected a number");
    }
    return v;
  }
  std::string text(std::size_t i) const {
    PyObject* o = at(i).ptr();
    if (!PyUnicode_Check(o)) fail(i, fmt::format("expected a str, got {}", Py_TYPE(o)->tp_name));
    Py_ssize_t n = 0;
    const char* s = PyUnicode_AsUTF8AndSize(o, &n);
    if (!s) throw py::error_already_set();
    return std::string(s, static_cast<std::size_t>(n));
  }
  Instant instant(std::size_t i) const { return instant_or_unix(at(i), name(i)); }
  std::optional<Instant> optional_instant(std::size_t i) const {
    if (!has(i)) return std::nullopt;
    return instant(i);
  }
  /// A bound enum value, or its name parsed by `parse`.
  template <class E, class Parse>
  E enumeration(std::size_t i, Parse parse) const {
    py::handle v = at(i);
    if (PyUnicode_Check(v.ptr())) return parse(text(i), name(i));
    try {
      return v.cast<E>();
    } catch (const py::cast_error&) {
      fail(i, fmt::format("expected a name or an enum value, got {}", Py_TYPE(v.ptr())->tp_name));
    }
  }
  std::vector<std::string> segments(std::size_t i) const {
    py::handle v = at(i);
    std::vector<std::string> out;
    if (v.is_none()) return out;
    if (PyUnicode_Check(v.ptr())) {
      auto s = text(i);
      if (!s.empty()) out.push_back(std::move(s));
      return out;
    }
    try {
      return v.cast<std::vector<std::string>>();
    } catch (const py::cast_error&) {
      fail(i, "expected a segment name or a list of them");
    }
  }

  [[nodiscard]] std::string where() const { return fmt::format("{}[{}]", table_, index_); }
  [[nodiscard]] std::string name(std::size_t i) const { return fmt::format("{}[{}].{}", table_, index_, columns_[i]); }

private:
  [[nodiscard]] py::handle at(std::size_t i) const { return PySequence_Fast_GET_ITEM(seq_.ptr(), static_cast<Py_ssize_t>(i)); }
  [[noreturn]] void fail(std::size_t i, const std::string& why) const {
    throw invalid_argument(fmt::format("{}: {}", name(i), why));
  }
  [[nodiscard]] std::string column_list() const {
    std::string s;
    for (std::size_t i = 0; i < max_; ++i) s += (i ? ", " : "") + std::string(columns_[i]);
    return s;
  }

  const char* table_;
  const char* const* columns_;
  std::size_t min_, max_;
  std::size_t index_ = 0;
  std::size_t size_ = 0;
  py::object seq_;
};

/// Rethrows the current nudge error with the row's position in front, keeping its type.
[[noreturn]] void rethrow_at(const std::string& where) {
  try {
    throw;
  } catch (const not_found& e) {
    throw not_found(where + ": " + e.what());
  } catch (const conflict& e) {
    throw conflict(where + ": " + e.what());
  } catch (const storage_error& e) {
    throw storage_error(where + ": " + e.what());
  } catch (const invalid_argument& e) {
    const std::string msg = e.what();
    if (msg.rfind(where, 0) == 0) throw;  // already names the row
    throw invalid_argument(where + ": " + msg);
  } catch (const error& e) {
    throw error(where + ": " + e.what());
  }
}

constexpr std::size_t check_every = 1 << 16;

/// Calls `put(row)` for every row of `rows` (an iterable of tuples), or
/// `put_record(object)` for items that already are records of type T.
template <class T, class Put, class PutRecord>
std::size_t load(py::handle rows, Row row, Put put, PutRecord put_record) {
  if (rows.is_none()) return 0;
  std::size_t n = 0;
  for (py::handle item : py::iter(rows)) {
    if (n % check_every == check_every - 1) GuardedStorage::check_signals();
    if (py::isinstance<T>(item)) {
      try {
        put_record(item.cast<const T&>());
      } catch (const error&) {
        rethrow_at(row.where());
      }
    } else {
      row.reset(item, n);
      try {
        put(row);
      } catch (const error&) {
        rethrow_at(row.where());
      }
    }
    ++n;
  }
  return n;
}

constexpr const char* manager_cols[] = {"id", "name", "supervisor", "active"};
constexpr const char* client_cols[] = {"id", "name", "owner", "segment", "kind", "created"};
constexpr const char* deal_cols[] = {"id", "client", "owner", "pipeline", "stage", "amount", "currency",
                                     "probability", "opened", "stage_entered", "status", "closed"};
constexpr const char* task_cols[] = {"id", "client", "assignee", "title", "due", "state", "closed", "deal"};
constexpr const char* invoice_cols[] = {"id", "client", "amount", "currency", "issued", "due", "paid", "deal"};
constexpr const char* activity_cols[] = {"id", "client", "manager", "kind", "at", "outcome"};

py::dict bulk_load(py::object self, py::handle managers, py::handle clients, py::handle deals, py::handle tasks,
                   py::handle invoices, py::handle activities) {
  Storage& store = self.cast<Storage&>();
  auto w = store.begin();
  py::dict counts;

  counts["managers"] = load<Manager>(
      managers, Row("managers", manager_cols, 2, 4),
      [&](const Row& r) {
        Manager m;
        m.id = ManagerId{r.integer(0)};
        m.name = r.text(1);
        if (r.has(2)) m.supervisor = ManagerId{r.integer(2)};
        if (r.has(3)) m.active = r.boolean(3);
        w->put_manager(m);
      },
      [&](const Manager& m) { w->put_manager(m); });

  counts["clients"] = load<Client>(
      clients, Row("clients", client_cols, 6, 6),
      [&](const Row& r) {
        Client c;
        c.id = ClientId{r.integer(0)};
        c.name = r.text(1);
        c.owner = ManagerId{r.integer(2)};
        c.segments = r.segments(3);
        c.kind = r.enumeration<ClientKind>(4, [](const std::string& s, const std::string& f) {
          return parse_client_kind(s, f);
        });
        c.created = r.instant(5);
        w->put_client(c);
      },
      [&](const Client& c) { w->put_client(c); });

  counts["deals"] = load<Deal>(
      deals, Row("deals", deal_cols, 12, 12),
      [&](const Row& r) {
        Deal d;
        d.id = DealId{r.integer(0)};
        d.client = ClientId{r.integer(1)};
        d.owner = ManagerId{r.integer(2)};
        d.pipeline = r.text(3);
        d.stage = r.text(4);
        d.amount = Money::from_decimal(r.number(5), r.text(6), r.name(5));
        d.probability = r.number(7);
        d.opened = r.instant(8);
        d.stage_entered = r.instant(9);
        d.status = r.enumeration<DealStatus>(10, [](const std::string& s, const std::string& f) {
          return parse_deal_status(s, f);
        });
        d.closed = r.optional_instant(11);
        w->put_deal(d);
      },
      [&](const Deal& d) { w->put_deal(d); });

  counts["tasks"] = load<Task>(
      tasks, Row("tasks", task_cols, 5, 8),
      [&](const Row& r) {
        Task t;
        t.id = TaskId{r.integer(0)};
        t.client = ClientId{r.integer(1)};
        t.assignee = ManagerId{r.integer(2)};
        t.title = r.text(3);
        t.due = r.instant(4);
        t.created = t.due;
        if (r.has(5))
          t.state = r.enumeration<TaskState>(5, [](const std::string& s, const std::string& f) {
            return parse_task_state(s, f);
          });
        t.closed = r.optional_instant(6);
        if (r.has(7)) t.deal = DealId{r.integer(7)};
        w->put_task(t);
      },
      [&](const Task& t) { w->put_task(t); });

  counts["invoices"] = load<Invoice>(
      invoices, Row("invoices", invoice_cols, 6, 8),
      [&](const Row& r) {
        Invoice i;
        i.id = InvoiceId{r.integer(0)};
        i.client = ClientId{r.integer(1)};
        i.amount = Money::from_decimal(r.number(2), r.text(3), r.name(2));
        i.issued = r.instant(4);
        i.due = r.instant(5);
        i.paid = r.optional_instant(6);
        if (r.has(7)) i.deal = DealId{r.integer(7)};
        w->put_invoice(i);
      },
      [&](const Invoice& i) { w->put_invoice(i); });

  counts["activities"] = load<Activity>(
      activities, Row("activities", activity_cols, 5, 6),
      [&](const Row& r) {
        Activity a;
        a.id = ActivityId{r.integer(0)};
        a.client = ClientId{r.integer(1)};
        if (r.has(2)) a.manager = ManagerId{r.integer(2)};
        a.kind = r.enumeration<ActivityKind>(3, [&](const std::string& s, const std::string&) {
          const auto k = parse_activity_kind(s);
          if (k == ActivityKind::other) a.custom_kind = s;
          return k;
        });
        a.at = r.instant(4);
        if (r.has(5))
          a.outcome = r.enumeration<Outcome>(5, [](const std::string& s, const std::string& f) -> Outcome {
            for (auto o : {Outcome::none, Outcome::reached, Outcome::no_answer, Outcome::declined, Outcome::completed})
              if (to_string(o) == s) return o;
            throw invalid_argument(fmt::format("{}: unknown outcome '{}'", f, s));
          });
        w->add_activity(a);
      },
      [&](const Activity& a) { w->add_activity(a); });

  w->commit();
  return counts;
}

}  // namespace

void bind_bulk(py::module_& m) {
  py::object storage = m.attr("Storage");
  storage.attr("bulk_load") = py::cpp_function(
      &bulk_load, py::name("bulk_load"), py::is_method(storage), py::sibling(py::getattr(storage, "bulk_load", py::none())),
      py::kw_only(), py::arg("managers") = py::none(), py::arg("clients") = py::none(),
      py::arg("deals") = py::none(), py::arg("tasks") = py::none(), py::arg("invoices") = py::none(),
      py::arg("activities") = py::none(),
      "Loads many rows in one unit of work, converting and validating them in C++; all or nothing. Each argument is "
      "an iterable of tuples (or of the record type itself); times are aware datetimes or Unix seconds:\n"
      "  managers:   (id, name[, supervisor[, active]])\n"
      "  clients:    (id, name, owner, segment, kind, created)  segment: str or list of str; kind: 'B2B'/'B2C' or "
      "ClientKind\n"
      "  deals:      (id, client, owner, pipeline, stage, amount, currency, probability, opened, stage_entered, "
      "status, closed)\n"
      "  tasks:      (id, client, assignee, title, due[, state[, closed[, deal]]])\n"
      "  invoices:   (id, client, amount, currency, issued, due[, paid[, deal]])\n"
      "  activities: (id, client, manager, kind, at[, outcome])  kind: 'call_out', ... or ActivityKind\n"
      "Tables load in that order, so rows may refer to rows of earlier tables. Errors name the table, row and "
      "column: 'clients[12].created: naive datetime ...'. Returns the row count per table. Ctrl-C rolls back.");
}

}  // namespace nudge::bindings
