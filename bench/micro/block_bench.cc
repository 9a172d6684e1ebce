// Seek cost inside one ~4 KiB data block: binary search over restart points, then a linear
// scan of at most restart_interval prefix-compressed entries.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <pairdb/lsm/comparator.h>

#include "lsm/block.h"
#include "lsm/block_builder.h"

namespace {

constexpr size_t kBlockBytes = 4096;

// Arg 0: restart interval.
void BM_block_seek(benchmark::State& state) {
  const int restart_interval = static_cast<int>(state.range(0));
  const pairdb::lsm::Comparator* comparator = pairdb::lsm::bytewise_comparator();
  pairdb::lsm::BlockBuilder builder(restart_interval, comparator);
  std::vector<std::string> keys;
  for (int i = 0; builder.size_estimate() < kBlockBytes; ++i) {
    char key[32];
    std::snprintf(key, sizeof(key), "tenant/0042/user/%08d", i * 7);
    keys.emplace_back(key);
    builder.add(keys.back(), std::string(16, 'v'));
  }
  const pairdb::lsm::Block block{std::string(builder.finish())};
  std::unique_ptr<pairdb::lsm::Iterator> it = block.new_iterator(comparator);

  std::mt19937_64 rng(1);
  std::vector<size_t> order(1024);
  for (size_t& index : order) index = rng() % keys.size();
  size_t i = 0;
  for (auto _ : state) {
    it->seek(keys[order[i]]);
    benchmark::DoNotOptimize(it->value().data());
    if (++i == order.size()) i = 0;
  }
  state.counters["entries"] = static_cast<double>(keys.size());
  state.counters["block_bytes"] = static_cast<double>(block.size());
}
BENCHMARK(BM_block_seek)->ArgName("restart_interval")->Arg(1)->Arg(4)->Arg(16)->Arg(64);

}  // namespace
