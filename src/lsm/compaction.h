// Leveled compaction: which files to merge next, and the facts a compaction needs while it
// runs (grandparent overlap for cutting outputs, and whether deeper levels may still hold a
// key, which decides when a tombstone can go).
//
// Levels: level 0 holds flushed memtables, whose key ranges may overlap. Each level n >= 1 is
// one sorted run with a size target level1_target_bytes * multiplier^(n-1). A level's score is
// files/trigger for level 0 and bytes/target otherwise; the highest score >= 1 compacts next.
// Level 0 compacts entirely into level 1 (older level-0 files must never stay behind newer
// ones); a level n >= 1 compacts one file, chosen round-robin, with what it overlaps in n+1.
// When every level is within its target, a table whose read budget readers have spent (see
// ReadBudget) compacts next, the same way: all of level 0, or that one file.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <pairdb/lsm/options.h>

#include "lsm/version_set.h"

namespace pairdb::lsm {

// Immutable once picked, except for the cursors used by is_base_level_for_key and
// should_stop_before, which the single thread running the compaction advances.
class Compaction {
 public:
  Compaction(std::shared_ptr<const Version> input_version, int level, int output_level,
             const InternalKeyComparator* comparator, uint64_t target_file_bytes,
             bool manual = false);

  int level() const { return level_; }
  int output_level() const { return output_level_; }
  // which 0: files of level(); which 1: files of output_level() (when different).
  const Version::FileList& inputs(int which) const { return inputs_[which]; }
  uint64_t input_bytes() const;
  // A single file that can move down a level unchanged. Never for manual compactions: they
  // must pass every entry through the compaction filter.
  bool is_trivial_move() const;
  bool manual() const { return manual_; }
  // Picked because readers kept stepping over a table, not for a level's size.
  bool read_triggered() const { return read_triggered_; }
  // True if no level deeper than the output may hold user_key: a tombstone for it can go.
  // REQUIRES: called with non-decreasing user keys.
  bool is_base_level_for_key(std::string_view user_key);
  // True if the current output should be cut before internal_key, because it already
  // overlaps too much of the grandparent level. REQUIRES: non-decreasing keys.
  bool should_stop_before(std::string_view internal_key);
  const std::shared_ptr<const Version>& input_version() const { return input_version_; }

 private:
  friend class CompactionPicker;

  const std::shared_ptr<const Version> input_version_;
  const int level_;
  const int output_level_;
  const InternalKeyComparator* const comparator_;
  const uint64_t target_file_bytes_;
  const bool manual_;
  bool read_triggered_ = false;
  std::array<Version::FileList, 2> inputs_;
  Version::FileList grandparents_;
  size_t grandparent_index_ = 0;
  bool seen_key_ = false;
  uint64_t overlapped_bytes_ = 0;
  std::array<size_t, kNumLevels> level_cursor_{};
};

struct LevelScores {
  std::array<double, kNumLevels> score{};
  int best_level = -1;  // Highest-scoring level with score >= 1, or -1.
  uint64_t pending_compaction_bytes = 0;
};

// Chooses compactions. Single-threaded: owned by the DB and used under its mutex.
class CompactionPicker {
 public:
  CompactionPicker(const Options& options, const InternalKeyComparator* comparator);

  uint64_t level_target_bytes(int level) const;
  LevelScores scores(const Version& version) const;
  // The next automatic compaction: the level most over its target, else the table readers
  // spent the budget of (if still live); null when there is neither.
  std::unique_ptr<Compaction> pick(std::shared_ptr<const Version> version);
  // Readers spent the read budget of table `number` at `level`; the latest such table wins.
  void request_read_compaction(int level, uint64_t number);
  bool read_compaction_requested() const { return read_request_.has_value(); }
  // A manual compaction of the files of `level` overlapping [begin, end] (null: unbounded)
  // into output_level (level + 1, or level itself for the last level). Null if none overlap.
  std::unique_ptr<Compaction> pick_range(std::shared_ptr<const Version> version, int level,
                                         int output_level, const std::string* begin,
                                         const std::string* end);

 private:
  // Files of `level` whose user-key range intersects [begin, end]; for level 0 the range
  // grows until it covers every overlapping file.
  Version::FileList overlapping(const Version& version, int level, std::string begin,
                                std::string end, bool begin_unbounded, bool end_unbounded) const;
  void fill_output_and_grandparents(Compaction* c) const;

  const Options options_;
  const InternalKeyComparator* const comparator_;
  std::array<std::string, kNumLevels> compact_pointer_;  // Largest key of the last pick.
  struct ReadRequest {
    int level;
    uint64_t number;
  };
  std::optional<ReadRequest> read_request_;  // Cleared once picked, or found gone.
};

}  // namespace pairdb::lsm
