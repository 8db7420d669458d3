#pragma once
/// @file
/// Message templates: fmt named arguments ({client}, {days}, {amount} ...), a
/// text per locale, plural forms by each language's rules, and a check that
/// runs when the configuration is built -- an unknown placeholder or a missing
/// locale is an error then, not when the message is due at 3 a.m.
///
/// Plurals, two ways:
/// - `{days_text}`: the count with the language's built-in word: "1 day",
///   "5 days", "1 день", "2 дня", "5 дней", "21 день", "11 дней";
/// - `{days:plural(# day|# days)}`: forms of your own, one per plural
///   category of the locale in CLDR order (en: one|other; ru: one|few|many),
///   `#` standing for the number: `{days:plural(# день|# дня|# дней)}`.
/// Any count works so: `{hours:plural(...)}`, `{minutes:plural(...)}`.
///
/// @code
/// nudge::TemplateMap ts;
/// ts["debtor_reminder"]["en"] = {"Invoice {invoice} is overdue", "{client}, {days_text} overdue: {amount}."};
/// ts["debtor_reminder"]["ru"] = {"Счёт {invoice} просрочен", "{client}, просрочка {days:plural(# день|# дня|# дней)}."};
/// nudge::check_templates(ts, "en");  // throws nudge::configuration_error naming id, locale and placeholder
/// nudge::TemplateArgs a;
/// a.client = "Ромашка";
/// a.days = 22;
/// nudge::render_text(ts["debtor_reminder"]["ru"].body, "ru", a);  // "Ромашка, просрочка 22 дня."
/// @endcode

#include <algorithm>
#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include <nudge/error.hpp>

namespace nudge {

/// A message template: subject and body with fmt named arguments.
struct MessageTemplate {
  std::string subject;
  std::string body;
  friend bool operator==(const MessageTemplate&, const MessageTemplate&) = default;
};

/// The texts of one template id, per locale ("en", "ru", "pt-BR").
using LocalizedTemplate = std::map<std::string, MessageTemplate>;
/// Templates by id, then locale: `templates["debtor_reminder"]["ru"]`.
using TemplateMap = std::map<std::string, LocalizedTemplate>;

// ---- plural rules --------------------------------------------------------------

/// CLDR plural categories (integers only: Nudge counts days, hours, minutes).
enum class PluralCategory { one, few, many, other };

inline std::string_view to_string(PluralCategory c) {
  constexpr std::array<std::string_view, 4> names{"one", "few", "many", "other"};
  return names[static_cast<std::size_t>(c)];
}

/// The language of a locale: "pt" of "pt-BR" / "pt_BR", lower case.
inline std::string language_of(std::string_view locale) {
  std::string out(locale.substr(0, locale.find_first_of("-_")));
  for (auto& ch : out) ch = static_cast<char>(ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch);
  return out;
}

/// How a language picks a plural form for an integer.
class PluralRules {
public:
  /// The rules of a locale's language, or nullopt when Nudge does not know it.
  static std::optional<PluralRules> for_locale(std::string_view locale) {
    const auto lang = language_of(locale);
    for (const auto& [family, langs] : families())
      for (auto l : langs)
        if (l == lang) return PluralRules(family);
    return std::nullopt;
  }

  /// The categories the language uses for integers, in the order forms are written.
  [[nodiscard]] std::span<const PluralCategory> categories() const {
    static constexpr PluralCategory one_other[]{PluralCategory::one, PluralCategory::other};
    static constexpr PluralCategory slavic[]{PluralCategory::one, PluralCategory::few, PluralCategory::many};
    static constexpr PluralCategory czech[]{PluralCategory::one, PluralCategory::few, PluralCategory::other};
    static constexpr PluralCategory none[]{PluralCategory::other};
    switch (family_) {
      case Family::one_other:
      case Family::zero_one_other: return one_other;
      case Family::east_slavic:
      case Family::polish: return slavic;
      case Family::czech: return czech;
      case Family::none: return none;
    }
    return none;
  }
  /// "one|few|many": how messages name the expected forms.
  [[nodiscard]] std::string category_names() const {
    std::string out;
    for (auto c : categories()) out += (out.empty() ? "" : "|") + std::string(to_string(c));
    return out;
  }

