#include <catch2/catch.hpp>

#include <optional>
#include <string>
#include <vector>

#include "gossip/swim_core.h"
#include "gossip_test_util.h"

using namespace pairdb;
using namespace pairdb::gossip;
using pairdb::gossip::testing::self_config;
using namespace std::chrono_literals;

namespace {

MemberUpdate about(uint64_t n, uint64_t incarnation, Liveness l) {
  MemberUpdate u;
  u.id = NodeId::from_words(0, n);
  u.incarnation = incarnation;
  u.liveness = l;
  u.meta_version = 1;
  u.gossip_addr = "node" + std::to_string(n);
  return u;
}

GossipMessage carrying(uint64_t sender, std::vector<MemberUpdate> updates) {
  return GossipMessage{NodeId::from_words(0, sender), GossipOnly{}, std::move(updates)};
}

// Ticks every 10 ms from from_ms to to_ms, acking every probe at once (so nobody is suspected
// by this node); collects membership events and returns how many GossipOnly messages went out.
size_t run_acking(SwimCore& core, int64_t from_ms, int64_t to_ms,
                  std::vector<MemberEvent>* events = nullptr) {
  size_t fanned_out = 0;
  for (int64_t ms = from_ms; ms < to_ms; ms += 10) {
    const Instant now = Instant::from_us(ms * 1000);
    Outbox out;
    core.tick(now, out);
    for (const OutMessage& m : out.messages) {
      fanned_out += std::holds_alternative<GossipOnly>(m.msg.body) ? 1 : 0;
      if (const auto* ping = std::get_if<Ping>(&m.msg.body)) {
        Outbox ignored;
        core.on_message(m.to_addr, GossipMessage{ping->target, Ack{ping->seq}, {}}, now, ignored);
      }
    }
    if (events != nullptr) events->insert(events->end(), out.events.begin(), out.events.end());
  }
  return fanned_out;
}

size_t fanout_messages(SwimCore& core, int64_t from_ms, int64_t seconds) {
  return run_acking(core, from_ms, from_ms + seconds * 1000);
}

}  // namespace

TEST_CASE("a suspected node refutes by raising its incarnation", "[swim]") {
  SwimCore core(SwimConfig{}, self_config(1), 1);
  Outbox out;
  core.start(Instant::from_us(0), out);
  out.clear();
  core.on_message("node2", carrying(2, {about(1, 0, Liveness::kSuspect)}), Instant::from_us(10),
                  out);
  REQUIRE(core.self_state().incarnation == 1);
  REQUIRE(core.self_state().liveness == Liveness::kAlive);
  REQUIRE(core.local_health() == 1);  // Lifeguard: being suspected counts against our health.
  // A stale accusation (older incarnation) changes nothing.
  core.on_message("node2", carrying(2, {about(1, 0, Liveness::kDead)}), Instant::from_us(20), out);
  REQUIRE(core.self_state().incarnation == 1);
}

TEST_CASE("updates follow SWIM precedence and incarnations never go down", "[swim]") {
  SwimCore core(SwimConfig{}, self_config(1), 1);
  Outbox out;
  core.start(Instant::from_us(0), out);
  auto at = [](int64_t s) { return Instant::from_us(s * 1'000'000); };
  core.on_message("node2", carrying(2, {about(2, 3, Liveness::kAlive)}), at(1), out);
  REQUIRE(core.find(NodeId::from_words(0, 2))->state.incarnation == 3);
  core.on_message("node3", carrying(3, {about(2, 2, Liveness::kDead)}), at(2), out);  // Stale.
  REQUIRE(core.find(NodeId::from_words(0, 2))->state.liveness == Liveness::kAlive);
  core.on_message("node3", carrying(3, {about(2, 3, Liveness::kSuspect)}), at(3), out);
  REQUIRE(core.find(NodeId::from_words(0, 2))->state.liveness == Liveness::kSuspect);
  core.on_message("node3", carrying(3, {about(2, 3, Liveness::kAlive)}), at(4), out);  // Same inc.
  REQUIRE(core.find(NodeId::from_words(0, 2))->state.liveness == Liveness::kSuspect);
  core.on_message("node2", carrying(2, {about(2, 4, Liveness::kAlive)}), at(5), out);  // Refuted.
  REQUIRE(core.find(NodeId::from_words(0, 2))->state.liveness == Liveness::kAlive);
  REQUIRE(core.find(NodeId::from_words(0, 2))->state.incarnation == 4);
}

