// The SDK when the node misbehaves: deadlines while the node is frozen (SIGSTOP), late
// responses discarded, reconnecting after the node restarts, and a timed-out write retried with
// its idempotency key landing once.
#include <signal.h>

#include "client/sdk_test_util.h"

using namespace pairdb::client;
using namespace pairdb::client::test;

TEST_CASE_METHOD(NodeWithKvTable,
                 "sdk: a request to a frozen node completes with kTimeout at its deadline",
                 "[sdk][e2e][failure]") {
  ok(client.put({.table = "kv", .partition_key = "k", .value = "before"}));

  REQUIRE(node->freeze());
  const auto started = std::chrono::steady_clock::now();
  auto frozen = client.get({.table = "kv", .partition_key = "k", .timeout_ms = 300});
  const auto waited = std::chrono::steady_clock::now() - started;
  node->thaw();
  INFO(frozen.describe());
  CHECK(frozen.is(Errc::kTimeout));
  CHECK(waited >= std::chrono::milliseconds(250));
  CHECK(waited < std::chrono::seconds(5));

  // The late answer to the abandoned request is discarded; later calls get their own answers.
  for (int i = 0; i < 20; ++i) {
    ok(client.put(
        {.table = "kv", .partition_key = fmt::format("after-{}", i), .value = std::to_string(i)}));
    const GetResult got =
        ok(client.get({.table = "kv", .partition_key = fmt::format("after-{}", i)}));
    REQUIRE(got.found);
    CHECK(got.siblings[0].value == std::to_string(i));
  }
}

TEST_CASE_METHOD(NodeWithKvTable,
                 "sdk: a write that timed out and is retried with its idempotency key lands once",
                 "[sdk][e2e][failure]") {
  PutRequest put{.table = "kv",
                 .partition_key = "order-7",
                 .value = "paid",
                 .idempotency_key = "order-7-payment",
                 .timeout_ms = 200};
  REQUIRE(node->freeze());
  auto lost = client.put(put);  // Sent, but the node cannot answer in time.
  node->thaw();
  CHECK(lost.is(Errc::kTimeout));

  put.timeout_ms = 10'000;
  const PutResult retried = ok(client.put(put));
  const PutResult again = ok(client.put(put));
  CHECK(again.context == retried.context);
  const GetResult got = ok(client.get({.table = "kv", .partition_key = "order-7"}));
  REQUIRE(got.found);
  CHECK(got.siblings.size() == 1);
  CHECK(got.siblings[0].value == "paid");
}

TEST_CASE("sdk: the client reconnects after the node restarts on the same address",
          "[sdk][e2e][failure]") {
  TempDir dir;
  const std::string data_dir = dir.path() + "/data";
  auto node = start_node(data_dir);
  const uint16_t port = node->binary_port();
  const uint16_t http_port = node->http_port();
  ClientOptions options = options_for(*node);
  options.request_timeout_ms = 2'000;
  options.reconnect_backoff_initial_ms = 20;
  options.reconnect_backoff_max_ms = 200;
  Client client(options);
  ok(client.create_table({.name = "kv"}));
  ok(client.put({.table = "kv", .partition_key = "k", .value = "durable"}));

  node->signal(SIGKILL);
  REQUIRE(node->wait_exit(10'000));
  node.reset();
  // While the node is gone, calls fail promptly with a typed error instead of hanging.
  auto down = client.get({.table = "kv", .partition_key = "k"});
  INFO(down.describe());
  CHECK((down.is(Errc::kConnection) || down.is(Errc::kTimeout)));

  node = start_node(data_dir, {"--listen", fmt::format("127.0.0.1:{}", port), "--http-listen",
                               fmt::format("127.0.0.1:{}", http_port)});
  REQUIRE(node->binary_port() == port);
  Expected<GetResult> got = Error{Errc::kInternal, "never tried"};
  const bool reconnected = eventually(20'000, [&] {
    got = client.get({.table = "kv", .partition_key = "k"});
    return got.has_value();
  });
  INFO(got.describe());
  REQUIRE(reconnected);
  REQUIRE(got->found);
  CHECK(got->siblings[0].value == "durable");
}
