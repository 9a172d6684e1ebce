#include "server/storage_stack.h"

#include "common/assert.h"
#include "server/cluster/node_identity.h"

namespace pairdb::server {

namespace {

// Reads touch the memtables, the block cache and mapped tables; writes append to the WAL's
// buffer unless the engine says they could wait (fsync, throttling, a flush in the way).
// Queries may scan many records and always go to the workers.
std::function<bool(StorageWork)> inline_point_ops(lsm::DB* db) {
  return [db](StorageWork work) {
    switch (work) {
      case StorageWork::kRead:
        return true;
      case StorageWork::kWrite:
        return !db->writes_may_wait();
      case StorageWork::kQuery:
        return false;
    }
    return false;
  };
}

}  // namespace

Result<std::unique_ptr<StorageStack>> StorageStack::open(StorageStackOptions options) {
  PAIRDB_ASSERT(options.clock != nullptr && options.run_blocking && options.contexts != nullptr);
  std::unique_ptr<StorageStack> stack(new StorageStack());
  stack->filter_ =
      std::make_shared<replication::ItemCompactionFilter>(options.purge, options.clock);
  options.engine.create_if_missing = true;
  options.engine.compaction_filter = stack->filter_;
  PAIRDB_ASSIGN_OR_RETURN(stack->db_, lsm::DB::open(options.engine, options.db_path));
  PAIRDB_ASSIGN_OR_RETURN(stack->catalog_, Catalog::open(stack->db_.get(), options.catalog_seed));
  stack->filter_->attach(stack->catalog_.get());
  PAIRDB_ASSIGN_OR_RETURN(stack->repairs_,
                          replication::RepairHistory::open(stack->db_.get(), options.clock));
  stack->filter_->attach_repairs(stack->repairs_.get());
  const bool wal_may_lose_writes = options.engine.wal_sync_mode != lsm::WalSyncMode::kPerWrite;
  PAIRDB_ASSIGN_OR_RETURN(stack->writer_id_,
                          writer_id_for_this_start(stack->db_.get(), options.node_id,
                                                   wal_may_lose_writes, options.after_clean_stop));
  stack->store_ = std::make_unique<replication::ReplicaStore>(stack->db_.get(), stack->writer_id_);

  ItemServiceOptions items;
  items.limits = options.limits;
  items.run_blocking = options.run_blocking;
  if (options.point_ops_inline) stack->run_inline_ = inline_point_ops(stack->db_.get());
  items.run_inline = stack->run_inline_;
  items.clock = options.clock;
  items.contexts = std::move(options.contexts);
  stack->items_ = std::make_unique<ItemService>(std::move(items), stack->catalog_.get(),
                                                stack->store_.get(), &stack->hlc_);
  stack->tables_ =
      std::make_unique<TableService>(std::move(options.table_defaults), stack->catalog_.get(),
                                     std::move(options.run_blocking), options.clock);
  return stack;
}

Status StorageStack::close() {
  if (db_ == nullptr) return Status::ok();
  filter_->attach(nullptr);
  filter_->attach_repairs(nullptr);
  tables_.reset();
  items_.reset();
  store_.reset();
  repairs_.reset();
  catalog_.reset();
  Status closed = db_->close();
  db_.reset();
  return closed;
}

StorageStack::~StorageStack() {
  if (db_ != nullptr) {
    filter_->attach(nullptr);
    filter_->attach_repairs(nullptr);
  }
}

}  // namespace pairdb::server
