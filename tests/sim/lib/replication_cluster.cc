#include "sim/lib/replication_cluster.h"

#include <fmt/format.h>

#include <pairdb/replication/context_auth.h>

#include "common/assert.h"
#include "common/hash.h"
#include "replication/quorum.h"
#include "replication/repair_responder.h"
#include "replication/repair_storage.h"
#include "server/cluster/repair_wire.h"
#include "server/cluster/replication_driver.h"

namespace pairdb::sim {

namespace internode = net::internode;
using replication::OpId;
using replication::VersionRecord;

namespace {

constexpr uint64_t kWallBaseMs = 1'700'000'000'000;
constexpr replication::TableId kTableId = 0x5151;
enum PendingKind : int {
  kWrite = 0,
  kRepair = 1,  // Read repair.
  kRead = 2,
  kForward = 3,
  kHint = 4,
  kAntiEntropy = 5,  // A repair session's request: op = session id, replica = request id.
};

std::string raw(const ring::NodeId& id) {
  return std::string(reinterpret_cast<const char*>(id.bytes.data()), id.bytes.size());
}

Result<VersionRecord> record_of(std::string_view bytes) {
  if (bytes.empty()) return VersionRecord{};
  return replication::decode_record(bytes);
}

// The daemon's HintedHandoff::keep_now without the window: stores the hint (synced) and
// remembers its target, for the node's delivery core to hear of in its next drain.
class SimHintKeeper final : public server::HintKeeper {
 public:
  explicit SimHintKeeper(replication::HintStore* store) : store_(store) {}
  Status keep_now(const replication::Hint& hint) override {
    auto stored = store_->add(hint);
    if (!stored.is_ok()) return stored.status();
    stored_targets.push_back(hint.target);
    return Status::ok();
  }
  std::vector<ring::NodeId> stored_targets;

