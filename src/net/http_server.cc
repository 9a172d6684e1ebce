#include "net/http_server.h"

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
  if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
      ec == asio::error::eof || ec == asio::error::connection_reset ||
      ec == asio::error::operation_aborted) {
    return std::nullopt;
  }
  return plain_error(http::status::bad_request, "InvalidArgument",
                     "malformed HTTP request", 11);
}

struct SessionArgs {
  HttpServerOptions options;
  ConnectionBudget* budget;
  HttpHandler handler;
  std::shared_ptr<HttpServer::State> state;
};

asio::awaitable<void> serve_session(tcp::socket socket, SessionArgs args) {
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  bool first = true;
  while (!args.state->stopping.load()) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(args.options.max_body_bytes);
    parser.header_limit(args.options.max_header_bytes);
    // The first byte of a keep-alive request may take keepalive_timeout_ms; once a request
    // has begun, all of it must arrive within read_timeout_ms.
    stream.expires_after(std::chrono::milliseconds(first ? args.options.read_timeout_ms
                                                         : args.options.keepalive_timeout_ms));
    first = false;
    auto [ec, bytes] = co_await http::async_read_header(stream, buffer, parser, kUseTuple);
    if (!ec && !parser.is_done()) {
      stream.expires_after(std::chrono::milliseconds(args.options.read_timeout_ms));
      std::tie(ec, bytes) = co_await http::async_read(stream, buffer, parser, kUseTuple);
    }
    if (ec) {
      if (auto answer = answer_for_read_error(ec)) {
        stream.expires_after(std::chrono::milliseconds(args.options.write_timeout_ms));
        co_await http::async_write(stream, *answer, kUseTuple);
      }
      break;
    }
    HttpRequest request = parser.release();
    const bool keep_alive = request.keep_alive();
    args.state->in_flight.fetch_add(1);
    HttpResponse response = co_await args.handler(std::move(request));
    args.state->in_flight.fetch_sub(1);
    response.keep_alive(keep_alive && !args.state->stopping.load());
    response.prepare_payload();
    stream.expires_after(std::chrono::milliseconds(args.options.write_timeout_ms));
    auto [write_ec, written] = co_await http::async_write(stream, response, kUseTuple);
    if (write_ec || !response.keep_alive()) break;
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
  boost::system::error_code ec;
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return Status::io_error(fmt::format("http listen on {}:{}: {}", endpoint.address().to_string(),
                                        endpoint.port(), ec.message()));
  }
  return acceptor_.local_endpoint();
}

void HttpServer::start() { asio::co_spawn(acceptor_.get_executor(), accept_loop(), asio::detached); }

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
    asio::co_spawn(executor,
                   serve_session(std::move(socket), {options_, budget_, handler_, state_}),
                   [budget = budget_, state = state_](std::exception_ptr) {
                     state->open.fetch_sub(1);
                     budget->release();
                   });
  }
}

}  // namespace pairdb::net
