// The Env seam: every file operation and every clock reading of the storage engine goes through
// an Env, so tests can run the engine over an in-memory, fault-injecting file system (FaultyEnv)
// and the simulator can run it on virtual time.
//
// Errors are Status values whose message names the file (and offset where it matters).
// ENOSPC is reported as StatusCode::kNoSpace so callers can tell "disk full" from other I/O.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <pairdb/status.h>

namespace pairdb::lsm {

// Sequential reads, used by WAL and MANIFEST recovery. One thread at a time.
class SequentialFile {
 public:
  virtual ~SequentialFile() = default;
  // Reads up to n bytes; an empty result means end of file. The result points into scratch
  // (which has room for n bytes) or into memory owned by the file.
  virtual Result<std::string_view> read(size_t n, char* scratch) = 0;
  virtual Status skip(uint64_t n) = 0;
};

// Positional reads, used by SSTables. Safe for concurrent use by several threads.
class RandomAccessFile {
 public:
  virtual ~RandomAccessFile() = default;
  // Reads up to n bytes at offset; fewer only at end of file. Same scratch rule as above.
  virtual Result<std::string_view> read(uint64_t offset, size_t n, char* scratch) const = 0;
};

// Append-only writes. One thread at a time. Data is durable only after sync() returns OK; after
// a failed sync() the file's contents are unknown and it must not be synced again.
class WritableFile {
 public:
  virtual ~WritableFile() = default;
  virtual Status append(std::string_view data) = 0;
  // Hands buffered data to the operating system (survives a process crash, not a power loss).
  virtual Status flush() = 0;
  // Makes everything appended so far durable (fdatasync).
  virtual Status sync() = 0;
  virtual Status close() = 0;
  // Bytes appended so far.
  virtual uint64_t size() const = 0;
};

// A held advisory lock on a file; released when destroyed.
class FileLock {
 public:
  virtual ~FileLock() = default;
};

class Env {
 public:
  virtual ~Env() = default;

  virtual Result<std::unique_ptr<SequentialFile>> new_sequential_file(const std::string& path) = 0;
  virtual Result<std::unique_ptr<RandomAccessFile>> new_random_access_file(
      const std::string& path) = 0;
  // Like new_random_access_file, but may map the file into memory so reads need no system
  // call or copy. Only for files that never change while open (SSTables). On the real file
  // system a device I/O error while reading a mapped page raises SIGBUS instead of returning
  // an error. Envs without mapping return a plain random-access file.
  virtual Result<std::unique_ptr<RandomAccessFile>> new_mapped_file(const std::string& path) {
    return new_random_access_file(path);
  }
  // Creates or truncates. The new directory entry is durable only after sync_dir(parent).
  virtual Result<std::unique_ptr<WritableFile>> new_writable_file(const std::string& path) = 0;

  virtual bool file_exists(const std::string& path) = 0;
  virtual Result<uint64_t> file_size(const std::string& path) = 0;
  // Names (not paths) of the entries of dir, excluding "." and "..".
  virtual Result<std::vector<std::string>> list_dir(const std::string& dir) = 0;
  virtual Status remove_file(const std::string& path) = 0;
  // Atomically replaces `to`. Durable only after sync_dir(parent).
  virtual Status rename_file(const std::string& from, const std::string& to) = 0;
  // Cuts the file to `size` bytes (used to drop a torn WAL tail).
  virtual Status truncate_file(const std::string& path, uint64_t size) = 0;
  virtual Status create_dir_if_missing(const std::string& dir) = 0;
  // Makes creations, renames and removals inside dir durable.
  virtual Status sync_dir(const std::string& dir) = 0;
  // Exclusive lock so two processes never open one database. Fails with kBusy when held.
  virtual Result<std::unique_ptr<FileLock>> lock_file(const std::string& path) = 0;
  // Free bytes on the file system holding dir.
  virtual Result<uint64_t> free_disk_bytes(const std::string& dir) = 0;

  // Microseconds on a monotonic clock, for durations and rate limits.
  virtual uint64_t now_micros() = 0;
  // Microseconds since the Unix epoch, for log lines and file properties only.
  virtual uint64_t wall_micros() = 0;
};

// The real file system. Process-wide singleton, thread-safe.
Env* posix_env();

}  // namespace pairdb::lsm
