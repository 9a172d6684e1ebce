#include "server/item_store.h"

#include <fmt/format.h>

#include <pairdb/lsm/iterator.h>

#include "common/assert.h"
#include "common/hash.h"

namespace pairdb::server {

std::mutex& ItemStore::stripe_for(std::string_view storage_key) {
  return stripes_[hash64(storage_key) % kLockStripes];
}

Result<replication::VersionRecord> ItemStore::read(const ItemAddress& address) {
  const std::string key =
      replication::encode_item_key(address.table, address.partition_key, address.sort_key);
  auto stored = db_->get(lsm::ReadOptions{}, key);
  if (!stored.is_ok()) {
    if (stored.status().is_not_found()) return replication::VersionRecord{};
    return stored.status();
  }
  return replication::decode_record(*stored);
}

Result<replication::WriteOutcome> ItemStore::write(const ItemAddress& address,
                                                   const replication::LocalWrite& write,
                                                   const replication::WritePolicy& policy,
                                                   replication::HlcTimestamp now,
                                                   uint64_t now_wall_ms) {
  const std::string key =
      replication::encode_item_key(address.table, address.partition_key, address.sort_key);
  std::lock_guard lock(stripe_for(key));
  replication::VersionRecord current;
  auto stored = db_->get(lsm::ReadOptions{}, key);
  if (stored.is_ok()) {
    PAIRDB_ASSIGN_OR_RETURN(current, replication::decode_record(*stored));
  } else if (!stored.status().is_not_found()) {
    return stored.status();
  }
  PAIRDB_ASSIGN_OR_RETURN(auto outcome,
                          replication::apply_write(current, write, self_, now, now_wall_ms, policy));
  if (!outcome.duplicate) {
    PAIRDB_TRY(db_->put(lsm::WriteOptions{}, key, replication::encode_record(outcome.record)));
  }
  return outcome;
}

Result<ScanPage> ItemStore::scan(const ScanRequest& request) {
  PAIRDB_ASSERT(request.limit > 0);
  PAIRDB_ASSERT(request.scanned_max > 0);
  const std::string prefix =
      replication::encode_partition_prefix(request.table, request.partition_key);
  std::string start = prefix;
  if (request.from_sort_key) {
    start = replication::encode_item_key(request.table, request.partition_key,
                                         *request.from_sort_key);
  }
  std::optional<std::string> after;
  if (request.after_sort_key) {
    after = replication::encode_item_key(request.table, request.partition_key,
                                         *request.after_sort_key);
    if (*after >= start) start = *after;
  }
  std::optional<std::string> end;  // Inclusive upper bound.
  if (request.to_sort_key) {
    end = replication::encode_item_key(request.table, request.partition_key, *request.to_sort_key);
  }

  ScanPage page;
  uint32_t scanned = 0;
  auto it = db_->new_iterator(lsm::ReadOptions{});
  for (it->seek(start); it->valid(); it->next()) {
    const std::string_view key = it->key();
    if (!key.starts_with(prefix)) break;
    if (end && key > *end) break;
    if (after && key == *after) continue;
    if (page.items.size() >= request.limit || scanned >= request.scanned_max) {
      // More remain: resume after the last key this page examined.
      PAIRDB_ASSERT(page.resume_after.has_value());
      return page;
    }
    ++scanned;
    PAIRDB_ASSIGN_OR_RETURN(auto parts, replication::decode_item_key(key));
    PAIRDB_ASSIGN_OR_RETURN(auto record, replication::decode_record(it->value()));
    auto view = replication::visible(record, request.now_wall_ms);
    page.resume_after = parts.sort_key;
    if (view.found()) page.items.push_back({std::move(parts.sort_key), std::move(view)});
  }
  PAIRDB_TRY(it->status());
  page.resume_after.reset();  // The partition (or the range) is exhausted.
  return page;
}

}  // namespace pairdb::server
