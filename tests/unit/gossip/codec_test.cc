#include <catch2/catch.hpp>

#include <string>

#include "common/rng.h"
#include "gossip/codec.h"
#include "gossip/schema/gossip_generated.h"

using namespace pairdb;
using namespace pairdb::gossip;

namespace {

MemberUpdate make_update(uint64_t n) {
  MemberUpdate u;
  u.id = NodeId::from_words(n, n * 7 + 1);
  u.incarnation = n * 3;
  u.liveness = Liveness::kSuspect;
  u.status = NodeStatus::kLeaving;
  u.schema_version = 42;
  u.load_bytes = 1ull << 40;
  u.meta_version = 5;
  u.gossip_addr = std::string(kAddressBytesMax, 'a');  // Longest allowed.
  u.accuser = NodeId::from_words(9, 9);
  return u;
}

std::vector<GossipMessage> samples() {
  const NodeId sender = NodeId::from_words(1, 2);
  std::vector<MemberUpdate> full(kPiggybackUpdatesMax);
  for (size_t i = 0; i < full.size(); ++i) full[i] = make_update(i + 1);
  NodeMeta meta;
  meta.id = sender;
  meta.meta_version = 3;
  meta.client_addr = "10.0.0.1:7100";
  meta.dc = "eu-west";
  meta.rack = "r2";
  meta.software_version = "0.1.0";
  for (uint64_t t = 0; t < kMetaTokensMax; ++t) meta.tokens.push_back(t * 0x9e3779b97f4a7c15ull);
  return {
      GossipMessage{sender, Ping{7, NodeId::from_words(3, 4)}, full},
      GossipMessage{sender, Ack{8}, {make_update(1)}},
      GossipMessage{sender,
                    PingReq{9, NodeId::from_words(5, 6), std::string(kAddressBytesMax, 'z')}, full},
      GossipMessage{sender, Nack{10}, {}},
      GossipMessage{sender,
                    SyncChunk{true, std::vector<MemberUpdate>(
                                        full.begin(), full.begin() + kSyncUpdatesPerChunkMax)},
                    {}},
      GossipMessage{sender, MetaRequest{4}, {}},
      GossipMessage{sender, MetaResponse{meta}, {}},
      GossipMessage{sender, GossipOnly{}, full},
      GossipMessage{
          sender, SyncDigest{true, std::vector<uint64_t>(kSyncDigestBucketsMax, ~uint64_t{0})}, {}},
      GossipMessage{sender, SyncDigest{false, {42}}, {}},
  };
}

}  // namespace

TEST_CASE("every gossip message round-trips and the largest fit their budget", "[codec]") {
  for (GossipMessage msg : samples()) {
    msg.cluster_id = ~uint64_t{0};  // The daemon stamps one on every message: count its bytes.
    Result<std::string> bytes = encode_message(msg);
    REQUIRE(bytes.is_ok());
    const size_t limit =
        channel_of(msg) == Channel::kStream ? kMetaMessageBytesMax : kDatagramBytesMax;
    REQUIRE(bytes->size() <= limit);
    Result<GossipMessage> back = decode_message(*bytes);
    REQUIRE(back.is_ok());
    REQUIRE(*back == msg);
    // Misaligned input decodes too (the codec copies it).
    std::string shifted = " " + *bytes;
    Result<GossipMessage> again = decode_message(std::string_view(shifted).substr(1));
    REQUIRE(again.is_ok());
    REQUIRE(*again == msg);
  }
}

TEST_CASE("encoding refuses messages over their limits", "[codec]") {
  GossipMessage msg{NodeId::from_words(1, 1), Ack{1}, {}};
  msg.updates.assign(kPiggybackUpdatesMax + 1, make_update(1));
  REQUIRE(encode_message(msg).status().is_invalid_argument());
  msg.updates = {make_update(1)};
  msg.updates[0].gossip_addr = std::string(kAddressBytesMax + 1, 'x');
  REQUIRE(encode_message(msg).status().is_invalid_argument());
  NodeMeta meta;
  meta.tokens.assign(kMetaTokensMax + 1, 1);
  REQUIRE(encode_message(GossipMessage{NodeId{}, MetaResponse{meta}, {}})
              .status()
              .is_invalid_argument());
  // A digest's bucket count is a power of two in [1, max], and it carries no piggyback.
  for (size_t buckets : {size_t{0}, size_t{3}, kSyncDigestBucketsMax * 2}) {
    GossipMessage digest{NodeId{}, SyncDigest{true, std::vector<uint64_t>(buckets, 1)}, {}};
    CAPTURE(buckets);
    REQUIRE(encode_message(digest).status().is_invalid_argument());
  }
  GossipMessage digest{NodeId{}, SyncDigest{true, {1, 2}}, {make_update(1)}};
  REQUIRE(encode_message(digest).status().is_invalid_argument());
}

