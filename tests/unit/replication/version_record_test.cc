// apply_write, visible and is_purgeable: what a client observes of one item.
#include <catch2/catch.hpp>

#include <pairdb/replication/version.h>

#include "replication_test_util.h"

using namespace pairdb;
using namespace pairdb::replication;
using namespace pairdb::replication::testing;

namespace {

std::vector<std::string> live_values(const VersionRecord& record, uint64_t now_ms = 0) {
  std::vector<std::string> out;
  for (const Sibling& s : visible(record, now_ms).live) out.push_back(s.value);
  return out;
}

using Values = std::vector<std::string>;

}  // namespace

TEST_CASE("blind concurrent writes become siblings", "[version]") {
  const WriteOutcome a = apply_ok({}, put_write("a"), node(1), 100);
  CHECK(a.dot == Dot{node(1), 1});
  const WriteOutcome b = apply_ok(a.record, put_write("b"), node(1), 101);
  CHECK(b.dot == Dot{node(1), 2});
  CHECK(live_values(b.record) == Values{"a", "b"});
  CHECK(b.record.context.get(node(1)) == 2);

  // The same on two replicas, joined by merge.
  const WriteOutcome c = apply_ok({}, put_write("c"), node(2), 102);
  const VersionRecord joined = merge(b.record, c.record, ConflictMode::kSiblings);
  CHECK(live_values(joined) == Values{"a", "b", "c"});
}

TEST_CASE("a write with a read's context replaces exactly what that read saw", "[version]") {
  const WriteOutcome a = apply_ok({}, put_write("a"), node(1), 100);
  const ItemView read_a = visible(a.record, 100);  // The client saw only "a".
  const WriteOutcome b = apply_ok(a.record, put_write("b"), node(1), 101);  // Concurrent.
  const WriteOutcome c = apply_ok(b.record, put_write("c", read_a.context), node(1), 102);
  CHECK(live_values(c.record) == Values{"b", "c"});

  const ItemView read_all = visible(c.record, 102);
  const WriteOutcome d = apply_ok(c.record, put_write("d", read_all.context), node(2), 103);
  CHECK(live_values(d.record) == Values{"d"});
  CHECK(d.dot == Dot{node(2), 1});
  CHECK(d.record.context.descends(read_all.context));
}

TEST_CASE("a delete with context hides the item and a later write supersedes it", "[version]") {
  const WriteOutcome a = apply_ok({}, put_write("a"), node(1), 100);
  const WriteOutcome del =
      apply_ok(a.record, delete_write(visible(a.record, 100).context), node(1), 101);
  REQUIRE(del.record.siblings.size() == 1);
  CHECK(del.record.siblings[0].tombstone);
  const ItemView after_delete = visible(del.record, 101);
  CHECK_FALSE(after_delete.found());
  CHECK(after_delete.context == del.record.context);  // Returned although nothing is live.

  const WriteOutcome again =
      apply_ok(del.record, put_write("b", after_delete.context), node(1), 102);
  REQUIRE(again.record.siblings.size() == 1);  // The tombstone is gone.
  CHECK(live_values(again.record) == Values{"b"});
}

TEST_CASE("a delete ignores a value and expiry it was given", "[version]") {
  LocalWrite w = delete_write({});
  w.value = "junk";
  w.content_type = "text/plain";
  w.expires_at_ms = 5;
  const WriteOutcome out = apply_ok({}, w, node(1), 100);
  CHECK(out.record.siblings[0].value.empty());
  CHECK(out.record.siblings[0].content_type.empty());
  CHECK(out.record.siblings[0].expires_at_ms == 0);
  CHECK(validate_record(out.record).is_ok());
}

