// Five real pairdb processes on 127.0.0.1-5: membership and ring agreement, failure detection
// of a killed node and its rejoin, a paused node that comes back without flapping, and tables
// that spread through gossip. Each scenario prints its figures (seconds to detect, to recover).
#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <set>

#include <boost/json.hpp>

#include "cluster/cluster_harness.h"
#include "support/command_runner.h"

using namespace pairdb::test;

namespace {

// Node id -> sorted tokens, as one node's Topology lists them.
std::map<std::string, std::vector<uint64_t>> ring_of(const TopologyResult& topology) {
  std::map<std::string, std::vector<uint64_t>> ring;
  for (const NodeInfo& n : topology.nodes) {
    std::vector<uint64_t> tokens = n.tokens;
    std::sort(tokens.begin(), tokens.end());
    ring[n.node_id] = std::move(tokens);
  }
  return ring;
}

// True when every node in `observers` reports `target` with liveness `state`.
bool all_report(TestCluster& cluster, const std::vector<size_t>& observers, size_t target,
                std::string_view state) {
  return std::all_of(observers.begin(), observers.end(),
                     [&](size_t o) { return cluster.liveness(o, target) == state; });
}

// `pairdb-admin --json ARGS...` against node i; REQUIREs exit 0 and parses stdout.
boost::json::value admin_json(TestCluster& cluster, size_t i, std::vector<std::string> args) {
  std::vector<std::string> argv = {PAIRDB_ADMIN_PATH,
                                   "-h",
                                   cluster.process(i).host(),
                                   "-p",
                                   std::to_string(cluster.process(i).binary_port()),
                                   "--json"};
  argv.insert(argv.end(), args.begin(), args.end());
  const CommandResult result = run_command(argv, "", 30'000);
  INFO(result.describe());
  REQUIRE(result.exit_code == 0);
  return boost::json::parse(result.out);
}

// Node id -> the two-letter state pairdb-admin status shows for it, as node i sees it.
std::map<std::string, std::string> admin_states(TestCluster& cluster, size_t i) {
  std::map<std::string, std::string> states;
  const boost::json::value status = admin_json(cluster, i, {"status"});
  for (const auto& node : status.at("nodes").as_array()) {
    states[std::string(node.at("node_id").as_string())] = node.at("status").as_string().c_str();
  }
  return states;
}

std::vector<size_t> all_but(const TestCluster& cluster, size_t excluded) {
  std::vector<size_t> out;
  for (size_t i = 0; i < cluster.size(); ++i) {
    if (i != excluded) out.push_back(i);
  }
  return out;
}

}  // namespace

TEST_CASE("five nodes agree on membership, the ring, placement and the schema", "[cluster]") {
  TestCluster cluster;
  cluster.start();

  const auto reference = ok(cluster.connect(0).topology());
  REQUIRE(reference.nodes.size() == kClusterNodes);
  const auto expected_ring = ring_of(reference);
  for (const auto& [id, tokens] : expected_ring) CHECK(tokens.size() == 256);
  std::set<std::string> ids;
  for (size_t i = 0; i < cluster.size(); ++i) ids.insert(cluster.id(i));
  REQUIRE(ids.size() == kClusterNodes);

  // Membership and the ring may still settle (metadata arrives separately): poll for agreement.
  const bool agreed = cluster_poll(10s, [&] {
    for (size_t i = 0; i < cluster.size(); ++i) {
      auto topology = cluster.topology(i);
      if (!topology || topology->ring_version != reference.ring_version) return false;
      if (ring_of(*topology) != expected_ring) return false;
    }
    return true;
  });
  REQUIRE(agreed);
  for (const auto& [id, tokens] : expected_ring) CHECK(ids.count(id) == 1);

  // Every node places a key on the same three replicas, and describes one schema.
  std::vector<std::string> replicas;
  for (size_t i = 0; i < cluster.size(); ++i) {
    auto client = cluster.connect(i);
    const auto endpoints = ok(client.get_endpoints({"default", "user:42", 2}));
    CHECK(endpoints.natural_count == 3);
    REQUIRE(endpoints.nodes.size() == 5);
    CHECK(endpoints.ring_version == reference.ring_version);
    std::vector<std::string> natural;
    for (size_t r = 0; r < endpoints.natural_count; ++r) {
      natural.push_back(endpoints.nodes[r].node_id);
      CHECK_FALSE(endpoints.nodes[r].address.empty());
    }
    if (replicas.empty()) replicas = natural;
    CHECK(natural == replicas);

    const auto gossip = ok(client.gossip_info());
    CHECK(gossip.members.size() == kClusterNodes);
    for (const auto& m : gossip.members) {
      CHECK(m.liveness == "alive");
      CHECK(m.status == "normal");
      CHECK(m.software_version == "0.1.0");
      CHECK(m.dc == "dc1");
      CHECK_FALSE(m.gossip_address.empty());
    }
  }
  const bool schema_agreed = cluster_poll(10s, [&] {
    auto client = cluster.client(2);
    if (!client) return false;
    auto described = client->describe_cluster();
    return described.is_ok() && described->schema_agreement &&
           described->schema_versions.size() == 1 &&
           described->schema_versions[0].node_ids.size() == kClusterNodes;
  });
  CHECK(schema_agreed);

  // The operator's view: pairdb-admin status on any node lists all five, up and normal, with
  // ownership adding up to the whole ring; describecluster agrees on one schema.
  const auto status = admin_json(cluster, 2, {"status"});
  REQUIRE(status.at("nodes").as_array().size() == kClusterNodes);
  double owned = 0;
  for (const auto& node : status.at("nodes").as_array()) {
    CHECK(node.at("status").as_string() == "UN");
    CHECK(node.at("dc").as_string() == "dc1");
    owned += node.at("ownership").to_number<double>();
  }
  CHECK(owned == Approx(1.0));
  CHECK(admin_json(cluster, 4, {"describecluster"}).at("schema_agreement").as_bool());
  const auto endpoints = admin_json(cluster, 1, {"getendpoints", "default", "user:42"});
  std::vector<std::string> admin_replicas;
  for (const auto& node : endpoints.at("endpoints").as_array()) {
    admin_replicas.push_back(node.at("node_id").as_string().c_str());
  }
  CHECK(admin_replicas == replicas);
  CHECK(admin_json(cluster, 3, {"gossipinfo"}).at("members").as_array().size() == kClusterNodes);
}

TEST_CASE(
    "a killed node is declared dead by every other node in time, and rejoins with its "
    "id and tokens",
    "[cluster]") {
  TestCluster cluster;
  cluster.start();
  const size_t victim = 3;
  const std::string victim_id = cluster.id(victim);
  const auto ring_before = ring_of(ok(cluster.connect(0).topology()));

  const auto killed_at = SteadyClock::now();
  cluster.kill(victim);
  const auto observers = all_but(cluster, victim);
  const bool detected =
      cluster_poll(kDeadBound, [&] { return all_report(cluster, observers, victim, "dead"); });
  INFO(cluster.diagnostics());
  REQUIRE(detected);
  std::printf("cluster: kill -9 detected as dead by all %zu peers in %.2f s (bound %lld s)\n",
              observers.size(), seconds_since(killed_at),
              static_cast<long long>(std::chrono::seconds(kDeadBound).count()));
  // pairdb-admin status shows it down (DN) and everyone else up.
  const auto states = admin_states(cluster, 0);
  REQUIRE(states.size() == kClusterNodes);
  for (const auto& [id, state] : states) CHECK(state == (id == victim_id ? "DN" : "UN"));
  // A dead node keeps its place on the ring: failure is not removal.
  CHECK(ring_of(ok(cluster.connect(0).topology())) == ring_before);

  const auto restarted_at = SteadyClock::now();
  cluster.launch(victim);
  CHECK(cluster.id(victim) == victim_id);
  const bool rejoined = cluster_poll(kFormBound, [&] { return cluster.all_see_all_alive(); });
  INFO(cluster.diagnostics());
  REQUIRE(rejoined);
  std::printf("cluster: the restarted node was alive to all in %.2f s\n",
              seconds_since(restarted_at));
  for (size_t i = 0; i < cluster.size(); ++i) {
    const auto topology = ok(cluster.connect(i).topology());
    CHECK(ring_of(topology) == ring_before);
    for (const NodeInfo& n : topology.nodes) {
      if (n.node_id == victim_id) {
        CHECK(n.address == fmt::format("{}:{}", cluster.process(victim).host(),
                                       cluster.process(victim).binary_port()));
      }
    }
  }
}

TEST_CASE(
    "a node paused for 30 s is marked down, comes back after SIGCONT, and no other node "
    "is ever marked dead",
    "[cluster]") {
  TestCluster cluster;
  cluster.start();
  const size_t paused = 4;
  const auto observers = all_but(cluster, paused);
  std::vector<std::string> flaps;  // "observer saw node dead", for any node but the paused one.
  size_t polls = 0;
  // Polls every answering node's Status once; records false deaths.
  auto check_no_false_deaths = [&] {
    ++polls;
    for (size_t o = 0; o < cluster.size(); ++o) {
      if (!cluster.is_up(o)) continue;
      auto status = cluster.status(o);
      if (!status) continue;
      for (const NodeInfo& n : status->nodes) {
        if (n.node_id != cluster.id(paused) && n.liveness == "dead") {
          flaps.push_back(fmt::format("node {} saw {} dead", o, n.node_id));
        }
      }
    }
  };

  const auto paused_at = SteadyClock::now();
  cluster.pause(paused);
  std::optional<double> detected_after;
  // The whole pause is observed: detection first, then no flapping until it ends.
  cluster_poll(
      30s,
      [&] {
        check_no_false_deaths();
        if (!detected_after && all_report(cluster, observers, paused, "dead")) {
          detected_after = seconds_since(paused_at);
        }
        return false;
      },
      250ms);
  INFO(cluster.diagnostics());
  REQUIRE(detected_after.has_value());
  CHECK(*detected_after <= std::chrono::duration<double>(kDeadBound).count());

  const auto resumed_at = SteadyClock::now();
  cluster.resume(paused);
  const bool recovered = cluster_poll(
      20s,
      [&] {
        check_no_false_deaths();
        return cluster.all_see_all_alive();
      },
      250ms);
  INFO(cluster.diagnostics());
  REQUIRE(recovered);
  const double recovered_after = seconds_since(resumed_at);
  // And it stays that way for a few more periods.
  cluster_poll(
      3s,
      [&] {
        check_no_false_deaths();
        return false;
      },
      250ms);
  std::printf(
      "cluster: SIGSTOP detected as dead by all peers in %.2f s; alive again to all "
      "%.2f s after SIGCONT; %zu status polls, %zu false deaths\n",
      *detected_after, recovered_after, polls, flaps.size());
  INFO(fmt::format("{}", fmt::join(flaps, "; ")));
  CHECK(flaps.empty());
  CHECK(cluster.all_see_all_alive());
}

TEST_CASE("a table created on one node becomes visible on all, and its drop too", "[cluster]") {
  TestCluster cluster;
  cluster.start();
  TableSpec spec;
  spec.name = "orders";
  spec.replication = {{"dc1", 3}};
  const TableInfo created = ok(cluster.connect(1).create_table(spec));

  const auto created_at = SteadyClock::now();
  const bool visible = cluster_poll(15s, [&] {
    return cluster.every_node([&](WireClient& client) {
      auto described = client.describe_table("orders");
      return described.is_ok() && described->table_id == created.table_id;
    });
  });
  REQUIRE(visible);
  std::printf("cluster: a new table was visible on all nodes in %.2f s\n",
              seconds_since(created_at));
  // Every node places keys of the new table the same way.
  const auto endpoints = ok(cluster.connect(4).get_endpoints({"orders", "order:1", 0}));
  CHECK(endpoints.nodes.size() == 3);

  REQUIRE(cluster.connect(3).drop_table("orders").is_ok());
  const auto dropped_at = SteadyClock::now();
  const bool gone = cluster_poll(15s, [&] {
    return cluster.every_node([](WireClient& client) {
      return client.describe_table("orders").error_code() == pairdb::wire::ErrorCode::TableNotFound;
    });
  });
  REQUIRE(gone);
  std::printf("cluster: the drop reached all nodes in %.2f s\n", seconds_since(dropped_at));
  const bool agreed = cluster_poll(10s, [&] {
    auto client = cluster.client(0);
    if (!client) return false;
    auto described = client->describe_cluster();
    return described.is_ok() && described->schema_agreement;
  });
  CHECK(agreed);
}
