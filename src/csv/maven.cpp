// The Maven "CRM + Sales + Opportunities" dataset mapped onto Nudge's domain.
// Every peculiarity of the data is counted in the report with examples and
// with what was done about it; nothing is fixed silently.

#include <nudge/csv/maven.hpp>

#include <algorithm>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <unordered_map>

#include <fmt/format.h>

#include <nudge/csv/import.hpp>

#include "table.hpp"
#include "values.hpp"

namespace nudge::csv {

namespace {

using namespace detail;

// ---- the files' columns (other columns are ignored) ---------------------------------
namespace tm_ { enum : int { agent, manager, office }; }
namespace ac_ { enum : int { account, sector, year, revenue, employees, country, parent }; }
namespace pr_ { enum : int { product, series, price }; }
namespace sp_ { enum : int { id, agent, product, account, stage, engage, close, value }; }

constexpr Column team_columns[] = {{"sales_agent", true}, {"manager", true}, {"regional_office", true}};
constexpr Column account_columns[] = {{"account", true},   {"sector", false},        {"year_established", false},
                                      {"revenue", false},  {"employees", false},     {"office_location", false},
                                      {"subsidiary_of", false}};
constexpr Column product_columns[] = {{"product", true}, {"series", false}, {"sales_price", false}};
constexpr Column pipeline_columns[] = {{"opportunity_id", true}, {"sales_agent", true}, {"product", false},
                                       {"account", false},       {"deal_stage", true},  {"engage_date", false},
                                       {"close_date", false},    {"close_value", false}};

constexpr std::string_view stage_names[] = {"Prospecting", "Engaging", "Won", "Lost"};
constexpr std::string_view stage_ids[] = {"prospecting", "engaging", "won", "lost"};
enum Stage : std::size_t { prospecting, engaging, won, lost };

struct Misspelling {
  std::string_view wrong, right;
};
constexpr Misspelling sector_fixes[] = {{"technolgy", "technology"}};
constexpr Misspelling country_fixes[] = {{"Philipines", "Philippines"}};

// ---- the quirks, in the order the report lists them -------------------------------------
struct QuirkText {
  std::string_view id, description, handling;
};
constexpr QuirkText quirk_texts[] = {
    {"product_name_mismatch", "a product in sales_pipeline.csv is spelt differently in products.csv",
     "matched by the normalised name (letters and digits, lower case); label maven.product has the products.csv name"},
    {"unknown_product", "a product in sales_pipeline.csv is not in products.csv",
     "kept as given in label maven.product; no list price"},
    {"misspelled_sector", "a sector in accounts.csv is misspelt", ""},
    {"misspelled_country", "an office_location in accounts.csv is misspelt", ""},
    {"account_name_case", "an account name starts with a lower-case letter", "kept as given"},
    {"unknown_parent_account", "subsidiary_of names an account that is not in accounts.csv",
     "kept as given in label maven.subsidiary_of"},
    {"duplicate_account", "an account appears twice in accounts.csv", "the first row is used"},
    {"duplicate_agent", "a sales agent appears twice in sales_teams.csv", "the first row is used"},
    {"duplicate_product", "a product appears twice in products.csv", "the first row is used"},
    {"deal_without_account", "a deal's account is empty", ""},
    {"unknown_account", "a deal names an account that is not in accounts.csv",
     "a client is made for it (no sector; label maven.unknown_account)"},
    {"unknown_agent", "a deal's sales_agent is not in sales_teams.csv", "no deal is made"},
    {"duplicate_opportunity_id", "an opportunity_id appears twice", "only its first row is imported"},
    {"prospecting_without_date",
     "a Prospecting deal has no engage_date (it has not been engaged yet), so the data has no date for it", ""},
    {"deal_without_engage_date", "an Engaging, Won or Lost deal has no engage_date", ""},
    {"closed_deal_without_close_date", "a Won or Lost deal has no close_date", ""},
    {"open_deal_with_close_date", "a Prospecting or Engaging deal has a close_date", "the close_date is ignored"},
    {"closed_before_engaged", "a deal's close_date is before its engage_date",
     "opened is set to the close_date (label maven.dates)"},
    {"open_deal_without_value", "an open deal (Prospecting, Engaging) has no close_value", ""},
    {"lost_deal_zero_value", "a Lost deal has close_value 0 (the revenue, not the deal's size)", ""},
    {"won_deal_without_value", "a Won deal has no close_value or 0", ""},
    {"engaged_before_established", "a deal was engaged before the year its account was established",
     "kept as given"},
    {"possible_duplicate_opportunity",
     "a row repeats an earlier row in everything but opportunity_id (same agent, product, account, stage, dates, value)",
     "kept: each row is its own deal"},
    {"agent_without_deals", "a sales agent has no deal in sales_pipeline.csv",
     "imported as a manager without clients or deals"},
    {"owner_tie", "an account's most active agents have the same number of deals on it",
     "the first of them by name owns the client"},
    {"account_without_deals", "an account has no deal in sales_pipeline.csv",
     "owned by the first supervisor by name (no agent works it)"},
};

class Quirks {
public:
  explicit Quirks(std::size_t max_examples) : max_(max_examples) {}
  void note(std::string_view id, std::string example) {
    auto& q = find(id);
    ++q.count;
    if (q.examples.size() < max_) q.examples.push_back(std::move(example));
  }
  void handling(std::string_view id, std::string text) { find(id).handling = std::move(text); }
  std::vector<MavenQuirk> take() {
    std::vector<MavenQuirk> out;
    for (const auto& t : quirk_texts)
      if (auto it = found_.find(std::string(t.id)); it != found_.end() && it->second.count > 0)
        out.push_back(std::move(it->second));
    return out;
  }

private:
  MavenQuirk& find(std::string_view id) {
    auto [it, inserted] = found_.try_emplace(std::string(id));
    if (inserted) {
      it->second.id = std::string(id);
      for (const auto& t : quirk_texts)
        if (t.id == id) {
          it->second.description = std::string(t.description);
          it->second.handling = std::string(t.handling);
        }
    }
    return it->second;
  }
  std::size_t max_;
  std::map<std::string, MavenQuirk> found_;
};

std::string normalised(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c >= 'A' && c <= 'Z') out.push_back(static_cast<char>(c - 'A' + 'a'));
    else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) out.push_back(c);
  }
  return out;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

