// RepairService: the daemon's anti-entropy. It runs the sans-IO RepairSession core for the
// ranges this node initiates (on demand: `pairdb-admin repair`; in the background: the
// RepairScheduler, every range this node replicates verified within repair.interval_ms) and the
// RepairResponder for peers' sessions, over the InternodeClient; completed repairs go to the
// RepairHistory (last verified, and the tombstone purge watermark) and clear the hinted-handoff
// repair marks they cover.
//
// Units: HashRing::replicated_ranges of each live table (ranges with one replica set), the
// ones whose replicas include this node. An on-demand job runs its ranges one after another
// (up to repair.max_sessions at once, background sessions included); its progress is kept for
// `pairdb-admin repair status` until a later job replaces it (the last 8 are kept).
//
// Threading: sessions, the responder and the scheduler run on the service's own thread (repair
// work is long: tree builds scan whole ranges, and must not stall the replication thread); the
// InternodeClient is driven on its own executor (sends are posted there, replies posted back).
// status() and the counters may be read from any thread.
// Invariants: at most one session per (table, range) at a time; a range is recorded verified only
// after its session finished OK and this node's own merges were synced.
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <pairdb/ring/types.h>
#include <pairdb/status.h>

#include "common/clock.h"
#include "common/rng.h"
#include "net/internode.h"
#include "net/internode_client.h"
#include "replication/cluster_view.h"
#include "replication/hint_store.h"
#include "replication/repair_history.h"
#include "replication/repair_responder.h"
#include "replication/repair_scheduler.h"
#include "replication/repair_session.h"
#include "replication/repair_storage.h"
#include "server/catalog/catalog.h"
#include "server/thread_priority.h"

namespace pairdb::server {

struct RepairServiceOptions {
  ring::NodeId self;
  uint64_t interval_ms = 24ull * 3600 * 1000;  // 0 = no background repair.
  uint64_t rate_bytes_per_sec = 8ull << 20;    // Shared by the sessions; 0 = unlimited.
  size_t max_sessions = 1;
  Duration request_timeout = std::chrono::seconds(60);
  // How often the scheduler looks for due ranges (and the overdue gauges are refreshed).
  Duration check_interval = std::chrono::seconds(10);
  // Of the service's thread: its work (tree builds, merges) is background work, so by default it
  // runs only on CPU time the request path leaves idle.
  CpuPriority cpu_priority = CpuPriority::kIdle;
  const Clock* clock = nullptr;
};

// What `pairdb-admin repair` asks for.
struct RepairRunRequest {
  std::string table;                      // Empty = every table.
  std::optional<ring::TokenRange> range;  // Only the ranges overlapping it (clipped to it).
  // Without it, a range with a replica down is skipped (counted as failed: it cannot be verified).
  // With it, such a range is repaired among the replicas that are up; that repair is not
  // recorded as verified (the down replica missed it), so it allows no tombstone purge.
  bool full = false;
};

// One session, running or finished.
struct RepairSessionView {
  std::string table;
  ring::TokenRange range;
  std::vector<ring::NodeId> peers;
  double progress = 0;  // [0, 1].
  bool background = false;
  replication::RepairSessionStats stats;
};

enum class RepairJobState : uint8_t { kRunning, kDone, kFailed };
std::string_view repair_job_state_name(RepairJobState state);

struct RepairJobView {
  uint64_t id = 0;
  RepairJobState state = RepairJobState::kRunning;
  std::string table;  // As asked ("" = all).
  uint64_t started_wall_ms = 0;
  uint64_t finished_wall_ms = 0;  // 0 while running.
  uint32_t ranges_total = 0;
  uint32_t ranges_done = 0;
  uint32_t ranges_failed = 0;
  double progress = 0;  // [0, 1], counting the running sessions' progress.
  uint64_t records_differing = 0;
  uint64_t records_exchanged = 0;  // Fetched + pushed.
  uint64_t bytes_exchanged = 0;    // Sent + received.
  std::string error;               // The first failure, if any.
};

// One range this node replicates, as `repair status` lists it.
struct RepairRangeView {
  std::string table;
  ring::TokenRange range;
  uint64_t last_verified_wall_ms = 0;  // 0 = never.
  uint64_t records_differing = 0;      // At that verification.
  bool marked = false;                 // Hinted handoff marked it for repair.
  bool overdue = false;                // Not verified within repair.interval_ms.
  bool running = false;
};

struct RepairStatus {
  std::vector<RepairSessionView> sessions;  // Running now.
  std::vector<RepairJobView> jobs;          // Newest first.
  std::vector<RepairRangeView> ranges;
  uint64_t interval_ms = 0;
  uint64_t rate_bytes_per_sec = 0;
};

struct RepairCounters {
  uint64_t sessions_started = 0;
  uint64_t sessions_completed = 0;
  uint64_t sessions_failed = 0;
  uint64_t ranges_verified = 0;
  uint64_t records_differing = 0;
  uint64_t records_exchanged = 0;
  uint64_t bytes_exchanged = 0;
  uint64_t tree_build_us = 0;       // Time this node spent in session steps (scans, hashing).
  uint64_t responder_requests = 0;  // Peers' requests answered.
  uint64_t responder_us = 0;        // Time spent answering them.
};

// Per table, for the gauges.
struct RepairTableHealth {
  std::string table;
  uint64_t oldest_verified_wall_ms = 0;  // 0 = some range never verified.
  uint32_t ranges = 0;
  uint32_t ranges_overdue = 0;
};

class RepairService {
 public:
  // Everything passed must outlive the service; `client` runs on `client_io`. `hints` may be null.
  RepairService(RepairServiceOptions options, boost::asio::io_context& client_io,
                net::InternodeClient* client, const replication::ClusterView* cluster,
                const Catalog* catalog, replication::RepairStorage* storage,
                replication::RepairHistory* history, replication::HintStore* hints);
  ~RepairService();
  RepairService(const RepairService&) = delete;
  RepairService& operator=(const RepairService&) = delete;

