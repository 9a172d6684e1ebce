// WorkloadRunner: prepares the database each workload needs, then times the workload's body and
// reads the process counters around it.
#include "workloads.h"

#include <chrono>
#include <filesystem>
#include <utility>

#include <fmt/format.h>

#include "key_space.h"
#include "process_stats.h"
#include "workload_bodies.h"

namespace pairdb::bench {
namespace {

// A database smaller than this many block caches makes readrandom_uncached a cached read.
constexpr uint64_t kUncachedSizeToCacheMin = 3;

// A per-workload seed that is the same in every engine's process.
uint64_t workload_seed(uint64_t seed, std::string_view name) {
  uint64_t hash = 0xcbf29ce484222325ULL;  // FNV-1a.
  for (char c : name) hash = (hash ^ static_cast<unsigned char>(c)) * 0x100000001b3ULL;
  uint64_t state = seed ^ hash;
  return splitmix64(state);
}

bool is_fresh_fill(std::string_view name) {
  return name == "fillseq" || name == "fillrandom" || name == "fillsync";
}

int64_t or_unknown(std::optional<uint64_t> value) {
  return value ? static_cast<int64_t>(*value) : -1;
}

}  // namespace

uint64_t BenchConfig::sync_ops() const {
  if (sync_num > 0) return sync_num;
  return num >= 100 ? num / 100 : 1;
}

const std::vector<std::string>& known_workloads() {
  static const std::vector<std::string> kWorkloads = {
      "fillseq", "fillsync",   "fillrandom",          "overwrite",        "readrandom",
      "readseq", "seekrandom", "readrandom_uncached", "readwhilewriting",
  };
  return kWorkloads;
}

bool is_known_workload(std::string_view name) {
  for (const std::string& known : known_workloads()) {
    if (known == name) return true;
  }
  return false;
}

WorkloadRunner::WorkloadRunner(const BenchConfig& config, Engine& engine, std::string dir)
    : config_(config), engine_(engine), dir_(std::move(dir)) {}

std::vector<std::string> WorkloadRunner::take_notes() { return std::exchange(notes_, {}); }

Status WorkloadRunner::fresh_db() {
  if (open_) PAIRDB_TRY(engine_.close());
  open_ = false;
  loaded_ = false;
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
  if (ec) return Status::io_error(fmt::format("cannot remove {}: {}", dir_, ec.message()));
  PAIRDB_TRY(engine_.open(config_.engine, dir_));
  open_ = true;
  return Status::ok();
}

Status WorkloadRunner::ensure_loaded(const std::string& for_workload) {
  if (loaded_) return Status::ok();
  PAIRDB_TRY(fresh_db());
  FillSpec spec{KeyOrder::kPermutation, config_.num, /*sync=*/false};
  auto tally = fill(config_, engine_, spec, workload_seed(config_.seed, "fillrandom"));
  if (!tally.is_ok()) return tally.status();
  loaded_ = true;
  notes_.push_back(
      fmt::format("{}: loaded {} keys first (untimed, as fillrandom)", for_workload, config_.num));
  return Status::ok();
}

// Moves everything to tables and out of the OS page cache, so reads miss both caches at first.
Status WorkloadRunner::prepare_uncached() {
  PAIRDB_TRY(engine_.flush());
  evict_directory_from_page_cache(dir_);
  const uint64_t bytes = directory_bytes(dir_);
  if (bytes < kUncachedSizeToCacheMin * config_.engine.block_cache_bytes) {
    notes_.push_back(fmt::format(
        "readrandom_uncached: database is {:.1f} MiB, under {}x the block cache; raise --num",
        static_cast<double>(bytes) / (1 << 20), kUncachedSizeToCacheMin));
  }
  return Status::ok();
}

Status WorkloadRunner::prepare(const std::string& name) {
  if (is_fresh_fill(name)) return fresh_db();
  PAIRDB_TRY(ensure_loaded(name));
  if (name == "readrandom_uncached") PAIRDB_TRY(prepare_uncached());
  return Status::ok();
}

Result<Tally> WorkloadRunner::run_body(const std::string& name, uint64_t seed) {
  if (name == "fillseq") return fill(config_, engine_, {KeyOrder::kSequential, config_.num}, seed);
  if (name == "fillrandom") {
    return fill(config_, engine_, {KeyOrder::kPermutation, config_.num}, seed);
  }
  if (name == "overwrite") return fill(config_, engine_, {KeyOrder::kUniform, config_.num}, seed);
  if (name == "fillsync") {
    return fill(config_, engine_, {KeyOrder::kPermutation, config_.sync_ops(), true}, seed);
  }
  if (name == "readrandom" || name == "readrandom_uncached") {
    return read_random(config_, engine_, seed);
  }
  if (name == "readseq") return read_seq(config_, engine_);
  if (name == "seekrandom") return seek_random(config_, engine_, seed);
  if (name == "readwhilewriting") return read_while_writing(config_, engine_, seed);
  return Status::invalid_argument(fmt::format("unknown workload {}", name));
}

Result<WorkloadResult> WorkloadRunner::run(const std::string& name) {
  PAIRDB_TRY(prepare(name));
  reset_peak_rss();
  const std::optional<uint64_t> written_before = process_bytes_written();
  const auto start = std::chrono::steady_clock::now();
  Result<Tally> tally = run_body(name, workload_seed(config_.seed, name));
  const auto end = std::chrono::steady_clock::now();
  const std::optional<uint64_t> written_after = process_bytes_written();
  if (!tally.is_ok()) return tally.status().with_context(name);
  if (name == "fillseq" || name == "fillrandom") loaded_ = true;

  WorkloadResult result;
  result.name = name;
  result.ops = tally->ops;
  result.elapsed_ns = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(end - start).count());
  result.found = tally->found;
  result.background_writes = tally->background_writes;
  result.user_bytes = tally->user_bytes;
  if (written_before && written_after) {
    result.disk_bytes_written = static_cast<int64_t>(*written_after - *written_before);
  }
  result.space_bytes = static_cast<int64_t>(directory_bytes(dir_));
  result.peak_rss_bytes = or_unknown(peak_rss_bytes());
  if (tally->has_latency && tally->latency.count() > 0) {
    result.p50_ns = static_cast<int64_t>(tally->latency.percentile_nanos(0.50));
    result.p99_ns = static_cast<int64_t>(tally->latency.percentile_nanos(0.99));
  }
  return result;
}

Status WorkloadRunner::finish() {
  if (!open_) return Status::ok();
  PAIRDB_TRY(engine_.flush());
  open_ = false;
  return engine_.close();
}

}  // namespace pairdb::bench
