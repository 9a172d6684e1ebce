// FaultyEnv: an in-memory file system that models exactly what survives a power loss, and
// injects the faults real disks produce. The storage engine's crash tests and the simulator
// run on it.
//
// Durability model:
//   - A file's bytes are durable up to its last successful sync(); later appends are not.
//   - A directory entry (creation, rename, removal) is durable only after sync_dir(dir).
//   - crash() reverts every directory to its durable entries and every file to its synced
//     bytes plus, optionally, a random prefix of its unsynced bytes (a torn write).
// Faults:
//   - inject(): fail appends, syncs, creations, renames, directory syncs or reads of matching
//     files with EIO or ENOSPC, a number of times or forever.
//   - crash_after_ops(n): the n-th mutating operation from now and every one after it fails, as
//     if power was lost at that instant; the test then destroys the DB and calls crash().
//   - flip_bit(): corrupts a stored byte in place.
//
// Thread-safe: one mutex guards all state. Meant for tests; not fast.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <pairdb/lsm/env.h>

namespace pairdb::lsm {

enum class FaultOp : uint8_t { kAppend, kSync, kCreate, kRename, kRemove, kSyncDir, kRead };

struct CrashOptions {
  // Keep a random prefix of each file's unsynced bytes instead of dropping them all.
  bool tear_unsynced_tail = false;
};

class FaultyEnv final : public Env {
 public:
  explicit FaultyEnv(uint64_t seed = 1);
  ~FaultyEnv() override;

  // --- Faults ---------------------------------------------------------------------------
  // Makes the next `times` operations of kind `op` on paths containing `path_contains` fail
  // with `code` (kIoError or kNoSpace); times < 0 means until clear_faults().
  void inject(FaultOp op, StatusCode code, std::string path_contains = "", int times = -1);
  void clear_faults();
  // Power is lost at the n-th mutating operation from now (n >= 1): it and all later ones fail.
  void crash_after_ops(uint64_t n);
  // True once a crash_after_ops point was reached.
  bool powered_off() const;
  // Reverts to durable state (see the model above) and powers back on. Call only once nothing
  // uses the env (the DB was destroyed).
  void crash(const CrashOptions& options = {});
  // Flips one bit of the stored file (both synced and unsynced views).
  Status flip_bit(const std::string& path, uint64_t offset, int bit);
  void set_free_disk_bytes(uint64_t bytes);
  // Every file sync takes this long (a slow disk), without holding the env's lock.
  void set_sync_latency_micros(uint64_t micros);

  // --- Inspection -----------------------------------------------------------------------
  // Mutating operations performed so far (the crash points a workload passes through).
  uint64_t mutating_ops() const;
  Result<std::string> file_contents(const std::string& path) const;

  // --- Env --------------------------------------------------------------------------------
  Result<std::unique_ptr<SequentialFile>> new_sequential_file(const std::string& path) override;
  Result<std::unique_ptr<RandomAccessFile>> new_random_access_file(
      const std::string& path) override;
  Result<std::unique_ptr<WritableFile>> new_writable_file(const std::string& path) override;
  bool file_exists(const std::string& path) override;
  Result<uint64_t> file_size(const std::string& path) override;
  Result<std::vector<std::string>> list_dir(const std::string& dir) override;
  Status remove_file(const std::string& path) override;
  Status rename_file(const std::string& from, const std::string& to) override;
  Status truncate_file(const std::string& path, uint64_t size) override;
  Status create_dir_if_missing(const std::string& dir) override;
  Status sync_dir(const std::string& dir) override;
  Result<std::unique_ptr<FileLock>> lock_file(const std::string& path) override;
  Result<uint64_t> free_disk_bytes(const std::string& dir) override;
  uint64_t now_micros() override;
  uint64_t wall_micros() override;

  // Shared by the file objects; not part of the public surface.
  struct FileState {
    std::string data;
    uint64_t synced_bytes = 0;
  };
  struct Directory {
    std::map<std::string, std::shared_ptr<FileState>> live;
    std::map<std::string, std::shared_ptr<FileState>> durable;
  };
  // Checks faults and power for one operation. REQUIRES: mu_ held.
  Status check_op_locked(FaultOp op, const std::string& path);
  std::mutex& mutex() const { return mu_; }
  uint64_t sync_latency_micros() const { return sync_latency_micros_.load(); }

 private:
  struct FaultRule {
    FaultOp op;
    StatusCode code;
    std::string path_contains;
    int remaining;  // < 0: forever.
  };

  Directory* find_dir_locked(const std::string& dir);
  std::shared_ptr<FileState> find_file_locked(const std::string& path);

  mutable std::mutex mu_;
  std::map<std::string, Directory> dirs_;         // GUARDED_BY(mu_)
  std::vector<FaultRule> faults_;                 // GUARDED_BY(mu_)
  std::set<std::string> locked_paths_;            // GUARDED_BY(mu_)
  uint64_t ops_ = 0;                              // GUARDED_BY(mu_)
  uint64_t crash_at_op_ = 0;                      // GUARDED_BY(mu_); 0 = no crash scheduled.
  bool powered_off_ = false;                      // GUARDED_BY(mu_)
  uint64_t free_disk_bytes_ = uint64_t{1} << 40;  // GUARDED_BY(mu_)
  std::atomic<uint64_t> sync_latency_micros_{0};
  std::mt19937_64 rng_;  // GUARDED_BY(mu_)
};

// Splits "/a/b/c" into {"/a/b", "c"}; a bare name has dir ".".
std::pair<std::string, std::string> split_path(const std::string& path);

}  // namespace pairdb::lsm
