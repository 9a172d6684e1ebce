// HintStore over a real LSM on FaultyEnv: hints kept in order per target and reloaded after a
// restart, synced hints surviving a crash, caps and drops marking ranges for repair, the codec
// refusing damaged bytes.
#include <catch2/catch.hpp>

#include <memory>

#include <pairdb/ring/hash_ring.h>

#include "lsm_test_util.h"
#include "replication/hint_store.h"
#include "replication_test_util.h"

using namespace pairdb;
using namespace pairdb::replication;
using replication::testing::node;

namespace {

constexpr TableId kTable = 42;
constexpr uint64_t kNowMs = 1'700'000'000'000;

Hint hint_for(const ring::NodeId& target, std::string key, std::string record = "rec",
              uint64_t created = kNowMs) {
  Hint h;
  h.target = target;
  h.table = kTable;
  h.partition_key = std::move(key);
  h.sort_key = "s";
  h.record = std::move(record);
  h.created_wall_ms = created;
  return h;
}

struct Fixture {
  lsm::FaultyEnv env;
  lsm::Options options = lsm::testing::small_options(&env);
  std::unique_ptr<lsm::DB> db;
  std::unique_ptr<HintStore> store;

  explicit Fixture(HintStoreOptions limits = {}) : limits_(limits) {
    options.wal_sync_mode = lsm::WalSyncMode::kPerWrite;
    open();
  }
  void open() {
    db = lsm::testing::open_db(options, "/hints");
    auto opened = HintStore::open(db.get(), limits_);
    REQUIRE(opened.is_ok());
    store = std::move(opened).value();
  }
  void reopen() {
    store.reset();
    REQUIRE(db->close().is_ok());
    db.reset();
    open();
  }
  void crash_and_reopen() {
    store.reset();
    env.crash_after_ops(1);
    db.reset();
    env.crash();
    open();
  }
  std::vector<StoredHint> all(const ring::NodeId& target) {
    auto batch = store->peek(target, 0, 1000, 1u << 30);
    REQUIRE(batch.is_ok());
    return std::move(batch).value();
  }

 private:
  HintStoreOptions limits_;
};

}  // namespace

TEST_CASE("hints are kept per target in the order they were stored", "[hints]") {
  Fixture f;
  for (int i = 0; i < 5; ++i)
    REQUIRE(f.store->add(hint_for(node(1), "a" + std::to_string(i))).is_ok());
  REQUIRE(f.store->add(hint_for(node(2), "b")).is_ok());
  const auto hints = f.all(node(1));
  REQUIRE(hints.size() == 5);
  for (size_t i = 0; i < hints.size(); ++i) {
    CHECK(hints[i].hint.partition_key == "a" + std::to_string(i));
    CHECK(hints[i].hint.target == node(1));
    if (i > 0) CHECK(hints[i].seq > hints[i - 1].seq);
  }
  CHECK(f.all(node(2)).size() == 1);
  CHECK(f.all(node(3)).empty());
  CHECK(f.store->count(node(1)) == 5);
  CHECK(f.store->target(node(1)).oldest_created_wall_ms == kNowMs);

  // Paging resumes after a seq and stops at the byte budget (at least one hint per page).
  auto page = f.store->peek(node(1), hints[1].seq, 2, 1u << 20);
  REQUIRE(page.is_ok());
  REQUIRE(page->size() == 2);
  CHECK((*page)[0].seq == hints[2].seq);
  auto tiny = f.store->peek(node(1), 0, 10, 1);
  REQUIRE(tiny.is_ok());
  CHECK(tiny->size() == 1);

  REQUIRE(f.store->remove(node(1), hints[0].seq).is_ok());
  REQUIRE(f.store->remove(node(1), hints[0].seq).is_ok());  // Gone already: a no-op.
  CHECK(f.store->count(node(1)) == 4);
  CHECK(f.store->delivered() == 1);
  CHECK(f.store->stored() == 6);
}

TEST_CASE("a restart finds every hint and never reuses a sequence number", "[hints]") {
  Fixture f;
  uint64_t last = 0;
  for (int i = 0; i < 3; ++i) {
    auto seq = f.store->add(hint_for(node(1), "k" + std::to_string(i)));
    REQUIRE(seq.is_ok());
    last = *seq;
  }
  const uint64_t bytes = f.store->total_bytes();
  f.reopen();
  CHECK(f.store->count(node(1)) == 3);
  CHECK(f.store->total_bytes() == bytes);
  auto next = f.store->add(hint_for(node(1), "k3"));
  REQUIRE(next.is_ok());
  CHECK(*next > last);
}

TEST_CASE("a synced hint survives a crash of its holder", "[hints]") {
  Fixture f;
  REQUIRE(f.store->add(hint_for(node(1), "survivor")).is_ok());
  f.crash_and_reopen();
  const auto hints = f.all(node(1));
  REQUIRE(hints.size() == 1);
  CHECK(hints[0].hint.partition_key == "survivor");
}