struct Team {
  std::string supervisor, office;
  std::size_t line = 0;
};
struct Account {
  std::string name, sector, year, revenue, employees, country, parent;
  std::size_t line = 0;
};
struct Product {
  MavenProduct p;
  std::size_t line = 0;
};
struct Opportunity {
  std::string id, agent, product, account;
  Stage stage = prospecting;
  std::optional<Date> engage, close;
  std::optional<std::int64_t> value;
  std::size_t line = 0, row = 0;
};

class MavenImporter {
public:
  MavenImporter(Storage& store, const MavenOptions& opt) : store_(store), opt_(opt), quirks_(opt.max_examples) {}

  MavenReport run(const MavenInputs& in) {
    if (!in.sales_teams || !in.accounts || !in.products || !in.sales_pipeline)
      throw invalid_argument("maven import: all four inputs are needed (sales_teams, accounts, products, sales_pipeline)");
    read_teams(*in.sales_teams);
    read_products(*in.products);
    read_accounts(*in.accounts);
    read_pipeline(*in.sales_pipeline);
    if (issues_.any()) issues_.raise();
    map_and_write();
    report_.quirks = quirks_.take();
    return std::move(report_);
  }

private:
  std::string where(std::string_view file, std::size_t line) const { return fmt::format("{}:{}", file, line); }

  // ---- reading --------------------------------------------------------------------------
  void read_teams(std::istream& in) {
    const std::uint64_t bytes = opt_.progress ? remaining_bytes(in) : 0;
    Table t(in, "sales_teams.csv", team_columns, issues_, true);
    t.watch(opt_.progress, "maven import", "sales_teams", bytes);
    while (t.next()) {
      std::string agent, sup, office;
      t.text(tm_::agent, agent);
      t.text(tm_::manager, sup);
      t.text(tm_::office, office);
      if (!t.ok()) continue;
      if (teams_.count(agent)) {
        quirks_.note("duplicate_agent", fmt::format("{}: '{}' (first on line {})", where(t.name(), t.line()), agent,
                                                    teams_[agent].line));
        continue;
      }
      teams_[agent] = {sup, office, t.line()};
      supervisors_[sup].insert(office);
    }
  }

