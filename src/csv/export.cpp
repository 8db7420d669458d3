// Export to the CSV interchange format: the inverse of import, through the
// storage port's const reads only.

#include <nudge/csv/export.hpp>

#include <fstream>
#include <limits>
#include <string>

#include <fmt/format.h>

#include "columns.hpp"
#include "values.hpp"

namespace nudge::csv {

namespace {

using namespace detail;

const Instant beginning{Seconds{std::numeric_limits<std::int64_t>::min() / 2}};

// Builds rows in a buffer and hands it to the stream in large pieces.
class Writer {
public:
  Writer(std::ostream& out, TimeFormat times) : out_(out), times_(times) { buf_.reserve(std::size_t{1} << 20); }
  ~Writer() = default;

  Writer& id(std::int64_t v) { return sep(), put_int(buf_, v), *this; }
  template <class Tag>
  Writer& id(Id<Tag> v) {
    sep();
    if (v.valid()) put_int(buf_, v.value());
    return *this;
  }
  template <class Tag>
  Writer& id(const std::optional<Id<Tag>>& v) {
    sep();
    if (v) put_int(buf_, v->value());
    return *this;
  }
  Writer& text(std::string_view s) { return sep(), put_text(buf_, s), *this; }
  Writer& time(Instant t) {
    sep();
    if (times_ == TimeFormat::unix_seconds) put_int(buf_, to_unix(t));
    else put_iso_instant(buf_, t);
    return *this;
  }
  Writer& time(const std::optional<Instant>& t) {
    if (t) return time(*t);
    return sep(), *this;
  }
  Writer& date(Date d) { return sep(), put_date(buf_, d), *this; }
  Writer& cents(std::int64_t c) { return sep(), put_cents(buf_, c), *this; }
  Writer& number(double v) { return sep(), put_double(buf_, v), *this; }
  Writer& flag(bool b) { return sep(), buf_.push_back(b ? '1' : '0'), *this; }
  Writer& integer(std::int64_t v) { return sep(), put_int(buf_, v), *this; }

