// What gossip tells the rest of the node about cluster members: liveness, the node-owned state
// every member disseminates, and the events emitted when either changes. Plain values.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <pairdb/ring/types.h>

namespace pairdb::gossip {

using ring::NodeId;

// Limits on what one member may announce; checked when encoding and when decoding.
inline constexpr size_t kAddressBytesMax = 64;  // "host:port".
inline constexpr size_t kNameBytesMax = 64;     // DC, rack, software version.
inline constexpr size_t kMetaTokensMax = ring::kTokensPerNodeMax;

// SWIM's view of a member. Ordered by precedence at equal incarnation.
enum class Liveness : uint8_t { kAlive = 0, kSuspect = 1, kDead = 2, kLeft = 3 };

// The member's own role in the ring.
enum class NodeStatus : uint8_t { kJoining = 0, kNormal = 1, kLeaving = 2, kLeft = 3 };

const char* liveness_name(Liveness l);
const char* node_status_name(NodeStatus s);

// Metadata that changes rarely (addresses, placement, tokens). Fetched from the member itself
// when its meta_version grows, because tokens do not fit a datagram.
struct NodeMeta {
  NodeId id;
  uint64_t meta_version = 0;
  std::string client_addr;
  std::string internode_addr;
  std::string http_addr;
  std::string dc;
  std::string rack;
  std::string software_version;
  std::vector<ring::Token> tokens;

  bool operator==(const NodeMeta&) const = default;
};

// The compact state every message can piggyback. The member owns every field except liveness
// and accuser; it raises its incarnation whenever it changes any of them, so the higher
// incarnation always carries the newest values.
struct MemberUpdate {
  NodeId id;
  uint64_t incarnation = 0;
  Liveness liveness = Liveness::kAlive;
  NodeStatus status = NodeStatus::kJoining;
  uint64_t schema_version = 0;
  uint64_t load_bytes = 0;
  uint64_t meta_version = 0;
  std::string gossip_addr;
  NodeId accuser;  // Who declared the suspicion (nil unless kSuspect).

  bool operator==(const MemberUpdate&) const = default;
};

enum class MemberEventKind : uint8_t {
  kJoined,  // First seen alive with its metadata.
  kAlive,   // Back to alive after being suspect or dead.
  kSuspect,
  kDead,
  kLeft,             // Announced a graceful leave.
  kMetadataChanged,  // New status, schema version or metadata (not load).
  kReaped,           // Forgotten after being dead or left for the reap interval.
};

const char* member_event_name(MemberEventKind k);

struct MemberEvent {
  MemberEventKind kind;
  NodeId id;
  uint64_t incarnation = 0;
};

}  // namespace pairdb::gossip