  void read_products(std::istream& in) {
    const std::uint64_t bytes = opt_.progress ? remaining_bytes(in) : 0;
    Table t(in, "products.csv", product_columns, issues_, true);
    t.watch(opt_.progress, "maven import", "products", bytes);
    while (t.next()) {
      Product p;
      t.text(pr_::product, p.p.name);
      t.text(pr_::series, p.p.series);
      if (auto c = t.amount(pr_::price)) p.p.list_price.cents = *c;
      p.line = t.line();
      if (!t.ok()) continue;
      auto key = normalised(p.p.name);
      if (products_.count(key)) {
        quirks_.note("duplicate_product", fmt::format("{}: '{}'", where(t.name(), t.line()), p.p.name));
        continue;
      }
      report_.products.push_back(p.p);
      products_.emplace(std::move(key), std::move(p));
    }
  }

  void read_accounts(std::istream& in) {
    const std::uint64_t bytes = opt_.progress ? remaining_bytes(in) : 0;
    Table t(in, "accounts.csv", account_columns, issues_, true);
    t.watch(opt_.progress, "maven import", "accounts", bytes);
    while (t.next()) {
      Account a;
      t.text(ac_::account, a.name);
      t.text(ac_::sector, a.sector);
      t.text(ac_::year, a.year);
      t.text(ac_::revenue, a.revenue);
      t.text(ac_::employees, a.employees);
      t.text(ac_::country, a.country);
      t.text(ac_::parent, a.parent);
      if (!a.year.empty()) t.integer(ac_::year);  // reports an unreadable year
      a.line = t.line();
      if (!t.ok()) continue;
      if (accounts_.count(a.name)) {
        quirks_.note("duplicate_account", fmt::format("{}: '{}'", where(t.name(), t.line()), a.name));
        continue;
      }
      const auto at = where(t.name(), t.line());
      for (const auto& f : sector_fixes)
        if (a.sector == f.wrong) {
          quirks_.note("misspelled_sector", fmt::format("{}: '{}' ({})", at, f.wrong, a.name));
          quirks_.handling("misspelled_sector", opt_.fix_misspellings
                                                    ? fmt::format("segment '{}' (the corrected spelling)", f.right)
                                                    : std::string("kept as given (MavenOptions::fix_misspellings is off)"));
          if (opt_.fix_misspellings) a.sector = std::string(f.right);
        }
      for (const auto& f : country_fixes)
        if (a.country == f.wrong) {
          quirks_.note("misspelled_country", fmt::format("{}: '{}' ({})", at, f.wrong, a.name));
          quirks_.handling("misspelled_country",
                           opt_.fix_misspellings
                               ? fmt::format("label maven.country = '{}' (the corrected spelling)", f.right)
                               : std::string("kept as given (MavenOptions::fix_misspellings is off)"));
          if (opt_.fix_misspellings) a.country = std::string(f.right);
        }
      if (!a.name.empty() && a.name[0] >= 'a' && a.name[0] <= 'z')
        quirks_.note("account_name_case", fmt::format("{}: '{}'", at, a.name));
      accounts_.emplace(a.name, std::move(a));
    }
    for (const auto& [name, a] : accounts_)
      if (!a.parent.empty() && !accounts_.count(a.parent))
        quirks_.note("unknown_parent_account", fmt::format("{}: '{}' of '{}'", where("accounts.csv", a.line), a.parent, name));
  }

  void read_pipeline(std::istream& in) {
    const std::uint64_t bytes = opt_.progress ? remaining_bytes(in) : 0;
    Table t(in, "sales_pipeline.csv", pipeline_columns, issues_, true);
    t.watch(opt_.progress, "maven import", "sales_pipeline", bytes);
    std::size_t row = 0;
    while (t.next()) {
      ++row;
      Opportunity o;
      o.row = row;
      o.line = t.line();
      t.text(sp_::id, o.id);
      t.text(sp_::agent, o.agent);
      t.text(sp_::product, o.product);
      t.text(sp_::account, o.account);
      const auto st = t.choice(sp_::stage, stage_names, "deal_stage");
      o.engage = t.date(sp_::engage);
      o.close = t.date(sp_::close);
      o.value = t.amount(sp_::value);
      if (!t.ok()) continue;
      o.stage = static_cast<Stage>(*st);
      for (auto d : {o.engage, o.close})
        if (d && (!latest_ || *d > *latest_)) latest_ = d;
      pipeline_.push_back(std::move(o));
    }
  }

