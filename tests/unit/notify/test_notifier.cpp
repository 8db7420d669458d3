// The notifier port and the built-in notifiers.

#include <doctest/doctest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <unistd.h>

#include <nudge/notify/notifier.hpp>

// Own namespace: the tests build as a unity build.
namespace nudge_notify_test_notifier {

using namespace nudge;

namespace {

Message sms() {
  Message m;
  m.key = "event/pbx-1/missed_call/0";
  m.channel = Channel::sms;
  m.to = {SubjectRef::of(ClientId{10}), "+7 900 000-00-00", "Ромашка"};
  m.template_id = "missed_call";
  m.locale = "ru";
  m.body = "Извините, мы пропустили ваш звонок.\nПерезвоним до 11:00.";
  m.created = from_unix(1773119400);  // 2026-03-10T05:10:00Z
  return m;
}

/// Throws what it is told to.
class Throwing final : public Notifier {
public:
  int mode = 0;
  int sent = 0;

protected:
  void send_(const Message&) override {
    switch (mode) {
      case 1: throw std::runtime_error("HTTP 503");
      case 2: throw undeliverable("HTTP 400: no such number");
      case 3: throw 42;
      default: ++sent;
    }
  }
};

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

TEST_CASE("notify.notifier.deliver_turns_exceptions_into_results") {
  Throwing n;
  CHECK(n.deliver(sms()) == DeliveryResult::delivered());
  CHECK(n.sent == 1);
  n.mode = 1;
  CHECK(n.deliver(sms()) == DeliveryResult::failed("HTTP 503"));
  n.mode = 2;
  CHECK(n.deliver(sms()) == DeliveryResult::failed("HTTP 400: no such number", true));
  n.mode = 3;
  CHECK(n.deliver(sms()) == DeliveryResult::failed("unknown exception"));
  CHECK(n.flush().ok);
}

TEST_CASE("notify.notifier.collecting_keeps_order_and_is_thread_safe") {
  CollectingNotifier c;
  std::vector<std::thread> ts;
  for (int t = 0; t < 4; ++t)
    ts.emplace_back([&, t] {
      for (int i = 0; i < 250; ++i) {
        auto m = sms();
        m.key = fmt::format("k/{}/{}", t, i);
        CHECK(c.deliver(m).ok);
      }
    });
  for (auto& t : ts) t.join();
  CHECK(c.size() == 1000);
  const auto ms = c.messages();
  // each thread's messages in its own order
  std::map<std::string, int> last;
  for (const auto& m : ms) {
    const auto t = m.key.substr(0, 3);
    const int i = std::stoi(m.key.substr(4));
    CHECK(i == (last.count(t) ? last[t] + 1 : 0));
    last[t] = i;
  }
  c.clear();
  CHECK(c.size() == 0);
}

TEST_CASE("notify.notifier.printing") {
  std::ostringstream out;
  OstreamNotifier p{out};
  auto m = sms();
  m.subject = "Пропущенный звонок";
  CHECK(p.deliver(m).ok);
  m.channel = Channel::other;
  m.custom_channel = "telegram";
  m.to = {SubjectRef::of(ManagerId{2}), "", ""};
  m.subject.clear();
  m.body = "one line";
  CHECK(p.deliver(m).ok);
  CHECK(out.str() ==
        "[sms] key=event/pbx-1/missed_call/0 to client:10 Ромашка <+7 900 000-00-00>\n"
        "  Пропущенный звонок\n"
        "  Извините, мы пропустили ваш звонок.\n"
        "  Перезвоним до 11:00.\n"
        "[telegram] key=event/pbx-1/missed_call/0 to manager:2\n"
        "  one line\n");
  SUBCASE("a failed stream is a failed delivery, not an exception") {
    out.setstate(std::ios::badbit);
    const auto r = p.deliver(m);
    CHECK_FALSE(r.ok);
    CHECK(r.error == "print: the output stream failed");
    CHECK_FALSE(r.permanent);
  }
}

TEST_CASE("notify.notifier.json_lines") {
  static std::atomic<int> n{0};
  const auto path = std::filesystem::temp_directory_path() /
                    fmt::format("nudge-jsonl-{}-{}.jsonl", ::getpid(), n++);
  std::filesystem::remove(path);
  {
    JsonLinesNotifier j{path.string()};
    CHECK(j.path() == path.string());
    auto m = sms();
    m.subject = "Quote \" and \\ backslash\ttab\x01";
    CHECK(j.deliver(m).ok);
    m.key = "second";
    m.channel = Channel::email;
    CHECK(j.deliver(m).ok);
    // flushed after each line: readable before the notifier is gone
    const auto so_far = read_file(path);
    CHECK(std::count(so_far.begin(), so_far.end(), '\n') == 2);
  }
  {
    JsonLinesNotifier again{path.string()};  // appends
    auto m = sms();
    m.key = "third";
    m.body.clear();
    m.subject.clear();
    CHECK(again.deliver(m).ok);
  }
  const auto text = read_file(path);
  std::istringstream lines(text);
  std::vector<std::string> ls;
  for (std::string l; std::getline(lines, l);) ls.push_back(l);
  REQUIRE(ls.size() == 3);
  CHECK(ls[0] ==
        R"({"key":"event/pbx-1/missed_call/0","channel":"sms","to":"+7 900 000-00-00","to_name":"Ромашка",)"
        R"("recipient":"client:10","subject":"Quote \" and \\ backslash\ttab\u0001",)"
        R"("body":"Извините, мы пропустили ваш звонок.\nПерезвоним до 11:00.","template":"missed_call",)"
        R"("locale":"ru","created":"2026-03-10T05:10:00Z"})");
  CHECK(ls[1].rfind(R"({"key":"second","channel":"email",)", 0) == 0);
  CHECK(ls[2].find(R"("subject":"","body":"")") != std::string::npos);
  std::filesystem::remove(path);
  CHECK_THROWS_AS(JsonLinesNotifier{"/nonexistent-dir/x/y.jsonl"}, nudge::error);
}

TEST_CASE("notify.notifier.routing_by_channel") {
  auto sms_gw = std::make_shared<CollectingNotifier>();
  auto mail = std::make_shared<CollectingNotifier>();
  auto tg = std::make_shared<CollectingNotifier>();
  auto broken = std::make_shared<Throwing>();
  broken->mode = 2;
  RoutingNotifier r;
  r.route(Channel::sms, sms_gw).route(Channel::email, mail).route("telegram", tg).route(Channel::webhook, broken);
  auto m = sms();
  CHECK(r.deliver(m).ok);
  m.channel = Channel::email;
  CHECK(r.deliver(m).ok);
  m.channel = Channel::other;
  m.custom_channel = "telegram";
  CHECK(r.deliver(m).ok);
  CHECK(sms_gw->size() == 1);
  CHECK(mail->size() == 1);
  CHECK(tg->size() == 1);
  m.custom_channel = "viber";
  CHECK(r.deliver(m) == DeliveryResult::failed("routing: no notifier for channel 'viber'", true));
  m.channel = Channel::webhook;
  CHECK(r.deliver(m) == DeliveryResult::failed("HTTP 400: no such number", true));  // the inner failure, as it was
  broken->mode = 1;
  CHECK(r.deliver(m) == DeliveryResult::failed("HTTP 503", false));
  auto rest = std::make_shared<CollectingNotifier>();
  r.fallback(rest);
  m.channel = Channel::in_app;
  CHECK(r.deliver(m).ok);
  CHECK(rest->size() == 1);
}
}  // namespace nudge_notify_test_notifier
