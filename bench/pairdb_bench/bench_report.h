// pairdb-bench's results: an aligned text table for people and a JSON document for scripts
// (bench/compare-redis.sh, the tests). Latencies are reported in microseconds.
//
// JSON shape:
//   { "tool": "pairdb-bench", "config": { ...the run's flags... },
//     "load": null | PHASE, "run": PHASE }
//   PHASE = { "seconds": s, "ops": n, "errors": n, "throughput": ops/s,
//             "operations": { "get"|"put": { "ops": n, "errors": n, "throughput": ops/s,
//                 "latency_us": { "min", "mean", "p50", "p95", "p99", "p999", "max" } } } }
// Operations with neither successes nor errors are left out of "operations".
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "pairdb_bench/closed_loop.h"

namespace pairdb::bench {

// The run's settings as name/value text pairs, echoed into both reports.
using ConfigEcho = std::vector<std::pair<std::string, std::string>>;

std::string render_text_report(const PhaseResult& run);
std::string render_json_report(const ConfigEcho& config, const PhaseResult* load,
                               const PhaseResult& run);

}  // namespace pairdb::bench
