// Versioned items: what one replica stores for one item, how a coordinator applies a client
// write to it, how replicas merge their copies, what a read sees, when compaction may drop it,
// and the byte formats of records and of the causal context handed to clients.
//
// The representation is a dotted version vector set ("causal context + dot store", as in Riak
// 2.x and Almeida et al.): the record's context summarises every write this replica has seen
// for the item; each live sibling carries the dot of the write that produced it. A sibling is
// superseded exactly when some context covers its dot without holding it, so concurrent writes
// stay as siblings and a write made with the context of a read replaces exactly what that read
// returned.
//
// Everything here is a pure function of its arguments (no I/O, clocks or threads); time is
// passed in. Callers must serialise apply_write() per item (read, apply, write back).
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <pairdb/replication/hlc.h>
#include <pairdb/replication/version_vector.h>
#include <pairdb/ring/types.h>
#include <pairdb/status.h>

namespace pairdb::replication {

inline constexpr uint8_t kRecordFormatVersion = 1;
inline constexpr uint32_t kIdempotencyKeysMaxDefault = 32;
inline constexpr uint64_t kIdempotencyWindowMsDefault = 24ull * 60 * 60 * 1000;

// One version of an item's value, or a tombstone recording a delete.
struct Sibling {
  Dot dot;
  bool tombstone = false;
  std::string value;           // Empty for tombstones.
  std::string content_type;    // E.g. "application/json"; empty for tombstones.
  HlcTimestamp timestamp;      // When the write was coordinated.
  uint64_t expires_at_ms = 0;  // Wall ms; 0 = never (always 0 for tombstones).

  // Dot first: the canonical sibling order is by dot.
  auto operator<=>(const Sibling&) const = default;
};

// An idempotency key a write carried, remembered so that a retry is not applied twice.
struct IdempotencyEntry {
  std::string key;  // Never empty.
  uint64_t applied_at_ms = 0;
  Dot dot;  // The write the key produced.

  auto operator<=>(const IdempotencyEntry&) const = default;
};

// What one replica stores for one item. Records are kept canonical so == compares content.
// Invariants (validate_record checks them): siblings strictly ascending by dot (no two share a
// dot), every dot counter >= 1 and covered by context; tombstones have no value, content type
// or expiry; idempotency entries strictly ascending by key, keys non-empty, dots covered.
struct VersionRecord {
  VersionVector context;                      // Everything this replica has seen for the item.
  std::vector<Sibling> siblings;              // Concurrent versions, values and tombstones.
  std::vector<IdempotencyEntry> idempotency;  // Recent keys, bounded.

  bool operator==(const VersionRecord&) const = default;
};

enum class ConflictMode : uint8_t {
  kSiblings,  // Concurrent writes are all kept; readers resolve them.
  kLww,       // Only the sibling with the highest (HLC timestamp, dot) is kept.
};

struct WritePolicy {
  ConflictMode mode = ConflictMode::kSiblings;
  uint32_t siblings_warn = 25;  // WriteOutcome::siblings_warn above this many.
  uint32_t siblings_max = 100;  // A write that would exceed it is refused (>= 1).
  uint64_t idempotency_window_ms = kIdempotencyWindowMsDefault;
  uint32_t idempotency_keys_max = kIdempotencyKeysMaxDefault;  // Per item; oldest evicted first.
};

// A client Put (tombstone = false) or Delete (tombstone = true) as the coordinator applies it.
struct LocalWrite {
  VersionVector context;  // What the client last read; empty = blind write.
  bool tombstone = false;
  std::string value;            // Ignored for tombstones.
  std::string content_type;     // Ignored for tombstones.
  uint64_t expires_at_ms = 0;   // Wall ms, 0 = never; ignored for tombstones.
  std::string idempotency_key;  // Empty = none.
};

struct WriteOutcome {
  VersionRecord record;        // The new record to store (an unchanged copy on a duplicate).
  Dot dot;                     // The applied write's dot (the original dot on a duplicate).
  bool duplicate = false;      // The idempotency key was seen within the window: no change.
  bool siblings_warn = false;  // The record now holds more than policy.siblings_warn siblings.
};

// The coordinating replica `self` applies a client write at HLC time `now` / wall time
// `now_wall_ms`:
//  (a) a non-empty idempotency key applied within the window -> duplicate, record unchanged;
//  (b) siblings whose dots write.context covers are dropped (the client saw them);
//  (c) the new dot is (self, 1 + max(current.context[self], write.context[self])) -- the second
//      term only matters if this replica lost writes it once coordinated, and keeps dots unique;
//  (d) context = current.context | write.context | {new dot};
//  (e)-(f) the new sibling is added; in kLww mode only the winner by (timestamp, dot) is kept,
//      and a write whose context covers a sibling gets a timestamp above that sibling's, so a
//      write that saw the current value always replaces it, on every replica;
//  (g) kSiblings: refused if the record would hold more than siblings_max siblings, with a
//      Status for which is_sibling_limit() is true (the server answers "TooLarge");
//  (h) the idempotency key is recorded (entries past the window are evicted, then the oldest
//      beyond idempotency_keys_max).
// Errors: the sibling limit; Status::invalid_argument when self's counter would overflow.
// REQUIRES: validate_record(current) is OK; !self.is_nil(); policy.siblings_max >= 1.
Result<WriteOutcome> apply_write(const VersionRecord& current, const LocalWrite& write,
                                 const ring::NodeId& self, HlcTimestamp now, uint64_t now_wall_ms,
                                 const WritePolicy& policy);

// True for the Status apply_write returns when the sibling limit refuses a write. The code is
// kInvalidArgument; the message carries a fixed marker this function looks for (also after
// Status::with_context).
bool is_sibling_limit(const Status& status);

// Joins two replicas' copies of one item (replication, read repair, anti-entropy, hints).
// kSiblings: a sibling of one side survives if the other side holds the same dot or its
// context does not cover it. kLww: contexts never drop a sibling; the union's winner by
// (timestamp, dot) survives (apply_write already gave causal successors higher timestamps).
// Context = join; idempotency = union by key (the latest application of a key wins), keeping
// the idempotency_keys_max most recent. Commutative, associative and idempotent: the result is
// canonical, so merge(a, b) == merge(b, a) as values. May exceed siblings_max.
// REQUIRES: validate_record(a) and validate_record(b) are OK.
VersionRecord merge(const VersionRecord& a, const VersionRecord& b, ConflictMode mode,
                    uint32_t idempotency_keys_max = kIdempotencyKeysMaxDefault);

// What a read returns: the live values in canonical order and the context to write back with.
struct ItemView {
  std::vector<Sibling> live;
  VersionVector context;  // Returned even when nothing is live, so a write supersedes a delete.

