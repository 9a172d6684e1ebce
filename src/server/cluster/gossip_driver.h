// GossipDriver: runs a gossip::GossipEndpoint for real. It owns the gossip UDP socket, the TCP
// listener of the stream channel (same host:port) and a steady_timer, all on one strand. It
// hands received bytes, with the channel they came on, and timer ticks to the endpoint, and
// sends the endpoint's WireOutbox: datagrams over UDP, MetaResponses (addresses and tokens, too
// large for a datagram) over a short TCP connection framed as a 4-byte big-endian length and the
// encoded envelope. It makes no protocol decisions: decoding, the channel check, the cluster-id
// filter and the pacing of schema and load news are the endpoint's (and run in tests/sim).
//
// After membership events (and once a second, for load and incarnations) it publishes a new
// ClusterView snapshot, logs one line per event and counts it in the metrics registry.
//
// Threads: open() from the main thread; start(), stop(), set_schema_version() and set_load()
// from any thread (they post to the strand). Every member below is touched only on the strand,
// except the immutable options and the counters (lock-free).
// Invariants: the core is called only on strand_; once stopped_ is set, no socket is used again.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <pairdb/status.h>

#include "gossip/gossip_endpoint.h"
#include "net/partition_filter.h"
#include "replication/cluster_view.h"
#include "server/config/host_port.h"
#include "server/metrics.h"

namespace pairdb::server {

// Stream-channel bounds: connections accepted or dialled at once, and how long one may take.
inline constexpr size_t kGossipStreamsMax = 32;
inline constexpr uint32_t kGossipStreamTimeoutMs = 2000;
// Resolved peer addresses remembered (every member plus the seeds).
inline constexpr size_t kGossipAddressCacheMax = ring::kRingNodesMax + gossip::kSeedsMax;

struct GossipDriverOptions {
  HostPort listen;              // Port 0 = any free port (also used for the TCP channel).
  std::vector<HostPort> seeds;  // Size <= gossip::kSeedsMax.
  gossip::SwimConfig swim;      // Seeds are filled in by open().
  gossip::SelfConfig self;      // gossip_addr is filled in by open() once bound.
  uint64_t rng_seed = 0;
  // Stamped on every message sent; messages carrying another id are dropped (see gossip.fbs).
  uint64_t cluster_id = 0;
  // Polled every housekeeping period on the strand; a change is announced through gossip.
  std::function<uint64_t()> schema_version;
  std::function<uint64_t()> load_bytes;
  // Test-only fault hook (never set in production): gossip to and from the hosts it blocks is
  // dropped, as if the network to them were cut.
  const net::PartitionFilter* TEST_partition = nullptr;
};

class GossipDriver : public std::enable_shared_from_this<GossipDriver> {
 public:
  // Binds the TCP listener and the UDP socket on the same port, resolves the seeds once, and
  // builds the core. Status::io_error when the address cannot be bound.
  static Result<std::shared_ptr<GossipDriver>> open(boost::asio::io_context& io,
                                                    GossipDriverOptions options,
                                                    replication::ClusterView* view,
                                                    MetricsRegistry* metrics);

  std::string address() const { return gossip_addr_; }  // "host:port" as announced.

  void start();
  void stop();

 private:
  using udp = boost::asio::ip::udp;
  using tcp = boost::asio::ip::tcp;
  using Strand = boost::asio::strand<boost::asio::io_context::executor_type>;

  GossipDriver(boost::asio::io_context& io, GossipDriverOptions options,
               replication::ClusterView* view, MetricsRegistry* metrics);
  Status bind();

  boost::asio::awaitable<void> receive_loop();
  boost::asio::awaitable<void> timer_loop();
  boost::asio::awaitable<void> housekeeping_loop();
  boost::asio::awaitable<void> accept_loop();
  boost::asio::awaitable<void> read_stream(tcp::socket socket);
  boost::asio::awaitable<void> send_stream(tcp::endpoint to, std::string bytes);

  void deliver(const std::string& from, std::string_view bytes, gossip::Channel channel);
  void flush();  // Sends outbox_, handles its events and reschedules the timer.
  void send_datagram(const std::string& to, const std::string& bytes);
  void handle_events();
  void publish_view();
  void schedule(Instant at);
  std::optional<udp::endpoint> endpoint_for(const std::string& address);
  // Whether the test partition hook drops traffic with `host_or_address`.
  bool cut_off(const std::string& host_or_address) const {
    return options_.TEST_partition != nullptr && options_.TEST_partition->blocks(host_or_address);
  }

  const GossipDriverOptions options_;
  Strand strand_;
  replication::ClusterView* const view_;
  MetricsRegistry* const metrics_;
  udp::socket udp_;
  tcp::acceptor acceptor_;
  boost::asio::steady_timer timer_;
  boost::asio::steady_timer housekeeping_;
  std::string gossip_addr_;
  std::unique_ptr<gossip::GossipEndpoint> endpoint_;
  gossip::WireOutbox outbox_;
  Instant next_tick_ = Instant::max();
  std::unordered_map<std::string, udp::endpoint> endpoints_;  // Resolved seeds and peers.
  std::unordered_map<ring::NodeId, std::shared_ptr<const gossip::NodeMeta>> metas_;
  Instant next_publish_;
  size_t streams_open_ = 0;
  bool stopped_ = false;

  Counter& messages_sent_;
  Counter& messages_received_;
  Counter& bytes_sent_;
  Counter& bytes_received_;
  Counter& malformed_;
  Counter& foreign_cluster_;
  Instant next_foreign_warning_;
  Counter& send_failures_;
  Gauge& queued_updates_;
};

}  // namespace pairdb::server
