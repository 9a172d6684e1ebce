#include "net/internode_client.h"

#include <fmt/format.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <deque>
#include <unordered_map>

#include "common/assert.h"
#include "net/frame_batch.h"

namespace pairdb::net {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using SteadyClock = std::chrono::steady_clock;

namespace {
constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
constexpr size_t kReadChunkBytes = 64 * 1024;
constexpr size_t kWriteBatchFramesMax = 256;
constexpr uint32_t kHandshakeStreamId = 1;

// The first 4 bytes of a raw node id in hex, as node ids appear in logs.
std::string short_id(const std::string& raw_id) {
  std::string out;
  for (size_t i = 0; i < raw_id.size() && i < 4; ++i) {
    out += fmt::format("{:02x}", static_cast<uint8_t>(raw_id[i]));
  }
  return out;
}
}  // namespace

struct InternodeClient::PeerState {
  InternodePeer peer;
  std::vector<std::shared_ptr<InternodePeerConnection>> slots;
  size_t next_slot = 0;
  SteadyClock::time_point retry_at{};  // No new connection before this.
  std::chrono::milliseconds backoff{0};
  InternodePeerStats stats;
};

// One connection to a peer: connect, handshake, then pipelined requests by stream id. Runs on
// the client's executor. Invariant: every pending request is counted in its peer's in-flight
// figures, and completes exactly once (answer, expiry or failure of the connection).
class InternodePeerConnection : public std::enable_shared_from_this<InternodePeerConnection> {
 public:
  InternodePeerConnection(asio::any_io_executor executor, InternodeClientOptions options,
                          std::shared_ptr<InternodeClient::PeerState> peer)
      : socket_(executor), timer_(executor), options_(std::move(options)), peer_(std::move(peer)) {}

  // Posted: co_spawn would run the first steps (resolve, a failed connect) at once, inside the
  // caller's send().
  void start() {
    asio::post(socket_.get_executor(), [self = shared_from_this()] {
      asio::co_spawn(self->socket_.get_executor(), self->run(self), asio::detached);
    });
  }
  bool usable() const { return !closed_; }
  bool ready() const { return ready_; }

  void submit(const internode::Request& request, InternodeDeadline deadline,
              InternodeCallback done) {
    PAIRDB_ASSERT(!closed_);
    next_stream_ = next_stream_ == UINT32_MAX ? kHandshakeStreamId + 1 : next_stream_ + 1;
    std::string frame = internode::encode_request(next_stream_, request);
    const uint32_t bytes = static_cast<uint32_t>(frame.size());
    pending_[next_stream_] = Pending{std::move(done), deadline, bytes};
    peer_->stats.in_flight += 1;
    peer_->stats.in_flight_bytes += bytes;
    peer_->stats.bytes_sent += bytes;
    outbox_.push_back(std::move(frame));
    if (ready_) flush();
  }

  // Completes every request past its deadline with Status::timeout.
  void expire(SteadyClock::time_point now) {
    // Taken out first, called after: a callback may send again on this very connection.
    std::vector<InternodeCallback> expired;
    for (auto it = pending_.begin(); it != pending_.end();) {
      if (it->second.deadline > now) {
        ++it;
        continue;
      }
      expired.push_back(take(it++).done);
      peer_->stats.timeouts += 1;
    }
    for (const auto& done : expired) {
      done(Status::timeout(fmt::format("node {} did not answer before the deadline",
                                       short_id(peer_->peer.node_id))));
    }
  }

  // Closes the connection; every pending request completes with `why` on a later turn.
  void fail(const Status& why) {
    if (!closed_) {
      closed_ = true;
      ready_ = false;
      boost::system::error_code ignored;
      timer_.cancel();
      socket_.close(ignored);
    }
    outbox_.clear();
    std::vector<InternodeCallback> callbacks;
    for (auto it = pending_.begin(); it != pending_.end();) callbacks.push_back(take(it++).done);
    if (callbacks.empty()) return;
    asio::post(socket_.get_executor(), [callbacks = std::move(callbacks), why] {
      for (const auto& done : callbacks) done(why);
    });
  }

 private:
  struct Pending {
    InternodeCallback done;
    InternodeDeadline deadline;
    uint32_t bytes = 0;
  };

