// Every SDK operation against a real pairdb node, through the blocking Client and through the
// AsyncClient with callbacks, use_awaitable and use_future.
#include <future>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
// g++ 12 at -O1 reports a false -Wmaybe-uninitialized inside Boost's use_future.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <boost/asio/use_future.hpp>
#pragma GCC diagnostic pop

#include "client/sdk_test_util.h"

using namespace pairdb::client;
using namespace pairdb::client::test;
namespace asio = boost::asio;

TEST_CASE_METHOD(NodeAndClient, "sdk: hello, ping, topology, status and info describe the node",
                 "[sdk][e2e]") {
  const HelloInfo hello = ok(client.hello());
  CHECK(hello.protocol_version == 1);
  CHECK(hello.node_id.size() == 36);
  CHECK(hello.max_frame_bytes == 16u << 20);
  CHECK(ok(client.ping()).node_id == hello.node_id);
  CHECK(ok(client.ping(NodeTarget{address_of(*node)})).node_id == hello.node_id);

  const Topology topology = ok(client.topology());
  CHECK(topology.partitioner == "xxh3-64");
  REQUIRE(topology.nodes.size() == 1);
  CHECK(topology.nodes[0].address == address_of(*node));
  CHECK(topology.nodes[0].tokens.size() == 256);
  const ClusterStatus status = ok(client.status());
  CHECK(status.node_id == hello.node_id);
  CHECK(status.nodes.size() == 1);
  const KeyValues info = ok(client.info());
  REQUIRE(info.find("node_id") != nullptr);
  CHECK(*info.find("node_id") == hello.node_id);
}

TEST_CASE_METHOD(NodeAndClient, "sdk: gossip info, cluster description and endpoints of a key",
                 "[sdk][e2e]") {
  const std::string self = ok(client.hello()).node_id;

  const GossipInfo gossip = ok(client.gossip_info());
  CHECK(gossip.node_id == self);
  REQUIRE(gossip.members.size() == 1);
  CHECK(gossip.members[0].node_id == self);
  CHECK(gossip.members[0].liveness == "alive");
  CHECK(gossip.members[0].status == "normal");
  CHECK_FALSE(gossip.members[0].gossip_address.empty());

  const ClusterDescription cluster = ok(client.describe_cluster());
  CHECK_FALSE(cluster.cluster_name.empty());
  CHECK(cluster.partitioner == "xxh3-64");
  CHECK(cluster.schema_agreement);
  REQUIRE(cluster.schema_versions.size() == 1);
  CHECK(cluster.schema_versions[0].node_ids == std::vector<std::string>{self});

  const Endpoints endpoints = ok(client.get_endpoints("default", "user:42", 2));
  CHECK(endpoints.natural_count == 1);  // One node holds every replica it can.
  REQUIRE(endpoints.nodes.size() == 1);
  CHECK(endpoints.nodes[0].node_id == self);
  CHECK(endpoints.nodes[0].address == address_of(*node));
  CHECK(endpoints.ring_version == ok(client.topology()).ring_version);
  CHECK(endpoints.token == ok(client.get_endpoints("default", "user:42")).token);
  CHECK(endpoints.token != ok(client.get_endpoints("default", "user:43")).token);
  CHECK(client.get_endpoints("no_such_table", "k").is(Errc::kTableNotFound));
}

TEST_CASE_METHOD(NodeAndClient, "sdk: tables are created, listed, described, inspected and dropped",
                 "[sdk][e2e]") {
  const TableInfo created = ok(client.create_table(
      {.name = "accounts", .conflict_mode = ConflictMode::kLww, .default_ttl_ms = 0}));
  CHECK(created.spec.name == "accounts");
  CHECK(created.spec.conflict_mode == ConflictMode::kLww);
  CHECK(created.spec.read_consistency == Consistency::kQuorum);
  CHECK(created.table_id != 0);
  CHECK(ok(client.create_table({.name = "accounts"}, /*if_not_exists=*/true)).table_id ==
        created.table_id);
  auto duplicate = client.create_table({.name = "accounts"});
  REQUIRE_FALSE(duplicate);
  CHECK(duplicate.error().code == Errc::kTableExists);

  const auto tables = ok(client.list_tables());
  CHECK(std::any_of(tables.begin(), tables.end(),
                    [](const TableInfo& t) { return t.spec.name == "accounts"; }));
  CHECK(ok(client.describe_table("accounts")).table_id == created.table_id);
  ok(client.put({.table = "accounts", .partition_key = "a", .value = "1"}));
  CHECK_FALSE(ok(client.table_stats("accounts")).entries.empty());
  ok(client.flush());
  ok(client.compact("accounts"));
  ok(client.compact());

  ok(client.drop_table("accounts"));
  CHECK(client.describe_table("accounts").is(Errc::kTableNotFound));
  CHECK(client.drop_table("accounts").is(Errc::kTableNotFound));
  ok(client.drop_table("accounts", /*if_exists=*/true));
}

