#include "replication/replica_store.h"

#include <fmt/format.h>

#include <pairdb/lsm/iterator.h>

#include "common/assert.h"
#include "common/hash.h"

namespace pairdb::replication {

std::mutex& ReplicaStore::stripe_for(std::string_view storage_key) {
  return stripes_[hash64(storage_key) % kLockStripes];
}

Result<VersionRecord> ReplicaStore::load(const std::string& key) {
  auto stored = db_->get(lsm::ReadOptions{}, key);
  if (!stored.is_ok()) {
    if (stored.status().is_not_found()) return VersionRecord{};
    return stored.status();
  }
  return decode_record(*stored);
}

Result<VersionRecord> ReplicaStore::read(const ItemAddress& address) {
  return load(encode_item_key(address.table, address.partition_key, address.sort_key));
}

Result<std::optional<VersionRecord>> ReplicaStore::read_in_memory(const ItemAddress& address) {
  lsm::ReadOptions from_memory;
  from_memory.memory_only = true;
  auto stored = db_->get(from_memory,
                         encode_item_key(address.table, address.partition_key, address.sort_key));
  if (!stored.is_ok()) {
    if (stored.status().code() == StatusCode::kBusy) {
      memory_deferred_.fetch_add(1, std::memory_order_relaxed);
      return std::optional<VersionRecord>();
    }
    if (!stored.status().is_not_found()) return stored.status();
    memory_answered_.fetch_add(1, std::memory_order_relaxed);
    return std::optional<VersionRecord>(VersionRecord{});
  }
  PAIRDB_ASSIGN_OR_RETURN(VersionRecord record, decode_record(*stored));
  memory_answered_.fetch_add(1, std::memory_order_relaxed);
  return std::optional<VersionRecord>(std::move(record));
}

Result<WriteOutcome> ReplicaStore::apply_write(const ItemAddress& address, const LocalWrite& write,
                                               const WritePolicy& policy, HlcTimestamp now,
                                               uint64_t now_wall_ms) {
  const std::string key = encode_item_key(address.table, address.partition_key, address.sort_key);
  std::lock_guard lock(stripe_for(key));
  PAIRDB_ASSIGN_OR_RETURN(VersionRecord current, load(key));
  PAIRDB_ASSIGN_OR_RETURN(
      auto outcome, replication::apply_write(current, write, self_, now, now_wall_ms, policy));
  if (!outcome.duplicate) {
    PAIRDB_TRY(db_->put(lsm::WriteOptions{}, key, encode_record(outcome.record)));
  }
  return outcome;
}

Result<MergeOutcome> ReplicaStore::merge(const ItemAddress& address, const VersionRecord& incoming,
                                         ConflictMode mode) {
  PAIRDB_TRY(validate_record(incoming).with_context("record from a peer"));
  const std::string key = encode_item_key(address.table, address.partition_key, address.sort_key);
  std::lock_guard lock(stripe_for(key));
  PAIRDB_ASSIGN_OR_RETURN(VersionRecord current, load(key));
  MergeOutcome outcome;
  outcome.record = replication::merge(current, incoming, mode);
  outcome.changed = !(outcome.record == current);
  if (outcome.changed) {
    PAIRDB_TRY(db_->put(lsm::WriteOptions{}, key, encode_record(outcome.record)));
  }
  PAIRDB_DASSERT(validate_record(outcome.record).is_ok());
  return outcome;
}

Result<ScanPage> ReplicaStore::scan(const ScanRequest& request) {
  PAIRDB_ASSERT(request.limit > 0);
  PAIRDB_ASSERT(request.scanned_max > 0);
  const std::string prefix = encode_partition_prefix(request.table, request.partition_key);
  std::string start = prefix;
  if (request.from_sort_key) {
    start = encode_item_key(request.table, request.partition_key, *request.from_sort_key);
  }
  std::optional<std::string> after;
  if (request.after_sort_key) {
    after = encode_item_key(request.table, request.partition_key, *request.after_sort_key);
    if (*after >= start) start = *after;
  }
  std::optional<std::string> end;  // Inclusive upper bound.
  if (request.to_sort_key) {
    end = encode_item_key(request.table, request.partition_key, *request.to_sort_key);
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
    PAIRDB_ASSIGN_OR_RETURN(auto parts, decode_item_key(key));
    PAIRDB_ASSIGN_OR_RETURN(auto record, decode_record(it->value()));
    auto view = visible(record, request.now_wall_ms);
    page.resume_after = parts.sort_key;
    if (request.records) {
      page.items.push_back({std::move(parts.sort_key), std::move(view), std::move(record)});
    } else if (view.found()) {
      page.items.push_back({std::move(parts.sort_key), std::move(view), {}});
    }
  }
  PAIRDB_TRY(it->status());
  page.resume_after.reset();  // The partition (or the range) is exhausted.
  return page;
}

}  // namespace pairdb::replication
