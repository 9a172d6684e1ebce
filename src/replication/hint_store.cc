// HintStore (see hint_store.h).
#include "replication/hint_store.h"

#include <fmt/format.h>

#include <algorithm>

#include <pairdb/lsm/iterator.h>
#include <pairdb/lsm/write_batch.h>
#include <pairdb/ring/hash_ring.h>

#include "common/coding.h"

namespace pairdb::replication {

namespace {

constexpr char kHintTag = 'h';
constexpr char kMarkTag = 'r';
constexpr uint8_t kHintFormatVersion = 1;
constexpr size_t kHintKeyBytes = 1 + 16 + 8;
constexpr size_t kMarkKeyBytes = 1 + 8 + 1;

std::string target_prefix(const ring::NodeId& target) {
  std::string key(1, kHintTag);
  key.append(reinterpret_cast<const char*>(target.bytes.data()), target.bytes.size());
  return key;
}

std::string mark_key(TableId table, uint8_t bucket) {
  std::string key(1, kMarkTag);
  put_big_endian64(&key, table);
  key.push_back(static_cast<char>(bucket));
  return key;
}

uint8_t bucket_of(ring::Token token) { return static_cast<uint8_t>(token >> 56); }

ring::Token bucket_start(uint8_t bucket) { return static_cast<ring::Token>(bucket) << 56; }
ring::Token bucket_end(uint8_t bucket) { return bucket_start(bucket) | ((1ull << 56) - 1); }

std::string encode_mark(const RepairMark& mark) {
  std::string out;
  out.push_back(static_cast<char>(mark.reason));
  put_varint64(&out, mark.marked_wall_ms);
  put_varint64(&out, mark.hints_dropped);
  return out;
}

Result<RepairMark> decode_mark(std::string_view key, std::string_view value) {
  if (key.size() != kMarkKeyBytes || key[0] != kMarkTag || value.empty() ||
      static_cast<uint8_t>(value[0]) >= kHintDropReasons) {
    return Status::corruption("hint store: a malformed repair mark");
  }
  RepairMark mark;
  mark.table = get_big_endian64(key.substr(1, 8));
  mark.bucket = static_cast<uint8_t>(key[9]);
  mark.range_start = bucket_start(mark.bucket);
  mark.range_end = bucket_end(mark.bucket);
  mark.reason = static_cast<HintDropReason>(value[0]);
  value.remove_prefix(1);
  if (!get_varint64(&value, &mark.marked_wall_ms) || !get_varint64(&value, &mark.hints_dropped) ||
      !value.empty()) {
    return Status::corruption("hint store: a malformed repair mark");
  }
  return mark;
}

}  // namespace

std::string_view hint_drop_reason_name(HintDropReason reason) {
  switch (reason) {
    case HintDropReason::kTargetCap:
      return "target_cap";
    case HintDropReason::kTotalCap:
      return "total_cap";
    case HintDropReason::kWindow:
      return "window";
    case HintDropReason::kTruncated:
      return "truncated";
    case HintDropReason::kTargetGone:
      return "target_gone";
    case HintDropReason::kTableDropped:
      return "table_dropped";
    case HintDropReason::kExpired:
      return "expired";
    case HintDropReason::kUnwritable:
      return "unwritable";
  }
  return "unknown";
}

bool needs_repair(HintDropReason reason) {
  return reason != HintDropReason::kTableDropped && reason != HintDropReason::kExpired;
}

uint64_t record_expiry_ms(const VersionRecord& record) {
  uint64_t latest = 0;
  for (const Sibling& sibling : record.siblings) {
    if (sibling.tombstone || sibling.expires_at_ms == 0) return 0;
    latest = std::max(latest, sibling.expires_at_ms);
  }
  return latest;
}

Hint make_hint(const ring::NodeId& target, TableId table, std::string partition_key,
               std::string sort_key, std::string encoded, const VersionRecord& record,
               uint64_t now_wall_ms) {
  Hint hint;
  hint.target = target;
  hint.table = table;
  hint.partition_key = std::move(partition_key);
  hint.sort_key = std::move(sort_key);
  hint.record = std::move(encoded);
  hint.created_wall_ms = now_wall_ms;
  hint.expires_at_ms = record_expiry_ms(record);
  return hint;
}

std::string hint_key(const ring::NodeId& target, uint64_t seq) {
  std::string key = target_prefix(target);
  put_big_endian64(&key, seq);
  return key;
}

std::string hint_target_begin(const ring::NodeId& target) { return target_prefix(target); }

std::string hint_target_end(const ring::NodeId& target) {
  return hint_key(target, UINT64_MAX) + '\0';
}

std::string encode_hint(const Hint& hint) {
  std::string out;
  out.push_back(static_cast<char>(kHintFormatVersion));
  put_varint64(&out, hint.table);
  put_length_prefixed(&out, hint.partition_key);
  put_length_prefixed(&out, hint.sort_key);
  put_varint64(&out, hint.created_wall_ms);
  put_varint64(&out, hint.expires_at_ms);
  put_length_prefixed(&out, hint.record);
  return out;
}

Result<Hint> decode_hint(const ring::NodeId& target, std::string_view bytes) {
  Hint hint;
  hint.target = target;
  std::string_view partition_key;
  std::string_view sort_key;
  std::string_view record;
  if (bytes.empty() || static_cast<uint8_t>(bytes[0]) != kHintFormatVersion) {
    return Status::corruption("hint store: a hint of an unknown format");
  }
  bytes.remove_prefix(1);
  if (!get_varint64(&bytes, &hint.table) || !get_length_prefixed(&bytes, &partition_key) ||
      !get_length_prefixed(&bytes, &sort_key) || !get_varint64(&bytes, &hint.created_wall_ms) ||
      !get_varint64(&bytes, &hint.expires_at_ms) || !get_length_prefixed(&bytes, &record) ||
      !bytes.empty() || hint.table == kSystemTableId || hint.table > kTableIdMax ||
      record.empty()) {
    return Status::corruption("hint store: a malformed hint");
  }
  hint.partition_key = partition_key;
  hint.sort_key = sort_key;
  hint.record = record;
  return hint;
}

Result<std::unique_ptr<HintStore>> HintStore::open(lsm::DB* db, HintStoreOptions options) {
  std::unique_ptr<HintStore> store(new HintStore(db, options));
  auto it = db->new_iterator({});
  const std::string begin(1, kHintTag);
  for (it->seek(begin); it->valid() && it->key()[0] == kHintTag; it->next()) {
    const std::string_view key = it->key();
    if (key.size() != kHintKeyBytes) return Status::corruption("hint store: a malformed hint key");
    ring::NodeId target;
    std::copy(key.begin() + 1, key.begin() + 17, reinterpret_cast<char*>(target.bytes.data()));
    const uint64_t seq = get_big_endian64(key.substr(17));
    Accounting& a = store->targets_[target];
    ++a.count;
    a.bytes += key.size() + it->value().size();
    store->total_bytes_ += key.size() + it->value().size();
    store->next_seq_ = std::max(store->next_seq_, seq + 1);
  }
  PAIRDB_TRY(it->status());
  return store;
}

Result<uint64_t> HintStore::add(const Hint& hint) {
  const std::string value = encode_hint(hint);
  std::unique_lock lock(mutex_);
  const uint64_t seq = next_seq_++;
  const std::string key = hint_key(hint.target, seq);
  const size_t bytes = key.size() + value.size();
  const ring::Token token = ring::HashRing::token_of(hint.partition_key);
  Accounting& a = targets_[hint.target];
  std::optional<HintDropReason> refused;
  if (a.bytes + bytes > options_.max_bytes_per_target) {
    refused = HintDropReason::kTargetCap;
  } else if (total_bytes_ + bytes > options_.max_bytes_total) {
    refused = HintDropReason::kTotalCap;
  }
  if (refused) {
    if (a.count == 0) targets_.erase(hint.target);
    ++dropped_[static_cast<size_t>(*refused)];
    (void)mark_locked(hint.table, token, *refused, hint.created_wall_ms);
    return Status::overloaded(fmt::format(
        "hint store: {} cap reached ({} bytes held for {}, {} in all); the range is marked for "
        "repair",
        hint_drop_reason_name(*refused), a.bytes, hint.target.to_string(), total_bytes_));
  }
  // Counted before the write so that a concurrent add sees the bytes this one will take.
  a.bytes += bytes;
  ++a.count;
  total_bytes_ += bytes;
  lock.unlock();
  Status status = db_->put({}, key, value);
  lock.lock();
  if (!status.is_ok()) {
    forget_locked(hint.target, bytes);
    ++dropped_[static_cast<size_t>(HintDropReason::kUnwritable)];
    (void)mark_locked(hint.table, token, HintDropReason::kUnwritable, hint.created_wall_ms);
    return status;
  }
  ++stored_;
  return seq;
}

Result<std::vector<StoredHint>> HintStore::peek(const ring::NodeId& target, uint64_t after_seq,
                                                size_t max_count, size_t max_bytes) const {
  std::vector<StoredHint> out;
  size_t bytes = 0;
  const std::string end = hint_target_end(target);
  auto it = db_->new_iterator({});
  for (it->seek(hint_key(target, after_seq + 1));
       it->valid() && it->key() < end && out.size() < max_count &&
       (out.empty() || bytes < max_bytes);
       it->next()) {
    const std::string_view key = it->key();
    if (key.size() != kHintKeyBytes) return Status::corruption("hint store: a malformed hint key");
    PAIRDB_ASSIGN_OR_RETURN(Hint hint, decode_hint(target, it->value()));
    const size_t size = key.size() + it->value().size();
    out.push_back({get_big_endian64(key.substr(17)), std::move(hint), size});
    bytes += size;
  }
  PAIRDB_TRY(it->status());
  return out;
}

void HintStore::forget_locked(const ring::NodeId& target, size_t bytes) {
  auto it = targets_.find(target);
  if (it == targets_.end()) return;
  it->second.bytes -= std::min<uint64_t>(it->second.bytes, bytes);
  if (it->second.count > 0) --it->second.count;
  total_bytes_ -= std::min<uint64_t>(total_bytes_, bytes);
  if (it->second.count == 0) targets_.erase(it);
}

Status HintStore::remove(const ring::NodeId& target, uint64_t seq) {
  const std::string key = hint_key(target, seq);
  auto existing = db_->get({}, key);
  if (existing.status().is_not_found()) return Status::ok();
  PAIRDB_TRY(existing.status());
  PAIRDB_TRY(db_->remove({}, key));
  std::lock_guard lock(mutex_);
  forget_locked(target, key.size() + existing->size());
  ++delivered_;
  return Status::ok();
}

Status HintStore::drop(const ring::NodeId& target, const StoredHint& hint, HintDropReason reason,
                       uint64_t now_wall_ms) {
  const std::string key = hint_key(target, hint.seq);
  auto existing = db_->get({}, key);
  if (existing.status().is_not_found()) return Status::ok();
  PAIRDB_TRY(existing.status());
  std::lock_guard lock(mutex_);
  if (needs_repair(reason)) {
    PAIRDB_TRY(mark_locked(hint.hint.table, ring::HashRing::token_of(hint.hint.partition_key),
                           reason, now_wall_ms));
  }
  PAIRDB_TRY(db_->remove({}, key));
  forget_locked(target, key.size() + existing->size());
  ++dropped_[static_cast<size_t>(reason)];
  return Status::ok();
}

Result<uint64_t> HintStore::drop_all(const ring::NodeId& target, HintDropReason reason,
                                     uint64_t now_wall_ms) {
  uint64_t dropped = 0;
  while (true) {
    PAIRDB_ASSIGN_OR_RETURN(auto batch, peek(target, 0, 1024, 4u << 20));
    if (batch.empty()) return dropped;
    for (const StoredHint& hint : batch) {
      PAIRDB_TRY(drop(target, hint, reason, now_wall_ms));
      ++dropped;
    }
  }
}

Status HintStore::mark_for_repair(TableId table, ring::Token token, HintDropReason reason,
                                  uint64_t now_wall_ms) {
  std::lock_guard lock(mutex_);
  ++dropped_[static_cast<size_t>(reason)];
  return mark_locked(table, token, reason, now_wall_ms);
}

Status HintStore::mark_locked(TableId table, ring::Token token, HintDropReason reason,
                              uint64_t now_wall_ms) {
  const uint8_t bucket = bucket_of(token);
  const std::string key = mark_key(table, bucket);
  RepairMark mark;
  auto existing = db_->get({}, key);
  if (existing.is_ok()) {
    auto decoded = decode_mark(key, *existing);
    if (decoded.is_ok()) mark = std::move(decoded).value();
  } else if (!existing.status().is_not_found()) {
    return existing.status();
  }
  mark.reason = reason;
  mark.marked_wall_ms = std::max(mark.marked_wall_ms, now_wall_ms);
  ++mark.hints_dropped;
  lsm::WriteOptions sync;
  sync.sync = true;  // A mark is the only trace of a lost hint: never lose it.
  return db_->put(sync, key, encode_mark(mark));
}

std::vector<TargetHints> HintStore::targets() const {
  std::vector<ring::NodeId> ids;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [id, accounting] : targets_) ids.push_back(id);
  }
  std::vector<TargetHints> out;
  for (const auto& id : ids) {
    TargetHints t = target(id);
    if (t.count > 0) out.push_back(t);
  }
  return out;
}

