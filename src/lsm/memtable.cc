#include "lsm/memtable.h"

#include <cstring>
#include <utility>

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

Memtable::Memtable(const InternalKeyComparator& comparator)
    : comparator_(comparator), table_(EntryComparator{comparator}, &arena_) {}

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
  entry_count_.fetch_add(1, std::memory_order_relaxed);
}

Memtable::LookupResult Memtable::get(std::string_view user_key, SequenceNumber seq) const {
  const std::string target = make_lookup_target(user_key, seq);
  Table::Iterator iter(&table_);
  iter.seek(target.data());

  LookupResult result;
  if (!iter.valid()) return result;
  ParsedInternalKey parsed;
  const bool well_formed = parse_internal_key(entry_internal_key(iter.key()), &parsed);
  PAIRDB_ASSERT(well_formed);
  if (comparator_.user_comparator()->compare(parsed.user_key, user_key) != 0) return result;
  PAIRDB_ASSERT(parsed.sequence <= seq);  // The seek skipped every newer version.

  if (parsed.type == ValueType::kDeletion) {
    result.kind = LookupResult::Kind::kDeleted;
  } else {
    result.kind = LookupResult::Kind::kFound;
    result.value = entry_value(iter.key());
  }
  return result;
}

std::unique_ptr<Iterator> Memtable::new_iterator() {
  std::shared_ptr<const Memtable> self = weak_from_this().lock();
  PAIRDB_ASSERT(self != nullptr);  // Not owned by a shared_ptr: see the class comment.
  return std::make_unique<MemtableIterator>(std::move(self));
}

size_t Memtable::approximate_memory_usage() const { return arena_.memory_usage(); }

uint64_t Memtable::entry_count() const { return entry_count_.load(std::memory_order_relaxed); }

}  // namespace pairdb::lsm
