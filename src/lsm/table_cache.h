// Keeps recently used SSTables open, keyed by file number, so each table's footer, index and
// filter are read once while it stays in the cache. Thread-safe.
//
// Bounded: at most max_open_tables readers are cached (least recently used evicted). A reader
// evicted while an iterator or lookup still uses it stays open until that user lets go. Each
// open reader pins its index and filter blocks, so memory for them is bounded by
// max_open_tables x (index + filter size of one table). Data blocks go through the shared
// block cache given in the table options.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <pairdb/lsm/env.h>

#include "lsm/lru_cache.h"
#include "lsm/table_reader.h"

namespace pairdb::lsm {

class TableCache {
 public:
  TableCache(std::string db_path, Env* env, TableOptions options, size_t max_open_tables,
             bool use_mmap_reads);

  // Opens the table on first use. Corruption if its footer, index or filter is damaged.
  Result<std::shared_ptr<TableReader>> find(uint64_t file_number, uint64_t file_size);
  // The table if it is open already; null otherwise (nothing is opened).
  std::shared_ptr<TableReader> find_open(uint64_t file_number);
  void evict(uint64_t file_number);
  const TableOptions& options() const { return options_; }

 private:
  const std::string db_path_;
  Env* const env_;
  const TableOptions options_;
  LruCache<TableReader> tables_;
  const bool use_mmap_reads_;
};

}  // namespace pairdb::lsm
