// The quorum coordinator with scripted replies: what it sends, when it answers, and what it
// counts, for writes, reads, read repair, forwarding, speculative retry, timeouts, duplicate and
// late replies.
#include <catch2/catch.hpp>

#include "replication/coordinator.h"
#include "replication_test_util.h"

using namespace pairdb;
using namespace pairdb::replication;
using namespace std::chrono_literals;
using pairdb::replication::testing::apply_ok;
using pairdb::replication::testing::node;
using pairdb::replication::testing::put_write;

namespace {

constexpr OpId kOp = 7;
const Instant kStart = Instant::from_us(1'000'000);
const Instant kDeadline = kStart + 1s;

// Replicas 0..n-1 in `dc` (node ids 1..n); the first is this node when self_first.
std::vector<Replica> replicas_in(std::string dc, size_t n, bool self_first = true,
                                 uint64_t first_id = 1) {
  std::vector<Replica> out;
  for (size_t i = 0; i < n; ++i) {
    out.push_back({node(first_id + i), dc, /*alive=*/true, /*is_self=*/self_first && i == 0});
  }
  return out;
}

// Three dc1 replicas, this node first, with replica `dead` down.
std::vector<Replica> three_with_dead(size_t dead) {
  auto replicas = replicas_in("dc1", 3);
  replicas[dead].alive = false;
  return replicas;
}

QuorumRule rule(Consistency level, std::vector<ring::DcReplication> per_dc,
                std::string_view local = "dc1") {
  ring::ReplicationSpec spec;
  spec.per_dc = std::move(per_dc);
  auto r = quorum_rule(level, spec, local);
  REQUIRE(r.is_ok());
  return *r;
}

WriteRequest write_request(std::vector<Replica> replicas, QuorumRule r, std::string local = "dc1") {
  WriteRequest request;
  request.replicas = std::move(replicas);
  request.rule = std::move(r);
  request.local_dc = std::move(local);
  request.deadline = kDeadline;
  return request;
}

ReadRequest read_request(std::vector<Replica> replicas, QuorumRule r,
                         ReadRepair repair = ReadRepair::kBlocking) {
  ReadRequest request;
  request.replicas = std::move(replicas);
  request.rule = std::move(r);
  request.local_dc = "dc1";
  request.read_repair = repair;
  request.deadline = kDeadline;
  return request;
}

VersionRecord record_of(const std::string& value, uint64_t writer = 1, uint64_t wall_ms = 1000) {
  return apply_ok(VersionRecord{}, put_write(value), node(writer), wall_ms).record;
}

std::vector<size_t> write_targets(const CoordinatorOutbox& out) {
  std::vector<size_t> targets;
  for (const ReplicaWrite& w : out.writes) targets.push_back(w.replica);
  return targets;
}

std::vector<size_t> read_targets(const CoordinatorOutbox& out) {
  std::vector<size_t> targets;
  for (const ReplicaRead& r : out.reads) targets.push_back(r.replica);
  return targets;
}

}  // namespace

TEST_CASE("a QUORUM write applies locally, sends the record to the others, answers at 2 acks") {
  Coordinator c;
  CoordinatorOutbox out;
  c.start_write(kOp, write_request(replicas_in("dc1", 3), rule(Consistency::kQuorum, {{"dc1", 3}})),
                kStart, out);
  REQUIRE(out.local_applies.size() == 1);
  REQUIRE(out.writes.empty());  // Nothing leaves before the local replica minted the dot.
  CHECK(out.next_tick == kDeadline);

  out.clear();
  const VersionRecord stored = record_of("v");
  c.on_local_write(kOp, stored, kStart, out);
  CHECK(write_targets(out) == std::vector<size_t>{1, 2});
  for (const ReplicaWrite& w : out.writes) CHECK(w.record == stored);
  CHECK(out.write_results.empty());

  out.clear();
  c.on_write_ack(kOp, 2, Status::ok(), kStart, out);
  REQUIRE(out.write_results.size() == 1);
  CHECK(out.write_results[0].status.is_ok());
  CHECK(out.write_results[0].acked == 2);
  CHECK(out.write_results[0].required == 2);
  CHECK(out.write_results[0].record == stored);

  out.clear();
  c.on_write_ack(kOp, 2, Status::ok(), kStart, out);  // A duplicate: ignored.
  CHECK(c.counters().late_replies == 0);
  c.on_write_ack(kOp, 1, Status::ok(), kStart, out);  // Late: counted, never waited for.
  CHECK(c.counters().late_replies == 1);
  CHECK(out.write_results.empty());
  CHECK(c.in_flight() == 0);
}

