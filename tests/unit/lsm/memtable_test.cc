#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "concurrent_readers.h"
#include "lsm/dbformat.h"
#include "lsm/memtable.h"

using pairdb::lsm::bytewise_comparator;
using pairdb::lsm::InternalKeyComparator;
using pairdb::lsm::Iterator;
using pairdb::lsm::make_internal_key;
using pairdb::lsm::make_lookup_key;
using pairdb::lsm::Memtable;
using pairdb::lsm::ParsedInternalKey;
using pairdb::lsm::SequenceNumber;
using pairdb::lsm::ValueType;
using Kind = Memtable::LookupResult::Kind;

namespace {

std::shared_ptr<Memtable> new_memtable() {
  return std::make_shared<Memtable>(InternalKeyComparator(bytewise_comparator()));
}

ParsedInternalKey parse(std::string_view internal_key) {
  ParsedInternalKey parsed;
  REQUIRE(pairdb::lsm::parse_internal_key(internal_key, &parsed));
  return parsed;
}

}  // namespace

TEST_CASE("memtable get reports a key never added as not present", "[memtable]") {
  auto mem = new_memtable();
  REQUIRE(mem->get("missing", 100).kind == Kind::kNotPresent);
  mem->add(1, ValueType::kValue, "present", "v");
  REQUIRE(mem->get("missing", 100).kind == Kind::kNotPresent);
}

TEST_CASE("memtable get sees only entries at or below the snapshot sequence", "[memtable]") {
  auto mem = new_memtable();
  mem->add(10, ValueType::kValue, "k", "v10");
  mem->add(20, ValueType::kValue, "k", "v20");
  REQUIRE(mem->get("k", 9).kind == Kind::kNotPresent);
  auto at_10 = mem->get("k", 10);
  REQUIRE(at_10.kind == Kind::kFound);
  REQUIRE(at_10.value == "v10");
  REQUIRE(mem->get("k", 19).value == "v10");
  REQUIRE(mem->get("k", 20).value == "v20");
  REQUIRE(mem->get("k", pairdb::lsm::kMaxSequenceNumber).value == "v20");
}

TEST_CASE("memtable deletion marker hides older values only from later snapshots", "[memtable]") {
  auto mem = new_memtable();
  mem->add(5, ValueType::kValue, "k", "old");
  mem->add(7, ValueType::kDeletion, "k", "");
  REQUIRE(mem->get("k", 6).kind == Kind::kFound);
  REQUIRE(mem->get("k", 6).value == "old");
  auto deleted = mem->get("k", 7);
  REQUIRE(deleted.kind == Kind::kDeleted);
  REQUIRE(deleted.value.empty());
  mem->add(9, ValueType::kValue, "k", "reborn");
  REQUIRE(mem->get("k", 8).kind == Kind::kDeleted);
  REQUIRE(mem->get("k", 9).value == "reborn");
}

TEST_CASE("memtable get returns the newest visible version whatever the add order", "[memtable]") {
  auto mem = new_memtable();
  // Sequences arrive out of order, as they may when batches are applied by sequence range.
  mem->add(30, ValueType::kValue, "k", "v30");
  mem->add(10, ValueType::kValue, "k", "v10");
  mem->add(20, ValueType::kValue, "k", "v20");
  REQUIRE(mem->get("k", 100).value == "v30");
  REQUIRE(mem->get("k", 25).value == "v20");
  REQUIRE(mem->get("k", 15).value == "v10");
}

TEST_CASE("memtable get does not match a key's prefix or extension", "[memtable]") {
  auto mem = new_memtable();
  mem->add(1, ValueType::kValue, "ab", "v");
  REQUIRE(mem->get("a", 10).kind == Kind::kNotPresent);
  REQUIRE(mem->get("abc", 10).kind == Kind::kNotPresent);
  REQUIRE(mem->get("ab", 10).kind == Kind::kFound);
}

TEST_CASE("memtable stores empty keys, empty values and binary bytes", "[memtable]") {
  auto mem = new_memtable();
  const std::string binary_key("\0\xff\x00k", 4);
  const std::string binary_value("\x00\x01\xfe\xff", 4);
  mem->add(1, ValueType::kValue, "", "empty key");
  mem->add(2, ValueType::kValue, "empty value", "");
  mem->add(3, ValueType::kValue, binary_key, binary_value);
  REQUIRE(mem->get("", 10).value == "empty key");
  auto empty = mem->get("empty value", 10);
  REQUIRE(empty.kind == Kind::kFound);
  REQUIRE(empty.value.empty());
  REQUIRE(mem->get(binary_key, 10).value == binary_value);
  REQUIRE(mem->get(std::string_view(binary_key.data(), 3), 10).kind == Kind::kNotPresent);
}

