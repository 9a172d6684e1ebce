// The engine under disk faults: full disk, failed fsync, torn WAL tail, damaged SSTables.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <optional>
#include <string_view>

#include "lsm/filename.h"
#include "lsm_test_util.h"

using namespace pairdb;
using namespace pairdb::lsm;
using namespace pairdb::lsm::testing;

namespace {

std::vector<std::string> files_of_type(FaultyEnv& env, FileType type) {
  std::vector<std::string> out;
  auto names = env.list_dir("/db");
  REQUIRE(names.is_ok());
  for (const auto& name : *names) {
    auto parsed = parse_file_name(name);
    if (parsed && parsed->type == type) out.push_back("/db/" + name);
  }
  return out;
}

// Opens a DB, puts "v" under key_of(0) to key_of(count - 1), and closes it cleanly.
void write_keys_and_close(const Options& options, int count) {
  auto db = open_db(options);
  for (int i = 0; i < count; ++i) REQUIRE(db->put({}, key_of(i), "v").is_ok());
  REQUIRE(db->close().is_ok());
}

// Puts "value-" + key_of(i) under key_of(i) for i below count, and flushes them to a table.
void put_numbered_values_and_flush(DB& db, int count) {
  for (int i = 0; i < count; ++i) REQUIRE(db.put({}, key_of(i), "value-" + key_of(i)).is_ok());
  REQUIRE(db.flush().is_ok());
}

// Reads back what put_numbered_values_and_flush wrote: each key returns its own value or
// Corruption, never a wrong value. A Corruption's message must contain `message_part`, when
// given. Returns how many reads were Corruption.
int count_corrupt_reads(DB& db, int count,
                        std::optional<std::string_view> message_part = std::nullopt) {
  int corrupt = 0;
  for (int i = 0; i < count; ++i) {
    auto value = db.get({}, key_of(i));
    if (value.is_ok()) {
      REQUIRE(*value == "value-" + key_of(i));
    } else {
      REQUIRE(value.status().is_corruption());
      if (message_part) {
        REQUIRE(value.status().message().find(*message_part) != std::string_view::npos);
      }
      ++corrupt;
    }
  }
  return corrupt;
}

}  // namespace

TEST_CASE_METHOD(SmallEngineOnFaultyEnv,
                 "ENOSPC on WAL append fails the write clearly, the DB stays readable and recovers",
                 "[db][fault]") {
  {
    auto db = open_db(options);
    REQUIRE(db->put({}, "before", "1").is_ok());
    env.inject(FaultOp::kAppend, StatusCode::kNoSpace, ".log");
    Status s = db->put({}, "during", "2");
    REQUIRE(s.is_no_space());
    INFO(s.to_string());
    REQUIRE(s.message().find(".log") != std::string_view::npos);
    REQUIRE(s.message().find("not applied") != std::string_view::npos);
    require_reads(*db, {{"before", "1"}, {"during", "<absent>"}});
    REQUIRE(db->put({}, "still-full", "x").is_no_space());

    env.clear_faults();  // Space returns: the next write starts a fresh WAL segment.
    REQUIRE(db->put({}, "after", "3").is_ok());
    REQUIRE(db->close().is_ok());
  }
  auto db = open_db(options);
  require_reads(
      *db, {{"before", "1"}, {"during", "<absent>"}, {"still-full", "<absent>"}, {"after", "3"}});
}

