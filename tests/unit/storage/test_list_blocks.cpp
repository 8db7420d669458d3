#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <random>
#include <thread>
#include <vector>

#include <nudge/domain/slim_vector.hpp>
#include <nudge/storage/list_blocks.hpp>

// Own namespace: the tests build as a unity build.
namespace nudge_storage_test_list_blocks {

using namespace nudge;

/// 24 bytes, as the store's packed activities; a type of its own, so these
/// tests have a pool of their own.
struct Val {
  std::int64_t a = 0, b = 0, c = 0;
  friend bool operator==(const Val&, const Val&) = default;
};
using Blocks = detail::PagedBlocks<Val, 4>;
using List = SlimVector<Val, 4, SlimLayout::beside, Blocks>;

Val val(std::int64_t i) { return {i, -i, i * 7}; }

/// Fills a block with values that name it; checks they are still there.
void fill(Val* p, std::size_t n, std::int64_t tag) {
  for (std::size_t i = 0; i < n; ++i) p[i] = val(tag * 100'000 + static_cast<std::int64_t>(i));
}
bool intact(const Val* p, std::size_t n, std::int64_t tag) {
  for (std::size_t i = 0; i < n; ++i)
    if (!(p[i] == val(tag * 100'000 + static_cast<std::int64_t>(i)))) return false;
  return true;
}

TEST_CASE("storage.list_blocks.classes_are_the_capacities_a_list_grows_through") {
  const auto& cls = Blocks::classes();
  REQUIRE(cls.size() > 20);
  CHECK(std::vector<std::size_t>(cls.begin(), cls.begin() + 12) ==
        std::vector<std::size_t>{1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 15, 18});
  for (std::size_t k = 1; k < cls.size(); ++k) REQUIRE(cls[k] == cls[k - 1] + std::max<std::size_t>(cls[k - 1] / 4, 1));
  CHECK(cls.back() * sizeof(Val) <= Blocks::largest_bytes);
  CHECK((cls.back() + cls.back() / 4) * sizeof(Val) > Blocks::largest_bytes);

  // A list grown by appends asks for exactly these, one after another.
  List l;
  std::vector<std::size_t> rooms;
  for (std::int64_t i = 0; i < 2000; ++i) {
    l.push_back(val(i));
    if (rooms.empty() || rooms.back() != l.capacity()) rooms.push_back(l.capacity());
  }
  CHECK(std::vector<std::size_t>(cls.begin(), cls.begin() + static_cast<std::ptrdiff_t>(rooms.size())) == rooms);
  for (std::int64_t i = 0; i < 2000; ++i) REQUIRE(l[static_cast<std::size_t>(i)] == val(i));
}

TEST_CASE("storage.list_blocks.a_request_gets_the_next_class_and_large_ones_their_size") {
  for (std::size_t n : {std::size_t{1}, std::size_t{9}, std::size_t{11}, std::size_t{16}, std::size_t{1000}}) {
    std::size_t room = n;
    Val* p = Blocks::allocate(room);
    if (detail::list_blocks_from_heap) {
      CHECK(room == n);
    } else {
      const auto& cls = Blocks::classes();
      CHECK(room == *std::lower_bound(cls.begin(), cls.end(), n));
    }
    fill(p, room, 1);
    CHECK(intact(p, room, 1));
    Blocks::deallocate(p, room);
  }
  std::size_t big = Blocks::classes().back() + 1;
  const auto asked = big;
  Val* p = Blocks::allocate(big);
  CHECK(big == asked);  // from the heap, as asked
  fill(p, big, 2);
  CHECK(intact(p, big, 2));
  Blocks::deallocate(p, big);

  // Reserving, copying and moving a list of the pool.
  List l;
  l.reserve(11);
  CHECK(l.capacity() >= 11);
  for (std::int64_t i = 0; i < 11; ++i) l.push_back(val(i));
  List copy = l;
  List moved = std::move(l);
  CHECK(l.empty());
  CHECK(copy == moved);
  CHECK(copy.size() == 11);
  copy.insert(copy.begin() + 3, val(-1));
  CHECK(copy[3] == val(-1));
  CHECK(copy[4] == val(3));
}

TEST_CASE("storage.list_blocks.freed_blocks_are_given_again_and_blocks_never_overlap") {
  const auto& cls = Blocks::classes();
  if (!detail::list_blocks_from_heap) {
    // A freed block of a class is the next one given in that class. (Under
    // AddressSanitizer blocks come from the heap, which keeps freed ones
    // away for a while; the rest of this test holds there too.)
    std::size_t n = 12;
    Val* a = Blocks::allocate(n);
    Blocks::deallocate(a, n);
    std::size_t again = 11;
    CHECK(Blocks::allocate(again) == a);
    CHECK(again == 12);
    Blocks::deallocate(a, again);
  }

  // Many blocks of random classes, over several mappings (the pool maps
  // more as it goes, and cuts what is left of a mapping into free blocks):
  // no two overlap, and each keeps its values while others come and go.
  std::mt19937_64 rng(3);
  const auto mapped_before = Blocks::mapped_bytes();
  std::map<Val*, std::pair<std::size_t, std::int64_t>> live;  // block -> room, tag
  std::int64_t tag = 0;
  for (int step = 0; step < 20000; ++step) {
    if (live.size() > 50 && rng() % 3 == 0) {
      auto it = live.begin();
      std::advance(it, static_cast<long>(rng() % live.size()));
      REQUIRE(intact(it->first, it->second.first, it->second.second));
      Blocks::deallocate(it->first, it->second.first);
      live.erase(it);
      continue;
    }
    std::size_t room = cls[rng() % cls.size()];
    Val* p = Blocks::allocate(room);
    fill(p, room, ++tag);
    live[p] = {room, tag};
  }
  if (!detail::list_blocks_from_heap) CHECK(Blocks::mapped_bytes() > mapped_before);
  const Val* end = nullptr;
  for (const auto& [p, info] : live) {
    REQUIRE((end == nullptr || end <= p));
    REQUIRE(intact(p, info.first, info.second));
    end = p + info.first;
  }
  for (const auto& [p, info] : live) Blocks::deallocate(p, info.first);
}

TEST_CASE("storage.list_blocks.threads_share_the_pool") {
  // Stores on several threads take and give blocks at once: each thread's
  // lists keep their values (a race in the pool hands one block to two).
  std::vector<std::thread> threads;
  std::vector<int> ok(4, 0);
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([t, &ok] {
      std::mt19937_64 rng(static_cast<std::uint64_t>(t));
      std::vector<List> lists(64);
      bool good = true;
      for (int step = 0; step < 20000; ++step) {
        auto& l = lists[rng() % lists.size()];
        if (rng() % 50 == 0) {
          for (std::size_t i = 0; i < l.size(); ++i) good = good && l[i] == val(t * 1'000'000 + static_cast<std::int64_t>(i));
          l = List{};
        } else {
          l.push_back(val(t * 1'000'000 + static_cast<std::int64_t>(l.size())));
        }
      }
      for (const auto& l : lists)
        for (std::size_t i = 0; i < l.size(); ++i) good = good && l[i] == val(t * 1'000'000 + static_cast<std::int64_t>(i));
      ok[static_cast<std::size_t>(t)] = good ? 1 : 0;
    });
  for (auto& th : threads) th.join();
  CHECK(ok == std::vector<int>{1, 1, 1, 1});
}

}  // namespace nudge_storage_test_list_blocks
