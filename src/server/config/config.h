// The daemon's configuration: one struct per TOML table of conf/pairdb.toml, every key with its
// default, loaded from the file and then overridden by command-line flags.
//
// A table of key descriptors (server/config_keys.h) drives TOML parsing, the `--<table>.<key>`
// flags, per-key validation and dump_config(), so a key added to a struct and to the table is
// parsed, overridable, validated and printed everywhere. conf/pairdb.toml documents every key;
// a unit test fails when the file and the table drift apart.
//
// Values are plain data: a loaded NodeConfig is immutable by convention and safe to share
// between threads.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <pairdb/status.h>

#include <pairdb/lsm/options.h>
#include <pairdb/replication/version.h>

#include "replication/table_meta.h"
#include "server/config/host_port.h"
#include "server/thread_priority.h"

namespace pairdb::server {

// When the write-ahead log is fsynced relative to acknowledging a write: the engine's own enum
// (storage.wal_sync = always | periodic | none, in enumerator order).
using WalSync = lsm::WalSyncMode;

// Where point reads and writes run (storage.point_ops_on).
enum class PointOpsOn : uint8_t {
  kIoThreads,  // On the I/O thread that received them, while they cannot wait (see Node).
  kWorkers,    // Always on the storage workers.
};

// How a table reconciles concurrent writes (tables.default_conflict_mode = siblings | lww).
using ConflictMode = replication::ConflictMode;

enum class LogLevel : uint8_t { kTrace, kDebug, kInfo, kWarn, kError };
enum class LogFormat : uint8_t { kText, kJson };

std::string_view to_string(WalSync value);
std::string_view to_string(PointOpsOn value);
std::string_view to_string(ConflictMode value);
std::string_view to_string(LogLevel value);
std::string_view to_string(LogFormat value);

// Every numeric key is a uint64_t so one descriptor kind covers them all; the validated ranges
// (see config_keys.cc and conf/pairdb.toml) keep each within what its user needs.
struct NodeConfig {
  struct Node {
    // Resolved at load time when not configured (an empty string in the file means "default"):
    // $XDG_DATA_HOME/pairdb or $HOME/.local/share/pairdb for a non-root user, /var/lib/pairdb
    // for root. data_dir_defaulted records that the default was used.
    std::string data_dir;
    bool data_dir_defaulted = false;
    std::string cluster_name = "pairdb";
    // Keys that authenticate causal contexts; empty = <data_dir>/context.key (node_identity.h).
    std::string context_key_file;
    std::string dc = "dc1";
    std::string rack = "rack1";
    // Ring tokens drawn at first start; later starts keep the persisted tokens.
    uint64_t num_tokens = 256;
    // Tokens for a new data directory instead of random ones (comma-separated, decimal or 0x
    // hex): to bring a node back empty at its old place on the ring. Empty = random.
    std::string initial_tokens;
    bool operator==(const Node&) const = default;
  };
  struct Network {
    HostPort listen{"127.0.0.1", 7400};  // Binary protocol.
    HostPort http_listen{"127.0.0.1", 7480};
    uint64_t io_threads = 0;  // 0 = one per core.
    uint64_t max_connections = 4096;
    uint64_t idle_timeout_ms = 300000;
    uint64_t max_frame_bytes = 16777216;
    uint64_t max_inflight_per_connection = 128;
    uint64_t request_timeout_ms = 10000;
    uint64_t shutdown_timeout_ms = 10000;
    bool operator==(const Network&) const = default;
  };
  struct Http {
    uint64_t max_body_bytes = 4194304;
    uint64_t max_header_bytes = 16384;
    uint64_t read_timeout_ms = 10000;  // A whole request must arrive within it (slowloris).
    uint64_t keepalive_timeout_ms = 60000;
    bool operator==(const Http&) const = default;
  };
  struct Storage {
    WalSync wal_sync = WalSync::kPerWrite;
    uint64_t wal_sync_interval_ms = 100;
    uint64_t memtable_bytes = 67108864;
    uint64_t block_cache_bytes = 268435456;
    uint64_t max_open_tables = 1000;
    uint64_t worker_threads = 0;  // 0 = 2 x cores; runs storage work off the io threads.
    PointOpsOn point_ops_on = PointOpsOn::kIoThreads;
    bool operator==(const Storage&) const = default;
  };
  struct Limits {
    uint64_t partition_key_bytes_max = 1024;
    uint64_t sort_key_bytes_max = 1024;
    uint64_t value_bytes_max = 1048576;
    uint64_t query_page_items_max = 1000;
    bool operator==(const Limits&) const = default;
  };
  struct Tables {
    ConflictMode default_conflict_mode = ConflictMode::kSiblings;
    uint64_t siblings_warn = replication::kSiblingsWarnDefault;
    uint64_t siblings_max = replication::kSiblingsMaxDefault;
    uint64_t idempotency_window_ms = 86400000;
    uint64_t tombstone_grace_ms = 0;        // 0: purge only after a repair (see [repair]).
    std::string default_table = "default";  // The simple API's table, created as lww.
    // Replicas per DC of a table created without a replication spec (and of default_table).
    uint64_t default_replication_factor = 3;
    bool operator==(const Tables&) const = default;
  };
  struct Log {
    LogLevel level = LogLevel::kInfo;
    LogFormat format = LogFormat::kText;
    bool operator==(const Log&) const = default;
  };
  // SWIM membership: UDP datagrams and a TCP stream channel share the listen address.
  struct Gossip {
    HostPort listen{"127.0.0.1", 7401};
    std::vector<HostPort> seeds;
    uint64_t protocol_period_ms = 1000;
    uint64_t sync_interval_ms = 30000;  // Push-pull of the full member list.
    uint64_t indirect_probes = 3;       // Helpers asked (ping-req) when a direct probe fails.
    bool operator==(const Gossip&) const = default;
  };