TargetHints HintStore::target(const ring::NodeId& id) const {
  TargetHints out;
  out.target = id;
  {
    std::lock_guard lock(mutex_);
    auto it = targets_.find(id);
    if (it == targets_.end()) return out;
    out.count = it->second.count;
    out.bytes = it->second.bytes;
  }
  auto first = peek(id, 0, 1, 1);
  if (first.is_ok() && !first->empty())
    out.oldest_created_wall_ms = first->front().hint.created_wall_ms;
  return out;
}

std::vector<ring::NodeId> HintStore::held_targets() const {
  std::lock_guard lock(mutex_);
  std::vector<ring::NodeId> out;
  for (const auto& [id, accounting] : targets_) {
    if (accounting.count > 0) out.push_back(id);
  }
  return out;
}

uint64_t HintStore::count(const ring::NodeId& id) const {
  std::lock_guard lock(mutex_);
  auto it = targets_.find(id);
  return it == targets_.end() ? 0 : it->second.count;
}

uint64_t HintStore::total_bytes() const {
  std::lock_guard lock(mutex_);
  return total_bytes_;
}

Result<std::vector<RepairMark>> HintStore::repair_marks() const {
  std::vector<RepairMark> out;
  auto it = db_->new_iterator({});
  for (it->seek(std::string(1, kMarkTag)); it->valid() && it->key()[0] == kMarkTag; it->next()) {
    PAIRDB_ASSIGN_OR_RETURN(RepairMark mark, decode_mark(it->key(), it->value()));
    out.push_back(mark);
  }
  PAIRDB_TRY(it->status());
  return out;
}

