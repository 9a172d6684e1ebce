#include "replication/repair_storage.h"

#include <memory>
#include <utility>
#include <vector>

#include <pairdb/lsm/iterator.h>

#include "common/hash.h"

namespace pairdb::replication {

namespace {

constexpr uint64_t kKeyHashSeed = 0x7265706169726b68ULL;

}  // namespace

std::vector<std::pair<std::string, std::string>> repair_key_spans(TableId table,
                                                                  const ring::TokenRange& range) {
  const auto upto = [&](ring::Token last) {  // Exclusive end of tokens <= last.
    return last == UINT64_MAX ? table_end(table) : encode_token_range_start(table, last + 1);
  };
  std::vector<std::pair<std::string, std::string>> spans;
  if (range.start == range.end) {
    spans.emplace_back(encode_table_prefix(table), table_end(table));
  } else if (range.start < range.end) {
    spans.emplace_back(encode_token_range_start(table, range.start + 1), upto(range.end));
  } else {
    if (range.start != UINT64_MAX) {
      spans.emplace_back(encode_token_range_start(table, range.start + 1), table_end(table));
    }
    spans.emplace_back(encode_table_prefix(table), upto(range.end));
  }
  return spans;
}

uint64_t stored_record_digest(std::string_view record_bytes) { return hash64(record_bytes); }

uint64_t storage_key_hash(std::string_view storage_key) {
  return hash64(storage_key, kKeyHashSeed);
}

Status ReplicaRepairStorage::scan(TableId table, const ring::TokenRange& range,
                                  const RepairRecordVisitor& visit) {
  for (const auto& [begin, end] : repair_key_spans(table, range)) {
    std::unique_ptr<lsm::Iterator> it = db_->new_iterator(lsm::ReadOptions{});
    for (it->seek(begin); it->valid() && it->key() < end; it->next()) {
      PAIRDB_ASSIGN_OR_RETURN(ring::Token token, token_of_key(it->key()));
      PAIRDB_TRY(visit(token, it->key(), it->value()));
    }
    PAIRDB_TRY(it->status());
  }
  return Status::ok();
}

Result<std::optional<std::string>> ReplicaRepairStorage::read(std::string_view storage_key) {
  auto value = db_->get(lsm::ReadOptions{}, storage_key);
  if (value.is_ok()) return std::optional<std::string>(std::move(value).value());
  if (value.status().is_not_found()) return std::optional<std::string>();
  return value.status();
}

Result<bool> ReplicaRepairStorage::merge(std::string_view storage_key, std::string_view record,
                                         ConflictMode mode) {
  auto parts = decode_item_key(storage_key);
  if (!parts.is_ok()) return parts.status().with_context("repaired key");
  auto incoming = decode_record(record);
  if (!incoming.is_ok()) return incoming.status().with_context("repaired record");
  PAIRDB_ASSIGN_OR_RETURN(
      MergeOutcome outcome,
      store_->merge(ItemAddress{parts->table, parts->partition_key, parts->sort_key}, *incoming,
                    mode));
  return outcome.changed;
}

Status ReplicaRepairStorage::sync() {
  static const std::string kSyncKey = encode_item_key(kSystemTableId, "repair.sync", "");
  lsm::WriteOptions options;
  options.sync = true;
  return db_->put(options, kSyncKey, "");
}

}  // namespace pairdb::replication