TEST_CASE("a write with too few live replicas is Unavailable at once and applies nothing") {
  Coordinator c;
  CoordinatorOutbox out;
  c.start_write(kOp, write_request(three_with_dead(2), rule(Consistency::kAll, {{"dc1", 3}})),
                kStart, out);
  CHECK(out.local_applies.empty());
  CHECK(out.writes.empty());
  REQUIRE(out.write_results.size() == 1);
  CHECK(out.write_results[0].status.code() == StatusCode::kUnavailable);
  CHECK(out.write_results[0].required == 3);
  // The counts travel on the Status too, so every front end can put them on the wire.
  CHECK(out.write_results[0].status.quorum() == QuorumCount{3, 2});
  CHECK(c.counters().unavailable == 1);
  CHECK(c.in_flight() == 0);
}

TEST_CASE("a write at ONE answers after the local apply, a dead replica is a missed write") {
  Coordinator c;
  CoordinatorOutbox out;
  c.start_write(kOp, write_request(three_with_dead(1), rule(Consistency::kOne, {{"dc1", 3}})),
                kStart, out);
  out.clear();
  c.on_local_write(kOp, record_of("v"), kStart, out);
  REQUIRE(out.write_results.size() == 1);
  CHECK(out.write_results[0].status.is_ok());
  CHECK(write_targets(out) == std::vector<size_t>{2});
  REQUIRE(out.missed_writes.size() == 1);
  CHECK(out.missed_writes[0].replica == node(2));
  CHECK(c.in_flight() == 1);  // Still waiting for replica 2, to count it.
}

TEST_CASE("replicas that fail or stay silent past the deadline are missed writes (hints)") {
  Coordinator c;
  CoordinatorOutbox out;
  c.start_write(kOp, write_request(replicas_in("dc1", 4), rule(Consistency::kOne, {{"dc1", 4}})),
                kStart, out);
  c.on_local_write(kOp, record_of("v"), kStart, out);
  REQUIRE(out.write_results.size() == 1);  // ONE: met by the local apply.
  CHECK(out.missed_writes.empty());
  out.clear();
  c.on_write_ack(kOp, 1, Status::io_error("disk"), kStart, out);
  REQUIRE(out.missed_writes.size() == 1);
  CHECK(out.missed_writes[0].replica == node(2));
  CHECK(out.missed_writes[0].record == record_of("v"));
  out.clear();
  c.on_write_ack(kOp, 2, Status::ok(), kStart, out);
  CHECK(out.missed_writes.empty());
  c.tick(kDeadline, out);  // Replica 3 never answered: a hint, although the write succeeded.
  REQUIRE(out.missed_writes.size() == 1);
  CHECK(out.missed_writes[0].replica == node(4));
  CHECK(out.write_results.empty());  // Answered once, already.
  CHECK(c.in_flight() == 0);
}

TEST_CASE("a write short of its acks at the deadline answers Timeout: unknown outcome") {
  Coordinator c;
  CoordinatorOutbox out;
  c.start_write(kOp, write_request(replicas_in("dc1", 3), rule(Consistency::kQuorum, {{"dc1", 3}})),
                kStart, out);
  c.on_local_write(kOp, record_of("v"), kStart, out);
  out.clear();
  c.tick(kDeadline - 1ms, out);
  CHECK(out.write_results.empty());
  CHECK(out.next_tick == kDeadline);
  c.tick(kDeadline, out);
  REQUIRE(out.write_results.size() == 1);
  const WriteResult& result = out.write_results[0];
  CHECK(result.status.code() == StatusCode::kTimeout);
  CHECK(result.status.message().find("may have been applied") != std::string::npos);
  CHECK(result.acked == 1);
  CHECK(result.required == 2);
  CHECK(result.status.quorum() == QuorumCount{2, 1});
  CHECK(c.counters().timeouts == 1);
  CHECK(c.in_flight() == 0);
  out.clear();
  c.on_write_ack(kOp, 1, Status::ok(), kDeadline, out);  // After the op is gone: nothing.
  CHECK(out.write_results.empty());
}

