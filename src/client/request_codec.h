// Encodes SDK requests as client-protocol payloads (FlatBuffers tables of client.fbs). The
// payload carries no stream id, so one encoding serves every attempt of a call; only the
// server-side timeout changes between attempts. Pure functions, safe from any thread.
#pragma once

#include <cstdint>
#include <string>

#include <pairdb/client/async_client.h>
#include <pairdb/client/types.h>

namespace pairdb::client {

// server_timeout_ms is the deadline the server applies (0 = the server's default).
std::string encode_payload(const PutRequest& request, uint32_t server_timeout_ms);
std::string encode_payload(const GetRequest& request, uint32_t server_timeout_ms);
std::string encode_payload(const DeleteRequest& request, uint32_t server_timeout_ms);
std::string encode_payload(const QueryRequest& request, uint32_t server_timeout_ms);
std::string encode_payload(const detail::CreateTableArgs& args);
std::string encode_payload(const detail::DropTableArgs& args);
std::string encode_payload(const detail::DescribeTableArgs& args);
std::string encode_payload(const detail::ListTablesArgs& args);
std::string encode_payload(const detail::PingArgs& args);
std::string encode_hello_payload(const std::string& client_name);
std::string encode_payload(const detail::TopologyArgs& args);
std::string encode_payload(const detail::StatusArgs& args);
std::string encode_payload(const detail::InfoArgs& args);
std::string encode_payload(const detail::TableStatsArgs& args);
std::string encode_payload(const detail::GetEndpointsArgs& args);
std::string encode_payload(const detail::GetReplicasArgs& args);
std::string encode_payload(const detail::DescribeClusterArgs& args);
std::string encode_payload(const detail::GossipInfoArgs& args);
std::string encode_payload(const detail::FlushArgs& args);
std::string encode_payload(const detail::CompactArgs& args);
std::string encode_payload(const detail::HandoffStatusArgs& args);
std::string encode_payload(const detail::HandoffControlArgs& args);
std::string encode_payload(const detail::RepairRunArgs& args);
std::string encode_payload(const detail::RepairStatusArgs& args);

}  // namespace pairdb::client
