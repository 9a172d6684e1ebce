// Bucketed digests of a membership view, for push-pull by digest (SyncDigest in messages.h).
//
// Members are placed in buckets by a hash of their id; a bucket's digest is the wrapping sum of
// one hash per member over (id, incarnation, liveness), so it does not depend on the order
// members are visited and two nodes whose views agree on a bucket compute the same value.
// The other MemberUpdate fields need no hashing: status, schema version, load and metadata
// version change only together with an incarnation raised by their owner.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>

#include <pairdb/gossip/member.h>

#include "gossip/messages.h"

namespace pairdb::gossip {

inline bool is_valid_bucket_count(size_t buckets) {
  return buckets >= 1 && buckets <= kSyncDigestBucketsMax && std::has_single_bit(buckets);
}

// About eight members per bucket: the power of two at or above members / 8, within the limits.
size_t digest_bucket_count(size_t members);

// REQUIRES: is_valid_bucket_count(buckets).
size_t digest_bucket(const NodeId& id, size_t buckets);

uint64_t digest_entry(const MemberUpdate& u);

}  // namespace pairdb::gossip
