// ReplicaStore: the replica side of replication over a real LSM on FaultyEnv (apply a client
// write, merge a peer's record, read, scan) and the item compaction filter beneath it.
#include <catch2/catch.hpp>

#include <memory>
#include <unordered_set>

#include <pairdb/ring/hash_ring.h>
#include "common/clock.h"
#include "lsm_test_util.h"
#include "replication/item_compaction_filter.h"
#include "replication/repair_history.h"
#include "replication/replica_store.h"
#include "replication_test_util.h"

using namespace pairdb;
using namespace pairdb::replication;
using replication::testing::node;
using replication::testing::put_write;

namespace {

constexpr TableId kTable = 77;
constexpr uint64_t kNowMs = 1'700'000'000'000;

class DroppedSet final : public DroppedTables {
 public:
  bool is_dropped(TableId id) const override { return ids.count(id) != 0; }
  std::unordered_set<TableId> ids;
};

// One replica: an engine on a FaultyEnv with the item compaction filter attached.
struct Replica {
  lsm::FaultyEnv env;
  ManualClock clock{kNowMs};
  DroppedSet dropped;
  std::shared_ptr<ItemCompactionFilter> filter;
  std::unique_ptr<lsm::DB> db;
  std::unique_ptr<ReplicaStore> store;

  explicit Replica(ring::NodeId self, uint64_t tombstone_grace_ms = 1000,
                   uint64_t repair_margin_ms = 0) {
    filter = std::make_shared<ItemCompactionFilter>(
        PurgePolicy{tombstone_grace_ms, repair_margin_ms}, &clock);
    lsm::Options options = lsm::testing::small_options(&env);
    options.compaction_filter = filter;
    db = lsm::testing::open_db(options);
    filter->attach(&dropped);
    store = std::make_unique<ReplicaStore>(db.get(), self);
  }
  ~Replica() { filter->attach(nullptr); }

  WriteOutcome write(std::string_view pk, const LocalWrite& write) {
    auto outcome =
        store->apply_write({kTable, pk, ""}, write, WritePolicy{},
                           HlcTimestamp::from_parts(clock.wall_ms(), 0), clock.wall_ms());
    REQUIRE(outcome.is_ok());
    return std::move(outcome).value();
  }

  VersionRecord read(std::string_view pk) {
    auto record = store->read({kTable, pk, ""});
    REQUIRE(record.is_ok());
    return std::move(record).value();
  }

  MergeOutcome merge(std::string_view pk, const VersionRecord& incoming) {
    auto outcome = store->merge({kTable, pk, ""}, incoming, ConflictMode::kSiblings);
    REQUIRE(outcome.is_ok());
    return std::move(outcome).value();
  }

  void compact() {
    REQUIRE(db->flush().is_ok());
    REQUIRE(db->compact_range(nullptr, nullptr).is_ok());
  }
};

}  // namespace

TEST_CASE("apply_write mints the dot with the replica's own id and persists the record",
          "[replication][replica_store]") {
  Replica replica(node(1));
  const WriteOutcome first = replica.write("k", put_write("v1"));
  CHECK(first.dot.node == node(1));
  CHECK(first.dot.counter == 1);
  const VersionRecord stored = replica.read("k");
  CHECK(stored == first.record);
  REQUIRE(stored.siblings.size() == 1);
  CHECK(stored.siblings[0].value == "v1");
  CHECK(replica.read("never-written") == VersionRecord{});
}

TEST_CASE("merge joins a peer's concurrent write into siblings, and says what changed",
          "[replication][replica_store]") {
  Replica a(node(1));
  Replica b(node(2));
  a.write("k", put_write("from-a"));
  const VersionRecord from_b = b.write("k", put_write("from-b")).record;

  const MergeOutcome merged = a.merge("k", from_b);
  CHECK(merged.changed);
  CHECK(merged.record.siblings.size() == 2);
  CHECK(a.read("k") == merged.record);
  // Receiving the same record again (a retry or a duplicate delivery) changes nothing.
  CHECK_FALSE(a.merge("k", from_b).changed);
  CHECK(a.read("k") == merged.record);
}

