// RepairResponder: the peer side of anti-entropy. It answers a session initiator's requests from
// this replica's store: tree hashes (building the tree of a comparison once and keeping it for
// the comparison's later requests), the records of leaves by key hash and digest, the records
// asked for, merges of pushed records (synced before the reply, so an acknowledged push survives
// a crash whatever the WAL sync mode), and the final "range repaired" notice, which it hands to
// a RepairListener to record.
//
// Sans-IO: requests and the time in, replies out; storage through RepairStorage (the real LSM in
// the daemon and in tests/sim). Single-threaded: the owner serialises calls. A peer's request is
// never trusted: scopes, indexes and sizes are checked, pushed keys must belong to the named
// table, records are decoded and validated before they are merged.
// Invariants: at most config.trees_max trees cached; a cached tree was built for exactly the
// scope stored with it.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>

#include <pairdb/status.h>

#include "common/instant.h"
#include "replication/merkle_tree.h"
#include "replication/repair_protocol.h"
#include "replication/repair_storage.h"

namespace pairdb::replication {

// Where a node records that a range was repaired with every replica (last verified, and the
// tombstone purge watermark). Must be durable before it returns OK.
class RepairListener {
 public:
  virtual ~RepairListener() = default;
  virtual Status on_repair_done(const RepairDoneRequest& done) = 0;
};

struct RepairResponderConfig {
  size_t trees_max = 8;
  Duration tree_idle = std::chrono::minutes(10);  // A tree unused this long is dropped.
  // Request limits.
  size_t nodes_max = 1u << 16;
  size_t leaves_max = 1u << 14;
  size_t leaf_entries_max = 1u << 19;  // 8 MiB of (key hash, digest) pairs.
  size_t key_hashes_max = 1u << 20;
  uint32_t fetch_bytes_max = 8u << 20;  // Below the internode frame limit, with room.
};

class RepairResponder {
 public:
  // The table's conflict mode, or nullopt when this node knows no live table by that id.
  using TableModes = std::function<std::optional<ConflictMode>(TableId)>;

  // REQUIRES: storage and listener outlive the responder.
  RepairResponder(RepairStorage* storage, TableModes modes, RepairListener* listener,
                  RepairResponderConfig config = {});

  Result<RepairReply> handle(const RepairRequest& request, Instant now);

  size_t cached_trees() const { return trees_.size(); }
  uint64_t trees_built() const { return trees_built_; }
  uint64_t records_merged() const { return records_merged_; }

 private:
  struct CachedTree {
    RepairScope scope;
    std::unique_ptr<MerkleTree> tree;
    Instant last_used;
  };

  Status check_scope(const RepairScope& scope) const;
  Status check_leaves(const RepairScope& scope, const std::vector<uint32_t>& leaves) const;
  Result<const MerkleTree*> tree_for(const RepairScope& scope, Instant now);

  Result<RepairReply> on_tree(const RepairTreeRequest& request, Instant now);
  Result<RepairReply> on_leaves(const RepairLeavesRequest& request, Instant now);
  Result<RepairReply> on_fetch(const RepairFetchRequest& request, Instant now);
  Result<RepairReply> on_push(const RepairPushRequest& request);
  Result<RepairReply> on_done(const RepairDoneRequest& request);

  RepairStorage* const storage_;
  const TableModes modes_;
  RepairListener* const listener_;
  const RepairResponderConfig config_;
  std::map<uint64_t, CachedTree> trees_;  // By sync id.
  uint64_t trees_built_ = 0;
  uint64_t records_merged_ = 0;
};

}  // namespace pairdb::replication
