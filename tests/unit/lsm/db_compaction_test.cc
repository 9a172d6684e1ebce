// Leveled compaction: data moves down the levels and stays correct; versions and tombstones
// are dropped only when no reader can need them; the compaction filter; back-pressure.
#include <catch2/catch.hpp>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <thread>
#include <vector>

#include "lsm/filename.h"
#include "lsm_test_util.h"
#include "support/poll.h"

using namespace pairdb;
using namespace pairdb::lsm;
using namespace pairdb::lsm::testing;

namespace {

int deepest_level_with_files(DB& db) {
  int deepest = -1;
  for (int level = 0; level < 7; ++level) {
    if (property_number(db, fmt::format("pairdb.num-files-at-level{}", level)) > 0) {
      deepest = level;
    }
  }
  return deepest;
}

uint64_t total_table_bytes(DB& db) {
  uint64_t total = 0;
  for (int level = 0; level < 7; ++level) {
    total += property_number(db, fmt::format("pairdb.level{}.bytes", level));
  }
  return total;
}

// The 100-byte value the tests write as filler: `fill` repeated.
std::string filler(char fill) { return std::string(100, fill); }

// Puts filler(fill) under key_of(0) to key_of(count - 1).
void put_filler(DB& db, int count, char fill) {
  for (int i = 0; i < count; ++i) REQUIRE(db.put({}, key_of(i), filler(fill)).is_ok());
}

// Opens a DB with `options` and puts filler(fill) under its first `count` keys.
std::unique_ptr<DB> open_with_filler(const Options& options, int count, char fill) {
  auto db = open_db(options);
  put_filler(*db, count, fill);
  return db;
}

}  // namespace

TEST_CASE("compaction spreads data over several levels and keeps every value readable",
          "[compaction]") {
  FaultyEnv env;
  auto db = open_db(compacting_options(&env));
  for (int i = 0; i < 6000; ++i) {
    REQUIRE(db->put({}, key_of((i * 7919) % 6000), fmt::format("v{}-{}", i, std::string(80, 'x')))
                .is_ok());
  }
  REQUIRE(db->flush().is_ok());
  REQUIRE(deepest_level_with_files(*db) >= 3);
  REQUIRE(property_number(*db, "pairdb.num-files-at-level0") < 2);
  REQUIRE(property_number(*db, "pairdb.compactions") > 0);
  for (int i = 0; i < 6000; ++i) {
    REQUIRE(get_or(*db, key_of((i * 7919) % 6000)).starts_with(fmt::format("v{}-", i)));
  }
  // Every level >= 1 is within its target after background work settles.
  for (int level = 1; level < 6; ++level) {
    CAPTURE(level);
    REQUIRE(property_number(*db, fmt::format("pairdb.level{}.bytes", level)) <=
            property_number(*db, fmt::format("pairdb.level{}.target-bytes", level)));
  }
}

TEST_CASE("compaction reclaims overwritten versions, but not while a snapshot needs them",
          "[compaction]") {
  FaultyEnv env;
  auto db = open_db(compacting_options(&env));
  for (int i = 0; i < 200; ++i)
    REQUIRE(db->put({}, key_of(i), "old" + std::string(200, 'o')).is_ok());
  const Snapshot* snapshot = db->get_snapshot();
  for (int round = 0; round < 10; ++round) {
    for (int i = 0; i < 200; ++i) {
      REQUIRE(db->put({}, key_of(i), fmt::format("r{}", round) + std::string(200, 'n')).is_ok());
    }
  }
  REQUIRE(db->compact_range(nullptr, nullptr).is_ok());
  REQUIRE(get_or(*db, key_of(5), "", snapshot).starts_with("old"));
  uint64_t with_snapshot = total_table_bytes(*db);
  db->release_snapshot(snapshot);
  REQUIRE(db->compact_range(nullptr, nullptr).is_ok());
  uint64_t without_snapshot = total_table_bytes(*db);
  INFO("bytes with snapshot " << with_snapshot << ", without " << without_snapshot);
  REQUIRE(without_snapshot < with_snapshot);
  REQUIRE(without_snapshot < 200 * 230 * 2);  // About one version per key remains.
  REQUIRE(get_or(*db, key_of(5)).starts_with("r9"));
}

