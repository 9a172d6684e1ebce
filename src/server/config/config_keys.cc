#include "server/config/config_keys.h"

#include <algorithm>
#include <array>
#include <type_traits>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <pairdb/ring/types.h>

#include "common/assert.h"
#include "gossip/swim_core.h"

namespace pairdb::server {

namespace {

// Accessors generated from a pair of member pointers (section, then field).
template <auto kSection, auto kField>
auto* field_of(NodeConfig& config) {
  return &((config.*kSection).*kField);
}

template <auto kSection, auto kField>
size_t enum_get(const NodeConfig& config) {
  return static_cast<size_t>((config.*kSection).*kField);
}

template <auto kSection, auto kField>
void enum_set(NodeConfig& config, size_t index) {
  auto& field = (config.*kSection).*kField;
  field = static_cast<std::remove_reference_t<decltype(field)>>(index);
}

#define PAIRDB_CONFIG_FIELD(section, member) \
  &field_of<&NodeConfig::section, &decltype(NodeConfig::section)::member>
#define PAIRDB_CONFIG_ENUM(section, member, names)                                  \
  EnumAccess {                                                                      \
    names, &enum_get<&NodeConfig::section, &decltype(NodeConfig::section)::member>, \
        &enum_set<&NodeConfig::section, &decltype(NodeConfig::section)::member>     \
  }

constexpr std::array<std::string_view, 3> kWalSyncNames = {"always", "periodic", "none"};
constexpr std::array<std::string_view, 2> kPointOpsOnNames = {"io_threads", "workers"};
constexpr std::array<std::string_view, 2> kConflictModeNames = {"siblings", "lww"};
// The names index the engine's enums: keep them in enumerator order.
static_assert(static_cast<size_t>(WalSync::kPerWrite) == 0 &&
              static_cast<size_t>(WalSync::kPeriodic) == 1 &&
              static_cast<size_t>(WalSync::kNone) == 2);
static_assert(static_cast<size_t>(ConflictMode::kSiblings) == 0 &&
              static_cast<size_t>(ConflictMode::kLww) == 1);
constexpr std::array<std::string_view, 5> kLogLevelNames = {"trace", "debug", "info", "warn",
                                                            "error"};
constexpr std::array<std::string_view, 2> kLogFormatNames = {"text", "json"};
constexpr std::array<std::string_view, 3> kCpuPriorityNames = {"idle", "low", "normal"};
static_assert(static_cast<size_t>(CpuPriority::kIdle) == 0 &&
              static_cast<size_t>(CpuPriority::kLow) == 1 &&
              static_cast<size_t>(CpuPriority::kNormal) == 2);

constexpr uint64_t kSecondMs = 1000;
constexpr uint64_t kHourMs = 3600 * kSecondMs;
constexpr uint64_t kDayMs = 24 * kHourMs;
constexpr uint64_t kKiB = 1024;
constexpr uint64_t kMiB = 1024 * kKiB;
constexpr uint64_t kGiB = 1024 * kMiB;
constexpr uint64_t kThreadsMax = 1024;

KeyDescriptor make_descriptor(std::string_view table, std::string_view key, KeyKind kind,
                              std::string_view doc) {
  KeyDescriptor d;
  d.table = table;
  d.key = key;
  d.kind = kind;
  d.doc = doc;
  return d;
}

KeyDescriptor string_key(std::string_view table, std::string_view key,
                         std::string* (*field)(NodeConfig&), StringRule rule, std::string_view doc,
                         std::string_view alias = {}) {
  KeyDescriptor d = make_descriptor(table, key, KeyKind::kString, doc);
  d.flag_alias = alias;
  d.string_field = field;
  d.string_rule = rule;
  return d;
}

KeyDescriptor uint_key(std::string_view table, std::string_view key,
                       uint64_t* (*field)(NodeConfig&), uint64_t min, uint64_t max,
                       std::string_view doc, std::string_view alias = {}) {
  PAIRDB_ASSERT(min <= max);
  KeyDescriptor d = make_descriptor(table, key, KeyKind::kUint, doc);
  d.flag_alias = alias;
  d.uint_field = field;
  d.min = min;
  d.max = max;
  return d;
}

KeyDescriptor enum_key(std::string_view table, std::string_view key, EnumAccess access,
                       std::string_view doc) {
  KeyDescriptor d = make_descriptor(table, key, KeyKind::kEnum, doc);
  d.enum_access = access;
  return d;
}

KeyDescriptor host_port_key(std::string_view table, std::string_view key,
                            HostPort* (*field)(NodeConfig&), std::string_view doc,
                            std::string_view alias = {}) {
  KeyDescriptor d = make_descriptor(table, key, KeyKind::kHostPort, doc);
  d.flag_alias = alias;
  d.host_port_field = field;
  return d;
}

KeyDescriptor host_port_list_key(std::string_view table, std::string_view key,
                                 std::vector<HostPort>* (*field)(NodeConfig&), std::string_view doc,
                                 std::string_view alias = {}) {
  KeyDescriptor d = make_descriptor(table, key, KeyKind::kHostPortList, doc);
  d.flag_alias = alias;
  d.host_port_list_field = field;
  return d;
}

std::vector<KeyDescriptor> node_keys() {
  return {
      string_key("node", "data_dir", PAIRDB_CONFIG_FIELD(node, data_dir), StringRule::kPath,
                 "Directory for all of this node's data", "--data-dir"),
      string_key("node", "cluster_name", PAIRDB_CONFIG_FIELD(node, cluster_name), StringRule::kName,
                 "Cluster name; gossip from nodes of another cluster is dropped", "--cluster-name"),
      string_key("node", "context_key_file", PAIRDB_CONFIG_FIELD(node, context_key_file),
                 StringRule::kPath,
                 "File of hex keys that authenticate causal contexts; the same on every node "
                 "(empty = <data_dir>/context.key, made at first start)",
                 "--context-key-file"),
      string_key("node", "dc", PAIRDB_CONFIG_FIELD(node, dc), StringRule::kName,
                 "Datacenter of this node (replica placement)", "--dc"),
      string_key("node", "rack", PAIRDB_CONFIG_FIELD(node, rack), StringRule::kName,
                 "Rack of this node (replica placement)", "--rack"),
      uint_key(
          "node", "num_tokens", PAIRDB_CONFIG_FIELD(node, num_tokens), 1, ring::kTokensPerNodeMax,
          "Ring tokens (virtual nodes) drawn at first start; persisted afterwards", "--num-tokens"),
      string_key("node", "initial_tokens", PAIRDB_CONFIG_FIELD(node, initial_tokens),
                 StringRule::kPath,
                 "Ring tokens for a new data directory instead of random ones (comma-separated, "
                 "decimal or 0x hex; empty = draw num_tokens at random)"),
  };
}

std::vector<KeyDescriptor> network_keys() {
  return {
      host_port_key("network", "listen", PAIRDB_CONFIG_FIELD(network, listen),
                    "Binary protocol address (port 0 = any free port)", "--listen"),
      host_port_key("network", "http_listen", PAIRDB_CONFIG_FIELD(network, http_listen),
                    "HTTP/JSON and /metrics address", "--http-listen"),
      uint_key("network", "io_threads", PAIRDB_CONFIG_FIELD(network, io_threads), 0, kThreadsMax,
               "Threads serving binary-protocol connections (0 = one per core)"),
      uint_key("network", "max_connections", PAIRDB_CONFIG_FIELD(network, max_connections), 1,
               1u << 20, "Open client connections (binary + HTTP) beyond which new ones are shed"),
      uint_key("network", "idle_timeout_ms", PAIRDB_CONFIG_FIELD(network, idle_timeout_ms),
               kSecondMs, kDayMs, "Close a binary connection idle this long"),
      uint_key("network", "max_frame_bytes", PAIRDB_CONFIG_FIELD(network, max_frame_bytes),
               4 * kKiB, kGiB, "Largest binary protocol frame accepted"),
      uint_key("network", "max_inflight_per_connection",
               PAIRDB_CONFIG_FIELD(network, max_inflight_per_connection), 1, 65536,
               "Pipelined requests in progress per connection before reading pauses"),
      uint_key("network", "request_timeout_ms", PAIRDB_CONFIG_FIELD(network, request_timeout_ms), 1,
               kHourMs, "Coordinator deadline for one request"),
      uint_key("network", "shutdown_timeout_ms", PAIRDB_CONFIG_FIELD(network, shutdown_timeout_ms),
               0, kHourMs, "On SIGTERM, wait this long for in-flight requests"),
  };
}

std::vector<KeyDescriptor> http_keys() {
  return {
      uint_key("http", "max_body_bytes", PAIRDB_CONFIG_FIELD(http, max_body_bytes), kKiB, kGiB,
               "Largest HTTP request body"),
      uint_key("http", "max_header_bytes", PAIRDB_CONFIG_FIELD(http, max_header_bytes), kKiB, kMiB,
               "Largest HTTP request header block"),
      uint_key("http", "read_timeout_ms", PAIRDB_CONFIG_FIELD(http, read_timeout_ms), 100, kHourMs,
               "A whole HTTP request must arrive within this (slowloris protection)"),
      uint_key("http", "keepalive_timeout_ms", PAIRDB_CONFIG_FIELD(http, keepalive_timeout_ms), 1,
               kDayMs, "Close an idle keep-alive HTTP connection after this"),
  };
}

std::vector<KeyDescriptor> storage_keys() {
  return {
      enum_key("storage", "wal_sync", PAIRDB_CONFIG_ENUM(storage, wal_sync, kWalSyncNames),
               "When the WAL is fsynced: always, periodic or none"),
      uint_key("storage", "wal_sync_interval_ms",
               PAIRDB_CONFIG_FIELD(storage, wal_sync_interval_ms), 1, 60 * kSecondMs,
               "WAL fsync interval when wal_sync = periodic"),
      uint_key("storage", "memtable_bytes", PAIRDB_CONFIG_FIELD(storage, memtable_bytes), 64 * kKiB,
               4 * kGiB, "Memtable size that triggers a flush"),
      uint_key("storage", "block_cache_bytes", PAIRDB_CONFIG_FIELD(storage, block_cache_bytes), 0,
               1024 * kGiB, "Block cache capacity (0 disables it)"),
      uint_key("storage", "max_open_tables", PAIRDB_CONFIG_FIELD(storage, max_open_tables), 16,
               1u << 20, "SSTables kept open in the table cache"),
      uint_key("storage", "worker_threads", PAIRDB_CONFIG_FIELD(storage, worker_threads), 0,
               kThreadsMax, "Threads running storage work off the I/O threads (0 = 2 x cores)"),
      enum_key("storage", "point_ops_on",
               PAIRDB_CONFIG_ENUM(storage, point_ops_on, kPointOpsOnNames),
               "Where point reads and writes run: io_threads (while they cannot wait) or "
               "workers"),
  };
}

std::vector<KeyDescriptor> limits_keys() {
  return {
      uint_key("limits", "partition_key_bytes_max",
               PAIRDB_CONFIG_FIELD(limits, partition_key_bytes_max), 1, 65535,
               "Largest partition key"),
      uint_key("limits", "sort_key_bytes_max", PAIRDB_CONFIG_FIELD(limits, sort_key_bytes_max), 1,
               65535, "Largest sort key"),
      uint_key("limits", "value_bytes_max", PAIRDB_CONFIG_FIELD(limits, value_bytes_max), 1,
               256 * kMiB, "Largest value"),
      uint_key("limits", "query_page_items_max", PAIRDB_CONFIG_FIELD(limits, query_page_items_max),
               1, 100000, "Most items one query page returns"),
  };
}

std::vector<KeyDescriptor> tables_keys() {
  return {
      enum_key("tables", "default_conflict_mode",
               PAIRDB_CONFIG_ENUM(tables, default_conflict_mode, kConflictModeNames),
               "Conflict mode of new tables: siblings or lww"),
      uint_key("tables", "siblings_warn", PAIRDB_CONFIG_FIELD(tables, siblings_warn), 1, 10000,
               "Log a warning when a key has more siblings than this"),
      uint_key("tables", "siblings_max", PAIRDB_CONFIG_FIELD(tables, siblings_max), 1, 10000,
               "Refuse writes that would leave a key with more siblings than this"),
      uint_key("tables", "idempotency_window_ms",
               PAIRDB_CONFIG_FIELD(tables, idempotency_window_ms), kSecondMs, 30 * kDayMs,
               "How long an idempotency key is remembered"),
      uint_key("tables", "tombstone_grace_ms", PAIRDB_CONFIG_FIELD(tables, tombstone_grace_ms), 0,
               365 * kDayMs,
               "Upper bound on how long a delete is kept when no repair has covered it: past it "
               "compaction drops the tombstone anyway (0 = only after a repair)"),
      string_key("tables", "default_table", PAIRDB_CONFIG_FIELD(tables, default_table),
                 StringRule::kName, "The simple API's table (created as lww on first start)"),
      uint_key("tables", "default_replication_factor",
               PAIRDB_CONFIG_FIELD(tables, default_replication_factor), 1,
               ring::kReplicationFactorMax,
               "Replicas in this node's DC of a table created without a replication spec"),
  };
}

std::vector<KeyDescriptor> log_keys() {
  return {
      enum_key("log", "level", PAIRDB_CONFIG_ENUM(log, level, kLogLevelNames),
               "Least severe level logged: trace, debug, info, warn or error"),
      enum_key("log", "format", PAIRDB_CONFIG_ENUM(log, format, kLogFormatNames),
               "Log line format: text or json"),
  };
}

std::vector<KeyDescriptor> gossip_keys() {
  return {
      host_port_key("gossip", "listen", PAIRDB_CONFIG_FIELD(gossip, listen),
                    "Gossip (SWIM) address, UDP and TCP, as peers should reach it",
                    "--gossip-listen"),
      host_port_list_key("gossip", "seeds", PAIRDB_CONFIG_FIELD(gossip, seeds),
                         "Gossip seed nodes, comma-separated host:port", "--seeds"),
      uint_key("gossip", "protocol_period_ms", PAIRDB_CONFIG_FIELD(gossip, protocol_period_ms), 10,
               60 * kSecondMs, "SWIM protocol period: one probe per period"),
      uint_key("gossip", "sync_interval_ms", PAIRDB_CONFIG_FIELD(gossip, sync_interval_ms), 100,
               kHourMs, "Full member-list exchange (push-pull) with one peer this often"),
      uint_key("gossip", "indirect_probes", PAIRDB_CONFIG_FIELD(gossip, indirect_probes), 1,
               gossip::kIndirectProbesMax,
               "Members asked to probe a node that did not answer a direct probe"),
  };
}

std::vector<KeyDescriptor> internode_keys() {
  return {
      host_port_key("internode", "listen", PAIRDB_CONFIG_FIELD(internode, listen),
                    "Replica-to-replica TCP address (port 0 = any free port)",
                    "--internode-listen"),
      uint_key("internode", "connections_per_peer",
               PAIRDB_CONFIG_FIELD(internode, connections_per_peer), 1, 64,
               "TCP connections kept to each peer, requests spread over them"),
      uint_key("internode", "max_inflight_per_peer",
               PAIRDB_CONFIG_FIELD(internode, max_inflight_per_peer), 1, 1u << 20,
               "Requests awaiting a peer's answer beyond which new ones fail as Overloaded"),
      uint_key("internode", "max_inflight_bytes_per_peer",
               PAIRDB_CONFIG_FIELD(internode, max_inflight_bytes_per_peer), kMiB, 64 * kGiB,
               "Request bytes awaiting a peer's answer beyond which new ones fail as Overloaded"),
      uint_key("internode", "connect_timeout_ms",
               PAIRDB_CONFIG_FIELD(internode, connect_timeout_ms), 10, kHourMs,
               "Connect and handshake deadline for a connection to a peer"),
  };
}

std::vector<KeyDescriptor> replication_keys() {
  return {
      uint_key("replication", "write_timeout_ms",
               PAIRDB_CONFIG_FIELD(replication, write_timeout_ms), 1, kHourMs,
               "A write short of its consistency level this long answers Timeout"),
      uint_key("replication", "read_timeout_ms", PAIRDB_CONFIG_FIELD(replication, read_timeout_ms),
               1, kHourMs, "A read short of its consistency level this long answers Timeout"),
      uint_key("replication", "speculative_retry_ms",
               PAIRDB_CONFIG_FIELD(replication, speculative_retry_ms), 0, kHourMs,
               "A read still short of its level this long asks one more replica (0 = never)"),
      uint_key("replication", "stand_in_ms", PAIRDB_CONFIG_FIELD(replication, stand_in_ms), 0,
               kHourMs,
               "Under a sloppy quorum, a write still short of its level this long after the "
               "local apply sends the record to a fallback for each replica that has not "
               "answered (0 = only for dead or failed replicas)"),
  };
}

std::vector<KeyDescriptor> hints_keys() {
  return {
      uint_key("hints", "max_window_ms", PAIRDB_CONFIG_FIELD(hints, max_window_ms), 0,
               30 * 24 * kHourMs,
               "No new hints for a replica dead longer than this; its ranges are marked for "
               "repair instead (0 = keep no hints)"),
      uint_key("hints", "max_bytes_per_target", PAIRDB_CONFIG_FIELD(hints, max_bytes_per_target),
               kMiB, 1024 * kGiB,
               "Hint bytes held for one replica; past it writes mark their ranges for repair"),
      uint_key("hints", "max_bytes_total", PAIRDB_CONFIG_FIELD(hints, max_bytes_total), kMiB,
               4096 * kGiB, "Hint bytes held for all replicas together; past it likewise"),
      uint_key("hints", "throttle_bytes_per_sec",
               PAIRDB_CONFIG_FIELD(hints, throttle_bytes_per_sec), 0, 64 * kGiB,
               "Hint bytes delivered per second, all targets together (0 = unthrottled)"),
  };
}

std::vector<KeyDescriptor> repair_keys() {
  return {
      uint_key("repair", "interval_ms", PAIRDB_CONFIG_FIELD(repair, interval_ms), 0, 365 * kDayMs,
               "The background scheduler verifies every range this node replicates at least "
               "this often (0 = no background repair)"),
      uint_key("repair", "rate_bytes_per_sec", PAIRDB_CONFIG_FIELD(repair, rate_bytes_per_sec), 0,
               64 * kGiB,
               "Repair bytes sent and received per second by this node's sessions "
               "(0 = unlimited)"),
      uint_key("repair", "scan_bytes_per_sec", PAIRDB_CONFIG_FIELD(repair, scan_bytes_per_sec), 0,
               64 * kGiB,
               "Stored bytes per second a repair's Merkle tree builds read on this node "
               "(0 = unlimited)"),
      uint_key("repair", "max_sessions", PAIRDB_CONFIG_FIELD(repair, max_sessions), 1, 16,
               "Repair sessions this node initiates at once"),
      uint_key("repair", "request_timeout_ms", PAIRDB_CONFIG_FIELD(repair, request_timeout_ms), 100,
               kHourMs, "A repair request unanswered this long is sent again"),
      uint_key("repair", "tombstone_margin_ms", PAIRDB_CONFIG_FIELD(repair, tombstone_margin_ms),
               kSecondMs, 30 * kDayMs,
               "A tombstone is purged once a repair with every replica started this long after "
               "the delete (covers clock skew and writes in flight)"),
      enum_key("repair", "cpu_priority",
               PAIRDB_CONFIG_ENUM(repair, cpu_priority, kCpuPriorityNames),
               "CPU priority of the thread running repair sessions, tree builds and merges: idle "
               "(only CPU time nothing else wants), low (nice 19) or normal"),
  };
}

std::vector<KeyDescriptor> testing_keys() {
  return {
      string_key("testing", "partition_file", PAIRDB_CONFIG_FIELD(testing, partition_file),
                 StringRule::kPath,
                 "TEST ONLY, never in production: a file listing hosts (one per line) whose "
                 "gossip and internode traffic with this node is dropped, re-read every 100 ms "
                 "(empty = off)"),
  };
}

std::vector<KeyDescriptor> build_descriptors() {
  std::vector<KeyDescriptor> all;
  for (auto section :
       {node_keys, network_keys, http_keys, storage_keys, limits_keys, tables_keys, log_keys,
        gossip_keys, internode_keys, replication_keys, hints_keys, repair_keys, testing_keys}) {
    std::vector<KeyDescriptor> keys = section();
    all.insert(all.end(), std::make_move_iterator(keys.begin()),
               std::make_move_iterator(keys.end()));
  }
  return all;
}

#undef PAIRDB_CONFIG_FIELD
#undef PAIRDB_CONFIG_ENUM

std::string quote_for_message(std::string_view text) { return fmt::format("'{}'", text); }

std::string join_names(std::span<const std::string_view> names) {
  return fmt::format("{}", fmt::join(names, "|"));
}

Status check_uint(const KeyDescriptor& desc, uint64_t value) {
  if (value < desc.min || value > desc.max) {
    return Status::invalid_argument(
        fmt::format("expected an integer in [{}, {}], got {}", desc.min, desc.max, value));
  }
  return Status::ok();
}

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '-';
}

Status check_string(const KeyDescriptor& desc, std::string_view value) {
  if (desc.string_rule == StringRule::kPath) {
    if (value.find('\0') != std::string_view::npos) {
      return Status::invalid_argument("a path must not contain a NUL byte");
    }
    return Status::ok();
  }
  if (value.empty() || value.size() > kConfigNameBytesMax ||
      !std::all_of(value.begin(), value.end(), is_name_char)) {
    return Status::invalid_argument(
        fmt::format("expected 1 to {} characters of [A-Za-z0-9_.-], got {}", kConfigNameBytesMax,
                    quote_for_message(value)));
  }
  return Status::ok();
}

Result<size_t> parse_enum(const KeyDescriptor& desc, std::string_view value) {
  const auto& names = desc.enum_access.names;
  auto it = std::find(names.begin(), names.end(), value);
  if (it == names.end()) {
    return Status::invalid_argument(
        fmt::format("expected one of {}, got {}", join_names(names), quote_for_message(value)));
  }
  return static_cast<size_t>(it - names.begin());
}

Result<std::vector<HostPort>> parse_host_port_list(const std::vector<std::string>& items) {
  if (items.size() > kGossipSeedsMax) {
    return Status::invalid_argument(
        fmt::format("expected at most {} addresses, got {}", kGossipSeedsMax, items.size()));
  }
  std::vector<HostPort> out;
  for (const auto& item : items) {
    auto parsed = parse_host_port(item);
    if (!parsed.is_ok()) return parsed.status();
    out.push_back(std::move(parsed).value());
  }
  return out;
}

const char* kind_expectation(KeyKind kind) {
  switch (kind) {
    case KeyKind::kUint:
      return "expected a non-negative integer";
    case KeyKind::kHostPortList:
      return "expected an array of \"host:port\" strings";
    case KeyKind::kString:
    case KeyKind::kEnum:
    case KeyKind::kHostPort:
      return "expected a string";
  }
  return "unexpected value";
}

}  // namespace

