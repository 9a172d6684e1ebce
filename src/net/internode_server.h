// InternodeServer: the TCP listener peers' coordinators reach this node on (internode.listen).
// Owns sockets and framing only; what a request means is the handler's business.
//
// A connection starts with a Handshake, which `check_handshake` decides: its reply is sent and
// the connection serves requests, or its refusal is sent and the connection closes (counted as
// a refused handshake). After that every frame must be an internode request whose payload
// verifies (internode::decode_request): the first one that is not (a response frame, a header
// error, an unknown opcode, a payload that does not verify, a second Handshake) closes that
// connection only, and is counted. A peer over max_inflight_per_connection gets Overloaded at
// once; while the server stops, ShuttingDown. Responses are written in completion order, those
// ready in one loop turn in one write.
//
// Thread-safety: listen/start/stop from one thread; each connection runs on its own strand; the
// handler runs on the connection's strand and may call its responder from any thread, once.
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <set>

#include <pairdb/status.h>

#include "net/internode.h"

namespace pairdb::net {

// Answers a peer's Handshake: the reply, or why the peer is refused.
using HandshakeCheck =
    std::function<Result<internode::HandshakeReply>(const internode::Handshake& hello)>;
// Sends one complete encoded response frame back on the request's connection.
using InternodeResponder = std::function<void(std::string frame)>;
// One verified request of an accepted peer. `peer_id` is the node id its handshake gave.
using InternodeHandler =
    std::function<void(const std::string& peer_id, uint32_t stream_id, internode::Request request,
                       InternodeResponder respond)>;

struct InternodeServerOptions {
  uint32_t max_frame_bytes = kDefaultMaxFrameBytes;
  uint32_t max_inflight_per_connection = 4096;
  uint32_t handshake_timeout_ms = 5000;  // From accept to a decided handshake.
};

struct InternodeServerCounters {
  std::atomic<uint64_t> accepted{0};
  std::atomic<uint64_t> refused_handshakes{0};
  std::atomic<uint64_t> malformed_frames{0};  // Each closed its connection.
  std::atomic<uint64_t> overloaded{0};
  std::atomic<uint64_t> requests{0};
  std::atomic<uint32_t> open{0};
  std::atomic<uint32_t> in_flight{0};
};

class InternodeConnection;

class InternodeServer {
 public:
  InternodeServer(boost::asio::io_context& io, InternodeServerOptions options,
                  HandshakeCheck check_handshake, InternodeHandler handler);
  ~InternodeServer();

  Result<boost::asio::ip::tcp::endpoint> listen(const boost::asio::ip::tcp::endpoint& endpoint);
  void start();
  // Stops accepting; open connections answer ShuttingDown to new requests and close once their
  // in-flight requests are answered.
  void stop();

  const InternodeServerCounters& counters() const { return shared_->counters; }

  // What connections share with the server; they hold it, so it outlives them all.
  struct Shared {
    InternodeServerOptions options;
    HandshakeCheck check_handshake;
    InternodeHandler handler;
    InternodeServerCounters counters;
    std::atomic<bool> stopping{false};
    std::mutex mutex;
    std::set<std::weak_ptr<InternodeConnection>, std::owner_less<>>
        connections;  // GUARDED_BY(mutex)
  };

 private:
  void accept_next();

  boost::asio::io_context& io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::shared_ptr<Shared> shared_ = std::make_shared<Shared>();
};

}  // namespace pairdb::net
