// GossipCluster: many real gossip::GossipEndpoints (each a SwimCore behind the daemon's own
// wire decisions) on one simulated network. Every message goes through the real FlatBuffers
// codec (so byte counts are real), tagged with the channel it would take in the daemon (UDP
// datagram or TCP stream), and passes the endpoint's channel check and cluster-id filter. Like
// the daemon's GossipDriver, each node offers its schema version and load to its endpoint every
// housekeeping period, so load pacing runs here too. Nodes can crash, restart (same id, tokens
// and metadata, incarnation back to 0) and pause. Records every membership event and checks,
// after every step, that no node ever sees a member's incarnation go down.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "gossip/gossip_endpoint.h"
#include "sim/lib/network.h"
#include "sim/lib/simulation.h"

namespace pairdb::sim {

struct ClusterOptions {
  size_t nodes = 10;
  size_t seeds = 3;
  size_t num_tokens = 16;
  gossip::SwimConfig swim;
  Duration start_spread = std::chrono::seconds(1);  // Nodes start at random times in this.
  bool check_incarnations = true;
  uint64_t cluster_id = 1;
  Duration housekeeping_period = std::chrono::milliseconds(250);  // As the daemon's driver.
};

struct RecordedEvent {
  Instant at;
  size_t observer;
  gossip::MemberEvent event;
};

class GossipCluster {
 public:
  GossipCluster(Simulation& sim, Network& net, ClusterOptions options);

  size_t size() const { return nodes_.size(); }
  const std::string& addr(size_t i) const { return nodes_[i].self.gossip_addr; }
  const gossip::NodeId& id(size_t i) const { return nodes_[i].self.meta.id; }
  std::optional<size_t> index_of(const gossip::NodeId& id) const;
  bool is_up(size_t i) const { return nodes_[i].endpoint != nullptr; }
  bool is_paused(size_t i) const { return nodes_[i].paused; }
  // Null while the node is down.
  gossip::SwimCore* core(size_t i) {
    return nodes_[i].endpoint == nullptr ? nullptr : &nodes_[i].endpoint->core();
  }
  const gossip::GossipEndpoint& endpoint(size_t i) const { return *nodes_[i].endpoint; }

  // Adds a node (not started). Returns its index. By default it belongs to options.cluster_id
  // and is seeded with the first options.seeds nodes; the second form names both.
  size_t add_node();
  size_t add_node(uint64_t cluster_id, std::vector<size_t> seed_nodes);
  void start(size_t i);
  void start_all();  // Each at a random time within start_spread.
  void crash(size_t i);
  void restart(size_t i);
  void pause(size_t i, Duration d);
  // The node's local state, offered to its endpoint at the next housekeeping.
  void set_schema_version(size_t i, uint64_t version) { nodes_[i].schema_version = version; }
  void set_load(size_t i, uint64_t bytes) { nodes_[i].load_bytes = bytes; }
  // Sends raw bytes to node i as if from `from` over `channel` (for hostile-input scenarios).
  void inject(const std::string& from, size_t i, gossip::Channel channel, std::string bytes);

  // True when every up node sees every other up node alive with metadata, and every down node
  // dead (or reaped).
  bool converged() const;
  // Whether up node `observer` considers `target` dead or forgotten.
  bool sees_dead(size_t observer, size_t target) const;

  const std::vector<RecordedEvent>& events() const { return events_; }
  uint64_t incarnation_violations() const { return incarnation_violations_; }
  uint64_t decode_failures() const { return arrivals(gossip::Arrival::kMalformed); }
  // Bytes delivered to up nodes, by what their endpoints made of them.
  uint64_t arrivals(gossip::Arrival a) const { return arrivals_[static_cast<size_t>(a)]; }
  // Messages and bytes sent, by body type (the index into gossip::MessageBody).
  static constexpr size_t kBodyTypes = std::variant_size_v<gossip::MessageBody>;
  const std::array<uint64_t, kBodyTypes>& messages_by_type() const { return messages_by_type_; }
  const std::array<uint64_t, kBodyTypes>& bytes_by_type() const { return bytes_by_type_; }
  size_t queued_broadcasts() const;  // Summed over up nodes.

 private:
  struct Node {
    gossip::SelfConfig self;
    uint64_t cluster_id = 0;
    std::optional<std::vector<size_t>> seed_nodes;  // Unset: the first options.seeds nodes.
    uint64_t schema_version = 0;
    uint64_t load_bytes = 0;
    std::unique_ptr<gossip::GossipEndpoint> endpoint;
    uint64_t lives = 0;  // Raised by every start and crash; stale housekeeping stops.
    bool paused = false;
    bool ever_started = false;
    uint64_t tick_generation = 0;
    Instant tick_at = Instant::max();
    std::unordered_map<gossip::NodeId, uint64_t> seen_incarnation;
  };

  void deliver(size_t i, const std::string& from, const std::string& bytes);
  void do_tick(size_t i, uint64_t generation);
  void housekeeping(size_t i, uint64_t life);
  void flush(size_t i, gossip::WireOutbox& out);
  void check_incarnations(size_t i);

  Simulation& sim_;
  Network& net_;
  ClusterOptions options_;
  std::vector<Node> nodes_;
  std::vector<RecordedEvent> events_;
  uint64_t incarnation_violations_ = 0;
  std::array<uint64_t, 4> arrivals_{};
  std::array<uint64_t, kBodyTypes> messages_by_type_{};
  std::array<uint64_t, kBodyTypes> bytes_by_type_{};
};

}  // namespace pairdb::sim
