// A simulated datagram network between named endpoints ("host:port" strings). Messages are
// opaque bytes, so gossip, replication and streaming simulations share it. Faults: a latency
// distribution (base plus exponential jitter, which also reorders), loss, duplication, full and
// one-way partitions, and endpoints that are down (crashed) or deaf (paused).
// Single-threaded, driven by the Simulation's clock and Rng.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>

#include "sim/lib/simulation.h"

namespace pairdb::sim {

struct NetworkConfig {
  Duration latency_base = Duration(200);         // 0.2 ms.
  Duration latency_jitter_mean = Duration(300);  // Exponential; reorders messages.
  double loss = 0.0;                             // Per message, each direction.
  double duplicate = 0.0;
};

struct EndpointStats {
  uint64_t messages_sent = 0;
  uint64_t bytes_sent = 0;
  uint64_t messages_received = 0;
};

class Network {
 public:
  using Handler = std::function<void(const std::string& from, const std::string& bytes)>;

  Network(Simulation& sim, NetworkConfig config) : sim_(sim), config_(config) {}

  NetworkConfig& config() { return config_; }
  void attach(const std::string& addr, Handler handler);
  void detach(const std::string& addr);  // Crashed: messages to it vanish.

  void send(const std::string& from, const std::string& to, std::string bytes);

  // Messages from `from` to `to` are dropped (one-way) until heal().
  void block(const std::string& from, const std::string& to) { blocked_.insert({from, to}); }
  // Full partition between two groups (both directions).
  void partition(const std::vector<std::string>& a, const std::vector<std::string>& b);
  void heal() { blocked_.clear(); }

  const EndpointStats& stats(const std::string& addr) { return stats_[addr]; }
  uint64_t total_messages() const { return total_messages_; }
  uint64_t total_bytes() const { return total_bytes_; }

 private:
  void deliver(const std::string& from, const std::string& to, const std::string& bytes);

  Simulation& sim_;
  NetworkConfig config_;
  std::unordered_map<std::string, Handler> endpoints_;
  std::set<std::pair<std::string, std::string>> blocked_;
  std::unordered_map<std::string, EndpointStats> stats_;
  uint64_t total_messages_ = 0;
  uint64_t total_bytes_ = 0;
};

}  // namespace pairdb::sim
