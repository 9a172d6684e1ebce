// Anti-entropy under the deterministic simulator: the real RepairSession, RepairResponder,
// repair history, codec and LSM (on FaultyEnv), run by ReplicationCluster over simulated frames.
//   - replicas diverged by writes they missed (no hints), a wiped replica and lost messages
//     converge to the join of their records after repair, exchanging about as many records as
//     differed, and a second repair right away exchanges none;
//   - a repair interrupted by the crash of its initiator, or of a peer, completes when run again;
//   - no resurrection (TESTING.md): with the repair-gated tombstone purge, a delete that one
//     replica missed stays deleted through time passing, compaction, healing and repair.
// PAIRDB_REPAIR_SIM_SEEDS=N runs N seeds; PAIRDB_REPAIR_SIM_SEED=S replays one.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "sim/lib/replication_cluster.h"
#include "unit/replication/replication_test_util.h"

using namespace pairdb;
using namespace pairdb::sim;
using namespace std::chrono_literals;
using replication::Consistency;
using replication::VersionRecord;

namespace {

template <typename Fn>
void for_each_seed(uint64_t default_seeds, Fn&& fn) {
  replication::testing::for_each_seed(default_seeds, fn, "PAIRDB_REPAIR_SIM");
}

std::string key_of(size_t k) { return "k" + std::to_string(k); }

// Writes `count` keys at `level`, each through a random live node; returns the acknowledged.
size_t write_keys(Simulation& sim, ReplicationCluster& cluster, size_t count, Consistency level,
                  const std::string& tag, bool tombstone = false) {
  size_t acked = 0;
  for (size_t k = 0; k < count; ++k) {
    size_t via = sim.rng().uniform(cluster.size());
    while (!cluster.up(via)) via = (via + 1) % cluster.size();
    replication::LocalWrite write;
    write.tombstone = tombstone;
    if (!tombstone) {
      write.value = tag + key_of(k);
      write.content_type = "text/plain";
    }
    std::optional<replication::WriteResult> result;
    cluster.write(via, key_of(k), write, level,
                  [&](const replication::WriteResult& r) { result = r; });
    sim.run_until(sim.now() + 3s, [&] { return result.has_value(); });
    REQUIRE(result.has_value());
    acked += result->status.is_ok();
  }
  return acked;
}

RepairOutcome run_repair(Simulation& sim, ReplicationCluster& cluster, size_t via,
                         replication::RepairSessionConfig config = {}) {
  std::optional<RepairOutcome> outcome;
  cluster.repair(
      via, [&](const RepairOutcome& o) { outcome = o; }, config);
  sim.run_until(sim.now() + 600s, [&] { return outcome.has_value(); });
  REQUIRE(outcome.has_value());
  return *outcome;
}

replication::RepairSessionConfig fast_config() {
  replication::RepairSessionConfig config;
  config.request_timeout = 300ms;
  config.retry_backoff = 100ms;
  config.attempts_max = 20;
  return config;
}

// Per key, the join of every replica's record, and how many replicas held something else.
struct Divergence {
  std::map<std::string, VersionRecord> join;
  size_t differing = 0;  // (key, replica) pairs whose record is not the join.
};

Divergence divergence(ReplicationCluster& cluster, size_t keys) {
  Divergence d;
  for (size_t k = 0; k < keys; ++k) {
    VersionRecord join;
    std::vector<VersionRecord> held;
    for (size_t r : cluster.replicas_of(key_of(k))) {
      auto stored = cluster.stored(r, key_of(k));
      REQUIRE(stored.is_ok());
      join = replication::merge(join, *stored, cluster.table().spec.conflict_mode);
      held.push_back(*stored);
    }
    for (const VersionRecord& h : held) d.differing += !(h == join);
    d.join[key_of(k)] = join;
  }
  return d;
}

}  // namespace

