#include "server/wire/wire_api.h"

#include <fmt/format.h>

#include <chrono>

#include "common/assert.h"
#include "net/wire.h"
#include "server/wire/wire_cluster.h"

namespace pairdb::server {

namespace wire = pairdb::wire;
using flatbuffers::FlatBufferBuilder;
using flatbuffers::Offset;
using net::Opcode;

namespace {

std::string bytes_of(const flatbuffers::Vector<uint8_t>* vector) {
  if (vector == nullptr) return {};
  return {reinterpret_cast<const char*>(vector->data()), vector->size()};
}

std::string string_of(const flatbuffers::String* text) {
  return text == nullptr ? std::string() : text->str();
}

Offset<flatbuffers::Vector<uint8_t>> bytes_to(FlatBufferBuilder& builder, std::string_view bytes) {
  return builder.CreateVector(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
}

Result<replication::Consistency> consistency_of(wire::Consistency level) {
  if (!net::is_known(level)) return Status::invalid_argument("unknown consistency level");
  return static_cast<replication::Consistency>(level);
}

Offset<flatbuffers::Vector<Offset<wire::Sibling>>> siblings_to(
    FlatBufferBuilder& builder, const std::vector<replication::Sibling>& siblings) {
  std::vector<Offset<wire::Sibling>> offsets;
  offsets.reserve(siblings.size());
  for (const auto& sibling : siblings) {
    offsets.push_back(wire::CreateSibling(
        builder, bytes_to(builder, sibling.value), builder.CreateString(sibling.content_type),
        sibling.timestamp.value, sibling.expires_at_ms, sibling.tombstone));
  }
  return builder.CreateVector(offsets);
}

Result<CreateTableCommand> create_command_of(const wire::CreateTableRequest& request) {
  const wire::TableSpec* spec = request.spec();
  if (spec == nullptr) return Status::invalid_argument("CreateTable needs a spec");
  CreateTableCommand command;
  command.name = string_of(spec->name());
  command.owner = string_of(spec->owner());
  if (spec->replication() != nullptr) {
    for (const auto* dc : *spec->replication()) {
      command.replication.push_back({string_of(dc->dc()), dc->rf()});
    }
  }
  PAIRDB_ASSIGN_OR_RETURN(command.read_consistency, consistency_of(spec->read_consistency()));
  PAIRDB_ASSIGN_OR_RETURN(command.write_consistency, consistency_of(spec->write_consistency()));
  if (!net::is_known(spec->conflict_mode())) {
    return Status::invalid_argument("unknown conflict mode");
  }
  command.conflict_mode = static_cast<replication::ConflictMode>(spec->conflict_mode());
  command.default_ttl_ms = spec->default_ttl_ms();
  command.siblings_warn = spec->siblings_warn();
  command.siblings_max = spec->siblings_max();
  if (!net::is_known(spec->read_repair())) return Status::invalid_argument("unknown read_repair");
  command.read_repair = static_cast<replication::ReadRepair>(spec->read_repair());
  command.sloppy_quorum = !spec->sloppy_quorum_off();
  command.if_not_exists = request.if_not_exists();
  return command;
}

Offset<flatbuffers::Vector<Offset<wire::KeyValue>>> key_values_to(FlatBufferBuilder& builder,
                                                                  const KeyValues& entries) {
  std::vector<Offset<wire::KeyValue>> offsets;
  for (const auto& [key, value] : entries) {
    offsets.push_back(
        wire::CreateKeyValue(builder, builder.CreateString(key), builder.CreateString(value)));
  }
  return builder.CreateVector(offsets);
}

}  // namespace

// One request in progress: its header, payload and where the answer goes.
struct WireApi::Call {
  net::Frame frame;
  net::FrameResponder respond;
  const Clock* clock = nullptr;
  Instant started;
  std::function<void(std::string_view, StatusCode, uint64_t)> observe;

  Opcode opcode() const { return frame.header.opcode; }
  std::span<const uint8_t> payload() const { return frame.payload_bytes(); }