  // ---- mapping --------------------------------------------------------------------------
  ManagerId manager_id(const std::string& name) const { return ManagerId{opt_.id_offset + manager_ids_.at(name)}; }

  void map_and_write() {
    as_of_ = opt_.as_of ? *opt_.as_of : latest_ ? *latest_ : Date{};
    if (!opt_.as_of && !latest_)
      throw invalid_argument("maven import: sales_pipeline.csv has no dates; set MavenOptions::as_of");
    report_.as_of = as_of_;
    const auto as_of_text = iso_date(as_of_);

    // Managers: supervisors by name, then agents by name.
    std::int64_t next = 0;
    for (const auto& [name, offices] : supervisors_) manager_ids_[name] = ++next;
    for (const auto& [agent, team] : teams_)
      if (!manager_ids_.count(agent)) manager_ids_[agent] = ++next;
    report_.supervisors = supervisors_.size();
    report_.agents = teams_.size();

    // Deals, first pass: who, what, and the quirks of each row.
    std::set<std::string> seen_ids;
    std::map<std::tuple<std::string, std::string, std::string, std::size_t, std::optional<Date>, std::optional<Date>,
                        std::optional<std::int64_t>>,
             std::size_t>
        seen_rows;
    std::map<std::string, std::map<std::string, std::size_t>> account_agents;  // account -> agent -> deals
    std::set<std::string> agents_with_deals;
    std::set<std::string> no_account_agents;
    std::set<std::string> unknown_accounts;
    std::vector<const Opportunity*> kept;
    for (const auto& o : pipeline_) {
      const auto at = where("sales_pipeline.csv", o.line);
      if (!seen_ids.insert(o.id).second) {
        quirks_.note("duplicate_opportunity_id", fmt::format("{}: '{}'", at, o.id));
        ++report_.skipped_deals;
        continue;
      }
      if (!teams_.count(o.agent)) {
        quirks_.note("unknown_agent", fmt::format("{}: '{}'", at, o.agent));
        ++report_.skipped_deals;
        continue;
      }
      auto key = std::make_tuple(o.agent, o.product, o.account, static_cast<std::size_t>(o.stage), o.engage, o.close,
                                 o.value);
      if (auto [it, fresh] = seen_rows.try_emplace(key, o.line); !fresh)
        quirks_.note("possible_duplicate_opportunity", fmt::format("{}: '{}' repeats line {}", at, o.id, it->second));
      if (o.account.empty()) {
        quirks_.note("deal_without_account", fmt::format("{}: '{}' ({}, {})", at, o.id, o.agent, stage_names[o.stage]));
        if (opt_.deals_without_account == MavenOptions::NoAccount::skip) {
          ++report_.skipped_deals;
          continue;
        }
        no_account_agents.insert(o.agent);
      } else {
        if (!accounts_.count(o.account)) {
          if (unknown_accounts.insert(o.account).second)
            quirks_.note("unknown_account", fmt::format("{}: '{}'", at, o.account));
        }
        ++account_agents[o.account][o.agent];
      }
      agents_with_deals.insert(o.agent);
      kept.push_back(&o);
    }
    quirks_.handling("deal_without_account",
                     opt_.deals_without_account == MavenOptions::NoAccount::skip
                         ? std::string("no deal is made (MavenOptions::deals_without_account is skip)")
                         : std::string("attached to a client '(no account) <agent>' per agent, owned by the agent "
                                       "(label maven.synthetic)"));
    for (const auto& [agent, team] : teams_)
      if (!agents_with_deals.count(agent))
        quirks_.note("agent_without_deals", fmt::format("{}: '{}'", where("sales_teams.csv", team.line), agent));

    // Clients: accounts (and accounts only the pipeline names) by name, then one
    // "(no account)" client per agent by agent name.
    std::vector<std::string> names;
    for (const auto& [name, a] : accounts_) names.push_back(name);
    for (const auto& name : unknown_accounts) names.push_back(name);
    std::sort(names.begin(), names.end());
    const std::string first_supervisor = supervisors_.empty() ? std::string() : supervisors_.begin()->first;
    std::map<std::string, Client> clients;  // account name -> client
    std::int64_t next_client = 0;
    for (const auto& name : names) {
      Client c;
      c.id = ClientId{opt_.id_offset + ++next_client};
      c.name = name;
      c.kind = ClientKind::b2b;
      std::string owner;
      if (auto it = account_agents.find(name); it != account_agents.end()) {
        std::size_t best = 0, tied = 0;
        for (const auto& [agent, n] : it->second) {  // by name: the first with the most deals wins
          if (n > best) {
            best = n;
            owner = agent;
            tied = 1;
          } else if (n == best) {
            ++tied;
          }
        }
        if (tied > 1) {
          const auto a = accounts_.find(name);
          quirks_.note("owner_tie", fmt::format("{}: '{}': {} agents with {} deals each; '{}' owns it",
                                                a != accounts_.end() ? where("accounts.csv", a->second.line) : "sales_pipeline.csv",
                                                name, tied, best, owner));
        }
      } else if (!first_supervisor.empty()) {
        owner = first_supervisor;
        const auto a = accounts_.find(name);
        quirks_.note("account_without_deals",
                     fmt::format("{}: '{}'", a != accounts_.end() ? where("accounts.csv", a->second.line) : "", name));
      } else {
        throw invalid_argument("maven import: sales_teams.csv is empty: the accounts have no one to own them");
      }
      c.owner = manager_id(owner);
      c.segments.push_back(lower(office_of(owner)));
      if (auto a = accounts_.find(name); a != accounts_.end()) {
        const auto& acc = a->second;
        if (!acc.sector.empty() && lower(acc.sector) != c.segments.front()) c.segments.push_back(lower(acc.sector));
        auto label = [&](const char* key, const std::string& v) {
          if (!v.empty()) c.labels[key] = v;
        };
        label("maven.country", acc.country);
        label("maven.subsidiary_of", acc.parent);
        label("maven.established", acc.year);
        label("maven.revenue_musd", acc.revenue);
        label("maven.employees", acc.employees);
      } else {
        c.labels["maven.unknown_account"] = "named in sales_pipeline.csv, not in accounts.csv";
      }
      clients.emplace(name, std::move(c));
    }
    report_.clients = clients.size();
    std::map<std::string, Client> synthetic;  // agent -> client
    for (const auto& agent : no_account_agents) {
      Client c;
      c.id = ClientId{opt_.id_offset + ++next_client};
      c.name = "(no account) " + agent;
      c.owner = manager_id(agent);
      c.segments.push_back(lower(office_of(agent)));
      c.labels["maven.synthetic"] = "the deals of " + agent + " whose account is empty in sales_pipeline.csv";
      synthetic.emplace(agent, std::move(c));
    }
    report_.synthetic_clients = synthetic.size();

    // Deals, second pass.
    const std::string list_price_note = "the product's list price (close_value is empty or 0)";
    std::vector<Deal> deals;
    deals.reserve(kept.size());
    for (const Opportunity* o : kept) {
      const auto at = where("sales_pipeline.csv", o->line);
      Client& c = o->account.empty() ? synthetic.at(o->agent) : clients.at(o->account);
      Deal d;
      d.id = DealId{opt_.id_offset + static_cast<std::int64_t>(o->row)};
      d.client = c.id;
      d.owner = manager_id(o->agent);
      d.pipeline = opt_.pipeline;
      d.stage = std::string(stage_ids[o->stage]);
      d.amount.currency = "USD";
      d.labels["maven.opportunity_id"] = o->id;

      // product
      const Product* product = nullptr;
      if (!o->product.empty()) {
        if (auto it = products_.find(normalised(o->product)); it != products_.end()) {
          product = &it->second;
          if (product->p.name != o->product)
            quirks_.note("product_name_mismatch", fmt::format("{}: '{}' -> '{}'", at, o->product, product->p.name));
        } else {
          quirks_.note("unknown_product", fmt::format("{}: '{}'", at, o->product));
        }
        d.labels["maven.product"] = product ? product->p.name : o->product;
      }

      // dates (plain values and flags: GCC 12 misreads optional<Date> here as maybe-uninitialised)
      const bool open = o->stage == prospecting || o->stage == engaging;
      const bool has_close = !open;  // a Won or Lost deal is closed, with or without a close_date
      Date opened{}, closed{};
      if (open && o->close) quirks_.note("open_deal_with_close_date", fmt::format("{}: '{}'", at, o->id));
      if (has_close) {
        if (o->close) {
          closed = *o->close;
        } else {
          quirks_.note("closed_deal_without_close_date", fmt::format("{}: '{}'", at, o->id));
          closed = as_of_;
          d.labels["maven.dates"] = "close_date empty; closed set to as_of " + as_of_text;
        }
      }
      if (o->engage) {
        opened = *o->engage;
      } else {
        if (o->stage == prospecting) {
          quirks_.note("prospecting_without_date", fmt::format("{}: '{}'", at, o->id));
          d.labels["maven.dates"] = "engage_date empty; opened set to as_of " + as_of_text;
        } else {
          quirks_.note("deal_without_engage_date", fmt::format("{}: '{}'", at, o->id));
          d.labels["maven.dates"] = has_close ? "engage_date empty; opened set to the close_date"
                                              : "engage_date empty; opened set to as_of " + as_of_text;
        }
        opened = has_close ? closed : as_of_;
      }
      if (has_close && closed < opened) {
        quirks_.note("closed_before_engaged", fmt::format("{}: '{}' engaged {} closed {}", at, o->id,
                                                          iso_date(opened), iso_date(closed)));
        opened = closed;
        d.labels["maven.dates"] = "close_date before engage_date; opened set to the close_date";
      }
      if (!o->account.empty())
        if (auto a = accounts_.find(o->account); a != accounts_.end() && o->engage && !a->second.year.empty()) {
          std::int64_t year = 0;
          if (parse_int(a->second.year, year) && static_cast<int>(std::chrono::year_month_day{opened}.year()) < year)
            quirks_.note("engaged_before_established",
                         fmt::format("{}: '{}' engaged {}, '{}' established {}", at, o->id, iso_date(opened),
                                     o->account, a->second.year));
        }
      d.opened = at_midnight(opened);
      d.stage_entered = d.opened;
      if (has_close) {
        d.closed = at_midnight(closed);
        d.stage_entered = *d.closed;
        d.history.push_back(StageVisit{"engaging", d.opened, d.closed});
      }
      d.status = o->stage == won ? DealStatus::won : o->stage == lost ? DealStatus::lost : DealStatus::open;
      d.probability = o->stage == won              ? 1.0
                      : o->stage == lost           ? 0.0
                      : o->stage == engaging       ? opt_.engaging_probability
                                                   : opt_.prospecting_probability;

      // amount
      if (o->value && *o->value > 0) {
        d.amount.cents = *o->value;
      } else {
        const char* quirk = open ? "open_deal_without_value" : o->stage == lost ? "lost_deal_zero_value" : "won_deal_without_value";
        quirks_.note(quirk, fmt::format("{}: '{}'", at, o->id));
        if (opt_.list_price_for_missing_amounts && product) {
          d.amount.cents = product->p.list_price.cents;
          d.labels["maven.amount"] = list_price_note;
        }
        quirks_.handling(quirk, opt_.list_price_for_missing_amounts
                                    ? "amount = the product's list price from products.csv (label maven.amount)"
                                    : "amount 0 (MavenOptions::list_price_for_missing_amounts is off)");
      }

      // the client was first seen with its earliest deal
      if (c.created == Instant{} || d.opened < c.created) c.created = d.opened;
      ++report_.deals_by_stage[d.stage];
      deals.push_back(std::move(d));
    }
    report_.deals = deals.size();
    for (auto& [name, c] : clients)
      if (c.created == Instant{}) c.created = at_midnight(as_of_);
    for (const char* id : {"prospecting_without_date", "deal_without_engage_date", "closed_deal_without_close_date"})
      quirks_.handling(id, fmt::format("the missing date is set to as_of {} (or to the close_date when there is one); "
                                       "label maven.dates",
                                       as_of_text));

    // Write: supervisors, agents, clients, deals.
    auto uow = store_.begin();
    written_ = 0;
    to_write_ = manager_ids_.size() + clients.size() + synthetic.size() + deals.size();
    tick_writing();
    for (const auto& [name, offices] : supervisors_) {
      Manager m;
      m.id = manager_id(name);
      m.name = name;
      m.segments.clear();
      for (const auto& o : offices) m.segments.push_back(lower(o));
      write(uow, m, "sales_teams.csv", name);
    }
    for (const auto& [agent, team] : teams_) {
      if (supervisors_.count(agent)) continue;  // an agent who also supervises: one manager
      Manager m;
      m.id = manager_id(agent);
      m.name = agent;
      m.supervisor = manager_id(team.supervisor);
      m.segments = {lower(team.office)};
      write(uow, m, "sales_teams.csv", agent);
    }
    for (const auto& [name, c] : clients) write(uow, c, "accounts.csv", name);
    for (const auto& [agent, c] : synthetic) write(uow, c, "sales_pipeline.csv", c.name);
    for (const auto& d : deals) write(uow, d, "sales_pipeline.csv", d.labels.at("maven.opportunity_id"));
    if (issues_.any()) issues_.raise();
    tick_writing();  // a cancel here still writes nothing: the unit of work rolls back
    uow->commit();
  }