TEST_CASE("diverged replicas converge after repair, exchanging about what differed",
          "[sim][repair]") {
  uint64_t total_differing = 0;
  uint64_t total_exchanged = 0;
  for_each_seed(40, [&](uint64_t seed) {
    Simulation sim(seed);
    NetworkConfig net_config;
    Network net(sim, net_config);
    ReplicationSimOptions options;
    options.hints = false;  // Missed writes stay missed: only repair brings them.
    options.sloppy = false;
    options.mode =
        seed % 3 == 0 ? replication::ConflictMode::kLww : replication::ConflictMode::kSiblings;
    ReplicationCluster cluster(sim, net, options);
    constexpr size_t kKeys = 120;
    // Everything written everywhere first, then rounds of writes while one node is down.
    REQUIRE(write_keys(sim, cluster, kKeys, Consistency::kAll, "a") == kKeys);
    for (int round = 0; round < 3; ++round) {
      const size_t down = sim.rng().uniform(cluster.size());
      cluster.crash(down);
      sim.run_until(sim.now() + 2s);
      write_keys(sim, cluster, kKeys / 4, Consistency::kOne, "r" + std::to_string(round));
      cluster.restart(down);
      sim.run_until(sim.now() + 2s);
    }
    // Half the seeds also lose a replica's disk, and lose messages during the repair.
    if (seed % 2 == 0) cluster.wipe(sim.rng().uniform(cluster.size()));
    sim.run_until(sim.now() + 2s);
    const Divergence before = divergence(cluster, kKeys);
    REQUIRE(before.differing > 0);
    if (seed % 2 == 0) net.config().loss = 0.05;

    // One node's repair alone brings every range it replicates to the join on all replicas
    // (its peers included, also what only another peer held); then every node repairs.
    const size_t first = sim.rng().uniform(cluster.size());
    uint64_t exchanged = 0;
    for (size_t step = 0; step < cluster.size(); ++step) {
      const size_t i = (first + step) % cluster.size();
      const RepairOutcome o = run_repair(sim, cluster, i, fast_config());
      INFO("seed " << seed << ", repair by node " << i << ": " << o.status.to_string());
      REQUIRE(o.status.is_ok());
      exchanged += o.stats.records_fetched + o.stats.records_pushed;
      if (step != 0) continue;
      for (size_t k = 0; k < kKeys; ++k) {
        const auto& replicas = cluster.replicas_of(key_of(k));
        if (std::find(replicas.begin(), replicas.end(), first) == replicas.end()) continue;
        for (size_t r : replicas) {
          auto stored = cluster.stored(r, key_of(k));
          REQUIRE(stored.is_ok());
          CHECK(*stored == before.join.at(key_of(k)));
        }
      }
    }
    net.config().loss = 0;
    INFO("seed " << seed << ": " << before.differing << " replica records differed, " << exchanged
                 << " exchanged");
    total_differing += before.differing;
    total_exchanged += exchanged;
    for (size_t k = 0; k < kKeys; ++k) {
      for (size_t r : cluster.replicas_of(key_of(k))) {
        auto stored = cluster.stored(r, key_of(k));
        REQUIRE(stored.is_ok());
        CHECK(*stored == before.join.at(key_of(k)));
      }
    }
    // Each differing replica record needs one transfer; a key can take a few (fetched by the
    // initiator, pushed to each peer), never the whole data set.
    CHECK(exchanged >= before.differing);
    CHECK(exchanged <= 3 * before.differing);
    // Nothing differs any more: a second repair exchanges nothing.
    const RepairOutcome again = run_repair(sim, cluster, 0, fast_config());
    REQUIRE(again.status.is_ok());
    CHECK(again.stats.records_fetched + again.stats.records_pushed == 0);
    CHECK(again.stats.records_differing == 0);
  });
  std::printf("repair sim: %llu replica records differed, %llu exchanged (%.2f per record)\n",
              static_cast<unsigned long long>(total_differing),
              static_cast<unsigned long long>(total_exchanged),
              total_differing == 0 ? 0.0 : double(total_exchanged) / double(total_differing));
}

