#include "gossip/swim_core.h"

#include <algorithm>
#include <cmath>

#include "common/assert.h"
#include "gossip/state_digest.h"

namespace pairdb::gossip {

namespace {

// A member seen coming back from the dead is sent a sync request by this many of the nodes that
// see it, on average (each with probability kReviveSyncPeers / n): enough that whatever it
// missed flows both ways, without n nodes syncing with it at once after a partition heals.
constexpr size_t kReviveSyncPeers = 3;

// Whether `incoming` carries newer knowledge than `known` (SWIM precedence): a higher
// incarnation wins; at equal incarnation alive < suspect < dead < left.
bool supersedes(const MemberUpdate& incoming, const MemberUpdate& known) {
  if (incoming.incarnation != known.incarnation) return incoming.incarnation > known.incarnation;
  return static_cast<uint8_t>(incoming.liveness) > static_cast<uint8_t>(known.liveness);
}

bool is_down(Liveness l) { return l == Liveness::kDead || l == Liveness::kLeft; }

}  // namespace

SwimCore::SwimCore(const SwimConfig& config, const SelfConfig& self, uint64_t seed)
    : config_(config), rng_(seed), self_meta_(self.meta) {
  PAIRDB_ASSERT(!self.meta.id.is_nil());
  PAIRDB_ASSERT(!self.gossip_addr.empty());
  PAIRDB_ASSERT(self.gossip_addr.size() <= kAddressBytesMax);
  PAIRDB_ASSERT(config.seeds.size() <= kSeedsMax);
  PAIRDB_ASSERT(config.indirect_probes <= kIndirectProbesMax);
  PAIRDB_ASSERT(config.suspicion_confirmations <= kSuspicionConfirmationsMax);
  PAIRDB_ASSERT(config.probe_timeout < config.probe_interval);
  PAIRDB_ASSERT(config.gossip_fanout <= kGossipFanoutMax);
  self_.id = self.meta.id;
  self_.incarnation = self.incarnation;
  self_.liveness = Liveness::kAlive;
  self_.status = self.status;
  self_.schema_version = self.schema_version;
  self_.load_bytes = self.load_bytes;
  self_.meta_version = self.meta.meta_version;
  self_.gossip_addr = self.gossip_addr;
}

void SwimCore::start(Instant now, Outbox& out) {
  next_probe_at_ = now + Duration(static_cast<int64_t>(
                             rng_.uniform(static_cast<uint64_t>(config_.probe_interval.count()))));
  next_sync_at_ = now + sync_period();
  next_join_at_ = now;
  expected_tick_ = now;
  enqueue_broadcast(self_.id);
  tick(now, out);
}

const Member* SwimCore::find(const NodeId& id) const {
  auto it = members_.find(id);
  return it == members_.end() ? nullptr : &it->second;
}

// ---------------------------------------------------------------------------------------------
// Node-owned state.

void SwimCore::bump_self(bool fan_out) {
  ++self_.incarnation;
  enqueue_broadcast(self_.id, fan_out);
}

void SwimCore::set_status(NodeStatus status) {
  self_.status = status;
  bump_self();
}

void SwimCore::set_schema_version(uint64_t version) {
  self_.schema_version = version;
  bump_self();
}

void SwimCore::set_load(uint64_t load_bytes) {
  self_.load_bytes = load_bytes;
  bump_self(/*fan_out=*/false);
}

void SwimCore::set_meta(NodeMeta meta) {
  PAIRDB_ASSERT(meta.id == self_.id);
  meta.meta_version = self_meta_.meta_version + 1;
  self_meta_ = std::move(meta);
  self_.meta_version = self_meta_.meta_version;
  bump_self();
}

void SwimCore::leave() {
  self_.status = NodeStatus::kLeft;
  self_.liveness = Liveness::kLeft;
  bump_self();
}

// ---------------------------------------------------------------------------------------------
// Merging updates.

void SwimCore::apply_update(const MemberUpdate& u, Instant now, Outbox& out, bool spread_join) {
  if (u.id.is_nil()) return;
  if (u.id == self_.id) {
    apply_about_self(u);
    return;
  }
  auto it = members_.find(u.id);
  if (it == members_.end()) {
    if (is_down(u.liveness)) return;  // Never learn a member from its obituary.
    if (members_.size() >= ring::kRingNodesMax) return;
    add_member(u, now, out, spread_join);
    return;
  }
  Member& m = it->second;
  if (supersedes(u, m.state)) {
    change_member(m, u, now, out);
  } else if (u.liveness == Liveness::kSuspect && m.state.liveness == Liveness::kSuspect &&
             u.incarnation == m.state.incarnation) {
    add_confirmation(m, u.accuser, now);
  }
}

// Someone's view of this node: refute suspicion or death, and never fall behind an incarnation
// seen in the cluster (a restarted node starts low and must overtake its old self).
void SwimCore::apply_about_self(const MemberUpdate& u) {
  if (self_.liveness == Liveness::kLeft) return;
  const bool accused = u.liveness != Liveness::kAlive && u.incarnation >= self_.incarnation;
  const bool overtaken = u.incarnation > self_.incarnation;
  if (!accused && !overtaken) return;
  if (accused) raise_health();  // Lifeguard: being suspected hints that we are slow.
  self_.incarnation = std::max(self_.incarnation, u.incarnation);
  bump_self();
  PAIRDB_ASSERT(self_.liveness == Liveness::kAlive);
}

void SwimCore::add_member(const MemberUpdate& u, Instant now, Outbox& out, bool spread_join) {
  Member m;
  m.state = u;
  m.liveness_since = now;
  if (u.liveness == Liveness::kSuspect) start_suspicion(m, u.accuser, now);
  members_.emplace(u.id, std::move(m));
  ++alive_count_;
  member_deadline_ = std::min(member_deadline_, now);  // Its metadata is wanted.
  // Randomized round-robin: a new member goes to a random place in the probe order.
  const size_t pos = probe_index_ + rng_.uniform(probe_order_.size() - probe_index_ + 1);
  probe_order_.insert(probe_order_.begin() + static_cast<std::ptrdiff_t>(pos), u.id);
  if (spread_join) enqueue_broadcast(u.id);
}

void SwimCore::change_member(Member& m, const MemberUpdate& u, Instant now, Outbox& out) {
  PAIRDB_ASSERT(u.incarnation >= m.state.incarnation);
  const MemberUpdate old = m.state;
  m.state = u;
  if (u.liveness != Liveness::kSuspect) m.state.accuser = NodeId{};
  if (u.liveness != old.liveness) m.liveness_since = now;
  if (is_down(old.liveness) != is_down(u.liveness)) {
    alive_count_ = is_down(u.liveness) ? alive_count_ - 1 : alive_count_ + 1;
  }
  if (is_down(u.liveness))
    member_deadline_ = std::min(member_deadline_, now + config_.dead_reap_after);
  if (u.meta_version > old.meta_version) member_deadline_ = std::min(member_deadline_, now);
  // A live member's new load figure (or bare incarnation raise) is routine news: it rides on
  // probes and acks but not the fan-out, whose cost grows with the cluster-wide rate of news.
  const bool routine = old.liveness == Liveness::kAlive && u.liveness == Liveness::kAlive &&
                       old.status == u.status && old.schema_version == u.schema_version &&
                       old.meta_version == u.meta_version;
  enqueue_broadcast(u.id, /*fan_out=*/!routine);
  switch (u.liveness) {
    case Liveness::kAlive:
      if (old.liveness != Liveness::kAlive && m.announced) emit(out, MemberEventKind::kAlive, u);
      // Back from the dead: a few of the nodes that see it sync with it.
      if (is_down(old.liveness) && rng_.uniform(cluster_size()) < kReviveSyncPeers) {
        send_digest(u.gossip_addr, /*is_request=*/true, digest_bucket_count(cluster_size()), out);
      }
      break;
    case Liveness::kSuspect:
      start_suspicion(m, u.accuser, now);
      if (old.liveness != Liveness::kSuspect) emit(out, MemberEventKind::kSuspect, u);
      break;
    case Liveness::kDead:
      if (old.liveness != Liveness::kDead) emit(out, MemberEventKind::kDead, u);
      break;
    case Liveness::kLeft:
      if (old.liveness != Liveness::kLeft) emit(out, MemberEventKind::kLeft, u);
      break;
  }
  const bool changed = old.status != u.status || old.schema_version != u.schema_version;
  if (changed && m.announced && !is_down(u.liveness)) {
    emit(out, MemberEventKind::kMetadataChanged, u);
  }
}

void SwimCore::start_suspicion(Member& m, const NodeId& accuser, Instant now) {
  m.suspected_at = now;
  m.accuser_count = 0;
  m.accusers[m.accuser_count++] = accuser;
  m.suspicion_deadline = now + suspicion_timeout(0);
  member_deadline_ = std::min(member_deadline_, m.suspicion_deadline);
}

// Lifeguard: each distinct member that independently suspects shortens the timeout towards
// the minimum; the deadline stays anchored at the time this node first suspected.
void SwimCore::add_confirmation(Member& m, const NodeId& accuser, Instant now) {
  if (accuser.is_nil() || m.accuser_count >= config_.suspicion_confirmations + 1) return;
  const auto first = m.accusers.begin();
  if (std::find(first, first + m.accuser_count, accuser) != first + m.accuser_count) return;
  PAIRDB_ASSERT(m.accuser_count < m.accusers.size());
  m.accusers[m.accuser_count++] = accuser;
  m.suspicion_deadline = m.suspected_at + suspicion_timeout(m.accuser_count - 1);
  member_deadline_ = std::min(member_deadline_, m.suspicion_deadline);
  m.state.accuser = accuser;  // Re-gossip the new confirmation.
  enqueue_broadcast(m.state.id);
}

void SwimCore::on_meta(const NodeMeta& meta, Outbox& out) {
  auto it = members_.find(meta.id);
  if (it == members_.end()) return;
  Member& m = it->second;
  if (m.meta && m.meta->meta_version >= meta.meta_version) return;
  const bool first = !m.meta.has_value();
  m.meta = meta;
  if (is_down(m.state.liveness)) return;
  if (!m.announced) {
    m.announced = true;
    emit(out, MemberEventKind::kJoined, m.state);
  } else if (!first) {
    emit(out, MemberEventKind::kMetadataChanged, m.state);
  }
}

void SwimCore::emit(Outbox& out, MemberEventKind kind, const MemberUpdate& u) {
  out.events.push_back(MemberEvent{kind, u.id, u.incarnation});
}

// ---------------------------------------------------------------------------------------------
// Messages.

void SwimCore::on_message(const std::string& from_addr, const GossipMessage& msg, Instant now,
                          Outbox& out) {
  PAIRDB_ASSERT(msg.updates.size() <= kPiggybackUpdatesMax);
  if (self_.liveness == Liveness::kLeft) return;
  for (const MemberUpdate& u : msg.updates) apply_update(u, now, out);
  std::visit(
      [&](const auto& body) {
        using T = std::decay_t<decltype(body)>;
        if constexpr (std::is_same_v<T, Ping>) {
          handle_ping(from_addr, body, out);
        } else if constexpr (std::is_same_v<T, Ack>) {
          handle_ack(body, out);
        } else if constexpr (std::is_same_v<T, PingReq>) {
          handle_ping_req(from_addr, body, now, out);
        } else if constexpr (std::is_same_v<T, Nack>) {
          if (probe_ && probe_->seq == body.seq) ++probe_->nacks;
        } else if constexpr (std::is_same_v<T, SyncChunk>) {
          handle_sync(from_addr, msg.sender, body, now, out);
        } else if constexpr (std::is_same_v<T, SyncDigest>) {
          handle_digest(from_addr, body, out);
        } else if constexpr (std::is_same_v<T, MetaRequest>) {
          send(from_addr, MetaResponse{self_meta_}, out);
        } else if constexpr (std::is_same_v<T, MetaResponse>) {
          on_meta(body.meta, out);
        }  // GossipOnly: its piggybacked updates were all it carried.
      },
      msg.body);
  // A node that knows nobody alive joins through whoever contacts it, as through a seed. A node
  // restarted without seeds (the cluster's first node, say) is pinged by peers that still list it,
  // but their pings carry no member list, and their periodic syncs may not pick it for a while.
  // Only on the datagram exchanges (probes and gossip), whose sender address is its gossip
  // address: a sync (chunk or digest) is itself that exchange, its reply went out above, and the
  // metadata exchange comes over TCP from a passing port.
  const bool probe_or_gossip =
      std::holds_alternative<Ping>(msg.body) || std::holds_alternative<PingReq>(msg.body) ||
      std::holds_alternative<Ack>(msg.body) || std::holds_alternative<Nack>(msg.body) ||
      std::holds_alternative<GossipOnly>(msg.body);
  if (alive_count() == 0 && probe_or_gossip && from_addr != self_.gossip_addr &&
      now >= next_contact_join_at_) {
    next_contact_join_at_ = now + config_.join_retry;
    send_members(from_addr, /*is_request=*/true, nullptr, out);
  }
  out.next_tick = std::min(out.next_tick, next_deadline_fast());
  PAIRDB_ASSERT(out.messages.size() <= kOutboxMessagesMax);
}

void SwimCore::handle_ping(const std::string& from, const Ping& p, Outbox& out) {
  // A nil target is a first contact by address (a seed ping); any other target must be us.
  if (!p.target.is_nil() && p.target != self_.id) return;
  send(from, Ack{p.seq}, out);
}

void SwimCore::handle_ack(const Ack& a, Outbox& out) {
  if (probe_ && probe_->seq == a.seq && !probe_->acked) {
    probe_->acked = true;
    lower_health();
    return;
  }
  auto it = std::find_if(relays_.begin(), relays_.end(),
                         [&](const Relay& r) { return r.local_seq == a.seq; });
  if (it == relays_.end()) return;
  send(it->requester_addr, Ack{it->origin_seq}, out);
  relays_.erase(it);
}

void SwimCore::handle_ping_req(const std::string& from, const PingReq& p, Instant now,
                               Outbox& out) {
  if (relays_.size() >= kRelaysMax || p.target == self_.id || p.target_addr.empty()) return;
  const uint32_t seq = next_seq_++;
  relays_.push_back(Relay{seq, p.seq, from, now + config_.probe_timeout});
  const NodeId target = p.target;
  send(p.target_addr, Ping{seq, target}, out, &target);
}

// A member first heard of in a sync is not news to spread: the peer knew it, so this node is
// the one behind (a joiner receiving a seed's whole view would otherwise re-gossip the entire
// cluster). The exception is the peer itself, which may be joining: a seed spreads its arrival.
void SwimCore::handle_sync(const std::string& from, const NodeId& sender, const SyncChunk& s,
                           Instant now, Outbox& out) {
  PAIRDB_ASSERT(s.updates.size() <= kSyncUpdatesPerChunkMax);
  for (const MemberUpdate& u : s.updates) apply_update(u, now, out, /*spread_join=*/u.id == sender);
  // Reply once per request: the requester marks its first chunk as the request.
  if (s.is_request) send_members(from, /*is_request=*/false, nullptr, out);
}

void SwimCore::handle_digest(const std::string& from, const SyncDigest& d, Outbox& out) {
  if (!is_valid_bucket_count(d.buckets.size())) return;
  const std::vector<uint64_t> mine = state_digest(d.buckets.size());
  std::vector<bool> differ(mine.size());
  for (size_t b = 0; b < mine.size(); ++b) differ[b] = mine[b] != d.buckets[b];
  if (d.is_request) send(from, SyncDigest{false, mine}, out);
  send_members(from, /*is_request=*/false, &differ, out);
}

std::vector<uint64_t> SwimCore::state_digest(size_t buckets) const {
  std::vector<uint64_t> digest(buckets, 0);
  digest[digest_bucket(self_.id, buckets)] += digest_entry(self_);
  for (const auto& [id, m] : members_) digest[digest_bucket(id, buckets)] += digest_entry(m.state);
  return digest;
}

void SwimCore::send_digest(const std::string& to, bool is_request, size_t buckets, Outbox& out) {
  send(to, SyncDigest{is_request, state_digest(buckets)}, out);
}

// Sends every member this node knows (self included), or only those in the marked digest
// buckets, as datagram-sized SyncChunks; a request marks its first chunk.
void SwimCore::send_members(const std::string& to, bool is_request,
                            const std::vector<bool>* only_buckets, Outbox& out) {
  SyncChunk chunk;
  chunk.is_request = is_request;
  size_t chunks = 0;
  auto flush = [&] {
    out.messages.push_back(OutMessage{to, GossipMessage{self_.id, std::move(chunk), {}}});
    chunk = SyncChunk{};
    ++chunks;
  };
  auto add = [&](const MemberUpdate& u) {
    if (only_buckets != nullptr && !(*only_buckets)[digest_bucket(u.id, only_buckets->size())]) {
      return;
    }
    chunk.updates.push_back(u);
    if (chunk.updates.size() == kSyncUpdatesPerChunkMax) flush();
  };
  add(self_);
  for (const auto& [id, m] : members_) add(m.state);
  if (!chunk.updates.empty()) flush();
  PAIRDB_ASSERT(chunks <= kSyncChunksMax);
}

void SwimCore::send(const std::string& to, MessageBody body, Outbox& out,
                    const NodeId* must_carry) {
  // A metadata reply has its own (stream) budget; a digest fills most of a datagram.
  const bool piggyback =
      !std::holds_alternative<MetaResponse>(body) && !std::holds_alternative<SyncDigest>(body);
  GossipMessage msg{self_.id, std::move(body), {}};
  if (piggyback) msg.updates = take_piggyback(must_carry);
  out.messages.push_back(OutMessage{to, std::move(msg)});
}

// ---------------------------------------------------------------------------------------------
// Dissemination.

const MemberUpdate* SwimCore::update_for(const NodeId& id) const {
  if (id == self_.id) return &self_;
  const Member* m = find(id);
  return m == nullptr ? nullptr : &m->state;
}

// Queued news is never demoted: the update sent is always the member's latest state, so it
// carries an earlier, urgent change too. A node's own news fans out for all its transmissions:
// above all a refutation, which every member must hear before its suspicion timer runs out;
// only this node sends it first, so the cost per node does not grow with the cluster.
void SwimCore::enqueue_broadcast(const NodeId& id, bool fan_out) {
  const uint32_t until = !fan_out         ? 0
                         : id == self_.id ? 2 * retransmit_limit()
                                          : config_.fanout_transmits;
  for (Broadcast& b : broadcasts_) {
    if (b.id == id) {
      const bool was_fresh = is_fresh(b);
      b.fanout_until = was_fresh ? std::max(b.fanout_until, until) : until;
      b.transmits = 0;
      if (!was_fresh && is_fresh(b)) ++fresh_broadcasts_;
      return;
    }
  }
  broadcasts_.push_back(Broadcast{id, 0, until});
  if (is_fresh(broadcasts_.back())) ++fresh_broadcasts_;
  PAIRDB_ASSERT(broadcasts_.size() <= ring::kRingNodesMax + 1);
}

uint32_t SwimCore::retransmit_limit() const {
  const double scale = std::ceil(std::log10(static_cast<double>(cluster_size()) + 1));
  return config_.retransmit_mult * static_cast<uint32_t>(std::max(1.0, scale));
}

// The least-transmitted queued updates, up to kPiggybackUpdatesMax; `must_carry` (the buddy
// system: a suspect learns of its suspicion from the probe itself) goes first when queued or not.
std::vector<MemberUpdate> SwimCore::take_piggyback(const NodeId* must_carry) {
  std::vector<MemberUpdate> out;
  if (must_carry != nullptr) {
    const MemberUpdate* u = update_for(*must_carry);
    if (u != nullptr && u->liveness != Liveness::kAlive) out.push_back(*u);
  }
  const size_t room = kPiggybackUpdatesMax - out.size();
  const size_t take = std::min(room, broadcasts_.size());
  std::partial_sort(broadcasts_.begin(), broadcasts_.begin() + static_cast<std::ptrdiff_t>(take),
                    broadcasts_.end(), [](const Broadcast& a, const Broadcast& b) {
                      return a.transmits < b.transmits;
                    });
  const uint32_t limit = retransmit_limit();
  for (size_t i = 0; i < take; ++i) {
    const MemberUpdate* u = update_for(broadcasts_[i].id);
    if (u != nullptr && !(must_carry != nullptr && u->id == *must_carry && !out.empty() &&
                          out.front().id == u->id)) {
      out.push_back(*u);
    }
    if (++broadcasts_[i].transmits == broadcasts_[i].fanout_until) --fresh_broadcasts_;
  }
  // A node's news about itself (above all a refutation) is worth twice the retransmissions:
  // every member that misses it may turn a refuted suspicion into a false death.
  std::erase_if(broadcasts_, [&](const Broadcast& b) {
    const uint32_t own_limit = b.id == self_.id ? 2 * limit : limit;
    const bool done = b.transmits >= own_limit || update_for(b.id) == nullptr;
    if (done && is_fresh(b)) --fresh_broadcasts_;
    return done;
  });
  PAIRDB_ASSERT(fresh_broadcasts_ <= broadcasts_.size());
  PAIRDB_ASSERT(out.size() <= kPiggybackUpdatesMax);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Timers.

void SwimCore::tick(Instant now, Outbox& out) {
  if (self_.liveness == Liveness::kLeft) return;
  // Lifeguard: a timer that fires much later than asked means this node is starved (paused,
  // overloaded); it then trusts its own timeouts less.
  if (expected_tick_ != Instant::max() && now - expected_tick_ > config_.probe_interval / 2) {
    raise_health();
    on_starved(now - expected_tick_);
  }
  run_probe(now, out);
  // Member scans are O(members): run them only when a member deadline is due.
  const bool member_due = now >= member_deadline_;
  if (member_due) expire_members(now, out);
  expire_relays(now, out);
  maybe_sync(now, out);
  maybe_gossip(now, out);
  maybe_reconnect(now, out);
  if (member_due) request_metas(now, out);
  const Instant next = member_due ? next_deadline() : next_deadline_fast();
  // A deadline already due (say, a capped batch of metadata requests) runs on the next tick.
  out.next_tick = std::max(std::min(out.next_tick, next), now + kTickResolution);
  expected_tick_ = out.next_tick;
  PAIRDB_ASSERT(out.next_tick > now);
  PAIRDB_ASSERT(out.messages.size() <= kOutboxMessagesMax);
}

// While this node was starved it could neither hear acks nor refutations: the probe in flight
// proves nothing, and every suspicion it holds gets the lost time back, so a pause or a stall
// of this process never turns into dead declarations the moment it resumes.
void SwimCore::on_starved(Duration late) {
  probe_.reset();
  for (auto& [id, m] : members_) {
    if (m.state.liveness != Liveness::kSuspect) continue;
    m.suspected_at = m.suspected_at + late;
    m.suspicion_deadline = m.suspicion_deadline + late;
  }
}

void SwimCore::run_probe(Instant now, Outbox& out) {
  if (probe_) {
    if (!probe_->acked && !probe_->indirect_sent &&
        now >= probe_->started + scaled(config_.probe_timeout)) {
      send_indirect_probes(out);
    }
    if (now >= probe_->started + scaled(config_.probe_interval)) finish_probe(now, out);
  }
  if (!probe_ && now >= next_probe_at_) start_probe(now, out);
}

std::optional<NodeId> SwimCore::next_probe_target() {
  for (size_t attempts = 0; attempts < 2; ++attempts) {
    while (probe_index_ < probe_order_.size()) {
      const NodeId id = probe_order_[probe_index_++];
      const Member* m = find(id);
      if (m != nullptr && !is_down(m->state.liveness)) return id;
    }
    // End of a round: a fresh random order of the live members.
    probe_order_.clear();
    probe_index_ = 0;
    for (const auto& [id, m] : members_) {
      if (!is_down(m.state.liveness)) probe_order_.push_back(id);
    }
    std::sort(probe_order_.begin(), probe_order_.end());  // Hash order is not deterministic.
    rng_.shuffle(probe_order_.begin(), probe_order_.end());
  }
  return std::nullopt;
}

void SwimCore::start_probe(Instant now, Outbox& out) {
  next_probe_at_ = now + scaled(config_.probe_interval);
  const std::optional<NodeId> target = next_probe_target();
  if (!target) return;
  Probe p;
  p.target = *target;
  p.seq = next_seq_++;
  p.started = now;
  probe_ = p;
  send(find(p.target)->state.gossip_addr, Ping{p.seq, p.target}, out, &p.target);
}

void SwimCore::send_indirect_probes(Outbox& out) {
  PAIRDB_ASSERT(probe_.has_value());
  probe_->indirect_sent = true;
  const Member* target = find(probe_->target);
  if (target == nullptr) return;
  const NodeId target_id = probe_->target;
  const std::vector<const Member*> helpers =
      random_members(config_.indirect_probes, &target_id, /*alive_only=*/true);
  const size_t k = helpers.size();
  for (const Member* helper : helpers) {
    send(helper->state.gossip_addr, PingReq{probe_->seq, probe_->target, target->state.gossip_addr},
         out);
  }
  probe_->indirect_count = static_cast<uint32_t>(k);
  // And one more direct ping (same sequence number, so either ack counts): when packets are
  // being lost, a second chance on the direct path divides false suspicions by ~1 / loss for
  // two datagrams per failed probe. memberlist's TCP fallback ping plays the same part.
  if (config_.direct_retry)
    send(target->state.gossip_addr, Ping{probe_->seq, target_id}, out, &target_id);
}

void SwimCore::finish_probe(Instant now, Outbox& out) {
  PAIRDB_ASSERT(probe_.has_value());
  const Probe p = *probe_;
  probe_.reset();
  if (p.acked) return;
  // Lifeguard: a failed probe, and each helper that did not even send a nack, count against
  // this node's own health before they count against the target.
  raise_health();
  for (uint32_t i = p.nacks; i < p.indirect_count; ++i) raise_health();
  auto it = members_.find(p.target);
  if (it == members_.end()) return;
  if (it->second.state.liveness == Liveness::kSuspect) {
    add_confirmation(it->second, self_.id, now);  // Our own probe confirms someone's suspicion.
    return;
  }
  if (it->second.state.liveness != Liveness::kAlive) return;
  MemberUpdate u = it->second.state;
  u.liveness = Liveness::kSuspect;
  u.accuser = self_.id;
  change_member(it->second, u, now, out);
  // Tell the suspect directly so it can refute at once rather than after dissemination.
  send(u.gossip_addr, Ping{0, u.id}, out, &u.id);
}

void SwimCore::expire_members(Instant now, Outbox& out) {
  std::vector<NodeId> reaped;
  for (auto& [id, m] : members_) {
    if (m.state.liveness == Liveness::kSuspect && now >= m.suspicion_deadline) {
      MemberUpdate u = m.state;
      u.liveness = Liveness::kDead;
      change_member(m, u, now, out);
    } else if (is_down(m.state.liveness) && now - m.liveness_since >= config_.dead_reap_after) {
      reaped.push_back(id);
    }
  }
  std::sort(reaped.begin(), reaped.end());
  for (const NodeId& id : reaped) {
    emit(out, MemberEventKind::kReaped, members_.at(id).state);
    members_.erase(id);
  }
}

void SwimCore::expire_relays(Instant now, Outbox& out) {
  std::vector<Relay> expired;
  std::erase_if(relays_, [&](const Relay& r) {
    if (now < r.deadline) return false;
    expired.push_back(r);
    return true;
  });
  for (const Relay& r : expired) send(r.requester_addr, Nack{r.origin_seq}, out);
}

// Push-pull by digest with one random live member; every sync_dead_one_in-th with a dead one
// instead, so both halves of a healed partition find each other. While nobody else is known
// alive, the whole view (just this node) goes to the seeds, whose replies are their whole views.
void SwimCore::maybe_sync(Instant now, Outbox& out) {
  if (alive_count() == 0) {
    if (now < next_join_at_) return;
    next_join_at_ = now + config_.join_retry;
    for (const std::string& seed : config_.seeds) {
      if (seed != self_.gossip_addr) send_members(seed, /*is_request=*/true, nullptr, out);
    }
    return;
  }
  if (now < next_sync_at_) return;
  next_sync_at_ = now + sync_period();
  const bool pick_dead = config_.sync_dead_one_in > 0 && ++syncs_ % config_.sync_dead_one_in == 0;
  const size_t buckets = digest_bucket_count(cluster_size());
  if (!pick_dead) {
    for (const Member* peer : random_members(1, nullptr, false)) {
      send_digest(peer->state.gossip_addr, /*is_request=*/true, buckets, out);
    }
    return;
  }
  std::vector<const Member*> candidates;
  for (const auto& [id, m] : members_) {
    if (m.state.liveness == Liveness::kDead) candidates.push_back(&m);
  }
  if (candidates.empty()) return;
  std::sort(candidates.begin(), candidates.end(),
            [](const Member* a, const Member* b) { return a->state.id < b->state.id; });
  const Member* peer = candidates[rng_.uniform(candidates.size())];
  send_digest(peer->state.gossip_addr, /*is_request=*/true, buckets, out);
}

void SwimCore::maybe_gossip(Instant now, Outbox& out) {
  if (now < next_gossip_at_ || !has_fresh_broadcast() || config_.gossip_fanout == 0) return;
  next_gossip_at_ = now + config_.gossip_interval;
  for (const Member* peer : random_members(config_.gossip_fanout, nullptr, false)) {
    if (!has_fresh_broadcast()) break;
    send(peer->state.gossip_addr, GossipOnly{}, out);  // Least-sent updates first.
  }
}

// A partition heals only if someone talks across it: ping one dead member now and then, with its
// obituary attached; if it is alive it refutes, and its ack brings the refutation back.
void SwimCore::maybe_reconnect(Instant now, Outbox& out) {
  if (now < next_reconnect_at_) return;
  next_reconnect_at_ = now + config_.reconnect_interval;
  std::vector<const Member*> dead;
  for (const auto& [id, m] : members_) {
    if (m.state.liveness == Liveness::kDead) dead.push_back(&m);
  }
  if (dead.empty()) return;
  std::sort(dead.begin(), dead.end(),
            [](const Member* a, const Member* b) { return a->state.id < b->state.id; });
  const Member* m = dead[rng_.uniform(dead.size())];
  const NodeId target = m->state.id;
  send(m->state.gossip_addr, Ping{0, target}, out, &target);
}

// Up to k distinct random members (live, or strictly alive), other than `exclude`, sampled from
// the probe order: a deterministic vector, so no scan or sort of the whole membership.
std::vector<const Member*> SwimCore::random_members(size_t k, const NodeId* exclude,
                                                    bool alive_only) {
  std::vector<const Member*> out;
  if (probe_order_.empty()) return out;
  for (size_t attempt = 0; attempt < 4 * k + 8 && out.size() < k; ++attempt) {
    const NodeId& id = probe_order_[rng_.uniform(probe_order_.size())];
    if (exclude != nullptr && id == *exclude) continue;
    const Member* m = find(id);
    if (m == nullptr || is_down(m->state.liveness)) continue;
    if (alive_only && m->state.liveness != Liveness::kAlive) continue;
    if (std::find(out.begin(), out.end(), m) != out.end()) continue;
    out.push_back(m);
  }
  PAIRDB_ASSERT(out.size() <= k);
  return out;
}

// Fetches metadata (addresses, tokens) from members whose meta_version is newer than ours.
void SwimCore::request_metas(Instant now, Outbox& out) {
  uint32_t sent = 0;
  for (auto& [id, m] : members_) {
    if (sent >= config_.meta_requests_per_tick_max) break;
    if (is_down(m.state.liveness)) continue;
    if (m.meta && m.meta->meta_version >= m.state.meta_version) continue;
    if (now - m.meta_requested_at < config_.meta_retry) continue;
    m.meta_requested_at = now;
    send(m.state.gossip_addr, MetaRequest{m.state.meta_version}, out);
    ++sent;
  }
}

Instant SwimCore::next_deadline() {
  member_deadline_ = Instant::max();
  for (const auto& [id, m] : members_) {
    if (m.state.liveness == Liveness::kSuspect) {
      member_deadline_ = std::min(member_deadline_, m.suspicion_deadline);
    }
    if (is_down(m.state.liveness)) {
      member_deadline_ = std::min(member_deadline_, m.liveness_since + config_.dead_reap_after);
    } else if (!m.meta || m.meta->meta_version < m.state.meta_version) {
      member_deadline_ = std::min(member_deadline_, m.meta_requested_at + config_.meta_retry);
    }
  }
  return next_deadline_fast();
}

Instant SwimCore::next_deadline_fast() const {
  Instant next = std::min(next_probe_at_, member_deadline_);
  if (probe_) {
    next = std::min(next, probe_->indirect_sent || probe_->acked
                              ? probe_->started + scaled(config_.probe_interval)
                              : probe_->started + scaled(config_.probe_timeout));
  }
  for (const Relay& r : relays_) next = std::min(next, r.deadline);
  if (config_.gossip_fanout > 0 && has_fresh_broadcast()) next = std::min(next, next_gossip_at_);
  next = std::min(next, alive_count() == 0 ? next_join_at_ : next_sync_at_);
  next = std::min(next, next_reconnect_at_);
  return next;
}

Duration SwimCore::suspicion_timeout(uint32_t confirmations) const {
  const double n = static_cast<double>(cluster_size());
  const double min_us = config_.suspicion_mult * std::max(1.0, std::log10(n)) *
                        static_cast<double>(config_.probe_interval.count());
  const double max_us = config_.suspicion_max_mult * min_us;
  const double k = config_.suspicion_confirmations;
  const double frac = k == 0 ? 1.0 : std::log(confirmations + 1.0) / std::log(k + 1.0);
  return Duration(static_cast<int64_t>(std::max(min_us, max_us - (max_us - min_us) * frac)));
}

// memberlist-style scaling: one sync per interval up to 32 members, then the interval grows
// with log2(n / 32). A digest grows with n up to kSyncDigestBucketsMax buckets (1 kB), so the
// bytes of syncs between agreeing views stay flat per node as the cluster grows.
Duration SwimCore::sync_period() const {
  const double n = static_cast<double>(cluster_size());
  const double scale = n <= 32 ? 1.0 : 1.0 + std::ceil(std::log2(n / 32.0));
  return Duration(static_cast<int64_t>(scale * static_cast<double>(config_.sync_interval.count())));
}

}  // namespace pairdb::gossip
