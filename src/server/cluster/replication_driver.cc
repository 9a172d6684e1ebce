#include "server/cluster/replication_driver.h"

#include <fmt/format.h>

#include <boost/asio/post.hpp>
#include <random>

#include <pairdb/replication/context_auth.h>

#include "common/assert.h"
#include "net/wire.h"
#include "replication/placement.h"
#include "replication/quorum.h"
#include "replication/range_merge.h"
#include "server/cluster/replica_service.h"
#include "server/cluster/replication_driver_internal.h"

namespace pairdb::server {

namespace asio = boost::asio;
namespace internode = net::internode;
using replication::OpId;
using replication::VersionRecord;

namespace {

// What a peer's answer to a ReplicaWrite says about the write.
Status write_ack_status(const Result<internode::Response>& response) {
  if (!response.is_ok()) return response.status();
  if (const auto* error = std::get_if<internode::InternodeError>(&*response)) {
    return status_of(*error);
  }
  if (std::holds_alternative<internode::ReplicaWriteReply>(*response)) return Status::ok();
  return Status::corruption("a ReplicaWrite answered with another response type");
}

Result<VersionRecord> read_reply_record(const Result<internode::Response>& response) {
  if (!response.is_ok()) return response.status();
  if (const auto* error = std::get_if<internode::InternodeError>(&*response)) {
    return status_of(*error);
  }
  if (const auto* reply = std::get_if<internode::ReplicaReadReply>(&*response)) {
    return record_from(reply->record);
  }
  return Status::corruption("a ReplicaRead answered with another response type");
}

}  // namespace

Status status_of(const internode::InternodeError& error) {
  const std::string_view message = error.message;
  const QuorumCount quorum{error.required, error.achieved};
  const bool counted = error.required != 0 || error.achieved != 0;
  switch (static_cast<wire::ErrorCode>(error.code)) {
    case wire::ErrorCode::NotFound:
      return Status::not_found(message);
    case wire::ErrorCode::TableNotFound:
      return Status::table_not_found(message);
    case wire::ErrorCode::InvalidArgument:
      return Status::invalid_argument(message);
    case wire::ErrorCode::TooLarge:
      return Status::too_large(message);
    case wire::ErrorCode::Unavailable:
      return counted ? Status::unavailable(message, quorum) : Status::unavailable(message);
    case wire::ErrorCode::Timeout:
      return counted ? Status::timeout(message, quorum) : Status::timeout(message);
    case wire::ErrorCode::Overloaded:
      return Status::overloaded(message);
    case wire::ErrorCode::ShuttingDown:
      return Status::shutting_down(message);
    case wire::ErrorCode::Unauthorized:
      return Status::unauthorized(message);
    case wire::ErrorCode::TableExists:
      return Status::table_exists(message);
    default:
      return Status::io_error(fmt::format("peer error {}: {}", error.code, message));
  }
}

// Places a key and resolves the level, refusing at once what cannot succeed.
Result<Placed> place_key(const replication::ClusterSnapshot& snapshot,
                         const replication::TableInfo& table, std::string_view partition_key,
                         replication::Consistency level, const ring::NodeId& self,
                         std::string_view local_dc, size_t fallbacks) {
  const ring::ReplicationSpec spec = replication::replication_spec_of(table.spec);
  PAIRDB_ASSIGN_OR_RETURN(auto endpoints,
                          replication::place(snapshot, spec, partition_key, fallbacks));
  Placed placed;
  placed.replicas = replication::coordinator_replicas(endpoints, self);
  placed.fallbacks = replication::coordinator_fallbacks(endpoints);
  PAIRDB_ASSIGN_OR_RETURN(placed.rule, replication::quorum_rule(level, spec, local_dc));
  // Natural replicas come first in `endpoints`, fallbacks after: the coordinator's indexes.
  for (size_t i = 0; i < endpoints.size(); ++i) {
    PAIRDB_ASSERT(i < placed.replicas.size() ? endpoints[i].natural : !endpoints[i].natural);
    placed.peers.push_back({raw_id(endpoints[i].id), endpoints[i].internode_address});
  }
  if (placed.replicas.size() < placed.rule.required()) {
    return Status::unavailable(
        fmt::format(
            "consistency {} needs {} replica(s) of table '{}', but its replication ({} replica(s)) "
            "finds only {} node(s) on the ring: add nodes, or create the table with a smaller "
            "replication factor, e.g. \"replication\": {{\"{}\": {}}}",
            replication::consistency_name(level), placed.rule.required(), table.spec.name,
            spec.total_rf(), placed.replicas.size(), local_dc,
            std::max<size_t>(1, placed.replicas.size())),
        QuorumCount{placed.rule.required(), static_cast<uint32_t>(placed.replicas.size())});
  }
  return placed;
}

size_t fallbacks_for(const replication::TableInfo& table) {
  if (!table.spec.sloppy_quorum) return 0;
  const ring::ReplicationSpec spec = replication::replication_spec_of(table.spec);
  return std::min<size_t>(spec.total_rf(), ring::kFallbackReplicasMax);
}

ReplicationDriver::ReplicationDriver(asio::io_context& io, ReplicationDriverOptions options,
                                     const replication::ClusterView* cluster,
                                     const Catalog* catalog, replication::ReplicaStore* store,
                                     replication::HybridClock* hlc, net::InternodeClient* client)
    : io_(io),
      options_(std::move(options)),
      cluster_(cluster),
      catalog_(catalog),
      store_(store),
      hlc_(hlc),
      client_(client),
      coordinator_(options_.coordinator),
      timer_(io),
      forward_key_prefix_(std::random_device{}() * 0x100000001ull ^ std::random_device{}()) {
  PAIRDB_ASSERT(options_.run_blocking && options_.clock != nullptr);
  PAIRDB_ASSERT(cluster_ && catalog_ && store_ && hlc_ && client_);
}

ReplicationDriver::~ReplicationDriver() { timer_.cancel(); }

std::string ReplicationDriver::forward_idempotency_key(OpId op) const {
  return fmt::format("fwd:{:016x}:{}", forward_key_prefix_, op);
}

net::InternodeDeadline ReplicationDriver::transport_deadline(Instant deadline) const {
  // The daemon's Clock is SystemClock, whose monotonic time is steady_clock's.
  return net::InternodeDeadline(std::chrono::microseconds(deadline.us()));
}

template <typename T>
Reply<T> ReplicationDriver::timed(std::string_view op, replication::Consistency level,
                                  Reply<T> done) const {
  if (options_.latency == nullptr) return done;
  return [this, op, level, started = now(), done = std::move(done)](Result<T> result) {
    const std::string_view outcome =
        result.is_ok() ? std::string_view("OK") : status_code_name(result.status().code());
    options_.latency->observe(
        op, replication::consistency_name(level), outcome,
        static_cast<uint64_t>(std::max<int64_t>(0, (now() - started).count())));
    done(std::move(result));
  };
}

void ReplicationDriver::write(CoordinatedWrite write, Reply<CoordinatedWriteReply> done) {
  done = timed("write", write.consistency, std::move(done));
  auto plan = plan_write(write);
  if (!plan.is_ok()) {
    done(plan.status());
    return;
  }
  if (replication::self_is_whole_write(plan->request)) {
    write_here(std::move(write), std::move(done), plan->request.deadline);
    return;
  }
  asio::post(io_, [this, write = std::move(write), done = std::move(done),
                   plan = std::move(plan).value()]() mutable {
    start_write(std::move(write), std::move(done), std::move(plan));
  });
}

void ReplicationDriver::read(CoordinatedRead read, Reply<VersionRecord> done) {
  done = timed("read", read.consistency, std::move(done));
  auto plan = plan_read(read);
  if (!plan.is_ok()) {
    done(plan.status());
    return;
  }
  if (replication::self_answers_read(plan->request)) {
    read_here(std::make_shared<LocalRead>(
        LocalRead{std::move(read), std::move(done), std::move(plan).value()}));
    return;
  }
  asio::post(io_, [this, read = std::move(read), done = std::move(done),
                   plan = std::move(plan).value()]() mutable {
    start_read(std::move(read), std::move(done), std::move(plan));
  });
}

void ReplicationDriver::range(CoordinatedRange range, Reply<CoordinatedRangeReply> done) {
  done = timed("query", range.consistency, std::move(done));
  asio::post(io_, [this, range = std::move(range), done = std::move(done)]() mutable {
    start_range(std::move(range), std::move(done));
  });
}

Result<ReplicationDriver::PlannedWrite> ReplicationDriver::plan_write(const CoordinatedWrite& write,
                                                                      bool forwarded) const {
  PAIRDB_ASSIGN_OR_RETURN(
      auto placed,
      place_key(*cluster_->snapshot(), *write.table, write.partition_key, write.consistency,
                options_.self, options_.local_dc, fallbacks_for(*write.table)));
  PlannedWrite plan;
  plan.request.replicas = std::move(placed.replicas);
  plan.request.rule = std::move(placed.rule);
  plan.request.local_dc = options_.local_dc;
  plan.request.deadline = std::min(write.deadline, now() + options_.write_timeout);
  plan.request.keyed = !write.write.idempotency_key.empty();
  plan.request.forwarded = forwarded;
  plan.request.fallbacks = std::move(placed.fallbacks);
  plan.request.sloppy = write.table->spec.sloppy_quorum;
  plan.peers = std::move(placed.peers);
  return plan;
}

Result<ReplicationDriver::PlannedRead> ReplicationDriver::plan_read(
    const CoordinatedRead& read) const {
  PAIRDB_ASSIGN_OR_RETURN(auto placed,
                          place_key(*cluster_->snapshot(), *read.table, read.partition_key,
                                    read.consistency, options_.self, options_.local_dc));
  PlannedRead plan;
  plan.request.replicas = std::move(placed.replicas);
  plan.request.rule = std::move(placed.rule);
  plan.request.local_dc = options_.local_dc;
  plan.request.mode = read.table->spec.conflict_mode;
  plan.request.read_repair = read.table->spec.read_repair;
  plan.request.deadline = std::min(read.deadline, now() + options_.read_timeout);
  plan.peers = std::move(placed.peers);
  return plan;
}

bool ReplicationDriver::may_run_inline(StorageWork kind) const {
  return options_.run_inline && options_.run_inline(kind);
}

Result<CoordinatedWriteReply> ReplicationDriver::apply_here(const CoordinatedWrite& write) {
  const uint64_t wall_ms = options_.clock->wall_ms();
  auto outcome = store_->apply_write({write.table->id, write.partition_key, write.sort_key},
                                     write.write, write.policy, hlc_->now(wall_ms), wall_ms);
  if (!outcome.is_ok()) {
    // Too many siblings is the client's to fix (read, merge, write back with the context).
    if (replication::is_sibling_limit(outcome.status())) {
      return Status::too_large(outcome.status().message());
    }
    return outcome.status();
  }
  return CoordinatedWriteReply{std::move(outcome->record), outcome->duplicate,
                               outcome->siblings_warn};
}

void ReplicationDriver::write_here(CoordinatedWrite write, Reply<CoordinatedWriteReply> done,
                                   Instant deadline) {
  self_writes_.fetch_add(1, std::memory_order_relaxed);
  if (may_run_inline(StorageWork::kWrite)) {
    done(apply_here(write));
    return;
  }
  auto shared = std::make_shared<CoordinatedWrite>(std::move(write));
  options_.run_blocking([this, deadline, shared, done = std::move(done)] {
    if (now() > deadline) {
      done(Status::timeout("the write waited past its deadline before it could start"));
      return;
    }
    done(apply_here(*shared));
  });
}

void ReplicationDriver::read_here(std::shared_ptr<LocalRead> local) {
  auto attempt = [this, local] {
    auto record =
        store_->read({local->read.table->id, local->read.partition_key, local->read.sort_key});
    if (record.is_ok() && replication::validate_record(*record).is_ok()) {
      self_reads_.fetch_add(1, std::memory_order_relaxed);
      local->done(std::move(record).value());
      return;
    }
    // This replica could not answer: the coordinator asks the others (and this one again).
    asio::post(io_, [this, local] {
      start_read(std::move(local->read), std::move(local->done), std::move(local->plan));
    });
  };
  if (may_run_inline(StorageWork::kRead)) {
    attempt();
    return;
  }
  options_.run_blocking([this, local, attempt] {
    if (now() > local->plan.request.deadline) {
      local->done(Status::timeout("the read waited past its deadline before it could start"));
      return;
    }
    attempt();
  });
}

void ReplicationDriver::start_write(CoordinatedWrite write, Reply<CoordinatedWriteReply> done,
                                    PlannedWrite plan) {
  const Instant deadline = plan.request.deadline;
  auto op = std::make_shared<Op>();
  op->table = write.table;
  op->partition_key = write.partition_key;
  op->sort_key = write.sort_key;
  op->peers = std::move(plan.peers);
  op->deadline = deadline;
  op->write = std::move(write);
  op->write_done = std::move(done);
  const OpId id = next_op_++;
  ops_[id] = op;
  expiries_.emplace(deadline, id);
  coordinator_.start_write(id, std::move(plan.request), now(), outbox_);
  drain();
}

void ReplicationDriver::start_read(CoordinatedRead read, Reply<VersionRecord> done,
                                   PlannedRead plan) {
  const Instant deadline = plan.request.deadline;
  auto op = std::make_shared<Op>();
  op->table = read.table;
  op->partition_key = std::move(read.partition_key);
  op->sort_key = std::move(read.sort_key);
  op->peers = std::move(plan.peers);
  op->deadline = deadline;
  op->read_done = std::move(done);
  const OpId id = next_op_++;
  ops_[id] = op;
  expiries_.emplace(deadline, id);
  coordinator_.start_read(id, std::move(plan.request), now(), outbox_);
  drain();
}

void ReplicationDriver::drain() {
  while (!outbox_.local_applies.empty() || !outbox_.writes.empty() || !outbox_.reads.empty() ||
         !outbox_.forwards.empty() || !outbox_.missed_writes.empty() ||
         !outbox_.write_results.empty() || !outbox_.read_results.empty() ||
         outbox_.next_tick != Instant::max()) {
    replication::CoordinatorOutbox out;
    std::swap(out, outbox_);
    auto op_of = [this](OpId id) {
      auto it = ops_.find(id);
      PAIRDB_ASSERT(it != ops_.end());  // Ops outlive the coordinator's memory of them.
      return it->second;
    };
    for (const auto& apply : out.local_applies) apply_locally(apply.op, op_of(apply.op));
    for (const auto& message : out.writes) send_write(message, op_of(message.op));
    for (const auto& message : out.reads) send_read(message, op_of(message.op));
    for (const auto& message : out.forwards) send_forward(message, op_of(message.op));
    missed_writes_ += out.missed_writes.size();
    for (const auto& missed : out.missed_writes) {
      if (options_.handoff == nullptr) break;
      const auto op = op_of(missed.op);
      options_.handoff->keep(missed.replica, op->table->id, op->partition_key, op->sort_key,
                             missed.record);
    }
    for (const auto& result : out.write_results) answer_write(result);
    for (auto& result : out.read_results) answer_read(std::move(result));
    if (out.next_tick != Instant::max()) arm_timer(out.next_tick);
  }
  publish_stats();
}

void ReplicationDriver::run_local(StorageWork kind, std::function<void()> work) {
  // Every local step posts its outcome back to io_, so running it right here re-enters nothing.
  // Only writes run here, and only when the engine says they need not wait: a read may miss
  // the caches and wait for the disk, and this one thread serves every coordinated operation.
  if (kind == StorageWork::kWrite && may_run_inline(kind)) {
    work();
  } else {
    options_.run_blocking(std::move(work));
  }
}

void ReplicationDriver::apply_locally(OpId id, const std::shared_ptr<Op>& op) {
  run_local(StorageWork::kWrite, [this, id, op] {
    auto applied = apply_here(*op->write);
    asio::post(io_, [this, id, op, applied = std::move(applied)]() mutable {
      Result<VersionRecord> stored = VersionRecord{};
      // The stored record carries the value from here on; the op needs its own copy no more.
      std::string().swap(op->write->write.value);
      if (applied.is_ok()) {
        op->duplicate = applied->duplicate;
        op->siblings_warn = applied->siblings_warn;
        stored = std::move(applied->record);
      } else {
        stored = applied.status();
      }
      coordinator_.on_local_write(id, std::move(stored), now(), outbox_);
      drain();
    });
  });
}

void ReplicationDriver::send_write(const replication::ReplicaWrite& message,
                                   const std::shared_ptr<Op>& op) {
  const OpId id = message.op;
  const size_t replica = message.replica;
  const bool repair = message.repair;
  auto deliver = [this, id, replica, repair](Status status) {
    if (repair) {
      coordinator_.on_repair_ack(id, replica, status, now(), outbox_);
    } else {
      coordinator_.on_write_ack(id, replica, status, now(), outbox_);
    }
    drain();
  };
  if (message.to == options_.self) {  // Read repair of this node's own copy.
    run_local(StorageWork::kWrite, [this, op, record = message.record, deliver] {
      auto merged = store_->merge(op->address(), record, op->table->spec.conflict_mode);
      Status status = merged.is_ok() ? Status::ok() : merged.status();
      asio::post(io_, [deliver, status] { deliver(status); });
    });
    return;
  }
  internode::ReplicaWrite request{op->key(), replication::encode_record(message.record), repair,
                                  message.hint_for ? raw_id(*message.hint_for) : std::string()};
  client_->send(
      op->peers[replica], request, transport_deadline(op->deadline),
      [deliver](Result<internode::Response> response) { deliver(write_ack_status(response)); });
}

void ReplicationDriver::send_read(const replication::ReplicaRead& message,
                                  const std::shared_ptr<Op>& op) {
  const OpId id = message.op;
  const size_t replica = message.replica;
  auto deliver = [this, id, replica](Result<VersionRecord> record) {
    coordinator_.on_read_reply(id, replica, std::move(record), now(), outbox_);
    drain();
  };
  if (message.to == options_.self) {
    // Memory alone may answer without blocking this thread; the disk is left to the workers.
    auto in_memory = store_->read_in_memory(op->address());
    if (in_memory.is_ok() && in_memory->has_value()) {
      asio::post(io_, [deliver, record = std::move(**in_memory)]() mutable {
        deliver(std::move(record));
      });
      return;
    }
    run_local(StorageWork::kRead, [this, op, deliver] {
      auto record = store_->read(op->address());
      asio::post(io_,
                 [deliver, record = std::move(record)]() mutable { deliver(std::move(record)); });
    });
    return;
  }
  client_->send(
      op->peers[replica], internode::ReplicaRead{op->key()}, transport_deadline(op->deadline),
      [deliver](Result<internode::Response> response) { deliver(read_reply_record(response)); });
}

void ReplicationDriver::send_forward(const replication::ForwardWrite& message,
                                     const std::shared_ptr<Op>& op) {
  const CoordinatedWrite& write = *op->write;
  internode::ForwardWrite request;
  request.key = op->key();
  request.tombstone = write.write.tombstone;
  request.value = write.write.value;
  request.content_type = write.write.content_type;
  request.context = replication::encode_version_vector(write.write.context);
  request.ttl_ms = write.ttl_ms;
  // A write without a key gets one for its forward, so a forward delivered twice (or answered
  // late and resent by a future transport) is applied once: the replica finds the key.
  request.idempotency_key = write.write.idempotency_key.empty()
                                ? forward_idempotency_key(message.op)
                                : write.write.idempotency_key;
  request.consistency = static_cast<uint8_t>(write.consistency);
  const auto remaining =
      std::chrono::duration_cast<std::chrono::milliseconds>(op->deadline - now());
  request.timeout_ms = static_cast<uint32_t>(std::max<int64_t>(1, remaining.count()));
  const OpId id = message.op;
  const std::string to = message.to.to_string().substr(0, 8);
  client_->send(
      op->peers[message.replica], request, transport_deadline(op->deadline),
      [this, id, op, to](Result<internode::Response> response) {
        replication::WriteResult result;
        result.op = id;
        if (!response.is_ok()) {
          // Nothing is known of a write whose transport failed, unless it was never sent.
          result.status = response.status().code() == StatusCode::kOverloaded
                              ? response.status()
                              : Status::timeout(fmt::format(
                                    "the write was forwarded to replica {} and its answer was "
                                    "lost ({}): it may have been applied",
                                    to, response.status().to_string()));
        } else if (const auto* error = std::get_if<internode::InternodeError>(&*response)) {
          result.status = status_of(*error);
          result.required = error->required;
          result.acked = error->achieved;
        } else if (const auto* reply = std::get_if<internode::ForwardWriteReply>(&*response)) {
          auto record = record_from(reply->record);
          if (record.is_ok())
            record = replication::validate_record(*record).is_ok()
                         ? std::move(record)
                         : Result<VersionRecord>(Status::corruption("invalid"));
          result.status =
              record.is_ok()
                  ? Status::ok()
                  : Status::timeout(fmt::format("replica {} applied the write but answered an "
                                                "unreadable record ({})",
                                                to, record.status().to_string()));
          if (record.is_ok()) result.record = std::move(record).value();
          result.required = reply->required;
          result.acked = reply->acked;
          op->duplicate = reply->duplicate;
        } else {
          result.status = Status::timeout("a forwarded write answered with another response");
        }
        coordinator_.on_forward_reply(id, result, now(), outbox_);
        drain();
      });
}

void ReplicationDriver::answer_write(const replication::WriteResult& result) {
  auto it = ops_.find(result.op);
  if (it == ops_.end() || !it->second->write_done) return;
  auto done = std::move(it->second->write_done);
  it->second->write_done = nullptr;
  if (!result.status.is_ok()) {
    done(result.status);
    return;
  }
  done(CoordinatedWriteReply{result.record, it->second->duplicate, it->second->siblings_warn});
}

void ReplicationDriver::answer_read(replication::ReadResult result) {
  auto it = ops_.find(result.op);
  if (it == ops_.end() || !it->second->read_done) return;
  auto done = std::move(it->second->read_done);
  it->second->read_done = nullptr;
  if (!result.status.is_ok()) {
    done(result.status);
    return;
  }
  done(std::move(result.record));
}

void ReplicationDriver::arm_timer(Instant at) {
  // Most deadlines the timer is armed for belong to operations long finished. Ticking at most
  // every kTickGranularity keeps the coordinator's tick off the per-operation path (profiled:
  // 29 % of a node's CPU under QUORUM writes when the timer followed every deadline); deadlines
  // and speculative retries fire at most that much late.
  at = std::max(at, now() + kTickGranularity);
  if (at >= timer_at_) return;
  timer_at_ = at;
  timer_.expires_at(std::chrono::steady_clock::time_point(std::chrono::microseconds(at.us())));
  timer_.async_wait([this](boost::system::error_code ec) {
    if (!ec) on_timer();
  });
}

void ReplicationDriver::on_timer() {
  timer_at_ = Instant::max();
  const Instant t = now();
  coordinator_.tick(t, outbox_);
  drain();
  expire_ranges(t);
  // The coordinator forgets an op by its deadline at the latest; so can the driver.
  while (!expiries_.empty() && expiries_.top().first <= t) {
    auto it = ops_.find(expiries_.top().second);
    expiries_.pop();
    if (it == ops_.end()) continue;
    // tick() answered every op whose deadline passed; this only guards the caller's Reply.
    if (it->second->write_done)
      std::exchange(it->second->write_done, nullptr)(
          Status::timeout("the write's deadline passed: it may have been applied"));
    if (it->second->read_done)
      std::exchange(it->second->read_done, nullptr)(Status::timeout("the read's deadline passed"));
    ops_.erase(it);
  }
  Instant next = expiries_.empty() ? Instant::max() : expiries_.top().first;
  for (const auto& [id, range] : ranges_) next = std::min(next, range->range.deadline);
  if (next != Instant::max()) arm_timer(next);
}

void ReplicationDriver::publish_stats() {
  // Peer figures are a map copy: published at most every 100 ms.
  std::map<std::string, net::InternodePeerStats> peers;
  const bool with_peers = now() - peer_stats_at_ >= std::chrono::milliseconds(100);
  if (with_peers) {
    peer_stats_at_ = now();
    for (auto& [id, stats] : client_->stats()) {
      std::string hex;
      for (char c : id) hex += fmt::format("{:02x}", static_cast<uint8_t>(c));
      peers[hex] = stats;
    }
  }
  std::lock_guard lock(stats_mutex_);
  if (with_peers) peer_stats_ = std::move(peers);
  stats_.coordinator = coordinator_.counters();
  stats_.forwards_served = forwards_served_;
  stats_.forwards_refused = forwards_refused_;
  stats_.missed_writes = missed_writes_;
  stats_.range_reads = range_reads_;
  stats_.in_flight = coordinator_.in_flight() + ranges_.size();
}

ReplicationStats ReplicationDriver::stats() const {
  ReplicationStats stats;
  {
    std::lock_guard lock(stats_mutex_);
    stats = stats_;
  }
  stats.self_reads = self_reads_.load(std::memory_order_relaxed);
  stats.self_writes = self_writes_.load(std::memory_order_relaxed);
  stats.coordinator.reads += stats.self_reads;
  stats.coordinator.writes += stats.self_writes;
  return stats;
}

std::map<std::string, net::InternodePeerStats> ReplicationDriver::peer_stats() const {
  std::lock_guard lock(stats_mutex_);
  return peer_stats_;
}

void ReplicationDriver::serve_forward(internode::ForwardWrite request,
                                      std::function<void(internode::Response)> respond) {
  asio::post(io_, [this, request = std::move(request), respond = std::move(respond)]() mutable {
    auto write = forwarded_write(request);
    if (!write.is_ok()) {
      respond(internode_error(write.status()));
      return;
    }
    auto plan = plan_write(*write, /*forwarded=*/true);
    if (!plan.is_ok()) {
      respond(internode_error(plan.status()));
      return;
    }
    if (std::none_of(plan->request.replicas.begin(), plan->request.replicas.end(),
                     [](const replication::Replica& r) { return r.is_self; })) {
      // The sender's ring and ours disagree (a node joining or leaving): forwarding again could
      // bounce the write between nodes, so refuse it; nothing was written.
      ++forwards_refused_;
      respond(internode_error(Status::unavailable(
          "the write was forwarded to a node that is not a replica of the key by its own view "
          "of the ring (membership is changing); nothing was written, retry")));
      return;
    }
    ++forwards_served_;
    start_write(
        std::move(write).value(),
        [respond = std::move(respond)](Result<CoordinatedWriteReply> reply) {
          if (!reply.is_ok()) {
            respond(internode_error(reply.status()));
            return;
          }
          internode::ForwardWriteReply answer;
          answer.record = replication::encode_record(reply->record);
          answer.duplicate = reply->duplicate;
          respond(answer);
        },
        std::move(plan).value());
  });
}

Result<CoordinatedWrite> ReplicationDriver::forwarded_write(
    const internode::ForwardWrite& request) const {
  auto table = catalog_->find_by_id(request.key.table_id);
  if (table == nullptr) {
    return Status::table_not_found(
        fmt::format("no live table with id {:016x} on the replica the write was forwarded to",
                    request.key.table_id));
  }
  const auto level = static_cast<replication::Consistency>(request.consistency);
  if (level == replication::Consistency::kDefault ||
      request.consistency > static_cast<uint8_t>(replication::Consistency::kEachQuorum)) {
    return Status::invalid_argument("a forwarded write carries no valid consistency level");
  }
  if (request.ttl_ms > replication::kTtlMsMax) {
    return Status::invalid_argument("a forwarded write's TTL is out of range");
  }
  CoordinatedWrite write;
  write.table = std::move(table);
  write.partition_key = request.key.partition_key;
  write.sort_key = request.key.sort_key;
  PAIRDB_ASSIGN_OR_RETURN(
      write.write.context,
      replication::decode_version_vector(request.context, replication::kClientContextEntriesMax));
  const uint64_t wall_ms = options_.clock->wall_ms();
  write.write.tombstone = request.tombstone;
  write.write.value = request.value;
  write.write.content_type = request.content_type;
  write.write.expires_at_ms =
      (request.ttl_ms == 0 || request.tombstone) ? 0 : wall_ms + request.ttl_ms;
  write.write.idempotency_key = request.idempotency_key;
  write.ttl_ms = request.ttl_ms;
  write.policy = write_policy_for(write.table->spec, options_.idempotency_window_ms);
  write.consistency = level;
  write.deadline = now() + std::min<Duration>(std::chrono::milliseconds(request.timeout_ms),
                                              options_.write_timeout);
  return write;
}

}  // namespace pairdb::server
