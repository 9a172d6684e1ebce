#include "server/cluster/gossip_driver.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>
#include <array>
#include <chrono>

#include "common/assert.h"
#include "common/clock.h"
#include "gossip/codec.h"
#include "net/endpoint.h"
#include "server/log.h"

namespace pairdb::server {

namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
constexpr auto kHousekeepingPeriod = 250ms;
// Load news is paced by the endpoint (gossip_endpoint.h): at 1,000 nodes the load
// `pairdb-admin status` shows may be ~17 minutes old; each node's /metrics is current.
constexpr Duration kPublishPeriod = 1s;
constexpr size_t kBindAttemptsMax = 16;  // Port 0: TCP's free port may be taken for UDP.
constexpr size_t kStreamHeaderBytes = 4;
// Large enough that an oversized datagram arrives whole and is rejected, not silently cut.
constexpr size_t kReceiveBufferBytes = 65536;

// The driver arms steady_timers at the core's deadlines, so it reads the system's monotonic
// clock (steady_clock) through the Clock seam; to_time_point() below relies on that.
Instant steady_now() { return SystemClock::instance().monotonic(); }

std::chrono::steady_clock::time_point to_time_point(Instant at) {
  if (at == Instant::max()) return std::chrono::steady_clock::time_point::max();
  return std::chrono::steady_clock::time_point(std::chrono::microseconds(at.us()));
}

std::string endpoint_text(const asio::ip::address& address, uint16_t port) {
  return address.is_v6() ? fmt::format("[{}]:{}", address.to_string(), port)
                         : fmt::format("{}:{}", address.to_string(), port);
}

// Runs `fn` when the scope ends: keeps the stream counter right on every exit path.
template <class Fn>
struct ScopeExit {
  Fn fn;
  ~ScopeExit() { fn(); }
};
template <class Fn>
ScopeExit(Fn) -> ScopeExit<Fn>;

// Closes `socket` unless cancelled first: bounds a whole stream exchange.
void arm_deadline(asio::steady_timer& deadline, std::shared_ptr<asio::ip::tcp::socket> socket) {
  deadline.expires_after(std::chrono::milliseconds(kGossipStreamTimeoutMs));
  deadline.async_wait([socket](boost::system::error_code ec) {
    if (ec) return;
    boost::system::error_code ignored;
    socket->close(ignored);
  });
}

}  // namespace

GossipDriver::GossipDriver(asio::io_context& io, GossipDriverOptions options,
                           replication::ClusterView* view, MetricsRegistry* metrics)
    : options_(std::move(options)),
      strand_(asio::make_strand(io)),
      view_(view),
      metrics_(metrics),
      udp_(strand_),
      acceptor_(strand_),
      timer_(strand_),
      housekeeping_(strand_),
      messages_sent_(metrics->counter("pairdb_gossip_messages_sent_total",
                                      "Gossip messages sent (datagrams and stream messages)")),
      messages_received_(metrics->counter("pairdb_gossip_messages_received_total",
                                          "Gossip messages received and accepted")),
      bytes_sent_(metrics->counter("pairdb_gossip_bytes_sent_total", "Gossip payload bytes sent")),
      bytes_received_(
          metrics->counter("pairdb_gossip_bytes_received_total", "Gossip payload bytes received")),
      malformed_(metrics->counter("pairdb_gossip_malformed_total",
                                  "Gossip datagrams or stream messages dropped as malformed")),
      foreign_cluster_(metrics->counter(
          "pairdb_gossip_foreign_cluster_total",
          "Gossip messages dropped because they came from a node of another cluster")),
      send_failures_(metrics->counter(
          "pairdb_gossip_send_failures_total",
          "Gossip messages not sent (unresolvable address, socket error, stream limit)")),
      queued_updates_(metrics->gauge(
          "pairdb_gossip_queued_updates",
          "Membership updates this node is still disseminating (0 once the cluster is quiet)")) {
  PAIRDB_ASSERT(view_ != nullptr);
  PAIRDB_ASSERT(options_.schema_version && options_.load_bytes);
}

