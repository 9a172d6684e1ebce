#include "lsm/table_cache.h"

#include "lsm/filename.h"

namespace pairdb::lsm {

TableCache::TableCache(std::string db_path, Env* env, TableOptions options, size_t max_open_tables,
                       bool use_mmap_reads)
    : db_path_(std::move(db_path)),
      env_(env),
      options_(options),
      tables_(max_open_tables, /*shard_bits=*/max_open_tables >= 256 ? 4 : 0),
      use_mmap_reads_(use_mmap_reads) {}

Result<std::shared_ptr<TableReader>> TableCache::find(uint64_t file_number, uint64_t file_size) {
  const CacheKey key{file_number, 0};
  if (auto cached = tables_.lookup(key)) {
    return std::const_pointer_cast<TableReader>(cached);
  }
  // Opened outside any lock; a racing opener's duplicate simply replaces this one.
  std::string path = table_file_name(db_path_, file_number);
  PAIRDB_ASSIGN_OR_RETURN(auto file, use_mmap_reads_ ? env_->new_mapped_file(path)
                                                     : env_->new_random_access_file(path));
  PAIRDB_ASSIGN_OR_RETURN(
      auto table, TableReader::open(options_, std::move(file), file_size, path, file_number));
  tables_.insert(key, table, 1);
  return table;
}

std::shared_ptr<TableReader> TableCache::find_open(uint64_t file_number) {
  return std::const_pointer_cast<TableReader>(tables_.lookup(CacheKey{file_number, 0}));
}

void TableCache::evict(uint64_t file_number) { tables_.erase({file_number, 0}); }

}  // namespace pairdb::lsm