  Pending take(std::unordered_map<uint32_t, Pending>::iterator it) {
    Pending p = std::move(it->second);
    pending_.erase(it);
    PAIRDB_ASSERT(peer_->stats.in_flight > 0);
    peer_->stats.in_flight -= 1;
    peer_->stats.in_flight_bytes -= p.bytes;
    return p;
  }

  asio::awaitable<void> run(std::shared_ptr<InternodePeerConnection> self);
  asio::awaitable<Status> connect_and_handshake(FrameDecoder& decoder);
  asio::awaitable<void> write_loop(std::shared_ptr<InternodePeerConnection> self);
  void on_frame(Frame frame);
  void flush() {
    if (writing_ || outbox_.empty() || closed_) return;
    writing_ = true;
    asio::co_spawn(socket_.get_executor(), write_loop(shared_from_this()), asio::detached);
  }

  tcp::socket socket_;
  asio::steady_timer timer_;
  const InternodeClientOptions options_;
  const std::shared_ptr<InternodeClient::PeerState> peer_;
  std::unordered_map<uint32_t, Pending> pending_;
  std::deque<std::string> outbox_;
  uint32_t next_stream_ = kHandshakeStreamId;
  bool ready_ = false;
  bool writing_ = false;
  bool closed_ = false;
};

asio::awaitable<Status> InternodePeerConnection::connect_and_handshake(FrameDecoder& decoder) {
  // Resolved asynchronously: a slow or failing name lookup must not stall the coordinator.
  const std::string& address = peer_->peer.address;
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    co_return Status::invalid_argument(fmt::format("bad peer address '{}'", address));
  }
  std::string host = address.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  tcp::resolver resolver(socket_.get_executor());
  auto [resolve_ec, resolved] =
      co_await resolver.async_resolve(host, address.substr(colon + 1), kUseTuple);
  if (resolve_ec || resolved.empty()) {
    co_return Status::unavailable(fmt::format("cannot resolve '{}': {}", address,
                                              resolve_ec ? resolve_ec.message() : "no address"));
  }
  const tcp::endpoint endpoint = resolved.begin()->endpoint();
  // One timer bounds connect and handshake: on expiry it closes the socket, which ends the
  // pending operation with an error.
  auto expired = std::make_shared<bool>(false);
  timer_.expires_after(std::chrono::milliseconds(options_.connect_timeout_ms));
  timer_.async_wait([this, self = shared_from_this(), expired](boost::system::error_code ec) {
    if (ec || closed_ || ready_) return;
    *expired = true;
    boost::system::error_code ignored;
    socket_.close(ignored);
  });
  auto [connect_ec] = co_await socket_.async_connect(endpoint, kUseTuple);
  if (!connect_ec) {
    boost::system::error_code ignored;
    socket_.set_option(tcp::no_delay(true), ignored);
    internode::Handshake hello;
    hello.cluster_id = options_.cluster_id;
    hello.node_id = options_.self_id;
    const std::string frame = internode::encode_request(kHandshakeStreamId, hello);
    auto [write_ec, written] = co_await asio::async_write(socket_, asio::buffer(frame), kUseTuple);
    connect_ec = write_ec;
  }
  std::optional<Frame> reply;
  std::vector<uint8_t> chunk(4096);
  while (!connect_ec && !reply && !decoder.has_error()) {
    auto [ec, n] = co_await socket_.async_read_some(asio::buffer(chunk), kUseTuple);
    connect_ec = ec;
    if (!ec) decoder.feed(std::span<const uint8_t>(chunk.data(), n));
    reply = decoder.next();
  }
  timer_.cancel();
  if (*expired) co_return Status::timeout("connect and handshake took too long");
  if (connect_ec) co_return Status::unavailable(connect_ec.message());
  if (!reply) co_return decoder.error_status();
  Result<internode::Response> response = internode::decode_response(*reply);
  if (!response.is_ok()) co_return response.status();
  if (const auto* refusal = std::get_if<internode::InternodeError>(&*response)) {
    co_return Status::unavailable(fmt::format("handshake refused: {}", refusal->message));
  }
  const auto* accepted = std::get_if<internode::HandshakeReply>(&*response);
  if (accepted == nullptr) co_return Status::corruption("the handshake was not answered");
  if (accepted->cluster_id != options_.cluster_id) {
    co_return Status::unavailable("the peer belongs to another cluster");
  }
  if (accepted->node_id != peer_->peer.node_id) {
    co_return Status::unavailable(
        fmt::format("the address belongs to node {} now", short_id(accepted->node_id)));
  }
  co_return Status::ok();
}

