// ReplicaStore: this node's copy of the items it replicates, as version records keyed by storage
// key in the LSM. It is the replica side of replication, and its four calls are what any
// coordinator uses, local or remote:
//   - apply_write: a coordinated client write; this replica mints the new dot (only a replica of
//     the key ever mints one);
//   - merge: a record received from a peer (replication, read repair, hints, anti-entropy),
//     joined into the stored one by merge, so duplicates, retries and reordering
//     leave the same result;
//   - read and scan.
//
// Thread-safe. Every read-modify-write of one item runs under one of kLockStripes mutexes
// chosen by the item's storage key, so concurrent writes to one item never lose each other;
// writes to different items proceed in parallel and share the WAL's group commit.
// Invariant: a stored value is always an encoded VersionRecord that passes validate_record.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <pairdb/lsm/db.h>
#include <pairdb/replication/hlc.h>
#include <pairdb/replication/storage_key.h>
#include <pairdb/replication/version.h>
#include <pairdb/ring/types.h>

namespace pairdb::replication {

struct ItemAddress {
  TableId table = 0;
  std::string_view partition_key;
  std::string_view sort_key;
};

struct ScanRequest {
  TableId table = 0;
  std::string_view partition_key;
  std::optional<std::string> from_sort_key;   // Inclusive.
  std::optional<std::string> to_sort_key;     // Inclusive.
  std::optional<std::string> after_sort_key;  // Exclusive resume point (paging).
  uint32_t limit = 0;                         // Items returned; > 0.
  uint32_t scanned_max = 0;                   // Records examined, live or not; > 0.
  uint64_t now_wall_ms = 0;
  // False (a client's query): only items with something live are returned, as views. True (a
  // coordinator merging replicas' pages): every record examined, dead ones included (a
  // tombstone here must supersede a value another replica still holds), with its record.
  bool records = false;
};

struct ScannedItem {
  std::string sort_key;
  ItemView view;
  VersionRecord record;  // Set when ScanRequest::records.
};

struct ScanPage {
  std::vector<ScannedItem> items;
  // Set when the partition may hold more items past the last examined sort key.
  std::optional<std::string> resume_after;
};

// What merge() did to the stored record.
struct MergeOutcome {
  VersionRecord record;  // The stored record after the merge.
  bool changed = false;  // False when the incoming record added nothing (nothing was written).
};

class ReplicaStore {
 public:
  // `db` must outlive the store. `self` is the node id this replica mints dots with.
  ReplicaStore(lsm::DB* db, const ring::NodeId& self) : db_(db), self_(self) {}

  // An empty record when the item was never written (or was purged).
  Result<VersionRecord> read(const ItemAddress& address);
  // read() answered from memory alone (lsm::ReadOptions::memory_only); nullopt when the answer
  // needs the disk. Never waits for the disk.
  Result<std::optional<VersionRecord>> read_in_memory(const ItemAddress& address);
  // read_in_memory() calls that memory answered, and those left to a read from the tables.
  uint64_t memory_reads_answered() const { return memory_answered_.load(); }
  uint64_t memory_reads_deferred() const { return memory_deferred_.load(); }
  // Applies a coordinated client write (see apply_write) and persists the result
  // unless it was an idempotent duplicate.
  Result<WriteOutcome> apply_write(const ItemAddress& address, const LocalWrite& write,
                                   const WritePolicy& policy, HlcTimestamp now,
                                   uint64_t now_wall_ms);
  // Joins `incoming` into the stored record (merge under `mode`) and persists the
  // join when it differs from what was stored. Status::corruption for an incoming record that
  // fails validate_record: a peer's bytes are never trusted.
  Result<MergeOutcome> merge(const ItemAddress& address, const VersionRecord& incoming,
                             ConflictMode mode);
  Result<ScanPage> scan(const ScanRequest& request);

 private:
  static constexpr size_t kLockStripes = 256;
  std::mutex& stripe_for(std::string_view storage_key);
  // The stored record under `key` (empty when absent). REQUIRES: the key's stripe is held.
  Result<VersionRecord> load(const std::string& key);

  lsm::DB* const db_;
  const ring::NodeId self_;
  std::array<std::mutex, kLockStripes> stripes_;  // Serialize read-modify-write per item.
  std::atomic<uint64_t> memory_answered_{0};
  std::atomic<uint64_t> memory_deferred_{0};
};

}  // namespace pairdb::replication
