// MerkleTree: leaves cut a token range into equal slices, hashes depend only on the set of
// (key, record digest) pairs, and the descent finds exactly the leaves that differ.
#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include <pairdb/replication/storage_key.h>
#include <pairdb/ring/hash_ring.h>
#include "replication/merkle_tree.h"
#include "replication/repair_storage.h"
#include "replication_test_util.h"

namespace pairdb::replication {
namespace {

using ring::Token;
using ring::TokenRange;

struct Entry {
  Token token;
  std::string key;
  uint64_t digest;
};

std::vector<Entry> entries(size_t n, uint64_t seed, const TokenRange& range) {
  std::mt19937_64 rng(seed);
  std::vector<Entry> out;
  while (out.size() < n) {
    const std::string pk = "pk-" + std::to_string(rng());
    const Token token = ring::HashRing::token_of(pk);
    if (!range.contains(token)) continue;
    out.push_back({token, encode_item_key(7, pk, ""), rng()});
  }
  return out;
}

MerkleTree build(const TokenRange& range, uint32_t depth, const std::vector<Entry>& es) {
  MerkleTree tree(range, depth);
  for (const Entry& e : es) tree.add(e.token, e.key, e.digest);
  tree.seal();
  return tree;
}

TEST_CASE("identical record sets give identical trees whatever the order",
          "[replication][merkle]") {
  const TokenRange ring_range{0, 0};
  std::vector<Entry> es = entries(500, 1, ring_range);
  const MerkleTree a = build(ring_range, 6, es);
  std::reverse(es.begin(), es.end());
  const MerkleTree b = build(ring_range, 6, es);
  CHECK(a.root() == b.root());
  CHECK(differing_leaves(a, b).empty());
  CHECK(a.records() == 500);
}

TEST_CASE("one differing record shows as exactly its leaf", "[replication][merkle]") {
  const TokenRange range{0x1000, 0x9000000000000000ULL};
  std::vector<Entry> es = entries(300, 2, range);
  const MerkleTree a = build(range, 8, es);
  es[17].digest ^= 1;
  const MerkleTree b = build(range, 8, es);
  CHECK(a.root() != b.root());
  CHECK(differing_leaves(a, b) == std::vector<uint32_t>{a.leaf_of(es[17].token)});

  // A record one side lacks is a difference too.
  std::vector<Entry> fewer = es;
  fewer.erase(fewer.begin() + 40);
  const MerkleTree c = build(range, 8, fewer);
  CHECK(differing_leaves(b, c) == std::vector<uint32_t>{b.leaf_of(es[40].token)});
}

TEST_CASE("every leaf differs against an empty replica", "[replication][merkle]") {
  const TokenRange range{0, 0};
  const uint32_t depth = 4;
  // One record in every leaf: the leaf's first token.
  MerkleTree full(range, depth);
  for (uint32_t leaf = 0; leaf < full.leaf_count(); ++leaf) {
    const Token t = full.leaf_range(leaf).start + 1;
    full.add(t, "key-" + std::to_string(leaf), leaf);
  }
  full.seal();
  MerkleTree empty(range, depth);
  empty.seal();
  const std::vector<uint32_t> diff = differing_leaves(full, empty);
  CHECK(diff.size() == full.leaf_count());
  CHECK(std::is_sorted(diff.begin(), diff.end()));
}

TEST_CASE("empty trees match, at every depth", "[replication][merkle]") {
  for (uint32_t depth : {0u, 1u, 5u, 12u}) {
    MerkleTree a(TokenRange{5, 99}, depth);
    MerkleTree b(TokenRange{5, 99}, depth);
    a.seal();
    b.seal();
    CHECK(a.root() == b.root());
    CHECK(differing_leaves(a, b).empty());
  }
}

TEST_CASE("update replaces a record's contribution in place", "[replication][merkle]") {
  const TokenRange range{0, 0};
  std::vector<Entry> es = entries(200, 3, range);
  MerkleTree a = build(range, 5, es);
  const Entry changed = es[9];
  a.update(changed.token, changed.key, changed.digest, changed.digest + 1);
  a.update(es[10].token, es[10].key, es[10].digest, std::nullopt);
  a.seal();
  es[9].digest += 1;
  es.erase(es.begin() + 10);
  const MerkleTree b = build(range, 5, es);
  CHECK(a.root() == b.root());
  CHECK(a.records() == b.records());
}

TEST_CASE("leaves tile the range: leaf_of agrees with leaf_range", "[replication][merkle]") {
  const std::vector<TokenRange> ranges = {
      {0, 0},                         // The whole ring.
      {100, 117},                     // 17 tokens: narrower than 2^depth, some empty.
      {0xfffffffffffffff0ULL, 0x20},  // Wraps past the largest token.
      {0x8000000000000000ULL, 0x7fffffffffffffffULL},  // All but one token, wrapping.
  };
  for (const TokenRange& range : ranges) {
    for (uint32_t depth : {0u, 3u, 5u}) {
      const MerkleTree tree(range, depth);
      uint64_t covered = 0;
      for (uint32_t leaf = 0; leaf < tree.leaf_count(); ++leaf) {
        if (tree.leaf_empty(leaf)) continue;
        const TokenRange lr = tree.leaf_range(leaf);
        const Token first = lr.start + 1;
        const Token last = lr.end;
        CHECK(range.contains(first));
        CHECK(range.contains(last));
        CHECK(tree.leaf_of(first) == leaf);
        CHECK(tree.leaf_of(last) == leaf);
        covered += static_cast<uint64_t>(last - first) + 1;  // Wraps to 0 for the whole ring.
      }
      INFO("range (" << range.start << ", " << range.end << "] depth " << depth);
      CHECK(covered == static_cast<uint64_t>(range.end - range.start));
    }
  }
  // Narrow range: 17 tokens over 32 leaves leaves 15 empty.
  const MerkleTree narrow(TokenRange{100, 117}, 5);
  uint32_t empty = 0;
  for (uint32_t leaf = 0; leaf < narrow.leaf_count(); ++leaf) empty += narrow.leaf_empty(leaf);
  CHECK(empty == 15);
}

TEST_CASE("depth grows with the records, capped", "[replication][merkle]") {
  CHECK(merkle_depth_for(0) == 0);
  CHECK(merkle_depth_for(4) == 0);
  CHECK(merkle_depth_for(8) == 1);
  CHECK(merkle_depth_for(4096) == 10);
  CHECK(merkle_depth_for(4097) == 11);
  CHECK(merkle_depth_for(uint64_t{1} << 40) == kMerkleDepthMax);
}

}  // namespace
}  // namespace pairdb::replication

