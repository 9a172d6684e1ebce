// A sharded LRU cache of immutable values, bounded by the total "charge" of its entries. The
// block cache (charge = block bytes) and the table cache (charge = 1 per open table) use it.
//
// Thread-safe: each shard has its own mutex; a key always maps to the same shard. Values are
// shared_ptr<const V>: a reader keeps using a value after it is evicted, and eviction never
// waits for readers. Invariant per shard: usage_ equals the sum of the charges of the entries
// in map_, and after insert() returns usage_ <= capacity unless one entry alone exceeds it.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "common/assert.h"

namespace pairdb::lsm {

struct CacheKey {
  uint64_t owner = 0;   // E.g. a table's file number.
  uint64_t offset = 0;  // E.g. a block's offset in that table.
  friend bool operator==(const CacheKey&, const CacheKey&) = default;
};

template <typename V>
class LruCache {
 public:
  static constexpr int kShardBitsMax = 8;

  explicit LruCache(size_t capacity, int shard_bits = 4)
      : shards_(size_t{1} << shard_bits), shard_mask_((size_t{1} << shard_bits) - 1) {
    PAIRDB_ASSERT(shard_bits >= 0 && shard_bits <= kShardBitsMax);
    size_t per_shard = (capacity + shard_mask_) >> shard_bits;
    for (auto& shard : shards_) shard.capacity = per_shard;
  }

  // The cached value, or null. A hit becomes the most recently used entry.
  std::shared_ptr<const V> lookup(const CacheKey& key) {
    Shard& shard = shard_for(key);
    std::lock_guard lock(shard.mu);
    auto it = shard.map.find(key);
    if (it == shard.map.end()) {
      misses_.fetch_add(1, std::memory_order_relaxed);
      return nullptr;
    }
    hits_.fetch_add(1, std::memory_order_relaxed);
    shard.lru.splice(shard.lru.begin(), shard.lru, it->second);
    return it->second->value;
  }

  // Inserts or replaces, then evicts least recently used entries until within capacity.
  void insert(const CacheKey& key, std::shared_ptr<const V> value, size_t charge) {
    Shard& shard = shard_for(key);
    std::lock_guard lock(shard.mu);
    erase_locked(shard, key);
    shard.lru.push_front(Entry{key, std::move(value), charge});
    shard.map.emplace(key, shard.lru.begin());
    shard.usage += charge;
    while (shard.usage > shard.capacity && shard.lru.size() > 1) {
      erase_locked(shard, shard.lru.back().key);
    }
  }

  void erase(const CacheKey& key) {
    Shard& shard = shard_for(key);
    std::lock_guard lock(shard.mu);
    erase_locked(shard, key);
  }

  size_t usage() const {
    size_t total = 0;
    for (const auto& shard : shards_) {
      std::lock_guard lock(shard.mu);
      total += shard.usage;
    }
    return total;
  }
  size_t capacity() const { return shards_[0].capacity * shards_.size(); }
  uint64_t hits() const { return hits_.load(std::memory_order_relaxed); }
  uint64_t misses() const { return misses_.load(std::memory_order_relaxed); }

 private:
  struct Entry {
    CacheKey key;
    std::shared_ptr<const V> value;
    size_t charge;
  };
  struct KeyHash {
    size_t operator()(const CacheKey& k) const {
      uint64_t h = k.owner * 0x9e3779b97f4a7c15ull ^ (k.offset + 0x632be59bd9b4e019ull);
      return static_cast<size_t>(h ^ (h >> 29));
    }
  };
  struct Shard {
    mutable std::mutex mu;
    std::list<Entry> lru;  // GUARDED_BY(mu); most recently used first.
    std::unordered_map<CacheKey, typename std::list<Entry>::iterator, KeyHash>
        map;              // GUARDED_BY(mu)
    size_t usage = 0;     // GUARDED_BY(mu)
    size_t capacity = 0;  // Fixed after construction.
  };

  Shard& shard_for(const CacheKey& key) { return shards_[KeyHash()(key) >> 7 & shard_mask_]; }

  static void erase_locked(Shard& shard, const CacheKey& key) {
    auto it = shard.map.find(key);
    if (it == shard.map.end()) return;
    shard.usage -= it->second->charge;
    shard.lru.erase(it->second);
    shard.map.erase(it);
  }

  std::vector<Shard> shards_;
  const size_t shard_mask_;
  std::atomic<uint64_t> hits_{0};
  std::atomic<uint64_t> misses_{0};
};

}  // namespace pairdb::lsm
