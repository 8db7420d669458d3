#pragma once
/// @file
/// Strong id types: a ClientId cannot be passed where a DealId is expected.

#include <compare>
#include <cstdint>
#include <functional>
#include <string>

#include <fmt/format.h>

namespace nudge {

/// An integer id tagged with the entity it names. Zero means "not assigned yet".
///
/// @code
/// nudge::ClientId c{42};
/// nudge::DealId d{42};
/// // c == d;  // does not compile
/// @endcode
template <class Tag>
class Id {
public:
  using value_type = std::int64_t;
  constexpr Id() = default;
  constexpr explicit Id(value_type v) : value_(v) {}
  [[nodiscard]] constexpr value_type value() const { return value_; }
  /// True when the id names something (non-zero).
  [[nodiscard]] constexpr bool valid() const { return value_ != 0; }
  friend constexpr auto operator<=>(Id, Id) = default;

private:
  value_type value_ = 0;
};

struct ClientTag { static constexpr const char* name = "client"; };
struct ManagerTag { static constexpr const char* name = "manager"; };
struct ActivityTag { static constexpr const char* name = "activity"; };
struct TaskTag { static constexpr const char* name = "task"; };
struct DealTag { static constexpr const char* name = "deal"; };
struct InvoiceTag { static constexpr const char* name = "invoice"; };

using ClientId = Id<ClientTag>;
using ManagerId = Id<ManagerTag>;
using ActivityId = Id<ActivityTag>;
using TaskId = Id<TaskTag>;
using DealId = Id<DealTag>;
using InvoiceId = Id<InvoiceTag>;

/// "client 42", "deal 7": how messages name an entity.
template <class Tag>
std::string to_string(Id<Tag> id) {
  return fmt::format("{} {}", Tag::name, id.value());
}

}  // namespace nudge

template <class Tag>
struct std::hash<nudge::Id<Tag>> {
  std::size_t operator()(nudge::Id<Tag> id) const noexcept { return std::hash<std::int64_t>{}(id.value()); }
};

template <class Tag>
struct fmt::formatter<nudge::Id<Tag>> : fmt::formatter<std::int64_t> {
  auto format(nudge::Id<Tag> id, fmt::format_context& ctx) const {
    return fmt::formatter<std::int64_t>::format(id.value(), ctx);
  }
};
