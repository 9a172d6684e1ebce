#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <atomic>
#include <thread>

#include "lsm_test_util.h"

using namespace pairdb;
using namespace pairdb::lsm;
using namespace pairdb::lsm::testing;

TEST_CASE("put, get, overwrite and delete", "[db]") {
  FaultyEnv env;
  auto db = open_db(small_options(&env));
  REQUIRE(db->put({}, "a", "1").is_ok());
  REQUIRE(db->put({}, "b", "2").is_ok());
  REQUIRE(db->put({}, "a", "3").is_ok());
  REQUIRE(db->remove({}, "b").is_ok());
  require_reads(*db, {{"a", "3"}, {"b", "<absent>"}, {"c", "<absent>"}});
}

TEST_CASE("open fails cleanly without create_if_missing, and with error_if_exists", "[db]") {
  FaultyEnv env;
  Options options = small_options(&env);
  options.create_if_missing = false;
  REQUIRE(DB::open(options, "/db").status().is_invalid_argument());
  options.create_if_missing = true;
  { auto db = open_db(options); }
  options.error_if_exists = true;
  REQUIRE(DB::open(options, "/db").status().is_invalid_argument());
}

TEST_CASE("a second open of the same directory is refused while the first is open", "[db]") {
  FaultyEnv env;
  auto db = open_db(small_options(&env));
  REQUIRE(DB::open(small_options(&env), "/db").status().code() == StatusCode::kBusy);
}

TEST_CASE("data survives close and reopen, from the WAL and from tables", "[db]") {
  FaultyEnv env;
  Options options = small_options(&env);
  {
    auto db = open_db(options);
    for (int i = 0; i < 3000; ++i) REQUIRE(db->put({}, key_of(i), std::string(100, 'v')).is_ok());
    REQUIRE(db->remove({}, key_of(7)).is_ok());
    int tables = 0;  // Some of the data is in tables (at whatever level compaction left it).
    for (int level = 0; level < 7; ++level) {
      tables += std::stoi(*db->get_property(fmt::format("pairdb.num-files-at-level{}", level)));
    }
    REQUIRE(tables > 1);
    REQUIRE(db->close().is_ok());
  }
  auto db = open_db(options);
  REQUIRE(get_or(*db, key_of(0)) == std::string(100, 'v'));
  REQUIRE(get_or(*db, key_of(2999)) == std::string(100, 'v'));
  REQUIRE(get_or(*db, key_of(7)) == "<absent>");
  REQUIRE(*db->get_property("pairdb.sequence") == "3001");
}

TEST_CASE("a snapshot keeps reading the values as of when it was taken", "[db]") {
  FaultyEnv env;
  auto db = open_db(small_options(&env));
  REQUIRE(db->put({}, "k", "old").is_ok());
  const Snapshot* snapshot = db->get_snapshot();
  REQUIRE(db->put({}, "k", "new").is_ok());
  REQUIRE(db->remove({}, "k").is_ok());
  REQUIRE(db->flush().is_ok());
  REQUIRE(get_or(*db, "k", "<absent>", snapshot) == "old");
  REQUIRE(get_or(*db, "k") == "<absent>");
  db->release_snapshot(snapshot);
}

TEST_CASE("iterators merge memtable and tables and hide deleted keys", "[db]") {
  FaultyEnv env;
  auto db = open_db(small_options(&env));
  for (int i = 0; i < 100; ++i) REQUIRE(db->put({}, key_of(i), "t").is_ok());
  REQUIRE(db->flush().is_ok());
  for (int i = 0; i < 100; i += 2) REQUIRE(db->put({}, key_of(i), "m").is_ok());
  for (int i = 0; i < 100; i += 3) REQUIRE(db->remove({}, key_of(i)).is_ok());

  auto it = db->new_iterator({});
  int count = 0;
  std::string previous;
  for (it->seek_to_first(); it->valid(); it->next()) {
    int i = std::stoi(std::string(it->key().substr(3)));
    REQUIRE(i % 3 != 0);
    REQUIRE(it->value() == (i % 2 == 0 ? "m" : "t"));
    REQUIRE(std::string(it->key()) > previous);
    previous = it->key();
    ++count;
  }
  REQUIRE(it->status().is_ok());
  REQUIRE(count == 66);
  it->seek(key_of(3));
  REQUIRE(it->key() == key_of(4));
  it->prev();
  REQUIRE(it->key() == key_of(2));
  it->seek_to_last();
  REQUIRE(it->key() == key_of(98));
}

TEST_CASE("write batches apply atomically across reopen", "[db]") {
  FaultyEnv env;
  Options options = small_options(&env);
  {
    auto db = open_db(options);
    WriteBatch batch;
    batch.put("x", "1");
    batch.put("y", "2");
    batch.remove("x");
    REQUIRE(db->write({}, batch).is_ok());
  }
  auto db = open_db(options);
  require_reads(*db, {{"x", "<absent>"}, {"y", "2"}});
}