  void tick_writing() const {
    nudge::detail::report(opt_.progress, "maven import", {"writing", written_, to_write_});
  }

  std::string office_of(const std::string& person) const {
    if (auto it = teams_.find(person); it != teams_.end()) return it->second.office;
    if (auto it = supervisors_.find(person); it != supervisors_.end() && !it->second.empty()) return *it->second.begin();
    return {};
  }

  template <class V>
  void write(std::unique_ptr<UnitOfWork>& uow, const V& v, std::string_view file, const std::string& what) {
    if (opt_.progress && ++written_ % progress_every == 0) tick_writing();
    try {
      if constexpr (std::is_same_v<V, Manager>) uow->put_manager(v);
      else if constexpr (std::is_same_v<V, Client>) uow->put_client(v);
      else uow->put_deal(v);
    } catch (const storage_error&) {
      throw;
    } catch (const error& e) {
      issues_.add(file, 0, "", fmt::format("'{}': {}", what, e.what()));
    }
  }

  Storage& store_;
  const MavenOptions& opt_;
  Issues issues_{50};
  Quirks quirks_;
  MavenReport report_;
  std::map<std::string, Team> teams_;                          // agent -> team
  std::map<std::string, std::set<std::string>> supervisors_;  // supervisor -> offices
  std::unordered_map<std::string, Product> products_;          // normalised name -> product
  std::map<std::string, Account> accounts_;
  std::vector<Opportunity> pipeline_;
  std::optional<Date> latest_;
  Date as_of_{};
  std::map<std::string, std::int64_t> manager_ids_;
  std::uint64_t written_ = 0, to_write_ = 0;  // progress of the writing stage
};

}  // namespace