TEST_CASE_METHOD(SmallEngineOnFaultyEnv,
                 "a failed WAL fsync fences writes, keeps reads, and is never retried",
                 "[db][fault]") {
  {
    auto db = open_db(options);
    REQUIRE(db->put({}, "acked", "1").is_ok());
    env.inject(FaultOp::kSync, StatusCode::kIoError, ".log", 1);
    Status s = db->put({}, "unsure", "2");
    REQUIRE(s.is_io_error());
    INFO(s.to_string());
    REQUIRE(s.message().find("refused") != std::string_view::npos);
    // The fault is gone, but the DB must not trust that file again.
    Status later = db->put({}, "later", "3");
    REQUIRE(later.is_io_error());
    REQUIRE(db->flush().is_io_error());
    REQUIRE_FALSE(db->get_property("pairdb.write-fence")->empty());
    REQUIRE(get_or(*db, "acked") == "1");
    auto it = db->new_iterator({});
    it->seek_to_first();
    REQUIRE(it->valid());
    REQUIRE(it->key() == "acked");
  }
  auto db = open_db(options);
  require_reads(*db, {{"acked", "1"}, {"later", "<absent>"}});
  REQUIRE(db->put({}, "after-reopen", "4").is_ok());
}

TEST_CASE_METHOD(SmallEngineOnFaultyEnv,
                 "a torn WAL tail is dropped and counted, everything before it survives",
                 "[db][fault]") {
  write_keys_and_close(options, 10);
  auto wals = files_of_type(env, FileType::kWal);
  REQUIRE(wals.size() == 1);
  uint64_t size = *env.file_size(wals[0]);
  REQUIRE(env.truncate_file(wals[0], size - 5).is_ok());  // Cut into the last record.

  auto db = open_db(options);
  for (int i = 0; i < 9; ++i) REQUIRE(get_or(*db, key_of(i)) == "v");
  REQUIRE(get_or(*db, key_of(9)) == "<absent>");
  REQUIRE(std::stoull(*db->get_property("pairdb.wal-torn-tail-bytes")) > 0);
}

TEST_CASE_METHOD(SmallEngineOnFaultyEnv,
                 "a bit flip in the middle of the WAL fails open with Corruption", "[db][fault]") {
  write_keys_and_close(options, 10);
  auto wals = files_of_type(env, FileType::kWal);
  REQUIRE(env.flip_bit(wals[0], 30, 3).is_ok());
  auto reopened = DB::open(options, "/db");
  REQUIRE(reopened.status().is_corruption());
  INFO(reopened.status().to_string());
  REQUIRE(reopened.status().message().find(".log") != std::string_view::npos);

  // Salvage mode opens, loudly skipping the damaged record.
  options.wal_recovery_mode = WalRecoveryMode::kSkipCorruptedRecords;
  auto db = open_db(options);
  REQUIRE(get_or(*db, key_of(9)) == "v");
}

TEST_CASE_METHOD(
    SmallEngineOnFaultyEnv,
    "a bit flip in an SSTable data block makes Get return Corruption, never a wrong value",
    "[db][fault]") {
  options.bloom_bits_per_key = 0;  // Every lookup reaches the data block.
  {
    auto db = open_db(options);
    put_numbered_values_and_flush(*db, 20);
    REQUIRE(db->close().is_ok());
  }
  auto tables = files_of_type(env, FileType::kTable);
  REQUIRE(tables.size() == 1);
  REQUIRE(env.flip_bit(tables[0], 40, 1).is_ok());  // Inside the first data block.

  auto db = open_db(options);
  REQUIRE(count_corrupt_reads(*db, 20, ".sst") > 0);
  auto it = db->new_iterator({});
  for (it->seek_to_first(); it->valid(); it->next()) {
  }
  REQUIRE(it->status().is_corruption());
}

TEST_CASE_METHOD(SmallEngineOnFaultyEnv,
                 "a table listed in the MANIFEST but missing fails open with Corruption",
                 "[db][fault]") {
  {
    auto db = open_db(options);
    REQUIRE(db->put({}, "k", "v").is_ok());
    REQUIRE(db->flush().is_ok());
  }
  for (const auto& table : files_of_type(env, FileType::kTable)) {
    REQUIRE(env.remove_file(table).is_ok());
  }
  auto db = DB::open(options, "/db");
  REQUIRE(db.status().is_corruption());
  REQUIRE(db.status().message().find("missing") != std::string_view::npos);
}

