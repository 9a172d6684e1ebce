// The table catalog of one node: every table's metadata, the ids of dropped tables, and the
// schema version, persisted in the node's LSM under the system table (kSystemTableId).
//
// Thread-safe: lookups take a shared lock and return immutable snapshots; create/drop
// serialize on the exclusive lock and persist before they publish.
// Invariants: names are unique among live tables; a table id is never reused (dropped ids are
// remembered so the compaction filter can discard their data); schema_version grows by one per
// successful create or drop.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <pairdb/lsm/db.h>

#include "common/rng.h"
#include "server/table_meta.h"

namespace pairdb::server {

class Catalog {
 public:
  // Loads the catalog from `db`, which must outlive it.
  static Result<std::unique_ptr<Catalog>> open(lsm::DB* db, uint64_t seed);

  // Status::invalid_argument for a bad spec or an existing name (unless if_not_exists, which
  // returns the existing table).
  Result<TableInfo> create(const TableSpec& spec, bool if_not_exists, uint64_t now_ms);
  // Status::table_not_found unless the table exists (or if_exists). The table's items become
  // unreachable at once and are removed by compaction; no per-item tombstones are written.
  Result<TableInfo> drop(std::string_view name, bool if_exists);

  // Null when no live table has that name.
  std::shared_ptr<const TableInfo> find(std::string_view name) const;
  Result<std::shared_ptr<const TableInfo>> require(std::string_view name) const;
  std::vector<TableInfo> list() const;  // Sorted by name.
  uint64_t schema_version() const;
  // Whether `id` belongs to a dropped table. Cheap; called by the compaction filter.
  bool is_dropped(replication::TableId id) const;
  std::vector<replication::TableId> dropped_ids() const;

 private:
  explicit Catalog(lsm::DB* db, uint64_t seed) : db_(db), rng_(seed) {}
  Status load();
  Status persist(const TableInfo* created, const TableInfo* dropped, uint64_t version);
  replication::TableId fresh_id();  // REQUIRES: mutex_ held exclusively.

  lsm::DB* const db_;
  mutable std::shared_mutex mutex_;
  Rng rng_;                                                                     // GUARDED_BY(mutex_)
  std::unordered_map<std::string, std::shared_ptr<const TableInfo>> by_name_;  // GUARDED_BY(mutex_)
  std::unordered_set<replication::TableId> live_ids_;                         // GUARDED_BY(mutex_)
  std::unordered_set<replication::TableId> dropped_ids_;                      // GUARDED_BY(mutex_)
  uint64_t schema_version_ = 0;                                               // GUARDED_BY(mutex_)
};

}  // namespace pairdb::server
