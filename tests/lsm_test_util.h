// Helpers shared by the storage engine's tests.
#pragma once

#include <cstdlib>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include <fmt/format.h>
#include <pairdb/lsm/db.h>
#include <catch2/catch.hpp>

#include "lsm/faulty_env.h"
#include "support/temp_dir.h"

namespace pairdb::lsm::testing {

// Reads an integer knob from the environment (for longer local campaigns).
inline uint64_t env_knob(const char* name, uint64_t fallback) {
  const char* value = std::getenv(name);
  return value != nullptr ? std::strtoull(value, nullptr, 10) : fallback;
}

// Options that create the DB if it is missing and drop its log lines: tests assert on
// behaviour, not logs; PAIRDB_TEST_LOG=1 shows them when debugging.
inline Options quiet_options() {
  Options options;
  options.create_if_missing = true;
  if (env_knob("PAIRDB_TEST_LOG", 0) == 0) options.log = [](LogLevel, std::string_view) {};
  return options;
}

// Options for an engine on a FaultyEnv with tiny memtables and deterministic flushes.
inline Options small_options(FaultyEnv* env) {
  Options options = quiet_options();
  options.env = env;
  options.write_buffer_bytes = 64 << 10;
  options.block_bytes = 512;
  options.inline_background_work = true;
  return options;
}

// Tiny level targets and files, so a few hundred kilobytes of writes use every level.
inline Options compacting_options(FaultyEnv* env) {
  Options options = small_options(env);
  options.level0_compaction_trigger = 2;
  options.level1_target_bytes = 64 << 10;
  options.level_size_multiplier = 2;
  options.target_file_bytes = 32 << 10;
  options.compaction_free_disk_reserve_bytes = 0;
  return options;
}

// Test fixtures: `options` for an engine on the fixture's own FaultyEnv `env`.
struct SmallEngineOnFaultyEnv {
  FaultyEnv env;
  Options options = small_options(&env);
};
struct CompactingEngineOnFaultyEnv {
  FaultyEnv env;
  Options options = compacting_options(&env);
};

// A fixture for tests of the engine on the real file system (the default Env): `db_path` is in
// a fresh directory, removed with everything in it when the test ends.
struct OnRealFileSystem {
  const pairdb::test::TempDir temp;
  const std::string db_path = temp.path() + "/db";
};

inline uint64_t property_number(DB& db, const std::string& name) {
  auto value = db.get_property(name);
  INFO(name);
  REQUIRE(value.has_value());
  return std::stoull(*value);
}

inline std::unique_ptr<DB> open_db(const Options& options, const std::string& path = "/db") {
  auto db = DB::open(options, path);
  INFO(db.status().to_string());
  REQUIRE(db.is_ok());
  return std::move(db).value();
}

inline std::string get_or(DB& db, std::string_view key, std::string fallback = "<absent>",
                          const Snapshot* snapshot = nullptr) {
  ReadOptions ro;
  ro.snapshot = snapshot;
  auto value = db.get(ro, key);
  if (value.is_ok()) return *value;
  INFO(value.status().to_string());
  REQUIRE(value.status().is_not_found());
  return fallback;
}

// Requires each key to read as its expected value (get_or's "<absent>" for a missing key).
inline void require_reads(
    DB& db, std::initializer_list<std::pair<std::string_view, std::string_view>> expected) {
  for (const auto& [key, value] : expected) {
    INFO("key " << key);
    REQUIRE(get_or(db, key) == value);
  }
}

inline std::string key_of(uint64_t i) { return fmt::format("key{:08d}", i); }

}  // namespace pairdb::lsm::testing
