// Hostile and broken clients against the real pairdb binary: each gets a clear error or is cut
// off by a limit, and a well-behaved client keeps getting correct answers throughout.
#include <catch2/catch.hpp>

#include <sys/resource.h>

#include <fmt/format.h>
#include <atomic>
#include <chrono>
#include <thread>

#include "net/frame.h"
#include "net/wire.h"
#include "support/http_client.h"
#include "support/pairdb_process.h"
#include "support/poll.h"
#include "support/test_node.h"
#include "support/wire_client.h"

using namespace pairdb::test;
namespace net = pairdb::net;
namespace wire = pairdb::wire;

namespace {

using Clock = std::chrono::steady_clock;

// A client that writes and reads back its own keys in a loop while the test misbehaves
// elsewhere; every answer must be correct.
class WellBehavedClient {
 public:
  explicit WellBehavedClient(uint16_t port) {
    thread_ = std::thread([this, port] { run(port); });
  }
  ~WellBehavedClient() { stop(); }
  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  uint64_t successes() const { return successes_.load(); }
  std::string failure() const {
    std::lock_guard lock(mutex_);
    return failure_;
  }

 private:
  void fail(std::string why) {
    std::lock_guard lock(mutex_);
    if (failure_.empty()) failure_ = std::move(why);
  }
  void run(uint16_t port) {
    auto client = WireClient::connect("127.0.0.1", port);
    if (!client.is_ok()) return fail(client.status().to_string());
    for (int i = 0; i < 1'000'000 && !stop_; ++i) {
      const std::string key = fmt::format("good-{}", i % 100);
      const std::string value = std::to_string(i);
      auto put = client->put({.table = "default", .partition_key = key, .value = value});
      if (!put.is_ok()) return fail("put: " + put.describe());
      auto get = client->get({.table = "default", .partition_key = key});
      if (!get.is_ok()) return fail("get: " + get.describe());
      if (!get->found || get->siblings.size() != 1 || get->siblings[0].value != value) {
        return fail("read back the wrong value for " + key);
      }
      successes_.fetch_add(1);
    }
  }

  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> successes_{0};
  mutable std::mutex mutex_;
  std::string failure_;
  std::thread thread_;
};

// Waits until the good client has made `more` further round trips (proof it is still served).
void expect_progress(const WellBehavedClient& good, uint64_t more) {
  const uint64_t start = good.successes();
  const auto deadline = Clock::now() + std::chrono::seconds(30);
  poll_until(
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()),
      [&] { return good.successes() >= start + more || !good.failure().empty(); },
      std::chrono::milliseconds(5));
  INFO(good.failure());
  REQUIRE(good.failure().empty());
  REQUIRE(good.successes() >= start + more);
}

std::string header_bytes(uint32_t length, uint8_t version, uint8_t flags, uint16_t opcode,
                         uint32_t stream) {
  net::FrameHeader header;
  header.payload_length = length;
  header.version = version;
  header.flags = flags;
  header.opcode = static_cast<net::Opcode>(opcode);
  header.stream_id = stream;
  uint8_t bytes[net::kFrameHeaderBytes];
  net::encode_frame_header(header, bytes);
  return std::string(reinterpret_cast<char*>(bytes), sizeof(bytes));
}

RawSocket connect_raw(uint16_t port) {
  auto socket = RawSocket::connect(port);
  REQUIRE(socket.is_ok());
  return std::move(socket).value();
}

// The start of the server's answer on `socket`: up to `bytes_max` bytes, within 10 s.
std::string answer_on(RawSocket& socket, size_t bytes_max) {
  bool closed = false;
  return socket.receive(10'000, bytes_max, &closed);
}

wire::ErrorCode error_of(const net::Frame& frame) {
  REQUIRE(frame.header.is_error());
  auto error = decode_error(frame);
  REQUIRE(error.is_ok());
  return error->code;
}

}  // namespace