// Node1, knowing nodes 2 and 3, hears from node3 that node2 is suspect (at time 2 us).
void start_suspecting_node2(SwimCore& core) {
  Outbox out;
  core.start(Instant::from_us(0), out);
  core.on_message("node2",
                  carrying(2, {about(2, 0, Liveness::kAlive), about(3, 0, Liveness::kAlive)}),
                  Instant::from_us(1), out);
  core.on_message("node3", carrying(3, {about(2, 0, Liveness::kSuspect)}), Instant::from_us(2),
                  out);
}

TEST_CASE("an unrefuted suspicion becomes dead after the suspicion timeout", "[swim]") {
  SwimCore core(SwimConfig{}, self_config(1), 1);
  start_suspecting_node2(core);
  REQUIRE(core.find(NodeId::from_words(0, 2))->state.liveness == Liveness::kSuspect);
  // Three members: min timeout 1 s, max 3 s without confirmations.
  std::vector<MemberEvent> events;
  run_acking(core, 0, 2'900, &events);
  REQUIRE(core.find(NodeId::from_words(0, 2))->state.liveness == Liveness::kSuspect);
  run_acking(core, 2'900, 3'100, &events);
  REQUIRE(core.find(NodeId::from_words(0, 2))->state.liveness == Liveness::kDead);
  bool dead_event = false;
  for (const MemberEvent& e : events) dead_event |= e.kind == MemberEventKind::kDead;
  REQUIRE(dead_event);
}

TEST_CASE("suspicions held by a node that was paused get the lost time back", "[swim]") {
  SwimCore core(SwimConfig{}, self_config(1), 1);
  start_suspecting_node2(core);
  run_acking(core, 0, 1'000);
  // The process stalls for 30 s: the refutation node2 surely sent meanwhile went unread.
  Outbox out;
  core.tick(Instant::from_us(31'000'000), out);
  REQUIRE(core.find(NodeId::from_words(0, 2))->state.liveness == Liveness::kSuspect);
  REQUIRE(core.local_health() > 0);
  // Without the refutation, the remaining ~2 s still run out.
  run_acking(core, 31'000, 34'500);
  REQUIRE(core.find(NodeId::from_words(0, 2))->state.liveness == Liveness::kDead);
}

TEST_CASE("a joining node contacts its seeds with a push-pull request", "[swim]") {
  SwimConfig config;
  config.seeds = {"seed-a", "seed-b", "node1"};  // Its own address is skipped.
  SwimCore core(config, self_config(1), 1);
  Outbox out;
  core.start(Instant::from_us(0), out);
  int syncs = 0;
  for (const OutMessage& m : out.messages) {
    if (const auto* s = std::get_if<SyncChunk>(&m.msg.body)) {
      REQUIRE(s->is_request);
      REQUIRE(m.to_addr != "node1");
      ++syncs;
    }
  }
  REQUIRE(syncs == 2);
  REQUIRE(out.next_tick > Instant::from_us(0));
}

namespace {

template <typename T>
std::vector<GossipMessage> bodies_of(const Outbox& out) {
  std::vector<GossipMessage> found;
  for (const OutMessage& m : out.messages) {
    if (std::holds_alternative<T>(m.msg.body)) found.push_back(m.msg);
  }
  return found;
}

size_t chunked_updates(const Outbox& out) {
  size_t n = 0;
  for (const GossipMessage& m : bodies_of<SyncChunk>(out))
    n += std::get<SyncChunk>(m.body).updates.size();
  return n;
}

// Two started cores, node1 and node2, that both know members 3..(2 + shared) alive.
struct Pair {
  SwimCore a{SwimConfig{}, self_config(1), 1};
  SwimCore b{SwimConfig{}, self_config(2), 2};
  Outbox out;

  explicit Pair(uint64_t shared) {
    a.start(Instant::from_us(0), out);
    b.start(Instant::from_us(0), out);
    teach(a, 2, {about(2, 0, Liveness::kAlive)});
    teach(b, 1, {about(1, 0, Liveness::kAlive)});
    for (uint64_t n = 3; n < 3 + shared; ++n) {
      teach(a, 2, {about(n, 0, Liveness::kAlive)});
      teach(b, 1, {about(n, 0, Liveness::kAlive)});
    }
  }
  void teach(SwimCore& core, uint64_t from, std::vector<MemberUpdate> updates) {
    out.clear();
    core.on_message("node" + std::to_string(from), carrying(from, std::move(updates)),
                    Instant::from_us(1000), out);
  }
  // Node1's periodic push-pull: the tick after its first sync interval.
  GossipMessage periodic_digest() {
    out.clear();
    a.tick(Instant::from_us(31'000'000), out);
    std::vector<GossipMessage> digests = bodies_of<SyncDigest>(out);
    REQUIRE(digests.size() == 1);
    REQUIRE(std::get<SyncDigest>(digests[0].body).is_request);
    REQUIRE(bodies_of<SyncChunk>(out).empty());  // No full state goes out unasked.
    return digests[0];
  }
};

}  // namespace

TEST_CASE("a periodic sync between agreeing views is two digests", "[swim]") {
  Pair p(40);
  const GossipMessage request = p.periodic_digest();
  REQUIRE(std::get<SyncDigest>(request.body).buckets.size() == 8);  // 42 members, ~8 a bucket.
  p.out.clear();
  p.b.on_message("node1", request, Instant::from_us(31'001'000), p.out);
  const std::vector<GossipMessage> replies = bodies_of<SyncDigest>(p.out);
  REQUIRE(replies.size() == 1);
  REQUIRE_FALSE(std::get<SyncDigest>(replies[0].body).is_request);
  REQUIRE(chunked_updates(p.out) == 0);
  p.out.clear();
  p.a.on_message("node2", replies[0], Instant::from_us(31'002'000), p.out);
  REQUIRE(p.out.messages.empty());
}

TEST_CASE("a digest sync sends only the differing buckets, both ways", "[swim]") {
  Pair p(40);
  p.teach(p.b, 3, {about(3, 2, Liveness::kAlive), about(50, 0, Liveness::kAlive)});
  p.teach(p.a, 4, {about(4, 1, Liveness::kAlive), about(60, 0, Liveness::kAlive)});
  const GossipMessage request = p.periodic_digest();
  p.out.clear();
  p.b.on_message("node1", request, Instant::from_us(31'001'000), p.out);
  const std::vector<GossipMessage> replies = bodies_of<SyncDigest>(p.out);
  REQUIRE(replies.size() == 1);
  // Some buckets differ, but far fewer than all 43 members of node2's view are sent.
  const size_t sent_by_b = chunked_updates(p.out);
  REQUIRE(sent_by_b >= 2);
  REQUIRE(sent_by_b < 43 / 2);
  for (const GossipMessage& chunk : bodies_of<SyncChunk>(p.out)) {
    p.a.on_message("node2", chunk, Instant::from_us(31'002'000), p.out);
  }
  REQUIRE(p.a.find(NodeId::from_words(0, 3))->state.incarnation == 2);
  REQUIRE(p.a.find(NodeId::from_words(0, 50)) != nullptr);
  // Node1 answers node2's digest with its own differing buckets.
  p.out.clear();
  p.a.on_message("node2", replies[0], Instant::from_us(31'003'000), p.out);
  REQUIRE(bodies_of<SyncDigest>(p.out).empty());
  REQUIRE(chunked_updates(p.out) < 44 / 2);
  for (const GossipMessage& chunk : bodies_of<SyncChunk>(p.out)) {
    p.b.on_message("node1", chunk, Instant::from_us(31'004'000), p.out);
  }
  REQUIRE(p.b.find(NodeId::from_words(0, 4))->state.incarnation == 1);
  REQUIRE(p.b.find(NodeId::from_words(0, 60)) != nullptr);
  // The views now agree: node1's current digest makes node2 send nothing.
  Outbox asked;
  const size_t buckets = std::get<SyncDigest>(request.body).buckets.size();
  p.a.on_message(
      "node2",
      GossipMessage{NodeId::from_words(0, 2), SyncDigest{true, std::vector<uint64_t>(buckets)}, {}},
      Instant::from_us(31'005'000), asked);
  std::vector<GossipMessage> current = bodies_of<SyncDigest>(asked);
  REQUIRE(current.size() == 1);
  std::get<SyncDigest>(current[0].body).is_request = true;
  Outbox agreed;
  p.b.on_message("node1", current[0], Instant::from_us(31'006'000), agreed);
  REQUIRE(bodies_of<SyncDigest>(agreed).size() == 1);
  REQUIRE(chunked_updates(agreed) == 0);
}

TEST_CASE("members first heard of in a sync are not re-gossiped, except the sender", "[swim]") {
  SwimCore core(SwimConfig{}, self_config(1), 1);
  Outbox out;
  core.start(Instant::from_us(0), out);
  const size_t own_news = core.queued_broadcasts();  // Its own arrival.
  SyncChunk chunk;
  chunk.updates = {about(2, 0, Liveness::kAlive), about(3, 0, Liveness::kAlive),
                   about(4, 0, Liveness::kAlive)};
  core.on_message("node2", GossipMessage{NodeId::from_words(0, 2), chunk, {}}, Instant::from_us(10),
                  out);
  REQUIRE(core.alive_count() == 3);
  REQUIRE(core.queued_broadcasts() == own_news + 1);  // Node2 may be joining: spread it.
  // The same news by gossip is spread.
  core.on_message("node2", carrying(2, {about(5, 0, Liveness::kAlive)}), Instant::from_us(20), out);
  REQUIRE(core.queued_broadcasts() == own_news + 2);
}

TEST_CASE("others' news is fanned out a bounded number of times, load changes never", "[swim]") {
  SwimConfig config;
  SwimCore core(config, self_config(1), 1);
  Outbox out;
  core.start(Instant::from_us(0), out);
  for (uint64_t n = 2; n < 30; ++n) {
    core.on_message("node" + std::to_string(n), carrying(n, {about(n, 0, Liveness::kAlive)}),
                    Instant::from_us(1000), out);
    NodeMeta meta;  // Fetched, so no metadata requests (which piggyback too) go out.
    meta.id = NodeId::from_words(0, n);
    meta.meta_version = 1;
    core.on_message("node" + std::to_string(n), GossipMessage{meta.id, MetaResponse{meta}, {}},
                    Instant::from_us(1000), out);
  }
  // Let formation news drain: its fan-out ends, only piggybacking remains.
  fanout_messages(core, 2, 60);
  REQUIRE(fanout_messages(core, 60'000, 5) == 0);
  // One update about another member: pushed until sent fanout_transmits times in all.
  MemberUpdate leaving = about(7, 1, Liveness::kAlive);
  leaving.status = NodeStatus::kLeaving;
  core.on_message("node7", carrying(7, {leaving}), Instant::from_us(65'000'000), out);
  const size_t pushed = fanout_messages(core, 65'000, 5);
  REQUIRE(pushed >= 1);
  REQUIRE(pushed <= config.fanout_transmits);
  REQUIRE(core.queued_broadcasts() > 0);  // Its remaining retransmissions ride on probes.
  // A new load figure: piggybacked on the next probe, never pushed.
  core.set_load(12345);
  REQUIRE(fanout_messages(core, 70'000, 5) == 0);
  Outbox probes;
  bool carried = false;
  for (int64_t ms = 75'000; ms < 80'000 && !carried; ms += 10) {
    probes.clear();
    core.tick(Instant::from_us(ms * 1000), probes);
    for (const GossipMessage& m : bodies_of<Ping>(probes)) {
      for (const MemberUpdate& u : m.updates)
        carried |= u.id == core.self_id() && u.load_bytes == 12345;
    }
  }
  REQUIRE(carried);
}

TEST_CASE("an unanswered probe goes to k helpers and once more to the target itself", "[swim]") {
  SwimCore core(SwimConfig{}, self_config(1), 1);
  Outbox out;
  core.start(Instant::from_us(0), out);
  for (uint64_t n = 2; n < 8; ++n) {
    core.on_message("node" + std::to_string(n), carrying(n, {about(n, 0, Liveness::kAlive)}),
                    Instant::from_us(1), out);
  }
  std::optional<Ping> probe;
  std::string probed;
  int64_t ms = 0;
  for (; ms < 2'000 && !probe; ms += 10) {
    out.clear();
    core.tick(Instant::from_us(ms * 1000), out);
    for (const OutMessage& m : out.messages) {
      if (const auto* p = std::get_if<Ping>(&m.msg.body)) {
        probe = *p;
        probed = m.to_addr;
      }
    }
  }
  REQUIRE(probe.has_value());
  std::vector<OutMessage> sent;
  for (const int64_t until = ms + 600; ms < until; ms += 10) {  // Past the 500 ms ack timeout.
    out.clear();
    core.tick(Instant::from_us(ms * 1000), out);
    sent.insert(sent.end(), out.messages.begin(), out.messages.end());
  }
  size_t ping_reqs = 0;
  size_t retries = 0;
  for (const OutMessage& m : sent) {
    if (const auto* r = std::get_if<PingReq>(&m.msg.body)) {
      ping_reqs += r->seq == probe->seq && r->target == probe->target ? 1 : 0;
      REQUIRE(m.to_addr != probed);
    }
    if (const auto* p = std::get_if<Ping>(&m.msg.body)) {
      retries += p->seq == probe->seq && m.to_addr == probed ? 1 : 0;
    }
  }
  REQUIRE(ping_reqs == 3);
  REQUIRE(retries == 1);
  // The retry's ack completes the probe: no suspicion follows.
  core.on_message(probed, GossipMessage{probe->target, Ack{probe->seq}, {}},
                  Instant::from_us(ms * 1000), out);
  run_acking(core, ms, ms + 2'000);
  REQUIRE(core.find(probe->target)->state.liveness == Liveness::kAlive);
}

TEST_CASE("a node that knows nobody alive joins through the first peer that contacts it",
          "[swim]") {
  // Restarted without seeds: only the peers that still list it can reach it.
  SwimConfig config;
  config.join_retry = 2s;
  SwimCore core(config, self_config(1), 1);
  Outbox out;
  core.start(Instant::from_us(0), out);
  REQUIRE(bodies_of<SyncChunk>(out).empty());  // No seeds: nobody to ask.

  // A peer's probe carries no member list; the answer to it is an ack and a push-pull request.
  auto ping_from = [&](uint64_t sender, int64_t ms) {
    out.clear();
    core.on_message("node" + std::to_string(sender),
                    GossipMessage{NodeId::from_words(0, sender), Ping{7, core.self_id()}, {}},
                    Instant::from_us(ms * 1000), out);
    std::vector<std::string> requested;
    for (const OutMessage& m : out.messages) {
      const auto* chunk = std::get_if<SyncChunk>(&m.msg.body);
      if (chunk != nullptr && chunk->is_request) requested.push_back(m.to_addr);
    }
    REQUIRE(bodies_of<Ack>(out).size() == 1);
    return requested;
  };
  // The metadata exchange comes over TCP from a passing port: no join request goes there.
  out.clear();
  core.on_message("node2-tcp-port", GossipMessage{NodeId::from_words(0, 2), MetaRequest{}, {}},
                  Instant::from_us(50'000), out);
  REQUIRE(bodies_of<SyncChunk>(out).empty());
  CHECK(ping_from(2, 100) == std::vector<std::string>{"node2"});
  // At most one such request per join_retry, whoever calls.
  CHECK(ping_from(3, 900).empty());
  CHECK(ping_from(3, 2200) == std::vector<std::string>{"node3"});

  // Once the reply brings members, a ping is only a ping.
  out.clear();
  SyncChunk reply;
  reply.is_request = false;
  reply.updates = {about(2, 0, Liveness::kAlive), about(3, 0, Liveness::kAlive)};
  core.on_message("node2", GossipMessage{NodeId::from_words(0, 2), reply, {}},
                  Instant::from_us(2'300'000), out);
  REQUIRE(core.alive_count() == 2);
  CHECK(ping_from(2, 5000).empty());
}
