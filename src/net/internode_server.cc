#include "net/internode_server.h"

#include <fmt/format.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <deque>
#include <vector>

#include "common/assert.h"
#include "net/endpoint.h"
#include "net/frame_batch.h"
#include "net/wire.h"

namespace pairdb::net {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {
constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
constexpr size_t kReadChunkBytes = 64 * 1024;
constexpr size_t kWriteBatchFramesMax = 256;

std::string error_frame(uint32_t stream_id, internode::InternodeOp op, wire::ErrorCode code,
                        std::string message) {
  internode::InternodeError error;
  error.code = static_cast<uint16_t>(code);
  error.message = std::move(message);
  return internode::encode_response(stream_id, op, error);
}
}  // namespace

// One peer connection. Every member is touched only on the connection's strand.
// Invariant: requests reach the handler only after an accepted handshake; the socket closes only
// once reading stopped, nothing is in flight and the outbox is flushed (or a write failed).
class InternodeConnection : public std::enable_shared_from_this<InternodeConnection> {
 public:
  InternodeConnection(tcp::socket socket, std::shared_ptr<InternodeServer::Shared> shared)
      : socket_(std::move(socket)),
        handshake_timer_(socket_.get_executor()),
        shared_(std::move(shared)),
        options_(shared_->options),
        check_(shared_->check_handshake),
        handler_(shared_->handler) {
    shared_->counters.open.fetch_add(1);
  }
  ~InternodeConnection() { shared_->counters.open.fetch_sub(1); }

  void start() {
    asio::co_spawn(socket_.get_executor(), read_loop(shared_from_this()), asio::detached);
    handshake_timer_.expires_after(std::chrono::milliseconds(options_.handshake_timeout_ms));
    handshake_timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (ec || !self->peer_id_.empty()) return;
      self->close();  // No handshake in time: a port scanner or a stuck peer.
    });
  }

  void stop_reading() {
    asio::post(socket_.get_executor(), [self = shared_from_this()] {
      boost::system::error_code ignored;
      self->socket_.shutdown(tcp::socket::shutdown_receive, ignored);
      self->read_done_ = true;
      self->maybe_close();
    });
  }

 private:
  asio::awaitable<void> read_loop(std::shared_ptr<InternodeConnection> self);
  asio::awaitable<void> write_loop(std::shared_ptr<InternodeConnection> self);
  // False when the frame ended the connection.
  bool on_frame(Frame frame);
  bool on_handshake(const Frame& frame);
  void enqueue(std::string frame);
  void complete(std::string frame);
  void maybe_close();
  void close();

  tcp::socket socket_;
  asio::steady_timer handshake_timer_;
  const std::shared_ptr<InternodeServer::Shared> shared_;
  const InternodeServerOptions& options_;  // The rest point into *shared_.
  const HandshakeCheck& check_;
  const InternodeHandler& handler_;
  std::string peer_id_;  // Empty until the handshake is accepted.
  std::deque<std::string> outbox_;
  uint32_t in_flight_ = 0;
  bool writing_ = false;
  bool read_done_ = false;
  bool closed_ = false;
};

asio::awaitable<void> InternodeConnection::read_loop(std::shared_ptr<InternodeConnection> self) {
  FrameDecoder decoder(options_.max_frame_bytes);
  std::vector<uint8_t> chunk(kReadChunkBytes);
  while (!read_done_) {
    auto [ec, n] = co_await socket_.async_read_some(asio::buffer(chunk), kUseTuple);
    if (ec) break;
    decoder.feed(std::span<const uint8_t>(chunk.data(), n));
    bool ok = true;
    while (ok && !read_done_) {
      std::optional<Frame> frame = decoder.next();
      if (!frame) break;
      ok = on_frame(std::move(*frame));
    }
    if (!ok) break;
    if (decoder.has_error()) {
      shared_->counters.malformed_frames.fetch_add(1);
      const FrameHeader& header = decoder.error_header();
      enqueue(error_frame(header.stream_id, internode::from_frame_opcode(header.opcode),
                          error_code_for(decoder.error()),
                          std::string(decoder.error_status().message())));
      break;
    }
  }
  read_done_ = true;
  maybe_close();
}

bool InternodeConnection::on_frame(Frame frame) {
  const auto op = internode::from_frame_opcode(frame.header.opcode);
  const uint32_t stream_id = frame.header.stream_id;
  if (peer_id_.empty()) return on_handshake(frame);
  Result<internode::Request> request = frame.header.is_response()
                                           ? Status::invalid_argument("a response frame")
                                           : internode::decode_request(frame);
  if (request.is_ok() && std::holds_alternative<internode::Handshake>(*request)) {
    request = Status::invalid_argument("a second handshake");
  }
  if (!request.is_ok()) {
    // The peer runs broken or foreign code: answer once, then stop trusting this stream.
    shared_->counters.malformed_frames.fetch_add(1);
    enqueue(error_frame(stream_id, op, wire::ErrorCode::MalformedFrame,
                        std::string(request.status().message())));
    return false;
  }
  if (shared_->stopping.load()) {
    enqueue(error_frame(stream_id, op, wire::ErrorCode::ShuttingDown, "the node is shutting down"));
    return true;
  }
  if (in_flight_ >= options_.max_inflight_per_connection) {
    shared_->counters.overloaded.fetch_add(1);
    enqueue(error_frame(
        stream_id, op, wire::ErrorCode::Overloaded,
        fmt::format("more than {} requests in flight", options_.max_inflight_per_connection)));
    return true;
  }
  ++in_flight_;
  shared_->counters.in_flight.fetch_add(1);
  shared_->counters.requests.fetch_add(1);
  auto self = shared_from_this();
  handler_(peer_id_, stream_id, std::move(request).value(), [self](std::string response) {
    asio::post(self->socket_.get_executor(), [self, response = std::move(response)]() mutable {
      self->complete(std::move(response));
    });
  });
  return true;
}

