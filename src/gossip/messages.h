// The gossip messages SwimCore consumes and produces, as C++ values. gossip/codec.h turns them
// into FlatBuffers bytes and back; the core never sees bytes.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include <pairdb/gossip/member.h>

namespace pairdb::gossip {

// Wire budget. A datagram carries one Envelope; piggybacked updates are bounded so that the
// largest possible envelope fits (checked statically here and again when encoding).
inline constexpr size_t kDatagramBytesMax = 1400;
inline constexpr size_t kPiggybackUpdatesMax = 6;  // Per ping/ack/ping-req/nack.
inline constexpr size_t kSyncUpdatesPerChunkMax = 6;
inline constexpr size_t kSyncChunksMax = 1024;  // Enough chunks for kRingNodesMax members.
// Worst-case encoded size of one MemberUpdate (two 16-byte ids, four u64, two u8, a maximal
// address with its length and terminator, a vtable and offsets, alignment slack).
inline constexpr size_t kUpdateWireBytesMax =
    2 * 16 + 4 * 8 + 2 + (4 + kAddressBytesMax + 1) + 24 + 4 + 16;
// Worst-case envelope without updates: root, vtables, a sender id, a PingReq with a maximal
// address, vector headers, the cluster id (8 bytes and a vtable slot), alignment.
inline constexpr size_t kEnvelopeOverheadBytesMax =
    64 + 16 + (4 + kAddressBytesMax + 1) + (8 + 2) + 48;
static_assert(kPiggybackUpdatesMax * kUpdateWireBytesMax + kEnvelopeOverheadBytesMax <=
              kDatagramBytesMax);
static_assert(kSyncUpdatesPerChunkMax * kUpdateWireBytesMax + kEnvelopeOverheadBytesMax <=
              kDatagramBytesMax);
static_assert(kSyncChunksMax * kSyncUpdatesPerChunkMax >= ring::kRingNodesMax);
// A sync digest carries one 8-byte hash per bucket and no piggybacked updates.
inline constexpr size_t kSyncDigestBucketsMax = 128;
static_assert(kSyncDigestBucketsMax * 8 + 8 + kEnvelopeOverheadBytesMax <= kDatagramBytesMax);
// The metadata reply goes over the stream channel: tokens plus six bounded strings.
inline constexpr size_t kMetaMessageBytesMax = kMetaTokensMax * 8 + 6 * (kNameBytesMax + 8) + 512;

struct Ping {
  uint32_t seq = 0;
  NodeId target;
  bool operator==(const Ping&) const = default;
};
struct Ack {
  uint32_t seq = 0;
  bool operator==(const Ack&) const = default;
};
struct PingReq {
  uint32_t seq = 0;
  NodeId target;
  std::string target_addr;
  bool operator==(const PingReq&) const = default;
};
struct Nack {
  uint32_t seq = 0;
  bool operator==(const Nack&) const = default;
};
struct SyncChunk {
  bool is_request = false;
  std::vector<MemberUpdate> updates;  // Size <= kSyncUpdatesPerChunkMax.
  bool operator==(const SyncChunk&) const = default;
};
// Digest push-pull: per-bucket hashes of the sender's member list (members bucketed by id, see
// gossip/state_digest.h). The receiver sends back, as SyncChunks, the members of every bucket
// whose hash differs from its own; a request also gets the receiver's digest back, so the
// requester does the same. Two datagrams when both views agree, whatever the cluster size.
struct SyncDigest {
  bool is_request = false;
  std::vector<uint64_t> buckets;  // Size a power of two in [1, kSyncDigestBucketsMax].
  bool operator==(const SyncDigest&) const = default;
};
struct GossipOnly {
  bool operator==(const GossipOnly&) const = default;
};
struct MetaRequest {
  uint64_t meta_version = 0;  // The version the requester wants (or newer).
  bool operator==(const MetaRequest&) const = default;
};
struct MetaResponse {
  NodeMeta meta;
  bool operator==(const MetaResponse&) const = default;
};

using MessageBody = std::variant<Ping, Ack, PingReq, Nack, SyncChunk, MetaRequest, MetaResponse,
                                 GossipOnly, SyncDigest>;

struct GossipMessage {
  NodeId sender;
  MessageBody body;
  std::vector<MemberUpdate> updates;  // Piggybacked; size <= kPiggybackUpdatesMax.
  // The sender's cluster (a hash of its name). The core neither sets nor reads it:
  // GossipEndpoint stamps it on every message sent and drops foreign ones on receipt.
  uint64_t cluster_id = 0;
  bool operator==(const GossipMessage&) const = default;
};

// Which transport a message needs: datagrams are unreliable and bounded by kDatagramBytesMax;
// the stream channel (TCP in the daemon) carries MetaResponse up to kMetaMessageBytesMax.
enum class Channel : uint8_t { kDatagram, kStream };

inline Channel channel_of(const GossipMessage& m) {
  return std::holds_alternative<MetaResponse>(m.body) ? Channel::kStream : Channel::kDatagram;
}

}  // namespace pairdb::gossip