Result<std::shared_ptr<GossipDriver>> GossipDriver::open(asio::io_context& io,
                                                         GossipDriverOptions options,
                                                         replication::ClusterView* view,
                                                         MetricsRegistry* metrics) {
  if (options.seeds.size() > gossip::kSeedsMax) {
    return Status::invalid_argument(
        fmt::format("gossip: {} seeds > {}", options.seeds.size(), gossip::kSeedsMax));
  }
  // Seeds become "ip:port" text once, here: the core compares them with its own address and
  // the driver sends to them without resolving again.
  options.swim.seeds.clear();
  for (const HostPort& seed : options.seeds) {
    boost::system::error_code ec;
    asio::ip::udp::resolver resolver(io);
    auto results = resolver.resolve(seed.host, std::to_string(seed.port), ec);
    if (ec || results.empty()) {
      PAIRDB_LOG_WARN("gossip", "seed {} does not resolve ({}); skipped", seed.to_string(),
                      ec.message());
      continue;
    }
    const auto endpoint = results.begin()->endpoint();
    options.swim.seeds.push_back(endpoint_text(endpoint.address(), endpoint.port()));
  }
  std::shared_ptr<GossipDriver> driver(new GossipDriver(io, std::move(options), view, metrics));
  PAIRDB_TRY(driver->bind());
  gossip::SelfConfig self = driver->options_.self;
  self.gossip_addr = driver->gossip_addr_;
  driver->endpoint_ = std::make_unique<gossip::GossipEndpoint>(
      driver->options_.swim, self, driver->options_.rng_seed, driver->options_.cluster_id);
  return driver;
}

Status GossipDriver::bind() {
  PAIRDB_ASSIGN_OR_RETURN(tcp::endpoint wanted,
                          net::resolve_listen_address(options_.listen.to_string()));
  if (wanted.address().is_unspecified()) {
    return Status::invalid_argument(
        fmt::format("gossip.listen {} is announced to peers: give a reachable address, not {}",
                    options_.listen.to_string(), wanted.address().to_string()));
  }
  boost::system::error_code ec;
  for (size_t attempt = 0; attempt < kBindAttemptsMax; ++attempt) {
    acceptor_ = tcp::acceptor(strand_);
    udp_ = udp::socket(strand_);
    acceptor_.open(wanted.protocol(), ec);
    if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) acceptor_.bind(wanted, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) break;
    const tcp::endpoint bound = acceptor_.local_endpoint();
    const udp::endpoint datagram(bound.address(), bound.port());
    udp_.open(datagram.protocol(), ec);
    if (!ec) udp_.bind(datagram, ec);
    if (!ec) udp_.non_blocking(true, ec);
    if (!ec) {
      gossip_addr_ = endpoint_text(bound.address(), bound.port());
      PAIRDB_ASSERT(gossip_addr_.size() <= gossip::kAddressBytesMax);
      return Status::ok();
    }
    if (wanted.port() != 0) break;  // A fixed port: retrying cannot help.
  }
  return Status::io_error(
      fmt::format("gossip: bind {} (UDP and TCP): {}", options_.listen.to_string(), ec.message()));
}

void GossipDriver::start() {
  asio::post(strand_, [self = shared_from_this()] {
    asio::co_spawn(self->strand_, self->receive_loop(), asio::detached);
    asio::co_spawn(self->strand_, self->timer_loop(), asio::detached);
    asio::co_spawn(self->strand_, self->housekeeping_loop(), asio::detached);
    asio::co_spawn(self->strand_, self->accept_loop(), asio::detached);
    self->outbox_.clear();
    self->endpoint_->start(steady_now(), self->outbox_);
    self->flush();
    self->publish_view();
    PAIRDB_LOG_INFO("gossip", "gossiping on {} (UDP and TCP) with {} seed(s)", self->gossip_addr_,
                    self->options_.swim.seeds.size());
  });
}

void GossipDriver::stop() {
  asio::post(strand_, [self = shared_from_this()] {
    self->stopped_ = true;
    boost::system::error_code ignored;
    self->udp_.close(ignored);
    self->acceptor_.close(ignored);
    self->timer_.cancel();
    self->housekeeping_.cancel();
  });
}

// ---------------------------------------------------------------------------------------------
// Input: datagrams, stream messages, timers.

