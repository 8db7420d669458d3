#pragma once
/// @file
/// What a finding or an action is about, and the facts that explain it.

#include <array>
#include <compare>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nudge/domain/ids.hpp>
#include <nudge/domain/time.hpp>

namespace nudge {

enum class SubjectKind { client, deal, invoice, task, manager };

inline std::string_view to_string(SubjectKind k) {
  constexpr std::array<std::string_view, 5> names{"client", "deal", "invoice", "task", "manager"};
  return names[static_cast<std::size_t>(k)];
}

/// A reference to the entity a finding is about.
struct SubjectRef {
  SubjectKind kind = SubjectKind::client;
  std::int64_t id = 0;

  static SubjectRef of(ClientId c) { return {SubjectKind::client, c.value()}; }
  static SubjectRef of(DealId d) { return {SubjectKind::deal, d.value()}; }
  static SubjectRef of(InvoiceId i) { return {SubjectKind::invoice, i.value()}; }
  static SubjectRef of(TaskId t) { return {SubjectKind::task, t.value()}; }
  static SubjectRef of(ManagerId m) { return {SubjectKind::manager, m.value()}; }

  friend auto operator<=>(const SubjectRef&, const SubjectRef&) = default;
  friend bool operator==(const SubjectRef&, const SubjectRef&) = default;
};

/// "client:42" (the form used inside action keys).
inline std::string to_string(const SubjectRef& s) { return fmt::format("{}:{}", to_string(s.kind), s.id); }

/// A typed fact value: a count, an amount, a text, an instant.
using FactValue = std::variant<std::int64_t, double, std::string, Instant>;

/// One named fact behind a finding ("last_contact" = 2026-08-14T00:00:00Z).
struct Fact {
  std::string name{};
  FactValue value{};
  friend bool operator==(const Fact&, const Fact&) = default;
};

/// The value as text: instants in ISO-8601, doubles with two decimals.
inline std::string to_string(const FactValue& v) {
  struct V {
    std::string operator()(std::int64_t x) const { return std::to_string(x); }
    std::string operator()(double x) const { return fmt::format("{:.2f}", x); }
    std::string operator()(const std::string& x) const { return x; }
    std::string operator()(Instant x) const { return iso_instant(x); }
  };
  return std::visit(V{}, v);
}

/// An audit record: who/what/why of one applied action.
struct AuditRecord {
  Instant at{};
  std::string action_key{};
  std::string rule{};
  SubjectRef subject{};
  std::string action{};       ///< "create_task", "reassign", "notify", ...
  std::string explanation{};  ///< what a person reads
  std::vector<Fact> facts{};
  friend bool operator==(const AuditRecord&, const AuditRecord&) = default;
};

}  // namespace nudge
