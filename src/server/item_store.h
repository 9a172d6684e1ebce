// The node's local replica storage: version records of items, keyed by storage key, in the LSM.
//
// Thread-safe. Every read-modify-write of one item runs under one of kLockStripes mutexes
// chosen by the item's storage key, so concurrent writes to one item never lose each other;
// writes to different items proceed in parallel and share the WAL's group commit.
// Invariant: a stored value is always an encoded VersionRecord.
#pragma once

#include <array>
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

namespace pairdb::server {

struct ItemAddress {
  replication::TableId table = 0;
  std::string_view partition_key;
  std::string_view sort_key;
};

struct ScanRequest {
  replication::TableId table = 0;
  std::string_view partition_key;
  std::optional<std::string> from_sort_key;  // Inclusive.
  std::optional<std::string> to_sort_key;    // Inclusive.
  std::optional<std::string> after_sort_key;  // Exclusive resume point (paging).
  uint32_t limit = 0;                          // Items with something live; > 0.
  uint32_t scanned_max = 0;                    // Records examined, live or not; > 0.
  uint64_t now_wall_ms = 0;
};

struct ScannedItem {
  std::string sort_key;
  replication::ItemView view;
};

struct ScanPage {
  std::vector<ScannedItem> items;
  // Set when the partition may hold more items past the last examined sort key.
  std::optional<std::string> resume_after;
};

class ItemStore {
 public:
  // `db` must outlive the store.
  ItemStore(lsm::DB* db, const ring::NodeId& self) : db_(db), self_(self) {}

  // An empty record when the item was never written (or was purged).
  Result<replication::VersionRecord> read(const ItemAddress& address);
  // Applies a coordinated client write (see replication::apply_write) and persists the result
  // unless it was an idempotent duplicate.
  Result<replication::WriteOutcome> write(const ItemAddress& address,
                                          const replication::LocalWrite& write,
                                          const replication::WritePolicy& policy,
                                          replication::HlcTimestamp now, uint64_t now_wall_ms);
  Result<ScanPage> scan(const ScanRequest& request);

 private:
  static constexpr size_t kLockStripes = 256;
  std::mutex& stripe_for(std::string_view storage_key);

  lsm::DB* const db_;
  const ring::NodeId self_;
  std::array<std::mutex, kLockStripes> stripes_;  // Serialize read-modify-write per item.
};

}  // namespace pairdb::server
