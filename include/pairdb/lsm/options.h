// Options for opening a database, reading and writing. Every bound has a default here and is
// checked at open.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace pairdb::lsm {

class Env;
class Comparator;
class Snapshot;

enum class WalSyncMode : uint8_t {
  // Every write is durable before it is acknowledged; concurrent writers share one fdatasync
  // (group commit).
  kPerWrite,
  // Writes are acknowledged once in the OS; the WAL is synced every wal_sync_period_ms.
  kPeriodic,
  // The WAL is never synced by the engine (data survives a process crash, not a power loss).
  kNone,
};

enum class WalRecoveryMode : uint8_t {
  // A torn record at the end of a WAL segment is truncated (logged); corruption anywhere else
  // fails the open with Corruption.
  kTolerateTornTail,
  // Corrupted records are skipped, loudly (logged and counted). Only for salvaging a damaged
  // database: acknowledged writes in the skipped records are lost.
  kSkipCorruptedRecords,
};

// Decides, during compaction, what happens to one key's newest value. The database layer uses
// it to drop expired items, purge old tombstones and remove ranges a node no longer owns.
// Called from background threads; implementations must be thread-safe.
class CompactionFilter {
 public:
  enum class Decision { kKeep, kRemove, kChangeValue };
  virtual ~CompactionFilter() = default;
  // `level` is the level the output is written to. On kChangeValue, *new_value holds the
  // replacement. Only called for values no live snapshot can still see in their old form.
  virtual Decision filter(int level, std::string_view key, std::string_view value,
                          std::string* new_value) = 0;
  virtual std::string_view name() const = 0;
};

enum class LogLevel : uint8_t { kDebug, kInfo, kWarn, kError };
// Receives the engine's log lines (one line, no trailing newline). Must be thread-safe.
using LogSink = std::function<void(LogLevel, std::string_view)>;

struct Options {
  Env* env = nullptr;                      // Null: the POSIX Env.
  const Comparator* comparator = nullptr;  // Null: bytewise. Orders user keys.
  LogSink log;                             // Null: INFO and above go to stderr.

  bool create_if_missing = false;
  bool error_if_exists = false;

  // Memtable size at which it is frozen and flushed to an SSTable.
  size_t write_buffer_bytes = 64u << 20;
  // Target size of an SSTable data block, before the block trailer.
  size_t block_bytes = 4096;
  // Keys between restart points inside a data block.
  int block_restart_interval = 16;
  // Bloom filter bits per key; 0 disables filters.
  int bloom_bits_per_key = 10;

  WalSyncMode wal_sync_mode = WalSyncMode::kPerWrite;
  uint32_t wal_sync_period_ms = 100;  // For kPeriodic.
  WalRecoveryMode wal_recovery_mode = WalRecoveryMode::kTolerateTornTail;
  // Bytes of batched writes one group-commit leader may write with a single sync.
  size_t group_commit_bytes_max = 1u << 20;

  // --- Caches ---
  // Shared LRU cache of uncompressed data blocks. 0 disables it.
  size_t block_cache_bytes = 8u << 20;
  // Open SSTables kept in the table cache (each pins its index and filter blocks).
  size_t max_open_tables = 1000;
  // Read SSTables through memory mappings (Env::new_mapped_file): no system call or kernel
  // copy per block read. The trade-off: a disk I/O error while reading a table raises
  // SIGBUS (the process stops; data on disk and in other replicas is unaffected) instead of
  // failing that one read. Checksums still catch corrupted bytes either way.
  bool use_mmap_reads = true;

  // --- Leveled compaction ---
  // Level 0 compacts into level 1 once it has this many files.
  int level0_compaction_trigger = 4;
  // Writes are slowed (1 ms each) at this many level-0 files, and stopped at the next bound
  // until compaction catches up.
  int level0_slowdown_writes_trigger = 20;
  int level0_stop_writes_trigger = 36;
  // Size target of level 1; each deeper level is `level_size_multiplier` times larger.
  uint64_t level1_target_bytes = 256ull << 20;
  double level_size_multiplier = 10.0;
  // Compaction output files are cut at about this size.
  uint64_t target_file_bytes = 64ull << 20;
  // Bytes that compaction still has to rewrite to bring every level under its target: writes
  // slow down beyond the soft limit and stop beyond the hard one.
  uint64_t soft_pending_compaction_bytes = 64ull << 30;
  uint64_t hard_pending_compaction_bytes = 256ull << 30;
  // A compaction starts only if the disk has its estimated output size plus this much free.
  uint64_t compaction_free_disk_reserve_bytes = 64ull << 20;
  // Optional; see CompactionFilter.
  std::shared_ptr<CompactionFilter> compaction_filter;

  // Run flushes and compactions on the writing thread instead of background threads.
  // Deterministic; meant for tests and the simulator. Writes then block while they run.
  bool inline_background_work = false;
};

struct ReadOptions {
  // Read as of this snapshot; null reads the latest state.
  const Snapshot* snapshot = nullptr;
  // Verify block checksums on every read (always on; kept for API stability).
  bool verify_checksums = true;
  // Answer from memory only: the memtables, and open tables whose bloom filter rules the key
  // out. When the answer would need a table's data blocks, or opening a table, or the engine's
  // lock is held (it may be, across file work), get() returns Busy without waiting. For threads
  // that must never wait for the disk.
  bool memory_only = false;
};

struct WriteOptions {
  // Force this write to be durable before it is acknowledged, whatever wal_sync_mode says.
  bool sync = false;
};

}  // namespace pairdb::lsm
