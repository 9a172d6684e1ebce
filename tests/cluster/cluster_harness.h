// A cluster of real pairdb processes for tests/cluster: node i runs on 127.0.0.(i+1) with
// ephemeral client/HTTP ports and its own data directory; node 0 is the seed of the others.
// Every call that asks a node something opens a fresh connection with a short deadline, so a
// paused or dead node costs a bounded wait, never a hang. Only processes this harness started
// are ever signalled. Single-threaded test code.
#pragma once

#include <signal.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "support/http_client.h"
#include "support/pairdb_process.h"
#include "support/poll.h"
#include "support/wire_client.h"

namespace pairdb::test {

using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

inline constexpr size_t kClusterNodes = 5;
// SWIM protocol period of the test clusters. Detection needs a probe (one period), a failed
// probe (one period) and a suspicion of one to three periods, so a dead node is declared within
// about six periods; the bound below leaves room for five ASan processes on two shared cores
// (Lifeguard stretches timeouts on a starved node).
inline constexpr uint32_t kProtocolPeriodMs = 500;
inline constexpr auto kDeadBound = 10s;  // 20 protocol periods.
inline constexpr auto kFormBound = 30s;  // Start-up of five ASan processes included.
inline constexpr uint32_t kCallTimeoutMs = 2000;

// poll_until (support/poll.h) at a pace five ASan processes on two cores can answer.
inline bool cluster_poll(std::chrono::milliseconds bound, const std::function<bool()>& condition,
                         std::chrono::milliseconds interval = 100ms) {
  return poll_until(bound, condition, interval);
}

inline double seconds_since(SteadyClock::time_point start) {
  return std::chrono::duration<double>(SteadyClock::now() - start).count();
}

class TestCluster {
 public:
  struct Node {
    std::unique_ptr<TempDir> dir;
    std::unique_ptr<PairdbProcess> process;
    std::string host;
    uint16_t gossip_port = 0;
    uint16_t internode_port = 0;
    std::string dc = "dc1";
    bool paused = false;
  };

  // More command-line flags for every node, set before start().
  std::vector<std::string> extra_args;

  ~TestCluster() {
    for (Node& n : nodes_) {
      if (n.process && n.paused) n.process->signal(SIGCONT);  // So the kill -9 is reaped.
    }
  }

  // Starts `count` nodes (the seed first) and waits until every node sees every other alive
  // with its metadata. `dcs` names each node's datacenter (empty: all in dc1).
  void start(size_t count = kClusterNodes, std::vector<std::string> dcs = {}) {
    nodes_.resize(count);
    for (size_t i = 0; i < count; ++i) {
      nodes_[i].dc = i < dcs.size() ? dcs[i] : "dc1";
      nodes_[i].dir = std::make_unique<TempDir>();
      nodes_[i].host = fmt::format("127.0.0.{}", i + 1);
      launch(i);
    }
    const auto started = SteadyClock::now();
    const bool formed = cluster_poll(kFormBound, [&] { return all_see_all_alive(); });
    INFO(diagnostics());
    REQUIRE(formed);
    std::printf("cluster: %zu nodes formed a cluster in %.2f s after the last start\n", count,
                seconds_since(started));
  }

  // (Re)starts node i on its host, with its data dir and, after the first start, its gossip
  // port, so peers reach it where they last saw it; `more` flags for this start only.
  void launch(size_t i, const std::vector<std::string>& more = {}) {
    Node& n = nodes_[i];
    PairdbProcessOptions options;
    options.host = n.host;
    options.gossip_port = n.gossip_port;
    options.internode_port = n.internode_port;
    options.default_replication_factor = 3;
    options.extra_args = {"--gossip.protocol_period_ms",
                          std::to_string(kProtocolPeriodMs),
                          "--network.io_threads",
                          "2",
                          "--storage.worker_threads",
                          "2",
                          "--storage.wal_sync",
                          "none",
                          "--dc",
                          n.dc,
                          "--testing.partition_file",
                          partition_file(i)};
    options.extra_args.insert(options.extra_args.end(), extra_args.begin(), extra_args.end());
    options.extra_args.insert(options.extra_args.end(), more.begin(), more.end());
    if (i != 0) {
      options.extra_args.push_back("--seeds");
      options.extra_args.push_back(nodes_[0].process->gossip_address());
    }
    auto process = PairdbProcess::start(n.dir->path() + "/data", options);
    INFO((process.is_ok() ? std::string() : process.status().to_string()));
    REQUIRE(process.is_ok());
    n.process = std::move(process).value();
    n.gossip_port = n.process->gossip_port();
    n.internode_port = n.process->internode_port();
    n.paused = false;
  }

  // Cuts node i off from every other node, both ways, through the daemon's test partition hook
  // (testing.partition_file, re-read every 100 ms): gossip and internode traffic is dropped.
  void isolate(size_t i) {
    std::vector<std::string> others;
    for (size_t j = 0; j < nodes_.size(); ++j) {
      if (j == i) continue;
      others.push_back(nodes_[j].host);
      write_partition_file(j, {nodes_[i].host});
    }
    write_partition_file(i, others);
  }
  // Ends every partition isolate() made.
  void heal() {
    for (size_t j = 0; j < nodes_.size(); ++j) write_partition_file(j, {});
  }

