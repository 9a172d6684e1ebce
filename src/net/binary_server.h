// TCP listener for the binary client protocol (PROTOCOL.md). Owns sockets and framing only:
// it reads frames under the configured limits, hands each valid request frame to a handler and
// writes the handler's answers back, in whatever order they complete (pipelining).
//
// Per connection: header errors (oversized, unknown version, bad flags) get an error frame and
// a close; a request that fails net::check_request (flags, stream id 0, an unknown opcode, a
// payload that does not verify as its opcode's request table) gets that error and the
// connection goes on, so the handler only ever sees verified requests; while the server stops,
// requests get ShuttingDown; beyond
// max_inflight requests the connection answers Overloaded without running the request; a
// connection with nothing in flight and no traffic for idle_timeout_ms is closed.
// Thread-safety: start/stop from any thread; each connection runs on its own strand; the
// handler may call its responder from any thread, exactly once.
#pragma once

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <functional>
#include <memory>
#include <mutex>
#include <set>

#include <pairdb/status.h>

#include "net/connection_budget.h"
#include "net/frame.h"

namespace pairdb::net {

// Sends one complete encoded frame (response or error) back on the request's connection.
using FrameResponder = std::function<void(std::string frame)>;
using FrameHandler = std::function<void(Frame request, FrameResponder respond)>;

struct BinaryServerOptions {
  uint32_t max_frame_bytes = kDefaultMaxFrameBytes;
  uint32_t max_inflight_per_connection = 128;
  uint32_t idle_timeout_ms = 300'000;
  uint32_t write_timeout_ms = 30'000;
  // The executor a new connection runs on: an io_context run by exactly one thread, or a
  // strand. Unset: a new strand of the server's io_context. The daemon spreads connections
  // over one io_context per thread, so a request never wakes another thread.
  std::function<boost::asio::any_io_executor()> connection_executor;
};

class BinaryConnection;

class BinaryServer {
 public:
  BinaryServer(boost::asio::io_context& io, BinaryServerOptions options, ConnectionBudget* budget,
               FrameHandler handler);
  ~BinaryServer();

  Result<boost::asio::ip::tcp::endpoint> listen(const boost::asio::ip::tcp::endpoint& endpoint);
  void start();
  // Stops accepting and stops reading new requests; connections close once their in-flight
  // requests are answered.
  void stop();

  uint32_t in_flight() const { return shared_->in_flight.load(); }
  uint32_t open_connections() const { return shared_->open.load(); }

  struct Shared {
    std::atomic<uint32_t> in_flight{0};
    std::atomic<uint32_t> open{0};
    std::atomic<bool> stopping{false};
    std::mutex mutex;
    std::set<std::weak_ptr<BinaryConnection>, std::owner_less<>> connections;  // GUARDED_BY(mutex)
  };

 private:
  boost::asio::awaitable<void> accept_loop();

  boost::asio::io_context& io_;
  const BinaryServerOptions options_;
  ConnectionBudget* const budget_;
  const FrameHandler handler_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::shared_ptr<Shared> shared_ = std::make_shared<Shared>();
};

}  // namespace pairdb::net
