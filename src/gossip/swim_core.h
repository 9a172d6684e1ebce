// SwimCore: SWIM membership and failure detection for one node, as a sans-IO state machine.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <pairdb/gossip/member.h>

#include "common/instant.h"
#include "common/rng.h"
#include "gossip/messages.h"

namespace pairdb::gossip {

using namespace std::chrono_literals;

inline constexpr size_t kSeedsMax = 16;
inline constexpr Duration kTickResolution = 1ms;
inline constexpr size_t kIndirectProbesMax = 8;
inline constexpr size_t kGossipFanoutMax = 8;
inline constexpr size_t kRelaysMax = 64;  // Ping-reqs relayed at once for others.
inline constexpr size_t kSuspicionConfirmationsMax = 8;
inline constexpr size_t kLocalHealthMax = 8;
// A tick or message produces at most one probe round, a sync (reply), and bounded extras.
inline constexpr size_t kOutboxMessagesMax = kSyncChunksMax + kSeedsMax + kRelaysMax + 64;

struct SwimConfig {
  Duration probe_interval = 1s;    // One probe per period (scaled by local health).
  Duration probe_timeout = 500ms;  // Direct ack wait before asking k members (scaled too).
  uint32_t indirect_probes = 3;    // k <= kIndirectProbesMax.
  bool direct_retry = true;        // Ping the target again along with the ping-reqs.
  // Fresh updates are also pushed to gossip_fanout random members every gossip_interval
  // (piggybacking alone moves news only as fast as probes), until each has been sent
  // fanout_transmits times; its remaining retransmissions ride on probes and acks. A fan-out
  // that ran while anything at all was queued would never rest in a large cluster, where news
  // (suspicions under loss, load changes) arrives at a rate that grows with n. A node's own
  // news (refutations above all) fans out for all of its transmissions; load changes never.
  Duration gossip_interval = 200ms;
  uint32_t gossip_fanout = 3;
  uint32_t fanout_transmits = 6;
  uint32_t retransmit_mult = 6;  // Each update is piggybacked mult * ceil(log10(n + 1)) times.
  // Suspicion lasts between min = suspicion_mult * max(1, log10(n)) * probe_interval and
  // suspicion_max_mult * min, shortened as distinct members confirm (Lifeguard).
  double suspicion_mult = 1.0;
  double suspicion_max_mult = 3.0;
  uint32_t suspicion_confirmations = 3;  // K <= kSuspicionConfirmationsMax.
  // Push-pull period for clusters of <= 32 members, growing with log2(n / 32) beyond. Periodic
  // syncs exchange digests (SyncDigest), so a sync between agreeing views costs two datagrams.
  Duration sync_interval = 30s;
  uint32_t sync_dead_one_in = 4;     // Every Nth sync goes to a dead member (heals splits).
  Duration reconnect_interval = 5s;  // Pings one dead member (carrying its obituary).
  Duration dead_reap_after = 15min;  // Dead and left members are forgotten after this.
  Duration meta_retry = 2s;
  uint32_t meta_requests_per_tick_max = 16;
  Duration join_retry = 2s;        // Seed contact period while no other member is known alive.
  std::vector<std::string> seeds;  // Gossip addresses; size <= kSeedsMax.
};

// The node's own announced state at start.
struct SelfConfig {
  NodeMeta meta;  // meta.id is this node.
  std::string gossip_addr;
  NodeStatus status = NodeStatus::kJoining;
  uint64_t schema_version = 0;
  uint64_t load_bytes = 0;
  uint64_t incarnation = 0;  // Persisting it is optional: refutation recovers either way.
};

struct OutMessage {
  std::string to_addr;
  GossipMessage msg;
};

// What one call to the core asks its driver to do. Cleared by the caller between calls.
struct Outbox {
  std::vector<OutMessage> messages;
  std::vector<MemberEvent> events;
  Instant next_tick = Instant::max();  // Call tick() no later than this.
  void clear() {
    messages.clear();
    events.clear();
    next_tick = Instant::max();
  }
};

// One member as this node sees it.
struct Member {
  MemberUpdate state;
  std::optional<NodeMeta> meta;  // Absent until fetched from the member.
  Instant liveness_since;        // When state.liveness last changed.
  Instant suspicion_deadline;    // Valid while suspect.
  Instant suspected_at;
  std::array<NodeId, kSuspicionConfirmationsMax> accusers{};
  uint32_t accuser_count = 0;
  Instant meta_requested_at = Instant::from_us(INT64_MIN / 2);
  bool announced = false;  // kJoined emitted.
};

// Single-threaded: the owner (the UDP driver's strand, or the simulator) makes every call.
// Invariants: a member's incarnation never decreases; self is never in members_ and is never
// suspect or dead in its own view; every queued broadcast names self or a known member.
class SwimCore {
 public:
  // REQUIRES: config and self within the limits above; self.gossip_addr non-empty.
  SwimCore(const SwimConfig& config, const SelfConfig& self, uint64_t seed);

  // Contacts the seeds and schedules the first probe.
  void start(Instant now, Outbox& out);
  void on_message(const std::string& from_addr, const GossipMessage& msg, Instant now, Outbox& out);
  void tick(Instant now, Outbox& out);

  // Node-owned state changes; each raises the incarnation and is disseminated.
  void set_status(NodeStatus status);
  void set_schema_version(uint64_t version);
  void set_load(uint64_t load_bytes);  // Routine: piggybacked on probes only, no fan-out.
  void set_meta(NodeMeta meta);        // Bumps meta_version.
  void leave();                        // Announces a graceful leave (status and liveness kLeft).

