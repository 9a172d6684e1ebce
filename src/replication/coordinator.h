// Coordinator: the quorum coordinator of one node, as a sans-IO state machine in the style of
// SwimCore. Client operations, replica replies and the current time go in; replica requests,
// client results and the next timer deadline come out in a CoordinatorOutbox. No sockets,
// threads or clocks inside: the daemon's replication driver runs it, and tests/sim runs the
// same code.
//
// Writes. A dot is minted only by a replica of the key. When this node is one, start_write asks
// its driver to apply the write to the local ReplicaStore (local_applies); on_local_write then
// sends the resulting record to every other live replica (which merges it: a join, so duplicates
// and reordering are harmless) and answers once the rule's acks have arrived, the local one
// included. When this node is not a replica it forwards the write to one (alive, local DC
// first) and relays that replica's answer. A keyed write (one with an idempotency key) is
// applied by its owner: the first live replica in preference order, local DC first, so a retry
// through any coordinator of the DC meets the first attempt's idempotency entry; a replica that
// is not the owner forwards it there. A forwarded write is applied where it arrives (the
// sender's view of the owner wins; forwarding again could bounce). Nothing is applied when too
// few replicas are alive:
// the answer is Unavailable, at once. A deadline that passes short of the rule answers Timeout,
// which means "unknown outcome": the write may have been applied. A live replica that is not
// sent the write (none yet: every live replica is), a dead one, one that answered with an error
// and one that had not answered by the deadline are reported in `missed_writes`: the driver
// keeps a hint for each (hinted handoff), even when the rule was met.
//
// Sloppy quorum (WriteRequest::sloppy). A natural replica that is dead when the write starts,
// that answers with an error, or that is still silent `stand_in_delay` after the local apply
// while the write is short of its rule, gets a stand-in: the first live fallback of its own DC not
// yet standing in for another (the ring's extended preference list). The fallback is sent the
// record tagged with the replica it stands in for (ReplicaWrite::hint_for), keeps it as a hint and
// acks; that ack counts toward the rule in the fallback's DC, so LOCAL_* levels count local
// fallbacks only; a replica that acks after all counts once, as itself. A fallback that fails or
// stays silent is a missed write of its replica (the coordinator keeps the hint). At least one
// natural replica must be alive (only a replica mints the dot). Without `sloppy`, fallbacks are not
// used: dead replicas are missed writes at once and only natural acks count (Cassandra's
// semantics).
//
// Reads. Asks the fewest live replicas that can meet the rule (the local replica first, then the
// local DC), merges their records with the one record merge, and answers the merged record.
// Replicas whose record differs from the merge are repaired with it: before answering when the
// table's read_repair is kBlocking and the level blocks_on_repair() (so a later quorum read
// cannot go back in time), after answering when kAsync (or below those levels), never when
// kOff. A read still short of its rule after `speculative_delay` asks one more replica; a
// replica that answers with an error is replaced by one not yet asked.
//
// Late replies (after the answer) are counted and, for reads, repaired when stale; they never
// change an answer. Replies to unknown operations, from replicas that were not asked, or
// repeated, are ignored.
//
// Single-threaded: the owner makes every call. Invariants: every operation answers exactly once
// (a WriteResult or ReadResult); an operation is forgotten once it has answered and nothing it
// sent is outstanding, or its deadline has passed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <pairdb/replication/version.h>
#include <pairdb/ring/types.h>
#include <pairdb/status.h>

#include "common/instant.h"
#include "replication/quorum.h"

