// A fault run with a checker, on three real pairdb processes (RF 3): concurrent clients write
// unique values at QUORUM through random nodes and log each operation as invoked -> ok, failed
// or unknown, while one node at a time is killed with SIGKILL and restarted, for
// PAIRDB_FAULT_RUN_SECONDS (default 60). Then every node is up again, the clients write on for a
// few seconds without faults, and every logged write is read back at ALL.
//
// Longer runs: PAIRDB_FAULT_RUN_SECONDS=600 build/asan/bin/cluster_fault_run_test (through
// ctest the test has 300 s in all).
//
// Checked: no acknowledged write is lost. A failed write (refused before anything was applied,
// or never sent) may or may not be found; an unknown one (Timeout, or a connection lost after
// the request went out) likewise. Printed: the counts of each outcome, how many unknown writes
// were applied after all, and p50/p99 write latency during and after the faults.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <mutex>
#include <random>
#include <thread>

#include "cluster/cluster_harness.h"

using namespace pairdb::test;
using pairdb::wire::Consistency;
using pairdb::wire::ErrorCode;

namespace {

constexpr size_t kNodes = 3;
constexpr size_t kClients = 4;
// Bounds the load whatever the pace (at 20 ms a write, 65 s take about 3,000).
constexpr int kWritesPerClientMax = 6000;

enum class Outcome { kOk, kFailed, kUnknown };

struct LoggedWrite {
  std::string key;  // The value is the key: unique per write.
  Outcome outcome;
  bool during_faults;
  double latency_ms;
};

// Where each node's binary protocol listens now; the fault schedule updates it on restart.
class Endpoints {
 public:
  void set(size_t i, std::string host, uint16_t port) {
    std::lock_guard lock(mutex_);
    endpoints_[i] = {std::move(host), port};
  }
  void set_down(size_t i) {
    std::lock_guard lock(mutex_);
    endpoints_[i].second = 0;
  }
  std::optional<std::pair<std::string, uint16_t>> get(size_t i) {
    std::lock_guard lock(mutex_);
    if (endpoints_[i].second == 0) return std::nullopt;
    return endpoints_[i];
  }

 private:
  std::mutex mutex_;
  std::pair<std::string, uint16_t> endpoints_[kNodes];
};

double percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const size_t at = std::min(values.size() - 1, static_cast<size_t>(p * values.size()));
  return values[at];
}

// One client's closed loop: a write through a random live node, logged with its outcome.
// No Catch2 assertions here (other threads): everything goes in the log.
void client_loop(size_t id, Endpoints& endpoints, const std::atomic<bool>& faults_on,
                 const std::atomic<bool>& stop, std::vector<LoggedWrite>& log) {
  std::mt19937 rng(static_cast<uint32_t>(id) + 1);
  std::optional<WireClient> client;
  for (int n = 0; n < kWritesPerClientMax && !stop.load(); ++n) {
    if (!client) {
      const auto endpoint = endpoints.get(rng() % kNodes);
      if (!endpoint) continue;  // That node is down: pick another.
      auto connected = WireClient::connect(endpoint->first, endpoint->second,
                                           {.connect_timeout_ms = 1000, .call_timeout_ms = 5000});
      if (!connected.is_ok()) continue;
      client.emplace(std::move(connected).value());
    }
    const std::string key = fmt::format("c{}-{}", id, n);
    const bool during = faults_on.load();
    const auto invoked = SteadyClock::now();
    auto put = client->put({.table = "faults",
                            .partition_key = key,
                            .value = key,
                            .consistency = Consistency::Quorum});
    const double ms = seconds_since(invoked) * 1000;
    Outcome outcome = Outcome::kOk;
    if (put.is_transport_error()) {
      outcome = Outcome::kUnknown;  // The request may have reached the node before it died.
      client.reset();
    } else if (put.is_server_error()) {
      // Unavailable, Overloaded and ShuttingDown apply nothing; Timeout may have applied it.
      outcome = put.error().code == ErrorCode::Timeout ? Outcome::kUnknown : Outcome::kFailed;
    }
    log.push_back({key, outcome, during, ms});
    // A new node now and then, so every coordinator takes part.
    if (rng() % 50 == 0) client.reset();
    // Pacing, not synchronisation: keeps the final read-back of every write short.
    std::this_thread::sleep_for(20ms);
  }
}

}  // namespace