TEST_CASE("replica errors that make the quorum unreachable answer at once, as unknown outcome") {
  Coordinator c;
  CoordinatorOutbox out;
  c.start_write(kOp, write_request(replicas_in("dc1", 3), rule(Consistency::kAll, {{"dc1", 3}})),
                kStart, out);
  c.on_local_write(kOp, record_of("v"), kStart, out);
  out.clear();
  c.on_write_ack(kOp, 1, Status::busy("overloaded"), kStart, out);
  REQUIRE(out.write_results.size() == 1);
  CHECK(out.write_results[0].status.code() == StatusCode::kTimeout);
  CHECK(out.write_results[0].acked == 1);
}

TEST_CASE("a write the local replica refuses answers that error and sends nothing") {
  Coordinator c;
  CoordinatorOutbox out;
  c.start_write(kOp, write_request(replicas_in("dc1", 3), rule(Consistency::kQuorum, {{"dc1", 3}})),
                kStart, out);
  out.clear();
  c.on_local_write(kOp, Status::invalid_argument("too many siblings"), kStart, out);
  CHECK(out.writes.empty());
  REQUIRE(out.write_results.size() == 1);
  CHECK(out.write_results[0].status.code() == StatusCode::kInvalidArgument);
  CHECK(c.in_flight() == 0);
}

TEST_CASE("a node that is not a replica forwards the write to a live one, local DC first") {
  Coordinator c;
  CoordinatorOutbox out;
  auto replicas = replicas_in("dc1", 2, /*self_first=*/false);
  auto remote = replicas_in("dc2", 2, /*self_first=*/false, 10);
  replicas.insert(replicas.end(), remote.begin(), remote.end());
  replicas[2].alive = false;  // The first dc2 replica is down: the second is asked.
  c.start_write(
      kOp, write_request(replicas, rule(Consistency::kQuorum, {{"dc1", 2}, {"dc2", 2}}), "dc2"),
      kStart, out);
  CHECK(out.local_applies.empty());
  REQUIRE(out.forwards.size() == 1);
  CHECK(out.forwards[0].replica == 3);
  CHECK(c.counters().forwards == 1);

  out.clear();
  WriteResult reply{kOp, Status::ok(), record_of("v", 11), 3, 3};
  c.on_forward_reply(kOp, reply, kStart, out);
  REQUIRE(out.write_results.size() == 1);
  CHECK(out.write_results[0].status.is_ok());
  CHECK(out.write_results[0].acked == 3);
  CHECK(c.in_flight() == 0);
}

TEST_CASE("a keyed write is applied by its owner, the first live replica, whoever receives it") {
  const auto quorum = rule(Consistency::kQuorum, {{"dc1", 3}});
  // This node is the third replica: an unkeyed write is applied here...
  auto replicas = replicas_in("dc1", 3, /*self_first=*/false);
  replicas[2].is_self = true;
  {
    Coordinator c;
    CoordinatorOutbox out;
    c.start_write(kOp, write_request(replicas, quorum), kStart, out);
    CHECK(out.local_applies.size() == 1);
    CHECK(out.forwards.empty());
  }
  // ...a keyed one goes to the owner (the first replica), so a retry through any node meets the
  // first attempt's idempotency entry there...
  {
    Coordinator c;
    CoordinatorOutbox out;
    WriteRequest keyed = write_request(replicas, quorum);
    keyed.keyed = true;
    c.start_write(kOp, keyed, kStart, out);
    CHECK(out.local_applies.empty());
    REQUIRE(out.forwards.size() == 1);
    CHECK(out.forwards[0].replica == 0);
    CHECK(c.counters().forwards == 1);
  }
  // ...or to the next live one when the first is down...
  {
    Coordinator c;
    CoordinatorOutbox out;
    auto first_down = replicas;
    first_down[0].alive = false;
    WriteRequest keyed = write_request(first_down, quorum);
    keyed.keyed = true;
    c.start_write(kOp, keyed, kStart, out);
    REQUIRE(out.forwards.size() == 1);
    CHECK(out.forwards[0].replica == 1);
  }
  // ...and a forwarded keyed write is applied where it arrives: never forwarded again.
  {
    Coordinator c;
    CoordinatorOutbox out;
    WriteRequest forwarded = write_request(replicas, quorum);
    forwarded.keyed = true;
    forwarded.forwarded = true;
    c.start_write(kOp, forwarded, kStart, out);
    CHECK(out.local_applies.size() == 1);
    CHECK(out.forwards.empty());
  }
}

