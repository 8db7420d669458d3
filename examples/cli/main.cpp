// `nudge`: the command-line host. Works on a SQLite file, the embedded default.
//
//   nudge init crm.db
//   nudge import crm.db examples/data/maven
//   nudge plan crm.db --config examples/config/maven.json --now 2017-12-31
//   nudge apply crm.db --config examples/config/maven.json --now 2017-12-31
//
// plan, apply and report plan on --threads threads (default: the machine's cores).
//
// Exit codes: 0 fine, 1 findings (with --fail-on-findings), 2 bad input, 3 storage error,
// 130 cancelled by Ctrl-C (nothing written).

#include <filesystem>
#include <iostream>
#include <map>
#include <thread>

#include <unistd.h>

#include <CLI/CLI.hpp>

#include <nudge/config/config.hpp>
#include <nudge/csv/import.hpp>
#include <nudge/csv/maven.hpp>
#include <nudge/engine/engine.hpp>
#include <nudge/engine/explain.hpp>
#include <nudge/engine/report.hpp>
#include <nudge/notify/dispatcher.hpp>
#include <nudge/notify/notifier.hpp>
#include <fstream>
#include <set>
#include <nudge/sqlite/sqlite_storage.hpp>

#include "plan_json.hpp"
#include "progress_bar.hpp"
#include "report_html.hpp"

namespace fs = std::filesystem;
using namespace nudge;

namespace {

enum Exit { ok = 0, findings = 1, bad_input = 2, storage = 3, interrupted = 130 };

EngineConfig engine_config(const std::string& path) {
  if (path.empty()) return EngineConfig::defaults();
  return load_config_file(path).engine;
}

void require_file(const std::string& path, const char* what) {
  if (!fs::exists(path)) throw invalid_argument(fmt::format("{}: no such file '{}'", what, path));
}

/// The readable dry run: counts per rule, then up to `limit` findings of each rule with their actions.
void print_plan(const Plan& p, std::size_t limit, const Storage& store) {
  std::map<std::string, std::size_t> per_rule;
  for (const auto& f : p.findings) ++per_rule[f.rule];
  fmt::print("Plan at {}: {} findings, {} actions\n", iso_instant(p.now), p.findings.size(), p.actions.size());
  for (const auto& [rule, n] : per_rule) fmt::print("  {:<16} {:>6} finding{}\n", rule, n, n == 1 ? "" : "s");
  if (limit == 0) {
    fmt::print("{}", explain(p));
    return;
  }
  std::map<std::size_t, std::vector<const Action*>> acts;
  for (const auto& a : p.actions)
    if (a.finding < p.findings.size()) acts[a.finding].push_back(&a);
  std::string rule;
  std::size_t shown = 0;
  for (std::size_t i = 0; i < p.findings.size(); ++i) {
    const auto& f = p.findings[i];
    if (f.rule != rule) {
      if (!rule.empty() && per_rule[rule] > shown) fmt::print("  ... and {} more (--limit 0 shows all)\n", per_rule[rule] - shown);
      rule = f.rule;
      shown = 0;
      fmt::print("\n[{}]\n", rule);
    }
    if (shown++ >= limit) continue;
    fmt::print("- {}\n", f.summary);
    for (const auto* a : acts[i]) fmt::print("    -> {}\n", a->explanation);
  }
  if (!rule.empty() && per_rule[rule] > shown) fmt::print("  ... and {} more (--limit 0 shows all)\n", per_rule[rule] - shown);
  if (!p.forecast.empty()) {
    std::map<ManagerId, std::string> names;
    for (const auto& m : store.managers()) names[m.id] = m.name;
    auto name_of = [&](ManagerId id) { return names.count(id) ? names[id] : fmt::format("manager {}", id.value()); };
    auto rows = p.forecast;
    std::sort(rows.begin(), rows.end(), [](const ForecastRow& a, const ForecastRow& b) { return a.weighted > b.weighted; });
    fmt::print("\n[forecast] weighted open pipeline by owner (top {})\n", std::min(limit, rows.size()));
    for (std::size_t i = 0; i < rows.size() && i < limit; ++i)
      fmt::print("  {:<22} {:>4} open deals  {:>14.2f} {}  weighted {:>14.2f}\n", name_of(rows[i].owner),
                 rows[i].open_deals, static_cast<double>(rows[i].amount_cents) / 100.0, rows[i].currency,
                 rows[i].weighted);
  }
  if (!p.notes.empty()) {
    fmt::print("\n[notes]\n");
    for (std::size_t i = 0; i < p.notes.size() && i < std::max<std::size_t>(limit, 1) * 3; ++i) fmt::print("- {}\n", p.notes[i]);
  }
}

/// A manager by name (or by id when the text is a number).
ManagerId find_manager(const Storage& store, const std::string& who, const char* option) {
  for (const auto& m : store.managers())
    if (m.name == who || std::to_string(m.id.value()) == who) return m.id;
  throw invalid_argument(fmt::format("{}: no manager named '{}'", option, who));
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"nudge: a CRM rules engine on a SQLite file"};
  app.require_subcommand(1);

