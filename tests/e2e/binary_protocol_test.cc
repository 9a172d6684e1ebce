// End-to-end tests of every binary-protocol operation against the real pairdb binary.
#include <catch2/catch.hpp>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <algorithm>

#include "support/pairdb_process.h"
#include "support/poll.h"
#include "support/test_node.h"
#include "support/wire_client.h"

using namespace pairdb::test;
namespace wire = pairdb::wire;

namespace {

WireClient connect(const PairdbProcess& node) {
  auto client = WireClient::connect("127.0.0.1", node.binary_port());
  INFO((client.is_ok() ? std::string() : client.status().to_string()));
  REQUIRE(client.is_ok());
  return std::move(client).value();
}

// Returns the value by copy: the Reply is usually a temporary.
template <class T>
T ok(Reply<T> reply) {
  INFO(reply.describe());
  REQUIRE(reply.is_ok());
  return std::move(reply).value();
}

}  // namespace

TEST_CASE("hello, ping, topology, status and info describe the node", "[e2e][binary]") {
  TempDir dir;
  auto node = start_node(dir);
  WireClient client = connect(*node);
  const auto& hello = ok(client.hello());
  CHECK(hello.protocol_version == 1);
  CHECK(hello.node_id.size() == 36);
  CHECK(hello.cluster_name == "pairdb");
  CHECK(hello.max_frame_bytes == 16u << 20);
  CHECK(ok(client.ping()).node_id == hello.node_id);

  const auto& topology = ok(client.topology());
  CHECK(topology.partitioner == "xxh3-64");
  REQUIRE(topology.nodes.size() == 1);
  CHECK(topology.nodes[0].node_id == hello.node_id);
  CHECK(topology.nodes[0].address == fmt::format("127.0.0.1:{}", node->binary_port()));
  CHECK(topology.nodes[0].tokens.size() == 256);
  CHECK(ok(client.status()).nodes.size() == 1);
  const auto& info = ok(client.info());
  REQUIRE(info.find("node_id") != nullptr);
  CHECK(*info.find("node_id") == hello.node_id);

  HelloArgs future;
  future.protocol_versions = {9};
  auto refused = client.hello(future);
  REQUIRE(refused.is_server_error());
  CHECK(refused.error().code == wire::ErrorCode::UnsupportedVersion);
  // The Hello was a sound version 1 frame: the connection stays open at version 1 (section 3).
  CHECK(ok(client.ping()).node_id == hello.node_id);
}

TEST_CASE("tables are created, listed, described and dropped over the binary protocol",
          "[e2e][binary]") {
  TempDir dir;
  auto node = start_node(dir);
  WireClient client = connect(*node);
  TableSpec spec;
  spec.name = "accounts";
  spec.conflict_mode = wire::ConflictMode::Lww;
  spec.replication = {{"dc1", 3}};
  const auto& created = ok(client.create_table(spec));
  CHECK(created.spec.name == "accounts");
  CHECK(created.spec.conflict_mode == wire::ConflictMode::Lww);
  CHECK(created.spec.read_consistency == wire::Consistency::Quorum);
  CHECK(created.table_id != 0);
  auto duplicate = client.create_table(spec);
  REQUIRE(duplicate.is_server_error());
  CHECK(duplicate.error().code == wire::ErrorCode::TableExists);
  CHECK(ok(client.create_table(spec, /*if_not_exists=*/true)).table_id == created.table_id);

  CHECK(ok(client.list_tables()).tables.size() == 2);  // accounts and default.
  CHECK(ok(client.describe_table("accounts")).table_id == created.table_id);
  ok(client.drop_table("accounts"));
  auto missing = client.describe_table("accounts");
  REQUIRE(missing.is_server_error());
  CHECK(missing.error().code == wire::ErrorCode::TableNotFound);
  ok(client.drop_table("accounts", /*if_exists=*/true));
}

