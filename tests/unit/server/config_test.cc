#include <catch2/catch.hpp>

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "server/config/config.h"
#include "server/config/config_file.h"
#include "server/config/config_keys.h"
#include "support/temp_dir.h"

using namespace pairdb;
using namespace pairdb::server;

namespace {

using pairdb::test::TempDir;

NodeConfig load_ok(const std::vector<std::string>& args) {
  auto r = load_config(args);
  INFO(r.status().to_string());
  REQUIRE(r.is_ok());
  REQUIRE(r->action == ConfigAction::kRun);
  return r->config;
}

std::string load_error(const std::vector<std::string>& args) {
  auto r = load_config(args);
  REQUIRE_FALSE(r.is_ok());
  REQUIRE(r.status().is_invalid_argument());
  return std::string(r.status().message());
}

// Applies a TOML document to the defaults; returns the error message ("" on success).
std::string toml_error(const std::string& text) {
  NodeConfig config;
  Status s = apply_toml_text(text, "test.toml", config);
  return s.is_ok() ? std::string() : std::string(s.message());
}

// How an expected TOML error message relates to the one apply_toml_text gives.
enum class Match { kWhole, kStart, kEnd, kPart };

struct TomlErrorCase {
  std::string toml;
  Match match;
  std::string message;
};

// Requires each document to fail with a message that matches its case.
void require_toml_errors(const std::vector<TomlErrorCase>& cases) {
  for (const TomlErrorCase& c : cases) {
    INFO(c.toml);
    const std::string error = toml_error(c.toml);
    switch (c.match) {
      case Match::kWhole:
        REQUIRE(error == c.message);
        break;
      case Match::kStart:
        REQUIRE_THAT(error, Catch::StartsWith(c.message));
        break;
      case Match::kEnd:
        REQUIRE_THAT(error, Catch::EndsWith(c.message));
        break;
      case Match::kPart:
        REQUIRE_THAT(error, Catch::Contains(c.message));
        break;
    }
  }
}

NodeConfig defaults_with_dir(std::string dir) {
  NodeConfig config;
  config.node.data_dir = std::move(dir);
  return config;
}

}  // namespace

TEST_CASE("config: no flags give every documented default", "[config]") {
  REQUIRE(load_ok({"--data-dir", "/srv/pairdb"}) == defaults_with_dir("/srv/pairdb"));
  NodeConfig c;
  REQUIRE(c.network.listen.to_string() == "127.0.0.1:7400");
  REQUIRE(c.network.http_listen.to_string() == "127.0.0.1:7480");
  REQUIRE(c.gossip.listen.to_string() == "127.0.0.1:7401");
  REQUIRE(c.storage.wal_sync == WalSync::kPerWrite);
  REQUIRE(c.tables.default_conflict_mode == ConflictMode::kSiblings);
  REQUIRE(c.tables.tombstone_grace_ms == 0);
  REQUIRE(c.repair.interval_ms == 24ull * 3600 * 1000);
  REQUIRE(c.log.level == LogLevel::kInfo);
  REQUIRE(c.log.format == LogFormat::kText);
  REQUIRE(validate_config(defaults_with_dir("/x")).is_ok());
}

TEST_CASE("config: data_dir is resolved at load time and marked as defaulted", "[config]") {
  NodeConfig c = load_ok({});
  auto expected = default_data_dir(current_data_dir_environment());
  REQUIRE(expected.is_ok());
  REQUIRE(c.node.data_dir == *expected);
  REQUIRE(c.node.data_dir_defaulted);
  NodeConfig set = load_ok({"--data-dir", "/srv/pairdb"});
  REQUIRE_FALSE(set.node.data_dir_defaulted);
}

TEST_CASE("config: the default data_dir follows root, XDG_DATA_HOME, then HOME", "[config]") {
  REQUIRE(*default_data_dir({.is_root = true, .xdg_data_home = "/x", .home = "/h"}) ==
          "/var/lib/pairdb");
  REQUIRE(*default_data_dir({.is_root = false, .xdg_data_home = "/x", .home = "/h"}) ==
          "/x/pairdb");
  // The XDG spec says a relative XDG_DATA_HOME is ignored.
  REQUIRE(*default_data_dir({.is_root = false, .xdg_data_home = "rel", .home = "/h"}) ==
          "/h/.local/share/pairdb");
  REQUIRE(*default_data_dir({.is_root = false, .xdg_data_home = "", .home = "/h"}) ==
          "/h/.local/share/pairdb");
  auto none = default_data_dir({.is_root = false, .xdg_data_home = "", .home = ""});
  REQUIRE_FALSE(none.is_ok());
  REQUIRE_THAT(std::string(none.status().message()), Catch::Contains("--data-dir"));
}

