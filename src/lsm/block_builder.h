// Builds one block of an SSTable (data, index or properties block): sorted key/value entries with
// prefix-compressed keys and a restart array for binary search.
//
// Block layout:
//   entry*            varint32 shared | varint32 non_shared | varint32 value_bytes |
//                     key[shared..shared+non_shared) | value
//   restart[count]    fixed32 byte offset of an entry whose key is stored whole (shared == 0)
//   count             fixed32, >= 1 (an empty block has one restart at offset 0)
// Every restart_interval-th entry is a restart point, so a reader binary-searches the restarts
// and then scans at most restart_interval entries.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <pairdb/lsm/comparator.h>

namespace pairdb::lsm {

// Blocks address entries with fixed32 offsets; the table layer keeps blocks far below this.
constexpr size_t kBlockContentBytesMax = size_t{1} << 30;
constexpr int kBlockRestartIntervalMax = 1024;

// Accumulates one block in memory. Single thread.
// Invariant: keys are strictly increasing under comparator; restarts_ is non-empty and its
// offsets are strictly increasing.
class BlockBuilder {
 public:
  // REQUIRES: 1 <= restart_interval <= kBlockRestartIntervalMax; comparator non-null.
  BlockBuilder(int restart_interval, const Comparator* comparator);

  BlockBuilder(const BlockBuilder&) = delete;
  BlockBuilder& operator=(const BlockBuilder&) = delete;

  // Forgets every entry so the builder can start a new block.
  void reset();

  // REQUIRES: finish() not called since reset(); key > every key added since reset().
  void add(std::string_view key, std::string_view value);

  // Appends the restart array and returns the block contents, valid until reset() or
  // destruction. REQUIRES: finish() not called since reset().
  std::string_view finish();

  // Size of the block finish() would return now.
  size_t size_estimate() const;
  bool empty() const { return entry_count_ == 0; }
  size_t entry_count() const { return entry_count_; }
  // REQUIRES: !empty()
  std::string_view last_key() const { return last_key_; }

 private:
  const int restart_interval_;
  const Comparator* const comparator_;
  std::string buffer_;
  std::vector<uint32_t> restarts_;
  int entries_since_restart_ = 0;
  size_t entry_count_ = 0;
  std::string last_key_;
  bool finished_ = false;
};

}  // namespace pairdb::lsm
