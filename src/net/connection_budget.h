// Counts open client connections across the binary and HTTP listeners so the node never
// holds more than `max` sockets for clients. Thread-safe.
#pragma once

#include <atomic>
#include <cstdint>

namespace pairdb::net {

class ConnectionBudget {
 public:
  explicit ConnectionBudget(uint32_t max) : max_(max) {}

  // True when a slot was taken; the caller must release() it when the connection ends.
  bool try_acquire() {
    uint32_t current = open_.load(std::memory_order_relaxed);
    while (current < max_) {
      if (open_.compare_exchange_weak(current, current + 1, std::memory_order_acq_rel)) {
        return true;
      }
    }
    rejected_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  void release() { open_.fetch_sub(1, std::memory_order_acq_rel); }

  uint32_t open() const { return open_.load(std::memory_order_relaxed); }
  uint64_t rejected() const { return rejected_.load(std::memory_order_relaxed); }
  uint32_t max() const { return max_; }

 private:
  const uint32_t max_;
  std::atomic<uint32_t> open_{0};
  std::atomic<uint64_t> rejected_{0};
};

}  // namespace pairdb::net