  void kill(size_t i) {
    nodes_[i].process->signal(SIGKILL);
    REQUIRE(nodes_[i].process->wait_exit(10'000).has_value());
  }
  void pause(size_t i) {
    REQUIRE(nodes_[i].process->freeze());
    nodes_[i].paused = true;
  }
  void resume(size_t i) {
    nodes_[i].process->thaw();
    nodes_[i].paused = false;
  }

  size_t size() const { return nodes_.size(); }
  // Node i's data directory (what --data-dir names).
  std::string data_dir(size_t i) const { return nodes_[i].dir->path() + "/data"; }
  PairdbProcess& process(size_t i) { return *nodes_[i].process; }
  const std::string& id(size_t i) const { return nodes_[i].process->node_id(); }
  bool is_up(size_t i) { return nodes_[i].process->running() && !nodes_[i].paused; }

  std::optional<WireClient> client(size_t i) {
    WireClientOptions options;
    options.connect_timeout_ms = kCallTimeoutMs;
    options.call_timeout_ms = kCallTimeoutMs;
    auto c = WireClient::connect(nodes_[i].host, nodes_[i].process->binary_port(), options);
    if (!c.is_ok()) return std::nullopt;
    return std::move(c).value();
  }

  // A connected client, or a failed REQUIRE: for nodes the test expects to answer.
  WireClient connect(size_t i) {
    auto c = client(i);
    INFO(fmt::format("connect to node {}", i));
    REQUIRE(c.has_value());
    return std::move(*c);
  }

  std::optional<StatusResult> status(size_t i) { return ask(i, &WireClient::status); }
  std::optional<TopologyResult> topology(size_t i) { return ask(i, &WireClient::topology); }

  // Whether every node answers and `holds(client)` is true on a new connection to each.
  bool every_node(const std::function<bool(WireClient&)>& holds) {
    for (size_t i = 0; i < size(); ++i) {
      auto c = client(i);
      if (!c || !holds(*c)) return false;
    }
    return true;
  }

  // The liveness node `observer` reports for `target`, or "" if it does not know it (or did
  // not answer).
  std::string liveness(size_t observer, size_t target) {
    auto s = status(observer);
    if (!s) return "";
    for (const NodeInfo& n : s->nodes) {
      if (n.node_id == id(target)) return n.liveness;
    }
    return "";
  }

  // Every running, unpaused node lists every node, each alive and with its addresses known.
  bool all_see_all_alive() {
    for (size_t i = 0; i < size(); ++i) {
      if (!is_up(i)) return false;
      auto topo = topology(i);
      if (!topo || topo->nodes.size() != size()) return false;
      for (const NodeInfo& n : topo->nodes) {
        if (n.liveness != "alive" || n.address.empty() || n.tokens.empty()) return false;
      }
    }
    return true;
  }

  // One line per node: what its Status says about every member.
  std::string diagnostics() {
    std::string out;
    for (size_t i = 0; i < size(); ++i) {
      out +=
          fmt::format("node {} ({} on {}): ", i, nodes_[i].process ? id(i) : "?", nodes_[i].host);
      auto s = is_up(i) ? status(i) : std::nullopt;
      if (!s) {
        out += "no answer\n";
        continue;
      }
      for (const NodeInfo& n : s->nodes)
        out += fmt::format("{}={} ", n.node_id.substr(0, 8), n.liveness);
      out += "\n";
    }
    return out;
  }

 private:
  std::string partition_file(size_t i) const { return nodes_[i].dir->path() + "/partition"; }
  // Replaces the file in one rename, so the node never reads half of it.
  void write_partition_file(size_t i, const std::vector<std::string>& hosts) {
    const std::string path = partition_file(i);
    {
      std::ofstream out(path + ".tmp", std::ios::trunc);
      for (const auto& host : hosts) out << host << "\n";
      REQUIRE(out.good());
    }
    REQUIRE(std::rename((path + ".tmp").c_str(), path.c_str()) == 0);
  }

  // Node i's answer to `request` on a new connection, or nullopt if it does not answer.
  template <class Result>
  std::optional<Result> ask(size_t i, Reply<Result> (WireClient::*request)()) {
    auto c = client(i);
    if (!c) return std::nullopt;
    auto reply = ((*c).*request)();
    if (!reply.is_ok()) return std::nullopt;
    return std::move(reply).value();
  }

  std::vector<Node> nodes_;
};

// The value of a successful reply; fails the test with the reply's error otherwise.
template <class T>
T ok(Reply<T> reply) {
  INFO(reply.describe());
  REQUIRE(reply.is_ok());
  return std::move(reply).value();
}

// A counter or gauge without labels from node i's /metrics; -1 when it cannot be read.
inline double node_metric(TestCluster& cluster, size_t i, const std::string& name) {
  auto scraped =
      http_request_at(cluster.process(i).host(), cluster.process(i).http_port(), "GET", "/metrics");
  if (!scraped.is_ok() || scraped->status != 200) return -1;
  const std::string& body = scraped->body;
  const std::string prefix = "\n" + name + " ";
  const size_t at = body.find(prefix);
  if (at == std::string::npos) return -1;
  return std::stod(body.substr(at + prefix.size()));
}

// Creates `spec` through node 0 and waits until every running node knows it.
inline void create_table_everywhere(TestCluster& cluster, const TableSpec& spec) {
  const TableInfo created = ok(cluster.connect(0).create_table(spec));
  const bool visible = cluster_poll(15s, [&] {
    return cluster.every_node([&](WireClient& client) {
      auto described = client.describe_table(spec.name);
      return described.is_ok() && described->table_id == created.table_id;
    });
  });
  REQUIRE(visible);
}

// Whether every node in `observers` reports `target` dead.
inline bool all_report_dead(TestCluster& cluster, const std::vector<size_t>& observers,
                            size_t target) {
  return std::all_of(observers.begin(), observers.end(),
                     [&](size_t o) { return cluster.liveness(o, target) == "dead"; });
}

}  // namespace pairdb::test