  // Replica-to-replica traffic: its own TCP listener, announced through gossip.
  struct Internode {
    HostPort listen{"127.0.0.1", 7402};
    uint64_t connections_per_peer = 2;
    uint64_t max_inflight_per_peer = 4096;               // Requests awaiting an answer.
    uint64_t max_inflight_bytes_per_peer = 64ull << 20;  // Their request bytes.
    uint64_t connect_timeout_ms = 1000;
    bool operator==(const Internode&) const = default;
  };
  // The quorum coordinator.
  struct Replication {
    uint64_t write_timeout_ms = 2000;
    uint64_t read_timeout_ms = 2000;
    uint64_t speculative_retry_ms = 50;  // 0 = never ask an extra replica.
    uint64_t stand_in_ms = 100;  // Sloppy quorum: silent replicas get a fallback; 0 = never.
    bool operator==(const Replication&) const = default;
  };
  // Hinted handoff: hints kept for replicas that missed writes (replication/hint_store.h).
  struct Hints {
    uint64_t max_window_ms = 3ull * 3600 * 1000;  // 0 = keep no hints.
    uint64_t max_bytes_per_target = 256ull << 20;
    uint64_t max_bytes_total = 1ull << 30;
    uint64_t throttle_bytes_per_sec = 0;  // 0 = unthrottled.
    bool operator==(const Hints&) const = default;
  };
  // Anti-entropy: repair sessions and the background scheduler (replication/repair_*.h).
  struct Repair {
    uint64_t interval_ms = 24ull * 3600 * 1000;  // Every range verified this often; 0 = off.
    uint64_t rate_bytes_per_sec = 8ull << 20;    // Per node, all sessions; 0 = unlimited.
    uint64_t scan_bytes_per_sec = 32ull << 20;   // Tree-build reads; 0 = unlimited.
    uint64_t max_sessions = 1;                   // Sessions this node initiates at once.
    uint64_t request_timeout_ms = 60000;
    uint64_t tombstone_margin_ms = 600000;  // Dead this long before a repair's start: purgeable.
    CpuPriority cpu_priority = CpuPriority::kIdle;  // Of the repair thread: foreground first.
    bool operator==(const Repair&) const = default;
  };
  // Fault hooks for the test suites; empty (off) everywhere else.
  struct Testing {
    std::string partition_file;  // net/partition_filter.h.
    bool operator==(const Testing&) const = default;
  };

  Node node;
  Network network;
  Http http;
  Storage storage;
  Limits limits;
  Tables tables;
  Log log;
  Gossip gossip;
  Internode internode;
  Hints hints;
  Repair repair;
  Replication replication;
  Testing testing;

  bool operator==(const NodeConfig&) const = default;
};

// What the command line asked the daemon to do.
enum class ConfigAction : uint8_t {
  kRun,           // Start with `config`.
  kPrintHelp,     // --help: print `text` to stdout and exit 0.
  kPrintVersion,  // --version: likewise.
  kPrintConfig,   // --print-config: `text` is dump_config(config); print it and exit 0.
};

struct LoadedConfig {
  ConfigAction action = ConfigAction::kRun;
  std::string text;   // Output for the kPrint* actions; empty for kRun.
  NodeConfig config;  // Fully loaded and validated unless action is kPrintHelp/kPrintVersion.
};

// Parses the command line: `--config FILE` is loaded first (TOML), then every flag overrides
// its key. Flags: --config, --data-dir, --listen, --http-listen, --gossip-listen, --seeds, --dc,
// --rack, --num-tokens, --print-config, --help, --version, and `--<table>.<key> VALUE` for every
// key (lists take comma-separated values). Errors (unknown or mistyped keys and flags, out-of-range
// values, an unreadable file) are Status::invalid_argument naming the key and, for the file,
// path:line:column.
Result<LoadedConfig> load_config(int argc, const char* const* argv);
// Same, for tests: `args` excludes the program name.
Result<LoadedConfig> load_config(const std::vector<std::string>& args);

// Checks every key's range and the rules between keys (e.g. siblings_warn <= siblings_max, a
// maximal item fits in a frame). load_config() runs it; call it on a hand-built config too.
Status validate_config(const NodeConfig& config);

// The effective configuration as TOML, every key in descriptor order: loading it back yields
// the same config.
std::string dump_config(const NodeConfig& config);

// "table.key" for every key the loader knows, in descriptor order.
std::vector<std::string> config_key_names();

// Inputs of the default data directory, split out so tests need not change the environment.
struct DataDirEnvironment {
  bool is_root = false;
  std::string xdg_data_home;  // Empty when unset; ignored unless absolute (XDG spec).
  std::string home;           // Empty when unset.
};
DataDirEnvironment current_data_dir_environment();
// Fails when neither an absolute XDG_DATA_HOME nor HOME is available to a non-root user.
Result<std::string> default_data_dir(const DataDirEnvironment& env);

// io_threads / worker_threads with their 0 defaults resolved for `cores` (at least 1): one io
// thread per core; two workers per core, and at least kDurableWorkersMin with wal_sync = always.
inline constexpr uint64_t kDurableWorkersMin = 32;
struct ThreadCounts {
  uint32_t io_threads = 1;
  uint32_t storage_workers = 2;
};
ThreadCounts resolve_thread_counts(const NodeConfig& config, unsigned cores);

}  // namespace pairdb::server
