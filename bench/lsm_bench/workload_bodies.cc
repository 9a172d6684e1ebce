// Timed loops of the pairdb-lsm-bench workloads.
#include "workload_bodies.h"

#include <atomic>
#include <chrono>
#include <functional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "key_space.h"

namespace pairdb::bench {
namespace {

using Clock = std::chrono::steady_clock;

uint64_t nanos_between(Clock::time_point a, Clock::time_point b) {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(b - a).count());
}

// Yields key indexes in one of the KeyOrders; one per thread.
class KeyOrderGenerator {
 public:
  KeyOrderGenerator(KeyOrder order, uint64_t num, uint64_t seed)
      : order_(order), num_(num), permutation_(num, seed), state_(seed) {}
  uint64_t key_at(uint64_t i) {
    switch (order_) {
      case KeyOrder::kSequential:
        return i;
      case KeyOrder::kPermutation:
        return permutation_.at(i);
      case KeyOrder::kUniform:
        return splitmix64(state_) % num_;
    }
    return i;
  }

 private:
  KeyOrder order_;
  uint64_t num_;
  RandomPermutation permutation_;
  uint64_t state_;
};

// The work of one thread: `ops` operations numbered from zero.
using ThreadBody = std::function<Status(int thread, uint64_t ops, Tally& tally)>;

// Splits total ops over `threads` threads, runs body on each and merges their tallies.
Result<Tally> run_threads(int threads, uint64_t total, const ThreadBody& body) {
  std::vector<Tally> tallies(static_cast<size_t>(threads));
  std::vector<Status> statuses(static_cast<size_t>(threads));
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    uint64_t ops = total / threads + (static_cast<uint64_t>(t) < total % threads ? 1 : 0);
    workers.emplace_back([&, t, ops] { statuses[t] = body(t, ops, tallies[t]); });
  }
  for (std::thread& worker : workers) worker.join();
  Tally merged;
  merged.has_latency = true;
  for (int t = 0; t < threads; ++t) {
    if (!statuses[t].is_ok()) return statuses[t];
    merged.ops += tallies[t].ops;
    merged.found += tallies[t].found;
    merged.latency.merge(tallies[t].latency);
  }
  return merged;
}

Status put_batched(const BenchConfig& config, Engine& engine, KeyOrderGenerator& keys,
                   const FillSpec& spec, ValuePool& values, Tally& tally) {
  KeyFormatter formatter(config.key_size);
  std::vector<std::string> batch_keys(static_cast<size_t>(config.batch_size));
  std::vector<KeyValue> batch(static_cast<size_t>(config.batch_size));
  Clock::time_point last = Clock::now();
  for (uint64_t i = 0; i < spec.count;) {
    size_t n = 0;
    for (; n < batch.size() && i < spec.count; ++n, ++i) {
      batch_keys[n] = formatter.format(keys.key_at(i));
      batch[n] = {batch_keys[n], values.next()};
      tally.user_bytes += batch[n].key.size() + batch[n].value.size();
    }
    PAIRDB_TRY(engine.write_batch(std::span(batch.data(), n), spec.sync));
    Clock::time_point now = Clock::now();
    tally.latency.add(nanos_between(last, now));  // One sample per batch.
    last = now;
    tally.ops += n;
  }
  return Status::ok();
}

// Uniformly random gets on one thread.
Status get_loop(const BenchConfig& config, Engine& engine, uint64_t seed, uint64_t ops,
                Tally& tally) {
  KeyFormatter formatter(config.key_size);
  KeyOrderGenerator keys(KeyOrder::kUniform, config.num, seed);
  std::string value;
  Clock::time_point last = Clock::now();
  for (uint64_t i = 0; i < ops; ++i) {
    Status s = engine.get(formatter.format(keys.key_at(i)), &value);
    if (s.is_ok()) {
      ++tally.found;
    } else if (!s.is_not_found()) {
      return s;
    }
    Clock::time_point now = Clock::now();
    tally.latency.add(nanos_between(last, now));
    last = now;
    ++tally.ops;
  }
  return Status::ok();
}

uint64_t thread_seed(uint64_t seed, int thread) {
  uint64_t state = seed + static_cast<uint64_t>(thread);
  return splitmix64(state);
}

}  // namespace

