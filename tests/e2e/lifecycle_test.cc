// The node's lifecycle against the real binary: acknowledged writes survive kill -9, SIGTERM
// drains and exits 0, the node id is kept across restarts, bad configuration is refused.
#include <catch2/catch.hpp>

#include <signal.h>

#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <fstream>
#include <thread>

#include "support/http_client.h"
#include "support/pairdb_process.h"
#include "support/poll.h"
#include "support/test_node.h"

using pairdb::test::http_request;
using pairdb::test::PairdbProcess;
using pairdb::test::poll_until;
using pairdb::test::start_node;
using pairdb::test::TempDir;

namespace {

const pairdb::test::HttpHeaders kJson = {{"Content-Type", "application/json"}};

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

TEST_CASE("every acknowledged write survives kill -9 and the node serves again", "[e2e][crash]") {
  TempDir dir;
  const std::string data = dir.path() + "/data";
  auto node = start_node(data);
  REQUIRE(http_request(node->http_port(), "PUT", "/v1/tables/ledger", "{}", kJson)->status == 201);

  // Four writers stream writes; each records the keys the node acknowledged. The node is
  // killed with SIGKILL while they run.
  std::atomic<bool> stop{false};
  std::vector<std::vector<int>> acknowledged(4);  // Each writer's own; read after join().
  std::atomic<size_t> acknowledged_total{0};      // What the main thread polls meanwhile.
  std::vector<std::thread> writers;
  const uint16_t port = node->http_port();
  for (int w = 0; w < 4; ++w) {
    writers.emplace_back([&, w] {
      for (int i = 0; i < 100'000 && !stop.load(); ++i) {
        const int key = w * 1'000'000 + i;
        auto reply = http_request(port, "PUT", "/v1/tables/ledger/items/k" + std::to_string(key),
                                  std::to_string(key), kJson, 5'000);
        if (!reply.is_ok() || reply->status != 200) break;  // The node died mid-request.
        acknowledged[w].push_back(key);
        acknowledged_total.fetch_add(1);
      }
    });
  }
  poll_until(
      std::chrono::seconds(20), [&] { return acknowledged_total.load() >= 400; },
      std::chrono::milliseconds(10));
  node->signal(SIGKILL);
  REQUIRE(node->wait_exit(10'000) == 128 + SIGKILL);
  stop = true;
  for (auto& writer : writers) writer.join();
  node.reset();

  auto restarted = start_node(data);
  size_t checked = 0;
  for (const auto& keys : acknowledged) {
    for (int key : keys) {
      auto reply = http_request(restarted->http_port(), "GET",
                                "/v1/tables/ledger/items/k" + std::to_string(key));
      REQUIRE(reply.is_ok());
      INFO("acknowledged key k" << key);
      REQUIRE(reply->status == 200);
      CHECK(reply->body == std::to_string(key));
      ++checked;
    }
  }
  CHECK(checked >= 100);
  // And it takes new writes.
  CHECK(http_request(restarted->http_port(), "PUT", "/v1/tables/ledger/items/after", "1", kJson)
            ->status == 200);
}

TEST_CASE("SIGTERM stops the node cleanly with exit code 0", "[e2e][lifecycle]") {
  TempDir dir;
  const std::string data = dir.path() + "/data";
  auto node = start_node(data);
  REQUIRE(http_request(node->http_port(), "POST", "/api/v1/put", R"({"key":"k","value":1})", kJson)
              ->status == 200);
  node->signal(SIGTERM);
  const auto exit_code = node->wait_exit(15'000);
  REQUIRE(exit_code.has_value());
  CHECK(*exit_code == 0);
  CHECK(node->stderr_text().find("stopped cleanly") != std::string::npos);

  // The node id is generated once and kept; the data is still there.
  const std::string id = read_file(data + "/node_id");
  CHECK(id.size() == 37);
  auto again = start_node(data);
  CHECK(read_file(data + "/node_id") == id);
  auto reply = http_request(again->http_port(), "GET", "/api/v1/get?key=k");
  REQUIRE(reply.is_ok());
  CHECK(reply->status == 200);
  again->signal(SIGINT);
  CHECK(again->wait_exit(15'000) == 0);
}

TEST_CASE("a bad configuration is refused with a clear message", "[e2e][lifecycle]") {
  TempDir dir;
  auto node = PairdbProcess::start(dir.path() + "/data", {"--storage.wal_sync", "sometimes"});
  REQUIRE_FALSE(node.is_ok());
  CHECK(node.status().message().find("wal_sync") != std::string_view::npos);
}

TEST_CASE("two nodes cannot share one data directory", "[e2e][lifecycle]") {
  TempDir dir;
  const std::string data = dir.path() + "/data";
  auto first = start_node(data);
  auto second = PairdbProcess::start(data, {}, 10'000);
  REQUIRE_FALSE(second.is_ok());
  CHECK(second.status().message().find("LOCK") != std::string_view::npos);
  CHECK(first->running());
}