asio::awaitable<void> InternodePeerConnection::run(std::shared_ptr<InternodePeerConnection> self) {
  FrameDecoder decoder(options_.max_frame_bytes);
  const Status connected = co_await connect_and_handshake(decoder);
  if (closed_) co_return;
  if (!connected.is_ok()) {
    peer_->stats.connect_failures += 1;
    peer_->backoff =
        std::clamp(2 * peer_->backoff, std::chrono::milliseconds(options_.backoff_initial_ms),
                   std::chrono::milliseconds(options_.backoff_max_ms));
    peer_->retry_at = SteadyClock::now() + peer_->backoff;
    fail(Status::unavailable(fmt::format("cannot reach node {} at {}: {}",
                                         short_id(peer_->peer.node_id), peer_->peer.address,
                                         connected.to_string())));
    co_return;
  }
  peer_->stats.connects += 1;
  peer_->backoff = std::chrono::milliseconds(0);
  ready_ = true;
  flush();
  std::vector<uint8_t> chunk(kReadChunkBytes);
  while (!closed_) {
    while (std::optional<Frame> frame = decoder.next()) on_frame(std::move(*frame));
    if (decoder.has_error() || closed_) break;
    auto [ec, n] = co_await socket_.async_read_some(asio::buffer(chunk), kUseTuple);
    if (ec) break;
    peer_->stats.bytes_received += n;
    decoder.feed(std::span<const uint8_t>(chunk.data(), n));
  }
  fail(Status::unavailable(
      fmt::format("connection to node {} closed", short_id(peer_->peer.node_id))));
}

void InternodePeerConnection::on_frame(Frame frame) {
  auto it = pending_.find(frame.header.stream_id);
  if (it == pending_.end()) return;  // Expired already: a late answer.
  Pending p = take(it);
  Result<internode::Response> response = frame.header.is_response()
                                             ? internode::decode_response(frame)
                                             : Status::corruption("a request frame from a peer");
  if (!response.is_ok() || std::holds_alternative<internode::InternodeError>(*response)) {
    peer_->stats.errors += 1;
  }
  p.done(std::move(response));
}

asio::awaitable<void> InternodePeerConnection::write_loop(
    std::shared_ptr<InternodePeerConnection> self) {
  std::vector<std::string> batch;
  while (!outbox_.empty() && !closed_) {
    const auto buffers = take_frame_batch(outbox_, batch, kWriteBatchFramesMax);
    auto [ec, n] = co_await asio::async_write(socket_, buffers, kUseTuple);
    if (ec) {
      fail(Status::unavailable(
          fmt::format("write to node {} failed: {}", short_id(peer_->peer.node_id), ec.message())));
      break;
    }
  }
  writing_ = false;
}

InternodeClient::InternodeClient(asio::any_io_executor executor, InternodeClientOptions options)
    : executor_(std::move(executor)), options_(std::move(options)), sweep_timer_(executor_) {
  PAIRDB_ASSERT(options_.connections_per_peer >= 1);
  PAIRDB_ASSERT(options_.self_id.size() == internode::kNodeIdBytes);
  sweep();
}

InternodeClient::~InternodeClient() { close(); }

void InternodeClient::close() {
  if (closed_) return;
  closed_ = true;
  sweep_timer_.cancel();
  for (auto& [id, peer] : peers_) {
    for (auto& connection : peer->slots) {
      if (connection) connection->fail(Status::unavailable("the internode client closed"));
      connection.reset();  // A connection holds its peer's state: break the cycle.
    }
  }
}

void InternodeClient::fail_later(InternodeCallback done, Status status) {
  asio::post(executor_, [done = std::move(done), status = std::move(status)] { done(status); });
}