TEST_CASE("a fault run: kill -9 and restart one node at a time, no acknowledged write is lost",
          "[cluster][replication][faults]") {
  const char* seconds_env = std::getenv("PAIRDB_FAULT_RUN_SECONDS");
  const double fault_seconds = seconds_env != nullptr ? std::atof(seconds_env) : 60.0;
  TestCluster cluster;
  cluster.start(kNodes);
  {
    TableSpec spec;
    spec.name = "faults";
    spec.replication = {{"dc1", 3}};
    REQUIRE(cluster.connect(0).create_table(spec).is_ok());
    REQUIRE(cluster_poll(15s, [&] {
      return cluster.every_node([](WireClient& c) { return c.describe_table("faults").is_ok(); });
    }));
  }
  Endpoints endpoints;
  for (size_t i = 0; i < kNodes; ++i) {
    endpoints.set(i, fmt::format("127.0.0.{}", i + 1), cluster.process(i).binary_port());
  }

  std::atomic<bool> faults_on{true};
  std::atomic<bool> stop{false};
  std::vector<std::vector<LoggedWrite>> logs(kClients);
  std::vector<std::thread> clients;
  for (size_t c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] { client_loop(c, endpoints, faults_on, stop, logs[c]); });
  }

  // The fault schedule: kill a random node, leave it down a while, restart it, let it settle.
  std::mt19937 rng(2026);
  const auto started = SteadyClock::now();
  int kills = 0;
  while (seconds_since(started) < fault_seconds) {
    const size_t victim = rng() % kNodes;
    endpoints.set_down(victim);
    cluster.kill(victim);
    ++kills;
    std::this_thread::sleep_for(std::chrono::milliseconds(2000 + rng() % 3000));  // Down time.
    cluster.launch(victim);
    endpoints.set(victim, fmt::format("127.0.0.{}", victim + 1),
                  cluster.process(victim).binary_port());
    std::this_thread::sleep_for(std::chrono::milliseconds(1000 + rng() % 3000));  // Up time.
  }
  const double faulted_s = seconds_since(started);
  // Heal: every node up and seen alive, then a few seconds of writes without faults.
  REQUIRE(cluster_poll(kFormBound, [&] { return cluster.all_see_all_alive(); }));
  faults_on = false;
  std::this_thread::sleep_for(5s);
  stop = true;
  for (auto& t : clients) t.join();

  // The checker: read every logged write at ALL.
  size_t ok = 0, failed = 0, unknown = 0, lost = 0, unknown_applied = 0, failed_applied = 0;
  std::vector<double> during_ms, after_ms;
  WireClient reader = cluster.connect(0);
  for (const auto& log : logs) {
    for (const LoggedWrite& w : log) {
      if (w.outcome == Outcome::kOk)
        (w.during_faults ? during_ms : after_ms).push_back(w.latency_ms);
      auto got =
          reader.get({.table = "faults", .partition_key = w.key, .consistency = Consistency::All});
      if (!got.is_ok()) {
        // A replica's connection may still be in its reconnect backoff (up to 5 s): poll.
        cluster_poll(
            15s,
            [&] {
              auto fresh = cluster.client(0);
              if (!fresh) return false;
              reader = std::move(*fresh);
              got = reader.get(
                  {.table = "faults", .partition_key = w.key, .consistency = Consistency::All});
              return got.is_ok();
            },
            500ms);
      }
      if (!got.is_ok()) {
        FAIL("reading " << w.key << " at ALL after the heal: " << got.describe());
      }
      const bool found = got->found && !got->siblings.empty() && got->siblings[0].value == w.key;
      switch (w.outcome) {
        case Outcome::kOk:
          ++ok;
          if (!found) {
            ++lost;
            UNSCOPED_INFO("acknowledged write " << w.key << " is lost");
          }
          break;
        case Outcome::kFailed:
          ++failed;
          failed_applied += found ? 1 : 0;
          break;
        case Outcome::kUnknown:
          ++unknown;
          unknown_applied += found ? 1 : 0;
          break;
      }
    }
  }
  CHECK(lost == 0);
  CHECK(failed_applied == 0);  // Refused (Unavailable, Overloaded) means nothing was applied.
  CHECK(ok > 0);
  std::printf(
      "fault run: %.0f s, %d kill -9/restart cycles, %zu clients: %zu writes acknowledged, "
      "%zu failed (%zu found anyway), %zu unknown (%zu applied); acknowledged writes lost: %zu\n"
      "fault run: QUORUM write latency during faults p50 %.1f ms p99 %.1f ms (%zu writes); "
      "after p50 %.1f ms p99 %.1f ms (%zu writes)\n",
      faulted_s, kills, kClients, ok, failed, failed_applied, unknown, unknown_applied, lost,
      percentile(during_ms, 0.5), percentile(during_ms, 0.99), during_ms.size(),
      percentile(after_ms, 0.5), percentile(after_ms, 0.99), after_ms.size());
}
