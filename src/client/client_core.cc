#include "client/client_core.h"

#include <algorithm>
#include <random>
#include <utility>

#include <fmt/format.h>
#include <boost/asio/post.hpp>

#include "client/host_port.h"
#include "client/idempotency_key.h"
#include "client/request_codec.h"
#include "client/request_runner.h"
#include "client/response_codec.h"
#include "common/assert.h"

namespace pairdb::client::detail {

namespace asio = boost::asio;

namespace {

uint64_t seed_of(const ClientOptions& options) {
  if (options.seed != 0) return options.seed;
  std::random_device device;
  return (static_cast<uint64_t>(device()) << 32) ^ device();
}

std::optional<Error> validate(const ClientOptions& options) {
  auto invalid = [](std::string message) { return Error{Errc::kInvalidArgument, message}; };
  if (options.contact_points.empty()) return invalid("ClientOptions: no contact_points");
  for (const std::string& point : options.contact_points) {
    if (!split_host_port(point)) {
      return invalid(fmt::format("ClientOptions: contact point '{}' is not host:port", point));
    }
  }
  if (options.connections_per_node == 0) return invalid("ClientOptions: connections_per_node 0");
  if (options.in_flight_per_connection_max == 0) {
    return invalid("ClientOptions: in_flight_per_connection_max 0");
  }
  if (options.request_timeout_ms == 0 || options.connect_timeout_ms == 0) {
    return invalid("ClientOptions: request_timeout_ms and connect_timeout_ms must be > 0");
  }
  return std::nullopt;
}

}  // namespace

ClientCore::ClientCore(asio::any_io_executor executor, ClientOptions options)
    : executor_(std::move(executor)),
      options_(std::move(options)),
      options_error_(validate(options_)),
      strand_(asio::make_strand(executor_)),
      key_rng_(seed_of(options_)),
      rng_(key_rng_.next_u64()),
      refresh_timer_(strand_),
      deadline_timer_(strand_) {}

ClientCore::~ClientCore() = default;

Instant ClientCore::now() const {
  const auto since_epoch = std::chrono::steady_clock::now().time_since_epoch();
  return Instant::from_us(std::chrono::duration_cast<Duration>(since_epoch).count());
}

void ClientCore::start() {
  if (options_error_) return;
  asio::post(strand_, [self = shared_from_this()] {
    self->refresh_topology();
    self->arm_periodic_refresh();
  });
}

std::string ClientCore::new_idempotency_key() {
  std::lock_guard lock(key_mutex_);
  return make_idempotency_key(key_rng_);
}

void ClientCore::run(CallSpec spec) {
  asio::post(strand_, [self = shared_from_this(), spec = std::move(spec)]() mutable {
    if (self->options_error_) {
      spec.complete(*self->options_error_);
      return;
    }
    if (self->shut_down_) {
      spec.complete(Error{Errc::kCancelled, "the client is closed"});
      return;
    }
    const uint64_t id = ++self->last_runner_id_;
    auto runner = std::make_shared<RequestRunner>(self, std::move(spec), id);
    self->runners_.emplace(id, runner);
    runner->start();
  });
}

void ClientCore::forget(uint64_t runner_id) { runners_.erase(runner_id); }

void ClientCore::watch_deadline(std::chrono::steady_clock::time_point at, uint64_t runner_id) {
  if (deadlines_.size() > 2 * runners_.size() + 1024) {
    // Mostly finished runners' entries: keep the live ones only, so the queue stays in
    // proportion to the calls in flight.
    std::vector<Deadline> live;
    live.reserve(runners_.size());
    for (; !deadlines_.empty(); deadlines_.pop()) {
      if (runners_.count(deadlines_.top().second) != 0) live.push_back(deadlines_.top());
    }
    deadlines_ = decltype(deadlines_)(std::greater<>(), std::move(live));
  }
  deadlines_.emplace(at, runner_id);
  if (!deadline_timer_at_ || at < *deadline_timer_at_) arm_deadline_timer();
}

void ClientCore::arm_deadline_timer() {
  if (deadlines_.empty() || shut_down_) return;
  deadline_timer_at_ = deadlines_.top().first;
  deadline_timer_.expires_at(*deadline_timer_at_);
  deadline_timer_.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
    auto self = weak.lock();
    if (!ec && self) self->on_deadline_timer();
  });
}

void ClientCore::on_deadline_timer() {
  deadline_timer_at_.reset();
  const auto now = std::chrono::steady_clock::now();
  while (!deadlines_.empty() && deadlines_.top().first <= now) {
    const uint64_t id = deadlines_.top().second;
    deadlines_.pop();
    auto it = runners_.find(id);
    if (it == runners_.end()) continue;
    if (auto runner = it->second.lock()) runner->on_deadline();
  }
  arm_deadline_timer();
}

void ClientCore::shutdown_async() {
  asio::post(strand_, [self = shared_from_this()] { self->shutdown(); });
}

void ClientCore::shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  refresh_timer_.cancel();
  deadline_timer_.cancel();
  const Error reason{Errc::kCancelled, "the client was closed"};
  auto runners = std::move(runners_);
  runners_.clear();
  for (auto& [id, weak] : runners) {
    if (auto runner = weak.lock()) runner->cancel(reason);
  }
  for (auto& [address, pool] : pools_) pool->close_all(reason);
}

