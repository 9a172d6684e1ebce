#include "lsm/memtable.h"

#include <cstring>
#include <new>
#include <utility>

#include "common/hash.h"

namespace pairdb::lsm {
namespace {

// Returns the length-prefixed field starting at p. Entries are written by this file, so a
// malformed prefix is a bug rather than corruption.
inline std::string_view decode_field(const char* p) {
  // Fields under 128 bytes (most keys) have a one-byte prefix: skip the general decoder on the
  // memtable's hottest path (every skiplist comparison decodes two keys).
  if (const auto first = static_cast<uint8_t>(*p); first < 0x80) return {p + 1, first};
  uint32_t length = 0;
  const char* data = decode_varint32(p, p + kVarint32BytesMax, &length);
  PAIRDB_ASSERT(data != nullptr);
  return {data, length};
}

std::string_view entry_internal_key(const char* entry) { return decode_field(entry); }

std::string_view entry_value(const char* entry) {
  std::string_view internal_key = decode_field(entry);
  return decode_field(internal_key.data() + internal_key.size());
}

// The internal key of an entry this file wrote (so well formed), parsed.
ParsedInternalKey parse_entry(const char* entry) {
  ParsedInternalKey parsed;
  const bool well_formed = parse_internal_key(entry_internal_key(entry), &parsed);
  PAIRDB_ASSERT(well_formed);
  return parsed;
}

// A seek target for the skiplist: the internal key with the same length prefix as an entry.
void encode_seek_target(std::string_view internal_key, std::string* out) {
  out->clear();
  put_varint32(out, static_cast<uint32_t>(internal_key.size()));
  out->append(internal_key);
}

// The seek target for reading user_key at snapshot seq, built in one allocation.
std::string make_lookup_target(std::string_view user_key, SequenceNumber seq) {
  std::string target;
  target.reserve(kVarint32BytesMax + user_key.size() + kInternalKeyTrailerBytes);
  put_varint32(&target, static_cast<uint32_t>(user_key.size() + kInternalKeyTrailerBytes));
  append_internal_key(&target, user_key, seq, kValueTypeForSeek);
  return target;
}

char* copy_bytes(char* dst, std::string_view src) {
  // memcpy from the null data() of an empty view is undefined, so skip empty copies.
  if (!src.empty()) std::memcpy(dst, src.data(), src.size());
  return dst + src.size();
}

}  // namespace

// Iterates a memtable's entries in internal-key order. Keeps the memtable alive.
// Threads: one thread at a time; may run concurrently with the memtable's writer.
class MemtableIterator final : public Iterator {
 public:
  explicit MemtableIterator(std::shared_ptr<const Memtable> memtable)
      : memtable_(std::move(memtable)), iter_(&memtable_->table_) {}

  bool valid() const override { return iter_.valid(); }
  void seek_to_first() override { iter_.seek_to_first(); }
  void seek_to_last() override { iter_.seek_to_last(); }
  void seek(std::string_view target) override {
    encode_seek_target(target, &seek_buffer_);
    iter_.seek(seek_buffer_.data());
  }
  void next() override {
    PAIRDB_ASSERT(valid());
    iter_.next();
  }
  void prev() override {
    PAIRDB_ASSERT(valid());
    iter_.prev();
  }
  std::string_view key() const override {
    PAIRDB_ASSERT(valid());
    return entry_internal_key(iter_.key());
  }
  std::string_view value() const override {
    PAIRDB_ASSERT(valid());
    return entry_value(iter_.key());
  }
  // Memory cannot fail to read, so the status is always OK.
  Status status() const override { return Status::ok(); }

 private:
  std::shared_ptr<const Memtable> memtable_;
  Memtable::Table::Iterator iter_;
  std::string seek_buffer_;  // Holds the encoded target during seek().
};

int Memtable::EntryComparator::operator()(const char* a, const char* b) const {
  return comparator.compare(entry_internal_key(a), entry_internal_key(b));
}

// The point index: a fixed array of buckets, each a chain of nodes, one node per user key, with
// the key's newest entry. Nodes come from the memtable's arena and are never unlinked.
// Threads: add() by the memtable's one writer; find() by any number of readers, lock-free. A
// node is fully built before a release store links it; an entry pointer is published with a
// release store after the entry is in the skiplist; readers load both with acquire.
class Memtable::PointIndex {
 public:
  PointIndex(Arena* arena, size_t expected_bytes) : arena_(arena) {
    // About one bucket per 256 bytes of write buffer (entries with their record are rarely
    // smaller), so chains stay short when the memtable is full; at most 2^20 buckets (8 MiB),
    // since the array is zeroed when the memtable is made, under the DB's mutex.
    size_t buckets = 256;
    while (buckets < expected_bytes / 256 && buckets < kBucketsMax) buckets *= 2;
    buckets_ = std::make_unique<std::atomic<Node*>[]>(buckets);
    mask_ = buckets - 1;
  }

  size_t memory_usage() const { return (mask_ + 1) * sizeof(std::atomic<Node*>); }

