#include <catch2/catch.hpp>

#include <pairdb/lsm/write_batch.h>

using namespace pairdb;
using namespace pairdb::lsm;

namespace {
struct Recorder final : WriteBatch::Handler {
  std::vector<std::string> ops;
  void on_put(std::string_view k, std::string_view v) override {
    ops.push_back("put " + std::string(k) + "=" + std::string(v));
  }
  void on_delete(std::string_view k) override { ops.push_back("del " + std::string(k)); }
};
}  // namespace

TEST_CASE("a write batch replays its mutations in order", "[write_batch]") {
  WriteBatch batch;
  batch.put("a", "1");
  batch.remove("b");
  batch.put("", "");
  REQUIRE(batch.count() == 3);
  Recorder r;
  REQUIRE(batch.iterate(r).is_ok());
  REQUIRE(r.ops == std::vector<std::string>{"put a=1", "del b", "put ="});
}

TEST_CASE("appending batches keeps order and counts", "[write_batch]") {
  WriteBatch a, b;
  a.put("x", "1");
  b.remove("y");
  b.put("z", "3");
  a.append(b);
  REQUIRE(a.count() == 3);
  Recorder r;
  REQUIRE(a.iterate(r).is_ok());
  REQUIRE(r.ops == std::vector<std::string>{"put x=1", "del y", "put z=3"});
}

TEST_CASE("the sequence number survives an encode/decode round trip", "[write_batch]") {
  WriteBatch batch;
  batch.put("k", "v");
  batch.set_sequence(123456789);
  WriteBatch copy;
  REQUIRE(copy.set_contents(batch.contents()).is_ok());
  REQUIRE(copy.sequence() == 123456789);
  REQUIRE(copy.count() == 1);
}

TEST_CASE("malformed batch bytes are Corruption, never a crash", "[write_batch]") {
  WriteBatch batch;
  REQUIRE(batch.set_contents("short").is_corruption());
  WriteBatch good;
  good.put("key", "value");
  std::string bytes(good.contents());
  for (size_t cut = 12; cut < bytes.size(); ++cut) {
    WriteBatch truncated;
    REQUIRE(truncated.set_contents(std::string_view(bytes).substr(0, cut)).is_ok());
    Recorder r;
    REQUIRE(truncated.iterate(r).is_corruption());
  }
  std::string wrong_count = bytes;
  wrong_count[8] = 5;
  WriteBatch miscounted;
  REQUIRE(miscounted.set_contents(wrong_count).is_ok());
  Recorder r;
  REQUIRE(miscounted.iterate(r).is_corruption());
}
