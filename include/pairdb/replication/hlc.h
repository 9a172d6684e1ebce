// Hybrid logical clock: timestamps that follow wall time but never go backwards and always
// exceed every timestamp seen from a peer, so "last write wins" respects causality whenever
// the writer had seen the write it replaces. Sans-IO: the caller passes the wall time in.
#pragma once

#include <atomic>
#include <compare>
#include <cstdint>

#include <pairdb/status.h>

namespace pairdb::replication {

inline constexpr int kHlcLogicalBits = 16;
// The wall part has 48 bits: milliseconds since the Unix epoch up to the year 10889.
inline constexpr uint64_t kHlcWallMsMax = (uint64_t{1} << (64 - kHlcLogicalBits)) - 1;
inline constexpr uint64_t kHlcMaxDriftMsDefault = 60'000;

// A packed HLC reading: wall milliseconds in the high 48 bits, a logical counter in the low 16.
// Ordering the packed word orders by wall time, then by counter. A plain value.
struct HlcTimestamp {
  uint64_t value = 0;

  uint64_t wall_ms() const { return value >> kHlcLogicalBits; }
  uint16_t logical() const { return static_cast<uint16_t>(value); }
  // REQUIRES: wall_ms <= kHlcWallMsMax.
  static HlcTimestamp from_parts(uint64_t wall_ms, uint16_t logical);

  auto operator<=>(const HlcTimestamp&) const = default;
};

// One node's hybrid logical clock.
// Thread-safe: now() and observe() may be called concurrently from any thread (one atomic word
// updated with a CAS loop; no locks).
// Invariant: the stored reading never decreases; now() returns a reading strictly greater than
// every reading it returned or observed before. When the logical counter overflows it carries
// into the wall part (the clock runs at most 1 ms ahead per 65,536 readings in one ms).
class HybridClock {
 public:
  explicit HybridClock(uint64_t max_drift_ms = kHlcMaxDriftMsDefault);

  // A fresh timestamp for a local event at wall time wall_ms.
  // REQUIRES: wall_ms <= kHlcWallMsMax.
  HlcTimestamp now(uint64_t wall_ms);

  // Merges a timestamp received from a peer so later now() readings exceed it. A remote reading
  // more than max_drift_ms ahead of wall_ms is refused (Status::invalid_argument) and not
  // adopted: one node with a broken clock must not drag every clock in the cluster forward.
  // REQUIRES: wall_ms <= kHlcWallMsMax.
  [[nodiscard]] Status observe(HlcTimestamp remote, uint64_t wall_ms);

  // The latest reading returned or observed (zero before the first).
  HlcTimestamp last() const;
  uint64_t max_drift_ms() const { return max_drift_ms_; }

 private:
  const uint64_t max_drift_ms_;
  std::atomic<uint64_t> last_{0};
};

}  // namespace pairdb::replication
