// HintStore: the hints this node holds for other replicas (hinted handoff), durable in an LSM
// instance of their own, and the token ranges that need repair because a hint could not be
// kept.
//
// A hint is a full version record for one item, addressed to the replica that missed it. It is
// delivered by merging it at the target (ReplicaStore::merge, a join), so delivering one twice
// is the same as once, and hints for one item need no ordering among themselves. Hints are kept
// per target in the order they were stored (a sequence number), and delivery walks them in that
// order.
//
// Layout in the hints engine:
//   'h' | target node id (16 bytes) | seq (u64 big-endian)   -> encoded hint
//   'r' | table id (u64 big-endian) | bucket (u8)             -> RepairMark
// A repair mark names one of kRepairBuckets equal token ranges of one table (the top byte of
// the token), so marks stay bounded however many hints are dropped; the anti-entropy issue
// repairs those ranges first.
//
// Bounds: add() refuses a hint that would take its target past `max_bytes_per_target` or the
// store past `max_bytes_total` (Status::overloaded), and records the item's range as
// needing repair; so does every later drop (truncate, a removed target). A hint whose record
// has expired everywhere is dropped without a mark (there is nothing left to repair).
//
// Thread-safe: the engine is, and the in-memory accounting is guarded by mutex_.
// Invariants: per-target count and bytes equal what the engine holds for that target (rebuilt by
// open()); every seq handed out is greater than every seq stored before, across restarts.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <pairdb/lsm/db.h>
#include <pairdb/replication/storage_key.h>
#include <pairdb/replication/version.h>
#include <pairdb/ring/types.h>
#include <pairdb/status.h>

namespace pairdb::replication {

inline constexpr size_t kRepairBuckets = 256;

// One hint: an item's version record (encode_record bytes) for the replica `target`.
struct Hint {
  ring::NodeId target;
  TableId table = 0;
  std::string partition_key;
  std::string sort_key;
  std::string record;
  uint64_t created_wall_ms = 0;
  // Wall ms after which every version in the record has expired (0 = never): delivering it
  // after that changes nothing a reader sees.
  uint64_t expires_at_ms = 0;

  bool operator==(const Hint&) const = default;
};

struct StoredHint {
  uint64_t seq = 0;
  Hint hint;
  size_t bytes = 0;  // Key and value in the engine: what the caps count.
};

// Why a hint was not kept. The names are metric labels.
enum class HintDropReason : uint8_t {
  kTargetCap,     // The target's byte cap was reached.
  kTotalCap,      // The store's byte cap was reached.
  kWindow,        // The target had been dead longer than the hint window.
  kTruncated,     // An operator truncated the target's hints.
  kTargetGone,    // The target left the ring.
  kTableDropped,  // The table was dropped (no repair needed).
  kExpired,       // Every version had expired (no repair needed).
  kUnwritable,    // The engine refused the write (disk full, I/O error).
};
inline constexpr size_t kHintDropReasons = 8;
std::string_view hint_drop_reason_name(HintDropReason reason);
// Whether a drop for this reason leaves data that only repair can bring back.
bool needs_repair(HintDropReason reason);

// A token range of one table that needs repair: [range_start, range_end] inclusive.
struct RepairMark {
  TableId table = 0;
  uint8_t bucket = 0;
  ring::Token range_start = 0;
  ring::Token range_end = 0;
  HintDropReason reason = HintDropReason::kTargetCap;  // The latest one.
  uint64_t marked_wall_ms = 0;                         // The latest time.
  uint64_t hints_dropped = 0;                          // Since the mark was made.
};

struct TargetHints {
  ring::NodeId target;
  uint64_t count = 0;
  uint64_t bytes = 0;
  uint64_t oldest_created_wall_ms = 0;  // 0 when none are held.
};

struct HintStoreOptions {
  uint64_t max_bytes_per_target = 256ull << 20;
  uint64_t max_bytes_total = 1ull << 30;
};

class HintStore {
 public:
  // Opens the store over `db` (which must outlive it): scans the engine once to rebuild the
  // per-target accounting and the next sequence number. Status from the engine; corruption for
  // a hint key that is not one.
  static Result<std::unique_ptr<HintStore>> open(lsm::DB* db, HintStoreOptions options);

