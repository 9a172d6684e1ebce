#include "common/clock.h"

#include <chrono>

namespace pairdb {

const SystemClock& SystemClock::instance() {
  static const SystemClock clock;
  return clock;
}

Instant SystemClock::monotonic() const {
  return Instant::from_us(std::chrono::duration_cast<std::chrono::microseconds>(
                              std::chrono::steady_clock::now().time_since_epoch())
                              .count());
}

uint64_t SystemClock::wall_ms() const {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

}  // namespace pairdb
