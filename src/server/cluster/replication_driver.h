// ReplicationDriver: the daemon's adapter around the sans-IO quorum coordinator
// (replication/coordinator.h). It places each operation on the ring, starts it in the
// Coordinator, and carries out what the coordinator asks: local applies, reads and merges on the
// storage workers against this node's ReplicaStore, and everything for other replicas over the
// InternodeClient. Replies and timer expiries go back into the coordinator; its answers complete
// the callers' Replies. It makes no protocol decision of its own beyond the mapping of transport
// outcomes: a forwarded write whose transport failed is an unknown outcome (Timeout), never a
// failure.
//
// It also serves peers' ForwardWrites (this node coordinates them as a replica; a node that is
// not a replica by its own ring refuses rather than forwarding again, so a write never bounces)
// and Query, which asks as many replicas as the read's level needs for their partition pages and
// merges them (replication/range_merge.h).
//
// Local shortcuts: when the coordinator's whole exchange would be one step on this node's own
// replica (replication::self_answers_read, self_is_whole_write: a read at ONE here, any
// operation on a single-replica table), the caller's thread does that step itself and answers,
// without the hops to the coordinator's thread and back; the storage work runs right there when
// run_inline allows it, else on a worker. A local read that fails falls back to the coordinator.
// (A local read on a worker that is merely slow is not backed by another replica after
// speculative_delay, as the coordinator's would be: at ONE the local replica is the answer.)
//
// Threading: the coordinator, the op table and the InternodeClient live on `io`, which exactly
// one thread runs; every public call places its key on the caller's thread and posts the rest
// there. Local writes run on `io` itself when run_inline allows it, other storage work on
// run_blocking's workers, and each posts its result back. Callbacks run on
// the io thread, or on the caller's or a worker's thread for a local shortcut.
// Invariants: every operation answers exactly once; an op's driver state lives until its
// deadline has passed (the coordinator has forgotten it by then), and storage work holds its
// own reference to what it reads.
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <queue>
#include <unordered_map>
#include <utility>
#include <vector>

#include <pairdb/replication/hlc.h>
#include <pairdb/ring/types.h>

#include "common/clock.h"
#include "net/internode.h"
#include "net/internode_client.h"
#include "replication/cluster_view.h"
#include "replication/coordinator.h"
#include "replication/range_merge.h"
#include "replication/replica_store.h"
#include "server/api/replicator.h"
#include "server/api/storage_work.h"
#include "server/catalog/catalog.h"
#include "server/cluster/hinted_handoff.h"
#include "server/request_metrics.h"

namespace pairdb::server {

struct ReplicationDriverOptions {
  ring::NodeId self;
  std::string local_dc;
  Duration write_timeout = std::chrono::seconds(2);
  Duration read_timeout = std::chrono::seconds(2);
  replication::CoordinatorConfig coordinator;
  uint64_t idempotency_window_ms = 24ull * 3600 * 1000;  // For forwarded writes' policy.
  std::function<void(std::function<void()>)> run_blocking;
  // Whether a local shortcut's storage work may run on the caller's thread (see below); unset =
  // always on run_blocking.
  RunInline run_inline;
  const Clock* clock = nullptr;
  // Latency and outcome of every write, read and query a client asked this node to coordinate,
  // by consistency level (RequestMetricsSpec::replicated()); none when null.
  RequestMetrics* latency = nullptr;
  // Keeps a hint for each replica that missed a write (hinted handoff); none kept when null.
  HintedHandoff* handoff = nullptr;
};

// Totals since start, readable from any thread (metrics).
struct ReplicationStats {
  replication::CoordinatorCounters coordinator;
  uint64_t forwards_served = 0;
  uint64_t forwards_refused = 0;  // Not a replica by this node's ring.
  uint64_t missed_writes = 0;     // Replicas that were down (hinted handoff will keep these).
  uint64_t range_reads = 0;
  uint64_t in_flight = 0;
  // Reads and writes this node's replica decided alone (the local shortcuts; also counted in
  // coordinator.reads and .writes).
  uint64_t self_reads = 0;
  uint64_t self_writes = 0;
};

class ReplicationDriver final : public Replicator {
 public:
  // Everything passed must outlive the driver; `client` runs on `io` too.
  ReplicationDriver(boost::asio::io_context& io, ReplicationDriverOptions options,
                    const replication::ClusterView* cluster, const Catalog* catalog,
                    replication::ReplicaStore* store, replication::HybridClock* hlc,
                    net::InternodeClient* client);
  ~ReplicationDriver() override;

  void write(CoordinatedWrite write, Reply<CoordinatedWriteReply> done) override;
  void read(CoordinatedRead read, Reply<replication::VersionRecord> done) override;
  void range(CoordinatedRange range, Reply<CoordinatedRangeReply> done) override;
  void inspect(CoordinatedRead read, Reply<std::vector<ReplicaCopy>> done) override;

  // A peer's ForwardWrite; `respond` gets a ForwardWriteReply or an InternodeError.
  void serve_forward(net::internode::ForwardWrite request,
                     std::function<void(net::internode::Response)> respond);

  ReplicationStats stats() const;
  // Per peer (by node id, hex), as the internode client last published them.
  std::map<std::string, net::InternodePeerStats> peer_stats() const;

