// pairdb: the database node. See conf/pairdb.toml for every setting and README.md to start.
#include <cstdio>

#include "server/config/config.h"
#include "server/log.h"
#include "server/node.h"

int main(int argc, char** argv) {
  using namespace pairdb::server;
  auto loaded = load_config(argc, argv);
  if (!loaded.is_ok()) {
    std::fprintf(stderr, "pairdb: %s\n", std::string(loaded.status().message()).c_str());
    return 2;
  }
  if (loaded->action != ConfigAction::kRun) {
    std::fputs(loaded->text.c_str(), stdout);
    return 0;
  }
  const NodeConfig& config = loaded->config;
  configure_log(config.log.level, config.log.format);
  if (config.node.data_dir_defaulted) {
    PAIRDB_LOG_INFO("node", "no data_dir configured; using {}", config.node.data_dir);
  }
  auto node = Node::open(config);
  if (!node.is_ok()) {
    PAIRDB_LOG_ERROR("node", "cannot start: {}", node.status().to_string());
    return 1;
  }
  const pairdb::Status stopped = (*node)->run();
  return stopped.is_ok() ? 0 : 1;
}
