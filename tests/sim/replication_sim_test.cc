// Replication under the deterministic simulator: the real coordinator, ReplicaService, codec and
// LSM (on FaultyEnv) on 5 nodes, RF 3, while clients write and read at random levels and the
// network drops, duplicates, delays and reorders messages, partitions nodes (also one way), nodes
// crash (losing what they had not synced) and restart, pause, and clocks skew. After the faults
// heal, a read at ALL of every key checks, per seed:
//   - siblings tables: no acknowledged write is lost (it is a live sibling, or a write that may
//     have been applied carried a context covering it);
//   - every replica then holds the identical record; no record exceeds siblings_max;
//   - a keyed write retried through any coordinator while its owner (the first live replica)
//     is unchanged applied at most once;
//   - without faults, a client reads its own acknowledged write at R + W > N.
// PAIRDB_REPLICATION_SIM_SEEDS=N runs N seeds (default 300); PAIRDB_REPLICATION_SIM_SEED=S
// replays one. Each failure prints its seed.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <set>

#include "sim/lib/replication_cluster.h"
#include "unit/replication/replication_test_util.h"

using namespace pairdb;
using namespace pairdb::sim;
using namespace std::chrono_literals;
using replication::Consistency;

namespace {

constexpr Consistency kLevels[] = {Consistency::kOne, Consistency::kTwo, Consistency::kQuorum,
                                   Consistency::kAll};
constexpr size_t kKeys = 8;
constexpr uint32_t kReplicas = 3;

uint32_t acks_of(Consistency level) { return replication::required_replicas(level, kReplicas); }

// A write as the checker knows it: what it wrote, what it replaced, and what became of it.
struct WriteLog {
  std::string key;
  std::string value;  // Unique; empty for a delete.
  replication::VersionVector context;
  std::string idempotency_key;
  std::optional<size_t> owner;  // A keyed write's owner when it was first sent.
  enum class Outcome { kPending, kOk, kFailed, kUnknown } outcome = Outcome::kPending;
  std::optional<replication::Dot> dot;  // Once acknowledged.
};

struct Faults {
  bool enabled = true;
  double loss = 0;
  double duplicate = 0;
};

struct RunReport {
  uint64_t acked = 0;
  uint64_t unknown = 0;
  uint64_t failed = 0;
  uint64_t reads_ok = 0;
  uint64_t lost = 0;
  double simulated_s = 0;
  size_t nodes = 0;
};

class Workload {
 public:
  Workload(uint64_t seed, Faults faults, replication::ConflictMode mode)
      : sim_(seed), net_(sim_, network_config(faults)), faults_(faults), mode_(mode) {
    ReplicationSimOptions options;
    options.mode = mode;
    options.siblings_max = 100;
    cluster_ = std::make_unique<ReplicationCluster>(sim_, net_, options);
  }

