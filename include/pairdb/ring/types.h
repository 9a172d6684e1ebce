// Value types shared by the ring, gossip and (later) replication: tokens, node ids, node
// descriptors, replication specs and the placement limits. Plain values, freely copyable and
// safe to share between threads once built.
#pragma once

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <pairdb/status.h>

namespace pairdb {
class Rng;
}

namespace pairdb::ring {

// A position on the ring: token = hash64(partition key). A virtual node at token T owns the
// half-open range (previous token, T], wrapping around past the largest token.
using Token = uint64_t;

// Bounds every placement answer so lookups can fill fixed-capacity buffers without allocating.
inline constexpr size_t kReplicationFactorMax = 16;  // Replicas of one key, all DCs together.
inline constexpr size_t kFallbackReplicasMax = 8;    // Extra nodes for sloppy-quorum fallbacks.
inline constexpr size_t kPreferenceListMax = kReplicationFactorMax + kFallbackReplicasMax;
inline constexpr size_t kTokensPerNodeMax = 1024;
// Default virtual nodes per node, chosen from measured balance of random tokens (pairdb_sim
// --scenario=ring-balance, bench/RESULTS.md): at RF 3 on 50-100 nodes the most loaded node
// holds ~1.09x the mean with 256 tokens, 1.12x with 128, 1.18x with 64 and 1.40x with 16.
// 256 keeps a node within ~10% of its share without a token allocator; its costs (2 KiB of
// tokens in gossip metadata, 25,600 vnodes at 100 nodes, more ranges to stream and repair)
// stay small. Revisit with a balancing token allocator, which would allow ~16.
inline constexpr size_t kDefaultNumTokens = 256;  // Also bounds the gossip metadata message.
inline constexpr size_t kRingNodesMax = 4096;
inline constexpr size_t kDatacentersMax = 16;
inline constexpr size_t kRacksMax = 256;  // Distinct (dc, rack) pairs in one ring.

// 128-bit node identifier (a random version-4 UUID), chosen at first start and persisted.
struct NodeId {
  std::array<uint8_t, 16> bytes{};

  // A fresh version-4 UUID drawn from rng.
  static NodeId random(Rng& rng);
  // Parses the canonical 8-4-4-4-12 hex form; Status::invalid_argument otherwise.
  static Result<NodeId> parse(std::string_view text);
  // Builds an id from two words (high word first), for tests and the simulator.
  static NodeId from_words(uint64_t high, uint64_t low);

  bool is_nil() const { return *this == NodeId{}; }
  uint64_t high_word() const;
  uint64_t low_word() const;
  // Canonical lower-case form: "0f1e2d3c-4b5a-4968-8776-655443322110".
  std::string to_string() const;

  auto operator<=>(const NodeId&) const = default;
};

struct NodeIdHash {
  size_t operator()(const NodeId& id) const {
    return static_cast<size_t>(id.high_word() ^ (id.low_word() * 0x9e3779b97f4a7c15ull));
  }
};

// What the ring needs to know about one physical node.
struct NodeDescriptor {
  NodeId id;
  std::string dc;
  std::string rack;
  std::vector<Token> tokens;  // Size <= kTokensPerNodeMax.
};

// Replica count wanted in one datacenter.
struct DcReplication {
  std::string dc;
  uint32_t rf = 0;

  bool operator==(const DcReplication&) const = default;
};

// How many replicas a table keeps. `simple_rf` > 0 ignores datacenters and racks: the first
// simple_rf distinct nodes clockwise. Otherwise per_dc lists {dc: rf} (NetworkTopology-like).
struct ReplicationSpec {
  uint32_t simple_rf = 0;
  std::vector<DcReplication> per_dc;

  static ReplicationSpec simple(uint32_t rf) { return ReplicationSpec{rf, {}}; }
  uint32_t total_rf() const;
  // Status::invalid_argument unless 1 <= total_rf() <= kReplicationFactorMax, DCs are distinct
  // and at most kDatacentersMax.
  Status validate() const;
};

// The half-open token range (start, end]. start == end means the whole ring.
struct TokenRange {
  Token start = 0;
  Token end = 0;

  bool contains(Token t) const;
  // Fraction of the 2^64 token space the range covers.
  double fraction() const;
  auto operator<=>(const TokenRange&) const = default;
};

// The tokens of `range` as inclusive [first, last] intervals in token order: one, or two when it
// wraps past the largest token.
std::vector<std::pair<Token, Token>> inclusive_intervals(const TokenRange& range);

// Draws `count` distinct random tokens (the caller persists them in its data dir).
// REQUIRES: 1 <= count <= kTokensPerNodeMax.
std::vector<Token> generate_tokens(Rng& rng, size_t count);

}  // namespace pairdb::ring

template <>
struct std::hash<pairdb::ring::NodeId> : pairdb::ring::NodeIdHash {};
