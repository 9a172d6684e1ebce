// PacedRepairStorage: a RepairStorage that paces the scans of another to repair.scan_bytes_per_sec.
// A Merkle tree build reads a whole range (every key and record) as fast as the disk and one core
// allow; at full speed that sweeps the CPU caches and the page cache and takes a core the
// request path may need. Paced, a build spreads the same work over time: the foreground sees a
// fraction of the interference for a longer while. Reads, merges and syncs pass straight through.
//
// The pacing blocks the scanning thread (the repair service's own) in short waits; interrupt()
// ends a wait at once and turns the pacing off for good (shutdown).
// Thread-safe: scans from several threads share one budget.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>

#include "replication/repair_storage.h"

namespace pairdb::server {

class PacedRepairStorage final : public replication::RepairStorage {
 public:
  // `inner` must outlive this. bytes_per_sec 0 = unpaced.
  PacedRepairStorage(replication::RepairStorage* inner, uint64_t bytes_per_sec);

  Status scan(replication::TableId table, const ring::TokenRange& range,
              const replication::RepairRecordVisitor& visit) override;
  Result<std::optional<std::string>> read(std::string_view storage_key) override {
    return inner_->read(storage_key);
  }
  Result<bool> merge(std::string_view storage_key, std::string_view record,
                     replication::ConflictMode mode) override {
    return inner_->merge(storage_key, record, mode);
  }
  Status sync() override { return inner_->sync(); }

  // Wakes a paced scan and stops pacing (later scans run unpaced).
  void interrupt();
  // Time scans spent waiting for their budget so far.
  std::chrono::microseconds waited() const;

 private:
  using SteadyClock = std::chrono::steady_clock;
  // Charges `bytes` to the budget; waits while the scans are ahead of it.
  void charge(uint64_t bytes);

  replication::RepairStorage* const inner_;
  const uint64_t bytes_per_sec_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  bool interrupted_ = false;             // GUARDED_BY(mu_)
  SteadyClock::time_point budget_at_{};  // GUARDED_BY(mu_): when the budget is even.
  std::chrono::microseconds waited_{0};  // GUARDED_BY(mu_)
};

}  // namespace pairdb::server
