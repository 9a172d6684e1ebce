// Anti-entropy across real pairdb processes on 127.0.0.1-3 (RF 3):
//   - a replica restarted with an empty data directory (same node id and tokens) gets every key
//     back from `pairdb-admin repair`, which moves about one node's share of the data; a second
//     repair right away exchanges no record;
//   - the background scheduler alone (repair.interval_ms shortened) repairs a replica that
//     missed writes while its hints were truncated;
//   - TESTING.md scenario 4: one node partitioned away for 60 s while writes continue, then
//     healed and repaired: the replicas' trees match (the seconds until they did are printed),
//     and no acknowledged write is lost.
// Tables have read repair off, so only anti-entropy (and hints) bring data back.
#include <catch2/catch.hpp>

#include <boost/json.hpp>

#include <atomic>
#include <filesystem>
#include <thread>

#include "cluster/cluster_harness.h"
#include "support/command_runner.h"
#include "support/http_client.h"

using namespace pairdb::test;
using pairdb::wire::Consistency;

namespace {

constexpr size_t kNodes = 3;
// Scenario 4's writer: a paced load (300 writes/s spans the 60 s partition) that stops at a
// bound even if the partition lasts longer (so the final check stays bounded).
constexpr int kScenarioWritesMax = 30'000;
constexpr int kScenarioWritesPerSecond = 300;

void create_table(TestCluster& cluster, const std::string& name) {
  TableSpec spec;
  spec.name = name;
  spec.replication = {{"dc1", 3}};
  spec.read_repair = pairdb::wire::ReadRepair::Off;
  create_table_everywhere(cluster, spec);
}

// `pairdb-admin --json ARGS...` against node i: its exit code and parsed stdout (null when it
// printed no JSON).
struct AdminRun {
  int exit_code = -1;
  boost::json::value out;
  std::string describe;
};
AdminRun admin(TestCluster& cluster, size_t i, std::vector<std::string> args,
               int timeout_ms = 300'000) {
  std::vector<std::string> argv = {PAIRDB_ADMIN_PATH,
                                   "-h",
                                   cluster.process(i).host(),
                                   "-p",
                                   std::to_string(cluster.process(i).binary_port()),
                                   "--json"};
  argv.insert(argv.end(), args.begin(), args.end());
  const CommandResult result = run_command(argv, "", timeout_ms);
  AdminRun run;
  run.exit_code = result.exit_code;
  run.describe = result.describe();
  boost::system::error_code ec;
  run.out = boost::json::parse(result.out, ec);
  return run;
}

uint64_t json_u64(const boost::json::value& v, const char* field) {
  const auto* object = v.if_object();
  if (object == nullptr || !object->contains(field)) return UINT64_MAX;
  return boost::json::value_to<uint64_t>(object->at(field));
}

std::string value_of(int k) { return "value-" + std::to_string(k) + std::string(80, 'v'); }

// Writes keys [first, first + count) at `level` through node `via`; the first failure ("" when
// all were acknowledged). Safe on any thread.
std::string write_keys(TestCluster& cluster, size_t via, const std::string& table, int first,
                       int count, Consistency level) {
  auto client = cluster.client(via);
  if (!client) return "no connection to node " + std::to_string(via);
  for (int k = first; k < first + count; ++k) {
    auto put = client->put({.table = table,
                            .partition_key = "key-" + std::to_string(k),
                            .value = value_of(k),
                            .consistency = level});
    if (!put.is_ok()) return "write " + std::to_string(k) + ": " + put.describe();
  }
  return "";
}

// How many of the given keys node `holder`'s own copy lacks (getreplicas through `via`, which
// repairs nothing). Safe on any thread.
int missing_on(TestCluster& cluster, size_t via, size_t holder, const std::string& table,
               const std::vector<int>& keys) {
  auto client = cluster.client(via);
  if (!client) return static_cast<int>(keys.size());
  int missing = 0;
  for (int k : keys) {
    auto copies =
        client->get_replicas({.table = table, .partition_key = "key-" + std::to_string(k)});
    bool held = false;
    if (copies.is_ok()) {
      for (const auto& copy : copies->replicas) {
        if (copy.node_id != cluster.id(holder)) continue;
        held = copy.error.empty() && copy.found && copy.siblings.size() == 1 &&
               copy.siblings[0].value == value_of(k);
      }
    }
    if (!held) ++missing;
  }
  return missing;
}

// How many (key, replica) copies of the given keys are missing or wrong, one getreplicas per key
// through `via`. Safe on any thread.
int missing_anywhere(TestCluster& cluster, size_t via, const std::string& table,
                     const std::vector<int>& keys) {
  auto client = cluster.client(via);
  if (!client) return static_cast<int>(keys.size() * kNodes);
  int missing = 0;
  for (int k : keys) {
    auto copies =
        client->get_replicas({.table = table, .partition_key = "key-" + std::to_string(k)});
    int held = 0;
    if (copies.is_ok()) {
      for (const auto& copy : copies->replicas) {
        held += copy.error.empty() && copy.found && copy.siblings.size() == 1 &&
                copy.siblings[0].value == value_of(k);
      }
    }
    missing += static_cast<int>(kNodes) - held;
  }
  return missing;
}

std::vector<int> range_of(int first, int count, int step = 1) {
  std::vector<int> keys;
  for (int k = first; k < first + count; k += step) keys.push_back(k);
  return keys;
}

// Node i's ring tokens, as node.initial_tokens takes them.
std::string tokens_of(TestCluster& cluster, size_t i) {
  auto topology = cluster.topology(0);
  REQUIRE(topology.has_value());
  std::string csv;
  for (const auto& node : topology->nodes) {
    if (node.node_id != cluster.id(i)) continue;
    for (uint64_t t : node.tokens) csv += (csv.empty() ? "" : ",") + std::to_string(t);
  }
  REQUIRE_FALSE(csv.empty());
  return csv;
}

}  // namespace

