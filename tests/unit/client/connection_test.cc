// The SDK's connection handling against a scripted in-test node (no pairdb process): responses
// out of order, late responses after a deadline, and which writes are retried after a broken
// connection. The fake node answers Hello and Topology itself and hands every other request to
// the test's script.
#include <catch2/catch.hpp>

#include <atomic>
#include <future>
#include <mutex>
#include <thread>

#include <fmt/format.h>
#include <pairdb/client.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>

#include "client/token_router.h"
#include "net/wire.h"

using namespace pairdb::client;
namespace asio = boost::asio;
namespace net = pairdb::net;
namespace wire = pairdb::wire;
using asio::ip::tcp;

namespace {

// Serves one connection at a time on 127.0.0.1 from its own thread, with blocking sockets.
class FakeNode {
 public:
  // Gets each request other than Hello/Topology; appends reply frames; returns false to drop
  // the connection (after writing the replies).
  using Script = std::function<bool(const net::Frame& request, std::vector<std::string>& replies)>;

  explicit FakeNode(Script script)
      : acceptor_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)),
        script_(std::move(script)) {
    thread_ = std::thread([this] { serve(); });
  }
  ~FakeNode() {
    stopping_ = true;
    tcp::socket wake(io_);
    boost::system::error_code ignored;
    wake.connect(acceptor_.local_endpoint(), ignored);  // Unblocks accept().
    thread_.join();
  }
  std::string address() const {
    return fmt::format("127.0.0.1:{}", acceptor_.local_endpoint().port());
  }
  // The ring Topology answers with: (address, token) per node. Unset, the node alone at token 0.
  void set_ring(std::vector<std::pair<std::string, uint64_t>> ring) {
    std::lock_guard lock(mu_);
    ring_ = std::move(ring);
  }

 private:
  void serve() {
    while (!stopping_) {
      tcp::socket socket(io_);
      boost::system::error_code error;
      acceptor_.accept(socket, error);
      if (error || stopping_) return;
      handle(socket);
    }
  }

  void handle(tcp::socket& socket) {
    net::FrameDecoder decoder;
    char buffer[4096];
    for (;;) {
      boost::system::error_code error;
      const size_t n = socket.read_some(asio::buffer(buffer), error);
      if (error) return;
      decoder.feed(std::string_view(buffer, n));
      while (auto frame = decoder.next()) {
        std::vector<std::string> replies;
        bool keep = true;
        if (frame->header.opcode == net::Opcode::kHello) {
          flatbuffers::FlatBufferBuilder fbb;
          fbb.Finish(wire::CreateHelloResponse(fbb, 1, fbb.CreateString("fake-node")));
          replies.push_back(
              net::encode_response_frame(frame->header.stream_id, net::Opcode::kHello, fbb));
        } else if (frame->header.opcode == net::Opcode::kTopology) {
          flatbuffers::FlatBufferBuilder fbb;
          std::vector<std::pair<std::string, uint64_t>> ring{{address(), 0}};
          {
            std::lock_guard lock(mu_);
            if (!ring_.empty()) ring = ring_;
          }
          std::vector<flatbuffers::Offset<wire::NodeInfo>> nodes;
          for (const auto& [node_address, token] : ring) {
            const uint64_t tokens[] = {token};
            nodes.push_back(wire::CreateNodeInfo(
                fbb, fbb.CreateString("fake-" + node_address), fbb.CreateString(node_address), 0, 0,
                0, fbb.CreateString("normal"), fbb.CreateVector(tokens, 1)));
          }
          fbb.Finish(wire::CreateTopologyResponse(fbb, fbb.CreateString("xxh3-64"),
                                                  fbb.CreateVector(nodes), 1));
          replies.push_back(
              net::encode_response_frame(frame->header.stream_id, net::Opcode::kTopology, fbb));
        } else {
          keep = script_(*frame, replies);
        }
        for (const std::string& reply : replies) asio::write(socket, asio::buffer(reply), error);
        if (!keep) return;  // Closes the socket without answering the rest.
      }
    }
  }

  asio::io_context io_;
  tcp::acceptor acceptor_;
  Script script_;
  std::mutex mu_;
  std::vector<std::pair<std::string, uint64_t>> ring_;  // GUARDED_BY(mu_)
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

std::string get_reply(uint32_t stream_id, std::string_view value) {
  flatbuffers::FlatBufferBuilder fbb;
  auto sibling = wire::CreateSibling(
      fbb, fbb.CreateVector(reinterpret_cast<const uint8_t*>(value.data()), value.size()));
  std::vector<flatbuffers::Offset<wire::Sibling>> siblings{sibling};
  fbb.Finish(wire::CreateGetResponse(fbb, true, fbb.CreateVector(siblings)));
  return net::encode_response_frame(stream_id, net::Opcode::kGet, fbb);
}