TEST_CASE("EACH_QUORUM needs a majority in every DC, LOCAL_QUORUM only in the local one") {
  auto replicas = replicas_in("dc1", 3);
  auto remote = replicas_in("dc2", 3, /*self_first=*/false, 10);
  replicas.insert(replicas.end(), remote.begin(), remote.end());
  const std::vector<ring::DcReplication> spec{{"dc1", 3}, {"dc2", 3}};

  Coordinator each;
  CoordinatorOutbox out;
  each.start_write(kOp, write_request(replicas, rule(Consistency::kEachQuorum, spec)), kStart, out);
  each.on_local_write(kOp, record_of("v"), kStart, out);
  out.clear();
  each.on_write_ack(kOp, 1, Status::ok(), kStart, out);
  each.on_write_ack(kOp, 2, Status::ok(), kStart, out);
  each.on_write_ack(kOp, 3, Status::ok(), kStart, out);
  CHECK(out.write_results.empty());  // All of dc1 and one of dc2.
  each.on_write_ack(kOp, 4, Status::ok(), kStart, out);
  REQUIRE(out.write_results.size() == 1);
  CHECK(out.write_results[0].acked == 5);

  Coordinator local;
  out.clear();
  local.start_write(kOp, write_request(replicas, rule(Consistency::kLocalQuorum, spec)), kStart,
                    out);
  local.on_local_write(kOp, record_of("v"), kStart, out);
  out.clear();
  local.on_write_ack(kOp, 3, Status::ok(), kStart, out);
  local.on_write_ack(kOp, 4, Status::ok(), kStart, out);
  CHECK(out.write_results.empty());  // dc2's acks do not count for dc1's LOCAL_QUORUM.
  local.on_write_ack(kOp, 1, Status::ok(), kStart, out);
  REQUIRE(out.write_results.size() == 1);
  CHECK(out.write_results[0].status.is_ok());
}

TEST_CASE("a QUORUM read asks this node and one more, equal answers need no repair") {
  Coordinator c;
  CoordinatorOutbox out;
  c.start_read(kOp, read_request(replicas_in("dc1", 3), rule(Consistency::kQuorum, {{"dc1", 3}})),
               kStart, out);
  CHECK(read_targets(out) == std::vector<size_t>{0, 1});
  const VersionRecord stored = record_of("v");
  out.clear();
  c.on_read_reply(kOp, 0, stored, kStart, out);
  CHECK(out.read_results.empty());
  c.on_read_reply(kOp, 1, stored, kStart, out);
  REQUIRE(out.read_results.size() == 1);
  CHECK(out.read_results[0].status.is_ok());
  CHECK(out.read_results[0].record == stored);
  CHECK(out.writes.empty());
  CHECK(c.in_flight() == 0);
}

TEST_CASE("blocking read repair answers only after the stale replica acked the merged record") {
  Coordinator c;
  CoordinatorOutbox out;
  c.start_read(kOp, read_request(replicas_in("dc1", 3), rule(Consistency::kQuorum, {{"dc1", 3}})),
               kStart, out);
  const VersionRecord newer = record_of("new", 1, 2000);
  out.clear();
  c.on_read_reply(kOp, 0, newer, kStart, out);
  c.on_read_reply(kOp, 1, VersionRecord{}, kStart, out);  // Replica 1 missed the write.
  CHECK(out.read_results.empty());
  REQUIRE(out.writes.size() == 1);
  CHECK(out.writes[0].repair);
  CHECK(out.writes[0].replica == 1);
  CHECK(out.writes[0].record == newer);
  CHECK(c.counters().read_repairs_blocking == 1);

  out.clear();
  c.on_repair_ack(kOp, 1, Status::ok(), kStart, out);
  REQUIRE(out.read_results.size() == 1);
  CHECK(out.read_results[0].status.is_ok());
  CHECK(out.read_results[0].record == newer);
  CHECK(c.in_flight() == 0);
}

TEST_CASE("async read repair answers at once, off never repairs, ONE never blocks") {
  const VersionRecord newer = record_of("new", 1, 2000);
  for (const ReadRepair mode : {ReadRepair::kAsync, ReadRepair::kOff}) {
    Coordinator c;
    CoordinatorOutbox out;
    c.start_read(
        kOp, read_request(replicas_in("dc1", 3), rule(Consistency::kQuorum, {{"dc1", 3}}), mode),
        kStart, out);
    c.on_read_reply(kOp, 0, newer, kStart, out);
    c.on_read_reply(kOp, 1, VersionRecord{}, kStart, out);
    REQUIRE(out.read_results.size() == 1);
    CHECK(out.read_results[0].record == newer);
    CHECK(out.writes.size() == (mode == ReadRepair::kAsync ? 1u : 0u));
    CHECK(c.counters().read_repairs_async == (mode == ReadRepair::kAsync ? 1u : 0u));
  }
  // A late stale reply to a ONE read is repaired without holding anything up.
  Coordinator one({.speculative_delay = Duration::zero()});
  CoordinatorOutbox out;
  one.start_read(kOp, read_request(replicas_in("dc1", 3), rule(Consistency::kOne, {{"dc1", 3}})),
                 kStart, out);
  CHECK(read_targets(out) == std::vector<size_t>{0});
  one.on_read_reply(kOp, 0, newer, kStart, out);
  REQUIRE(out.read_results.size() == 1);
  CHECK(one.in_flight() == 0);
}

