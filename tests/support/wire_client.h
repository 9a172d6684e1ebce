// WireClient: a small blocking client of the binary protocol (src/net/PROTOCOL.md) for tests.
// Plain POSIX sockets, no Asio, so end-to-end tests drive the daemon through code that shares
// nothing with the server but the frame and schema helpers.
//
// Two levels of use:
//   - Typed calls: client.put({.table = "t", .partition_key = "k", .value = "v"}) returns a
//     Reply<PutResult> holding the decoded response (plain C++ values), the server's error, or a
//     transport error.
//   - Raw frames and pipelining: send_raw(), send(args) -> stream id, read_frame(),
//     read_response(stream id), decode_reply<Args>(frame).
//
// Not thread-safe: one thread uses a client at a time. Byte strings (keys, values, contexts,
// page tokens) are std::string.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include <pairdb/status.h>

#include "common/assert.h"
#include "net/frame.h"
#include "net/wire.h"

namespace pairdb::test {

using net::Opcode;

// An error frame from the server.
struct ServerError {
  wire::ErrorCode code = wire::ErrorCode::Internal;
  std::string message;
  uint32_t required = 0;  // Unavailable / Timeout: replicas needed...
  uint32_t achieved = 0;  // ...and replicas reached.

  std::string to_string() const;  // "TableNotFound: no table 'x'".
};

// The outcome of one typed call: a decoded response, an error frame from the server, or a
// transport failure (connection closed = Unavailable, deadline = Timeout, bad bytes =
// Corruption, socket error = IoError).
template <class T>
class [[nodiscard]] Reply {
 public:
  Reply(T value) : state_(std::in_place_index<0>, std::move(value)) {}              // NOLINT
  Reply(ServerError error) : state_(std::in_place_index<1>, std::move(error)) {}    // NOLINT
  Reply(Status transport) : state_(std::in_place_index<2>, std::move(transport)) {  // NOLINT
    PAIRDB_ASSERT(!std::get<2>(state_).is_ok());
  }

  bool is_ok() const { return state_.index() == 0; }
  explicit operator bool() const { return is_ok(); }
  bool is_server_error() const { return state_.index() == 1; }
  bool is_transport_error() const { return state_.index() == 2; }