Result<Tally> fill(const BenchConfig& config, Engine& engine, const FillSpec& spec, uint64_t seed) {
  KeyOrderGenerator keys(spec.order, config.num, seed);
  ValuePool values(seed ^ 0x5eed, static_cast<size_t>(config.value_size));
  Tally tally;
  tally.has_latency = true;
  if (config.batch_size > 1) {
    PAIRDB_TRY(put_batched(config, engine, keys, spec, values, tally));
    return tally;
  }
  KeyFormatter formatter(config.key_size);
  Clock::time_point last = Clock::now();
  for (uint64_t i = 0; i < spec.count; ++i) {
    std::string_view key = formatter.format(keys.key_at(i));
    std::string_view value = values.next();
    PAIRDB_TRY(engine.put(key, value, spec.sync));
    Clock::time_point now = Clock::now();
    tally.latency.add(nanos_between(last, now));
    last = now;
    tally.user_bytes += key.size() + value.size();
    ++tally.ops;
  }
  return tally;
}

Result<Tally> read_random(const BenchConfig& config, Engine& engine, uint64_t seed) {
  return run_threads(config.threads, config.read_ops(), [&](int t, uint64_t ops, Tally& tally) {
    return get_loop(config, engine, thread_seed(seed, t), ops, tally);
  });
}

Result<Tally> seek_random(const BenchConfig& config, Engine& engine, uint64_t seed) {
  return run_threads(config.threads, config.read_ops(), [&](int t, uint64_t ops, Tally& tally) {
    KeyFormatter formatter(config.key_size);
    KeyOrderGenerator keys(KeyOrder::kUniform, config.num, thread_seed(seed, t));
    std::unique_ptr<EngineIterator> it = engine.new_iterator();
    uint64_t bytes_seen = 0;
    Clock::time_point last = Clock::now();
    for (uint64_t i = 0; i < ops; ++i) {
      std::string_view target = formatter.format(keys.key_at(i));
      it->seek(target);
      if (it->valid()) {
        bytes_seen += it->value().size();  // Touch the value, as a real reader would.
        if (it->key() == target) ++tally.found;
      }
      Clock::time_point now = Clock::now();
      tally.latency.add(nanos_between(last, now));
      last = now;
      ++tally.ops;
    }
    volatile uint64_t sink = bytes_seen;  // Keeps the value reads from being optimised away.
    (void)sink;
    return it->status();
  });
}

Result<Tally> read_seq(const BenchConfig& config, Engine& engine) {
  Tally tally;
  std::unique_ptr<EngineIterator> it = engine.new_iterator();
  uint64_t bytes_seen = 0;
  const uint64_t limit = config.read_ops();
  for (it->seek_to_first(); it->valid() && tally.ops < limit; it->next()) {
    bytes_seen += it->key().size() + it->value().size();
    ++tally.ops;
  }
  volatile uint64_t sink = bytes_seen;  // Keeps the reads from being optimised away.
  (void)sink;
  tally.found = tally.ops;
  PAIRDB_TRY(it->status());
  return tally;
}

Result<Tally> read_while_writing(const BenchConfig& config, Engine& engine, uint64_t seed) {
  std::atomic<bool> readers_done{false};
  Status writer_status;
  Tally writes;
  std::thread writer([&] {
    KeyFormatter formatter(config.key_size);
    KeyOrderGenerator keys(KeyOrder::kUniform, config.num, thread_seed(seed, -1));
    ValuePool values(seed ^ 0x5eed, static_cast<size_t>(config.value_size));
    for (uint64_t i = 0; !readers_done.load(std::memory_order_relaxed); ++i) {
      std::string_view key = formatter.format(keys.key_at(i));
      std::string_view value = values.next();
      writer_status = engine.put(key, value, /*sync=*/false);
      if (!writer_status.is_ok()) return;
      writes.user_bytes += key.size() + value.size();
      ++writes.ops;
    }
  });
  Result<Tally> reads = read_random(config, engine, seed);
  readers_done.store(true);
  writer.join();
  if (!reads.is_ok()) return reads;
  PAIRDB_TRY(writer_status);
  reads->background_writes = writes.ops;
  reads->user_bytes = writes.user_bytes;
  return reads;
}

}  // namespace pairdb::bench
