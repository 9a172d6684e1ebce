// HintedHandoff: the daemon's adapter around the HintStore (durable hints) and the sans-IO
// HintDelivery core. The replication driver hands it every missed write; it stores a hint for
// the replica (unless that replica has been dead longer than the hint window: then the range is
// marked for repair instead), and delivers hints to their targets over the InternodeClient as
// ReplicaWrites (merged there, a join) once gossip shows them alive, deleting each only after
// the target acknowledged it.
//
// It watches the cluster view every `poll_interval`: liveness goes to the delivery core, a
// target's death starts its hint window, and a target that left the ring has its hints dropped
// (and their ranges marked for repair). At delivery a hint for a dropped table is dropped; so is
// one whose record has expired everywhere (neither needs repair).
//
// Threading: everything runs on `io` (the replication driver's one-thread io_context, which
// the InternodeClient shares); public calls post there, except status() and the counters, which
// read a copy published after each change. Store I/O runs on run_blocking's workers.
// Invariants: a hint is deleted from the store only after its target acknowledged the merge
// (or it was dropped, counted under a reason); every hint stored is announced to the core.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <vector>

#include <pairdb/ring/types.h>
#include <pairdb/status.h>

#include "common/clock.h"
#include "net/internode_client.h"
#include "replication/cluster_view.h"
#include "replication/hint_delivery.h"
#include "replication/hint_store.h"
#include "server/catalog/catalog.h"
#include "server/cluster/replica_service.h"

namespace pairdb::server {

struct HintedHandoffOptions {
  ring::NodeId self;
  bool enabled = true;  // False: no hint is kept (missed writes mark their ranges for repair).
  uint64_t max_window_ms = 3ull * 3600 * 1000;
  replication::HintDeliveryConfig delivery;
  Duration poll_interval = std::chrono::milliseconds(100);
  Duration send_timeout = std::chrono::seconds(5);
  std::function<void(std::function<void()>)> run_blocking;
  const Clock* clock = nullptr;
};

// One target as `pairdb-admin handoff status` shows it.
struct HandoffTargetStatus {
  ring::NodeId target;
  uint64_t hints = 0;
  uint64_t bytes = 0;
  uint64_t oldest_created_wall_ms = 0;
  replication::TargetDeliveryState state = replication::TargetDeliveryState::kIdle;
  std::string liveness;  // As gossip sees the target ("alive", "dead", ...; "unknown").
};

struct HandoffStatus {
  std::vector<HandoffTargetStatus> targets;
  bool paused_all = false;
  uint64_t stored = 0;
  uint64_t delivered = 0;
  uint64_t delivered_bytes = 0;
  uint64_t failed_attempts = 0;
  uint64_t dropped[replication::kHintDropReasons] = {};
  uint64_t total_bytes = 0;
};

class HintedHandoff final : public HintKeeper {
 public:
  // Everything passed must outlive this object; `client` runs on `io`.
  HintedHandoff(boost::asio::io_context& io, HintedHandoffOptions options,
                replication::HintStore* store, const replication::ClusterView* cluster,
                const Catalog* catalog, net::InternodeClient* client);
  ~HintedHandoff() override;

  // Starts the poll timer and delivery of what the store holds. Call on any thread.
  void start();
  // On the io thread: keep a hint of `record` for `target` (a replica that missed a write).
  void keep(const ring::NodeId& target, replication::TableId table, std::string partition_key,
            std::string sort_key, const replication::VersionRecord& record);

  // Any thread (a storage worker): stores `hint` durably unless its target has been dead longer
  // than the hint window (then its range is marked for repair and the answer is Unavailable) or
  // a cap refuses it (Overloaded); announces a stored hint to delivery.
  Status keep_now(const replication::Hint& hint) override;

  // Operator controls; `done` runs on the io thread.
  void set_paused(std::optional<ring::NodeId> target, bool paused, std::function<void()> done);
  void truncate(std::optional<ring::NodeId> target, std::function<void(Result<uint64_t>)> done);

  HandoffStatus status() const;  // Any thread.
  // Whether no target that gossip shows alive, and that is not paused, has hints held (the
  // shutdown drain waits for this). Reads the store and the cluster view directly, so it does
  // not lag behind the delivery's own view of liveness. Any thread.
  bool idle_for_live_targets() const;

 private:
  void poll();
  void arm_poll();
  void drain();
  void load(const replication::HintLoad& load);
  void send(replication::HintSend send);
  void finish(const ring::NodeId& target, uint64_t seq, Status status);
  void publish();
  Instant now() const { return options_.clock->monotonic(); }

  boost::asio::io_context& io_;
  const HintedHandoffOptions options_;
  replication::HintStore* const store_;
  const replication::ClusterView* const cluster_;
  const Catalog* const catalog_;
  net::InternodeClient* const client_;

  replication::HintDelivery delivery_;
  replication::HintDeliveryOutbox outbox_;
  boost::asio::steady_timer poll_timer_;
  std::set<ring::NodeId> dropping_;  // Targets that left, their hints being dropped now.

  mutable std::mutex status_mutex_;
  std::map<ring::NodeId, replication::TargetDeliveryState> states_;  // GUARDED_BY(status_mutex_)
  std::map<ring::NodeId, std::string> liveness_;                     // GUARDED_BY(status_mutex_)
  replication::HintDeliveryCounters counters_;                       // GUARDED_BY(status_mutex_)
  bool paused_all_ = false;                                          // GUARDED_BY(status_mutex_)
  std::map<ring::NodeId, Instant> dead_since_;  // GUARDED_BY(status_mutex_): dead by gossip.
};

}  // namespace pairdb::server
