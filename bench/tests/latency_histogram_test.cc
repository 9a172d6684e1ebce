#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

#include <catch2/catch.hpp>

#include "shared/latency_histogram.h"

using pairdb::bench::LatencyHistogram;

namespace {

// The nearest-rank quantile of sorted samples, as LatencyHistogram defines it.
uint64_t exact_quantile(const std::vector<uint64_t>& sorted, double q) {
  size_t rank = static_cast<size_t>(std::ceil(q * static_cast<double>(sorted.size())));
  if (rank == 0) rank = 1;
  return sorted[rank - 1];
}

}  // namespace

TEST_CASE("an empty histogram reports zeros") {
  LatencyHistogram h;
  CHECK(h.count() == 0);
  CHECK(h.percentile_nanos(0.5) == 0);
  CHECK(h.min_nanos() == 0);
  CHECK(h.max_nanos() == 0);
  CHECK(h.mean_nanos() == 0.0);
}

TEST_CASE("percentiles are within 1% of the exact sample quantiles") {
  const uint64_t seed = std::random_device{}();
  INFO("seed " << seed);
  std::mt19937_64 rng(seed);
  // Latencies spread over six orders of magnitude (log-uniform from 1 us to 1 s).
  std::uniform_real_distribution<double> exponent(3.0, 9.0);
  std::vector<uint64_t> samples;
  LatencyHistogram h;
  for (int i = 0; i < 100000; ++i) {
    const auto nanos = static_cast<uint64_t>(std::pow(10.0, exponent(rng)));
    samples.push_back(nanos);
    h.add(nanos);
  }
  std::sort(samples.begin(), samples.end());
  for (double q : {0.0, 0.5, 0.9, 0.95, 0.99, 0.999, 0.9999}) {
    const uint64_t exact = exact_quantile(samples, q);
    const uint64_t reported = h.percentile_nanos(q);
    INFO("q " << q << " exact " << exact << " reported " << reported);
    CHECK(reported <= exact);
    CHECK(static_cast<double>(exact - reported) <=
          LatencyHistogram::kRelativeErrorMax * static_cast<double>(exact));
  }
  CHECK(h.percentile_nanos(1.0) == samples.back());
  CHECK(h.max_nanos() == samples.back());
  CHECK(h.min_nanos() == samples.front());
}

TEST_CASE("small latencies are exact and percentiles never decrease") {
  LatencyHistogram h;
  for (uint64_t v = 0; v < 128; ++v) h.add(v);
  CHECK(h.percentile_nanos(0.5) == 63);
  uint64_t previous = 0;
  for (double q = 0.0; q <= 1.0; q += 0.01) {
    const uint64_t p = h.percentile_nanos(q);
    CHECK(p >= previous);
    previous = p;
  }
}

TEST_CASE("merge equals recording everything in one histogram") {
  LatencyHistogram a, b, all;
  for (uint64_t v = 1; v < 5000; v += 7) {
    (v % 2 ? a : b).add(v * 1000);
    all.add(v * 1000);
  }
  a.merge(b);
  CHECK(a.count() == all.count());
  CHECK(a.min_nanos() == all.min_nanos());
  CHECK(a.max_nanos() == all.max_nanos());
  CHECK(a.mean_nanos() == Approx(all.mean_nanos()));
  for (double q : {0.1, 0.5, 0.99, 0.999}) CHECK(a.percentile_nanos(q) == all.percentile_nanos(q));
  CHECK(a.percentile_nanos(0.1) < a.percentile_nanos(0.99));
}

TEST_CASE("the largest representable latency has a bucket") {
  LatencyHistogram h;
  h.add(UINT64_MAX);
  h.add(0);
  CHECK(h.count() == 2);
  CHECK(h.percentile_nanos(1.0) == UINT64_MAX);
  CHECK(h.percentile_nanos(0.5) == 0);
}
