// Keys, values and key orders for pairdb-lsm-bench. Everything is derived from seeds so that
// every engine's process sees byte-for-byte the same keys, values and order.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace pairdb::bench {

// Formats key index i as exactly key_size bytes of zero-padded decimal, so byte order equals
// numeric order (fillseq writes in key order) and every key sorts before "\xff".
// Not thread-safe: each thread owns one formatter; the returned view lives until the next call.
class KeyFormatter {
 public:
  // REQUIRES: key_size >= max_key_digits(largest index used)
  explicit KeyFormatter(int key_size);
  std::string_view format(uint64_t index);

 private:
  std::string buffer_;
};

// Decimal digits of the largest index below num: the smallest key_size that can hold num keys.
int max_key_digits(uint64_t num);

// Random bytes from a seeded generator, handed out as consecutive value_size slices that wrap
// around a 1 MiB pool (values need not be unique; compression is off). One pool per thread.
class ValuePool {
 public:
  ValuePool(uint64_t seed, size_t value_size);
  std::string_view next();

 private:
  std::string pool_;
  size_t value_size_;
  size_t offset_ = 0;
};

// A seeded pseudo-random bijection of [0, n) computed per index, so random-order fills visit every
// key exactly once without an n-entry table in memory (which would inflate the RSS we report).
// A 4-round Feistel network over the smallest even-bit power of two >= n, with cycle walking.
class RandomPermutation {
 public:
  // REQUIRES: n > 0
  RandomPermutation(uint64_t n, uint64_t seed);
  // REQUIRES: i < n. The result is < n, and distinct for distinct i.
  uint64_t at(uint64_t i) const;

 private:
  uint64_t encrypt(uint64_t x) const;

  uint64_t n_;
  int half_bits_;
  uint64_t half_mask_;
  uint64_t round_keys_[4];
};

// SplitMix64: a fast, well-mixed 64-bit generator step; also used to derive seeds.
uint64_t splitmix64(uint64_t& state);

}  // namespace pairdb::bench
