// Reads one SSTable written by TableBuilder (format in format.h).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <pairdb/lsm/comparator.h>
#include <pairdb/lsm/env.h>
#include <pairdb/lsm/iterator.h>
#include <pairdb/status.h>

#include "lsm/block.h"
#include "lsm/bloom.h"
#include "lsm/format.h"
#include "lsm/table_options.h"

namespace pairdb::lsm {

// An open SSTable. Immutable once open() returns; safe for concurrent readers (the filter
// counters are relaxed atomics).
//
// Memory: the index block, the filter block and the properties are read and verified by open()
// and pinned in memory for the reader's lifetime. Data blocks are read and checksum-verified on
// access through read_data_block(), which keeps them in options.block_cache when one is set.
// Errors: a damaged block surfaces as Corruption naming the file and the block offset, never as
// a wrong value. Iterators keep the reader alive through shared_from_this().
class TableReader : public std::enable_shared_from_this<TableReader> {
 public:
  struct Entry {
    std::string internal_key;
    std::string value;
  };

  // Reads and verifies the footer (magic, checksum, handles inside the file), then the index,
  // filter and properties blocks. Corruption when any of them is damaged.
  // REQUIRES: options valid (assert_valid_table_options); options.comparator outlives the
  // reader; file non-null.
  // cache_id names the table in options.block_cache (its file number); 0 bypasses the cache.
  static Result<std::shared_ptr<TableReader>> open(const TableOptions& options,
                                                   std::unique_ptr<RandomAccessFile> file,
                                                   uint64_t file_size, std::string file_name,
                                                   uint64_t cache_id = 0);

  TableReader(const TableReader&) = delete;
  TableReader& operator=(const TableReader&) = delete;

  // Consults the bloom filter on extract_user_key(lookup_key); if the key may be present,
  // finds the first entry >= lookup_key and returns it iff its user key equals the lookup's.
  // Nullopt: not in this table. Corruption if a block on the path is damaged.
  // REQUIRES: lookup_key is an internal key (at least kInternalKeyTrailerBytes long).
  Result<std::optional<Entry>> get(std::string_view lookup_key) const;
  // False when the bloom filter rules user_key out (counted like get's check); true when the
  // table may hold it, or has no filter.
  bool may_contain(std::string_view user_key) const;

  // Iterates the table's internal keys. Damaged blocks surface via status().
  // REQUIRES: the reader is owned by a std::shared_ptr (as open() returns it).
  std::unique_ptr<Iterator> new_iterator() const;

  const TableProperties& properties() const { return properties_; }
  const std::string& file_name() const { return file_name_; }
  uint64_t file_size() const { return file_size_; }
  bool has_filter() const { return filter_.has_value(); }

  // Lookups that consulted the filter, and those the filter answered "absent".
  uint64_t filter_checked() const { return filter_checked_.load(std::memory_order_relaxed); }
  uint64_t filter_useful() const { return filter_useful_.load(std::memory_order_relaxed); }

 private:
  // Compares internal keys; keys too short to be internal keys (only possible in a damaged
  // block) compare bytewise so a bad key can never make the comparator read out of bounds.
  class SafeInternalKeyComparator final : public Comparator {
   public:
    explicit SafeInternalKeyComparator(const InternalKeyComparator* inner) : inner_(inner) {}
    int compare(std::string_view a, std::string_view b) const override;
    std::string_view name() const override { return inner_->name(); }

   private:
    const InternalKeyComparator* inner_;
  };

  TableReader(const TableOptions& options, std::unique_ptr<RandomAccessFile> file,
              uint64_t file_size, std::string file_name, uint64_t cache_id);
  void count_filter_check(bool useful) const;

  Status load_metadata(const Footer& footer);
  // Corruption unless handle (plus its trailer) lies inside the blocks area of the file.
  Status check_handle(const BlockHandle& handle, std::string_view what) const;
  Result<std::string> read_checked_block(const BlockHandle& handle, std::string_view what) const;
  // Reads one data block named by an index entry value.
  Result<std::shared_ptr<const Block>> read_data_block(std::string_view index_value) const;

  const TableOptions options_;
  const SafeInternalKeyComparator comparator_;
  const std::unique_ptr<RandomAccessFile> file_;
  const uint64_t file_size_;
  const std::string file_name_;
  const std::shared_ptr<const std::string> shared_file_name_;  // Named by cached blocks.
  const uint64_t cache_id_;
  bool mapped_ = false;  // The file returns its own (mapped) memory; set by open().

  // Set by open() before the reader is shared; never changed afterwards.
  std::shared_ptr<const Block> index_block_;
  std::string filter_data_;                  // Pinned bytes that filter_ reads.
  std::optional<BloomFilterReader> filter_;  // Absent when the table has no filter.
  TableProperties properties_;

  mutable std::atomic<uint64_t> filter_checked_{0};
  mutable std::atomic<uint64_t> filter_useful_{0};
};

}  // namespace pairdb::lsm
