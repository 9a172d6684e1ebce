// The anti-entropy benchmark's report: Markdown tables on stdout (ready for bench/RESULTS.md),
// the targets next to the figures, and optionally the same figures as JSON.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <pairdb/status.h>

#include "repair_bench/dataset.h"
#include "repair_bench/replica.h"
#include "repair_bench/session_runner.h"

namespace pairdb::bench {

// Issue targets: with nothing divergent, bytes exchanged below 1 % of the data size; with 0.1 %
// divergent, bytes exchanged at most 5x the divergent records' size.
inline constexpr double kIdenticalBytesShareMax = 0.01;
inline constexpr double kTargetDivergentFraction = 0.001;
inline constexpr double kDivergentBytesRatioMax = 5.0;

// One divergence level: what was loaded, the repair, and the check afterwards.
struct LevelResult {
  double divergent_fraction = 0;
  LoadSummary load;
  RepairRun run;
  VerifySummary verify;
  double load_seconds = 0;  // Generating, writing and compacting both replicas.
  double verify_seconds = 0;
};

struct ReportHeader {
  uint64_t keys = 0;
  uint32_t value_bytes = 0;
  uint64_t seed = 0;
  std::string command;
};

// "met", "missed", or "-" when no target applies to the level.
std::string target_verdict(const LevelResult& level);
bool target_missed(const LevelResult& level);

void print_report(const ReportHeader& header, const std::vector<LevelResult>& levels);
Status write_json_report(const std::string& path, const ReportHeader& header,
                         const std::vector<LevelResult>& levels);

}  // namespace pairdb::bench