TEST_CASE("config: the flags scripts rely on set their keys", "[config]") {
  NodeConfig c =
      load_ok({"--data-dir", "/d", "--listen", "127.0.0.2:0", "--http-listen=[::1]:8080"});
  REQUIRE(c.node.data_dir == "/d");
  REQUIRE(c.network.listen == HostPort{"127.0.0.2", 0});
  REQUIRE(c.network.http_listen == HostPort{"::1", 8080});
  // The long names are the same options.
  NodeConfig d = load_ok({"--node.data_dir", "/e", "--network.listen", "127.0.0.3:1"});
  REQUIRE(d.node.data_dir == "/e");
  REQUIRE(d.network.listen == HostPort{"127.0.0.3", 1});
}

TEST_CASE("config: the cluster flags set the node's placement and gossip keys", "[config]") {
  NodeConfig c = load_ok({"--data-dir", "/d", "--gossip-listen", "127.0.0.2:0", "--seeds",
                          "127.0.0.1:7401,127.0.0.3:7401", "--dc", "eu", "--rack", "r2",
                          "--num-tokens", "16", "--gossip.indirect_probes", "8"});
  REQUIRE(c.gossip.listen == HostPort{"127.0.0.2", 0});
  REQUIRE(c.gossip.indirect_probes == 8);
  REQUIRE_THAT(load_error({"--gossip.indirect_probes", "9"}), Catch::Contains("indirect_probes"));
  REQUIRE_THAT(load_error({"--gossip.indirect_probes", "0"}), Catch::Contains("indirect_probes"));
  REQUIRE(c.gossip.seeds == std::vector<HostPort>{{"127.0.0.1", 7401}, {"127.0.0.3", 7401}});
  REQUIRE(c.node.dc == "eu");
  REQUIRE(c.node.rack == "r2");
  REQUIRE(c.node.num_tokens == 16);
  REQUIRE_THAT(load_error({"--num-tokens", "0"}), Catch::Contains("node.num_tokens"));
  REQUIRE_THAT(load_error({"--num-tokens", "1025"}), Catch::Contains("node.num_tokens"));
  std::vector<std::string> seventeen;
  for (int i = 0; i < 17; ++i) seventeen.push_back(fmt::format("10.0.0.{}:7401", i));
  REQUIRE_THAT(load_error({"--seeds", fmt::format("{}", fmt::join(seventeen, ","))}),
               Catch::Contains("at most 16"));
}

TEST_CASE("config: every key has a --table.key flag of its kind", "[config]") {
  NodeConfig c =
      load_ok({"--data-dir", "/d", "--storage.wal_sync", "periodic", "--limits.value_bytes_max",
               "2097152", "--node.dc", "eu-west.1", "--tables.default_conflict_mode=lww",
               "--log.level", "debug", "--gossip.seeds", "10.0.0.1:7401,[::1]:7401",
               "--gossip.seeds", "seed-3:7401", "--network.io_threads", "0"});
  REQUIRE(c.storage.wal_sync == WalSync::kPeriodic);
  REQUIRE(c.limits.value_bytes_max == 2097152);
  REQUIRE(c.node.dc == "eu-west.1");
  REQUIRE(c.tables.default_conflict_mode == ConflictMode::kLww);
  REQUIRE(c.log.level == LogLevel::kDebug);
  REQUIRE(c.gossip.seeds ==
          std::vector<HostPort>{{"10.0.0.1", 7401}, {"::1", 7401}, {"seed-3", 7401}});
  REQUIRE(c.network.io_threads == 0);
}

TEST_CASE("config: a flag given twice keeps the last value", "[config]") {
  NodeConfig c =
      load_ok({"--data-dir", "/d", "--listen", "127.0.0.1:1", "--listen", "127.0.0.1:2"});
  REQUIRE(c.network.listen.port == 2);
}

