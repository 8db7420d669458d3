#pragma once
/// @file
/// The dispatcher: drains the outbox through a notifier, with retries and
/// exponential backoff, dead letters, and quiet hours per channel.
///
/// Delivery is at least once. Each outcome is recorded in a unit of work of
/// its own right after the attempt, so a crash loses at most the record of the
/// one message in flight: that message is still pending and is sent again on
/// the next run, and its stable key lets the gateway drop the duplicate.

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <fmt/format.h>

#include <nudge/error.hpp>
#include <nudge/notify/notifier.hpp>
#include <nudge/notify/outbox.hpp>
#include <nudge/notify/quiet_hours.hpp>
#include <nudge/storage/storage.hpp>

namespace nudge {

/// When to try again after a failure: attempt n (1-based) that failed waits
/// min(cap, base * factor^(n-1)); after `max_attempts` failed attempts the
/// message is dead.
struct RetryPolicy {
  Seconds base = std::chrono::minutes{1};
  double factor = 2.0;
  Seconds cap = std::chrono::hours{6};
  int max_attempts = 8;

  /// The wait after the n-th failed attempt.
  [[nodiscard]] Seconds delay(int failed_attempts) const {
    const double raw = static_cast<double>(base.count()) * std::pow(factor, std::max(failed_attempts - 1, 0));
    if (!(raw < static_cast<double>(cap.count()))) return cap;  // also catches overflow to inf
    return Seconds{static_cast<Seconds::rep>(std::ceil(raw))};
  }

  /// Throws invalid_argument naming the field.
  void validate() const {
    if (base.count() <= 0) throw invalid_argument("retry.base: must be positive");
    if (!(factor >= 1.0)) throw invalid_argument(fmt::format("retry.factor: must be >= 1, got {}", factor));
    if (cap < base) throw invalid_argument("retry.cap: must not be shorter than retry.base");
    if (max_attempts < 1) throw invalid_argument(fmt::format("retry.max_attempts: must be >= 1, got {}", max_attempts));
  }
  friend bool operator==(const RetryPolicy&, const RetryPolicy&) = default;
};

/// How the dispatcher works.
struct DispatcherOptions {
  RetryPolicy retry;
  /// Per channel: when it stays silent, read in the recipient's time zone.
  std::map<Channel, QuietHours> quiet_hours;
  /// Quiet hours apply to messages to clients (in Client::time_zone); with this
  /// set, also to managers (in `time_zone`).
  bool quiet_hours_for_managers = false;
  /// The zone of recipients without one of their own (the calendar's zone).
  std::string time_zone = "UTC";
  /// Messages read from the outbox per query.
  std::size_t batch = 256;
  /// Most messages one run() handles (deliveries + failures + deferrals).
  std::size_t max_per_run = 100000;

  /// Throws invalid_argument naming the field.
  void validate() const {
    retry.validate();
    for (const auto& [ch, q] : quiet_hours) q.validate();
    if (batch < 1) throw invalid_argument("batch: must be >= 1");
    (void)LocalClock(time_zone);
  }
};

/// What happened to one message in a run.
struct DispatchOutcome {
  enum class Kind { delivered, retry, dead, deferred };
  std::string key;
  Kind kind = Kind::delivered;
  /// retry / deferred: when it will be tried again.
  std::optional<Instant> next_attempt;
  std::string error;
  int attempts = 0;
  friend bool operator==(const DispatchOutcome&, const DispatchOutcome&) = default;
};

inline std::string_view to_string(DispatchOutcome::Kind k) {
  constexpr std::array<std::string_view, 4> names{"delivered", "retry", "dead", "deferred"};
  return names[static_cast<std::size_t>(k)];
}

/// The result of Dispatcher::run.
struct DispatchReport {
  std::size_t delivered = 0;
  std::size_t retried = 0;   ///< failed, will be tried again
  std::size_t dead = 0;      ///< moved to the dead letters this run
  std::size_t deferred = 0;  ///< held back by quiet hours
  std::vector<DispatchOutcome> outcomes;
  /// Things a person should know ("client 7's zone 'Mars/Base' is unknown: used UTC").
  std::vector<std::string> notes;
  [[nodiscard]] std::size_t handled() const { return delivered + retried + dead + deferred; }
};

/// Drains the outbox of a store through a notifier.
///
/// run(now) reads the due messages (Storage::due_messages) in enqueue order and,
/// for each: holds it back when the channel's quiet hours hold for its
/// recipient (next attempt = when they end; not an attempt); otherwise hands it
/// to the notifier and records the outcome in a unit of work of its own:
/// delivered; or failed and retried after the policy's backoff; or dead after
/// `max_attempts` failed attempts or an `undeliverable` failure, with the last
/// error. It never reads the wall clock.
///
/// Thread-safety: one run at a time per store (it opens units of work); the
/// notifier is only called from run().
///
/// @code
/// nudge::SqliteStorage store{"crm.db"};
/// nudge::JsonLinesNotifier out{"outbox.jsonl"};
/// nudge::DispatcherOptions o;
/// o.quiet_hours[nudge::Channel::sms] = nudge::QuietHours::between(std::chrono::hours{21}, std::chrono::hours{9});
/// o.time_zone = "Europe/Moscow";
/// nudge::Dispatcher d{store, out, o};
/// auto report = d.run(now);  // e.g. every minute, after Engine::run
/// @endcode
class Dispatcher {
public:
  /// Keeps references to `store` and `notifier`: both must outlive the dispatcher.
  /// @throws invalid_argument for bad options.
  Dispatcher(Storage& store, Notifier& notifier, DispatcherOptions options = {})
      : store_(store), notifier_(notifier), o_(std::move(options)), default_clock_(o_.time_zone) {
    o_.validate();
  }

