// The pairdb storage engine: an ordered, durable key-value store (an LSM tree).
//
// Thread-safe: any number of threads may call any method concurrently. Writes are atomic per
// WriteBatch and totally ordered by sequence number. A write is acknowledged (returns OK) only
// once it is in the WAL, and durable per Options::wal_sync_mode / WriteOptions::sync.
//
// After any failure that leaves durability unknown (a failed WAL or MANIFEST sync), the database
// fences itself: every later write fails with the original error, reads keep working, and
// reopening recovers to the last durable state.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <pairdb/lsm/iterator.h>
#include <pairdb/lsm/options.h>
#include <pairdb/lsm/write_batch.h>
#include <pairdb/status.h>

namespace pairdb::lsm {

// A consistent point-in-time view. Release it with DB::release_snapshot.
class Snapshot {
 public:
  virtual ~Snapshot() = default;
  virtual uint64_t sequence() const = 0;
};

class DB {
 public:
  DB() = default;
  DB(const DB&) = delete;
  DB& operator=(const DB&) = delete;
  // Closes the database if close() was not called (errors are logged).
  virtual ~DB() = default;

  // Opens (or with create_if_missing, creates) the database in directory `path`, replaying its
  // WAL. Fails with Corruption if the files are damaged beyond a torn WAL tail.
  static Result<std::unique_ptr<DB>> open(const Options& options, const std::string& path);

  virtual Status put(const WriteOptions& options, std::string_view key, std::string_view value) = 0;
  virtual Status remove(const WriteOptions& options, std::string_view key) = 0;
  virtual Status write(const WriteOptions& options, const WriteBatch& batch) = 0;

  // NotFound when the key is absent (or deleted) at the read point.
  virtual Result<std::string> get(const ReadOptions& options, std::string_view key) = 0;

  // Iterates user keys in comparator order at the read point, hiding deleted and overwritten
  // entries. The iterator pins the state it reads; destroy it before the DB.
  virtual std::unique_ptr<Iterator> new_iterator(const ReadOptions& options) = 0;

  virtual const Snapshot* get_snapshot() = 0;
  virtual void release_snapshot(const Snapshot* snapshot) = 0;

  // True when a write issued now (without WriteOptions::sync) could wait: for an fsync
  // (wal_sync_mode = kPerWrite), for compaction (level 0 or pending compaction bytes at a
  // slowdown or stop trigger), or for a flush (a full memtable while the previous one is still
  // being written). A hint, read under the engine's lock: callers that must not block (an
  // event loop) hand the write to a thread that may when it says true.
  virtual bool writes_may_wait() = 0;

  // Writes the current memtable to an SSTable and waits until it is durable.
  virtual Status flush() = 0;

  // Flushes, then compacts every level's files overlapping [begin, end] (null: unbounded)
  // down to the last level holding data, running the compaction filter over all of it.
  // Waits until done.
  virtual Status compact_range(const std::string* begin, const std::string* end) = 0;

  // Properties: "pairdb.stats" (multi-line text for people), "pairdb.stats-map" (one
  // `name value` pair per line for machines), "pairdb.num-files-at-level<N>",
  // "pairdb.memtable-bytes", "pairdb.sequence", and every name in pairdb.stats-map prefixed
  // with "pairdb.". Nullopt for unknown names.
  virtual std::optional<std::string> get_property(std::string_view name) = 0;

  // Waits for background work, syncs the WAL and releases the lock. Idempotent.
  virtual Status close() = 0;
};

// Deletes every file of the database at path (which must not be open).
Status destroy_db(const Options& options, const std::string& path);

}  // namespace pairdb::lsm
