#include "server/cluster/paced_repair_storage.h"

#include <algorithm>
#include <future>
#include <utility>

namespace pairdb::server {

namespace {

// Bytes charged at once: the pacing waits at most every this many bytes scanned.
constexpr uint64_t kChargeBytes = 256 * 1024;
// An idle budget accumulates at most this much credit (a burst after a pause).
constexpr auto kBurst = std::chrono::milliseconds(50);

}  // namespace

PacedRepairStorage::PacedRepairStorage(replication::RepairStorage* inner, uint64_t bytes_per_sec,
                                       Executor run_writes)
    : inner_(inner), bytes_per_sec_(bytes_per_sec), run_writes_(std::move(run_writes)) {}

template <typename Write>
auto PacedRepairStorage::on_writer(const Write& write) -> decltype(write()) {
  using T = decltype(write());
  if (!run_writes_) return write();
  std::promise<T> done;
  std::future<T> result = done.get_future();
  run_writes_([&] { done.set_value(write()); });  // Waited for below: the references hold.
  return result.get();
}

Result<bool> PacedRepairStorage::merge(std::string_view storage_key, std::string_view record,
                                       replication::ConflictMode mode) {
  return on_writer([&] { return inner_->merge(storage_key, record, mode); });
}

Status PacedRepairStorage::sync() {
  return on_writer([&] { return inner_->sync(); });
}

Status PacedRepairStorage::scan(replication::TableId table, const ring::TokenRange& range,
                                const replication::RepairRecordVisitor& visit) {
  if (bytes_per_sec_ == 0) return inner_->scan(table, range, visit);
  uint64_t pending = 0;
  Status s = inner_->scan(table, range,
                          [&](ring::Token token, std::string_view key, std::string_view record) {
                            pending += key.size() + record.size();
                            if (pending >= kChargeBytes) {
                              charge(pending);
                              pending = 0;
                            }
                            return visit(token, key, record);
                          });
  if (pending > 0) charge(pending);
  return s;
}

void PacedRepairStorage::charge(uint64_t bytes) {
  std::unique_lock lock(mu_);
  if (interrupted_) return;
  const auto now = SteadyClock::now();
  budget_at_ = std::max(budget_at_, now - kBurst);
  budget_at_ += std::chrono::microseconds(bytes * 1'000'000 / bytes_per_sec_);
  if (budget_at_ <= now) return;
  const auto until = budget_at_;
  wake_.wait_until(lock, until, [&] { return interrupted_; });
  waited_ += std::chrono::duration_cast<std::chrono::microseconds>(SteadyClock::now() - now);
}

void PacedRepairStorage::interrupt() {
  {
    std::lock_guard lock(mu_);
    interrupted_ = true;
  }
  wake_.notify_all();
}

std::chrono::microseconds PacedRepairStorage::waited() const {
  std::lock_guard lock(mu_);
  return waited_;
}

}  // namespace pairdb::server
