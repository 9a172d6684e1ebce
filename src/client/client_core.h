// ClientCore: the state behind an AsyncClient: node pools, the topology-derived router, the
// live request runners, and topology refreshes (at start, every topology_refresh_ms, and after
// connection losses or ShuttingDown/Unavailable answers, debounced by
// topology_refresh_min_interval_ms).
//
// Call deadlines share one timer: each runner registers its deadline (watch_deadline), and the
// timer, armed for the earliest, completes the calls whose deadlines passed. A timer per call
// cost an arm and a cancel (and a timerfd update) for every request.
//
// Threads: run(), new_idempotency_key(), executor() and options() may be called from any
// thread; everything else runs on strand().
// Invariants: after shutdown() no new attempt starts and every runner has completed; pools_
// holds at most one pool per address; every live runner's deadline is in deadlines_, and the
// deadline timer is armed no later than the earliest of them.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <queue>
#include <string>
#include <unordered_map>
#include <vector>

#include <pairdb/client/options.h>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include "client/call_spec.h"
#include "client/connection.h"
#include "client/node_pool.h"
#include "client/token_router.h"
#include "common/instant.h"
#include "common/rng.h"

namespace pairdb::client {

class RequestRunner;

namespace detail {

class ClientCore : public std::enable_shared_from_this<ClientCore> {
 public:
  ClientCore(boost::asio::any_io_executor executor, ClientOptions options);
  ~ClientCore();

  // Any thread. Learns the topology and arms the periodic refresh.
  void start();
  // Any thread. Runs the call on the strand; completes it with kInvalidArgument when the
  // options are invalid and with kCancelled after shutdown.
  void run(CallSpec spec);
  // Any thread. A fresh random idempotency key.
  std::string new_idempotency_key();
  // Any thread, asynchronous: closes every connection and completes every call (kCancelled).
  void shutdown_async();

  boost::asio::any_io_executor executor() const { return executor_; }
  const ClientOptions& options() const { return options_; }

  // ---- Strand only (RequestRunner)
  Strand& strand() { return strand_; }
  Rng& rng() { return rng_; }
  Instant now() const;
  // The connection for attempt number `attempt` (0-based) of `spec`, and the node it goes to;
  // null when no candidate node is reachable right now.
  std::shared_ptr<Connection> connection_for(const CallSpec& spec, uint32_t attempt);
  // A call failed with `error`; may schedule a topology refresh.
  void note_failure(const Error& error);
  void forget(uint64_t runner_id);
  // Completes runner `runner_id` with a timeout at `at` unless it finished before.
  void watch_deadline(std::chrono::steady_clock::time_point at, uint64_t runner_id);
  // The current router (empty until the first topology arrives).
  const TokenRouter& router() const { return router_; }

 private:
  void shutdown();
  // The pools a call may go to, in the order to try them, into candidates_.
  void fill_candidates(const CallSpec& spec);
  NodePool& pool_for(const std::string& address);
  void refresh_topology();
  void on_topology(Expected<net::Frame> response);
  void arm_periodic_refresh();
  void arm_deadline_timer();
  void on_deadline_timer();

  boost::asio::any_io_executor executor_;
  const ClientOptions options_;
  std::optional<Error> options_error_;  // Set when options_ are invalid.
  Strand strand_;

  std::mutex key_mutex_;
  Rng key_rng_;  // GUARDED_BY(key_mutex_)

  // ---- Strand only
  Rng rng_;
  TokenRouter router_;
  std::map<std::string, std::shared_ptr<NodePool>> pools_;  // Never erased.
  std::vector<NodePool*> router_pools_;  // The pool of each of router_.addresses().
  std::vector<NodePool*> candidates_;    // fill_candidates' answer (reused).
  std::vector<uint32_t> order_;          // Scratch of fill_candidates.
  std::vector<uint8_t> taken_;
  std::unordered_map<uint64_t, std::weak_ptr<RequestRunner>> runners_;
  uint64_t last_runner_id_ = 0;
  uint64_t round_robin_ = 0;  // Spreads keyless calls over the nodes.
  boost::asio::steady_timer refresh_timer_;
  // Deadlines of runners, soonest on top; entries of finished runners stay until they surface
  // (or a rebuild drops them when they outnumber the live ones).
  using Deadline = std::pair<std::chrono::steady_clock::time_point, uint64_t>;
  std::priority_queue<Deadline, std::vector<Deadline>, std::greater<>> deadlines_;
  boost::asio::steady_timer deadline_timer_;
  std::optional<std::chrono::steady_clock::time_point> deadline_timer_at_;
  bool refreshing_ = false;
  bool shut_down_ = false;
  std::optional<Instant> last_refresh_started_;
};

}  // namespace detail

using detail::ClientCore;

}  // namespace pairdb::client