asio::awaitable<void> GossipDriver::receive_loop() {
  auto self = shared_from_this();
  std::vector<char> buffer(kReceiveBufferBytes);
  udp::endpoint sender;
  while (!stopped_) {
    auto [ec, n] = co_await udp_.async_receive_from(asio::buffer(buffer), sender, kUseTuple);
    if (stopped_ || ec == asio::error::operation_aborted) break;
    if (ec) continue;  // A transient socket error; the next datagram may be fine.
    if (options_.TEST_partition != nullptr && cut_off(sender.address().to_string())) continue;
    deliver(endpoint_text(sender.address(), sender.port()), std::string_view(buffer.data(), n),
            gossip::Channel::kDatagram);
  }
}

asio::awaitable<void> GossipDriver::timer_loop() {
  auto self = shared_from_this();
  while (!stopped_) {
    co_await timer_.async_wait(kUseTuple);  // Cancelled whenever schedule() moves the deadline.
    if (stopped_) break;
    const Instant now = steady_now();
    if (now >= next_tick_) {
      next_tick_ = Instant::max();
      outbox_.clear();
      endpoint_->tick(now, outbox_);
      flush();
    }
    timer_.expires_at(to_time_point(next_tick_));
  }
}

asio::awaitable<void> GossipDriver::housekeeping_loop() {
  auto self = shared_from_this();
  while (!stopped_) {
    housekeeping_.expires_after(kHousekeepingPeriod);
    co_await housekeeping_.async_wait(kUseTuple);
    if (stopped_) break;
    const Instant now = steady_now();
    outbox_.clear();
    const bool changed = endpoint_->offer_local_state(now, options_.schema_version(),
                                                      options_.load_bytes(), outbox_);
    if (changed) flush();
    if (changed || now >= next_publish_) publish_view();
  }
}

asio::awaitable<void> GossipDriver::accept_loop() {
  auto self = shared_from_this();
  while (!stopped_) {
    auto [ec, socket] = co_await acceptor_.async_accept(kUseTuple);
    if (stopped_ || ec == asio::error::operation_aborted) break;
    if (ec) continue;
    if (options_.TEST_partition != nullptr) {
      boost::system::error_code remote_ec;
      const auto remote = socket.remote_endpoint(remote_ec);
      if (!remote_ec && cut_off(remote.address().to_string())) continue;  // Closes it.
    }
    if (streams_open_ >= kGossipStreamsMax) {
      send_failures_.inc();
      continue;  // The socket closes here; the peer's core retries its request later.
    }
    asio::co_spawn(strand_, read_stream(std::move(socket)), asio::detached);
  }
}

asio::awaitable<void> GossipDriver::read_stream(tcp::socket accepted) {
  auto self = shared_from_this();
  ++streams_open_;
  ScopeExit done{[this] { --streams_open_; }};
  auto socket = std::make_shared<tcp::socket>(std::move(accepted));
  asio::steady_timer deadline(strand_);
  arm_deadline(deadline, socket);
  boost::system::error_code ec;
  const tcp::endpoint peer = socket->remote_endpoint(ec);
  std::array<uint8_t, kStreamHeaderBytes> header{};
  auto [header_ec, header_n] = co_await asio::async_read(*socket, asio::buffer(header), kUseTuple);
  if (header_ec) co_return;
  const uint32_t length = (uint32_t{header[0]} << 24) | (uint32_t{header[1]} << 16) |
                          (uint32_t{header[2]} << 8) | uint32_t{header[3]};
  if (length == 0 || length > gossip::kMetaMessageBytesMax) {
    malformed_.inc();
    co_return;
  }
  std::string body(length, '\0');
  auto [body_ec, body_n] = co_await asio::async_read(*socket, asio::buffer(body), kUseTuple);
  deadline.cancel();
  if (body_ec || stopped_) co_return;
  deliver(endpoint_text(peer.address(), peer.port()), body, gossip::Channel::kStream);
}