TEST_CASE("memtable round-trips a 1 MiB value through get and the iterator", "[memtable]") {
  auto mem = new_memtable();
  std::string big(1 << 20, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 131 + 7);
  mem->add(1, ValueType::kValue, "before", "small");
  mem->add(2, ValueType::kValue, "big", big);
  mem->add(3, ValueType::kValue, "c", "small");
  REQUIRE(mem->get("big", 10).value == big);
  REQUIRE(mem->approximate_memory_usage() >= big.size());
  auto iter = mem->new_iterator();
  iter->seek(make_lookup_key("big", 10));
  REQUIRE(iter->valid());
  REQUIRE(iter->value() == big);
}

TEST_CASE("memtable iterator yields internal keys in comparator order both ways", "[memtable]") {
  const uint64_t seed = 7321;
  CAPTURE(seed);
  std::mt19937_64 rng(seed);
  auto mem = new_memtable();
  const InternalKeyComparator icmp(bytewise_comparator());
  std::vector<std::pair<std::string, std::string>> model;  // (internal key, value)
  for (SequenceNumber seq = 1; seq <= 2000; ++seq) {
    const std::string user_key = "key" + std::to_string(rng() % 300);
    const auto type = rng() % 4 == 0 ? ValueType::kDeletion : ValueType::kValue;
    const std::string value = type == ValueType::kValue ? "v" + std::to_string(seq) : "";
    mem->add(seq, type, user_key, value);
    model.emplace_back(make_internal_key(user_key, seq, type), value);
  }
  std::sort(model.begin(), model.end(),
            [&](const auto& a, const auto& b) { return icmp.compare(a.first, b.first) < 0; });

  auto iter = mem->new_iterator();
  iter->seek_to_first();
  for (const auto& [key, value] : model) {
    REQUIRE(iter->valid());
    REQUIRE(iter->key() == key);
    REQUIRE(iter->value() == value);
    iter->next();
  }
  REQUIRE_FALSE(iter->valid());
  iter->seek_to_last();
  for (auto it = model.rbegin(); it != model.rend(); ++it) {
    REQUIRE(iter->valid());
    REQUIRE(iter->key() == it->first);
    iter->prev();
  }
  REQUIRE_FALSE(iter->valid());
  REQUIRE(iter->status().is_ok());
}

TEST_CASE("memtable iterator seek to a lookup key lands on the newest visible version",
          "[memtable]") {
  auto mem = new_memtable();
  mem->add(10, ValueType::kValue, "a", "a10");
  mem->add(20, ValueType::kValue, "a", "a20");
  mem->add(15, ValueType::kValue, "b", "b15");
  auto iter = mem->new_iterator();

  iter->seek(make_lookup_key("a", 15));
  REQUIRE(iter->valid());
  REQUIRE(parse(iter->key()).sequence == 10);
  REQUIRE(iter->value() == "a10");

  iter->seek(make_lookup_key("a", 5));  // Every version of "a" is too new: moves on to "b".
  REQUIRE(iter->valid());
  REQUIRE(parse(iter->key()).user_key == "b");

  iter->seek(make_lookup_key("c", 100));
  REQUIRE_FALSE(iter->valid());
}

TEST_CASE("memtable iterator keeps the memtable alive after the last outside reference",
          "[memtable]") {
  auto mem = new_memtable();
  mem->add(1, ValueType::kValue, "k", "value kept alive");
  std::weak_ptr<Memtable> watcher = mem;
  auto iter = mem->new_iterator();
  mem.reset();
  REQUIRE_FALSE(watcher.expired());
  iter->seek_to_first();
  REQUIRE(iter->valid());
  REQUIRE(iter->value() == "value kept alive");
  iter.reset();
  REQUIRE(watcher.expired());
}

TEST_CASE("memtable memory usage grows as entries are added", "[memtable]") {
  auto mem = new_memtable();
  const size_t empty_usage = mem->approximate_memory_usage();
  size_t previous = empty_usage;
  const std::string value(100, 'x');
  for (SequenceNumber seq = 1; seq <= 1000; ++seq) {
    mem->add(seq, ValueType::kValue, "key" + std::to_string(seq), value);
    REQUIRE(mem->approximate_memory_usage() >= previous);
    previous = mem->approximate_memory_usage();
  }
  // Each entry stores at least its value and key.
  REQUIRE(previous >= empty_usage + 1000 * value.size());
}

TEST_CASE("memtable entry_count counts every add including deletions", "[memtable]") {
  auto mem = new_memtable();
  REQUIRE(mem->entry_count() == 0);
  mem->add(1, ValueType::kValue, "a", "1");
  mem->add(2, ValueType::kValue, "a", "2");
  mem->add(3, ValueType::kDeletion, "a", "");
  REQUIRE(mem->entry_count() == 3);
}

