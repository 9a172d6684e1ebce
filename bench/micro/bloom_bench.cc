// Bloom filter probe cost: one hash64 plus k bit tests, for keys present and absent.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>
#include <vector>

#include "lsm/bloom.h"

namespace {

constexpr int kKeyCount = 100'000;

std::vector<std::string> make_keys(int count, int first) {
  std::vector<std::string> keys;
  keys.reserve(count);
  for (int i = 0; i < count; ++i) keys.push_back("user:" + std::to_string(first + i));
  return keys;
}

// Arg 0: bits per key. Arg 1: 1 to probe added keys, 0 to probe absent keys.
void BM_bloom_may_contain(benchmark::State& state) {
  const int bits_per_key = static_cast<int>(state.range(0));
  const bool present = state.range(1) != 0;
  const std::vector<std::string> added = make_keys(kKeyCount, 0);
  pairdb::lsm::BloomFilterBuilder builder(bits_per_key);
  for (const std::string& key : added) builder.add_key(key);
  const std::string data = builder.finish();
  const pairdb::lsm::BloomFilterReader reader(data);
  const std::vector<std::string> probes = present ? added : make_keys(kKeyCount, kKeyCount);

  size_t i = 0;
  int64_t hits = 0;
  for (auto _ : state) {
    hits += reader.may_contain(probes[i]);
    if (++i == probes.size()) i = 0;
  }
  benchmark::DoNotOptimize(hits);
  state.counters["hit_rate"] =
      benchmark::Counter(static_cast<double>(hits) / static_cast<double>(state.iterations()));
}
BENCHMARK(BM_bloom_may_contain)
    ->ArgNames({"bits_per_key", "present"})
    ->Args({10, 1})
    ->Args({10, 0})
    ->Args({20, 0});

void BM_bloom_build(benchmark::State& state) {
  const std::vector<std::string> keys = make_keys(kKeyCount, 0);
  for (auto _ : state) {
    pairdb::lsm::BloomFilterBuilder builder(10);
    for (const std::string& key : keys) builder.add_key(key);
    benchmark::DoNotOptimize(builder.finish());
  }
  state.SetItemsProcessed(state.iterations() * kKeyCount);
}
BENCHMARK(BM_bloom_build);

}  // namespace