void GossipDriver::deliver(const std::string& from, std::string_view bytes,
                           gossip::Channel channel) {
  outbox_.clear();
  const gossip::Arrival arrival = endpoint_->on_bytes(from, bytes, channel, steady_now(), outbox_);
  switch (arrival) {
    case gossip::Arrival::kAccepted:
      messages_received_.inc();
      bytes_received_.add(bytes.size());
      flush();
      return;
    case gossip::Arrival::kMalformed:
    case gossip::Arrival::kWrongChannel:
      malformed_.inc();
      PAIRDB_LOG_DEBUG("gossip", "dropped a message of {} bytes from {}: {}", bytes.size(), from,
                       gossip::arrival_name(arrival));
      return;
    case gossip::Arrival::kForeignCluster:
      foreign_cluster_.inc();
      // Misconfigured seeds keep sending; one line a minute is enough to find them.
      if (const Instant now = steady_now(); now >= next_foreign_warning_) {
        next_foreign_warning_ = now + std::chrono::minutes(1);
        PAIRDB_LOG_WARN("gossip",
                        "dropped gossip from {}: it belongs to another cluster (cluster_name "
                        "differs); check the seeds of both clusters",
                        from);
      }
      return;
  }
}

// ---------------------------------------------------------------------------------------------
// Output.

void GossipDriver::flush() {
  if (outbox_.encode_failures > 0) {
    send_failures_.add(outbox_.encode_failures);
    PAIRDB_LOG_WARN("gossip", "{} message(s) not sent: the codec refused them",
                    outbox_.encode_failures);
  }
  for (gossip::WireMessage& out : outbox_.messages) {
    if (out.channel == gossip::Channel::kDatagram) {
      send_datagram(out.to_addr, out.bytes);
      continue;
    }
    if (cut_off(out.to_addr)) continue;
    const std::optional<udp::endpoint> to = endpoint_for(out.to_addr);
    if (!to || streams_open_ >= kGossipStreamsMax) {
      send_failures_.inc();  // The requester asks again after meta_retry.
      continue;
    }
    asio::co_spawn(strand_,
                   send_stream(tcp::endpoint(to->address(), to->port()), std::move(out.bytes)),
                   asio::detached);
  }
  if (!outbox_.events.empty()) handle_events();
  const Instant next = outbox_.next_tick;
  outbox_.clear();
  schedule(next);
}

void GossipDriver::send_datagram(const std::string& to, const std::string& bytes) {
  PAIRDB_ASSERT(bytes.size() <= gossip::kDatagramBytesMax);
  if (cut_off(to)) return;
  const std::optional<udp::endpoint> endpoint = endpoint_for(to);
  if (!endpoint || stopped_) {
    send_failures_.inc();
    return;
  }
  boost::system::error_code ec;
  udp_.send_to(asio::buffer(bytes), *endpoint, 0, ec);  // Non-blocking: a full buffer drops it.
  if (ec) {
    send_failures_.inc();
    return;
  }
  messages_sent_.inc();
  bytes_sent_.add(bytes.size());
}

asio::awaitable<void> GossipDriver::send_stream(tcp::endpoint to, std::string bytes) {
  auto self = shared_from_this();
  ++streams_open_;
  ScopeExit done{[this] { --streams_open_; }};
  PAIRDB_ASSERT(bytes.size() <= gossip::kMetaMessageBytesMax);
  auto socket = std::make_shared<tcp::socket>(strand_);
  asio::steady_timer deadline(strand_);
  arm_deadline(deadline, socket);
  auto [connect_ec] = co_await socket->async_connect(to, kUseTuple);
  if (connect_ec) {
    send_failures_.inc();
    co_return;
  }
  const uint32_t length = static_cast<uint32_t>(bytes.size());
  const std::array<uint8_t, kStreamHeaderBytes> header = {
      static_cast<uint8_t>(length >> 24), static_cast<uint8_t>(length >> 16),
      static_cast<uint8_t>(length >> 8), static_cast<uint8_t>(length)};
  const std::array<asio::const_buffer, 2> buffers = {asio::buffer(header), asio::buffer(bytes)};
  auto [write_ec, written] = co_await asio::async_write(*socket, buffers, kUseTuple);
  deadline.cancel();
  if (write_ec) {
    send_failures_.inc();
    co_return;
  }
  messages_sent_.inc();
  bytes_sent_.add(bytes.size());
  boost::system::error_code ignored;
  socket->shutdown(tcp::socket::shutdown_send, ignored);
}