  /// The category of n (the sign is ignored).
  [[nodiscard]] PluralCategory category(std::int64_t n) const {
    const std::uint64_t a = n < 0 ? 0 - static_cast<std::uint64_t>(n) : static_cast<std::uint64_t>(n);
    const auto m10 = a % 10, m100 = a % 100;
    const bool few_ending = m10 >= 2 && m10 <= 4 && !(m100 >= 12 && m100 <= 14);
    switch (family_) {
      case Family::one_other: return a == 1 ? PluralCategory::one : PluralCategory::other;
      case Family::zero_one_other: return a <= 1 ? PluralCategory::one : PluralCategory::other;
      case Family::east_slavic:
        if (m10 == 1 && m100 != 11) return PluralCategory::one;
        return few_ending ? PluralCategory::few : PluralCategory::many;
      case Family::polish:
        if (a == 1) return PluralCategory::one;
        return few_ending ? PluralCategory::few : PluralCategory::many;
      case Family::czech:
        if (a == 1) return PluralCategory::one;
        return a >= 2 && a <= 4 ? PluralCategory::few : PluralCategory::other;
      case Family::none: return PluralCategory::other;
    }
    return PluralCategory::other;
  }
  /// The position of n's form among categories().
  [[nodiscard]] std::size_t form_index(std::int64_t n) const {
    const auto cs = categories();
    const auto c = category(n);
    return static_cast<std::size_t>(std::find(cs.begin(), cs.end(), c) - cs.begin());
  }

  friend bool operator==(const PluralRules&, const PluralRules&) = default;

private:
  enum class Family { one_other, zero_one_other, east_slavic, polish, czech, none };
  explicit PluralRules(Family f) : family_(f) {}
  static const std::array<std::pair<Family, std::vector<std::string_view>>, 6>& families() {
    static const std::array<std::pair<Family, std::vector<std::string_view>>, 6> f{{
        {Family::one_other, {"en", "de", "nl", "sv", "da", "nb", "no", "nn", "fi", "et", "it", "es", "el", "hu",
                             "tr", "bg", "ca", "eu", "gl", "he", "hi", "az", "ka", "kk", "uz", "ky"}},
        {Family::zero_one_other, {"fr", "pt", "hy"}},
        {Family::east_slavic, {"ru", "uk", "be"}},
        {Family::polish, {"pl"}},
        {Family::czech, {"cs", "sk"}},
        {Family::none, {"ja", "zh", "ko", "vi", "th", "id", "ms", "lo", "my"}},
    }};
    return f;
  }
  Family family_;
};

namespace detail {

/// Built-in forms of "N days" per language, in the order of its categories.
inline std::string_view builtin_days_forms(std::string_view language) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 16> table{{
      {"en", "# day|# days"},
      {"ru", "# день|# дня|# дней"},
      {"uk", "# день|# дні|# днів"},
      {"be", "# дзень|# дні|# дзён"},
      {"pl", "# dzień|# dni|# dni"},
      {"cs", "# den|# dny|# dní"},
      {"sk", "# deň|# dni|# dní"},
      {"de", "# Tag|# Tage"},
      {"nl", "# dag|# dagen"},
      {"fr", "# jour|# jours"},
      {"es", "# día|# días"},
      {"it", "# giorno|# giorni"},
      {"pt", "# dia|# dias"},
      {"kk", "# күн|# күн"},
      {"ja", "#日"},
      {"zh", "#天"},
  }};
  for (const auto& [lang, forms] : table)
    if (lang == language) return forms;
  return {};
}

/// Splits "a|b|c".
inline std::vector<std::string_view> split_forms(std::string_view s) {
  std::vector<std::string_view> out;
  for (std::size_t from = 0;;) {
    const auto bar = s.find('|', from);
    out.push_back(s.substr(from, bar == std::string_view::npos ? std::string_view::npos : bar - from));
    if (bar == std::string_view::npos) return out;
    from = bar + 1;
  }
}

}  // namespace detail

/// A count a template may print plainly ({days}) or with plural forms
/// ({days:plural(# day|# days)}). Empty when the message has no such count:
/// then it prints nothing. `forms` are built-in forms used without a spec ({days_text}).
struct PluralCount {
  std::optional<std::int64_t> n;
  std::string locale;
  std::string_view forms;  ///< "" or built-in forms (static storage)
  bool builtin = false;    ///< {days_text}: must have built-in forms for the locale
};