  void finish(StatusCode code, std::string response) {
    if (observe) {
      const Duration took = clock->monotonic() - started;
      observe(net::opcode_name(opcode()), code, static_cast<uint64_t>(took.count()));
    }
    respond(std::move(response));
  }
  void fail(const Status& status) {
    const QuorumCount quorum = status.quorum().value_or(QuorumCount{});
    finish(status.code(),
           net::encode_error_frame(frame.header.stream_id, opcode(), net::error_code_for(status),
                                   status.message(), quorum.required, quorum.achieved));
  }
  void reply(const FlatBufferBuilder& builder) {
    finish(StatusCode::kOk, net::encode_response_frame(frame.header.stream_id, opcode(), builder));
  }
};

WireApi::WireApi(WireApiDeps deps) : deps_(std::move(deps)) {
  PAIRDB_ASSERT(deps_.items != nullptr && deps_.tables != nullptr);
  PAIRDB_ASSERT(deps_.cluster != nullptr);
  PAIRDB_ASSERT(deps_.run_blocking && deps_.clock != nullptr);
}

Instant WireApi::deadline_for(uint32_t timeout_ms) const {
  const uint32_t effective =
      timeout_ms == 0 ? deps_.request_timeout_ms : std::min(timeout_ms, deps_.request_timeout_ms);
  return deps_.clock->monotonic() + std::chrono::milliseconds(effective);
}

void WireApi::handle(net::Frame request, net::FrameResponder respond) {
  auto call = std::make_shared<Call>();
  call->frame = std::move(request);
  call->respond = std::move(respond);
  call->clock = deps_.clock;
  call->started = deps_.clock->monotonic();
  call->observe = deps_.observe;
  // BinaryServer ran net::check_request on the frame: the payload verified as the opcode's
  // request table, so handlers read it with GetRoot. Debug builds check again.
  PAIRDB_DASSERT(!net::check_request(call->frame).has_value());
  switch (net::opcode_group(call->opcode())) {
    case net::OpcodeGroup::kConnection:
      return handle_connection(call);
    case net::OpcodeGroup::kItems:
      return handle_items(call);
    case net::OpcodeGroup::kTables:
      return handle_tables(call);
    case net::OpcodeGroup::kCluster:
      if (call->opcode() == Opcode::kGetEndpoints) return get_endpoints(call);
      if (call->opcode() == Opcode::kGetReplicas) return get_replicas(call);
      return handle_cluster(call);
    case net::OpcodeGroup::kAdmin:
      return handle_admin(call);
  }
}

// Hello and Ping are answered at once on the connection's thread: a health check or a
// handshake must not wait behind storage work on the worker pool.
void WireApi::handle_connection(const std::shared_ptr<Call>& call) {
  const NodeFacts& facts = deps_.facts;
  FlatBufferBuilder builder;
  if (call->opcode() == Opcode::kPing) {
    builder.Finish(wire::CreatePingResponse(builder, builder.CreateString(facts.node_id),
                                            deps_.admin.uptime_ms ? deps_.admin.uptime_ms() : 0));
    return call->reply(builder);
  }
  PAIRDB_ASSERT(call->opcode() == Opcode::kHello);
  const auto* request = flatbuffers::GetRoot<wire::HelloRequest>(call->payload().data());
  bool speaks_v1 =
      request->protocol_versions() == nullptr || request->protocol_versions()->size() == 0;
  if (request->protocol_versions() != nullptr) {
    for (uint8_t version : *request->protocol_versions()) {
      speaks_v1 = speaks_v1 || version == net::kProtocolVersion;
    }
  }
  if (!speaks_v1) {
    return call->finish(StatusCode::kInvalidArgument,
                        net::encode_error_frame(call->frame.header.stream_id, call->opcode(),
                                                wire::ErrorCode::UnsupportedVersion,
                                                "this server speaks protocol version 1"));
  }
  builder.Finish(
      wire::CreateHelloResponse(builder, net::kProtocolVersion, builder.CreateString(facts.node_id),
                                builder.CreateString(facts.cluster_name),
                                builder.CreateString(facts.server_version), deps_.max_frame_bytes));
  call->reply(builder);
}

void WireApi::handle_items(const std::shared_ptr<Call>& call) {
  switch (call->opcode()) {
    case Opcode::kPut:
      return put(call);
    case Opcode::kGet:
      return get(call);
    case Opcode::kDelete:
      return remove(call);
    default:
      return query(call);
  }
}

void WireApi::put(const std::shared_ptr<Call>& call) {
  const auto* request = flatbuffers::GetRoot<wire::PutRequest>(call->payload().data());
  WriteCommand command;
  command.key = {string_of(request->table()), bytes_of(request->partition_key()),
                 bytes_of(request->sort_key())};
  command.value = bytes_of(request->value());
  command.content_type = request->content_type() ? request->content_type()->str()
                                                 : std::string("application/octet-stream");
  command.context = bytes_of(request->context());
  auto consistency = consistency_of(request->consistency());
  if (!consistency.is_ok()) return call->fail(consistency.status());
  command.consistency = *consistency;
  if (request->ttl_ms() != 0) command.ttl_ms = request->ttl_ms();
  command.idempotency_key = string_of(request->idempotency_key());
  deps_.items->write(
      std::move(command), deadline_for(request->timeout_ms()), [call](Result<WriteReply> reply) {
        if (!reply.is_ok()) return call->fail(reply.status());
        FlatBufferBuilder builder;
        builder.Finish(
            wire::CreatePutResponse(builder, bytes_to(builder, reply->context), reply->duplicate));
        call->reply(builder);
      });
}

void WireApi::remove(const std::shared_ptr<Call>& call) {
  const auto* request = flatbuffers::GetRoot<wire::DeleteRequest>(call->payload().data());
  WriteCommand command;
  command.key = {string_of(request->table()), bytes_of(request->partition_key()),
                 bytes_of(request->sort_key())};
  command.tombstone = true;
  command.context = bytes_of(request->context());
  auto consistency = consistency_of(request->consistency());
  if (!consistency.is_ok()) return call->fail(consistency.status());
  command.consistency = *consistency;
  command.idempotency_key = string_of(request->idempotency_key());
  deps_.items->write(
      std::move(command), deadline_for(request->timeout_ms()), [call](Result<WriteReply> reply) {
        if (!reply.is_ok()) return call->fail(reply.status());
        FlatBufferBuilder builder;
        builder.Finish(wire::CreateDeleteResponse(builder, bytes_to(builder, reply->context)));
        call->reply(builder);
      });
}

void WireApi::get(const std::shared_ptr<Call>& call) {
  const auto* request = flatbuffers::GetRoot<wire::GetRequest>(call->payload().data());
  auto consistency = consistency_of(request->consistency());
  if (!consistency.is_ok()) return call->fail(consistency.status());
  ReadCommand command{{string_of(request->table()), bytes_of(request->partition_key()),
                       bytes_of(request->sort_key())},
                      *consistency};
  deps_.items->read(
      std::move(command), deadline_for(request->timeout_ms()), [call](Result<ItemReply> reply) {
        if (!reply.is_ok()) return call->fail(reply.status());
        FlatBufferBuilder builder;
        auto siblings = siblings_to(builder, reply->siblings);
        auto context = bytes_to(builder, reply->context);
        builder.Finish(wire::CreateGetResponse(builder, reply->found, siblings, context));
        call->reply(builder);
      });
}

void WireApi::query(const std::shared_ptr<Call>& call) {
  const auto* request = flatbuffers::GetRoot<wire::QueryRequest>(call->payload().data());
  auto consistency = consistency_of(request->consistency());
  if (!consistency.is_ok()) return call->fail(consistency.status());
  QueryCommand command;
  command.table = string_of(request->table());
  command.partition_key = bytes_of(request->partition_key());
  if (request->has_from()) command.from_sort_key = bytes_of(request->from_sort_key());
  if (request->has_to()) command.to_sort_key = bytes_of(request->to_sort_key());
  command.limit = request->limit();
  command.page_token = bytes_of(request->page_token());
  command.consistency = *consistency;
  deps_.items->query(
      std::move(command), deadline_for(request->timeout_ms()), [call](Result<QueryReply> reply) {
        if (!reply.is_ok()) return call->fail(reply.status());
        FlatBufferBuilder builder;
        std::vector<Offset<wire::QueryItem>> items;
        items.reserve(reply->items.size());
        for (const auto& item : reply->items) {
          auto sort_key = bytes_to(builder, item.sort_key);
          auto siblings = siblings_to(builder, item.siblings);
          auto context = bytes_to(builder, item.context);
          items.push_back(wire::CreateQueryItem(builder, sort_key, siblings, context));
        }
        auto vector = builder.CreateVector(items);
        auto token = reply->next_page_token.empty() ? Offset<flatbuffers::Vector<uint8_t>>()
                                                    : bytes_to(builder, reply->next_page_token);
        builder.Finish(wire::CreateQueryResponse(builder, vector, token));
        call->reply(builder);
      });
}

void WireApi::handle_tables(const std::shared_ptr<Call>& call) {
  const auto* payload = call->payload().data();
  auto answer_table = [call](Result<replication::TableInfo> reply) {
    if (!reply.is_ok()) return call->fail(reply.status());
    FlatBufferBuilder builder;
    auto info = table_info_to_wire(builder, *reply);
    if (call->opcode() == Opcode::kCreateTable) {
      builder.Finish(wire::CreateCreateTableResponse(builder, info));
    } else if (call->opcode() == Opcode::kDescribeTable) {
      builder.Finish(wire::CreateDescribeTableResponse(builder, info));
    } else {
      builder.Finish(wire::CreateDropTableResponse(builder));
    }
    call->reply(builder);
  };
  switch (call->opcode()) {
    case Opcode::kCreateTable: {
      auto command = create_command_of(*flatbuffers::GetRoot<wire::CreateTableRequest>(payload));
      if (!command.is_ok()) return call->fail(command.status());
      return deps_.tables->create(std::move(*command), answer_table);
    }
    case Opcode::kDropTable: {
      const auto* request = flatbuffers::GetRoot<wire::DropTableRequest>(payload);
      return deps_.tables->drop(string_of(request->name()), request->if_exists(), answer_table);
    }
    case Opcode::kDescribeTable: {
      const auto* request = flatbuffers::GetRoot<wire::DescribeTableRequest>(payload);
      return deps_.tables->describe(string_of(request->name()), answer_table);
    }
    default:
      return deps_.tables->list([call](Result<std::vector<replication::TableInfo>> reply) {
        if (!reply.is_ok()) return call->fail(reply.status());
        FlatBufferBuilder builder;
        std::vector<Offset<wire::TableInfo>> tables;
        for (const auto& info : *reply) tables.push_back(table_info_to_wire(builder, info));
        builder.Finish(wire::CreateListTablesResponse(builder, builder.CreateVector(tables)));
        call->reply(builder);
      });
  }
}

void WireApi::handle_admin(const std::shared_ptr<Call>& call) {
  // Admin requests are rare and may block (flush, compact, reading the hint store): run them on
  // the worker pool.
  deps_.run_blocking([this, call] {
    FlatBufferBuilder builder;
    switch (call->opcode()) {
      case Opcode::kInfo:
        builder.Finish(wire::CreateInfoResponse(
            builder, key_values_to(builder, deps_.admin.info ? deps_.admin.info() : KeyValues{})));
        break;
      case Opcode::kTableStats: {
        const auto* request = flatbuffers::GetRoot<wire::TableStatsRequest>(call->payload().data());
        auto stats = deps_.admin.table_stats(string_of(request->table()));
        if (!stats.is_ok()) return call->fail(stats.status());
        builder.Finish(wire::CreateTableStatsResponse(builder, key_values_to(builder, *stats)));
        break;
      }
      case Opcode::kFlush: {
        if (Status status = deps_.admin.flush(); !status.is_ok()) return call->fail(status);
        builder.Finish(wire::CreateFlushResponse(builder));
        break;
      }
      case Opcode::kCompact: {
        const auto* request = flatbuffers::GetRoot<wire::CompactRequest>(call->payload().data());
        if (Status status = deps_.admin.compact(string_of(request->table())); !status.is_ok()) {
          return call->fail(status);
        }
        builder.Finish(wire::CreateCompactResponse(builder));
        break;
      }
      case Opcode::kHandoffStatus:
        return handoff_status(call);
      case Opcode::kHandoffControl:
        return handoff_control(call);
      case Opcode::kRepairRun:
        return repair_run(call);
      case Opcode::kRepairStatus:
        return repair_status(call);
      default:
        return call->fail(Status::invalid_argument("unhandled opcode"));
    }
    call->reply(builder);
  });
}

// On a worker: the status and the repair marks both read the hint store.
void WireApi::handoff_status(const std::shared_ptr<Call>& call) {
  const HandoffOps& ops = deps_.handoff;
  if (!ops.status || !ops.repair_marks) {
    return call->fail(Status::not_supported("this node does not run hinted handoff"));
  }
  const HandoffStatus status = ops.status();
  auto marks = ops.repair_marks();
  if (!marks.is_ok()) return call->fail(marks.status());
  FlatBufferBuilder builder;
  build_handoff_status(builder, status, *marks, ops.table_name);
  call->reply(builder);
}

// Answers from the handoff's `done` callback (on its io thread), once the change took effect.
void WireApi::handoff_control(const std::shared_ptr<Call>& call) {
  const auto* request = flatbuffers::GetRoot<wire::HandoffControlRequest>(call->payload().data());
  auto command = handoff_command_of(*request);
  if (!command.is_ok()) return call->fail(command.status());
  auto answer = [call](uint64_t affected) {
    FlatBufferBuilder builder;
    builder.Finish(wire::CreateHandoffControlResponse(builder, affected));
    call->reply(builder);
  };
  const HandoffOps& ops = deps_.handoff;
  if (command->action == HandoffAction::kTruncate) {
    if (!ops.truncate) {
      return call->fail(Status::not_supported("this node does not run hinted handoff"));
    }
    return ops.truncate(command->target, [call, answer](Result<uint64_t> truncated) {
      if (!truncated.is_ok()) return call->fail(truncated.status());
      answer(*truncated);
    });
  }
  if (!ops.set_paused) {
    return call->fail(Status::not_supported("this node does not run hinted handoff"));
  }
  ops.set_paused(command->target, command->action == HandoffAction::kPause,
                 [answer] { answer(0); });
}

// Answers from the service's `done` callback (on its thread), once the job started or could not.
void WireApi::repair_run(const std::shared_ptr<Call>& call) {
  const auto* request = flatbuffers::GetRoot<wire::RepairRunRequest>(call->payload().data());
  auto run = repair_run_request_of(*request);
  if (!run.is_ok()) return call->fail(run.status());
  if (!deps_.repair.run) return call->fail(Status::not_supported("this node does not run repair"));
  deps_.repair.run(std::move(*run), [call](Result<uint64_t> job_id) {
    if (!job_id.is_ok()) return call->fail(job_id.status());
    FlatBufferBuilder builder;
    builder.Finish(wire::CreateRepairRunResponse(builder, *job_id));
    call->reply(builder);
  });
}

// On a worker: status() copies the service's published snapshot.
void WireApi::repair_status(const std::shared_ptr<Call>& call) {
  if (!deps_.repair.status) {
    return call->fail(Status::not_supported("this node does not run repair"));
  }
  FlatBufferBuilder builder;
  build_repair_status(builder, deps_.repair.status());
  call->reply(builder);
}

// Cluster views are snapshots already in memory: answered on the io thread, without blocking.
void WireApi::handle_cluster(const std::shared_ptr<Call>& call) {
  const std::shared_ptr<const replication::ClusterSnapshot> cluster = deps_.cluster->snapshot();
  FlatBufferBuilder builder;
  switch (call->opcode()) {
    case Opcode::kTopology:
      build_topology(builder, *cluster);
      break;
    case Opcode::kStatus:
      build_status(builder, *cluster, deps_.facts.node_id);
      break;
    case Opcode::kGossipInfo:
      build_gossip_info(builder, *cluster, deps_.facts.node_id);
      break;
    case Opcode::kDescribeCluster:
      build_describe_cluster(builder, *cluster, deps_.facts.cluster_name);
      break;
    default: {
      PAIRDB_ASSERT(call->opcode() == Opcode::kSchemaPull);
      if (!deps_.admin.schema_state || !deps_.admin.schema_digest) {
        return call->fail(Status::unavailable("this node does not serve its schema"));
      }
      // The digest first: a change racing with state() then makes the puller pull again.
      const uint64_t digest = deps_.admin.schema_digest();
      build_schema_pull(builder, deps_.admin.schema_state(), digest);
      break;
    }
  }
  call->reply(builder);
}

void WireApi::get_endpoints(const std::shared_ptr<Call>& call) {
  const auto* request = flatbuffers::GetRoot<wire::GetEndpointsRequest>(call->payload().data());
  std::string partition_key = bytes_of(request->partition_key());
  if (partition_key.empty()) return call->fail(Status::invalid_argument("partition_key is empty"));
  const size_t fallbacks = std::min<size_t>(request->fallbacks(), ring::kFallbackReplicasMax);
  deps_.tables->describe(
      string_of(request->table()), [this, call, partition_key = std::move(partition_key),
                                    fallbacks](Result<replication::TableInfo> table) {
        if (!table.is_ok()) return call->fail(table.status());
        const std::shared_ptr<const replication::ClusterSnapshot> cluster =
            deps_.cluster->snapshot();
        auto endpoints = replication::place(*cluster, replication::replication_spec_of(table->spec),
                                            partition_key, fallbacks);
        if (!endpoints.is_ok()) return call->fail(endpoints.status());
        FlatBufferBuilder builder;
        build_get_endpoints(builder, ring::HashRing::token_of(partition_key), *endpoints,
                            cluster->ring_version);
        call->reply(builder);
      });
}

void WireApi::get_replicas(const std::shared_ptr<Call>& call) {
  const auto* request = flatbuffers::GetRoot<wire::GetReplicasRequest>(call->payload().data());
  ReadCommand command{{string_of(request->table()), bytes_of(request->partition_key()),
                       bytes_of(request->sort_key())},
                      replication::Consistency::kAll};
  deps_.items->inspect(std::move(command), deadline_for(request->timeout_ms()),
                       [call](Result<ReplicaReport> report) {
                         if (!report.is_ok()) return call->fail(report.status());
                         FlatBufferBuilder builder;
                         std::vector<flatbuffers::Offset<wire::ReplicaCopy>> copies;
                         for (const ReplicaReport::Copy& copy : report->replicas) {
                           auto node_id = builder.CreateString(copy.node_id);
                           auto address = builder.CreateString(copy.address);
                           auto error = copy.error.empty() ? 0 : builder.CreateString(copy.error);
                           auto siblings = siblings_to(builder, copy.siblings);
                           auto context = builder.CreateString(copy.context);
                           copies.push_back(wire::CreateReplicaCopy(
                               builder, node_id, address, error, copy.found, siblings, context,
                               copy.digest, copy.agrees, copy.is_self));
                         }
                         builder.Finish(wire::CreateGetReplicasResponse(
                             builder, report->token, builder.CreateVector(copies)));
                         call->reply(builder);
                       });
}

}  // namespace pairdb::server
