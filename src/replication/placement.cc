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

}  // namespace pairdb::replication
