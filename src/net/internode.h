// Internode protocol: the messages nodes exchange on their internode listener, as plain values,
// and the one codec between them and frames (src/net/schema/internode.fbs for the payloads; the
// client protocol's 12-byte framing, src/net/frame.h, with the opcodes below).
//
// Net knows frames and bytes, not what they mean: a version record is the byte string
// replication::encode_record produced, node ids are their 16 raw bytes, and the receiver
// decodes and validates both before use. decode_* verify every payload first, so a malformed
// or mistyped one is Status::corruption and never reaches a caller.
// Stateless functions, safe from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <pairdb/status.h>

#include "net/frame.h"

namespace pairdb::net::internode {

inline constexpr uint8_t kInternodeProtocolVersion = 1;
inline constexpr size_t kNodeIdBytes = 16;

// name, number. Internode numbers start at 0x0100 so that a frame sent to the wrong listener
// is an unknown opcode there, whichever way round.
#define PAIRDB_INTERNODE_OPCODES(X) \
  X(Handshake, 0x0100)              \
  X(ReplicaWrite, 0x0101)           \
  X(ReplicaRead, 0x0102)            \
  X(RangeRead, 0x0103)              \
  X(ForwardWrite, 0x0104)           \
  X(RepairTree, 0x0105)             \
  X(RepairLeaves, 0x0106)           \
  X(RepairFetch, 0x0107)            \
  X(RepairPush, 0x0108)             \
  X(RepairDone, 0x0109)

#define PAIRDB_INTERNODE_OPCODE_ENUMERATOR(name, number) k##name = number,
enum class InternodeOp : uint16_t { PAIRDB_INTERNODE_OPCODES(PAIRDB_INTERNODE_OPCODE_ENUMERATOR) };
#undef PAIRDB_INTERNODE_OPCODE_ENUMERATOR

std::string_view internode_op_name(InternodeOp op);  // "ReplicaWrite"; "Unknown" otherwise.
bool is_internode_op(uint16_t value);
inline Opcode to_frame_opcode(InternodeOp op) { return static_cast<Opcode>(op); }
inline InternodeOp from_frame_opcode(Opcode op) { return static_cast<InternodeOp>(op); }

struct ItemKey {
  uint64_t table_id = 0;
  std::string partition_key;
  std::string sort_key;
  bool operator==(const ItemKey&) const = default;
};

// --- Requests ---------------------------------------------------------------------------------

struct Handshake {
  uint8_t protocol_version = kInternodeProtocolVersion;
  uint64_t cluster_id = 0;
  std::string node_id;  // kNodeIdBytes raw bytes.
  bool operator==(const Handshake&) const = default;
};
struct ReplicaWrite {
  ItemKey key;
  std::string record;
  bool repair = false;
  // Non-empty (kNodeIdBytes raw bytes) when the receiver is a sloppy-quorum fallback: keep the
  // record as a hint for that natural replica instead of merging it.
  std::string hint_for{};
  bool operator==(const ReplicaWrite&) const = default;
};
struct ReplicaRead {
  ItemKey key;
  bool operator==(const ReplicaRead&) const = default;
};
struct RangeRead {
  uint64_t table_id = 0;
  std::string partition_key;
  std::optional<std::string> from_sort_key;   // Inclusive.
  std::optional<std::string> to_sort_key;     // Inclusive.
  std::optional<std::string> after_sort_key;  // Exclusive resume point.
  uint32_t limit = 0;
  bool operator==(const RangeRead&) const = default;
};
struct ForwardWrite {
  ItemKey key;
  bool tombstone = false;
  std::string value;
  std::string content_type;
  std::string context;  // An encoded version vector (opened, not sealed).
  uint64_t ttl_ms = 0;
  std::string idempotency_key;
  uint8_t consistency = 0;  // replication::Consistency.
  uint32_t timeout_ms = 0;
  bool operator==(const ForwardWrite&) const = default;
};

// Anti-entropy (replication/repair_protocol.h; server/cluster/repair_wire.h translates). A token
// range is (range_start, range_end]; range_start == range_end is the whole ring.
struct RepairScope {
  uint64_t session_id = 0;
  uint64_t sync_id = 0;
  uint64_t table_id = 0;
  uint64_t range_start = 0;
  uint64_t range_end = 0;
  uint32_t depth = 0;
  bool operator==(const RepairScope&) const = default;
};
struct RepairTree {
  RepairScope scope;
  std::vector<uint32_t> nodes;  // Heap indexes.
  bool operator==(const RepairTree&) const = default;
};
struct RepairLeaves {
  RepairScope scope;
  std::vector<uint32_t> leaves;  // 0-based.
  bool operator==(const RepairLeaves&) const = default;
};
struct RepairFetch {
  RepairScope scope;
  std::vector<uint32_t> leaves;
  std::vector<uint64_t> key_hashes;
  uint32_t bytes_max = 0;
  bool operator==(const RepairFetch&) const = default;
};
struct RepairItem {
  std::string storage_key;
  std::string record;
  bool operator==(const RepairItem&) const = default;
};
struct RepairPush {
  uint64_t table_id = 0;
  std::vector<RepairItem> items;
  bool operator==(const RepairPush&) const = default;
};
struct RepairDone {
  uint64_t session_id = 0;
  uint64_t table_id = 0;
  uint64_t range_start = 0;
  uint64_t range_end = 0;
  uint64_t started_wall_ms = 0;
  uint64_t records_differing = 0;
  std::vector<std::string> replicas;  // Node ids, kNodeIdBytes raw bytes each.
  bool operator==(const RepairDone&) const = default;
};

using Request = std::variant<Handshake, ReplicaWrite, ReplicaRead, RangeRead, ForwardWrite,
                             RepairTree, RepairLeaves, RepairFetch, RepairPush, RepairDone>;

// --- Responses --------------------------------------------------------------------------------

struct HandshakeReply {
  uint8_t protocol_version = kInternodeProtocolVersion;
  uint64_t cluster_id = 0;
  std::string node_id;
  bool operator==(const HandshakeReply&) const = default;
};
struct ReplicaWriteReply {
  bool changed = false;
  bool operator==(const ReplicaWriteReply&) const = default;
};
struct ReplicaReadReply {
  std::string record;  // Empty: the replica holds nothing for the key.
  bool operator==(const ReplicaReadReply&) const = default;
};
struct RangeItem {
  std::string sort_key;
  std::string record;
  bool operator==(const RangeItem&) const = default;
};
struct RangeReadReply {
  std::vector<RangeItem> items;
  std::optional<std::string> resume_after;
  bool operator==(const RangeReadReply&) const = default;
};
struct ForwardWriteReply {
  std::string record;
  uint32_t required = 0;
  uint32_t acked = 0;
  bool duplicate = false;
  bool operator==(const ForwardWriteReply&) const = default;
};
struct RepairTreeReply {
  std::vector<uint64_t> hashes;  // One per requested node, in order.
  uint64_t records = 0;
  bool operator==(const RepairTreeReply&) const = default;
};
struct RepairLeafEntry {
  uint64_t key_hash = 0;
  uint64_t digest = 0;
  bool operator==(const RepairLeafEntry&) const = default;
};
struct RepairLeavesReply {
  std::vector<RepairLeafEntry> entries;
  bool operator==(const RepairLeavesReply&) const = default;
};
struct RepairFetchReply {
  std::vector<RepairItem> items;
  bool truncated = false;
  bool operator==(const RepairFetchReply&) const = default;
};
struct RepairPushReply {
  uint32_t changed = 0;
  bool operator==(const RepairPushReply&) const = default;
};
struct RepairDoneReply {
  bool operator==(const RepairDoneReply&) const = default;
};
// A refusal: a wire::ErrorCode number and why (with counts for Unavailable and Timeout).
struct InternodeError {
  uint16_t code = 0;
  std::string message;
  uint32_t required = 0;
  uint32_t achieved = 0;
  bool operator==(const InternodeError&) const = default;
};

using Response = std::variant<HandshakeReply, ReplicaWriteReply, ReplicaReadReply, RangeReadReply,
                              ForwardWriteReply, RepairTreeReply, RepairLeavesReply,
                              RepairFetchReply, RepairPushReply, RepairDoneReply, InternodeError>;

// --- Codec ------------------------------------------------------------------------------------

// The opcode a request travels under, and the one its response answers.
InternodeOp op_of(const Request& request);

// A complete request frame.
std::string encode_request(uint32_t stream_id, const Request& request);
// A complete response frame answering `op` (an InternodeError sets the frame's error flag).
// REQUIRES: the response type is op's (or InternodeError).
std::string encode_response(uint32_t stream_id, InternodeOp op, const Response& response);

// A request frame's payload, verified as its opcode's request table. Status::invalid_argument
// for an opcode that is not internode or a response frame; Status::corruption for a payload
// that does not verify.
Result<Request> decode_request(const Frame& frame);
// A response frame's payload: the opcode's response table, or an InternodeError when the
// error flag is set. Errors as decode_request.
Result<Response> decode_response(const Frame& frame);

}  // namespace pairdb::net::internode
