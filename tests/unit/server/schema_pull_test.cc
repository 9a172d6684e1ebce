// SchemaSync's thin TCP adapter, in process: one node's catalog pulled over a real loopback
// connection from another node's BinaryServer + WireApi (each over its own StorageStack), then
// merged. Also a peer that cannot be reached: counted, and nothing changes.
#include <catch2/catch.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/thread_pool.hpp>
#include <thread>

#include "net/binary_server.h"
#include "net/connection_budget.h"
#include "server/catalog/schema_sync.h"
#include "server/metrics.h"
#include "server/wire/wire_api.h"
#include "server_test_util.h"
#include "support/poll.h"

using namespace pairdb;
using namespace pairdb::server;
using namespace std::chrono_literals;
using pairdb::server::testing::Stack;
namespace asio = boost::asio;

namespace {

replication::ClusterMember member(ring::NodeId id, bool is_self, uint64_t digest,
                                  std::string client_addr) {
  replication::ClusterMember m;
  m.id = id;
  m.is_self = is_self;
  m.schema_version = digest;
  auto meta = std::make_shared<gossip::NodeMeta>();
  meta->id = id;
  meta->client_addr = std::move(client_addr);
  m.meta = std::move(meta);
  return m;
}

// A peer node: its storage stack served over the binary protocol on 127.0.0.1.
struct Peer {
  Stack stack;
  replication::ClusterView view;
  std::unique_ptr<WireApi> api;
  net::ConnectionBudget budget{8};
  std::unique_ptr<net::BinaryServer> server;
  std::string address;

  explicit Peer(asio::io_context& io) : view(member(stack.self, true, 0, "")) {
    stack.self = ring::NodeId::from_words(9, 9);
    WireApiDeps deps;
    deps.items = stack.items;
    deps.tables = stack.tables;
    deps.cluster = &view;
    deps.admin.schema_state = [this] { return stack.catalog()->state(); };
    deps.admin.schema_digest = [this] { return stack.catalog()->digest(); };
    deps.run_blocking = [](std::function<void()> work) { work(); };
    deps.clock = &stack.clock;
    api = std::make_unique<WireApi>(std::move(deps));
    server =
        std::make_unique<net::BinaryServer>(io, net::BinaryServerOptions{}, &budget,
                                            [this](net::Frame frame, net::FrameResponder respond) {
                                              api->handle(std::move(frame), std::move(respond));
                                            });
    auto bound = server->listen(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    REQUIRE(bound.is_ok());
    address = "127.0.0.1:" + std::to_string(bound->port());
    server->start();
  }
};

// The pulling node: a stack, its view of the cluster, and a SchemaSync on a running io_context.
struct Puller {
  asio::io_context& io;
  Stack stack;
  replication::ClusterView view;
  MetricsRegistry metrics;
  asio::thread_pool workers{1};
  std::shared_ptr<SchemaSync> sync;

  Puller(asio::io_context& io_context, const std::string& peer_address, uint64_t peer_digest)
      : io(io_context), view(member(stack.self, true, 0, "")) {
    REQUIRE(view.publish({member(stack.self, true, stack.catalog()->digest(), ""),
                          member(ring::NodeId::from_words(9, 9), false, peer_digest, peer_address)})
                .is_ok());
    SchemaSyncOptions options;
    options.interval = 20ms;
    options.pull_timeout = 2000ms;
    sync = std::make_shared<SchemaSync>(io, workers, options, &view, stack.catalog(), &metrics);
  }

  uint64_t pulls(const char* outcome) {
    return metrics
        .counter("pairdb_schema_pulls_total", "Catalog pulls from peers, by outcome",
                 {{"outcome", outcome}})
        .value();
  }
};

// Runs `io` on a thread until the scope ends.
struct IoThread {
  asio::io_context& io;
  asio::executor_work_guard<asio::io_context::executor_type> guard;
  std::thread thread;
  explicit IoThread(asio::io_context& context)
      : io(context), guard(asio::make_work_guard(context)), thread([this] { io.run(); }) {}
  ~IoThread() {
    guard.reset();
    io.stop();
    thread.join();
  }
};

}  // namespace

TEST_CASE("SchemaSync pulls a peer's catalog over the binary protocol and merges it",
          "[server][schema_sync]") {
  asio::io_context io;
  Peer peer(io);
  peer.stack.create_table("orders");
  peer.stack.create_table("users");
  Puller puller(io, peer.address, peer.stack.catalog()->digest());
  REQUIRE(puller.stack.catalog()->find("orders") == nullptr);

  IoThread running(io);
  puller.sync->start();
  const bool merged = test::poll_until(
      10s, [&] { return puller.stack.catalog()->digest() == peer.stack.catalog()->digest(); });
  puller.sync->stop();
  peer.server->stop();
  REQUIRE(merged);
  REQUIRE(puller.stack.catalog()->find("orders") != nullptr);
  REQUIRE(puller.stack.catalog()->find("users") != nullptr);
  CHECK(puller.pulls("ok") >= 1);
}

TEST_CASE("SchemaSync counts a pull from an unreachable peer as failed and changes nothing",
          "[server][schema_sync]") {
  asio::io_context io;
  // A port that was free a moment ago: nothing listens there.
  asio::ip::tcp::acceptor probe(io,
                                asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  const std::string address = "127.0.0.1:" + std::to_string(probe.local_endpoint().port());
  probe.close();
  Puller puller(io, address, 0x1234);
  const uint64_t digest = puller.stack.catalog()->digest();

  IoThread running(io);
  puller.sync->start();
  const bool failed = test::poll_until(10s, [&] { return puller.pulls("error") >= 2; });
  puller.sync->stop();
  REQUIRE(failed);  // And it kept trying on later rounds.
  CHECK(puller.pulls("ok") == 0);
  CHECK(puller.stack.catalog()->digest() == digest);
}