  bool found() const { return !live.empty(); }
};

// Live = non-tombstone siblings that have not expired (expired: expires_at_ms != 0 and
// expires_at_ms <= now_wall_ms).
ItemView visible(const VersionRecord& record, uint64_t now_wall_ms);

// For the compaction filter: true when every sibling is a tombstone or an expired value and
// each became dead (tombstone: timestamp.wall_ms(); value: expires_at_ms) at least
// tombstone_grace_ms ago. An empty record is purgeable.
// Why the grace period: dropping a record drops its context too. A replica that missed the
// delete (or the overwrite that carried the TTL) still holds the older value; if the record
// vanished before repair had propagated it, that old value would come back through read repair
// or anti-entropy. The grace period must exceed the longest time a replica may stay out of sync
// (hint window, repair interval).
bool is_purgeable(const VersionRecord& record, uint64_t now_wall_ms, uint64_t tombstone_grace_ms);

// When every sibling of `record` became dead (the latest tombstone timestamp or expiry among
// them; 0 for an empty record); nullopt while some sibling is live. What the repair-gated
// tombstone purge compares with the last repair (item_compaction_filter.h).
std::optional<uint64_t> dead_since(const VersionRecord& record, uint64_t now_wall_ms);

// True when `record` holds siblings and every one was written (its HLC wall time) more than
// margin_ms before `watermark_ms`: the start of the last repair of its range that included
// every replica. Such a record was on a replica when that repair started (only a replica mints a
// dot, and it applies the write first), so the repair gave every replica it or what superseded
// it; a replica that lacks it now purged its successor, and must not take it back (a late hint or
// read repair would resurrect a deleted value).
bool predates_repair(const VersionRecord& record, uint64_t watermark_ms, uint64_t margin_ms);

// Status::corruption naming the first broken invariant of VersionRecord, else OK.
Status validate_record(const VersionRecord& record);

// Stored form: format byte kRecordFormatVersion, then varints and raw node ids. No checksum
// (the LSM checksums its blocks).
std::string encode_record(const VersionRecord& record);
// Status::corruption for anything encode_record could not have produced; never allocates much
// more than the input's size.
Result<VersionRecord> decode_record(std::string_view bytes);

// A stable 64-bit digest of a record's content: the hash of its canonical encoding, so equal
// records (as merge leaves them on every replica) have equal digests on every node. What
// anti-entropy's Merkle leaves and `getreplicas` compare. REQUIRES: validate_record(record).
uint64_t record_digest(const VersionRecord& record);

// The causal context handed to clients is sealed by ContextAuthenticator (context_auth.h).
// Between nodes (a forwarded write) it travels opened, in this encoding.
std::string encode_version_vector(const VersionVector& context);
// Status::corruption for malformed bytes, trailing bytes, or more than entries_max entries.
Result<VersionVector> decode_version_vector(std::string_view bytes, size_t entries_max);

}  // namespace pairdb::replication