namespace pairdb::replication {
namespace {

TEST_CASE("the same merged record from different write orders has the same digest and leaf",
          "[replication][merkle]") {
  using testing::apply_ok;
  using testing::node;
  using testing::put_write;
  // Three concurrent writes on three replicas, and a fourth that saw the first.
  const VersionRecord a = apply_ok({}, put_write("a"), node(1), 1000).record;
  const VersionRecord b = apply_ok({}, put_write("b"), node(2), 1001).record;
  const VersionRecord c = apply_ok({}, put_write("c"), node(3), 1002).record;
  const VersionRecord d = apply_ok(a, put_write("d", a.context), node(1), 1003).record;
  for (ConflictMode mode : {ConflictMode::kSiblings, ConflictMode::kLww}) {
    const VersionRecord one = merge(merge(merge(a, b, mode), c, mode), d, mode);
    const VersionRecord two = merge(d, merge(c, merge(b, a, mode), mode), mode);
    const VersionRecord three = merge(merge(c, d, mode), merge(a, b, mode), mode);
    REQUIRE(one == two);
    REQUIRE(two == three);
    // What anti-entropy hashes: the stored bytes, which the store writes canonically.
    CHECK(stored_record_digest(encode_record(one)) == record_digest(one));
    CHECK(stored_record_digest(encode_record(two)) == stored_record_digest(encode_record(three)));
    const std::string key = encode_item_key(7, "pk", "");
    CHECK(merkle_entry_hash(key, record_digest(one)) ==
          merkle_entry_hash(key, record_digest(three)));
    // A different record of the same key hashes differently.
    CHECK(record_digest(one) != record_digest(merge(a, b, mode)));
  }
}

}  // namespace
}  // namespace pairdb::replication
