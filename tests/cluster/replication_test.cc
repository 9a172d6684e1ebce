// Replication across real pairdb processes on 127.0.0.1-3 (RF 3): a QUORUM write through one
// node is held by every replica and read through the others; with one replica killed, QUORUM
// goes on and ALL is refused at once; the restarted replica is brought up to date by a read at
// ALL (read repair); writes through a node that is not a replica are forwarded to one; a keyed
// write retried through other coordinators stores one version; a node partitioned away for 30 s
// (the daemon's test partition hook) refuses QUORUM while the majority writes on, and after the
// heal a read at ALL finds every acknowledged write. Each scenario prints its figures.
#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <set>
#include <thread>

#include "cluster/cluster_harness.h"
#include "support/http_client.h"

using namespace pairdb::test;
using pairdb::wire::Consistency;
using pairdb::wire::ErrorCode;

namespace {

constexpr size_t kNodes = 3;

// Creates `name` through node 0 and waits until every running node knows it.
void create_table(TestCluster& cluster, const std::string& name, uint32_t replicas,
                  pairdb::wire::ReadRepair read_repair = pairdb::wire::ReadRepair::Blocking) {
  TableSpec spec;
  spec.name = name;
  spec.replication = {{"dc1", replicas}};
  spec.read_repair = read_repair;
  create_table_everywhere(cluster, spec);
}

// The value node i answers for a key at `level`, "" when not found, "error: ..." otherwise.
std::string value_at(TestCluster& cluster, size_t i, const std::string& table,
                     const std::string& key, Consistency level) {
  auto client = cluster.client(i);
  if (!client) return "error: no connection";
  auto got = client->get({.table = table, .partition_key = key, .consistency = level});
  if (!got.is_ok()) return "error: " + got.describe();
  if (!got->found || got->siblings.empty()) return std::string();
  return got->siblings.front().value;
}

// Each replica's own copy of `key`, through node i (getreplicas).
GetReplicasResult replicas_of(TestCluster& cluster, size_t i, const std::string& table,
                              const std::string& key) {
  return ok(cluster.connect(i).get_replicas({.table = table, .partition_key = key}));
}

bool all_agree_on(const GetReplicasResult& copies, const std::string& value) {
  return std::all_of(copies.replicas.begin(), copies.replicas.end(), [&](const auto& copy) {
    return copy.error.empty() && copy.agrees && copy.found && copy.siblings.size() == 1 &&
           copy.siblings[0].value == value;
  });
}

}  // namespace

TEST_CASE("a QUORUM write through one node is held by every replica and read through the others",
          "[cluster][replication]") {
  TestCluster cluster;
  cluster.start(kNodes);
  create_table(cluster, "users", 3);
  WireClient writer = cluster.connect(0);
  ok(writer.put({.table = "users",
                 .partition_key = "alice",
                 .value = "v1",
                 .consistency = Consistency::Quorum}));
  for (size_t i = 1; i < kNodes; ++i) {
    INFO("reader node " << i);
    CHECK(value_at(cluster, i, "users", "alice", Consistency::Quorum) == "v1");
  }
  // Every replica stores it: at ONE each node answers from its own copy first. The third
  // replica's ack may still be on its way when QUORUM answered: poll.
  const auto written = SteadyClock::now();
  const bool everywhere = cluster_poll(10s, [&] {
    for (size_t i = 0; i < kNodes; ++i) {
      if (value_at(cluster, i, "users", "alice", Consistency::One) != "v1") return false;
    }
    return true;
  });
  CHECK(everywhere);
  std::printf("replication: all %zu replicas answered the write at ONE within %.2f s\n", kNodes,
              seconds_since(written));
  // The coordinator's latency histogram and outcome counter, by operation and consistency level
  // (node 0 is the one on 127.0.0.1, where the HTTP helper connects).
  const auto scraped =
      pairdb::test::http_request(cluster.process(0).http_port(), "GET", "/metrics");
  REQUIRE(scraped.is_ok());
  CHECK(scraped->body.find(
            "pairdb_replicated_duration_seconds_count{op=\"write\",consistency=\"QUORUM\"} 1\n") !=
        std::string::npos);
  CHECK(scraped->body.find("pairdb_replicated_requests_total{op=\"read\",consistency=\"ONE\","
                           "code=\"OK\"}") != std::string::npos);
  // getreplicas, through any node, shows each replica's own copy: all three hold v1 and agree.
  const GetReplicasResult copies = replicas_of(cluster, 1, "users", "alice");
  REQUIRE(copies.replicas.size() == kNodes);
  CHECK(all_agree_on(copies, "v1"));
  std::set<uint64_t> digests;
  for (const auto& copy : copies.replicas) digests.insert(copy.digest);
  CHECK(digests.size() == 1);
  // Delete through another node, with the context read there; the tombstone replicates too.
  WireClient deleter = cluster.connect(2);
  const GetResult read = ok(deleter.get(
      {.table = "users", .partition_key = "alice", .consistency = Consistency::Quorum}));
  ok(deleter.del({.table = "users",
                  .partition_key = "alice",
                  .context = read.context,
                  .consistency = Consistency::All}));
  for (size_t i = 0; i < kNodes; ++i) {
    CHECK(value_at(cluster, i, "users", "alice", Consistency::One) == "");
  }
}

