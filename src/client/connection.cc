#include "client/connection.h"

#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <fmt/format.h>

#include "client/host_port.h"
#include "client/request_codec.h"
#include "client/response_codec.h"
#include "common/assert.h"

namespace pairdb::client {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {
constexpr size_t kReadChunkBytes = 64 * 1024;
constexpr auto kAwaitTuple = asio::as_tuple(asio::use_awaitable);
}  // namespace

Connection::Connection(Strand strand, std::string address, ConnectionOptions options,
                       ClosedCallback on_closed)
    : strand_(std::move(strand)),
      address_(std::move(address)),
      options_(std::move(options)),
      on_closed_(std::move(on_closed)),
      resolver_(strand_),
      socket_(strand_),
      connect_timer_(strand_),
      decoder_(options_.max_frame_bytes),
      read_buffer_(kReadChunkBytes) {
  PAIRDB_ASSERT(options_.in_flight_max >= 1);
}

Connection::~Connection() = default;

void Connection::start() {
  PAIRDB_ASSERT(state_ == State::kConnecting);
  connect_timer_.expires_after(std::chrono::milliseconds(options_.connect_timeout_ms));
  connect_timer_.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
    if (ec) return;
    if (auto self = weak.lock()) self->on_connect_timeout();
  });
  asio::co_spawn(strand_, run(), asio::detached);
}

void Connection::on_connect_timeout() {
  if (state_ != State::kConnecting) return;
  close(Error{Errc::kConnection, fmt::format("connecting to {} took longer than {} ms", address_,
                                             options_.connect_timeout_ms)});
}

asio::awaitable<bool> Connection::connect_socket() {
  const std::optional<HostPort> target = split_host_port(address_);
  if (!target) {
    close(Error{Errc::kInvalidArgument, fmt::format("bad node address '{}'", address_)});
    co_return false;
  }
  auto [resolve_error, endpoints] =
      co_await resolver_.async_resolve(target->host, target->port, kAwaitTuple);
  if (state_ == State::kClosed) co_return false;
  if (resolve_error) {
    close(Error{Errc::kConnection,
                fmt::format("cannot resolve {}: {}", address_, resolve_error.message())});
    co_return false;
  }
  auto [connect_error, endpoint] = co_await asio::async_connect(socket_, endpoints, kAwaitTuple);
  if (state_ == State::kClosed) co_return false;
  if (connect_error) {
    close(Error{Errc::kConnection,
                fmt::format("cannot connect to {}: {}", address_, connect_error.message())});
    co_return false;
  }
  boost::system::error_code ignored;
  socket_.set_option(tcp::no_delay(true), ignored);
  co_return true;
}

asio::awaitable<void> Connection::run() {
  auto self = shared_from_this();  // Lives as long as the read loop.
  if (!co_await connect_socket()) co_return;
  hello_stream_id_ = send_now(0, net::Opcode::kHello, encode_hello_payload(options_.client_name),
                              nullptr);
  for (;;) {
    auto [error, bytes] = co_await socket_.async_read_some(asio::buffer(read_buffer_), kAwaitTuple);
    if (state_ == State::kClosed) co_return;
    if (error) {
      close(Error{Errc::kConnection, fmt::format("connection to {} lost: {}", address_,
                                                 error == asio::error::eof ? "closed by the node"
                                                                           : error.message())});
      co_return;
    }
    decoder_.feed(std::span<const uint8_t>(read_buffer_.data(), bytes));
    while (state_ != State::kClosed) {
      std::optional<net::Frame> frame = decoder_.next();
      if (!frame) break;
      on_frame(std::move(*frame));
    }
    if (state_ == State::kClosed) co_return;
    if (decoder_.has_error()) {
      close(Error{Errc::kProtocol, fmt::format("bad frame from {}: {}", address_,
                                               decoder_.error_status().to_string())});
      co_return;
    }
  }
}

void Connection::on_frame(net::Frame frame) {
  const uint32_t stream_id = frame.header.stream_id;
  if (stream_id == net::kConnectionStreamId) {
    Error reason = frame.header.is_error()
                       ? decode_error_frame(frame)
                       : Error{Errc::kProtocol, "a non-error frame on stream 0"};
    reason.message = fmt::format("{} closed the connection: {}", address_, reason.message);
    close(reason);
    return;
  }
  auto it = in_flight_.find(stream_id);
  if (!frame.header.is_response() || it == in_flight_.end()) {
    close(Error{Errc::kProtocol, fmt::format("{} answered stream {}, which awaits no response",
                                             address_, stream_id)});
    return;
  }
  InFlight entry = std::move(it->second);
  in_flight_.erase(it);
  if (stream_id == hello_stream_id_) {
    on_hello(frame);
    return;
  }
  stream_of_ticket_.erase(entry.ticket);
  if (entry.handler) post_result(std::move(entry.handler), std::move(frame), true);
  pump();
}

void Connection::on_hello(const net::Frame& frame) {
  PAIRDB_ASSERT(state_ == State::kConnecting);
  Expected<HelloInfo> hello = decode_hello(frame);
  if (!hello) {
    Error reason = hello.error();
    reason.message = fmt::format("Hello to {} failed: {}", address_, reason.message);
    close(reason);
    return;
  }
  if (hello->protocol_version != net::kProtocolVersion) {
    close(Error{Errc::kProtocol, fmt::format("{} chose protocol version {}, we speak only {}",
                                             address_, hello->protocol_version,
                                             net::kProtocolVersion)});
    return;
  }
  hello_ = std::move(hello).value();
  if (hello_.max_frame_bytes != 0) server_max_frame_bytes_ = hello_.max_frame_bytes;
  connect_timer_.cancel();
  state_ = State::kReady;
  pump();
}

