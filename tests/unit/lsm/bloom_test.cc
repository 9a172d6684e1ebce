#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <random>
#include <string>

#include "lsm/bloom.h"

using namespace pairdb::lsm;

namespace {

std::string key_for(uint64_t i) { return "user:" + std::to_string(i); }

struct FalsePositiveRate {
  double measured = 0;
  double theory = 0;
};

// Adds key_count keys, probes probe_count keys that were never added.
FalsePositiveRate measure(int bits_per_key, uint64_t key_count, uint64_t probe_count) {
  BloomFilterBuilder builder(bits_per_key);
  for (uint64_t i = 0; i < key_count; ++i) builder.add_key(key_for(i));
  const std::string data = builder.finish();
  BloomFilterReader reader(data);
  REQUIRE(reader.well_formed());
  for (uint64_t i = 0; i < key_count; ++i) REQUIRE(reader.may_contain(key_for(i)));

  uint64_t false_positives = 0;
  for (uint64_t i = 0; i < probe_count; ++i) {
    if (reader.may_contain(key_for(key_count + i))) ++false_positives;
  }
  const double k = reader.probe_count();
  const double m = static_cast<double>(reader.bit_count());
  FalsePositiveRate rate;
  rate.measured = static_cast<double>(false_positives) / static_cast<double>(probe_count);
  rate.theory = std::pow(1.0 - std::exp(-k * static_cast<double>(key_count) / m), k);
  std::printf(
      "bloom fp rate: bits_per_key=%d k=%d n=%llu m=%llu probes=%llu measured=%.5f%% "
      "theory=%.5f%% ratio=%.3f\n",
      bits_per_key, reader.probe_count(), static_cast<unsigned long long>(key_count),
      static_cast<unsigned long long>(reader.bit_count()),
      static_cast<unsigned long long>(probe_count), 100 * rate.measured, 100 * rate.theory,
      rate.measured / rate.theory);
  return rate;
}

}  // namespace

TEST_CASE("bloom probe count is round(bits_per_key * ln 2) clamped to [1, 30]", "[bloom]") {
  REQUIRE(BloomFilterBuilder::probe_count_for(1) == 1);
  REQUIRE(BloomFilterBuilder::probe_count_for(5) == 3);
  REQUIRE(BloomFilterBuilder::probe_count_for(10) == 7);
  REQUIRE(BloomFilterBuilder::probe_count_for(20) == 14);
  REQUIRE(BloomFilterBuilder::probe_count_for(64) == 30);
}

TEST_CASE("bloom has no false negatives for any key count", "[bloom]") {
  for (uint64_t count : {0, 1, 2, 10, 100, 1000, 10000}) {
    BloomFilterBuilder builder(10);
    for (uint64_t i = 0; i < count; ++i) builder.add_key(key_for(i));
    const std::string data = builder.finish();
    BloomFilterReader reader(data);
    REQUIRE(reader.well_formed());
    for (uint64_t i = 0; i < count; ++i) REQUIRE(reader.may_contain(key_for(i)));
  }
}

TEST_CASE("bloom with no keys rejects absent keys", "[bloom]") {
  const std::string data = BloomFilterBuilder(10).finish();
  BloomFilterReader reader(data);
  REQUIRE(reader.well_formed());
  for (int i = 0; i < 100; ++i) REQUIRE_FALSE(reader.may_contain(key_for(i)));
}

// The theory (1 - e^{-kn/m})^k assumes independent uniform probes, so matching it within 20%
// shows the probe scheme wastes nothing. 1,000,000 absent probes give a relative standard error
// of about 3.5% at 10 bits/key; at 20 bits/key the rate is ~100x lower, so probe 10x more.
TEST_CASE("bloom false-positive rate at 10 bits/key is within 20% of theory", "[bloom]") {
  FalsePositiveRate rate = measure(10, 100'000, 1'000'000);
  REQUIRE(rate.measured <= rate.theory * 1.2);
  REQUIRE(rate.measured >= rate.theory * 0.8);
}

TEST_CASE("bloom false-positive rate at 5 bits/key is within 20% of theory", "[bloom]") {
  FalsePositiveRate rate = measure(5, 100'000, 1'000'000);
  REQUIRE(rate.measured <= rate.theory * 1.2);
  REQUIRE(rate.measured >= rate.theory * 0.8);
}

TEST_CASE("bloom false-positive rate at 20 bits/key is within 20% of theory", "[bloom]") {
  FalsePositiveRate rate = measure(20, 100'000, 4'000'000);
  REQUIRE(rate.measured <= rate.theory * 1.2);
  REQUIRE(rate.measured >= rate.theory * 0.8);
}

TEST_CASE("bloom reader treats malformed data as 'may contain'", "[bloom]") {
  std::string valid = BloomFilterBuilder(10).finish();
  std::string bad_scheme = valid;
  bad_scheme.back() = 9;
  std::string zero_probes = valid;
  zero_probes[zero_probes.size() - 2] = 0;
  std::string too_many_probes = valid;
  too_many_probes[too_many_probes.size() - 2] = 31;
  for (const std::string& data :
       {std::string(), std::string("\x07\x01"), bad_scheme, zero_probes, too_many_probes}) {
    BloomFilterReader reader(data);
    REQUIRE_FALSE(reader.well_formed());
    REQUIRE(reader.may_contain("anything"));
  }
}

TEST_CASE("bloom reader survives random filter bytes", "[bloom]") {
  std::mt19937_64 rng(11);
  for (int trial = 0; trial < 2000; ++trial) {
    std::string data(rng() % 200, '\0');
    for (char& c : data) c = static_cast<char>(rng());
    if (data.size() >= 2 && trial % 2 == 0) {
      data[data.size() - 2] = static_cast<char>(1 + rng() % 30);
      data.back() = static_cast<char>(kBloomSchemeV1);
    }
    BloomFilterReader reader(data);
    // A filter that cannot be read must never rule a key out (that would lose reads).
    const bool may_contain = reader.may_contain(key_for(trial));
    if (!reader.well_formed()) CHECK(may_contain);
  }
}
