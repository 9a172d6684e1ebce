// The comparison table and JSON report of pairdb-lsm-bench.
#include "report.h"

#include <cstdio>
#include <optional>

#include <fmt/format.h>

namespace pairdb::bench {
namespace {

constexpr std::string_view kOurEngine = "pairdb";
constexpr double kMiB = 1 << 20;

const EngineReport* find_engine(const std::vector<EngineReport>& reports, std::string_view name) {
  for (const EngineReport& report : reports) {
    if (report.engine == name) return &report;
  }
  return nullptr;
}

const WorkloadResult* find_result(const EngineReport* report, std::string_view workload) {
  return report == nullptr ? nullptr : report->find(workload);
}

// pairdb's ops/s over other's, when both ran the workload.
std::optional<double> ratio(const std::vector<EngineReport>& reports, std::string_view other,
                            std::string_view workload) {
  const WorkloadResult* ours = find_result(find_engine(reports, kOurEngine), workload);
  const WorkloadResult* theirs = find_result(find_engine(reports, other), workload);
  if (ours == nullptr || theirs == nullptr || theirs->ops_per_sec() <= 0) return std::nullopt;
  return ours->ops_per_sec() / theirs->ops_per_sec();
}

std::vector<std::string> ratio_engines(const RunDescription& run) {
  std::vector<std::string> others;
  bool has_ours = false;
  for (const std::string& engine : run.engines) {
    if (engine == kOurEngine)
      has_ours = true;
    else
      others.push_back(engine);
  }
  return has_ours ? others : std::vector<std::string>{};
}

// "absent", "failed" or "-" when an engine has no figure for this workload.
std::string missing_cell(const EngineReport& report) {
  if (report.state == EngineState::kAbsent) return "absent";
  if (report.state == EngineState::kFailed) return "failed";
  return "-";
}

std::string mib_cell(int64_t bytes) {
  return bytes < 0 ? "n/a" : fmt::format("{:.1f}", static_cast<double>(bytes) / kMiB);
}

std::string optional_cell(std::optional<double> value, int precision) {
  return value ? fmt::format("{:.{}f}", *value, precision) : "-";
}

void print_header(const RunDescription& run) {
  const BenchConfig& c = run.config;
  fmt::print(
      "pairdb-lsm-bench: num={} reads={} fillsync ops={} key={} B value={} B threads={} batch={}\n"
      "  memtable {:.0f} MiB, block cache {:.0f} MiB, block {} B, bloom {} bits/key, no "
      "compression, WAL on without per-write sync\n"
      "  engines run one after another in this order, each in its own process: {}\n"
      "  (the OS page cache is not dropped between engines; readrandom_uncached evicts its own "
      "files)\n\n",
      c.num, c.read_ops(), c.sync_ops(), c.key_size, c.value_size, c.threads, c.batch_size,
      static_cast<double>(c.engine.write_buffer_bytes) / kMiB,
      static_cast<double>(c.engine.block_cache_bytes) / kMiB, c.engine.block_bytes,
      c.engine.bloom_bits_per_key, fmt::join(run.engines, ", "));
}

void print_throughput(const RunDescription& run, const std::vector<EngineReport>& reports) {
  const std::vector<std::string> others = ratio_engines(run);
  fmt::print("{:<20}", "workload");
  for (const EngineReport& r : reports) fmt::print(" {:>12} {:>8}", r.engine + " ops/s", "us/op");
  for (const std::string& other : others) fmt::print(" {:>15}", "pairdb/" + other);
  fmt::print("\n");
  for (const std::string& workload : run.workloads) {
    fmt::print("{:<20}", workload);
    for (const EngineReport& r : reports) {
      const WorkloadResult* w = r.find(workload);
      if (w == nullptr) {
        fmt::print(" {:>12} {:>8}", missing_cell(r), "");
      } else {
        fmt::print(" {:>12.0f} {:>8.3f}", w->ops_per_sec(), w->micros_per_op());
      }
    }
    for (const std::string& other : others) {
      fmt::print(" {:>15}", optional_cell(ratio(reports, other, workload), 2));
    }
    fmt::print("\n");
  }
}

void print_latency(const RunDescription& run, const std::vector<EngineReport>& reports) {
  fmt::print("\nper-operation latency p50 / p99 (us; per batch when --batch_size > 1)\n");
  fmt::print("{:<20}", "workload");
  for (const EngineReport& r : reports) fmt::print(" {:>21}", r.engine);
  fmt::print("\n");
  for (const std::string& workload : run.workloads) {
    fmt::print("{:<20}", workload);
    for (const EngineReport& r : reports) {
      const WorkloadResult* w = r.find(workload);
      if (w == nullptr || w->p50_ns < 0) {
        fmt::print(" {:>21}", w == nullptr ? missing_cell(r) : "-");
        continue;
      }
      fmt::print(" {:>21}", fmt::format("{:.2f} / {:.2f}", w->p50_ns / 1e3, w->p99_ns / 1e3));
    }
    fmt::print("\n");
  }
}

void print_row(std::string_view label, const std::vector<EngineReport>& reports,
               std::string (*cell)(const EngineReport&)) {
  fmt::print("{:<34}", label);
  for (const EngineReport& r : reports) {
    fmt::print(" {:>12}", r.state == EngineState::kOk ? cell(r) : missing_cell(r));
  }
  fmt::print("\n");
}

// Whether any engine wrote user data in this workload (only those rows get a write amplification).
bool any_writes(const std::vector<EngineReport>& reports, std::string_view workload) {
  for (const EngineReport& r : reports) {
    const WorkloadResult* w = r.find(workload);
    if (w != nullptr && w->user_bytes > 0) return true;
  }
  return false;
}

void print_engine_summary(const RunDescription& run, const std::vector<EngineReport>& reports) {
  fmt::print("\n{:<34}", "engine");
  for (const EngineReport& r : reports) fmt::print(" {:>12}", r.engine);
  fmt::print("\n");
  for (const std::string& workload : run.workloads) {
    if (!any_writes(reports, workload)) continue;
    fmt::print("{:<34}", "write amplification, " + workload);
    for (const EngineReport& r : reports) {
      const WorkloadResult* w = r.find(workload);
      fmt::print(" {:>12}",
                 w == nullptr ? missing_cell(r) : optional_cell(w->write_amplification(), 2));
    }
    fmt::print("\n");
  }
  print_row("write amplification, total", reports,
            [](const EngineReport& r) { return optional_cell(r.totals.write_amplification(), 2); });
  print_row("user data written (MiB)", reports, [](const EngineReport& r) {
    return mib_cell(static_cast<int64_t>(r.totals.user_bytes));
  });
  print_row("disk bytes written (MiB)", reports,
            [](const EngineReport& r) { return mib_cell(r.totals.disk_bytes_written); });
  print_row("space used at end (MiB)", reports,
            [](const EngineReport& r) { return mib_cell(r.totals.space_bytes); });
  print_row("peak RSS (MiB)", reports,
            [](const EngineReport& r) { return mib_cell(r.totals.peak_rss_bytes); });
}

void print_notes(const std::vector<EngineReport>& reports) {
  for (const EngineReport& r : reports) {
    for (const std::string& note : r.notes) fmt::print("note: {}: {}\n", r.engine, note);
    if (r.state == EngineState::kFailed) fmt::print("error: {}: {}\n", r.engine, r.error);
  }
}

}  // namespace

void print_report(const RunDescription& run, const std::vector<EngineReport>& reports) {
  print_header(run);
  print_throughput(run, reports);
  print_latency(run, reports);
  print_engine_summary(run, reports);
  fmt::print(
      "\nwrite amplification = bytes written by the engine's process to its files (/proc/self/io "
      "wchar) / key+value bytes written;\n  per workload: during its timed loop; total: from "
      "start through the final flush and close. Space: file sizes in the DB directory.\n\n");
  print_notes(reports);
  std::fflush(stdout);
}

}  // namespace pairdb::bench
