#include "net/internode.h"

#include "common/assert.h"
#include "net/schema/internode_generated.h"
#include "net/wire.h"

namespace pairdb::net::internode {

namespace fb = ::pairdb::internode;
using flatbuffers::FlatBufferBuilder;
using flatbuffers::Offset;
using Bytes = flatbuffers::Vector<uint8_t>;

namespace {

Offset<Bytes> bytes(FlatBufferBuilder& fbb, std::string_view s) {
  return fbb.CreateVector(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

Offset<Bytes> optional_bytes(FlatBufferBuilder& fbb, const std::optional<std::string>& s) {
  return s ? bytes(fbb, *s) : Offset<Bytes>();
}

std::string text(const Bytes* v) {
  return v == nullptr ? std::string()
                      : std::string(reinterpret_cast<const char*>(v->data()), v->size());
}

std::string text(const flatbuffers::String* s) { return s == nullptr ? std::string() : s->str(); }

std::optional<std::string> optional_text(const Bytes* v) {
  if (v == nullptr) return std::nullopt;
  return text(v);
}

Offset<fb::ItemKey> item_key(FlatBufferBuilder& fbb, const ItemKey& key) {
  const auto pk = bytes(fbb, key.partition_key);
  const auto sk = bytes(fbb, key.sort_key);
  return fb::CreateItemKey(fbb, key.table_id, pk, sk);
}

ItemKey item_key(const fb::ItemKey* key) {
  if (key == nullptr) return {};
  return {key->table_id(), text(key->partition_key()), text(key->sort_key())};
}

// Lists of numbers travel as FlatBuffers vectors of scalars: 4 or 8 bytes an entry.
template <typename T>
std::vector<T> numbers(const flatbuffers::Vector<T>* v) {
  return v == nullptr ? std::vector<T>() : std::vector<T>(v->begin(), v->end());
}

Offset<fb::RepairScope> repair_scope(FlatBufferBuilder& fbb, const RepairScope& scope) {
  return fb::CreateRepairScope(fbb, scope.session_id, scope.sync_id, scope.table_id,
                               scope.range_start, scope.range_end, scope.depth);
}

RepairScope repair_scope(const fb::RepairScope* scope) {
  if (scope == nullptr) return {};
  return {scope->session_id(),  scope->sync_id(),   scope->table_id(),
          scope->range_start(), scope->range_end(), scope->depth()};
}

Offset<flatbuffers::Vector<Offset<fb::RepairItem>>> repair_items(
    FlatBufferBuilder& fbb, const std::vector<RepairItem>& items) {
  std::vector<Offset<fb::RepairItem>> offsets;
  offsets.reserve(items.size());
  for (const RepairItem& item : items) {
    const auto storage_key = bytes(fbb, item.storage_key);
    const auto record = bytes(fbb, item.record);
    offsets.push_back(fb::CreateRepairItem(fbb, storage_key, record));
  }
  return fbb.CreateVector(offsets);
}

std::vector<RepairItem> repair_items(const flatbuffers::Vector<Offset<fb::RepairItem>>* items) {
  std::vector<RepairItem> out;
  if (items == nullptr) return out;
  out.reserve(items->size());
  for (const fb::RepairItem* item : *items) {
    out.push_back({text(item->storage_key()), text(item->record())});
  }
  return out;
}

// --- Building each table ----------------------------------------------------------------------

template <typename Who>
void build_handshake(FlatBufferBuilder& fbb, const Who& m) {
  const auto id = bytes(fbb, m.node_id);
  fbb.Finish(fb::CreateHandshake(fbb, m.protocol_version, m.cluster_id, id));
}

void build(FlatBufferBuilder& fbb, const Handshake& m) { build_handshake(fbb, m); }
void build(FlatBufferBuilder& fbb, const HandshakeReply& m) { build_handshake(fbb, m); }

void build(FlatBufferBuilder& fbb, const ReplicaWrite& m) {
  const auto key = item_key(fbb, m.key);
  const auto record = bytes(fbb, m.record);
  const auto hint_for = m.hint_for.empty() ? Offset<Bytes>() : bytes(fbb, m.hint_for);
  fbb.Finish(fb::CreateReplicaWriteRequest(fbb, key, record, m.repair, hint_for));
}

void build(FlatBufferBuilder& fbb, const ReplicaRead& m) {
  fbb.Finish(fb::CreateReplicaReadRequest(fbb, item_key(fbb, m.key)));
}

void build(FlatBufferBuilder& fbb, const RangeRead& m) {
  const auto pk = bytes(fbb, m.partition_key);
  const auto from = optional_bytes(fbb, m.from_sort_key);
  const auto to = optional_bytes(fbb, m.to_sort_key);
  const auto after = optional_bytes(fbb, m.after_sort_key);
  fbb.Finish(fb::CreateRangeReadRequest(fbb, m.table_id, pk, from, to, after, m.limit));
}

void build(FlatBufferBuilder& fbb, const ForwardWrite& m) {
  const auto key = item_key(fbb, m.key);
  const auto value = bytes(fbb, m.value);
  const auto content_type = fbb.CreateString(m.content_type);
  const auto context = bytes(fbb, m.context);
  const auto idempotency_key = fbb.CreateString(m.idempotency_key);
  fbb.Finish(fb::CreateForwardWriteRequest(fbb, key, m.tombstone, value, content_type, context,
                                           m.ttl_ms, idempotency_key, m.consistency, m.timeout_ms));
}

void build(FlatBufferBuilder& fbb, const RepairTree& m) {
  const auto scope = repair_scope(fbb, m.scope);
  const auto nodes = fbb.CreateVector(m.nodes);
  fbb.Finish(fb::CreateRepairTreeRequest(fbb, scope, nodes));
}

void build(FlatBufferBuilder& fbb, const RepairLeaves& m) {
  const auto scope = repair_scope(fbb, m.scope);
  const auto leaves = fbb.CreateVector(m.leaves);
  fbb.Finish(fb::CreateRepairLeavesRequest(fbb, scope, leaves));
}

void build(FlatBufferBuilder& fbb, const RepairFetch& m) {
  const auto scope = repair_scope(fbb, m.scope);
  const auto leaves = fbb.CreateVector(m.leaves);
  const auto key_hashes = fbb.CreateVector(m.key_hashes);
  fbb.Finish(fb::CreateRepairFetchRequest(fbb, scope, leaves, key_hashes, m.bytes_max));
}

void build(FlatBufferBuilder& fbb, const RepairPush& m) {
  const auto items = repair_items(fbb, m.items);
  fbb.Finish(fb::CreateRepairPushRequest(fbb, m.table_id, items));
}

void build(FlatBufferBuilder& fbb, const RepairDone& m) {
  std::vector<Offset<fb::RepairReplica>> replicas;
  replicas.reserve(m.replicas.size());
  for (const std::string& id : m.replicas) {
    replicas.push_back(fb::CreateRepairReplica(fbb, bytes(fbb, id)));
  }
  const auto vector = fbb.CreateVector(replicas);
  fbb.Finish(fb::CreateRepairDoneRequest(fbb, m.session_id, m.table_id, m.range_start, m.range_end,
                                         m.started_wall_ms, m.records_differing, vector));
}

void build(FlatBufferBuilder& fbb, const ReplicaWriteReply& m) {
  fbb.Finish(fb::CreateReplicaWriteResponse(fbb, m.changed));
}

void build(FlatBufferBuilder& fbb, const ReplicaReadReply& m) {
  fbb.Finish(fb::CreateReplicaReadResponse(fbb, bytes(fbb, m.record)));
}

void build(FlatBufferBuilder& fbb, const RangeReadReply& m) {
  std::vector<Offset<fb::RangeItem>> items;
  items.reserve(m.items.size());
  for (const RangeItem& item : m.items) {
    const auto sort_key = bytes(fbb, item.sort_key);
    const auto record = bytes(fbb, item.record);
    items.push_back(fb::CreateRangeItem(fbb, sort_key, record));
  }
  const auto vector = fbb.CreateVector(items);
  const auto resume = optional_bytes(fbb, m.resume_after);
  fbb.Finish(fb::CreateRangeReadResponse(fbb, vector, resume));
}

void build(FlatBufferBuilder& fbb, const ForwardWriteReply& m) {
  fbb.Finish(
      fb::CreateForwardWriteResponse(fbb, bytes(fbb, m.record), m.required, m.acked, m.duplicate));
}

void build(FlatBufferBuilder& fbb, const RepairTreeReply& m) {
  fbb.Finish(fb::CreateRepairTreeResponse(fbb, fbb.CreateVector(m.hashes), m.records));
}

void build(FlatBufferBuilder& fbb, const RepairLeavesReply& m) {
  // Written in place: a reply may hold hundreds of thousands of entries.
  const auto entries = fbb.CreateVectorOfStructs<fb::RepairLeafEntry>(
      m.entries.size(), [&m](size_t i, fb::RepairLeafEntry* entry) {
        *entry = fb::RepairLeafEntry(m.entries[i].key_hash, m.entries[i].digest);
      });
  fbb.Finish(fb::CreateRepairLeavesResponse(fbb, entries));
}

void build(FlatBufferBuilder& fbb, const RepairFetchReply& m) {
  const auto items = repair_items(fbb, m.items);
  fbb.Finish(fb::CreateRepairFetchResponse(fbb, items, m.truncated));
}

void build(FlatBufferBuilder& fbb, const RepairPushReply& m) {
  fbb.Finish(fb::CreateRepairPushResponse(fbb, m.changed));
}

void build(FlatBufferBuilder& fbb, const RepairDoneReply&) {
  fbb.Finish(fb::CreateRepairDoneResponse(fbb));
}

void build(FlatBufferBuilder& fbb, const InternodeError& m) {
  const std::string_view message = std::string_view(m.message).substr(0, kErrorMessageBytesMax);
  fbb.Finish(
      fb::CreateInternodeError(fbb, m.code, fbb.CreateString(message), m.required, m.achieved));
}

// --- Reading each verified table --------------------------------------------------------------

template <typename T, typename Table, typename Convert>
Result<T> read(const Frame& frame, Convert convert) {
  PAIRDB_ASSIGN_OR_RETURN(const Table* table, verify_payload<Table>(frame.payload_bytes()));
  return T(convert(*table));
}

Result<Request> read_request(InternodeOp op, const Frame& frame) {
  switch (op) {
    case InternodeOp::kHandshake:
      return read<Request, fb::Handshake>(frame, [](const fb::Handshake& t) {
        return Handshake{t.protocol_version(), t.cluster_id(), text(t.node_id())};
      });
    case InternodeOp::kReplicaWrite:
      return read<Request, fb::ReplicaWriteRequest>(frame, [](const fb::ReplicaWriteRequest& t) {
        return ReplicaWrite{item_key(t.key()), text(t.record()), t.repair(), text(t.hint_for())};
      });
    case InternodeOp::kReplicaRead:
      return read<Request, fb::ReplicaReadRequest>(
          frame, [](const fb::ReplicaReadRequest& t) { return ReplicaRead{item_key(t.key())}; });
    case InternodeOp::kRangeRead:
      return read<Request, fb::RangeReadRequest>(frame, [](const fb::RangeReadRequest& t) {
        return RangeRead{t.table_id(),
                         text(t.partition_key()),
                         optional_text(t.from_sort_key()),
                         optional_text(t.to_sort_key()),
                         optional_text(t.after_sort_key()),
                         t.limit()};
      });
    case InternodeOp::kForwardWrite:
      return read<Request, fb::ForwardWriteRequest>(frame, [](const fb::ForwardWriteRequest& t) {
        return ForwardWrite{item_key(t.key()),         t.tombstone(),     text(t.value()),
                            text(t.content_type()),    text(t.context()), t.ttl_ms(),
                            text(t.idempotency_key()), t.consistency(),   t.timeout_ms()};
      });
    case InternodeOp::kRepairTree:
      return read<Request, fb::RepairTreeRequest>(frame, [](const fb::RepairTreeRequest& t) {
        return RepairTree{repair_scope(t.scope()), numbers(t.nodes())};
      });
    case InternodeOp::kRepairLeaves:
      return read<Request, fb::RepairLeavesRequest>(frame, [](const fb::RepairLeavesRequest& t) {
        return RepairLeaves{repair_scope(t.scope()), numbers(t.leaves())};
      });
    case InternodeOp::kRepairFetch:
      return read<Request, fb::RepairFetchRequest>(frame, [](const fb::RepairFetchRequest& t) {
        return RepairFetch{repair_scope(t.scope()), numbers(t.leaves()), numbers(t.key_hashes()),
                           t.bytes_max()};
      });
    case InternodeOp::kRepairPush:
      return read<Request, fb::RepairPushRequest>(frame, [](const fb::RepairPushRequest& t) {
        return RepairPush{t.table_id(), repair_items(t.items())};
      });
    case InternodeOp::kRepairDone:
      return read<Request, fb::RepairDoneRequest>(frame, [](const fb::RepairDoneRequest& t) {
        std::vector<std::string> replicas;
        if (t.replicas() != nullptr) {
          replicas.reserve(t.replicas()->size());
          for (const fb::RepairReplica* replica : *t.replicas()) {
            replicas.push_back(text(replica->node_id()));
          }
        }
        return RepairDone{t.session_id(),     t.table_id(),        t.range_start(),
                          t.range_end(),      t.started_wall_ms(), t.records_differing(),
                          std::move(replicas)};
      });
  }
  return Status::invalid_argument("not an internode opcode");
}

Result<Response> read_response(InternodeOp op, const Frame& frame) {
  switch (op) {
    case InternodeOp::kHandshake:
      return read<Response, fb::Handshake>(frame, [](const fb::Handshake& t) {
        return HandshakeReply{t.protocol_version(), t.cluster_id(), text(t.node_id())};
      });
    case InternodeOp::kReplicaWrite:
      return read<Response, fb::ReplicaWriteResponse>(
          frame, [](const fb::ReplicaWriteResponse& t) { return ReplicaWriteReply{t.changed()}; });
    case InternodeOp::kReplicaRead:
      return read<Response, fb::ReplicaReadResponse>(frame, [](const fb::ReplicaReadResponse& t) {
        return ReplicaReadReply{text(t.record())};
      });
    case InternodeOp::kRangeRead:
      return read<Response, fb::RangeReadResponse>(frame, [](const fb::RangeReadResponse& t) {
        RangeReadReply reply;
        if (t.items() != nullptr) {
          for (const fb::RangeItem* item : *t.items()) {
            reply.items.push_back({text(item->sort_key()), text(item->record())});
          }
        }
        reply.resume_after = optional_text(t.resume_after());
        return reply;
      });
    case InternodeOp::kForwardWrite:
      return read<Response, fb::ForwardWriteResponse>(frame, [](const fb::ForwardWriteResponse& t) {
        return ForwardWriteReply{text(t.record()), t.required(), t.acked(), t.duplicate()};
      });
    case InternodeOp::kRepairTree:
      return read<Response, fb::RepairTreeResponse>(frame, [](const fb::RepairTreeResponse& t) {
        return RepairTreeReply{numbers(t.hashes()), t.records()};
      });
    case InternodeOp::kRepairLeaves:
      return read<Response, fb::RepairLeavesResponse>(frame, [](const fb::RepairLeavesResponse& t) {
        RepairLeavesReply reply;
        if (t.entries() != nullptr) {
          reply.entries.reserve(t.entries()->size());
          for (const fb::RepairLeafEntry* entry : *t.entries()) {
            reply.entries.push_back({entry->key_hash(), entry->digest()});
          }
        }
        return reply;
      });
    case InternodeOp::kRepairFetch:
      return read<Response, fb::RepairFetchResponse>(frame, [](const fb::RepairFetchResponse& t) {
        return RepairFetchReply{repair_items(t.items()), t.truncated()};
      });
    case InternodeOp::kRepairPush:
      return read<Response, fb::RepairPushResponse>(
          frame, [](const fb::RepairPushResponse& t) { return RepairPushReply{t.changed()}; });
    case InternodeOp::kRepairDone:
      return read<Response, fb::RepairDoneResponse>(
          frame, [](const fb::RepairDoneResponse&) { return RepairDoneReply{}; });
  }
  return Status::invalid_argument("not an internode opcode");
}

}  // namespace

std::string_view internode_op_name(InternodeOp op) {
  switch (op) {
#define PAIRDB_INTERNODE_OPCODE_NAME(name, number) \
  case InternodeOp::k##name:                       \
    return #name;
    PAIRDB_INTERNODE_OPCODES(PAIRDB_INTERNODE_OPCODE_NAME)
#undef PAIRDB_INTERNODE_OPCODE_NAME
  }
  return "Unknown";
}

bool is_internode_op(uint16_t value) {
#define PAIRDB_INTERNODE_OPCODE_NUMBER(name, number) value == number ||
  return PAIRDB_INTERNODE_OPCODES(PAIRDB_INTERNODE_OPCODE_NUMBER) false;
#undef PAIRDB_INTERNODE_OPCODE_NUMBER
}

InternodeOp op_of(const Request& request) {
  static constexpr InternodeOp kOps[] = {InternodeOp::kHandshake,    InternodeOp::kReplicaWrite,
                                         InternodeOp::kReplicaRead,  InternodeOp::kRangeRead,
                                         InternodeOp::kForwardWrite, InternodeOp::kRepairTree,
                                         InternodeOp::kRepairLeaves, InternodeOp::kRepairFetch,
                                         InternodeOp::kRepairPush,   InternodeOp::kRepairDone};
  static_assert(std::size(kOps) == std::variant_size_v<Request>);
  return kOps[request.index()];
}

std::string encode_request(uint32_t stream_id, const Request& request) {
  FlatBufferBuilder fbb;
  std::visit([&](const auto& m) { build(fbb, m); }, request);
  return encode_request_frame(stream_id, to_frame_opcode(op_of(request)), fbb);
}

std::string encode_response(uint32_t stream_id, InternodeOp op, const Response& response) {
  FlatBufferBuilder fbb;
  std::visit([&](const auto& m) { build(fbb, m); }, response);
  FrameHeader header;
  header.flags = kFlagResponse;
  if (std::holds_alternative<InternodeError>(response)) header.flags |= kFlagError;
  header.opcode = to_frame_opcode(op);
  header.stream_id = stream_id;
  header.payload_length = fbb.GetSize();
  return encode_frame(header, std::span<const uint8_t>(fbb.GetBufferPointer(), fbb.GetSize()));
}

Result<Request> decode_request(const Frame& frame) {
  const auto op = static_cast<uint16_t>(frame.header.opcode);
  if (!is_internode_op(op)) {
    return Status::invalid_argument("opcode " + std::to_string(op) + " is not internode");
  }
  if (frame.header.is_response()) return Status::invalid_argument("a response, not a request");
  return read_request(static_cast<InternodeOp>(op), frame);
}

Result<Response> decode_response(const Frame& frame) {
  const auto op = static_cast<uint16_t>(frame.header.opcode);
  if (!is_internode_op(op)) {
    return Status::invalid_argument("opcode " + std::to_string(op) + " is not internode");
  }
  if (!frame.header.is_response()) return Status::invalid_argument("a request, not a response");
  if (frame.header.is_error()) {
    return read<Response, fb::InternodeError>(frame, [](const fb::InternodeError& t) {
      std::string message = text(t.message());
      if (message.size() > kErrorMessageBytesMax) message.resize(kErrorMessageBytesMax);
      return InternodeError{t.code(), std::move(message), t.required(), t.achieved()};
    });
  }
  return read_response(static_cast<InternodeOp>(op), frame);
}

}  // namespace pairdb::net::internode
