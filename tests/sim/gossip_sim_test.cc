// SWIM under the deterministic simulator, at CI scale. Every failure prints the seed; replay it
// with `pairdb_sim --scenario=<name> --seed=<seed> --nodes=<n>`.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <type_traits>
#include <variant>
#include <vector>

#include "gossip/codec.h"
#include "sim/lib/scenarios.h"

using namespace pairdb;
using namespace pairdb::sim;
using namespace std::chrono_literals;

namespace {

ScenarioOptions options(uint64_t seed, size_t nodes, double loss = 0) {
  ScenarioOptions o;
  o.seed = seed;
  o.cluster.nodes = nodes;
  o.network.loss = loss;
  o.form_limit = 120s;
  o.duration = 60s;
  return o;
}

// The index of message type T in gossip::MessageBody (how the simulator counts by type).
template <typename T, size_t I = 0>
constexpr size_t variant_index() {
  if constexpr (std::is_same_v<std::variant_alternative_t<I, gossip::MessageBody>, T>) {
    return I;
  } else {
    return variant_index<T, I + 1>();
  }
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

TEST_CASE("a crashed node is declared dead by every live member within the bound", "[sim]") {
  std::vector<double> times;
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    CrashReport r = run_crash(options(seed, 50, 0.01));
    INFO("seed=" << seed);
    REQUIRE(r.formed);
    REQUIRE(r.detected);
    REQUIRE(r.detect_all_s < 15.0);  // Worst case: max suspicion timeout plus dissemination.
    REQUIRE(r.false_dead == 0);
    times.push_back(r.detect_all_s);
  }
  const double m = median(times);
  WARN("crash detection by all, 50 nodes, 40 seeds: median " << m << " s");
  REQUIRE(m < 5.0);
}

TEST_CASE("news reaches every node within O(log n) protocol periods", "[sim]") {
  for (uint64_t seed = 100; seed < 130; ++seed) {
    DisseminationReport r = run_dissemination(options(seed, 50, 0.01));
    INFO("seed=" << seed);
    REQUIRE(r.formed);
    REQUIRE(r.schema_reached_all);
    REQUIRE(r.join_reached_all);
    const double log_n_periods = std::log2(50.0);  // ~5.6 periods of 1 s.
    REQUIRE(r.schema_all_s <= log_n_periods);
    REQUIRE(r.join_all_s <= 2 * log_n_periods);  // Also needs the metadata round trip.
  }
}

TEST_CASE("no live node is declared dead at 5% loss over 100+ node-hours", "[sim]") {
  double node_hours = 0;
  for (uint64_t seed = 200; seed < 204; ++seed) {
    ScenarioOptions o = options(seed, 50, 0.05);
    o.duration = 1800s;  // 50 nodes x 0.5 h = 25 node-hours per seed.
    SteadyReport r = run_steady(o);
    INFO("seed=" << seed);
    REQUIRE(r.formed);
    REQUIRE(r.false_dead == 0);
    REQUIRE(r.incarnation_violations == 0);
    node_hours += r.node_hours;
  }
  REQUIRE(node_hours >= 100.0);
}

TEST_CASE("a node paused for 30 s makes no other node be declared dead", "[sim]") {
  for (uint64_t seed = 300; seed < 310; ++seed) {
    ScenarioOptions o = options(seed, 30, 0.01);
    o.duration = 120s;
    SteadyReport r = run_steady(o, /*pause_node=*/true, /*pause_s=*/30);
    INFO("seed=" << seed);
    REQUIRE(r.formed);
    REQUIRE(r.false_dead == 0);
    REQUIRE(r.incarnation_violations == 0);
  }
}

TEST_CASE("membership converges after a partition heals", "[sim]") {
  for (uint64_t seed = 400; seed < 420; ++seed) {
    ScenarioOptions o = options(seed, 30, 0.01);
    PartitionReport r = run_partition(o, 30);
    INFO("seed=" << seed);
    REQUIRE(r.formed);
    REQUIRE(r.split_detected);
    REQUIRE(r.healed);
    REQUIRE(r.heal_converge_s < 30.0);
  }
}

TEST_CASE("a restarted node keeps its id and tokens and refutes its own death", "[sim]") {
  for (uint64_t seed = 500; seed < 520; ++seed) {
    RestartReport r = run_restart(options(seed, 30, 0.01));
    INFO("seed=" << seed);
    REQUIRE(r.formed);
    REQUIRE(r.declared_dead);
    REQUIRE(r.rejoined);
    REQUIRE(r.same_tokens);
    REQUIRE(r.incarnation_after > 0);  // Had to overtake the incarnation it died with.
  }
}

TEST_CASE("the same seed replays the same run", "[sim]") {
  CrashReport a = run_crash(options(77, 30, 0.05));
  CrashReport b = run_crash(options(77, 30, 0.05));
  INFO("seed=77");
  REQUIRE(a.detect_all_s == b.detect_all_s);
  REQUIRE(a.detect_first_s == b.detect_first_s);
}

TEST_CASE("steady-state traffic per node stays flat as the cluster grows", "[sim]") {
  std::vector<SteadyReport> reports;
  for (size_t nodes : {10, 30, 90}) {
    ScenarioOptions o = options(600 + nodes, nodes);
    o.cluster.num_tokens = 16;
    // Formation queues n join announcements on every node, most of them sent on probes only:
    // draining takes O(n) periods before the steady window starts.
    o.form_limit = 600s;
    o.duration = 600s;  // Several push-pull periods (90 s at 90 nodes).
    SteadyReport r = run_steady(o);
    INFO("seed=" << o.seed << " nodes=" << nodes);
    REQUIRE(r.formed);
    REQUIRE(r.settle_s >= 0);  // The join news of formation finished spreading.
    WARN(nodes << " nodes: " << r.messages_per_node_s << " msgs/node/s, " << r.bytes_per_node_s
               << " B/node/s");
    // Nothing new to say: a probe and an ack per node per period, and digest-only syncs.
    REQUIRE(r.messages_by_type[variant_index<gossip::GossipOnly>()] == 0);
    REQUIRE(r.messages_by_type[variant_index<gossip::SyncChunk>()] == 0);
    REQUIRE(r.messages_by_type[variant_index<gossip::SyncDigest>()] > 0);
    reports.push_back(r);
  }
  for (const SteadyReport& r : reports) {
    REQUIRE(r.messages_per_node_s <= 1.1 * reports.front().messages_per_node_s);
    REQUIRE(r.bytes_per_node_s <= 1.2 * reports.front().bytes_per_node_s);
  }
}

TEST_CASE("clusters that share seeds stay apart: the cluster-id filter drops the other's gossip",
          "[sim]") {
  for (uint64_t seed = 700; seed < 706; ++seed) {
    ForeignClusterReport r = run_foreign_cluster(options(seed, 10, 0.01), 5);
    INFO("seed=" << seed);
    REQUIRE(r.formed);
    REQUIRE_FALSE(r.crossed);
    REQUIRE(r.foreign_dropped > 0);  // The seeds of both kept hearing from the other cluster.
  }
}

TEST_CASE("load news is paced: one announcement per period at most, the last one reaches all",
          "[sim]") {
  for (uint64_t seed = 800; seed < 804; ++seed) {
    ScenarioOptions o = options(seed, 10, 0.01);
    o.duration = 120s;
    LoadPacingReport r = run_load_pacing(o, 250ms);
    INFO("seed=" << seed);
    REQUIRE(r.formed);
    REQUIRE(r.offered_changes == 480);  // 2 % more every 250 ms for 120 s.
    // Ten nodes: the period is max(10 s, 1 s x 10 members) = 10 s, so 12 in 120 s (13 when a
    // period boundary falls just inside the window).
    REQUIRE(r.announcements >= 11);
    REQUIRE(r.announcements <= 13);
    REQUIRE(r.latest_reached_all);
  }
}

TEST_CASE("malformed bytes, the wrong channel and another cluster's id never reach the core",
          "[sim]") {
  Simulation sim(900);
  Network net(sim, NetworkConfig{});
  ClusterOptions cluster;
  cluster.nodes = 3;
  GossipCluster c(sim, net, cluster);
  c.start_all();
  REQUIRE(run_until_converged(sim, c, 60s) >= 0);

  const auto encoded = [](gossip::MessageBody body, uint64_t cluster_id) {
    gossip::GossipMessage msg;
    msg.sender = ring::NodeId::from_words(9, 9);
    msg.body = std::move(body);
    msg.cluster_id = cluster_id;
    Result<std::string> bytes = gossip::encode_message(msg);
    REQUIRE(bytes.is_ok());
    return *bytes;
  };
  gossip::MetaResponse meta;
  meta.meta = c.core(1)->self_meta();
  meta.meta.id = ring::NodeId::from_words(9, 9);
  const std::string from = "10.9.9.9:7000";
  using gossip::Arrival;
  using gossip::Channel;
  const uint64_t wrong_before = c.arrivals(Arrival::kWrongChannel);
  const uint64_t foreign_before = c.arrivals(Arrival::kForeignCluster);
  const uint64_t malformed_before = c.arrivals(Arrival::kMalformed);
  c.inject(from, 0, Channel::kDatagram, encoded(meta, cluster.cluster_id));  // Stream-only.
  c.inject(from, 0, Channel::kStream, encoded(gossip::Ping{1, c.id(0)}, cluster.cluster_id));
  c.inject(from, 0, Channel::kDatagram, encoded(gossip::Ping{2, c.id(0)}, cluster.cluster_id + 1));
  c.inject(from, 0, Channel::kDatagram, "not a gossip message");
  c.inject(from, 0, Channel::kDatagram, std::string(gossip::kDatagramBytesMax + 1, 'x'));
  sim.run_until(sim.now() + 1s);

  REQUIRE(c.arrivals(Arrival::kWrongChannel) - wrong_before == 2);
  REQUIRE(c.arrivals(Arrival::kForeignCluster) - foreign_before == 1);
  REQUIRE(c.arrivals(Arrival::kMalformed) - malformed_before == 2);
  // The stranger became no member, and the cluster is as it was.
  REQUIRE(c.core(0)->find(ring::NodeId::from_words(9, 9)) == nullptr);
  REQUIRE(c.core(0)->members().size() == 2);
  REQUIRE(c.converged());
}
