// Log-linear latency histogram shared by the benchmarks.
#include "latency_histogram.h"

#include <bit>
#include <cmath>

#include "common/assert.h"

namespace pairdb::bench {

int LatencyHistogram::bucket_of(uint64_t nanos) {
  constexpr uint64_t kLinear = uint64_t{1} << kSubBucketBits;
  if (nanos < kLinear) return static_cast<int>(nanos);
  const int exponent = std::bit_width(nanos) - 1;  // >= kSubBucketBits
  const int shift = exponent - kSubBucketBits;
  const int sub = static_cast<int>((nanos >> shift) & (kLinear - 1));
  return ((shift + 1) << kSubBucketBits) + sub;
}

uint64_t LatencyHistogram::lower_bound_of(int bucket) {
  constexpr uint64_t kLinear = uint64_t{1} << kSubBucketBits;
  if (bucket < static_cast<int>(kLinear)) return static_cast<uint64_t>(bucket);
  const int shift = (bucket >> kSubBucketBits) - 1;
  const uint64_t sub = static_cast<uint64_t>(bucket) & (kLinear - 1);
  return (kLinear | sub) << shift;
}

void LatencyHistogram::add(uint64_t nanos) {
  const int bucket = bucket_of(nanos);
  PAIRDB_DASSERT(bucket >= 0 && bucket < kBuckets);
  ++buckets_[static_cast<size_t>(bucket)];
  ++count_;
  if (nanos < min_) min_ = nanos;
  if (nanos > max_) max_ = nanos;
  sum_ += static_cast<double>(nanos);
}

void LatencyHistogram::merge(const LatencyHistogram& other) {
  for (size_t i = 0; i < buckets_.size(); ++i) buckets_[i] += other.buckets_[i];
  count_ += other.count_;
  if (other.min_ < min_) min_ = other.min_;
  if (other.max_ > max_) max_ = other.max_;
  sum_ += other.sum_;
}

double LatencyHistogram::mean_nanos() const {
  return count_ == 0 ? 0.0 : sum_ / static_cast<double>(count_);
}

uint64_t LatencyHistogram::percentile_nanos(double q) const {
  if (count_ == 0) return 0;
  if (q >= 1.0) return max_;
  // The rank of the quantile, 1-based: the smallest bucket whose cumulative count reaches it.
  uint64_t rank = static_cast<uint64_t>(std::ceil(q * static_cast<double>(count_)));
  if (rank == 0) rank = 1;
  uint64_t seen = 0;
  for (size_t i = 0; i < buckets_.size(); ++i) {
    seen += buckets_[i];
    if (seen >= rank) return lower_bound_of(static_cast<int>(i));
  }
  return max_;
}

}  // namespace pairdb::bench
