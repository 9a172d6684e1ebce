// The pairdb adapter: our own engine through its public API (include/pairdb/lsm/db.h).
#include <pairdb/lsm/db.h>

#include "engine.h"

namespace pairdb::bench {
namespace {

using lsm::WriteOptions;

class PairdbIterator final : public EngineIterator {
 public:
  explicit PairdbIterator(std::unique_ptr<lsm::Iterator> it) : it_(std::move(it)) {}
  void seek_to_first() override { it_->seek_to_first(); }
  void seek(std::string_view target) override { it_->seek(target); }
  bool valid() const override { return it_->valid(); }
  void next() override { it_->next(); }
  std::string_view key() const override { return it_->key(); }
  std::string_view value() const override { return it_->value(); }
  Status status() const override { return it_->status(); }

 private:
  std::unique_ptr<lsm::Iterator> it_;
};

// Not thread-safe for open/flush/close; the DB itself serves concurrent reads and writes.
class PairdbEngine final : public Engine {
 public:
  std::string_view name() const override { return "pairdb"; }
  std::vector<std::string> notes() const override { return notes_; }

  Status open(const EngineConfig& config, const std::string& dir) override {
    lsm::Options options;
    options.create_if_missing = true;
    options.error_if_exists = true;
    options.write_buffer_bytes = config.write_buffer_bytes;
    options.block_bytes = config.block_bytes;
    options.bloom_bits_per_key = config.bloom_bits_per_key;
    // Like RocksDB's and LevelDB's defaults: each write reaches the OS, only sync=true syncs.
    options.wal_sync_mode = lsm::WalSyncMode::kNone;
    options.log = [](lsm::LogLevel level, std::string_view) {};  // Keep the bench output clean.
    options.block_cache_bytes = config.block_cache_bytes;
    notes_.clear();
    auto db = lsm::DB::open(options, dir);
    if (!db.is_ok()) return db.status();
    db_ = std::move(db).value();
    return Status::ok();
  }

  Status put(std::string_view key, std::string_view value, bool sync) override {
    WriteOptions options;
    options.sync = sync;
    return db_->put(options, key, value);
  }

  Status write_batch(std::span<const KeyValue> entries, bool sync) override {
    batch_.clear();
    for (const KeyValue& entry : entries) batch_.put(entry.key, entry.value);
    WriteOptions options;
    options.sync = sync;
    return db_->write(options, batch_);
  }

  Status get(std::string_view key, std::string* value) override {
    auto result = db_->get(lsm::ReadOptions(), key);
    if (!result.is_ok()) return result.status();
    *value = std::move(result).value();
    return Status::ok();
  }

  std::unique_ptr<EngineIterator> new_iterator() override {
    return std::make_unique<PairdbIterator>(db_->new_iterator(lsm::ReadOptions()));
  }

  Status flush() override { return db_->flush(); }

  std::string native_stats() override {
    return db_->get_property("pairdb.stats").value_or("(no pairdb.stats)");
  }

  Status close() override {
    if (db_ == nullptr) return Status::ok();
    Status s = db_->close();
    db_.reset();
    return s;
  }

 private:
  std::unique_ptr<lsm::DB> db_;
  lsm::WriteBatch batch_;  // Reused by write_batch (single writer thread).
  std::vector<std::string> notes_;
};

}  // namespace

std::unique_ptr<Engine> make_pairdb_engine() { return std::make_unique<PairdbEngine>(); }

}  // namespace pairdb::bench
