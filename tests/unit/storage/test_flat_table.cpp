#include <doctest/doctest.h>

#include <map>
#include <random>
#include <set>

#include <support/fixtures.hpp>
#include <nudge/storage/flat_table.hpp>
#include <nudge/storage/memory_storage.hpp>

// Own namespace: the tests build as a unity build.
namespace nudge_storage_test_flat_table {

using namespace nudge;
using namespace nudge::test;
using nudge::detail::IdIndex;
using nudge::detail::HugePageAllocator;
using nudge::detail::IdSet;

/// The index holds what the model holds, and nothing else, for the ids in [lo, hi].
void agree(const IdIndex& index, const std::map<std::int64_t, std::uint32_t>& model, std::int64_t lo, std::int64_t hi) {
  REQUIRE(index.size() == model.size());
  for (auto k = lo; k <= hi; ++k) {
    auto it = model.find(k);
    REQUIRE(index.find(k) == (it == model.end() ? IdIndex::npos : it->second));
  }
}

TEST_CASE("storage.flat.id_index_agrees_with_a_map_under_random_puts_and_erases") {
  std::mt19937_64 rng(7);
  IdIndex index;
  std::map<std::int64_t, std::uint32_t> model;
  // Small key ranges collide often (long probe runs, wrapped runs); wide ones
  // exercise growth; negative and extreme keys are ids like any other.
  for (const std::int64_t range : {std::int64_t{50}, std::int64_t{5000}, std::int64_t{1} << 40}) {
    std::uniform_int_distribution<std::int64_t> key(-range, range);
    for (int step = 0; step < 40000; ++step) {
      const auto k = key(rng);
      switch (rng() % 3) {
        case 0:
        case 1: {
          const auto row = static_cast<std::uint32_t>(rng() % 1000);
          index.put(k, row);
          model[k] = row;
          break;
        }
        default: CHECK(index.erase(k) == (model.erase(k) == 1)); break;
      }
      if (step % 1000 == 0) {
        REQUIRE(index.size() == model.size());
        for (const auto& [mk, mv] : model) REQUIRE(index.find(mk) == mv);
      }
      const auto probe = key(rng);
      auto it = model.find(probe);
      REQUIRE(index.find(probe) == (it == model.end() ? IdIndex::npos : it->second));
    }
  }
  index.put(std::numeric_limits<std::int64_t>::max(), 3);
  CHECK(index.find(std::numeric_limits<std::int64_t>::max()) == 3);
  // The one value the index keeps for empty slots is never found, and is
  // refused rather than stored.
  constexpr auto lowest = std::numeric_limits<std::int64_t>::min();
  CHECK(index.find(lowest) == IdIndex::npos);
  CHECK_FALSE(index.erase(lowest));
  CHECK_THROWS_AS(index.put(lowest, 1), nudge::invalid_argument);
  MemoryStorage s;
  CHECK_FALSE(s.has_client(ClientId{lowest}));
  CHECK_FALSE(s.has_activity(ActivityId{lowest}));
}

TEST_CASE("storage.flat.id_index_is_a_dense_table_while_ids_are_dense_and_a_hash_after") {
  // Every pattern is checked against a map after each step's batch, and the
  // mode is what the density rule says.
  std::mt19937_64 rng(11);
  SUBCASE("ascending, descending and shuffled dense ids stay dense") {
    for (int pattern = 0; pattern < 3; ++pattern) {
      std::vector<std::int64_t> ids;
      for (std::int64_t k = 100'000; k < 120'000; ++k) ids.push_back(k);
      if (pattern == 1) std::reverse(ids.begin(), ids.end());
      if (pattern == 2) std::shuffle(ids.begin(), ids.end(), rng);
      IdIndex index;
      std::map<std::int64_t, std::uint32_t> model;
      for (std::size_t i = 0; i < ids.size(); ++i) {
        index.put(ids[i], static_cast<std::uint32_t>(i));
        model[ids[i]] = static_cast<std::uint32_t>(i);
      }
      CHECK_FALSE(index.hashed());
      agree(index, model, 99'000, 121'000);
      // Erase every third and put some back with new rows.
      for (std::int64_t k = 100'000; k < 120'000; k += 3) CHECK(index.erase(k) == (model.erase(k) == 1));
      CHECK_FALSE(index.erase(100'000));
      for (std::int64_t k = 100'000; k < 120'000; k += 9) index.put(k, 7), model[k] = 7;
      CHECK_FALSE(index.hashed());
      agree(index, model, 99'000, 121'000);
    }
  }
  SUBCASE("a far id moves every id to the hash index, which keeps them all") {
    IdIndex index;
    std::map<std::int64_t, std::uint32_t> model;
    index.reserve(5000);
    for (std::int64_t k = -2000; k < 2000; k += 2) index.put(k, static_cast<std::uint32_t>(k + 5000)), model[k] = static_cast<std::uint32_t>(k + 5000);
    CHECK_FALSE(index.hashed());
    index.put(std::int64_t{1} << 40, 1);
    model[std::int64_t{1} << 40] = 1;
    CHECK(index.hashed());
    agree(index, model, -2100, 2100);
    CHECK(index.find(std::int64_t{1} << 40) == 1);
    // Dense ids again after that: the hash index keeps them too.
    for (std::int64_t k = 3000; k < 9000; ++k) index.put(k, 3), model[k] = 3;
    CHECK(index.hashed());
    agree(index, model, -2100, 9100);
  }
  SUBCASE("ids that start sparse and fill in go back to the table") {
    IdIndex index;
    std::map<std::int64_t, std::uint32_t> model;
    index.put(0, 0), model[0] = 0;
    index.put(50'000, 1), model[50'000] = 1;
    CHECK(index.hashed());
    for (std::int64_t k = 1; k < 50'000; k += 2) index.put(k, 2), model[k] = 2;
    CHECK_FALSE(index.hashed());
    agree(index, model, -100, 50'100);
    index.erase(0), model.erase(0);
    index.put(-3, 4), model[-3] = 4;  // below the table's first id
    CHECK_FALSE(index.hashed());
    agree(index, model, -100, 50'100);
  }
  SUBCASE("ids at both ends of the 64-bit range") {
    constexpr auto top = std::numeric_limits<std::int64_t>::max();
    constexpr auto bottom = std::numeric_limits<std::int64_t>::min() + 1;  // the smallest that can be indexed
    for (const auto start : {top, bottom}) {
      IdIndex index;
      std::map<std::int64_t, std::uint32_t> model;
      for (std::int64_t i = 0; i < 3000; ++i) {
        const auto k = start == top ? top - i : bottom + i;
        index.put(k, static_cast<std::uint32_t>(i));
        model[k] = static_cast<std::uint32_t>(i);
      }
      CHECK_FALSE(index.hashed());
      for (std::int64_t i = 0; i < 3100; ++i) {
        const auto k = start == top ? top - i : bottom + i;
        auto it = model.find(k);
        REQUIRE(index.find(k) == (it == model.end() ? IdIndex::npos : it->second));
      }
      CHECK(index.find(std::numeric_limits<std::int64_t>::min()) == IdIndex::npos);
      index.put(start == top ? bottom : top, 9);  // the other end: sparse now
      CHECK(index.hashed());
      CHECK(index.find(start == top ? bottom : top) == 9);
      CHECK(index.find(start) == 0);
    }
  }
  SUBCASE("the row value kept for absent ids is refused") {
    IdIndex index;
    CHECK_THROWS_AS(index.put(1, IdIndex::npos), nudge::invalid_argument);
    CHECK(index.find(1) == IdIndex::npos);
    CHECK(index.size() == 0);
  }
}

TEST_CASE("storage.flat.id_index_computes_rows_while_each_id_is_the_first_plus_its_row") {
  // Whether the model is ids base, base + 1, ... at rows 0, 1, ...
  auto is_identity = [](const std::map<std::int64_t, std::uint32_t>& model) {
    std::uint32_t r = 0;
    for (const auto& [k, v] : model)
      if (v != r++ || k != model.begin()->first + v) return false;
    return true;
  };
  SUBCASE("ids put in order with rows 0, 1, ... are computed, and the first id out of line ends it") {
    IdIndex index;
    std::map<std::int64_t, std::uint32_t> model;
    CHECK(index.identity());
    for (std::uint32_t r = 0; r < 5000; ++r) index.put(static_cast<std::int64_t>(r) - 7, r), model[static_cast<std::int64_t>(r) - 7] = r;
    CHECK(index.identity());
    agree(index, model, -20, 5020);
    for (auto k : {std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::int64_t>::max()})
      CHECK(index.find(k) == IdIndex::npos);
    index.put(10, 17);  // what it holds already
    CHECK(index.erase(4992));  // the last
    model.erase(4992);
    CHECK_FALSE(index.erase(4992));
    CHECK_FALSE(index.erase(-8));
    CHECK(index.identity());
    agree(index, model, -20, 5020);
    index.put(4992, 4999);  // the next id at the next row
    model[4992] = 4999;
    CHECK(index.identity());
    agree(index, model, -20, 5020);
    SUBCASE("erasing one in the middle") {
      CHECK(index.erase(100));
      model.erase(100);
    }
    SUBCASE("a gap") { index.put(5000, 5000), model[5000] = 5000; }
    SUBCASE("a row out of turn") { index.put(4993, 7), model[4993] = 7; }
    SUBCASE("another row for an id held") { index.put(0, 3), model[0] = 3; }
    SUBCASE("an id below the first") { index.put(-8, 5000), model[-8] = 5000; }
    CHECK_FALSE(index.identity());
    CHECK_FALSE(index.hashed());
    agree(index, model, -20, 5020);
    // And it goes on as an index: a far id hashes, every id kept.
    index.put(std::int64_t{1} << 50, 1), model[std::int64_t{1} << 50] = 1;
    CHECK(index.hashed());
    agree(index, model, -20, 5020);
  }
  SUBCASE("a first row other than 0, and an index emptied from the end") {
    IdIndex index;
    index.put(3, 1);
    CHECK_FALSE(index.identity());
    CHECK(index.find(3) == 1);
    IdIndex other;
    for (std::uint32_t r = 0; r < 3; ++r) other.put(10 + r, r);
    for (std::int64_t k = 12; k >= 10; --k) CHECK(other.erase(k));
    CHECK(other.identity());
    CHECK(other.size() == 0);
    CHECK(other.find(10) == IdIndex::npos);
    other.put(-40, 0);  // empty again: the rows count from the next first id
    other.put(-39, 1);
    CHECK(other.identity());
    CHECK(other.find(-39) == 1);
    CHECK(other.find(10) == IdIndex::npos);
  }
  SUBCASE("random appends, overwrites and erasures agree with a map") {
    std::mt19937_64 rng(17);
    for (int round = 0; round < 40; ++round) {
      IdIndex index;
      if (round % 4 == 1) index.reserve(3000);
      std::map<std::int64_t, std::uint32_t> model;
      const auto base = static_cast<std::int64_t>(rng() % 1000) - 500;
      bool broken = false;
      for (int step = 0; step < 2000; ++step) {
        const auto r = rng() % 1000;
        const auto next = model.empty() ? base : model.rbegin()->first + 1;
        const bool breaks = round % 2 == 1;  // even rounds keep to appends, erasing the last and rewrites
        if (breaks && r < 5) {  // out of line
          const auto k = base + static_cast<std::int64_t>(rng() % 3000);
          const auto row = static_cast<std::uint32_t>(rng() % 3000);
          index.put(k, row);
          model[k] = row;
        } else if (breaks && r < 10) {
          const auto k = base + static_cast<std::int64_t>(rng() % 3000);
          REQUIRE(index.erase(k) == (model.erase(k) == 1));
        } else if (r < 150 && !model.empty()) {
          const auto k = model.rbegin()->first;
          REQUIRE(index.erase(k));
          model.erase(k);
        } else if (r < 250 && !model.empty()) {  // an id held, with the row it has
          auto it = model.begin();
          std::advance(it, static_cast<std::ptrdiff_t>(rng() % model.size()));
          index.put(it->first, it->second);
        } else {
          index.put(next, static_cast<std::uint32_t>(model.size()));
          model[next] = static_cast<std::uint32_t>(model.size());
        }
        broken = broken || !is_identity(model);
        // Computed only while the ids were the identity all along.
        REQUIRE(index.identity() == !broken);
        if (step % 97 == 0) agree(index, model, base - 3, base + 3003);
      }
      agree(index, model, base - 3, base + 3003);
    }
  }
}

TEST_CASE("storage.flat.id_set_is_a_set_of_dense_and_sparse_ids") {
  std::mt19937_64 rng(11);
  IdSet set;
  std::set<std::int64_t> model;
  // Dense ascending ids (the bitmap), then far and negative ones (the hash),
  // then dense ids again below ids first held sparsely.
  for (std::int64_t i = 1; i <= 100000; ++i) {
    CHECK(set.insert(i));
    model.insert(i);
  }
  std::uniform_int_distribution<std::int64_t> far(-(std::int64_t{1} << 50), std::int64_t{1} << 50);
  for (int i = 0; i < 20000; ++i) {
    const auto k = far(rng);
    CHECK(set.insert(k) == model.insert(k).second);
  }
  for (std::int64_t i = 100001; i <= 3000000; i += 3) {
    set.insert(i);
    model.insert(i);
  }
  CHECK_FALSE(set.insert(50));
  for (int i = 0; i < 50000; ++i) {
    const std::int64_t k = rng() % 2 ? far(rng) : static_cast<std::int64_t>(rng() % 3100000);
    REQUIRE(set.contains(k) == (model.count(k) == 1));
    if (rng() % 4 == 0) REQUIRE(set.erase(k) == (model.erase(k) == 1));
  }
  CHECK(set.size() == model.size());
}

namespace {
struct Pair {
  std::int64_t id = 0;
  std::int64_t value = 0;
  friend bool operator==(const Pair&, const Pair&) = default;
};
constexpr ClientId pair_key(const Pair& p) { return ClientId{p.id}; }
}  // namespace

TEST_CASE("storage.flat.huge_page_blocks_are_aligned_and_keep_their_values_through_growth") {
  constexpr auto huge = HugePageAllocator<int>::huge;
  std::vector<std::int64_t, HugePageAllocator<std::int64_t>> v;
  for (std::int64_t i = 0; i < 1'000'000; ++i) v.push_back(i * 3);  // small blocks, then huge ones, growing
  for (std::int64_t i = 0; i < 1'000'000; ++i) REQUIRE(v[static_cast<std::size_t>(i)] == i * 3);
#ifdef __linux__
  CHECK(reinterpret_cast<std::uintptr_t>(v.data()) % huge == 0);
#endif
  v.resize(10);
  v.shrink_to_fit();  // back to a small block
  CHECK(v == std::vector<std::int64_t, HugePageAllocator<std::int64_t>>{0, 3, 6, 9, 12, 15, 18, 21, 24, 27});
  CHECK_THROWS_AS((void)HugePageAllocator<Pair>{}.allocate(std::numeric_limits<std::size_t>::max() / 8),
                  std::bad_array_new_length);
}

TEST_CASE("storage.flat.mapped_allocator_keeps_values_across_its_threshold") {
  using Mapped = std::vector<std::int64_t, nudge::detail::MappedAllocator<std::int64_t>>;
  constexpr std::size_t mapped = nudge::detail::MappedAllocator<std::int64_t>::mapped / sizeof(std::int64_t);
  Mapped v;
  for (std::int64_t i = 0; i < 100'000; ++i) v.push_back(i * 7);  // small blocks, then mapped ones, growing
  REQUIRE(v.capacity() >= mapped);
  for (std::int64_t i = 0; i < 100'000; ++i) REQUIRE(v[static_cast<std::size_t>(i)] == i * 7);
  Mapped copy(v.begin() + 10, v.begin() + 13);  // a small block again
  CHECK(copy == Mapped{70, 77, 84});
  Mapped().swap(v);
  CHECK(v.capacity() == 0);
  CHECK_THROWS_AS((void)nudge::detail::MappedAllocator<Pair>{}.allocate(std::numeric_limits<std::size_t>::max() / 8),
                  std::bad_array_new_length);
}

TEST_CASE("storage.flat.table_rows_across_chunks_are_found_and_truncated") {
  // 16-byte rows: a chunk (one huge page) holds 131,072 of them; 300,000
  // rows fill two and start a third.
  nudge::detail::FlatTable<ClientId, Pair, &pair_key> t;
  std::mt19937_64 rng(5);
  std::vector<std::int64_t> ids(300'000);
  for (std::size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<std::int64_t>(i) * 2 + 1;
  std::shuffle(ids.begin() + 200'000, ids.end(), rng);  // the last ones out of order
  for (auto id : ids) t.insert(Pair{id, -id});
  t.normalize();
  REQUIRE(t.size() == ids.size());
  for (auto id : ids) {
    const auto* p = t.find(ClientId{id});
    REQUIRE(p);
    REQUIRE(p->value == -id);
  }
  CHECK_FALSE(t.find(ClientId{2}));
#ifdef __linux__
  CHECK(reinterpret_cast<std::uintptr_t>(&t.at(131'072)) % HugePageAllocator<Pair>::huge == 0);
#endif
  t.truncate(100'000);  // back into the first chunk
  CHECK(t.size() == 100'000);
  for (std::size_t i = 0; i < ids.size(); ++i) REQUIRE((t.find(ClientId{ids[i]}) != nullptr) == (i < 100'000));
  std::vector<std::int64_t> order;
  t.for_each([&](const Pair& p) { order.push_back(p.id); });
  CHECK(order.size() == 100'000);
  CHECK(std::is_sorted(order.begin(), order.end()));
  for (std::size_t i = 100'000; i < ids.size(); ++i) t.insert(Pair{ids[i], 7});
  t.normalize();
  CHECK(t.size() == ids.size());
  CHECK(t.find(ClientId{ids.back()})->value == 7);
  CHECK(t.find(ClientId{ids.front()})->value == -ids.front());
}

TEST_CASE("storage.flat.rows_of_consecutive_ids_are_computed_and_any_other_insert_falls_back_to_the_index") {
  nudge::detail::FlatTable<ClientId, Pair, &pair_key> t;
  CHECK(t.aligned());
  CHECK_FALSE(t.find(ClientId{0}));
  for (std::int64_t id = -5; id < 200'000; ++id) t.insert(Pair{id, id * 3});
  CHECK(t.aligned());
  for (std::int64_t id = -5; id < 200'000; id += 7) REQUIRE(t.find(ClientId{id})->value == id * 3);
  // Below the first id, past the last, and at both ends of the range (the
  // offset from the first id wraps).
  for (std::int64_t id : {std::int64_t{-6}, std::int64_t{200'000}, std::numeric_limits<std::int64_t>::min(),
                          std::numeric_limits<std::int64_t>::max()})
    CHECK_FALSE(t.find(ClientId{id}));
  t.truncate(100);  // the last rows go: still aligned
  CHECK(t.aligned());
  CHECK(t.find(ClientId{94})->value == 94 * 3);
  CHECK_FALSE(t.find(ClientId{95}));
  t.insert(Pair{97, 1});  // a gap: ids 95 and 96 are not there
  CHECK_FALSE(t.aligned());
  CHECK_FALSE(t.find(ClientId{95}));
  CHECK_FALSE(t.find(ClientId{96}));
  CHECK(t.find(ClientId{97})->value == 1);
  CHECK(t.find(ClientId{-5})->value == -15);
  t.truncate(0);
  CHECK(t.aligned());
  CHECK_FALSE(t.find(ClientId{-5}));
  t.insert(Pair{40, 2});
  t.insert(Pair{39, 3});  // descending: not aligned
  CHECK_FALSE(t.aligned());
  CHECK(t.find(ClientId{39})->value == 3);
  CHECK(t.find(ClientId{40})->value == 2);
  CHECK_FALSE(t.find(ClientId{41}));
}

TEST_CASE("storage.flat.table_finds_what_a_map_holds_under_runs_of_ids_gaps_and_truncations") {
  std::mt19937_64 rng(13);
  for (int round = 0; round < 30; ++round) {
    nudge::detail::FlatTable<ClientId, Pair, &pair_key> t;
    std::vector<std::int64_t> inserted;  // insertion order (truncate removes from the end)
    std::set<std::int64_t> held;
    std::int64_t next = static_cast<std::int64_t>(rng() % 100) - 50;
    for (int step = 0; step < 3000; ++step) {
      const auto r = rng() % 100;
      if (r < 2 && !inserted.empty()) {
        const auto mark = rng() % (inserted.size() + 1);
        t.truncate(mark);
        while (inserted.size() > mark) {
          held.erase(inserted.back());
          inserted.pop_back();
        }
        next = inserted.empty() ? next : inserted.back() + 1;
        continue;
      }
      // Mostly the next id; now and then a jump forward or back (not in
      // every third round: those stay aligned, truncations aside).
      if (round % 3 != 0 && r < 5) next += static_cast<std::int64_t>(rng() % 20) - 10;
      if (held.count(next)) {
        next = *held.rbegin() + 1;
      }
      t.insert(Pair{next, next + 1});
      inserted.push_back(next);
      held.insert(next);
      ++next;
    }
    t.normalize();
    REQUIRE(t.size() == held.size());
    if (round % 3 == 0) CHECK(t.aligned());
    const auto lo = held.empty() ? 0 : *held.begin() - 3, hi = held.empty() ? 0 : *held.rbegin() + 3;
    for (auto id = lo; id <= hi; ++id) {
      const auto* p = t.find(ClientId{id});
      REQUIRE((p != nullptr) == (held.count(id) == 1));
      if (p) REQUIRE(p->value == id + 1);
    }
  }
}

TEST_CASE("storage.flat.flagged_rows_walk_in_ascending_id_and_lose_their_flags_when_truncated") {
  // Rows inserted out of order (some placed, many appended and unsorted);
  // every third flagged, some flags cleared again; a truncation drops the
  // flags of the rows it removes, and rows inserted again start unflagged.
  nudge::detail::FlatTable<ClientId, Pair, &pair_key> t;
  std::mt19937_64 rng(11);
  std::vector<std::int64_t> ids(1000);
  for (std::size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<std::int64_t>(i) * 3 + 1;
  std::shuffle(ids.begin() + 500, ids.end(), rng);
  std::set<std::int64_t> flagged;
  auto walk = [&] {
    std::vector<std::int64_t> got;
    t.for_each_flagged([&](const Pair& p) { got.push_back(p.id); });
    return got;
  };
  for (std::size_t i = 0; i < ids.size(); ++i) {
    t.insert(Pair{ids[i], 0});
    if (ids[i] % 3 == 1 && ids[i] % 9 != 7) {
      t.set_flag(ClientId{ids[i]}, true);
      flagged.insert(ids[i]);
    }
    if (i == 700) CHECK(walk() == std::vector<std::int64_t>(flagged.begin(), flagged.end()));  // while unsorted
  }
  t.normalize();
  for (std::size_t i = 0; i < ids.size(); i += 5) {
    t.set_flag(ClientId{ids[i]}, false);
    flagged.erase(ids[i]);
  }
  t.set_flag(ClientId{2}, true);  // no such row: nothing
  CHECK(walk() == std::vector<std::int64_t>(flagged.begin(), flagged.end()));
  t.truncate(600);
  for (std::size_t i = 600; i < ids.size(); ++i) flagged.erase(ids[i]);
  CHECK(walk() == std::vector<std::int64_t>(flagged.begin(), flagged.end()));
  for (std::size_t i = 600; i < ids.size(); ++i) t.insert(Pair{ids[i], 1});
  t.normalize();
  CHECK(walk() == std::vector<std::int64_t>(flagged.begin(), flagged.end()));
  CHECK(flagged.size() > 100);
}

TEST_CASE("storage.memory.clients_in_any_order_scan_in_ascending_id_and_roll_back") {
  // Ids arrive shuffled: a few in one unit (placed one by one), many in
  // another (appended, then sorted once at the commit), and a rolled-back unit
  // in between leaves the store as it was.
  std::mt19937_64 rng(3);
  std::vector<std::int64_t> ids(3000);
  for (std::size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<std::int64_t>(i * 7 + 1);
  std::shuffle(ids.begin(), ids.end(), rng);

  MemoryStorage s;
  {
    auto w = s.begin();
    w->put_manager(manager(1, "Ivanova"));
    for (std::size_t i = 0; i < 20; ++i) w->put_client(client(ids[i], "c", 1));
    w->commit();
  }
  const auto before = s.state();
  {
    auto w = s.begin();
    for (std::size_t i = 20; i < ids.size(); ++i) w->put_client(client(ids[i], "c", 1));
    w->add_activity(activity(1, ids[25], 1, ActivityKind::call_out, at(2026, 3, 1)));
    // Reads inside the unit see the unit's clients in ascending id.
    std::vector<ClientId> seen;
    s.scan_clients([&](std::span<const ClientView> b) {
      for (const auto& v : b) seen.push_back(v.client->id);
    });
    CHECK(seen.size() == ids.size());
    CHECK(std::is_sorted(seen.begin(), seen.end()));
  }  // rolled back
  CHECK(s.state() == before);
  CHECK_FALSE(s.has_activity(ActivityId{1}));
  CHECK(s.client_count() == 20);
  {
    auto w = s.begin();
    for (std::size_t i = 20; i < ids.size(); ++i) w->put_client(client(ids[i], "c", 1));
    w->commit();
  }
  std::vector<ClientId> seen;
  s.scan_clients(
      [&](std::span<const ClientView> b) {
        for (const auto& v : b) seen.push_back(v.client->id);
      },
      128);
  REQUIRE(seen.size() == ids.size());
  CHECK(std::is_sorted(seen.begin(), seen.end()));
  std::vector<ClientId> in_state;
  for (const auto& [id, e] : s.state().clients) in_state.push_back(id);
  CHECK(in_state == seen);
  for (auto id : ids) CHECK(s.has_client(ClientId{id}));
  CHECK_FALSE(s.has_client(ClientId{2}));
}

TEST_CASE("storage.memory.activity_lists_stay_in_order_through_ties_late_arrivals_and_rollbacks") {
  // Times from a narrow range (many ties), ids in random order, units that
  // commit or roll back: each client's list equals the model, sorted by time
  // then id (the list appends without reading itself when an activity is
  // later than its last one, so its idea of the last time must stay right).
  std::mt19937_64 rng(17);
  MemoryStorage s;
  {
    auto w = s.begin();
    w->put_manager(manager(1, "Ivanova"));
    for (std::int64_t c = 1; c <= 5; ++c) w->put_client(client(c, "C", 1));
    w->commit();
  }
  std::map<std::int64_t, std::vector<std::pair<Instant, std::int64_t>>> model;
  std::vector<std::int64_t> ids(6000);
  for (std::size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<std::int64_t>(i) + 1;
  std::shuffle(ids.begin(), ids.end(), rng);
  std::size_t next = 0;
  while (next < ids.size()) {
    auto w = s.begin();
    const bool keep = rng() % 3 != 0;
    std::vector<std::pair<std::int64_t, std::pair<Instant, std::int64_t>>> added;
    for (int k = 0, n = static_cast<int>(rng() % 40) + 1; k < n && next < ids.size(); ++k) {
      const auto c = static_cast<std::int64_t>(rng() % 5) + 1;
      // Mostly later than anything so far; now and then earlier or tied.
      const auto day = rng() % 4 == 0 ? static_cast<int>(rng() % 20) : 20 + static_cast<int>(next / 50);
      const auto t = at(2026, 1, 1) + Days{day};
      const auto id = ids[next++];
      w->add_activity(activity(id, c, 1, ActivityKind::email, t));
      added.push_back({c, {t, id}});
    }
    if (keep) {
      w->commit();
      for (const auto& [c, e] : added) model[c].push_back(e);
    }
    w.reset();  // rolls back when not committed
    for (std::int64_t c = 1; c <= 5; ++c) {
      auto expect = model[c];
      std::sort(expect.begin(), expect.end());
      std::vector<std::pair<Instant, std::int64_t>> got;
      for (const auto& a : s.activities_of(ClientId{c}, at(2025, 1, 1))) got.push_back({a.at, a.id.value()});
      REQUIRE(got == expect);
    }
  }
}

TEST_CASE("storage.memory.activities_keep_their_texts_and_order") {
  MemoryStorage s;
  auto w = s.begin();
  w->put_manager(manager(1, "Ivanova"));
  w->put_client(client(10, "Acme", 1));
  Activity late = activity(5, 10, 1, ActivityKind::other, at(2026, 5, 2));
  late.custom_kind = "site_visit";
  late.subject = "Walked the plant with the buyer";
  late.outcome = Outcome::reached;
  late.contact = Contact::yes;
  w->add_activity(late);
  Activity early = activity(6, 10, 1, ActivityKind::email, at(2026, 5, 1));
  w->add_activity(early);
  Activity same_time = activity(4, 10, 1, ActivityKind::call_missed, at(2026, 5, 2));
  same_time.contact = Contact::no;
  w->add_activity(same_time);
  w->commit();
  const auto all = s.activities_of(ClientId{10}, at(2026, 1, 1));
  REQUIRE(all.size() == 3);
  CHECK(all[0] == early);
  CHECK(all[1] == same_time);  // same time: ascending id
  CHECK(all[2] == late);
  CHECK(s.summary_of(ClientId{10})->last_forced_contact == at(2026, 5, 2));
}

}  // namespace nudge_storage_test_flat_table