std::string put_reply(uint32_t stream_id, std::string_view context) {
  flatbuffers::FlatBufferBuilder fbb;
  fbb.Finish(wire::CreatePutResponse(
      fbb, fbb.CreateVector(reinterpret_cast<const uint8_t*>(context.data()), context.size())));
  return net::encode_response_frame(stream_id, net::Opcode::kPut, fbb);
}

std::string key_of(const net::Frame& get) {
  const auto* request = flatbuffers::GetRoot<wire::GetRequest>(get.payload.data());
  return std::string(reinterpret_cast<const char*>(request->partition_key()->data()),
                     request->partition_key()->size());
}

// A script that drops the connection on every request, without an answer, counting them.
FakeNode::Script hang_up_on_every_request(std::atomic<int>* requests) {
  return [requests](const net::Frame&, std::vector<std::string>&) {
    ++*requests;
    return false;
  };
}

ClientOptions options_for(const FakeNode& node) {
  ClientOptions options;
  options.contact_points = {node.address()};
  options.connections_per_node = 1;
  options.request_timeout_ms = 5'000;
  options.retry_backoff_initial_ms = 1;
  options.reconnect_backoff_initial_ms = 1;
  options.seed = 3;
  return options;
}

}  // namespace

TEST_CASE("responses that arrive in reverse order reach their own requests",
          "[client][connection]") {
  constexpr size_t kRequests = 20;
  std::vector<std::pair<uint32_t, std::string>> held;  // Only the node's thread touches it.
  FakeNode node([&](const net::Frame& request, std::vector<std::string>& replies) {
    held.emplace_back(request.header.stream_id, key_of(request));
    if (held.size() == kRequests) {
      for (auto it = held.rbegin(); it != held.rend(); ++it) {
        replies.push_back(get_reply(it->first, "value-of-" + it->second));
      }
    }
    return true;
  });
  Client client(options_for(node));
  std::vector<std::future<Expected<GetResult>>> results;
  for (size_t i = 0; i < kRequests; ++i) {
    auto promise = std::make_shared<std::promise<Expected<GetResult>>>();
    results.push_back(promise->get_future());
    client.async().async_get(
        {.table = "t", .partition_key = fmt::format("k{}", i)},
        [promise](Expected<GetResult> r) { promise->set_value(std::move(r)); });
  }
  for (size_t i = 0; i < kRequests; ++i) {
    Expected<GetResult> got = results[i].get();
    INFO(got.describe());
    REQUIRE(got);
    CHECK(got->siblings.at(0).value == fmt::format("value-of-k{}", i));
  }
}

TEST_CASE("token-aware requests go to their key's primary node once it is connected",
          "[client][connection][routing]") {
  // Two nodes; the client knows only the first. Each answers with the node it is, so the test
  // sees where every request went.
  auto answer_as = [](std::string name) {
    return [name](const net::Frame& request, std::vector<std::string>& replies) {
      replies.push_back(get_reply(request.header.stream_id, name));
      return true;
    };
  };
  FakeNode first(answer_as("first"));
  FakeNode second(answer_as("second"));
  constexpr uint64_t kSecondToken = 1ull << 63;
  const std::vector<std::pair<std::string, uint64_t>> ring{{first.address(), 0},
                                                           {second.address(), kSecondToken}};
  first.set_ring(ring);
  second.set_ring(ring);
  Client client(options_for(first));
  constexpr int kKeys = 300;
  int owned_by_second = 0, served_by_second = 0, served_by_first_for_first = 0, owned_by_first = 0;
  for (int i = 0; i < kKeys; ++i) {
    const std::string key = fmt::format("key-{}", i);
    // The primary owns (previous token, its token]: the second node (0, 2^63], the first the rest.
    const uint64_t token = TokenRouter::token_of(key);
    const bool second_owns = token > 0 && token <= kSecondToken;
    auto got = client.get({.table = "t", .partition_key = key});
    INFO(got.describe());
    REQUIRE(got);
    const std::string& by = got->siblings.at(0).value;
    if (second_owns) {
      ++owned_by_second;
      if (by == "second") ++served_by_second;
    } else {
      ++owned_by_first;
      if (by == "first") ++served_by_first_for_first;
    }
  }
  INFO(owned_by_second << " keys owned by the second node, " << served_by_second
                       << " served there; " << owned_by_first << " owned by the first, "
                       << served_by_first_for_first << " served there");
  REQUIRE(owned_by_second > 100);
  REQUIRE(owned_by_first > 100);
  // Only the requests sent before the topology arrived and while the second node's connection
  // was being opened may go to the first node instead.
  CHECK(served_by_second >= owned_by_second - 10);
  CHECK(served_by_first_for_first >= owned_by_first - 10);
}

