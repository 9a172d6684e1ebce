// SchemaSync: makes table definitions converge across the cluster. Gossip carries each
// member's catalog digest (its "schema version"); every `interval` this node looks at the
// current ClusterView and, when a live peer announces a digest other than its own, pulls that
// peer's whole catalog with the SchemaPull opcode over the peer's binary protocol port, then
// merges it into the local catalog (Catalog::merge, which documents the rules). The new local
// digest reaches gossip through the GossipDriver's housekeeping.
//
// Threads: start()/stop() from any thread. The loop runs on its own strand; the merge (a synced
// LSM write) runs on the storage worker pool. One pull at a time.
// Invariant: at most one connection to a peer is open; every pull is bounded by pull_timeout.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>

#include <chrono>
#include <memory>
#include <string>

#include <pairdb/status.h>

#include "replication/cluster_view.h"
#include "server/catalog/catalog.h"
#include "server/metrics.h"

namespace pairdb::server {

inline constexpr uint32_t kSchemaPullBytesMax = 64u << 20;  // A catalog of ~100k tables.

// The peers whose catalog this node should pull: live members (not self) whose metadata is
// known and whose announced catalog digest is set and differs from `own_digest`. Pure; the order
// is the snapshot's (by id). SchemaSync rotates among them, one pull per interval.
std::vector<const replication::ClusterMember*> schema_peers(
    const replication::ClusterSnapshot& cluster, uint64_t own_digest);

// Which of `peers` the `round`-th pull asks. REQUIRES: peer_count > 0.
inline size_t schema_peer_for_round(size_t round, size_t peer_count) { return round % peer_count; }

struct SchemaSyncOptions {
  std::chrono::milliseconds interval{500};
  std::chrono::milliseconds pull_timeout{5000};
};

class SchemaSync : public std::enable_shared_from_this<SchemaSync> {
 public:
  SchemaSync(boost::asio::io_context& io, boost::asio::thread_pool& workers,
             SchemaSyncOptions options, replication::ClusterView* view, Catalog* catalog,
             MetricsRegistry* metrics);

  void start();
  void stop();

 private:
  boost::asio::awaitable<void> loop();
  // Pulls from `member` and merges; returns the number of changes applied.
  boost::asio::awaitable<Result<size_t>> pull(const replication::ClusterMember& member);
  boost::asio::awaitable<Result<CatalogState>> fetch(const std::string& address);

  const SchemaSyncOptions options_;
  boost::asio::strand<boost::asio::io_context::executor_type> strand_;
  boost::asio::thread_pool& workers_;
  replication::ClusterView* const view_;
  Catalog* const catalog_;
  boost::asio::steady_timer timer_;
  size_t next_peer_ = 0;  // Rotates among the peers that disagree.
  bool stopped_ = false;  // Strand only.
  Counter& pulls_ok_;
  Counter& pulls_failed_;
};

}  // namespace pairdb::server
