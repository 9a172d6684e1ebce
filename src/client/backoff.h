// Backoff: exponential delays with a cap and jitter, for request retries and reconnects.
// Pure: the caller passes the attempt number and its own Rng. Safe from any thread as long as
// each Rng has one owner.
#pragma once

#include <cstdint>

#include "common/rng.h"

namespace pairdb::client {

struct BackoffPolicy {
  uint32_t initial_ms = 10;
  uint32_t max_ms = 1'000;
};

// The delay before retry number `attempt` (0 for the first retry): a uniformly random value in
// [ceil(ceiling / 2), ceiling], where ceiling = min(max_ms, initial_ms * 2^attempt). Jitter keeps many
// clients that failed together from retrying together.
// Invariant: the result is <= max(policy.max_ms, policy.initial_ms) and >= 1 when
// initial_ms >= 1.
uint32_t backoff_delay_ms(const BackoffPolicy& policy, uint32_t attempt, Rng& rng);

// The ceiling above, without jitter.
uint32_t backoff_ceiling_ms(const BackoffPolicy& policy, uint32_t attempt);

}  // namespace pairdb::client
