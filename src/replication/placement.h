// Placement: which nodes hold a key, and how to reach them, under a table's replication spec.
// It joins the ring's preference list with what gossip knows of each node (liveness, addresses,
// dc and rack), so the quorum coordinator decides from one snapshot which replicas it can ask
// and which fallbacks stand in for them.
//
// Pure functions of an immutable ClusterSnapshot; safe on any thread.
// Invariants: the natural replicas come first, in preference order, then the fallbacks; no node
// appears twice; at most ring::kPreferenceListMax entries.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <pairdb/gossip/member.h>
#include <pairdb/ring/types.h>
#include <pairdb/status.h>

#include "replication/cluster_view.h"
#include "replication/coordinator.h"

namespace pairdb::replication {

// One replica of a key, with how to reach it.
struct ReplicaEndpoint {
  ring::NodeId id;
  std::string address;  // Binary protocol host:port (empty until metadata is known).
  std::string http_address;
  std::string internode_address;  // Where replicas talk to each other.
  std::string dc;
  std::string rack;
  gossip::Liveness liveness = gossip::Liveness::kAlive;
  bool natural = true;  // False for a sloppy-quorum fallback.
};

// The natural replicas of `partition_key` under `spec`, then up to `fallbacks` more nodes for
// sloppy quorums. Status::unavailable while the ring is empty; Status::invalid_argument for an
// invalid spec or fallbacks > ring::kFallbackReplicasMax.
Result<std::vector<ReplicaEndpoint>> place(const ClusterSnapshot& cluster,
                                           const ring::ReplicationSpec& spec,
                                           std::string_view partition_key, size_t fallbacks = 0);

// Whether a coordinator may send to a member in this state: alive, or suspected but not yet
// declared dead (a suspicion is not a verdict; the member may be answering everyone else).
bool reachable(gossip::Liveness liveness);

// The coordinator's view of the natural replicas in `placed` (fallbacks are left out): each
// one's DC, whether it can be asked (reachable, with a known internode address, or self), and
// which one is `self`.
std::vector<Replica> coordinator_replicas(const std::vector<ReplicaEndpoint>& placed,
                                          const ring::NodeId& self);

// The sloppy-quorum fallbacks in `placed` (natural replicas left out), for WriteRequest:
// each one's DC and whether it can be sent to (reachable, with a known internode address).
std::vector<Replica> coordinator_fallbacks(const std::vector<ReplicaEndpoint>& placed);

}  // namespace pairdb::replication
