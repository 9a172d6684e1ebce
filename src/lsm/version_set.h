// Version: an immutable snapshot of which SSTables are live at each level.
// VersionSet: the current Version, the MANIFEST that records how it came to be, and the
// counters persisted with it (next file number, last sequence, oldest live WAL).
//
// Invariants: in levels >= 1 files are sorted by smallest key and do not overlap; level 0
// files may overlap and are read newest (highest number) first. A file referenced by any live
// Version is never deleted.
#pragma once

#include <atomic>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include <pairdb/lsm/env.h>
#include <pairdb/lsm/iterator.h>
#include <pairdb/lsm/options.h>

#include "lsm/log_writer.h"
#include "lsm/table_cache.h"
#include "lsm/version_edit.h"

namespace pairdb::lsm {

struct LookupResult {
  enum class Kind { kNotPresent, kFound, kDeleted } kind = Kind::kNotPresent;
  std::string value;
};

// The table a lookup stepped over before a deeper one answered (or none answered), to be
// charged against its read budget. file is null when the lookup probed at most one table.
struct ReadCharge {
  const FileMetaData* file = nullptr;
  int level = -1;
};

// Probes one table may cost readers before it is compacted: about one per 16 KiB of table, at
// least 100. A probe that a bloom filter answers costs far less than compacting 16 KiB, but
// tables that readers keep stepping over are also space held twice: the same keys deeper down.
int64_t read_budget_for(uint64_t file_size);

class Version {
 public:
  using FileList = std::vector<std::shared_ptr<const FileMetaData>>;

  const FileList& files(int level) const { return files_[level]; }
  uint64_t level_bytes(int level) const;
  // Whether the table numbered `number` is at `level` in this version.
  bool holds(int level, uint64_t number) const;

  // The newest entry for user_key with sequence <= seq among this version's tables.
  // Counts each table it consults in *tables_probed (read amplification), if given, and names in
  // *charge the first table it consulted in vain when it consulted more than one.
  Result<LookupResult> get(std::string_view user_key, SequenceNumber seq, TableCache& tables,
                           std::atomic<uint64_t>* tables_probed = nullptr,
                           ReadCharge* charge = nullptr) const;
  // True when no table of this version can hold user_key, as far as memory tells: every table
  // whose range covers it is open and its bloom filter rules the key out. Reads no file.
  bool surely_absent(std::string_view user_key, TableCache& tables) const;
  // Appends one internal iterator per table (newest level-0 table first).
  void add_iterators(TableCache& tables, std::vector<std::unique_ptr<Iterator>>* out) const;

 private:
  friend class VersionSet;
  FileList files_[kNumLevels];
};

class VersionSet {
 public:
  VersionSet(std::string db_path, Env* env, const InternalKeyComparator* comparator);

  // Writes an initial MANIFEST and CURRENT for an empty database.
  Status create_new_db();
  // Rebuilds the current version from CURRENT and its MANIFEST.
  Status recover();

  // Applies edit to the current version, appends it to the MANIFEST (a new MANIFEST holding a
  // full snapshot is started on first use after open and when the file grows too large),
  // syncs it and installs the result. Releases `lock` during I/O.
  // REQUIRES: lock holds the DB mutex; only one caller at a time.
  // A failure leaves the MANIFEST unusable: the caller must fence the database.
  Status log_and_apply(VersionEdit* edit, std::unique_lock<std::mutex>& lock);

  // REQUIRES: DB mutex held for all the methods below.
  std::shared_ptr<const Version> current() const { return current_; }
  uint64_t new_file_number() { return next_file_number_++; }
  void mark_file_number_used(uint64_t number);
  SequenceNumber last_sequence() const { return last_sequence_; }
  void set_last_sequence(SequenceNumber seq);
  uint64_t log_number() const { return log_number_; }
  uint64_t manifest_number() const { return manifest_number_; }
  // Table numbers referenced by any version still in use (by readers or the current one).
  std::set<uint64_t> live_table_numbers();

 private:
  Result<std::shared_ptr<Version>> apply(const Version& base, const VersionEdit& edit) const;
  Status write_snapshot(LogWriter* log) const;
  void install(std::shared_ptr<Version> version);

  const std::string db_path_;
  Env* const env_;
  const InternalKeyComparator* const comparator_;

  uint64_t next_file_number_ = 2;
  uint64_t manifest_number_ = 0;
  uint64_t log_number_ = 0;
  SequenceNumber last_sequence_ = 0;
  std::unique_ptr<LogWriter> manifest_;  // Null until the first log_and_apply after open.
  std::shared_ptr<const Version> current_;
  std::list<std::weak_ptr<const Version>> versions_;  // Every version handed out.
};

}  // namespace pairdb::lsm
