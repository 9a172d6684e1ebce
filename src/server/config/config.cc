#include "server/config/config.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>

#include <fmt/format.h>

#include "common/assert.h"
#include "server/config/config_keys.h"

namespace pairdb::server {

namespace {

// Room in a frame around one maximal item: table name, headers, version vector, options.
constexpr uint64_t kItemFrameOverheadBytes = 64 * 1024;

std::string env_or_empty(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? std::string() : std::string(value);
}

Status check_item_fits(const NodeConfig& config) {
  const auto& l = config.limits;
  uint64_t item_bytes = l.partition_key_bytes_max + l.sort_key_bytes_max + l.value_bytes_max +
                        kItemFrameOverheadBytes;
  if (item_bytes > config.network.max_frame_bytes) {
    return Status::invalid_argument(fmt::format(
        "network.max_frame_bytes ({}) must hold a maximal item: limits.partition_key_bytes_max + "
        "limits.sort_key_bytes_max + limits.value_bytes_max + {} bytes of overhead = {}",
        config.network.max_frame_bytes, kItemFrameOverheadBytes, item_bytes));
  }
  if (config.http.max_body_bytes < l.value_bytes_max) {
    return Status::invalid_argument(
        fmt::format("http.max_body_bytes ({}) must be at least limits.value_bytes_max ({})",
                    config.http.max_body_bytes, l.value_bytes_max));
  }
  return Status::ok();
}

Status check_distinct_listeners(const NodeConfig& config) {
  struct Listener {
    std::string_view key;
    const HostPort* address;
  };
  const Listener listeners[] = {{"network.listen", &config.network.listen},
                                {"network.http_listen", &config.network.http_listen},
                                {"gossip.listen", &config.gossip.listen},
                                {"internode.listen", &config.internode.listen}};
  for (size_t i = 0; i < std::size(listeners); ++i) {
    for (size_t j = i + 1; j < std::size(listeners); ++j) {
      const HostPort& a = *listeners[i].address;
      if (a.port != 0 && a == *listeners[j].address) {
        return Status::invalid_argument(fmt::format("{} and {} are both {}", listeners[i].key,
                                                    listeners[j].key, a.to_string()));
      }
    }
  }
  return Status::ok();
}

}  // namespace

std::string_view to_string(WalSync value) {
  switch (value) {
    case WalSync::kPerWrite:
      return "always";
    case WalSync::kPeriodic:
      return "periodic";
    case WalSync::kNone:
      return "none";
  }
  return "?";
}

std::string_view to_string(PointOpsOn value) {
  return value == PointOpsOn::kWorkers ? "workers" : "io_threads";
}

std::string_view to_string(ConflictMode value) {
  return value == ConflictMode::kLww ? "lww" : "siblings";
}

std::string_view to_string(LogLevel value) {
  switch (value) {
    case LogLevel::kTrace:
      return "trace";
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarn:
      return "warn";
    case LogLevel::kError:
      return "error";
  }
  return "?";
}

std::string_view to_string(LogFormat value) { return value == LogFormat::kJson ? "json" : "text"; }

Status validate_config(const NodeConfig& config) {
  for (const auto& desc : key_descriptors()) {
    Status s = check_key(desc, config);
    if (!s.is_ok()) return s.with_context(desc.path());
  }
  if (config.node.data_dir.empty()) {
    return Status::invalid_argument("node.data_dir is empty (load_config resolves the default)");
  }
  if (config.tables.siblings_warn > config.tables.siblings_max) {
    return Status::invalid_argument(
        fmt::format("tables.siblings_warn ({}) must not exceed tables.siblings_max ({})",
                    config.tables.siblings_warn, config.tables.siblings_max));
  }
  PAIRDB_TRY(check_item_fits(config));
  return check_distinct_listeners(config);
}

std::string dump_config(const NodeConfig& config) {
  std::string out;
  std::string_view table;
  for (const auto& desc : key_descriptors()) {
    if (desc.table != table) {
      out += fmt::format("{}[{}]\n", out.empty() ? "" : "\n", desc.table);
      table = desc.table;
    }
    out += fmt::format("{} = {}\n", desc.key, format_key_value(desc, config));
  }
  return out;
}

std::vector<std::string> config_key_names() {
  std::vector<std::string> names;
  for (const auto& desc : key_descriptors()) names.push_back(desc.path());
  return names;
}

DataDirEnvironment current_data_dir_environment() {
  return DataDirEnvironment{.is_root = geteuid() == 0,
                            .xdg_data_home = env_or_empty("XDG_DATA_HOME"),
                            .home = env_or_empty("HOME")};
}

Result<std::string> default_data_dir(const DataDirEnvironment& env) {
  if (env.is_root) return std::string("/var/lib/pairdb");
  if (!env.xdg_data_home.empty() && env.xdg_data_home.front() == '/') {
    return env.xdg_data_home + "/pairdb";
  }
  if (!env.home.empty()) return env.home + "/.local/share/pairdb";
  return Status::invalid_argument(
      "node.data_dir is not set and neither XDG_DATA_HOME nor HOME is: pass --data-dir");
}

ThreadCounts resolve_thread_counts(const NodeConfig& config, unsigned cores) {
  const uint64_t n = std::max(1u, cores);
  ThreadCounts counts;
  counts.io_threads =
      static_cast<uint32_t>(config.network.io_threads == 0 ? n : config.network.io_threads);
  // With wal_sync = always every write holds its worker through an fsync, and group commit
  // can only batch the writes of workers waiting together: two per core would cap a group at
  // a handful of writes. Blocked workers cost no CPU, so durable nodes get at least
  // kDurableWorkersMin (Cassandra's concurrent_writes default); CPU-bound work is the same.
  uint64_t workers = 2 * n;
  if (config.storage.wal_sync == WalSync::kPerWrite) {
    workers = std::max(workers, kDurableWorkersMin);
  }
  counts.storage_workers = static_cast<uint32_t>(
      config.storage.worker_threads == 0 ? workers : config.storage.worker_threads);
  PAIRDB_ASSERT(counts.io_threads >= 1);
  PAIRDB_ASSERT(counts.storage_workers >= 1);
  return counts;
}

}  // namespace pairdb::server