TEST_CASE("a read short of its rule after the speculative delay asks one more replica") {
  Coordinator c({.speculative_delay = 20ms});
  CoordinatorOutbox out;
  c.start_read(kOp, read_request(replicas_in("dc1", 3), rule(Consistency::kQuorum, {{"dc1", 3}})),
               kStart, out);
  CHECK(out.next_tick == kStart + 20ms);
  const VersionRecord stored = record_of("v");
  c.on_read_reply(kOp, 0, stored, kStart, out);
  out.clear();
  c.tick(kStart + 20ms, out);  // Replica 1 is slow.
  CHECK(read_targets(out) == std::vector<size_t>{2});
  CHECK(c.counters().speculative_retries == 1);
  c.on_read_reply(kOp, 2, stored, kStart + 21ms, out);
  REQUIRE(out.read_results.size() == 1);
  CHECK(out.read_results[0].status.is_ok());
  out.clear();
  c.on_read_reply(kOp, 1, stored, kStart + 30ms, out);  // Late and equal: counted, no repair.
  CHECK(c.counters().late_replies == 1);
  CHECK(out.writes.empty());
  CHECK(c.in_flight() == 0);
}

TEST_CASE("a replica that fails a read, or answers an invalid record, is replaced") {
  Coordinator c({.speculative_delay = Duration::zero()});
  CoordinatorOutbox out;
  c.start_read(kOp, read_request(replicas_in("dc1", 3), rule(Consistency::kQuorum, {{"dc1", 3}})),
               kStart, out);
  const VersionRecord stored = record_of("v");
  c.on_read_reply(kOp, 0, stored, kStart, out);
  out.clear();
  VersionRecord invalid = stored;
  invalid.siblings.push_back(invalid.siblings[0]);  // Two siblings with one dot.
  c.on_read_reply(kOp, 1, invalid, kStart, out);
  CHECK(read_targets(out) == std::vector<size_t>{2});
  CHECK(out.read_results.empty());
  c.on_read_reply(kOp, 2, Status::io_error("disk"), kStart, out);
  REQUIRE(out.read_results.size() == 1);  // Nobody left to ask.
  CHECK(out.read_results[0].status.code() == StatusCode::kUnavailable);
  CHECK(out.read_results[0].answered == 1);
}

TEST_CASE("a read short of its rule at the deadline answers Timeout with its counts") {
  Coordinator c({.speculative_delay = Duration::zero()});
  CoordinatorOutbox out;
  c.start_read(kOp, read_request(replicas_in("dc1", 3), rule(Consistency::kAll, {{"dc1", 3}})),
               kStart, out);
  CHECK(read_targets(out) == std::vector<size_t>{0, 1, 2});
  c.on_read_reply(kOp, 0, record_of("v"), kStart, out);
  out.clear();
  c.tick(kDeadline, out);
  REQUIRE(out.read_results.size() == 1);
  CHECK(out.read_results[0].status.code() == StatusCode::kTimeout);
  CHECK(out.read_results[0].answered == 1);
  CHECK(out.read_results[0].status.quorum() == QuorumCount{3, 1});
  CHECK(out.read_results[0].required == 3);
  CHECK(c.in_flight() == 0);
}

TEST_CASE("an EACH_QUORUM read asks enough replicas in every DC") {
  auto replicas = replicas_in("dc1", 3);
  auto remote = replicas_in("dc2", 3, /*self_first=*/false, 10);
  replicas.insert(replicas.end(), remote.begin(), remote.end());
  Coordinator c;
  CoordinatorOutbox out;
  c.start_read(kOp,
               read_request(replicas, rule(Consistency::kEachQuorum, {{"dc1", 3}, {"dc2", 3}})),
               kStart, out);
  CHECK(read_targets(out) == std::vector<size_t>{0, 1, 3, 4});
}