namespace {

std::string concurrent_key(uint64_t i) { return "key" + std::to_string(i * 7919 % 100003); }
std::string concurrent_value(uint64_t i) { return "value" + std::to_string(i); }

struct ReaderFailures {
  uint64_t lookups = 0;
  uint64_t wrong_lookups = 0;   // A published entry was missing or had the wrong value.
  uint64_t unsorted_scans = 0;  // A scan saw internal keys out of order.
};

// Reads until the writer is done: point lookups of published entries and full scans.
void read_memtable(const std::shared_ptr<Memtable>& mem, const std::atomic<uint64_t>& published,
                   const std::atomic<bool>& done, uint64_t seed, ReaderFailures* failures) {
  constexpr uint64_t kLookupsMax = 2'000'000;  // Guard against a hung writer only.
  const InternalKeyComparator icmp(bytewise_comparator());
  std::mt19937_64 rng(seed);
  while (!done.load(std::memory_order_acquire) && failures->lookups < kLookupsMax) {
    const uint64_t count = published.load(std::memory_order_acquire);
    if (count > 0) {
      const uint64_t i = rng() % count;  // Entry i was added with sequence i + 1.
      auto result = mem->get(concurrent_key(i), pairdb::lsm::kMaxSequenceNumber);
      if (result.kind != Kind::kFound || result.value != concurrent_value(i)) {
        ++failures->wrong_lookups;
      }
    }
    if (++failures->lookups % 64 == 0) {
      auto iter = mem->new_iterator();
      std::string previous;
      for (iter->seek_to_first(); iter->valid(); iter->next()) {
        if (!previous.empty() && icmp.compare(previous, iter->key()) >= 0) {
          ++failures->unsorted_scans;
        }
        previous = iter->key();
      }
    }
  }
}

}  // namespace

TEST_CASE("memtable readers find every published entry while one writer adds", "[memtable]") {
  constexpr int kReaders = 2;
  constexpr uint64_t kEntries = 5000;
  auto mem = new_memtable();
  std::atomic<uint64_t> published{0};
  std::vector<ReaderFailures> failures(kReaders);
  pairdb::lsm::testing::run_readers_alongside_writer(
      kReaders,
      [&](int r, const std::atomic<bool>& done) {
        read_memtable(mem, published, done, 100 + r, &failures[r]);
      },
      [&] {
        for (uint64_t i = 0; i < kEntries; ++i) {
          mem->add(i + 1, ValueType::kValue, concurrent_key(i), concurrent_value(i));
          published.store(i + 1, std::memory_order_release);
        }
      });

  for (const ReaderFailures& f : failures) {
    REQUIRE(f.lookups > 0);
    REQUIRE(f.wrong_lookups == 0);
    REQUIRE(f.unsorted_scans == 0);
  }
  REQUIRE(mem->entry_count() == kEntries);
}

TEST_CASE("memtable readers see each key's newest version at their snapshot while it is rewritten",
          "[memtable]") {
  // Sequence s writes key s % kKeys with value "s": the newest version of key k at snapshot p is
  // the largest such s <= p. Readers ask at the latest published sequence (the point index's
  // path) and at an older snapshot (the skiplist's), while the writer keeps adding versions.
  constexpr uint64_t kKeys = 16;
  constexpr uint64_t kVersions = 20000;
  constexpr int kReaders = 2;
  auto mem = new_memtable();
  auto key = [](uint64_t k) { return "key-" + std::to_string(k); };
  std::atomic<uint64_t> published{0};
  std::atomic<uint64_t> lookups{0}, wrong{0};
  pairdb::lsm::testing::run_readers_alongside_writer(
      kReaders,
      [&](int r, const std::atomic<bool>& done) {
        std::mt19937_64 rng(r + 1);
        while (!done.load(std::memory_order_acquire)) {
          const uint64_t latest = published.load(std::memory_order_acquire);
          const uint64_t k = rng() % kKeys;
          for (const uint64_t snapshot : {latest, latest == 0 ? 0 : rng() % latest}) {
            const auto result = mem->get(key(k), snapshot);
            lookups.fetch_add(1, std::memory_order_relaxed);
            // The newest s <= snapshot with s % kKeys == k (sequences start at 1).
            const uint64_t newest = snapshot < k || (k == 0 && snapshot < kKeys)
                                        ? 0
                                        : snapshot - (snapshot - k) % kKeys;
            const bool right =
                newest == 0 ? result.kind == Kind::kNotPresent
                            : result.kind == Kind::kFound && result.value == std::to_string(newest);
            if (!right) wrong.fetch_add(1, std::memory_order_relaxed);
          }
        }
      },
      [&] {
        for (uint64_t s = 1; s <= kVersions; ++s) {
          mem->add(s, ValueType::kValue, key(s % kKeys), std::to_string(s));
          published.store(s, std::memory_order_release);
        }
      });
  CHECK(lookups.load() > 0);
  CHECK(wrong.load() == 0);
  for (uint64_t k = 0; k < kKeys; ++k) {
    const auto result = mem->get(key(k), kVersions);
    REQUIRE(result.kind == Kind::kFound);
    CHECK(result.value == std::to_string(kVersions - (kVersions - k) % kKeys));
  }
  CHECK(mem->get("key-absent", kVersions).kind == Kind::kNotPresent);
}
