// validate_record: the invariants of a canonical VersionRecord, checked on every decode and
// asserted around every operation.
#include <fmt/format.h>

#include <pairdb/replication/version.h>

namespace pairdb::replication {

namespace {

Status validate_sibling(const VersionRecord& record, size_t i) {
  const Sibling& s = record.siblings[i];
  if (s.dot.counter == 0) return Status::corruption(fmt::format("sibling {} has counter 0", i));
  if (i > 0 && !(record.siblings[i - 1].dot < s.dot)) {
    return Status::corruption(fmt::format("sibling {} is out of dot order or repeats a dot", i));
  }
  if (!record.context.covers(s.dot)) {
    return Status::corruption(fmt::format("sibling {} has a dot the context does not cover", i));
  }
  if (s.tombstone && (!s.value.empty() || !s.content_type.empty() || s.expires_at_ms != 0)) {
    return Status::corruption(fmt::format("tombstone sibling {} carries a value or expiry", i));
  }
  return Status::ok();
}

Status validate_idempotency(const VersionRecord& record, size_t i) {
  const IdempotencyEntry& e = record.idempotency[i];
  if (e.key.empty()) return Status::corruption(fmt::format("idempotency entry {} has no key", i));
  if (i > 0 && !(record.idempotency[i - 1].key < e.key)) {
    return Status::corruption(fmt::format("idempotency entry {} is out of key order", i));
  }
  if (e.dot.counter == 0 || !record.context.covers(e.dot)) {
    return Status::corruption(fmt::format("idempotency entry {} has an uncovered dot", i));
  }
  return Status::ok();
}

}  // namespace

Status validate_record(const VersionRecord& record) {
  for (size_t i = 0; i < record.siblings.size(); ++i) PAIRDB_TRY(validate_sibling(record, i));
  for (size_t i = 0; i < record.idempotency.size(); ++i) {
    PAIRDB_TRY(validate_idempotency(record, i));
  }
  return Status::ok();
}

}  // namespace pairdb::replication
