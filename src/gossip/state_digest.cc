#include "gossip/state_digest.h"

#include <algorithm>
#include <array>
#include <cstring>

#include "common/assert.h"
#include "common/hash.h"

namespace pairdb::gossip {

size_t digest_bucket_count(size_t members) {
  const size_t wanted = std::bit_ceil(std::max<size_t>(1, (members + 7) / 8));
  return std::min(wanted, kSyncDigestBucketsMax);
}

size_t digest_bucket(const NodeId& id, size_t buckets) {
  PAIRDB_ASSERT(is_valid_bucket_count(buckets));
  // Ids are random UUIDs, but version bits and test ids are not: hash before taking bits.
  const std::string_view bytes(reinterpret_cast<const char*>(id.bytes.data()), id.bytes.size());
  return static_cast<size_t>(hash64(bytes) & (buckets - 1));
}

uint64_t digest_entry(const MemberUpdate& u) {
  std::array<char, 16 + 8 + 1> buf;
  std::memcpy(buf.data(), u.id.bytes.data(), 16);
  std::memcpy(buf.data() + 16, &u.incarnation, 8);
  buf[24] = static_cast<char>(u.liveness);
  return hash64(std::string_view(buf.data(), buf.size()));
}

}  // namespace pairdb::gossip
