// The JSON form of the pairdb-lsm-bench report: the same numbers as the table, keyed by engine
// and workload. Unknown quantities are null.
#include <fstream>

#include <fmt/format.h>

#include "shared/json_writer.h"
#include "report.h"

namespace pairdb::bench {
namespace {

void optional_value(JsonWriter& json, std::optional<double> value) {
  if (value)
    json.value(*value);
  else
    json.null();
}

void known_value(JsonWriter& json, int64_t value) {
  if (value >= 0)
    json.value(value);
  else
    json.null();
}

void write_config(JsonWriter& json, const RunDescription& run) {
  const BenchConfig& c = run.config;
  json.key("config").begin_object();
  json.key("num").value(c.num).key("reads").value(c.read_ops());
  json.key("fillsync_ops").value(c.sync_ops());
  json.key("key_size").value(c.key_size).key("value_size").value(c.value_size);
  json.key("threads").value(c.threads).key("batch_size").value(c.batch_size);
  json.key("seed").value(c.seed);
  json.key("write_buffer_size").value(static_cast<uint64_t>(c.engine.write_buffer_bytes));
  json.key("block_cache_size").value(static_cast<uint64_t>(c.engine.block_cache_bytes));
  json.key("block_size").value(static_cast<uint64_t>(c.engine.block_bytes));
  json.key("bloom_bits_per_key").value(c.engine.bloom_bits_per_key);
  json.key("compression").value("none").key("wal").value("on, no per-write sync");
  json.key("db").value(run.db_dir);
  json.key("engines").begin_array();
  for (const std::string& engine : run.engines) json.value(engine);
  json.end_array().key("benchmarks").begin_array();
  for (const std::string& workload : run.workloads) json.value(workload);
  json.end_array().end_object();
}

void write_workload(JsonWriter& json, const WorkloadResult& w) {
  json.key(w.name).begin_object();
  json.key("ops").value(w.ops).key("seconds").value(static_cast<double>(w.elapsed_ns) / 1e9);
  json.key("ops_per_sec").value(w.ops_per_sec()).key("micros_per_op").value(w.micros_per_op());
  json.key("p50_micros");
  optional_value(json, w.p50_ns >= 0 ? std::optional<double>(w.p50_ns / 1e3) : std::nullopt);
  json.key("p99_micros");
  optional_value(json, w.p99_ns >= 0 ? std::optional<double>(w.p99_ns / 1e3) : std::nullopt);
  json.key("found").value(w.found).key("background_writes").value(w.background_writes);
  json.key("user_bytes").value(w.user_bytes);
  json.key("disk_bytes_written");
  known_value(json, w.disk_bytes_written);
  json.key("write_amplification");
  optional_value(json, w.write_amplification());
  json.key("space_bytes");
  known_value(json, w.space_bytes);
  json.key("peak_rss_bytes");
  known_value(json, w.peak_rss_bytes);
  json.end_object();
}

std::string_view state_name(EngineState state) {
  switch (state) {
    case EngineState::kOk:
      return "ok";
    case EngineState::kAbsent:
      return "absent";
    case EngineState::kFailed:
      return "failed";
  }
  return "unknown";
}

void write_engine(JsonWriter& json, const EngineReport& r) {
  json.key(r.engine).begin_object();
  json.key("state").value(state_name(r.state));
  if (r.state == EngineState::kFailed) json.key("error").value(r.error);
  json.key("notes").begin_array();
  for (const std::string& note : r.notes) json.value(note);
  json.end_array();
  json.key("totals").begin_object();
  json.key("user_bytes").value(r.totals.user_bytes).key("disk_bytes_written");
  known_value(json, r.totals.disk_bytes_written);
  json.key("write_amplification");
  optional_value(json, r.totals.write_amplification());
  json.key("space_bytes");
  known_value(json, r.totals.space_bytes);
  json.key("peak_rss_bytes");
  known_value(json, r.totals.peak_rss_bytes);
  json.end_object();
  json.key("workloads").begin_object();
  for (const WorkloadResult& w : r.workloads) write_workload(json, w);
  json.end_object().end_object();
}

// pairdb ops/s over each other engine's, per workload; null when either lacks the figure.
void write_ratios(JsonWriter& json, const RunDescription& run,
                  const std::vector<EngineReport>& reports) {
  const EngineReport* ours = nullptr;
  for (const EngineReport& r : reports) {
    if (r.engine == "pairdb") ours = &r;
  }
  json.key("ratios").begin_object();
  for (const std::string& workload : run.workloads) {
    json.key(workload).begin_object();
    const WorkloadResult* mine = ours ? ours->find(workload) : nullptr;
    for (const EngineReport& other : reports) {
      if (&other == ours || ours == nullptr) continue;
      const WorkloadResult* theirs = other.find(workload);
      json.key("pairdb/" + other.engine);
      if (mine && theirs && theirs->ops_per_sec() > 0) {
        json.value(mine->ops_per_sec() / theirs->ops_per_sec());
      } else {
        json.null();
      }
    }
    json.end_object();
  }
  json.end_object();
}

}  // namespace

Status write_json_report(const std::string& path, const RunDescription& run,
                         const std::vector<EngineReport>& reports) {
  JsonWriter json;
  json.begin_object().key("tool").value("pairdb-lsm-bench");
  write_config(json, run);
  json.key("write_amplification_method")
      .value(
          "bytes the engine process passed to write(2)/pwrite(2) (/proc/self/io wchar) / "
          "key+value bytes written; per workload during its timed loop, total from process "
          "start through the final flush and close");
  json.key("engines").begin_object();
  for (const EngineReport& r : reports) write_engine(json, r);
  json.end_object();
  write_ratios(json, run, reports);
  json.end_object();
  std::ofstream out(path, std::ios::trunc);
  out << json.str() << "\n";
  out.close();
  if (!out) return Status::io_error(fmt::format("cannot write {}", path));
  return Status::ok();
}

}  // namespace pairdb::bench