  std::string db, dir, config, now_text, format = "text";
  std::size_t limit = 5;
  // The plan is the same on any number of threads: use the machine's cores.
  unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  bool fail_on_findings = false, maven = false, force_progress = false, quiet = false;
  auto add_progress_options = [&](CLI::App* c) {
    auto* p = c->add_flag("--progress", force_progress, "Draw the progress bar on stderr even when it is not a terminal");
    c->add_flag("--quiet", quiet, "No progress bar, even on a terminal")->excludes(p);
  };

  auto* init = app.add_subcommand("init", "Create (or upgrade) a Nudge database file");
  init->add_option("db", db, "SQLite file")->required();

  auto* imp = app.add_subcommand("import", "Import a directory of CSV files (the interchange format, or the Maven dataset)");
  imp->add_option("db", db, "SQLite file")->required();
  imp->add_option("dir", dir, "Directory with the CSV files")->required();
  imp->add_flag("--maven", maven, "Read the Maven CRM dataset (detected automatically from sales_pipeline.csv)");
  add_progress_options(imp);

  auto add_plan_options = [&](CLI::App* c) {
    c->add_option("db", db, "SQLite file")->required();
    c->add_option("--config", config, "Configuration file (JSON); defaults when absent");
    c->add_option("--now", now_text, "The moment to evaluate at, ISO-8601 (e.g. 2026-11-22T00:00:00Z)")->required();
    c->add_option("--format", format, "text or json")->check(CLI::IsMember({"text", "json"}));
    c->add_option("--limit", limit, "Findings shown per rule in text output (0 = all)");
    c->add_option("--threads", threads, "Threads that plan (the plan is the same on any number); default: the cores")
        ->check(CLI::Range(1u, 256u));
    c->add_flag("--fail-on-findings", fail_on_findings, "Exit with 1 when there are findings");
    add_progress_options(c);
  };
  auto* plan = app.add_subcommand("plan", "Dry run: what would happen at --now, and why");
  add_plan_options(plan);
  auto* apply = app.add_subcommand("apply", "Plan and carry the actions out (exactly once each)");
  add_plan_options(apply);

  std::string manager_name, team_name, html;
  auto* report = app.add_subcommand("report", "The manager's or the supervisor's report (text, JSON or one HTML file)");
  add_plan_options(report);
  auto* who = report->add_option("--manager", manager_name, "Manager (name or id): their own figures");
  report->add_option("--team", team_name, "Supervisor (name or id): figures over everyone under them")->excludes(who);
  report->add_option("--html", html, "Write a self-contained HTML report to this file");

  std::string jsonl;
  auto* dispatch = app.add_subcommand("dispatch", "Deliver the due outbox messages (printed, or appended to a JSON-lines file)");
  dispatch->add_option("db", db, "SQLite file")->required();
  dispatch->add_option("--now", now_text, "The moment to deliver at, ISO-8601")->required();
  dispatch->add_option("--config", config, "Configuration file (quiet hours); none when absent");
  dispatch->add_option("--jsonl", jsonl, "Append each message as one JSON line to this file instead of printing it");