TEST_CASE("a read waiting for its repair does not ask to be woken for a passed speculation") {
  // Regression (found by coordinator_random_test): the stale speculation time was rescheduled
  // on every tick, so the driver's timer fired again at once, forever.
  Coordinator c({.speculative_delay = 20ms});
  CoordinatorOutbox out;
  c.start_read(kOp, read_request(replicas_in("dc1", 3), rule(Consistency::kQuorum, {{"dc1", 3}})),
               kStart, out);
  c.on_read_reply(kOp, 0, record_of("new", 1, 2000), kStart, out);
  c.on_read_reply(kOp, 1, VersionRecord{}, kStart, out);  // Stale: a blocking repair goes out.
  REQUIRE(out.writes.size() == 1);
  out.clear();
  c.tick(kStart + 30ms, out);
  CHECK(out.reads.empty());  // No speculation while the repair is outstanding.
  CHECK(out.next_tick == kDeadline);
}

namespace {

// Three dc1 replicas (this node first) with `dead` of them down from the end, and `fallbacks`
// live dc1 fallbacks (node ids 11..).
WriteRequest sloppy_request(size_t dead, size_t fallbacks, bool sloppy, Consistency level) {
  auto replicas = replicas_in("dc1", 3);
  for (size_t i = 0; i < dead; ++i) replicas[2 - i].alive = false;
  WriteRequest request = write_request(std::move(replicas), rule(level, {{"dc1", 3}}));
  request.fallbacks = replicas_in("dc1", fallbacks, /*self_first=*/false, 11);
  request.sloppy = sloppy;
  return request;
}

}  // namespace

TEST_CASE("sloppy quorum: fallbacks stand in for dead replicas and their acks count") {
  Coordinator c;
  CoordinatorOutbox out;
  c.start_write(kOp, sloppy_request(2, 2, /*sloppy=*/true, Consistency::kQuorum), kStart, out);
  REQUIRE(out.write_results.empty());  // Not Unavailable: two fallbacks stand in.
  REQUIRE(out.local_applies.size() == 1);
  out.clear();
  c.on_local_write(kOp, record_of("v"), kStart, out);
  CHECK(out.missed_writes.empty());  // The fallbacks keep the hints, not this coordinator.
  REQUIRE(out.writes.size() == 2);
  CHECK(write_targets(out) == std::vector<size_t>{3, 4});  // Past the 3 naturals: fallbacks.
  CHECK(out.writes[0].to == node(11));
  CHECK(out.writes[0].hint_for == node(2));
  CHECK(out.writes[1].to == node(12));
  CHECK(out.writes[1].hint_for == node(3));
  out.clear();
  c.on_write_ack(kOp, 3, Status::ok(), kStart, out);
  REQUIRE(out.write_results.size() == 1);
  CHECK(out.write_results[0].status.is_ok());
  CHECK(out.write_results[0].acked == 2);
  // The other fallback fails: its replica's hint falls back to this coordinator.
  out.clear();
  c.on_write_ack(kOp, 4, Status::io_error("disk"), kStart, out);
  REQUIRE(out.missed_writes.size() == 1);
  CHECK(out.missed_writes[0].replica == node(3));
  CHECK(c.in_flight() == 0);
}

TEST_CASE("without sloppy quorum fallbacks are not used and only natural acks count") {
  Coordinator c;
  CoordinatorOutbox out;
  c.start_write(kOp, sloppy_request(2, 2, /*sloppy=*/false, Consistency::kQuorum), kStart, out);
  REQUIRE(out.write_results.size() == 1);
  CHECK(out.write_results[0].status.code() == StatusCode::kUnavailable);
  CHECK(out.write_results[0].status.quorum() == QuorumCount{2, 1});
  CHECK(out.local_applies.empty());  // Nothing written.

  out.clear();
  c.start_write(kOp + 1, sloppy_request(1, 2, /*sloppy=*/false, Consistency::kQuorum), kStart, out);
  c.on_local_write(kOp + 1, record_of("v"), kStart, out);
  CHECK(write_targets(out) == std::vector<size_t>{1});  // The live natural only.
  REQUIRE(out.missed_writes.size() == 1);               // The dead one: a hint kept here.
  CHECK(out.missed_writes[0].replica == node(3));
}

