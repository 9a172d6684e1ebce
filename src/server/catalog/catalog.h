// The table catalog of one node: every table's metadata, the ids of dropped tables, and the
// schema version, persisted in the node's LSM under the system table (kSystemTableId).
//
// Thread-safe: lookups take a shared lock and return immutable snapshots; create/drop/merge
// serialize on the exclusive lock and persist before they publish.
// Invariants: names are unique among live tables; a table id is never reused (dropped ids are
// remembered so the compaction filter can discard their data); no id is both live and dropped;
// schema_version is a Lamport clock: one more on each local create or drop, and at least the
// version of every catalog merged in; digest_ is the digest of the current contents.
//
// How catalogs converge across the cluster (schema through gossip). A catalog is a join
// semilattice: the set of live tables (keyed by their random 64-bit id) and the grow-only set of
// dropped ids. merge() takes the union of both sets and then applies, in any order:
//   - a dropped id is never live again (drops win over creates of the same id);
//   - two live tables with one name (created concurrently on two nodes) resolve to the one with
//     the smaller (created_at_ms, id); the other id becomes dropped everywhere, data included;
//   - two versions of one id (only the default table, whose id is fixed) keep the one whose
//     encoding is smaller.
// Each rule is a deterministic choice, so merge is commutative, associative and idempotent, and
// nodes that have merged each other's catalogs hold identical contents. Gossip therefore carries
// digest(), a hash of the contents, as the node's "schema version": a node pulls the catalog of
// any live peer whose digest differs from its own and merges it; equal digests mean agreement.
// The Lamport schema_version is kept for TableInfo.schema_version (ordering changes for people).
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
#include "replication/item_compaction_filter.h"
#include "replication/table_meta.h"

namespace pairdb::server {

// A catalog's contents as exchanged between nodes (SchemaPull).
struct CatalogState {
  std::vector<replication::TableInfo> tables;  // Live tables.
  std::vector<replication::TableId> dropped;
  uint64_t schema_version = 0;
};

class Catalog final : public replication::DroppedTables {
 public:
  // Loads the catalog from `db`, which must outlive it.
  static Result<std::unique_ptr<Catalog>> open(lsm::DB* db, uint64_t seed);

  // Status::invalid_argument for a bad spec or an existing name (unless if_not_exists, which
  // returns the existing table).
  Result<replication::TableInfo> create(const replication::TableSpec& spec, bool if_not_exists,
                                        uint64_t now_ms);
  // Status::table_not_found unless the table exists (or if_exists). The table's items become
  // unreachable at once and are removed by compaction; no per-item tombstones are written.
  Result<replication::TableInfo> drop(std::string_view name, bool if_exists);

  // Like create(if_not_exists) with a fixed id: every node creates the default table with the
  // same id and created_at_ms 0, so their catalogs agree without a conflict. Falls back to a
  // fresh id if `id` was dropped.
  Result<replication::TableInfo> create_with_id(const replication::TableSpec& spec,
                                                replication::TableId id);

  // Merges a peer's catalog (rules above) and persists the result in one synced batch.
  // Returns how many tables were added, replaced or dropped (0: nothing new).
  // Status::corruption for a state that breaks the rules (a system table id, a bad spec).
  Result<size_t> merge(const CatalogState& remote);
  CatalogState state() const;
  // Hash of the live tables and dropped ids; equal catalogs have equal digests. Never 0.
  uint64_t digest() const;

  // Null when no live table has that name.
  std::shared_ptr<const replication::TableInfo> find(std::string_view name) const;
  // Null when no live table has that id (a peer's newer table this node has not merged yet, or
  // a dropped one).
  std::shared_ptr<const replication::TableInfo> find_by_id(replication::TableId id) const;
  Result<std::shared_ptr<const replication::TableInfo>> require(std::string_view name) const;
  std::vector<replication::TableInfo> list() const;  // Sorted by name.
  uint64_t schema_version() const;
  // Whether `id` belongs to a dropped table. Cheap; called by the compaction filter.
  bool is_dropped(replication::TableId id) const override;
  std::vector<replication::TableId> dropped_ids() const;

 private:
  explicit Catalog(lsm::DB* db, uint64_t seed) : db_(db), rng_(seed) {}
  Status load();
  Status persist(const replication::TableInfo* created, const replication::TableInfo* dropped,
                 uint64_t version);
  replication::TableId fresh_id();  // REQUIRES: mutex_ held exclusively.
  Result<replication::TableInfo> insert_locked(
      const replication::TableInfo& info);  // REQUIRES: mutex_ held exclusively.
  // Recomputes what derives from the tables: the digest and the by-id index.
  void update_digest();  // REQUIRES: mutex_ held exclusively.

  lsm::DB* const db_;
  mutable std::shared_mutex mutex_;
  Rng rng_;  // GUARDED_BY(mutex_)
  std::unordered_map<std::string, std::shared_ptr<const replication::TableInfo>>
      by_name_;  // GUARDED_BY(mutex_)
  std::unordered_map<replication::TableId, std::shared_ptr<const replication::TableInfo>>
      by_id_;  // GUARDED_BY(mutex_); the same tables as by_name_.
  std::unordered_set<replication::TableId> live_ids_;     // GUARDED_BY(mutex_)
  std::unordered_set<replication::TableId> dropped_ids_;  // GUARDED_BY(mutex_)
  uint64_t schema_version_ = 0;                           // GUARDED_BY(mutex_)
  uint64_t digest_ = 0;                                   // GUARDED_BY(mutex_)
};

}  // namespace pairdb::server