  // Stores a hint durably under the engine's sync policy. Status::overloaded past a
  // cap (the range is marked for repair), or the engine's error (likewise marked).
  Result<uint64_t> add(const Hint& hint);

  // Up to `max_count` hints for `target` with seq > after_seq, in seq order, stopping once
  // `max_bytes` are collected (at least one is returned when any is left).
  Result<std::vector<StoredHint>> peek(const ring::NodeId& target, uint64_t after_seq,
                                       size_t max_count, size_t max_bytes) const;
  // Deletes one delivered hint. Removing one already gone is a no-op.
  Status remove(const ring::NodeId& target, uint64_t seq);
  // Deletes one hint that will not be delivered, counting it under `reason` and marking its
  // range for repair when the reason needs it.
  Status drop(const ring::NodeId& target, const StoredHint& hint, HintDropReason reason,
              uint64_t now_wall_ms);
  // Drops every hint for `target` (operator truncate, or the target left the ring). Returns how
  // many were dropped.
  Result<uint64_t> drop_all(const ring::NodeId& target, HintDropReason reason,
                            uint64_t now_wall_ms);
  // Records the item's range as needing repair without a hint (a hint that was never made).
  Status mark_for_repair(TableId table, ring::Token token, HintDropReason reason,
                         uint64_t now_wall_ms);

  std::vector<TargetHints> targets() const;          // Every target with hints held, by id.
  TargetHints target(const ring::NodeId& id) const;  // Reads the oldest hint's time.
  uint64_t count(const ring::NodeId& id) const;      // Hints held for `id`; no I/O.
  std::vector<ring::NodeId> held_targets() const;    // Targets with hints held; no I/O.
  uint64_t total_bytes() const;
  Result<std::vector<RepairMark>> repair_marks() const;
  // Forgets the marks of `table` (the repair is done, or the table was dropped).
  Status clear_repair_marks(TableId table);
  // Forgets one mark (a repair covered its bucket after it was made), unless it was renewed
  // since: only while its marked_wall_ms is still `marked_wall_ms`.
  Status clear_repair_mark(TableId table, uint8_t bucket, uint64_t marked_wall_ms);

  // Totals since open, per reason.
  uint64_t stored() const;
  uint64_t delivered() const;
  uint64_t dropped(HintDropReason reason) const;

 private:
  HintStore(lsm::DB* db, HintStoreOptions options) : db_(db), options_(options) {}
  // Marks the token's range (one more hint dropped there). REQUIRES: mutex_ held.
  Status mark_locked(TableId table, ring::Token token, HintDropReason reason, uint64_t now_wall_ms);
  void forget_locked(const ring::NodeId& target, size_t bytes);

  struct Accounting {
    uint64_t count = 0;
    uint64_t bytes = 0;
  };

  lsm::DB* const db_;
  const HintStoreOptions options_;
  mutable std::mutex mutex_;
  std::map<ring::NodeId, Accounting> targets_;  // GUARDED_BY(mutex_)
  uint64_t total_bytes_ = 0;                    // GUARDED_BY(mutex_)
  uint64_t next_seq_ = 1;                       // GUARDED_BY(mutex_)
  uint64_t stored_ = 0;                         // GUARDED_BY(mutex_)
  uint64_t delivered_ = 0;                      // GUARDED_BY(mutex_)
  uint64_t dropped_[kHintDropReasons] = {};     // GUARDED_BY(mutex_)
};

// The codec of one hint's value, exposed for tests and fuzzing. decode_hint is
// Status::corruption for anything encode_hint could not have produced.
std::string encode_hint(const Hint& hint);
Result<Hint> decode_hint(const ring::NodeId& target, std::string_view bytes);
// The key of one hint, and the [begin, end) range of every key of `target`.
std::string hint_key(const ring::NodeId& target, uint64_t seq);
std::string hint_target_begin(const ring::NodeId& target);
std::string hint_target_end(const ring::NodeId& target);

// When every version of `record` has expired (0 = some never does, or a tombstone is held).
uint64_t record_expiry_ms(const VersionRecord& record);

// The hint of one item's record for `target`, created now; `encoded` is encode_record(record).
Hint make_hint(const ring::NodeId& target, TableId table, std::string partition_key,
               std::string sort_key, std::string encoded, const VersionRecord& record,
               uint64_t now_wall_ms);

}  // namespace pairdb::replication
