#include "replication/placement.h"

#include <fmt/format.h>

#include <pairdb/ring/hash_ring.h>

#include "common/assert.h"

namespace pairdb::replication {

namespace {

ReplicaEndpoint endpoint_of(const ClusterSnapshot& cluster, const ring::NodeId& id, bool natural) {
  ReplicaEndpoint e;
  e.id = id;
  e.natural = natural;
  const ClusterMember* m = cluster.find(id);
  if (m == nullptr) return e;
  e.liveness = m->liveness;
  if (m->meta) {
    e.address = m->meta->client_addr;
    e.http_address = m->meta->http_addr;
    e.internode_address = m->meta->internode_addr;
    e.dc = m->meta->dc;
    e.rack = m->meta->rack;
  }
  return e;
}

}  // namespace

Result<std::vector<ReplicaEndpoint>> place(const ClusterSnapshot& cluster,
                                           const ring::ReplicationSpec& spec,
                                           std::string_view partition_key, size_t fallbacks) {
  PAIRDB_TRY(spec.validate());
  if (fallbacks > ring::kFallbackReplicasMax) {
    return Status::invalid_argument(
        fmt::format("{} fallbacks > {}", fallbacks, ring::kFallbackReplicasMax));
  }
  PAIRDB_ASSERT(cluster.ring != nullptr);
  if (cluster.ring->node_count() == 0) return Status::unavailable("the ring has no nodes yet");
  const ring::PreferenceList list =
      cluster.ring->preference_list(ring::HashRing::token_of(partition_key), spec, fallbacks);
  std::vector<ReplicaEndpoint> out;
  out.reserve(list.size());
  for (size_t i = 0; i < list.size(); ++i) {
    out.push_back(endpoint_of(cluster, list[i], i < list.natural_count()));
  }
  PAIRDB_ASSERT(out.size() <= ring::kPreferenceListMax);
  return out;
}

bool reachable(gossip::Liveness liveness) {
  return liveness == gossip::Liveness::kAlive || liveness == gossip::Liveness::kSuspect;
}

std::vector<Replica> coordinator_replicas(const std::vector<ReplicaEndpoint>& placed,
                                          const ring::NodeId& self) {
  std::vector<Replica> replicas;
  for (const ReplicaEndpoint& e : placed) {
    if (!e.natural) continue;
    const bool is_self = e.id == self;
    const bool askable = is_self || (reachable(e.liveness) && !e.internode_address.empty());
    replicas.push_back({e.id, e.dc, askable, is_self});
  }
  return replicas;
}

std::vector<Replica> coordinator_fallbacks(const std::vector<ReplicaEndpoint>& placed) {
  std::vector<Replica> fallbacks;
  for (const ReplicaEndpoint& e : placed) {
    if (e.natural) continue;
    const bool askable = reachable(e.liveness) && !e.internode_address.empty();
    fallbacks.push_back({e.id, e.dc, askable, /*is_self=*/false});
  }
  return fallbacks;
}

}  // namespace pairdb::replication