TEST_CASE("a response that arrives after its request's deadline is discarded",
          "[client][connection]") {
  std::optional<uint32_t> late_stream;
  FakeNode node([&](const net::Frame& request, std::vector<std::string>& replies) {
    if (!late_stream) {
      late_stream = request.header.stream_id;  // Held back past the client's deadline.
      return true;
    }
    replies.push_back(get_reply(*late_stream, "late"));
    replies.push_back(get_reply(request.header.stream_id, "fresh"));
    return true;
  });
  Client client(options_for(node));
  auto first = client.get({.table = "t", .partition_key = "a", .timeout_ms = 100});
  CHECK(first.is(Errc::kTimeout));
  auto second = client.get({.table = "t", .partition_key = "b"});
  INFO(second.describe());
  REQUIRE(second);
  CHECK(second->siblings.at(0).value == "fresh");
}

TEST_CASE("a write whose connection breaks is retried with the same generated idempotency key",
          "[client][connection][retry]") {
  std::mutex mutex;
  std::vector<std::string> keys;
  FakeNode node([&](const net::Frame& request, std::vector<std::string>& replies) {
    const auto* put = flatbuffers::GetRoot<wire::PutRequest>(request.payload.data());
    std::lock_guard lock(mutex);
    keys.push_back(put->idempotency_key() ? put->idempotency_key()->str() : "");
    if (keys.size() == 1) return false;  // The first attempt's outcome is unknown.
    replies.push_back(put_reply(request.header.stream_id, "ctx"));
    return true;
  });
  Client client(options_for(node));
  auto put = client.put({.table = "t", .partition_key = "k", .value = "v"});
  INFO(put.describe());
  REQUIRE(put);
  CHECK(put->context == "ctx");
  std::lock_guard lock(mutex);
  REQUIRE(keys.size() == 2);
  CHECK(keys[0].size() == 32);
  CHECK(keys[1] == keys[0]);
}

TEST_CASE("a write without an idempotency key is not retried after its connection breaks",
          "[client][connection][retry]") {
  std::atomic<int> puts{0};
  FakeNode node(hang_up_on_every_request(&puts));
  ClientOptions options = options_for(node);
  options.generate_idempotency_keys = false;
  Client client(options);
  auto put = client.put({.table = "t", .partition_key = "k", .value = "v"});
  CHECK(put.is(Errc::kConnection));
  CHECK(puts.load() == 1);
}

TEST_CASE("a read whose connection breaks is retried until the retry budget is spent",
          "[client][connection][retry]") {
  std::atomic<int> gets{0};
  FakeNode node(hang_up_on_every_request(&gets));
  ClientOptions options = options_for(node);
  options.retries_max = 2;
  Client client(options);
  auto got = client.get({.table = "t", .partition_key = "k"});
  CHECK(got.is(Errc::kConnection));
  CHECK(gets.load() == 3);
}

TEST_CASE("calls time out by their own deadlines, a later call's earlier deadline first",
          "[client][connection]") {
  // The node never answers: each call ends at its own deadline. The calls share one deadline
  // timer, which a call with an earlier deadline than any before it must re-arm.
  std::atomic<int> received{0};
  FakeNode node([&](const net::Frame&, std::vector<std::string>&) {
    ++received;
    return true;
  });
  Client client(options_for(node));
  std::atomic<bool> long_done{false};
  auto long_call = std::async(std::launch::async, [&] {
    auto result = client.get({.table = "t", .partition_key = "long", .timeout_ms = 5000});
    long_done = true;
    return result;
  });
  // The long call's deadline is registered before its request reaches the node.
  const auto wait_until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (received.load() == 0 && std::chrono::steady_clock::now() < wait_until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  REQUIRE(received.load() == 1);
  const auto short_started = std::chrono::steady_clock::now();
  auto short_call = client.get({.table = "t", .partition_key = "short", .timeout_ms = 100});
  const auto short_took = std::chrono::steady_clock::now() - short_started;
  CHECK(short_call.is(Errc::kTimeout));
  // It ended at its own deadline, long before the long call's (a timer still armed for the
  // long call's deadline would have held it for 5 s).
  CHECK(short_took < std::chrono::milliseconds(2500));
  CHECK_FALSE(long_done.load());
  auto long_result = long_call.get();
  CHECK(long_result.is(Errc::kTimeout));
}
