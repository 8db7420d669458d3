#pragma once
/// @file
/// The notifier port: how a message leaves Nudge. Shaped like spdlog's sinks:
/// the public deliver() is not virtual (it takes the lock and catches what the
/// hook throws), and an implementation overrides one small protected hook,
/// send_(). A failing notifier never takes the dispatcher down: deliver()
/// turns every exception into a failed DeliveryResult.
///
/// Built-ins: CollectingNotifier (tests), OstreamNotifier (prints),
/// JsonLinesNotifier (appends one JSON object per line to a file) and
/// RoutingNotifier (by channel). See docs/notifications.md for a real gateway.

#include <cstdint>
#include <exception>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include <nudge/error.hpp>
#include <nudge/notify/message.hpp>

namespace nudge {

/// Thrown by a notifier's send_() when retrying cannot help (a malformed
/// address, a number that does not exist, a gateway that says "never"): the
/// dispatcher moves the message to the dead letters at once. Any other
/// exception is a temporary failure and is retried.
class undeliverable : public error {
public:
  using error::error;
};

/// What one delivery attempt came to.
struct DeliveryResult {
  bool ok = true;
  /// The failure as the notifier reported it ("" when ok).
  std::string error;
  /// The failure is for good (undeliverable): no retry.
  bool permanent = false;

  static DeliveryResult delivered() { return {}; }
  static DeliveryResult failed(std::string why, bool permanent = false) { return {false, std::move(why), permanent}; }
  friend bool operator==(const DeliveryResult&, const DeliveryResult&) = default;
};

/// The notifier port.
///
/// A message carries a stable `key`: a gateway that can drop duplicates by it
/// (an idempotency key, a custom header) turns Nudge's at-least-once delivery
/// into exactly-once for the person who reads it.
///
/// Thread-safety: deliver() and flush() lock a mutex per notifier, so send_()
/// and flush_() never run concurrently on one object.
///
/// @code
/// class SmsGateway final : public nudge::Notifier {
/// protected:
///   void send_(const nudge::Message& m) override {
///     auto r = http_.post("/sms", {{"to", m.to.address}, {"text", m.body}}, {{"Idempotency-Key", m.key}});
///     if (r.status == 400) throw nudge::undeliverable("gateway: " + r.body);  // no retry
///     if (r.status != 200) throw std::runtime_error(fmt::format("gateway: HTTP {}", r.status));  // retried
///   }
/// private:
///   HttpClient http_;
/// };
/// @endcode
class Notifier {
public:
  Notifier() = default;
  Notifier(const Notifier&) = delete;
  Notifier& operator=(const Notifier&) = delete;
  virtual ~Notifier() = default;

  /// Hands one message to the hook. Never throws: an exception from send_()
  /// becomes a failed result (permanent for `undeliverable`).
  DeliveryResult deliver(const Message& m) noexcept {
    try {
      std::lock_guard lock(mu_);
      send_(m);
      return DeliveryResult::delivered();
    } catch (const undeliverable& e) {
      return failed(e.what(), true);
    } catch (const std::exception& e) {
      return failed(e.what(), false);
    } catch (...) {
      return failed("unknown exception", false);
    }
  }

  /// Flushes buffered output (a file); errors are swallowed like deliver()'s
  /// and reported by the result.
  DeliveryResult flush() noexcept {
    try {
      std::lock_guard lock(mu_);
      flush_();
      return DeliveryResult::delivered();
    } catch (const std::exception& e) {
      return failed(e.what(), false);
    } catch (...) {
      return failed("unknown exception", false);
    }
  }

protected:
  /// Delivers `m` or throws: `undeliverable` when retrying cannot help, any
  /// other exception when it might. Called with this notifier's lock held.
  virtual void send_(const Message& m) = 0;
  /// Makes delivered messages durable (default: nothing to do).
  virtual void flush_() {}

private:
  static DeliveryResult failed(const char* what, bool permanent) noexcept {
    try {
      return DeliveryResult::failed(what, permanent);
    } catch (...) {  // no memory for the text: still a failure, still no exception
      return DeliveryResult{false, {}, permanent};
    }
  }
  std::mutex mu_;
};

// ---- built-in notifiers ------------------------------------------------------------

/// Keeps every message it is given (for tests and for hosts that deliver later).
class CollectingNotifier final : public Notifier {
public:
  /// A copy of the messages delivered so far, in order.
  [[nodiscard]] std::vector<Message> messages() const {
    std::lock_guard lock(mu_);
    return messages_;
  }
  [[nodiscard]] std::size_t size() const {
    std::lock_guard lock(mu_);
    return messages_.size();
  }
  void clear() {
    std::lock_guard lock(mu_);
    messages_.clear();
  }

protected:
  void send_(const Message& m) override {
    std::lock_guard lock(mu_);
    messages_.push_back(m);
  }

private:
  mutable std::mutex mu_;  // guards messages_ against readers (send_ already runs under the port's lock)
  std::vector<Message> messages_;
};

/// A message as a person reads it on a console: one header line, the subject
/// and the body indented.
///
///     [sms] key=event/e1/missed_call/0 to client:10 Ромашка <+7 900 000-00-00>
///       Извините, что не ответили ...
inline std::string to_text(const Message& m) {
  std::string channel(to_string(m.channel));
  if (m.channel == Channel::other && !m.custom_channel.empty()) channel = m.custom_channel;
  std::string out = fmt::format("[{}] key={} to {}", channel, m.key, to_string(m.to.who));
  if (!m.to.name.empty()) out += " " + m.to.name;
  if (!m.to.address.empty()) out += " <" + m.to.address + ">";
  out += '\n';
  auto indent = [&](std::string_view text) {
    std::size_t from = 0;
    while (from <= text.size()) {
      const auto nl = text.find('\n', from);
      const auto line = text.substr(from, nl == std::string_view::npos ? std::string_view::npos : nl - from);
      out += "  ";
      out += line;
      out += '\n';
      if (nl == std::string_view::npos) break;
      from = nl + 1;
    }
  };
  if (!m.subject.empty()) indent(m.subject);
  if (!m.body.empty()) indent(m.body);
  return out;
}

/// Prints every message (to_text) to a stream it does not own.
class OstreamNotifier final : public Notifier {
public:
  explicit OstreamNotifier(std::ostream& out) : out_(out) {}

protected:
  void send_(const Message& m) override {
    out_ << to_text(m);
    if (!out_) throw std::runtime_error("print: the output stream failed");
  }
  void flush_() override { out_.flush(); }

private:
  std::ostream& out_;
};

namespace detail {
inline void json_string(std::string& out, std::string_view s) {
  out += '"';
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (ch) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) out += fmt::format("\\u{:04x}", c);
        else out += ch;  // UTF-8 passes through
    }
  }
  out += '"';
}
}  // namespace detail

