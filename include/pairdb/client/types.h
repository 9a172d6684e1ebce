// Plain value types of the pairdb C++ SDK: requests, results, table and node metadata.
//
// Byte strings (keys, values, causal contexts, page tokens) are std::string holding arbitrary
// bytes; text (table names, content types, idempotency keys) is UTF-8 std::string. Every
// request member has a default, so designated initializers may name any subset:
//   client.get({.table = "kv", .partition_key = "user:1"});
// Value types; safe to copy and move between threads.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pairdb::client {

// How many replicas must answer. kDefault uses the table's configured level.
enum class Consistency : uint8_t {
  kDefault = 0,
  kOne = 1,
  kTwo = 2,
  kThree = 3,
  kQuorum = 4,
  kAll = 5,
  kLocalOne = 6,
  kLocalQuorum = 7,
  kEachQuorum = 8,
};

// How a table resolves concurrent writes.
enum class ConflictMode : uint8_t {
  kSiblings = 0,  // Keep them all; readers merge and write back with the merged context.
  kLww = 1,       // Keep the one with the highest hybrid-logical-clock timestamp.
};

// When a read that found its replicas disagreeing repairs the stale ones.
enum class ReadRepair : uint8_t {
  kBlocking = 0,  // Before answering (above ONE): a later quorum read cannot go back in time.
  kAsync = 1,     // After answering.
  kOff = 2,       // Never.
};

// ---- Items ------------------------------------------------------------------------------

// One concurrent version of an item.
struct Sibling {
  std::string value{};
  std::string content_type{};
  uint64_t timestamp = 0;      // Hybrid-logical-clock time of the write; larger is later.
  uint64_t expires_at_ms = 0;  // Unix milliseconds; 0 = never.
  bool tombstone = false;      // A delete concurrent with the other siblings.
};

// A write. An empty context is a blind write. An empty idempotency_key lets the client generate
// one (ClientOptions::generate_idempotency_keys) that it reuses on every retry of this write.
struct PutRequest {
  std::string table{};
  std::string partition_key{};
  std::string sort_key{};  // Empty = the item has no sort key.
  std::string value{};
  std::string content_type{};
  std::string context{};  // From the last read of this item; empty = blind write.
  Consistency consistency = Consistency::kDefault;
  uint64_t ttl_ms = 0;  // 0 = the table's default TTL.
  std::string idempotency_key{};
  uint32_t timeout_ms = 0;  // Client-side deadline of the whole call; 0 = the client default.
};

struct GetRequest {
  std::string table{};
  std::string partition_key{};
  std::string sort_key{};
  Consistency consistency = Consistency::kDefault;
  uint32_t timeout_ms = 0;
};

struct DeleteRequest {
  std::string table{};
  std::string partition_key{};
  std::string sort_key{};
  std::string context{};
  Consistency consistency = Consistency::kDefault;
  std::string idempotency_key{};
  uint32_t timeout_ms = 0;
};

// Sort keys of one partition in [from_sort_key, to_sort_key] (inclusive; nullopt = unbounded),
// ascending. For the next page, send the same request with page_token = next_page_token.
struct QueryRequest {
  std::string table{};
  std::string partition_key{};
  std::optional<std::string> from_sort_key{};
  std::optional<std::string> to_sort_key{};
  uint32_t limit = 0;  // Items per page; 0 = the server's default.
  std::string page_token{};
  Consistency consistency = Consistency::kDefault;
  uint32_t timeout_ms = 0;
};

struct PutResult {
  std::string context;     // Covers the version just written.
  bool duplicate = false;  // An idempotent retry: the first write's result, nothing new stored.
};

struct DeleteResult {
  std::string context;
};

// A missing item is found = false, not an error; context is present either way.
struct GetResult {
  bool found = false;
  std::vector<Sibling> siblings;
  std::string context;  // The merged context of all siblings; send it with the next write.
};

struct QueryItem {
  std::string sort_key;
  std::vector<Sibling> siblings;
  std::string context;
};

struct QueryResult {
  std::vector<QueryItem> items;
  std::string next_page_token;  // Empty on the last page.
  bool is_last_page() const { return next_page_token.empty(); }
};

// ---- Tables -----------------------------------------------------------------------------

struct DcReplication {
  std::string dc{};
  uint32_t rf = 0;
};

struct TableSpec {
  std::string name{};
  std::string owner{};
  std::vector<DcReplication> replication{};  // Empty on create = the server's default.
  Consistency read_consistency = Consistency::kDefault;
  Consistency write_consistency = Consistency::kDefault;
  ConflictMode conflict_mode = ConflictMode::kSiblings;
  uint64_t default_ttl_ms = 0;
  uint32_t siblings_warn = 0;
  uint32_t siblings_max = 0;
  ReadRepair read_repair = ReadRepair::kBlocking;
  // Whether a fallback's ack (a node standing in for a dead natural replica, keeping a hint for
  // it) counts toward a write's consistency level: true as in Dynamo and Riak; false as in
  // Cassandra, where only natural replicas' acks count (the coordinator keeps the hints).
  bool sloppy_quorum = true;
};

