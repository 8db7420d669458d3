#include <doctest/doctest.h>

#include <nudge/notify/templates.hpp>

// Own namespace: the tests build as a unity build.
namespace nudge_engine_test_plan_templates {

using namespace nudge;

namespace {

/// What render_text gives, or "error: ..." when it throws.
std::string reference(std::string_view text, std::string_view locale, const TemplateArgs& a) {
  try {
    return render_text(text, locale, a);
  } catch (const fmt::format_error& e) {
    return std::string("error: ") + e.what();
  }
}

/// The same through CompiledText (render_text when it does not compile).
std::string compiled(std::string_view text, std::string_view locale, const TemplateArgs& a) {
  try {
    const auto t = CompiledText::compile(text);
    return t ? t->render(locale, view_of(a)) : render_text(text, locale, a);
  } catch (const fmt::format_error& e) {
    return std::string("error: ") + e.what();
  }
}

}  // namespace

TEST_CASE("plan.templates: a compiled text renders exactly as render_text, errors included") {
  const std::vector<std::string> texts{
      "",
      "plain text",
      "Call {client}: no contact for {days} days",
      "{client}, {days_text} overdue: {amount}. Owner {owner}, deal {deal}, invoice {invoice}, stage {stage}",
      "{{literal}} {{{client}}} }}",
      "{days:plural(# day|# days)} / {hours:plural(# hour|# hours)} / {minutes:plural(#m|#m)}",
      "{days:plural(# день|# дня|# дней)}",
      "{days_text:plural(# d|# ds)} {days_text}",
      "{summary} [{rule}] {manager} {from_stage} {due}",
      "{client:}",
      "{client:>10}",
      "{days:oops}",
      "{days:plural(a|b}",
      "{unknown}",
      "{}",
      "{0}",
      "{client",
      "a } b",
      "{client}x{client}",
      "{days_textx}",
      "{ client}",
  };
  const std::vector<std::string> locales{"en", "ru", "pt-BR", "ja", "xx", "de"};
  std::vector<TemplateArgs> args(3);
  args[0].client = "Ромашка";
  args[0].days = 21;
  args[0].hours = 1;
  args[0].minutes = 5;
  args[0].amount = "1200.00 EUR";
  args[0].summary = "a {summary} with braces";
  args[1].client = "Acme";
  args[1].owner = "Ivanova";
  args[1].days = 1;
  args[1].deal = "7";
  args[1].stage = "proposal";
  args[1].rule = "forgotten";
  args[2].days = -12;
  for (const auto& t : texts)
    for (const auto& l : locales)
      for (const auto& a : args) {
        CAPTURE(t);
        CAPTURE(l);
        CHECK(compiled(t, l, a) == reference(t, l, a));
      }
}

TEST_CASE("plan.templates: compile takes plain texts, leaves the rest to render_text, and says what a text uses") {
  const auto t = CompiledText::compile("Hi {client}, {days:plural(# day|# days)}");
  REQUIRE(t);
  CHECK(t->uses(CompiledText::Field::client));
  CHECK(t->uses(CompiledText::Field::days));
  CHECK_FALSE(t->uses(CompiledText::Field::amount));
  CHECK_FALSE(CompiledText::compile("{client:>10}"));
  CHECK_FALSE(CompiledText::compile("{nope}"));
  CHECK_FALSE(CompiledText::compile("{}"));
}

}  // namespace nudge_engine_test_plan_templates
