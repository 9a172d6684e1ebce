#include <catch2/catch.hpp>

#include <array>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <optional>
#include <random>
#include <ranges>
#include <set>
#include <string>
#include <vector>

#include "concurrent_readers.h"
#include "lsm/arena.h"
#include "lsm/skiplist.h"

using pairdb::lsm::Arena;
using pairdb::lsm::SkipList;

namespace {

struct U64Compare {
  int operator()(uint64_t a, uint64_t b) const { return a < b ? -1 : (a > b ? 1 : 0); }
};
using U64List = SkipList<uint64_t, U64Compare>;

constexpr uint64_t kSeed = 20240611;
constexpr int kKeyCount = 5000;
constexpr uint64_t kKeyRange = 20000;  // Dense enough that seeks hit present and absent keys.

// Fills list and model with the same random keys; both skip duplicates.
std::set<uint64_t> insert_random_keys(U64List* list, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::set<uint64_t> model;
  for (int i = 0; i < kKeyCount; ++i) {
    const uint64_t key = rng() % kKeyRange;
    if (model.insert(key).second) list->insert(key);
  }
  return model;
}

}  // namespace

TEST_CASE("an empty skiplist contains nothing and its iterators are not valid", "[skiplist]") {
  Arena arena;
  U64List list(U64Compare{}, &arena);
  REQUIRE_FALSE(list.contains(0));
  REQUIRE_FALSE(list.contains(42));
  U64List::Iterator iter(&list);
  REQUIRE_FALSE(iter.valid());
  iter.seek_to_first();
  REQUIRE_FALSE(iter.valid());
  iter.seek_to_last();
  REQUIRE_FALSE(iter.valid());
  iter.seek(7);
  REQUIRE_FALSE(iter.valid());
  iter.seek_for_prev(7);
  REQUIRE_FALSE(iter.valid());
}

namespace {

// How a test positions an iterator: seek() or seek_for_prev().
enum class SeekTo { kFirstAtOrAfter, kLastAtOrBefore };

// A list holding kSeed's random keys, and the same keys in a std::set to check it against.
struct RandomKeysList {
  Arena arena;
  U64List list{U64Compare{}, &arena};
  const std::set<uint64_t> model = insert_random_keys(&list, kSeed);

  // Where the model says a seek to `target` must land; std::nullopt: past either end.
  std::optional<uint64_t> expected_landing(SeekTo seek_to, uint64_t target) const {
    if (seek_to == SeekTo::kFirstAtOrAfter) {
      auto at_or_after = model.lower_bound(target);
      if (at_or_after == model.end()) return std::nullopt;
      return *at_or_after;
    }
    auto after = model.upper_bound(target);
    if (after == model.begin()) return std::nullopt;
    return *std::prev(after);
  }

  // Seeks to every 7th target across the key range and requires each to land where the model
  // says.
  void require_seeks_land_as_the_model_says(SeekTo seek_to) const {
    U64List::Iterator iter(&list);
    for (uint64_t target = 0; target <= kKeyRange; target += 7) {
      CAPTURE(target);
      if (seek_to == SeekTo::kFirstAtOrAfter) {
        iter.seek(target);
      } else {
        iter.seek_for_prev(target);
      }
      const std::optional<uint64_t> landing = expected_landing(seek_to, target);
      if (!landing) {
        REQUIRE_FALSE(iter.valid());
      } else {
        REQUIRE(iter.valid());
        REQUIRE(iter.key() == *landing);
      }
    }
  }
};

// Requires iter, moved on by step(iter) after each key, to yield exactly `expected` from where
// it stands and then to become invalid.
template <typename Keys, typename Step>
void require_yields(U64List::Iterator& iter, const Keys& expected, Step step) {
  for (uint64_t key : expected) {
    REQUIRE(iter.valid());
    REQUIRE(iter.key() == key);
    step(iter);
  }
  REQUIRE_FALSE(iter.valid());
}

void step_next(U64List::Iterator& iter) { iter.next(); }
void step_prev(U64List::Iterator& iter) { iter.prev(); }

}  // namespace

TEST_CASE_METHOD(RandomKeysList, "skiplist contains exactly the inserted keys", "[skiplist]") {
  CAPTURE(kSeed);
  for (uint64_t key = 0; key < kKeyRange; ++key) {
    CAPTURE(key);
    REQUIRE(list.contains(key) == (model.count(key) == 1));
  }
}