std::string to_string(const MavenReport& r) {
  std::string stages;
  for (const auto* s : {"won", "lost", "engaging", "prospecting"})
    if (auto it = r.deals_by_stage.find(s); it != r.deals_by_stage.end())
      stages += fmt::format("{}{} {}", stages.empty() ? "" : ", ", s, it->second);
  std::string out = fmt::format(
      "maven import as of {}: {} managers ({} supervisors, {} agents), {} clients + {} synthetic, "
      "{} deals ({}), {} skipped, {} products\n",
      iso_date(r.as_of), r.supervisors + r.agents, r.supervisors, r.agents, r.clients, r.synthetic_clients, r.deals,
      stages, r.skipped_deals, r.products.size());
  for (const auto& q : r.quirks) {
    out += fmt::format("- {} ({}): {}. Handling: {}.\n", q.id, q.count, q.description, q.handling);
    for (const auto& e : q.examples) out += fmt::format("    e.g. {}\n", e);
  }
  return out;
}

MavenReport import_maven(Storage& store, const MavenInputs& inputs, const MavenOptions& options) {
  return MavenImporter(store, options).run(inputs);
}

MavenReport import_maven(Storage& store, const std::filesystem::path& dir, const MavenOptions& options) {
  std::array<std::ifstream, 4> files;
  constexpr std::array<const char*, 4> names{"sales_teams.csv", "accounts.csv", "products.csv", "sales_pipeline.csv"};
  for (std::size_t i = 0; i < names.size(); ++i) {
    files[i].open(dir / names[i], std::ios::binary);
    if (!files[i]) throw error(fmt::format("maven import: cannot open '{}'", (dir / names[i]).string()));
  }
  return import_maven(store, MavenInputs{&files[0], &files[1], &files[2], &files[3]}, options);
}

}  // namespace nudge::csv