TEST_CASE(
    "sloppy quorum: too few live fallbacks is still Unavailable, and a failed replica "
    "gets a stand-in") {
  Coordinator c;
  CoordinatorOutbox out;
  c.start_write(kOp, sloppy_request(2, 0, /*sloppy=*/true, Consistency::kQuorum), kStart, out);
  REQUIRE(out.write_results.size() == 1);
  CHECK(out.write_results[0].status.code() == StatusCode::kUnavailable);

  out.clear();
  c.start_write(kOp + 1, sloppy_request(0, 1, /*sloppy=*/true, Consistency::kAll), kStart, out);
  c.on_local_write(kOp + 1, record_of("v"), kStart, out);
  CHECK(write_targets(out) == std::vector<size_t>{1, 2});
  out.clear();
  c.on_write_ack(kOp + 1, 2, Status::unavailable("connection lost"), kStart, out);
  CHECK(out.missed_writes.empty());
  REQUIRE(out.writes.size() == 1);  // The fallback stands in for the failed replica.
  CHECK(out.writes[0].to == node(11));
  CHECK(out.writes[0].hint_for == node(3));
  out.clear();
  c.on_write_ack(kOp + 1, 1, Status::ok(), kStart, out);
  CHECK(out.write_results.empty());
  c.on_write_ack(kOp + 1, 3, Status::ok(), kStart, out);
  REQUIRE(out.write_results.size() == 1);
  CHECK(out.write_results[0].status.is_ok());
}

TEST_CASE("a fallback in another DC never stands in: LOCAL_QUORUM counts local fallbacks only") {
  Coordinator c;
  CoordinatorOutbox out;
  auto replicas = replicas_in("dc1", 3);
  replicas[1].alive = false;
  replicas[2].alive = false;
  WriteRequest request =
      write_request(std::move(replicas), rule(Consistency::kLocalQuorum, {{"dc1", 3}, {"dc2", 3}}));
  request.fallbacks = replicas_in("dc2", 2, /*self_first=*/false, 21);
  request.sloppy = true;
  c.start_write(kOp, std::move(request), kStart, out);
  REQUIRE(out.write_results.size() == 1);
  CHECK(out.write_results[0].status.code() == StatusCode::kUnavailable);
}

TEST_CASE("sloppy quorum: replicas silent past the stand-in delay get stand-ins, counted once") {
  CoordinatorConfig config;
  config.stand_in_delay = 100ms;
  Coordinator c(config);
  CoordinatorOutbox out;
  c.start_write(kOp, sloppy_request(0, 2, /*sloppy=*/true, Consistency::kAll), kStart, out);
  c.on_local_write(kOp, record_of("v"), kStart, out);
  CHECK(write_targets(out) == std::vector<size_t>{1, 2});
  CHECK(out.next_tick == kStart + 100ms);
  out.clear();
  c.tick(kStart + 99ms, out);
  CHECK(out.writes.empty());
  c.tick(kStart + 100ms, out);  // Both naturals are silent: a stand-in each.
  REQUIRE(out.writes.size() == 2);
  CHECK(out.writes[0].hint_for == node(2));
  CHECK(out.writes[1].hint_for == node(3));
  CHECK(c.counters().stand_ins_on_silence == 2);
  out.clear();
  // Replica 2 answers after all, and so does its stand-in: they count once, as replica 2.
  c.on_write_ack(kOp, 1, Status::ok(), kStart + 120ms, out);
  c.on_write_ack(kOp, 3, Status::ok(), kStart + 121ms, out);
  CHECK(out.write_results.empty());                           // ALL: 2 of 3 so far.
  c.on_write_ack(kOp, 4, Status::ok(), kStart + 122ms, out);  // Replica 3's stand-in.
  REQUIRE(out.write_results.size() == 1);
  CHECK(out.write_results[0].status.is_ok());
  CHECK(out.write_results[0].acked == 3);
  out.clear();
  c.tick(kDeadline, out);  // Replica 3 never answered, but its stand-in holds the hint.
  CHECK(out.missed_writes.empty());
  CHECK(c.in_flight() == 0);
}

TEST_CASE("the stand-in is the first live fallback of the replica's DC, in preference order") {
  Coordinator c;
  CoordinatorOutbox out;
  WriteRequest request = sloppy_request(1, 3, /*sloppy=*/true, Consistency::kAll);
  // The ring's fallbacks in preference order (it already spreads them over racks): the first
  // is dead, the second is in another DC, the third is the one to use.
  request.fallbacks[0].alive = false;
  request.fallbacks[1].dc = "dc2";
  c.start_write(kOp, std::move(request), kStart, out);
  c.on_local_write(kOp, record_of("v"), kStart, out);
  REQUIRE(out.writes.size() == 2);
  CHECK(out.writes[0].to == node(2));  // The live natural replica.
  CHECK(out.writes[1].to == node(13));
  CHECK(out.writes[1].hint_for == node(3));
}

