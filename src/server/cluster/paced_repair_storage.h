// PacedRepairStorage: the daemon's RepairStorage, which keeps repair from getting in the way of
// client requests. It wraps the node's ReplicaRepairStorage and
//   - paces scans to repair.scan_bytes_per_sec. A Merkle tree build reads a whole range (every
//     key and record) as fast as the disk and one core allow; at full speed that sweeps the CPU
//     caches and takes a core the request path may need. Paced, the same work is spread over
//     time: the foreground sees a fraction of the interference for a longer while;
//   - runs merges and syncs on the request path's storage workers (`run_writes`), waiting for
//     them. The repair thread runs at a low CPU priority; a write holds locks the request path
//     needs (the item's stripe, the WAL's group-commit lead), and a low-priority thread
//     preempted while holding them would stall requests behind it for as long as the CPU stays
//     busy (priority inversion: up to 180 ms seen before this);
//   - passes reads straight through.
//
// The pacing blocks the scanning thread (the repair service's own) in short waits; interrupt()
// ends a wait at once and turns the pacing off for good (shutdown).
// Thread-safe: scans from several threads share one budget.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>

#include "replication/repair_storage.h"

namespace pairdb::server {

class PacedRepairStorage final : public replication::RepairStorage {
 public:
  // Runs `work` on another thread, at some point (it must run eventually; this waits for it).
  using Executor = std::function<void(std::function<void()> work)>;

  // `inner` must outlive this. bytes_per_sec 0 = unpaced. Without `run_writes`, merges and syncs
  // run on the calling thread.
  PacedRepairStorage(replication::RepairStorage* inner, uint64_t bytes_per_sec,
                     Executor run_writes = {});

  Status scan(replication::TableId table, const ring::TokenRange& range,
              const replication::RepairRecordVisitor& visit) override;
  Result<std::optional<std::string>> read(std::string_view storage_key) override {
    return inner_->read(storage_key);
  }
  Result<bool> merge(std::string_view storage_key, std::string_view record,
                     replication::ConflictMode mode) override;
  Status sync() override;

  // Wakes a paced scan and stops pacing (later scans run unpaced).
  void interrupt();
  // Time scans spent waiting for their budget so far.
  std::chrono::microseconds waited() const;

 private:
  using SteadyClock = std::chrono::steady_clock;
  // Charges `bytes` to the budget; waits while the scans are ahead of it.
  void charge(uint64_t bytes);

  // `write()` on run_writes_ (or here), its result once it ran.
  template <typename Write>
  auto on_writer(const Write& write) -> decltype(write());

  replication::RepairStorage* const inner_;
  const uint64_t bytes_per_sec_;
  const Executor run_writes_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  bool interrupted_ = false;             // GUARDED_BY(mu_)
  SteadyClock::time_point budget_at_{};  // GUARDED_BY(mu_): when the budget is even.
  std::chrono::microseconds waited_{0};  // GUARDED_BY(mu_)
};

}  // namespace pairdb::server
