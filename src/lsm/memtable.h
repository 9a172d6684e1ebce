// Memtable: the in-memory write buffer of the LSM engine.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <string_view>

#include <pairdb/lsm/iterator.h>

#include "lsm/arena.h"
#include "lsm/dbformat.h"
#include "lsm/skiplist.h"

namespace pairdb::lsm {

class MemtableIterator;

// Holds recent writes, as internal keys, until they are flushed to an SSTable. Every entry is
// copied into an arena and indexed by a lock-free skiplist; nothing is freed until the memtable
// is destroyed. A second, hashed index (the point index) maps each user key to its newest entry,
// so a point lookup at the latest sequence, and a lookup of a key the memtable does not hold,
// cost a hash probe instead of a skiplist search (a cache miss per level); a lookup at an older
// snapshot than a key's newest entry searches the skiplist as before.
//
// Ownership: always created with std::make_shared. Iterators hold a shared_ptr to the memtable,
// so the DB may drop its reference while a flush or a user scan is still reading.
// Threads: add() must be serialised by the caller (the DB has one writer at a time). get(),
// new_iterator(), approximate_memory_usage() and entry_count() may run on any thread
// concurrently with add() and with each other.
// Invariants: each arena entry is [varint32 internal-key length][internal key][varint32 value
// length][value]; the skiplist orders entries by InternalKeyComparator on their internal keys;
// entry_count_ equals the number of completed add() calls; once add() returns, the point index
// (when enabled: bytewise user keys) holds the user key with its highest-sequence entry.
class Memtable : public std::enable_shared_from_this<Memtable> {
 public:
  // Length prefixes are varint32, which bounds both the internal key and the value.
  static constexpr size_t kFieldBytesMax = std::numeric_limits<uint32_t>::max();

  // The user comparator behind `comparator` must outlive the memtable.
  // REQUIRES: the memtable is created with std::make_shared (new_iterator() relies on it).
  // `expected_bytes` (the write buffer size) sizes the point index; 0 = a small one.
  explicit Memtable(const InternalKeyComparator& comparator, size_t expected_bytes = 0);
  ~Memtable();
  Memtable(const Memtable&) = delete;
  Memtable& operator=(const Memtable&) = delete;

  // Adds one version of user_key. A deletion carries an empty value by convention.
  // REQUIRES: one writer at a time (the DB serialises writers). Readers may run concurrently.
  // REQUIRES: seq <= kMaxSequenceNumber, and (user_key, seq, type) was not added before.
  // REQUIRES: user_key.size() + kInternalKeyTrailerBytes <= kFieldBytesMax
  // REQUIRES: value.size() <= kFieldBytesMax
  void add(SequenceNumber seq, ValueType type, std::string_view user_key, std::string_view value);

  struct LookupResult {
    enum class Kind { kNotPresent, kFound, kDeleted } kind = Kind::kNotPresent;
    std::string value;  // Set only when kind == kFound.
  };

  // The newest entry for user_key with sequence <= seq: kFound with its value, kDeleted for a
  // deletion marker, or kNotPresent when the memtable holds no such entry.
  LookupResult get(std::string_view user_key, SequenceNumber seq) const;

  // Iterates internal keys (dbformat.h) in InternalKeyComparator order; value() is the value.
  // The iterator holds a shared_ptr to the memtable so it outlives the DB dropping it.
  // REQUIRES: *this is owned by a std::shared_ptr.
  std::unique_ptr<Iterator> new_iterator();

  // Bytes held by the arena. Thread-safe.
  size_t approximate_memory_usage() const;
  // Number of entries added so far. Thread-safe.
  uint64_t entry_count() const;

 private:
  friend class MemtableIterator;

  // Orders arena entries (or seek targets encoded the same way) by their internal keys.
  struct EntryComparator {
    InternalKeyComparator comparator;
    int operator()(const char* a, const char* b) const;
  };
  using Table = SkipList<const char*, EntryComparator>;
  class PointIndex;

  const InternalKeyComparator comparator_;
  Arena arena_;  // Declared before table_, which allocates from it.
  Table table_;
  std::unique_ptr<PointIndex> index_;  // Null when user keys are not compared bytewise.
  std::atomic<uint64_t> entry_count_{0};
};

}  // namespace pairdb::lsm
