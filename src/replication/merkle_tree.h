// MerkleTree: a hash tree over the replica records of one token range of one table, what
// anti-entropy compares between replicas to find the records that differ without shipping them.
//
// Shape: a complete binary tree of fixed depth d over the range (start, end]. The range is cut
// into 2^d leaves of equal token width (some one token narrower, spread over the range, when
// the width does not divide), so two replicas that agree on (range, depth) agree on which leaf
// every token falls in, whatever records they hold. Nodes are numbered heap-style: 1 is the root,
// the children of n are 2n and 2n + 1, and the leaves are [2^d, 2^(d+1)).
//
// Hashes: a record contributes entry_hash(storage key, record digest); a leaf's hash is the XOR
// of its records' entry hashes (0 when empty), so it does not depend on the order records are
// added and a record can be replaced in place (update); an inner node hashes its two children.
// The record digest is record_digest (the hash of the canonical encoding), so two replicas
// holding the same merged record contribute the same entry whatever order its writes arrived in.
//
// Not thread-safe. Invariant: after seal(), every inner node's hash is the hash of its children;
// add() and update() unseal the tree until the next seal().
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include <pairdb/ring/types.h>

namespace pairdb::replication {

inline constexpr uint32_t kMerkleDepthMax = 20;

// What one record adds to its leaf's hash.
uint64_t merkle_entry_hash(std::string_view storage_key, uint64_t record_digest);

// The depth that gives about `records_per_leaf` records per leaf for `records` records, in
// [0, kMerkleDepthMax].
uint32_t merkle_depth_for(uint64_t records, uint64_t records_per_leaf = 4);

// The leaves of a tree of `depth` over `range`, without building one (what MerkleTree's
// leaf_empty and leaf_range answer). REQUIRES: depth <= kMerkleDepthMax, leaf < 2^depth, and for
// merkle_leaf_range a leaf that is not empty.
bool merkle_leaf_empty(const ring::TokenRange& range, uint32_t depth, uint32_t leaf);
ring::TokenRange merkle_leaf_range(const ring::TokenRange& range, uint32_t depth, uint32_t leaf);

class MerkleTree {
 public:
  // REQUIRES: depth <= kMerkleDepthMax.
  MerkleTree(ring::TokenRange range, uint32_t depth);

  const ring::TokenRange& range() const { return range_; }
  uint32_t depth() const { return depth_; }
  uint32_t leaf_count() const { return 1u << depth_; }
  uint64_t records() const { return records_; }

  // The leaf index (0-based) holding `token`. REQUIRES: range().contains(token).
  uint32_t leaf_of(ring::Token token) const;
  // Whether leaf `leaf` (0-based) holds no token at all (only when the range is narrower
  // than 2^depth tokens). REQUIRES: leaf < leaf_count().
  bool leaf_empty(uint32_t leaf) const;
  // The tokens of leaf `leaf`, as a TokenRange (start, end] (start == end for the one leaf of a
  // depth-0 tree over the whole ring). REQUIRES: leaf < leaf_count() and !leaf_empty(leaf).
  ring::TokenRange leaf_range(uint32_t leaf) const;

  // Adds a record. REQUIRES: range().contains(token); each storage key added at most once.
  void add(ring::Token token, std::string_view storage_key, uint64_t record_digest);
  // Adds a record by its merkle_entry_hash (what add computes). REQUIRES: as add.
  void add_hashed(ring::Token token, uint64_t entry_hash);
  // Replaces a record's digest (nullopt = absent) after a merge changed it.
  void update(ring::Token token, std::string_view storage_key, std::optional<uint64_t> before,
              std::optional<uint64_t> after);
  // Computes every inner node from the leaves.
  void seal();

  // Node hashes by heap index. REQUIRES: sealed, 1 <= node < 2^(depth+1).
  uint64_t hash(uint32_t node) const;
  uint64_t root() const { return hash(1); }
  bool sealed() const { return sealed_; }

 private:
  uint64_t offset_of(ring::Token token) const;        // Tokens past range().start, minus one.
  unsigned __int128 width() const;                    // Tokens in the range (2^64 for the ring).
  unsigned __int128 leaf_begin(uint64_t leaf) const;  // First offset of a leaf (leaf_count() ok).

  ring::TokenRange range_;
  uint32_t depth_;
  uint64_t records_ = 0;
  bool sealed_ = false;
  std::vector<uint64_t> nodes_;  // Index 0 unused; [1, 2^(depth+1)).
};

// The leaves (0-based) whose hashes differ, found by descending only into differing subtrees.
// REQUIRES: both sealed, same depth.
std::vector<uint32_t> differing_leaves(const MerkleTree& a, const MerkleTree& b);

}  // namespace pairdb::replication
