// The LevelDB adapter (Debian libleveldb-dev). Compiled only when CMake found LevelDB.
// Settings not listed in EngineConfig keep LevelDB's defaults (2 MiB table files, one background
// thread, index and filter blocks held by the table readers rather than the block cache).
#include <leveldb/cache.h>
#include <leveldb/db.h>
#include <leveldb/filter_policy.h>
#include <leveldb/write_batch.h>

#include "engine.h"
#include "leveldb_family.h"

namespace pairdb::bench {
namespace {

struct LeveldbApi {
  static constexpr std::string_view kName = "leveldb";
  using DB = leveldb::DB;
  using Iterator = leveldb::Iterator;
  using Slice = leveldb::Slice;
  using NativeStatus = leveldb::Status;
  using ReadOptions = leveldb::ReadOptions;
  using WriteOptions = leveldb::WriteOptions;
  using WriteBatch = leveldb::WriteBatch;
  // LevelDB's WriteBatch::Put cannot fail.
  static NativeStatus batch_put(WriteBatch& batch, const Slice& key, const Slice& value) {
    batch.Put(key, value);
    return NativeStatus::OK();
  }
};

// Owns the cache and filter policy, which LevelDB borrows and which must outlive the DB: the
// destructor's close() deletes the DB before they go.
class LeveldbEngine final : public LeveldbFamilyEngine<LeveldbApi> {
 public:
  ~LeveldbEngine() override { (void)close(); }

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
    const leveldb::Status s = leveldb::DB::Open(options, dir, &db);
    return adopt(s, db);
  }

  // LevelDB has no public memtable flush. CompactRange over a range past every key (our keys
  // are decimal digits, so "\xff" sorts after all of them) writes the memtable to a table and
  // then finds no overlapping files to compact: exactly a flush.
  Status flush() override {
    const leveldb::Slice past_all_keys("\xff", 1);
    db_->CompactRange(&past_all_keys, &past_all_keys);
    return Status::ok();
  }

  // LevelDB closes by deleting the DB, which waits for its background compaction.
  Status close() override {
    db_.reset();
    return Status::ok();
  }

 private:
  std::unique_ptr<leveldb::Cache> cache_;
  std::unique_ptr<const leveldb::FilterPolicy> filter_;
};

}  // namespace

std::unique_ptr<Engine> make_leveldb_engine() { return std::make_unique<LeveldbEngine>(); }

}  // namespace pairdb::bench
