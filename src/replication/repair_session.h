// RepairSession: one anti-entropy session for one token range of one table, run by one of the
// range's replicas (the initiator) with the others (its peers), as a sans-IO state machine:
// replies and the time go in, requests to send and the next time to be called come out; this
// replica's store is read and written through RepairStorage (the real LSM in the daemon and in
// tests/sim).
//
// The session is a sequence of comparisons ("syncs") between the initiator and one peer:
//   1. both hash the range into a Merkle tree of the same depth (chosen from the larger record
//      count, so leaves hold a few records each);
//   2. the initiator asks for the peer's hashes level by level, only below nodes that differ;
//   3. for the differing leaves, the peer lists (key hash, record digest) per record; the
//      initiator fetches the records it lacks or holds differently and joins them into its
//      store, then pushes its own (joined) record for every key the peer lacks or holds
//      differently, which the peer joins into its store.
// The record merge is a join, so after a sync both hold the join of both. Syncing with every
// peer in turn and then again with all but the last one leaves every replica holding every
// record any of them held when the session started: after the first pass the initiator holds
// the union, and the second pass hands it to the peers compared before the others. A peer of the
// second pass is skipped when nothing was joined into the initiator's store since its first
// sync ended: it already holds all the initiator does (the common case: a range whose replicas
// agree costs one tree build per replica, not two for all but the last). Finally the
// session tells every peer the range was repaired (RepairDoneRequest), after syncing its own
// store.
//
// One request is outstanding at a time. A request unanswered within request_timeout, or
// answered Overloaded/Unavailable/Timeout/Busy, is sent again (every request is idempotent);
// after attempts_max tries, or any other error, the session fails with that status. Bytes sent
// and received are paced by a token bucket (rate_bytes_per_sec, 0 = unlimited). A session that
// is interrupted (its node crashes) is simply run again later: nothing it did needs undoing.
//
// Single-threaded: the owner makes every call. Invariants: at most one request outstanding;
// once finished() nothing more is sent.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <pairdb/ring/types.h>
#include <pairdb/status.h>

#include "common/instant.h"
#include "replication/merkle_tree.h"
#include "replication/repair_protocol.h"
#include "replication/repair_storage.h"
#include "replication/repair_tree.h"

namespace pairdb::replication {

struct RepairSessionConfig {
  Duration request_timeout = std::chrono::seconds(60);
  Duration retry_backoff = std::chrono::seconds(1);
  uint32_t attempts_max = 5;
  uint64_t rate_bytes_per_sec = 0;  // 0 = unlimited.
  uint32_t nodes_per_request = 8192;
  uint32_t leaves_per_request = 512;
  uint32_t fetch_bytes_max = 1u << 20;
  uint32_t push_bytes_max = 1u << 20;
  uint64_t records_per_leaf = 4;
};

// What one session repairs.
struct RepairTask {
  uint64_t session_id = 0;  // Unique across the cluster (the initiator draws it at random).
  TableId table = 0;
  ConflictMode mode = ConflictMode::kSiblings;
  ring::TokenRange range;
  ring::NodeId self;
  std::vector<ring::NodeId> peers;  // The range's other replicas; may be empty.
  uint64_t started_wall_ms = 0;     // Wall time the session started (RepairDoneRequest).
  // False for a partial repair (some replica left out, being down): the peers are not told the
  // range was repaired, since it was not repaired everywhere.
  bool complete = true;
};

struct RepairSend {
  uint64_t request_id = 0;
  ring::NodeId to;
  RepairRequest request;
};

struct RepairOutbox {
  std::vector<RepairSend> sends;
  Instant next_tick = Instant::max();
  void clear() {
    sends.clear();
    next_tick = Instant::max();
  }
};

struct RepairSessionStats {
  uint32_t syncs_done = 0;
  uint32_t syncs_total = 0;
  uint32_t syncs_skipped = 0;  // Second-pass syncs with nothing new to hand over (in syncs_done).
  uint64_t local_records = 0;  // Records in the range here, at the first sync.
  uint64_t leaves_differing = 0;   // Summed over syncs.
  uint64_t records_differing = 0;  // Keys held differently, summed over syncs.
  uint64_t records_fetched = 0;    // Received from peers.
  uint64_t records_pushed = 0;     // Sent to peers.
  uint64_t records_changed_here = 0;
  uint64_t records_changed_peers = 0;
  uint64_t bytes_sent = 0;
  uint64_t bytes_received = 0;
  uint64_t retries = 0;
  uint64_t records_scanned = 0;  // Read here to build trees (every sync that needed a rescan).
};

class RepairSession {
 public:
  // REQUIRES: storage outlives the session; self is not among peers.
  RepairSession(RepairTask task, RepairStorage* storage, RepairSessionConfig config = {});