bool InternodeConnection::on_handshake(const Frame& frame) {
  const auto op = internode::from_frame_opcode(frame.header.opcode);
  Result<internode::Request> request = frame.header.is_response()
                                           ? Status::invalid_argument("a response frame")
                                           : internode::decode_request(frame);
  Result<internode::HandshakeReply> reply =
      Status::invalid_argument("the first frame on an internode connection must be a Handshake");
  if (!request.is_ok()) {
    reply = request.status();
  } else if (const auto* hello = std::get_if<internode::Handshake>(&*request)) {
    reply = check_(*hello);
    if (reply.is_ok()) peer_id_ = hello->node_id;
  }
  if (!reply.is_ok()) {
    shared_->counters.refused_handshakes.fetch_add(1);
    enqueue(error_frame(frame.header.stream_id, op, error_code_for(reply.status()),
                        std::string(reply.status().message())));
    return false;
  }
  PAIRDB_ASSERT(!peer_id_.empty());
  handshake_timer_.cancel();
  enqueue(internode::encode_response(frame.header.stream_id, op, *reply));
  return true;
}

void InternodeConnection::complete(std::string frame) {
  PAIRDB_ASSERT(in_flight_ > 0);
  --in_flight_;
  shared_->counters.in_flight.fetch_sub(1);
  enqueue(std::move(frame));
  maybe_close();
}

void InternodeConnection::enqueue(std::string frame) {
  if (closed_) return;
  outbox_.push_back(std::move(frame));
  if (!writing_) {
    writing_ = true;
    // Posted (co_spawn alone would start writing at once): every response ready in this turn
    // goes out in the writer's first write.
    asio::post(socket_.get_executor(), [self = shared_from_this()] {
      asio::co_spawn(self->socket_.get_executor(), self->write_loop(self), asio::detached);
    });
  }
}

asio::awaitable<void> InternodeConnection::write_loop(std::shared_ptr<InternodeConnection> self) {
  std::vector<std::string> batch;
  while (!outbox_.empty() && !closed_) {
    const auto buffers = take_frame_batch(outbox_, batch, kWriteBatchFramesMax);
    auto [ec, n] = co_await asio::async_write(socket_, buffers, kUseTuple);
    if (ec) {
      outbox_.clear();
      read_done_ = true;
      close();
      break;
    }
  }
  writing_ = false;
  maybe_close();
}

void InternodeConnection::maybe_close() {
  if (closed_ || !read_done_ || in_flight_ > 0 || writing_ || !outbox_.empty()) return;
  close();
}

void InternodeConnection::close() {
  if (closed_) return;
  closed_ = true;
  read_done_ = true;
  handshake_timer_.cancel();
  boost::system::error_code ignored;
  socket_.shutdown(tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
}

InternodeServer::InternodeServer(asio::io_context& io, InternodeServerOptions options,
                                 HandshakeCheck check_handshake, InternodeHandler handler)
    : io_(io), acceptor_(io) {
  PAIRDB_ASSERT(check_handshake && handler);
  shared_->options = options;
  shared_->check_handshake = std::move(check_handshake);
  shared_->handler = std::move(handler);
}

InternodeServer::~InternodeServer() { stop(); }

Result<tcp::endpoint> InternodeServer::listen(const tcp::endpoint& endpoint) {
  return open_listener(acceptor_, endpoint, "internode");
}

void InternodeServer::start() { accept_next(); }

void InternodeServer::accept_next() {
  acceptor_.async_accept(asio::make_strand(io_), [this, shared = shared_](
                                                     boost::system::error_code ec,
                                                     tcp::socket socket) {
    if (shared->stopping.load() || ec == asio::error::operation_aborted || !acceptor_.is_open()) {
      return;
    }
    if (!ec) {
      socket.set_option(tcp::no_delay(true));
      auto connection = std::make_shared<InternodeConnection>(std::move(socket), shared);
      {
        std::lock_guard lock(shared->mutex);
        std::erase_if(shared->connections, [](const auto& weak) { return weak.expired(); });
        shared->connections.insert(connection);
      }
      shared->counters.accepted.fetch_add(1);
      connection->start();
    }
    accept_next();  // EMFILE and friends: keep serving the connections we have.
  });
}

void InternodeServer::stop() {
  if (shared_->stopping.exchange(true)) return;
  asio::post(acceptor_.get_executor(), [this] {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
  });
  std::lock_guard lock(shared_->mutex);
  for (const auto& weak : shared_->connections) {
    if (auto connection = weak.lock()) connection->stop_reading();
  }
}

}  // namespace pairdb::net