TEST_CASE_METHOD(RandomKeysList, "skiplist iterates forward in ascending order", "[skiplist]") {
  CAPTURE(kSeed);
  U64List::Iterator iter(&list);
  iter.seek_to_first();
  require_yields(iter, model, step_next);
}

TEST_CASE_METHOD(RandomKeysList, "skiplist iterates backward in descending order", "[skiplist]") {
  CAPTURE(kSeed);
  U64List::Iterator iter(&list);
  iter.seek_to_last();
  require_yields(iter, model | std::views::reverse, step_prev);
}

TEST_CASE_METHOD(RandomKeysList, "skiplist seek lands on the first key at or after the target",
                 "[skiplist]") {
  CAPTURE(kSeed);
  require_seeks_land_as_the_model_says(SeekTo::kFirstAtOrAfter);
}

TEST_CASE_METHOD(RandomKeysList,
                 "skiplist seek_for_prev lands on the last key at or before the target",
                 "[skiplist]") {
  CAPTURE(kSeed);
  require_seeks_land_as_the_model_says(SeekTo::kLastAtOrBefore);
}

TEST_CASE("skiplist keys inserted in descending order iterate ascending", "[skiplist]") {
  Arena arena;
  U64List list(U64Compare{}, &arena);
  for (uint64_t key = 1000; key > 0; --key) list.insert(key);
  U64List::Iterator iter(&list);
  iter.seek_to_first();
  require_yields(iter, std::views::iota(uint64_t{1}, uint64_t{1001}), step_next);
}

TEST_CASE("skiplist built twice from the same seed uses the same memory", "[skiplist]") {
  // Node sizes depend on their random heights, so equal usage is evidence that the heights
  // come from the list's own seeded generator and not from shared or global state.
  Arena arena_a;
  Arena arena_b;
  U64List list_a(U64Compare{}, &arena_a, 99);
  U64List list_b(U64Compare{}, &arena_b, 99);
  for (uint64_t key = 0; key < 3000; ++key) {
    list_a.insert(key);
    list_b.insert(key);
  }
  REQUIRE(arena_a.memory_usage() == arena_b.memory_usage());
}

// --- Concurrency ------------------------------------------------------------------------------

namespace {

// A 16-byte key: 8 random bytes followed by a check word derived from them, so a reader can
// tell a fully written key from a torn or unpublished one.
constexpr size_t kConcurrentKeyBytes = 16;
using KeyBytes = std::array<char, kConcurrentKeyBytes>;

uint64_t check_word(uint64_t v) {
  v ^= v >> 33;
  v *= 0xff51afd7ed558ccdULL;
  v ^= v >> 33;
  return v | 1;  // Never zero, so zeroed memory never passes.
}

KeyBytes make_key(uint64_t random) {
  KeyBytes key;
  const uint64_t check = check_word(random);
  std::memcpy(key.data(), &random, 8);
  std::memcpy(key.data() + 8, &check, 8);
  return key;
}

bool key_is_intact(const char* key) {
  uint64_t random = 0;
  uint64_t check = 0;
  std::memcpy(&random, key, 8);
  std::memcpy(&check, key + 8, 8);
  return check == check_word(random);
}

struct BytesCompare {
  int operator()(const char* a, const char* b) const {
    return std::memcmp(a, b, kConcurrentKeyBytes);
  }
};
using BytesList = SkipList<const char*, BytesCompare>;

// The model's order must match the list's unsigned byte order (std::array's operator< compares
// char, which is signed here).
struct KeyBytesLess {
  bool operator()(const KeyBytes& a, const KeyBytes& b) const {
    return std::memcmp(a.data(), b.data(), kConcurrentKeyBytes) < 0;
  }
};

struct ReaderReport {
  uint64_t passes = 0;
  uint64_t unsorted = 0;
  uint64_t torn = 0;
  uint64_t shrunk = 0;             // A pass saw fewer keys than an earlier pass.
  uint64_t missing_published = 0;  // A key the writer had finished inserting was not found.
};

// Scans the list repeatedly until the writer finishes, checking each pass.
void read_concurrently(const BytesList& list, const std::vector<KeyBytes>& keys,
                       const std::atomic<size_t>& published, const std::atomic<bool>& done,
                       uint64_t seed, ReaderReport* report) {
  // Only a guard against a hung writer: passes over a nearly empty list are very cheap, so the
  // cap sits far above what a normal run needs.
  constexpr uint64_t kPassesMax = 2'000'000;
  std::mt19937_64 rng(seed);
  size_t last_count = 0;
  while (!done.load(std::memory_order_acquire) && report->passes < kPassesMax) {
    // Everything published before the scan starts must be seen by it.
    const size_t published_before = published.load(std::memory_order_acquire);
    size_t count = 0;
    const char* previous = nullptr;
    BytesList::Iterator iter(&list);
    for (iter.seek_to_first(); iter.valid(); iter.next()) {
      if (!key_is_intact(iter.key())) ++report->torn;
      if (previous != nullptr && BytesCompare{}(previous, iter.key()) >= 0) ++report->unsorted;
      previous = iter.key();
      ++count;
    }
    if (count < last_count || count < published_before) ++report->shrunk;
    last_count = count;
    if (published_before > 0 && !list.contains(keys[rng() % published_before].data())) {
      ++report->missing_published;
    }
    ++report->passes;
  }
}

}  // namespace