// ---- the arguments ---------------------------------------------------------------

/// The placeholders a template (or a task title) may use.
inline constexpr std::array<std::string_view, 15> template_placeholders{
    "client", "owner", "manager", "days", "days_text", "hours", "minutes", "amount",
    "deal",   "invoice", "stage", "from_stage", "summary", "rule", "due"};

/// The values of one message's placeholders. Texts not known for a message
/// are empty; counts not known print nothing.
struct TemplateArgs {
  std::string client;      ///< the client's name
  std::string owner;       ///< the responsible manager's name
  std::string manager;     ///< the manager the message goes to or is about (new assignee ...)
  std::optional<std::int64_t> days;     ///< days overdue / since / open ...
  std::optional<std::int64_t> hours;    ///< a promise: "we call back within {hours}"
  std::optional<std::int64_t> minutes;
  std::string amount;      ///< "1200.00 EUR"
  std::string deal;        ///< deal id
  std::string invoice;     ///< invoice id
  std::string stage;       ///< the (new) stage
  std::string from_stage;  ///< the stage a deal left
  std::string summary;     ///< the finding's one-line explanation
  std::string rule;        ///< the rule's id
  std::string due;         ///< a local time by which something happens: "2026-03-10 14:30"
};

/// Renders one text in a locale. Throws fmt::format_error for an unknown
/// placeholder, a malformed text or a plural spec that does not fit the locale
/// (render_template and check_templates turn that into configuration_error).
inline std::string render_text(std::string_view text, std::string_view locale, const TemplateArgs& a) {
  const std::string loc(locale);
  const auto lang = language_of(locale);
  const PluralCount days{a.days, loc, {}, false}, hours{a.hours, loc, {}, false}, minutes{a.minutes, loc, {}, false};
  const PluralCount days_text{a.days, loc, detail::builtin_days_forms(lang), true};
  return fmt::format(fmt::runtime(text), fmt::arg("client", a.client), fmt::arg("owner", a.owner),
                     fmt::arg("manager", a.manager), fmt::arg("days", days), fmt::arg("days_text", days_text),
                     fmt::arg("hours", hours), fmt::arg("minutes", minutes), fmt::arg("amount", a.amount),
                     fmt::arg("deal", a.deal), fmt::arg("invoice", a.invoice), fmt::arg("stage", a.stage),
                     fmt::arg("from_stage", a.from_stage), fmt::arg("summary", a.summary), fmt::arg("rule", a.rule),
                     fmt::arg("due", a.due));
}

// ---- texts parsed once ---------------------------------------------------------

/// The values of a text's placeholders as views: TemplateArgs without copies,
/// for renderers that already hold the strings.
struct TemplateView {
  std::string_view client, owner, manager;
  std::optional<std::int64_t> days, hours, minutes;
  std::string_view amount, deal, invoice, stage, from_stage, summary, rule, due;
};

inline TemplateView view_of(const TemplateArgs& a) {
  return {a.client, a.owner,  a.manager, a.days,  a.hours,      a.minutes, a.amount, a.deal,
          a.invoice, a.stage, a.from_stage, a.summary, a.rule, a.due};
}

inline TemplateArgs args_of(const TemplateView& v) {
  TemplateArgs a;
  a.client = v.client;
  a.owner = v.owner;
  a.manager = v.manager;
  a.days = v.days;
  a.hours = v.hours;
  a.minutes = v.minutes;
  a.amount = v.amount;
  a.deal = v.deal;
  a.invoice = v.invoice;
  a.stage = v.stage;
  a.from_stage = v.from_stage;
  a.summary = v.summary;
  a.rule = v.rule;
  a.due = v.due;
  return a;
}

/// A text parsed once and rendered many times with the same result as
/// render_text (which it defers to for anything unusual, and so for every
/// error): literal runs, doubled braces, plain placeholders and plural specs
/// on counts.
///
/// @code
/// auto t = nudge::CompiledText::compile("{client}: {days:plural(# day|# days)}");
/// nudge::TemplateView v;
/// v.client = "Acme";
/// v.days = 3;
/// t->render("en", v);  // "Acme: 3 days"
/// @endcode
class CompiledText {
public:
  /// The placeholders, in the order of template_placeholders.
  enum class Field : std::uint8_t {
    client, owner, manager, days, days_text, hours, minutes, amount,
    deal, invoice, stage, from_stage, summary, rule, due, literal
  };

