#include "replication/merkle_tree.h"

#include <bit>
#include <cstring>

#include "common/assert.h"
#include "common/hash.h"

namespace pairdb::replication {

namespace {

constexpr uint64_t kEntrySeed = 0x6d65726b6c65656eULL;  // Keeps entry hashes apart from others.

uint64_t hash_pair(uint64_t left, uint64_t right) {
  char bytes[16];
  std::memcpy(bytes, &left, 8);
  std::memcpy(bytes + 8, &right, 8);
  return hash64(std::string_view(bytes, sizeof bytes));
}

// Tokens in the range (2^64 for the whole ring).
unsigned __int128 width_of(const ring::TokenRange& range) {
  if (range.start == range.end) return static_cast<unsigned __int128>(1) << 64;
  return static_cast<uint64_t>(range.end - range.start);  // Modular: handles the wrap.
}

// ceil(leaf * width / 2^depth): the first offset (tokens past start, minus one) of a leaf; the
// smallest offset o with floor(o * 2^depth / width) >= leaf. leaf may be 2^depth (the end).
unsigned __int128 leaf_begin(const ring::TokenRange& range, uint32_t depth, uint64_t leaf) {
  const unsigned __int128 scaled = static_cast<unsigned __int128>(leaf) * width_of(range);
  const unsigned __int128 unit = static_cast<unsigned __int128>(1) << depth;
  return (scaled + unit - 1) >> depth;
}

}  // namespace

bool merkle_leaf_empty(const ring::TokenRange& range, uint32_t depth, uint32_t leaf) {
  PAIRDB_ASSERT(depth <= kMerkleDepthMax && leaf < (uint64_t{1} << depth));
  return leaf_begin(range, depth, leaf) == leaf_begin(range, depth, uint64_t{leaf} + 1);
}

ring::TokenRange merkle_leaf_range(const ring::TokenRange& range, uint32_t depth, uint32_t leaf) {
  PAIRDB_ASSERT(!merkle_leaf_empty(range, depth, leaf));
  const uint64_t first = static_cast<uint64_t>(leaf_begin(range, depth, leaf));
  const uint64_t last = static_cast<uint64_t>(leaf_begin(range, depth, uint64_t{leaf} + 1) - 1);
  // Offset o is token start + 1 + o, so (start + first, start + 1 + last] in modular arithmetic.
  return ring::TokenRange{range.start + first, range.start + 1 + last};
}

uint64_t merkle_entry_hash(std::string_view storage_key, uint64_t record_digest) {
  return hash64(storage_key, kEntrySeed ^ record_digest);
}

uint32_t merkle_depth_for(uint64_t records, uint64_t records_per_leaf) {
  if (records_per_leaf == 0) records_per_leaf = 1;
  const uint64_t leaves = records / records_per_leaf + (records % records_per_leaf != 0);
  if (leaves <= 1) return 0;
  const uint32_t depth = static_cast<uint32_t>(std::bit_width(leaves - 1));  // ceil(log2).
  return depth > kMerkleDepthMax ? kMerkleDepthMax : depth;
}

MerkleTree::MerkleTree(ring::TokenRange range, uint32_t depth) : range_(range), depth_(depth) {
  PAIRDB_ASSERT(depth <= kMerkleDepthMax);
  nodes_.assign(size_t{2} << depth, 0);
}

uint64_t MerkleTree::offset_of(ring::Token token) const {
  return token - range_.start - 1;  // Modular arithmetic; in [0, width).
}

uint32_t MerkleTree::leaf_of(ring::Token token) const {
  PAIRDB_ASSERT(range_.contains(token));
  const unsigned __int128 scaled = static_cast<unsigned __int128>(offset_of(token)) << depth_;
  return static_cast<uint32_t>(scaled / width_of(range_));
}

bool MerkleTree::leaf_empty(uint32_t leaf) const { return merkle_leaf_empty(range_, depth_, leaf); }

ring::TokenRange MerkleTree::leaf_range(uint32_t leaf) const {
  return merkle_leaf_range(range_, depth_, leaf);
}

void MerkleTree::add(ring::Token token, std::string_view storage_key, uint64_t record_digest) {
  add_hashed(token, merkle_entry_hash(storage_key, record_digest));
}

void MerkleTree::add_hashed(ring::Token token, uint64_t entry_hash) {
  nodes_[leaf_count() + leaf_of(token)] ^= entry_hash;
  ++records_;
  sealed_ = false;
}

void MerkleTree::update(ring::Token token, std::string_view storage_key,
                        std::optional<uint64_t> before, std::optional<uint64_t> after) {
  uint64_t& leaf = nodes_[leaf_count() + leaf_of(token)];
  if (before) {
    leaf ^= merkle_entry_hash(storage_key, *before);
    --records_;
  }
  if (after) {
    leaf ^= merkle_entry_hash(storage_key, *after);
    ++records_;
  }
  sealed_ = false;
}

void MerkleTree::seal() {
  for (size_t n = leaf_count() - 1; n >= 1; --n)
    nodes_[n] = hash_pair(nodes_[2 * n], nodes_[2 * n + 1]);
  sealed_ = true;
}

uint64_t MerkleTree::hash(uint32_t node) const {
  PAIRDB_ASSERT(sealed_);
  PAIRDB_ASSERT(node >= 1 && node < nodes_.size());
  return nodes_[node];
}

std::vector<uint32_t> differing_leaves(const MerkleTree& a, const MerkleTree& b) {
  PAIRDB_ASSERT(a.depth() == b.depth());
  std::vector<uint32_t> frontier;
  if (a.root() != b.root()) frontier.push_back(1);
  for (uint32_t level = 0; level < a.depth(); ++level) {
    std::vector<uint32_t> next;
    for (uint32_t node : frontier) {
      for (uint32_t child : {2 * node, 2 * node + 1}) {
        if (a.hash(child) != b.hash(child)) next.push_back(child);
      }
    }
    frontier = std::move(next);
  }
  for (uint32_t& node : frontier) node -= a.leaf_count();
  return frontier;
}

}  // namespace pairdb::replication