  const NodeId& self_id() const { return self_.id; }
  const MemberUpdate& self_state() const { return self_; }
  const NodeMeta& self_meta() const { return self_meta_; }
  const std::unordered_map<NodeId, Member>& members() const { return members_; }
  const Member* find(const NodeId& id) const;
  uint32_t local_health() const { return local_health_; }
  size_t alive_count() const { return alive_count_; }  // Members (not self) alive or suspect.
  size_t queued_broadcasts() const { return broadcasts_.size(); }  // Updates still spreading.

 private:
  struct Probe {
    NodeId target;
    uint32_t seq = 0;
    Instant started;
    bool acked = false;
    bool indirect_sent = false;
    uint32_t indirect_count = 0;
    uint32_t nacks = 0;
  };
  struct Relay {
    uint32_t local_seq;
    uint32_t origin_seq;
    std::string requester_addr;
    Instant deadline;
  };
  struct Broadcast {
    NodeId id;
    uint32_t transmits;
    uint32_t fanout_until;  // Also pushed by the fan-out while transmits < fanout_until.
  };

  // Merging.
  // spread_join: whether a member new to this node is queued for dissemination.
  void apply_update(const MemberUpdate& u, Instant now, Outbox& out, bool spread_join = true);
  void apply_about_self(const MemberUpdate& u);
  void add_member(const MemberUpdate& u, Instant now, Outbox& out, bool spread_join);
  void change_member(Member& m, const MemberUpdate& u, Instant now, Outbox& out);
  void add_confirmation(Member& m, const NodeId& accuser, Instant now);
  void start_suspicion(Member& m, const NodeId& accuser, Instant now);
  void on_meta(const NodeMeta& meta, Outbox& out);

  // Message handlers.
  void handle_ping(const std::string& from, const Ping& p, Outbox& out);
  void handle_ack(const Ack& a, Outbox& out);
  void handle_ping_req(const std::string& from, const PingReq& p, Instant now, Outbox& out);
  void handle_sync(const std::string& from, const NodeId& sender, const SyncChunk& s, Instant now,
                   Outbox& out);
  void handle_digest(const std::string& from, const SyncDigest& d, Outbox& out);

  // Timers.
  void on_starved(Duration late);
  void run_probe(Instant now, Outbox& out);
  void start_probe(Instant now, Outbox& out);
  void send_indirect_probes(Outbox& out);
  void finish_probe(Instant now, Outbox& out);
  void expire_members(Instant now, Outbox& out);
  void expire_relays(Instant now, Outbox& out);
  void maybe_sync(Instant now, Outbox& out);
  void maybe_gossip(Instant now, Outbox& out);
  void maybe_reconnect(Instant now, Outbox& out);
  void request_metas(Instant now, Outbox& out);
  Instant next_deadline();             // Full scan; refreshes member_deadline_.
  Instant next_deadline_fast() const;  // O(relays): uses the cached member_deadline_.

  // Helpers.
  void send(const std::string& to, MessageBody body, Outbox& out,
            const NodeId* must_carry = nullptr);
  void send_digest(const std::string& to, bool is_request, size_t buckets, Outbox& out);
  // Self and every member, or only those in the marked digest buckets, as SyncChunks.
  void send_members(const std::string& to, bool is_request, const std::vector<bool>* only_buckets,
                    Outbox& out);
  std::vector<uint64_t> state_digest(size_t buckets) const;
  void enqueue_broadcast(const NodeId& id, bool fan_out = true);
  std::vector<MemberUpdate> take_piggyback(const NodeId* must_carry);
  static bool is_fresh(const Broadcast& b) { return b.transmits < b.fanout_until; }
  bool has_fresh_broadcast() const { return fresh_broadcasts_ > 0; }
  const MemberUpdate* update_for(const NodeId& id) const;
  void bump_self(bool fan_out = true);
  void emit(Outbox& out, MemberEventKind kind, const MemberUpdate& u);
  std::optional<NodeId> next_probe_target();
  std::vector<const Member*> random_members(size_t k, const NodeId* exclude, bool alive_only);
  size_t cluster_size() const { return alive_count() + 1; }
  Duration scaled(Duration d) const { return d * (local_health_ + 1); }
  Duration suspicion_timeout(uint32_t confirmations) const;
  Duration sync_period() const;
  uint32_t retransmit_limit() const;
  void raise_health() { local_health_ = std::min<uint32_t>(local_health_ + 1, kLocalHealthMax); }
  void lower_health() { local_health_ = local_health_ == 0 ? 0 : local_health_ - 1; }

  const SwimConfig config_;
  Rng rng_;
  MemberUpdate self_;
  NodeMeta self_meta_;
  std::unordered_map<NodeId, Member> members_;
  std::vector<Broadcast> broadcasts_;  // At most one per member plus self.
  size_t fresh_broadcasts_ = 0;        // Those with is_fresh(); the fan-out runs while > 0.
  std::vector<NodeId> probe_order_;
  size_t probe_index_ = 0;
  std::optional<Probe> probe_;
  Instant next_probe_at_;
  uint32_t next_seq_ = 1;
  std::vector<Relay> relays_;  // Size <= kRelaysMax.
  Instant next_sync_at_;
  Instant next_gossip_at_;
  Instant next_reconnect_at_;
  uint64_t syncs_ = 0;
  Instant next_join_at_;
  Instant next_contact_join_at_;  // When an isolated node may next join through a caller.
  Instant expected_tick_ = Instant::max();
  uint32_t local_health_ = 0;
  size_t alive_count_ = 0;                    // Members not dead or left.
  Instant member_deadline_ = Instant::max();  // Earliest suspicion/reap/metadata deadline.
};

}  // namespace pairdb::gossip