namespace pairdb::replication {

using OpId = uint64_t;

// One natural replica of the key, as the coordinator needs it.
struct Replica {
  ring::NodeId id;
  std::string dc;
  bool alive = true;
  bool is_self = false;
};

struct WriteRequest {
  std::vector<Replica> replicas;  // Natural replicas, preference order.
  QuorumRule rule;
  std::string local_dc;
  Instant deadline;
  bool keyed = false;      // Carries an idempotency key: applied by the key's owner.
  bool forwarded = false;  // Another node forwarded it here: applied here when a replica.
  // Sloppy quorum: the fallbacks (never a natural replica; is_self never set), preference
  // order, and whether their acks count toward the rule.
  std::vector<Replica> fallbacks{};
  bool sloppy = false;
};

struct ReadRequest {
  std::vector<Replica> replicas;  // Natural replicas, preference order.
  QuorumRule rule;
  std::string local_dc;
  ConflictMode mode = ConflictMode::kSiblings;
  ReadRepair read_repair = ReadRepair::kBlocking;
  Instant deadline;
};

// --- Operations this node's own replica decides alone -------------------------------------
// The shortcuts a driver may take without starting the operation in a Coordinator, because the
// coordinator's whole exchange would be one local step whose outcome is the answer. Each is the
// coordinator's own decision restated (tests check they agree), so the protocol stays here.

// A read this node answers from its own replica: it is a live replica of the key and its record
// alone meets the rule (ONE or LOCAL_ONE here, or a single-replica table). The coordinator would
// ask it first and answer its record as read (one record has nothing to repair). When the local
// read fails, the driver starts the read in the coordinator as usual, which asks another.
bool self_answers_read(const ReadRequest& request);
// A write whose only natural replica is this node and whose rule that replica meets alone (a
// single-replica table): the local apply is the whole write, its outcome the answer, success
// or failure, and no replica misses it.
bool self_is_whole_write(const WriteRequest& request);

// --- What the coordinator asks its driver to do --------------------------------------------

// Apply the client write to this node's ReplicaStore, then call on_local_write.
struct LocalApply {
  OpId op = 0;
};
// Send a record to a replica to merge (replication, or read repair when `repair`), then call
// on_write_ack (for a repair of a read: on_repair_ack).
struct ReplicaWrite {
  OpId op = 0;
  // Index into the request's replicas; for a write, indexes past them name fallbacks
  // (replicas.size() + i is fallbacks[i]).
  size_t replica = 0;
  ring::NodeId to;
  VersionRecord record;
  bool repair = false;
  std::optional<ring::NodeId> hint_for;  // `to` is a fallback: keep the record as this hint.
};
// Read the key from a replica (this node's own store when it is self), then on_read_reply.
struct ReplicaRead {
  OpId op = 0;
  size_t replica = 0;
  ring::NodeId to;
};
// Hand the client write to a replica to coordinate, then call on_forward_reply.
struct ForwardWrite {
  OpId op = 0;
  size_t replica = 0;
  ring::NodeId to;
};
// A replica that may not have received a write's record (dead, failed, or silent until the
// deadline): the driver keeps a hint of the record for it.
struct MissedWrite {
  OpId op = 0;
  ring::NodeId replica;
  VersionRecord record;
};

// The answer to the client. Timeout: unknown outcome (writes may have been applied).
// Unavailable: nothing was written (writes) or too few replicas could answer (reads).
struct WriteResult {
  OpId op = 0;
  Status status;
  VersionRecord record;  // The coordinating replica's record (empty when forwarded or failed).
  uint32_t required = 0;
  uint32_t acked = 0;  // Including the local replica.
};
struct ReadResult {
  OpId op = 0;
  Status status;
  VersionRecord record;  // The merge of the answers.
  uint32_t required = 0;
  uint32_t answered = 0;
};

struct CoordinatorOutbox {
  std::vector<LocalApply> local_applies;
  std::vector<ReplicaWrite> writes;
  std::vector<ReplicaRead> reads;
  std::vector<ForwardWrite> forwards;
  std::vector<MissedWrite> missed_writes;
  std::vector<WriteResult> write_results;
  std::vector<ReadResult> read_results;
  Instant next_tick = Instant::max();  // Call tick() no later than this.
  void clear();
};

struct CoordinatorCounters {
  uint64_t writes = 0;
  uint64_t reads = 0;
  uint64_t forwards = 0;
  uint64_t unavailable = 0;
  uint64_t timeouts = 0;
  uint64_t late_replies = 0;
  uint64_t read_repairs_blocking = 0;  // Replicas repaired before the read answered.
  uint64_t read_repairs_async = 0;     // Replicas repaired after (or without waiting).
  uint64_t speculative_retries = 0;
  uint64_t stand_ins_on_silence = 0;  // Fallbacks asked for replicas silent past stand_in_delay.

  CoordinatorCounters& operator+=(const CoordinatorCounters& other) {
    writes += other.writes;
    reads += other.reads;
    forwards += other.forwards;
    unavailable += other.unavailable;
    timeouts += other.timeouts;
    late_replies += other.late_replies;
    read_repairs_blocking += other.read_repairs_blocking;
    read_repairs_async += other.read_repairs_async;
    speculative_retries += other.speculative_retries;
    stand_ins_on_silence += other.stand_ins_on_silence;
    return *this;
  }
};

struct CoordinatorConfig {
  // A read short of its rule this long after it started asks one more replica; zero = never.
  Duration speculative_delay = std::chrono::milliseconds(50);
  // Under a sloppy quorum, a write still short of its rule this long after the local apply
  // asks a fallback to stand in for each natural replica that has not answered; zero = never.
  Duration stand_in_delay = std::chrono::milliseconds(100);
};

class Coordinator {
 public:
  explicit Coordinator(CoordinatorConfig config = {}) : config_(config) {}

