// GossipEndpoint: one node's gossip as bytes in and bytes out, still sans-IO. It wraps a
// SwimCore with the decisions that sit between the wire and the protocol, so that the daemon's
// GossipDriver (UDP + TCP) and tests/sim run exactly the same code:
//   - decoding and verification (the real codec), with the datagram size bound;
//   - the channel check: a datagram never carries a MetaResponse, the stream nothing else;
//   - the cluster-id filter: a message stamped with another cluster's id is dropped, and every
//     message sent is stamped with ours;
//   - the pacing of local news: a schema change is announced at once; load at most every
//     max(10 s, 1 s per member) and only when it moved by at least 1 % (or from zero), so that
//     load news arrives cluster-wide at about one per second whatever the size.
//
// Single-threaded: the owner (the driver's strand, or the simulator) makes every call.
// Invariants: every WireMessage in an outbox decodes to a message stamped with cluster_id();
// a message the filters drop never reaches the core.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/instant.h"
#include "gossip/swim_core.h"

namespace pairdb::gossip {

inline constexpr Duration kLoadAnnouncePeriodMin = 10s;
inline constexpr Duration kLoadAnnouncePeriodPerMember = 1s;

// What became of bytes handed to on_bytes().
enum class Arrival : uint8_t {
  kAccepted,        // Decoded and given to the core.
  kMalformed,       // Too large for its channel, or not a valid message.
  kWrongChannel,    // A valid message on the channel it must not use.
  kForeignCluster,  // Stamped with another cluster's id.
};
const char* arrival_name(Arrival a);

// One encoded message for the transport.
struct WireMessage {
  std::string to_addr;
  Channel channel = Channel::kDatagram;
  std::string bytes;
  size_t body_type = 0;  // Index into MessageBody, for per-type accounting.
};

// What one call asks its driver to do. Cleared by the caller between calls.
struct WireOutbox {
  std::vector<WireMessage> messages;
  std::vector<MemberEvent> events;
  Instant next_tick = Instant::max();  // Call tick() no later than this.
  uint64_t encode_failures = 0;        // Messages the codec refused (counted, not sent).
  void clear();
};

// Whether a load change is news worth announcing: any change from zero, else >= 1 %.
bool load_moved(uint64_t announced, uint64_t now);

class GossipEndpoint {
 public:
  // REQUIRES: as SwimCore's constructor.
  GossipEndpoint(const SwimConfig& config, const SelfConfig& self, uint64_t seed,
                 uint64_t cluster_id);

  void start(Instant now, WireOutbox& out);
  Arrival on_bytes(const std::string& from_addr, std::string_view bytes, Channel arrived_on,
                   Instant now, WireOutbox& out);
  void tick(Instant now, WireOutbox& out);

  // Offers the node's current schema version and load (the driver polls them). Announces what
  // is news under the pacing above, sending it at once; returns whether anything was announced.
  bool offer_local_state(Instant now, uint64_t schema_version, uint64_t load_bytes,
                         WireOutbox& out);

  uint64_t cluster_id() const { return cluster_id_; }
  uint64_t load_announcements() const { return load_announcements_; }
  SwimCore& core() { return core_; }
  const SwimCore& core() const { return core_; }

 private:
  void encode(WireOutbox& out);

  SwimCore core_;
  const uint64_t cluster_id_;
  Outbox scratch_;  // The core's outbox, reused between calls.
  uint64_t announced_schema_;
  uint64_t announced_load_;
  Instant next_load_offer_;  // Load is not considered before this.
  uint64_t load_announcements_ = 0;
};

}  // namespace pairdb::gossip