TEST_CASE("a repair interrupted by a crash completes when run again", "[sim][repair]") {
  for_each_seed(30, [](uint64_t seed) {
    Simulation sim(seed);
    Network net(sim, NetworkConfig{});
    ReplicationSimOptions options;
    options.hints = false;
    options.sloppy = false;
    ReplicationCluster cluster(sim, net, options);
    constexpr size_t kKeys = 150;
    const size_t behind = sim.rng().uniform(cluster.size());
    cluster.crash(behind);
    sim.run_until(sim.now() + 2s);
    REQUIRE(write_keys(sim, cluster, kKeys, Consistency::kQuorum, "v") == kKeys);
    cluster.restart(behind);
    sim.run_until(sim.now() + 2s);
    const Divergence before = divergence(cluster, kKeys);
    REQUIRE(before.differing > 0);

    // The node that was down repairs; it (even seeds) or one of its peers (odd) crashes while
    // the repair is under way, and comes back a little later.
    replication::RepairSessionConfig config = fast_config();
    config.fetch_bytes_max = 512;  // Small batches: the crash lands mid-session.
    std::optional<RepairOutcome> first;
    cluster.repair(
        behind, [&](const RepairOutcome& o) { first = o; }, config);
    const size_t victim = seed % 2 == 0 ? behind : (behind + 1) % cluster.size();
    sim.run_until(sim.now() + Duration(1000 + sim.rng().uniform(20'000)));
    cluster.crash(victim);
    sim.run_until(sim.now() + 1s);
    cluster.restart(victim);
    sim.run_until(sim.now() + 600s, [&] { return first.has_value(); });
    REQUIRE(first.has_value());
    INFO("seed " << seed << ": first repair " << first->status.to_string());
    if (victim == behind) CHECK(first->status.code() == StatusCode::kUnavailable);
    sim.run_until(sim.now() + 2s);

    const RepairOutcome second = run_repair(sim, cluster, behind, fast_config());
    REQUIRE(second.status.is_ok());
    for (size_t k = 0; k < kKeys; ++k) {
      for (size_t r : cluster.replicas_of(key_of(k))) {
        auto stored = cluster.stored(r, key_of(k));
        REQUIRE(stored.is_ok());
        CHECK(*stored == before.join.at(key_of(k)));
      }
    }
  });
}

TEST_CASE("no resurrection: a delete one replica missed stays deleted through purge and repair",
          "[sim][repair][gc]") {
  for_each_seed(20, [](uint64_t seed) {
    Simulation sim(seed);
    Network net(sim, NetworkConfig{});
    ReplicationSimOptions options;
    options.nodes = 3;  // Every node replicates every key.
    options.hints = false;
    options.sloppy = false;
    ReplicationCluster cluster(sim, net, options);
    constexpr size_t kKeys = 30;
    REQUIRE(write_keys(sim, cluster, kKeys, Consistency::kAll, "v") == kKeys);

    // One replica is partitioned away while every key is deleted.
    const size_t away = sim.rng().uniform(cluster.size());
    std::vector<std::string> rest;
    for (size_t i = 0; i < cluster.size(); ++i) {
      if (i != away) rest.push_back(cluster.address(i));
    }
    net.partition({cluster.address(away)}, rest);
    const size_t via = (away + 1) % cluster.size();
    for (size_t k = 0; k < kKeys; ++k) {
      auto read_context = [&] {
        std::optional<replication::ReadResult> result;
        cluster.read(via, key_of(k), Consistency::kQuorum,
                     [&](const replication::ReadResult& r) { result = r; });
        sim.run_until(sim.now() + 3s, [&] { return result.has_value(); });
        REQUIRE(result.has_value());
        REQUIRE(result->status.is_ok());
        return result->record.context;
      };
      replication::LocalWrite del;
      del.tombstone = true;
      del.context = read_context();
      std::optional<replication::WriteResult> result;
      cluster.write(via, key_of(k), del, Consistency::kQuorum,
                    [&](const replication::WriteResult& r) { result = r; });
      sim.run_until(sim.now() + 3s, [&] { return result.has_value(); });
      REQUIRE(result.has_value());
      REQUIRE(result->status.is_ok());
    }

    // Far past any grace period; compaction everywhere purges nothing: no repair covered it.
    sim.run_until(sim.now() + 30min);
    for (size_t i = 0; i < cluster.size(); ++i) cluster.compact(i);
    for (size_t i = 0; i < cluster.size(); ++i) CHECK(cluster.purged(i) == 0);
    // A repair cannot include the partitioned replica: it fails and records nothing.
    replication::RepairSessionConfig config = fast_config();
    config.attempts_max = 3;
    const RepairOutcome failed = run_repair(sim, cluster, via, config);
    CHECK_FALSE(failed.status.is_ok());
    for (size_t i = 0; i < cluster.size(); ++i) CHECK(cluster.repaired_before(i, key_of(0)) == 0);
    for (size_t i = 0; i < cluster.size(); ++i) cluster.compact(i);
    for (size_t i = 0; i < cluster.size(); ++i) CHECK(cluster.purged(i) == 0);

    // Healed and repaired (by any node): every replica now holds the tombstones; once the repair
    // started past the margin, compaction purges them everywhere, and nothing comes back.
    net.heal();
    sim.run_until(sim.now() + 2s);
    const RepairOutcome ok =
        run_repair(sim, cluster, sim.rng().uniform(cluster.size()), fast_config());
    REQUIRE(ok.status.is_ok());
    for (size_t i = 0; i < cluster.size(); ++i) CHECK(cluster.repaired_before(i, key_of(0)) > 0);
    for (size_t i = 0; i < cluster.size(); ++i) cluster.compact(i);
    for (size_t i = 0; i < cluster.size(); ++i) {
      INFO("seed " << seed << ", node " << i << (i == away ? " (was away)" : ""));
      CHECK(cluster.purged(i) == kKeys);
      for (size_t k = 0; k < kKeys; ++k) {
        auto stored = cluster.stored(i, key_of(k));
        REQUIRE(stored.is_ok());
        CHECK(stored->siblings.empty());
      }
    }
    // Reads at ALL find nothing, and another repair brings nothing back.
    const RepairOutcome again = run_repair(sim, cluster, away, fast_config());
    REQUIRE(again.status.is_ok());
    CHECK(again.stats.records_fetched + again.stats.records_pushed == 0);
    for (size_t k = 0; k < kKeys; ++k) {
      std::optional<replication::ReadResult> result;
      cluster.read(away, key_of(k), Consistency::kAll,
                   [&](const replication::ReadResult& r) { result = r; });
      sim.run_until(sim.now() + 3s, [&] { return result.has_value(); });
      REQUIRE(result.has_value());
      REQUIRE(result->status.is_ok());
      CHECK(replication::visible(result->record, UINT64_MAX / 2).live.empty());
    }
  });
}

TEST_CASE("no resurrection: a hint delivered after the purge does not bring a deleted value back",
          "[sim][repair][gc][hints]") {
  for_each_seed(20, [](uint64_t seed) {
    Simulation sim(seed);
    Network net(sim, NetworkConfig{});
    ReplicationSimOptions options;  // Hints and sloppy quorum on.
    ReplicationCluster cluster(sim, net, options);
    const std::string key = key_of(seed);
    const std::vector<size_t> replicas = cluster.replicas_of(key);
    const size_t missed = replicas[1];
    const size_t via = replicas[0];
    cluster.crash(missed);
    sim.run_until(sim.now() + 2s);
    replication::LocalWrite put;
    put.value = "old";
    put.content_type = "text/plain";
    std::optional<replication::WriteResult> wrote;
    cluster.write(via, key, put, Consistency::kQuorum,
                  [&](const replication::WriteResult& r) { wrote = r; });
    sim.run_until(sim.now() + 3s, [&] { return wrote.has_value(); });
    REQUIRE(wrote.has_value());
    REQUIRE(wrote->status.is_ok());
    sim.run_until(sim.now() + 1s);
    // Whoever holds the hint for the missed replica cannot reach it for now.
    std::vector<size_t> holders;
    for (size_t i = 0; i < cluster.size(); ++i) {
      if (cluster.up(i) && cluster.hints_held(i) > 0) holders.push_back(i);
    }
    REQUIRE_FALSE(holders.empty());
    for (size_t h : holders) net.block(cluster.address(h), cluster.address(missed));
    cluster.restart(missed);
    sim.run_until(sim.now() + 2s);

    // The value is deleted on every replica, time passes, a full repair runs, compaction purges.
    std::optional<replication::ReadResult> read;
    cluster.read(via, key, Consistency::kAll, [&](const replication::ReadResult& r) { read = r; });
    sim.run_until(sim.now() + 3s, [&] { return read.has_value(); });
    REQUIRE(read.has_value());
    REQUIRE(read->status.is_ok());
    replication::LocalWrite del;
    del.tombstone = true;
    del.context = read->record.context;
    wrote.reset();
    cluster.write(via, key, del, Consistency::kAll,
                  [&](const replication::WriteResult& r) { wrote = r; });
    sim.run_until(sim.now() + 3s, [&] { return wrote.has_value(); });
    REQUIRE(wrote.has_value());
    REQUIRE(wrote->status.is_ok());
    sim.run_until(sim.now() + 30min);
    const RepairOutcome repaired = run_repair(sim, cluster, via, fast_config());
    REQUIRE(repaired.status.is_ok());
    for (size_t r : replicas) {
      cluster.compact(r);
      auto stored = cluster.stored(r, key);
      REQUIRE(stored.is_ok());
      REQUIRE(stored->siblings.empty());  // Purged.
    }

    // Now the old hint gets through: the replica refuses it as older than the repair.
    net.heal();
    sim.run_until(sim.now() + 60s, [&] {
      for (size_t h : holders) {
        if (cluster.hints_held(h) != 0) return false;
      }
      return true;
    });
    for (size_t h : holders) CHECK(cluster.hints_held(h) == 0);
    INFO("seed " << seed);
    for (size_t r : replicas) {
      auto stored = cluster.stored(r, key);
      REQUIRE(stored.is_ok());
      CHECK(stored->siblings.empty());
    }
    read.reset();
    cluster.read(via, key, Consistency::kAll, [&](const replication::ReadResult& r) { read = r; });
    sim.run_until(sim.now() + 3s, [&] { return read.has_value(); });
    REQUIRE(read.has_value());
    CHECK(replication::visible(read->record, UINT64_MAX / 2).live.empty());
  });
}