  void start(Instant now, RepairOutbox& out);
  // The answer to request `request_id` (an error status when the transport failed). Answers to
  // requests no longer outstanding are ignored.
  void on_reply(uint64_t request_id, Result<RepairReply> reply, Instant now, RepairOutbox& out);
  void tick(Instant now, RepairOutbox& out);

  bool finished() const { return finished_; }
  // OK once finished successfully; the failure otherwise (meaningful once finished()).
  const Status& status() const { return status_; }
  const RepairTask& task() const { return task_; }
  const RepairSessionStats& stats() const { return stats_; }
  // Fraction of the session done, in [0, 1].
  double progress() const;
  // Once finished OK with every replica (task().complete): the notice the peers were sent, for
  // the initiator to record in its own history too. nullopt otherwise.
  std::optional<RepairDoneRequest> completion() const;

 private:
  enum class Step : uint8_t { kRoot, kDescend, kLeaves, kFetch, kPush, kDone };

  struct Pending {
    uint64_t id = 0;
    ring::NodeId to;
    RepairRequest request;
    Instant deadline;
    Instant send_at;  // When to (re)send; == deadline's start once sent.
    bool sent = false;
    uint32_t attempts = 0;
  };

  // Progress of the current sync.
  const ring::NodeId& peer() const { return task_.peers[sync_order_[sync_index_]]; }
  RepairDoneRequest notice() const;  // The "range repaired" notice for the peers.
  Status start_sync(Instant now);
  Status rescan();
  RepairScope scope() const;
  Status advance(Instant now);  // Decide the next request of the current step (or step on).
  Status on_tree_reply(const RepairTreeReply& reply, Instant now);
  Status on_leaves_reply(const RepairLeavesReply& reply);
  Status on_fetch_reply(const RepairFetchReply& reply);
  Status next_leaf_batch();
  Status prepare_pushes();
  void request(RepairRequest request, Instant now);
  void fail(Status status);
  void flush(Instant now, RepairOutbox& out);
  void charge(size_t bytes, Instant now);

  const RepairTask task_;
  RepairStorage* const storage_;
  const RepairSessionConfig config_;

  std::vector<size_t> sync_order_;  // Indexes into task_.peers.
  size_t sync_index_ = 0;
  // Per peer: the initiator's store may hold records the peer lacks (a merge here since the
  // peer's last completed sync, or none completed yet).
  std::vector<bool> peer_behind_;
  uint64_t next_request_id_ = 1;
  std::optional<Pending> pending_;
  bool finished_ = false;
  Status status_ = Status::ok();

  // The current sync.
  Step step_ = Step::kRoot;
  std::vector<HashedRecord> local_records_;
  bool local_dirty_ = true;  // local_records_ must be rescanned (a merge changed the store).
  uint32_t depth_ = 0;
  uint32_t depth_rebuilds_ = 0;
  std::unique_ptr<MerkleTree> tree_;
  std::vector<uint32_t> frontier_;  // Differing nodes of the level being descended.
  std::vector<uint32_t> children_;  // Their children, still to ask about.
  size_t children_cursor_ = 0;
  std::vector<uint32_t> next_frontier_;
  std::vector<uint32_t> differing_leaves_;
  size_t leaves_cursor_ = 0;
  std::vector<uint32_t> batch_leaves_;
  std::map<uint64_t, std::pair<std::string, uint64_t>> batch_local_;  // Key hash -> key, digest.
  std::vector<uint64_t> to_fetch_;                                    // Key hashes, ascending.
  // Storage keys, with the digest the peer listed (none: it holds nothing for the key).
  std::vector<std::pair<std::string, std::optional<uint64_t>>> to_push_;
  size_t push_cursor_ = 0;
  size_t done_cursor_ = 0;  // Peers told the range is repaired.
  bool changed_here_ = false;

  // Pacing.
  double bucket_bytes_ = 0;
  Instant bucket_at_;

  RepairSessionStats stats_;
};

}  // namespace pairdb::replication
