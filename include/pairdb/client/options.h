// Configuration of the pairdb C++ SDK. Every bound the client enforces is named here.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace pairdb::client {

struct ClientOptions {
  // "host:port" of one or more nodes' binary protocol. The client learns the rest of the
  // cluster from them (Topology). REQUIRES: not empty.
  std::vector<std::string> contact_points{};
  std::string client_name = "pairdb-cpp";  // Sent in Hello, for the server's logs.

  // ---- Connections
  uint32_t connections_per_node = 2;  // Opened on demand, up to this many.
  // Requests on the wire per connection; the server answers Overloaded above 128.
  uint32_t in_flight_per_connection_max = 128;
  // Requests waiting client-side for a free slot per connection; beyond it, kOverloaded.
  uint32_t queued_per_connection_max = 100'000;
  uint32_t connect_timeout_ms = 5'000;  // TCP connect plus the Hello handshake.
  uint32_t max_frame_bytes = 16u << 20;  // Largest response accepted.
  // After a failed connect the node is skipped for a backoff that doubles up to the cap.
  uint32_t reconnect_backoff_initial_ms = 50;
  uint32_t reconnect_backoff_max_ms = 5'000;

  // ---- Requests
  uint32_t request_timeout_ms = 10'000;  // Default deadline of a call, retries included.
  uint32_t retries_max = 3;              // Extra attempts after the first, within the deadline.
  uint32_t retry_backoff_initial_ms = 10;
  uint32_t retry_backoff_max_ms = 1'000;
  // Give each write without an idempotency key a random 128-bit one, so that a write whose
  // outcome is unknown (timeout, broken connection) can be retried safely.
  bool generate_idempotency_keys = true;

  // ---- Cluster awareness
  bool token_aware = true;                 // Send each keyed request to its primary replica.
  uint32_t topology_refresh_ms = 30'000;   // Periodic refresh; 0 = only on events.
  uint32_t topology_refresh_min_interval_ms = 1'000;  // Debounces event-driven refreshes.

  // Seeds backoff jitter and generated idempotency keys; 0 = from std::random_device.
  uint64_t seed = 0;
};

}  // namespace pairdb::client
