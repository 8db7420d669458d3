#include <doctest/doctest.h>

#include <map>
#include <string>
#include <string_view>
#include <utility>

#include <fmt/format.h>

#include <nudge/domain/client.hpp>
#include <nudge/domain/money.hpp>
#include <nudge/domain/slim_string.hpp>

using nudge::Currency;
using nudge::SlimString;

namespace {
std::string take_string(const std::string& s) { return s; }
std::size_t take_view(std::string_view s) { return s.size(); }
}  // namespace

TEST_CASE("domain.slim_string.is_one_pointer_and_empty_allocates_nothing") {
  static_assert(sizeof(SlimString) == sizeof(void*));
  SlimString s;
  CHECK(s.empty());
  CHECK(s.size() == 0);
  CHECK(s == "");
  CHECK(s.c_str() != nullptr);
  CHECK(std::string_view(s).data() != nullptr);  // "" binds as text, not SQL NULL
  CHECK(std::string(s.c_str()).empty());
  SlimString from_empty = std::string();
  CHECK(from_empty.empty());
  CHECK(from_empty.data() == SlimString().data());  // no block: the shared ""
}

TEST_CASE("domain.slim_string.reads_and_assigns_as_a_string") {
  SlimString s = "buyer@example.com";
  CHECK(s.size() == 17);
  CHECK(s == "buyer@example.com");
  CHECK(s == std::string("buyer@example.com"));
  CHECK(s == std::string_view("buyer@example.com"));
  CHECK("buyer@example.com" == s);
  CHECK(s != "buyer@example.org");
  CHECK(std::string(s.c_str()) == "buyer@example.com");
  CHECK(s.c_str()[s.size()] == '\0');
  const std::string copy = s;
  CHECK(copy == "buyer@example.com");
  CHECK(take_string(s) == "buyer@example.com");
  CHECK(take_view(s) == 17);
  CHECK(fmt::format("<{}>", s) == "<buyer@example.com>");
  CHECK(fmt::format("{:>5}", SlimString("ab")) == "   ab");
  s = std::string("+49 151 0000000");
  CHECK(s == "+49 151 0000000");
  s = std::string_view("Europe/Berlin");
  CHECK(s.str() == "Europe/Berlin");
  s = "";
  CHECK(s.empty());
  s = "ru";
  s.clear();
  CHECK(s.empty());
  // Embedded NULs and non-ASCII text keep their bytes.
  const std::string odd("a\0b\xc3\xa9", 5);
  SlimString t = odd;
  CHECK(t.size() == 5);
  CHECK(t.str() == odd);
}

TEST_CASE("domain.slim_string.copies_deeply_moves_and_orders") {
  SlimString a = "alpha";
  SlimString b = a;
  CHECK(a == b);
  CHECK(a.data() != b.data());
  b = "beta";
  CHECK(a == "alpha");
  CHECK(a < b);
  CHECK(SlimString() < a);
  CHECK(a < "beta");  // against text of every kind, as a std::string compares
  CHECK(a > std::string("Alpha"));
  CHECK(a <= std::string_view("alpha"));
  CHECK("beta" > a);
  const char* block = b.data();
  SlimString c = std::move(b);
  CHECK(c.data() == block);
  CHECK(b.empty());  // NOLINT: moved-from is empty
  auto& self = c;
  c = self;
  CHECK(c == "beta");
  std::map<SlimString, int> ordered{{"b", 2}, {"a", 1}};
  CHECK(ordered.begin()->first == "a");
}

TEST_CASE("domain.slim_string.client_fields_keep_their_value_semantics") {
  nudge::Client x;
  x.email = "a@example.com";
  x.locale = "ru";
  nudge::Client y = x;
  CHECK(x == y);
  y.email = "b@example.com";
  CHECK_FALSE(x == y);
  CHECK(x.email == "a@example.com");
  CHECK(y.time_zone.empty());
}

TEST_CASE("domain.currency.is_held_in_place") {
  static_assert(sizeof(Currency) == 8);
  static_assert(sizeof(nudge::Money) == 16);
  nudge::Money m;
  CHECK(m.currency == "USD");
  m.currency = "EUR";
  CHECK(m.currency == std::string("EUR"));
  CHECK(m.currency.size() == 3);
  CHECK(std::string(m.currency) == "EUR");
  CHECK(fmt::format("{}", m.currency) == "EUR");
  CHECK(nudge::to_string(nudge::Money{-12345, "RUB"}) == "-123.45 RUB");
  CHECK(nudge::Money{1, "EUR"} < nudge::Money{1, "USD"});
  CHECK(nudge::Money{1, "EUR"} == nudge::Money::from_decimal(0.01, "EUR"));
  Currency seven = "ABCDEFG";
  CHECK(seven.size() == 7);
  CHECK(seven == "ABCDEFG");
  Currency none = "";
  CHECK(none.empty());
  CHECK(none.size() == 0);
  // Codes compare as their bytes: a code that was longer before, or that
  // holds a '\0' (where its C string ends), equals the short one.
  Currency was_longer = "ABCDEFG";
  was_longer = "EUR";
  CHECK(was_longer == Currency("EUR"));
  CHECK(Currency(std::string_view("EU\0R", 4)) == Currency("EU"));
  CHECK(Currency(std::string_view("EU\0R", 4)).size() == 2);
  CHECK_FALSE(Currency("EUR") == Currency("EUX"));
  CHECK_FALSE(Currency("EU") == Currency("EUR"));
  // Too long for its eight bytes: an error naming the currency, and the old value kept.
  CHECK_THROWS_WITH_AS(m.currency = "ABCDEFGH", "currency: 'ABCDEFGH' is longer than 7 characters",
                       nudge::invalid_argument);
  CHECK(m.currency == "EUR");
  CHECK_THROWS_AS(nudge::Money::from_decimal(1.0, "EURO"), nudge::invalid_argument);
}
