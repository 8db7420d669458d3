#include <doctest/doctest.h>

#include <numeric>
#include <span>
#include <utility>
#include <vector>

#include <nudge/storage/memory_storage.hpp>
#include <nudge/domain/slim_vector.hpp>

using nudge::SlimVector;

namespace {
template <class V>
std::vector<int> items(const V& v) {
  return {v.begin(), v.end()};
}
}  // namespace

TEST_CASE("storage.slim_vector.is_one_pointer_and_empty_holds_no_block") {
  static_assert(sizeof(SlimVector<int>) == sizeof(void*));
  SlimVector<int> v;
  CHECK(v.empty());
  CHECK(v.size() == 0);
  CHECK(v.capacity() == 0);
  CHECK(v.data() == nullptr);
  CHECK(v.begin() == v.end());
  CHECK(std::span<const int>(v).empty());
}

using BesideInts = SlimVector<int, 2, nudge::SlimLayout::beside>;
static_assert(sizeof(BesideInts) == 16);

TEST_CASE_TEMPLATE("storage.slim_vector.reads_and_writes_as_a_vector", V, SlimVector<int>, BesideInts) {
  V v;
  std::vector<int> model;
  for (int i = 0; i < 1000; ++i) {
    v.push_back(i * 3);
    model.push_back(i * 3);
  }
  CHECK(items(v) == model);
  CHECK(v.front() == 0);
  CHECK(v.back() == 2997);
  CHECK(v[500] == 1500);
  // Insert before the front, in the middle and at the end, as a sorted list does.
  v.insert(v.begin(), -1);
  model.insert(model.begin(), -1);
  v.insert(v.begin() + 10, 7);
  model.insert(model.begin() + 10, 7);
  v.insert(v.end(), 5000);
  model.insert(model.end(), 5000);
  CHECK(items(v) == model);
  // A value that lives in the vector itself, inserted while it grows.
  V w{1, 2, 3};
  w.reserve(3);
  w.insert(w.begin(), w.back());
  CHECK(items(w) == std::vector<int>{3, 1, 2, 3});
  V x{4, 5};
  x.reserve(2);
  x.push_back(x.front());  // grows while the value lives in it
  CHECK(items(x) == std::vector<int>{4, 5, 4});
  // Erase one, then every multiple of nine, keeping the order.
  v.erase(v.begin() + 10);
  model.erase(model.begin() + 10);
  CHECK(v.erase_if([](int x) { return x % 9 == 0; }) == static_cast<std::size_t>(std::erase_if(model, [](int x) {
          return x % 9 == 0;
        })));
  CHECK(items(v) == model);
  CHECK(std::span<const int>(v).size() == model.size());
  const auto room = v.capacity();
  const auto* block = v.data();
  v.clear();  // as std::vector: empty, the block kept for the next fill
  CHECK(v.empty());
  CHECK(v.begin() == v.end());
  CHECK(v.capacity() == room);
  v.push_back(8);
  CHECK(v.data() == block);
  CHECK(items(v) == std::vector<int>{8});
  v.shrink_to_fit();  // not empty: kept
  CHECK(v.capacity() == room);
  v.clear();
  v.shrink_to_fit();
  CHECK(v.capacity() == 0);
  CHECK(v.data() == nullptr);
}

TEST_CASE("storage.slim_vector.grows_by_its_divisor") {
  SlimVector<int, 4> quarter;
  SlimVector<int> half;
  for (int i = 0; i < 100; ++i) {
    quarter.push_back(i);
    half.push_back(i);
  }
  CHECK(quarter.capacity() >= 100);
  CHECK(quarter.capacity() <= 125);  // a quarter spare at most
  CHECK(half.capacity() >= 100);
  CHECK(half.capacity() <= 150);
  quarter.reserve(1000);
  CHECK(quarter.capacity() == 1000);
  CHECK(quarter.size() == 100);
  quarter.reserve(10);  // never shrinks
  CHECK(quarter.capacity() == 1000);
  CHECK(items(quarter) == items(half));
}

TEST_CASE_TEMPLATE("storage.slim_vector.copies_deeply_and_moves_its_block", V, SlimVector<int>, BesideInts) {
  V a{1, 2, 3};
  V b = a;
  b.push_back(4);
  CHECK(items(a) == std::vector<int>{1, 2, 3});
  CHECK(items(b) == std::vector<int>{1, 2, 3, 4});
  CHECK(a != b);
  b = a;
  CHECK(a == b);
  CHECK(a.data() != b.data());
  const int* block = a.data();
  V c = std::move(a);
  CHECK(c.data() == block);
  CHECK(a.empty());  // NOLINT: moved-from is empty, as documented
  V d{9};
  d = std::move(c);
  CHECK(d.data() == block);
  CHECK(items(d) == std::vector<int>{1, 2, 3});
  auto& self = d;
  d = self;
  CHECK(items(d) == std::vector<int>{1, 2, 3});
  V empty;
  d = empty;
  CHECK(d.empty());
}

TEST_CASE("storage.memory.activities_keep_their_managers_in_24_bytes") {
  using nudge::MemoryStorage;
  static_assert(sizeof(MemoryStorage::PackedActivity) == 24);
  MemoryStorage s;
  {
    auto w = s.begin();
    for (std::int64_t m = 1; m <= 40; ++m) {
      nudge::Manager mg;
      mg.id = nudge::ManagerId{m * 1'000'000'007};  // far apart: the slots are not the ids
      mg.name = "m";
      w->put_manager(mg);
    }
    nudge::Client c;
    c.id = nudge::ClientId{1};
    c.name = "c";
    c.owner = nudge::ManagerId{1'000'000'007};
    w->put_client(c);
    for (std::int64_t i = 1; i <= 200; ++i) {
      nudge::Activity a;
      a.id = nudge::ActivityId{i};
      a.client = c.id;
      a.manager = nudge::ManagerId{(i % 40 + 1) * 1'000'000'007};
      a.kind = static_cast<nudge::ActivityKind>(i % nudge::activity_kind_count);
      if (a.kind == nudge::ActivityKind::other) a.custom_kind = "visit";
      a.outcome = static_cast<nudge::Outcome>(i % 5);
      a.contact = static_cast<nudge::Contact>(i % 3);
      a.at = nudge::from_unix(1'700'000'000 + (i * 7919) % 100'000);
      w->add_activity(a);
    }
    w->commit();
  }
  const auto got = s.activities_of(nudge::ClientId{1}, nudge::from_unix(0));
  REQUIRE(got.size() == 200);
  for (const auto& a : got) {
    const auto i = a.id.value();
    CHECK(a.manager == nudge::ManagerId{(i % 40 + 1) * 1'000'000'007});
    CHECK(a.kind == static_cast<nudge::ActivityKind>(i % nudge::activity_kind_count));
    CHECK(a.outcome == static_cast<nudge::Outcome>(i % 5));
    CHECK(a.contact == static_cast<nudge::Contact>(i % 3));
    CHECK(a.at == nudge::from_unix(1'700'000'000 + (i * 7919) % 100'000));
  }
}
