// RepairHistory: completed repairs per (table, range), persisted, and the per-token view the
// purge and the scheduler read: the repair that started last wins where ranges overlap.
#include <catch2/catch.hpp>

#include "common/clock.h"
#include "lsm_test_util.h"
#include "replication/repair_history.h"
#include "replication_test_util.h"

namespace pairdb::replication {
namespace {

using testing::node;

RepairDoneRequest done(TableId table, ring::TokenRange range, uint64_t started,
                       uint64_t differing = 0) {
  RepairDoneRequest d;
  d.table = table;
  d.range = range;
  d.started_wall_ms = started;
  d.records_differing = differing;
  d.replicas = {node(1), node(2), node(3)};
  return d;
}

struct Fixture {
  lsm::FaultyEnv env;
  ManualClock clock{1'000'000};
  lsm::Options options = lsm::testing::small_options(&env);
  std::unique_ptr<lsm::DB> db = lsm::testing::open_db(options);

  std::unique_ptr<RepairHistory> open() {
    auto h = RepairHistory::open(db.get(), &clock);
    REQUIRE(h.is_ok());
    return std::move(h).value();
  }
};

TEST_CASE("a recorded repair covers exactly its range's tokens", "[replication][repair]") {
  Fixture f;
  auto h = f.open();
  CHECK(h->repaired_before(7, 50) == 0);
  REQUIRE(h->record(done(7, {100, 200}, 5000, 3), 6000).is_ok());
  CHECK(h->repaired_before(7, 100) == 0);  // (start, end]: the start is outside.
  CHECK(h->repaired_before(7, 101) == 5000);
  CHECK(h->repaired_before(7, 200) == 5000);
  CHECK(h->repaired_before(7, 201) == 0);
  CHECK(h->repaired_before(8, 150) == 0);  // Another table.
  const RangeVerification v = h->verification(7, {100, 200});
  CHECK(v.completed_wall_ms == 6000);
  CHECK(v.started_wall_ms == 5000);
  CHECK(v.records_differing == 3);
  CHECK(h->verification(7, {50, 200}).completed_wall_ms == 0);  // Partly never repaired.
  CHECK(h->verification(7, {150, 180}).completed_wall_ms == 6000);
}

TEST_CASE("overlapping repairs: the later start wins per token, and gaps show",
          "[replication][repair]") {
  Fixture f;
  auto h = f.open();
  REQUIRE(h->record(done(7, {0, 0}, 1000), 1500).is_ok());  // The whole ring.
  REQUIRE(h->record(done(7, {100, 200}, 3000), 3500).is_ok());
  REQUIRE(h->record(done(7, {150, 300}, 2000), 2500).is_ok());  // Older than the one above.
  CHECK(h->repaired_before(7, 5) == 1000);
  CHECK(h->repaired_before(7, 120) == 3000);
  CHECK(h->repaired_before(7, 180) == 3000);
  CHECK(h->repaired_before(7, 250) == 2000);
  CHECK(h->repaired_before(7, UINT64_MAX) == 1000);
  // A range's verification is its oldest token's.
  CHECK(h->verification(7, {100, 300}).completed_wall_ms == 2500);
  CHECK(h->verification(7, {0, 0}).completed_wall_ms == 1500);
}

TEST_CASE("a wrapping range covers both ends of the token space", "[replication][repair]") {
  Fixture f;
  auto h = f.open();
  REQUIRE(h->record(done(4, {UINT64_MAX - 10, 10}, 700), 800).is_ok());
  CHECK(h->repaired_before(4, UINT64_MAX) == 700);
  CHECK(h->repaired_before(4, 0) == 700);
  CHECK(h->repaired_before(4, 10) == 700);
  CHECK(h->repaired_before(4, 11) == 0);
  CHECK(h->repaired_before(4, UINT64_MAX - 10) == 0);
  CHECK(h->verification(4, {UINT64_MAX - 10, 10}).completed_wall_ms == 800);
}

TEST_CASE("the history survives a reopen, and a dropped table's is forgotten",
          "[replication][repair]") {
  Fixture f;
  {
    auto h = f.open();
    REQUIRE(h->record(done(7, {100, 200}, 5000), 6000).is_ok());
    REQUIRE(h->record(done(9, {0, 0}, 5100), 6100).is_ok());
    // An older session of the same range recorded late changes nothing.
    REQUIRE(h->record(done(7, {100, 200}, 4000), 7000).is_ok());
  }
  f.db.reset();
  f.env.crash();  // Records are synced: a crash keeps them.
  f.db = lsm::testing::open_db(f.options);
  auto h = f.open();
  CHECK(h->repaired_before(7, 150) == 5000);
  CHECK(h->verification(7, {100, 200}).completed_wall_ms == 6000);
  CHECK(h->entries().size() == 2);
  REQUIRE(h->forget_table(9).is_ok());
  CHECK(h->repaired_before(9, 5) == 0);
  CHECK(h->entries().size() == 1);
}

}  // namespace
}  // namespace pairdb::replication
