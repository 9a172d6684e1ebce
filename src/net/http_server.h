// HTTP/1.1 listener on Boost.Beast: accepts connections, reads requests under size and time
// limits, hands each complete request to a handler coroutine and writes its response.
// Knows nothing of pairdb's routes.
//
// Limits: a request's header and body must arrive within read_timeout_ms of its first byte (of
// the accept, for a connection's first request), so slow clients are cut off; bodies above
// max_body_bytes get 413 and headers above max_header_bytes get 431, then the connection closes.
// Idle keep-alive connections close after keepalive_timeout_ms. Requests whose framing is
// ambiguous (net/http_framing.h) get 400 or 501 and a close, before their body is read. A
// client that sends "Expect: 100-continue" gets "100 Continue" once its header is accepted.
// HEAD responses carry the header of the GET response and no body.
// Thread-safety: start/stop from any thread; each connection runs on its own strand.
#pragma once

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http.hpp>
#include <functional>
#include <memory>

#include <pairdb/status.h>

#include "net/connection_budget.h"

namespace pairdb::net {

using HttpRequest = boost::beast::http::request<boost::beast::http::string_body>;
using HttpResponse = boost::beast::http::response<boost::beast::http::string_body>;
using HttpHandler = std::function<boost::asio::awaitable<HttpResponse>(HttpRequest)>;
// Told the status of each request the server refused before the handler saw it (malformed,
// too large, ambiguous framing). Called on connection strands: must be thread-safe.
using HttpRefusalObserver = std::function<void(unsigned status)>;

struct HttpServerOptions {
  uint32_t max_body_bytes = 4u << 20;
  uint32_t max_header_bytes = 16u << 10;
  uint32_t read_timeout_ms = 10'000;
  uint32_t keepalive_timeout_ms = 60'000;
  uint32_t write_timeout_ms = 30'000;
};

class HttpServer {
 public:
  HttpServer(boost::asio::io_context& io, HttpServerOptions options, ConnectionBudget* budget,
             HttpHandler handler);
  ~HttpServer();

  // Binds and listens; the returned endpoint carries the real port when 0 was asked for.
  Result<boost::asio::ip::tcp::endpoint> listen(const boost::asio::ip::tcp::endpoint& endpoint);
  // REQUIRES: start() has not been called.
  void set_refusal_observer(HttpRefusalObserver observer) { on_refused_ = std::move(observer); }
  void start();  // Starts accepting. REQUIRES: listen() succeeded.
  // Stops accepting and asks open connections to finish their current request and close.
  void stop();
  // Requests being handled right now, across connections.
  uint32_t in_flight() const { return state_->in_flight.load(); }
  uint32_t open_connections() const { return state_->open.load(); }

  struct State {
    std::atomic<uint32_t> in_flight{0};
    std::atomic<uint32_t> open{0};
    std::atomic<bool> stopping{false};
  };

 private:
  boost::asio::awaitable<void> accept_loop();

  boost::asio::io_context& io_;
  const HttpServerOptions options_;
  ConnectionBudget* const budget_;
  const HttpHandler handler_;
  HttpRefusalObserver on_refused_;  // Set before start(); then read-only.
  boost::asio::ip::tcp::acceptor acceptor_;
  std::shared_ptr<State> state_ = std::make_shared<State>();
};

}  // namespace pairdb::net