InternodeClient::PeerState& InternodeClient::peer_state(const InternodePeer& peer) {
  auto& state = peers_[peer.node_id];
  if (!state) {
    state = std::make_shared<PeerState>();
    state->peer = peer;
    state->slots.resize(options_.connections_per_peer);
  } else if (state->peer.address != peer.address) {
    // The peer moved (restarted on another port): drop the connections to the old address.
    for (auto& connection : state->slots) {
      if (connection) connection->fail(Status::unavailable("the peer's address changed"));
      connection.reset();
    }
    state->peer.address = peer.address;
    state->retry_at = {};
    state->backoff = std::chrono::milliseconds(0);
  }
  return *state;
}

std::shared_ptr<InternodePeerConnection> InternodeClient::pick_connection(PeerState& peer) {
  const size_t slots = peer.slots.size();
  // Round robin over the usable connections; an empty or closed slot is (re)dialled unless the
  // peer is in backoff.
  for (size_t i = 0; i < slots; ++i) {
    auto& slot = peer.slots[(peer.next_slot + i) % slots];
    if (slot && slot->usable()) {
      peer.next_slot = (peer.next_slot + i + 1) % slots;
      if (slot->ready() || i + 1 == slots) return slot;
      continue;  // Still connecting: prefer a ready one if there is one.
    }
    if (SteadyClock::now() < peer.retry_at) continue;
    slot =
        std::make_shared<InternodePeerConnection>(executor_, options_, peers_[peer.peer.node_id]);
    slot->start();
    peer.next_slot = (peer.next_slot + i + 1) % slots;
    return slot;
  }
  for (auto& slot : peer.slots) {
    if (slot && slot->usable()) return slot;
  }
  return nullptr;
}

void InternodeClient::send(const InternodePeer& peer, const internode::Request& request,
                           InternodeDeadline deadline, InternodeCallback done) {
  PAIRDB_ASSERT(!std::holds_alternative<internode::Handshake>(request));
  if (closed_) {
    fail_later(std::move(done), Status::unavailable("the internode client is closed"));
    return;
  }
  PeerState& state = peer_state(peer);
  state.stats.requests += 1;
  if (options_.TEST_partition != nullptr && options_.TEST_partition->blocks(peer.address)) {
    state.stats.errors += 1;
    fail_later(std::move(done),
               Status::unavailable(fmt::format("node {} at {} is cut off (test partition)",
                                               short_id(peer.node_id), peer.address)));
    return;
  }
  if (state.stats.in_flight >= options_.max_inflight_per_peer ||
      state.stats.in_flight_bytes >= options_.max_inflight_bytes_per_peer) {
    state.stats.overloaded += 1;
    fail_later(std::move(done),
               Status::overloaded(fmt::format("{} requests ({} bytes) already await node {}",
                                              state.stats.in_flight, state.stats.in_flight_bytes,
                                              short_id(peer.node_id))));
    return;
  }
  auto connection = pick_connection(state);
  if (!connection || !connection->usable()) {
    state.stats.errors += 1;
    fail_later(std::move(done),
               Status::unavailable(fmt::format("node {} at {} is unreachable (retrying shortly)",
                                               short_id(peer.node_id), peer.address)));
    return;
  }
  connection->submit(request, deadline, std::move(done));
}

void InternodeClient::disconnect(const std::string& node_id) {
  auto it = peers_.find(node_id);
  if (it == peers_.end()) return;
  for (auto& connection : it->second->slots) {
    if (connection) connection->fail(Status::unavailable("the peer was declared dead"));
    connection.reset();
  }
}

void InternodeClient::sweep() {
  if (closed_) return;
  const auto now = SteadyClock::now();
  for (auto& [id, peer] : peers_) {
    for (auto& connection : peer->slots) {
      if (connection) connection->expire(now);
    }
  }
  sweep_timer_.expires_after(std::chrono::milliseconds(options_.sweep_interval_ms));
  sweep_timer_.async_wait(
      [this, alive = std::weak_ptr<bool>(alive_)](boost::system::error_code ec) {
        if (!ec && !alive.expired()) sweep();
      });
}

std::map<std::string, InternodePeerStats> InternodeClient::stats() const {
  std::map<std::string, InternodePeerStats> out;
  for (const auto& [id, peer] : peers_) out[id] = peer->stats;
  return out;
}

}  // namespace pairdb::net