  /// nullopt when the text has anything else (a spec on a text placeholder,
  /// positional fields, an unknown name, a stray brace): render_text then.
  static std::optional<CompiledText> compile(std::string_view text) {
    CompiledText t;
    t.source_ = std::string(text);
    std::string lit;
    auto flush = [&] {
      if (lit.empty()) return;
      t.parts_.push_back({Field::literal, static_cast<std::uint32_t>(t.literals_.size()),
                          static_cast<std::uint32_t>(lit.size())});
      t.literals_ += lit;
      lit.clear();
    };
    auto name_start = [](char ch) { return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_'; };
    auto name_char = [&](char ch) { return name_start(ch) || (ch >= '0' && ch <= '9'); };
    for (std::size_t i = 0; i < text.size(); ++i) {
      const char ch = text[i];
      if (ch == '}') {
        if (i + 1 < text.size() && text[i + 1] == '}') {
          lit += '}';
          ++i;
          continue;
        }
        return std::nullopt;
      }
      if (ch != '{') {
        lit += ch;
        continue;
      }
      if (i + 1 < text.size() && text[i + 1] == '{') {
        lit += '{';
        ++i;
        continue;
      }
      std::size_t j = i + 1;
      if (j >= text.size() || !name_start(text[j])) return std::nullopt;
      while (j < text.size() && name_char(text[j])) ++j;
      const auto name = text.substr(i + 1, j - i - 1);
      const auto at = std::find(template_placeholders.begin(), template_placeholders.end(), name);
      if (at == template_placeholders.end() || j >= text.size()) return std::nullopt;
      Part p{static_cast<Field>(at - template_placeholders.begin()), 0, 0};
      if (text[j] == ':') {
        const auto close = text.find('}', j);
        if (close == std::string_view::npos) return std::nullopt;
        const auto spec = text.substr(j + 1, close - j - 1);
        j = close;
        if (!spec.empty()) {
          constexpr std::string_view open = "plural(";
          if (!counts(p.field) || spec.find('{') != std::string_view::npos || spec.substr(0, open.size()) != open ||
              spec.back() != ')')
            return std::nullopt;
          p.spec = true;
          p.begin = static_cast<std::uint32_t>(t.literals_.size());
          p.size = static_cast<std::uint32_t>(spec.size() - open.size() - 1);
          t.literals_ += spec.substr(open.size(), p.size);
        }
      }
      if (text[j] != '}') return std::nullopt;
      i = j;
      flush();
      t.used_ |= 1u << static_cast<unsigned>(p.field);
      t.parts_.push_back(p);
    }
    flush();
    return t;
  }

  /// Whether the text prints a placeholder (a renderer may skip computing the others).
  [[nodiscard]] bool uses(Field f) const { return (used_ >> static_cast<unsigned>(f)) & 1u; }
  [[nodiscard]] const std::string& source() const { return source_; }

  /// The text in `locale`: what render_text(source(), locale, args) gives.
  /// Throws fmt::format_error when that does.
  [[nodiscard]] std::string render(std::string_view locale, const TemplateView& v) const {
    std::string out;
    out.reserve(literals_.size() + 64);
    std::optional<std::optional<PluralRules>> rules;
    for (const auto& p : parts_) {
      switch (p.field) {
        case Field::literal: out.append(literals_, p.begin, p.size); break;
        case Field::client: out += v.client; break;
        case Field::owner: out += v.owner; break;
        case Field::manager: out += v.manager; break;
        case Field::amount: out += v.amount; break;
        case Field::deal: out += v.deal; break;
        case Field::invoice: out += v.invoice; break;
        case Field::stage: out += v.stage; break;
        case Field::from_stage: out += v.from_stage; break;
        case Field::summary: out += v.summary; break;
        case Field::rule: out += v.rule; break;
        case Field::due: out += v.due; break;
        case Field::days:
        case Field::days_text:
        case Field::hours:
        case Field::minutes: {
          const auto n = p.field == Field::hours ? v.hours : p.field == Field::minutes ? v.minutes : v.days;
          const bool builtin = p.field == Field::days_text;
          std::string_view forms;
          if (p.spec) {
            forms = std::string_view(literals_).substr(p.begin, p.size);
          } else if (!builtin) {
            if (n) out += fmt::format_int(*n).c_str();
            break;
          } else {
            forms = detail::builtin_days_forms(language_of(locale));
            if (forms.empty()) return render_text(source_, locale, args_of(v));
          }
          if (!rules) rules = PluralRules::for_locale(locale);
          if (!*rules) return render_text(source_, locale, args_of(v));
          const auto fs = detail::split_forms(forms);
          if (fs.size() != (*rules)->categories().size()) return render_text(source_, locale, args_of(v));
          if (!n) break;
          const auto form = fs[(*rules)->form_index(*n)];
          for (char ch : form) {
            if (ch == '#') out += fmt::format_int(*n).c_str();
            else out += ch;
          }
          break;
        }
      }
    }
    return out;
  }

private:
  struct Part {
    Field field;
    std::uint32_t begin;  ///< literal text or plural forms, in literals_
    std::uint32_t size;
    bool spec = false;
  };
  static bool counts(Field f) {
    return f == Field::days || f == Field::days_text || f == Field::hours || f == Field::minutes;
  }
  std::string source_;
  std::string literals_;
  std::vector<Part> parts_;
  std::uint32_t used_ = 0;
};

/// Finds the text of `id` for `locale`: the locale itself ("pt-BR"), then its
/// language ("pt"), then `default_locale`. `text` is null when there is none.
struct TemplateChoice {
  const MessageTemplate* text = nullptr;
  std::string locale;  ///< the locale whose text was chosen
};
inline TemplateChoice find_template(const TemplateMap& templates, std::string_view id, std::string_view locale,
                                    std::string_view default_locale) {
  auto it = templates.find(std::string(id));
  if (it == templates.end()) return {};
  for (const std::string& l : {std::string(locale), language_of(locale), std::string(default_locale)}) {
    if (l.empty()) continue;
    if (auto t = it->second.find(l); t != it->second.end()) return {&t->second, l};
  }
  return {};
}

/// One problem check_templates found.
struct TemplateProblem {
  std::string id;
  std::string locale;  ///< "" when the problem is about the id as a whole
  std::string field;   ///< "subject", "body" or ""
  std::string message;
  /// "template 'debtor_reminder' (ru) body: unknown placeholder {clinet} ..."
  [[nodiscard]] std::string text() const {
    std::string where = fmt::format("template '{}'", id);
    if (!locale.empty()) where += fmt::format(" ({})", locale);
    if (!field.empty()) where += " " + field;
    return where + ": " + message;
  }
  friend bool operator==(const TemplateProblem&, const TemplateProblem&) = default;
};

/// What is wrong with the placeholders of one text, or "" when nothing: an
/// unknown name (with the known ones listed), an unclosed or stray brace.
inline std::string check_placeholder_names(std::string_view text) {
  auto known = [] {
    std::string s;
    for (auto p : template_placeholders) s += fmt::format("{}{{{}}}", s.empty() ? "" : ", ", p);
    return s;
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '}') {
      if (i + 1 < text.size() && text[i + 1] == '}') {
        ++i;
        continue;
      }
      return fmt::format("a single '}}' at offset {}; write '}}}}' for a literal brace", i);
    }
    if (text[i] != '{') continue;
    if (i + 1 < text.size() && text[i + 1] == '{') {
      ++i;
      continue;
    }
    const auto close = text.find('}', i);
    if (close == std::string_view::npos) return fmt::format("an unclosed '{{' at offset {}", i);
    const auto field = text.substr(i + 1, close - i - 1);
    const auto name = field.substr(0, field.find(':'));
    if (std::find(template_placeholders.begin(), template_placeholders.end(), name) == template_placeholders.end())
      return fmt::format("unknown placeholder {{{}}}; known placeholders: {}", name, known());
    i = close;
  }
  return {};
}

