// Ring lookups: preference lists per second for a realistic ring (num_tokens per node).
#include <benchmark/benchmark.h>

#include <pairdb/ring/hash_ring.h>

#include "common/rng.h"

namespace {

using namespace pairdb;
using namespace pairdb::ring;

std::shared_ptr<const HashRing> make_ring(size_t nodes, size_t tokens, size_t racks) {
  Rng rng(42);
  std::vector<NodeDescriptor> descriptors;
  for (size_t n = 0; n < nodes; ++n) {
    descriptors.push_back(NodeDescriptor{
        NodeId::random(rng), "dc1", "r" + std::to_string(n % racks), generate_tokens(rng, tokens)});
  }
  return *HashRing::build(std::move(descriptors));
}

void BM_PreferenceListSimple(benchmark::State& state) {
  auto ring =
      make_ring(static_cast<size_t>(state.range(0)), static_cast<size_t>(state.range(1)), 1);
  const ReplicationSpec spec = ReplicationSpec::simple(3);
  Rng rng(7);
  for (auto _ : state) {
    benchmark::DoNotOptimize(ring->preference_list(rng.next_u64(), spec));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PreferenceListSimple)
    ->Args({12, 16})
    ->Args({100, 16})
    ->Args({100, 256})
    ->Args({1000, 16});

void BM_PreferenceListRackAware(benchmark::State& state) {
  auto ring = make_ring(static_cast<size_t>(state.range(0)), 16, 3);
  const ReplicationSpec spec{0, {{"dc1", 3}}};
  Rng rng(7);
  for (auto _ : state) {
    benchmark::DoNotOptimize(ring->preference_list(rng.next_u64(), spec, 2));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PreferenceListRackAware)->Arg(12)->Arg(100);

void BM_TokenOfKey(benchmark::State& state) {
  const std::string key = "user:1234567890";
  for (auto _ : state) benchmark::DoNotOptimize(HashRing::token_of(key));
}
BENCHMARK(BM_TokenOfKey);

}  // namespace
