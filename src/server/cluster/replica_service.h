// ReplicaService: the replica side of the internode protocol. It answers the requests a peer's
// coordinator sends this node as a replica of a key (ReplicaWrite: merge a record, or, tagged
// hint_for, keep it as a hint for the replica this node stands in for; ReplicaRead:
// the stored record; RangeRead: a partition's records, dead ones included) against the
// ReplicaStore, looking tables up by id in the catalog.
//
// Every record received is decoded and validated before it is merged; a bad one is refused
// with MalformedFrame (Corruption) and changes nothing. A table this node does not know yet (the
// peer's schema is newer) is refused with TableNotFound: the coordinator counts it as a failed
// replica and schema sync catches up.
//
// Synchronous: each call does storage I/O, so the internode server runs it on the storage
// workers; tests/sim calls it directly. Thread-safe (the store and catalog are).
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>

#include "common/clock.h"
#include "net/frame.h"
#include "net/internode.h"
#include "replication/hint_store.h"
#include "replication/item_compaction_filter.h"
#include "replication/replica_store.h"
#include "server/catalog/catalog.h"

namespace pairdb::server {

// The most records one RangeRead answers, whatever its limit asks.
inline constexpr uint32_t kRangeReadRecordsMax = 1000;
// A RangeRead answer stops after the record that takes it past this many bytes (resuming
// there), so a page of large values never outgrows an internode frame.
inline constexpr size_t kRangeReadBytesMax = 8u << 20;

// Where a ReplicaWrite addressed to this node as a sloppy-quorum fallback goes: keeps the hint
// durably (or refuses it, saying why) before the write is acknowledged. Thread-safe.
class HintKeeper {
 public:
  virtual ~HintKeeper() = default;
  virtual Status keep_now(const replication::Hint& hint) = 0;
};

class ReplicaService {
 public:
  // All three must outlive the service.
  ReplicaService(const Catalog* catalog, replication::ReplicaStore* store, const Clock* clock);
  // Where fallback writes' hints go (must outlive the service); without one they are refused.
  // Call before the service is shared between threads.
  void attach_hints(HintKeeper* hints) { hints_ = hints; }
  // The repair history: a record that predates the last full repair of its range
  // (replication::predates_repair with `margin_ms`) is acknowledged without being merged, so a
  // late hint or read repair cannot bring back what the purge removed. Call before sharing.
  void attach_repairs(const replication::RepairWatermarks* repairs, uint64_t margin_ms) {
    repairs_ = repairs;
    repair_margin_ms_ = margin_ms;
  }

  // The answer to a replica request; InternodeError for Handshake and ForwardWrite (not a
  // replica's job) and for every refusal.
  net::internode::Response handle(const net::internode::Request& request);
  // handle()'s answer when memory alone gives it without waiting for the disk (a ReplicaRead
  // the memtables answer, or that every table's filter rules out); nullopt otherwise, and for
  // every other request. Safe on threads that must not block.
  std::optional<net::internode::Response> answer_from_memory(
      const net::internode::Request& request);
  // The same for a whole request frame: decodes it (a malformed one is refused), answers with a
  // complete response frame on the same stream.
  std::string handle_frame(const net::Frame& frame);

  uint64_t merges_changed() const { return merges_changed_.load(); }
  uint64_t merges_unchanged() const { return merges_unchanged_.load(); }
  uint64_t repairs_received() const { return repairs_received_.load(); }
  uint64_t hints_received() const { return hints_received_.load(); }
  // Records refused as older than the last full repair of their range.
  uint64_t predating_refused() const { return predating_refused_.load(); }

 private:
  net::internode::Response write(const net::internode::ReplicaWrite& request);
  net::internode::Response keep_hint(const net::internode::ReplicaWrite& request,
                                     const replication::VersionRecord& record);
  net::internode::Response read(const net::internode::ReplicaRead& request);
  net::internode::Response range_read(const net::internode::RangeRead& request);
  Result<std::shared_ptr<const replication::TableInfo>> table(replication::TableId id) const;

  const Catalog* const catalog_;
  replication::ReplicaStore* const store_;
  const Clock* const clock_;
  std::atomic<uint64_t> merges_changed_{0};
  std::atomic<uint64_t> merges_unchanged_{0};
  std::atomic<uint64_t> repairs_received_{0};
  std::atomic<uint64_t> hints_received_{0};
  std::atomic<uint64_t> predating_refused_{0};
  HintKeeper* hints_ = nullptr;
  const replication::RepairWatermarks* repairs_ = nullptr;
  uint64_t repair_margin_ms_ = 0;
};

// A refusal carrying `status`'s wire error code and message.
net::internode::InternodeError internode_error(const Status& status);

}  // namespace pairdb::server