struct TableInfo {
  TableSpec spec;
  uint64_t table_id = 0;
  uint64_t created_at_ms = 0;
  uint64_t schema_version = 0;
};

// ---- Cluster and administration ---------------------------------------------------------

struct NodeInfo {
  std::string node_id{};
  std::string address{};  // host:port of the binary protocol.
  std::string http_address{};
  std::string dc{};
  std::string rack{};
  std::string state{};  // "joining", "normal", "leaving" or "left".
  std::vector<uint64_t> tokens{};
  std::string liveness{};  // "alive", "suspect" or "dead".
  uint64_t load_bytes = 0;
};

struct Topology {
  std::string partitioner;  // "xxh3-64".
  std::vector<NodeInfo> nodes;
  uint64_t ring_version = 0;
};

struct ClusterStatus {
  std::string node_id;  // The node that answered.
  std::vector<NodeInfo> nodes;
};

// The replicas of one partition key (GetEndpoints): natural replicas first, in preference
// order, then up to the requested number of fallbacks for sloppy quorums.
struct Endpoints {
  uint64_t token = 0;           // XXH3-64 of the partition key.
  std::vector<NodeInfo> nodes;  // Tokens are left empty.
  uint32_t natural_count = 0;   // nodes[0, natural_count) are the natural replicas.
  uint64_t ring_version = 0;
};

// One replica's own copy of an item (GetReplicas), read as it holds it: nothing merged or
// repaired.
struct ReplicaCopy {
  std::string node_id;
  std::string address;            // Its internode address.
  std::string error;              // Why its copy could not be read; empty when it was.
  bool found = false;             // It holds a live value.
  std::vector<Sibling> siblings;  // Its live values.
  std::string context;            // Its causal context, for people: "node:counter ...".
  uint64_t digest = 0;            // Equal digests: identical records.
  bool agrees = false;            // It holds exactly the merge of every copy read.
  bool is_self = false;           // The node that answered.
};

struct ReplicaCopies {
  uint64_t token = 0;
  std::vector<ReplicaCopy> replicas;  // Natural replicas, in preference order.
};

// One schema (catalog digest) and the live nodes that hold it.
struct SchemaVersionHolders {
  uint64_t version = 0;
  std::vector<std::string> node_ids;  // Sorted.
};

struct ClusterDescription {
  std::string cluster_name;
  std::string partitioner;                            // "xxh3-64".
  std::vector<SchemaVersionHolders> schema_versions;  // Sorted by version.
  bool schema_agreement = false;                      // Every live node holds the same schema.
  uint64_t ring_version = 0;
};

// One member as the answering node's failure detector sees it.
struct GossipMember {
  std::string node_id{};
  std::string gossip_address{};
  uint64_t incarnation = 0;
  std::string status{};  // "joining", "normal", "leaving" or "left".
  uint64_t schema_version = 0;
  uint64_t load_bytes = 0;
  std::string software_version{};
  std::string dc{};
  std::string rack{};
  std::string liveness{};  // "alive", "suspect", "dead" or "left".
  uint64_t meta_version = 0;
};

struct GossipInfo {
  std::string node_id;  // The node that answered.
  std::vector<GossipMember> members;
};

// ---- Hinted handoff ------------------------------------------------------------------------

// One node the answering node holds hints for.
struct HandoffTarget {
  std::string node_id{};
  uint64_t hints = 0;
  uint64_t bytes = 0;
  uint64_t oldest_created_wall_ms = 0;  // Unix milliseconds of the oldest hint held.
  std::string state{};     // "idle", "delivering", "waiting", "paused" or "backing_off".
  std::string liveness{};  // As gossip sees the target: "alive", "suspect", "dead", "unknown".
};

// A token range of one table that needs repair because hints for it were dropped.
struct RepairRange {
  uint64_t table_id = 0;
  std::string table{};          // Empty when the answering node no longer knows the table.
  uint64_t range_start = 0;     // Inclusive token.
  uint64_t range_end = 0;       // Inclusive token.
  std::string reason{};         // Of the latest drop: "target_cap", "truncated", ...
  uint64_t marked_wall_ms = 0;  // Unix milliseconds of the latest drop.
  uint64_t hints_dropped = 0;   // Since the range was first marked.
};

