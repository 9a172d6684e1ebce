// Uniform and scrambled-zipfian record choice for pairdb-bench.
#include "key_chooser.h"

#include <cmath>
#include <utility>

#include "common/assert.h"

namespace pairdb::bench {
namespace {

uint64_t splitmix_next(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// A 64-bit finaliser (Murmur3's fmix64): spreads zipfian ranks over the keyspace.
uint64_t scatter(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ull;
  x ^= x >> 33;
  return x;
}

}  // namespace

Result<KeyDistribution> parse_key_distribution(std::string_view name) {
  if (name == "uniform") return KeyDistribution::kUniform;
  if (name == "zipfian") return KeyDistribution::kZipfian;
  return Status::invalid_argument("unknown key distribution '" + std::string(name) +
                                  "' (expected uniform or zipfian)");
}

std::string_view key_distribution_name(KeyDistribution distribution) {
  return distribution == KeyDistribution::kUniform ? "uniform" : "zipfian";
}

ZipfianConstants::ZipfianConstants(uint64_t items, double skew) : n(items), theta(skew) {
  PAIRDB_ASSERT(items >= 2 && skew > 0 && skew < 1);
  alpha = 1.0 / (1.0 - theta);
  zeta_n = 0;
  for (uint64_t i = 1; i <= n; ++i) zeta_n += 1.0 / std::pow(static_cast<double>(i), theta);
  const double zeta_2 = 1.0 + 1.0 / std::pow(2.0, theta);
  eta = (1.0 - std::pow(2.0 / static_cast<double>(n), 1.0 - theta)) / (1.0 - zeta_2 / zeta_n);
  half_pow_theta = std::pow(0.5, theta);
}

KeyChooser::KeyChooser(uint64_t records, uint64_t seed,
                       std::shared_ptr<const ZipfianConstants> zipf)
    : records_(records), state_(seed), zipf_(std::move(zipf)) {
  PAIRDB_ASSERT(records_ >= 1);
}

KeyChooser KeyChooser::uniform(uint64_t records, uint64_t seed) {
  return KeyChooser(records, seed, nullptr);
}

KeyChooser KeyChooser::zipfian(std::shared_ptr<const ZipfianConstants> constants, uint64_t seed) {
  PAIRDB_ASSERT(constants != nullptr);
  const uint64_t n = constants->n;
  return KeyChooser(n, seed, std::move(constants));
}

double KeyChooser::next_unit() {
  return static_cast<double>(splitmix_next(state_) >> 11) * 0x1.0p-53;
}

uint64_t KeyChooser::next() {
  if (zipf_ == nullptr) {
    // Lemire's multiply-shift: unbiased enough for benchmarking, no division.
    return static_cast<uint64_t>(
        (static_cast<unsigned __int128>(splitmix_next(state_)) * records_) >> 64);
  }
  const ZipfianConstants& z = *zipf_;
  const double u = next_unit();
  const double uz = u * z.zeta_n;
  uint64_t rank;
  if (uz < 1.0) {
    rank = 0;
  } else if (uz < 1.0 + z.half_pow_theta) {
    rank = 1;
  } else {
    rank = static_cast<uint64_t>(static_cast<double>(z.n) *
                                 std::pow(z.eta * u - z.eta + 1.0, z.alpha));
    if (rank >= z.n) rank = z.n - 1;
  }
  return scatter(rank) % records_;
}

}  // namespace pairdb::bench
