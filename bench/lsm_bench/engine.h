// The engine-adapter seam of pairdb-lsm-bench: the few operations every workload needs, with one
// implementation per engine (pairdb, RocksDB, LevelDB). Adapters translate our EngineConfig into
// each engine's own options so that every engine runs with equal settings.
//
// One Engine is used by one process at a time; put/get/new_iterator may be called from several
// threads at once (all three engines are thread-safe), open/flush/close from one thread only.
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <pairdb/status.h>

namespace pairdb::bench {

// Settings applied identically to every engine. Compression is always off and the WAL always on.
struct EngineConfig {
  size_t write_buffer_bytes = 64u << 20;  // Memtable size before a flush.
  size_t block_cache_bytes = 8u << 20;    // Shared data-block cache.
  size_t block_bytes = 4096;              // Target SSTable data block size.
  int bloom_bits_per_key = 10;
};

struct KeyValue {
  std::string_view key;
  std::string_view value;
};

// A forward cursor over the engine's user keys. Used by one thread.
class EngineIterator {
 public:
  virtual ~EngineIterator() = default;
  virtual void seek_to_first() = 0;
  virtual void seek(std::string_view target) = 0;  // First key >= target.
  virtual bool valid() const = 0;
  virtual void next() = 0;                     // REQUIRES: valid()
  virtual std::string_view key() const = 0;    // REQUIRES: valid()
  virtual std::string_view value() const = 0;  // REQUIRES: valid()
  virtual Status status() const = 0;
};

class Engine {
 public:
  virtual ~Engine() = default;

  virtual std::string_view name() const = 0;
  // Settings the adapter could not apply as asked, one sentence each, for the report.
  virtual std::vector<std::string> notes() const { return {}; }

  // Creates an empty database in dir (which must not hold one).
  virtual Status open(const EngineConfig& config, const std::string& dir) = 0;
  // sync: durable before returning (fdatasync per write); otherwise the WAL write reaches the OS.
  virtual Status put(std::string_view key, std::string_view value, bool sync) = 0;
  // Applies entries atomically as one batch.
  virtual Status write_batch(std::span<const KeyValue> entries, bool sync) = 0;
  // OK with *value set, NotFound, or an error. The caller's buffer is reused across calls, as
  // db_bench does, so that engines able to fill it in place do not pay an allocation per read.
  virtual Status get(std::string_view key, std::string* value) = 0;
  virtual std::unique_ptr<EngineIterator> new_iterator() = 0;
  // Writes the memtable to on-disk tables and waits for it (no full compaction).
  virtual Status flush() = 0;
  // The engine's own multi-line statistics, for --stats.
  virtual std::string native_stats() = 0;
  // Waits for the engine's shutdown work and releases the database. Idempotent.
  virtual Status close() = 0;
};

// The engines this binary knows, compiled in or not, in their canonical order.
const std::vector<std::string>& known_engines();
// Null when the engine was not compiled into this binary (its column then says "absent").
// REQUIRES: name is one of known_engines()
std::unique_ptr<Engine> make_engine(std::string_view name);

}  // namespace pairdb::bench
