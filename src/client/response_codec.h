// Decodes client-protocol response frames into SDK results. Every payload is verified with the
// FlatBuffers verifier before a field is read; a frame that fails verification, or that answers
// a different opcode, becomes Errc::kProtocol. Pure functions, safe from any thread.
#pragma once

#include <vector>

#include <pairdb/client/error.h>
#include <pairdb/client/types.h>

#include "net/frame.h"

namespace pairdb::client {

// The Error an error frame carries. REQUIRES: frame.header.is_error().
Error decode_error_frame(const net::Frame& frame);

// Each REQUIRES nothing: an error frame decodes to its Error.
Expected<PutResult> decode_put(const net::Frame& frame);
Expected<GetResult> decode_get(const net::Frame& frame);
Expected<DeleteResult> decode_delete(const net::Frame& frame);
Expected<QueryResult> decode_query(const net::Frame& frame);
Expected<TableInfo> decode_create_table(const net::Frame& frame);
// The responses that carry nothing (DropTable, Flush, Compact), checked against `opcode`.
Expected<Empty> decode_empty(const net::Frame& frame, net::Opcode opcode);
Expected<TableInfo> decode_describe_table(const net::Frame& frame);
Expected<std::vector<TableInfo>> decode_list_tables(const net::Frame& frame);
Expected<PingResult> decode_ping(const net::Frame& frame);
Expected<HelloInfo> decode_hello(const net::Frame& frame);
Expected<Topology> decode_topology(const net::Frame& frame);
Expected<ClusterStatus> decode_status(const net::Frame& frame);
Expected<KeyValues> decode_info(const net::Frame& frame);
Expected<KeyValues> decode_table_stats(const net::Frame& frame);
Expected<Endpoints> decode_get_endpoints(const net::Frame& frame);
Expected<ReplicaCopies> decode_get_replicas(const net::Frame& frame);
Expected<ClusterDescription> decode_describe_cluster(const net::Frame& frame);
Expected<GossipInfo> decode_gossip_info(const net::Frame& frame);
Expected<HandoffStatus> decode_handoff_status(const net::Frame& frame);
Expected<HandoffControlResult> decode_handoff_control(const net::Frame& frame);
Expected<RepairRunResult> decode_repair_run(const net::Frame& frame);
Expected<RepairStatus> decode_repair_status(const net::Frame& frame);

}  // namespace pairdb::client
