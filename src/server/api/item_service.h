// The request layer every frontend (binary protocol, HTTP) calls: validates requests against
// the configured limits and the table catalog, opens and seals causal contexts, then hands each
// operation to the Replicator (server/api/replicator.h), which coordinates the key's replicas at
// the requested consistency level. Without a Replicator (the in-process server tests) the local
// replication::ReplicaStore is the only replica and the level is not checked.
//
// Thread-safe. Each callback runs exactly once: on a worker or replication thread, or inline in
// the caller's thread before read()/write() returns (a validation error, or local storage work
// that run_inline allowed).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <pairdb/replication/consistency.h>
#include <pairdb/replication/context_auth.h>
#include <pairdb/replication/hlc.h>
#include <pairdb/replication/version.h>
#include <pairdb/status.h>

#include "common/clock.h"
#include "common/instant.h"
#include "replication/replica_store.h"
#include "server/api/replicator.h"
#include "server/api/reply.h"
#include "server/api/storage_work.h"
#include "server/catalog/catalog.h"

namespace pairdb::server {

struct ItemLimits {
  uint32_t partition_key_bytes_max = 1024;
  uint32_t sort_key_bytes_max = 1024;
  uint32_t value_bytes_max = 1u << 20;
  uint32_t query_page_items_max = 1000;
  uint32_t content_type_bytes_max = 128;
  uint32_t idempotency_key_bytes_max = 128;
  uint64_t idempotency_window_ms = 24ull * 3600 * 1000;
};

struct ItemKey {
  std::string table;
  std::string partition_key;
  std::string sort_key;  // Empty = the partition's single item.
};

// A Put (tombstone = false) or a Delete (tombstone = true).
struct WriteCommand {
  ItemKey key;
  bool tombstone = false;
  std::string value;
  std::string content_type;
  std::string context;  // Opaque causal context from an earlier read; empty = blind write.
  replication::Consistency consistency = replication::Consistency::kDefault;
  std::optional<uint64_t> ttl_ms;  // Unset: the table's default TTL. 0: never expires.
  std::string idempotency_key;
};

struct WriteReply {
  std::string context;     // Covers the write just applied; send it back to replace it.
  bool duplicate = false;  // An idempotent retry: the first result, nothing new stored.
};

struct ReadCommand {
  ItemKey key;
  replication::Consistency consistency = replication::Consistency::kDefault;
};

struct ItemReply {
  bool found = false;
  std::vector<replication::Sibling> siblings;  // Live values, one unless concurrent writes.
  std::string context;                         // Merged context of everything read.
};

struct QueryCommand {
  std::string table;
  std::string partition_key;
  std::optional<std::string> from_sort_key;  // Inclusive.
  std::optional<std::string> to_sort_key;    // Inclusive.
  uint32_t limit = 0;                        // 0 = the configured page maximum.
  std::string page_token;                    // Opaque; from the previous page.
  replication::Consistency consistency = replication::Consistency::kDefault;
};

struct QueryItemReply {
  std::string sort_key;
  std::vector<replication::Sibling> siblings;
  std::string context;
};

struct QueryReply {
  std::vector<QueryItemReply> items;
  std::string next_page_token;  // Empty on the last page.
};

// Each replica's own copy of one item (getreplicas), for operators and tests.
struct ReplicaReport {
  struct Copy {
    std::string node_id;
    std::string address;  // Internode address.
    bool is_self = false;
    std::string error;  // Why the copy could not be read; empty when it was.
    bool found = false;
    std::vector<replication::Sibling> siblings;  // Live values.
    std::string context;                         // "node:counter ..." (node ids shortened).
    uint64_t digest = 0;                         // replication::record_digest of the record.
    bool agrees = false;                         // Holds exactly the merge of every copy read.
  };
  uint64_t token = 0;
  std::vector<Copy> replicas;  // Natural replicas, preference order.
};

struct ItemServiceOptions {
  ItemLimits limits;
  // Runs blocking storage work off the io threads (a worker pool in the daemon; inline in
  // unit tests).
  std::function<void(std::function<void()>)> run_blocking;
  // When set and true for a call, its storage work runs on the caller's thread instead: a
  // thread hand-off costs more than a point read or write that touches only memory and the
  // WAL's buffer. The daemon answers from the engine's state (see Node); unset = never.
  RunInline run_inline;
  const Clock* clock = nullptr;  // Deadlines (monotonic) and TTL expiry (wall); must outlive.
  // Seals the contexts handed to clients and opens those they send back (context_auth.h).
  std::shared_ptr<const replication::ContextAuthenticator> contexts;
};

class ItemService {
 public:
  // `catalog`, `store` and `clock` must outlive the service.
  ItemService(ItemServiceOptions options, Catalog* catalog, replication::ReplicaStore* store,
              replication::HybridClock* clock);

  void write(WriteCommand command, Instant deadline, Reply<WriteReply> done);
  void read(ReadCommand command, Instant deadline, Reply<ItemReply> done);
  void query(QueryCommand command, Instant deadline, Reply<QueryReply> done);
  // Reads every replica's own record, merging and repairing nothing.
  void inspect(ReadCommand command, Instant deadline, Reply<ReplicaReport> done);

  // From now on every operation goes through `replicator` (which must outlive the service);
  // until then this node's store is the only replica. REQUIRES: no call in flight or to come
  // concurrently (the daemon attaches it before its listeners start).
  void attach_replicator(Replicator* replicator) { replicator_ = replicator; }

  const ItemLimits& limits() const { return options_.limits; }
  // Writes that left an item above its table's siblings_warn threshold.
  uint64_t sibling_warnings() const { return sibling_warnings_.load(std::memory_order_relaxed); }

 private:
  Result<CoordinatedWrite> prepare_write(const WriteCommand& command, Instant deadline) const;
  Result<CoordinatedRead> prepare_read(const ReadCommand& command, Instant deadline) const;
  Result<CoordinatedRange> prepare_query(const QueryCommand& command, Instant deadline) const;
  Result<WriteReply> write_now(const WriteCommand& command);
  Result<ItemReply> read_now(const ReadCommand& command);
  Result<QueryReply> query_now(const QueryCommand& command);
  WriteReply write_reply(const CoordinatedWrite& write, const CoordinatedWriteReply& applied);
  ItemReply item_reply(const CoordinatedRead& read, const replication::VersionRecord& record) const;
  ReplicaReport replica_report(const CoordinatedRead& read,
                               const std::vector<ReplicaCopy>& copies) const;
  QueryReply query_reply(const CoordinatedRange& range, uint32_t limit,
                         CoordinatedRangeReply page) const;
  Status validate_key(const ItemKey& key) const;
  void warn_siblings(const std::string& table, size_t siblings, uint64_t now_ms);
  Status validate_write(const WriteCommand& command) const;
  // Runs `work` inline when run_inline allows `kind`; otherwise on the worker pool, unless the
  // deadline has passed by the time it starts there.
  template <typename T>
  void run(StorageWork kind, Instant deadline, std::function<Result<T>()> work, Reply<T> done);

  const ItemServiceOptions options_;
  Catalog* const catalog_;
  replication::ReplicaStore* const store_;
  replication::HybridClock* const clock_;
  Replicator* replicator_ = nullptr;
  std::atomic<uint64_t> sibling_warnings_{0};
  std::atomic<uint64_t> last_sibling_warning_ms_{0};
};

}  // namespace pairdb::server
