// A log-linear latency histogram shared by the benchmarks: exact below 128 ns, then 128 linear
// sub-buckets per power of two, so a reported percentile is within 1/128 (< 0.8 %) below the
// true sample. Minimum, maximum and sum are kept exactly. Fixed size (about 60 KiB), no
// allocation while recording.
// Not thread-safe: each thread (or connection) records into its own histogram; merge them
// afterwards.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>

namespace pairdb::bench {

class LatencyHistogram {
 public:
  // Relative error bound of percentile_nanos() for samples of 128 ns and more.
  static constexpr double kRelativeErrorMax = 1.0 / 128;

  void add(uint64_t nanos);
  void merge(const LatencyHistogram& other);
  void clear() { *this = LatencyHistogram(); }

  uint64_t count() const { return count_; }
  uint64_t min_nanos() const { return count_ == 0 ? 0 : min_; }
  uint64_t max_nanos() const { return max_; }
  double mean_nanos() const;

  // The lower bound of the bucket holding quantile q in [0, 1] (q = 1 gives the exact
  // maximum); 0 when empty. Never above the true quantile, and at most kRelativeErrorMax below.
  uint64_t percentile_nanos(double q) const;

 private:
  static constexpr int kSubBucketBits = 7;
  static constexpr int kBuckets = (64 - kSubBucketBits + 1) << kSubBucketBits;

  static int bucket_of(uint64_t nanos);
  static uint64_t lower_bound_of(int bucket);

  std::array<uint64_t, kBuckets> buckets_{};
  uint64_t count_ = 0;
  uint64_t min_ = std::numeric_limits<uint64_t>::max();
  uint64_t max_ = 0;
  // Sum in double: 2^53 ns is 104 days of cumulative latency before precision matters.
  double sum_ = 0;
};

}  // namespace pairdb::bench
