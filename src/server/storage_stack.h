// StorageStack: the storage side of one node, built one way for the daemon (Node) and for the
// server's unit tests: the LSM engine with the item compaction filter, the table catalog in it,
// the replica store, and the item and table services over them.
//
// Invariants: the compaction filter is attached to the catalog from open() until close() (or
// destruction), so no compaction runs against a destroyed catalog; members are destroyed in the
// reverse order of their dependencies (services, store, repair history, catalog, engine); the
// filter is detached from the catalog and the history before either goes.
// Thread-safety: the accessors are safe from any thread once open() returned; open() and close()
// from one thread, with no call in flight.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include <pairdb/lsm/db.h>
#include <pairdb/replication/context_auth.h>
#include <pairdb/replication/hlc.h>
#include <pairdb/status.h>

#include "common/clock.h"
#include "replication/item_compaction_filter.h"
#include "replication/repair_history.h"
#include "replication/replica_store.h"
#include "server/api/item_service.h"
#include "server/api/table_service.h"
#include "server/catalog/catalog.h"

namespace pairdb::server {

struct StorageStackOptions {
  std::string db_path;
  // The engine's options; open() adds the compaction filter and create_if_missing.
  lsm::Options engine;
  // The node; the dots of the writes it applies are minted under writer_id_for_this_start()
  // (the node id itself unless the engine's wal_sync mode may lose acknowledged writes).
  ring::NodeId node_id;
  bool after_clean_stop = false;   // The last run stopped cleanly (take_clean_shutdown_mark).
  replication::PurgePolicy purge;  // When the compaction filter purges dead records.
  uint64_t catalog_seed = 0;       // Seeds the catalog's table ids.
  ItemLimits limits;
  TableDefaults table_defaults;
  // Point reads, and writes the engine says will not wait, run on the caller's thread instead
  // of run_blocking (see ItemServiceOptions::run_inline); queries always go to run_blocking.
  bool point_ops_inline = false;
  std::function<void(std::function<void()>)> run_blocking;
  const Clock* clock = nullptr;  // Must outlive the stack.
  std::shared_ptr<const replication::ContextAuthenticator> contexts;
};

class StorageStack {
 public:
  static Result<std::unique_ptr<StorageStack>> open(StorageStackOptions options);
  ~StorageStack();
  StorageStack(const StorageStack&) = delete;
  StorageStack& operator=(const StorageStack&) = delete;

  // Stops the services and closes the engine (syncing its WAL). Idempotent.
  Status close();

  lsm::DB* db() const { return db_.get(); }
  Catalog* catalog() const { return catalog_.get(); }
  replication::ReplicaStore* store() const { return store_.get(); }
  // The id the store mints dots with for this run (writer_id_for_this_start).
  const ring::NodeId& writer_id() const { return writer_id_; }
  replication::HybridClock* hlc() { return &hlc_; }
  ItemService* items() const { return items_.get(); }
  // Whether a point operation may run on the caller's thread now (unset when point_ops_inline is
  // off); the replication driver's local shortcuts ask it too.
  const RunInline& run_inline() const { return run_inline_; }
  TableService* tables() const { return tables_.get(); }
  const replication::ItemCompactionFilter& compaction_filter() const { return *filter_; }
  // Completed repairs per table and range (what the tombstone purge waits for).
  replication::RepairHistory* repairs() const { return repairs_.get(); }

 private:
  StorageStack() = default;

  std::shared_ptr<replication::ItemCompactionFilter> filter_;
  std::unique_ptr<lsm::DB> db_;
  RunInline run_inline_;
  std::unique_ptr<Catalog> catalog_;
  replication::HybridClock hlc_;
  ring::NodeId writer_id_;
  std::unique_ptr<replication::RepairHistory> repairs_;
  std::unique_ptr<replication::ReplicaStore> store_;
  std::unique_ptr<ItemService> items_;
  std::unique_ptr<TableService> tables_;
};

}  // namespace pairdb::server
