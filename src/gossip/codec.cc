#include "gossip/codec.h"

#include <cstring>
#include <vector>

#include <fmt/format.h>

#include "common/assert.h"
#include "gossip/schema/gossip_generated.h"
#include "gossip/state_digest.h"

namespace pairdb::gossip {

using flatbuffers::FlatBufferBuilder;
using flatbuffers::Offset;

namespace {

constexpr size_t kVerifierDepthMax = 16;
constexpr size_t kVerifierTablesMax = 4096;

wire::Uuid to_wire(const NodeId& id) { return wire::Uuid(id.high_word(), id.low_word()); }

NodeId from_wire(const wire::Uuid* id) {
  return id == nullptr ? NodeId{} : NodeId::from_words(id->high(), id->low());
}

Status check_length(std::string_view what, size_t size, size_t max) {
  if (size <= max) return Status::ok();
  return Status::invalid_argument(fmt::format("gossip: {} has {} bytes > {}", what, size, max));
}

Status check_update(const MemberUpdate& u) {
  return check_length("gossip address", u.gossip_addr.size(), kAddressBytesMax);
}

Status check_meta(const NodeMeta& m) {
  PAIRDB_TRY(check_length("client address", m.client_addr.size(), kAddressBytesMax));
  PAIRDB_TRY(check_length("internode address", m.internode_addr.size(), kAddressBytesMax));
  PAIRDB_TRY(check_length("http address", m.http_addr.size(), kAddressBytesMax));
  PAIRDB_TRY(check_length("dc", m.dc.size(), kNameBytesMax));
  PAIRDB_TRY(check_length("rack", m.rack.size(), kNameBytesMax));
  PAIRDB_TRY(check_length("software version", m.software_version.size(), kNameBytesMax));
  if (m.tokens.size() > kMetaTokensMax) {
    return Status::invalid_argument(
        fmt::format("gossip: {} tokens > {}", m.tokens.size(), kMetaTokensMax));
  }
  return Status::ok();
}

Offset<wire::MemberUpdate> build_update(FlatBufferBuilder& fbb, const MemberUpdate& u) {
  const auto addr = fbb.CreateString(u.gossip_addr);
  const wire::Uuid id = to_wire(u.id);
  const wire::Uuid accuser = to_wire(u.accuser);
  return wire::CreateMemberUpdate(fbb, &id, u.incarnation, static_cast<wire::Liveness>(u.liveness),
                                  static_cast<wire::NodeStatus>(u.status), u.schema_version,
                                  u.load_bytes, u.meta_version, addr, &accuser);
}

Offset<flatbuffers::Vector<Offset<wire::MemberUpdate>>> build_updates(
    FlatBufferBuilder& fbb, const std::vector<MemberUpdate>& updates) {
  std::vector<Offset<wire::MemberUpdate>> offsets;
  offsets.reserve(updates.size());
  for (const MemberUpdate& u : updates) offsets.push_back(build_update(fbb, u));
  return fbb.CreateVector(offsets);
}

Offset<wire::MetaResponse> build_meta(FlatBufferBuilder& fbb, const NodeMeta& m) {
  const auto client = fbb.CreateString(m.client_addr);
  const auto internode = fbb.CreateString(m.internode_addr);
  const auto http = fbb.CreateString(m.http_addr);
  const auto dc = fbb.CreateString(m.dc);
  const auto rack = fbb.CreateString(m.rack);
  const auto software = fbb.CreateString(m.software_version);
  const auto tokens = fbb.CreateVector(m.tokens);
  const wire::Uuid id = to_wire(m.id);
  return wire::CreateMetaResponse(fbb, &id, m.meta_version, client, internode, http, dc, rack,
                                  software, tokens);
}

// Builds the body union member; returns its type and offset.
std::pair<wire::Body, Offset<void>> build_body(FlatBufferBuilder& fbb, const MessageBody& body) {
  struct Visitor {
    FlatBufferBuilder& fbb;
    std::pair<wire::Body, Offset<void>> operator()(const Ping& p) {
      const wire::Uuid target = to_wire(p.target);
      return {wire::Body::Ping, wire::CreatePing(fbb, p.seq, &target).Union()};
    }
    std::pair<wire::Body, Offset<void>> operator()(const Ack& a) {
      return {wire::Body::Ack, wire::CreateAck(fbb, a.seq).Union()};
    }
    std::pair<wire::Body, Offset<void>> operator()(const PingReq& p) {
      const auto addr = fbb.CreateString(p.target_addr);
      const wire::Uuid target = to_wire(p.target);
      return {wire::Body::PingReq, wire::CreatePingReq(fbb, p.seq, &target, addr).Union()};
    }
    std::pair<wire::Body, Offset<void>> operator()(const Nack& n) {
      return {wire::Body::Nack, wire::CreateNack(fbb, n.seq).Union()};
    }
    std::pair<wire::Body, Offset<void>> operator()(const SyncChunk& s) {
      const auto updates = build_updates(fbb, s.updates);
      return {wire::Body::SyncChunk, wire::CreateSyncChunk(fbb, s.is_request, updates).Union()};
    }
    std::pair<wire::Body, Offset<void>> operator()(const MetaRequest& r) {
      return {wire::Body::MetaRequest, wire::CreateMetaRequest(fbb, r.meta_version).Union()};
    }
    std::pair<wire::Body, Offset<void>> operator()(const GossipOnly&) {
      return {wire::Body::Gossip, wire::CreateGossip(fbb).Union()};
    }
    std::pair<wire::Body, Offset<void>> operator()(const SyncDigest& d) {
      const auto buckets = fbb.CreateVector(d.buckets);
      return {wire::Body::SyncDigest, wire::CreateSyncDigest(fbb, d.is_request, buckets).Union()};
    }
    std::pair<wire::Body, Offset<void>> operator()(const MetaResponse& r) {
      return {wire::Body::MetaResponse, build_meta(fbb, r.meta).Union()};
    }
  };
  return std::visit(Visitor{fbb}, body);
}

Status check_message(const GossipMessage& msg) {
  if (msg.updates.size() > kPiggybackUpdatesMax) {
    return Status::invalid_argument(fmt::format("gossip: {} piggybacked updates > {}",
                                                msg.updates.size(), kPiggybackUpdatesMax));
  }
  for (const MemberUpdate& u : msg.updates) PAIRDB_TRY(check_update(u));
  if (const auto* s = std::get_if<SyncChunk>(&msg.body)) {
    if (s->updates.size() > kSyncUpdatesPerChunkMax) {
      return Status::invalid_argument("gossip: sync chunk holds too many updates");
    }
    for (const MemberUpdate& u : s->updates) PAIRDB_TRY(check_update(u));
  }
  if (const auto* d = std::get_if<SyncDigest>(&msg.body)) {
    if (!is_valid_bucket_count(d->buckets.size())) {
      return Status::invalid_argument(
          fmt::format("gossip: sync digest of {} buckets", d->buckets.size()));
    }
    if (!msg.updates.empty()) {
      return Status::invalid_argument("gossip: a sync digest carries no piggybacked updates");
    }
  }
  if (const auto* p = std::get_if<PingReq>(&msg.body)) {
    PAIRDB_TRY(check_length("ping-req target address", p->target_addr.size(), kAddressBytesMax));
  }
  if (const auto* r = std::get_if<MetaResponse>(&msg.body)) PAIRDB_TRY(check_meta(r->meta));
  return Status::ok();
}

}  // namespace

Result<std::string> encode_message(const GossipMessage& msg) {
  PAIRDB_TRY(check_message(msg));
  FlatBufferBuilder fbb(512);
  const auto [body_type, body] = build_body(fbb, msg.body);
  const auto updates = build_updates(fbb, msg.updates);
  const wire::Uuid sender = to_wire(msg.sender);
  fbb.Finish(wire::CreateEnvelope(fbb, &sender, body_type, body, updates, msg.cluster_id));
  const size_t limit =
      channel_of(msg) == Channel::kStream ? kMetaMessageBytesMax : kDatagramBytesMax;
  PAIRDB_TRY(check_length("gossip message", fbb.GetSize(), limit));
  return std::string(reinterpret_cast<const char*>(fbb.GetBufferPointer()), fbb.GetSize());
}

namespace {

Status corrupt(std::string_view what) {
  return Status::corruption(fmt::format("gossip message: {}", what));
}

// Copies a bounded flatbuffers string; corruption when over the limit.
Result<std::string> read_string(const flatbuffers::String* s, size_t max, std::string_view what) {
  if (s == nullptr) return std::string();
  if (s->size() > max) return corrupt(fmt::format("{} longer than {} bytes", what, max));
  return std::string(s->data(), s->size());
}

Result<MemberUpdate> read_update(const wire::MemberUpdate* w) {
  if (w == nullptr || w->id() == nullptr) return corrupt("member update without an id");
  if (static_cast<uint8_t>(w->liveness()) > static_cast<uint8_t>(Liveness::kLeft)) {
    return corrupt("unknown liveness");
  }
  if (static_cast<uint8_t>(w->status()) > static_cast<uint8_t>(NodeStatus::kLeft)) {
    return corrupt("unknown node status");
  }
  MemberUpdate u;
  u.id = from_wire(w->id());
  u.incarnation = w->incarnation();
  u.liveness = static_cast<Liveness>(w->liveness());
  u.status = static_cast<NodeStatus>(w->status());
  u.schema_version = w->schema_version();
  u.load_bytes = w->load_bytes();
  u.meta_version = w->meta_version();
  PAIRDB_ASSIGN_OR_RETURN(u.gossip_addr,
                          read_string(w->gossip_addr(), kAddressBytesMax, "gossip address"));
  u.accuser = from_wire(w->accuser());
  return u;
}

Result<std::vector<MemberUpdate>> read_updates(
    const flatbuffers::Vector<Offset<wire::MemberUpdate>>* v, size_t max) {
  std::vector<MemberUpdate> out;
  if (v == nullptr) return out;
  if (v->size() > max) return corrupt(fmt::format("{} updates > {}", v->size(), max));
  out.reserve(v->size());
  for (const wire::MemberUpdate* w : *v) {
    PAIRDB_ASSIGN_OR_RETURN(MemberUpdate u, read_update(w));
    out.push_back(std::move(u));
  }
  return out;
}

Result<NodeMeta> read_meta(const wire::MetaResponse* w) {
  if (w->id() == nullptr) return corrupt("metadata without an id");
  NodeMeta m;
  m.id = from_wire(w->id());
  m.meta_version = w->meta_version();
  PAIRDB_ASSIGN_OR_RETURN(m.client_addr,
                          read_string(w->client_addr(), kAddressBytesMax, "client address"));
  PAIRDB_ASSIGN_OR_RETURN(m.internode_addr,
                          read_string(w->internode_addr(), kAddressBytesMax, "internode address"));
  PAIRDB_ASSIGN_OR_RETURN(m.http_addr, read_string(w->http_addr(), kAddressBytesMax, "http"));
  PAIRDB_ASSIGN_OR_RETURN(m.dc, read_string(w->dc(), kNameBytesMax, "dc"));
  PAIRDB_ASSIGN_OR_RETURN(m.rack, read_string(w->rack(), kNameBytesMax, "rack"));
  PAIRDB_ASSIGN_OR_RETURN(m.software_version,
                          read_string(w->software_version(), kNameBytesMax, "software version"));
  if (w->tokens() != nullptr) {
    if (w->tokens()->size() > kMetaTokensMax) return corrupt("too many tokens");
    m.tokens.assign(w->tokens()->begin(), w->tokens()->end());
  }
  return m;
}

Result<MessageBody> read_body(const wire::Envelope* env) {
  // The verifier accepts a union whose type is set but whose table is absent; every case
  // below dereferences the table, so an absent one is rejected here.
  if (env->body_type() != wire::Body::NONE && env->body() == nullptr) {
    return corrupt("message body is missing");
  }
  switch (env->body_type()) {
    case wire::Body::Ping: {
      const wire::Ping* p = env->body_as_Ping();
      if (p->target() == nullptr) return corrupt("ping without a target");
      return MessageBody(Ping{p->seq(), from_wire(p->target())});
    }
    case wire::Body::Ack:
      return MessageBody(Ack{env->body_as_Ack()->seq()});
    case wire::Body::PingReq: {
      const wire::PingReq* p = env->body_as_PingReq();
      if (p->target() == nullptr) return corrupt("ping-req without a target");
      PAIRDB_ASSIGN_OR_RETURN(std::string addr,
                              read_string(p->target_addr(), kAddressBytesMax, "target address"));
      return MessageBody(PingReq{p->seq(), from_wire(p->target()), std::move(addr)});
    }
    case wire::Body::Nack:
      return MessageBody(Nack{env->body_as_Nack()->seq()});
    case wire::Body::SyncChunk: {
      const wire::SyncChunk* s = env->body_as_SyncChunk();
      PAIRDB_ASSIGN_OR_RETURN(auto updates, read_updates(s->updates(), kSyncUpdatesPerChunkMax));
      return MessageBody(SyncChunk{s->is_request(), std::move(updates)});
    }
    case wire::Body::MetaRequest:
      return MessageBody(MetaRequest{env->body_as_MetaRequest()->meta_version()});
    case wire::Body::MetaResponse: {
      PAIRDB_ASSIGN_OR_RETURN(NodeMeta meta, read_meta(env->body_as_MetaResponse()));
      return MessageBody(MetaResponse{std::move(meta)});
    }
    case wire::Body::Gossip:
      return MessageBody(GossipOnly{});
    case wire::Body::SyncDigest: {
      const wire::SyncDigest* d = env->body_as_SyncDigest();
      const size_t n = d->buckets() == nullptr ? 0 : d->buckets()->size();
      if (!is_valid_bucket_count(n)) return corrupt(fmt::format("sync digest of {} buckets", n));
      return MessageBody(SyncDigest{d->is_request(), {d->buckets()->begin(), d->buckets()->end()}});
    }
    default:
      return corrupt("unknown or missing body type");
  }
}

}  // namespace

Result<GossipMessage> decode_message(std::string_view bytes) {
  if (bytes.size() > kMetaMessageBytesMax) return corrupt("larger than any gossip message");
  // FlatBuffers reads scalars in place: give it an 8-byte aligned copy when needed.
  std::vector<uint64_t> aligned;
  const uint8_t* data = reinterpret_cast<const uint8_t*>(bytes.data());
  if (reinterpret_cast<uintptr_t>(data) % alignof(uint64_t) != 0) {
    aligned.resize((bytes.size() + 7) / 8);
    std::memcpy(aligned.data(), bytes.data(), bytes.size());
    data = reinterpret_cast<const uint8_t*>(aligned.data());
  }
  flatbuffers::Verifier verifier(data, bytes.size(), kVerifierDepthMax, kVerifierTablesMax);
  if (!wire::VerifyEnvelopeBuffer(verifier)) return corrupt("failed verification");
  const wire::Envelope* env = wire::GetEnvelope(data);
  if (env->sender() == nullptr) return corrupt("no sender");
  GossipMessage msg;
  msg.sender = from_wire(env->sender());
  msg.cluster_id = env->cluster_id();
  PAIRDB_ASSIGN_OR_RETURN(msg.body, read_body(env));
  PAIRDB_ASSIGN_OR_RETURN(msg.updates, read_updates(env->updates(), kPiggybackUpdatesMax));
  return msg;
}

}  // namespace pairdb::gossip