  auto* validate = app.add_subcommand("validate-config", "Check a configuration file and list every problem");
  validate->add_option("file", config, "Configuration file (JSON)")->required();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help is fine; every other command-line problem is bad input (2), not CLI11's own codes.
    return app.exit(e) == 0 ? ok : bad_input;
  }

  // The bar: on a terminal unless --quiet, or wherever with --progress.
  const bool show_progress = force_progress || (!quiet && isatty(STDERR_FILENO) == 1);
  if (*imp || *plan || *apply || *report) cli::catch_ctrl_c();

  try {
    if (*init) {
      SqliteStorage store{db};
      fmt::print("{}: ready (schema version {})\n", db, SqliteStorage::schema_version());
      return ok;
    }
    if (*imp) {
      if (!fs::is_directory(dir)) throw invalid_argument(fmt::format("dir: no such directory '{}'", dir));
      SqliteStorage store{db};
      cli::ProgressBar bar{show_progress, "import", cli::ProgressBar::Unit::bytes};
      if (maven || fs::exists(fs::path(dir) / "sales_pipeline.csv")) {
        csv::MavenOptions options;
        options.progress = bar.callback();
        bar.items_for("writing");
        auto report = csv::import_maven(store, dir, options);
        bar.clear();
        fmt::print("{}\n", csv::to_string(report));
      } else {
        csv::ImportOptions options;
        options.progress = bar.callback();
        auto report = csv::import_directory(store, dir, options);
        bar.clear();
        for (auto e : csv::all_entities)
          if (report.rows_of(e)) fmt::print("  {:<20} {:>9} rows\n", csv::file_name(e), report.rows_of(e));
        fmt::print("imported {} rows into {}\n", report.total_rows(), db);
      }
      return ok;
    }
    if (*validate) {
      require_file(config, "file");
      auto c = load_config_file(config);
      Engine engine{c.engine};
      fmt::print("{}: valid ({} assistants)\n", config, engine.assistants().size());
      return ok;
    }
    if (*dispatch) {
      const Instant now = parse_instant(now_text, "--now");
      require_file(db, "db");
      DispatcherOptions options;
      if (!config.empty()) {
        require_file(config, "--config");
        auto c = load_config_file(config);
        options.quiet_hours = c.quiet_hours;
        options.time_zone = c.engine.calendar.time_zone();
      }
      SqliteStorage store{db};
      std::unique_ptr<Notifier> out;
      if (jsonl.empty()) out = std::make_unique<OstreamNotifier>(std::cout);
      else out = std::make_unique<JsonLinesNotifier>(jsonl);
      Dispatcher d{store, *out, options};
      const auto r = d.run(now);
      fmt::print("delivered {}, retried {}, dead {}, held for quiet hours {}\n", r.delivered, r.retried, r.dead,
                 r.deferred);
      for (const auto& n : r.notes) fmt::print("- {}\n", n);
      return ok;
    }
    if (*report) {
      if (manager_name.empty() == team_name.empty()) throw invalid_argument("report: give --manager NAME or --team NAME");
      const Instant now = parse_instant(now_text, "--now");
      if (!config.empty()) require_file(config, "--config");
      require_file(db, "db");
      Engine engine{engine_config(config)};
      SqliteStorage store{db};
      cli::ProgressBar bar{show_progress, "report", cli::ProgressBar::Unit::items};
      const auto p = engine.plan(store, now, PlanOptions{.threads = threads, .progress = bar.callback()});
      bar.clear();
      Reports reports{p, store, now - std::chrono::days{30}};
      const bool team = !team_name.empty();
      const ManagerId id = find_manager(store, team ? team_name : manager_name, team ? "--team" : "--manager");
      const auto r = team ? reports.team(id) : reports.manager(id);
      const std::string title = fmt::format("{} report: {}", team ? "Team" : "Manager", r.name);
      std::set<ManagerId> members(r.members.begin(), r.members.end());
      std::vector<std::string> lines;
      for (const auto& f : p.findings)
        if (members.count(f.owner) && lines.size() < 200) lines.push_back(f.summary);
      if (!html.empty()) {
        std::ofstream out(html);
        if (!out) throw invalid_argument(fmt::format("--html: cannot write '{}'", html));
        out << cli::to_html(r, title, iso_instant(now), lines);
        if (!out) throw invalid_argument(fmt::format("--html: cannot write '{}'", html));
      }
      if (format == "json") {
        std::cout << cli::to_json(r, title).dump(2) << '\n';
      } else {
        fmt::print("{} at {} ({} managers)\n", title, iso_instant(now), r.members.size());
        fmt::print("  clients {}  open tasks {}  overdue {}  SLA breaches {}  released in {} / out {}\n", r.clients,
                   r.open_tasks, r.overdue_tasks, r.sla_breaches, r.released_in, r.released_out);
        for (const auto& [rule, n] : r.findings) fmt::print("  {:<16} {:>6}\n", rule, n);
        for (const auto& [cur, pl] : r.pipeline)
          fmt::print("  pipeline {}: {} open deals, {:.2f}, weighted {:.2f}\n", cur, pl.open_deals,
                     static_cast<double>(pl.amount_cents) / 100.0, pl.weighted);
        if (!html.empty()) fmt::print("  HTML report: {}\n", html);
      }
      return ok;
    }
    if (*plan || *apply) {
      const Instant now = parse_instant(now_text, "--now");
      if (!config.empty()) require_file(config, "--config");
      require_file(db, "db");
      Engine engine{engine_config(config)};
      SqliteStorage store{db};
      cli::ProgressBar bar{show_progress, *apply ? "apply" : "plan", cli::ProgressBar::Unit::items};
      auto p = engine.plan(store, now, PlanOptions{.threads = threads, .progress = bar.callback()});
      bar.clear();
      // Ctrl-C after the plan and before apply starts: nothing is applied.
      // During the apply (one unit of work) the bar's callback stops it and
      // the unit rolls back: nothing is written either.
      if (*apply && cli::interrupted) throw cancelled("apply: cancelled before applying");
      auto apply_plan = [&] {
        auto r = engine.apply(p, store, bar.callback());
        bar.clear();
        return r;
      };
      if (format == "json") {
        auto j = cli::to_json(p);
        if (*apply) {
          auto r = apply_plan();
          j["applied"] = r.applied;
          j["skipped"] = r.skipped;
        }
        std::cout << j.dump(2) << '\n';
      } else {
        print_plan(p, limit, store);
        if (*apply) {
          auto r = apply_plan();
          fmt::print("\napplied {} actions ({} already applied before, skipped)\n", r.applied, r.skipped);
        }
      }
      return fail_on_findings && !p.findings.empty() ? findings : ok;
    }
  } catch (const cancelled& e) {
    fmt::print(stderr, "nudge: cancelled ({}); nothing was written\n", e.what());
    return interrupted;
  } catch (const storage_error& e) {
    fmt::print(stderr, "nudge: storage error: {}\n", e.what());
    return storage;
  } catch (const nudge::error& e) {
    fmt::print(stderr, "nudge: {}\n", e.what());
    return bad_input;
  }
  return ok;
}
