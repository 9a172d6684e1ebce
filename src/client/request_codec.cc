#include "client/request_codec.h"

#include <string_view>
#include <vector>

#include "net/frame.h"
#include "net/schema/client_generated.h"

namespace pairdb::client {
namespace {

using flatbuffers::FlatBufferBuilder;
using flatbuffers::Offset;

std::string finished(const FlatBufferBuilder& fbb) {
  return std::string(reinterpret_cast<const char*>(fbb.GetBufferPointer()), fbb.GetSize());
}

Offset<flatbuffers::Vector<uint8_t>> bytes(FlatBufferBuilder& fbb, std::string_view s) {
  return fbb.CreateVector(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

// Absent rather than empty, so the server reads the field's default.
Offset<flatbuffers::Vector<uint8_t>> optional_bytes(FlatBufferBuilder& fbb, std::string_view s) {
  return s.empty() ? 0 : bytes(fbb, s);
}
Offset<flatbuffers::String> optional_text(FlatBufferBuilder& fbb, std::string_view s) {
  return s.empty() ? 0 : fbb.CreateString(s.data(), s.size());
}

// The fields that name an item, created in the order every item request lays them out.
struct ItemKeyFields {
  Offset<flatbuffers::String> table;
  Offset<flatbuffers::Vector<uint8_t>> partition_key;
  Offset<flatbuffers::Vector<uint8_t>> sort_key;
};

template <class Request>
ItemKeyFields item_key_fields(FlatBufferBuilder& fbb, const Request& r) {
  // Braced initialisers run in order: table, partition key, sort key.
  return {fbb.CreateString(r.table), bytes(fbb, r.partition_key), optional_bytes(fbb, r.sort_key)};
}

wire::Consistency to_wire(Consistency c) { return static_cast<wire::Consistency>(c); }

Offset<wire::TableSpec> table_spec(FlatBufferBuilder& fbb, const TableSpec& spec) {
  std::vector<Offset<wire::DcReplication>> replication;
  for (const DcReplication& r : spec.replication) {
    replication.push_back(wire::CreateDcReplication(fbb, fbb.CreateString(r.dc), r.rf));
  }
  const auto replication_vector = replication.empty() ? 0 : fbb.CreateVector(replication);
  const auto name = fbb.CreateString(spec.name);
  const auto owner = optional_text(fbb, spec.owner);
  return wire::CreateTableSpec(fbb, name, owner, replication_vector, to_wire(spec.read_consistency),
                               to_wire(spec.write_consistency),
                               static_cast<wire::ConflictMode>(spec.conflict_mode),
                               spec.default_ttl_ms, spec.siblings_warn, spec.siblings_max,
                               static_cast<wire::ReadRepair>(spec.read_repair),
                               /*sloppy_quorum_off=*/!spec.sloppy_quorum);
}

template <class Create>
std::string build(Create create) {
  FlatBufferBuilder fbb;
  fbb.Finish(create(fbb));
  return finished(fbb);
}

// The payload of a request whose one field is a string: create(fbb, offset of the string).
template <class Create>
std::string string_request(const std::string& text, Create create) {
  return build([&](FlatBufferBuilder& fbb) { return create(fbb, fbb.CreateString(text)); });
}

// The payload of a request whose table has no fields.
template <class WireRequest>
std::string empty_request() {
  return build([](FlatBufferBuilder& fbb) { return typename WireRequest::Builder(fbb).Finish(); });
}

}  // namespace

std::string encode_payload(const PutRequest& r, uint32_t server_timeout_ms) {
  return build([&](FlatBufferBuilder& fbb) {
    const ItemKeyFields key = item_key_fields(fbb, r);
    const auto value = bytes(fbb, r.value);
    const auto content_type = optional_text(fbb, r.content_type);
    const auto context = optional_bytes(fbb, r.context);
    const auto idempotency_key = optional_text(fbb, r.idempotency_key);
    return wire::CreatePutRequest(fbb, key.table, key.partition_key, key.sort_key, value,
                                  content_type, context, to_wire(r.consistency), r.ttl_ms,
                                  idempotency_key, server_timeout_ms);
  });
}

std::string encode_payload(const GetRequest& r, uint32_t server_timeout_ms) {
  return build([&](FlatBufferBuilder& fbb) {
    const ItemKeyFields key = item_key_fields(fbb, r);
    return wire::CreateGetRequest(fbb, key.table, key.partition_key, key.sort_key,
                                  to_wire(r.consistency), server_timeout_ms);
  });
}

std::string encode_payload(const DeleteRequest& r, uint32_t server_timeout_ms) {
  return build([&](FlatBufferBuilder& fbb) {
    const ItemKeyFields key = item_key_fields(fbb, r);
    const auto context = optional_bytes(fbb, r.context);
    const auto idempotency_key = optional_text(fbb, r.idempotency_key);
    return wire::CreateDeleteRequest(fbb, key.table, key.partition_key, key.sort_key, context,
                                     to_wire(r.consistency), idempotency_key, server_timeout_ms);
  });
}

std::string encode_payload(const QueryRequest& r, uint32_t server_timeout_ms) {
  return build([&](FlatBufferBuilder& fbb) {
    const auto table = fbb.CreateString(r.table);
    const auto partition_key = bytes(fbb, r.partition_key);
    const auto from = r.from_sort_key ? bytes(fbb, *r.from_sort_key) : 0;
    const auto to = r.to_sort_key ? bytes(fbb, *r.to_sort_key) : 0;
    const auto page_token = optional_bytes(fbb, r.page_token);
    return wire::CreateQueryRequest(fbb, table, partition_key, r.from_sort_key.has_value(), from,
                                    r.to_sort_key.has_value(), to, r.limit, page_token,
                                    to_wire(r.consistency), server_timeout_ms);
  });
}

std::string encode_payload(const detail::CreateTableArgs& args) {
  return build([&](FlatBufferBuilder& fbb) {
    const auto spec = table_spec(fbb, args.spec);
    return wire::CreateCreateTableRequest(fbb, spec, args.if_not_exists);
  });
}

std::string encode_payload(const detail::DropTableArgs& args) {
  return build([&](FlatBufferBuilder& fbb) {
    const auto name = fbb.CreateString(args.name);
    return wire::CreateDropTableRequest(fbb, name, args.if_exists);
  });
}

std::string encode_payload(const detail::DescribeTableArgs& args) {
  return string_request(args.name, &wire::CreateDescribeTableRequest);
}

std::string encode_hello_payload(const std::string& client_name) {
  return build([&](FlatBufferBuilder& fbb) {
    const auto name = fbb.CreateString(client_name);
    const uint8_t versions[] = {net::kProtocolVersion};
    const auto version_vector = fbb.CreateVector(versions, 1);
    return wire::CreateHelloRequest(fbb, name, version_vector);
  });
}

std::string encode_payload(const detail::TableStatsArgs& args) {
  return string_request(args.table, &wire::CreateTableStatsRequest);
}

std::string encode_payload(const detail::GetEndpointsArgs& args) {
  return build([&](FlatBufferBuilder& fbb) {
    const auto table = fbb.CreateString(args.table);
    const auto partition_key = bytes(fbb, args.partition_key);
    return wire::CreateGetEndpointsRequest(fbb, table, partition_key, args.fallbacks);
  });
}

std::string encode_payload(const detail::GetReplicasArgs& args) {
  return build([&](FlatBufferBuilder& fbb) {
    const auto table = fbb.CreateString(args.table);
    const auto partition_key = bytes(fbb, args.partition_key);
    const auto sort_key = bytes(fbb, args.sort_key);
    return wire::CreateGetReplicasRequest(fbb, table, partition_key, sort_key);
  });
}

std::string encode_payload(const detail::CompactArgs& args) {
  return build([&](FlatBufferBuilder& fbb) {
    const auto table = optional_text(fbb, args.table);
    return wire::CreateCompactRequest(fbb, table);
  });
}

// The SDK's HandoffAction numbers are the wire's.
static_assert(static_cast<int>(HandoffAction::kPause) ==
              static_cast<int>(wire::HandoffAction::Pause));
static_assert(static_cast<int>(HandoffAction::kResume) ==
              static_cast<int>(wire::HandoffAction::Resume));
static_assert(static_cast<int>(HandoffAction::kTruncate) ==
              static_cast<int>(wire::HandoffAction::Truncate));

std::string encode_payload(const detail::HandoffControlArgs& args) {
  return build([&](FlatBufferBuilder& fbb) {
    const auto node_id = optional_text(fbb, args.node_id);
    return wire::CreateHandoffControlRequest(fbb, static_cast<wire::HandoffAction>(args.action),
                                             node_id);
  });
}

std::string encode_payload(const detail::RepairRunArgs& args) {
  return build([&](FlatBufferBuilder& fbb) {
    const auto table = optional_text(fbb, args.request.table);
    const auto range =
        args.request.range
            ? wire::CreateRepairTokenRange(fbb, args.request.range->start, args.request.range->end)
            : 0;
    return wire::CreateRepairRunRequest(fbb, table, range, args.request.full);
  });
}

// The requests whose table has no fields, by name: the node, when there is one, only routes
// them.
#define PAIRDB_EMPTY_REQUEST(name)                        \
  std::string encode_payload(const detail::name##Args&) { \
    return empty_request<wire::name##Request>();          \
  }
PAIRDB_EMPTY_REQUEST(ListTables)
PAIRDB_EMPTY_REQUEST(Ping)
PAIRDB_EMPTY_REQUEST(Topology)
PAIRDB_EMPTY_REQUEST(Status)
PAIRDB_EMPTY_REQUEST(Info)
PAIRDB_EMPTY_REQUEST(DescribeCluster)
PAIRDB_EMPTY_REQUEST(GossipInfo)
PAIRDB_EMPTY_REQUEST(Flush)
PAIRDB_EMPTY_REQUEST(HandoffStatus)
PAIRDB_EMPTY_REQUEST(RepairStatus)
#undef PAIRDB_EMPTY_REQUEST

}  // namespace pairdb::client