 private:
  replication::HintStore* const store_;
};

}  // namespace

struct ReplicationCluster::Node {
  size_t index = 0;
  ring::NodeId id;
  std::string addr;
  std::vector<ring::Token> tokens;
  std::unique_ptr<lsm::FaultyEnv> env;
  std::unique_ptr<ManualClock> clock;
  std::unique_ptr<server::StorageStack> stack;
  std::unique_ptr<server::ReplicaService> service;
  std::unique_ptr<replication::Coordinator> coordinator;
  std::unique_ptr<lsm::DB> hints_db;
  std::unique_ptr<replication::HintStore> hints;
  std::unique_ptr<SimHintKeeper> keeper;
  std::unique_ptr<replication::HintDelivery> delivery;
  replication::HintDeliveryOutbox hint_out;
  std::unique_ptr<replication::ReplicaRepairStorage> repair_storage;
  std::unique_ptr<replication::RepairResponder> responder;
  // This node's repair (at most one): its ranges still to do and the running session.
  struct RepairJob {
    RepairDone done;
    replication::RepairSessionConfig config;
    std::vector<ring::ReplicatedRange> queue;
    std::unique_ptr<replication::RepairSession> session;
    RepairOutcome outcome;
  };
  std::optional<RepairJob> repair_job;
  struct Op {
    std::string key;
    std::optional<replication::LocalWrite> write;
    replication::Consistency level = replication::Consistency::kQuorum;
    WriteDone write_done;
    ReadDone read_done;
    std::vector<size_t> replicas;   // Node indexes, same order as the coordinator's.
    std::vector<size_t> fallbacks;  // Node indexes of the write's fallbacks, same order.
    Instant deadline;
  };
  struct Pending {
    OpId op = 0;         // For kHint: the hint's seq.
    size_t replica = 0;  // For kHint: the target's index.
    int kind = kWrite;
  };
  replication::CoordinatorOutbox outbox;
  std::map<OpId, Op> ops;
  std::map<uint32_t, Pending> pending;  // By stream id.
  uint32_t next_stream = 1;
  OpId next_op = 1;
  uint64_t epoch = 0;  // Bumped by a crash: events scheduled before it are void.
  bool up = true;
  Instant paused_until;
  int64_t skew_ms = 0;
  replication::CoordinatorCounters retired;  // Counters of incarnations before a crash.
};

ReplicationCluster::ReplicationCluster(Simulation& sim, Network& net, ReplicationSimOptions options)
    : sim_(sim), net_(net), options_(options) {
  std::vector<ring::NodeDescriptor> descriptors;
  for (size_t i = 0; i < options_.nodes; ++i) {
    auto n = std::make_unique<Node>();
    n->index = i;
    n->id = ring::NodeId::from_words(0x5eed, i + 1);
    n->addr = fmt::format("node{}:7402", i);
    for (size_t t = 0; t < options_.num_tokens; ++t) n->tokens.push_back(sim_.rng().next_u64());
    n->env = std::make_unique<lsm::FaultyEnv>(sim_.rng().next_u64());
    n->clock = std::make_unique<ManualClock>(kWallBaseMs, sim_.now());
    descriptors.push_back({n->id, "dc1", fmt::format("rack{}", i % 3), n->tokens});
    index_of_id_[raw(n->id)] = i;
    nodes_.push_back(std::move(n));
  }
  auto ring = ring::HashRing::build(std::move(descriptors));
  PAIRDB_ASSERT(ring.is_ok());
  ring_ = std::move(ring).value();
  seen_alive_.assign(options_.nodes, true);

  table_.spec.name = "sim";
  table_.spec.replication = {{"dc1", options_.replication_factor}};
  table_.spec.conflict_mode = options_.mode;
  table_.spec.siblings_max = options_.siblings_max;
  table_.spec.siblings_warn = std::min(table_.spec.siblings_warn, options_.siblings_max);
  table_.id = kTableId;
  for (auto& n : nodes_) {
    open_storage(*n);
    net_.attach(n->addr, [this, i = n->index](const std::string& from, const std::string& bytes) {
      on_bytes(i, from, bytes);
    });
  }
}

ReplicationCluster::~ReplicationCluster() {
  for (auto& n : nodes_) {
    if (n->stack) (void)n->stack->close();
    if (n->hints_db) (void)n->hints_db->close();
  }
}

void ReplicationCluster::open_storage(Node& n) {
  server::StorageStackOptions o;
  o.db_path = fmt::format("/{}/db", n.index);
  o.engine.env = n.env.get();
  o.engine.wal_sync_mode = lsm::WalSyncMode::kPerWrite;
  o.engine.log = [](lsm::LogLevel, std::string_view) {};  // Crashes are the point here.
  o.node_id = n.id;
  o.catalog_seed = n.index + 1;
  o.run_blocking = [](std::function<void()> work) { work(); };
  o.clock = n.clock.get();
  o.contexts = std::make_shared<replication::ContextAuthenticator>(
      std::vector<std::string>{std::string(32, 'k')});
  auto stack = server::StorageStack::open(std::move(o));
  PAIRDB_ASSERT(stack.is_ok());
  n.stack = std::move(stack).value();
  if (table_dropped_) {  // What schema sync would tell a node that missed the drop.
    (void)n.stack->catalog()->drop(table_.spec.name, /*if_exists=*/true);
  } else if (n.stack->catalog()->find_by_id(table_.id) == nullptr) {
    auto created = n.stack->catalog()->create_with_id(table_.spec, table_.id);
    PAIRDB_ASSERT(created.is_ok() && created->id == table_.id);
  }
  n.service =
      std::make_unique<server::ReplicaService>(n.stack->catalog(), n.stack->store(), n.clock.get());
  lsm::Options hint_engine;
  hint_engine.env = n.env.get();
  hint_engine.create_if_missing = true;
  hint_engine.wal_sync_mode = lsm::WalSyncMode::kPerWrite;
  hint_engine.log = [](lsm::LogLevel, std::string_view) {};
  auto hints_db = lsm::DB::open(hint_engine, fmt::format("/{}/hints", n.index));
  PAIRDB_ASSERT(hints_db.is_ok());
  n.hints_db = std::move(hints_db).value();
  auto hints = replication::HintStore::open(n.hints_db.get(), {});
  PAIRDB_ASSERT(hints.is_ok());
  n.hints = std::move(hints).value();
  n.keeper = std::make_unique<SimHintKeeper>(n.hints.get());
  if (options_.hints) n.service->attach_hints(n.keeper.get());
  n.service->attach_repairs(n.stack->repairs(), replication::PurgePolicy{}.repair_margin_ms);
  n.delivery = std::make_unique<replication::HintDelivery>();
  n.hint_out.clear();
  for (const auto& held : n.hints->targets()) n.keeper->stored_targets.push_back(held.target);
  replication::CoordinatorConfig config;
  config.speculative_delay = options_.speculative_delay;
  n.coordinator = std::make_unique<replication::Coordinator>(config);
  n.repair_storage =
      std::make_unique<replication::ReplicaRepairStorage>(n.stack->db(), n.stack->store());
  n.responder = std::make_unique<replication::RepairResponder>(
      n.repair_storage.get(),
      [this](replication::TableId id) -> std::optional<replication::ConflictMode> {
        if (table_dropped_ || id != table_.id) return std::nullopt;
        return table_.spec.conflict_mode;
      },
      n.stack->repairs());
}

void ReplicationCluster::sync_clock(Node& n) {
  const Duration behind = sim_.now() - n.clock->monotonic();
  if (behind > Duration::zero()) n.clock->advance(behind);
  n.clock->set_wall_ms(static_cast<uint64_t>(static_cast<int64_t>(kWallBaseMs) +
                                             sim_.now().us() / 1000 + n.skew_ms));
}

const std::vector<size_t>& ReplicationCluster::fallbacks_of(const std::string& key) {
  auto [it, inserted] = fallbacks_.try_emplace(key);
  if (inserted) {
    const auto list = ring_->preference_list(ring::HashRing::token_of(key),
                                             replication::replication_spec_of(table_.spec),
                                             options_.replication_factor);
    for (size_t i = list.natural_count(); i < list.size(); ++i) {
      it->second.push_back(index_of_id_.at(raw(list[i])));
    }
  }
  return it->second;
}

const std::vector<size_t>& ReplicationCluster::replicas_of(const std::string& key) {
  auto [it, inserted] = replicas_.try_emplace(key);
  if (inserted) {
    const auto list = ring_->preference_list(ring::HashRing::token_of(key),
                                             replication::replication_spec_of(table_.spec));
    for (size_t i = 0; i < list.natural_count(); ++i) {
      it->second.push_back(index_of_id_.at(raw(list[i])));
    }
  }
  return it->second;
}

std::vector<replication::Replica> ReplicationCluster::coordinator_view(size_t self,
                                                                       const std::string& key) {
  std::vector<replication::Replica> view;
  for (size_t r : replicas_of(key)) {
    view.push_back({nodes_[r]->id, "dc1", r == self || seen_alive_[r], r == self});
  }
  return view;
}

void ReplicationCluster::write(size_t via, const std::string& key, replication::LocalWrite write,
                               replication::Consistency level, WriteDone done) {
  Node& n = *nodes_[via];
  PAIRDB_ASSERT(n.up);
  start_write(n, key, std::move(write), level, std::move(done), /*forwarded=*/false);
}

void ReplicationCluster::start_write(Node& n, const std::string& key, replication::LocalWrite write,
                                     replication::Consistency level, WriteDone done,
                                     bool forwarded) {
  sync_clock(n);
  const OpId id = n.next_op++;
  Node::Op& op = n.ops[id];
  op.key = key;
  op.write = std::move(write);
  op.level = level;
  op.write_done = std::move(done);
  op.replicas = replicas_of(key);
  op.fallbacks = options_.sloppy ? fallbacks_of(key) : std::vector<size_t>{};
  op.deadline = sim_.now() + options_.write_timeout;
  auto rule = replication::quorum_rule(level, replication::replication_spec_of(table_.spec), "dc1");
  PAIRDB_ASSERT(rule.is_ok());
  auto view = coordinator_view(n.index, key);
  if (forwarded && std::none_of(view.begin(), view.end(),
                                [](const replication::Replica& r) { return r.is_self; })) {
    ++counters_.forwards_refused;
    replication::WriteResult refused;
    refused.op = id;
    refused.status = Status::unavailable("not a replica");
    auto callback = std::move(op.write_done);
    n.ops.erase(id);
    callback(refused);
    return;
  }
  replication::WriteRequest request{std::move(view), *rule, "dc1", op.deadline};
  request.keyed = !op.write->idempotency_key.empty();
  request.forwarded = forwarded;
  request.sloppy = options_.sloppy;
  for (size_t f : op.fallbacks) {
    request.fallbacks.push_back({nodes_[f]->id, "dc1", f == n.index || seen_alive_[f], false});
  }
  n.coordinator->start_write(id, std::move(request), sim_.now(), n.outbox);
  drain(n);
}

void ReplicationCluster::read(size_t via, const std::string& key, replication::Consistency level,
                              ReadDone done) {
  Node& n = *nodes_[via];
  PAIRDB_ASSERT(n.up);
  sync_clock(n);
  const OpId id = n.next_op++;
  Node::Op& op = n.ops[id];
  op.key = key;
  op.level = level;
  op.read_done = std::move(done);
  op.replicas = replicas_of(key);
  op.deadline = sim_.now() + options_.read_timeout;
  auto rule = replication::quorum_rule(level, replication::replication_spec_of(table_.spec), "dc1");
  PAIRDB_ASSERT(rule.is_ok());
  replication::ReadRequest request;
  request.replicas = coordinator_view(n.index, key);
  request.rule = *rule;
  request.local_dc = "dc1";
  request.mode = table_.spec.conflict_mode;
  request.deadline = op.deadline;
  n.coordinator->start_read(id, std::move(request), sim_.now(), n.outbox);
  drain(n);
}

void ReplicationCluster::drain(Node& n) {
  drain_hints(n);
  while (true) {
    replication::CoordinatorOutbox out;
    std::swap(out, n.outbox);
    const bool empty = out.local_applies.empty() && out.writes.empty() && out.reads.empty() &&
                       out.forwards.empty() && out.missed_writes.empty() &&
                       out.write_results.empty() && out.read_results.empty() &&
                       out.next_tick == Instant::max();
    if (empty) return;
    carry_out(n, out);
  }
}

// What ReplicationDriver::drain does, with simulated storage latency and frames on the Network.
void ReplicationCluster::carry_out(Node& n, replication::CoordinatorOutbox& out) {
  for (const auto& apply : out.local_applies) {
    const OpId id = apply.op;
    after_storage(n, [this, &n, id] {
      auto it = n.ops.find(id);
      if (it == n.ops.end()) return;
      const uint64_t wall = n.clock->wall_ms();
      replication::WritePolicy policy = server::write_policy_for(table_.spec, 24ull * 3600 * 1000);
      auto outcome =
          n.stack->store()->apply_write({table_.id, it->second.key, ""}, *it->second.write, policy,
                                        n.stack->hlc()->now(wall), wall);
      Result<VersionRecord> stored = outcome.is_ok() ? Result<VersionRecord>(outcome->record)
                                                     : Result<VersionRecord>(outcome.status());
      n.coordinator->on_local_write(id, std::move(stored), sim_.now(), n.outbox);
    });
  }
  for (const auto& missed : out.missed_writes) {
    if (!options_.hints) break;
    const std::string key = n.ops.at(missed.op).key;
    after_storage(n, [this, &n, target = missed.replica, key, record = missed.record] {
      keep_hint(n, target, key, record);
    });
  }
  for (const auto& message : out.writes) {
    const Node::Op& op = n.ops.at(message.op);
    const size_t to = message.replica < op.replicas.size()
                          ? op.replicas[message.replica]
                          : op.fallbacks.at(message.replica - op.replicas.size());
    const int kind = message.repair ? kRepair : kWrite;
    if (to == n.index) {
      const OpId id = message.op;
      const size_t replica = message.replica;
      const VersionRecord record = message.record;
      after_storage(n, [this, &n, id, replica, record, kind] {
        auto it = n.ops.find(id);
        if (it == n.ops.end()) return;
        auto merged = n.stack->store()->merge({table_.id, it->second.key, ""}, record,
                                              table_.spec.conflict_mode);
        const Status status = merged.is_ok() ? Status::ok() : merged.status();
        if (kind == kRepair) {
          n.coordinator->on_repair_ack(id, replica, status, sim_.now(), n.outbox);
        } else {
          n.coordinator->on_write_ack(id, replica, status, sim_.now(), n.outbox);
        }
      });
      continue;
    }
    if (message.hint_for) ++counters_.fallback_writes;
    send_request(
        n, to, message.op, message.replica, kind,
        internode::ReplicaWrite{{table_.id, op.key, ""},
                                replication::encode_record(message.record),
                                message.repair,
                                message.hint_for ? raw(*message.hint_for) : std::string()});
  }
  for (const auto& message : out.reads) {
    const Node::Op& op = n.ops.at(message.op);
    const size_t to = op.replicas[message.replica];
    if (to == n.index) {
      const OpId id = message.op;
      const size_t replica = message.replica;
      after_storage(n, [this, &n, id, replica] {
        auto it = n.ops.find(id);
        if (it == n.ops.end()) return;
        auto record = n.stack->store()->read({table_.id, it->second.key, ""});
        n.coordinator->on_read_reply(id, replica, std::move(record), sim_.now(), n.outbox);
      });
      continue;
    }
    send_request(n, to, message.op, message.replica, kRead,
                 internode::ReplicaRead{{table_.id, op.key, ""}});
  }
  for (const auto& message : out.forwards) {
    const Node::Op& op = n.ops.at(message.op);
    internode::ForwardWrite forward;
    forward.key = {table_.id, op.key, ""};
    forward.tombstone = op.write->tombstone;
    forward.value = op.write->value;
    forward.content_type = op.write->content_type;
    forward.context = replication::encode_version_vector(op.write->context);
    // As ReplicationDriver: a forward always carries a key, so a duplicate applies once.
    forward.idempotency_key = op.write->idempotency_key.empty()
                                  ? fmt::format("fwd:{}:{}:{}", n.index, n.epoch, message.op)
                                  : op.write->idempotency_key;
    forward.consistency = static_cast<uint8_t>(op.level);
    forward.timeout_ms = static_cast<uint32_t>((op.deadline - sim_.now()).count() / 1000);
    send_request(n, op.replicas[message.replica], message.op, message.replica, kForward, forward);
  }
  for (const auto& result : out.write_results) {
    auto it = n.ops.find(result.op);
    if (it == n.ops.end() || !it->second.write_done) continue;
    auto done = std::move(it->second.write_done);
    it->second.write_done = nullptr;
    done(result);
  }
  for (const auto& result : out.read_results) {
    auto it = n.ops.find(result.op);
    if (it == n.ops.end() || !it->second.read_done) continue;
    auto done = std::move(it->second.read_done);
    it->second.read_done = nullptr;
    done(result);
  }
  if (out.next_tick != Instant::max()) schedule_tick(n, out.next_tick);
}

// Runs `work` on node n after a random storage latency, unless the node crashed meanwhile;
// then carries out what the coordinator asked.
void ReplicationCluster::after_storage(Node& n, std::function<void()> work) {
  const auto latency = Duration(static_cast<int64_t>(
      sim_.rng().uniform(static_cast<uint64_t>(options_.storage_latency_max.count()) + 1)));
  sim_.schedule_after(latency, [this, &n, epoch = n.epoch, work = std::move(work)] {
    if (n.epoch != epoch || !n.up) return;
    sync_clock(n);
    work();
    drain(n);
  });
}

uint32_t ReplicationCluster::send_request(Node& n, size_t to, OpId op, size_t replica, int kind,
                                          const internode::Request& request) {
  const uint32_t stream = n.next_stream++;
  n.pending[stream] = {op, replica, kind};
  ++counters_.frames_sent;
  net_.send(n.addr, nodes_[to]->addr, internode::encode_request(stream, request));
  return stream;
}

void ReplicationCluster::on_bytes(size_t to, const std::string& from, const std::string& bytes) {
  Node& n = *nodes_[to];
  if (!n.up) return;
  if (sim_.now() < n.paused_until) {  // Handled once the pause ends, in arrival order.
    sim_.schedule(n.paused_until, [this, to, from, bytes, epoch = n.epoch] {
      if (nodes_[to]->epoch == epoch) on_bytes(to, from, bytes);
    });
    return;
  }
  sync_clock(n);
  net::FrameDecoder decoder;
  decoder.feed(bytes);
  std::optional<net::Frame> frame = decoder.next();
  PAIRDB_ASSERT(frame.has_value());  // The network moves whole frames.
  const size_t sender = [&] {
    for (const auto& node : nodes_) {
      if (node->addr == from) return node->index;
    }
    PAIRDB_ASSERT(false);
    return size_t{0};
  }();
  if (frame->header.is_response()) {
    on_response(n, *frame);
  } else {
    on_request(n, sender, *frame);
  }
  drain(n);
}

void ReplicationCluster::on_request(Node& n, size_t from, const net::Frame& frame) {
  const uint32_t stream = frame.header.stream_id;
  const auto op = internode::from_frame_opcode(frame.header.opcode);
  auto request = internode::decode_request(frame);
  PAIRDB_ASSERT(request.is_ok());  // Our own codec on a network that does not corrupt.
  auto reply = [this, &n, from, stream, op, epoch = n.epoch](internode::Response response) {
    if (n.epoch != epoch || !n.up) return;
    ++counters_.frames_sent;
    net_.send(n.addr, nodes_[from]->addr, internode::encode_response(stream, op, response));
  };
  if (const auto* forward = std::get_if<internode::ForwardWrite>(&*request)) {
    ++counters_.forwards_served;
    replication::LocalWrite write;
    auto context = replication::decode_version_vector(forward->context, 1024);
    PAIRDB_ASSERT(context.is_ok());
    write.context = std::move(context).value();
    write.tombstone = forward->tombstone;
    write.value = forward->value;
    write.content_type = forward->content_type;
    write.idempotency_key = forward->idempotency_key;
    start_write(
        n, forward->key.partition_key, std::move(write),
        static_cast<replication::Consistency>(forward->consistency),
        [reply](const replication::WriteResult& result) {
          if (!result.status.is_ok()) {
            auto error = server::internode_error(result.status);
            error.required = result.required;
            error.achieved = result.acked;
            reply(error);
            return;
          }
          reply(internode::ForwardWriteReply{replication::encode_record(result.record),
                                             result.required, result.acked, false});
        },
        /*forwarded=*/true);
    return;
  }
  if (server::is_repair_request(*request)) {
    after_storage(n, [this, &n, request = std::move(request).value(), reply] {
      auto repair_request = server::repair_request_from_wire(request);
      PAIRDB_ASSERT(repair_request.is_ok());
      auto answer = n.responder->handle(*repair_request, sim_.now());
      reply(answer.is_ok() ? server::repair_reply_to_wire(*answer)
                           : internode::Response(server::internode_error(answer.status())));
    });
    return;
  }
  // Replica work runs against this node's store after a storage latency.
  after_storage(
      n, [&n, request = std::move(request).value(), reply] { reply(n.service->handle(request)); });
}

void ReplicationCluster::on_response(Node& n, const net::Frame& frame) {
  auto it = n.pending.find(frame.header.stream_id);
  if (it == n.pending.end()) return;  // A duplicate.
  const Node::Pending pending = it->second;
  n.pending.erase(it);
  auto response = internode::decode_response(frame);
  PAIRDB_ASSERT(response.is_ok());
  const auto* error = std::get_if<internode::InternodeError>(&*response);
  const Status status = error != nullptr ? server::status_of(*error) : Status::ok();
  const Instant now = sim_.now();
  switch (pending.kind) {
    case kAntiEntropy: {
      Result<replication::RepairReply> reply = status;
      if (status.is_ok()) reply = server::repair_reply_from_wire(*response);
      on_repair_reply(n, pending.op, pending.replica, std::move(reply));
      break;
    }
    case kHint:
      on_hint_reply(n, pending.replica, pending.op, status);
      break;
    case kWrite:
      n.coordinator->on_write_ack(pending.op, pending.replica, status, now, n.outbox);
      break;
    case kRepair:
      n.coordinator->on_repair_ack(pending.op, pending.replica, status, now, n.outbox);
      break;
    case kRead: {
      Result<VersionRecord> record = status;
      if (status.is_ok()) {
        record = record_of(std::get<internode::ReplicaReadReply>(*response).record);
      }
      n.coordinator->on_read_reply(pending.op, pending.replica, std::move(record), now, n.outbox);
      break;
    }
    case kForward: {
      replication::WriteResult result;
      result.op = pending.op;
      result.status = status;
      if (error != nullptr) {
        result.required = error->required;
        result.acked = error->achieved;
      } else {
        const auto& reply = std::get<internode::ForwardWriteReply>(*response);
        auto record = record_of(reply.record);
        PAIRDB_ASSERT(record.is_ok());
        result.record = std::move(record).value();
        result.required = reply.required;
        result.acked = reply.acked;
      }
      n.coordinator->on_forward_reply(pending.op, result, now, n.outbox);
      break;
    }
  }
}

void ReplicationCluster::schedule_tick(Node& n, Instant at) {
  sim_.schedule(std::max(at, sim_.now()), [this, &n, epoch = n.epoch] {
    if (n.epoch != epoch || !n.up) return;
    sync_clock(n);
    n.coordinator->tick(sim_.now(), n.outbox);
    drain(n);
    expire_ops(n);
  });
}

// The coordinator has forgotten an op by its deadline; so does the node (ReplicationDriver too).
void ReplicationCluster::expire_ops(Node& n) {
  for (auto it = n.ops.begin(); it != n.ops.end();) {
    if (it->second.deadline <= sim_.now()) {
      PAIRDB_ASSERT(!it->second.write_done && !it->second.read_done);  // tick() answered it.
      it = n.ops.erase(it);
    } else {
      ++it;
    }
  }
}

void ReplicationCluster::crash(size_t i) {
  Node& n = *nodes_[i];
  if (!n.up) return;
  ++counters_.crashes;
  n.up = false;
  ++n.epoch;
  net_.detach(n.addr);
  // Power is lost now: nothing the engine does while it is torn down reaches the disk.
  n.env->crash_after_ops(1);
  n.retired += n.coordinator->counters();
  n.coordinator.reset();
  n.responder.reset();
  n.repair_storage.reset();
  n.service.reset();
  n.delivery.reset();
  n.keeper.reset();
  n.hints.reset();
  n.hints_db.reset();
  n.stack.reset();
  n.env->crash();
  n.pending.clear();
  if (n.repair_job) {  // Its repair is abandoned; the operator (the test) runs it again.
    RepairDone done = std::move(n.repair_job->done);
    RepairOutcome outcome = std::move(n.repair_job->outcome);
    n.repair_job.reset();
    outcome.status = Status::unavailable("the repairing node crashed");
    done(outcome);
  }
  // Clients of the operations it coordinated never hear back: to them, unknown outcomes.
  auto ops = std::move(n.ops);
  n.ops.clear();
  for (auto& [id, op] : ops) {
    if (op.write_done) {
      replication::WriteResult unknown;
      unknown.op = id;
      unknown.status = Status::timeout("the coordinator crashed");
      op.write_done(unknown);
    }
    if (op.read_done) {
      replication::ReadResult unknown;
      unknown.op = id;
      unknown.status = Status::timeout("the coordinator crashed");
      op.read_done(unknown);
    }
  }
  sim_.schedule_after(options_.detect_delay, [this, i, epoch = n.epoch] {
    if (nodes_[i]->epoch == epoch && !nodes_[i]->up) {
      seen_alive_[i] = false;
      announce_liveness();
    }
  });
}

void ReplicationCluster::restart(size_t i) {
  Node& n = *nodes_[i];
  if (n.up) return;
  open_storage(n);
  n.up = true;
  n.paused_until = Instant();
  net_.attach(n.addr, [this, i](const std::string& from, const std::string& bytes) {
    on_bytes(i, from, bytes);
  });
  for (size_t j = 0; j < nodes_.size(); ++j) {
    if (j != i) n.delivery->set_alive(nodes_[j]->id, seen_alive_[j], sim_.now(), n.hint_out);
  }
  drain(n);
  sim_.schedule_after(options_.detect_delay / 2, [this, i, epoch = n.epoch] {
    if (nodes_[i]->epoch == epoch && nodes_[i]->up) {
      seen_alive_[i] = true;
      announce_liveness();
    }
  });
}

void ReplicationCluster::wipe(size_t i) {
  crash(i);
  nodes_[i]->env = std::make_unique<lsm::FaultyEnv>(sim_.rng().next_u64());
  restart(i);
}

void ReplicationCluster::compact(size_t i) {
  Node& n = *nodes_[i];
  PAIRDB_ASSERT(n.up);
  sync_clock(n);
  PAIRDB_ASSERT(n.stack->db()->flush().is_ok());
  PAIRDB_ASSERT(n.stack->db()->compact_range(nullptr, nullptr).is_ok());
}

uint64_t ReplicationCluster::purged(size_t i) const {
  return nodes_[i]->stack->compaction_filter().purged_records();
}

uint64_t ReplicationCluster::repaired_before(size_t i, const std::string& key) const {
  return nodes_[i]->stack->repairs()->repaired_before(table_.id, ring::HashRing::token_of(key));
}

void ReplicationCluster::repair(size_t via, RepairDone done,
                                replication::RepairSessionConfig config) {
  Node& n = *nodes_[via];
  PAIRDB_ASSERT(n.up && !n.repair_job);
  n.repair_job.emplace();
  n.repair_job->done = std::move(done);
  n.repair_job->config = config;
  for (auto& r : ring_->replicated_ranges(replication::replication_spec_of(table_.spec))) {
    if (std::find(r.replicas.begin(), r.replicas.end(), n.id) != r.replicas.end()) {
      n.repair_job->queue.push_back(std::move(r));
    }
  }
  std::reverse(n.repair_job->queue.begin(), n.repair_job->queue.end());  // Popped from the back.
  start_next_repair(n);
}

void ReplicationCluster::start_next_repair(Node& n) {
  auto& job = *n.repair_job;
  if (job.session != nullptr) {  // The last one finished.
    const replication::RepairSessionStats& s = job.session->stats();
    job.outcome.stats.syncs_done += s.syncs_done;
    job.outcome.stats.leaves_differing += s.leaves_differing;
    job.outcome.stats.records_differing += s.records_differing;
    job.outcome.stats.records_fetched += s.records_fetched;
    job.outcome.stats.records_pushed += s.records_pushed;
    job.outcome.stats.records_changed_here += s.records_changed_here;
    job.outcome.stats.records_changed_peers += s.records_changed_peers;
    job.outcome.stats.bytes_sent += s.bytes_sent;
    job.outcome.stats.bytes_received += s.bytes_received;
    job.outcome.stats.retries += s.retries;
    Status status = job.session->status();
    if (const auto completion = job.session->completion()) {
      status = n.stack->repairs()->record(*completion, n.clock->wall_ms());
    }
    job.session.reset();
    if (status.is_ok()) ++job.outcome.ranges;
    if (!status.is_ok() || job.queue.empty()) {
      job.outcome.status = status;
      RepairDone done = std::move(job.done);
      RepairOutcome outcome = std::move(job.outcome);
      n.repair_job.reset();
      done(outcome);
      return;
    }
  }
  if (job.queue.empty()) {  // Nothing replicated here.
    RepairDone done = std::move(job.done);
    RepairOutcome outcome = std::move(job.outcome);
    n.repair_job.reset();
    done(outcome);
    return;
  }
  const ring::ReplicatedRange range = std::move(job.queue.back());
  job.queue.pop_back();
  sync_clock(n);
  replication::RepairTask task;
  task.session_id = sim_.rng().next_u64() | 1;
  task.table = table_.id;
  task.mode = table_.spec.conflict_mode;
  task.range = range.range;
  task.self = n.id;
  for (const ring::NodeId& id : range.replicas) {
    if (id != n.id) task.peers.push_back(id);
  }
  task.started_wall_ms = n.clock->wall_ms();
  job.session = std::make_unique<replication::RepairSession>(std::move(task),
                                                             n.repair_storage.get(), job.config);
  replication::RepairOutbox out;
  job.session->start(sim_.now(), out);
  pump_repair(n, out);
}

void ReplicationCluster::pump_repair(Node& n, replication::RepairOutbox& out) {
  auto& job = *n.repair_job;
  const uint64_t session_id = job.session->task().session_id;
  for (const replication::RepairSend& send : out.sends) {
    send_request(n, index_of_id_.at(raw(send.to)), session_id, send.request_id, kAntiEntropy,
                 server::repair_request_to_wire(send.request));
  }
  if (job.session->finished()) {
    start_next_repair(n);
    return;
  }
  if (out.next_tick == Instant::max()) return;
  sim_.schedule(std::max(out.next_tick, sim_.now()), [this, &n, epoch = n.epoch, session_id] {
    if (n.epoch != epoch || !n.up || !n.repair_job || n.repair_job->session == nullptr ||
        n.repair_job->session->task().session_id != session_id) {
      return;
    }
    sync_clock(n);
    replication::RepairOutbox more;
    n.repair_job->session->tick(sim_.now(), more);
    pump_repair(n, more);
  });
}

void ReplicationCluster::on_repair_reply(Node& n, uint64_t session_id, uint64_t request_id,
                                         Result<replication::RepairReply> reply) {
  if (!n.repair_job || n.repair_job->session == nullptr ||
      n.repair_job->session->task().session_id != session_id) {
    return;  // A reply for a session that is gone.
  }
  replication::RepairOutbox out;
  n.repair_job->session->on_reply(request_id, std::move(reply), sim_.now(), out);
  pump_repair(n, out);
}

bool ReplicationCluster::up(size_t i) const { return nodes_[i]->up; }

const std::string& ReplicationCluster::address(size_t i) const { return nodes_[i]->addr; }

void ReplicationCluster::drop_table() {
  table_dropped_ = true;
  for (auto& n : nodes_) {
    if (n->up) PAIRDB_ASSERT(n->stack->catalog()->drop(table_.spec.name, true).is_ok());
  }
}

// What HintedHandoff does: hints, loads and sends of one node's delivery core.
void ReplicationCluster::keep_hint(Node& n, const ring::NodeId& target, const std::string& key,
                                   const VersionRecord& record) {
  const replication::Hint hint = replication::make_hint(
      target, table_.id, key, "", replication::encode_record(record), record, n.clock->wall_ms());
  if (n.keeper->keep_now(hint).is_ok()) ++counters_.hints_stored;
}

void ReplicationCluster::drain_hints(Node& n) {
  if (!n.delivery) return;
  for (const auto& target : std::exchange(n.keeper->stored_targets, {})) {
    // A target the core has not heard of yet starts as dead: tell it what the detector says.
    n.delivery->set_alive(target, seen_alive_[index_of_id_.at(raw(target))], sim_.now(),
                          n.hint_out);
    n.delivery->on_hint_stored(target, sim_.now(), n.hint_out);
  }
  while (!n.hint_out.empty()) {
    replication::HintDeliveryOutbox out;
    std::swap(out, n.hint_out);
    for (const auto& load : out.loads) {
      after_storage(n, [&n, load, this] {
        auto batch = n.hints->peek(load.target, load.after_seq, load.max_count, load.max_bytes);
        n.delivery->on_loaded(load.target, std::move(batch), sim_.now(), n.hint_out);
      });
    }
    for (const auto& send : out.sends) {
      const size_t to = index_of_id_.at(raw(send.target));
      const replication::Hint& hint = send.hint.hint;
      const auto drop = replication::undeliverable(
          hint, n.stack->catalog()->find_by_id(hint.table) != nullptr, n.clock->wall_ms());
      if (drop) {  // As HintedHandoff: dropped, never sent, and reported done.
        after_storage(n, [this, &n, send, reason = *drop] {
          const Status dropped = n.hints->drop(send.target, send.hint, reason, n.clock->wall_ms());
          if (dropped.is_ok()) ++counters_.hints_dropped;
          n.delivery->on_delivered(send.target, send.hint.seq, dropped, sim_.now(), n.hint_out);
        });
        continue;
      }
      const uint32_t stream = send_request(
          n, to, send.hint.seq, to, kHint,
          internode::ReplicaWrite{
              {hint.table, hint.partition_key, hint.sort_key}, hint.record, false, {}});
      // The transport deadline of the daemon's InternodeClient: unanswered, it failed.
      sim_.schedule_after(options_.write_timeout, [this, &n, stream, epoch = n.epoch] {
        if (n.epoch != epoch || !n.up) return;
        auto it = n.pending.find(stream);
        if (it == n.pending.end()) return;
        const Node::Pending pending = it->second;
        n.pending.erase(it);
        on_hint_reply(n, pending.replica, pending.op, Status::timeout("no answer"));
        drain(n);
      });
    }
    if (out.next_tick != Instant::max()) schedule_hint_tick(n, out.next_tick);
  }
}

void ReplicationCluster::on_hint_reply(Node& n, size_t target, uint64_t seq, const Status& status) {
  const ring::NodeId id = nodes_[target]->id;
  if (!status.is_ok()) {
    n.delivery->on_delivered(id, seq, status, sim_.now(), n.hint_out);
    return;
  }
  after_storage(n, [this, &n, id, seq] {
    const Status removed = n.hints->remove(id, seq);
    if (removed.is_ok()) ++counters_.hints_delivered;
    n.delivery->on_delivered(id, seq, removed, sim_.now(), n.hint_out);
  });
}

void ReplicationCluster::schedule_hint_tick(Node& n, Instant at) {
  sim_.schedule(std::max(at, sim_.now()), [this, &n, epoch = n.epoch] {
    if (n.epoch != epoch || !n.up) return;
    sync_clock(n);
    n.delivery->tick(sim_.now(), n.hint_out);
    drain(n);
  });
}

void ReplicationCluster::announce_liveness() {
  for (auto& n : nodes_) {
    if (!n->up) continue;
    for (size_t j = 0; j < nodes_.size(); ++j) {
      if (j != n->index)
        n->delivery->set_alive(nodes_[j]->id, seen_alive_[j], sim_.now(), n->hint_out);
    }
    drain(*n);
  }
}

std::string ReplicationCluster::hint_report(size_t i) const {
  std::string out;
  for (const auto& target : nodes_[i]->hints->targets()) {
    const size_t t = index_of_id_.at(raw(target.target));
    out += fmt::format(
        "[node {} holds {} for node {}: {}, seen {}] ", i, target.count, t,
        replication::target_delivery_state_name(nodes_[i]->delivery->state(target.target)),
        seen_alive_[t] ? "alive" : "dead");
  }
  return out;
}

uint64_t ReplicationCluster::hints_held(size_t i) const {
  uint64_t held = 0;
  for (const auto& target : nodes_[i]->hints->targets()) held += target.count;
  return held;
}

bool ReplicationCluster::handoff_idle() const {
  for (const auto& n : nodes_) {
    if (n->up && !n->delivery->idle_for_live_targets()) return false;
  }
  return true;
}

std::optional<size_t> ReplicationCluster::owner_of(const std::string& key) {
  for (size_t r : replicas_of(key)) {
    if (seen_alive_[r]) return r;
  }
  return std::nullopt;
}

void ReplicationCluster::set_clock_skew_ms(size_t i, int64_t skew_ms) {
  nodes_[i]->skew_ms = skew_ms;
}

void ReplicationCluster::pause(size_t i, Duration d) {
  nodes_[i]->paused_until = std::max(nodes_[i]->paused_until, sim_.now() + d);
}

Result<VersionRecord> ReplicationCluster::stored(size_t i, const std::string& key) {
  PAIRDB_ASSERT(nodes_[i]->up);
  return nodes_[i]->stack->store()->read({table_.id, key, ""});
}

replication::CoordinatorCounters ReplicationCluster::coordinator_counters() const {
  replication::CoordinatorCounters sum;
  for (const auto& n : nodes_) {
    sum += n->retired;
    if (n->coordinator) sum += n->coordinator->counters();
  }
  return sum;
}

}  // namespace pairdb::sim
