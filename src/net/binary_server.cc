#include "net/binary_server.h"

#include <fmt/format.h>

#include <unistd.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <deque>
#include <optional>
#include <vector>

#include "common/assert.h"
#include "net/endpoint.h"
#include "net/frame_batch.h"
#include "net/wire.h"

namespace pairdb::net {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
// The idle watchdog arms an asio steady_timer, so it reads steady_clock directly: the same
// clock as SystemClock::monotonic() (common/clock.h).
using Clock = std::chrono::steady_clock;

namespace {
constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
// Frames written by one write call; coalescing small responses saves syscalls under pipelining.
constexpr size_t kWriteBatchFramesMax = 64;
// Bytes asked of the socket per read. Larger frames arrive over several reads.
constexpr size_t kReadChunkBytes = 64 * 1024;
// After the last frame of a closing connection: how long, and how much, input is discarded.
constexpr int kLingerMs = 500;
constexpr size_t kLingerBytesMax = 1u << 20;
}  // namespace

class BinaryConnection;
// The connection whose dispatch() is running on this thread, if any: a handler that answers
// before returning (storage work done inline) is then already on the connection's strand,
// and its answer is queued directly instead of being posted back.
thread_local const BinaryConnection* t_dispatching = nullptr;

// One client connection. All members are touched only on the connection's strand.
// Invariant: the socket closes only after reading stopped, nothing is in flight and the
// outbox is empty (or a write failed).
class BinaryConnection : public std::enable_shared_from_this<BinaryConnection> {
 public:
  BinaryConnection(tcp::socket socket, const BinaryServerOptions& options, ConnectionBudget* budget,
                   const FrameHandler& handler, std::shared_ptr<BinaryServer::Shared> shared)
      : socket_(std::move(socket)),
        idle_timer_(socket_.get_executor()),
        options_(options),
        budget_(budget),
        handler_(handler),
        shared_(std::move(shared)) {
    shared_->open.fetch_add(1);
  }
  ~BinaryConnection() {
    shared_->open.fetch_sub(1);
    budget_->release();
  }

  void start() {
    last_activity_ = Clock::now();
    // Synchronous writes return would_block instead of waiting (see flush()); asynchronous
    // operations are unaffected.
    boost::system::error_code ignored;
    socket_.non_blocking(true, ignored);
    asio::co_spawn(socket_.get_executor(), read_loop(shared_from_this()), asio::detached);
    asio::co_spawn(socket_.get_executor(), idle_watchdog(shared_from_this()), asio::detached);
  }

  // Stops reading new requests (server shutdown). Safe from any thread.
  void stop_reading() {
    asio::post(socket_.get_executor(), [self = shared_from_this()] {
      boost::system::error_code ignored;
      self->socket_.shutdown(tcp::socket::shutdown_receive, ignored);
      self->read_done_ = true;
      self->maybe_close();
    });
  }

 private:
  asio::awaitable<void> read_loop(std::shared_ptr<BinaryConnection> self);
  asio::awaitable<void> write_loop(std::shared_ptr<BinaryConnection> self);
  asio::awaitable<void> idle_watchdog(std::shared_ptr<BinaryConnection> self);
  asio::awaitable<void> linger_then_close(std::shared_ptr<BinaryConnection> self);
  void dispatch(Frame frame);
  // Answers one dispatched request. REQUIRES: on the strand.
  void complete(std::string response);
  void enqueue(std::string frame);
  // Writes what the outbox holds without waiting when the socket takes it all (the common
  // case: a response is far smaller than the socket buffer); whatever it does not take goes
  // back to the front of the outbox for write_loop to finish asynchronously.
  void flush();
  // A write failed (the peer is gone): nothing more is read or written.
  void fail_writes();
  void maybe_close();