TEST_CASE(
    "with one replica killed QUORUM goes on, ALL is refused at once, and a read at ALL "
    "repairs the returning replica",
    "[cluster][replication]") {
  TestCluster cluster;
  // No hints, so that only a read can bring the returning replica up to date (hinted handoff
  // has its own tests in handoff_test.cc).
  cluster.extra_args = {"--hints.max_window_ms", "0"};
  cluster.start(kNodes);
  create_table(cluster, "events", 3);
  create_table(cluster, "unrepaired", 3, pairdb::wire::ReadRepair::Off);
  cluster.kill(2);
  const auto killed = SteadyClock::now();
  REQUIRE(cluster_poll(kDeadBound, [&] { return all_report_dead(cluster, {0, 1}, 2); }));
  std::printf("replication: the killed replica was declared dead in %.2f s\n",
              seconds_since(killed));

  WireClient client = cluster.connect(0);
  for (int i = 0; i < 20; ++i) {
    ok(client.put({.table = "events",
                   .partition_key = "k" + std::to_string(i),
                   .value = "during",
                   .consistency = Consistency::Quorum}));
  }
  CHECK(value_at(cluster, 1, "events", "k7", Consistency::Quorum) == "during");
  ok(client.put({.table = "unrepaired",
                 .partition_key = "k",
                 .value = "during",
                 .consistency = Consistency::Quorum}));

  const auto asked = SteadyClock::now();
  auto refused = client.put(
      {.table = "events", .partition_key = "k-all", .value = "x", .consistency = Consistency::All});
  const double refused_ms = seconds_since(asked) * 1000;
  REQUIRE(refused.is_server_error());
  CHECK(refused.error().code == ErrorCode::Unavailable);
  CHECK(refused.error().required == 3);  // The counts reach the SDK's typed error.
  CHECK(refused.error().achieved == 2);
  std::printf("replication: a write at ALL with a replica dead answered Unavailable in %.1f ms\n",
              refused_ms);
  // At once (the issue asks for 100 ms; seen: under 1 ms), not after the 2 s write timeout.
  CHECK(refused_ms < 100);
  auto refused_read =
      client.get({.table = "events", .partition_key = "k7", .consistency = Consistency::All});
  REQUIRE(refused_read.is_server_error());
  CHECK(refused_read.error().code == ErrorCode::Unavailable);
  CHECK(refused_read.error().required == 3);
  CHECK(refused_read.error().achieved == 2);

  cluster.launch(2);
  REQUIRE(cluster_poll(kFormBound, [&] { return cluster.all_see_all_alive(); }));
  // The returning replica missed the writes (no hints kept): its own copy is empty...
  const GetReplicasResult before = replicas_of(cluster, 0, "events", "k3");
  REQUIRE(before.replicas.size() == kNodes);
  size_t stale = 0;
  for (const auto& copy : before.replicas) {
    if (copy.node_id != cluster.id(2)) continue;
    ++stale;
    CHECK(copy.error.empty());
    CHECK_FALSE(copy.found);
    CHECK_FALSE(copy.agrees);
  }
  CHECK(stale == 1);
  // ...until a read at ALL through any node repairs it (blocking read repair).
  CHECK(value_at(cluster, 0, "events", "k3", Consistency::All) == "during");
  CHECK(all_agree_on(replicas_of(cluster, 1, "events", "k3"), "during"));
  // A table with read_repair = off answers the merge and leaves the stale copy as it is.
  CHECK(value_at(cluster, 0, "unrepaired", "k", Consistency::All) == "during");
  const GetReplicasResult unrepaired = replicas_of(cluster, 1, "unrepaired", "k");
  CHECK_FALSE(all_agree_on(unrepaired, "during"));
  for (const auto& copy : unrepaired.replicas) {
    if (copy.node_id == cluster.id(2)) CHECK_FALSE(copy.found);
  }
}