TEST_CASE("config: flags override the file key by key", "[config]") {
  TempDir dir;
  std::string file = dir.write("node.toml", R"(
[storage]
wal_sync = "periodic"
wal_sync_interval_ms = 50
[gossip]
seeds = ["10.0.0.1:7401"]
)");
  NodeConfig c = load_ok(
      {"--config", file, "--data-dir", "/d", "--storage.wal_sync", "none", "--gossip.seeds", ""});
  REQUIRE(c.storage.wal_sync == WalSync::kNone);  // Flag wins.
  REQUIRE(c.storage.wal_sync_interval_ms == 50);  // File value kept.
  REQUIRE(c.gossip.seeds.empty());                // `--gossip.seeds ""` clears the list.
  REQUIRE(c.storage.memtable_bytes == 67108864);  // Default kept.
}

TEST_CASE("config: bad flag values name the flag and the problem", "[config]") {
  REQUIRE(load_error({"--storage.wal_sync", "sometimes"}) ==
          "command line: --storage.wal_sync: expected one of always|periodic|none, got "
          "'sometimes'");
  REQUIRE_THAT(
      load_error({"--limits.value_bytes_max", "abc"}),
      Catch::Contains("--limits.value_bytes_max: expected a non-negative integer, got 'abc'"));
  REQUIRE_THAT(load_error({"--limits.value_bytes_max", "-5"}),
               Catch::Contains("expected a non-negative integer"));
  REQUIRE_THAT(load_error({"--limits.value_bytes_max", "99999999999999999999"}),
               Catch::Contains("expected a non-negative integer"));
  REQUIRE_THAT(
      load_error({"--limits.value_bytes_max", "0"}),
      Catch::Contains("--limits.value_bytes_max: expected an integer in [1, 268435456], got 0"));
  REQUIRE_THAT(load_error({"--listen", "localhost"}),
               Catch::Contains("command line: --network.listen: 'localhost': expected host:port"));
  REQUIRE_THAT(load_error({"--gossip.seeds", "a:1,b"}), Catch::Contains("--gossip.seeds: 'b'"));
  REQUIRE_THAT(load_error({"--node.rack", "rack one"}),
               Catch::Contains("--node.rack: expected 1 to 64 characters of [A-Za-z0-9_.-]"));
}

TEST_CASE("config: unknown flags and stray arguments are errors", "[config]") {
  REQUIRE_THAT(load_error({"--storage.wal_synk", "always"}), Catch::Contains("--storage.wal_synk"));
  REQUIRE_THAT(load_error({"--data-dir", "/d", "extra"}), Catch::Contains("extra"));
  REQUIRE_THAT(load_error({"--listen"}), Catch::Contains("--listen"));
}

TEST_CASE("config: --help, --version and --print-config are distinct actions", "[config]") {
  auto help = load_config({"--help"});
  REQUIRE(help.is_ok());
  REQUIRE(help->action == ConfigAction::kPrintHelp);
  REQUIRE_THAT(help->text, Catch::Contains("--data-dir"));
  REQUIRE_THAT(help->text, Catch::Contains("--storage.wal_sync"));

  auto version = load_config({"--version"});
  REQUIRE(version.is_ok());
  REQUIRE(version->action == ConfigAction::kPrintVersion);
  REQUIRE_THAT(version->text, Catch::StartsWith("pairdb "));

  auto printed = load_config({"--data-dir", "/d", "--log.format", "json", "--print-config"});
  REQUIRE(printed.is_ok());
  REQUIRE(printed->action == ConfigAction::kPrintConfig);
  REQUIRE(printed->text == dump_config(printed->config));
  REQUIRE_THAT(printed->text, Catch::Contains("[log]\nlevel = \"info\"\nformat = \"json\"\n"));

  // An invalid configuration is reported even when only printing it.
  REQUIRE_FALSE(load_config({"--log.format", "xml", "--print-config"}).is_ok());
}

TEST_CASE("config: unknown TOML keys and tables are errors with file:line:column", "[config]") {
  require_toml_errors({
      {
          "[storage]\nwal_synk = \"always\"\n",
          Match::kWhole,
          "test.toml:2:1: unknown key 'storage.wal_synk'",
      },
      {
          "\n\n[storge]\nx = 1\n",
          Match::kWhole,
          "test.toml:3:2: unknown table [storge]",
      },
      {
          "listen = \"127.0.0.1:1\"\n",
          Match::kStart,
          "test.toml:1:1: unknown key 'listen' (every key belongs in a table",
      },
      {
          "[storage.extra]\nx = 1\n",
          Match::kPart,
          "unknown key 'storage.extra'",
      },
      {
          "[[node]]\n",
          Match::kPart,
          "unknown key 'node'",
      },
  });
}

