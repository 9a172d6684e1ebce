// pairdb-lsm-bench: runs db_bench-style workloads against pairdb's LSM engine, RocksDB and
// LevelDB with equal settings, each engine in its own child process, and prints one comparison
// table (optionally JSON). See workloads.h for the workloads and report.h for the methods.
//
//   pairdb-lsm-bench --num=1000000 --engines=pairdb,rocksdb,leveldb --json=out.json
//
// Exit codes: 0 every present engine ran every workload, 1 an engine failed, 2 usage error.
#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "engine.h"
#include "engine_process.h"
#include "key_space.h"
#include "report.h"
#include "workloads.h"

namespace {

using namespace pairdb::bench;

constexpr int kThreadsMax = 64;
constexpr int kBatchSizeMax = 10'000;
constexpr int kKeySizeMax = 1024;
constexpr int kValueSizeMax = 1 << 20;

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> items;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    if (comma > start) items.push_back(text.substr(start, comma - start));
    start = comma + 1;
  }
  return items;
}

// Empty when every item is one of known; otherwise names the first stranger.
std::string first_unknown(const std::vector<std::string>& items,
                          const std::vector<std::string>& known) {
  for (const std::string& item : items) {
    if (std::find(known.begin(), known.end(), item) == known.end()) return item;
  }
  return {};
}

struct Flags {
  RunDescription run;
  std::string engines = "pairdb,rocksdb,leveldb";
  std::string benchmarks;
  std::string json_path;
  bool keep = false;
  bool stats = false;
};

void add_flags(CLI::App& app, Flags& f) {
  BenchConfig& c = f.run.config;
  app.add_option("--num", c.num, "Keys in the database; ops of the fills")->capture_default_str();
  app.add_option("--reads", c.reads, "Ops of the read workloads (0: --num)")->capture_default_str();
  app.add_option("--sync_num", c.sync_num, "Ops of fillsync (0: --num / 100)");
  app.add_option("--engines", f.engines, "Comma list of pairdb,rocksdb,leveldb")
      ->capture_default_str();
  app.add_option("--benchmarks", f.benchmarks, "Comma list of workloads (default: all)");
  app.add_option("--key_size", c.key_size, "Key bytes")->capture_default_str();
  app.add_option("--value_size", c.value_size, "Value bytes")->capture_default_str();
  app.add_option("--threads", c.threads, "Reader threads")->capture_default_str();
  app.add_option("--batch_size", c.batch_size, "Puts per write batch")->capture_default_str();
  app.add_option("--write_buffer_size", c.engine.write_buffer_bytes, "Memtable bytes")
      ->capture_default_str();
  app.add_option("--cache_size", c.engine.block_cache_bytes, "Block cache bytes")
      ->capture_default_str();
  app.add_option("--block_size", c.engine.block_bytes, "Data block bytes")->capture_default_str();
  app.add_option("--bloom_bits", c.engine.bloom_bits_per_key, "Bloom bits per key")
      ->capture_default_str();
  app.add_option("--seed", c.seed, "Seed of keys, values and orders")->capture_default_str();
  app.add_option("--db", f.run.db_dir, "Base directory; each engine gets a subdirectory")
      ->capture_default_str();
  app.add_option("--json", f.json_path, "Also write the results as JSON to this file");
  app.add_flag("--keep", f.keep, "Keep the databases afterwards");
  app.add_flag("--stats", f.stats, "Print each engine's own statistics at the end of its run");
}

// Empty when the flags make sense; otherwise what is wrong.
std::string validate(Flags& f) {
  BenchConfig& c = f.run.config;
  f.run.engines = split_list(f.engines);
  f.run.workloads = f.benchmarks.empty() ? known_workloads() : split_list(f.benchmarks);
  if (f.run.engines.empty()) return "--engines is empty";
  if (auto bad = first_unknown(f.run.engines, known_engines()); !bad.empty()) {
    return fmt::format("unknown engine '{}'", bad);
  }
  if (auto bad = first_unknown(f.run.workloads, known_workloads()); !bad.empty()) {
    return fmt::format("unknown benchmark '{}'", bad);
  }
  if (c.num == 0) return "--num must be positive";
  if (c.key_size < max_key_digits(c.num) || c.key_size > kKeySizeMax) {
    return fmt::format("--key_size must be in [{}, {}] for --num={}", max_key_digits(c.num),
                       kKeySizeMax, c.num);
  }
  if (c.value_size < 1 || c.value_size > kValueSizeMax) return "--value_size out of range";
  if (c.threads < 1 || c.threads > kThreadsMax) return "--threads must be in [1, 64]";
  if (c.batch_size < 1 || c.batch_size > kBatchSizeMax) return "--batch_size out of range";
  if (c.engine.block_bytes < 256) return "--block_size must be at least 256";
  if (f.run.db_dir.empty()) return "--db is empty";
  return {};
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"pairdb-lsm-bench: pairdb's LSM engine against RocksDB and LevelDB"};
  Flags flags;
  flags.run.db_dir = "/tmp/pairdb-lsm-bench";
  add_flags(app, flags);
  CLI11_PARSE(app, argc, argv);
  if (std::string problem = validate(flags); !problem.empty()) {
    fmt::print(stderr, "pairdb-lsm-bench: {}\n", problem);
    return 2;
  }
  std::error_code ec;
  std::filesystem::create_directories(flags.run.db_dir, ec);
  if (ec) {
    fmt::print(stderr, "pairdb-lsm-bench: cannot create {}: {}\n", flags.run.db_dir, ec.message());
    return 2;
  }
  std::vector<EngineReport> reports;
  bool failed = false;
  for (const std::string& engine : flags.run.engines) {
    EngineRunSpec spec{engine, flags.run.workloads, flags.run.db_dir + "/" + engine, flags.keep,
                       flags.stats};
    reports.push_back(run_engine_process(flags.run.config, spec));
    failed = failed || reports.back().state == EngineState::kFailed;
  }
  if (!flags.keep) std::filesystem::remove(flags.run.db_dir, ec);  // Only if empty.
  print_report(flags.run, reports);
  if (!flags.json_path.empty()) {
    pairdb::Status s = write_json_report(flags.json_path, flags.run, reports);
    if (!s.is_ok()) {
      fmt::print(stderr, "pairdb-lsm-bench: {}\n", s.to_string());
      return 1;
    }
  }
  return failed ? 1 : 0;
}