TEST_CASE("caps refuse hints and mark their ranges for repair", "[hints]") {
  HintStoreOptions limits;
  limits.max_bytes_per_target = 300;
  limits.max_bytes_total = 500;
  Fixture f(limits);
  const std::string record(100, 'r');
  size_t kept = 0;
  Status refused;
  for (int i = 0; i < 10 && refused.is_ok(); ++i) {
    auto added = f.store->add(hint_for(node(1), "k" + std::to_string(i), record));
    if (added.is_ok()) {
      ++kept;
    } else {
      refused = added.status();
    }
  }
  CHECK(kept == 2);
  CHECK(refused.code() == StatusCode::kOverloaded);
  CHECK(f.store->dropped(HintDropReason::kTargetCap) == 1);
  CHECK(f.store->target(node(1)).bytes <= 300);
  // Another target still has room under its own cap, until the total cap.
  REQUIRE(f.store->add(hint_for(node(2), "x", record)).is_ok());
  auto over = f.store->add(hint_for(node(2), "y", record));
  CHECK(over.status().code() == StatusCode::kOverloaded);
  CHECK(f.store->dropped(HintDropReason::kTotalCap) == 1);

  auto marks = f.store->repair_marks();
  REQUIRE(marks.is_ok());
  REQUIRE_FALSE(marks->empty());
  const ring::Token token = ring::HashRing::token_of("k2");
  bool covered = false;
  for (const RepairMark& mark : *marks) {
    CHECK(mark.table == kTable);
    if (mark.range_start <= token && token <= mark.range_end) covered = true;
  }
  CHECK(covered);
  // Marks survive a restart; clearing them forgets them.
  f.reopen();
  REQUIRE(f.store->repair_marks()->size() == marks->size());
  REQUIRE(f.store->clear_repair_marks(kTable).is_ok());
  CHECK(f.store->repair_marks()->empty());
}

TEST_CASE("drops count their reason, and only those that lose data mark a range", "[hints]") {
  Fixture f;
  REQUIRE(f.store->add(hint_for(node(1), "expired")).is_ok());
  REQUIRE(f.store->add(hint_for(node(1), "gone")).is_ok());
  auto hints = f.all(node(1));
  REQUIRE(hints.size() == 2);
  REQUIRE(f.store->drop(node(1), hints[0], HintDropReason::kExpired, kNowMs).is_ok());
  CHECK(f.store->repair_marks()->empty());
  CHECK(f.store->dropped(HintDropReason::kExpired) == 1);
  REQUIRE(f.store->drop(node(1), hints[1], HintDropReason::kTargetGone, kNowMs).is_ok());
  CHECK(f.store->repair_marks()->size() == 1);
  CHECK(f.store->count(node(1)) == 0);
  CHECK(f.store->targets().empty());

  for (int i = 0; i < 5; ++i)
    REQUIRE(f.store->add(hint_for(node(3), "t" + std::to_string(i))).is_ok());
  auto dropped = f.store->drop_all(node(3), HintDropReason::kTruncated, kNowMs);
  REQUIRE(dropped.is_ok());
  CHECK(*dropped == 5);
  CHECK(f.store->count(node(3)) == 0);
  CHECK(f.store->dropped(HintDropReason::kTruncated) == 5);
  CHECK(f.store->total_bytes() == 0);
}

TEST_CASE("the hint codec round-trips and refuses damaged bytes", "[hints]") {
  Hint h = hint_for(node(9), std::string("pk\0with-nul", 11), "record-bytes");
  h.expires_at_ms = kNowMs + 5;
  const std::string bytes = encode_hint(h);
  auto back = decode_hint(node(9), bytes);
  REQUIRE(back.is_ok());
  CHECK(*back == h);
  for (size_t cut = 0; cut < bytes.size(); ++cut) {
    CHECK(decode_hint(node(9), bytes.substr(0, cut)).status().is_corruption());
  }
  std::string trailing = bytes + "x";
  CHECK(decode_hint(node(9), trailing).status().is_corruption());
  std::string version = bytes;
  version[0] = 9;
  CHECK(decode_hint(node(9), version).status().is_corruption());
}

TEST_CASE("a record's expiry is its last version's, and never for tombstones", "[hints]") {
  VersionRecord record;
  CHECK(record_expiry_ms(record) == 0);
  Sibling a;
  a.expires_at_ms = 100;
  Sibling b;
  b.expires_at_ms = 300;
  record.siblings = {a, b};
  CHECK(record_expiry_ms(record) == 300);
  Sibling forever;
  record.siblings.push_back(forever);
  CHECK(record_expiry_ms(record) == 0);
  Sibling tombstone;
  tombstone.tombstone = true;
  record.siblings = {a, tombstone};
  CHECK(record_expiry_ms(record) == 0);
}
