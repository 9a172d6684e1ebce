#include <catch2/catch.hpp>

#include <vector>

#include "gossip/state_digest.h"

using namespace pairdb;
using namespace pairdb::gossip;

TEST_CASE("digest buckets hold about eight members, up to the datagram limit", "[digest]") {
  REQUIRE(digest_bucket_count(0) == 1);
  REQUIRE(digest_bucket_count(8) == 1);
  REQUIRE(digest_bucket_count(9) == 2);
  REQUIRE(digest_bucket_count(42) == 8);
  REQUIRE(digest_bucket_count(1000) == 128);
  REQUIRE(digest_bucket_count(ring::kRingNodesMax) == kSyncDigestBucketsMax);
  for (size_t n = 0; n <= ring::kRingNodesMax; n += 7) {
    REQUIRE(is_valid_bucket_count(digest_bucket_count(n)));
  }
  REQUIRE_FALSE(is_valid_bucket_count(0));
  REQUIRE_FALSE(is_valid_bucket_count(12));
  REQUIRE_FALSE(is_valid_bucket_count(2 * kSyncDigestBucketsMax));
}

TEST_CASE("sequential ids spread over the buckets", "[digest]") {
  std::vector<size_t> counts(16);
  for (uint64_t n = 0; n < 1600; ++n) ++counts[digest_bucket(NodeId::from_words(0, n), 16)];
  for (size_t c : counts) {
    REQUIRE(c > 60);  // 100 expected in each.
    REQUIRE(c < 140);
  }
}

TEST_CASE("a digest entry changes with the incarnation and the liveness only", "[digest]") {
  MemberUpdate u;
  u.id = NodeId::from_words(1, 2);
  u.incarnation = 5;
  const uint64_t base = digest_entry(u);
  MemberUpdate other_fields = u;
  other_fields.load_bytes = 123;
  other_fields.accuser = NodeId::from_words(3, 4);
  REQUIRE(digest_entry(other_fields) == base);
  MemberUpdate newer = u;
  newer.incarnation = 6;
  REQUIRE(digest_entry(newer) != base);
  MemberUpdate suspect = u;
  suspect.liveness = Liveness::kSuspect;
  REQUIRE(digest_entry(suspect) != base);
  MemberUpdate other_id = u;
  other_id.id = NodeId::from_words(1, 3);
  REQUIRE(digest_entry(other_id) != base);
}