uint64_t Connection::submit(net::Opcode opcode, std::string payload, ResponseHandler handler) {
  PAIRDB_ASSERT(handler != nullptr);
  const uint64_t ticket = ++last_ticket_;
  if (state_ == State::kClosed) {
    post_result(std::move(handler),
                Error{Errc::kConnection, fmt::format("connection to {} is closed", address_)},
                false);
  } else if (payload.size() > server_max_frame_bytes_) {
    post_result(std::move(handler),
                Error{Errc::kTooLarge, fmt::format("request of {} bytes is above the node's "
                                                   "frame limit of {} bytes",
                                                   payload.size(), server_max_frame_bytes_)},
                false);
  } else if (waiting_.size() >= options_.queued_max) {
    post_result(std::move(handler),
                Error{Errc::kOverloaded, fmt::format("{} requests already queued for {}",
                                                     waiting_.size(), address_)},
                false);
  } else {
    waiting_.push_back(Waiting{ticket, opcode, std::move(payload), std::move(handler)});
    pump();
  }
  return ticket;
}

void Connection::abandon(uint64_t ticket) {
  if (auto it = stream_of_ticket_.find(ticket); it != stream_of_ticket_.end()) {
    in_flight_.at(it->second).handler = nullptr;  // Keeps the stream id until the answer.
    stream_of_ticket_.erase(it);
    return;
  }
  for (auto it = waiting_.begin(); it != waiting_.end(); ++it) {
    if (it->ticket == ticket) {
      waiting_.erase(it);
      return;
    }
  }
}

void Connection::pump() {
  while (state_ == State::kReady && !waiting_.empty() &&
         in_flight_.size() < options_.in_flight_max) {
    Waiting next = std::move(waiting_.front());
    waiting_.pop_front();
    send_now(next.ticket, next.opcode, next.payload, std::move(next.handler));
  }
}

uint32_t Connection::send_now(uint64_t ticket, net::Opcode opcode, const std::string& payload,
                              ResponseHandler handler) {
  const uint32_t stream_id = next_stream_id();
  in_flight_.emplace(stream_id, InFlight{ticket, std::move(handler)});
  if (ticket != 0) stream_of_ticket_.emplace(ticket, stream_id);
  net::FrameHeader header;
  header.opcode = opcode;
  header.stream_id = stream_id;
  write_buffer_ += net::encode_frame(header, std::string_view(payload));
  schedule_write();
  return stream_id;
}

void Connection::schedule_write() {
  if (writing_ || write_scheduled_) return;
  // After the handlers already queued: every request they submit (a pipelined client answering
  // a burst of responses with a burst of requests) then leaves in one write.
  write_scheduled_ = true;
  asio::post(socket_.get_executor(), [self = shared_from_this()] {
    self->write_scheduled_ = false;
    self->start_write();
  });
}

uint32_t Connection::next_stream_id() {
  // At most in_flight_max + 1 ids are taken, so this loop ends within that many steps.
  for (;;) {
    ++last_stream_id_;
    if (last_stream_id_ == net::kConnectionStreamId) continue;
    if (!in_flight_.contains(last_stream_id_)) return last_stream_id_;
  }
}

void Connection::start_write() {
  if (writing_ || write_buffer_.empty() || state_ == State::kClosed) return;
  writing_ = true;
  writing_buffer_.swap(write_buffer_);
  write_buffer_.clear();
  asio::async_write(socket_, asio::buffer(writing_buffer_),
                    [self = shared_from_this()](boost::system::error_code error, size_t) {
                      self->writing_ = false;
                      self->writing_buffer_.clear();
                      if (self->state_ == State::kClosed) return;
                      if (error) {
                        self->close(Error{Errc::kConnection,
                                          fmt::format("writing to {} failed: {}", self->address_,
                                                      error.message())});
                        return;
                      }
                      self->start_write();
                    });
}

void Connection::close(const Error& reason) {
  if (state_ == State::kClosed) return;
  auto self = shared_from_this();
  const bool was_ready = state_ == State::kReady;
  state_ = State::kClosed;
  connect_timer_.cancel();
  resolver_.cancel();
  boost::system::error_code ignored;
  socket_.shutdown(tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);

  std::deque<Waiting> waiting = std::move(waiting_);
  std::unordered_map<uint32_t, InFlight> in_flight = std::move(in_flight_);
  waiting_.clear();
  in_flight_.clear();
  stream_of_ticket_.clear();
  for (Waiting& request : waiting) post_result(std::move(request.handler), reason, false);
  for (auto& [stream_id, request] : in_flight) {
    if (request.handler) post_result(std::move(request.handler), reason, true);
  }
  if (on_closed_) {
    ClosedCallback on_closed = std::move(on_closed_);
    on_closed_ = nullptr;
    on_closed(was_ready, reason);
  }
}

void Connection::post_result(ResponseHandler handler, Expected<net::Frame> result, bool sent) {
  asio::post(strand_, [handler = std::move(handler), result = std::move(result), sent]() mutable {
    handler(std::move(result), sent);
  });
}

}  // namespace pairdb::client
