// HashRing: the consistent-hash ring with virtual nodes, and every placement question the
// coordinator, streaming and the admin CLI ask of it.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <pairdb/ring/types.h>
#include <pairdb/status.h>

namespace pairdb::ring {

// The replicas of one token, in a fixed inline buffer: the first natural_count() entries are the
// natural replicas, any after them are sloppy-quorum fallbacks in clockwise order.
// Invariant: entries are distinct; size() <= kPreferenceListMax.
class PreferenceList {
 public:
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  size_t natural_count() const { return natural_count_; }
  const NodeId& operator[](size_t i) const;
  const NodeId* begin() const { return ids_.data(); }
  const NodeId* end() const { return ids_.data() + size_; }
  bool contains(const NodeId& id) const;

 private:
  friend class HashRing;
  std::array<NodeId, kPreferenceListMax> ids_;
  uint8_t size_ = 0;
  uint8_t natural_count_ = 0;
};

// One range a joining or leaving node makes change hands: `to` must receive `range` and can
// stream it from `from`, which held it before the change.
struct RangeMove {
  TokenRange range;
  NodeId from;
  NodeId to;
  auto operator<=>(const RangeMove&) const = default;
};

// A token range whose every token has the same natural replicas (sorted by id).
struct ReplicatedRange {
  TokenRange range;
  std::vector<NodeId> replicas;
  bool operator==(const ReplicatedRange&) const = default;
};

struct NodeOwnership {
  NodeId id;
  double fraction = 0;  // Share of all replicated data this node holds; sums to 1 over nodes.
};

// An immutable snapshot of the ring. Owners build a new one on every membership change and swap
// a shared_ptr<const HashRing> atomically; readers on any thread keep using the snapshot they
// loaded. All methods are const and thread-safe.
// Invariants: tokens_ strictly increasing; owners_[i] < nodes_.size(); every node owns >= 1 token.
class HashRing {
 public:
  // Status::invalid_argument for duplicate or nil ids, a token owned twice, or any limit in
  // types.h exceeded. An empty node list gives an empty ring.
  static Result<std::shared_ptr<const HashRing>> build(std::vector<NodeDescriptor> nodes);

  static Token token_of(std::string_view partition_key);

  size_t node_count() const { return nodes_.size(); }
  size_t vnode_count() const { return tokens_.size(); }
  const std::vector<NodeDescriptor>& nodes() const { return nodes_; }
  const NodeDescriptor* find_node(const NodeId& id) const;

  // The owner of the first virtual node clockwise from t. REQUIRES: node_count() > 0.
  NodeId primary(Token t) const;

  // The natural replicas of t per spec, then up to `fallbacks` more distinct nodes clockwise
  // (restricted to the spec's DCs) for sloppy quorums. O(log V) search plus a walk that stops
  // once the list is full; never allocates. Fewer entries when the ring has too few nodes.
  // REQUIRES: spec.validate().is_ok(); fallbacks <= kFallbackReplicasMax.
  PreferenceList preference_list(Token t, const ReplicationSpec& spec, size_t fallbacks = 0) const;

  // The ranges for which `id` is a natural replica, merged where adjacent, in token order.
  std::vector<TokenRange> ranges_replicated_by(const NodeId& id, const ReplicationSpec& spec) const;

  // The ring cut into ranges of one replica set each (adjacent virtual node ranges with the
  // same natural replicas merged, across the wrap too), in token order: the units anti-entropy
  // repairs. Empty for an empty ring; the whole ring (start == end) when every token has the
  // same replicas.
  std::vector<ReplicatedRange> replicated_ranges(const ReplicationSpec& spec) const;

  // Per node (in nodes() order), the share of replicated data it holds under spec.
  std::vector<NodeOwnership> ownership(const ReplicationSpec& spec) const;

  // Which ranges change hands going from `before` to `after` (a node joined or left): for every
  // node that becomes a natural replica of a range, the node it can stream it from (preferably
  // the replica that stops holding it). Adjacent ranges with the same endpoints are merged.
  static std::vector<RangeMove> pending_ranges(const HashRing& before, const HashRing& after,
                                               const ReplicationSpec& spec);

 private:
  using NodeIndex = uint32_t;
  struct Picked;

  HashRing() = default;
  Status index_nodes();
  size_t first_vnode_at_or_after(Token t) const;
  void pick_simple(size_t start, uint32_t rf, Picked* picked) const;
  void pick_per_dc(size_t start, const ReplicationSpec& spec, Picked* picked) const;
  void pick_fallbacks(size_t start, const ReplicationSpec& spec, size_t fallbacks,
                      Picked* picked) const;
  TokenRange vnode_range(size_t i) const;

  std::vector<Token> tokens_;      // Sorted virtual node tokens.
  std::vector<NodeIndex> owners_;  // owners_[i] owns tokens_[i].
  std::vector<NodeDescriptor> nodes_;
  std::vector<uint16_t> node_dc_;    // DC index of each node.
  std::vector<uint16_t> node_rack_;  // Global (dc, rack) index of each node.
  std::vector<std::string> dc_names_;
  std::vector<uint32_t> nodes_per_dc_;
  std::vector<uint32_t> racks_per_dc_;
  std::unordered_map<NodeId, NodeIndex> index_;
};

}  // namespace pairdb::ring