TEST_CASE("a deleted key never comes back, whatever order its levels compact in", "[compaction]") {
  // Orders: the tombstone and the value meet in one compaction; the tombstone is compacted
  // alone above the value (it must survive); partial ranges; reopen in between.
  for (int order = 0; order < 4; ++order) {
    CAPTURE(order);
    FaultyEnv env;
    Options options = compacting_options(&env);
    auto db = open_db(options);
    REQUIRE(db->put({}, "victim", "old value").is_ok());
    put_filler(*db, 300, 'f');
    // Each full compact_range moves everything one level below the deepest in use.
    for (int pass = 0; pass < 3; ++pass) REQUIRE(db->compact_range(nullptr, nullptr).is_ok());
    REQUIRE(deepest_level_with_files(*db) >= 3);  // "victim" sits deep below.

    REQUIRE(db->remove({}, "victim").is_ok());
    REQUIRE(db->flush().is_ok());
    std::string lo = "victim", hi = "victim~";
    switch (order) {
      case 0:
        REQUIRE(db->compact_range(nullptr, nullptr).is_ok());
        break;
      case 1:
        REQUIRE(db->compact_range(&lo, &hi).is_ok());
        break;
      case 2: {
        std::string other = key_of(0);
        REQUIRE(db->compact_range(&other, &other).is_ok());  // Elsewhere: tombstone stays up.
        break;
      }
      case 3:
        REQUIRE(db->close().is_ok());
        db.reset();
        db = open_db(options);
        break;
    }
    REQUIRE(get_or(*db, "victim") == "<absent>");
    put_filler(*db, 300, 'g');
    REQUIRE(db->compact_range(nullptr, nullptr).is_ok());
    REQUIRE(get_or(*db, "victim") == "<absent>");
    auto it = db->new_iterator({});
    it->seek("victim");
    REQUIRE((!it->valid() || it->key() != "victim"));
  }
}

namespace {
// Drops keys starting with "drop:", rewrites "change:" values, keeps the rest.
class TestFilter final : public CompactionFilter {
 public:
  Decision filter(int, std::string_view key, std::string_view, std::string* new_value) override {
    ++calls;
    if (key.starts_with("drop:")) return Decision::kRemove;
    if (key.starts_with("change:")) {
      *new_value = "changed";
      return Decision::kChangeValue;
    }
    return Decision::kKeep;
  }
  std::string_view name() const override { return "TestFilter"; }
  std::atomic<int> calls{0};
};
}  // namespace

TEST_CASE_METHOD(
    CompactingEngineOnFaultyEnv,
    "the compaction filter drops and rewrites keys on compact_range and keeps the rest",
    "[compaction]") {
  auto filter = std::make_shared<TestFilter>();
  options.compaction_filter = filter;
  auto db = open_db(options);
  // An old version of a dropped key sits deep; the newer one above must not uncover it.
  REQUIRE(db->put({}, "drop:deep", "buried").is_ok());
  REQUIRE(db->compact_range(nullptr, nullptr).is_ok());
  for (int i = 0; i < 100; ++i) {
    REQUIRE(db->put({}, fmt::format("drop:{:03d}", i), "x").is_ok());
    REQUIRE(db->put({}, fmt::format("change:{:03d}", i), "original").is_ok());
    REQUIRE(db->put({}, fmt::format("keep:{:03d}", i), fmt::format("kept{}", i)).is_ok());
  }
  REQUIRE(db->put({}, "drop:deep", "newer").is_ok());
  REQUIRE(db->compact_range(nullptr, nullptr).is_ok());
  REQUIRE(filter->calls > 0);
  for (int i = 0; i < 100; ++i) {
    REQUIRE(get_or(*db, fmt::format("drop:{:03d}", i)) == "<absent>");
    REQUIRE(get_or(*db, fmt::format("change:{:03d}", i)) == "changed");
    REQUIRE(get_or(*db, fmt::format("keep:{:03d}", i)) == fmt::format("kept{}", i));
  }
  REQUIRE(get_or(*db, "drop:deep") == "<absent>");
  REQUIRE(property_number(*db, "pairdb.compaction-filter-removed") >= 101);
}

TEST_CASE_METHOD(CompactingEngineOnFaultyEnv,
                 "a compaction that would not fit on disk is not started, and is reported",
                 "[compaction][fault]") {
  options.compaction_free_disk_reserve_bytes = 1 << 20;
  auto db = open_with_filler(options, 200, 'd');
  env.set_free_disk_bytes(512 << 10);
  Status s = db->compact_range(nullptr, nullptr);
  REQUIRE(s.is_no_space());
  INFO(s.to_string());
  REQUIRE(s.message().find("not started") != std::string_view::npos);
  REQUIRE(property_number(*db, "pairdb.compactions-refused-for-space") >= 1);
  REQUIRE(get_or(*db, key_of(7)) == filler('d'));
  env.set_free_disk_bytes(uint64_t{1} << 40);
  REQUIRE(db->compact_range(nullptr, nullptr).is_ok());
  REQUIRE(get_or(*db, key_of(7)) == filler('d'));
}