TEST_CASE("writes through a node that is not a replica are forwarded to one",
          "[cluster][replication]") {
  TestCluster cluster;
  cluster.start(kNodes);
  create_table(cluster, "single", 1);  // One replica: two of three nodes forward.
  for (size_t via = 0; via < kNodes; ++via) {
    WireClient client = cluster.connect(via);
    for (int i = 0; i < 10; ++i) {
      const std::string key = "n" + std::to_string(via) + "-" + std::to_string(i);
      ok(client.put({.table = "single",
                     .partition_key = key,
                     .value = key,
                     .consistency = Consistency::One}));
    }
  }
  for (size_t via = 0; via < kNodes; ++via) {
    for (size_t reader = 0; reader < kNodes; ++reader) {
      const std::string key = "n" + std::to_string(via) + "-3";
      INFO("written via " << via << ", read via " << reader);
      CHECK(value_at(cluster, reader, "single", key, Consistency::One) == key);
    }
  }
}

TEST_CASE("a keyed write retried through other coordinators stores one version",
          "[cluster][replication]") {
  TestCluster cluster;
  cluster.start(kNodes);
  create_table(cluster, "keyed", 3);
  // The first attempt through node 0, then the same write (same idempotency key) through the
  // others: each coordinator hands a keyed write to the key's owner, which finds its entry.
  for (size_t via = 0; via < kNodes; ++via) {
    INFO("attempt through node " << via);
    const PutResult put = ok(cluster.connect(via).put({.table = "keyed",
                                                       .partition_key = "order-17",
                                                       .value = "charged",
                                                       .consistency = Consistency::Quorum,
                                                       .idempotency_key = "pay-order-17"}));
    // Only the first attempt stores anything; the others answer the first result.
    CHECK(put.duplicate == (via != 0));
  }
  const bool settled = cluster_poll(
      10s, [&] { return all_agree_on(replicas_of(cluster, 0, "keyed", "order-17"), "charged"); });
  CHECK(settled);  // Every replica holds exactly one sibling.
}

TEST_CASE("QUORUM writes complete within their deadline while one replica is stopped",
          "[cluster][replication]") {
  TestCluster cluster;
  cluster.start(kNodes);
  create_table(cluster, "stopped", 3);
  cluster.pause(2);
  WireClient client = cluster.connect(0);
  double slowest_ms = 0;
  for (int i = 0; i < 20; ++i) {
    const auto started = SteadyClock::now();
    ok(client.put({.table = "stopped",
                   .partition_key = "k" + std::to_string(i),
                   .value = "v",
                   .consistency = Consistency::Quorum}));
    slowest_ms = std::max(slowest_ms, seconds_since(started) * 1000);
  }
  std::printf("replication: 20 QUORUM writes with a replica stopped, slowest %.1f ms\n",
              slowest_ms);
  CHECK(slowest_ms < 2000);  // Within replication.write_timeout_ms: two acks suffice.
  cluster.resume(2);
  REQUIRE(cluster_poll(kFormBound, [&] { return cluster.all_see_all_alive(); }));
  // The stopped replica read the writes queued for it once resumed: nothing to repair.
  const bool caught_up = cluster_poll(
      10s, [&] { return all_agree_on(replicas_of(cluster, 0, "stopped", "k5"), "v"); });
  CHECK(caught_up);
}

TEST_CASE("two DCs: LOCAL_QUORUM goes on with the other DC stopped, EACH_QUORUM does not",
          "[cluster][replication]") {
  TestCluster cluster;
  cluster.start(6, {"dc1", "dc1", "dc1", "dc2", "dc2", "dc2"});
  TableSpec spec;
  spec.name = "global";
  spec.replication = {{"dc1", 3}, {"dc2", 3}};
  ok(cluster.connect(0).create_table(spec));
  REQUIRE(cluster_poll(15s, [&] {
    return cluster.every_node([](WireClient& c) { return c.describe_table("global").is_ok(); });
  }));
  WireClient client = cluster.connect(0);
  ok(client.put({.table = "global",
                 .partition_key = "both",
                 .value = "v",
                 .consistency = Consistency::EachQuorum}));
  for (size_t i = 3; i < 6; ++i) cluster.pause(i);
  ok(client.put({.table = "global",
                 .partition_key = "local",
                 .value = "v",
                 .consistency = Consistency::LocalQuorum}));
  CHECK(value_at(cluster, 1, "global", "local", Consistency::LocalQuorum) == "v");
  // A 1 s server deadline, well inside the test client's own call timeout.
  auto each = client.put({.table = "global",
                          .partition_key = "each",
                          .value = "v",
                          .consistency = Consistency::EachQuorum,
                          .timeout_ms = 1000});
  REQUIRE(each.is_server_error());
  // Timeout while gossip only suspects dc2, Unavailable once it declared it dead.
  CHECK((each.error().code == ErrorCode::Timeout || each.error().code == ErrorCode::Unavailable));
  for (size_t i = 3; i < 6; ++i) cluster.resume(i);
}

