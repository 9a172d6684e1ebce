// The db_bench-style workloads of pairdb-lsm-bench, run against one Engine.
//
//   fillseq             num puts in key order into a fresh database
//   fillrandom          num puts in a seeded random order (every key once) into a fresh database
//   overwrite           num puts of uniformly random existing keys
//   readrandom          reads gets of uniformly random keys (--threads readers)
//   readseq             one forward scan over up to reads entries
//   seekrandom          reads seeks to uniformly random keys, reading the entry found
//   readrandom_uncached readrandom after the memtable is flushed and the files are evicted from
//                       the OS page cache, so reads go to tables larger than the block cache
//   readwhilewriting    readrandom by --threads readers while one writer overwrites; the reported
//                       rate is the readers'
//   fillsync            sync_num puts with a sync per put into a fresh database
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <pairdb/status.h>

#include "engine.h"
#include "results.h"

namespace pairdb::bench {

struct BenchConfig {
  uint64_t num = 1'000'000;  // Keys in the database; ops of the fill workloads.
  uint64_t reads = 0;        // Ops of the read workloads; 0 means num.
  uint64_t sync_num = 0;     // Ops of fillsync; 0 means num / 100.
  int key_size = 16;
  int value_size = 100;
  int threads = 1;     // Reader threads of the read workloads. Writes use one thread.
  int batch_size = 1;  // Puts per write batch in the fill and overwrite workloads.
  uint64_t seed = 301;
  EngineConfig engine;

  uint64_t read_ops() const { return reads > 0 ? reads : num; }
  uint64_t sync_ops() const;
};

// Every workload name, in the default run order.
const std::vector<std::string>& known_workloads();
bool is_known_workload(std::string_view name);

// A tally of what a workload body did, before timing and process counters are attached.
struct Tally;

// Runs workloads in the order asked against one engine in one directory. Tracks whether the
// database holds every key in [0, num), so that a read workload run without a fill first loads
// it (untimed, noted). Used by one thread; run() starts and joins the workers it needs.
class WorkloadRunner {
 public:
  WorkloadRunner(const BenchConfig& config, Engine& engine, std::string dir);

  // REQUIRES: is_known_workload(name)
  Result<WorkloadResult> run(const std::string& name);
  // Flushes the memtable (so space and write amplification include it) and closes the engine.
  Status finish();
  // Notes about preparation steps since the last call, for the report.
  std::vector<std::string> take_notes();

 private:
  Status prepare(const std::string& name);
  Status fresh_db();
  Status ensure_loaded(const std::string& for_workload);
  Status prepare_uncached();
  Result<Tally> run_body(const std::string& name, uint64_t seed);

  const BenchConfig config_;
  Engine& engine_;
  const std::string dir_;
  bool open_ = false;
  bool loaded_ = false;  // The database holds every key in [0, num).
  std::vector<std::string> notes_;
};

}  // namespace pairdb::bench