TEST_CASE("a sync digest with a bad bucket count is corruption", "[codec]") {
  for (size_t buckets : {size_t{0}, size_t{3}, size_t{96}, kSyncDigestBucketsMax * 2}) {
    flatbuffers::FlatBufferBuilder builder;
    const auto hashes = builder.CreateVector(std::vector<uint64_t>(buckets, 7));
    const auto body = wire::CreateSyncDigest(builder, true, hashes);
    wire::Uuid sender(1, 2);
    builder.Finish(wire::CreateEnvelope(builder, &sender, wire::Body::SyncDigest, body.Union()));
    std::string_view bytes(reinterpret_cast<const char*>(builder.GetBufferPointer()),
                           builder.GetSize());
    CAPTURE(buckets);
    REQUIRE(decode_message(bytes).status().is_corruption());
  }
}

TEST_CASE("garbage, truncated and bit-flipped bytes decode to corruption or a valid message",
          "[codec]") {
  Rng rng(2026);
  for (int i = 0; i < 2000; ++i) {
    std::string garbage(rng.uniform(200), '\0');
    for (char& c : garbage) c = static_cast<char>(rng.next_u64());
    Result<GossipMessage> r = decode_message(garbage);
    if (!r.is_ok()) REQUIRE(r.status().is_corruption());
  }
  REQUIRE(decode_message("").status().is_corruption());
  for (const GossipMessage& msg : samples()) {
    const std::string bytes = *encode_message(msg);
    for (size_t len = 0; len < bytes.size(); len += 1 + bytes.size() / 64) {
      Result<GossipMessage> r = decode_message(std::string_view(bytes).substr(0, len));
      REQUIRE_FALSE(r.is_ok());
      REQUIRE(r.status().is_corruption());
    }
    for (int flip = 0; flip < 300; ++flip) {
      std::string damaged = bytes;
      damaged[rng.uniform(damaged.size())] ^= static_cast<char>(1u << rng.uniform(8));
      Result<GossipMessage> r = decode_message(damaged);  // Must not crash or trip a sanitizer.
      if (!r.is_ok()) REQUIRE(r.status().is_corruption());
    }
  }
}

TEST_CASE("an unknown liveness value is corruption", "[codec]") {
  GossipMessage msg{NodeId::from_words(1, 1), Ack{1}, {make_update(1)}};
  std::string bytes = *encode_message(msg);
  // Find the liveness byte (value 1, kSuspect) by trying each byte set to 9.
  bool rejected = false;
  for (size_t i = 0; i < bytes.size() && !rejected; ++i) {
    if (bytes[i] != 1) continue;
    std::string damaged = bytes;
    damaged[i] = 9;
    Result<GossipMessage> r = decode_message(damaged);
    if (!r.is_ok() && r.status().message().find("liveness") != std::string_view::npos) {
      rejected = true;
    }
  }
  REQUIRE(rejected);
}

// Found by tests/fuzz/gossip_codec_fuzz.cc: a union whose type is set but whose table is absent
// passes FlatBuffers verification and used to be dereferenced.
TEST_CASE("an envelope whose body type is set but whose body is missing is corruption", "[codec]") {
  for (auto type : {wire::Body::Ping, wire::Body::Ack, wire::Body::PingReq, wire::Body::Nack,
                    wire::Body::SyncChunk, wire::Body::MetaResponse, wire::Body::SyncDigest}) {
    flatbuffers::FlatBufferBuilder builder;
    wire::Uuid sender(1, 2);
    builder.Finish(wire::CreateEnvelope(builder, &sender, type, /*body=*/0));
    std::string_view bytes(reinterpret_cast<const char*>(builder.GetBufferPointer()),
                           builder.GetSize());
    auto decoded = decode_message(bytes);
    CAPTURE(static_cast<int>(type));
    REQUIRE(decoded.status().is_corruption());
  }
}