TEST_CASE_METHOD(NodeWithKvTable,
                 "sdk: items are put, read with siblings, resolved with the context and deleted",
                 "[sdk][e2e]") {
  // Every step below writes or reads the one item "user:1"/"profile".
  const auto read_profile = [&] {
    return ok(client.get({.table = "kv", .partition_key = "user:1", .sort_key = "profile"}));
  };
  const PutResult first = ok(client.put({.table = "kv",
                                         .partition_key = "user:1",
                                         .sort_key = "profile",
                                         .value = "v1",
                                         .content_type = "text/plain"}));
  const GetResult got = read_profile();
  REQUIRE(got.found);
  REQUIRE(got.siblings.size() == 1);
  CHECK(got.siblings[0].value == "v1");
  CHECK(got.siblings[0].content_type == "text/plain");
  CHECK(got.context == first.context);

  // A blind write is concurrent with v1: two siblings, then one after writing with the context.
  ok(client.put({.table = "kv", .partition_key = "user:1", .sort_key = "profile", .value = "v2"}));
  const GetResult both = read_profile();
  REQUIRE(both.siblings.size() == 2);
  ok(client.put({.table = "kv",
                 .partition_key = "user:1",
                 .sort_key = "profile",
                 .value = "v3",
                 .context = both.context,
                 .consistency = Consistency::kOne}));
  const GetResult one = ok(client.get({.table = "kv",
                                       .partition_key = "user:1",
                                       .sort_key = "profile",
                                       .consistency = Consistency::kAll}));
  REQUIRE(one.siblings.size() == 1);
  CHECK(one.siblings[0].value == "v3");

  ok(client.del(
      {.table = "kv", .partition_key = "user:1", .sort_key = "profile", .context = one.context}));
  const GetResult gone = read_profile();
  CHECK_FALSE(gone.found);
  CHECK_FALSE(gone.context.empty());

  ok(client.put({.table = "kv", .partition_key = "tmp", .value = "x", .ttl_ms = 60'000}));
  const GetResult temp = ok(client.get({.table = "kv", .partition_key = "tmp"}));
  REQUIRE(temp.found);
  CHECK(temp.siblings[0].expires_at_ms > 0);
}

TEST_CASE_METHOD(NodeWithKvTable, "sdk: a write with a fixed idempotency key lands once",
                 "[sdk][e2e]") {
  const PutRequest put{
      .table = "kv", .partition_key = "pay", .value = "10", .idempotency_key = "payment-0001"};
  const PutResult first = ok(client.put(put));
  const PutResult again = ok(client.put(put));
  CHECK_FALSE(first.duplicate);
  CHECK(again.duplicate);
  CHECK(again.context == first.context);
  const GetResult got = ok(client.get({.table = "kv", .partition_key = "pay"}));
  CHECK(got.siblings.size() == 1);

  // Generated keys differ per logical write: two blind writes make two siblings.
  ok(client.put({.table = "kv", .partition_key = "auto", .value = "a"}));
  ok(client.put({.table = "kv", .partition_key = "auto", .value = "b"}));
  CHECK(ok(client.get({.table = "kv", .partition_key = "auto"})).siblings.size() == 2);
}

TEST_CASE_METHOD(NodeWithKvTable, "sdk: a partition is queried page by page with inclusive bounds",
                 "[sdk][e2e]") {
  for (int i = 0; i < 25; ++i) {
    ok(client.put({.table = "kv",
                   .partition_key = "p",
                   .sort_key = fmt::format("s{:02}", i),
                   .value = std::to_string(i)}));
  }
  std::vector<std::string> seen;
  QueryRequest query{.table = "kv",
                     .partition_key = "p",
                     .from_sort_key = "s05",
                     .to_sort_key = "s19",
                     .limit = 4};
  int pages = 0;
  for (;;) {
    const QueryResult page = ok(client.query(query));
    ++pages;
    REQUIRE(pages <= 10);
    for (const QueryItem& item : page.items) {
      REQUIRE(item.siblings.size() == 1);
      seen.push_back(item.sort_key);
    }
    if (page.is_last_page()) break;
    query.page_token = page.next_page_token;
  }
  REQUIRE(seen.size() == 15);
  CHECK(seen.front() == "s05");
  CHECK(seen.back() == "s19");
  CHECK(pages >= 4);
}

TEST_CASE_METHOD(NodeAndClient, "sdk: hinted handoff status and controls on a node without hints",
                 "[sdk][e2e]") {
  const HandoffStatus status = ok(client.handoff_status());
  CHECK(status.targets.empty());
  CHECK_FALSE(status.paused_all);
  CHECK(status.stored == 0);
  CHECK(status.dropped.size() == 8);  // Every reason, zeros included.
  CHECK(status.repair_ranges.empty());
  CHECK(status.repair_ranges_total == 0);

  CHECK(ok(client.handoff_control(HandoffAction::kPause)).affected == 0);
  CHECK(ok(client.handoff_status()).paused_all);
  CHECK(ok(client.handoff_control(HandoffAction::kResume)).affected == 0);
  CHECK_FALSE(ok(client.handoff_status()).paused_all);
  std::future<Expected<HandoffControlResult>> truncated = client.async().async_handoff_control(
      HandoffAction::kTruncate, "0f1e2d3c-4b5a-4968-8776-655443322110", NodeTarget{},
      asio::use_future);
  CHECK(ok(truncated.get()).affected == 0);
  CHECK(client.handoff_control(HandoffAction::kTruncate, "not-a-uuid").is(Errc::kInvalidArgument));
}

TEST_CASE_METHOD(NodeWithKvTable, "sdk: server errors arrive typed with the server's message",
                 "[sdk][e2e]") {
  auto no_table = client.get({.table = "nope", .partition_key = "k"});
  REQUIRE(no_table.is(Errc::kTableNotFound));
  CHECK_FALSE(no_table.error().message.empty());
  auto too_big =
      client.put({.table = "kv", .partition_key = "k", .value = std::string((1 << 20) + 1, 'x')});
  CHECK(too_big.is(Errc::kTooLarge));
  CHECK(client.put({.table = "kv", .partition_key = "", .value = "v"}).is(Errc::kInvalidArgument));
}

TEST_CASE("sdk: the async client completes through callbacks, use_awaitable and use_future",
          "[sdk][e2e]") {
  TempDir dir;
  auto node = start_node(dir.path() + "/data");
  asio::io_context io;
  auto client = std::make_unique<AsyncClient>(io.get_executor(), options_for(*node));
  std::thread runner;
  auto work = asio::make_work_guard(io);
  runner = std::thread([&] { io.run(); });

  std::promise<Expected<TableInfo>> created;
  client->async_create_table({.name = "kv"}, false,
                             [&](Expected<TableInfo> r) { created.set_value(std::move(r)); });
  ok(created.get_future().get());

  std::future<Expected<PutResult>> put =
      client->async_put({.table = "kv", .partition_key = "k", .value = "v"}, asio::use_future);
  const PutResult written = ok(put.get());

  std::promise<Expected<GetResult>> read;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        // A named request: g++ 12 mishandles braced temporaries inside co_await expressions.
        GetRequest request{.table = "kv", .partition_key = "k"};
        read.set_value(co_await client->async_get(std::move(request), asio::use_awaitable));
      },
      asio::detached);
  const GetResult got = ok(read.get_future().get());
  REQUIRE(got.found);
  CHECK(got.siblings[0].value == "v");
  CHECK(got.context == written.context);

  client.reset();  // Closing lets the io_context run dry once the work guard is gone.
  work.reset();
  runner.join();
}
