// Anti-entropy's messages, as plain values: what a repair session's initiator asks of the other
// replicas of a range and what they answer. The daemon and tests/sim carry them as internode
// frames (server/cluster/repair_wire.h translates); this header knows nothing of the wire.
//
// Every request names its whole scope (table, range, depth, sync id), so a replica that
// restarted mid-session answers it from scratch; every request is idempotent (reads, and
// pushes that the receiver joins with the record merge), so a lost or repeated message is
// harmless.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include <pairdb/replication/storage_key.h>
#include <pairdb/ring/types.h>

namespace pairdb::replication {

// One comparison between the initiator and one peer: the trees both build of `range` at `depth`.
struct RepairScope {
  uint64_t session_id = 0;
  uint64_t sync_id = 0;  // Unique per comparison; keys the peer's tree cache.
  TableId table = 0;
  ring::TokenRange range;
  uint32_t depth = 0;
  bool operator==(const RepairScope&) const = default;
};

// The peer's tree hashes of `nodes` (heap indexes), and how many records its tree holds.
struct RepairTreeRequest {
  RepairScope scope;
  std::vector<uint32_t> nodes;
  bool operator==(const RepairTreeRequest&) const = default;
};
struct RepairTreeReply {
  std::vector<uint64_t> hashes;  // One per requested node, in order.
  uint64_t records = 0;
  bool operator==(const RepairTreeReply&) const = default;
};

// What the peer holds in some leaves: per record, its key hash and record digest.
struct RepairLeavesRequest {
  RepairScope scope;
  std::vector<uint32_t> leaves;  // 0-based.
  bool operator==(const RepairLeavesRequest&) const = default;
};
struct RepairLeafEntry {
  uint64_t key_hash = 0;  // hash64(storage key).
  uint64_t digest = 0;    // The stored record's digest.
  bool operator==(const RepairLeafEntry&) const = default;
};
struct RepairLeavesReply {
  std::vector<RepairLeafEntry> entries;  // Every record of the requested leaves.
  bool operator==(const RepairLeavesReply&) const = default;
};

// The peer's records, in the named leaves, whose key hash is listed; at most about `bytes_max`
// of them (always at least one), `truncated` when some were left out.
struct RepairFetchRequest {
  RepairScope scope;
  std::vector<uint32_t> leaves;
  std::vector<uint64_t> key_hashes;  // Ascending.
  uint32_t bytes_max = 0;
  bool operator==(const RepairFetchRequest&) const = default;
};
struct RepairItem {
  std::string storage_key;
  std::string record;  // encode_record bytes.
  bool operator==(const RepairItem&) const = default;
};
struct RepairFetchReply {
  std::vector<RepairItem> items;
  bool truncated = false;
  bool operator==(const RepairFetchReply&) const = default;
};

// Records the peer joins into its own with the record merge (each key must be of `table`).
struct RepairPushRequest {
  TableId table = 0;
  std::vector<RepairItem> items;
  bool operator==(const RepairPushRequest&) const = default;
};
struct RepairPushReply {
  uint32_t changed = 0;  // Records the merge changed.
  bool operator==(const RepairPushReply&) const = default;
};

// The session compared and exchanged `range` of `table` between all of `replicas`: every record
// any of them held when the session started (wall time `started_wall_ms`) is now on each, durably
// (pushes are synced before they are acknowledged).
struct RepairDoneRequest {
  uint64_t session_id = 0;
  TableId table = 0;
  ring::TokenRange range;
  uint64_t started_wall_ms = 0;
  uint64_t records_differing = 0;
  std::vector<ring::NodeId> replicas;
  bool operator==(const RepairDoneRequest&) const = default;
};
struct RepairDoneReply {
  bool operator==(const RepairDoneReply&) const = default;
};

using RepairRequest = std::variant<RepairTreeRequest, RepairLeavesRequest, RepairFetchRequest,
                                   RepairPushRequest, RepairDoneRequest>;
using RepairReply = std::variant<RepairTreeReply, RepairLeavesReply, RepairFetchReply,
                                 RepairPushReply, RepairDoneReply>;

// About how many bytes a message takes on the wire (what rate limits and metrics count).
size_t repair_message_bytes(const RepairRequest& request);
size_t repair_message_bytes(const RepairReply& reply);

}  // namespace pairdb::replication
