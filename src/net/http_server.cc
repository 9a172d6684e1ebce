#include "net/http_server.h"

#include "net/endpoint.h"
#include "net/http_framing.h"

#include <fmt/format.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <chrono>

namespace pairdb::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
// How much the wait for a keep-alive request's first byte reads at once.
constexpr size_t kFirstReadBytes = 4096;

HttpResponse plain_error(http::status status, std::string_view code, std::string_view message,
                         unsigned version) {
  HttpResponse response(status, version);
  response.set(http::field::content_type, "application/json");
  response.set(http::field::connection, "close");
  response.body() = fmt::format(R"({{"error":{{"code":"{}","message":"{}"}}}})", code, message);
  response.prepare_payload();
  response.keep_alive(false);
  return response;
}

// Maps a failed read to the answer the client should get, or nullopt to close silently (the
// peer went away or stopped sending in time).
std::optional<HttpResponse> answer_for_read_error(const boost::system::error_code& ec) {
  if (ec == http::error::body_limit) {
    return plain_error(http::status::payload_too_large, "TooLarge",
                       "request body exceeds the configured limit", 11);
  }
  if (ec == http::error::header_limit) {
    return plain_error(http::status::request_header_fields_too_large, "TooLarge",
                       "request headers exceed the configured limit", 11);
  }
  if (ec == http::error::end_of_stream || ec == beast::error::timeout || ec == asio::error::eof ||
      ec == asio::error::connection_reset || ec == asio::error::operation_aborted) {
    return std::nullopt;
  }
  return plain_error(http::status::bad_request, "InvalidArgument", "malformed HTTP request", 11);
}

struct SessionArgs {
  HttpServerOptions options;
  ConnectionBudget* budget;
  HttpHandler handler;
  HttpRefusalObserver on_refused;
  std::shared_ptr<HttpServer::State> state;
};

// What reading one request gave: a request to serve, an answer to send before closing, or
// neither (the peer went away or stayed silent: close without a word).
struct ReadOutcome {
  std::optional<HttpRequest> request;
  std::optional<HttpResponse> refusal;
  bool close_after = false;  // Serve `request`, then close (ambiguous framing, RFC 9112 6.1).
};

bool expects_continue(const HttpRequest& request) {
  auto expect = request.find(http::field::expect);
  return expect != request.end() && beast::iequals(expect->value(), "100-continue") &&
         request.version() >= 11;
}

// Reads one request. The first request of a connection must arrive whole within
// read_timeout_ms of the accept; a later one may take keepalive_timeout_ms to send its first
// byte, and then has read_timeout_ms from that byte for all of it, header and body.
asio::awaitable<ReadOutcome> read_request(beast::tcp_stream& stream, beast::flat_buffer& buffer,
                                          const HttpServerOptions& options, bool first) {
  if (!first && buffer.size() == 0) {
    stream.expires_after(std::chrono::milliseconds(options.keepalive_timeout_ms));
    auto [ec, bytes] = co_await stream.async_read_some(buffer.prepare(kFirstReadBytes), kUseTuple);
    if (ec) co_return ReadOutcome{};
    buffer.commit(bytes);
  }
  stream.expires_after(std::chrono::milliseconds(options.read_timeout_ms));
  http::request_parser<http::string_body> parser;
  parser.body_limit(options.max_body_bytes);
  parser.header_limit(options.max_header_bytes);
  auto [ec, bytes] = co_await http::async_read_header(stream, buffer, parser, kUseTuple);
  if (ec) co_return ReadOutcome{{}, answer_for_read_error(ec)};
  const FramingVerdict verdict = check_request_framing(parser.get().base());
  if (verdict.refused()) {
    co_return ReadOutcome{{}, plain_error(verdict.refuse, "InvalidArgument", verdict.reason, 11)};
  }
  if (!parser.is_done() && expects_continue(parser.get())) {
    http::response<http::empty_body> go_on(http::status::continue_, 11);
    auto [write_ec, written] = co_await http::async_write(stream, go_on, kUseTuple);
    if (write_ec) co_return ReadOutcome{};
  }
  if (!parser.is_done()) {
    std::tie(ec, bytes) = co_await http::async_read(stream, buffer, parser, kUseTuple);
    if (ec) co_return ReadOutcome{{}, answer_for_read_error(ec)};
  }
  co_return ReadOutcome{parser.release(), {}, verdict.close_after};
}