TEST_CASE("a replica restarted empty gets every key back from pairdb-admin repair",
          "[cluster][repair]") {
  TestCluster cluster;
  cluster.extra_args = {"--repair.interval_ms", "0"};  // Only the operator repairs here.
  cluster.start(kNodes);
  create_table(cluster, "wiped");
  constexpr int kKeys = 50'000;
  const auto writing = SteadyClock::now();
  std::string second_error;
  std::thread second([&] {
    second_error = write_keys(cluster, 1, "wiped", kKeys / 2, kKeys / 2, Consistency::All);
  });
  const std::string first_error = write_keys(cluster, 0, "wiped", 0, kKeys / 2, Consistency::All);
  second.join();
  REQUIRE(first_error == "");
  REQUIRE(second_error == "");
  std::printf("repair: %d keys written at ALL in %.1f s\n", kKeys, seconds_since(writing));

  // Node 2 loses its disk: everything but its node id goes; it comes back at its old tokens.
  const std::string tokens = tokens_of(cluster, 2);
  cluster.kill(2);
  for (const auto& entry : std::filesystem::directory_iterator(cluster.data_dir(2))) {
    if (entry.path().filename() == "node_id" || entry.path().filename() == "context.key") continue;
    std::filesystem::remove_all(entry.path());
  }
  cluster.launch(2, {"--node.initial_tokens", tokens});
  REQUIRE(cluster_poll(kFormBound, [&] { return cluster.all_see_all_alive(); }));
  // Schema sync brings it the table (its catalog went with the disk).
  REQUIRE(cluster_poll(15s, [&] {
    auto client = cluster.client(2);
    return client && client->describe_table("wiped").is_ok();
  }));
  const std::vector<int> sample = range_of(0, kKeys, 97);
  REQUIRE(missing_on(cluster, 0, 2, "wiped", sample) == static_cast<int>(sample.size()));

  const auto repairing = SteadyClock::now();
  const AdminRun run = admin(cluster, 2, {"repair", "wiped"});
  const double repair_s = seconds_since(repairing);
  INFO(run.describe);
  REQUIRE(run.exit_code == 0);
  const uint64_t exchanged = json_u64(run.out, "records_exchanged");
  const uint64_t bytes = json_u64(run.out, "bytes_exchanged");
  std::printf("repair: wiped replica repaired in %.1f s: %llu records, %.1f MiB exchanged\n",
              repair_s, static_cast<unsigned long long>(exchanged), bytes / 1048576.0);
  // One node's share of the data: in 3 nodes at RF 3, every key, once.
  CHECK(exchanged >= static_cast<uint64_t>(kKeys));
  CHECK(exchanged <= static_cast<uint64_t>(kKeys) * 11 / 10);
  CHECK(missing_on(cluster, 0, 2, "wiped", range_of(0, kKeys)) == 0);

  const AdminRun again = admin(cluster, 2, {"repair", "wiped"});
  INFO(again.describe);
  REQUIRE(again.exit_code == 0);
  CHECK(json_u64(again.out, "records_exchanged") == 0);
  CHECK(json_u64(again.out, "records_differing") == 0);
}

