// RepairHistory: per table and token range, the last anti-entropy session that included every
// replica of the range — when it started and completed, and how many records differed. It is
// what the background scheduler reads ("last verified"), what `pairdb-admin repair status`
// shows, and what the tombstone purge relies on: a record dead since before the last such
// repair of its token started is held by every replica (repair_watermark).
//
// Persisted in the node's LSM under the system table (one synced record per (table, range), so a
// completed repair survives a crash once recorded), loaded at open. Ranges recorded under an older
// ring layout may overlap newer ones; for each token, the entry whose repair started last wins.
//
// Thread-safe: record() from any thread; lookups (called by compaction threads per record) take a
// snapshot of the immutable index under a short lock.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <tuple>
#include <vector>

#include <pairdb/lsm/db.h>
#include <pairdb/replication/storage_key.h>
#include <pairdb/ring/types.h>
#include <pairdb/status.h>

#include "replication/item_compaction_filter.h"
#include "replication/repair_protocol.h"
#include "replication/repair_responder.h"

namespace pairdb::replication {

struct RepairHistoryEntry {
  TableId table = 0;
  ring::TokenRange range;
  uint64_t started_wall_ms = 0;
  uint64_t completed_wall_ms = 0;
  uint64_t records_differing = 0;
  uint32_t replicas = 0;
  bool operator==(const RepairHistoryEntry&) const = default;
};

// What the history says of a whole range: the oldest of its tokens' last repairs (0 when some
// token was never repaired).
struct RangeVerification {
  uint64_t started_wall_ms = 0;
  uint64_t completed_wall_ms = 0;
  uint64_t records_differing = 0;  // Of the latest repair that covered part of the range.
};

class RepairHistory final : public RepairListener, public RepairWatermarks {
 public:
  // Loads every entry. REQUIRES: db and clock outlive the history.
  static Result<std::unique_ptr<RepairHistory>> open(lsm::DB* db, const Clock* clock);

  // Records a completed repair (durably) at `completed_wall_ms`.
  Status record(const RepairDoneRequest& done, uint64_t completed_wall_ms);
  // RepairListener: a peer's session completed; recorded at the clock's wall time.
  Status on_repair_done(const RepairDoneRequest& done) override;
  // Forgets a dropped table's entries.
  Status forget_table(TableId table);

  // RepairWatermarks: when the last complete repair covering `token` of `table` started; 0 if none.
  uint64_t repaired_before(TableId table, ring::Token token) const override;
  RangeVerification verification(TableId table, const ring::TokenRange& range) const;
  std::vector<RepairHistoryEntry> entries() const;

 private:
  struct Segment {
    ring::Token last = 0;  // Inclusive.
    uint64_t started_wall_ms = 0;
    uint64_t completed_wall_ms = 0;
    uint64_t records_differing = 0;
  };
  using TableIndex = std::map<ring::Token, Segment>;  // By first token; disjoint segments.
  using Index = std::map<TableId, TableIndex>;
  using EntryKey = std::tuple<TableId, ring::Token, ring::Token>;

  RepairHistory(lsm::DB* db, const Clock* clock) : db_(db), clock_(clock) {}
  void rebuild_locked();  // REQUIRES: mu_ held.
  std::shared_ptr<const Index> snapshot() const;

  lsm::DB* const db_;
  const Clock* const clock_;
  mutable std::mutex mu_;
  std::map<EntryKey, RepairHistoryEntry> entries_;  // Guarded by mu_.
  std::shared_ptr<const Index> index_;              // Guarded by mu_ (the pointer).
};

}  // namespace pairdb::replication
