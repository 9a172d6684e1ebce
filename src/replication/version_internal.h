// Helpers shared by the version record operations (apply_write, merge, visible, codec).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include <pairdb/replication/version.h>

namespace pairdb::replication::detail {

inline uint64_t saturating_add(uint64_t a, uint64_t b) {
  return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

// The kLww order: timestamp, then dot, then the remaining fields (so that two copies of one dot
// that somehow differ still resolve the same way on every replica). A total order.
inline bool lww_less(const Sibling& a, const Sibling& b) {
  if (a.timestamp != b.timestamp) return a.timestamp < b.timestamp;
  return a < b;
}

// The eviction order of idempotency entries: oldest first. A total order.
inline bool age_less(const IdempotencyEntry& a, const IdempotencyEntry& b) {
  if (a.applied_at_ms != b.applied_at_ms) return a.applied_at_ms < b.applied_at_ms;
  return a < b;  // Key, then applied time, then dot.
}

// Keeps the `keep` youngest entries by age_less and leaves them sorted by key.
// REQUIRES: keys are distinct.
void keep_youngest(std::vector<IdempotencyEntry>* entries, size_t keep);

}  // namespace pairdb::replication::detail