  struct Op;
  struct RangeOp;

 private:
  // A point operation placed on the ring: the coordinator's request and how to reach each of
  // its replicas (same indexes).
  struct PlannedWrite {
    replication::WriteRequest request;
    std::vector<net::InternodePeer> peers;
  };
  struct PlannedRead {
    replication::ReadRequest request;
    std::vector<net::InternodePeer> peers;
  };
  struct LocalRead {
    CoordinatedRead read;
    Reply<replication::VersionRecord> done;
    PlannedRead plan;
  };
  // On any thread. `forwarded`: a peer handed this write over.
  Result<PlannedWrite> plan_write(const CoordinatedWrite& write, bool forwarded = false) const;
  Result<PlannedRead> plan_read(const CoordinatedRead& read) const;
  bool may_run_inline(StorageWork kind) const;
  // A coordinator's local step (its outcome posted back to io_): a write on this thread when
  // may_run_inline allows it, anything else on a worker.
  void run_local(StorageWork kind, std::function<void()> work);
  // This node's replica applies a write (minting its dot); the coordinator's local step.
  Result<CoordinatedWriteReply> apply_here(const CoordinatedWrite& write);
  // The local shortcuts (see above).
  // `deadline`: the plan's (the write's own, capped by write_timeout).
  void write_here(CoordinatedWrite write, Reply<CoordinatedWriteReply> done, Instant deadline);
  void read_here(std::shared_ptr<LocalRead> local);

  // All on the io thread.
  using OpId = replication::OpId;
  void start_write(CoordinatedWrite write, Reply<CoordinatedWriteReply> done, PlannedWrite plan);
  void start_read(CoordinatedRead read, Reply<replication::VersionRecord> done, PlannedRead plan);
  void start_range(CoordinatedRange range, Reply<CoordinatedRangeReply> done);
  void start_inspect(CoordinatedRead read, Reply<std::vector<ReplicaCopy>> done);
  // The idempotency key a forwarded write without one travels with: unique to this process
  // (a random prefix) and op.
  std::string forward_idempotency_key(OpId op) const;
  Result<CoordinatedWrite> forwarded_write(const net::internode::ForwardWrite& request) const;
  void drain();
  void apply_locally(replication::OpId id, const std::shared_ptr<Op>& op);
  void send_write(const replication::ReplicaWrite& message, const std::shared_ptr<Op>& op);
  void send_read(const replication::ReplicaRead& message, const std::shared_ptr<Op>& op);
  void send_forward(const replication::ForwardWrite& message, const std::shared_ptr<Op>& op);
  void answer_write(const replication::WriteResult& result);
  void answer_read(replication::ReadResult result);
  bool ask_range(OpId id, const std::shared_ptr<RangeOp>& op);
  void on_range_page(OpId id, size_t replica, Result<replication::RangePage> page);
  void finish_range(OpId id, Status status);
  void expire_ranges(Instant now);
  // Arms the timer for `at`, or kTickGranularity from now if sooner; keeps an earlier one.
  void arm_timer(Instant at);
  static constexpr Duration kTickGranularity = std::chrono::milliseconds(5);
  void on_timer();
  void publish_stats();
  Instant now() const { return options_.clock->monotonic(); }
  // `done`, recording the operation's latency and outcome first (options_.latency).
  template <typename T>
  Reply<T> timed(std::string_view op, replication::Consistency level, Reply<T> done) const;
  net::InternodeDeadline transport_deadline(Instant deadline) const;

  boost::asio::io_context& io_;
  const ReplicationDriverOptions options_;
  const replication::ClusterView* const cluster_;
  const Catalog* const catalog_;
  replication::ReplicaStore* const store_;
  replication::HybridClock* const hlc_;
  net::InternodeClient* const client_;

  replication::Coordinator coordinator_;
  replication::CoordinatorOutbox outbox_;
  std::unordered_map<replication::OpId, std::shared_ptr<Op>> ops_;
  // Every op in ops_ by deadline, soonest on top: a tick drops the expired ones without walking
  // the whole table (thousands of finished ops wait there for their deadlines under load).
  using Expiry = std::pair<Instant, replication::OpId>;
  std::priority_queue<Expiry, std::vector<Expiry>, std::greater<>> expiries_;
  replication::OpId next_op_ = 1;
  boost::asio::steady_timer timer_;
  Instant timer_at_ = Instant::max();
  uint64_t forwards_served_ = 0;
  uint64_t forwards_refused_ = 0;
  uint64_t missed_writes_ = 0;
  uint64_t range_reads_ = 0;
  std::unordered_map<replication::OpId, std::shared_ptr<RangeOp>> ranges_;

  const uint64_t forward_key_prefix_;
  std::atomic<uint64_t> self_reads_{0};
  std::atomic<uint64_t> self_writes_{0};

  mutable std::mutex stats_mutex_;
  ReplicationStats stats_;  // GUARDED_BY(stats_mutex_); a copy published after each drain.
  std::map<std::string, net::InternodePeerStats> peer_stats_;  // GUARDED_BY(stats_mutex_)
  Instant peer_stats_at_;  // When peer_stats_ was last published (io thread only).
};

// The status a peer's refusal stands for (its wire error code and message).
Status status_of(const net::internode::InternodeError& error);

}  // namespace pairdb::server
