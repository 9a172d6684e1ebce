// Which record a benchmark operation touches: uniform, or zipfian (a few hot records, a long
// tail), both over record indexes [0, records). Derived from a seed, so runs repeat.
// Not thread-safe: each closed-loop worker owns one chooser.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

#include <pairdb/status.h>

namespace pairdb::bench {

enum class KeyDistribution { kUniform, kZipfian };

Result<KeyDistribution> parse_key_distribution(std::string_view name);
std::string_view key_distribution_name(KeyDistribution distribution);

// The constants of a zipfian distribution over n items, computed once (O(n)) and shared
// read-only by every worker's chooser.
// Gray et al., "Quickly generating billion-record synthetic databases" (SIGMOD '94): draws
// item i (0-based) with probability proportional to 1 / (i + 1)^theta.
struct ZipfianConstants {
  // REQUIRES: n >= 2, 0 < theta < 1
  ZipfianConstants(uint64_t n, double theta);

  uint64_t n;
  double theta;
  double alpha;   // 1 / (1 - theta)
  double zeta_n;  // sum over i in [1, n] of 1 / i^theta
  double eta;
  double half_pow_theta;  // 0.5^theta: the probability boundary of the second item.
};

// theta 0.99, as YCSB uses: the hottest record takes about 4 % of a million-record keyspace's
// operations.
inline constexpr double kDefaultZipfianTheta = 0.99;

class KeyChooser {
 public:
  // Uniform over [0, records). REQUIRES: records >= 1
  static KeyChooser uniform(uint64_t records, uint64_t seed);
  // Zipfian, with ranks scattered over the keyspace by a hash so the hot records are not
  // neighbours (YCSB's "scrambled zipfian"). REQUIRES: constants->n >= 2
  static KeyChooser zipfian(std::shared_ptr<const ZipfianConstants> constants, uint64_t seed);

  uint64_t next();

 private:
  KeyChooser(uint64_t records, uint64_t seed, std::shared_ptr<const ZipfianConstants> zipf);
  double next_unit();  // Uniform in [0, 1).

  uint64_t records_;
  uint64_t state_;
  std::shared_ptr<const ZipfianConstants> zipf_;  // Null for uniform.
};

}  // namespace pairdb::bench
