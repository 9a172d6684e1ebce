// Idempotency keys the client generates for writes that carry none: 128 random bits as 32
// lowercase hex characters. Pure apart from the caller's Rng.
#pragma once

#include <string>

#include "common/rng.h"

namespace pairdb::client {

inline constexpr size_t kIdempotencyKeyChars = 32;

// Invariant: the result has kIdempotencyKeyChars characters, each in [0-9a-f].
std::string make_idempotency_key(Rng& rng);

}  // namespace pairdb::client
