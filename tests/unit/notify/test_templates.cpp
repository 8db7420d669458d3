// Templates: rendering in en and ru with plural forms, the check at
// configuration time, locale fallback, and the engine rendering in the
// client's locale.

#include <doctest/doctest.h>

#include <nudge/engine/engine.hpp>
#include <nudge/notify/templates.hpp>
#include <nudge/storage/memory_storage.hpp>

// Own namespace: the tests build as a unity build.
namespace nudge_notify_test_templates {

using namespace nudge;

namespace {

std::string days_ru(std::int64_t n) {
  TemplateArgs a;
  a.days = n;
  return render_text("{days_text}", "ru", a);
}
std::string days_en(std::int64_t n) {
  TemplateArgs a;
  a.days = n;
  return render_text("{days_text}", "en", a);
}
std::string problems(const TemplateMap& t, std::string_view def = "en") {
  try {
    check_templates(t, def);
  } catch (const configuration_error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("notify.templates.days_text_plural_forms") {
  CHECK(days_ru(1) == "1 день");
  CHECK(days_ru(2) == "2 дня");
  CHECK(days_ru(4) == "4 дня");
  CHECK(days_ru(5) == "5 дней");
  CHECK(days_ru(11) == "11 дней");
  CHECK(days_ru(12) == "12 дней");
  CHECK(days_ru(14) == "14 дней");
  CHECK(days_ru(21) == "21 день");
  CHECK(days_ru(22) == "22 дня");
  CHECK(days_ru(25) == "25 дней");
  CHECK(days_ru(0) == "0 дней");
  CHECK(days_ru(101) == "101 день");
  CHECK(days_ru(111) == "111 дней");
  CHECK(days_ru(-1) == "-1 день");
  CHECK(days_en(1) == "1 day");
  CHECK(days_en(0) == "0 days");
  CHECK(days_en(5) == "5 days");
  CHECK(days_en(21) == "21 days");
  TemplateArgs a;
  a.days = 3;
  CHECK(render_text("{days_text}", "ru-RU", a) == "3 дня");  // the language decides
  CHECK(render_text("{days_text}", "pl", a) == "3 dni");
}

TEST_CASE("notify.templates.plural_spec_and_counts") {
  TemplateArgs a;
  a.client = "Ромашка";
  a.hours = 2;
  a.minutes = 1;
  SUBCASE("ru: one|few|many") {
    const char* t = "{client}, перезвоним в течение {hours:plural(# часа|# часов|# часов)}";
    CHECK(render_text(t, "ru", a) == "Ромашка, перезвоним в течение 2 часов");
    a.hours = 1;
    CHECK(render_text(t, "ru", a) == "Ромашка, перезвоним в течение 1 часа");
    a.hours = 21;
    CHECK(render_text(t, "ru", a) == "Ромашка, перезвоним в течение 21 часа");
  }
  SUBCASE("en: one|other, the word alone") {
    CHECK(render_text("{hours} {hours:plural(hour|hours)}, {minutes} {minutes:plural(minute|minutes)}", "en", a) ==
          "2 hours, 1 minute");
  }
  SUBCASE("plain counts and missing ones") {
    CHECK(render_text("[{hours}] [{days}] [{days_text}] [{days:plural(# day|# days)}]", "en", a) == "[2] [] [] []");
  }
  SUBCASE("escaped braces") { CHECK(render_text("{{client}} {client}", "en", a) == "{client} Ромашка"); }
  SUBCASE("a spec that does not fit the locale is a format error") {
    CHECK_THROWS_AS((void)render_text("{hours:plural(a|b)}", "ru", a), fmt::format_error);
    CHECK_THROWS_AS((void)render_text("{hours:>5}", "en", a), fmt::format_error);
    CHECK_THROWS_AS((void)render_text("{days_text}", "xx", a), fmt::format_error);
  }
}

TEST_CASE("notify.templates.plural_rules") {
  auto cat = [](std::string_view loc, std::int64_t n) { return to_string(PluralRules::for_locale(loc)->category(n)); };
  CHECK(cat("fr", 0) == "one");
  CHECK(cat("fr", 2) == "other");
  CHECK(cat("pl", 22) == "few");
  CHECK(cat("pl", 21) == "many");
  CHECK(cat("cs", 3) == "few");
  CHECK(cat("cs", 5) == "other");
  CHECK(cat("ja", 1) == "other");
  CHECK(cat("uk", 31) == "one");
  CHECK_FALSE(PluralRules::for_locale("xx"));
  CHECK(PluralRules::for_locale("ru")->category_names() == "one|few|many");
}

TEST_CASE("notify.templates.check_names_template_locale_and_placeholder") {
  TemplateMap t;
  t["debtor_reminder"]["en"] = {"Invoice {invoice}", "{client}: {days_text} overdue"};
  t["debtor_reminder"]["ru"] = {"Счёт {invoice}", "{clinet}: просрочка {days_text}"};
  CHECK(problems(t) ==
        "template 'debtor_reminder' (ru) body: unknown placeholder {clinet}; known placeholders: {client}, {owner}, "
        "{manager}, {days}, {days_text}, {hours}, {minutes}, {amount}, {deal}, {invoice}, {stage}, {from_stage}, "
        "{summary}, {rule}, {due}");
  t["debtor_reminder"]["ru"].body = "{client}: {days:plural(# день|# дня)}";
  CHECK(problems(t) ==
        "template 'debtor_reminder' (ru) body: plural: locale 'ru' needs 3 forms (one|few|many), got 2: '# день|# дня'");
  t["debtor_reminder"]["ru"].body = "{client}: {days:plural(# день|# дня|# дней)}";
  CHECK(problems(t).empty());
  t["released"]["ru"] = {"Клиент передан", "{client}"};
  CHECK(problems(t) == "template 'released': no text for the default locale 'en'");
  CHECK(problems(t, "ru").empty());  // every id has a Russian text
  t.erase("released");
  t["x"]["en"] = {"{client", "}"};
  const auto all = problems(t);
  CHECK(all == "template 'x' (en) subject: an unclosed '{' at offset 0\n"
               "template 'x' (en) body: a single '}' at offset 0; write '}}' for a literal brace");
  std::vector<std::string> required{"en", "ru", "de"};
  t.erase("x");
  const auto ps = template_problems(t, "en", required);
  REQUIRE(ps.size() == 1);
  CHECK(ps[0] == TemplateProblem{"debtor_reminder", "", "", "no text for the required locale 'de'"});
  CHECK_THROWS_WITH_AS(check_templates(t, ""), "templates: default_locale: must not be empty", configuration_error);
}

TEST_CASE("notify.templates.locale_fallback") {
  TemplateMap t;
  t["m"]["en"] = {"en", "en"};
  t["m"]["pt"] = {"pt", "pt"};
  t["m"]["pt-BR"] = {"pt-BR", "pt-BR"};
  CHECK(find_template(t, "m", "pt-BR", "en").locale == "pt-BR");
  CHECK(find_template(t, "m", "pt-PT", "en").locale == "pt");
  CHECK(find_template(t, "m", "de", "en").locale == "en");
  CHECK(find_template(t, "m", "", "en").locale == "en");
  CHECK(find_template(t, "nope", "en", "en").text == nullptr);
}

TEST_CASE("notify.templates.engine_renders_in_the_clients_locale") {
  // Invoice 5 of each client, 1200.00 EUR, due 2026-03-02; the plan runs 22 days later.
  const Instant due = at_midnight(ymd(2026, 3, 2));
  MemoryStorage s;
  {
    auto w = s.begin();
    Manager head;
    head.id = ManagerId{1};
    head.name = "Head";
    w->put_manager(head);
    Manager owner;
    owner.id = ManagerId{2};
    owner.name = "Ivanova";
    owner.supervisor = ManagerId{1};
    w->put_manager(owner);
    for (auto [id, name, locale] : {std::tuple{10, "Ромашка", "ru"}, std::tuple{11, "Acme", "en"},
                                    std::tuple{12, "Kuckuck", "de"}, std::tuple{13, "Nobody", ""}}) {
      Client c;
      c.id = ClientId{id};
      c.name = name;
      c.owner = ManagerId{2};
      c.email = fmt::format("{}@example.com", id);
      c.locale = locale;
      w->put_client(c);
      Invoice i;
      i.id = InvoiceId{id};
      i.client = c.id;
      i.amount = Money::from_decimal(1200.0, "EUR");
      i.issued = due - Days{30};
      i.due = due;
      w->put_invoice(i);
    }
    w->commit();
  }
  EngineConfig c;
  DebtorConfig d;
  d.ladder.resize(1);  // one e-mail to the client, a day after the due date
  c.debtor.push_back(d);
  c.templates["debtor_reminder"]["en"] = {"Invoice {invoice}: {amount} overdue", "{client}, {days_text} overdue."};
  c.templates["debtor_reminder"]["ru"] = {"Счёт {invoice}: просрочено {amount}",
                                          "{client}, просрочка {days:plural(# день|# дня|# дней)}."};
  const Engine e{c};
  const auto p = e.plan(s, due + Days{22} + std::chrono::hours{1});
  std::map<std::int64_t, Message> by_client;
  for (const auto& a : p.actions)
    if (a.kind == ActionKind::notify) by_client[a.client.value()] = *a.message;
  REQUIRE(by_client.size() == 4);
  CHECK(by_client[10].locale == "ru");
  CHECK(by_client[10].subject == "Счёт 10: просрочено 1200.00 EUR");
  CHECK(by_client[10].body == "Ромашка, просрочка 22 дня.");
  CHECK(by_client[11].locale == "en");
  CHECK(by_client[11].body == "Acme, 22 days overdue.");
  CHECK(by_client[12].locale == "en");  // no German text: the default
  CHECK(by_client[12].body == "Kuckuck, 22 days overdue.");
  CHECK(by_client[13].locale == "en");
  SUBCASE("21 days: the singular form of 'день'") {
    const auto p21 = e.plan(s, due + Days{21} + std::chrono::hours{1});
    for (const auto& a : p21.actions)
      if (a.kind == ActionKind::notify && a.client == ClientId{10}) CHECK(a.message->body == "Ромашка, просрочка 21 день.");
  }
  SUBCASE("a bad template stops the engine from being built, naming template, locale and placeholder") {
    c.templates["debtor_reminder"]["ru"].body = "{client}, {dayz}";
    CHECK_THROWS_WITH_AS(Engine{c}, doctest::Contains("template 'debtor_reminder' (ru) body: unknown placeholder {dayz}"),
                         configuration_error);
    c.templates["debtor_reminder"].erase("en");
    CHECK_THROWS_WITH_AS(Engine{c}, doctest::Contains("template 'debtor_reminder': no text for the default locale 'en'"),
                         configuration_error);
  }
}
}  // namespace nudge_notify_test_templates
