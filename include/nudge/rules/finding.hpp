#pragma once
/// @file
/// A finding: what a rule saw about one subject, with the facts that explain it.

#include <optional>
#include <string>
#include <vector>

#include <nudge/domain/ids.hpp>
#include <nudge/domain/subject.hpp>

namespace nudge {

/// What an assistant saw. The engine turns it into actions through the
/// assistant's ladder, keyed by (rule, subject, episode, step).
struct Finding {
  std::string rule;       ///< the assistant's id
  SubjectRef subject;     ///< what it is about
  ClientId client;        ///< the client behind the subject
  ManagerId owner;        ///< who is responsible (client or deal owner, task assignee)
  /// Identifies the episode: a fact that stays the same while the condition
  /// lasts and changes when it clears and lapses again (e.g. the last contact).
  std::string episode;
  /// When the episode started (the condition began to hold); ladder delays count from here.
  Instant since{};
  std::vector<Fact> facts;
  /// One line a person reads: "client 'Acme' forgotten: last contact 2026-08-14 (100 days ago), limit 90 days, owner Ivanova".
  std::string summary;
  /// Label to put on the client while the finding holds ("" = none), and its note.
  std::string label;
  std::string label_note;
  /// Amount behind the finding, when there is one (debts, deal values).
  std::optional<std::int64_t> cents;
  std::string currency;
  /// Steps that fell due (filled by the engine): ids in ladder order.
  std::vector<std::string> due_steps;

  [[nodiscard]] const Fact* fact(std::string_view name) const {
    for (const auto& f : facts)
      if (f.name == name) return &f;
    return nullptr;
  }
  friend bool operator==(const Finding&, const Finding&) = default;
};

}  // namespace nudge
