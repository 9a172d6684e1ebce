// GossipCluster: many real SwimCores on one simulated network. Every message goes through the
// real FlatBuffers codec (so byte counts are real). Nodes can crash, restart (same id, tokens
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

#include "gossip/swim_core.h"
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
  bool is_up(size_t i) const { return nodes_[i].core != nullptr; }
  bool is_paused(size_t i) const { return nodes_[i].paused; }
  gossip::SwimCore* core(size_t i) { return nodes_[i].core.get(); }

  // Adds a node (not started). Returns its index.
  size_t add_node();
  void start(size_t i);
  void start_all();  // Each at a random time within start_spread.
  void crash(size_t i);
  void restart(size_t i);
  void pause(size_t i, Duration d);

  // True when every up node sees every other up node alive with metadata, and every down node
  // dead (or reaped).
  bool converged() const;
  // Whether up node `observer` considers `target` dead or forgotten.
  bool sees_dead(size_t observer, size_t target) const;

  const std::vector<RecordedEvent>& events() const { return events_; }
  uint64_t incarnation_violations() const { return incarnation_violations_; }
  uint64_t decode_failures() const { return decode_failures_; }
  // Messages and bytes sent, by body type (the index into gossip::MessageBody).
  static constexpr size_t kBodyTypes = std::variant_size_v<gossip::MessageBody>;
  const std::array<uint64_t, kBodyTypes>& messages_by_type() const { return messages_by_type_; }
  const std::array<uint64_t, kBodyTypes>& bytes_by_type() const { return bytes_by_type_; }
  size_t queued_broadcasts() const;  // Summed over up nodes.

 private:
  struct Node {
    gossip::SelfConfig self;
    std::unique_ptr<gossip::SwimCore> core;
    bool paused = false;
    bool ever_started = false;
    uint64_t tick_generation = 0;
    Instant tick_at = Instant::max();
    std::unordered_map<gossip::NodeId, uint64_t> seen_incarnation;
  };

  void deliver(size_t i, const std::string& from, const std::string& bytes);
  void do_tick(size_t i, uint64_t generation);
  void flush(size_t i, gossip::Outbox& out);
  void check_incarnations(size_t i);

  Simulation& sim_;
  Network& net_;
  ClusterOptions options_;
  std::vector<Node> nodes_;
  std::vector<RecordedEvent> events_;
  uint64_t incarnation_violations_ = 0;
  uint64_t decode_failures_ = 0;
  std::array<uint64_t, kBodyTypes> messages_by_type_{};
  std::array<uint64_t, kBodyTypes> bytes_by_type_{};
};

}  // namespace pairdb::sim