TEST_CASE("lww keeps the sibling with the newest timestamp, ties broken by dot", "[version]") {
  WritePolicy lww;
  lww.mode = ConflictMode::kLww;
  const WriteOutcome a = apply_ok({}, put_write("a"), node(1), 200, lww);
  // A blind write with an older timestamp loses, though its dot is recorded as seen.
  const WriteOutcome older = apply_ok(a.record, put_write("old"), node(1), 150, lww);
  CHECK(live_values(older.record) == Values{"a"});
  CHECK(older.record.context.covers(older.dot));
  const WriteOutcome newer = apply_ok(older.record, put_write("new"), node(1), 300, lww);
  CHECK(live_values(newer.record) == Values{"new"});

  // Equal timestamps on two replicas: the higher dot wins, whichever way they merge.
  const WriteOutcome x = apply_ok({}, put_write("x"), node(1), 500, lww);
  const WriteOutcome y = apply_ok({}, put_write("y"), node(2), 500, lww);
  CHECK(live_values(merge(x.record, y.record, ConflictMode::kLww)) == Values{"y"});
  CHECK(live_values(merge(y.record, x.record, ConflictMode::kLww)) == Values{"y"});
  const WriteOutcome z = apply_ok(y.record, put_write("z"), node(1), 500, lww);  // Blind tie.
  CHECK(live_values(z.record) == Values{"y"});
}

TEST_CASE("lww: a write that saw the current value wins even with a lagging clock", "[version]") {
  WritePolicy lww;
  lww.mode = ConflictMode::kLww;
  const WriteOutcome a = apply_ok({}, put_write("a"), node(1), 900, lww);
  const WriteOutcome b = apply_ok(a.record, put_write("b", a.record.context), node(2), 100, lww);
  CHECK(live_values(b.record) == Values{"b"});
  CHECK(b.record.siblings[0].timestamp > a.record.siblings[0].timestamp);
  // And it stays the winner when a replica that only has "a" merges with it.
  CHECK(live_values(merge(a.record, b.record, ConflictMode::kLww)) == Values{"b"});
}

TEST_CASE("an idempotent retry is a duplicate within the window and applies after it",
          "[version][idempotency]") {
  WritePolicy policy;
  policy.idempotency_window_ms = 1000;
  const WriteOutcome first = apply_ok({}, put_write("v", {}, "req-1"), node(1), 100, policy);
  const WriteOutcome retry =
      apply_ok(first.record, put_write("v", {}, "req-1"), node(1), 1099, policy);
  CHECK(retry.duplicate);
  CHECK(retry.dot == first.dot);
  CHECK(retry.record == first.record);
  CHECK(retry.record.siblings.size() == 1);

  const WriteOutcome late =
      apply_ok(first.record, put_write("v", {}, "req-1"), node(1), 1100, policy);
  CHECK_FALSE(late.duplicate);
  CHECK(late.dot == Dot{node(1), 2});
  CHECK(late.record.siblings.size() == 2);
  REQUIRE(late.record.idempotency.size() == 1);
  CHECK(late.record.idempotency[0].applied_at_ms == 1100);
  CHECK(late.record.idempotency[0].dot == late.dot);
}

TEST_CASE("a retry coordinated by another replica is a duplicate once the record is merged",
          "[version][idempotency]") {
  const WriteOutcome first = apply_ok({}, put_write("v", {}, "req-9"), node(1), 100);
  const VersionRecord replica2 = merge({}, first.record, ConflictMode::kSiblings);
  const WriteOutcome retry = apply_ok(replica2, put_write("v", {}, "req-9"), node(2), 200);
  CHECK(retry.duplicate);
  CHECK(retry.dot == Dot{node(1), 1});
}

TEST_CASE("idempotency keys beyond keys_max evict the oldest first", "[version][idempotency]") {
  WritePolicy policy;
  policy.idempotency_keys_max = 3;
  VersionRecord record;
  for (int i = 0; i < 4; ++i) {
    record = apply_ok(record, put_write("v", {}, "k" + std::to_string(i)), node(1), 100 + i, policy)
                 .record;
  }
  REQUIRE(record.idempotency.size() == 3);
  CHECK(record.idempotency[0].key == "k1");
  CHECK(record.idempotency[2].key == "k3");
  CHECK_FALSE(apply_ok(record, put_write("v", {}, "k0"), node(1), 200, policy).duplicate);
  CHECK(apply_ok(record, put_write("v", {}, "k1"), node(1), 200, policy).duplicate);
}

