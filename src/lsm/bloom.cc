#include "lsm/bloom.h"

#include <algorithm>
#include <cmath>

#include "common/assert.h"
#include "common/hash.h"

namespace pairdb::lsm {
namespace {

constexpr size_t kBloomTrailerBytes = 2;  // Probe count, scheme.

// Maps x uniformly onto [0, range) using its high bits.
inline uint64_t fast_range(uint64_t x, uint64_t range) {
  return static_cast<uint64_t>((static_cast<unsigned __int128>(x) * range) >> 64);
}

// Calls visit(bit) for each of the k probe positions of `hash` in an m-bit array.
template <typename Visit>
inline bool for_each_probe(uint64_t hash, uint64_t m, int k, Visit visit) {
  uint64_t a = hash;
  uint64_t b = (hash >> 32) | (hash << 32);
  for (int i = 0; i < k; ++i) {
    if (!visit(fast_range(a, m))) return false;
    a += b;
    b += static_cast<uint64_t>(i);
  }
  return true;
}

}  // namespace

BloomFilterBuilder::BloomFilterBuilder(int bits_per_key) : bits_per_key_(bits_per_key) {
  PAIRDB_ASSERT(bits_per_key >= 1);
  PAIRDB_ASSERT(bits_per_key <= kBloomBitsPerKeyMax);
}

int BloomFilterBuilder::probe_count_for(int bits_per_key) {
  int k = static_cast<int>(std::lround(bits_per_key * std::log(2.0)));
  return std::clamp(k, kBloomProbesMin, kBloomProbesMax);
}

void BloomFilterBuilder::add_key(std::string_view key) {
  uint64_t h = hash64(key);
  if (!hashes_.empty() && hashes_.back() == h) return;
  hashes_.push_back(h);
}

std::string BloomFilterBuilder::finish() const {
  const int k = probe_count_for(bits_per_key_);
  uint64_t bits = std::max<uint64_t>(kBloomBitsMin, uint64_t{hashes_.size()} * bits_per_key_);
  const uint64_t bytes = (bits + 7) / 8;
  bits = bytes * 8;

  std::string out(bytes, '\0');
  auto* array = reinterpret_cast<uint8_t*>(out.data());
  for (uint64_t h : hashes_) {
    for_each_probe(h, bits, k, [array](uint64_t bit) {
      array[bit / 8] |= static_cast<uint8_t>(1u << (bit % 8));
      return true;
    });
  }
  out.push_back(static_cast<char>(k));
  out.push_back(static_cast<char>(kBloomSchemeV1));
  PAIRDB_DASSERT(BloomFilterReader(out).well_formed());
  return out;
}

BloomFilterReader::BloomFilterReader(std::string_view data) {
  if (data.size() < kBloomTrailerBytes + kBloomBitsMin / 8) return;
  const size_t bit_bytes = data.size() - kBloomTrailerBytes;
  const int k = static_cast<uint8_t>(data[bit_bytes]);
  const uint8_t scheme = static_cast<uint8_t>(data[bit_bytes + 1]);
  if (scheme != kBloomSchemeV1 || k < kBloomProbesMin || k > kBloomProbesMax) return;
  bits_ = reinterpret_cast<const uint8_t*>(data.data());
  bit_count_ = uint64_t{bit_bytes} * 8;
  probe_count_ = k;
}

bool BloomFilterReader::may_contain(std::string_view key) const {
  if (bit_count_ == 0) return true;
  const uint8_t* bits = bits_;
  return for_each_probe(hash64(key), bit_count_, probe_count_,
                        [bits](uint64_t bit) { return (bits[bit / 8] & (1u << (bit % 8))) != 0; });
}

}  // namespace pairdb::lsm
