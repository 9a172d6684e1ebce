// Replicator: the seam between ItemService (validation, contexts, replies) and whatever
// coordinates an item's replicas. The daemon plugs in the ReplicationDriver
// (server/cluster/replication_driver.h), which runs the quorum coordinator over the internode
// protocol; without one, ItemService applies every operation to its local ReplicaStore (the
// in-process server tests).
//
// Implementations are thread-safe; each callback runs exactly once, on any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <pairdb/replication/consistency.h>
#include <pairdb/replication/version.h>
#include <pairdb/status.h>

#include "common/instant.h"
#include "replication/replica_store.h"
#include "replication/table_meta.h"
#include "server/api/reply.h"

namespace pairdb::server {

// A validated client write, ready for a replica of its key to apply.
struct CoordinatedWrite {
  std::shared_ptr<const replication::TableInfo> table;
  std::string partition_key;
  std::string sort_key;
  replication::LocalWrite write;  // expires_at_ms from this node's wall clock.
  uint64_t ttl_ms = 0;            // What expires_at_ms came from, for a forward (0 = never).
  replication::WritePolicy policy;
  replication::Consistency consistency = replication::Consistency::kQuorum;  // Resolved.
  Instant deadline;
};

struct CoordinatedWriteReply {
  replication::VersionRecord record;  // The coordinating replica's record after the write.
  bool duplicate = false;             // An idempotent retry: nothing new was stored.
  bool siblings_warn = false;         // Known only when this node applied it.
};

struct CoordinatedRead {
  std::shared_ptr<const replication::TableInfo> table;
  std::string partition_key;
  std::string sort_key;
  replication::Consistency consistency = replication::Consistency::kQuorum;  // Resolved.
  Instant deadline;
};

// One partition's records from a sort key on, merged across replicas.
struct CoordinatedRange {
  std::shared_ptr<const replication::TableInfo> table;
  std::string partition_key;
  std::optional<std::string> from_sort_key;   // Inclusive.
  std::optional<std::string> to_sort_key;     // Inclusive.
  std::optional<std::string> after_sort_key;  // Exclusive resume point.
  uint32_t limit = 0;                         // Records, live or not; > 0.
  replication::Consistency consistency = replication::Consistency::kQuorum;  // Resolved.
  Instant deadline;
};

struct RangeRecord {
  std::string sort_key;
  replication::VersionRecord record;
};

struct CoordinatedRangeReply {
  std::vector<RangeRecord> records;         // Sort-key order; dead records included.
  std::optional<std::string> resume_after;  // Set when the partition may hold more.
};

// The scan of this node's store a range asks for: every record examined, dead ones included,
// as a coordinator merging replicas' pages needs them. A client's own query adjusts it.
inline replication::ScanRequest scan_request_of(const CoordinatedRange& range,
                                                uint64_t now_wall_ms) {
  replication::ScanRequest scan;
  scan.table = range.table->id;
  scan.partition_key = range.partition_key;
  scan.from_sort_key = range.from_sort_key;
  scan.to_sort_key = range.to_sort_key;
  scan.after_sort_key = range.after_sort_key;
  scan.limit = range.limit;
  scan.scanned_max = range.limit;
  scan.now_wall_ms = now_wall_ms;
  scan.records = true;
  return scan;
}

// How a replica applies a client write to an item of a table with `spec`.
inline replication::WritePolicy write_policy_for(const replication::TableSpec& spec,
                                                 uint64_t idempotency_window_ms) {
  replication::WritePolicy policy;
  policy.mode = spec.conflict_mode;
  policy.siblings_warn = spec.siblings_warn;
  policy.siblings_max = spec.siblings_max;
  policy.idempotency_window_ms = idempotency_window_ms;
  return policy;
}

// One replica's copy of an item, as an operator inspects it (getreplicas).
struct ReplicaCopy {
  std::string node_id;  // NodeId::to_string().
  std::string address;  // Its internode address ("" for an unknown one).
  bool is_self = false;
  Status status;                      // Why its copy could not be read (down, no answer, ...).
  replication::VersionRecord record;  // When status is OK; empty when it holds nothing.
};

class Replicator {
 public:
  virtual ~Replicator() = default;
  virtual void write(CoordinatedWrite write, Reply<CoordinatedWriteReply> done) = 0;
  // The merge of the replicas' records (empty when none holds the item).
  virtual void read(CoordinatedRead read, Reply<replication::VersionRecord> done) = 0;
  virtual void range(CoordinatedRange range, Reply<CoordinatedRangeReply> done) = 0;
  // Every natural replica's own record of the item, read without merging or repairing
  // anything (a replica gossip sees dead is not asked: its status says so).
  virtual void inspect(CoordinatedRead read, Reply<std::vector<ReplicaCopy>> done) = 0;
};

}  // namespace pairdb::server