/// Every problem of a set of templates: unknown placeholders, malformed texts,
/// plural forms that do not fit their locale (or a locale without plural
/// rules), an id without a text in `default_locale`, and an id missing one of
/// `required_locales`.
inline std::vector<TemplateProblem> template_problems(const TemplateMap& templates, std::string_view default_locale,
                                                      std::span<const std::string> required_locales = {}) {
  std::vector<TemplateProblem> out;
  // Sample values: every count set, so each plural spec is exercised.
  TemplateArgs sample;
  sample.client = "client";
  sample.days = 2;
  sample.hours = 2;
  sample.minutes = 2;
  for (const auto& [id, locales] : templates) {
    if (!locales.count(std::string(default_locale)))
      out.push_back({id, "", "", fmt::format("no text for the default locale '{}'", default_locale)});
    for (const auto& l : required_locales)
      if (l != default_locale && !locales.count(l))
        out.push_back({id, "", "", fmt::format("no text for the required locale '{}'", l)});
    for (const auto& [loc, t] : locales) {
      if (loc.empty()) out.push_back({id, loc, "", "the locale must not be empty"});
      for (const auto& [field, text] : {std::pair<const char*, const std::string*>{"subject", &t.subject},
                                        std::pair<const char*, const std::string*>{"body", &t.body}}) {
        if (auto why = check_placeholder_names(*text); !why.empty()) {
          out.push_back({id, loc, field, why});
          continue;
        }
        try {
          (void)render_text(*text, loc, sample);
        } catch (const fmt::format_error& e) {
          out.push_back({id, loc, field, e.what()});
        }
      }
    }
  }
  return out;
}

