// pairdb_sim: runs one gossip scenario on the deterministic simulator and prints its figures.
// The same --seed always replays the same run.
//   pairdb_sim --scenario=crash --nodes=100 --seed=7 [--runs=20] [--loss=0.05] [--duration=60]
//   pairdb_sim --scenario=steady --nodes=1000 --loss=0.2 --form-loss=0 (form without loss)
// Scenarios: crash, disseminate, steady, pause, partition, restart.
#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include <pairdb/ring/hash_ring.h>

#include "sim/lib/scenarios.h"

using namespace pairdb;
using namespace pairdb::sim;

namespace {

std::map<std::string, std::string> parse_flags(int argc, char** argv) {
  std::map<std::string, std::string> flags;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--", 0) != 0) continue;
    const size_t eq = arg.find('=');
    if (eq == std::string::npos) {
      flags[arg.substr(2)] = "1";
    } else {
      flags[arg.substr(2, eq - 2)] = arg.substr(eq + 1);
    }
  }
  return flags;
}

double quantile(std::vector<double> v, double q) {
  if (v.empty()) return -1;
  std::sort(v.begin(), v.end());
  const size_t idx = std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size())));
  return v[idx];
}

ScenarioOptions make_options(const std::map<std::string, std::string>& f, uint64_t seed) {
  auto get = [&](const char* key, const char* fallback) {
    auto it = f.find(key);
    return it == f.end() ? std::string(fallback) : it->second;
  };
  ScenarioOptions o;
  o.seed = seed;
  o.cluster.nodes = std::stoul(get("nodes", "10"));
  o.cluster.num_tokens = std::stoul(get("num-tokens", "256"));
  o.cluster.check_incarnations = o.cluster.nodes <= 200;
  o.cluster.start_spread = std::chrono::milliseconds(std::stol(get("start-spread-ms", "1000")));
  o.network.loss = std::stod(get("loss", "0"));
  if (f.count("form-loss")) o.form_loss = std::stod(f.at("form-loss"));
  o.duration = std::chrono::seconds(std::stol(get("duration", "60")));
  o.form_limit = std::chrono::seconds(std::stol(get("form-limit", "300")));
  o.cluster.swim.direct_retry = get("direct-retry", "1") == "1";
  o.cluster.swim.indirect_probes = static_cast<uint32_t>(std::stoul(get("indirect-probes", "3")));
  o.cluster.swim.fanout_transmits = static_cast<uint32_t>(std::stoul(get("fanout-transmits", "6")));
  return o;
}

