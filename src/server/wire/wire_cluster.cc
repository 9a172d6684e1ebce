#include "server/wire/wire_cluster.h"

#include <algorithm>
#include <map>

#include "common/assert.h"
#include "net/wire.h"

namespace pairdb::server {

using flatbuffers::FlatBufferBuilder;
using flatbuffers::Offset;

namespace {

std::string string_of(const flatbuffers::String* text) {
  return text == nullptr ? std::string() : text->str();
}

// One NodeInfo; members whose metadata is unknown yet have empty addresses and no tokens.
Offset<wire::NodeInfo> node_info_to_wire(FlatBufferBuilder& builder,
                                         const replication::ClusterMember& m, bool with_tokens) {
  const gossip::NodeMeta* meta = m.meta.get();
  std::vector<uint64_t> tokens;
  if (with_tokens && meta != nullptr) tokens = meta->tokens;
  return wire::CreateNodeInfo(
      builder, builder.CreateString(m.id.to_string()),
      builder.CreateString(meta != nullptr ? meta->client_addr : ""),
      builder.CreateString(meta != nullptr ? meta->http_addr : ""),
      builder.CreateString(meta != nullptr ? meta->dc : ""),
      builder.CreateString(meta != nullptr ? meta->rack : ""),
      builder.CreateString(gossip::node_status_name(m.status)), builder.CreateVector(tokens),
      builder.CreateString(gossip::liveness_name(m.liveness)), m.load_bytes);
}

Offset<flatbuffers::Vector<Offset<wire::NodeInfo>>> nodes_to_wire(
    FlatBufferBuilder& builder, const replication::ClusterSnapshot& cluster, bool only_with_meta) {
  std::vector<Offset<wire::NodeInfo>> nodes;
  nodes.reserve(cluster.members.size());
  for (const replication::ClusterMember& m : cluster.members) {
    if (only_with_meta && m.meta == nullptr) continue;
    nodes.push_back(node_info_to_wire(builder, m, /*with_tokens=*/true));
  }
  return builder.CreateVector(nodes);
}

}  // namespace

Offset<wire::TableInfo> table_info_to_wire(FlatBufferBuilder& builder,
                                           const replication::TableInfo& info) {
  std::vector<Offset<wire::DcReplication>> replication;
  for (const auto& dc : info.spec.replication) {
    replication.push_back(wire::CreateDcReplication(builder, builder.CreateString(dc.dc), dc.rf));
  }
  auto spec = wire::CreateTableSpec(
      builder, builder.CreateString(info.spec.name), builder.CreateString(info.spec.owner),
      builder.CreateVector(replication), static_cast<wire::Consistency>(info.spec.read_consistency),
      static_cast<wire::Consistency>(info.spec.write_consistency),
      static_cast<wire::ConflictMode>(info.spec.conflict_mode), info.spec.default_ttl_ms,
      info.spec.siblings_warn, info.spec.siblings_max,
      static_cast<wire::ReadRepair>(info.spec.read_repair),
      /*sloppy_quorum_off=*/!info.spec.sloppy_quorum);
  return wire::CreateTableInfo(builder, spec, info.id, info.created_at_ms, info.schema_version);
}

Result<replication::TableInfo> table_info_from_wire(const wire::TableInfo& wire_info) {
  const wire::TableSpec* spec = wire_info.spec();
  if (spec == nullptr) return Status::corruption("table info without a spec");
  if (!net::is_known(spec->read_consistency()) || !net::is_known(spec->write_consistency()) ||
      !net::is_known(spec->conflict_mode()) || !net::is_known(spec->read_repair())) {
    return Status::corruption("table info with an unknown enum value");
  }
  replication::TableInfo info;
  info.spec.name = string_of(spec->name());
  info.spec.owner = string_of(spec->owner());
  if (spec->replication() != nullptr) {
    for (const wire::DcReplication* dc : *spec->replication()) {
      info.spec.replication.push_back({string_of(dc->dc()), dc->rf()});
    }
  }
  info.spec.read_consistency = static_cast<replication::Consistency>(spec->read_consistency());
  info.spec.write_consistency = static_cast<replication::Consistency>(spec->write_consistency());
  info.spec.conflict_mode = static_cast<replication::ConflictMode>(spec->conflict_mode());
  info.spec.default_ttl_ms = spec->default_ttl_ms();
  info.spec.siblings_warn = spec->siblings_warn();
  info.spec.siblings_max = spec->siblings_max();
  info.spec.read_repair = static_cast<replication::ReadRepair>(spec->read_repair());
  info.spec.sloppy_quorum = !spec->sloppy_quorum_off();
  info.id = wire_info.table_id();
  info.created_at_ms = wire_info.created_at_ms();
  info.schema_version = wire_info.schema_version();
  return info;
}

void build_topology(FlatBufferBuilder& builder, const replication::ClusterSnapshot& cluster) {
  auto partitioner = builder.CreateString(kPartitioner);
  auto nodes = nodes_to_wire(builder, cluster, /*only_with_meta=*/true);
  builder.Finish(wire::CreateTopologyResponse(builder, partitioner, nodes, cluster.ring_version));
}

void build_status(FlatBufferBuilder& builder, const replication::ClusterSnapshot& cluster,
                  std::string_view answering_node_id) {
  auto id = builder.CreateString(answering_node_id);
  auto nodes = nodes_to_wire(builder, cluster, /*only_with_meta=*/false);
  builder.Finish(wire::CreateStatusResponse(builder, id, nodes));
}

void build_gossip_info(FlatBufferBuilder& builder, const replication::ClusterSnapshot& cluster,
                       std::string_view answering_node_id) {
  std::vector<Offset<wire::GossipMember>> members;
  members.reserve(cluster.members.size());
  for (const replication::ClusterMember& m : cluster.members) {
    const gossip::NodeMeta* meta = m.meta.get();
    members.push_back(wire::CreateGossipMember(
        builder, builder.CreateString(m.id.to_string()), builder.CreateString(m.gossip_addr),
        m.incarnation, builder.CreateString(gossip::node_status_name(m.status)), m.schema_version,
        m.load_bytes, builder.CreateString(meta != nullptr ? meta->software_version : ""),
        builder.CreateString(meta != nullptr ? meta->dc : ""),
        builder.CreateString(meta != nullptr ? meta->rack : ""),
        builder.CreateString(gossip::liveness_name(m.liveness)),
        meta != nullptr ? meta->meta_version : 0));
  }
  auto id = builder.CreateString(answering_node_id);
  auto vector = builder.CreateVector(members);
  builder.Finish(wire::CreateGossipInfoResponse(builder, id, vector));
}

void build_describe_cluster(FlatBufferBuilder& builder, const replication::ClusterSnapshot& cluster,
                            std::string_view cluster_name) {
  // Live members only: a dead node's schema says nothing about agreement among the living.
  std::map<uint64_t, std::vector<std::string>> holders;
  for (const replication::ClusterMember& m : cluster.members) {
    if (m.liveness == gossip::Liveness::kAlive || m.liveness == gossip::Liveness::kSuspect) {
      holders[m.schema_version].push_back(m.id.to_string());
    }
  }
  std::vector<Offset<wire::SchemaVersion>> versions;
  for (auto& [version, ids] : holders) {
    std::sort(ids.begin(), ids.end());
    versions.push_back(
        wire::CreateSchemaVersion(builder, version, builder.CreateVectorOfStrings(ids)));
  }
  auto name = builder.CreateString(cluster_name);
  auto partitioner = builder.CreateString(kPartitioner);
  auto vector = builder.CreateVector(versions);
  builder.Finish(wire::CreateDescribeClusterResponse(builder, name, partitioner, vector,
                                                     holders.size() == 1, cluster.ring_version));
}

void build_get_endpoints(FlatBufferBuilder& builder, uint64_t token,
                         const std::vector<replication::ReplicaEndpoint>& endpoints,
                         uint64_t ring_version) {
  std::vector<Offset<wire::NodeInfo>> nodes;
  uint32_t natural = 0;
  for (const replication::ReplicaEndpoint& e : endpoints) {
    natural += e.natural ? 1 : 0;
    nodes.push_back(
        wire::CreateNodeInfo(builder, builder.CreateString(e.id.to_string()),
                             builder.CreateString(e.address), builder.CreateString(e.http_address),
                             builder.CreateString(e.dc), builder.CreateString(e.rack), 0, 0,
                             builder.CreateString(gossip::liveness_name(e.liveness)), 0));
  }
  auto vector = builder.CreateVector(nodes);
  builder.Finish(wire::CreateGetEndpointsResponse(builder, token, vector, natural, ring_version));
}

void build_schema_pull(FlatBufferBuilder& builder, const CatalogState& state, uint64_t digest) {
  std::vector<Offset<wire::TableInfo>> tables;
  tables.reserve(state.tables.size());
  for (const replication::TableInfo& t : state.tables)
    tables.push_back(table_info_to_wire(builder, t));
  auto table_vector = builder.CreateVector(tables);
  auto dropped = builder.CreateVector(state.dropped);
  builder.Finish(
      wire::CreateSchemaPullResponse(builder, table_vector, dropped, state.schema_version, digest));
}

Result<CatalogState> catalog_state_from_wire(const wire::SchemaPullResponse& response) {
  CatalogState state;
  if (response.tables() != nullptr) {
    for (const wire::TableInfo* t : *response.tables()) {
      PAIRDB_ASSIGN_OR_RETURN(replication::TableInfo info, table_info_from_wire(*t));
      state.tables.push_back(std::move(info));
    }
  }
  if (response.dropped_table_ids() != nullptr) {
    state.dropped.assign(response.dropped_table_ids()->begin(),
                         response.dropped_table_ids()->end());
  }
  state.schema_version = response.schema_version();
  return state;
}

}  // namespace pairdb::server
