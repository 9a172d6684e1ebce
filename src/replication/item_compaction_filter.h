// Compaction filter for the node's item data: drops every record of a dropped table (so a drop
// writes no per-item tombstones), and records whose siblings are all tombstones or expired
// values once the tombstone grace period has passed. Other records are kept unchanged.
//
// Thread-safe (called from compaction threads). The table directory (the server's catalog) is
// attached after the database opens, since it is stored in that database; until then
// everything is kept.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>

#include <pairdb/lsm/options.h>
#include <pairdb/replication/storage_key.h>

#include "common/clock.h"

namespace pairdb::replication {

// What the filter asks of the table catalog; implemented by server::Catalog.
class DroppedTables {
 public:
  virtual ~DroppedTables() = default;
  // Whether `id` belongs to a dropped table. Called for every compacted record: must be cheap
  // and thread-safe.
  virtual bool is_dropped(TableId id) const = 0;
};

class ItemCompactionFilter final : public lsm::CompactionFilter {
 public:
  // REQUIRES: `clock` outlives the filter (its wall time decides what is past the grace).
  ItemCompactionFilter(uint64_t tombstone_grace_ms, const Clock* clock)
      : tombstone_grace_ms_(tombstone_grace_ms), clock_(clock) {}

  // REQUIRES: `tables` outlives every later compaction (detach before destroying it).
  void attach(const DroppedTables* tables) { tables_.store(tables, std::memory_order_release); }

  Decision filter(int level, std::string_view key, std::string_view value,
                  std::string* new_value) override;
  std::string_view name() const override { return "pairdb.items"; }

  uint64_t dropped_table_records() const { return dropped_table_records_.load(); }
  uint64_t purged_records() const { return purged_records_.load(); }

 private:
  const uint64_t tombstone_grace_ms_;
  const Clock* const clock_;
  std::atomic<const DroppedTables*> tables_{nullptr};
  std::atomic<uint64_t> dropped_table_records_{0};
  std::atomic<uint64_t> purged_records_{0};
};

}  // namespace pairdb::replication