  // REQUIRES: the writer; `entry` (of sequence `sequence`) is already in the skiplist.
  void add(std::string_view user_key, uint64_t hash, SequenceNumber sequence, const char* entry) {
    std::atomic<Node*>& bucket = buckets_[hash & mask_];
    for (Node* n = bucket.load(std::memory_order_relaxed); n != nullptr;
         n = n->next.load(std::memory_order_relaxed)) {
      const char* newest = n->entry.load(std::memory_order_relaxed);
      if (n->hash == hash && user_key_of(newest) == user_key) {
        // Versions normally arrive in sequence order; one that does not stays skiplist-only.
        if (sequence > parse_entry(newest).sequence)
          n->entry.store(entry, std::memory_order_release);
        return;
      }
    }
    char* memory = arena_->allocate_aligned(sizeof(Node));
    Node* node = new (memory) Node{hash, bucket.load(std::memory_order_relaxed), entry};
    bucket.store(node, std::memory_order_release);
  }

  // user_key's newest entry, or null when the memtable holds none.
  const char* find(std::string_view user_key, uint64_t hash) const {
    for (Node* n = buckets_[hash & mask_].load(std::memory_order_acquire); n != nullptr;
         n = n->next.load(std::memory_order_acquire)) {
      if (n->hash != hash) continue;
      const char* entry = n->entry.load(std::memory_order_acquire);
      if (user_key_of(entry) == user_key) return entry;
    }
    return nullptr;
  }

 private:
  static constexpr size_t kBucketsMax = size_t{1} << 20;

  struct Node {
    const uint64_t hash;
    std::atomic<Node*> next;
    std::atomic<const char*> entry;
  };

  static std::string_view user_key_of(const char* entry) {
    const std::string_view internal_key = entry_internal_key(entry);
    return internal_key.substr(0, internal_key.size() - kInternalKeyTrailerBytes);
  }

  Arena* const arena_;
  std::unique_ptr<std::atomic<Node*>[]> buckets_;
  size_t mask_ = 0;
};

Memtable::Memtable(const InternalKeyComparator& comparator, size_t expected_bytes)
    : comparator_(comparator), table_(EntryComparator{comparator}, &arena_) {
  if (comparator_.user_comparator() == bytewise_comparator()) {
    index_ = std::make_unique<PointIndex>(&arena_, expected_bytes);
  }
}

Memtable::~Memtable() = default;

void Memtable::add(SequenceNumber seq, ValueType type, std::string_view user_key,
                   std::string_view value) {
  PAIRDB_ASSERT(seq <= kMaxSequenceNumber);
  PAIRDB_ASSERT(user_key.size() + kInternalKeyTrailerBytes <= kFieldBytesMax);
  PAIRDB_ASSERT(value.size() <= kFieldBytesMax);
  const auto internal_key_bytes = static_cast<uint32_t>(user_key.size() + kInternalKeyTrailerBytes);
  const auto value_bytes = static_cast<uint32_t>(value.size());
  const size_t entry_bytes = varint_length(internal_key_bytes) + internal_key_bytes +
                             varint_length(value_bytes) + value_bytes;

  // The entry is laid out right after its skip-list node (see SkipList::reserve).
  const Table::Reservation reservation = table_.reserve(entry_bytes);
  char* const entry = reservation.bytes;
  char* p = encode_varint32(entry, internal_key_bytes);
  p = copy_bytes(p, user_key);
  encode_fixed64(p, pack_sequence_and_type(seq, type));
  p += kInternalKeyTrailerBytes;
  p = encode_varint32(p, value_bytes);
  p = copy_bytes(p, value);
  PAIRDB_ASSERT(p == entry + entry_bytes);

  table_.insert_reserved(reservation);
  if (index_ != nullptr) index_->add(user_key, hash64(user_key), seq, entry);
  entry_count_.fetch_add(1, std::memory_order_relaxed);
}

Memtable::LookupResult Memtable::get(std::string_view user_key, SequenceNumber seq) const {
  // The answer an entry of user_key at or below the snapshot gives.
  auto answer = [](const char* entry, const ParsedInternalKey& parsed) {
    LookupResult result;
    if (parsed.type == ValueType::kDeletion) {
      result.kind = LookupResult::Kind::kDeleted;
    } else {
      result.kind = LookupResult::Kind::kFound;
      result.value = entry_value(entry);
    }
    return result;
  };
  if (index_ != nullptr) {
    const char* newest = index_->find(user_key, hash64(user_key));
    if (newest == nullptr) return {};  // No version of the key at all.
    const ParsedInternalKey parsed = parse_entry(newest);
    if (parsed.sequence <= seq) return answer(newest, parsed);
    // The newest version is after the snapshot: find the one it saw in the skiplist.
  }
  const std::string target = make_lookup_target(user_key, seq);
  Table::Iterator iter(&table_);
  iter.seek(target.data());

  if (!iter.valid()) return {};
  const ParsedInternalKey parsed = parse_entry(iter.key());
  if (comparator_.user_comparator()->compare(parsed.user_key, user_key) != 0) return {};
  PAIRDB_ASSERT(parsed.sequence <= seq);  // The seek skipped every newer version.
  return answer(iter.key(), parsed);
}

std::unique_ptr<Iterator> Memtable::new_iterator() {
  std::shared_ptr<const Memtable> self = weak_from_this().lock();
  PAIRDB_ASSERT(self != nullptr);  // Not owned by a shared_ptr: see the class comment.
  return std::make_unique<MemtableIterator>(std::move(self));
}

size_t Memtable::approximate_memory_usage() const {
  return arena_.memory_usage() + (index_ != nullptr ? index_->memory_usage() : 0);
}

uint64_t Memtable::entry_count() const { return entry_count_.load(std::memory_order_relaxed); }

}  // namespace pairdb::lsm
