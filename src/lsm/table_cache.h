// Keeps open TableReaders for live SSTables, keyed by file number, so each table's footer,
// index and filter are read once. Thread-safe.
//
// This first version holds every live table open; evict() is called when a file is deleted.
// (Bounding the number of open tables with an LRU comes with the block cache.)
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include <pairdb/lsm/env.h>

#include "lsm/table_reader.h"

namespace pairdb::lsm {

class TableCache {
 public:
  TableCache(std::string db_path, Env* env, TableOptions options);

  // Opens the table on first use. Corruption if its footer, index or filter is damaged.
  Result<std::shared_ptr<TableReader>> find(uint64_t file_number, uint64_t file_size);
  void evict(uint64_t file_number);
  const TableOptions& options() const { return options_; }

 private:
  const std::string db_path_;
  Env* const env_;
  const TableOptions options_;
  std::mutex mu_;
  std::unordered_map<uint64_t, std::shared_ptr<TableReader>> tables_;  // GUARDED_BY(mu_)
};

}  // namespace pairdb::lsm
