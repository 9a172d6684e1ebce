#include "lsm/table_cache.h"

#include "lsm/filename.h"

namespace pairdb::lsm {

TableCache::TableCache(std::string db_path, Env* env, TableOptions options)
    : db_path_(std::move(db_path)), env_(env), options_(options) {}

Result<std::shared_ptr<TableReader>> TableCache::find(uint64_t file_number, uint64_t file_size) {
  {
    std::lock_guard lock(mu_);
    auto it = tables_.find(file_number);
    if (it != tables_.end()) return it->second;
  }
  // Open outside the lock; a racing opener's duplicate is simply dropped.
  std::string path = table_file_name(db_path_, file_number);
  PAIRDB_ASSIGN_OR_RETURN(auto file, env_->new_random_access_file(path));
  PAIRDB_ASSIGN_OR_RETURN(auto table,
                          TableReader::open(options_, std::move(file), file_size, path));
  std::lock_guard lock(mu_);
  auto [it, inserted] = tables_.emplace(file_number, std::move(table));
  return it->second;
}

void TableCache::evict(uint64_t file_number) {
  std::lock_guard lock(mu_);
  tables_.erase(file_number);
}

}  // namespace pairdb::lsm
