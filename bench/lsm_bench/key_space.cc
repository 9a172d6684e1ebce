// Seeded key, value and key-order generation for pairdb-lsm-bench.
#include "key_space.h"

#include <bit>

#include "common/assert.h"

namespace pairdb::bench {

uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

KeyFormatter::KeyFormatter(int key_size) : buffer_(static_cast<size_t>(key_size), '0') {}

std::string_view KeyFormatter::format(uint64_t index) {
  // Fill from the right; the left stays '0'-padded from construction.
  for (size_t pos = buffer_.size(); pos > 0; --pos) {
    buffer_[pos - 1] = static_cast<char>('0' + index % 10);
    index /= 10;
  }
  PAIRDB_ASSERT(index == 0);  // key_size holds every index (checked at flag parsing).
  return buffer_;
}

int max_key_digits(uint64_t num) {
  int digits = 1;
  for (uint64_t largest = num > 0 ? num - 1 : 0; largest >= 10; largest /= 10) ++digits;
  return digits;
}

ValuePool::ValuePool(uint64_t seed, size_t value_size) : value_size_(value_size) {
  constexpr size_t kPoolBytes = 1u << 20;
  pool_.resize(kPoolBytes > 2 * value_size ? kPoolBytes : 2 * value_size);
  uint64_t state = seed;
  for (size_t i = 0; i < pool_.size(); i += 8) {
    uint64_t word = splitmix64(state);
    for (size_t b = 0; b < 8 && i + b < pool_.size(); ++b) {
      pool_[i + b] = static_cast<char>(word >> (8 * b));
    }
  }
}

std::string_view ValuePool::next() {
  if (offset_ + value_size_ > pool_.size()) offset_ = 0;
  std::string_view value(pool_.data() + offset_, value_size_);
  offset_ += value_size_;
  return value;
}

RandomPermutation::RandomPermutation(uint64_t n, uint64_t seed) : n_(n) {
  PAIRDB_ASSERT(n > 0);
  const int bits = n <= 1 ? 2 : std::bit_width(n - 1);
  half_bits_ = (bits + 1) / 2;
  half_mask_ = (uint64_t{1} << half_bits_) - 1;
  uint64_t state = seed;
  for (uint64_t& key : round_keys_) key = splitmix64(state);
}

uint64_t RandomPermutation::encrypt(uint64_t x) const {
  uint64_t left = x >> half_bits_;
  uint64_t right = x & half_mask_;
  for (uint64_t key : round_keys_) {
    uint64_t state = right ^ key;
    uint64_t mixed = (left ^ splitmix64(state)) & half_mask_;
    left = right;
    right = mixed;
  }
  return (left << half_bits_) | right;
}

uint64_t RandomPermutation::at(uint64_t i) const {
  PAIRDB_DASSERT(i < n_);
  // The domain is at most 4n, so the walk takes fewer than 4 steps on average.
  uint64_t x = encrypt(i);
  while (x >= n_) x = encrypt(x);
  return x;
}

}  // namespace pairdb::bench
