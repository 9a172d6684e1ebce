// InternodeServer and InternodeClient together on loopback: the handshake (cluster and node
// checks), pipelined requests, the per-peer in-flight bound, deadlines, a malformed frame
// closing only its own connection, and fail-fast backoff for an unreachable peer.
#include <catch2/catch.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <future>
#include <mutex>
#include <thread>

#include "net/internode_client.h"
#include "net/internode_server.h"
#include "support/poll.h"

namespace pairdb::net {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using internode::Request;
using internode::Response;

constexpr uint64_t kClusterId = 42;
const std::string kServerId(16, 's');
const std::string kClientId(16, 'c');

// A server (answering ReplicaRead with the key's partition key as the record, or parking the
// request when the key is "park") and a client, on one io_context run by one thread.
class Loopback {
 public:
  explicit Loopback(InternodeClientOptions client_options = {},
                    std::string server_node_id = kServerId) {
    server_ = std::make_unique<InternodeServer>(
        io_, InternodeServerOptions{},
        [server_node_id](const internode::Handshake& hello) -> Result<internode::HandshakeReply> {
          if (hello.cluster_id != kClusterId) return Status::unauthorized("another cluster");
          return internode::HandshakeReply{internode::kInternodeProtocolVersion, kClusterId,
                                           server_node_id};
        },
        [this](const std::string& peer, uint32_t stream, Request request,
               InternodeResponder respond) {
          CHECK(peer == kClientId);
          const auto& read = std::get<internode::ReplicaRead>(request);
          auto answer = [stream, respond](Response response) {
            respond(
                internode::encode_response(stream, internode::InternodeOp::kReplicaRead, response));
          };
          if (read.key.partition_key == "park") {
            std::lock_guard lock(mutex_);
            parked_.push_back(answer);
            return;
          }
          answer(internode::ReplicaReadReply{read.key.partition_key});
        });
    auto endpoint = server_->listen({asio::ip::make_address("127.0.0.1"), 0});
    REQUIRE(endpoint.is_ok());
    address_ = "127.0.0.1:" + std::to_string(endpoint->port());
    server_->start();
    if (client_options.cluster_id == 0) client_options.cluster_id = kClusterId;
    client_options.self_id = kClientId;
    client_ = std::make_unique<InternodeClient>(io_.get_executor(), client_options);
    thread_ = std::thread([this] { io_.run(); });
  }

  ~Loopback() {
    release_parked();
    asio::post(io_, [this] {
      client_->close();
      server_->stop();
      work_.reset();
    });
    thread_.join();
  }

  // The answer to a ReplicaRead of `key`, or why there is none.
  Result<Response> read(const std::string& key, std::chrono::milliseconds timeout = 2000ms,
                        const std::string& node_id = kServerId) {
    return send_async(key, timeout, node_id).get();
  }
  std::future<Result<Response>> send_async(const std::string& key,
                                           std::chrono::milliseconds timeout = 2000ms,
                                           const std::string& node_id = kServerId,
                                           std::string address = {}) {
    auto promise = std::make_shared<std::promise<Result<Response>>>();
    auto future = promise->get_future();
    if (address.empty()) address = address_;
    asio::post(io_, [this, key, timeout, node_id, address, promise] {
      internode::ReplicaRead request{{7, key, ""}};
      client_->send({node_id, address}, request, std::chrono::steady_clock::now() + timeout,
                    [promise](Result<Response> response) { promise->set_value(response); });
    });
    return future;
  }

  InternodePeerStats stats(const std::string& node_id = kServerId) {
    std::promise<InternodePeerStats> promise;
    asio::post(io_, [&] { promise.set_value(client_->stats()[node_id]); });
    return promise.get_future().get();
  }

  size_t parked() {
    std::lock_guard lock(mutex_);
    return parked_.size();
  }
  void release_parked() {
    std::lock_guard lock(mutex_);
    for (auto& answer : parked_) answer(internode::ReplicaReadReply{"late"});
    parked_.clear();
  }

  const std::string& address() const { return address_; }
  const InternodeServerCounters& server_counters() const { return server_->counters(); }