void GossipDriver::schedule(Instant at) {
  if (at >= next_tick_ || stopped_) return;
  next_tick_ = at;
  timer_.expires_at(to_time_point(at));  // Wakes timer_loop, which waits again until `at`.
}

std::optional<asio::ip::udp::endpoint> GossipDriver::endpoint_for(const std::string& address) {
  if (auto it = endpoints_.find(address); it != endpoints_.end()) return it->second;
  // Peers announce "ip:port" (and seeds were resolved to that form in open()), so a literal
  // parse is all that is needed here; anything else is not resolved on the strand.
  Result<HostPort> parsed = parse_host_port(address);
  if (!parsed.is_ok()) return std::nullopt;
  boost::system::error_code ec;
  const asio::ip::address ip = asio::ip::make_address(parsed->host, ec);
  if (ec || parsed->port == 0) return std::nullopt;
  if (endpoints_.size() >= kGossipAddressCacheMax) endpoints_.clear();
  const udp::endpoint endpoint(ip, parsed->port);
  endpoints_.emplace(address, endpoint);
  return endpoint;
}

// ---------------------------------------------------------------------------------------------
// Events and the published view.

void GossipDriver::handle_events() {
  for (const gossip::MemberEvent& event : outbox_.events) {
    const char* name = gossip::member_event_name(event.kind);
    metrics_
        ->counter("pairdb_gossip_member_events_total", "Membership events seen, by kind",
                  {{"event", name}})
        .inc();
    const gossip::Member* member = endpoint_->core().find(event.id);
    const std::string address = member != nullptr ? member->state.gossip_addr : "?";
    if (event.kind == gossip::MemberEventKind::kMetadataChanged) {
      PAIRDB_LOG_DEBUG("gossip", "member {}: {} at {} (incarnation {})", name, event.id.to_string(),
                       address, event.incarnation);
    } else {
      PAIRDB_LOG_INFO("gossip", "member {}: {} at {} (incarnation {})", name, event.id.to_string(),
                      address, event.incarnation);
    }
  }
  publish_view();
}

void GossipDriver::publish_view() {
  next_publish_ = steady_now() + kPublishPeriod;
  queued_updates_.set(static_cast<int64_t>(endpoint_->core().queued_broadcasts()));
  std::unordered_map<ring::NodeId, std::shared_ptr<const gossip::NodeMeta>> metas;
  // Reuses the shared copy of a member's metadata until its meta_version changes.
  auto shared_meta = [&](const gossip::NodeMeta& meta) {
    auto it = metas_.find(meta.id);
    std::shared_ptr<const gossip::NodeMeta> ptr =
        it != metas_.end() && it->second->meta_version == meta.meta_version
            ? it->second
            : std::make_shared<const gossip::NodeMeta>(meta);
    metas.emplace(meta.id, ptr);
    return ptr;
  };
  auto member_of = [](const gossip::MemberUpdate& u) {
    replication::ClusterMember m;
    m.id = u.id;
    m.gossip_addr = u.gossip_addr;
    m.incarnation = u.incarnation;
    m.liveness = u.liveness;
    m.status = u.status;
    m.schema_version = u.schema_version;
    m.load_bytes = u.load_bytes;
    return m;
  };
  std::vector<replication::ClusterMember> members;
  members.reserve(endpoint_->core().members().size() + 1);
  replication::ClusterMember self = member_of(endpoint_->core().self_state());
  self.meta = shared_meta(endpoint_->core().self_meta());
  self.is_self = true;
  members.push_back(std::move(self));
  for (const auto& [id, m] : endpoint_->core().members()) {
    replication::ClusterMember member = member_of(m.state);
    if (m.meta) member.meta = shared_meta(*m.meta);
    members.push_back(std::move(member));
  }
  metas_ = std::move(metas);
  if (Status s = view_->publish(std::move(members)); !s.is_ok()) {
    PAIRDB_LOG_WARN("gossip", "ring not rebuilt, keeping the previous one: {}", s.to_string());
  }
}

}  // namespace pairdb::server