TEST_CASE("config: TOML type and range errors name the key and the line", "[config]") {
  require_toml_errors({
      {
          "[storage]\n\nwal_sync = \"sometimes\"\n",
          Match::kWhole,
          "test.toml:3:12: storage.wal_sync: expected one of always|periodic|none, got "
          "'sometimes'",
      },
      {
          "[network]\nio_threads = \"4\"\n",
          Match::kWhole,
          "test.toml:2:14: network.io_threads: expected a non-negative integer, got a string",
      },
      {
          "[network]\nio_threads = 1.5\n",
          Match::kEnd,
          "network.io_threads: expected a non-negative integer, got a floating-point number",
      },
      {
          "[network]\nio_threads = -1\n",
          Match::kEnd,
          "network.io_threads: expected an integer in [0, 1024], got -1",
      },
      {
          "[network]\nio_threads = 1025\n",
          Match::kEnd,
          "network.io_threads: expected an integer in [0, 1024], got 1025",
      },
      {
          "[node]\ndc = 3\n",
          Match::kEnd,
          "node.dc: expected a string, got an integer",
      },
      {
          "[node]\ndc = \"\"\n",
          Match::kPart,
          "node.dc: expected 1 to 64",
      },
      {
          "[network]\nlisten = \"1.2.3.4:99999\"\n",
          Match::kEnd,
          "network.listen: '1.2.3.4:99999': port 99999 is above 65535",
      },
      {
          "[gossip]\nseeds = \"a:1\"\n",
          Match::kEnd,
          "gossip.seeds: expected an array of \"host:port\" strings, got a string",
      },
      {
          "[gossip]\nseeds = [\"a:1\", 2]\n",
          Match::kEnd,
          "gossip.seeds: element 1 is an integer, expected a string",
      },
      {
          "[log]\nlevel = true\n",
          Match::kEnd,
          "got a boolean",
      },
  });
}

TEST_CASE("config: TOML syntax errors and unreadable files are reported", "[config]") {
  REQUIRE_THAT(toml_error("[node]\ndc = \"unterminated\n"), Catch::StartsWith("test.toml:2:"));
  REQUIRE_THAT(toml_error("[node]\ndc = \"a\"\ndc = \"b\"\n"),
               Catch::StartsWith("test.toml:3:") && Catch::Contains("invalid TOML"));
  TempDir dir;
  std::string missing = dir.path() + "/missing.toml";
  REQUIRE_THAT(load_error({"--config", missing}),
               Catch::Contains("cannot open config file '" + missing + "'"));
  std::string bad = dir.write("bad.toml", "[limits]\nvalue_bytes_max = 0\n");
  REQUIRE_THAT(load_error({"--config", bad}),
               Catch::Contains(bad + ":2:19: limits.value_bytes_max: expected an integer in [1, "));
}

TEST_CASE("config: an empty data_dir in the file means the default", "[config]") {
  TempDir dir;
  std::string file = dir.write("node.toml", "[node]\ndata_dir = \"\"\n");
  NodeConfig c = load_ok({"--config", file});
  REQUIRE(c.node.data_dir_defaulted);
  REQUIRE_FALSE(c.node.data_dir.empty());
}

TEST_CASE("config: dump_config loads back to the same config", "[config]") {
  NodeConfig c = defaults_with_dir("/var/lib/pairdb \"quoted\" \\ dir");
  c.node.cluster_name = "prod-1";
  c.network.listen = {"::", 7400};
  c.network.http_listen = {"db1.example.com", 0};
  c.storage.wal_sync = WalSync::kNone;
  c.storage.block_cache_bytes = 0;
  c.tables.default_conflict_mode = ConflictMode::kLww;
  c.tables.siblings_warn = 7;
  c.log.level = LogLevel::kTrace;
  c.gossip.seeds = {{"10.0.0.1", 7401}, {"fe80::1", 7401}};
  REQUIRE(validate_config(c).is_ok());

  TempDir dir;
  std::string file = dir.write("dump.toml", dump_config(c));
  REQUIRE(load_ok({"--config", file}) == c);
  std::string dumped = dump_config(c);
  REQUIRE_THAT(dumped, Catch::StartsWith(
                           "[node]\ndata_dir = \"/var/lib/pairdb \\\"quoted\\\" \\\\ dir\"\n"));
  REQUIRE_THAT(dumped, Catch::Contains("\n[gossip]\nlisten = \"127.0.0.1:7401\"\n"
                                       "seeds = [\"10.0.0.1:7401\", \"[fe80::1]:7401\"]\n"));
}