TEST_CASE("the scheduler alone repairs a replica that missed writes while its hints were truncated",
          "[cluster][repair]") {
  TestCluster cluster;
  cluster.extra_args = {"--repair.interval_ms", "4000"};
  cluster.start(kNodes);
  create_table(cluster, "scheduled");
  cluster.kill(2);
  REQUIRE(cluster_poll(kDeadBound, [&] { return all_report_dead(cluster, {0, 1}, 2); }));
  constexpr int kKeys = 2'000;
  REQUIRE(write_keys(cluster, 0, "scheduled", 0, kKeys, Consistency::Quorum) == "");
  // The hints node 2 would have had are thrown away: its ranges are marked for repair instead.
  for (size_t i : {0, 1}) {
    const AdminRun truncated = admin(cluster, i, {"handoff", "truncate"});
    INFO(truncated.describe);
    REQUIRE(truncated.exit_code == 0);
    CHECK(node_metric(cluster, i, "pairdb_hints_bytes") == 0);
  }
  cluster.launch(2);
  const auto restarted = SteadyClock::now();
  const bool repaired = cluster_poll(
      120s, [&] { return missing_on(cluster, 0, 2, "scheduled", range_of(0, kKeys, 7)) == 0; });
  INFO(cluster.diagnostics());
  REQUIRE(repaired);
  CHECK(missing_on(cluster, 0, 2, "scheduled", range_of(0, kKeys)) == 0);
  double completed = 0;
  for (size_t i = 0; i < kNodes; ++i)
    completed += node_metric(cluster, i, "pairdb_repair_sessions_completed");
  std::printf(
      "repair: the scheduler repaired the restarted replica %.1f s after its restart "
      "(%.0f sessions completed)\n",
      seconds_since(restarted), completed);
  CHECK(completed > 0);
}

TEST_CASE("a node partitioned away while writes continue converges after heal and repair",
          "[cluster][repair][scenario4]") {
  const char* override_s = std::getenv("PAIRDB_REPAIR_PARTITION_SECONDS");
  const double partition_s = override_s != nullptr ? std::atof(override_s) : 60.0;
  TestCluster cluster;
  // No hints: what the isolated node missed comes back by repair alone.
  cluster.extra_args = {"--repair.interval_ms", "0", "--hints.max_window_ms", "0"};
  cluster.start(kNodes);
  create_table(cluster, "scenario4");

  std::atomic<bool> stop{false};
  std::vector<int> acked;
  const auto began = SteadyClock::now();
  std::thread writer([&] {
    auto client = cluster.client(0);
    if (!client) return;
    for (int k = 0; !stop && k < kScenarioWritesMax; ++k) {
      // Paced, so that writes go on for the whole partition within the bound on their number.
      std::this_thread::sleep_until(
          began + std::chrono::microseconds(k * 1'000'000LL / kScenarioWritesPerSecond));
      auto put = client->put({.table = "scenario4",
                              .partition_key = "key-" + std::to_string(k),
                              .value = value_of(k),
                              .consistency = Consistency::Quorum});
      if (put.is_ok()) acked.push_back(k);
    }
  });
  cluster.isolate(2);
  const auto isolated = SteadyClock::now();
  // The scenario's length, not a synchronisation: writes go on throughout.
  cluster_poll(
      std::chrono::milliseconds(static_cast<int64_t>((partition_s + 5) * 1000)),
      [&] { return seconds_since(isolated) >= partition_s; }, 500ms);
  cluster.heal();
  const auto healed = SteadyClock::now();
  REQUIRE(cluster_poll(kFormBound, [&] { return cluster.all_see_all_alive(); }));
  stop = true;
  writer.join();
  REQUIRE(acked.size() > 100);

  // Repair node 2's ranges until a session finds nothing differing: the trees match.
  double match_s = -1;
  uint64_t first_differing = 0;
  uint64_t exchanged = 0;
  const bool matched = cluster_poll(180s, [&] {
    const AdminRun run = admin(cluster, 2, {"repair", "scenario4"});
    if (run.exit_code != 0) return false;
    const uint64_t differing = json_u64(run.out, "records_differing");
    if (first_differing == 0) first_differing = differing;
    exchanged += json_u64(run.out, "records_exchanged");
    if (differing != 0) return false;
    match_s = seconds_since(healed);
    return true;
  });
  INFO(cluster.diagnostics());
  REQUIRE(matched);
  std::printf(
      "scenario 4: %.0f s partition, %zu QUORUM writes acknowledged; trees matched %.1f "
      "s after the heal (first repair found %llu records differing; %llu exchanged)\n",
      partition_s, acked.size(), match_s, static_cast<unsigned long long>(first_differing),
      static_cast<unsigned long long>(exchanged));
  // Nothing acknowledged is lost: every replica holds every acknowledged write.
  CHECK(missing_anywhere(cluster, 0, "scenario4", acked) == 0);
}
