// The one way tests wait: poll a condition with a deadline. Never a bare sleep used as
// synchronisation; the condition is what the test waits for, the bound keeps it finite.
#pragma once

#include <chrono>
#include <functional>
#include <thread>

namespace pairdb::test {

// Checks `condition` every `interval` until it holds or `bound` has passed; true if it held.
// The condition is checked once more at the deadline, so a bound of 0 is a single check.
inline bool poll_until(std::chrono::milliseconds bound, const std::function<bool()>& condition,
                       std::chrono::milliseconds interval = std::chrono::milliseconds(20)) {
  const auto deadline = std::chrono::steady_clock::now() + bound;
  for (;;) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(interval);  // Polling, with a deadline.
  }
}

}  // namespace pairdb::test
