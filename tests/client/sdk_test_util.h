// Helpers for the SDK's end-to-end tests: a real pairdb node on loopback and a client for it.
#pragma once

#include <catch2/catch.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <pairdb/client.h>

#include "support/pairdb_process.h"
#include "support/poll.h"
#include "support/test_node.h"

namespace pairdb::client::test {

using pairdb::test::PairdbProcess;
using pairdb::test::TempDir;

using pairdb::test::start_node;

inline std::string address_of(const PairdbProcess& node) {
  return fmt::format("127.0.0.1:{}", node.binary_port());
}

inline ClientOptions options_for(const PairdbProcess& node) {
  ClientOptions options;
  options.contact_points = {address_of(node)};
  options.client_name = "sdk-test";
  options.request_timeout_ms = 10'000;
  options.seed = 1;
  return options;
}

// The value of an Expected, or a test failure that shows the error.
template <class T>
T ok(Expected<T> result) {
  INFO(result.describe());
  REQUIRE(result.has_value());
  return std::move(result).value();
}

// A test fixture: a fresh node with its data in a temporary directory, and a blocking client
// connected to it.
struct NodeAndClient {
  TempDir dir;
  std::unique_ptr<PairdbProcess> node = start_node(dir);
  Client client{options_for(*node)};
};

// The same, with the table "kv" created.
struct NodeWithKvTable : NodeAndClient {
  NodeWithKvTable() { ok(client.create_table({.name = "kv"})); }
};

// Polls `condition` until it holds or timeout_ms passes (support/poll.h).
inline bool eventually(uint32_t timeout_ms, const std::function<bool()>& condition) {
  return pairdb::test::poll_until(std::chrono::milliseconds(timeout_ms), condition);
}

}  // namespace pairdb::client::test
