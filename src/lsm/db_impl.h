// DBImpl: the storage engine behind the DB interface.
//
// Threads: any thread may call the public methods. One background thread flushes immutable
// memtables and another runs compactions (unless Options::inline_background_work, where the
// writing thread does both); with WalSyncMode::kPeriodic a third requests a WAL sync every
// period. Only one compaction runs at a time, and MANIFEST updates are serialised
// (manifest_busy_).
//
// Back-pressure: writes slow down (1 ms each) once level 0 reaches its slowdown trigger or
// the pending compaction bytes pass the soft limit, and stop until compaction catches up at
// the stop trigger or hard limit, so memory and level 0 never grow without bound. A stopped
// writer gets the compaction's error instead of waiting forever when compactions keep failing.
//
// Write path: writers queue in writers_; the front one is the leader. It merges the batches of
// the writers behind it into one WAL record (group commit), appends and syncs it once with
// mutex_ released, inserts into the memtable, and wakes the writers it served. Only the leader
// writes to the WAL or the memtable, so neither needs its own lock.
//
// Durability invariants:
//   - A write is acknowledged only after its WAL record is appended (and synced, when its
//     sync mode asks for it).
//   - A WAL segment is deleted only after every memtable it fed is in an SSTable recorded in a
//     synced MANIFEST.
//   - A failed WAL or MANIFEST sync fences the database: bg_error_ is set, every later write
//     fails with it, reads continue.
//   - A failed WAL append is never followed by another append to that file: the next write
//     starts a new segment.
#pragma once

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include <pairdb/lsm/db.h>

#include "lsm/compaction.h"
#include "lsm/dbformat.h"
#include "lsm/log_writer.h"
#include "lsm/lru_cache.h"
#include "lsm/memtable.h"
#include "lsm/table_cache.h"
#include "lsm/version_set.h"

namespace pairdb::lsm {

struct CompactionOutput;

struct DbStats {
  uint64_t write_batches = 0;  // Batches acknowledged.
  uint64_t write_groups = 0;   // WAL records written (one per group commit).
  uint64_t wal_syncs = 0;
  uint64_t wal_bytes = 0;
  uint64_t user_bytes = 0;  // Key and value bytes written by users.
  uint64_t wal_rolls_after_error = 0;
  uint64_t flushes = 0;
  uint64_t flush_bytes = 0;
  uint64_t flush_failures = 0;
  uint64_t stall_micros = 0;  // Time writers were slowed or stopped.
  uint64_t slowdowns = 0;     // Writes delayed by 1 ms.
  uint64_t stops = 0;         // Times a writer waited for compaction.
  uint64_t compactions = 0;
  uint64_t trivial_moves = 0;
  uint64_t read_triggered_compactions = 0;  // Compactions and moves readers' probes asked for.
  uint64_t compaction_read_bytes = 0;
  uint64_t compaction_write_bytes = 0;
  uint64_t compaction_failures = 0;
  uint64_t compactions_refused_for_space = 0;
  std::array<uint64_t, kNumLevels> level_write_bytes{};  // Flush (L0) and compaction output.
  uint64_t recovered_records = 0;
  uint64_t torn_tail_bytes = 0;  // WAL bytes dropped at recovery as torn tails.
  uint64_t skipped_records = 0;  // Damaged WAL records skipped (salvage mode).
};

// Adds every mutation of batch to mem, numbered from batch.sequence().
// REQUIRES: the caller is mem's only writer. Corruption if the batch is malformed.
Status insert_into_memtable(const WriteBatch& batch, Memtable* mem);

class DBImpl final : public DB {
 public:
  DBImpl(const Options& options, std::string path);
  ~DBImpl() override;

  // Creates or recovers the database; called once by DB::open.
  Status open();

  Status put(const WriteOptions& options, std::string_view key, std::string_view value) override;
  Status remove(const WriteOptions& options, std::string_view key) override;
  Status write(const WriteOptions& options, const WriteBatch& batch) override;
  Result<std::string> get(const ReadOptions& options, std::string_view key) override;
  std::unique_ptr<Iterator> new_iterator(const ReadOptions& options) override;
  const Snapshot* get_snapshot() override;
  void release_snapshot(const Snapshot* snapshot) override;
  bool writes_may_wait() override;
  Status flush() override;
  Status compact_range(const std::string* begin, const std::string* end) override;
  std::optional<std::string> get_property(std::string_view name) override;
  Status close() override;

 private:
  struct Writer;

  class SnapshotImpl final : public Snapshot {
   public:
    explicit SnapshotImpl(SequenceNumber sequence) : sequence_(sequence) {}
    uint64_t sequence() const override { return sequence_; }

   private:
    const SequenceNumber sequence_;
  };

  // --- write path (write_path.cc) ---
  Status write_impl(const WriteOptions& options, const WriteBatch* batch, bool force_flush);
  Status make_room_for_write(std::unique_lock<std::mutex>& lock, bool force_flush);
  Status wait_for_compaction_locked(std::unique_lock<std::mutex>& lock);
  WriteBatch* build_write_group(Writer** last_writer, bool* need_sync);
  Status write_group(std::unique_lock<std::mutex>& lock, Writer** last_writer);
  void release_writers(Writer* leader, Writer* last_writer, const Status& s);
  Status open_new_wal_locked();
  Status switch_memtable_locked();
  void fence_locked(const Status& cause);

