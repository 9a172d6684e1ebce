// A bloom filter over the user keys of one whole SSTable.
//
// Filter layout: bit array (bit_bytes bytes, bit i is byte i/8, mask 1 << i%8) | probe count k
// (1 byte, 1..30) | scheme (1 byte, kBloomSchemeV1).
// Each key is hashed once with hash64 (XXH3-64); probe i for i in [0, k) sets bit
// fastrange(a, m) with a the first accumulator of enhanced double hashing
// (a += b; b += i) started from a = h and b = the halves of h swapped. fastrange(x, m) is
// (x * m) >> 64, which uses the high bits of x and avoids a division.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace pairdb::lsm {

constexpr int kBloomBitsPerKeyMax = 64;
constexpr int kBloomProbesMin = 1;
constexpr int kBloomProbesMax = 30;
constexpr uint8_t kBloomSchemeV1 = 1;
// A filter never has fewer bits than this, so tiny tables still get a useful filter.
constexpr size_t kBloomBitsMin = 64;

// Collects key hashes, then writes the filter. Single thread.
// Invariant: hashes_ holds one hash per distinct consecutive key added.
class BloomFilterBuilder {
 public:
  // REQUIRES: 1 <= bits_per_key <= kBloomBitsPerKeyMax
  explicit BloomFilterBuilder(int bits_per_key);

  // Keys may repeat; a key equal to the previous one is counted once (multiple versions of one
  // user key arrive together in an SSTable).
  void add_key(std::string_view key);
  size_t key_count() const { return hashes_.size(); }

  // Returns the filter for every key added so far. May be called more than once.
  std::string finish() const;

  // round(bits_per_key * ln 2) clamped to [kBloomProbesMin, kBloomProbesMax].
  static int probe_count_for(int bits_per_key);

 private:
  const int bits_per_key_;
  std::vector<uint64_t> hashes_;
};

// Answers membership queries over a filter written by BloomFilterBuilder. Does not own the
// bytes: REQUIRES the data outlives the reader. Immutable; safe for concurrent readers.
// Malformed data yields a reader that answers "may contain" for every key, which is always safe.
class BloomFilterReader {
 public:
  explicit BloomFilterReader(std::string_view data);

  // False only when the key was certainly not added.
  bool may_contain(std::string_view key) const;

  bool well_formed() const { return bit_count_ != 0; }
  // Bits in the array (m) and probes per key (k); 0 when malformed.
  uint64_t bit_count() const { return bit_count_; }
  int probe_count() const { return probe_count_; }

 private:
  const uint8_t* bits_ = nullptr;
  uint64_t bit_count_ = 0;
  int probe_count_ = 0;
};

}  // namespace pairdb::lsm
