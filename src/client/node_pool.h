// NodePool: the connections to one node, opened on demand up to connections_max, and the
// node's reconnect backoff.
//
// After a connect fails, the node is "in backoff" for a delay that doubles with each
// consecutive failure up to reconnect.max_ms; meanwhile pick() returns null and callers route
// elsewhere. A connection that was ready and then broke lets the next request reconnect at
// once (the node may only have restarted); if that connect fails the backoff starts.
//
// Threads: all methods on the owning ClientCore's strand.
// Invariants: connections_.size() <= options.connections_max; consecutive_failures_ is 0 while
// any connection is ready.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "client/backoff.h"
#include "client/connection.h"
#include "common/instant.h"
#include "common/rng.h"

namespace pairdb::client {

struct NodePoolOptions {
  uint32_t connections_max = 2;
  BackoffPolicy reconnect{50, 5'000};
  ConnectionOptions connection;
};

class NodePool : public std::enable_shared_from_this<NodePool> {
 public:
  // on_connection_lost runs (on the strand) whenever one of the node's connections closes.
  // `clock` is the monotonic time source (a seam, so tests may pass their own).
  NodePool(Strand strand, std::string address, NodePoolOptions options, Rng& rng,
           std::function<Instant()> clock, std::function<void(const Error&)> on_connection_lost);

  // The connection for the next request: the least-loaded ready one (opening one more when
  // every ready connection is busy and a slot is free), else a connecting one, else a new one.
  // Null while the node is in reconnect backoff.
  std::shared_ptr<Connection> pick();

  // Starts a connection when the pool has none (ready or connecting) and is not in backoff, so
  // that later requests find one ready. Does nothing otherwise.
  void warm();

  bool has_ready() const;
  bool in_backoff() const;
  const std::string& address() const { return address_; }
  uint32_t consecutive_failures() const { return consecutive_failures_; }

  // Closes every connection with `reason`; the pool stays usable.
  void close_all(const Error& reason);

 private:
  std::shared_ptr<Connection> open();
  void on_closed(bool was_ready);
  void prune_closed();

  Strand strand_;
  const std::string address_;
  const NodePoolOptions options_;
  Rng& rng_;
  std::function<void(const Error&)> on_connection_lost_;
  std::vector<std::shared_ptr<Connection>> connections_;
  uint32_t consecutive_failures_ = 0;
  std::function<Instant()> clock_;
  Instant retry_at_;  // No new connection before this while in backoff.
};

}  // namespace pairdb::client