std::string KeyDescriptor::path() const { return fmt::format("{}.{}", table, key); }

std::span<const KeyDescriptor> key_descriptors() {
  static const std::vector<KeyDescriptor> descriptors = build_descriptors();
  return descriptors;
}

const KeyDescriptor* find_key(std::string_view table, std::string_view key) {
  for (const auto& desc : key_descriptors()) {
    if (desc.table == table && desc.key == key) return &desc;
  }
  return nullptr;
}

bool is_known_table(std::string_view table) {
  const auto descriptors = key_descriptors();
  return std::any_of(descriptors.begin(), descriptors.end(),
                     [&](const KeyDescriptor& d) { return d.table == table; });
}

Status assign_key(const KeyDescriptor& desc, const KeyValue& value, NodeConfig& config) {
  const bool wants_uint = desc.kind == KeyKind::kUint;
  const bool wants_list = desc.kind == KeyKind::kHostPortList;
  if (wants_uint != std::holds_alternative<uint64_t>(value) ||
      wants_list != std::holds_alternative<std::vector<std::string>>(value)) {
    return Status::invalid_argument(kind_expectation(desc.kind));
  }
  switch (desc.kind) {
    case KeyKind::kUint: {
      uint64_t v = std::get<uint64_t>(value);
      PAIRDB_TRY(check_uint(desc, v));
      *desc.uint_field(config) = v;
      return Status::ok();
    }
    case KeyKind::kString: {
      const auto& v = std::get<std::string>(value);
      PAIRDB_TRY(check_string(desc, v));
      *desc.string_field(config) = v;
      return Status::ok();
    }
    case KeyKind::kEnum: {
      PAIRDB_ASSIGN_OR_RETURN(size_t index, parse_enum(desc, std::get<std::string>(value)));
      desc.enum_access.set(config, index);
      return Status::ok();
    }
    case KeyKind::kHostPort: {
      PAIRDB_ASSIGN_OR_RETURN(*desc.host_port_field(config),
                              parse_host_port(std::get<std::string>(value)));
      return Status::ok();
    }
    case KeyKind::kHostPortList: {
      PAIRDB_ASSIGN_OR_RETURN(*desc.host_port_list_field(config),
                              parse_host_port_list(std::get<std::vector<std::string>>(value)));
      return Status::ok();
    }
  }
  PAIRDB_ASSERT(false);
  return Status::ok();
}

