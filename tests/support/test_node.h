// start_node: the one way a test starts a real pairdb process, failing the test (with the
// reason) when the node does not become ready.
#pragma once

#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <vector>

#include "support/pairdb_process.h"
#include "support/temp_dir.h"

namespace pairdb::test {

// A node whose data lives in `data_dir`.
inline std::unique_ptr<PairdbProcess> start_node(const std::string& data_dir,
                                                 std::vector<std::string> args = {}) {
  auto node = PairdbProcess::start(data_dir, std::move(args));
  INFO((node.is_ok() ? std::string() : node.status().to_string()));
  REQUIRE(node.is_ok());
  return std::move(node).value();
}

// A node whose data lives in `<dir>/data`.
inline std::unique_ptr<PairdbProcess> start_node(const TempDir& dir,
                                                 std::vector<std::string> args = {}) {
  return start_node(dir.path() + "/data", std::move(args));
}

}  // namespace pairdb::test
