#include "sim/lib/gossip_cluster.h"

#include <fmt/format.h>

#include "common/assert.h"
#include "gossip/codec.h"

namespace pairdb::sim {

using gossip::Liveness;

GossipCluster::GossipCluster(Simulation& sim, Network& net, ClusterOptions options)
    : sim_(sim), net_(net), options_(std::move(options)) {
  for (size_t i = 0; i < options_.nodes; ++i) add_node();
}

namespace {

// The simulated network carries opaque bytes; the channel (UDP or TCP in the daemon) rides in
// front as one byte.
std::string tagged(gossip::Channel channel, std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() + 1);
  out.push_back(static_cast<char>(channel));
  out.append(bytes);
  return out;
}

}  // namespace

size_t GossipCluster::add_node() {
  const size_t i = add_node(options_.cluster_id, {});
  nodes_[i].seed_nodes.reset();
  return i;
}

size_t GossipCluster::add_node(uint64_t cluster_id, std::vector<size_t> seed_nodes) {
  const size_t i = nodes_.size();
  Node node;
  node.cluster_id = cluster_id;
  node.seed_nodes = std::move(seed_nodes);
  node.self.meta.id = ring::NodeId::random(sim_.rng());
  node.self.meta.meta_version = 1;
  node.self.meta.dc = "dc1";
  node.self.meta.rack = fmt::format("r{}", i % 3);
  node.self.meta.client_addr = fmt::format("10.0.{}.{}:7100", i / 250, i % 250);
  node.self.meta.internode_addr = fmt::format("10.0.{}.{}:7200", i / 250, i % 250);
  node.self.meta.http_addr = fmt::format("10.0.{}.{}:8080", i / 250, i % 250);
  node.self.meta.software_version = "0.1.0";
  node.self.meta.tokens = ring::generate_tokens(sim_.rng(), options_.num_tokens);
  node.self.gossip_addr = fmt::format("10.0.{}.{}:7000", i / 250, i % 250);
  node.self.status = gossip::NodeStatus::kNormal;
  nodes_.push_back(std::move(node));
  return i;
}

std::optional<size_t> GossipCluster::index_of(const gossip::NodeId& id) const {
  for (size_t i = 0; i < nodes_.size(); ++i) {
    if (nodes_[i].self.meta.id == id) return i;
  }
  return std::nullopt;
}

void GossipCluster::start(size_t i) {
  Node& node = nodes_[i];
  PAIRDB_ASSERT(node.endpoint == nullptr);
  gossip::SwimConfig config = options_.swim;
  if (node.seed_nodes) {
    for (size_t s : *node.seed_nodes) config.seeds.push_back(nodes_[s].self.gossip_addr);
  } else {
    for (size_t s = 0; s < std::min(options_.seeds, nodes_.size()); ++s) {
      config.seeds.push_back(nodes_[s].self.gossip_addr);
    }
  }
  gossip::SelfConfig self = node.self;
  self.schema_version = node.schema_version;
  self.load_bytes = node.load_bytes;
  node.endpoint = std::make_unique<gossip::GossipEndpoint>(config, self, sim_.rng().next_u64(),
                                                           node.cluster_id);
  const uint64_t life = ++node.lives;
  node.paused = false;
  node.ever_started = true;
  node.tick_at = Instant::max();
  net_.attach(node.self.gossip_addr, [this, i](const std::string& from, const std::string& bytes) {
    deliver(i, from, bytes);
  });
  gossip::WireOutbox out;
  node.endpoint->start(sim_.now(), out);
  flush(i, out);
  if (options_.housekeeping_period > Duration::zero()) {
    sim_.schedule_after(options_.housekeeping_period, [this, i, life] { housekeeping(i, life); });
  }
}

void GossipCluster::housekeeping(size_t i, uint64_t life) {
  Node& node = nodes_[i];
  if (node.endpoint == nullptr || node.lives != life) return;
  if (!node.paused) {
    gossip::WireOutbox out;
    node.endpoint->offer_local_state(sim_.now(), node.schema_version, node.load_bytes, out);
    flush(i, out);
  }
  sim_.schedule_after(options_.housekeeping_period, [this, i, life] { housekeeping(i, life); });
}

void GossipCluster::inject(const std::string& from, size_t i, gossip::Channel channel,
                           std::string bytes) {
  net_.send(from, nodes_[i].self.gossip_addr, tagged(channel, bytes));
}

void GossipCluster::start_all() {
  for (size_t i = 0; i < nodes_.size(); ++i) {
    const auto at = Duration(static_cast<int64_t>(
        sim_.rng().uniform(static_cast<uint64_t>(options_.start_spread.count()) + 1)));
    sim_.schedule_after(at, [this, i] { start(i); });
  }
}

