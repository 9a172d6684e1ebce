// Compaction filter for the node's item data: drops every record of a dropped table (so a drop
// writes no per-item tombstones), and purges records whose siblings are all tombstones or
// expired values once it is safe. Other records are kept unchanged.
//
// When a dead record may go (the tombstone purge rule): dropping a record drops its causal
// context, so a replica that missed the delete would bring the old value back through read repair
// or anti-entropy. A record dead since time d is therefore purged only once a repair that included
// every replica of its range started after d + repair_margin_ms (RepairWatermarks): that repair
// handed the tombstone to every replica. The margin covers clock skew between the coordinator that
// stamped the tombstone and the node that started the repair, and writes still in flight when it
// started. Optionally (grace_max_ms > 0) a record dead for grace_max_ms is purged even without
// such a repair: the old fixed-grace rule, which an operator may prefer to unbounded tombstones.
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
#include <pairdb/ring/types.h>

#include "common/clock.h"

namespace pairdb::replication {

// When the last repair of a token's range that included every replica started (wall ms, 0 if
// never); implemented by RepairHistory. Called per compacted dead record: cheap, thread-safe.
class RepairWatermarks {
 public:
  virtual ~RepairWatermarks() = default;
  virtual uint64_t repaired_before(TableId table, ring::Token token) const = 0;
};

struct PurgePolicy {
  uint64_t grace_max_ms = 0;                // 0 = only after a repair.
  uint64_t repair_margin_ms = 10 * 60'000;  // See the file comment.
};

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
  ItemCompactionFilter(PurgePolicy policy, const Clock* clock) : policy_(policy), clock_(clock) {}

  // REQUIRES: `tables` outlives every later compaction (detach before destroying it).
  void attach(const DroppedTables* tables) { tables_.store(tables, std::memory_order_release); }
  // The repair history; until attached, only grace_max_ms purges. Same lifetime rule.
  void attach_repairs(const RepairWatermarks* repairs) {
    repairs_.store(repairs, std::memory_order_release);
  }

  Decision filter(int level, std::string_view key, std::string_view value,
                  std::string* new_value) override;
  std::string_view name() const override { return "pairdb.items"; }

  uint64_t dropped_table_records() const { return dropped_table_records_.load(); }
  uint64_t purged_records() const { return purged_records_.load(); }

 private:
  const PurgePolicy policy_;
  const Clock* const clock_;
  std::atomic<const DroppedTables*> tables_{nullptr};
  std::atomic<const RepairWatermarks*> repairs_{nullptr};
  std::atomic<uint64_t> dropped_table_records_{0};
  std::atomic<uint64_t> purged_records_{0};
};

}  // namespace pairdb::replication
