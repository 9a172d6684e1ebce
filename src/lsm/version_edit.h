// A VersionEdit is one change to the set of live files, appended to the MANIFEST as one record.
// Replaying every edit of a MANIFEST in order rebuilds the database's file set.
//
// Encoding: a sequence of (varint32 tag, fields) pairs; an unknown tag is Corruption so an
// older binary never misreads a newer MANIFEST.
#pragma once

#include <atomic>
#include <cstdint>
#include <limits>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <pairdb/status.h>

#include "lsm/dbformat.h"

namespace pairdb::lsm {

constexpr int kNumLevels = 7;

// How many more times readers may step over a table (probe it for a key that a deeper table
// then answers) before compacting it into the level below is cheaper than those reads. Shared by
// every Version holding the table; charged concurrently by readers. A copy starts from the
// value copied.
class ReadBudget {
 public:
  ReadBudget() = default;
  ReadBudget(const ReadBudget& other) : remaining_(other.remaining()) {}
  ReadBudget& operator=(const ReadBudget& other) {
    remaining_.store(other.remaining(), std::memory_order_relaxed);
    return *this;
  }
  void reset(int64_t probes) { remaining_.store(probes, std::memory_order_relaxed); }
  int64_t remaining() const { return remaining_.load(std::memory_order_relaxed); }
  // Charges one probe. True for the probe that spends the last of it, and again every
  // kReaskProbes probes after (a compaction asked for may fail, or give way to another table's).
  bool charge() const {
    const int64_t left = remaining_.fetch_sub(1, std::memory_order_relaxed) - 1;
    return left <= 0 && left % kReaskProbes == 0;
  }
  static constexpr int64_t kReaskProbes = 1024;

 private:
  mutable std::atomic<int64_t> remaining_{std::numeric_limits<int64_t>::max()};
};

// Describes one SSTable. Immutable once added to a Version, but for read_budget.
struct FileMetaData {
  uint64_t number = 0;
  uint64_t file_size = 0;
  std::string smallest;    // Internal key.
  std::string largest;     // Internal key.
  ReadBudget read_budget;  // Not persisted: every open starts it afresh (VersionSet::apply).
};

class VersionEdit {
 public:
  void set_comparator_name(std::string_view name) { comparator_name_ = std::string(name); }
  void set_log_number(uint64_t n) { log_number_ = n; }
  void set_next_file_number(uint64_t n) { next_file_number_ = n; }
  void set_last_sequence(SequenceNumber s) { last_sequence_ = s; }

  // REQUIRES: 0 <= level < kNumLevels
  void add_file(int level, FileMetaData file);
  void remove_file(int level, uint64_t number);

  const std::optional<std::string>& comparator_name() const { return comparator_name_; }
  const std::optional<uint64_t>& log_number() const { return log_number_; }
  const std::optional<uint64_t>& next_file_number() const { return next_file_number_; }
  const std::optional<SequenceNumber>& last_sequence() const { return last_sequence_; }
  const std::vector<std::pair<int, FileMetaData>>& new_files() const { return new_files_; }
  const std::set<std::pair<int, uint64_t>>& deleted_files() const { return deleted_files_; }

  std::string encode() const;
  static Result<VersionEdit> decode(std::string_view input);
  std::string debug_string() const;

 private:
  std::optional<std::string> comparator_name_;
  std::optional<uint64_t> log_number_;
  std::optional<uint64_t> next_file_number_;
  std::optional<SequenceNumber> last_sequence_;
  std::vector<std::pair<int, FileMetaData>> new_files_;
  std::set<std::pair<int, uint64_t>> deleted_files_;
};

}  // namespace pairdb::lsm
