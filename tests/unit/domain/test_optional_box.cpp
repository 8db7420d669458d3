#include <doctest/doctest.h>

#include <optional>
#include <string>
#include <utility>

#include <nudge/domain/optional_box.hpp>
#include <nudge/engine/plan.hpp>

// Own namespace: the tests build as a unity build.
namespace nudge_domain_test_optional_box {

using nudge::OptionalBox;

TEST_CASE("OptionalBox reads and converts as std::optional") {
  static_assert(sizeof(OptionalBox<std::string>) == sizeof(void*));
  const std::string long_text(100, 'x');
  OptionalBox<std::string> none;
  CHECK_FALSE(none);
  CHECK_FALSE(none.has_value());
  CHECK(none == std::nullopt);
  CHECK(none == std::optional<std::string>{});
  CHECK_FALSE(none == std::optional<std::string>{"a"});
  CHECK(none.value_or("other") == "other");
  CHECK_THROWS_AS((void)none.value(), std::bad_optional_access);
  CHECK(static_cast<std::optional<std::string>>(none) == std::nullopt);

  OptionalBox<std::string> some = long_text;
  REQUIRE(some);
  CHECK(*some == long_text);
  CHECK(some->size() == 100);
  CHECK(some.value() == long_text);
  CHECK(some == long_text);
  CHECK_FALSE(some == std::nullopt);
  CHECK(some == std::optional<std::string>{long_text});
  CHECK_FALSE(some == std::optional<std::string>{"y"});
  CHECK(static_cast<std::optional<std::string>>(some) == long_text);
  CHECK_FALSE(some == none);

  // From and to std::optional, both ways.
  const std::optional<std::string> opt = std::string("abc");
  OptionalBox<std::string> from_opt = opt;
  CHECK(from_opt == "abc");
  from_opt = std::optional<std::string>{};
  CHECK_FALSE(from_opt);
  from_opt = opt;
  CHECK(*from_opt == "abc");
  std::optional<std::string> back = from_opt;
  CHECK(back == "abc");

  some.reset();
  CHECK_FALSE(some);
  CHECK(some.emplace(3, 'z') == "zzz");
  CHECK(some == "zzz");
  some = std::nullopt;
  CHECK(some == none);
  // `= {}` empties it, as it does a std::optional.
  some = long_text;
  REQUIRE(some);
  some = {};
  CHECK_FALSE(some);
  // Assigning a T over a set box, by copy and by move.
  some = long_text;
  some = std::string("abc");
  CHECK(some == "abc");
  const std::string def = "def";
  some = def;
  CHECK(some == "def");
  some = "from chars";  // anything the value is made from, as std::optional
  CHECK(some == "from chars");
}

TEST_CASE("OptionalBox copies deeply and moves its pointer") {
  OptionalBox<std::string> a = std::string(64, 'a');
  OptionalBox<std::string> b = a;  // deep: changing one leaves the other
  REQUIRE(b);
  CHECK(&*a != &*b);
  *b = "changed";
  CHECK(*a == std::string(64, 'a'));
  CHECK(a != b);

  const std::string* held = &*a;
  OptionalBox<std::string> c = std::move(a);
  CHECK(&*c == held);  // moved: the same object, not a copy
  CHECK_FALSE(a);      // NOLINT(bugprone-use-after-move): a moved box is empty, as documented

  // Copy-assigning over a set box reuses it; over an empty one allocates.
  b = c;
  CHECK(*b == std::string(64, 'a'));
  OptionalBox<std::string> empty;
  b = empty;
  CHECK_FALSE(b);
  b = b;  // self-assignment keeps the value
  CHECK_FALSE(b);
  c = c;
  CHECK(*c == std::string(64, 'a'));
}

TEST_CASE("An Action holds its Task and Message out of line, compared by value") {
  static_assert(sizeof(nudge::Action) < 400, "Task (192 bytes) and Message (304) are not inline");
  nudge::Action a;
  a.key = "forgotten/client:1/e/remind";
  nudge::Task t;
  t.title = "Call Acme";
  a.task = t;
  nudge::Action b = a;
  CHECK(a == b);
  b.task->title = "Call someone else";
  CHECK(a.task->title == "Call Acme");
  CHECK_FALSE(a == b);
  b.task = std::nullopt;
  CHECK_FALSE(a == b);
  a.task.reset();
  CHECK(a == b);
  nudge::Message m;
  m.subject = "Invoice 7 is overdue";
  b.message = m;
  CHECK(b.message->subject == "Invoice 7 is overdue");
  CHECK_FALSE(a == b);
}

}  // namespace nudge_domain_test_optional_box
