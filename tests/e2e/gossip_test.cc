// The gossip listener of one real node faced with bytes that are not gossip: every malformed
// datagram or stream message is counted in /metrics and dropped, and the node carries on. And
// a node of another cluster that names it as a seed is refused, not merged; two that meet
// finish spreading their news.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <thread>

#include "support/http_client.h"
#include "support/pairdb_process.h"
#include "support/poll.h"
#include "support/test_node.h"
#include "support/wire_client.h"

using namespace pairdb::test;

namespace {

sockaddr_in loopback(uint16_t port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return address;
}

void send_datagram(uint16_t port, const std::string& bytes) {
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  const sockaddr_in to = loopback(port);
  const ssize_t sent = ::sendto(fd, bytes.data(), bytes.size(), 0,
                                reinterpret_cast<const sockaddr*>(&to), sizeof(to));
  ::close(fd);
  REQUIRE(sent == static_cast<ssize_t>(bytes.size()));
}

void send_stream(uint16_t port, const std::string& bytes) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  const sockaddr_in to = loopback(port);
  REQUIRE(::connect(fd, reinterpret_cast<const sockaddr*>(&to), sizeof(to)) == 0);
  REQUIRE(::write(fd, bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size()));
  char byte;
  (void)::read(fd, &byte, 1);  // Returns once the node closes the connection.
  ::close(fd);
}

// The value of an unlabelled sample in /metrics, or -1.
double metric(const PairdbProcess& node, const std::string& name) {
  auto reply = http_request(node.http_port(), "GET", "/metrics");
  if (!reply.is_ok()) return -1;
  const std::string prefix = "\n" + name + " ";
  const size_t at = reply->body.find(prefix);
  if (at == std::string::npos) return -1;
  return std::stod(reply->body.substr(at + prefix.size()));
}

}  // namespace

TEST_CASE("malformed gossip is counted and dropped, and the node carries on", "[e2e][gossip]") {
  TempDir dir;
  auto node = start_node(dir);
  REQUIRE(node->gossip_port() != 0);

  send_datagram(node->gossip_port(), "not a flatbuffer");
  send_datagram(node->gossip_port(), std::string(3000, 'x'));  // Above the datagram budget.
  send_datagram(node->gossip_port(), std::string(64, '\0'));
  std::string huge_length = {'\xff', '\xff', '\xff', '\xff'};
  send_stream(node->gossip_port(), huge_length);  // A stream message above its bound.

  double malformed = -1;
  poll_until(std::chrono::seconds(10), [&] {
    malformed = metric(*node, "pairdb_gossip_malformed_total");
    return malformed >= 4;
  });
  CHECK(malformed == 4);
  CHECK(metric(*node, "pairdb_gossip_messages_received_total") == 0);

  auto client = WireClient::connect("127.0.0.1", node->binary_port());
  REQUIRE(client.is_ok());
  auto status = client->status();
  REQUIRE(status.is_ok());
  REQUIRE(status->nodes.size() == 1);
  CHECK(status->nodes[0].liveness == "alive");
  CHECK(status->nodes[0].state == "normal");
  auto cluster = http_request(node->http_port(), "GET", "/v1/cluster/status");
  REQUIRE(cluster.is_ok());
  CHECK(cluster->status == 200);
  CHECK(cluster->body.find(node->node_id()) != std::string::npos);
}

TEST_CASE("a node of another cluster that seeds from this one is refused, not merged",
          "[e2e][gossip]") {
  TempDir dir_a;
  TempDir dir_b;
  auto a = PairdbProcess::start(dir_a.path() + "/data", {"--cluster-name", "alpha"});
  REQUIRE(a.is_ok());
  auto b = PairdbProcess::start(dir_b.path() + "/data",
                                {"--cluster-name", "beta", "--seeds", (*a)->gossip_address()});
  REQUIRE(b.is_ok());

  // b's join attempts reach a and are dropped there (and a never learns b to answer it).
  double foreign = -1;
  poll_until(std::chrono::seconds(15), [&] {
    foreign = metric(**a, "pairdb_gossip_foreign_cluster_total");
    return foreign >= 2;
  });
  CHECK(foreign >= 2);
  CHECK(metric(**a, "pairdb_gossip_messages_received_total") == 0);
  for (const auto* node : {a->get(), b->get()}) {
    auto client = WireClient::connect("127.0.0.1", node->binary_port());
    REQUIRE(client.is_ok());
    auto status = client->status();
    REQUIRE(status.is_ok());
    REQUIRE(status->nodes.size() == 1);
    CHECK(status->nodes[0].node_id == node->node_id());
  }
}

TEST_CASE("a node listening on every interface announces its gossip host to clients",
          "[e2e][gossip]") {
  TempDir dir;
  auto node = PairdbProcess::start(dir.path() + "/data",
                                   {"--listen", "0.0.0.0:0", "--http-listen", "0.0.0.0:0"});
  REQUIRE(node.is_ok());
  auto client = WireClient::connect("127.0.0.1", (*node)->binary_port());
  REQUIRE(client.is_ok());
  auto topology = client->topology();
  REQUIRE(topology.is_ok());
  REQUIRE(topology->nodes.size() == 1);
  // 0.0.0.0 is no address to dial: the SDK would route requests nowhere.
  CHECK(topology->nodes[0].address == "127.0.0.1:" + std::to_string((*node)->binary_port()));
  CHECK(topology->nodes[0].http_address == "127.0.0.1:" + std::to_string((*node)->http_port()));
}

TEST_CASE("once two nodes have met, neither has membership news left to spread", "[e2e][gossip]") {
  TempDir dir_a;
  TempDir dir_b;
  auto a = PairdbProcess::start(dir_a.path() + "/data");
  REQUIRE(a.is_ok());
  auto b = PairdbProcess::start(dir_b.path() + "/data", {"--seeds", (*a)->gossip_address()});
  REQUIRE(b.is_ok());
  // The join news drains; from then on gossip is probes, acks and digest syncs only.
  double queued_a = -1;
  double queued_b = -1;
  poll_until(std::chrono::seconds(30), [&] {
    queued_a = metric(**a, "pairdb_gossip_queued_updates");
    queued_b = metric(**b, "pairdb_gossip_queued_updates");
    return queued_a == 0 && queued_b == 0;
  });
  CHECK(queued_a == 0);
  CHECK(queued_b == 0);
  auto client = WireClient::connect("127.0.0.1", (*b)->binary_port());
  REQUIRE(client.is_ok());
  auto status = client->status();
  REQUIRE(status.is_ok());
  CHECK(status->nodes.size() == 2);
}
