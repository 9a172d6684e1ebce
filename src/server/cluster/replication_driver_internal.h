// What the ReplicationDriver's source files share (replication_driver.cc: point operations and
// forwards; replication_driver_range.cc: Query). Private to those files.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "net/internode.h"
#include "net/internode_client.h"
#include "replication/cluster_view.h"
#include "replication/coordinator.h"
#include "replication/quorum.h"
#include "replication/range_merge.h"
#include "replication/replica_store.h"
#include "server/cluster/replication_driver.h"

namespace pairdb::server {

inline std::string raw_id(const ring::NodeId& id) {
  return std::string(reinterpret_cast<const char*>(id.bytes.data()), id.bytes.size());
}

// A record as it travels: empty bytes for "the replica holds nothing".
inline Result<replication::VersionRecord> record_from(std::string_view bytes) {
  if (bytes.empty()) return replication::VersionRecord{};
  return replication::decode_record(bytes);
}

// The natural replicas of one key as the coordinator sees them, how to reach each, and the
// level's rule.
struct Placed {
  std::vector<replication::Replica> replicas;
  std::vector<replication::Replica> fallbacks;  // Sloppy-quorum stand-ins (writes only).
  std::vector<net::InternodePeer> peers;        // Same indexes as replicas, then fallbacks.
  replication::QuorumRule rule;
};

// Places a key and resolves the level. Unavailable at once when the ring holds fewer replicas
// than the level needs (saying how to fix it); InvalidArgument for a level the table's
// replication cannot satisfy.
Result<Placed> place_key(const replication::ClusterSnapshot& snapshot,
                         const replication::TableInfo& table, std::string_view partition_key,
                         replication::Consistency level, const ring::NodeId& self,
                         std::string_view local_dc, size_t fallbacks = 0);
// How many fallbacks a write to `table` may use: one per replica (up to the ring's limit) under
// a sloppy quorum, none otherwise.
size_t fallbacks_for(const replication::TableInfo& table);

// One point operation (a write, or a read and its repairs) while the coordinator may still
// send for it.
struct ReplicationDriver::Op {
  std::shared_ptr<const replication::TableInfo> table;
  std::string partition_key;
  std::string sort_key;
  std::optional<CoordinatedWrite> write;  // Set for writes.
  Reply<CoordinatedWriteReply> write_done;
  Reply<replication::VersionRecord> read_done;
  std::vector<net::InternodePeer> peers;
  Instant deadline;
  bool duplicate = false;
  bool siblings_warn = false;

  replication::ItemAddress address() const { return {table->id, partition_key, sort_key}; }
  net::internode::ItemKey key() const { return {table->id, partition_key, sort_key}; }
};

// One Query page: the replicas asked, their pages, the answer.
struct ReplicationDriver::RangeOp {
  CoordinatedRange range;
  Placed placed;
  std::vector<std::optional<replication::RangePage>> pages;  // Per replica, once answered.
  std::vector<uint8_t> asked;                                // Per replica: 1 once asked.
  std::vector<uint8_t> failed;                               // Per replica: 1 once it failed.
  Reply<CoordinatedRangeReply> done;
};

}  // namespace pairdb::server
