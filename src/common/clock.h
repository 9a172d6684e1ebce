// Clock: the one seam through which the daemon reads time, so that tests and the simulator can
// drive it. Two readings, never mixed:
//   - monotonic(): an Instant for deadlines, timeouts, timers and latencies; never goes back;
//   - wall_ms(): milliseconds since the Unix epoch for what is stored and compared across
//     nodes (HLC timestamps, TTL expiry, tombstone grace, schema versions); may jump.
// Implementations are thread-safe: any thread may read the clock at any time.
#pragma once

#include <atomic>
#include <cstdint>

#include "common/instant.h"

namespace pairdb {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual Instant monotonic() const = 0;
  virtual uint64_t wall_ms() const = 0;
};

// The machine's clocks: std::chrono::steady_clock and system_clock.
class SystemClock final : public Clock {
 public:
  static const SystemClock& instance();
  Instant monotonic() const override;
  uint64_t wall_ms() const override;
};

// A clock that moves only when told to (tests). Both readings start where the caller puts them.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(uint64_t wall_ms = 1'700'000'000'000, Instant monotonic = Instant())
      : wall_ms_(wall_ms), monotonic_us_(monotonic.us()) {}

  Instant monotonic() const override { return Instant::from_us(monotonic_us_.load()); }
  uint64_t wall_ms() const override { return wall_ms_.load(); }

  void set_wall_ms(uint64_t ms) { wall_ms_.store(ms); }
  // Moves both readings forward by d.
  void advance(Duration d) {
    monotonic_us_.fetch_add(d.count());
    wall_ms_.fetch_add(static_cast<uint64_t>(d.count() / 1000));
  }

 private:
  std::atomic<uint64_t> wall_ms_;
  std::atomic<int64_t> monotonic_us_;
};

}  // namespace pairdb