TEST_CASE("a node partitioned away for 30 s: the majority writes on, nothing acknowledged is lost",
          "[cluster][replication][partition]") {
  TestCluster cluster;
  cluster.start(kNodes);
  create_table(cluster, "parted", 3);
  constexpr size_t kMinority = 2;
  cluster.isolate(kMinority);
  WireClient majority[] = {cluster.connect(0), cluster.connect(1)};
  WireClient minority = cluster.connect(kMinority);
  // The nodes re-read their partition files every 100 ms: wait until the minority has.
  REQUIRE(cluster_poll(5s, [&] {
    return !minority
                .put({.table = "parted",
                      .partition_key = "minority-first",
                      .value = "x",
                      .consistency = Consistency::Quorum})
                .is_ok();
  }));

  std::vector<std::string> acknowledged;
  size_t majority_failures = 0, minority_refused = 0, minority_probes = 0;
  std::map<std::string, size_t> minority_outcomes;
  const auto started = SteadyClock::now();
  constexpr double kPartitionSeconds = 30;
  constexpr int kWritesMax = 1500;  // Bounds the load whatever the pace.
  for (int i = 0; seconds_since(started) < kPartitionSeconds && i < kWritesMax; ++i) {
    const std::string key = "p" + std::to_string(i);
    auto put = majority[i % 2].put({.table = "parted",
                                    .partition_key = key,
                                    .value = key,
                                    .consistency = Consistency::Quorum});
    if (put.is_ok()) {
      acknowledged.push_back(key);
    } else {
      ++majority_failures;
    }
    if (i % 25 == 0) {
      // The minority can never meet QUORUM: refused (Unavailable, once it sees the others
      // dead) or an unknown outcome (Timeout), never OK.
      ++minority_probes;
      auto refused = minority.put({.table = "parted",
                                   .partition_key = "minority-" + key,
                                   .value = "x",
                                   .consistency = Consistency::Quorum});
      const std::string outcome =
          refused.is_ok() ? "OK"
          : refused.is_server_error()
              ? std::string(pairdb::wire::EnumNameErrorCode(refused.error().code))
              : "transport";
      ++minority_outcomes[outcome];
      if (refused.is_server_error() && (refused.error().code == ErrorCode::Unavailable ||
                                        refused.error().code == ErrorCode::Timeout)) {
        ++minority_refused;
      }
    }
    // Pacing, not synchronisation: spreads the bounded load over the partition's 30 s.
    std::this_thread::sleep_for(15ms);
  }
  const double partitioned_s = seconds_since(started);
  REQUIRE_FALSE(acknowledged.empty());
  CHECK(majority_failures == 0);
  CHECK(minority_refused == minority_probes);
  CHECK(all_report_dead(cluster, {0, 1}, kMinority));

  cluster.heal();
  const auto healed = SteadyClock::now();
  REQUIRE(cluster_poll(kFormBound, [&] { return cluster.all_see_all_alive(); }));
  const double rejoin_s = seconds_since(healed);
  // A read at ALL through the node that missed everything: it merges the replicas' copies and
  // repairs its own. Every acknowledged write is there.
  size_t lost = 0;
  WireClient reader = cluster.connect(kMinority);
  for (const std::string& key : acknowledged) {
    auto got =
        reader.get({.table = "parted", .partition_key = key, .consistency = Consistency::All});
    if (!got.is_ok()) {
      // A replica's connection may still be in its reconnect backoff (up to 5 s): poll.
      cluster_poll(
          15s,
          [&] {
            auto fresh = cluster.client(kMinority);
            if (!fresh) return false;
            reader = std::move(*fresh);
            got = reader.get(
                {.table = "parted", .partition_key = key, .consistency = Consistency::All});
            return got.is_ok();
          },
          500ms);
    }
    if (!got.is_ok() || !got->found || got->siblings.size() != 1 || got->siblings[0].value != key) {
      ++lost;
      UNSCOPED_INFO("lost " << key << ": " << got.describe());
    }
  }
  CHECK(lost == 0);
  // Read repair brought the minority's own copy up to date.
  CHECK(all_agree_on(replicas_of(cluster, kMinority, "parted", acknowledged.back()),
                     acknowledged.back()));
  std::string outcomes;
  for (const auto& [name, count] : minority_outcomes)
    outcomes += fmt::format(" {}={}", name, count);
  std::printf(
      "replication: partitioned %.1f s: %zu QUORUM writes acknowledged on the majority "
      "(%zu failed); minority probes:%s; rejoined %.2f s after the heal; %zu lost\n",
      partitioned_s, acknowledged.size(), majority_failures, outcomes.c_str(), rejoin_s, lost);
}
