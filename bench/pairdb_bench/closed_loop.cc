// The closed-loop measurement core of pairdb-bench.
#include "pairdb_bench/closed_loop.h"

#include <condition_variable>
#include <mutex>
#include <utility>

#include <fmt/format.h>

#include "common/assert.h"

namespace pairdb::bench {
namespace {

using Clock = std::chrono::steady_clock;

uint64_t nanos_since(Clock::time_point start) {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start).count());
}

}  // namespace

const char* op_kind_name(OpKind kind) { return kind == OpKind::kRead ? "get" : "put"; }

// One simulated client. Touched only on its driver thread, except `completed` (progress).
struct ClosedLoop::Client {
  Client(KeyChooser c, KeyChooser coin) : chooser(std::move(c)), op_rng(std::move(coin)) {}
  KeyChooser chooser;
  KeyChooser op_rng;  // Uniform over [0, 2^53): the read/update coin.
  std::array<OpStats, kOpKinds> stats;
  std::atomic<uint64_t> completed{0};
};

// State of one phase, shared by the callbacks until the last request drains.
struct ClosedLoop::Shared {
  ClosedLoop* loop = nullptr;
  bool load_phase = false;
  std::vector<std::unique_ptr<Client>> clients;
  std::atomic<bool> stop{false};
  std::atomic<bool> measuring{false};
  std::atomic<uint64_t> next_record{0};  // Load phase: the next record to write.
  std::atomic<uint64_t> issued_measured{0};
  std::atomic<uint64_t> chains_running{0};  // Slots still issuing or waiting on a request.
  std::mutex mu;
  std::condition_variable drained;

  void issue_next(const std::shared_ptr<Shared>& self, size_t client_index);
  void chain_ended();
};

void ClosedLoop::Shared::chain_ended() {
  if (chains_running.fetch_sub(1, std::memory_order_acq_rel) == 1) {
    std::lock_guard lock(mu);
    drained.notify_all();
  }
}

void ClosedLoop::Shared::issue_next(const std::shared_ptr<Shared>& self, size_t client_index) {
  Client& client = *clients[client_index];
  const ClosedLoopOptions& options = loop->options_;
  if (stop.load(std::memory_order_relaxed)) return chain_ended();

  Operation op{};
  bool measured = false;
  if (load_phase) {
    const uint64_t record = next_record.fetch_add(1, std::memory_order_relaxed);
    if (record >= options.records) return chain_ended();
    op = {OpKind::kUpdate, record};
    measured = true;
  } else {
    const double coin = static_cast<double>(client.op_rng.next()) * 0x1.0p-53;
    op = {coin < options.mix.read_fraction ? OpKind::kRead : OpKind::kUpdate,
          client.chooser.next()};
    measured = measuring.load(std::memory_order_relaxed);
    if (measured && options.ops) {
      if (issued_measured.fetch_add(1, std::memory_order_relaxed) >= *options.ops) {
        stop.store(true, std::memory_order_relaxed);
        return chain_ended();
      }
    }
  }

  const Clock::time_point start = Clock::now();
  loop->driver_->issue(client_index, op,
                       [self, client_index, op, measured, start](OpOutcome outcome) {
                         Client& c = *self->clients[client_index];
                         OpStats& stats = c.stats[static_cast<size_t>(op.kind)];
                         if (measured) {
                           if (outcome == OpOutcome::kOk) {
                             ++stats.ok;
                             stats.latency.add(nanos_since(start));
                           } else {
                             ++stats.errors;
                           }
                         }
                         c.completed.fetch_add(1, std::memory_order_relaxed);
                         self->issue_next(self, client_index);
                       });
}

ClosedLoop::ClosedLoop(Driver* driver, ClosedLoopOptions options)
    : driver_(driver), options_(std::move(options)) {
  PAIRDB_ASSERT(driver_ != nullptr && driver_->threads() >= 1);
  PAIRDB_ASSERT(options_.clients >= 1 && options_.pipeline >= 1 && options_.records >= 1);
  if (options_.distribution == KeyDistribution::kZipfian && options_.records >= 2) {
    zipfian_ = std::make_shared<const ZipfianConstants>(options_.records, kDefaultZipfianTheta);
  }
}

ClosedLoop::~ClosedLoop() = default;

PhaseResult ClosedLoop::load() { return run_phase(/*load_phase=*/true); }
PhaseResult ClosedLoop::run() { return run_phase(/*load_phase=*/false); }

PhaseResult ClosedLoop::run_phase(bool load_phase) {
  auto shared = std::make_shared<Shared>();
  shared->loop = this;
  shared->load_phase = load_phase;
  for (size_t c = 0; c < options_.clients; ++c) {
    const uint64_t seed = options_.seed * 0x9e3779b97f4a7c15ull + c;
    KeyChooser chooser = zipfian_ ? KeyChooser::zipfian(zipfian_, seed)
                                  : KeyChooser::uniform(options_.records, seed);
    shared->clients.push_back(std::make_unique<Client>(
        std::move(chooser), KeyChooser::uniform(uint64_t{1} << 53, ~seed)));
  }
  const size_t chains = options_.clients * options_.pipeline;
  shared->chains_running.store(chains);
  shared->measuring.store(load_phase || options_.warmup.count() == 0);

  const Clock::time_point started = Clock::now();
  Clock::time_point measure_start = started;
  for (size_t c = 0; c < options_.clients; ++c) {
    for (size_t slot = 0; slot < options_.pipeline; ++slot) {
      driver_->post(c % driver_->threads(), [shared, c] { shared->issue_next(shared, c); });
    }
  }

  // Reporting loop: progress once a second; the warm-up and duration clocks.
  uint64_t last_completed = 0;
  Clock::time_point last_report = started;
  std::unique_lock lock(shared->mu);
  while (shared->chains_running.load(std::memory_order_acquire) != 0) {
    shared->drained.wait_for(lock, std::chrono::milliseconds(50));
    const Clock::time_point now = Clock::now();
    if (!load_phase && !shared->measuring.load() && now - started >= options_.warmup) {
      shared->measuring.store(true);
      measure_start = now;
    }
    if (!load_phase && shared->measuring.load() && now - measure_start >= options_.duration) {
      shared->stop.store(true);
    }
    if (now - last_report >= std::chrono::seconds(1) && options_.progress) {
      uint64_t completed = 0;
      for (const auto& client : shared->clients) completed += client->completed.load();
      const double seconds = std::chrono::duration<double>(now - last_report).count();
      const double elapsed = std::chrono::duration<double>(now - started).count();
      lock.unlock();
      options_.progress(
          fmt::format("[{:5.0f} s] {}{:.0f} ops/s", elapsed,
                      load_phase ? "load " : (shared->measuring.load() ? "" : "warm-up "),
                      static_cast<double>(completed - last_completed) / seconds));
      lock.lock();
      last_completed = completed;
      last_report = now;
    }
  }
  lock.unlock();

  PhaseResult result;
  result.seconds = std::chrono::duration<double>(Clock::now() - measure_start).count();
  for (const auto& client : shared->clients) {
    for (size_t k = 0; k < kOpKinds; ++k) {
      result.ops[k].ok += client->stats[k].ok;
      result.ops[k].errors += client->stats[k].errors;
      result.ops[k].latency.merge(client->stats[k].latency);
    }
  }
  return result;
}

}  // namespace pairdb::bench