TEST_CASE_METHOD(CompactingEngineOnFaultyEnv,
                 "the block cache serves repeated reads and stays within its capacity",
                 "[compaction][cache]") {
  options.block_cache_bytes = 64 << 10;
  auto db = open_with_filler(options, 3000, 'c');
  REQUIRE(db->compact_range(nullptr, nullptr).is_ok());
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 50; ++i) REQUIRE(get_or(*db, key_of(i)) == filler('c'));
  }
  REQUIRE(property_number(*db, "pairdb.block-cache-hits") > 100);
  for (int i = 0; i < 3000; i += 3) REQUIRE(get_or(*db, key_of(i)) == filler('c'));
  REQUIRE(property_number(*db, "pairdb.block-cache-usage-bytes") <=
          property_number(*db, "pairdb.block-cache-capacity-bytes"));
  REQUIRE(property_number(*db, "pairdb.bloom-checked") > 0);
}

namespace {
// Anonymous resident memory: what the engine allocates. Mapped table pages are page cache the
// kernel reclaims at will, so they are not counted.
uint64_t rss_bytes() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.starts_with("RssAnon:")) return std::stoull(line.substr(8)) * 1024;
  }
  FAIL("no RssAnon in /proc/self/status");
  return 0;
}
}  // namespace

TEST_CASE_METHOD(OnRealFileSystem,
                 "a writer faster than compaction is slowed and stopped, and memory stays bounded",
                 "[compaction][throttle]") {
  Options options = quiet_options();
  options.wal_sync_mode = WalSyncMode::kNone;
  options.write_buffer_bytes = 256 << 10;
  options.level0_compaction_trigger = 2;
  options.level0_slowdown_writes_trigger = 3;
  options.level0_stop_writes_trigger = 5;
  options.level1_target_bytes = 1 << 20;
  options.target_file_bytes = 256 << 10;
  options.block_cache_bytes = 1 << 20;
  options.compaction_free_disk_reserve_bytes = 0;
  auto db = open_db(options, db_path);

  const uint64_t rss_before = rss_bytes();
  const std::string value(1000, 'w');
  uint64_t max_l0 = 0, max_memtable = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  int i = 0;
  for (; i < 60000 && std::chrono::steady_clock::now() < deadline; ++i) {  // ~60 MB of values.
    REQUIRE(db->put({}, key_of(i * 2654435761u % 1000003), value).is_ok());
    if (i % 500 == 0) {
      max_l0 = std::max(max_l0, property_number(*db, "pairdb.num-files-at-level0"));
      max_memtable = std::max(max_memtable, property_number(*db, "pairdb.memtable-bytes"));
    }
  }
  const uint64_t rss_growth = rss_bytes() - std::min(rss_before, rss_bytes());
  INFO("writes " << i << ", max L0 files " << max_l0 << ", max memtable bytes " << max_memtable
                 << ", RSS growth " << (rss_growth >> 20) << " MiB");
  std::printf(
      "throttle: %d writes of 1000 B, max L0 files %llu, max memtable bytes %llu, %llu "
      "slowdowns, %llu stops, stalled %llu ms, RSS growth %llu MiB\n",
      i, static_cast<unsigned long long>(max_l0), static_cast<unsigned long long>(max_memtable),
      static_cast<unsigned long long>(property_number(*db, "pairdb.write-slowdowns")),
      static_cast<unsigned long long>(property_number(*db, "pairdb.write-stops")),
      static_cast<unsigned long long>(property_number(*db, "pairdb.stall-micros") / 1000),
      static_cast<unsigned long long>(rss_growth >> 20));
  REQUIRE(i == 60000);
  REQUIRE(property_number(*db, "pairdb.write-slowdowns") +
              property_number(*db, "pairdb.write-stops") >
          0);
  REQUIRE(property_number(*db, "pairdb.stall-micros") > 0);
  REQUIRE(max_l0 <= 5);
  REQUIRE(max_memtable <= 2 * (256 << 10) + (64 << 10));
  // 60 MB went to disk; memory holds two memtables, the caches and allocator slack.
  REQUIRE(rss_growth < (48u << 20));
  REQUIRE(db->close().is_ok());
  db.reset();
}

