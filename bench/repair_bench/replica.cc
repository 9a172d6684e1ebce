#include "repair_bench/replica.h"

#include <fmt/format.h>

#include <pairdb/lsm/iterator.h>
#include <pairdb/lsm/write_batch.h>

#include "common/assert.h"

namespace pairdb::bench {

namespace {

constexpr size_t kLoadBatchKeys = 1000;

lsm::Options engine_options() {
  lsm::Options options;
  options.create_if_missing = true;
  options.error_if_exists = true;
  options.wal_sync_mode = lsm::WalSyncMode::kNone;  // Loading speed; repair syncs its merges.
  options.log = [](lsm::LogLevel level, std::string_view line) {
    if (level >= lsm::LogLevel::kWarn) fmt::print(stderr, "lsm: {}\n", line);
  };
  return options;
}

Status write_batch(BenchReplica& replica, lsm::WriteBatch& batch) {
  if (batch.count() == 0) return Status::ok();
  PAIRDB_TRY(replica.db()->write(lsm::WriteOptions{}, batch));
  batch.clear();
  return Status::ok();
}

}  // namespace

Result<std::unique_ptr<BenchReplica>> BenchReplica::create(const std::string& dir, ring::NodeId id,
                                                           replication::TableId table) {
  std::unique_ptr<BenchReplica> replica(new BenchReplica());
  replica->id_ = id;
  PAIRDB_ASSIGN_OR_RETURN(replica->db_, lsm::DB::open(engine_options(), dir));
  replica->store_ = std::make_unique<replication::ReplicaStore>(replica->db_.get(), id);
  replica->storage_ = std::make_unique<replication::ReplicaRepairStorage>(replica->db_.get(),
                                                                          replica->store_.get());
  replica->responder_ = std::make_unique<replication::RepairResponder>(
      replica->storage_.get(),
      [table](replication::TableId t) -> std::optional<replication::ConflictMode> {
        if (t == table) return replication::ConflictMode::kSiblings;
        return std::nullopt;
      },
      &replica->listener_);
  return replica;
}

BenchReplica::~BenchReplica() { (void)close(); }

Status BenchReplica::settle() {
  PAIRDB_TRY(db_->flush());
  return db_->compact_range(nullptr, nullptr);
}

Status BenchReplica::close() {
  responder_.reset();
  storage_.reset();
  store_.reset();
  if (!db_) return Status::ok();
  const Status closed = db_->close();
  db_.reset();
  return closed;
}

Result<LoadSummary> load_replicas(const RepairDataset& data, BenchReplica& initiator,
                                  BenchReplica& peer) {
  LoadSummary summary;
  lsm::WriteBatch initiator_batch;
  lsm::WriteBatch peer_batch;
  for (uint64_t i = 0; i < data.config().keys; ++i) {
    const KeyRecords records = data.records_of(i);
    PAIRDB_ASSERT(records.peer.has_value());  // The peer holds every key.
    const uint64_t bytes = records.storage_key.size() + records.peer->size();
    summary.peer_bytes += bytes;
    ++summary.peer_records;
    peer_batch.put(records.storage_key, *records.peer);
    if (records.initiator) {
      ++summary.initiator_records;
      initiator_batch.put(records.storage_key, *records.initiator);
    }
    ++summary.keys_by_kind[static_cast<size_t>(records.kind)];
    if (records.kind != Divergence::kNone) {
      ++summary.divergent_keys;
      summary.divergent_bytes += bytes;
    }
    if (peer_batch.count() >= kLoadBatchKeys) {
      PAIRDB_TRY(write_batch(initiator, initiator_batch));
      PAIRDB_TRY(write_batch(peer, peer_batch));
    }
  }
  PAIRDB_TRY(write_batch(initiator, initiator_batch));
  PAIRDB_TRY(write_batch(peer, peer_batch));
  PAIRDB_TRY(initiator.settle());
  PAIRDB_TRY(peer.settle());
  return summary;
}

namespace {

// One replica's records of the table, in key order.
class TableCursor {
 public:
  TableCursor(BenchReplica& replica, replication::TableId table)
      : it_(replica.db()->new_iterator(lsm::ReadOptions{})), end_(replication::table_end(table)) {
    it_->seek(replication::encode_table_prefix(table));
  }
  bool valid() const { return it_->valid() && it_->key() < end_; }
  std::string_view key() const { return it_->key(); }
  std::string_view value() const { return it_->value(); }
  void next() { it_->next(); }
  Status status() const { return it_->status(); }

 private:
  std::unique_ptr<lsm::Iterator> it_;
  std::string end_;
};

void note_mismatch(VerifySummary& summary, std::string what) {
  if (summary.mismatches++ == 0) summary.first_mismatch = std::move(what);
}

}  // namespace

Result<VerifySummary> verify_replicas(const RepairDataset& data, BenchReplica& initiator,
                                      BenchReplica& peer) {
  VerifySummary summary;
  TableCursor a(initiator, data.config().table);
  TableCursor b(peer, data.config().table);
  while (a.valid() || b.valid()) {
    if (!b.valid() || (a.valid() && a.key() < b.key())) {
      note_mismatch(summary, "a key only the initiator holds");
      a.next();
      continue;
    }
    if (!a.valid() || b.key() < a.key()) {
      note_mismatch(summary, "a key only the peer holds");
      b.next();
      continue;
    }
    ++summary.records;
    auto index = data.index_of(a.key());
    if (!index.is_ok()) {
      note_mismatch(summary, index.status().to_string());
    } else if (a.value() != b.value()) {
      note_mismatch(summary, fmt::format("key {}: the replicas hold different records", *index));
    } else if (a.value() != RepairDataset::expected_of(data.records_of(*index))) {
      note_mismatch(summary, fmt::format("key {}: not the join of both replicas", *index));
    }
    a.next();
    b.next();
  }
  PAIRDB_TRY(a.status());
  PAIRDB_TRY(b.status());
  if (summary.records != data.config().keys) {
    note_mismatch(summary, fmt::format("{} keys held by both, {} expected", summary.records,
                                       data.config().keys));
  }
  return summary;
}

}  // namespace pairdb::bench