void ClientCore::fill_candidates(const CallSpec& spec) {
  candidates_.clear();
  if (!spec.node_address.empty()) {
    candidates_.push_back(&pool_for(spec.node_address));
    return;
  }
  if (router_.empty()) {
    for (const std::string& point : options_.contact_points)
      candidates_.push_back(&pool_for(point));
    return;
  }
  if (spec.opcode == net::Opcode::kTopology) {
    candidates_ = router_pools_;
    for (const std::string& point : options_.contact_points) {
      const auto& known = router_.addresses();
      if (std::find(known.begin(), known.end(), point) == known.end()) {
        candidates_.push_back(&pool_for(point));
      }
    }
    return;
  }
  if (spec.token && options_.token_aware) {
    router_.order_for(*spec.token, &order_, &taken_);
    for (uint32_t index : order_) candidates_.push_back(router_pools_[index]);
    return;
  }
  const size_t start = round_robin_++ % router_pools_.size();
  for (size_t i = 0; i < router_pools_.size(); ++i) {
    candidates_.push_back(router_pools_[(start + i) % router_pools_.size()]);
  }
}

NodePool& ClientCore::pool_for(const std::string& address) {
  auto it = pools_.find(address);
  if (it == pools_.end()) {
    NodePoolOptions pool_options;
    pool_options.connections_max = options_.connections_per_node;
    pool_options.reconnect = {options_.reconnect_backoff_initial_ms,
                              options_.reconnect_backoff_max_ms};
    pool_options.connection = {options_.client_name, options_.in_flight_per_connection_max,
                               options_.queued_per_connection_max, options_.connect_timeout_ms,
                               options_.max_frame_bytes};
    auto pool = std::make_shared<NodePool>(
        strand_, address, pool_options, rng_, [this] { return now(); },
        [weak = weak_from_this()](const Error& reason) {
          if (auto self = weak.lock()) self->note_failure(reason);
        });
    it = pools_.emplace(address, std::move(pool)).first;
  }
  return *it->second;
}

std::shared_ptr<Connection> ClientCore::connection_for(const CallSpec& spec, uint32_t attempt) {
  if (shut_down_) return nullptr;
  fill_candidates(spec);
  const std::vector<NodePool*>& nodes = candidates_;
  if (nodes.empty()) return nullptr;
  const size_t first = attempt % nodes.size();
  // The preferred node (a key's primary replica, for a token-aware call) gets a connection
  // opened if it has none, so the requests after this one go to it; this one does not wait for
  // the connect when another candidate is ready.
  nodes[first]->warm();
  // Prefer the first candidate (in this attempt's rotation) that is already connected...
  for (size_t i = 0; i < nodes.size(); ++i) {
    NodePool& pool = *nodes[(first + i) % nodes.size()];
    if (pool.has_ready()) return pool.pick();
  }
  // ...else the first one not in reconnect backoff, which then connects.
  for (size_t i = 0; i < nodes.size(); ++i) {
    NodePool& pool = *nodes[(first + i) % nodes.size()];
    if (auto connection = pool.pick()) return connection;
  }
  return nullptr;
}

void ClientCore::note_failure(const Error& error) {
  if (shut_down_) return;
  const bool topology_may_have_moved = error.code == Errc::kConnection ||
                                       error.code == Errc::kShuttingDown ||
                                       error.code == Errc::kUnavailable;
  if (!topology_may_have_moved) return;
  const auto min_interval = std::chrono::milliseconds(options_.topology_refresh_min_interval_ms);
  if (last_refresh_started_ && now() - *last_refresh_started_ < min_interval) return;
  refresh_topology();
}

void ClientCore::refresh_topology() {
  if (refreshing_ || shut_down_) return;
  refreshing_ = true;
  last_refresh_started_ = now();
  CallSpec spec;
  spec.opcode = net::Opcode::kTopology;
  spec.kind = CallKind::kRead;
  spec.timeout_ms = options_.request_timeout_ms;
  spec.encode = [](uint32_t) { return encode_payload(TopologyArgs{}); };
  spec.complete = [weak = weak_from_this()](Expected<net::Frame> response) {
    if (auto self = weak.lock()) self->on_topology(std::move(response));
  };
  const uint64_t id = ++last_runner_id_;
  auto runner = std::make_shared<RequestRunner>(shared_from_this(), std::move(spec), id);
  runners_.emplace(id, runner);
  runner->start();
}

void ClientCore::on_topology(Expected<net::Frame> response) {
  refreshing_ = false;
  if (!response || shut_down_) return;
  Expected<Topology> topology = decode_topology(*response);
  if (!topology || topology->partitioner != "xxh3-64") return;  // Keep the last good router.
  TokenRouter router = TokenRouter::build(*topology);
  if (router.empty()) return;
  router_ = std::move(router);
  router_pools_.clear();
  for (const std::string& address : router_.addresses()) {
    router_pools_.push_back(&pool_for(address));
  }
}

void ClientCore::arm_periodic_refresh() {
  if (options_.topology_refresh_ms == 0 || shut_down_) return;
  refresh_timer_.expires_after(std::chrono::milliseconds(options_.topology_refresh_ms));
  refresh_timer_.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
    auto self = weak.lock();
    if (ec || !self || self->shut_down_) return;
    self->refresh_topology();
    self->arm_periodic_refresh();
  });
}

}  // namespace pairdb::client::detail
