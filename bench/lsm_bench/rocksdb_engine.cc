// The RocksDB adapter (Debian librocksdb-dev). Compiled only when CMake found RocksDB.
// Settings not listed in EngineConfig keep RocksDB's defaults (leveled compaction, 2 background
// jobs, index and filter blocks held by the table readers rather than the block cache).
#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include "engine.h"
#include "leveldb_family.h"

namespace pairdb::bench {
namespace {

struct RocksdbApi {
  static constexpr std::string_view kName = "rocksdb";
  using DB = rocksdb::DB;
  using Iterator = rocksdb::Iterator;
  using Slice = rocksdb::Slice;
  using NativeStatus = rocksdb::Status;
  using ReadOptions = rocksdb::ReadOptions;
  using WriteOptions = rocksdb::WriteOptions;
  using WriteBatch = rocksdb::WriteBatch;
  static NativeStatus batch_put(WriteBatch& batch, const Slice& key, const Slice& value) {
    return batch.Put(key, value);
  }
};

class RocksdbEngine final : public LeveldbFamilyEngine<RocksdbApi> {
 public:
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
    const rocksdb::Status s = rocksdb::DB::Open(options, dir, &db);
    return adopt(s, db);
  }

  Status flush() override {
    return native_to_status<RocksdbApi>(db_->Flush(rocksdb::FlushOptions()));
  }

  Status close() override {
    if (db_ == nullptr) return Status::ok();
    rocksdb::Status s = db_->Close();
    db_.reset();
    return native_to_status<RocksdbApi>(s);
  }
};

}  // namespace

std::unique_ptr<Engine> make_rocksdb_engine() { return std::make_unique<RocksdbEngine>(); }

}  // namespace pairdb::bench
