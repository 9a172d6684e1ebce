#include <catch2/catch.hpp>

#include "gossip/swim_core.h"

using namespace pairdb;
using namespace pairdb::gossip;
using namespace std::chrono_literals;

namespace {

SelfConfig self_config(uint64_t n) {
  SelfConfig s;
  s.meta.id = NodeId::from_words(0, n);
  s.meta.meta_version = 1;
  s.gossip_addr = "node" + std::to_string(n);
  s.status = NodeStatus::kNormal;
  return s;
}

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

TEST_CASE("an unrefuted suspicion becomes dead after the suspicion timeout", "[swim]") {
  SwimConfig config;
  SwimCore core(config, self_config(1), 1);
  Outbox out;
  core.start(Instant::from_us(0), out);
  core.on_message("node2",
                  carrying(2, {about(2, 0, Liveness::kAlive), about(3, 0, Liveness::kAlive)}),
                  Instant::from_us(1), out);
  core.on_message("node3", carrying(3, {about(2, 0, Liveness::kSuspect)}), Instant::from_us(2),
                  out);
  REQUIRE(core.find(NodeId::from_words(0, 2))->state.liveness == Liveness::kSuspect);
  // Three members: min timeout 1 s, max 3 s without confirmations.
  core.tick(Instant::from_us(2'900'000), out);
  REQUIRE(core.find(NodeId::from_words(0, 2))->state.liveness == Liveness::kSuspect);
  out.clear();
  core.tick(Instant::from_us(3'100'000), out);
  REQUIRE(core.find(NodeId::from_words(0, 2))->state.liveness == Liveness::kDead);
  bool dead_event = false;
  for (const MemberEvent& e : out.events) dead_event |= e.kind == MemberEventKind::kDead;
  REQUIRE(dead_event);
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