TEST_CASE("the sibling limit refuses a write and leaves the record unchanged", "[version]") {
  WritePolicy policy;
  policy.siblings_warn = 2;
  policy.siblings_max = 3;
  VersionRecord record;
  bool warned = false;
  for (int i = 0; i < 3; ++i) {
    const WriteOutcome out = apply_ok(record, put_write(std::to_string(i)), node(1), 100, policy);
    record = out.record;
    warned = out.siblings_warn;
  }
  CHECK(warned);  // 3 > siblings_warn.
  const VersionRecord before = record;
  auto refused =
      apply_write(record, put_write("x"), node(1), HlcTimestamp::from_parts(101, 0), 101, policy);
  REQUIRE_FALSE(refused.is_ok());
  CHECK(is_sibling_limit(refused.status()));
  CHECK(is_sibling_limit(refused.status().with_context("put t/k")));
  CHECK(refused.status().message().find("item has 3 siblings (max 3)") != std::string::npos);
  CHECK(record == before);
  // Writing with the merged context resolves it.
  const WriteOutcome resolved =
      apply_ok(record, put_write("merged", visible(record, 101).context), node(1), 101, policy);
  CHECK(live_values(resolved.record) == Values{"merged"});
  CHECK_FALSE(resolved.siblings_warn);
  CHECK_FALSE(is_sibling_limit(Status::invalid_argument("value too large")));
}

TEST_CASE("a context whose counter for self is at the maximum is refused", "[version]") {
  auto vv = VersionVector::from_entries({Dot{node(1), UINT64_MAX}});
  REQUIRE(vv.is_ok());
  auto out = apply_write({}, put_write("v", *vv), node(1), HlcTimestamp::from_parts(1, 0), 1, {});
  REQUIRE_FALSE(out.is_ok());
  CHECK(out.status().is_invalid_argument());
  CHECK_FALSE(is_sibling_limit(out.status()));
}

TEST_CASE("a value with a TTL is visible before it expires and absent after", "[version][ttl]") {
  LocalWrite w = put_write("temp");
  w.expires_at_ms = 5000;
  const WriteOutcome out = apply_ok({}, w, node(1), 1000);
  CHECK(visible(out.record, 4999).found());
  CHECK_FALSE(visible(out.record, 5000).found());
  CHECK(visible(out.record, 5000).context == out.record.context);
  // A sibling without a TTL stays visible next to it.
  const WriteOutcome other = apply_ok(out.record, put_write("keep"), node(2), 1001);
  CHECK(live_values(other.record, 6000) == Values{"keep"});
}

TEST_CASE("is_purgeable waits for the grace period after a delete or expiry", "[version][gc]") {
  constexpr uint64_t kGrace = 10'000;
  const WriteOutcome a = apply_ok({}, put_write("a"), node(1), 1000);
  CHECK_FALSE(is_purgeable(a.record, 1'000'000, kGrace));  // Live.
  const WriteOutcome del = apply_ok(a.record, delete_write(a.record.context), node(1), 2000);
  CHECK_FALSE(is_purgeable(del.record, 2000 + kGrace - 1, kGrace));
  CHECK(is_purgeable(del.record, 2000 + kGrace, kGrace));

  LocalWrite ttl = put_write("t");
  ttl.expires_at_ms = 3000;
  const WriteOutcome expiring = apply_ok({}, ttl, node(1), 1000);
  CHECK_FALSE(is_purgeable(expiring.record, 2999, kGrace));
  CHECK_FALSE(is_purgeable(expiring.record, 3000 + kGrace - 1, kGrace));
  CHECK(is_purgeable(expiring.record, 3000 + kGrace, kGrace));

  // A tombstone next to a live sibling keeps the record.
  const WriteOutcome mixed = apply_ok(del.record, put_write("b"), node(2), 2001);
  CHECK_FALSE(is_purgeable(mixed.record, 1'000'000, kGrace));
  CHECK(is_purgeable(VersionRecord{}, 0, kGrace));
  CHECK_FALSE(is_purgeable(del.record, 2000 + kGrace, UINT64_MAX));  // No overflow.
}
