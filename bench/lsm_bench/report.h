// Presents pairdb-lsm-bench results: the comparison table on stdout and the same numbers as JSON.
//
// Methods (also printed under the table):
//   - ops/s = timed operations / wall time of the timed loop, summed over threads; us/op is
//     wall time / operations (with several reader threads it is not a latency: see p50/p99).
//   - Write amplification = bytes the engine's process passed to write(2)/pwrite(2) during the
//     workload (/proc/self/io wchar: WAL, tables, manifests, info logs, including files deleted
//     since) / key+value bytes the workload wrote. The total row runs from process start through
//     the final flush and close, so it includes work deferred past the timed loops.
//   - Space = logical size of the files in the engine's directory.
//   - Peak RSS = VmHWM, reset before each workload (clear_refs); the total is the maximum.
#pragma once

#include <string>
#include <vector>

#include <pairdb/status.h>

#include "results.h"
#include "workloads.h"

namespace pairdb::bench {

struct RunDescription {
  BenchConfig config;
  std::vector<std::string> engines;    // In run order.
  std::vector<std::string> workloads;  // In run order.
  std::string db_dir;
};

void print_report(const RunDescription& run, const std::vector<EngineReport>& reports);

Status write_json_report(const std::string& path, const RunDescription& run,
                         const std::vector<EngineReport>& reports);

}  // namespace pairdb::bench
