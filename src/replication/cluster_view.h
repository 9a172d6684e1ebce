// ClusterView: what this node currently knows about the cluster, as immutable snapshots that any
// thread can read: every member (self included) with its liveness, ring state and metadata, and
// the HashRing built from the members that hold tokens. The gossip driver publishes a new
// snapshot after membership events; readers (the binary protocol, HTTP, and the quorum
// coordinator, through replication/placement.h) load the current one and keep using it.
//
// Thread-safety: publish() and every reader may run on any thread; the snapshot pointer is
// guarded by mutex_, and the snapshots themselves are immutable.
// Invariants: a snapshot's members are sorted by id and hold exactly one entry with is_self;
// ring_version is a digest of the ring's nodes (ids, dc, rack, tokens), so every node that sees
// the same ring reports the same version, and it is never 0.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <pairdb/gossip/member.h>
#include <pairdb/ring/hash_ring.h>
#include <pairdb/status.h>

namespace pairdb::replication {

// One member as gossip sees it.
struct ClusterMember {
  ring::NodeId id;
  std::string gossip_addr;
  uint64_t incarnation = 0;
  gossip::Liveness liveness = gossip::Liveness::kAlive;
  gossip::NodeStatus status = gossip::NodeStatus::kJoining;
  uint64_t schema_version = 0;  // The member's catalog digest (see Catalog::digest()).
  uint64_t load_bytes = 0;
  // Absent until fetched from the member; shared between snapshots (tokens are 2 KiB a node).
  std::shared_ptr<const gossip::NodeMeta> meta;
  bool is_self = false;
};

struct ClusterSnapshot {
  std::vector<ClusterMember> members;  // Sorted by id.
  std::shared_ptr<const ring::HashRing> ring;
  uint64_t ring_version = 0;

  const ClusterMember* find(const ring::NodeId& id) const;
};

// The members whose metadata is known and who have not left: the nodes on the ring.
std::vector<ring::NodeDescriptor> ring_nodes(const std::vector<ClusterMember>& members);
// Digest of the ring's node descriptors (never 0); equal rings give equal versions.
uint64_t ring_version_of(const std::vector<ring::NodeDescriptor>& nodes);

class ClusterView {
 public:
  // Starts with a snapshot holding only `self`.
  explicit ClusterView(ClusterMember self);

  std::shared_ptr<const ClusterSnapshot> snapshot() const;
  std::shared_ptr<const ring::HashRing> ring() const { return snapshot()->ring; }

  // Builds the next snapshot from `members` (self included), reusing the current ring when its
  // nodes did not change. Status from HashRing::build (for example two members claiming the
  // same token); the previous ring is then kept and the members still published.
  Status publish(std::vector<ClusterMember> members);

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const ClusterSnapshot> current_;  // GUARDED_BY(mutex_); never null.
};

}  // namespace pairdb::replication