  tcp::socket socket_;
  asio::steady_timer idle_timer_;
  const BinaryServerOptions options_;
  ConnectionBudget* const budget_;
  const FrameHandler handler_;
  std::shared_ptr<BinaryServer::Shared> shared_;
  std::deque<std::string> outbox_;
  uint32_t in_flight_ = 0;
  bool writing_ = false;
  bool read_done_ = false;
  bool closed_ = false;
  Clock::time_point last_activity_;
};

asio::awaitable<void> BinaryConnection::read_loop(std::shared_ptr<BinaryConnection> self) {
  // One read takes whatever has arrived (with pipelining, many frames per syscall); the
  // sans-IO decoder cuts it into frames and refuses a bad header before its payload is read.
  FrameDecoder decoder(options_.max_frame_bytes);
  std::vector<uint8_t> chunk(kReadChunkBytes);
  while (!read_done_) {
    auto [ec, n] = co_await socket_.async_read_some(asio::buffer(chunk), kUseTuple);
    if (ec) break;
    last_activity_ = Clock::now();
    decoder.feed(std::span<const uint8_t>(chunk.data(), n));
    while (!read_done_) {
      std::optional<Frame> frame = decoder.next();
      if (!frame) break;
      dispatch(std::move(*frame));
    }
    if (decoder.has_error()) {
      // The stream cannot be trusted past a bad header: answer, then close once flushed.
      const FrameHeader& header = decoder.error_header();
      enqueue(encode_error_frame(header.stream_id, header.opcode, error_code_for(decoder.error()),
                                 decoder.error_status().message()));
      break;
    }
  }
  read_done_ = true;
  maybe_close();
}

void BinaryConnection::dispatch(Frame frame) {
  const FrameHeader header = frame.header;
  // Flags, stream id, opcode and payload, checked by the sans-IO rules every server shares.
  if (std::optional<RequestRejection> rejection = check_request(frame)) {
    enqueue(
        encode_error_frame(header.stream_id, header.opcode, rejection->code, rejection->message));
    return;
  }
  if (shared_->stopping.load()) {
    enqueue(encode_error_frame(header.stream_id, header.opcode, wire::ErrorCode::ShuttingDown,
                               "the node is shutting down; send the request to another node"));
    return;
  }
  if (in_flight_ >= options_.max_inflight_per_connection) {
    enqueue(encode_error_frame(header.stream_id, header.opcode, wire::ErrorCode::Overloaded,
                               fmt::format("more than {} requests in flight on this connection",
                                           options_.max_inflight_per_connection)));
    return;
  }
  ++in_flight_;
  shared_->in_flight.fetch_add(1);
  auto self = shared_from_this();
  const BinaryConnection* outer = t_dispatching;
  t_dispatching = this;
  handler_(std::move(frame), [self](std::string response) {
    if (t_dispatching == self.get()) {
      self->complete(std::move(response));
      return;
    }
    asio::post(self->socket_.get_executor(), [self, response = std::move(response)]() mutable {
      self->complete(std::move(response));
    });
  });
  t_dispatching = outer;
}

void BinaryConnection::complete(std::string response) {
  PAIRDB_ASSERT(in_flight_ > 0);
  --in_flight_;
  shared_->in_flight.fetch_sub(1);
  enqueue(std::move(response));
}

void BinaryConnection::enqueue(std::string frame) {
  if (closed_) return;
  outbox_.push_back(std::move(frame));
  if (!writing_) {
    writing_ = true;
    // After the current handler: the responses of every request read with this one (pipelined)
    // then leave in one write.
    asio::post(socket_.get_executor(), [self = shared_from_this()] { self->flush(); });
  }
}

void BinaryConnection::flush() {
  std::vector<std::string> batch;
  while (!outbox_.empty() && !closed_) {
    const auto buffers = take_frame_batch(outbox_, batch, kWriteBatchFramesMax);
    boost::system::error_code ec;
    size_t written = socket_.write_some(buffers, ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) {
      ec.clear();
      written = 0;
    }
    if (ec) {
      fail_writes();
      break;
    }
    last_activity_ = Clock::now();
    if (written == asio::buffer_size(buffers)) continue;
    // The socket is full: the unwritten rest goes back in front, in order, for write_loop.
    size_t first_unwritten = 0, start = 0;
    while (start + batch[first_unwritten].size() <= written) {
      start += batch[first_unwritten].size();
      ++first_unwritten;
    }
    batch[first_unwritten].erase(0, written - start);
    for (size_t i = batch.size(); i-- > first_unwritten;) outbox_.push_front(std::move(batch[i]));
    asio::co_spawn(socket_.get_executor(), write_loop(shared_from_this()), asio::detached);
    return;
  }
  writing_ = false;
  maybe_close();
}

void BinaryConnection::fail_writes() {
  read_done_ = true;
  outbox_.clear();
  boost::system::error_code ignored;
  socket_.close(ignored);
  closed_ = true;
}

asio::awaitable<void> BinaryConnection::write_loop(std::shared_ptr<BinaryConnection> self) {
  std::vector<std::string> batch;
  while (!outbox_.empty() && !closed_) {
    const auto buffers = take_frame_batch(outbox_, batch, kWriteBatchFramesMax);
    auto [ec, n] = co_await asio::async_write(socket_, buffers, kUseTuple);
    if (ec) {
      fail_writes();
      break;
    }
    last_activity_ = Clock::now();
  }
  writing_ = false;
  maybe_close();
}

asio::awaitable<void> BinaryConnection::idle_watchdog(std::shared_ptr<BinaryConnection> self) {
  const auto idle = std::chrono::milliseconds(options_.idle_timeout_ms);
  while (!closed_) {
    auto deadline = last_activity_ + idle;
    const auto now = Clock::now();
    if (now >= deadline) {
      if (in_flight_ == 0 && !writing_) {
        read_done_ = true;
        boost::system::error_code ignored;
        socket_.close(ignored);  // Ends the pending read; read_loop then finishes the close.
        break;
      }
      deadline = now + idle;  // Busy, not idle: look again later.
    }
    idle_timer_.expires_at(deadline);
    co_await idle_timer_.async_wait(kUseTuple);  // Woken early only by a close.
  }
}

void BinaryConnection::maybe_close() {
  if (closed_ || !read_done_ || in_flight_ > 0 || writing_ || !outbox_.empty()) return;
  closed_ = true;
  idle_timer_.cancel();
  boost::system::error_code ignored;
  socket_.shutdown(tcp::socket::shutdown_send, ignored);
  asio::co_spawn(socket_.get_executor(), linger_then_close(shared_from_this()), asio::detached);
}

asio::awaitable<void> BinaryConnection::linger_then_close(std::shared_ptr<BinaryConnection> self) {
  // Closing a socket with unread input makes the kernel send a reset, which can destroy the
  // error frame just written. So: read and discard until the peer closes, for a short while.
  asio::steady_timer linger(socket_.get_executor());
  linger.expires_after(std::chrono::milliseconds(kLingerMs));
  linger.async_wait([self](boost::system::error_code ec) {
    if (ec) return;
    boost::system::error_code ignored;
    self->socket_.close(ignored);  // Ends the draining read below.
  });
  char discard[4096];
  for (size_t drained = 0; drained < kLingerBytesMax;) {
    auto [ec, n] = co_await socket_.async_read_some(asio::buffer(discard), kUseTuple);
    if (ec) break;
    drained += n;
  }
  linger.cancel();
  boost::system::error_code ignored;
  socket_.close(ignored);
}

BinaryServer::BinaryServer(asio::io_context& io, BinaryServerOptions options,
                           ConnectionBudget* budget, FrameHandler handler)
    : io_(io), options_(options), budget_(budget), handler_(std::move(handler)), acceptor_(io) {}

BinaryServer::~BinaryServer() { stop(); }

Result<tcp::endpoint> BinaryServer::listen(const tcp::endpoint& endpoint) {
  return open_listener(acceptor_, endpoint, "binary");
}

void BinaryServer::start() {
  asio::co_spawn(acceptor_.get_executor(), accept_loop(), asio::detached);
}

void BinaryServer::stop() {
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

asio::awaitable<void> BinaryServer::accept_loop() {
  while (!shared_->stopping.load()) {
    // Accepted onto the server's own context: a pending accept must never hold a socket of
    // another io_context, which may be destroyed first.
    auto [ec, socket] =
        co_await acceptor_.async_accept(asio::any_io_executor(asio::make_strand(io_)), kUseTuple);
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor_.is_open()) co_return;
      continue;  // EMFILE and friends: keep serving the connections we have.
    }
    if (!budget_->try_acquire()) {
      // Over the connection limit: one error frame on the connection stream, then close.
      auto frame = std::make_shared<std::string>(
          encode_error_frame(kConnectionStreamId, Opcode::kHello, wire::ErrorCode::Overloaded,
                             fmt::format("too many open connections (max {})", budget_->max())));
      auto shared_socket = std::make_shared<tcp::socket>(std::move(socket));
      asio::async_write(*shared_socket, asio::buffer(*frame),
                        [shared_socket, frame](boost::system::error_code, size_t) {
                          boost::system::error_code ignored;
                          shared_socket->close(ignored);
                        });
      continue;
    }
    socket.set_option(tcp::no_delay(true));
    if (options_.connection_executor) {
      // Move the descriptor to the connection's own io_context.
      boost::system::error_code move_ec;
      const auto protocol = socket.local_endpoint(move_ec).protocol();
      const auto fd = move_ec ? -1 : socket.release(move_ec);
      if (move_ec) {
        budget_->release();
        continue;  // The socket (if still held) closes as it goes out of scope.
      }
      tcp::socket rehomed(options_.connection_executor());
      rehomed.assign(protocol, fd, move_ec);
      if (move_ec) {
        ::close(fd);
        budget_->release();
        continue;
      }
      socket = std::move(rehomed);
    }
    auto connection =
        std::make_shared<BinaryConnection>(std::move(socket), options_, budget_, handler_, shared_);
    {
      std::lock_guard lock(shared_->mutex);
      std::erase_if(shared_->connections, [](const auto& weak) { return weak.expired(); });
      shared_->connections.insert(connection);
    }
    connection->start();
  }
}

}  // namespace pairdb::net