TEST_CASE("malformed binary frames get error frames or a close, never a crash", "[e2e][bad]") {
  TempDir dir;
  auto node = start_node(dir);
  WellBehavedClient good(node->binary_port());
  expect_progress(good, 20);

  SECTION("an oversized frame is refused from its header and the connection closed") {
    auto client = WireClient::connect("127.0.0.1", node->binary_port());
    REQUIRE(client.is_ok());
    REQUIRE(client->send_raw(header_bytes(64u << 20, 1, 0, 10, 7)).is_ok());
    auto frame = client->read_frame(10'000);
    REQUIRE(frame.is_ok());
    CHECK(frame->header.stream_id == 7);
    CHECK(error_of(*frame) == wire::ErrorCode::TooLarge);
    CHECK(client->read_frame(10'000).status().code() == pairdb::StatusCode::kUnavailable);
  }
  SECTION("an unknown protocol version gets UnsupportedVersion and a close") {
    auto client = WireClient::connect("127.0.0.1", node->binary_port());
    REQUIRE(client->send_raw(header_bytes(0, 9, 0, 2, 3)).is_ok());
    auto frame = client->read_frame(10'000);
    REQUIRE(frame.is_ok());
    CHECK(error_of(*frame) == wire::ErrorCode::UnsupportedVersion);
    CHECK(client->read_frame(10'000).status().code() == pairdb::StatusCode::kUnavailable);
  }
  SECTION("an unknown opcode gets UnknownOpcode and the connection goes on") {
    auto client = WireClient::connect("127.0.0.1", node->binary_port());
    REQUIRE(client->send_raw(header_bytes(4, 1, 0, 999, 5) + "abcd").is_ok());
    auto frame = client->read_frame(10'000);
    REQUIRE(frame.is_ok());
    CHECK(frame->header.stream_id == 5);
    CHECK(error_of(*frame) == wire::ErrorCode::UnknownOpcode);
    auto ping = client->ping();
    CHECK(ping.is_ok());
  }
  SECTION("an invalid FlatBuffer gets MalformedFrame and the connection goes on") {
    auto client = WireClient::connect("127.0.0.1", node->binary_port());
    const std::string junk = "\xff\xff\xff\x7f garbage that is no flatbuffer";
    REQUIRE(client->send_raw(header_bytes(static_cast<uint32_t>(junk.size()), 1, 0, 10, 9) + junk)
                .is_ok());
    auto frame = client->read_frame(10'000);
    REQUIRE(frame.is_ok());
    CHECK(error_of(*frame) == wire::ErrorCode::MalformedFrame);
    CHECK(client->ping().is_ok());
  }
  SECTION("a request on stream id 0 gets MalformedFrame and the connection goes on") {
    auto client = WireClient::connect("127.0.0.1", node->binary_port());
    REQUIRE(client->send_raw(encode_request(0, PingArgs{})).is_ok());
    auto frame = client->read_frame(10'000);
    REQUIRE(frame.is_ok());
    CHECK(error_of(*frame) == wire::ErrorCode::MalformedFrame);
    CHECK(client->ping().is_ok());
  }
  SECTION("garbage bytes are answered and the connection closed") {
    RawSocket socket = connect_raw(node->binary_port());
    REQUIRE(socket.send("GET / HTTP/1.1\r\nHost: x\r\n\r\nmore garbage follows here").is_ok());
    CHECK(socket.wait_closed(10'000));
  }
  SECTION("a truncated frame followed by a hang-up harms nobody") {
    RawSocket socket = connect_raw(node->binary_port());
    REQUIRE(socket.send(header_bytes(100, 1, 0, 10, 1) + "only-part").is_ok());
  }
  expect_progress(good, 20);
  good.stop();
  INFO(good.failure());
  CHECK(good.failure().empty());
  CHECK(node->running());
}

TEST_CASE("broken HTTP clients get errors or are cut off while others are served", "[e2e][bad]") {
  TempDir dir;
  auto node = start_node(dir, {"--http.read_timeout_ms", "1000"});
  WellBehavedClient good(node->binary_port());
  expect_progress(good, 20);
  const uint16_t http = node->http_port();

  SECTION("malformed JSON is a 400 with an error body") {
    auto reply = http_request(http, "POST", "/api/v1/put",
                              "{\"key\": ", {{"Content-Type", "application/json"}});
    REQUIRE(reply.is_ok());
    CHECK(reply->status == 400);
    CHECK(reply->body.find("\"InvalidArgument\"") != std::string::npos);
  }
  SECTION("a 10 MiB header is refused with 431") {
    RawSocket socket = connect_raw(http);
    const std::string huge(10u << 20, 'a');
    // The server may close before the whole header is sent; only its answer matters.
    (void)socket.send("GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + huge + "\r\n\r\n");
    CHECK(answer_on(socket, 1 << 20).rfind("HTTP/1.1 431", 0) == 0);
  }
  SECTION("an oversized body is refused with 413 from its Content-Length") {
    RawSocket socket = connect_raw(http);
    REQUIRE(socket
                .send("PUT /v1/tables/default/items/k HTTP/1.1\r\nHost: x\r\n"
                      "Content-Type: text/plain\r\nContent-Length: 5242880\r\n\r\n" +
                      std::string(1024, 'x'))
                .is_ok());
    CHECK(answer_on(socket, 1 << 16).rfind("HTTP/1.1 413", 0) == 0);
  }
  SECTION("a slowloris client is cut off by the read timeout") {
    RawSocket socket = connect_raw(http);
    REQUIRE(socket.send("GET /health HTTP/1.1\r\nHost: x\r\n").is_ok());
    const auto started = Clock::now();
    bool cut_off = false;
    for (int i = 0; i < 100 && !cut_off; ++i) {
      if (!socket.send("X-Drip: 1\r\n").is_ok()) break;
      bool closed = false;
      socket.receive(200, 1 << 16, &closed);
      cut_off = closed;
    }
    CHECK(cut_off);
    CHECK(Clock::now() - started < std::chrono::seconds(10));
  }
  SECTION("bad percent-encoding is a 400") {
    auto reply = http_request(http, "GET", "/v1/tables/default/items/%G1");
    REQUIRE(reply.is_ok());
    CHECK(reply->status == 400);
  }
  expect_progress(good, 20);
  good.stop();
  CHECK(good.failure().empty());
}

TEST_CASE("1,000 idle connections neither starve nor crash the node", "[e2e][bad]") {
  // 1,000 sockets here and up to 600 in the node: lift the soft descriptor limit (inherited by
  // the node) to the hard one.
  rlimit limit{};
  REQUIRE(::getrlimit(RLIMIT_NOFILE, &limit) == 0);
  limit.rlim_cur = limit.rlim_max;
  REQUIRE(::setrlimit(RLIMIT_NOFILE, &limit) == 0);
  REQUIRE(limit.rlim_cur >= 2048);

  TempDir dir;
  // A limit below 1,000, so the test also sees the limit at work.
  auto node = start_node(dir, {"--network.max_connections", "600"});
  WellBehavedClient good(node->binary_port());
  expect_progress(good, 10);
  std::vector<RawSocket> idle;
  for (int i = 0; i < 1000; ++i) {
    idle.push_back(connect_raw(i % 2 == 0 ? node->binary_port() : node->http_port()));
  }
  // Connections beyond the limit are answered (an Overloaded frame or a 503) and closed; the
  // others stay open and idle. The good client keeps being served throughout.
  std::vector<bool> closed(idle.size(), false);
  size_t refused = 0;
  const auto deadline = Clock::now() + std::chrono::seconds(20);
  while (refused < 400 && Clock::now() < deadline) {
    for (size_t i = 0; i < idle.size(); ++i) {
      if (closed[i]) continue;
      bool eof = false;
      idle[i].receive(1, 1 << 12, &eof);
      if (eof) {
        closed[i] = true;
        ++refused;
      }
    }
  }
  CHECK(refused >= 400);
  CHECK(refused <= 401);
  expect_progress(good, 20);
  good.stop();
  CHECK(good.failure().empty());
}
