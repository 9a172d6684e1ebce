#include "replication/repair_history.h"

#include <algorithm>
#include <memory>

#include <pairdb/lsm/iterator.h>

#include "common/coding.h"

namespace pairdb::replication {

namespace {

constexpr std::string_view kHistoryPartition = "repair.history";

std::string entry_key(TableId table, const ring::TokenRange& range) {
  std::string sort_key;
  put_big_endian64(&sort_key, table);
  put_big_endian64(&sort_key, range.start);
  put_big_endian64(&sort_key, range.end);
  return encode_item_key(kSystemTableId, kHistoryPartition, sort_key);
}

std::string entry_value(const RepairHistoryEntry& e) {
  std::string value;
  put_fixed64(&value, e.started_wall_ms);
  put_fixed64(&value, e.completed_wall_ms);
  put_fixed64(&value, e.records_differing);
  put_fixed64(&value, e.replicas);
  return value;
}

Result<RepairHistoryEntry> decode_entry(std::string_view key, std::string_view value) {
  auto parts = decode_item_key(key);
  if (!parts.is_ok() || parts->sort_key.size() != 24 || value.size() != 32) {
    return Status::corruption("malformed repair history record");
  }
  RepairHistoryEntry e;
  e.table = get_big_endian64(parts->sort_key);
  e.range.start = get_big_endian64(std::string_view(parts->sort_key).substr(8));
  e.range.end = get_big_endian64(std::string_view(parts->sort_key).substr(16));
  e.started_wall_ms = decode_fixed64(value.data());
  e.completed_wall_ms = decode_fixed64(value.data() + 8);
  e.records_differing = decode_fixed64(value.data() + 16);
  e.replicas = static_cast<uint32_t>(decode_fixed64(value.data() + 24));
  return e;
}

// Splits the segment holding `at` (if any) so that a segment starts exactly at `at`.
template <typename Index, typename Segment>
void split_at(Index& index, ring::Token at) {
  auto it = index.upper_bound(at);
  if (it == index.begin()) return;
  --it;
  if (it->first == at || it->second.last < at) return;
  Segment tail = it->second;
  it->second.last = at - 1;
  index.emplace(at, tail);
}

}  // namespace

Result<std::unique_ptr<RepairHistory>> RepairHistory::open(lsm::DB* db, const Clock* clock) {
  std::unique_ptr<RepairHistory> history(new RepairHistory(db, clock));
  const std::string prefix = encode_partition_prefix(kSystemTableId, kHistoryPartition);
  auto it = db->new_iterator(lsm::ReadOptions{});
  for (it->seek(prefix); it->valid() && it->key().starts_with(prefix); it->next()) {
    PAIRDB_ASSIGN_OR_RETURN(RepairHistoryEntry e, decode_entry(it->key(), it->value()));
    history->entries_[{e.table, e.range.start, e.range.end}] = e;
  }
  PAIRDB_TRY(it->status());
  std::lock_guard lock(history->mu_);
  history->rebuild_locked();
  return history;
}

Status RepairHistory::record(const RepairDoneRequest& done, uint64_t completed_wall_ms) {
  RepairHistoryEntry e;
  e.table = done.table;
  e.range = done.range;
  // An initiator whose clock runs ahead must not move the purge watermark past this node's now.
  e.started_wall_ms = std::min(done.started_wall_ms, completed_wall_ms);
  e.completed_wall_ms = completed_wall_ms;
  e.records_differing = done.records_differing;
  e.replicas = static_cast<uint32_t>(done.replicas.size());
  std::lock_guard lock(mu_);
  auto existing = entries_.find({e.table, e.range.start, e.range.end});
  if (existing != entries_.end() && existing->second.started_wall_ms > e.started_wall_ms) {
    return Status::ok();  // A later session of the same range already recorded.
  }
  lsm::WriteOptions options;
  options.sync = true;
  PAIRDB_TRY(db_->put(options, entry_key(e.table, e.range), entry_value(e)));
  entries_[{e.table, e.range.start, e.range.end}] = e;
  rebuild_locked();
  return Status::ok();
}

Status RepairHistory::on_repair_done(const RepairDoneRequest& done) {
  return record(done, clock_->wall_ms());
}

Status RepairHistory::forget_table(TableId table) {
  std::lock_guard lock(mu_);
  for (auto it = entries_.lower_bound({table, 0, 0});
       it != entries_.end() && std::get<0>(it->first) == table;) {
    PAIRDB_TRY(db_->remove(lsm::WriteOptions{}, entry_key(table, it->second.range)));
    it = entries_.erase(it);
  }
  rebuild_locked();
  return Status::ok();
}

void RepairHistory::rebuild_locked() {
  // Paint each entry's tokens in order of start time: for every token, the last painter is
  // the repair that started last among those covering it.
  std::vector<const RepairHistoryEntry*> order;
  for (const auto& [key, e] : entries_) order.push_back(&e);
  std::stable_sort(order.begin(), order.end(), [](const auto* a, const auto* b) {
    return a->started_wall_ms < b->started_wall_ms;
  });
  auto index = std::make_shared<Index>();
  for (const RepairHistoryEntry* e : order) {
    TableIndex& t = (*index)[e->table];
    for (const auto& [first, last] : ring::inclusive_intervals(e->range)) {
      split_at<TableIndex, Segment>(t, first);
      if (last != UINT64_MAX) split_at<TableIndex, Segment>(t, last + 1);
      t.erase(t.lower_bound(first), last == UINT64_MAX ? t.end() : t.lower_bound(last + 1));
      t.emplace(first,
                Segment{last, e->started_wall_ms, e->completed_wall_ms, e->records_differing});
    }
  }
  index_ = std::move(index);
}

std::shared_ptr<const RepairHistory::Index> RepairHistory::snapshot() const {
  std::lock_guard lock(mu_);
  return index_;
}

uint64_t RepairHistory::repaired_before(TableId table, ring::Token token) const {
  const auto index = snapshot();
  auto t = index->find(table);
  if (t == index->end()) return 0;
  auto it = t->second.upper_bound(token);
  if (it == t->second.begin()) return 0;
  --it;
  return it->second.last >= token ? it->second.started_wall_ms : 0;
}

RangeVerification RepairHistory::verification(TableId table, const ring::TokenRange& range) const {
  const auto index = snapshot();
  auto t = index->find(table);
  if (t == index->end()) return {};
  RangeVerification out;
  out.started_wall_ms = UINT64_MAX;
  out.completed_wall_ms = UINT64_MAX;
  uint64_t latest_completed = 0;
  // Walks the segments over [first, last]: false at the first token never repaired.
  const auto cover = [&](ring::Token first, ring::Token last) {
    ring::Token next = first;
    auto it = t->second.upper_bound(first);
    if (it != t->second.begin()) --it;
    for (; it != t->second.end() && it->first <= last; ++it) {
      if (it->second.last < next) continue;
      if (it->first > next) return false;  // A gap.
      out.started_wall_ms = std::min(out.started_wall_ms, it->second.started_wall_ms);
      out.completed_wall_ms = std::min(out.completed_wall_ms, it->second.completed_wall_ms);
      if (it->second.completed_wall_ms >= latest_completed) {
        latest_completed = it->second.completed_wall_ms;
        out.records_differing = it->second.records_differing;
      }
      if (it->second.last >= last) return true;
      next = it->second.last + 1;
    }
    return false;
  };
  for (const auto& [first, last] : ring::inclusive_intervals(range)) {
    if (!cover(first, last)) return {};
  }
  return out;
}

std::vector<RepairHistoryEntry> RepairHistory::entries() const {
  std::lock_guard lock(mu_);
  std::vector<RepairHistoryEntry> out;
  for (const auto& [key, e] : entries_) out.push_back(e);
  return out;
}

}  // namespace pairdb::replication
