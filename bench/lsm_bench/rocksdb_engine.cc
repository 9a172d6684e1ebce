// The RocksDB adapter (Debian librocksdb-dev). Compiled only when CMake found RocksDB.
// Settings not listed in EngineConfig keep RocksDB's defaults (leveled compaction, 2 background
// jobs, index and filter blocks held by the table readers rather than the block cache).
#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include "engine.h"

namespace pairdb::bench {
namespace {

Status to_status(const rocksdb::Status& s) {
  if (s.ok()) return Status::ok();
  if (s.IsNotFound()) return Status::not_found(s.ToString());
  return Status::io_error("rocksdb: " + s.ToString());
}

rocksdb::Slice to_slice(std::string_view s) { return {s.data(), s.size()}; }

class RocksdbIterator final : public EngineIterator {
 public:
  explicit RocksdbIterator(rocksdb::Iterator* it) : it_(it) {}
  void seek_to_first() override { it_->SeekToFirst(); }
  void seek(std::string_view target) override { it_->Seek(to_slice(target)); }
  bool valid() const override { return it_->Valid(); }
  void next() override { it_->Next(); }
  std::string_view key() const override { return it_->key().ToStringView(); }
  std::string_view value() const override { return it_->value().ToStringView(); }
  Status status() const override { return to_status(it_->status()); }

 private:
  std::unique_ptr<rocksdb::Iterator> it_;
};

class RocksdbEngine final : public Engine {
 public:
  std::string_view name() const override { return "rocksdb"; }

  Status open(const EngineConfig& config, const std::string& dir) override {
    rocksdb::BlockBasedTableOptions table;
    table.block_size = config.block_bytes;
    table.block_cache = rocksdb::NewLRUCache(config.block_cache_bytes);
    table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(config.bloom_bits_per_key));
    rocksdb::Options options;
    options.create_if_missing = true;
    options.error_if_exists = true;
    options.write_buffer_size = config.write_buffer_bytes;
    options.compression = rocksdb::kNoCompression;
    options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
    rocksdb::DB* db = nullptr;
    rocksdb::Status s = rocksdb::DB::Open(options, dir, &db);
    if (!s.ok()) return to_status(s);
    db_.reset(db);
    return Status::ok();
  }

  Status put(std::string_view key, std::string_view value, bool sync) override {
    rocksdb::WriteOptions options;
    options.sync = sync;
    return to_status(db_->Put(options, to_slice(key), to_slice(value)));
  }

  Status write_batch(std::span<const KeyValue> entries, bool sync) override {
    batch_.Clear();
    for (const KeyValue& entry : entries) {
      rocksdb::Status s = batch_.Put(to_slice(entry.key), to_slice(entry.value));
      if (!s.ok()) return to_status(s);
    }
    rocksdb::WriteOptions options;
    options.sync = sync;
    return to_status(db_->Write(options, &batch_));
  }

  Status get(std::string_view key, std::string* value) override {
    return to_status(db_->Get(rocksdb::ReadOptions(), to_slice(key), value));
  }

  std::unique_ptr<EngineIterator> new_iterator() override {
    return std::make_unique<RocksdbIterator>(db_->NewIterator(rocksdb::ReadOptions()));
  }

  Status flush() override { return to_status(db_->Flush(rocksdb::FlushOptions())); }

  std::string native_stats() override {
    std::string stats;
    if (!db_->GetProperty("rocksdb.stats", &stats)) return "(no rocksdb.stats)";
    return stats;
  }

  Status close() override {
    if (db_ == nullptr) return Status::ok();
    rocksdb::Status s = db_->Close();
    db_.reset();
    return to_status(s);
  }

 private:
  std::unique_ptr<rocksdb::DB> db_;
  rocksdb::WriteBatch batch_;  // Reused by write_batch (single writer thread), as in pairdb's.
};

}  // namespace

std::unique_ptr<Engine> make_rocksdb_engine() { return std::make_unique<RocksdbEngine>(); }

}  // namespace pairdb::bench
