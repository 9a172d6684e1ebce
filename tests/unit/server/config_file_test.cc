// conf/pairdb.toml, the documented config file, against the key table: the docs cannot drift.
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "server/config/config.h"
#include "server/config/config_file.h"
#include "server/config/config_keys.h"

#ifndef PAIRDB_SOURCE_DIR
#error "PAIRDB_SOURCE_DIR must name the source tree (tests/CMakeLists.txt sets it)"
#endif

using namespace pairdb::server;

namespace {

const std::string kConfPath = std::string(PAIRDB_SOURCE_DIR) + "/conf/pairdb.toml";

std::string read_conf() {
  std::ifstream in(kConfPath);
  REQUIRE(in.good());
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Moves every key the descriptor table knows away from its default value.
void perturb_every_key(NodeConfig& config) {
  for (const auto& desc : key_descriptors()) {
    switch (desc.kind) {
      case KeyKind::kUint: {
        uint64_t& v = *desc.uint_field(config);
        v = v < desc.max ? v + 1 : v - 1;
        break;
      }
      case KeyKind::kString:
        *desc.string_field(config) = "perturbed";
        break;
      case KeyKind::kEnum:
        desc.enum_access.set(config,
                             (desc.enum_access.get(config) + 1) % desc.enum_access.names.size());
        break;
      case KeyKind::kHostPort:
        desc.host_port_field(config)->port += 1;
        break;
      case KeyKind::kHostPortList:
        desc.host_port_list_field(config)->push_back({"perturbed", 1});
        break;
    }
    INFO(desc.path());
    REQUIRE(format_key_value(desc, config) != format_key_value(desc, NodeConfig{}));
  }
}

}  // namespace

TEST_CASE("conf/pairdb.toml sets every key to its default", "[config][conf]") {
  NodeConfig loaded;
  // Every key starts away from its default, so a key missing from the file leaves a difference.
  perturb_every_key(loaded);
  REQUIRE_FALSE(loaded.network == NodeConfig{}.network);
  pairdb::Status s = apply_toml_file(kConfPath, loaded);
  INFO(s.to_string());
  REQUIRE(s.is_ok());
  // data_dir is "" in the file: "resolve the default at load time".
  REQUIRE(loaded.node.data_dir.empty());
  REQUIRE(loaded == NodeConfig{});
}

TEST_CASE("conf/pairdb.toml has every key the loader knows, each with its comment",
          "[config][conf]") {
  const std::string text = read_conf();
  for (const auto& desc : key_descriptors()) {
    INFO(desc.path());
    const std::string table_header = "\n[" + std::string(desc.table) + "]\n";
    size_t table_at = text.find(table_header);
    REQUIRE(table_at != std::string::npos);
    size_t next_table = text.find("\n[", table_at + table_header.size());
    const std::string key_line = "\n" + std::string(desc.key) + " = ";
    size_t key_at = text.find(key_line, table_at);
    REQUIRE(key_at != std::string::npos);
    REQUIRE(key_at < next_table);
    // Each key has its own comment right above it.
    size_t line_start = text.rfind('\n', key_at - 1);
    REQUIRE(text.substr(line_start + 1, 2) == "# ");
  }
}

TEST_CASE("conf/pairdb.toml loads through --config and validates", "[config][conf]") {
  auto r = load_config({"--config", kConfPath, "--data-dir", "/srv/pairdb"});
  INFO(r.status().to_string());
  REQUIRE(r.is_ok());
  NodeConfig expected;
  expected.node.data_dir = "/srv/pairdb";
  REQUIRE(r->config == expected);
}
