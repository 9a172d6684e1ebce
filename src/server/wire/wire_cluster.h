// The cluster side of the binary protocol: encodes what the node knows about the cluster
// (Topology, Status, GetEndpoints, DescribeCluster, GossipInfo) and its catalog (SchemaPull),
// and decodes a SchemaPull answer back into a CatalogState. Stateless functions over immutable
// inputs; safe from any thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <flatbuffers/flatbuffers.h>
#include <pairdb/status.h>

#include "net/schema/client_generated.h"
#include "replication/cluster_view.h"
#include "replication/placement.h"
#include "server/catalog/catalog.h"

namespace pairdb::server {

inline constexpr std::string_view kPartitioner = "xxh3-64";

flatbuffers::Offset<wire::TableInfo> table_info_to_wire(flatbuffers::FlatBufferBuilder& builder,
                                                        const replication::TableInfo& info);
// Status::corruption for a missing spec or an enum value outside the schema.
Result<replication::TableInfo> table_info_from_wire(const wire::TableInfo& info);

// Each builds and finishes the response table of its opcode.
void build_topology(flatbuffers::FlatBufferBuilder& builder,
                    const replication::ClusterSnapshot& cluster);
void build_status(flatbuffers::FlatBufferBuilder& builder,
                  const replication::ClusterSnapshot& cluster, std::string_view answering_node_id);
void build_gossip_info(flatbuffers::FlatBufferBuilder& builder,
                       const replication::ClusterSnapshot& cluster,
                       std::string_view answering_node_id);
void build_describe_cluster(flatbuffers::FlatBufferBuilder& builder,
                            const replication::ClusterSnapshot& cluster,
                            std::string_view cluster_name);
void build_get_endpoints(flatbuffers::FlatBufferBuilder& builder, uint64_t token,
                         const std::vector<replication::ReplicaEndpoint>& endpoints,
                         uint64_t ring_version);
void build_schema_pull(flatbuffers::FlatBufferBuilder& builder, const CatalogState& state,
                       uint64_t digest);

// The catalog carried by a verified SchemaPullResponse.
Result<CatalogState> catalog_state_from_wire(const wire::SchemaPullResponse& response);

}  // namespace pairdb::server
