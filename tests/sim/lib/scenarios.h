// Gossip scenarios shared by the Catch2 simulation tests and the pairdb_sim tool. Each runs one
// seeded cluster and returns figures; the caller asserts on them or prints them.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sim/lib/gossip_cluster.h"

namespace pairdb::sim {

struct ScenarioOptions {
  uint64_t seed = 1;
  ClusterOptions cluster;
  NetworkConfig network;
  Duration form_limit = std::chrono::seconds(120);  // Initial convergence must happen by then.
  Duration duration = std::chrono::seconds(60);     // Steady-state and observation windows.
  // The steady scenarios only: the loss while the cluster forms and its join news drains, if
  // not network.loss, which then starts with the steady window. Lets a large cluster be
  // measured at a loss rate under which forming it would take hours of simulated time.
  std::optional<double> form_loss;
};

struct CrashReport {
  bool formed = false;
  bool detected = false;
  double detect_all_s = 0;    // Crash until every live node sees the node dead.
  double detect_first_s = 0;  // Crash until the first dead declaration.
  uint64_t false_dead = 0;
};
CrashReport run_crash(const ScenarioOptions& o);

struct DisseminationReport {
  bool formed = false;
  bool schema_reached_all = false;
  bool join_reached_all = false;
  double schema_all_s = 0;  // New schema version: announce until every live node has it.
  double join_all_s = 0;    // New node: start until every node sees it alive (with metadata).
};
DisseminationReport run_dissemination(const ScenarioOptions& o);

struct SteadyReport {
  bool formed = false;
  // After forming, every node's dissemination queue drains (the join news of the whole cluster
  // is spread); the steady window starts then, or after o.form_limit if it never drains.
  double settle_s = -1;
  // From the first node's start until the steady window: the cost of forming the cluster.
  double formation_s = 0;
  double formation_messages_per_node_s = 0;
  double formation_bytes_per_node_s = 0;
  double node_hours = 0;
  uint64_t false_dead = 0;  // Dead declarations about nodes that were up and running.
  struct FalseDead {
    double at_s;  // Into the steady window.
    size_t observer;
    size_t target;
  };
  std::vector<FalseDead> false_dead_events;  // Each of them, to replay and debug.
  uint64_t false_suspect = 0;                // Suspicions about nodes that were up (refuted).
  double messages_per_node_s = 0;
  double bytes_per_node_s = 0;
  // Messages per node per second by body type (gossip::MessageBody's order).
  std::array<double, GossipCluster::kBodyTypes> messages_by_type{};
  size_t queued_at_start = 0;  // Updates still being disseminated, summed over nodes.
  size_t queued_at_end = 0;
  uint64_t incarnation_violations = 0;
};
// Steady state for o.duration; pause_node pauses one node for pause_s in the middle.
SteadyReport run_steady(const ScenarioOptions& o, bool pause_node = false, double pause_s = 0);

struct PartitionReport {
  bool formed = false;
  bool split_detected = false;  // Each side declared the other dead during the split.
  bool healed = false;
  double heal_converge_s = 0;
};
PartitionReport run_partition(const ScenarioOptions& o, double split_s);

struct RestartReport {
  bool formed = false;
  bool declared_dead = false;
  bool rejoined = false;
  double rejoin_s = 0;
  uint64_t incarnation_after = 0;
  bool same_tokens = false;
};
RestartReport run_restart(const ScenarioOptions& o);

struct ForeignClusterReport {
  bool formed = false;           // Each cluster converged on its own members.
  bool crossed = false;          // Some node came to know a member of the other cluster.
  uint64_t foreign_dropped = 0;  // Messages the endpoints dropped as another cluster's.
};
// The misconfiguration the cluster-id filter exists for: a second cluster of `other_nodes`
// (another cluster id) whose nodes are seeded with the first cluster's seeds as well as with
// the first node of their own. Runs for o.duration after both have formed.
ForeignClusterReport run_foreign_cluster(const ScenarioOptions& o, size_t other_nodes);

struct LoadPacingReport {
  bool formed = false;
  uint64_t offered_changes = 0;     // Load changes of >= 1 % node 0 was offered.
  uint64_t announcements = 0;       // Of those, how many it announced.
  bool latest_reached_all = false;  // At the end every live node sees its last announced load.
};
// Node 0's load grows by 2 % every `change_every` for o.duration; the endpoint's pacing decides
// what is announced.
LoadPacingReport run_load_pacing(const ScenarioOptions& o, Duration change_every);

// Runs until the cluster converges or `limit` passes; returns the time taken or a negative
// value on timeout. Checks convergence once per simulated `step`.
double run_until_converged(Simulation& sim, GossipCluster& c, Duration limit,
                           Duration step = std::chrono::milliseconds(250));

}  // namespace pairdb::sim