  RunReport run(size_t clients, size_t ops_per_client) {
    for (size_t c = 0; c < clients; ++c) {
      sim_.schedule_after(Duration(sim_.rng().uniform(20'000)),
                          [this, c, ops_per_client] { next_op(c, ops_per_client); });
    }
    if (faults_.enabled) schedule_faults();
    sim_.run_until(sim_.now() + 30s, [this, clients] { return finished_clients_ == clients; });
    REQUIRE(finished_clients_ == clients);
    heal_and_check();
    RunReport report;
    for (const WriteLog& w : writes_) {
      report.acked += w.outcome == WriteLog::Outcome::kOk;
      report.unknown += w.outcome == WriteLog::Outcome::kUnknown;
      report.failed += w.outcome == WriteLog::Outcome::kFailed;
    }
    report.reads_ok = reads_ok_;
    report.simulated_s = sim_.now().seconds();
    report.nodes = cluster_->size();
    return report;
  }

 private:
  static NetworkConfig network_config(const Faults& faults) {
    NetworkConfig config;
    config.loss = faults.loss;
    config.duplicate = faults.duplicate;
    return config;
  }

  size_t random_up_node() {
    for (int attempt = 0; attempt < 100; ++attempt) {
      const size_t i = sim_.rng().uniform(cluster_->size());
      if (cluster_->up(i)) return i;
    }
    FAIL("no node is up");
    return 0;
  }

  void next_op(size_t client, size_t remaining) {
    if (remaining == 0) {
      ++finished_clients_;
      return;
    }
    auto then = [this, client, remaining] {
      sim_.schedule_after(Duration(sim_.rng().uniform(20'000)),
                          [this, client, remaining] { next_op(client, remaining - 1); });
    };
    const std::string key = "k" + std::to_string(sim_.rng().uniform(kKeys));
    const uint64_t dice = sim_.rng().uniform(10);
    if (dice < 5) {
      blind_write(key, then);
    } else if (dice < 7) {
      read_modify_write(key, then);
    } else {
      read_only(key, then);
    }
  }

  Consistency random_level() { return kLevels[sim_.rng().uniform(std::size(kLevels))]; }

  void blind_write(const std::string& key, std::function<void()> then) {
    replication::LocalWrite write;
    write.value = "v" + std::to_string(writes_.size());
    write.content_type = "text/plain";
    if (sim_.rng().uniform(3) == 0) write.idempotency_key = "idem-" + write.value;
    issue(random_up_node(), key, std::move(write), random_level(), /*retries=*/1, then);
  }

  void read_modify_write(const std::string& key, std::function<void()> then) {
    const size_t via = random_up_node();
    cluster_->read(via, key, random_level(),
                   [this, key, then](const replication::ReadResult& read) {
                     if (!read.status.is_ok()) {
                       then();
                       return;
                     }
                     check_read(read.record);
                     replication::LocalWrite write;
                     write.context = read.record.context;
                     // One in four replaces what it read with a delete.
                     write.tombstone = sim_.rng().uniform(4) == 0;
                     if (!write.tombstone) {
                       write.value = "v" + std::to_string(writes_.size());
                       write.content_type = "text/plain";
                     }
                     issue(random_up_node(), key, std::move(write), random_level(), 0, then);
                   });
  }

  void read_only(const std::string& key, std::function<void()> then) {
    cluster_->read(random_up_node(), key, random_level(),
                   [this, then](const replication::ReadResult& read) {
                     if (read.status.is_ok()) check_read(read.record);
                     then();
                   });
  }

  void check_read(const replication::VersionRecord& record) {
    ++reads_ok_;
    REQUIRE(record.siblings.size() <= 100);
  }

  // Sends a logged write; a keyed write that times out is retried through a random node, which
  // hands it to the key's owner; while the owner is the same node, the retry finds the first
  // attempt's idempotency entry there.
  void issue(size_t via, const std::string& key, replication::LocalWrite write, Consistency level,
             int retries, std::function<void()> then) {
    const size_t index = writes_.size();
    writes_.push_back({key, write.tombstone ? "" : write.value, write.context,
                       write.idempotency_key, cluster_->owner_of(key), WriteLog::Outcome::kPending,
                       std::nullopt});
    send(index, via, std::move(write), level, retries, std::move(then));
  }

  void send(size_t index, size_t via, replication::LocalWrite write, Consistency level, int retries,
            std::function<void()> then) {
    const std::string key = writes_[index].key;
    cluster_->write(via, key, write, level,
                    [this, index, write, level, retries, then](const replication::WriteResult& r) {
                      WriteLog& w = writes_[index];
                      if (r.status.is_ok()) {
                        w.outcome = WriteLog::Outcome::kOk;
                        REQUIRE(r.acked >= acks_of(level));
                        for (const auto& s : r.record.siblings) {
                          if (!w.value.empty() && s.value == w.value) w.dot = s.dot;
                        }
                        // A keyed retry answers the record as it is now, which a later write may
                        // already have superseded: its idempotency entry still names the original
                        // dot.
                        for (const auto& entry : r.record.idempotency) {
                          if (!w.idempotency_key.empty() && entry.key == w.idempotency_key)
                            w.dot = entry.dot;
                        }
                        // A delete leaves no sibling to name; a write the record superseded at once
                        // (LWW) neither.
                        if (mode_ == replication::ConflictMode::kSiblings && !w.value.empty()) {
                          REQUIRE(w.dot.has_value());
                        }
                      } else if (r.status.code() == StatusCode::kTimeout) {
                        w.outcome = WriteLog::Outcome::kUnknown;
                        const auto owner = cluster_->owner_of(w.key);
                        if (retries > 0 && !w.idempotency_key.empty() && owner &&
                            owner == w.owner && cluster_->up(*owner)) {
                          send(index, random_up_node(), write, level, retries - 1, then);
                          return;
                        }
                      } else {
                        // Unavailable: nothing was written. (A failure after a partial apply would
                        // be a bug: the coordinator answers those Timeout.)
                        REQUIRE(r.status.code() == StatusCode::kUnavailable);
                        if (w.outcome != WriteLog::Outcome::kUnknown)
                          w.outcome = WriteLog::Outcome::kFailed;
                      }
                      then();
                    });
  }

  void schedule_faults() {
    const size_t events = 2 + sim_.rng().uniform(5);
    for (size_t e = 0; e < events; ++e) {
      const Duration at = Duration(sim_.rng().uniform(8'000'000));
      sim_.schedule_after(at, [this] { one_fault(); });
    }
    for (size_t i = 0; i < cluster_->size(); ++i) {
      cluster_->set_clock_skew_ms(i, static_cast<int64_t>(sim_.rng().uniform(1001)) - 500);
    }
  }

  void one_fault() {
    if (healed_) return;  // The run is over: faults scheduled past its end do not happen.
    const size_t node = sim_.rng().uniform(cluster_->size());
    const Duration length = Duration(100'000 + sim_.rng().uniform(3'000'000));
    switch (sim_.rng().uniform(4)) {
      case 0:  // Crash, restart later.
        cluster_->crash(node);
        sim_.schedule_after(length, [this, node] { cluster_->restart(node); });
        break;
      case 1:
        cluster_->pause(node, length);
        break;
      case 2: {  // Partition the node from the rest, maybe one way only.
        const bool one_way = sim_.rng().uniform(2) == 0;
        for (size_t j = 0; j < cluster_->size(); ++j) {
          if (j == node) continue;
          net_.block(addr(node), addr(j));
          if (!one_way) net_.block(addr(j), addr(node));
        }
        sim_.schedule_after(length, [this] { net_.heal(); });
        break;
      }
      default:  // A burst of loss.
        net_.config().loss = std::min(0.3, net_.config().loss + 0.1);
        sim_.schedule_after(length, [this] {
          if (!healed_) net_.config().loss = faults_.loss;
        });
        break;
    }
  }

  static std::string addr(size_t i) { return "node" + std::to_string(i) + ":7402"; }

  void heal_and_check() {
    healed_ = true;
    for (size_t i = 0; i < cluster_->size(); ++i) cluster_->restart(i);
    net_.heal();
    net_.config().loss = 0;
    net_.config().duplicate = 0;
    sim_.run_until(sim_.now() + 3s);  // Views catch up; every timer fires.
    // Every hint reaches its target once all are back (their holders synced them).
    sim_.run_until(sim_.now() + 20s, [this] { return cluster_->handoff_idle(); });
    REQUIRE(cluster_->handoff_idle());
    for (size_t i = 0; i < cluster_->size(); ++i) {
      INFO("node " << i << ": " << cluster_->hint_report(i));
      CHECK(cluster_->hints_held(i) == 0);
    }
    for (size_t k = 0; k < kKeys; ++k) final_check("k" + std::to_string(k));
  }

  void final_check(const std::string& key) {
    std::optional<replication::VersionRecord> final_record;
    for (int attempt = 0; attempt < 5 && !final_record; ++attempt) {
      cluster_->read(0, key, Consistency::kAll, [&](const replication::ReadResult& r) {
        if (r.status.is_ok()) final_record = r.record;
      });
      sim_.run_until(sim_.now() + 2s);
    }
    INFO("key " << key);
    REQUIRE(final_record.has_value());
    // Every replica now holds the same record.
    for (size_t r : cluster_->replicas_of(key)) {
      auto stored = cluster_->stored(r, key);
      REQUIRE(stored.is_ok());
      CHECK(replication::encode_record(*stored) == replication::encode_record(*final_record));
      CHECK(stored->siblings.size() <= 100);
    }
    if (mode_ == replication::ConflictMode::kLww) {
      CHECK(final_record->siblings.size() <= 1);
      return;
    }
    std::map<std::string, size_t> copies;
    for (const auto& s : final_record->siblings) {
      if (!s.tombstone) ++copies[s.value];
    }
    for (const WriteLog& w : writes_) {
      if (w.key != key || w.value.empty()) continue;
      CHECK(copies[w.value] <= 1);  // Applied at most once.
      if (w.outcome != WriteLog::Outcome::kOk) continue;
      if (copies[w.value] >= 1) continue;
      if (superseded(key, *w.dot)) continue;
      ++lost_;
      FAIL("acknowledged write " << w.value << " of " << key << " is lost");
    }
  }

  // Whether a write that may have been applied carried a context covering `dot`.
  bool superseded(const std::string& key, const replication::Dot& dot) const {
    for (const WriteLog& w : writes_) {
      if (w.key != key || w.outcome == WriteLog::Outcome::kFailed) continue;
      if (w.context.covers(dot)) return true;
    }
    return false;
  }

  Simulation sim_;
  Network net_;
  Faults faults_;
  replication::ConflictMode mode_;
  std::unique_ptr<ReplicationCluster> cluster_;
  std::vector<WriteLog> writes_;
  size_t finished_clients_ = 0;
  uint64_t reads_ok_ = 0;
  uint64_t lost_ = 0;
  bool healed_ = false;
};

template <typename Fn>
void for_each_seed(uint64_t default_seeds, Fn&& fn) {
  replication::testing::for_each_seed(default_seeds, fn, "PAIRDB_REPLICATION_SIM");
}

}  // namespace

TEST_CASE("no acknowledged write is lost under loss, partitions, crashes, pauses and skew",
          "[sim][replication]") {
  RunReport total;
  uint64_t runs = 0;
  const auto started = std::chrono::steady_clock::now();
  for_each_seed(300, [&](uint64_t seed) {
    Faults faults;
    faults.loss = static_cast<double>(seed % 4) * 0.02;
    faults.duplicate = seed % 3 == 0 ? 0.02 : 0;
    const auto mode =
        seed % 5 == 0 ? replication::ConflictMode::kLww : replication::ConflictMode::kSiblings;
    Workload workload(seed, faults, mode);
    const RunReport r = workload.run(/*clients=*/4, /*ops_per_client=*/25);
    REQUIRE(r.lost == 0);
    total.acked += r.acked;
    total.unknown += r.unknown;
    total.failed += r.failed;
    total.reads_ok += r.reads_ok;
    total.simulated_s += r.simulated_s;
    total.nodes = r.nodes;
    ++runs;
  });
  const double wall_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::printf(
      "replication sim: %llu seeds, %llu writes acknowledged, %llu unknown, %llu unavailable, "
      "%llu reads; %.1f simulated node-hours, %.0f simulated s per wall s\n",
      static_cast<unsigned long long>(runs), static_cast<unsigned long long>(total.acked),
      static_cast<unsigned long long>(total.unknown), static_cast<unsigned long long>(total.failed),
      static_cast<unsigned long long>(total.reads_ok),
      total.simulated_s * static_cast<double>(total.nodes) / 3600.0,
      total.simulated_s / std::max(wall_s, 1e-9));
  CHECK(total.acked > 0);
}

TEST_CASE("without faults a client reads its own acknowledged writes at R + W > N",
          "[sim][replication]") {
  for_each_seed(50, [&](uint64_t seed) {
    Simulation sim(seed);
    Network net(sim, NetworkConfig{});
    ReplicationCluster cluster(sim, net, ReplicationSimOptions{});
    const std::pair<Consistency, Consistency> pairs[] = {
        {Consistency::kQuorum, Consistency::kQuorum},
        {Consistency::kOne, Consistency::kAll},
        {Consistency::kAll, Consistency::kOne}};
    for (int i = 0; i < 20; ++i) {
      const auto [w, r] = pairs[sim.rng().uniform(std::size(pairs))];
      const std::string key = "k" + std::to_string(sim.rng().uniform(kKeys));
      replication::LocalWrite write;
      write.value = "own" + std::to_string(i);
      write.content_type = "text/plain";
      std::optional<replication::WriteResult> written;
      cluster.write(sim.rng().uniform(cluster.size()), key, write, w,
                    [&](const replication::WriteResult& result) { written = result; });
      sim.run_until(sim.now() + 1s, [&] { return written.has_value(); });
      REQUIRE(written.has_value());
      REQUIRE(written->status.is_ok());
      std::optional<replication::ReadResult> read;
      cluster.read(sim.rng().uniform(cluster.size()), key, r,
                   [&](const replication::ReadResult& result) { read = result; });
      sim.run_until(sim.now() + 1s, [&] { return read.has_value(); });
      REQUIRE(read.has_value());
      REQUIRE(read->status.is_ok());
      bool seen = false;
      for (const auto& s : read->record.siblings) seen = seen || s.value == write.value;
      INFO("write at " << replication::consistency_name(w) << ", read at "
                       << replication::consistency_name(r));
      CHECK(seen);
    }
  });
}

namespace {

// Writes `count` keys at `level` through random up nodes; returns how many were acknowledged
// (the rest answered an error, asserted to be `refusal` when given).
size_t write_keys(Simulation& sim, ReplicationCluster& cluster, const std::string& prefix,
                  size_t count, Consistency level,
                  std::optional<StatusCode> refusal = std::nullopt) {
  size_t acked = 0;
  for (size_t k = 0; k < count; ++k) {
    size_t via = sim.rng().uniform(cluster.size());
    while (!cluster.up(via)) via = (via + 1) % cluster.size();
    replication::LocalWrite write;
    write.value = prefix + std::to_string(k);
    write.content_type = "text/plain";
    std::optional<replication::WriteResult> result;
    cluster.write(via, prefix + std::to_string(k), write, level,
                  [&](const replication::WriteResult& r) { result = r; });
    sim.run_until(sim.now() + 2s, [&] { return result.has_value(); });
    REQUIRE(result.has_value());
    if (result->status.is_ok()) {
      ++acked;
    } else if (refusal) {
      CHECK(result->status.code() == *refusal);
    }
  }
  return acked;
}

// Whether node i's own copy of key prefix+k holds the value written.
bool holds(ReplicationCluster& cluster, size_t i, const std::string& prefix, size_t k) {
  auto stored = cluster.stored(i, prefix + std::to_string(k));
  REQUIRE(stored.is_ok());
  for (const auto& s : stored->siblings) {
    if (s.value == prefix + std::to_string(k)) return true;
  }
  return false;
}

}  // namespace

TEST_CASE(
    "writes a replica missed reach it after it returns, without any read, and a crashed "
    "holder still delivers",
    "[sim][replication][hints]") {
  for_each_seed(100, [&](uint64_t seed) {
    Simulation sim(seed);
    NetworkConfig config;
    config.duplicate = seed % 2 == 0 ? 0.05 : 0;  // Hints delivered twice merge as once.
    Network net(sim, config);
    ReplicationSimOptions options;
    options.sloppy = seed % 3 != 0;
    ReplicationCluster cluster(sim, net, options);
    const size_t down = sim.rng().uniform(cluster.size());
    cluster.crash(down);
    sim.run_until(sim.now() + 2s);  // Detected dead.
    constexpr size_t kCount = 40;
    const Consistency level = seed % 2 == 0 ? Consistency::kQuorum : Consistency::kOne;
    REQUIRE(write_keys(sim, cluster, "h", kCount, level) == kCount);
    sim.run_until(sim.now() + 1s);  // Every write's replicas answered or timed out: hints kept.
    // Half of the seeds also crash a node holding hints before the target is back.
    std::optional<size_t> holder;
    if (seed % 2 == 1) {
      for (size_t i = 0; i < cluster.size() && !holder; ++i) {
        if (cluster.up(i) && cluster.hints_held(i) > 0) holder = i;
      }
      REQUIRE(holder.has_value());
      cluster.crash(*holder);
      sim.run_until(sim.now() + 2s);
    }
    cluster.restart(down);
    if (holder) {
      sim.run_until(sim.now() + 3s);
      cluster.restart(*holder);  // Its synced hints are still there and go out now.
    }
    sim.run_until(sim.now() + 30s, [&] {
      if (!cluster.handoff_idle()) return false;
      for (size_t i = 0; i < cluster.size(); ++i) {
        if (cluster.hints_held(i) != 0) return false;
      }
      return true;
    });
    INFO("seed " << seed << ", replica down " << down);
    for (size_t i = 0; i < cluster.size(); ++i) CHECK(cluster.hints_held(i) == 0);
    // No read was made: every natural replica holds every write, by hints alone.
    size_t missing = 0;
    for (size_t k = 0; k < kCount; ++k) {
      for (size_t r : cluster.replicas_of("h" + std::to_string(k))) {
        if (!holds(cluster, r, "h", k)) ++missing;
      }
    }
    CHECK(missing == 0);
    CHECK(cluster.counters().hints_delivered > 0);
  });
}

TEST_CASE("with two natural replicas dead, QUORUM writes succeed only under a sloppy quorum",
          "[sim][replication][hints]") {
  for_each_seed(40, [&](uint64_t seed) {
    for (const bool sloppy : {true, false}) {
      Simulation sim(seed);
      Network net(sim, NetworkConfig{});
      ReplicationSimOptions options;
      options.sloppy = sloppy;
      ReplicationCluster cluster(sim, net, options);
      // Keys whose first two natural replicas are nodes a and b.
      const std::vector<size_t> first = cluster.replicas_of("s0");
      const size_t a = first[0];
      const size_t b = first[1];
      std::vector<size_t> keys;
      for (size_t k = 0; k < 400 && keys.size() < 10; ++k) {
        const auto& r = cluster.replicas_of("s" + std::to_string(k));
        if (std::count(r.begin(), r.end(), a) + std::count(r.begin(), r.end(), b) == 2) {
          keys.push_back(k);
        }
      }
      REQUIRE(!keys.empty());
      cluster.crash(a);
      cluster.crash(b);
      sim.run_until(sim.now() + 2s);
      size_t acked = 0;
      for (size_t k : keys) {
        replication::LocalWrite write;
        write.value = "s" + std::to_string(k);
        write.content_type = "text/plain";
        std::optional<replication::WriteResult> result;
        size_t via = sim.rng().uniform(cluster.size());
        while (!cluster.up(via)) via = (via + 1) % cluster.size();
        cluster.write(via, "s" + std::to_string(k), write, Consistency::kQuorum,
                      [&](const replication::WriteResult& r) { result = r; });
        sim.run_until(sim.now() + 2s, [&] { return result.has_value(); });
        REQUIRE(result.has_value());
        INFO("seed " << seed << (sloppy ? ", sloppy" : ", strict"));
        if (sloppy) {
          CHECK(result->status.is_ok());
        } else {
          CHECK(result->status.code() == StatusCode::kUnavailable);
        }
        acked += result->status.is_ok();
      }
      if (!sloppy) continue;
      CHECK(cluster.counters().fallback_writes >= 2 * acked);
      cluster.restart(a);
      cluster.restart(b);
      sim.run_until(sim.now() + 30s, [&] {
        for (size_t i = 0; i < cluster.size(); ++i) {
          if (cluster.up(i) && cluster.hints_held(i) != 0) return false;
        }
        return true;
      });
      for (size_t k : keys) {
        CHECK(holds(cluster, a, "s", k));
        CHECK(holds(cluster, b, "s", k));
      }
    }
  });
}

TEST_CASE("hints for a dropped table are dropped, never applied", "[sim][replication][hints]") {
  for_each_seed(30, [&](uint64_t seed) {
    Simulation sim(seed);
    Network net(sim, NetworkConfig{});
    ReplicationCluster cluster(sim, net, ReplicationSimOptions{});
    const size_t down = sim.rng().uniform(cluster.size());
    cluster.crash(down);
    sim.run_until(sim.now() + 2s);
    constexpr size_t kCount = 20;
    REQUIRE(write_keys(sim, cluster, "d", kCount, Consistency::kQuorum) == kCount);
    sim.run_until(sim.now() + 1s);
    uint64_t held = 0;
    for (size_t i = 0; i < cluster.size(); ++i) held += cluster.up(i) ? cluster.hints_held(i) : 0;
    REQUIRE(held > 0);
    cluster.drop_table();
    cluster.restart(down);
    sim.run_until(sim.now() + 10s, [&] {
      for (size_t i = 0; i < cluster.size(); ++i) {
        if (cluster.hints_held(i) != 0) return false;
      }
      return true;
    });
    INFO("seed " << seed);
    for (size_t i = 0; i < cluster.size(); ++i) CHECK(cluster.hints_held(i) == 0);
    CHECK(cluster.counters().hints_dropped == held);
    CHECK(cluster.counters().hints_delivered == 0);
    // The returning replica never received any of them.
    for (size_t k = 0; k < kCount; ++k) {
      auto stored = cluster.stored(down, "d" + std::to_string(k));
      REQUIRE(stored.is_ok());
      CHECK(stored->siblings.empty());
    }
  });
}