  // REQUIRES: is_ok()
  T& value() & { return std::get<0>(state_); }
  const T& value() const& { return std::get<0>(state_); }
  T&& value() && { return std::get<0>(std::move(state_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  // REQUIRES: is_server_error()
  const ServerError& error() const { return std::get<1>(state_); }
  // The server's error code, or nullopt when there is none.
  std::optional<wire::ErrorCode> error_code() const {
    if (!is_server_error()) return std::nullopt;
    return error().code;
  }
  // The transport status; OK unless is_transport_error().
  Status transport_status() const { return is_transport_error() ? std::get<2>(state_) : Status(); }

  // For test diagnostics: "OK", "server error: <code>: <message>" or "transport: <status>".
  std::string describe() const {
    if (is_ok()) return "OK";
    if (is_server_error()) return "server error: " + error().to_string();
    return "transport: " + std::get<2>(state_).to_string();
  }

 private:
  std::variant<T, ServerError, Status> state_;
};

// ---- Plain values ----------------------------------------------------------------------------

struct Empty {};

struct Sibling {
  std::string value{};
  std::string content_type{};
  uint64_t timestamp = 0;
  uint64_t expires_at_ms = 0;
  bool tombstone = false;
};

struct DcReplication {
  std::string dc{};
  uint32_t rf = 0;
};

struct TableSpec {
  std::string name{};
  std::string owner{};
  std::vector<DcReplication> replication{};
  wire::Consistency read_consistency = wire::Consistency::Default;
  wire::Consistency write_consistency = wire::Consistency::Default;
  wire::ConflictMode conflict_mode = wire::ConflictMode::Siblings;
  uint64_t default_ttl_ms = 0;
  uint32_t siblings_warn = 0;
  uint32_t siblings_max = 0;
  wire::ReadRepair read_repair = wire::ReadRepair::Blocking;
  bool sloppy_quorum = true;  // Sent as the wire's sloppy_quorum_off.
};

struct TableInfo {
  TableSpec spec;
  uint64_t table_id = 0;
  uint64_t created_at_ms = 0;
  uint64_t schema_version = 0;
};

struct NodeInfo {
  std::string node_id{};
  std::string address{};
  std::string http_address{};
  std::string dc{};
  std::string rack{};
  std::string state{};
  std::vector<uint64_t> tokens{};
  std::string liveness{};
  uint64_t load_bytes = 0;
};

// ---- Results ---------------------------------------------------------------------------------

struct HelloResult {
  uint8_t protocol_version = 0;
  std::string node_id;
  std::string cluster_name;
  std::string server_version;
  uint32_t max_frame_bytes = 0;
};

struct PingResult {
  std::string node_id;
  uint64_t uptime_ms = 0;
};

struct PutResult {
  std::string context;
  bool duplicate = false;
};

struct GetResult {
  bool found = false;
  std::vector<Sibling> siblings;
  std::string context;
};

struct DeleteResult {
  std::string context;
};

struct QueryItem {
  std::string sort_key;
  std::vector<Sibling> siblings;
  std::string context;
};

struct QueryResult {
  std::vector<QueryItem> items;
  std::string next_page_token;  // Empty on the last page.
};

struct ListTablesResult {
  std::vector<TableInfo> tables;
};

struct TopologyResult {
  std::string partitioner;
  std::vector<NodeInfo> nodes;
  uint64_t ring_version = 0;
};

struct StatusResult {
  std::string node_id;
  std::vector<NodeInfo> nodes;
};

struct GetEndpointsResult {
  uint64_t token = 0;
  std::vector<NodeInfo> nodes;  // Natural replicas first; tokens empty.
  uint32_t natural_count = 0;
  uint64_t ring_version = 0;
};

struct ReplicaCopyInfo {
  std::string node_id;
  std::string address;
  std::string error;
  bool found = false;
  std::vector<Sibling> siblings;
  std::string context;
  uint64_t digest = 0;
  bool agrees = false;
  bool is_self = false;
};

struct GetReplicasResult {
  uint64_t token = 0;
  std::vector<ReplicaCopyInfo> replicas;
};

struct SchemaVersionInfo {
  uint64_t version = 0;
  std::vector<std::string> node_ids;
};

struct DescribeClusterResult {
  std::string cluster_name;
  std::string partitioner;
  std::vector<SchemaVersionInfo> schema_versions;
  bool schema_agreement = false;
  uint64_t ring_version = 0;
};

struct GossipMemberInfo {
  std::string node_id;
  std::string gossip_address;
  uint64_t incarnation = 0;
  std::string status;
  uint64_t schema_version = 0;
  uint64_t load_bytes = 0;
  std::string software_version;
  std::string dc;
  std::string rack;
  std::string liveness;
  uint64_t meta_version = 0;
};

struct GossipInfoResult {
  std::string node_id;
  std::vector<GossipMemberInfo> members;
};

struct SchemaPullResult {
  std::vector<TableInfo> tables;
  std::vector<uint64_t> dropped_table_ids;
  uint64_t schema_version = 0;
  uint64_t digest = 0;
};

struct HandoffTargetInfo {
  std::string node_id;
  uint64_t hints = 0;
  uint64_t bytes = 0;
  uint64_t oldest_created_wall_ms = 0;
  std::string state;
  std::string liveness;
};

struct RepairRangeInfo {
  uint64_t table_id = 0;
  std::string table;  // Empty when the server's catalog no longer knows the table.
  uint64_t range_start = 0;
  uint64_t range_end = 0;
  std::string reason;
  uint64_t marked_wall_ms = 0;
  uint64_t hints_dropped = 0;
};

struct HandoffStatusResult {
  std::vector<HandoffTargetInfo> targets;
  bool paused_all = false;
  uint64_t stored = 0;
  uint64_t delivered = 0;
  uint64_t delivered_bytes = 0;
  uint64_t failed_attempts = 0;
  uint64_t total_bytes = 0;
  std::vector<std::pair<std::string, uint64_t>> dropped;  // By reason, in the server's order.
  std::vector<RepairRangeInfo> repair_ranges;
  uint64_t repair_ranges_total = 0;
};

struct HandoffControlResult {
  uint64_t affected = 0;
};

struct RepairRunResult {
  uint64_t job_id = 0;
};

struct RepairSessionInfo {
  std::string table;
  uint64_t range_start = 0;
  uint64_t range_end = 0;
  std::vector<std::string> peers{};
  double progress = 0;
  bool background = false;
  uint64_t records_differing = 0;
  uint64_t records_fetched = 0;
  uint64_t records_pushed = 0;
  uint64_t bytes_sent = 0;
  uint64_t bytes_received = 0;
};

struct RepairJobInfo {
  uint64_t id = 0;
  std::string state;
  std::string table;
  uint64_t started_wall_ms = 0;
  uint64_t finished_wall_ms = 0;
  uint32_t ranges_total = 0;
  uint32_t ranges_done = 0;
  uint32_t ranges_failed = 0;
  double progress = 0;
  uint64_t records_differing = 0;
  uint64_t records_exchanged = 0;
  uint64_t bytes_exchanged = 0;
  std::string error;
};

struct RepairRangeStateInfo {
  std::string table;
  uint64_t range_start = 0;
  uint64_t range_end = 0;
  uint64_t last_verified_wall_ms = 0;
  uint64_t records_differing = 0;
  bool marked = false;
  bool overdue = false;
  bool running = false;
};

struct RepairStatusResult {
  std::vector<RepairSessionInfo> sessions;
  std::vector<RepairJobInfo> jobs;
  std::vector<RepairRangeStateInfo> ranges;
  uint64_t ranges_total = 0;
  uint64_t interval_ms = 0;
  uint64_t rate_bytes_per_sec = 0;
};

struct KeyValues {
  std::vector<std::pair<std::string, std::string>> entries;  // In the server's order.

  // The first value stored under `key`, or nullptr.
  const std::string* find(std::string_view key) const;
};

// ---- Requests --------------------------------------------------------------------------------
// Every member has a default initializer, so designated initializers may name any subset:
// client.get({.table = "t", .partition_key = "k"}).

struct HelloArgs {
  std::string client_name = "pairdb-test";
  std::vector<uint8_t> protocol_versions = {net::kProtocolVersion};
  std::string auth_token{};
};

struct PingArgs {};

struct PutArgs {
  std::string table{};
  std::string partition_key{};
  std::string sort_key{};
  std::string value{};
  std::string content_type{};
  std::string context{};  // Empty = blind write.
  wire::Consistency consistency = wire::Consistency::Default;
  uint64_t ttl_ms = 0;
  std::string idempotency_key{};
  uint32_t timeout_ms = 0;
};

struct GetArgs {
  std::string table{};
  std::string partition_key{};
  std::string sort_key{};
  wire::Consistency consistency = wire::Consistency::Default;
  uint32_t timeout_ms = 0;
};

struct DeleteArgs {
  std::string table{};
  std::string partition_key{};
  std::string sort_key{};
  std::string context{};
  wire::Consistency consistency = wire::Consistency::Default;
  std::string idempotency_key{};
  uint32_t timeout_ms = 0;
};

struct QueryArgs {
  std::string table{};
  std::string partition_key{};
  std::optional<std::string> from_sort_key{};  // Inclusive; nullopt = unbounded.
  std::optional<std::string> to_sort_key{};    // Inclusive; nullopt = unbounded.
  uint32_t limit = 0;
  std::string page_token{};
  wire::Consistency consistency = wire::Consistency::Default;
  uint32_t timeout_ms = 0;
};

struct CreateTableArgs {
  TableSpec spec{};
  bool if_not_exists = false;
};

struct DropTableArgs {
  std::string name{};
  bool if_exists = false;
};

struct ListTablesArgs {};

struct DescribeTableArgs {
  std::string name{};
};

struct TopologyArgs {};

struct StatusArgs {};

struct InfoArgs {};

struct TableStatsArgs {
  std::string table{};
};

struct FlushArgs {};

struct CompactArgs {
  std::string table{};  // Empty = every table.
};

struct GetEndpointsArgs {
  std::string table{};
  std::string partition_key{};
  uint32_t fallbacks = 0;
};

struct GetReplicasArgs {
  std::string table{};
  std::string partition_key{};
  std::string sort_key{};
};

struct DescribeClusterArgs {};

struct GossipInfoArgs {};

struct SchemaPullArgs {};

struct HandoffStatusArgs {};

struct HandoffControlArgs {
  wire::HandoffAction action = wire::HandoffAction::Unspecified;
  std::string node_id{};  // Empty = every target.
};

struct RepairRunArgs {
  std::string table{};                                   // Empty = every table.
  std::optional<std::pair<uint64_t, uint64_t>> range{};  // (start, end]; nullopt = absent.
  bool full = false;
};

struct RepairStatusArgs {};

// Each request names its opcode, its response table and the plain result it decodes to.
template <class Args>
struct RequestTraits;

#define PAIRDB_TEST_REQUEST_TRAITS(ArgsT, op, WireResponseT, ResponseT) \
  template <>                                                           \
  struct RequestTraits<ArgsT> {                                         \
    static constexpr Opcode kOpcode = Opcode::op;                       \
    using WireResponse = WireResponseT;                                 \
    using Response = ResponseT;                                         \
  }
PAIRDB_TEST_REQUEST_TRAITS(HelloArgs, kHello, wire::HelloResponse, HelloResult);
PAIRDB_TEST_REQUEST_TRAITS(PingArgs, kPing, wire::PingResponse, PingResult);
PAIRDB_TEST_REQUEST_TRAITS(PutArgs, kPut, wire::PutResponse, PutResult);
PAIRDB_TEST_REQUEST_TRAITS(GetArgs, kGet, wire::GetResponse, GetResult);
PAIRDB_TEST_REQUEST_TRAITS(DeleteArgs, kDelete, wire::DeleteResponse, DeleteResult);
PAIRDB_TEST_REQUEST_TRAITS(QueryArgs, kQuery, wire::QueryResponse, QueryResult);
PAIRDB_TEST_REQUEST_TRAITS(CreateTableArgs, kCreateTable, wire::CreateTableResponse, TableInfo);
PAIRDB_TEST_REQUEST_TRAITS(DropTableArgs, kDropTable, wire::DropTableResponse, Empty);
PAIRDB_TEST_REQUEST_TRAITS(ListTablesArgs, kListTables, wire::ListTablesResponse, ListTablesResult);
PAIRDB_TEST_REQUEST_TRAITS(DescribeTableArgs, kDescribeTable, wire::DescribeTableResponse,
                           TableInfo);
PAIRDB_TEST_REQUEST_TRAITS(TopologyArgs, kTopology, wire::TopologyResponse, TopologyResult);
PAIRDB_TEST_REQUEST_TRAITS(StatusArgs, kStatus, wire::StatusResponse, StatusResult);
PAIRDB_TEST_REQUEST_TRAITS(InfoArgs, kInfo, wire::InfoResponse, KeyValues);
PAIRDB_TEST_REQUEST_TRAITS(TableStatsArgs, kTableStats, wire::TableStatsResponse, KeyValues);
PAIRDB_TEST_REQUEST_TRAITS(FlushArgs, kFlush, wire::FlushResponse, Empty);
PAIRDB_TEST_REQUEST_TRAITS(CompactArgs, kCompact, wire::CompactResponse, Empty);
PAIRDB_TEST_REQUEST_TRAITS(GetEndpointsArgs, kGetEndpoints, wire::GetEndpointsResponse,
                           GetEndpointsResult);
PAIRDB_TEST_REQUEST_TRAITS(GetReplicasArgs, kGetReplicas, wire::GetReplicasResponse,
                           GetReplicasResult);
PAIRDB_TEST_REQUEST_TRAITS(DescribeClusterArgs, kDescribeCluster, wire::DescribeClusterResponse,
                           DescribeClusterResult);
PAIRDB_TEST_REQUEST_TRAITS(GossipInfoArgs, kGossipInfo, wire::GossipInfoResponse, GossipInfoResult);
PAIRDB_TEST_REQUEST_TRAITS(SchemaPullArgs, kSchemaPull, wire::SchemaPullResponse, SchemaPullResult);
PAIRDB_TEST_REQUEST_TRAITS(HandoffStatusArgs, kHandoffStatus, wire::HandoffStatusResponse,
                           HandoffStatusResult);
PAIRDB_TEST_REQUEST_TRAITS(HandoffControlArgs, kHandoffControl, wire::HandoffControlResponse,
                           HandoffControlResult);
PAIRDB_TEST_REQUEST_TRAITS(RepairRunArgs, kRepairRun, wire::RepairRunResponse, RepairRunResult);
PAIRDB_TEST_REQUEST_TRAITS(RepairStatusArgs, kRepairStatus, wire::RepairStatusResponse,
                           RepairStatusResult);
#undef PAIRDB_TEST_REQUEST_TRAITS

// ---- Encoding and decoding (used by WireClient; public for raw-frame tests) -----------------

// Builds the request table of `args` into `fbb` and finishes it.
void build_request(flatbuffers::FlatBufferBuilder& fbb, const HelloArgs& args);
void build_request(flatbuffers::FlatBufferBuilder& fbb, const PingArgs& args);
void build_request(flatbuffers::FlatBufferBuilder& fbb, const PutArgs& args);
void build_request(flatbuffers::FlatBufferBuilder& fbb, const GetArgs& args);
void build_request(flatbuffers::FlatBufferBuilder& fbb, const DeleteArgs& args);
void build_request(flatbuffers::FlatBufferBuilder& fbb, const QueryArgs& args);
void build_request(flatbuffers::FlatBufferBuilder& fbb, const CreateTableArgs& args);
void build_request(flatbuffers::FlatBufferBuilder& fbb, const DropTableArgs& args);
void build_request(flatbuffers::FlatBufferBuilder& fbb, const ListTablesArgs& args);
void build_request(flatbuffers::FlatBufferBuilder& fbb, const DescribeTableArgs& args);
void build_request(flatbuffers::FlatBufferBuilder& fbb, const TopologyArgs& args);
void build_request(flatbuffers::FlatBufferBuilder& fbb, const StatusArgs& args);
void build_request(flatbuffers::FlatBufferBuilder& fbb, const InfoArgs& args);
void build_request(flatbuffers::FlatBufferBuilder& fbb, const TableStatsArgs& args);
void build_request(flatbuffers::FlatBufferBuilder& fbb, const FlushArgs& args);
void build_request(flatbuffers::FlatBufferBuilder& fbb, const CompactArgs& args);
void build_request(flatbuffers::FlatBufferBuilder& fbb, const GetEndpointsArgs& args);
void build_request(flatbuffers::FlatBufferBuilder& fbb, const GetReplicasArgs& args);
void build_request(flatbuffers::FlatBufferBuilder& fbb, const DescribeClusterArgs& args);
void build_request(flatbuffers::FlatBufferBuilder& fbb, const GossipInfoArgs& args);
void build_request(flatbuffers::FlatBufferBuilder& fbb, const SchemaPullArgs& args);
void build_request(flatbuffers::FlatBufferBuilder& fbb, const HandoffStatusArgs& args);
void build_request(flatbuffers::FlatBufferBuilder& fbb, const HandoffControlArgs& args);
void build_request(flatbuffers::FlatBufferBuilder& fbb, const RepairRunArgs& args);
void build_request(flatbuffers::FlatBufferBuilder& fbb, const RepairStatusArgs& args);

// Copies a verified response table into plain values.
HelloResult from_wire(const wire::HelloResponse& r);
PingResult from_wire(const wire::PingResponse& r);
PutResult from_wire(const wire::PutResponse& r);
GetResult from_wire(const wire::GetResponse& r);
DeleteResult from_wire(const wire::DeleteResponse& r);
QueryResult from_wire(const wire::QueryResponse& r);
TableInfo from_wire(const wire::CreateTableResponse& r);
Empty from_wire(const wire::DropTableResponse& r);
ListTablesResult from_wire(const wire::ListTablesResponse& r);
TableInfo from_wire(const wire::DescribeTableResponse& r);
TopologyResult from_wire(const wire::TopologyResponse& r);
StatusResult from_wire(const wire::StatusResponse& r);
KeyValues from_wire(const wire::InfoResponse& r);
KeyValues from_wire(const wire::TableStatsResponse& r);
Empty from_wire(const wire::FlushResponse& r);
Empty from_wire(const wire::CompactResponse& r);
GetEndpointsResult from_wire(const wire::GetEndpointsResponse& r);
GetReplicasResult from_wire(const wire::GetReplicasResponse& r);
DescribeClusterResult from_wire(const wire::DescribeClusterResponse& r);
GossipInfoResult from_wire(const wire::GossipInfoResponse& r);
SchemaPullResult from_wire(const wire::SchemaPullResponse& r);
HandoffStatusResult from_wire(const wire::HandoffStatusResponse& r);
HandoffControlResult from_wire(const wire::HandoffControlResponse& r);
RepairRunResult from_wire(const wire::RepairRunResponse& r);
RepairStatusResult from_wire(const wire::RepairStatusResponse& r);

// Decodes an error frame's payload. Status::corruption if it does not verify.
Result<ServerError> decode_error(const net::Frame& frame);

// A complete request frame for `args`.
template <class Args>
std::string encode_request(uint32_t stream_id, const Args& args) {
  flatbuffers::FlatBufferBuilder fbb;
  build_request(fbb, args);
  return net::encode_request_frame(stream_id, RequestTraits<Args>::kOpcode, fbb);
}

// Interprets `frame` as the answer to a request of type Args: an error frame becomes a
// ServerError; a frame that is not a response to RequestTraits<Args>::kOpcode, or whose payload
// does not verify, becomes a transport error (Corruption).
template <class Args>
Reply<typename RequestTraits<Args>::Response> decode_reply(const net::Frame& frame) {
  if (frame.header.is_error()) {
    Result<ServerError> error = decode_error(frame);
    if (!error.is_ok()) return error.status();
    return std::move(error).value();
  }
  if (!frame.header.is_response() || frame.header.opcode != RequestTraits<Args>::kOpcode) {
    return Status::corruption("expected a " +
                              std::string(net::opcode_name(RequestTraits<Args>::kOpcode)) +
                              " response, got a frame with opcode " +
                              std::to_string(static_cast<uint16_t>(frame.header.opcode)) +
                              " and flags " + std::to_string(frame.header.flags));
  }
  auto payload =
      net::verify_payload<typename RequestTraits<Args>::WireResponse>(frame.payload_bytes());
  if (!payload.is_ok()) return payload.status();
  return from_wire(**payload);
}

// ---- The client ------------------------------------------------------------------------------

struct WireClientOptions {
  uint32_t connect_timeout_ms = 5000;
  uint32_t call_timeout_ms = 10000;  // Deadline of typed calls and of send_raw.
  uint32_t max_frame_bytes = net::kDefaultMaxFrameBytes;  // Largest response accepted.
  size_t stashed_frames_max = 100000;  // Out-of-order responses held for read_response().
};

// Owns one TCP connection. Invariant: stream ids handed out are never 0 and, until they wrap
// after 2^32 - 1 requests, never repeat.
class WireClient {
 public:
  // Resolves host (name or address) and connects with TCP_NODELAY.
  static Result<WireClient> connect(const std::string& host, uint16_t port,
                                    const WireClientOptions& options = {});

  WireClient(WireClient&& other) noexcept;
  WireClient& operator=(WireClient&& other) noexcept;
  WireClient(const WireClient&) = delete;
  WireClient& operator=(const WireClient&) = delete;
  ~WireClient();

  // ---- Raw access
  // Writes all of `bytes`, bounded by call_timeout_ms.
  Status send_raw(std::string_view bytes);
  // The next frame of any stream (frames stashed by read_response() first). Errors:
  // Unavailable once the peer has closed and every received frame was returned; Timeout when
  // no frame completes within timeout_ms; Corruption for a bad frame header.
  Result<net::Frame> read_frame(uint32_t timeout_ms);
  // The next frame whose stream id is `stream_id`, or a connection-level error frame (stream id
  // 0); other frames are stashed for later read_frame()/read_response() calls.
  Result<net::Frame> read_response(uint32_t stream_id, uint32_t timeout_ms);
  // Closes the write side; the server sees EOF after the bytes already sent.
  void shutdown_write();
  void close();
  // True once a read saw EOF or a reset.
  bool peer_closed() const { return peer_closed_; }
  uint32_t next_stream_id();

  // ---- Requests
  // Sends a finished builder as a request frame; returns the stream id it used.
  Result<uint32_t> send_request(Opcode opcode, const flatbuffers::FlatBufferBuilder& fbb);
  // send_request() then read_response() within call_timeout_ms.
  Result<net::Frame> call(Opcode opcode, const flatbuffers::FlatBufferBuilder& fbb);

  // Pipelining: send now, read the answer later with read_response(id) + decode_reply<Args>().
  template <class Args>
  Result<uint32_t> send(const Args& args) {
    const uint32_t id = next_stream_id();
    PAIRDB_TRY(send_raw(encode_request(id, args)));
    return id;
  }

  // One request, one decoded reply.
  template <class Args>
  Reply<typename RequestTraits<Args>::Response> run(const Args& args) {
    Result<uint32_t> id = send(args);
    if (!id.is_ok()) return id.status();
    Result<net::Frame> frame = read_response(*id, options_.call_timeout_ms);
    if (!frame.is_ok()) return frame.status();
    return decode_reply<Args>(*frame);
  }

  Reply<HelloResult> hello(const HelloArgs& args = {}) { return run(args); }
  Reply<PingResult> ping() { return run(PingArgs{}); }
  Reply<PutResult> put(const PutArgs& args) { return run(args); }
  Reply<GetResult> get(const GetArgs& args) { return run(args); }
  Reply<DeleteResult> del(const DeleteArgs& args) { return run(args); }
  Reply<QueryResult> query(const QueryArgs& args) { return run(args); }
  Reply<TableInfo> create_table(const TableSpec& spec, bool if_not_exists = false);
  Reply<Empty> drop_table(std::string_view name, bool if_exists = false);
  Reply<ListTablesResult> list_tables() { return run(ListTablesArgs{}); }
  Reply<TableInfo> describe_table(std::string_view name);
  Reply<TopologyResult> topology() { return run(TopologyArgs{}); }
  Reply<StatusResult> status() { return run(StatusArgs{}); }
  Reply<KeyValues> info() { return run(InfoArgs{}); }
  Reply<KeyValues> table_stats(std::string_view table);
  Reply<Empty> flush() { return run(FlushArgs{}); }
  Reply<Empty> compact(std::string_view table = "");
  Reply<GetEndpointsResult> get_endpoints(const GetEndpointsArgs& args) { return run(args); }
  Reply<GetReplicasResult> get_replicas(const GetReplicasArgs& args) { return run(args); }
  Reply<DescribeClusterResult> describe_cluster() { return run(DescribeClusterArgs{}); }
  Reply<GossipInfoResult> gossip_info() { return run(GossipInfoArgs{}); }
  Reply<SchemaPullResult> schema_pull() { return run(SchemaPullArgs{}); }
  Reply<HandoffStatusResult> handoff_status() { return run(HandoffStatusArgs{}); }
  Reply<HandoffControlResult> handoff_control(wire::HandoffAction action,
                                              std::string_view node_id = "");

  const WireClientOptions& options() const { return options_; }
  void set_call_timeout_ms(uint32_t timeout_ms) { options_.call_timeout_ms = timeout_ms; }

 private:
  WireClient(int fd, const WireClientOptions& options);
  // Reads from the socket until the decoder yields a frame or the deadline passes.
  Result<net::Frame> receive(int64_t deadline_ms);

  int fd_ = -1;
  WireClientOptions options_;
  net::FrameDecoder decoder_;
  std::deque<net::Frame> stash_;  // Frames read while waiting for another stream id.
  uint32_t last_stream_id_ = 0;
  bool peer_closed_ = false;
};

}  // namespace pairdb::test