/// Throws configuration_error listing every problem (one per line), if any.
inline void check_templates(const TemplateMap& templates, std::string_view default_locale,
                            std::span<const std::string> required_locales = {}) {
  if (default_locale.empty()) throw configuration_error("templates: default_locale: must not be empty");
  const auto ps = template_problems(templates, default_locale, required_locales);
  if (ps.empty()) return;
  std::string msg;
  for (const auto& p : ps) {
    if (!msg.empty()) msg += '\n';  // appended, not "\n" + text: GCC 12's -Wrestrict misreads that at -O3
    msg += p.text();
  }
  throw configuration_error(msg);
}

}  // namespace nudge

/// Formats a PluralCount: no spec prints the number (or its built-in forms for
/// {days_text}); `plural(f1|f2|...)` picks the locale's form, `#` = the number.
template <>
struct fmt::formatter<nudge::PluralCount> {
  std::string_view spec;

  constexpr auto parse(format_parse_context& ctx) -> decltype(ctx.begin()) {
    auto it = ctx.begin();
    const auto begin = it;
    while (it != ctx.end() && *it != '}') ++it;
    spec = std::string_view(begin, static_cast<std::size_t>(it - begin));
    return it;
  }

  template <class Ctx>
  auto format(const nudge::PluralCount& c, Ctx& ctx) const -> decltype(ctx.out()) {
    std::string_view forms = c.forms;
    if (!spec.empty()) {
      constexpr std::string_view open = "plural(";
      if (spec.substr(0, open.size()) != open || spec.back() != ')')
        throw format_error(fmt::format("unknown format '{}' for a count; write {{name}} or {{name:plural(...)}}", spec));
      forms = spec.substr(open.size(), spec.size() - open.size() - 1);
    } else if (!c.builtin) {
      return c.n ? fmt::format_to(ctx.out(), "{}", *c.n) : ctx.out();
    } else if (forms.empty()) {
      throw format_error(fmt::format("{{days_text}}: no built-in words for locale '{}'; write {{days:plural(...)}}",
                                     c.locale));
    }
    const auto rules = nudge::PluralRules::for_locale(c.locale);
    if (!rules) throw format_error(fmt::format("plural: no plural rules for locale '{}'", c.locale));
    const auto parts = nudge::detail::split_forms(forms);
    if (parts.size() != rules->categories().size())
      throw format_error(fmt::format("plural: locale '{}' needs {} form{} ({}), got {}: '{}'", c.locale,
                                     rules->categories().size(), rules->categories().size() == 1 ? "" : "s",
                                     rules->category_names(), parts.size(), forms));
    if (!c.n) return ctx.out();
    const auto form = parts[rules->form_index(*c.n)];
    auto out = ctx.out();
    for (char ch : form) {
      if (ch == '#') out = fmt::format_to(out, "{}", *c.n);
      else *out++ = ch;
    }
    return out;
  }
};
