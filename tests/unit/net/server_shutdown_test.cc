// A node that is stopping refuses new requests with ShuttingDown (binary) or 503 ShuttingDown
// with Retry-After (HTTP), so a client resends them to another node at once.
#include <catch2/catch.hpp>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/this_coro.hpp>
#include <thread>

#include "net/binary_server.h"
#include "net/connection_budget.h"
#include "net/frame.h"
#include "net/http_server.h"
#include "net/wire.h"
#include "support/http_client.h"

using namespace pairdb;
using namespace pairdb::net;
namespace asio = boost::asio;

namespace {

const asio::ip::tcp::endpoint kLoopback(asio::ip::make_address("127.0.0.1"), 0);

// Runs an io_context on one thread for the test's lifetime.
struct IoThread {
  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> work = asio::make_work_guard(io);
  std::thread thread{[this] { io.run(); }};
  ~IoThread() {
    work.reset();
    io.stop();
    thread.join();
  }
};

// Reads from `socket` until `text` has arrived or the deadline passes; returns what arrived.
std::string receive_until(test::RawSocket& socket, std::string_view text, uint32_t timeout_ms) {
  std::string got;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  bool closed = false;
  while (got.find(text) == std::string::npos && !closed &&
         std::chrono::steady_clock::now() < deadline) {
    got += socket.receive(50, 1 << 16, &closed);
  }
  return got;
}

std::string ping_frame(uint32_t stream_id) {
  flatbuffers::FlatBufferBuilder builder;
  builder.Finish(wire::CreatePingRequest(builder));
  return encode_request_frame(stream_id, Opcode::kPing, builder);
}

}  // namespace

TEST_CASE("an HTTP request read after stop() gets 503 ShuttingDown with Retry-After",
          "[net][http][shutdown]") {
  IoThread io;
  ConnectionBudget budget(16);
  HttpServer server(io.io, HttpServerOptions{}, &budget,
                    [](HttpRequest request) -> asio::awaitable<HttpResponse> {
                      HttpResponse response(boost::beast::http::status::ok, request.version());
                      response.body() = "served";
                      response.prepare_payload();
                      co_return response;
                    });
  auto bound = server.listen(kLoopback);
  REQUIRE(bound.is_ok());
  server.start();
  auto socket = test::RawSocket::connect(bound->port());
  REQUIRE(socket.is_ok());

  REQUIRE(socket->send("GET /a HTTP/1.1\r\nHost: x\r\n\r\n").is_ok());
  CHECK(receive_until(*socket, "served", 5000).find("200 OK") != std::string::npos);

  server.stop();
  REQUIRE(socket->send("GET /b HTTP/1.1\r\nHost: x\r\n\r\n").is_ok());
  const std::string refused = receive_until(*socket, "ShuttingDown", 5000);
  CHECK(refused.find("503 Service Unavailable") != std::string::npos);
  CHECK(refused.find("Retry-After: 1") != std::string::npos);
  CHECK(refused.find("\"code\":\"ShuttingDown\"") != std::string::npos);
  CHECK(refused.find("served") == std::string::npos);
  CHECK(socket->wait_closed(5000));
}

TEST_CASE("a binary request decoded after stop() gets a ShuttingDown error frame",
          "[net][binary][shutdown]") {
  IoThread io;
  ConnectionBudget budget(16);
  BinaryServer* server_ptr = nullptr;
  std::atomic<int> handled{0};
  BinaryServer server(
      io.io, BinaryServerOptions{}, &budget, [&](Frame request, FrameResponder respond) {
        // The first request stops the server; the second, already in the
        // connection's buffer, must be refused rather than run.
        if (handled.fetch_add(1) == 0) server_ptr->stop();
        flatbuffers::FlatBufferBuilder builder;
        builder.Finish(wire::CreatePingResponse(builder));
        respond(encode_response_frame(request.header.stream_id, Opcode::kPing, builder));
      });
  server_ptr = &server;
  auto bound = server.listen(kLoopback);
  REQUIRE(bound.is_ok());
  server.start();
  auto socket = test::RawSocket::connect(bound->port());
  REQUIRE(socket.is_ok());

  REQUIRE(socket->send(ping_frame(1) + ping_frame(2)).is_ok());
  bool closed = false;
  std::string bytes;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!closed && std::chrono::steady_clock::now() < deadline) {
    bytes += socket->receive(50, 1 << 16, &closed);
  }
  CHECK(closed);  // Nothing is left in flight, so the stopping connection closes.
  CHECK(handled.load() == 1);

  FrameDecoder decoder(kDefaultMaxFrameBytes);
  decoder.feed(std::string_view(bytes));
  std::optional<Frame> first = decoder.next();
  std::optional<Frame> second = decoder.next();
  REQUIRE(first.has_value());
  REQUIRE(second.has_value());
  if (first->header.stream_id != 2) std::swap(first, second);
  REQUIRE(first->header.stream_id == 2);
  CHECK((first->header.flags & kFlagError) != 0);
  auto error = verify_payload<wire::Error>(as_bytes(first->payload));
  REQUIRE(error.is_ok());
  CHECK((*error)->code() == wire::ErrorCode::ShuttingDown);
  CHECK(is_retry_safe((*error)->code()));
  CHECK((second->header.flags & kFlagError) == 0);
}