  // REQUIRES: op not in use; the rule came from quorum_rule for these replicas' table.
  void start_write(OpId op, WriteRequest request, Instant now, CoordinatorOutbox& out);
  // The local ReplicaStore's result for a LocalApply: the stored record, or why it refused.
  void on_local_write(OpId op, Result<VersionRecord> stored, Instant now, CoordinatorOutbox& out);
  void on_write_ack(OpId op, size_t replica, const Status& status, Instant now,
                    CoordinatorOutbox& out);
  // The coordinating replica's answer to a ForwardWrite (its status and counts).
  void on_forward_reply(OpId op, const WriteResult& reply, Instant now, CoordinatorOutbox& out);

  void start_read(OpId op, ReadRequest request, Instant now, CoordinatorOutbox& out);
  void on_read_reply(OpId op, size_t replica, Result<VersionRecord> record, Instant now,
                     CoordinatorOutbox& out);
  void on_repair_ack(OpId op, size_t replica, const Status& status, Instant now,
                     CoordinatorOutbox& out);

  void tick(Instant now, CoordinatorOutbox& out);

  size_t in_flight() const { return writes_.size() + reads_.size(); }
  const CoordinatorCounters& counters() const { return counters_; }

 private:
  enum class Reply : uint8_t { kNone, kAsked, kOk, kFailed };

  struct WriteOp {
    WriteRequest request;
    std::vector<Reply> replies;  // Per natural replica, then per fallback.
    // Per fallback: the natural replica it stands in for, once asked.
    std::vector<std::optional<size_t>> stands_in;
    Instant stand_in_at = Instant::max();  // Silent replicas then get a stand-in.
    std::optional<size_t> forwarded_to;
    VersionRecord record;
    bool answered = false;
  };
  struct ReadOp {
    ReadRequest request;
    std::vector<Reply> replies;  // Per replica: the read.
    std::vector<std::optional<VersionRecord>> records;
    std::vector<Reply> repairs;  // Per replica: the blocking repair.
    VersionRecord merged;
    Instant speculate_at = Instant::max();
    bool repairing = false;  // Blocking repairs sent, the answer waits for their acks.
    bool answered = false;
  };

  // Writes (coordinator_write.cc).
  void send_record(OpId op, WriteOp& w, CoordinatorOutbox& out);
  // Asks a fallback to stand in for natural replica `replica`; false when none is left.
  bool ask_stand_in(OpId op, WriteOp& w, size_t replica, CoordinatorOutbox& out);
  // Whether a fallback stands in for natural replica `replica` and has not failed.
  static bool has_stand_in(const WriteOp& w, size_t replica);
  // The DCs of the members (naturals, then fallbacks) for which `pick` holds, counting
  // fallbacks only under a sloppy quorum.
  template <typename Pick>
  std::vector<std::string_view> counted_dcs(const WriteOp& w, Pick pick) const;
  // The natural replica member i stands for: itself, or the one a fallback stands in for.
  static size_t natural_of(const WriteOp& w, size_t member);
  static const Replica& member(const WriteRequest& request, size_t i);
  void answer_write(OpId op, WriteOp& w, Status status, CoordinatorOutbox& out);
  bool write_done(const WriteOp& w) const;
  uint32_t acked(const WriteOp& w) const;
  QuorumCount acked_count(const WriteOp& w) const;  // What the acks achieve toward the rule.

  // Reads (coordinator_read.cc).
  bool ask_next(OpId op, ReadOp& r, CoordinatorOutbox& out);
  void send_repairs(OpId op, ReadOp& r, const std::vector<size_t>& stale, bool blocking,
                    CoordinatorOutbox& out);
  void on_read_quorum(OpId op, ReadOp& r, CoordinatorOutbox& out);
  void answer_read(OpId op, ReadOp& r, Status status, CoordinatorOutbox& out);
  bool read_done(const ReadOp& r) const;
  void tick_reads(Instant now, CoordinatorOutbox& out);
  std::optional<size_t> next_to_ask(const ReadOp& r) const;
  uint32_t answered(const ReadOp& r) const;
  QuorumCount answered_count(const ReadOp& r) const;

  void schedule(Instant at, CoordinatorOutbox& out) const;
  static uint32_t count(const std::vector<Reply>& replies, Reply kind);
  // Whether `replica` was asked and has not answered yet (false for an index out of range).
  static bool awaiting(const std::vector<Reply>& replies, size_t replica) {
    return replica < replies.size() && replies[replica] == Reply::kAsked;
  }

  const CoordinatorConfig config_;
  std::unordered_map<OpId, WriteOp> writes_;
  std::unordered_map<OpId, ReadOp> reads_;
  CoordinatorCounters counters_;
};

// The DCs of the replicas for which `pick` holds, for quorum_met.
template <typename Pick>
std::vector<std::string_view> dcs_where(const std::vector<Replica>& replicas, Pick pick) {
  std::vector<std::string_view> dcs;
  for (size_t i = 0; i < replicas.size(); ++i) {
    if (pick(i)) dcs.push_back(replicas[i].dc);
  }
  return dcs;
}

}  // namespace pairdb::replication