TEST_CASE("config: rules between keys are enforced", "[config]") {
  NodeConfig c = defaults_with_dir("/d");
  c.tables.siblings_warn = 101;
  REQUIRE_THAT(
      std::string(validate_config(c).message()),
      Catch::Contains("tables.siblings_warn (101) must not exceed tables.siblings_max (100)"));

  c = defaults_with_dir("/d");
  c.limits.value_bytes_max = 16 * 1024 * 1024;
  c.http.max_body_bytes = 32 * 1024 * 1024;
  REQUIRE_THAT(std::string(validate_config(c).message()),
               Catch::Contains("network.max_frame_bytes (16777216) must hold a maximal item"));

  c = defaults_with_dir("/d");
  c.limits.value_bytes_max = 8 * 1024 * 1024;
  REQUIRE_THAT(
      std::string(validate_config(c).message()),
      Catch::Contains("http.max_body_bytes (4194304) must be at least limits.value_bytes_max"));

  c = defaults_with_dir("/d");
  c.gossip.listen = c.network.listen;
  REQUIRE_THAT(std::string(validate_config(c).message()),
               Catch::Contains("network.listen and gossip.listen are both 127.0.0.1:7400"));
  // Port 0 binds distinct ephemeral ports, so equal addresses are fine.
  c.network.listen.port = 0;
  c.network.http_listen.port = 0;
  c.gossip.listen.port = 0;
  REQUIRE(validate_config(c).is_ok());

  c = defaults_with_dir("");
  REQUIRE_THAT(std::string(validate_config(c).message()),
               Catch::Contains("node.data_dir is empty"));

  // Per-key ranges apply to hand-built configs too.
  c = defaults_with_dir("/d");
  c.network.max_connections = 0;
  REQUIRE_THAT(std::string(validate_config(c).message()),
               Catch::StartsWith("network.max_connections: expected an integer in [1, "));

  // And through the loader, as an "invalid configuration".
  REQUIRE_THAT(load_error({"--data-dir", "/d", "--tables.siblings_warn", "200"}),
               Catch::StartsWith("invalid configuration: tables.siblings_warn (200)"));
}

TEST_CASE("config: key names are unique and every table is a NodeConfig section", "[config]") {
  auto names = config_key_names();
  REQUIRE(names.size() == key_descriptors().size());
  REQUIRE(std::set<std::string>(names.begin(), names.end()).size() == names.size());
  const std::set<std::string> tables = {"node",   "network", "http",   "storage",   "limits",
                                        "tables", "log",     "gossip", "internode", "replication",
                                        "hints",  "repair",  "testing"};
  for (const auto& desc : key_descriptors()) {
    INFO(desc.path());
    REQUIRE(tables.count(std::string(desc.table)) == 1);
    REQUIRE_FALSE(desc.doc.empty());
    REQUIRE(find_key(desc.table, desc.key) == &desc);
  }
}

TEST_CASE("config: 0 threads resolve per core", "[config]") {
  NodeConfig c;
  c.storage.wal_sync = WalSync::kNone;
  ThreadCounts t = resolve_thread_counts(c, 8);
  REQUIRE(t.io_threads == 8);
  REQUIRE(t.storage_workers == 16);
  // Durable writes hold a worker through each fsync: enough workers for group commit to batch.
  c.storage.wal_sync = WalSync::kPerWrite;
  REQUIRE(resolve_thread_counts(c, 8).storage_workers == kDurableWorkersMin);
  REQUIRE(resolve_thread_counts(c, 32).storage_workers == 64);
  REQUIRE(resolve_thread_counts(c, 0).io_threads == 1);  // Unknown core count.
  c.network.io_threads = 3;
  c.storage.worker_threads = 5;
  t = resolve_thread_counts(c, 8);
  REQUIRE(t.io_threads == 3);
  REQUIRE(t.storage_workers == 5);
}