void GossipCluster::crash(size_t i) {
  net_.detach(nodes_[i].self.gossip_addr);
  nodes_[i].endpoint.reset();
  ++nodes_[i].lives;
  ++nodes_[i].tick_generation;
  nodes_[i].seen_incarnation.clear();
}

void GossipCluster::restart(size_t i) {
  PAIRDB_ASSERT(nodes_[i].endpoint == nullptr);
  start(i);
}

// A paused process neither runs timers nor reads its socket; what arrives meanwhile is lost.
void GossipCluster::pause(size_t i, Duration d) {
  Node& node = nodes_[i];
  if (node.endpoint == nullptr) return;
  node.paused = true;
  sim_.schedule_after(d, [this, i] {
    Node& n = nodes_[i];
    if (n.endpoint == nullptr || !n.paused) return;
    n.paused = false;
    const uint64_t generation = ++n.tick_generation;
    n.tick_at = sim_.now();
    do_tick(i, generation);
  });
}

void GossipCluster::deliver(size_t i, const std::string& from, const std::string& bytes) {
  Node& node = nodes_[i];
  if (node.endpoint == nullptr || node.paused || bytes.empty()) return;
  const auto channel = static_cast<gossip::Channel>(bytes[0]);
  gossip::WireOutbox out;
  const gossip::Arrival arrival =
      node.endpoint->on_bytes(from, std::string_view(bytes).substr(1), channel, sim_.now(), out);
  ++arrivals_[static_cast<size_t>(arrival)];
  flush(i, out);
}

void GossipCluster::do_tick(size_t i, uint64_t generation) {
  Node& node = nodes_[i];
  if (node.endpoint == nullptr || node.paused || generation != node.tick_generation) return;
  node.tick_at = Instant::max();
  gossip::WireOutbox out;
  node.endpoint->tick(sim_.now(), out);
  flush(i, out);
}

void GossipCluster::flush(size_t i, gossip::WireOutbox& out) {
  Node& node = nodes_[i];
  PAIRDB_ASSERT(out.encode_failures == 0);  // The core only builds messages within the limits.
  for (gossip::WireMessage& m : out.messages) {
    ++messages_by_type_[m.body_type];
    bytes_by_type_[m.body_type] += m.bytes.size();
    net_.send(node.self.gossip_addr, m.to_addr, tagged(m.channel, m.bytes));
  }
  for (const gossip::MemberEvent& e : out.events) events_.push_back({sim_.now(), i, e});
  if (out.next_tick < node.tick_at) {
    node.tick_at = out.next_tick;
    const uint64_t generation = ++node.tick_generation;
    sim_.schedule(out.next_tick, [this, i, generation] { do_tick(i, generation); });
  }
  if (options_.check_incarnations) check_incarnations(i);
}

void GossipCluster::check_incarnations(size_t i) {
  Node& node = nodes_[i];
  for (const auto& [id, m] : node.endpoint->core().members()) {
    uint64_t& seen = node.seen_incarnation[id];
    if (m.state.incarnation < seen) ++incarnation_violations_;
    seen = std::max(seen, m.state.incarnation);
  }
}

size_t GossipCluster::queued_broadcasts() const {
  size_t n = 0;
  for (const Node& node : nodes_)
    n += node.endpoint == nullptr ? 0 : node.endpoint->core().queued_broadcasts();
  return n;
}

bool GossipCluster::sees_dead(size_t observer, size_t target) const {
  const gossip::Member* m = nodes_[observer].endpoint->core().find(id(target));
  return m == nullptr || m->state.liveness == Liveness::kDead ||
         m->state.liveness == Liveness::kLeft;
}

bool GossipCluster::converged() const {
  for (const Node& node : nodes_) {
    if (!node.ever_started) return false;
  }
  size_t running = 0;
  for (size_t i = 0; i < nodes_.size(); ++i) running += is_up(i) && !nodes_[i].paused ? 1 : 0;
  for (size_t i = 0; i < nodes_.size(); ++i) {  // Cheap necessary condition first.
    if (is_up(i) && !nodes_[i].paused && nodes_[i].endpoint->core().alive_count() + 1 < running)
      return false;
  }
  for (size_t i = 0; i < nodes_.size(); ++i) {
    if (!is_up(i)) continue;
    const gossip::SwimCore& core = nodes_[i].endpoint->core();
    for (size_t j = 0; j < nodes_.size(); ++j) {
      if (j == i) continue;
      const gossip::Member* m = core.find(id(j));
      if (is_up(j) && !nodes_[j].paused) {
        if (m == nullptr || m->state.liveness != Liveness::kAlive || !m->meta) return false;
        if (m->state.incarnation != nodes_[j].endpoint->core().self_state().incarnation)
          return false;
      } else if (!is_up(j) && !sees_dead(i, j)) {
        return false;
      }
    }
  }
  return true;
}

}  // namespace pairdb::sim