namespace {

// Level 0 as two tables, neither reaching the compaction trigger: an older one with every key of
// 0..199 (value "a") and a newer one with the even keys only (value "b"). A lookup of an odd key
// steps over the newer table before the older one answers.
void two_overlapping_level0_tables(DB& db) {
  for (int i = 0; i < 200; ++i) REQUIRE(db.put({}, key_of(i), "a").is_ok());
  REQUIRE(db.flush().is_ok());
  for (int i = 0; i < 200; i += 2) REQUIRE(db.put({}, key_of(i), "b").is_ok());
  REQUIRE(db.flush().is_ok());
  REQUIRE(property_number(db, "pairdb.num-files-at-level0") == 2);
}

}  // namespace

TEST_CASE_METHOD(CompactingEngineOnFaultyEnv,
                 "a table readers keep stepping over is compacted once its read budget is spent",
                 "[compaction][reads]") {
  options.level0_compaction_trigger = 8;  // Level 0's file count alone never compacts it here.
  auto db = open_db(options);
  two_overlapping_level0_tables(*db);
  // The newer table allows 100 probes (its minimum budget). 99 leave it where it is: the next
  // flush (of a key outside 0..199, so that readers never step over that table) compacts nothing.
  for (int n = 0; n < 99; ++n) REQUIRE(get_or(*db, key_of(2 * (n % 100) + 1)) == "a");
  REQUIRE(db->put({}, key_of(1000), "c").is_ok());
  REQUIRE(db->flush().is_ok());
  REQUIRE(property_number(*db, "pairdb.num-files-at-level0") == 3);
  REQUIRE(property_number(*db, "pairdb.read-triggered-compactions") == 0);
  // Reads of keys the newest table answers (or that only one table covers) charge nothing.
  for (int n = 0; n < 300; ++n) REQUIRE(get_or(*db, key_of(2 * (n % 100))) == "b");
  REQUIRE(get_or(*db, key_of(1000)) == "c");
  // The 100th probe spends it; the compaction runs with the next flush (inline mode).
  REQUIRE(get_or(*db, key_of(7)) == "a");
  REQUIRE(db->put({}, key_of(1001), "d").is_ok());
  REQUIRE(db->flush().is_ok());
  CHECK(property_number(*db, "pairdb.num-files-at-level0") == 0);
  CHECK(property_number(*db, "pairdb.read-triggered-compactions") == 1);
  for (int i = 0; i < 200; ++i) REQUIRE(get_or(*db, key_of(i)) == (i % 2 == 0 ? "b" : "a"));
  REQUIRE(get_or(*db, key_of(1001)) == "d");
  // Level 1 now answers every lookup alone: nothing more to charge.
  REQUIRE(property_number(*db, "pairdb.read-triggered-compactions") == 1);
}

TEST_CASE_METHOD(OnRealFileSystem,
                 "concurrent readers spend a table's read budget once and the background compacts "
                 "it",
                 "[compaction][reads]") {
  Options options = quiet_options();
  options.wal_sync_mode = WalSyncMode::kNone;
  options.level0_compaction_trigger = 8;
  auto db = open_db(options, db_path);
  two_overlapping_level0_tables(*db);
  constexpr int kReaders = 4;
  std::vector<std::thread> readers;
  std::atomic<int> wrong{0};
  for (int r = 0; r < kReaders; ++r) {
    readers.emplace_back([&, r] {
      for (int n = 0; n < 500; ++n) {
        const int i = 2 * ((n * kReaders + r) % 100) + 1;
        if (get_or(*db, key_of(i)) != "a") wrong.fetch_add(1);
      }
    });
  }
  for (auto& reader : readers) reader.join();
  REQUIRE(wrong.load() == 0);
  const bool compacted = pairdb::test::poll_until(std::chrono::seconds(30), [&] {
    return property_number(*db, "pairdb.num-files-at-level0") == 0;
  });
  REQUIRE(compacted);
  // 2,000 probes spent one budget of 100 once: one compaction, then none to charge.
  CHECK(property_number(*db, "pairdb.read-triggered-compactions") == 1);
  for (int i = 0; i < 200; ++i) REQUIRE(get_or(*db, key_of(i)) == (i % 2 == 0 ? "b" : "a"));
  REQUIRE(db->close().is_ok());
}