// Ownership balance of random-token rings and data movement on join, averaged over seeds.
int ring_balance(uint64_t seed, int runs) {
  std::printf(
      "nodes num_tokens rf  max/mean(avg) min/mean(avg) max/mean(worst) join_moved*(n+1)\n");
  for (size_t nodes : {3, 6, 12, 50, 100}) {
    for (size_t tokens : {8, 16, 32, 64, 128, 256}) {
      for (uint32_t rf : {1u, 3u}) {
        double max_sum = 0, min_sum = 0, worst = 0, moved_sum = 0;
        for (int run = 0; run < runs; ++run) {
          Rng rng(seed + static_cast<uint64_t>(run));
          std::vector<ring::NodeDescriptor> d;
          for (size_t n = 0; n <= nodes; ++n) {
            d.push_back(
                {ring::NodeId::random(rng), "dc1", "r1", ring::generate_tokens(rng, tokens)});
          }
          const ring::NodeDescriptor joiner = d.back();
          d.pop_back();
          auto before = *ring::HashRing::build(d);
          d.push_back(joiner);
          auto after = *ring::HashRing::build(d);
          const auto spec = ring::ReplicationSpec::simple(rf);
          double hi = 0, lo = 1;
          for (const auto& o : before->ownership(spec)) {
            hi = std::max(hi, o.fraction * static_cast<double>(nodes));
            lo = std::min(lo, o.fraction * static_cast<double>(nodes));
          }
          max_sum += hi;
          min_sum += lo;
          worst = std::max(worst, hi);
          double moved = 0;
          for (const auto& m : ring::HashRing::pending_ranges(*before, *after, spec)) {
            moved += m.range.fraction();
          }
          moved_sum += moved / std::min<double>(rf, static_cast<double>(nodes + 1));
        }
        std::printf("%5zu %10zu %2u  %13.3f %13.3f %15.3f %16.3f\n", nodes, tokens, rf,
                    max_sum / runs, min_sum / runs, worst, moved_sum / runs * (nodes + 1));
      }
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const auto flags = parse_flags(argc, argv);
  const std::string scenario = flags.count("scenario") ? flags.at("scenario") : "crash";
  const uint64_t seed = flags.count("seed") ? std::stoull(flags.at("seed")) : 1;
  const int runs = flags.count("runs") ? std::stoi(flags.at("runs")) : 1;
  if (scenario == "ring-balance") return ring_balance(seed, runs);
  std::vector<double> a;
  std::vector<double> b;
  double node_hours = 0, false_dead = 0, false_suspect = 0, msgs = 0, bytes = 0;
  std::array<double, GossipCluster::kBodyTypes> by_type{};
  size_t queued_start = 0, queued_end = 0;
  int failures = 0;
  for (int run = 0; run < runs; ++run) {
    const ScenarioOptions o = make_options(flags, seed + static_cast<uint64_t>(run));
    if (scenario == "crash") {
      CrashReport r = run_crash(o);
      if (!r.formed || !r.detected) ++failures, std::printf("seed=%lu failed\n", o.seed);
      a.push_back(r.detect_all_s);
      b.push_back(r.detect_first_s);
      false_dead += static_cast<double>(r.false_dead);
    } else if (scenario == "disseminate") {
      DisseminationReport r = run_dissemination(o);
      if (!r.schema_reached_all || !r.join_reached_all)
        ++failures, std::printf("seed=%lu failed\n", o.seed);
      a.push_back(r.schema_all_s);
      b.push_back(r.join_all_s);
    } else if (scenario == "steady" || scenario == "pause") {
      const double pause_s = flags.count("pause-s") ? std::stod(flags.at("pause-s")) : 30;
      SteadyReport r = run_steady(o, scenario == "pause", pause_s);
      if (!r.formed) ++failures, std::printf("seed=%lu failed to form\n", o.seed);
      std::printf(
          "seed=%lu formation until news drained: %.1f s, %.2f msgs/node/s, %.0f bytes/node/s\n",
          o.seed, r.formation_s, r.formation_messages_per_node_s, r.formation_bytes_per_node_s);
      for (const SteadyReport::FalseDead& d : r.false_dead_events) {
        std::printf("seed=%lu false dead at %.3f s: node %zu declared node %zu dead\n", o.seed,
                    d.at_s, d.observer, d.target);
      }
      node_hours += r.node_hours;
      false_dead += static_cast<double>(r.false_dead);
      false_suspect += static_cast<double>(r.false_suspect);
      msgs += r.messages_per_node_s / runs;
      for (size_t t = 0; t < by_type.size(); ++t) by_type[t] += r.messages_by_type[t] / runs;
      queued_start += r.queued_at_start;
      queued_end += r.queued_at_end;
      a.push_back(r.settle_s);
      bytes += r.bytes_per_node_s / runs;
    } else if (scenario == "partition") {
      PartitionReport r =
          run_partition(o, flags.count("split-s") ? std::stod(flags.at("split-s")) : 30);
      if (!r.healed) ++failures, std::printf("seed=%lu failed\n", o.seed);
      a.push_back(r.heal_converge_s);
    } else if (scenario == "restart") {
      RestartReport r = run_restart(o);
      if (!r.rejoined || !r.same_tokens) ++failures, std::printf("seed=%lu failed\n", o.seed);
      a.push_back(r.rejoin_s);
    } else {
      std::fprintf(stderr, "unknown scenario %s\n", scenario.c_str());
      return 2;
    }
  }
  std::printf("scenario=%s seed=%lu runs=%d nodes=%s failures=%d\n", scenario.c_str(), seed, runs,
              flags.count("nodes") ? flags.at("nodes").c_str() : "10", failures);
  if (!a.empty()) {
    std::printf("a: median=%.2fs p99=%.2fs max=%.2fs\n", quantile(a, 0.5), quantile(a, 0.99),
                quantile(a, 1.0));
  }
  if (!b.empty()) {
    std::printf("b: median=%.2fs p99=%.2fs max=%.2fs\n", quantile(b, 0.5), quantile(b, 0.99),
                quantile(b, 1.0));
  }
  if (node_hours > 0 || false_dead > 0) {
    std::printf(
        "node_hours=%.1f false_dead=%.0f (%.4f/node-hour) false_suspect=%.0f "
        "msgs/node/s=%.2f bytes/node/s=%.0f\n",
        node_hours, false_dead, node_hours > 0 ? false_dead / node_hours : 0.0, false_suspect, msgs,
        bytes);
    static constexpr const char* kTypeNames[] = {"ping",      "ack",         "ping_req",
                                                 "nack",      "sync",        "meta_request",
                                                 "meta_resp", "gossip_only", "sync_digest"};
    static_assert(std::size(kTypeNames) == GossipCluster::kBodyTypes);
    std::printf("by type (msgs/node/s):");
    for (size_t t = 0; t < by_type.size(); ++t) std::printf(" %s=%.2f", kTypeNames[t], by_type[t]);
    std::printf("\nqueued updates (all nodes): start=%zu end=%zu\n", queued_start, queued_end);
  }
  return failures == 0 ? 0 : 1;
}