/// One message as one line of JSON (no newline inside):
/// {"key":...,"channel":...,"to":...,"to_name":...,"recipient":"client:10","subject":...,"body":...,
///  "template":...,"locale":...,"created":"2026-03-10T09:00:00Z"}
inline std::string to_json_line(const Message& m) {
  std::string out = "{";
  auto field = [&](std::string_view name, std::string_view value) {
    if (out.size() > 1) out += ',';
    detail::json_string(out, name);
    out += ':';
    detail::json_string(out, value);
  };
  field("key", m.key);
  field("channel", m.channel == Channel::other && !m.custom_channel.empty() ? std::string_view(m.custom_channel)
                                                                           : to_string(m.channel));
  field("to", m.to.address);
  field("to_name", m.to.name);
  field("recipient", to_string(m.to.who));
  field("subject", m.subject);
  field("body", m.body);
  field("template", m.template_id);
  field("locale", m.locale);
  field("created", iso_instant(m.created));
  out += '}';
  return out;
}

/// Appends each message as one JSON line (to_json_line) to a file, flushing
/// after every line so a delivered message is on disk. A gateway process can
/// tail the file and drop duplicate keys.
class JsonLinesNotifier final : public Notifier {
public:
  /// Opens (creates) `path` for appending. Throws nudge::error naming the path.
  explicit JsonLinesNotifier(std::string path) : path_(std::move(path)), out_(path_, std::ios::app | std::ios::binary) {
    if (!out_) throw error(fmt::format("json lines notifier: cannot open '{}' for appending", path_));
  }
  [[nodiscard]] const std::string& path() const { return path_; }

protected:
  void send_(const Message& m) override {
    out_ << to_json_line(m) << '\n';
    out_.flush();
    if (!out_) {
      out_.clear();
      throw std::runtime_error(fmt::format("json lines notifier: writing '{}' failed", path_));
    }
  }
  void flush_() override { out_.flush(); }

private:
  std::string path_;
  std::ofstream out_;
};

/// Sends each message through the notifier registered for its channel (for
/// Channel::other, for its custom_channel name first), else the fallback. A
/// message no route takes is undeliverable. The routes are shared, so one
/// notifier may serve several channels.
///
/// @code
/// auto router = std::make_shared<nudge::RoutingNotifier>();
/// router->route(nudge::Channel::sms, sms_gateway).route(nudge::Channel::email, smtp).fallback(log);
/// @endcode
class RoutingNotifier final : public Notifier {
public:
  RoutingNotifier& route(Channel c, std::shared_ptr<Notifier> n) {
    by_channel_[c] = std::move(n);
    return *this;
  }
  RoutingNotifier& route(std::string custom_channel, std::shared_ptr<Notifier> n) {
    by_name_[std::move(custom_channel)] = std::move(n);
    return *this;
  }
  RoutingNotifier& fallback(std::shared_ptr<Notifier> n) {
    fallback_ = std::move(n);
    return *this;
  }

protected:
  void send_(const Message& m) override {
    Notifier* target = nullptr;
    if (m.channel == Channel::other)
      if (auto it = by_name_.find(m.custom_channel); it != by_name_.end()) target = it->second.get();
    if (!target)
      if (auto it = by_channel_.find(m.channel); it != by_channel_.end()) target = it->second.get();
    if (!target) target = fallback_.get();
    if (!target)
      throw undeliverable(fmt::format("routing: no notifier for channel '{}'",
                                      m.channel == Channel::other ? m.custom_channel : std::string(to_string(m.channel))));
    const auto r = target->deliver(m);
    if (r.ok) return;
    if (r.permanent) throw undeliverable(r.error);
    throw std::runtime_error(r.error);
  }
  void flush_() override {
    for (auto& [c, n] : by_channel_) n->flush();
    for (auto& [c, n] : by_name_) n->flush();
    if (fallback_) fallback_->flush();
  }

private:
  std::map<Channel, std::shared_ptr<Notifier>> by_channel_;
  std::map<std::string, std::shared_ptr<Notifier>, std::less<>> by_name_;
  std::shared_ptr<Notifier> fallback_;
};

}  // namespace nudge
