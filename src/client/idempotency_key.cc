#include "client/idempotency_key.h"

namespace pairdb::client {

std::string make_idempotency_key(Rng& rng) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string key;
  key.reserve(kIdempotencyKeyChars);
  for (int word = 0; word < 2; ++word) {
    uint64_t bits = rng.next_u64();
    for (int nibble = 0; nibble < 16; ++nibble) {
      key.push_back(kHex[bits & 0xf]);
      bits >>= 4;
    }
  }
  PAIRDB_ASSERT(key.size() == kIdempotencyKeyChars);
  return key;
}

}  // namespace pairdb::client
