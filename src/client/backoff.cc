#include "client/backoff.h"

#include <algorithm>

namespace pairdb::client {

uint32_t backoff_ceiling_ms(const BackoffPolicy& policy, uint32_t attempt) {
  const uint64_t cap = std::max(policy.max_ms, policy.initial_ms);
  // Doubling 32 times already passes any 32-bit cap, so the shift cannot overflow 64 bits.
  const uint64_t grown = static_cast<uint64_t>(policy.initial_ms) << std::min(attempt, 32u);
  return static_cast<uint32_t>(std::min(grown, cap));
}

uint32_t backoff_delay_ms(const BackoffPolicy& policy, uint32_t attempt, Rng& rng) {
  const uint32_t ceiling = backoff_ceiling_ms(policy, attempt);
  const uint32_t floor = (ceiling + 1) / 2;  // Rounds up, so a 1 ms ceiling waits 1 ms.
  const uint32_t delay = floor + static_cast<uint32_t>(rng.uniform(ceiling - floor + 1ull));
  PAIRDB_ASSERT(delay <= ceiling);
  return delay;
}

}  // namespace pairdb::client