// The answering node's hints (HandoffStatus).
struct HandoffStatus {
  std::vector<HandoffTarget> targets;  // Every node with hints held, by node id.
  bool paused_all = false;             // Delivery to every target is paused.
  uint64_t stored = 0;                 // Totals since the node started...
  uint64_t delivered = 0;
  uint64_t delivered_bytes = 0;
  uint64_t failed_attempts = 0;
  uint64_t total_bytes = 0;  // ...except this: bytes of hints held now.
  // Hints not kept or not delivered, by reason, every reason listed in the server's order.
  std::vector<std::pair<std::string, uint64_t>> dropped;
  std::vector<RepairRange> repair_ranges;  // At most 256...
  uint64_t repair_ranges_total = 0;        // ...of this many.
};

enum class HandoffAction : uint8_t {
  kPause = 1,     // Stop delivering; hints are still kept.
  kResume = 2,    // Deliver again.
  kTruncate = 3,  // Delete the hints held; their ranges are marked as needing repair.
};

struct HandoffControlResult {
  uint64_t affected = 0;  // kTruncate: the hints deleted; 0 otherwise.
};

// ---- Anti-entropy repair -------------------------------------------------------------------

// A token range (start, end]: start exclusive, end inclusive. start == end is the whole ring.
struct TokenRange {
  uint64_t start = 0;
  uint64_t end = 0;
};

// An on-demand repair job (RepairRun) of the ranges the answering node replicates.
struct RepairRunRequest {
  std::string table{};                // Empty = every table.
  std::optional<TokenRange> range{};  // Only the ranges overlapping it; nullopt = the whole ring.
  bool full = false;                  // Also ranges with a replica down (not recorded).
};

struct RepairRunResult {
  uint64_t job_id = 0;  // As RepairStatus::jobs lists it.
};

// A repair session running now: one range of one table, with its peers.
struct RepairSession {
  std::string table{};
  TokenRange range{};
  std::vector<std::string> peers{};  // Node ids of the other replicas.
  double progress = 0;               // [0, 1].
  bool background = false;           // Started by the node's scheduler, not by a job.
  uint64_t records_differing = 0;
  uint64_t records_fetched = 0;  // Received from peers.
  uint64_t records_pushed = 0;   // Sent to peers.
  uint64_t bytes_sent = 0;
  uint64_t bytes_received = 0;
};

// An on-demand repair job, running or finished.
struct RepairJob {
  uint64_t id = 0;
  std::string state{};            // "running", "done" or "failed".
  std::string table{};            // As asked; empty = every table.
  uint64_t started_wall_ms = 0;   // Unix milliseconds.
  uint64_t finished_wall_ms = 0;  // 0 while running.
  uint32_t ranges_total = 0;
  uint32_t ranges_done = 0;
  uint32_t ranges_failed = 0;
  double progress = 0;  // [0, 1], counting the running sessions' progress.
  uint64_t records_differing = 0;
  uint64_t records_exchanged = 0;  // Fetched + pushed.
  uint64_t bytes_exchanged = 0;    // Sent + received.
  std::string error{};             // The first failure, if any.

  bool finished() const { return state == "done" || state == "failed"; }
};

// One token range of one table that the answering node replicates.
struct RepairRangeState {
  std::string table{};
  TokenRange range{};
  uint64_t last_verified_wall_ms = 0;  // Unix milliseconds of the last repair; 0 = never.
  uint64_t records_differing = 0;      // Found at that repair.
  bool marked = false;                 // Hinted handoff marked it as needing repair.
  bool overdue = false;                // Not verified within interval_ms.
  bool running = false;                // A session repairs it now.
};

// The answering node's repair state (RepairStatus).
struct RepairStatus {
  std::vector<RepairSession> sessions;   // Running now.
  std::vector<RepairJob> jobs;           // Newest first; the last few.
  std::vector<RepairRangeState> ranges;  // By table, then token; possibly cut...
  uint64_t ranges_total = 0;             // ...from this many.
  uint64_t interval_ms = 0;              // Every range is verified this often; 0 = never.
  uint64_t rate_bytes_per_sec = 0;       // Shared by the sessions; 0 = unlimited.
};

struct HelloInfo {
  uint8_t protocol_version = 0;
  std::string node_id;
  std::string cluster_name;
  std::string server_version;
  uint32_t max_frame_bytes = 0;
};

struct PingResult {
  std::string node_id;
  uint64_t uptime_ms = 0;
};

// Key/value text pairs in the server's order (Info, TableStats).
struct KeyValues {
  std::vector<std::pair<std::string, std::string>> entries;
  // The first value stored under `key`, or nullptr.
  const std::string* find(std::string_view key) const {
    for (const auto& [k, v] : entries) {
      if (k == key) return &v;
    }
    return nullptr;
  }
};

// The result of operations that answer nothing but success.
struct Empty {};

// Which node an administrative call goes to. An empty address means any reachable node.
struct NodeTarget {
  std::string address{};  // "host:port" of the node's binary protocol.
};

}  // namespace pairdb::client