  // Starts the service's thread and the scheduler. stop() joins it (sessions are abandoned:
  // nothing they did needs undoing). Both from one thread; stop() is idempotent.
  void start();
  void stop();

  // A peer's repair request; `answer` runs on the service thread with the reply (or the error).
  void serve(replication::RepairRequest request,
             std::function<void(Result<replication::RepairReply>)> answer);

  // Starts an on-demand job; `done` (service thread) gets its id, or why it cannot start (no
  // such table, no range of it replicated here). The job runs on after `done`.
  void run(RepairRunRequest request, std::function<void(Result<uint64_t>)> done);

  RepairStatus status() const;
  RepairCounters counters() const;
  std::vector<RepairTableHealth> health() const;

 private:
  struct Running;
  struct Job;
  struct Unit {
    replication::TableId table = 0;
    std::string table_name;
    replication::ConflictMode mode = replication::ConflictMode::kSiblings;
    ring::TokenRange range;
    std::vector<ring::NodeId> replicas;  // Sorted; self included.
  };

  // Records a peer's "range repaired" notice only if the range's replicas are still the ones
  // this node's ring gives it (a notice from a session over an older ring layout would let a
  // replica that was not part of it purge tombstones).
  class CheckedHistory final : public replication::RepairListener {
   public:
    explicit CheckedHistory(RepairService* service) : service_(service) {}
    Status on_repair_done(const replication::RepairDoneRequest& done) override;

   private:
    RepairService* const service_;
  };

  std::vector<Unit> units() const;  // Every range this node replicates, per live table.
  // Whether `replicas` are exactly the current replicas of a range of `table` holding `range`.
  bool replicas_current(replication::TableId table, const ring::TokenRange& range,
                        std::vector<ring::NodeId> replicas) const;
  void check();  // Scheduler turn; re-arms the timer.
  void arm_check();
  bool start_session(const Unit& unit, bool background, uint64_t job_id);
  void pump(uint64_t session_id, replication::RepairOutbox& out);
  void send(uint64_t session_id, const replication::RepairSend& send);
  void on_reply(uint64_t session_id, uint64_t request_id, Result<replication::RepairReply> reply);
  void on_tick(uint64_t session_id);
  void finish(uint64_t session_id);
  void advance_jobs();
  void advance_jobs_once();
  void publish();  // Refreshes the snapshot status() returns.
  void count_step(Instant began);

  const RepairServiceOptions options_;
  boost::asio::io_context& client_io_;
  net::InternodeClient* const client_;
  const replication::ClusterView* const cluster_;
  const Catalog* const catalog_;
  replication::RepairStorage* const storage_;
  replication::RepairHistory* const history_;
  replication::HintStore* const hints_;

  boost::asio::io_context io_;  // The service's thread.
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  std::thread thread_;
  boost::asio::steady_timer check_timer_;
  Rng rng_;

  // On the service thread.
  CheckedHistory checked_history_{this};
  replication::RepairResponder responder_;
  replication::RepairScheduler scheduler_;
  std::map<uint64_t, std::unique_ptr<Running>> running_;  // By session id.
  std::deque<std::unique_ptr<Job>> jobs_;                 // Newest first.
  uint64_t next_job_id_ = 1;
  std::map<std::tuple<replication::TableId, ring::Token, ring::Token>, uint64_t> failed_at_ms_;
  std::map<std::string, uint32_t> overdue_logged_;  // Per table: overdue ranges last logged.
  bool advancing_ = false;  // advance_jobs is running (finish() may call back into it).
  bool advance_again_ = false;
  Instant published_at_;

  mutable std::mutex mu_;  // Guards the published copies below.
  RepairStatus published_;
  RepairCounters counters_;
  std::vector<RepairTableHealth> health_;
  std::atomic<bool> stopped_{false};
};

}  // namespace pairdb::server