 private:
  asio::io_context io_{1};
  asio::executor_work_guard<asio::io_context::executor_type> work_ = asio::make_work_guard(io_);
  std::unique_ptr<InternodeServer> server_;
  std::unique_ptr<InternodeClient> client_;
  std::string address_;
  std::mutex mutex_;
  std::vector<std::function<void(Response)>> parked_;  // GUARDED_BY(mutex_)
  std::thread thread_;
};

std::string record_of(const Result<Response>& response) {
  REQUIRE(response.is_ok());
  const auto* reply = std::get_if<internode::ReplicaReadReply>(&*response);
  REQUIRE(reply != nullptr);
  return reply->record;
}

TEST_CASE("internode requests are answered after the handshake, pipelined", "[net][internode]") {
  Loopback loop;
  std::vector<std::future<Result<Response>>> answers;
  for (int i = 0; i < 50; ++i) answers.push_back(loop.send_async("key" + std::to_string(i)));
  for (int i = 0; i < 50; ++i) CHECK(record_of(answers[i].get()) == "key" + std::to_string(i));
  const InternodePeerStats stats = loop.stats();
  CHECK(stats.requests == 50);
  CHECK(stats.in_flight == 0);
  CHECK(stats.in_flight_bytes == 0);
  CHECK(stats.connects >= 1);
  CHECK(stats.connects <= 2);  // connections_per_peer
  CHECK(loop.server_counters().requests.load() == 50);
}

TEST_CASE("a peer of another cluster is refused at the handshake", "[net][internode]") {
  InternodeClientOptions options;
  options.cluster_id = kClusterId + 1;
  Loopback loop(options);
  const auto response = loop.read("a");
  REQUIRE_FALSE(response.is_ok());
  CHECK(response.status().code() == StatusCode::kUnavailable);
  CHECK(response.status().message().find("refused") != std::string::npos);
  CHECK(
      test::poll_until(5s, [&] { return loop.server_counters().refused_handshakes.load() >= 1; }));
  CHECK(loop.stats().connect_failures == 1);
}

TEST_CASE("an address now held by another node is not used", "[net][internode]") {
  Loopback loop({}, std::string(16, 'x'));  // The server says it is node xxxx...
  const auto response = loop.read("a");
  REQUIRE_FALSE(response.is_ok());
  CHECK(response.status().code() == StatusCode::kUnavailable);
  CHECK(response.status().message().find("belongs to node") != std::string::npos);
}

TEST_CASE("a peer past its in-flight bound refuses at once as Overloaded", "[net][internode]") {
  InternodeClientOptions options;
  options.max_inflight_per_peer = 2;
  Loopback loop(options);
  auto first = loop.send_async("park");
  auto second = loop.send_async("park");
  REQUIRE(test::poll_until(5s, [&] { return loop.parked() == 2; }));
  const auto third = loop.read("a");
  REQUIRE_FALSE(third.is_ok());
  CHECK(third.status().code() == StatusCode::kOverloaded);
  loop.release_parked();
  CHECK(record_of(first.get()) == "late");
  CHECK(record_of(second.get()) == "late");
  CHECK(record_of(loop.read("b")) == "b");  // Room again.
  CHECK(loop.stats().overloaded == 1);
}

TEST_CASE("an unanswered internode request times out at its deadline", "[net][internode]") {
  Loopback loop;
  const auto started = std::chrono::steady_clock::now();
  const auto response = loop.read("park", 200ms);
  const auto waited = std::chrono::steady_clock::now() - started;
  REQUIRE_FALSE(response.is_ok());
  CHECK(response.status().code() == StatusCode::kTimeout);
  CHECK(waited >= 200ms);
  CHECK(loop.stats().timeouts == 1);
  CHECK(loop.stats().in_flight == 0);
  loop.release_parked();                    // The late answer is dropped.
  CHECK(record_of(loop.read("c")) == "c");  // And the connection still serves.
}

TEST_CASE("a malformed frame closes only its own connection", "[net][internode]") {
  Loopback loop;
  asio::io_context io;
  asio::ip::tcp::socket raw(io);
  const auto colon = loop.address().rfind(':');
  raw.connect({asio::ip::make_address("127.0.0.1"),
               static_cast<uint16_t>(std::stoi(loop.address().substr(colon + 1)))});
  // A proper handshake, then a ReplicaRead frame whose payload is not a FlatBuffer.
  internode::Handshake hello{internode::kInternodeProtocolVersion, kClusterId, kClientId};
  std::string bytes = internode::encode_request(1, hello);
  FrameHeader header;
  header.opcode = internode::to_frame_opcode(internode::InternodeOp::kReplicaRead);
  header.stream_id = 2;
  bytes += encode_frame(header, std::string_view("garbage garbage garbage"));
  asio::write(raw, asio::buffer(bytes));
  // The server answers the handshake and the error, then closes: read until EOF.
  std::string received;
  boost::system::error_code ec;
  char chunk[4096];
  while (!ec) {
    const size_t n = raw.read_some(asio::buffer(chunk), ec);
    received.append(chunk, n);
  }
  CHECK(ec == asio::error::eof);
  FrameDecoder decoder;
  decoder.feed(received);
  auto handshake = decoder.next();
  REQUIRE(handshake);
  auto error = decoder.next();
  REQUIRE(error);
  CHECK(error->header.is_error());
  CHECK(loop.server_counters().malformed_frames.load() == 1);
  CHECK(record_of(loop.read("still served")) == "still served");
}

TEST_CASE("an unreachable peer fails fast while its backoff runs", "[net][internode]") {
  InternodeClientOptions options;
  options.backoff_initial_ms = 60'000;
  Loopback loop(options);
  // A port nothing listens on: bind one, then close it.
  std::string dead;
  {
    asio::io_context io;
    asio::ip::tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
    dead = "127.0.0.1:" + std::to_string(acceptor.local_endpoint().port());
  }
  const std::string peer(16, 'd');
  auto first = loop.send_async("a", 2000ms, peer, dead).get();
  REQUIRE_FALSE(first.is_ok());
  CHECK(first.status().code() == StatusCode::kUnavailable);
  auto second = loop.send_async("a", 2000ms, peer, dead).get();
  REQUIRE_FALSE(second.is_ok());
  CHECK(second.status().code() == StatusCode::kUnavailable);
  CHECK(loop.stats(peer).connect_failures == 1);  // The second never dialled.
}

}  // namespace
}  // namespace pairdb::net
