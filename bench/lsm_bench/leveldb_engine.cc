// The LevelDB adapter (Debian libleveldb-dev). Compiled only when CMake found LevelDB.
// Settings not listed in EngineConfig keep LevelDB's defaults (2 MiB table files, one background
// thread, index and filter blocks held by the table readers rather than the block cache).
#include <leveldb/cache.h>
#include <leveldb/db.h>
#include <leveldb/filter_policy.h>
#include <leveldb/write_batch.h>

#include "engine.h"

namespace pairdb::bench {
namespace {

Status to_status(const leveldb::Status& s) {
  if (s.ok()) return Status::ok();
  if (s.IsNotFound()) return Status::not_found(s.ToString());
  return Status::io_error("leveldb: " + s.ToString());
}

leveldb::Slice to_slice(std::string_view s) { return {s.data(), s.size()}; }
std::string_view to_view(const leveldb::Slice& s) { return {s.data(), s.size()}; }

class LeveldbIterator final : public EngineIterator {
 public:
  explicit LeveldbIterator(leveldb::Iterator* it) : it_(it) {}
  void seek_to_first() override { it_->SeekToFirst(); }
  void seek(std::string_view target) override { it_->Seek(to_slice(target)); }
  bool valid() const override { return it_->Valid(); }
  void next() override { it_->Next(); }
  std::string_view key() const override { return to_view(it_->key()); }
  std::string_view value() const override { return to_view(it_->value()); }
  Status status() const override { return to_status(it_->status()); }

 private:
  std::unique_ptr<leveldb::Iterator> it_;
};

// Owns the cache and filter policy, which LevelDB borrows and which must outlive the DB.
class LeveldbEngine final : public Engine {
 public:
  ~LeveldbEngine() override { (void)close(); }

  std::string_view name() const override { return "leveldb"; }

  Status open(const EngineConfig& config, const std::string& dir) override {
    cache_.reset(leveldb::NewLRUCache(config.block_cache_bytes));
    filter_.reset(leveldb::NewBloomFilterPolicy(config.bloom_bits_per_key));
    leveldb::Options options;
    options.create_if_missing = true;
    options.error_if_exists = true;
    options.write_buffer_size = config.write_buffer_bytes;
    options.block_size = config.block_bytes;
    options.block_cache = cache_.get();
    options.filter_policy = filter_.get();
    options.compression = leveldb::kNoCompression;
    leveldb::DB* db = nullptr;
    leveldb::Status s = leveldb::DB::Open(options, dir, &db);
    if (!s.ok()) return to_status(s);
    db_.reset(db);
    return Status::ok();
  }

  Status put(std::string_view key, std::string_view value, bool sync) override {
    leveldb::WriteOptions options;
    options.sync = sync;
    return to_status(db_->Put(options, to_slice(key), to_slice(value)));
  }

  Status write_batch(std::span<const KeyValue> entries, bool sync) override {
    batch_.Clear();
    for (const KeyValue& entry : entries) batch_.Put(to_slice(entry.key), to_slice(entry.value));
    leveldb::WriteOptions options;
    options.sync = sync;
    return to_status(db_->Write(options, &batch_));
  }

  Status get(std::string_view key, std::string* value) override {
    return to_status(db_->Get(leveldb::ReadOptions(), to_slice(key), value));
  }

  std::unique_ptr<EngineIterator> new_iterator() override {
    return std::make_unique<LeveldbIterator>(db_->NewIterator(leveldb::ReadOptions()));
  }

  // LevelDB has no public memtable flush. CompactRange over a range past every key (our keys
  // are decimal digits, so "\xff" sorts after all of them) writes the memtable to a table and
  // then finds no overlapping files to compact: exactly a flush.
  Status flush() override {
    const leveldb::Slice past_all_keys("\xff", 1);
    db_->CompactRange(&past_all_keys, &past_all_keys);
    return Status::ok();
  }

  std::string native_stats() override {
    std::string stats;
    if (!db_->GetProperty("leveldb.stats", &stats)) return "(no leveldb.stats)";
    return stats;
  }

  // LevelDB closes by deleting the DB, which waits for its background compaction.
  Status close() override {
    db_.reset();
    return Status::ok();
  }

 private:
  std::unique_ptr<leveldb::Cache> cache_;
  std::unique_ptr<const leveldb::FilterPolicy> filter_;
  leveldb::WriteBatch batch_;  // Reused by write_batch (single writer thread), as in pairdb's.
  std::unique_ptr<leveldb::DB> db_;  // Declared last: destroyed before the cache and filter.
};

}  // namespace

std::unique_ptr<Engine> make_leveldb_engine() { return std::make_unique<LeveldbEngine>(); }

}  // namespace pairdb::bench
