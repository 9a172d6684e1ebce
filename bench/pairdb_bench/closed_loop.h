// ClosedLoop: the measurement core of pairdb-bench, independent of how requests are sent.
//
// `clients` simulated clients each keep `pipeline` requests in flight: when one completes the
// next is issued at once (a closed loop: offered load adapts to the server's speed, as in
// redis-benchmark and YCSB). Each client belongs to one of the driver's threads; the runner
// calls Driver::issue for a client only on that client's thread, and the driver must call the
// completion exactly once, on the same thread. Per-client statistics are therefore touched by
// one thread only; the progress counters are atomics read by the reporting thread.
//
// Phases: load (every record written once, in index order spread over the clients), then run:
// warm-up (operations issued, not recorded) and measurement until `ops` operations completed
// or `duration` passed, whichever comes first; the run then stops issuing and waits for the
// requests in flight (their latencies are recorded, their count is not cut).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "pairdb_bench/key_chooser.h"
#include "pairdb_bench/workload_mix.h"
#include "shared/latency_histogram.h"

namespace pairdb::bench {

enum class OpKind { kRead = 0, kUpdate = 1 };
inline constexpr size_t kOpKinds = 2;
const char* op_kind_name(OpKind kind);  // "get", "put".

struct Operation {
  OpKind kind;
  uint64_t record;  // Index in [0, records).
};

// What a completed request reports back.
enum class OpOutcome {
  kOk,
  kError,  // The server or the transport failed it; counted, latency not recorded.
};

class Driver {
 public:
  using Completion = std::function<void(OpOutcome)>;
  virtual ~Driver() = default;
  // Number of threads clients are spread over (client c lives on thread c % threads()).
  virtual size_t threads() const = 0;
  // Runs `fn` on `thread` (asynchronously).
  virtual void post(size_t thread, std::function<void()> fn) = 0;
  // Sends `op` for `client`; calls `done` exactly once on the client's thread.
  virtual void issue(size_t client, const Operation& op, Completion done) = 0;
};

struct ClosedLoopOptions {
  size_t clients = 50;
  size_t pipeline = 1;
  uint64_t records = 100000;
  WorkloadMix mix{"C", 1.0};
  KeyDistribution distribution = KeyDistribution::kUniform;
  uint64_t seed = 1;
  std::optional<uint64_t> ops;                        // Stop after this many measured operations...
  std::chrono::nanoseconds duration{10'000'000'000};  // ...or after this long.
  std::chrono::nanoseconds warmup{0};
  // Called about once a second during the run with a one-line status (from the caller's thread).
  std::function<void(const std::string&)> progress;
};

struct OpStats {
  uint64_t ok = 0;
  uint64_t errors = 0;
  LatencyHistogram latency;  // Successful operations only.
};

struct PhaseResult {
  double seconds = 0;
  std::array<OpStats, kOpKinds> ops;  // Indexed by OpKind.
  uint64_t total_ok() const { return ops[0].ok + ops[1].ok; }
  uint64_t total_errors() const { return ops[0].errors + ops[1].errors; }
};

class ClosedLoop {
 public:
  ClosedLoop(Driver* driver, ClosedLoopOptions options);
  ~ClosedLoop();

  // Writes records [0, records) once each. Blocks the caller until done.
  PhaseResult load();
  // The measured run. Blocks the caller until done.
  PhaseResult run();

 private:
  struct Client;
  struct Shared;

  PhaseResult run_phase(bool load_phase);

  Driver* driver_;
  ClosedLoopOptions options_;
  std::shared_ptr<const ZipfianConstants> zipfian_;
};

}  // namespace pairdb::bench