TEST_CASE("a failing flush is retried, reports its error, and succeeds once space returns",
          "[db][fault]") {
  FaultyEnv env;
  Options options = small_options(&env);
  auto db = open_db(options);
  REQUIRE(db->put({}, "k", "v").is_ok());
  env.inject(FaultOp::kAppend, StatusCode::kNoSpace, ".sst");
  Status s = db->flush();
  REQUIRE(s.is_no_space());
  REQUIRE(get_or(*db, "k") == "v");
  env.clear_faults();
  REQUIRE(db->flush().is_ok());
  REQUIRE(*db->get_property("pairdb.num-files-at-level0") == "1");
  REQUIRE(files_of_type(env, FileType::kTable).size() == 1);  // The partial file was removed.
}

TEST_CASE_METHOD(
    SmallEngineOnFaultyEnv,
    "writes acknowledged into a new WAL segment survive a crash even if no flush follows",
    "[db][fault]") {
  options.inline_background_work = false;
  // Flushes fail, so nothing but the WAL segment's own directory sync makes it durable.
  env.inject(FaultOp::kAppend, StatusCode::kNoSpace, ".sst");
  std::vector<std::string> acknowledged;
  {
    auto db = open_db(options);
    for (int i = 0; i < 5000; ++i) {
      if (!db->put({}, key_of(i), std::string(100, 'w')).is_ok()) break;  // Memtables full.
      acknowledged.push_back(key_of(i));
    }
    REQUIRE(acknowledged.size() > 600);  // More than one memtable: a second segment was used.
    REQUIRE(acknowledged.size() < 5000);
  }
  env.crash();
  auto db = open_db(options);
  for (const auto& key : acknowledged) REQUIRE(get_or(*db, key) == std::string(100, 'w'));
}

TEST_CASE_METHOD(OnRealFileSystem,
                 "a bit flip in a memory-mapped SSTable on the real file system is Corruption",
                 "[db][fault][posix]") {
  Options options = quiet_options();
  options.bloom_bits_per_key = 0;
  options.use_mmap_reads = true;
  {
    auto db = open_db(options, db_path);
    put_numbered_values_and_flush(*db, 20);
  }
  std::filesystem::path table;
  for (const auto& entry : std::filesystem::directory_iterator(db_path)) {
    if (entry.path().extension() == ".sst") table = entry.path();
  }
  REQUIRE(!table.empty());
  {
    std::fstream f(table, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(40);
    char c = 0;
    f.read(&c, 1);
    c = static_cast<char>(c ^ 0x10);
    f.seekp(40);
    f.write(&c, 1);
  }
  auto db = open_db(options, db_path);
  REQUIRE(count_corrupt_reads(*db, 20) > 0);
  db.reset();
}

TEST_CASE("writes_may_wait says when a write could block its caller", "[db][fault]") {
  FaultyEnv env;
  SECTION("every write waits for an fsync with wal_sync_mode = kPerWrite") {
    Options options = small_options(&env);
    options.wal_sync_mode = WalSyncMode::kPerWrite;
    auto db = open_db(options);
    CHECK(db->writes_may_wait());
  }
  SECTION("without per-write syncs, only trouble makes writes wait") {
    Options options = small_options(&env);
    options.wal_sync_mode = WalSyncMode::kNone;
    auto db = open_db(options);
    CHECK_FALSE(db->writes_may_wait());
    REQUIRE(db->put({}, "a", "1").is_ok());
    CHECK_FALSE(db->writes_may_wait());
    // A broken WAL makes the next write open a new segment (file I/O) first.
    env.inject(FaultOp::kAppend, StatusCode::kNoSpace, ".log");
    REQUIRE(db->put({}, "b", "2").is_no_space());
    CHECK(db->writes_may_wait());
    env.clear_faults();
    REQUIRE(db->put({}, "c", "3").is_ok());
    CHECK_FALSE(db->writes_may_wait());
  }
}
