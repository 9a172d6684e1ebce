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

namespace pairdb::client::test {

using pairdb::test::PairdbProcess;
using pairdb::test::TempDir;

inline std::unique_ptr<PairdbProcess> start_node(const std::string& data_dir,
                                                 std::vector<std::string> args = {}) {
  auto node = PairdbProcess::start(data_dir, std::move(args));
  INFO((node.is_ok() ? std::string() : node.status().to_string()));
  REQUIRE(node.is_ok());
  return std::move(node).value();
}

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

// Polls `condition` every few milliseconds until it holds or timeout_ms passes. Never a bare
// sleep used as synchronisation: the condition is what the test waits for.
inline bool eventually(uint32_t timeout_ms, const std::function<bool()>& condition) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // Polling, with a deadline.
  }
  return condition();
}

}  // namespace pairdb::client::test