// Writes the answer; a response to HEAD carries the GET response's header (Content-Length
// included) and no body (RFC 9110 9.3.2).
asio::awaitable<boost::system::error_code> write_response(beast::tcp_stream& stream,
                                                          HttpResponse& response, bool head,
                                                          const HttpServerOptions& options) {
  response.prepare_payload();
  stream.expires_after(std::chrono::milliseconds(options.write_timeout_ms));
  if (head) {
    http::response<http::empty_body> header_only(std::move(response.base()));
    auto [ec, written] = co_await http::async_write(stream, header_only, kUseTuple);
    co_return ec;
  }
  auto [ec, written] = co_await http::async_write(stream, response, kUseTuple);
  co_return ec;
}

asio::awaitable<void> serve_session(tcp::socket socket, SessionArgs args) {
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  for (bool first = true; !args.state->stopping.load(); first = false) {
    ReadOutcome outcome = co_await read_request(stream, buffer, args.options, first);
    if (outcome.refusal) {
      if (args.on_refused) args.on_refused(static_cast<unsigned>(outcome.refusal->result()));
      (void)co_await write_response(stream, *outcome.refusal, false, args.options);
    }
    if (!outcome.request) break;
    if (args.state->stopping.load()) {
      // Read while the node began to stop: refused unstarted, so the client can resend it to
      // another node at once.
      HttpResponse refusal =
          plain_error(http::status::service_unavailable, "ShuttingDown",
                      "the node is shutting down; send the request to another node",
                      outcome.request->version());
      refusal.set(http::field::retry_after, "1");
      (void)co_await write_response(stream, refusal, false, args.options);
      break;
    }
    HttpRequest request = std::move(*outcome.request);
    const bool keep_alive = request.keep_alive() && !outcome.close_after;
    const bool head = request.method() == http::verb::head;
    args.state->in_flight.fetch_add(1);
    HttpResponse response = co_await args.handler(std::move(request));
    args.state->in_flight.fetch_sub(1);
    response.keep_alive(keep_alive && !args.state->stopping.load());
    const bool again = response.keep_alive();
    if (co_await write_response(stream, response, head, args.options) || !again) break;
  }
  boost::system::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  stream.socket().close(ignored);
}

}  // namespace

HttpServer::HttpServer(asio::io_context& io, HttpServerOptions options, ConnectionBudget* budget,
                       HttpHandler handler)
    : io_(io), options_(options), budget_(budget), handler_(std::move(handler)), acceptor_(io) {}

HttpServer::~HttpServer() { stop(); }

Result<tcp::endpoint> HttpServer::listen(const tcp::endpoint& endpoint) {
  return open_listener(acceptor_, endpoint, "http");
}

void HttpServer::start() {
  asio::co_spawn(acceptor_.get_executor(), accept_loop(), asio::detached);
}

void HttpServer::stop() {
  state_->stopping.store(true);
  asio::post(acceptor_.get_executor(), [this] {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
  });
}

asio::awaitable<void> HttpServer::accept_loop() {
  while (!state_->stopping.load()) {
    auto [ec, socket] = co_await acceptor_.async_accept(asio::make_strand(io_), kUseTuple);
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor_.is_open()) co_return;
      continue;  // EMFILE and friends: keep serving the connections we have.
    }
    if (!budget_->try_acquire()) {
      // Over the connection limit: answer 503 without reading, then close.
      auto response = std::make_shared<HttpResponse>(plain_error(
          http::status::service_unavailable, "Overloaded", "too many open connections", 11));
      auto shared_socket = std::make_shared<tcp::socket>(std::move(socket));
      http::async_write(*shared_socket, *response,
                        [shared_socket, response](boost::system::error_code, size_t) {
                          boost::system::error_code ignored;
                          shared_socket->close(ignored);
                        });
      continue;
    }
    auto executor = socket.get_executor();
    state_->open.fetch_add(1);
    asio::co_spawn(
        executor,
        serve_session(std::move(socket), {options_, budget_, handler_, on_refused_, state_}),
        [budget = budget_, state = state_](std::exception_ptr) {
          state->open.fetch_sub(1);
          budget->release();
        });
  }
}

}  // namespace pairdb::net