  void header(Entity e) {
    for (const auto& c : columns_of(e)) text(c.name);
    end_row(false);
  }
  void end_row(bool counted = true) {
    buf_.push_back('\n');
    first_ = true;
    if (counted) ++rows_;
    if (buf_.size() >= (std::size_t{1} << 20)) flush();
  }
  void flush() {
    out_.write(buf_.data(), static_cast<std::streamsize>(buf_.size()));
    buf_.clear();
    if (!out_) throw error("csv export: writing failed");
  }
  [[nodiscard]] std::size_t rows() const { return rows_; }

private:
  void sep() {
    if (!first_) buf_.push_back(',');
    first_ = false;
  }
  std::ostream& out_;
  TimeFormat times_;
  std::string buf_;
  bool first_ = true;
  std::size_t rows_ = 0;
};

std::string joined_segments(const std::vector<std::string>& segments, std::string_view owner, bool dash_is_none) {
  if (segments.empty()) return dash_is_none ? "-" : "";
  std::string s;
  for (const auto& seg : segments) {
    if (seg.find(';') != std::string::npos || (dash_is_none && segments.size() == 1 && seg == "-"))
      throw invalid_argument(fmt::format("csv export: {}: segment '{}' cannot be written (';' separates segments)",
                                         owner, seg));
    if (!s.empty()) s.push_back(';');
    s += seg;
  }
  return s;
}

std::vector<ClientId> client_ids(const Storage& store) {
  std::vector<ClientId> ids;
  store.scan_clients([&](std::span<const ClientView> batch) {
    for (const auto& v : batch) ids.push_back(v.client->id);
  });
  return ids;
}

template <class Fn>
void each_deal(const Storage& store, Fn&& fn) {
  for (auto c : client_ids(store))
    for (const auto& d : store.deals_of(c)) fn(d);
}
template <class Fn>
void each_invoice(const Storage& store, Fn&& fn) {
  for (auto c : client_ids(store))
    for (const auto& i : store.invoices_of(c)) fn(i);
}

void write_entity(const Storage& store, Entity e, Writer& w) {
  w.header(e);
  switch (e) {
    case Entity::managers:
      for (const auto& m : store.managers()) {
        w.id(m.id).text(m.name).id(m.supervisor).flag(m.active);
        w.text(joined_segments(m.segments, to_string(m.id), true));
        w.integer(m.capacity).number(m.weight).text(m.email).text(m.phone).end_row();
      }
      break;
    case Entity::leave:
      for (const auto& m : store.managers())
        for (const auto& r : m.leave) w.id(m.id).date(r.first).date(r.last).end_row();
      break;
    case Entity::clients:
      store.scan_clients([&](std::span<const ClientView> batch) {
        for (const auto& v : batch) {
          const Client& c = *v.client;
          w.id(c.id).text(c.name).id(c.owner).text(joined_segments(c.segments, to_string(c.id), false));
          w.text(to_string(c.kind)).time(c.created).flag(c.release_locked);
          w.text(c.email).text(c.phone).text(c.time_zone).text(c.locale).end_row();
        }
      });
      break;
    case Entity::labels: {
      const auto ids = client_ids(store);
      for (auto id : ids)
        if (auto c = store.find_client(id))
          for (const auto& [name, note] : c->labels) w.text("client").id(id).text(name).text(note).end_row();
      for (auto id : ids)
        for (const auto& d : store.deals_of(id))
          for (const auto& [name, note] : d.labels) w.text("deal").id(d.id).text(name).text(note).end_row();
      break;
    }
    case Entity::activities:
      for (auto c : client_ids(store))
        for (const auto& a : store.activities_of(c, beginning)) {
          w.id(a.id).id(a.client).id(a.manager).text(to_string(a.kind)).text(a.custom_kind).time(a.at);
          w.text(to_string(a.outcome));
          w.text(a.contact == Contact::by_kind ? "by_kind" : a.contact == Contact::yes ? "yes" : "no");
          w.text(a.subject).end_row();
        }
      break;
    case Entity::tasks:
      for (auto c : client_ids(store))
        for (const auto& t : store.tasks_of(c, false)) {
          w.id(t.id).id(t.client).id(t.deal).id(t.assignee).id(t.author).text(t.title).time(t.planned_start);
          w.time(t.due).text(to_string(t.state)).time(t.created).time(t.closed).id(t.based_on).text(t.origin);
          w.end_row();
        }
      break;
    case Entity::deals:
      each_deal(store, [&](const Deal& d) {
        w.id(d.id).id(d.client).id(d.owner).text(d.pipeline).text(d.stage).time(d.stage_entered).time(d.opened);
        w.cents(d.amount.cents).text(d.amount.currency).number(d.probability).text(to_string(d.status));
        w.text(d.loss_reason).time(d.closed).end_row();
      });
      break;
    case Entity::stage_history:
      each_deal(store, [&](const Deal& d) {
        for (const auto& v : d.history) w.id(d.id).text(v.stage).time(v.entered).time(v.left).end_row();
      });
      break;
    case Entity::holds:
      each_deal(store, [&](const Deal& d) {
        for (const auto& h : d.holds) w.id(d.id).time(h.from).time(h.to).text(h.reason).end_row();
      });
      break;
    case Entity::invoices:
      each_invoice(store, [&](const Invoice& i) {
        w.id(i.id).id(i.client).id(i.deal).cents(i.amount.cents).text(i.amount.currency).time(i.issued).time(i.due);
        w.time(i.paid).cents(i.paid_cents()).end_row();
      });
      break;
    case Entity::payments:
      each_invoice(store, [&](const Invoice& i) {
        for (const auto& p : i.payments) w.id(i.id).time(p.at).cents(p.cents).end_row();
      });
      break;
  }
  w.flush();
}

}  // namespace

std::size_t export_entity(const Storage& store, Entity entity, std::ostream& out, const ExportOptions& options) {
  Writer w(out, options.times);
  write_entity(store, entity, w);
  return w.rows();
}

ExportReport export_directory(const Storage& store, const std::filesystem::path& dir, const ExportOptions& options) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec || !fs::is_directory(dir))
    throw error(fmt::format("csv export: cannot create the directory '{}': {}", dir.string(), ec.message()));
  ExportReport report;
  for (auto e : all_entities) {
    const auto path = dir / file_name(e);
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    if (!out) throw error(fmt::format("csv export: cannot write '{}'", path.string()));
    try {
      report.rows[static_cast<std::size_t>(e)] = export_entity(store, e, out, options);
    } catch (const invalid_argument&) {
      throw;
    } catch (const error&) {
      throw error(fmt::format("csv export: writing '{}' failed", path.string()));
    }
    out.close();
    if (!out) throw error(fmt::format("csv export: writing '{}' failed", path.string()));
  }
  return report;
}

}  // namespace nudge::csv
