// What one engine's benchmark process measured, and its line encoding on the pipe from the
// child process (which runs the engine) to the parent (which prints and writes JSON).
//
// Wire format, one record per line, space-separated:
//   W <name> <ops> <elapsed_ns> <found> <background_writes> <user_bytes> <disk_bytes_written>
//     <space_bytes> <peak_rss_bytes> <p50_ns> <p99_ns>          (one workload)
//   T <user_bytes> <disk_bytes_written> <space_bytes> <peak_rss_bytes>   (totals, after close)
//   N <text>   (a note)         X <text>   (the error that ended the run)
// Unknown quantities are -1.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pairdb::bench {

struct WorkloadResult {
  std::string name;
  uint64_t ops = 0;  // Timed operations; for readwhilewriting, the readers' reads.
  uint64_t elapsed_ns = 0;
  uint64_t found = 0;               // Reads and seeks that found their key.
  uint64_t background_writes = 0;   // readwhilewriting: puts by the writer meanwhile.
  uint64_t user_bytes = 0;          // Key + value bytes the workload wrote.
  int64_t disk_bytes_written = -1;  // Bytes the process wrote to files during the workload.
  int64_t space_bytes = -1;         // Database directory size after the workload.
  int64_t peak_rss_bytes = -1;      // Peak RSS during the workload.
  int64_t p50_ns = -1;              // Per-operation latency quantiles; -1 if not recorded.
  int64_t p99_ns = -1;

  double ops_per_sec() const;
  double micros_per_op() const;
  // disk_bytes_written / user_bytes, for workloads that write.
  std::optional<double> write_amplification() const;
};

// Totals over an engine's whole run, measured after its final flush and close.
struct EngineTotals {
  uint64_t user_bytes = 0;
  int64_t disk_bytes_written = -1;
  int64_t space_bytes = -1;
  int64_t peak_rss_bytes = -1;  // Max over every workload and the final flush and close.

  std::optional<double> write_amplification() const;
};

enum class EngineState { kOk, kAbsent, kFailed };

struct EngineReport {
  std::string engine;
  EngineState state = EngineState::kOk;
  std::string error;  // Set when kFailed.
  std::vector<std::string> notes;
  std::vector<WorkloadResult> workloads;
  EngineTotals totals;

  const WorkloadResult* find(std::string_view workload) const;
};

std::string encode_workload(const WorkloadResult& result);
std::string encode_totals(const EngineTotals& totals);
std::string encode_note(std::string_view text);   // Newlines become spaces.
std::string encode_error(std::string_view text);  // Newlines become spaces.

// Applies one line to report. False if the line is malformed.
bool decode_line(std::string_view line, EngineReport& report);

}  // namespace pairdb::bench
