// Connection: one TCP connection from the SDK to one node, carrying pipelined requests.
//
// Lifecycle: kConnecting (resolve, TCP connect, Hello handshake, bounded by connect_timeout_ms)
// -> kReady -> kClosed. A Connection never reconnects; NodePool replaces closed ones.
// Requests submitted while connecting, or while in_flight_max requests are on the wire, wait in
// a bounded queue and go out in submission order as slots free up. Responses are matched to
// requests by stream id only, so they may arrive in any order.
//
// Threads: every method must be called on the strand given to the constructor; the socket and
// every completion run on it. Response handlers are always posted to the strand, never invoked
// inside submit() or close().
// Invariants: in_flight_.size() <= options.in_flight_max + 1 (the Hello); a stream id in
// in_flight_ is never reused until its response arrives, even when its request was abandoned;
// every handler is invoked at most once, and exactly once unless abandoned.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <pairdb/client/error.h>
#include <pairdb/client/types.h>

#include "net/frame.h"

namespace pairdb::client {

using Strand = boost::asio::strand<boost::asio::any_io_executor>;

struct ConnectionOptions {
  std::string client_name = "pairdb-cpp";
  uint32_t in_flight_max = 128;
  uint32_t queued_max = 100'000;
  uint32_t connect_timeout_ms = 5'000;
  uint32_t max_frame_bytes = net::kDefaultMaxFrameBytes;
};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  enum class State : uint8_t { kConnecting, kReady, kClosed };

  // The response frame (which may be an error frame), or a transport error. `sent` is false
  // when the request never reached the socket, so it certainly was not applied.
  using ResponseHandler = std::function<void(Expected<net::Frame> response, bool sent)>;
  // Called once, on the strand, when the connection closes; was_ready tells a lost connection
  // from a failed connect.
  using ClosedCallback = std::function<void(bool was_ready, const Error& reason)>;

  Connection(Strand strand, std::string address, ConnectionOptions options,
             ClosedCallback on_closed);
  ~Connection();

  // Starts connecting. REQUIRES: called once, on the strand.
  void start();

  // Queues a request; returns a ticket for abandon(). Refusals (closed, queue full, payload
  // above the server's frame limit) are reported through the handler.
  uint64_t submit(net::Opcode opcode, std::string payload, ResponseHandler handler);

  // Forgets the request's handler: a late response is read and discarded. No-op for an
  // unknown or finished ticket.
  void abandon(uint64_t ticket);

  // Fails every pending request with `reason` and closes the socket. Idempotent.
  void close(const Error& reason);

  State state() const { return state_; }
  const std::string& address() const { return address_; }
  // Requests queued or on the wire (including abandoned ones awaiting their response).
  size_t load() const { return waiting_.size() + in_flight_.size(); }
  // The server's Hello answer. Meaningful once state() is kReady.
  const HelloInfo& hello() const { return hello_; }

 private:
  struct Waiting {
    uint64_t ticket;
    net::Opcode opcode;
    std::string payload;
    ResponseHandler handler;
  };
  struct InFlight {
    uint64_t ticket;
    ResponseHandler handler;  // Empty once abandoned.
  };

  boost::asio::awaitable<void> run();
  boost::asio::awaitable<bool> connect_socket();
  void on_connect_timeout();
  void on_frame(net::Frame frame);
  void on_hello(const net::Frame& frame);
  void pump();
  uint32_t send_now(uint64_t ticket, net::Opcode opcode, const std::string& payload,
                    ResponseHandler handler);
  uint32_t next_stream_id();
  void start_write();
  // start_write() soon, once per burst of sends.
  void schedule_write();
  void post_result(ResponseHandler handler, Expected<net::Frame> result, bool sent);

  Strand strand_;
  const std::string address_;
  const ConnectionOptions options_;
  ClosedCallback on_closed_;
  boost::asio::ip::tcp::resolver resolver_;
  boost::asio::ip::tcp::socket socket_;
  boost::asio::steady_timer connect_timer_;
  net::FrameDecoder decoder_;
  State state_ = State::kConnecting;
  HelloInfo hello_;
  uint32_t server_max_frame_bytes_ = net::kDefaultMaxFrameBytes;
  uint32_t hello_stream_id_ = 0;

  std::deque<Waiting> waiting_;
  std::unordered_map<uint32_t, InFlight> in_flight_;        // By stream id.
  std::unordered_map<uint64_t, uint32_t> stream_of_ticket_;  // Tickets of in_flight_ entries.
  uint64_t last_ticket_ = 0;
  uint32_t last_stream_id_ = 0;

  std::string write_buffer_;    // Frames waiting for the current write to finish.
  std::string writing_buffer_;  // Frames being written.
  bool writing_ = false;
  bool write_scheduled_ = false;
  std::vector<uint8_t> read_buffer_;
};

}  // namespace pairdb::client