TEST_CASE(
    "the self-alone shortcuts hold exactly when the coordinator's exchange is one local step") {
  struct Case {
    std::string name;
    std::vector<Replica> replicas;
    QuorumRule rule;
  };
  auto two_dcs = [] {
    auto replicas = replicas_in("dc1", 2);
    for (auto& r : replicas_in("dc2", 2, /*self_first=*/false, 10)) replicas.push_back(r);
    return replicas;
  };
  auto self_dead = replicas_in("dc1", 1);
  self_dead[0].alive = false;
  const std::vector<Case> cases = {
      {"RF1 ONE", replicas_in("dc1", 1), rule(Consistency::kOne, {{"dc1", 1}})},
      {"RF1 QUORUM", replicas_in("dc1", 1), rule(Consistency::kQuorum, {{"dc1", 1}})},
      {"RF1 ALL", replicas_in("dc1", 1), rule(Consistency::kAll, {{"dc1", 1}})},
      {"RF1 self dead", self_dead, rule(Consistency::kOne, {{"dc1", 1}})},
      {"RF3 ONE", replicas_in("dc1", 3), rule(Consistency::kOne, {{"dc1", 3}})},
      {"RF3 ONE self down the list",
       [] {
         auto r = replicas_in("dc1", 3, false);
         r[2].is_self = true;
         return r;
       }(),
       rule(Consistency::kOne, {{"dc1", 3}})},
      {"RF3 QUORUM", replicas_in("dc1", 3), rule(Consistency::kQuorum, {{"dc1", 3}})},
      {"RF3 ONE not a replica", replicas_in("dc1", 3, false),
       rule(Consistency::kOne, {{"dc1", 3}})},
      {"2 DCs LOCAL_ONE", two_dcs(), rule(Consistency::kLocalOne, {{"dc1", 2}, {"dc2", 2}})},
      {"2 DCs EACH_QUORUM", two_dcs(), rule(Consistency::kEachQuorum, {{"dc1", 2}, {"dc2", 2}})},
  };
  const VersionRecord stored = record_of("v");
  for (const Case& test : cases) {
    SECTION(test.name) {
      // Reads: the coordinator asks this node alone and answers its record, nothing else.
      ReadRequest read = read_request(test.replicas, test.rule);
      Coordinator c;
      CoordinatorOutbox out;
      c.start_read(kOp, read, kStart, out);
      bool one_local_step = out.reads.size() == 1 && test.replicas[out.reads[0].replica].is_self;
      if (one_local_step) {
        const size_t self = out.reads[0].replica;
        out.clear();
        c.on_read_reply(kOp, self, stored, kStart, out);
        one_local_step = out.read_results.size() == 1 && out.read_results[0].status.is_ok() &&
                         out.read_results[0].record == stored && out.writes.empty() &&
                         out.reads.empty();
      }
      CHECK(self_answers_read(read) == one_local_step);

      // Writes: the local apply answers, success or failure, and nothing goes anywhere else.
      WriteRequest write = write_request(test.replicas, test.rule);
      bool whole = true;
      for (const bool applied : {true, false}) {
        Coordinator w;
        CoordinatorOutbox wout;
        w.start_write(kOp, write, kStart, wout);
        if (wout.local_applies.size() != 1 || !wout.forwards.empty()) {
          whole = false;
          break;
        }
        wout.clear();
        w.on_local_write(kOp, applied ? Result<VersionRecord>(stored) : Status::io_error("disk"),
                         kStart, wout);
        whole = whole && wout.write_results.size() == 1 &&
                wout.write_results[0].status.is_ok() == applied && wout.writes.empty() &&
                wout.missed_writes.empty() && w.in_flight() == 0;
      }
      CHECK(self_is_whole_write(write) == whole);
    }
  }
  // The shortcuts apply where they should: a single-replica table, and reads at ONE here.
  CHECK(self_is_whole_write(
      write_request(replicas_in("dc1", 1), rule(Consistency::kOne, {{"dc1", 1}}))));
  CHECK(self_answers_read(
      read_request(replicas_in("dc1", 3), rule(Consistency::kOne, {{"dc1", 3}}))));
  CHECK_FALSE(self_is_whole_write(
      write_request(replicas_in("dc1", 3), rule(Consistency::kOne, {{"dc1", 3}}))));
}
