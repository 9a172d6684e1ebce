#include "client/node_pool.h"

#include <algorithm>
#include <utility>

#include "common/assert.h"

namespace pairdb::client {

NodePool::NodePool(Strand strand, std::string address, NodePoolOptions options, Rng& rng,
                   std::function<Instant()> clock,
                   std::function<void(const Error&)> on_connection_lost)
    : strand_(std::move(strand)),
      address_(std::move(address)),
      options_(std::move(options)),
      rng_(rng),
      on_connection_lost_(std::move(on_connection_lost)),
      clock_(std::move(clock)) {
  PAIRDB_ASSERT(options_.connections_max >= 1);
}

void NodePool::prune_closed() {
  std::erase_if(connections_, [](const std::shared_ptr<Connection>& c) {
    return c->state() == Connection::State::kClosed;
  });
}

bool NodePool::has_ready() const {
  return std::any_of(connections_.begin(), connections_.end(),
                     [](const auto& c) { return c->state() == Connection::State::kReady; });
}

bool NodePool::in_backoff() const { return consecutive_failures_ > 0 && clock_() < retry_at_; }

std::shared_ptr<Connection> NodePool::pick() {
  prune_closed();
  std::shared_ptr<Connection> ready;
  std::shared_ptr<Connection> connecting;
  for (const auto& c : connections_) {
    auto& best = c->state() == Connection::State::kReady ? ready : connecting;
    if (!best || c->load() < best->load()) best = c;
  }
  const bool slot_free = connections_.size() < options_.connections_max;
  if (ready) {
    if (ready->load() > 0 && slot_free && !connecting && !in_backoff()) open();
    return ready;
  }
  if (connecting) return connecting;
  if (in_backoff()) return nullptr;
  return open();
}

void NodePool::warm() {
  prune_closed();
  if (connections_.empty() && !in_backoff()) open();
}

std::shared_ptr<Connection> NodePool::open() {
  PAIRDB_ASSERT(connections_.size() < options_.connections_max);
  auto connection =
      std::make_shared<Connection>(strand_, address_, options_.connection,
                                   [weak = weak_from_this()](bool was_ready, const Error& reason) {
                                     auto self = weak.lock();
                                     if (!self) return;
                                     self->on_closed(was_ready);
                                     if (self->on_connection_lost_)
                                       self->on_connection_lost_(reason);
                                   });
  connections_.push_back(connection);
  connection->start();
  return connection;
}

void NodePool::on_closed(bool was_ready) {
  if (was_ready) {
    consecutive_failures_ = 0;  // The node was up a moment ago: let the next request retry.
    return;
  }
  const uint32_t delay_ms = backoff_delay_ms(options_.reconnect, consecutive_failures_, rng_);
  ++consecutive_failures_;
  retry_at_ = clock_() + std::chrono::milliseconds(delay_ms);
}

void NodePool::close_all(const Error& reason) {
  // Close a copy: closing runs callbacks that may touch connections_.
  std::vector<std::shared_ptr<Connection>> connections = connections_;
  for (const auto& c : connections) c->close(reason);
  prune_closed();
}

}  // namespace pairdb::client
