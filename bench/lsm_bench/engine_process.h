// Runs one engine's workloads in a forked child process, so that each engine's peak RSS, heap and
// background threads are its own, and reports what the child measured.
#pragma once

#include <string>
#include <vector>

#include "results.h"
#include "workloads.h"

namespace pairdb::bench {

struct EngineRunSpec {
  std::string engine;                  // One of known_engines().
  std::vector<std::string> workloads;  // Known workloads, in run order.
  std::string dir;                     // The engine's database directory; wiped first.
  bool keep = false;                   // Keep dir afterwards.
  bool print_stats = false;            // The child prints the engine's own stats to stderr.
};

// REQUIRES: the calling process has no other threads (it forks).
// An engine not compiled in comes back kAbsent; a failed or crashed child kFailed, with the
// workloads that completed before the failure.
EngineReport run_engine_process(const BenchConfig& config, const EngineRunSpec& spec);

}  // namespace pairdb::bench