  // --- compaction (db_compaction.cc) ---
  // A level over its target, or a table whose read budget readers spent.
  bool compaction_pending_locked() const;
  bool compaction_wanted_locked() const;
  // Readers spent charge.file's read budget: have it compacted. Takes mutex_.
  void note_read_budget_spent(const ReadCharge& charge);
  void compaction_loop();
  void compact_inline_locked(std::unique_lock<std::mutex>& lock);
  Status run_compaction_locked(std::unique_lock<std::mutex>& lock, std::unique_ptr<Compaction> c);
  Status move_file_locked(std::unique_lock<std::mutex>& lock, const Compaction& c);
  Status compact_locked(std::unique_lock<std::mutex>& lock, const Compaction& c);
  Status merge_compaction_inputs(const Compaction& c, SequenceNumber smallest_snapshot,
                                 std::vector<FileMetaData>* outputs);
  Result<std::unique_ptr<Iterator>> compaction_input(const Compaction& c);
  bool apply_compaction_filter(Compaction& c, const ParsedInternalKey& ikey, std::string_view* key,
                               std::string_view* value, std::string* new_value,
                               std::string* rewritten_key);
  Status add_compaction_entry(CompactionOutput* out, std::string_view key, std::string_view value);
  Status open_compaction_output(CompactionOutput* out);
  Status finish_compaction_output(CompactionOutput* out, std::vector<FileMetaData>* outputs);

  // Applies edit to the MANIFEST and installs the new version; fences on failure.
  // REQUIRES: mutex_ held (released while the MANIFEST is written).
  Status install_edit_locked(VersionEdit* edit, std::unique_lock<std::mutex>& lock);

  // --- flush and recovery (db_impl.cc) ---
  // A background thread's loop, until shutdown: waits until has_work() or shutdown, then runs
  // work(lock), which may release mutex_ while it runs. After a failure it backs off (100 ms,
  // doubling up to 10 s, cut short by shutdown) before trying again. Both callbacks run with
  // mutex_ held. REQUIRES: mutex_ not held.
  void run_background_loop(const std::function<bool()>& has_work,
                           const std::function<Status(std::unique_lock<std::mutex>&)>& work);
  void background_loop();
  void periodic_sync_loop();
  void flush_immutable_locked(std::unique_lock<std::mutex>& lock);
  Result<FileMetaData> build_table(Memtable& mem, uint64_t number);
  Status recover_wals(VersionEdit* edit, std::unique_lock<std::mutex>& lock);
  Status replay_wal(uint64_t number, VersionEdit* edit, SequenceNumber* max_sequence);
  void delete_obsolete_files_locked(bool at_open);
  void log(LogLevel level, std::string_view message) const;
  std::string stats_string_locked();
  std::vector<std::pair<std::string, std::string>> stats_map_locked();

  Options options_;
  const std::string path_;
  const InternalKeyComparator internal_comparator_;
  TableOptions table_options_;
  std::unique_ptr<LruCache<Block>> block_cache_;  // Null when block_cache_bytes == 0.
  TableReadCounters read_counters_;
  std::unique_ptr<TableCache> table_cache_;
  std::unique_ptr<FileLock> db_lock_;

  std::mutex mutex_;
  std::condition_variable background_work_cv_;  // Wakes the background threads.
  std::condition_variable background_done_cv_;  // A flush finished or a writer left.
  std::unique_ptr<VersionSet> versions_;        // GUARDED_BY(mutex_)
  std::shared_ptr<Memtable> mem_;               // GUARDED_BY(mutex_)
  std::shared_ptr<Memtable> imm_;               // GUARDED_BY(mutex_); being flushed, or null.
  uint64_t mem_first_wal_ = 0;                  // GUARDED_BY(mutex_); first WAL feeding mem_.
  std::unique_ptr<LogWriter> wal_;              // Written by the leader only.
  uint64_t wal_number_ = 0;                     // GUARDED_BY(mutex_)
  bool wal_broken_ = false;                     // GUARDED_BY(mutex_); an append failed.
  bool wal_unsynced_ = false;                   // GUARDED_BY(mutex_)
  std::deque<Writer*> writers_;                 // GUARDED_BY(mutex_)
  WriteBatch group_batch_;                      // Used by the leader only.
  std::set<uint64_t> pending_outputs_;          // GUARDED_BY(mutex_); tables being written.
  std::list<std::unique_ptr<SnapshotImpl>> snapshots_;  // GUARDED_BY(mutex_)
  Status fenced_;               // GUARDED_BY(mutex_); non-OK once writes are refused for good.
  Status flush_error_;          // GUARDED_BY(mutex_); last flush failure, retried with backoff.
  bool flush_running_ = false;  // GUARDED_BY(mutex_)
  std::unique_ptr<CompactionPicker> picker_;     // GUARDED_BY(mutex_)
  LevelScores current_scores_;                   // GUARDED_BY(mutex_); of the current version.
  bool compaction_running_ = false;              // GUARDED_BY(mutex_)
  int manual_compactions_waiting_ = 0;           // GUARDED_BY(mutex_)
  Status compaction_error_;                      // GUARDED_BY(mutex_); last failure, retried.
  bool manifest_busy_ = false;                   // GUARDED_BY(mutex_)
  std::atomic<bool> shutting_down_flag_{false};  // Mirrors shutting_down_ for lock-free checks.
  std::atomic<uint64_t> stats_filter_removed_{0};
  std::atomic<uint64_t> stats_filter_changed_{0};
  std::atomic<uint64_t> stats_gets_{0};
  std::atomic<uint64_t> stats_get_table_probes_{0};
  bool shutting_down_ = false;  // GUARDED_BY(mutex_)
  bool closed_ = false;         // GUARDED_BY(mutex_)
  DbStats stats_;               // GUARDED_BY(mutex_)
  std::thread background_thread_;
  std::thread compaction_thread_;
  std::thread sync_thread_;
};

}  // namespace pairdb::lsm