TEST_CASE("skiplist readers see sorted, intact keys while one writer inserts", "[skiplist]") {
  constexpr int kReaders = 2;  // With the writer, this already oversubscribes a 2-core box.
  constexpr size_t kKeys = 20000;
  const uint64_t seed = kSeed + 1;
  CAPTURE(seed);

  std::mt19937_64 rng(seed);
  std::set<KeyBytes, KeyBytesLess> unique_keys;
  while (unique_keys.size() < kKeys) unique_keys.insert(make_key(rng()));
  std::vector<KeyBytes> keys(unique_keys.begin(), unique_keys.end());
  std::shuffle(keys.begin(), keys.end(), rng);

  Arena arena;
  BytesList list(BytesCompare{}, &arena, seed);
  std::atomic<size_t> published{0};
  std::vector<ReaderReport> reports(kReaders);
  pairdb::lsm::testing::run_readers_alongside_writer(
      kReaders,
      [&](int r, const std::atomic<bool>& done) {
        read_concurrently(list, keys, published, done, seed + r, &reports[r]);
      },
      [&] {
        for (size_t i = 0; i < keys.size(); ++i) {
          // The writer copies each key into the arena just before linking it, as the memtable
          // does.
          char* stored = arena.allocate(kConcurrentKeyBytes);
          std::memcpy(stored, keys[i].data(), kConcurrentKeyBytes);
          list.insert(stored);
          published.store(i + 1, std::memory_order_release);
        }
      });

  for (const ReaderReport& report : reports) {
    REQUIRE(report.passes > 0);
    REQUIRE(report.torn == 0);
    REQUIRE(report.unsorted == 0);
    REQUIRE(report.shrunk == 0);
    REQUIRE(report.missing_published == 0);
  }
  BytesList::Iterator iter(&list);
  auto expected = unique_keys.begin();
  for (iter.seek_to_first(); iter.valid(); iter.next(), ++expected) {
    REQUIRE(expected != unique_keys.end());
    REQUIRE(std::memcmp(iter.key(), expected->data(), kConcurrentKeyBytes) == 0);
  }
  REQUIRE(expected == unique_keys.end());
}

TEST_CASE("skiplist keys reserved in their nodes sort, seek and live as inserted ones do",
          "[skiplist]") {
  struct CStringCompare {
    int operator()(const char* a, const char* b) const { return std::strcmp(a, b); }
  };
  Arena arena;
  SkipList<const char*, CStringCompare> list(CStringCompare{}, &arena);
  std::mt19937_64 rng(kSeed);
  std::set<std::string> model;
  for (int i = 0; i < kKeyCount; ++i) {
    const std::string key = "k" + std::to_string(rng() % kKeyRange);
    if (!model.insert(key).second) continue;
    const auto reservation = list.reserve(key.size() + 1);
    // The key's storage follows the node, in the same allocation.
    CHECK(reservation.bytes > reinterpret_cast<char*>(reservation.node));
    std::memcpy(reservation.bytes, key.c_str(), key.size() + 1);
    list.insert_reserved(reservation);
  }
  std::vector<std::string> listed;
  SkipList<const char*, CStringCompare>::Iterator it(&list);
  for (it.seek_to_first(); it.valid(); it.next()) listed.emplace_back(it.key());
  CHECK(listed == std::vector<std::string>(model.begin(), model.end()));
  for (const std::string& key : model) CHECK(list.contains(key.c_str()));
  CHECK_FALSE(list.contains("absent"));
  it.seek("k5");
  REQUIRE(it.valid());
  CHECK(std::string(it.key()) == *model.lower_bound("k5"));
}