Status HintStore::clear_repair_marks(TableId table) {
  lsm::WriteBatch batch;
  for (size_t b = 0; b < kRepairBuckets; ++b)
    batch.remove(mark_key(table, static_cast<uint8_t>(b)));
  lsm::WriteOptions sync;
  sync.sync = true;
  std::lock_guard lock(mutex_);
  return db_->write(sync, batch);
}

Status HintStore::clear_repair_mark(TableId table, uint8_t bucket, uint64_t marked_wall_ms) {
  lsm::WriteOptions sync;
  sync.sync = true;
  std::lock_guard lock(mutex_);
  const std::string key = mark_key(table, bucket);
  auto stored = db_->get(lsm::ReadOptions{}, key);
  if (stored.status().is_not_found()) return Status::ok();
  if (!stored.is_ok()) return stored.status();
  auto mark = decode_mark(key, *stored);
  if (mark.is_ok() && mark->marked_wall_ms != marked_wall_ms) return Status::ok();  // Renewed.
  return db_->remove(sync, key);
}

uint64_t HintStore::stored() const {
  std::lock_guard lock(mutex_);
  return stored_;
}

uint64_t HintStore::delivered() const {
  std::lock_guard lock(mutex_);
  return delivered_;
}

uint64_t HintStore::dropped(HintDropReason reason) const {
  std::lock_guard lock(mutex_);
  return dropped_[static_cast<size_t>(reason)];
}

}  // namespace pairdb::replication