TEST_CASE("items are put, read, deleted, and conflicts resolved over the binary protocol",
          "[e2e][binary]") {
  // Where the storage work runs: reads inline and fsynced writes on the workers (the
  // defaults), writes inline too (no per-write fsync), or everything on the workers.
  const std::vector<std::string> args =
      GENERATE(std::vector<std::string>{}, std::vector<std::string>{"--storage.wal_sync", "none"},
               std::vector<std::string>{"--storage.point_ops_on", "workers"});
  INFO(fmt::format("pairdb {}", fmt::join(args, " ")));
  TempDir dir;
  auto node = start_node(dir, args);
  WireClient client = connect(*node);
  ok(client.create_table(TableSpec{.name = "kv"}));

  const auto& put = ok(client.put({.table = "kv",
                                   .partition_key = "user:1",
                                   .sort_key = "profile",
                                   .value = "v1",
                                   .content_type = "text/plain"}));
  const auto& got =
      ok(client.get({.table = "kv", .partition_key = "user:1", .sort_key = "profile"}));
  REQUIRE(got.found);
  REQUIRE(got.siblings.size() == 1);
  CHECK(got.siblings[0].value == "v1");
  CHECK(got.siblings[0].content_type == "text/plain");
  CHECK(got.context == put.context);

  // A concurrent blind write makes siblings; writing with the merged context resolves them.
  ok(client.put({.table = "kv", .partition_key = "user:1", .sort_key = "profile", .value = "v2"}));
  const auto& both =
      ok(client.get({.table = "kv", .partition_key = "user:1", .sort_key = "profile"}));
  REQUIRE(both.siblings.size() == 2);
  ok(client.put({.table = "kv",
                 .partition_key = "user:1",
                 .sort_key = "profile",
                 .value = "v3",
                 .context = both.context}));
  const auto& one =
      ok(client.get({.table = "kv", .partition_key = "user:1", .sort_key = "profile"}));
  REQUIRE(one.siblings.size() == 1);
  CHECK(one.siblings[0].value == "v3");

  ok(client.del(
      {.table = "kv", .partition_key = "user:1", .sort_key = "profile", .context = one.context}));
  const auto& gone =
      ok(client.get({.table = "kv", .partition_key = "user:1", .sort_key = "profile"}));
  CHECK_FALSE(gone.found);
  CHECK_FALSE(gone.context.empty());

  // Idempotent retry: same key, no second version.
  PutArgs retry{.table = "kv", .partition_key = "pay", .value = "10", .idempotency_key = "p-1"};
  const auto first_put = ok(client.put(retry));
  CHECK_FALSE(first_put.duplicate);
  const auto retried = ok(client.put(retry));
  CHECK(retried.duplicate);
  CHECK(retried.context == first_put.context);
  CHECK(ok(client.get({.table = "kv", .partition_key = "pay"})).siblings.size() == 1);

  // TTL: the sibling carries its expiry.
  const auto& ttl =
      ok(client.put({.table = "kv", .partition_key = "tmp", .value = "x", .ttl_ms = 60'000}));
  (void)ttl;
  const auto& temp = ok(client.get({.table = "kv", .partition_key = "tmp"}));
  REQUIRE(temp.found);
  CHECK(temp.siblings[0].expires_at_ms > 0);

  auto no_table = client.get({.table = "nope", .partition_key = "k"});
  REQUIRE(no_table.is_server_error());
  CHECK(no_table.error().code == wire::ErrorCode::TableNotFound);
  auto too_big =
      client.put({.table = "kv", .partition_key = "k", .value = std::string((1 << 20) + 1, 'x')});
  REQUIRE(too_big.is_server_error());
  CHECK(too_big.error().code == wire::ErrorCode::TooLarge);
}

TEST_CASE("a partition of 10,000 items is loaded pipelined and queried page by page",
          "[e2e][binary]") {
  TempDir dir;
  auto node = start_node(dir);
  WireClient client = connect(*node);
  ok(client.create_table(TableSpec{.name = "events"}));
  constexpr int kItems = 10'000;
  constexpr int kWindow = 64;  // Requests in flight at once (below the per-connection limit).
  std::vector<uint32_t> pending;
  for (int i = 0; i < kItems; ++i) {
    auto id = client.send(PutArgs{.table = "events",
                                  .partition_key = "stream",
                                  .sort_key = fmt::format("{:06}", i),
                                  .value = std::to_string(i)});
    REQUIRE(id.is_ok());
    pending.push_back(*id);
    if (pending.size() == kWindow || i == kItems - 1) {
      for (uint32_t stream : pending) {
        auto frame = client.read_response(stream, 30'000);
        REQUIRE(frame.is_ok());
        const auto reply = decode_reply<PutArgs>(*frame);
        INFO(reply.describe());
        REQUIRE(reply.is_ok());
      }
      pending.clear();
    }
  }
  // A delete must carry the context of what it removes: in a siblings table a blind delete is
  // concurrent with the value and would leave it visible.
  const auto seventh =
      ok(client.get({.table = "events", .partition_key = "stream", .sort_key = "000007"}));
  ok(client.del({.table = "events",
                 .partition_key = "stream",
                 .sort_key = "000007",
                 .context = seventh.context}));

  std::vector<std::string> seen;
  QueryArgs query{.table = "events", .partition_key = "stream", .limit = 1000};
  for (int page = 0; page < 20; ++page) {
    const auto& reply = ok(client.query(query));
    for (const auto& item : reply.items) {
      REQUIRE(item.siblings.size() == 1);
      CHECK(item.siblings[0].value == std::to_string(std::stoi(item.sort_key)));
      seen.push_back(item.sort_key);
    }
    if (reply.next_page_token.empty()) break;
    query.page_token = reply.next_page_token;
  }
  REQUIRE(seen.size() == kItems - 1);
  CHECK(std::is_sorted(seen.begin(), seen.end()));
  CHECK(std::adjacent_find(seen.begin(), seen.end()) == seen.end());
  CHECK(std::find(seen.begin(), seen.end(), "000007") == seen.end());

  const auto& bounded = ok(client.query({.table = "events",
                                         .partition_key = "stream",
                                         .from_sort_key = "009990",
                                         .to_sort_key = "009999"}));
  CHECK(bounded.items.size() == 10);
  CHECK(bounded.next_page_token.empty());
  auto oversized = client.query({.table = "events", .partition_key = "stream", .limit = 1001});
  REQUIRE(oversized.is_server_error());
  CHECK(oversized.error().code == wire::ErrorCode::InvalidArgument);
}

TEST_CASE("responses more than the socket buffers hold reach a client that reads late, in order",
          "[e2e][binary]") {
  // 64 GETs of 512 KiB values (32 MiB, more than loopback's socket buffers hold) sent back to
  // back, read only once all are sent: the node's writes fill the socket and must finish
  // asynchronously, whole and in order.
  TempDir dir;
  auto node = start_node(dir);
  WireClient client = connect(*node);
  ok(client.create_table(TableSpec{.name = "big"}));
  constexpr int kItems = 64;
  auto value_of = [](int i) { return std::string(512 << 10, static_cast<char>('a' + i % 26)); };
  for (int i = 0; i < kItems; ++i) {
    ok(client.put({.table = "big", .partition_key = std::to_string(i), .value = value_of(i)}));
  }
  std::vector<uint32_t> streams;
  for (int i = 0; i < kItems; ++i) {
    auto id = client.send(GetArgs{.table = "big", .partition_key = std::to_string(i)});
    REQUIRE(id.is_ok());
    streams.push_back(*id);
  }
  for (int i = 0; i < kItems; ++i) {
    auto frame = client.read_response(streams[i], 30'000);
    REQUIRE(frame.is_ok());
    const auto reply = decode_reply<GetArgs>(*frame);
    INFO(reply.describe());
    REQUIRE(reply.is_ok());
    REQUIRE(reply->siblings.size() == 1);
    CHECK(reply->siblings[0].value == value_of(i));
  }
}

TEST_CASE("admin operations flush, compact and report table stats", "[e2e][binary]") {
  TempDir dir;
  auto node = start_node(dir);
  WireClient client = connect(*node);
  ok(client.create_table(TableSpec{.name = "t"}));
  for (int i = 0; i < 100; ++i) {
    ok(client.put({.table = "t", .partition_key = "k" + std::to_string(i), .value = "v"}));
  }
  ok(client.flush());
  ok(client.compact("t"));
  ok(client.compact());
  const auto& stats = ok(client.table_stats("t"));
  REQUIRE(stats.find("records") != nullptr);
  CHECK(*stats.find("records") == "100");
  auto missing = client.table_stats("nope");
  REQUIRE(missing.is_server_error());
  CHECK(missing.error().code == wire::ErrorCode::TableNotFound);
}
