// DBImpl's write path: group commit, WAL rolling and memtable switching.
#include <thread>

#include <fmt/format.h>

#include "lsm/db_impl.h"
#include "lsm/filename.h"
#include "lsm/log_format.h"

namespace pairdb::lsm {

// One queued write request. Lives on the caller's stack.
struct DBImpl::Writer {
  const WriteBatch* batch = nullptr;  // Null: a sync or flush request only.
  bool sync = false;
  bool force_flush = false;
  bool done = false;
  Status status;
  std::condition_variable cv;
};

namespace {

constexpr size_t kWriteBatchBytesMax = log::kRecordBytesMax - 1024;

// Applies a batch to a memtable with consecutive sequence numbers.
class MemtableInserter final : public WriteBatch::Handler {
 public:
  MemtableInserter(Memtable* mem, SequenceNumber first) : mem_(mem), sequence_(first) {}
  void on_put(std::string_view key, std::string_view value) override {
    mem_->add(sequence_++, ValueType::kValue, key, value);
  }
  void on_delete(std::string_view key) override {
    mem_->add(sequence_++, ValueType::kDeletion, key, "");
  }

 private:
  Memtable* mem_;
  SequenceNumber sequence_;
};

}  // namespace

Status insert_into_memtable(const WriteBatch& batch, Memtable* mem) {
  MemtableInserter inserter(mem, batch.sequence());
  return batch.iterate(inserter);
}

Status DBImpl::put(const WriteOptions& options, std::string_view key, std::string_view value) {
  WriteBatch batch;
  batch.put(key, value);
  return write_impl(options, &batch, false);
}

Status DBImpl::remove(const WriteOptions& options, std::string_view key) {
  WriteBatch batch;
  batch.remove(key);
  return write_impl(options, &batch, false);
}

Status DBImpl::write(const WriteOptions& options, const WriteBatch& batch) {
  return write_impl(options, &batch, false);
}

Status DBImpl::write_impl(const WriteOptions& options, const WriteBatch* batch, bool force_flush) {
  if (batch != nullptr && batch->byte_size() > kWriteBatchBytesMax) {
    return Status::invalid_argument(
        fmt::format("write batch of {} bytes exceeds the limit of {} bytes", batch->byte_size(),
                    kWriteBatchBytesMax));
  }
  Writer w;
  w.batch = batch;
  w.sync = options.sync || options_.wal_sync_mode == WalSyncMode::kPerWrite;
  w.force_flush = force_flush;

  std::unique_lock lock(mutex_);
  if (shutting_down_) return Status::invalid_argument("the database is closed");
  writers_.push_back(&w);
  w.cv.wait(lock, [&] { return w.done || &w == writers_.front(); });
  if (w.done) return w.status;

  // This writer leads a group.
  Status s = make_room_for_write(lock, force_flush);
  Writer* last_writer = &w;
  if (s.is_ok()) s = write_group(lock, &last_writer);
  release_writers(&w, last_writer, s);
  return s;
}

// Appends the group led by writers_.front() to the WAL (syncing it when a member asked), then
// inserts it into the memtable. Sets *last_writer to the group's last member.
// REQUIRES: `lock` holds mutex_ and the caller is writers_.front(); room was made.
Status DBImpl::write_group(std::unique_lock<std::mutex>& lock, Writer** last_writer) {
  bool need_sync = false;
  WriteBatch* group = build_write_group(last_writer, &need_sync);
  SequenceNumber first = versions_->last_sequence() + 1;
  const bool has_data = group != nullptr && group->count() > 0;
  if (has_data) group->set_sequence(first);
  need_sync = need_sync && (has_data || wal_unsynced_);
  std::shared_ptr<Memtable> mem = mem_;
  lock.unlock();

  Status append_status, sync_status;
  if (has_data) append_status = wal_->add_record(group->contents());
  if (append_status.is_ok() && need_sync) sync_status = wal_->sync();
  if (append_status.is_ok() && sync_status.is_ok() && has_data) {
    Status inserted = insert_into_memtable(*group, mem.get());
    PAIRDB_ASSERT(inserted.is_ok());  // We encoded this batch ourselves.
  }

  lock.lock();
  if (has_data) {
    // Sequence numbers are consumed even by a failed write so none is ever reused.
    versions_->set_last_sequence(first + group->count() - 1);
    stats_.wal_bytes += group->byte_size();
    ++stats_.write_groups;
  }
  if (!sync_status.is_ok()) {
    fence_locked(sync_status.with_context("WAL sync failed"));
    return fenced_;
  }
  if (!append_status.is_ok()) {
    wal_broken_ = true;  // Never append after a partial record; the next write rolls.
    return append_status.with_context("WAL append failed; the write was not applied");
  }
  if (need_sync) ++stats_.wal_syncs;
  wal_unsynced_ = !need_sync && (has_data || wal_unsynced_);
  return Status::ok();
}

// Pops the group's writers (through last_writer), hands each the group's status and wakes the
// next leader. REQUIRES: mutex_ held; leader is writers_.front().
void DBImpl::release_writers(Writer* leader, Writer* last_writer, const Status& s) {
  while (true) {
    Writer* ready = writers_.front();
    writers_.pop_front();
    if (ready->batch != nullptr && s.is_ok()) {
      ++stats_.write_batches;
      stats_.user_bytes += ready->batch->byte_size();
    }
    if (ready != leader) {
      ready->status = s;
      ready->done = true;
      ready->cv.notify_one();
    }
    if (ready == last_writer) break;
  }
  if (!writers_.empty()) writers_.front()->cv.notify_one();
  if (shutting_down_) background_done_cv_.notify_all();
}

// Merges the leader's batch with those queued behind it into group_batch_.
// REQUIRES: mutex_ held; the caller is writers_.front().
WriteBatch* DBImpl::build_write_group(Writer** last_writer, bool* need_sync) {
  Writer* leader = writers_.front();
  group_batch_.clear();
  size_t bytes = 0;
  bool any = false;
  for (Writer* w : writers_) {
    if (w != leader && w->force_flush) break;  // A flush request leads its own group.
    if (w->batch != nullptr) {
      if (w != leader && bytes + w->batch->byte_size() > options_.group_commit_bytes_max) break;
      group_batch_.append(*w->batch);
      bytes += w->batch->byte_size();
      any = true;
    }
    *need_sync = *need_sync || w->sync;
    *last_writer = w;
  }
  return any ? &group_batch_ : nullptr;
}

// Ensures the WAL is writable and the memtable has room, switching memtables (and waiting for
// the previous flush) as needed. REQUIRES: mutex_ held by the write leader.
Status DBImpl::make_room_for_write(std::unique_lock<std::mutex>& lock, bool force_flush) {
  bool allow_delay = !force_flush;
  while (true) {
    if (!fenced_.is_ok()) return fenced_;
    if (shutting_down_) return Status::invalid_argument("the database is closing");
    if (wal_broken_) {
      PAIRDB_TRY(open_new_wal_locked());
      ++stats_.wal_rolls_after_error;
      continue;
    }
    const size_t l0_files = versions_->current()->files(0).size();
    const uint64_t pending = current_scores_.pending_compaction_bytes;
    if (l0_files >= static_cast<size_t>(options_.level0_stop_writes_trigger) ||
        pending >= options_.hard_pending_compaction_bytes) {
      PAIRDB_TRY(wait_for_compaction_locked(lock));
      continue;
    }
    if (allow_delay && !options_.inline_background_work &&
        (l0_files >= static_cast<size_t>(options_.level0_slowdown_writes_trigger) ||
         pending >= options_.soft_pending_compaction_bytes)) {
      // Spread the slowdown over many writes instead of stopping one for a long time.
      uint64_t start = options_.env->now_micros();
      lock.unlock();
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
      lock.lock();
      stats_.stall_micros += options_.env->now_micros() - start;
      ++stats_.slowdowns;
      allow_delay = false;
      continue;
    }
    if (!force_flush && mem_->approximate_memory_usage() < options_.write_buffer_bytes) {
      return Status::ok();
    }
    if (imm_ != nullptr) {
      if (options_.inline_background_work) {
        flush_immutable_locked(lock);  // Also the retry of a failed flush.
        if (imm_ != nullptr) {
          return flush_error_.with_context("memtable full and the flush failed");
        }
        compact_inline_locked(lock);
        continue;
      }
      if (!flush_error_.is_ok()) {
        return flush_error_.with_context("memtable full and the previous flush failed");
      }
      uint64_t start = options_.env->now_micros();
      background_done_cv_.wait(lock);
      stats_.stall_micros += options_.env->now_micros() - start;
      continue;
    }
    if (mem_->entry_count() == 0) return Status::ok();  // Nothing to flush.
    PAIRDB_TRY(switch_memtable_locked());
    force_flush = false;
    if (options_.inline_background_work) {
      flush_immutable_locked(lock);
      compact_inline_locked(lock);
    } else {
      background_work_cv_.notify_all();
    }
  }
}

// Blocks a writer until compaction brings level 0 and the pending bytes under their stop
// bounds. REQUIRES: mutex_ held by the write leader.
Status DBImpl::wait_for_compaction_locked(std::unique_lock<std::mutex>& lock) {
  if (options_.inline_background_work) {
    compact_inline_locked(lock);
    if (!compaction_error_.is_ok()) {
      return compaction_error_.with_context("writes stopped: compaction is failing");
    }
    return Status::ok();
  }
  if (!compaction_error_.is_ok()) {
    return compaction_error_.with_context(
        "writes stopped: level 0 is full and compaction is failing");
  }
  uint64_t start = options_.env->now_micros();
  ++stats_.stops;
  background_work_cv_.notify_all();
  background_done_cv_.wait(lock);
  stats_.stall_micros += options_.env->now_micros() - start;
  return Status::ok();
}

// Starts a new WAL segment; the old one is synced (unless sync is off) and closed.
// REQUIRES: mutex_ held by the write leader (or open()).
Status DBImpl::open_new_wal_locked() {
  uint64_t number = versions_->new_file_number();
  std::string path = wal_file_name(path_, number);
  auto file = options_.env->new_writable_file(path);
  if (!file.is_ok()) return file.status().with_context("starting a new WAL segment");
  // The segment's directory entry must be durable before any write in it is acknowledged.
  Status s = options_.env->sync_dir(path_);
  if (!s.is_ok()) {
    (void)options_.env->remove_file(path);
    return s.with_context("starting a new WAL segment");
  }
  if (wal_ != nullptr) {
    if (options_.wal_sync_mode != WalSyncMode::kNone && wal_unsynced_) {
      s = wal_->sync();
      if (!s.is_ok()) {
        fence_locked(s.with_context("WAL sync failed"));
        return fenced_;
      }
      wal_unsynced_ = false;
    }
    (void)wal_->close();
  }
  wal_ = std::make_unique<LogWriter>(std::move(file).value());
  wal_number_ = number;
  wal_broken_ = false;
  return Status::ok();
}

// REQUIRES: mutex_ held by the write leader; imm_ == nullptr.
Status DBImpl::switch_memtable_locked() {
  PAIRDB_ASSERT(imm_ == nullptr);
  PAIRDB_TRY(open_new_wal_locked());
  imm_ = std::move(mem_);
  mem_ = std::make_shared<Memtable>(internal_comparator_, options_.write_buffer_bytes);
  mem_first_wal_ = wal_number_;
  return Status::ok();
}

void DBImpl::fence_locked(const Status& cause) {
  if (!fenced_.is_ok()) return;
  fenced_ = cause.with_context("writes are refused until the database is reopened");
  log(LogLevel::kError, fenced_.to_string());
  background_done_cv_.notify_all();
}

}  // namespace pairdb::lsm
