// Options for opening a database, reading and writing. Every bound has a default here and is
// checked at open.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
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

enum class LogLevel : uint8_t { kDebug, kInfo, kWarn, kError };
// Receives the engine's log lines (one line, no trailing newline). Must be thread-safe.
using LogSink = std::function<void(LogLevel, std::string_view)>;

struct Options {
  Env* env = nullptr;                      // Null: the POSIX Env.
  const Comparator* comparator = nullptr;  // Null: bytewise. Orders user keys.
  LogSink log;                             // Null: lines go to stderr.

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

  // Run flushes on the calling thread instead of a background thread. Deterministic; meant for
  // tests and the simulator. Writes then block while the flush runs.
  bool inline_background_work = false;
};

struct ReadOptions {
  // Read as of this snapshot; null reads the latest state.
  const Snapshot* snapshot = nullptr;
  // Verify block checksums on every read (always on; kept for API stability).
  bool verify_checksums = true;
};

struct WriteOptions {
  // Force this write to be durable before it is acknowledged, whatever wal_sync_mode says.
  bool sync = false;
};

}  // namespace pairdb::lsm
