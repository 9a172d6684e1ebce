// Micro-benchmarks for the memtable's skiplist: inserts and point lookups through Memtable with
// random 16-byte user keys and small values.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "lsm/dbformat.h"
#include "lsm/memtable.h"

namespace pairdb::lsm {
namespace {

constexpr size_t kKeyBytes = 16;
// Insert benchmarks start a fresh memtable after this many entries, as a flush would, so memory
// stays bounded however many iterations the framework chooses.
constexpr uint64_t kEntriesPerMemtableMax = uint64_t{1} << 20;
constexpr std::string_view kValue = "value-of-sixteen";

// splitmix64: cheap enough not to dominate the timings and reproducible across runs.
class KeyGenerator {
 public:
  explicit KeyGenerator(uint64_t seed) : state_(seed) {}
  std::string_view next_key() {
    const uint64_t halves[2] = {next_random(), next_random()};
    std::memcpy(buffer_, halves, kKeyBytes);
    return {buffer_, kKeyBytes};
  }

 private:
  uint64_t next_random() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  uint64_t state_;
  char buffer_[kKeyBytes];
};

// Sized as the engine sizes it (its point index follows the write buffer): a memtable of 64 MiB
// holds about kEntriesPerMemtableMax of these entries.
std::shared_ptr<Memtable> new_memtable() {
  return std::make_shared<Memtable>(InternalKeyComparator(bytewise_comparator()), 64u << 20);
}

void BM_MemtableInsert(benchmark::State& state) {
  KeyGenerator keys(1);
  auto memtable = new_memtable();
  SequenceNumber seq = 0;
  for (auto _ : state) {
    memtable->add(++seq, ValueType::kValue, keys.next_key(), kValue);
    if (memtable->entry_count() == kEntriesPerMemtableMax) {
      state.PauseTiming();
      memtable = new_memtable();
      state.ResumeTiming();
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_MemtableInsert);

// Fills a memtable with `count` random keys and returns the keys in insertion order.
std::vector<std::string> fill(Memtable* memtable, int64_t count) {
  KeyGenerator generator(2);
  std::vector<std::string> keys;
  keys.reserve(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) {
    keys.emplace_back(generator.next_key());
    memtable->add(static_cast<SequenceNumber>(i + 1), ValueType::kValue, keys.back(), kValue);
  }
  return keys;
}

void BM_MemtableGetHit(benchmark::State& state) {
  auto memtable = new_memtable();
  const std::vector<std::string> keys = fill(memtable.get(), state.range(0));
  KeyGenerator picker(3);
  for (auto _ : state) {
    uint64_t index = 0;
    std::memcpy(&index, picker.next_key().data(), sizeof(index));
    auto result = memtable->get(keys[index % keys.size()], kMaxSequenceNumber);
    benchmark::DoNotOptimize(result);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_MemtableGetHit)->RangeMultiplier(16)->Range(1 << 10, 1 << 18);

void BM_MemtableGetMiss(benchmark::State& state) {
  auto memtable = new_memtable();
  (void)fill(memtable.get(), state.range(0));
  KeyGenerator absent(4);  // A different stream: its keys are absent with overwhelming odds.
  for (auto _ : state) {
    auto result = memtable->get(absent.next_key(), kMaxSequenceNumber);
    benchmark::DoNotOptimize(result);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_MemtableGetMiss)->RangeMultiplier(16)->Range(1 << 10, 1 << 18);

}  // namespace
}  // namespace pairdb::lsm
