#pragma once
// The manager's / supervisor's report as JSON and as one self-contained HTML
// file (inline CSS and SVG, no network).

#include <algorithm>
#include <string>

#include <nlohmann/json.hpp>

#include <nudge/engine/report.hpp>

namespace nudge::cli {

inline nlohmann::json to_json(const ManagerReport& r, const std::string& title) {
  nlohmann::json pipeline = nlohmann::json::object();
  for (const auto& [cur, p] : r.pipeline)
    pipeline[cur] = {{"open_deals", p.open_deals},
                     {"amount", static_cast<double>(p.amount_cents) / 100.0},
                     {"weighted", std::round(p.weighted * 100.0) / 100.0}};
  nlohmann::json members = nlohmann::json::array();
  for (auto m : r.members) members.push_back(m.value());
  return {{"schema", "nudge.report/1"},
          {"title", title},
          {"manager", r.manager.value()},
          {"name", r.name},
          {"members", members},
          {"clients", r.clients},
          {"findings", r.findings},
          {"open_tasks", r.open_tasks},
          {"overdue_tasks", r.overdue_tasks},
          {"sla_breaches", r.sla_breaches},
          {"released_in", r.released_in},
          {"released_out", r.released_out},
          {"deals_by_stage", r.deals_by_stage},
          {"pipeline", pipeline}};
}

inline std::string html_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

/// A horizontal bar chart as inline SVG; each bar carries data-label/data-value for tests.
inline std::string svg_bars(const std::string& id, const std::vector<std::pair<std::string, double>>& rows,
                            const std::string& unit = {}) {
  const double max = rows.empty() ? 1.0 : std::max(1e-9, std::max_element(rows.begin(), rows.end(), [](auto& a, auto& b) {
                                                            return a.second < b.second;
                                                          })->second);
  const int row_h = 26, label_w = 170, bar_w = 360;
  std::string s = fmt::format(R"(<svg id="{}" class="chart" xmlns="http://www.w3.org/2000/svg" width="{}" height="{}" role="img">)",
                              id, label_w + bar_w + 120, std::max<std::size_t>(rows.size(), 1) * row_h + 4);
  int y = 2;
  for (const auto& [label, v] : rows) {
    const int w = static_cast<int>(bar_w * v / max);
    s += fmt::format(R"(<text x="{}" y="{}" text-anchor="end" class="lbl">{}</text>)", label_w - 8, y + 17, html_escape(label));
    s += fmt::format(R"(<rect class="bar" x="{}" y="{}" width="{}" height="{}" data-label="{}" data-value="{}"></rect>)",
                     label_w, y + 3, std::max(w, 1), row_h - 8, html_escape(label), v);
    s += fmt::format(R"(<text x="{}" y="{}" class="val">{}{}</text>)", label_w + std::max(w, 1) + 6, y + 17,
                     v == std::floor(v) ? fmt::format("{:.0f}", v) : fmt::format("{:.2f}", v), unit);
    y += row_h;
  }
  if (rows.empty()) s += R"(<text x="8" y="18" class="lbl">nothing</text>)";
  return s + "</svg>";
}

inline std::string to_html(const ManagerReport& r, const std::string& title, const std::string& now,
                           const std::vector<std::string>& lines) {
  std::vector<std::pair<std::string, double>> findings(r.findings.begin(), r.findings.end());
  std::vector<std::pair<std::string, double>> stages(r.deals_by_stage.begin(), r.deals_by_stage.end());
  std::vector<std::pair<std::string, double>> pipe;
  for (const auto& [cur, p] : r.pipeline) {
    pipe.emplace_back("amount " + cur, static_cast<double>(p.amount_cents) / 100.0);
    pipe.emplace_back("weighted " + cur, std::round(p.weighted * 100.0) / 100.0);
  }
  auto tile = [](const char* id, const char* label, std::int64_t v) {
    return fmt::format(R"(<div class="tile"><div class="num" id="{}">{}</div><div>{}</div></div>)", id, v, label);
  };
  std::string list;
  for (const auto& l : lines) list += "<li>" + html_escape(l) + "</li>";
  return fmt::format(R"(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{0}</title>
<style>
body{{font-family:system-ui,sans-serif;margin:24px;color:#222;background:#fafafa}}
h1{{font-size:22px;margin:0 0 4px}} .sub{{color:#666;margin-bottom:18px}}
.tiles{{display:flex;gap:12px;flex-wrap:wrap;margin-bottom:18px}}
.tile{{background:#fff;border:1px solid #ddd;border-radius:8px;padding:10px 16px;min-width:110px}}
.num{{font-size:26px;font-weight:600}} .warn .num{{color:#b3261e}}
section{{background:#fff;border:1px solid #ddd;border-radius:8px;padding:12px 16px;margin-bottom:14px}}
h2{{font-size:16px;margin:0 0 8px}} .bar{{fill:#3b6fb6}} .lbl,.val{{font-size:13px;fill:#333}}
li{{margin:2px 0;font-size:13px}}
</style></head><body>
<h1>{0}</h1><div class="sub">at {1} &middot; {2} manager(s)</div>
<div class="tiles">{3}{4}<div class="tile warn">{5}</div><div class="tile warn">{6}</div>{7}{8}</div>
<section><h2>Findings by assistant</h2>{9}</section>
<section><h2>Open deals by stage</h2>{10}</section>
<section><h2>Open pipeline</h2>{11}</section>
<section><h2>What needs attention</h2><ul>{12}</ul></section>
</body></html>
)",
                     html_escape(title), html_escape(now), r.members.size(), tile("clients", "clients", r.clients),
                     tile("open_tasks", "open tasks", r.open_tasks),
                     fmt::format(R"(<div class="num" id="overdue_tasks">{}</div><div>overdue tasks</div>)", r.overdue_tasks),
                     fmt::format(R"(<div class="num" id="sla_breaches">{}</div><div>stage-SLA breaches</div>)", r.sla_breaches),
                     tile("released_in", "clients released in", r.released_in),
                     tile("released_out", "clients released out", r.released_out), svg_bars("findings", findings),
                     svg_bars("stages", stages), svg_bars("pipeline", pipe), list);
}

}  // namespace nudge::cli
