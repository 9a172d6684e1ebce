// ReplicationCluster: N nodes running the real quorum Coordinator, the real ReplicaService and
// ReplicaStore over the real LSM engine on a FaultyEnv (WAL synced per write, as the daemon's
// default), exchanging real internode frames (net/internode.h) over the simulated Network. Each
// node carries out its coordinator's outbox the way the daemon's ReplicationDriver does: local
// applies and reads after a random storage latency, everything else as frames.
//
// Membership is a scripted failure detector: a crashed node is seen dead by every coordinator
// detect_delay after the crash, and alive again detect_delay / 2 after its restart; partitions
// and pauses are not detected (coordinators time out instead, as they would before SWIM
// suspects). Crashes lose everything a node had not synced (FaultyEnv::crash); a crashed
// coordinator's unanswered operations answer Timeout (unknown outcome) to their clients. A
// paused node handles nothing until it resumes, then everything that arrived meanwhile. Each
// node's wall clock may be skewed.
//
// Single-threaded, driven by the Simulation; every random choice comes from its Rng.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <pairdb/ring/hash_ring.h>
#include "lsm/faulty_env.h"

#include "common/clock.h"
#include "net/frame.h"
#include "net/internode.h"
#include "replication/coordinator.h"
#include "replication/hint_delivery.h"
#include "replication/hint_store.h"
#include "replication/repair_session.h"
#include "replication/table_meta.h"
#include "server/cluster/replica_service.h"
#include "server/storage_stack.h"
#include "sim/lib/network.h"
#include "sim/lib/simulation.h"

namespace pairdb::sim {

struct ReplicationSimOptions {
  size_t nodes = 5;
  uint32_t replication_factor = 3;
  size_t num_tokens = 8;
  replication::ConflictMode mode = replication::ConflictMode::kSiblings;
  uint32_t siblings_max = 100;
  Duration write_timeout = std::chrono::milliseconds(500);
  Duration read_timeout = std::chrono::milliseconds(500);
  Duration speculative_delay = std::chrono::milliseconds(30);
  Duration detect_delay = std::chrono::seconds(1);
  Duration storage_latency_max = std::chrono::microseconds(300);
  // Hinted handoff: replicas that miss a write get a hint (each node's HintStore, synced per
  // write, delivered by its HintDelivery core once the failure detector sees the target back).
  bool hints = true;
  // Sloppy quorum: a dead replica's write goes to a fallback, whose ack counts.
  bool sloppy = true;
};

struct ReplicationSimCounters {
  uint64_t frames_sent = 0;
  uint64_t crashes = 0;
  uint64_t forwards_served = 0;
  uint64_t forwards_refused = 0;
  uint64_t hints_stored = 0;
  uint64_t hints_delivered = 0;  // Acknowledged by their target and deleted.
  uint64_t fallback_writes = 0;  // Writes kept as hints by a fallback.
  uint64_t hints_dropped = 0;    // Never sent: their table was dropped (or they expired).
};

// What one node's repair of every range it replicates came to.
struct RepairOutcome {
  Status status;                          // The first failure; OK when every range was repaired.
  uint64_t ranges = 0;                    // Sessions that completed.
  replication::RepairSessionStats stats;  // Summed over the sessions (syncs and records).
};

class ReplicationCluster {
 public:
  using WriteDone = std::function<void(const replication::WriteResult&)>;
  using ReadDone = std::function<void(const replication::ReadResult&)>;
  using RepairDone = std::function<void(const RepairOutcome&)>;

  ReplicationCluster(Simulation& sim, Network& net, ReplicationSimOptions options);
  ~ReplicationCluster();

  size_t size() const { return nodes_.size(); }
  const replication::TableInfo& table() const { return table_; }
  bool up(size_t i) const;
  // Node i's address on the Network (for partitions).
  const std::string& address(size_t i) const;
  // The natural replicas of `key`, as node indexes in preference order.
  const std::vector<size_t>& replicas_of(const std::string& key);
  // The sloppy-quorum fallbacks of `key` (one per replica at most), in preference order.
  const std::vector<size_t>& fallbacks_of(const std::string& key);
  // The replica that applies a keyed write of `key` now: the first the (shared) failure
  // detector sees alive, in preference order. None when all are seen dead.
  std::optional<size_t> owner_of(const std::string& key);

