// Hashing and checksums, all XXH3 (xxHash 0.8). hash64 places keys on the ring and seeds bloom
// filters; checksum32 protects every record and block pairdb writes to disk.
#pragma once

#include <cstdint>
#include <string_view>

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace pairdb {

inline uint64_t hash64(std::string_view data, uint64_t seed = 0) {
  return XXH3_64bits_withSeed(data.data(), data.size(), seed);
}

// The low 32 bits of XXH3-64, masked so that a checksum stored next to the data it covers
// does not checksum to itself (a run of equal blocks cannot validate each other).
inline uint32_t checksum32(std::string_view data) {
  uint64_t h = XXH3_64bits(data.data(), data.size());
  uint32_t low = static_cast<uint32_t>(h);
  return ((low >> 15) | (low << 17)) + 0xa282ead8u;
}

// Checksum of a concatenation a + b without copying.
inline uint32_t checksum32(std::string_view a, std::string_view b) {
  XXH3_state_t state;
  XXH3_64bits_reset(&state);
  XXH3_64bits_update(&state, a.data(), a.size());
  XXH3_64bits_update(&state, b.data(), b.size());
  uint32_t low = static_cast<uint32_t>(XXH3_64bits_digest(&state));
  return ((low >> 15) | (low << 17)) + 0xa282ead8u;
}

}  // namespace pairdb
