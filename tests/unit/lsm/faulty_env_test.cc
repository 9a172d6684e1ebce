#include <catch2/catch.hpp>

#include "lsm/faulty_env.h"

using namespace pairdb;
using namespace pairdb::lsm;

namespace {
void write_file(FaultyEnv& env, const std::string& path, std::string_view data, bool sync) {
  auto file = env.new_writable_file(path);
  REQUIRE(file.is_ok());
  REQUIRE((*file)->append(data).is_ok());
  if (sync) REQUIRE((*file)->sync().is_ok());
}
}  // namespace

TEST_CASE("crash drops unsynced bytes and keeps synced ones", "[faulty_env]") {
  FaultyEnv env;
  REQUIRE(env.create_dir_if_missing("/db").is_ok());
  auto file = env.new_writable_file("/db/a");
  REQUIRE(file.is_ok());
  REQUIRE((*file)->append("durable").is_ok());
  REQUIRE((*file)->sync().is_ok());
  REQUIRE((*file)->append("-lost").is_ok());
  REQUIRE(env.sync_dir("/db").is_ok());
  file->reset();
  env.crash();
  REQUIRE(*env.file_contents("/db/a") == "durable");
}

TEST_CASE("crash forgets directory entries that were never synced", "[faulty_env]") {
  FaultyEnv env;
  REQUIRE(env.create_dir_if_missing("/db").is_ok());
  write_file(env, "/db/old", "x", true);
  REQUIRE(env.sync_dir("/db").is_ok());
  write_file(env, "/db/new", "y", true);  // Data synced, entry not.
  REQUIRE(env.rename_file("/db/old", "/db/renamed").is_ok());
  env.crash();
  REQUIRE_FALSE(env.file_exists("/db/new"));
  REQUIRE(env.file_exists("/db/old"));
  REQUIRE_FALSE(env.file_exists("/db/renamed"));
}

TEST_CASE("a torn crash keeps a prefix of the unsynced bytes", "[faulty_env]") {
  bool saw_partial = false;
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    FaultyEnv env(seed);
    REQUIRE(env.create_dir_if_missing("/db").is_ok());
    auto file = env.new_writable_file("/db/a");
    REQUIRE((*file)->append("0123").is_ok());
    REQUIRE((*file)->sync().is_ok());
    REQUIRE((*file)->append("456789").is_ok());
    REQUIRE(env.sync_dir("/db").is_ok());
    file->reset();
    env.crash({.tear_unsynced_tail = true});
    std::string data = *env.file_contents("/db/a");
    REQUIRE(data.size() >= 4);
    REQUIRE(std::string("0123456789").starts_with(data));
    if (data.size() > 4 && data.size() < 10) saw_partial = true;
  }
  REQUIRE(saw_partial);
}

TEST_CASE("injected ENOSPC fails appends with kNoSpace until cleared", "[faulty_env]") {
  FaultyEnv env;
  REQUIRE(env.create_dir_if_missing("/db").is_ok());
  auto file = env.new_writable_file("/db/000001.log");
  env.inject(FaultOp::kAppend, StatusCode::kNoSpace, ".log");
  Status s = (*file)->append("data");
  REQUIRE(s.is_no_space());
  REQUIRE(s.message().find("000001.log") != std::string_view::npos);
  env.clear_faults();
  REQUIRE((*file)->append("data").is_ok());
}

TEST_CASE("an injected fault with a count fires that many times", "[faulty_env]") {
  FaultyEnv env;
  REQUIRE(env.create_dir_if_missing("/db").is_ok());
  auto file = env.new_writable_file("/db/f");
  env.inject(FaultOp::kSync, StatusCode::kIoError, "", 2);
  REQUIRE((*file)->sync().is_io_error());
  REQUIRE((*file)->sync().is_io_error());
  REQUIRE((*file)->sync().is_ok());
}

TEST_CASE("power loss fails the n-th mutating operation and all after it", "[faulty_env]") {
  FaultyEnv env;
  REQUIRE(env.create_dir_if_missing("/db").is_ok());
  auto file = env.new_writable_file("/db/f");
  env.crash_after_ops(2);
  REQUIRE((*file)->append("a").is_ok());
  REQUIRE_FALSE((*file)->append("b").is_ok());
  REQUIRE(env.powered_off());
  REQUIRE_FALSE((*file)->sync().is_ok());
  file->reset();
  env.crash();
  REQUIRE_FALSE(env.powered_off());
}

TEST_CASE("flip_bit changes exactly one bit", "[faulty_env]") {
  FaultyEnv env;
  REQUIRE(env.create_dir_if_missing("/db").is_ok());
  write_file(env, "/db/f", "AAAA", true);
  REQUIRE(env.flip_bit("/db/f", 2, 0).is_ok());
  REQUIRE(*env.file_contents("/db/f") == "AA@A");
}

TEST_CASE("a second lock on the same file is refused with kBusy", "[faulty_env]") {
  FaultyEnv env;
  auto first = env.lock_file("/db/LOCK");
  REQUIRE(first.is_ok());
  auto second = env.lock_file("/db/LOCK");
  REQUIRE(second.status().code() == StatusCode::kBusy);
  first->reset();
  REQUIRE(env.lock_file("/db/LOCK").is_ok());
}