  // A client operation coordinated by node `via` (which must be up). `done` runs exactly once.
  void write(size_t via, const std::string& key, replication::LocalWrite write,
             replication::Consistency level, WriteDone done);
  void read(size_t via, const std::string& key, replication::Consistency level, ReadDone done);

  // Node `via` repairs every range of the table it replicates with the range's other replicas,
  // one session after another: the real RepairSession, RepairResponder, repair history and
  // codec, over frames on the Network. `done` runs exactly once: with the first failure, OK after
  // the last range, Unavailable if `via` crashes first. One repair per node at a time.
  void repair(size_t via, RepairDone done, replication::RepairSessionConfig config = {});
  // Flushes and fully compacts node i's item engine (the compaction filter runs: purges).
  void compact(size_t i);
  // Records node i's compaction filter purged since it last opened.
  uint64_t purged(size_t i) const;
  // When the last repair covering `key`'s token that included every replica started, as node i
  // recorded it (0 if never).
  uint64_t repaired_before(size_t i, const std::string& key) const;

  void crash(size_t i);
  void restart(size_t i);
  // Crashes node i and restarts it with an empty data directory (same id and tokens), as an
  // operator would after losing a disk.
  void wipe(size_t i);
  void pause(size_t i, Duration d);
  void set_clock_skew_ms(size_t i, int64_t skew_ms);

  // Drops the table on every node that is up (a node down hears of it when it restarts).
  void drop_table();
  // Node i's own record of `key` (what its store holds), read directly. REQUIRES: up(i).
  Result<replication::VersionRecord> stored(size_t i, const std::string& key);
  // Hints node i holds (for every target). REQUIRES: up(i).
  uint64_t hints_held(size_t i) const;
  // What node i holds for whom, and its delivery's state, for failure messages.
  std::string hint_report(size_t i) const;
  // True when every up node's delivery has nothing left to send to live targets.
  bool handoff_idle() const;
  const ReplicationSimCounters& counters() const { return counters_; }
  // The coordinators' counters, summed over the nodes' current incarnations.
  replication::CoordinatorCounters coordinator_counters() const;

  struct Node;

 private:
  void open_storage(Node& n);
  void sync_clock(Node& n);
  std::vector<replication::Replica> coordinator_view(size_t self, const std::string& key);
  void start_write(Node& n, const std::string& key, replication::LocalWrite write,
                   replication::Consistency level, WriteDone done, bool forwarded);
  void drain(Node& n);
  void carry_out(Node& n, replication::CoordinatorOutbox& out);
  void after_storage(Node& n, std::function<void()> work);
  uint32_t send_request(Node& n, size_t to, replication::OpId op, size_t replica, int kind,
                        const net::internode::Request& request);
  void on_bytes(size_t to, const std::string& from, const std::string& bytes);
  void on_request(Node& n, size_t from, const net::Frame& frame);
  void on_response(Node& n, const net::Frame& frame);
  void schedule_tick(Node& n, Instant at);
  void keep_hint(Node& n, const ring::NodeId& target, const std::string& key,
                 const replication::VersionRecord& record);
  void drain_hints(Node& n);
  void schedule_hint_tick(Node& n, Instant at);
  void on_hint_reply(Node& n, size_t target, uint64_t seq, const Status& status);
  void announce_liveness();
  void start_next_repair(Node& n);
  void pump_repair(Node& n, replication::RepairOutbox& out);
  void on_repair_reply(Node& n, uint64_t session_id, uint64_t request_id,
                       Result<replication::RepairReply> reply);
  void expire_ops(Node& n);

  Simulation& sim_;
  Network& net_;
  const ReplicationSimOptions options_;
  std::vector<std::unique_ptr<Node>> nodes_;
  std::shared_ptr<const ring::HashRing> ring_;
  std::map<std::string, size_t> index_of_id_;  // Raw node id -> index.
  std::map<std::string, std::vector<size_t>> replicas_;
  std::map<std::string, std::vector<size_t>> fallbacks_;
  std::vector<bool> seen_alive_;  // The scripted failure detector's verdicts.
  replication::TableInfo table_;
  bool table_dropped_ = false;
  ReplicationSimCounters counters_;
};

}  // namespace pairdb::sim