Status check_key(const KeyDescriptor& desc, const NodeConfig& config) {
  // The accessors take a mutable config; this function only reads through them.
  NodeConfig& mutable_config = const_cast<NodeConfig&>(config);
  switch (desc.kind) {
    case KeyKind::kUint:
      return check_uint(desc, *desc.uint_field(mutable_config));
    case KeyKind::kString:
      return check_string(desc, *desc.string_field(mutable_config));
    case KeyKind::kEnum:
      if (desc.enum_access.get(config) >= desc.enum_access.names.size()) {
        return Status::invalid_argument("enum value out of range");
      }
      return Status::ok();
    case KeyKind::kHostPort:
      return parse_host_port(desc.host_port_field(mutable_config)->to_string()).status();
    case KeyKind::kHostPortList: {
      std::vector<std::string> items;
      for (const auto& hp : *desc.host_port_list_field(mutable_config)) {
        items.push_back(hp.to_string());
      }
      return parse_host_port_list(items).status();
    }
  }
  PAIRDB_ASSERT(false);
  return Status::ok();
}

std::string format_key_value(const KeyDescriptor& desc, const NodeConfig& config) {
  NodeConfig& mutable_config = const_cast<NodeConfig&>(config);  // Read-only use, as above.
  switch (desc.kind) {
    case KeyKind::kUint:
      return fmt::format("{}", *desc.uint_field(mutable_config));
    case KeyKind::kString:
      return toml_quote(*desc.string_field(mutable_config));
    case KeyKind::kEnum: {
      size_t index = desc.enum_access.get(config);
      PAIRDB_ASSERT(index < desc.enum_access.names.size());
      return toml_quote(desc.enum_access.names[index]);
    }
    case KeyKind::kHostPort:
      return toml_quote(desc.host_port_field(mutable_config)->to_string());
    case KeyKind::kHostPortList: {
      std::vector<std::string> items;
      for (const auto& hp : *desc.host_port_list_field(mutable_config)) {
        items.push_back(toml_quote(hp.to_string()));
      }
      return fmt::format("[{}]", fmt::join(items, ", "));
    }
  }
  PAIRDB_ASSERT(false);
  return {};
}

std::string toml_quote(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (byte < 0x20 || byte == 0x7f) {
      out += fmt::format("\\u{:04X}", byte);
    } else {
      out += c;
    }
  }
  out += '"';
  return out;
}

}  // namespace pairdb::server
