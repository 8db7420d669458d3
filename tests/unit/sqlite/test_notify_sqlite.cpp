// Notifications over the SQLite adapter: the outbox's schema v2 (delivery
// state, unique keys) and the migration of a v1 file to it.

#include <doctest/doctest.h>

#include <atomic>
#include <filesystem>
#include <string>

#include <sqlite3.h>
#include <unistd.h>

#include <nudge/sqlite/sqlite_storage.hpp>

// The adapter's private schema: the test writes a v1 file the way a v1 build did.
#include "../../../src/sqlite/schema.hpp"

using namespace nudge;

namespace {

struct TempFile {
  std::filesystem::path path;
  explicit TempFile(const char* name) {
    static std::atomic<int> n{0};
    path = std::filesystem::temp_directory_path() /
           ("nudge-notify-" + std::to_string(::getpid()) + "-" + std::to_string(n++) + "-" + name);
    std::filesystem::remove(path);
  }
  ~TempFile() {
    std::error_code ec;
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path.string() + suffix, ec);
  }
};

struct Raw {
  sqlite3* db = nullptr;
  explicit Raw(const std::string& file) { REQUIRE(sqlite3_open(file.c_str(), &db) == SQLITE_OK); }
  ~Raw() { sqlite3_close(db); }
  void exec(const char* sql) const {
    char* err = nullptr;
    const int rc = sqlite3_exec(db, sql, nullptr, nullptr, &err);
    INFO(sql << ": " << (err ? err : ""));
    sqlite3_free(err);
    REQUIRE(rc == SQLITE_OK);
  }
  [[nodiscard]] std::string query(const char* sql) const {
    sqlite3_stmt* st = nullptr;
    REQUIRE(sqlite3_prepare_v2(db, sql, -1, &st, nullptr) == SQLITE_OK);
    std::string out;
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
      out = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return out;
  }
};

Message message(const std::string& key, std::int64_t created) {
  Message m;
  m.key = key;
  m.channel = Channel::sms;
  m.to = {SubjectRef::of(ClientId{1}), "+7 900 000-00-00", "Ромашка"};
  m.template_id = "missed_call";
  m.locale = "ru";
  m.subject = "";
  m.body = "Извините, мы перезвоним";
  m.created = from_unix(created);
  return m;
}

}  // namespace

