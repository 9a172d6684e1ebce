// InternodeClient: this node's side of its connections to peers' internode listeners. Requests
// to one peer are pipelined over a small pool of connections (connections_per_peer), each
// multiplexed by stream id; each connection opens with a Handshake that must name the cluster
// and the very node the caller meant (a stale address that now belongs to another node is
// refused, not used).
//
// Bounded and fail-fast: a peer with max_inflight_per_peer requests, or
// max_inflight_bytes_per_peer request bytes, awaiting answers refuses the next at once with
// Status::overloaded; a peer whose connection failed is not dialled again before its backoff
// (doubling from backoff_initial_ms to backoff_max_ms, reset by a good handshake) has passed, and
// requests meanwhile fail at once with Status::unavailable. A request unanswered at its deadline
// completes with Status::timeout; one whose connection breaks, with Status::unavailable (for a
// write, an unknown outcome: it may have been applied). Frames queued to one connection in one
// loop turn go out in one write.
//
// Threading: every call, and every callback, runs on the executor given at construction, which
// must be single-threaded (a one-thread io_context or a strand). Callbacks never run inside
// send(): a caller may hold its own state half-updated while it sends.
// Invariants: every send() completes exactly once; a peer's in-flight counts are the sums of its
// connections' pending requests.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <pairdb/status.h>

#include "net/internode.h"
#include "net/partition_filter.h"

namespace pairdb::net {

struct InternodePeer {
  std::string node_id;  // internode::kNodeIdBytes raw bytes.
  std::string address;  // host:port of its internode listener.
};

struct InternodeClientOptions {
  uint64_t cluster_id = 0;
  std::string self_id;  // Raw node id sent in every handshake.
  uint32_t connections_per_peer = 2;
  uint32_t max_inflight_per_peer = 4096;
  uint64_t max_inflight_bytes_per_peer = 64ull << 20;
  uint32_t connect_timeout_ms = 1000;
  uint32_t backoff_initial_ms = 100;
  uint32_t backoff_max_ms = 5000;
  uint32_t max_frame_bytes = kDefaultMaxFrameBytes;
  uint32_t sweep_interval_ms = 20;  // How often expired requests are timed out.
  // Test-only fault hook (never set in production): requests to a peer it blocks fail at once,
  // as if the network to it were cut.
  const PartitionFilter* TEST_partition = nullptr;
};

// Per peer, since the client started.
struct InternodePeerStats {
  uint64_t requests = 0;
  uint64_t errors = 0;      // Refused by the peer (an InternodeError) or unreachable.
  uint64_t timeouts = 0;    // Unanswered at their deadline.
  uint64_t overloaded = 0;  // Refused here by the in-flight bounds.
  uint64_t bytes_sent = 0;
  uint64_t bytes_received = 0;
  uint64_t connects = 0;  // Handshakes completed.
  uint64_t connect_failures = 0;
  uint32_t in_flight = 0;
  uint64_t in_flight_bytes = 0;
};

using InternodeCallback = std::function<void(Result<internode::Response>)>;
using InternodeDeadline = std::chrono::steady_clock::time_point;

class InternodePeerConnection;

class InternodeClient {
 public:
  InternodeClient(boost::asio::any_io_executor executor, InternodeClientOptions options);
  ~InternodeClient();
  InternodeClient(const InternodeClient&) = delete;
  InternodeClient& operator=(const InternodeClient&) = delete;

  // Sends `request` (not a Handshake) to `peer`; `done` gets its response (an InternodeError
  // is a response: the peer refused) or why there is none.
  void send(const InternodePeer& peer, const internode::Request& request,
            InternodeDeadline deadline, InternodeCallback done);
  // Closes the connections to a peer (gossip declared it dead, or it left); its pending
  // requests complete with Status::unavailable.
  void disconnect(const std::string& node_id);
  // Closes everything; pending requests complete with Status::unavailable. Idempotent.
  void close();

  std::map<std::string, InternodePeerStats> stats() const;  // By raw node id.

  struct PeerState;

 private:
  PeerState& peer_state(const InternodePeer& peer);
  std::shared_ptr<InternodePeerConnection> pick_connection(PeerState& peer);
  void sweep();
  void fail_later(InternodeCallback done, Status status);

  boost::asio::any_io_executor executor_;
  const InternodeClientOptions options_;
  boost::asio::steady_timer sweep_timer_;
  std::map<std::string, std::shared_ptr<PeerState>> peers_;
  bool closed_ = false;
  // Expires with the client: a sweep already queued when it is destroyed does nothing.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace pairdb::net
