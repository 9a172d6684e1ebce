#include <pairdb/replication/hlc.h>

#include <algorithm>

#include <fmt/format.h>

#include "common/assert.h"

namespace pairdb::replication {

HlcTimestamp HlcTimestamp::from_parts(uint64_t wall_ms, uint16_t logical) {
  PAIRDB_ASSERT(wall_ms <= kHlcWallMsMax);
  return HlcTimestamp{(wall_ms << kHlcLogicalBits) | logical};
}

HybridClock::HybridClock(uint64_t max_drift_ms) : max_drift_ms_(max_drift_ms) {}

HlcTimestamp HybridClock::now(uint64_t wall_ms) {
  const uint64_t physical = HlcTimestamp::from_parts(wall_ms, 0).value;
  uint64_t old = last_.load(std::memory_order_acquire);
  uint64_t next = 0;
  do {
    // Unreachable before the year 10889: observe() adopts nothing beyond wall + drift.
    PAIRDB_ASSERT(old != UINT64_MAX);
    // old + 1 bumps the logical counter; its overflow carries into the wall part by itself.
    next = std::max(physical, old + 1);
  } while (!last_.compare_exchange_weak(old, next, std::memory_order_acq_rel,
                                        std::memory_order_acquire));
  PAIRDB_ASSERT(next > old);
  return HlcTimestamp{next};
}

Status HybridClock::observe(HlcTimestamp remote, uint64_t wall_ms) {
  PAIRDB_ASSERT(wall_ms <= kHlcWallMsMax);
  const uint64_t remote_wall = remote.wall_ms();
  if (remote_wall > wall_ms && remote_wall - wall_ms > max_drift_ms_) {
    return Status::invalid_argument(
        fmt::format("remote HLC timestamp is {} ms ahead of the local wall clock (max drift {} ms)",
                    remote_wall - wall_ms, max_drift_ms_));
  }
  uint64_t old = last_.load(std::memory_order_acquire);
  while (old < remote.value &&
         !last_.compare_exchange_weak(old, remote.value, std::memory_order_acq_rel,
                                      std::memory_order_acquire)) {
  }
  PAIRDB_DASSERT(last_.load(std::memory_order_relaxed) >= remote.value);
  return Status::ok();
}

HlcTimestamp HybridClock::last() const {
  return HlcTimestamp{last_.load(std::memory_order_acquire)};
}

}  // namespace pairdb::replication