  [[nodiscard]] const DispatcherOptions& options() const { return o_; }

  /// One pass over the messages due at `now`.
  DispatchReport run(Instant now) {
    DispatchReport r;
    clocks_.clear();
    while (r.handled() < o_.max_per_run) {
      const auto limit = std::min(o_.batch, o_.max_per_run - r.handled());
      const auto due = store_.due_messages(now, limit);
      for (const auto& e : due) handle(e, now, r);
      // Every message handled leaves the due set (delivered, dead, or a next
      // attempt after now), so a short page means nothing is left.
      if (due.size() < limit) break;
    }
    return r;
  }

  /// When the message may go out at `t`: t itself, or the end of the quiet
  /// hours that hold for its recipient then.
  [[nodiscard]] Instant allowed_at(const Message& m, Instant t, std::vector<std::string>* notes = nullptr) {
    auto q = o_.quiet_hours.find(m.channel);
    if (q == o_.quiet_hours.end()) return t;
    const bool to_client = m.to.who.kind == SubjectKind::client;
    if (!to_client && !o_.quiet_hours_for_managers) return t;
    return clock_of(m, notes).next_allowed(q->second, t);
  }

private:
  void handle(const OutboxEntry& e, Instant now, DispatchReport& r) {
    const Message& m = e.message;
    const Instant ok_at = allowed_at(m, now, &r.notes);
    if (ok_at > now) {
      DeliveryState s = e.state;
      s.next_attempt = ok_at;
      record(m.key, s);
      ++r.deferred;
      r.outcomes.push_back({m.key, DispatchOutcome::Kind::deferred, ok_at, {}, s.attempts});
      return;
    }
    const DeliveryResult res = notifier_.deliver(m);
    DeliveryState s = e.state;
    ++s.attempts;
    if (res.ok) {
      s.status = DeliveryStatus::delivered;
      s.next_attempt.reset();
      s.delivered_at = now;
      record(m.key, s);
      ++r.delivered;
      r.outcomes.push_back({m.key, DispatchOutcome::Kind::delivered, std::nullopt, {}, s.attempts});
      return;
    }
    s.last_error = res.error.empty() ? "failed without a reason" : res.error;
    if (res.permanent || s.attempts >= o_.retry.max_attempts) {
      s.status = DeliveryStatus::dead;
      s.next_attempt.reset();
      record(m.key, s);
      ++r.dead;
      r.outcomes.push_back({m.key, DispatchOutcome::Kind::dead, std::nullopt, s.last_error, s.attempts});
      return;
    }
    s.next_attempt = now + o_.retry.delay(s.attempts);
    record(m.key, s);
    ++r.retried;
    r.outcomes.push_back({m.key, DispatchOutcome::Kind::retry, s.next_attempt, s.last_error, s.attempts});
  }

  // One unit of work per outcome: a crash after a send loses at most this record.
  void record(const std::string& key, const DeliveryState& s) {
    auto uow = store_.begin();
    uow->record_delivery(key, s);
    uow->commit();
  }

  const LocalClock& clock_of(const Message& m, std::vector<std::string>* notes) {
    std::string zone;
    if (m.to.who.kind == SubjectKind::client)
      if (auto c = store_.find_client(ClientId{m.to.who.id})) zone = c->time_zone;
    if (zone.empty()) return default_clock_;
    auto it = clocks_.find(zone);
    if (it == clocks_.end()) {
      try {
        it = clocks_.emplace(zone, LocalClock(zone)).first;
      } catch (const invalid_argument&) {
        if (notes)
          notes->push_back(fmt::format("{}: time zone '{}' is unknown; quiet hours read in {}", to_string(m.to.who),
                                       zone, default_clock_.name()));
        it = clocks_.emplace(zone, default_clock_).first;
      }
    }
    return it->second;
  }

  Storage& store_;
  Notifier& notifier_;
  DispatcherOptions o_;
  LocalClock default_clock_;
  std::unordered_map<std::string, LocalClock> clocks_;
};

}  // namespace nudge