TEST_CASE("replicas that receive the same records in any order store the same record",
          "[replication][replica_store]") {
  Replica writer1(node(1));
  Replica writer2(node(2));
  const VersionRecord r1 = writer1.write("k", put_write("one")).record;
  const VersionRecord r2 = writer2.write("k", put_write("two")).record;
  // A successor of r1 that saw it: overwrites "one" but not the concurrent "two".
  const VersionRecord r3 = writer1.write("k", put_write("three", r1.context)).record;

  Replica in_order(node(3));
  in_order.merge("k", r1);
  in_order.merge("k", r2);
  in_order.merge("k", r3);
  Replica reversed(node(4));
  reversed.merge("k", r3);
  reversed.merge("k", r2);
  reversed.merge("k", r1);
  CHECK(in_order.read("k") == reversed.read("k"));
  const ItemView view = visible(in_order.read("k"), kNowMs);
  REQUIRE(view.live.size() == 2);
  CHECK(view.live[0].value != "one");
  CHECK(view.live[1].value != "one");
}

TEST_CASE("merge refuses a record that breaks the record invariants and stores nothing",
          "[replication][replica_store]") {
  Replica replica(node(1));
  VersionRecord bad = Replica(node(2)).write("k", put_write("v")).record;
  bad.context = VersionVector{};  // Its sibling's dot is no longer covered by its context.
  auto outcome = replica.store->merge({kTable, "k", ""}, bad, ConflictMode::kSiblings);
  CHECK(outcome.status().code() == StatusCode::kCorruption);
  CHECK(replica.read("k") == VersionRecord{});
}

TEST_CASE("compaction removes a dropped table's records and purged tombstones, keeps the rest",
          "[replication][replica_store]") {
  Replica replica(node(1), /*tombstone_grace_ms=*/1000);
  replica.write("live", put_write("v"));
  const VersionRecord doomed = replica.write("deleted", put_write("v")).record;
  replica.write("deleted", replication::testing::delete_write(doomed.context));
  replica.compact();
  CHECK(replica.read("deleted").siblings.size() == 1);  // Within the grace period: kept.
  CHECK(replica.filter->purged_records() == 0);

  replica.clock.advance(std::chrono::milliseconds(1001));
  replica.compact();
  CHECK(replica.read("deleted") == VersionRecord{});
  CHECK(replica.filter->purged_records() == 1);
  CHECK(replica.read("live").siblings.size() == 1);

  replica.dropped.ids.insert(kTable);
  replica.compact();
  CHECK(replica.read("live") == VersionRecord{});
  CHECK(replica.filter->dropped_table_records() == 1);
}

TEST_CASE("without a grace bound a tombstone is purged only after a repair that started after it",
          "[replication][replica_store]") {
  Replica replica(node(1), /*tombstone_grace_ms=*/0, /*repair_margin_ms=*/500);
  auto history = RepairHistory::open(replica.db.get(), &replica.clock);
  REQUIRE(history.is_ok());
  replica.filter->attach_repairs(history->get());
  const VersionRecord doomed = replica.write("deleted", put_write("v")).record;
  replica.write("deleted", replication::testing::delete_write(doomed.context));
  const uint64_t deleted_at = replica.clock.wall_ms();

  // Years later, but never repaired: kept.
  replica.clock.advance(std::chrono::hours(24 * 365));
  replica.compact();
  CHECK(replica.read("deleted").siblings.size() == 1);

  // A repair of another table, or of a range without the key's token, changes nothing.
  const ring::Token token = ring::HashRing::token_of("deleted");
  RepairDoneRequest other;
  other.table = kTable + 1;
  other.range = {0, 0};
  other.started_wall_ms = replica.clock.wall_ms();
  REQUIRE((*history)->record(other, replica.clock.wall_ms()).is_ok());
  RepairDoneRequest beside;
  beside.table = kTable;
  beside.range = {token, token + 1000};  // Starts just after the key's token.
  beside.started_wall_ms = replica.clock.wall_ms();
  REQUIRE((*history)->record(beside, replica.clock.wall_ms()).is_ok());
  replica.compact();
  CHECK(replica.read("deleted").siblings.size() == 1);

  // A repair of its range that started within the margin after the delete: still kept.
  RepairDoneRequest early;
  early.table = kTable;
  early.range = {token - 1, token};
  early.started_wall_ms = deleted_at + 500;
  REQUIRE((*history)->record(early, replica.clock.wall_ms()).is_ok());
  replica.compact();
  CHECK(replica.read("deleted").siblings.size() == 1);
  CHECK(replica.filter->purged_records() == 0);

  // One that started past the margin: every replica holds the tombstone; purged.
  RepairDoneRequest done = early;
  done.started_wall_ms = deleted_at + 501;
  REQUIRE((*history)->record(done, replica.clock.wall_ms()).is_ok());
  replica.compact();
  CHECK(replica.read("deleted") == VersionRecord{});
  CHECK(replica.filter->purged_records() == 1);
  replica.filter->attach_repairs(nullptr);
}
