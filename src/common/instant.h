// Instant: a point on a monotonic clock, as a strong type so raw integers and wall time cannot be
// mixed in by accident. Durations are std::chrono::microseconds. Protocol cores receive Instants
// from their caller (a real steady clock in the daemon, the virtual clock in tests/sim).
#pragma once

#include <chrono>
#include <compare>
#include <cstdint>

namespace pairdb {

using Duration = std::chrono::microseconds;

class Instant {
 public:
  constexpr Instant() = default;
  static constexpr Instant from_us(int64_t us) { return Instant(us); }
  static constexpr Instant max() { return Instant(INT64_MAX); }

  constexpr int64_t us() const { return us_; }
  constexpr double seconds() const { return static_cast<double>(us_) / 1e6; }

  constexpr Instant operator+(Duration d) const { return Instant(us_ + d.count()); }
  constexpr Instant operator-(Duration d) const { return Instant(us_ - d.count()); }
  constexpr Duration operator-(Instant other) const { return Duration(us_ - other.us_); }
  constexpr auto operator<=>(const Instant&) const = default;

 private:
  constexpr explicit Instant(int64_t us) : us_(us) {}
  int64_t us_ = 0;
};

}  // namespace pairdb