TEST_CASE("concurrent synced writers share WAL syncs (group commit)", "[db]") {
  FaultyEnv env;
  Options options = small_options(&env);
  options.inline_background_work = false;
  options.write_buffer_bytes = 4 << 20;
  env.set_sync_latency_micros(300);  // A disk slow enough that writers queue behind a sync.
  auto db = open_db(options);
  constexpr int kThreads = 8, kWritesPerThread = 100;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kWritesPerThread; ++i) {
        if (!db->put({}, key_of(t * kWritesPerThread + i), "v").is_ok()) ++failures;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  REQUIRE(failures == 0);
  uint64_t syncs = std::stoull(*db->get_property("pairdb.wal-syncs"));
  uint64_t batches = std::stoull(*db->get_property("pairdb.write-batches"));
  REQUIRE(batches == kThreads * kWritesPerThread);
  INFO("syncs=" << syncs << " batches=" << batches);
  // Without group commit every batch would need its own sync.
  REQUIRE(syncs * 2 < batches);
  for (int i = 0; i < kThreads * kWritesPerThread; ++i) REQUIRE(get_or(*db, key_of(i)) == "v");
}

TEST_CASE("background flushes keep up while many threads write", "[db]") {
  FaultyEnv env;
  Options options = small_options(&env);
  options.inline_background_work = false;
  options.wal_sync_mode = WalSyncMode::kNone;
  auto db = open_db(options);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i) (void)db->put({}, key_of(t * 2000 + i), std::string(64, 'x'));
    });
  }
  for (auto& thread : threads) thread.join();
  REQUIRE(db->flush().is_ok());
  REQUIRE(std::stoi(*db->get_property("pairdb.num-files-at-level0")) > 3);
  for (int i = 0; i < 8000; i += 97) REQUIRE(get_or(*db, key_of(i)) == std::string(64, 'x'));
}

TEST_CASE("periodic sync mode syncs the WAL without being asked", "[db]") {
  FaultyEnv env;
  Options options = small_options(&env);
  options.inline_background_work = false;
  options.wal_sync_mode = WalSyncMode::kPeriodic;
  options.wal_sync_period_ms = 5;
  auto db = open_db(options);
  REQUIRE(db->put({}, "k", "v").is_ok());
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::stoull(*db->get_property("pairdb.wal-syncs")) == 0 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();
  }
  REQUIRE(std::stoull(*db->get_property("pairdb.wal-syncs")) >= 1);
}

TEST_CASE_METHOD(OnRealFileSystem, "the engine works on the real file system", "[db][posix]") {
  Options options = quiet_options();
  options.write_buffer_bytes = 64 << 10;
  {
    auto db = open_db(options, db_path);
    for (int i = 0; i < 2000; ++i) REQUIRE(db->put({}, key_of(i), std::string(64, 'p')).is_ok());
    REQUIRE(db->flush().is_ok());
    REQUIRE(db->put({}, "tail", "in the WAL").is_ok());
  }
  {
    auto db = open_db(options, db_path);
    REQUIRE(get_or(*db, key_of(1234)) == std::string(64, 'p'));
    REQUIRE(get_or(*db, "tail") == "in the WAL");
    REQUIRE(db->get_property("pairdb.stats")->find("L0") != std::string::npos);
  }
  REQUIRE(destroy_db(options, db_path).is_ok());
}

namespace {

// A memory-only read of `key`: its value, "<absent>", or "<busy>" when memory cannot tell.
std::string read_from_memory(DB& db, std::string_view key) {
  ReadOptions options;
  options.memory_only = true;
  auto value = db.get(options, key);
  if (value.is_ok()) return *value;
  if (value.status().is_not_found()) return "<absent>";
  REQUIRE(value.status().code() == StatusCode::kBusy);
  return "<busy>";
}

}  // namespace

TEST_CASE("a memory-only read answers from the memtables and the filters, or says Busy", "[db]") {
  FaultyEnv env;
  Options options = small_options(&env);
  {
    auto db = open_db(options);
    for (int i = 0; i < 200; i += 2) REQUIRE(db->put({}, key_of(i), "table").is_ok());
    REQUIRE(db->flush().is_ok());
    REQUIRE(db->put({}, key_of(1000), "memtable").is_ok());
    REQUIRE(db->remove({}, key_of(4)).is_ok());
    // The memtable answers what it holds, a tombstone included.
    REQUIRE(read_from_memory(*db, key_of(1000)) == "memtable");
    REQUIRE(read_from_memory(*db, key_of(4)) == "<absent>");
    // A key the table holds needs its blocks; one outside every table's range does not.
    REQUIRE(read_from_memory(*db, key_of(10)) == "<busy>");
    REQUIRE(read_from_memory(*db, key_of(5000)) == "<absent>");
    // Odd keys fall inside the table's range: its bloom filter rules out nearly all of them.
    int ruled_out = 0;
    for (int i = 1; i < 200; i += 2) {
      const std::string answer = read_from_memory(*db, key_of(i));
      REQUIRE((answer == "<absent>" || answer == "<busy>"));
      if (answer == "<absent>") ++ruled_out;
    }
    CHECK(ruled_out >= 90);
    REQUIRE(db->close().is_ok());
  }
  // After a reopen no table is open yet: memory cannot rule anything in their ranges out.
  auto db = open_db(options);
  REQUIRE(read_from_memory(*db, key_of(1)) == "<busy>");
  REQUIRE(get_or(*db, key_of(1)) == "<absent>");  // Opens the table.
  // Every answer memory gives is the one a full read gives; once the full reads opened the
  // tables, their filters answer for the odd keys again.
  int answered = 0;
  for (int i = 0; i < 1001; ++i) {
    const std::string answer = read_from_memory(*db, key_of(i));
    if (answer != "<busy>") {
      ++answered;
      REQUIRE(answer == get_or(*db, key_of(i)));
    }
  }
  CHECK(answered >= 90);
}
