// The timed loops of each workload, free of setup and measurement, so that each stays small.
// Every body is deterministic given its seed: the same keys and values in every engine.
#pragma once

#include <cstdint>

#include <pairdb/status.h>

#include "engine.h"
#include "shared/latency_histogram.h"
#include "workloads.h"

namespace pairdb::bench {

struct Tally {
  uint64_t ops = 0;
  uint64_t found = 0;
  uint64_t background_writes = 0;
  uint64_t user_bytes = 0;
  LatencyHistogram latency;
  bool has_latency = false;  // False when per-op timing would distort the figure (readseq).
};

enum class KeyOrder { kSequential, kPermutation, kUniform };

struct FillSpec {
  KeyOrder order = KeyOrder::kSequential;
  uint64_t count = 0;
  bool sync = false;
};

Result<Tally> fill(const BenchConfig& config, Engine& engine, const FillSpec& spec, uint64_t seed);
Result<Tally> read_random(const BenchConfig& config, Engine& engine, uint64_t seed);
Result<Tally> seek_random(const BenchConfig& config, Engine& engine, uint64_t seed);
Result<Tally> read_seq(const BenchConfig& config, Engine& engine);
Result<Tally> read_while_writing(const BenchConfig& config, Engine& engine, uint64_t seed);

}  // namespace pairdb::bench