TEST_CASE("notify.sqlite.v1_outbox_is_migrated_to_v2") {
  TempFile file("v1.db");
  {
    Raw raw{file.path.string()};
    raw.exec(detail::sqlite_schema::v1);
    raw.exec("PRAGMA user_version = 1");
    // Rows as a v1 build could leave them: pending ones, a repeated key (v1
    // did not forbid it), and the statuses v1 named but never wrote.
    raw.exec(R"sql(
      INSERT INTO outbox(key, channel, custom_channel, to_kind, to_id, to_address, to_name, template_id, locale,
                         subject, body, created, not_before, status, attempts, last_error, next_attempt) VALUES
        ('a', 'sms',   '', 'client',  1, '+7 900', 'A', 't', 'ru', '',  'first a',  100, 500,  'pending', 0, '',        NULL),
        ('b', 'email', '', 'manager', 2, 'b@x',    'B', 't', 'en', 'S', 'b',        200, NULL, 'pending', 2, 'timeout', 900),
        ('a', 'sms',   '', 'client',  1, '+7 900', 'A', 't', 'ru', '',  'second a', 300, NULL, 'pending', 0, '',        NULL),
        ('c', 'email', '', 'client',  1, 'c@x',    'C', 't', 'en', '',  'c',        400, NULL, 'sent',    1, '',        NULL),
        ('d', 'email', '', 'client',  1, 'd@x',    'D', 't', 'en', '',  'd',        450, NULL, 'failed',  5, '550',     NULL);
    )sql");
  }
  SqliteStorage s{file.path.string()};
  CHECK(SqliteStorage::schema_version() == 3);
  Raw raw{file.path.string()};
  CHECK(raw.query("PRAGMA user_version") == "3");

  const auto es = s.outbox_entries();
  REQUIRE(es.size() == 4);  // the second 'a' is gone: keys are unique now
  CHECK(es[0].message.key == "a");
  CHECK(es[0].message.body == "first a");
  CHECK(es[0].message.not_before == from_unix(500));
  CHECK(es[0].state == DeliveryState{});
  CHECK(es[1].message.key == "b");
  CHECK(es[1].message.to.who == SubjectRef::of(ManagerId{2}));
  CHECK(es[1].state == DeliveryState{DeliveryStatus::pending, 2, "timeout", from_unix(900), std::nullopt});
  CHECK(es[2].message.key == "c");
  CHECK(es[2].state == DeliveryState{DeliveryStatus::delivered, 1, "", std::nullopt, from_unix(400)});
  CHECK(es[3].message.key == "d");
  CHECK(es[3].state == DeliveryState{DeliveryStatus::dead, 5, "550", std::nullopt, std::nullopt});
  CHECK(s.outbox().size() == 2);

  // the table enforces unique keys by itself (the port checks first)
  char* err = nullptr;
  CHECK(sqlite3_exec(raw.db,
                     "INSERT INTO outbox(key, channel, custom_channel, to_kind, to_id, to_address, to_name, template_id, "
                     "locale, subject, body, created) VALUES ('b', 'sms', '', 'client', 1, '', '', '', '', '', '', 1)",
                     nullptr, nullptr, &err) == SQLITE_CONSTRAINT);
  sqlite3_free(err);
  // and the delivery state stays consistent
  CHECK(sqlite3_exec(raw.db, "UPDATE outbox SET status = 'delivered' WHERE key = 'a'", nullptr, nullptr, &err) ==
        SQLITE_CONSTRAINT);
  sqlite3_free(err);

  // new ids continue after the old ones, and the port works on the migrated file
  auto w = s.begin();
  CHECK_FALSE(w->enqueue(message("a", 1000)));
  CHECK(w->enqueue(message("e", 1000)));
  w->record_delivery("a", {DeliveryStatus::delivered, 1, "", std::nullopt, from_unix(1100)});
  w->commit();
  CHECK(raw.query("SELECT id FROM outbox WHERE key = 'e'") == "6");
  CHECK(s.find_message("a")->state.delivered_at == from_unix(1100));
  CHECK(s.due_messages(from_unix(1000)).size() == 2);  // b (next attempt 900) and e
}

TEST_CASE("notify.sqlite.delivery_state_survives_reopen") {
  TempFile file("reopen.db");
  {
    SqliteStorage s{file.path.string()};
    auto w = s.begin();
    w->enqueue(message("k1", 10));
    w->enqueue(message("k2", 20));
    w->record_delivery("k1", {DeliveryStatus::pending, 3, "gateway said: \"busy\"", from_unix(99), std::nullopt});
    w->commit();
  }
  SqliteStorage s{file.path.string()};
  REQUIRE(s.find_message("k1"));
  CHECK(s.find_message("k1")->state == DeliveryState{DeliveryStatus::pending, 3, "gateway said: \"busy\"", from_unix(99), std::nullopt});
  CHECK(s.find_message("k1")->message == message("k1", 10));
  CHECK(s.due_messages(from_unix(98)).size() == 1);
  CHECK(s.due_messages(from_unix(99)).size() == 2);
}

// ---- the done-when test over SQLite ---------------------------------------------------

#include "../notify/day_scenario.hpp"

// Own namespace: the tests build as a unity build.
namespace nudge_sqlite_test_notify_sqlite {

TEST_CASE("notify.day.sqlite") {
  TempFile file("day.db");
  SqliteStorage store{file.path.string()};
  const auto r = nudge::day::run_day(store);
  nudge::day::check_day(r);
  MESSAGE("sqlite: " << r.outbox.size() << " messages, " << r.gateway.raw.size() << " raw deliveries, "
                     << r.notifier_calls << " notifier calls (" << r.notifier_failures << " failed), " << r.deferred
                     << " deferrals for quiet hours, " << r.event_actions << " event actions");
  // the delivery state is in the file, not only in this process
  SqliteStorage again{file.path.string()};
  CHECK(again.outbox_entries() == r.outbox);
  CHECK(again.outbox().empty());
}
}  // namespace nudge_sqlite_test_notify_sqlite
