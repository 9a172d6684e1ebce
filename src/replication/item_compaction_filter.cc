#include "replication/item_compaction_filter.h"

#include <pairdb/replication/storage_key.h>
#include <pairdb/replication/version.h>

namespace pairdb::replication {

lsm::CompactionFilter::Decision ItemCompactionFilter::filter(int level, std::string_view key,
                                                             std::string_view value,
                                                             std::string* new_value) {
  const DroppedTables* tables = tables_.load(std::memory_order_acquire);
  if (tables == nullptr) return Decision::kKeep;
  auto table = table_of_key(key);
  // Keys this filter cannot parse, and the system table, are never its business.
  if (!table.is_ok() || *table == kSystemTableId) return Decision::kKeep;
  if (tables->is_dropped(*table)) {
    dropped_table_records_.fetch_add(1, std::memory_order_relaxed);
    return Decision::kRemove;
  }
  auto record = decode_record(value);
  if (!record.is_ok()) return Decision::kKeep;  // Reads report the corruption; keep evidence.
  const uint64_t now = clock_->wall_ms();
  const std::optional<uint64_t> dead = dead_since(*record, now);
  if (!dead) return Decision::kKeep;
  bool purge = policy_.grace_max_ms > 0 && is_purgeable(*record, now, policy_.grace_max_ms);
  if (!purge) {
    const RepairWatermarks* repairs = repairs_.load(std::memory_order_acquire);
    auto token = token_of_key(key);
    purge = repairs != nullptr && token.is_ok() &&
            *dead + policy_.repair_margin_ms < repairs->repaired_before(*table, *token);
  }
  if (purge) {
    purged_records_.fetch_add(1, std::memory_order_relaxed);
    return Decision::kRemove;
  }
  return Decision::kKeep;
}

}  // namespace pairdb::replication
