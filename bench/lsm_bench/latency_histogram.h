// A log-linear latency histogram: exact below 16 ns, then 16 linear sub-buckets per power of two
// (at most 6.25% relative error). Fixed size, no allocation while recording.
// Not thread-safe: each thread records into its own histogram; merge them afterwards.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace pairdb::bench {

class LatencyHistogram {
 public:
  void add(uint64_t nanos);
  void merge(const LatencyHistogram& other);
  uint64_t count() const { return count_; }
  // The lower bound of the bucket holding quantile q in [0, 1]; 0 when empty.
  uint64_t percentile_nanos(double q) const;

 private:
  static constexpr int kSubBucketBits = 4;
  static constexpr int kBuckets = (64 - kSubBucketBits + 1) << kSubBucketBits;

  static int bucket_of(uint64_t nanos);
  static uint64_t lower_bound_of(int bucket);

  std::array<uint64_t, kBuckets> buckets_{};
  uint64_t count_ = 0;
};

}  // namespace pairdb::bench
