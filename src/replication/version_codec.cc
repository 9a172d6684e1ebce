// Byte formats of VersionRecord (stored in the LSM) and of the client causal context.
//
// record  := u8 kRecordFormatVersion, vector, varint n, sibling * n, varint m, entry * m
// vector  := varint n, dot * n                      (ascending node, counters >= 1)
// dot     := node id (16 raw bytes), varint counter
// sibling := dot, u8 flags (bit 0 = tombstone), fixed64 HLC timestamp, varint expires_at_ms,
//            length-prefixed content type, length-prefixed value
// entry   := length-prefixed key, varint applied_at_ms, dot
// The client causal context (context_auth.h) carries a vector in this same format.
#include <cstring>

#include <fmt/format.h>

#include <pairdb/replication/version.h>

#include "common/assert.h"
#include "common/coding.h"
#include "common/hash.h"
#include "replication/context_vector_codec.h"

namespace pairdb::replication {

namespace {

constexpr uint8_t kTombstoneFlag = 0x01;
constexpr size_t kNodeBytes = sizeof(ring::NodeId::bytes);
// Fewest bytes one encoded element can take: counts are checked against them before anything
// is allocated, so a forged count cannot make the decoder reserve more than the input's size.
constexpr size_t kDotBytesMin = kNodeBytes + 1;
constexpr size_t kSiblingBytesMin = kDotBytesMin + 1 + 8 + 1 + 1 + 1;
constexpr size_t kEntryBytesMin = 2 + 1 + kDotBytesMin;

void put_dot(std::string* dst, const Dot& dot) {
  dst->append(reinterpret_cast<const char*>(dot.node.bytes.data()), kNodeBytes);
  put_varint64(dst, dot.counter);
}

void put_vector(std::string* dst, const VersionVector& vv) {
  put_varint64(dst, vv.size());
  for (const Dot& dot : vv.entries()) put_dot(dst, dot);
}

bool get_dot(std::string_view* in, Dot* dot) {
  if (in->size() < kNodeBytes) return false;
  std::memcpy(dot->node.bytes.data(), in->data(), kNodeBytes);
  in->remove_prefix(kNodeBytes);
  return get_varint64(in, &dot->counter);
}

// Reads an element count and checks it against the bytes left.
bool get_count(std::string_view* in, size_t element_bytes_min, size_t limit, size_t* count) {
  uint64_t n = 0;
  if (!get_varint64(in, &n)) return false;
  if (n > limit || n > in->size() / element_bytes_min) return false;
  *count = static_cast<size_t>(n);
  return true;
}

Result<VersionVector> get_vector(std::string_view* in, size_t entries_max) {
  size_t n = 0;
  if (!get_count(in, kDotBytesMin, entries_max, &n)) {
    return Status::corruption("bad version vector size");
  }
  std::vector<Dot> entries(n);
  for (Dot& dot : entries) {
    if (!get_dot(in, &dot)) return Status::corruption("truncated version vector");
  }
  auto vv = VersionVector::from_entries(std::move(entries));
  if (!vv.is_ok()) return Status::corruption(vv.status().message());
  return vv;
}

void put_sibling(std::string* dst, const Sibling& s) {
  PAIRDB_ASSERT(s.value.size() <= UINT32_MAX);  // Length prefixes are varint32.
  put_dot(dst, s.dot);
  dst->push_back(static_cast<char>(s.tombstone ? kTombstoneFlag : 0));
  put_fixed64(dst, s.timestamp.value);
  put_varint64(dst, s.expires_at_ms);
  put_length_prefixed(dst, s.content_type);
  put_length_prefixed(dst, s.value);
}

bool get_sibling(std::string_view* in, Sibling* s) {
  if (!get_dot(in, &s->dot) || in->empty()) return false;
  const auto flags = static_cast<uint8_t>(in->front());
  in->remove_prefix(1);
  if ((flags & ~kTombstoneFlag) != 0) return false;
  s->tombstone = (flags & kTombstoneFlag) != 0;
  std::string_view content_type;
  std::string_view value;
  if (!get_fixed64(in, &s->timestamp.value) || !get_varint64(in, &s->expires_at_ms) ||
      !get_length_prefixed(in, &content_type) || !get_length_prefixed(in, &value)) {
    return false;
  }
  s->content_type = content_type;
  s->value = value;
  return true;
}

void put_entry(std::string* dst, const IdempotencyEntry& e) {
  put_length_prefixed(dst, e.key);
  put_varint64(dst, e.applied_at_ms);
  put_dot(dst, e.dot);
}

bool get_entry(std::string_view* in, IdempotencyEntry* e) {
  std::string_view key;
  if (!get_length_prefixed(in, &key) || !get_varint64(in, &e->applied_at_ms)) return false;
  e->key = key;
  return get_dot(in, &e->dot);
}

Status get_record_body(std::string_view* in, VersionRecord* record) {
  PAIRDB_ASSIGN_OR_RETURN(record->context, get_vector(in, SIZE_MAX));
  size_t n = 0;
  if (!get_count(in, kSiblingBytesMin, SIZE_MAX, &n))
    return Status::corruption("bad sibling count");
  record->siblings.resize(n);
  for (Sibling& s : record->siblings) {
    if (!get_sibling(in, &s)) return Status::corruption("truncated or malformed sibling");
  }
  if (!get_count(in, kEntryBytesMin, SIZE_MAX, &n)) {
    return Status::corruption("bad idempotency entry count");
  }
  record->idempotency.resize(n);
  for (IdempotencyEntry& e : record->idempotency) {
    if (!get_entry(in, &e)) return Status::corruption("truncated or malformed idempotency entry");
  }
  return Status::ok();
}

}  // namespace

std::string encode_record(const VersionRecord& record) {
  PAIRDB_ASSERT(validate_record(record).is_ok());
  std::string out;
  out.push_back(static_cast<char>(kRecordFormatVersion));
  put_vector(&out, record.context);
  put_varint64(&out, record.siblings.size());
  for (const Sibling& s : record.siblings) put_sibling(&out, s);
  put_varint64(&out, record.idempotency.size());
  for (const IdempotencyEntry& e : record.idempotency) put_entry(&out, e);
  return out;
}

Result<VersionRecord> decode_record(std::string_view bytes) {
  if (bytes.empty()) return Status::corruption("version record is empty");
  const auto format = static_cast<uint8_t>(bytes.front());
  if (format != kRecordFormatVersion) {
    return Status::corruption(fmt::format("unknown version record format {}", format));
  }
  bytes.remove_prefix(1);
  VersionRecord record;
  Status body = get_record_body(&bytes, &record);
  if (!body.is_ok()) return body.with_context("version record");
  if (!bytes.empty()) {
    return Status::corruption(fmt::format("version record has {} trailing bytes", bytes.size()));
  }
  PAIRDB_TRY(validate_record(record).with_context("version record"));
  return record;
}

void put_context_vector(std::string* dst, const VersionVector& context) {
  put_vector(dst, context);
}

Result<VersionVector> get_context_vector(std::string_view* in, size_t entries_max) {
  return get_vector(in, entries_max);
}

uint64_t record_digest(const VersionRecord& record) { return hash64(encode_record(record)); }

std::string encode_version_vector(const VersionVector& context) {
  std::string out;
  put_context_vector(&out, context);
  return out;
}

Result<VersionVector> decode_version_vector(std::string_view bytes, size_t entries_max) {
  PAIRDB_ASSIGN_OR_RETURN(auto context, get_context_vector(&bytes, entries_max));
  if (!bytes.empty()) return Status::corruption("trailing bytes after a version vector");
  return context;
}

}  // namespace pairdb::replication
