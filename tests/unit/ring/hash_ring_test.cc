#include <catch2/catch.hpp>

#include <pairdb/ring/hash_ring.h>

#include <algorithm>
#include <map>
#include <set>

#include "common/rng.h"

using namespace pairdb;
using namespace pairdb::ring;

namespace {

NodeDescriptor make_node(uint64_t n, std::vector<Token> tokens, std::string dc = "dc1",
                         std::string rack = "r1") {
  return NodeDescriptor{NodeId::from_words(0, n + 1), std::move(dc), std::move(rack),
                        std::move(tokens)};
}

std::shared_ptr<const HashRing> build_or_die(std::vector<NodeDescriptor> nodes) {
  auto ring = HashRing::build(std::move(nodes));
  REQUIRE(ring.is_ok());
  return *ring;
}

std::vector<NodeDescriptor> random_nodes(Rng& rng, size_t count, size_t tokens, size_t dcs = 1,
                                         size_t racks = 1) {
  std::vector<NodeDescriptor> nodes;
  for (size_t n = 0; n < count; ++n) {
    nodes.push_back(make_node(n, generate_tokens(rng, tokens), "dc" + std::to_string(n % dcs),
                              "r" + std::to_string((n / dcs) % racks)));
  }
  return nodes;
}

}  // namespace

TEST_CASE("NodeId formats as a UUID and parses back", "[ring]") {
  Rng rng(7);
  for (int i = 0; i < 100; ++i) {
    NodeId id = NodeId::random(rng);
    std::string text = id.to_string();
    REQUIRE(text.size() == 36);
    REQUIRE(text[14] == '4');  // Version 4.
    auto parsed = NodeId::parse(text);
    REQUIRE(parsed.is_ok());
    REQUIRE(*parsed == id);
  }
  REQUIRE(NodeId::from_words(0x0123456789abcdef, 0xfedcba9876543210).to_string() ==
          "01234567-89ab-cdef-fedc-ba9876543210");
  REQUIRE_FALSE(NodeId::parse("01234567-89ab-cdef-fedc-ba987654321").is_ok());
  REQUIRE_FALSE(NodeId::parse("01234567x89ab-cdef-fedc-ba9876543210").is_ok());
  REQUIRE_FALSE(NodeId::parse("0123456g-89ab-cdef-fedc-ba9876543210").is_ok());
}

TEST_CASE("a key belongs to the first token clockwise, wrapping past the largest", "[ring]") {
  auto ring = build_or_die({make_node(0, {100, 300}), make_node(1, {200, 400})});
  REQUIRE(ring->primary(50) == NodeId::from_words(0, 1));
  REQUIRE(ring->primary(100) == NodeId::from_words(0, 1));  // (prev, T] includes T.
  REQUIRE(ring->primary(101) == NodeId::from_words(0, 2));
  REQUIRE(ring->primary(350) == NodeId::from_words(0, 2));
  REQUIRE(ring->primary(401) == NodeId::from_words(0, 1));  // Wraps to token 100.
  REQUIRE(ring->primary(UINT64_MAX) == NodeId::from_words(0, 1));
}

TEST_CASE("preference lists hold distinct physical nodes in clockwise order", "[ring]") {
  auto ring = build_or_die({make_node(0, {10, 20}), make_node(1, {30}), make_node(2, {40, 50})});
  PreferenceList pl = ring->preference_list(15, ReplicationSpec::simple(3));
  REQUIRE(pl.size() == 3);
  REQUIRE(pl[0] == NodeId::from_words(0, 1));  // Token 20 (node 0) skipped as a duplicate.
  REQUIRE(pl[1] == NodeId::from_words(0, 2));
  REQUIRE(pl[2] == NodeId::from_words(0, 3));
  PreferenceList wrap = ring->preference_list(45, ReplicationSpec::simple(2));
  REQUIRE(wrap.size() == 2);
  REQUIRE(wrap[0] == NodeId::from_words(0, 3));
  REQUIRE(wrap[1] == NodeId::from_words(0, 1));  // Wrapped around past 50.
  REQUIRE(ring->preference_list(15, ReplicationSpec::simple(5)).size() == 3);  // Only 3 nodes.
}

TEST_CASE("random rings always give rf distinct nodes", "[ring]") {
  Rng rng(11);
  auto ring = build_or_die(random_nodes(rng, 12, 16));
  for (int i = 0; i < 2000; ++i) {
    PreferenceList pl = ring->preference_list(rng.next_u64(), ReplicationSpec::simple(3), 4);
    REQUIRE(pl.natural_count() == 3);
    REQUIRE(pl.size() == 7);
    std::set<NodeId> distinct(pl.begin(), pl.end());
    REQUIRE(distinct.size() == pl.size());
  }
}

TEST_CASE("per-DC replication places rf per DC and spreads over racks first", "[ring]") {
  Rng rng(3);
  // 2 DCs x 3 racks x 3 nodes each.
  auto ring = build_or_die(random_nodes(rng, 18, 16, 2, 3));
  ReplicationSpec spec{0, {{"dc0", 3}, {"dc1", 2}}};
  REQUIRE(spec.validate().is_ok());
  for (int i = 0; i < 2000; ++i) {
    PreferenceList pl = ring->preference_list(rng.next_u64(), spec);
    REQUIRE(pl.size() == 5);
    std::map<std::string, std::set<std::string>> racks;
    std::map<std::string, int> per_dc;
    for (const NodeId& id : pl) {
      const NodeDescriptor* node = ring->find_node(id);
      REQUIRE(node != nullptr);
      racks[node->dc].insert(node->rack);
      ++per_dc[node->dc];
    }
    REQUIRE(per_dc["dc0"] == 3);
    REQUIRE(per_dc["dc1"] == 2);
    REQUIRE(racks["dc0"].size() == 3);  // No rack reused while another is free.
    REQUIRE(racks["dc1"].size() == 2);
  }
}

TEST_CASE("with fewer racks than replicas, racks are reused only after all are used", "[ring]") {
  Rng rng(5);
  auto ring = build_or_die(random_nodes(rng, 6, 8, 1, 2));  // 1 DC, 2 racks x 3 nodes.
  ReplicationSpec spec{0, {{"dc0", 3}}};
  for (int i = 0; i < 1000; ++i) {
    PreferenceList pl = ring->preference_list(rng.next_u64(), spec);
    REQUIRE(pl.size() == 3);
    std::set<std::string> racks;
    for (const NodeId& id : pl) racks.insert(ring->find_node(id)->rack);
    REQUIRE(racks.size() == 2);
    REQUIRE(std::set<NodeId>(pl.begin(), pl.end()).size() == 3);
  }
}

TEST_CASE("fallbacks stay inside the spec's DCs", "[ring]") {
  Rng rng(9);
  auto ring = build_or_die(random_nodes(rng, 8, 8, 2, 1));
  ReplicationSpec spec{0, {{"dc1", 2}}};
  PreferenceList pl = ring->preference_list(rng.next_u64(), spec, 3);
  REQUIRE(pl.natural_count() == 2);
  REQUIRE(pl.size() == 4);  // dc1 has only 4 nodes.
  for (const NodeId& id : pl) REQUIRE(ring->find_node(id)->dc == "dc1");
}

TEST_CASE("build rejects duplicate ids, shared tokens and empty token lists", "[ring]") {
  REQUIRE_FALSE(HashRing::build({make_node(0, {1}), make_node(0, {2})}).is_ok());
  REQUIRE_FALSE(HashRing::build({make_node(0, {1}), make_node(1, {1})}).is_ok());
  REQUIRE_FALSE(HashRing::build({make_node(0, {})}).is_ok());
  REQUIRE_FALSE(ReplicationSpec{0, {{"a", 1}, {"a", 2}}}.validate().is_ok());
  REQUIRE_FALSE(ReplicationSpec::simple(0).validate().is_ok());
  REQUIRE_FALSE(ReplicationSpec::simple(kReplicationFactorMax + 1).validate().is_ok());
  auto empty = build_or_die({});
  REQUIRE(empty->preference_list(5, ReplicationSpec::simple(3)).empty());
}

TEST_CASE("ranges a node replicates cover exactly the tokens whose list names it", "[ring]") {
  Rng rng(21);
  auto ring = build_or_die(random_nodes(rng, 5, 4));
  const ReplicationSpec spec = ReplicationSpec::simple(2);
  const NodeId who = NodeId::from_words(0, 3);
  auto ranges = ring->ranges_replicated_by(who, spec);
  REQUIRE_FALSE(ranges.empty());
  double covered = 0;
  for (const TokenRange& r : ranges) covered += r.fraction();
  for (int i = 0; i < 5000; ++i) {
    const Token t = rng.next_u64();
    const bool in_ranges = std::any_of(ranges.begin(), ranges.end(),
                                       [&](const TokenRange& r) { return r.contains(t); });
    REQUIRE(in_ranges == ring->preference_list(t, spec).contains(who));
  }
  auto own = ring->ownership(spec);
  double sum = 0;
  for (const auto& o : own) {
    sum += o.fraction;
    if (o.id == who) REQUIRE(o.fraction == Approx(covered / 2).epsilon(1e-9));
  }
  REQUIRE(sum == Approx(1.0));
}

TEST_CASE("a joining node receives exactly the ranges it gains, from the nodes losing them",
          "[ring]") {
  Rng rng(33);
  auto nodes = random_nodes(rng, 6, 8);
  auto before = build_or_die(nodes);
  nodes.push_back(make_node(6, generate_tokens(rng, 8)));
  auto after = build_or_die(nodes);
  const ReplicationSpec spec = ReplicationSpec::simple(3);
  auto moves = HashRing::pending_ranges(*before, *after, spec);
  REQUIRE_FALSE(moves.empty());
  const NodeId joiner = nodes.back().id;
  double moved = 0;
  for (const RangeMove& m : moves) {
    REQUIRE(m.to == joiner);
    REQUIRE(m.from != joiner);
    moved += m.range.fraction();
  }
  for (int i = 0; i < 5000; ++i) {
    const Token t = rng.next_u64();
    PreferenceList old_pl = before->preference_list(t, spec);
    PreferenceList new_pl = after->preference_list(t, spec);
    auto move = std::find_if(moves.begin(), moves.end(),
                             [&](const RangeMove& m) { return m.range.contains(t); });
    REQUIRE((move != moves.end()) == new_pl.contains(joiner));
    if (move != moves.end()) {
      REQUIRE(old_pl.contains(move->from));
      REQUIRE_FALSE(new_pl.contains(move->from));  // The replica that gives the range up.
    }
  }
  double joiner_share = 0;
  for (const auto& o : after->ownership(spec)) {
    if (o.id == joiner) joiner_share = o.fraction;
  }
  REQUIRE(moved == Approx(joiner_share * 3).epsilon(1e-9));
}

TEST_CASE("a leaving node's ranges go to the nodes that become replicas", "[ring]") {
  Rng rng(44);
  auto nodes = random_nodes(rng, 6, 8);
  auto before = build_or_die(nodes);
  const NodeId leaver = nodes[2].id;
  nodes.erase(nodes.begin() + 2);
  auto after = build_or_die(nodes);
  const ReplicationSpec spec = ReplicationSpec::simple(3);
  auto moves = HashRing::pending_ranges(*before, *after, spec);
  REQUIRE_FALSE(moves.empty());
  for (const RangeMove& m : moves) {
    REQUIRE(m.from == leaver);
    REQUIRE(m.to != leaver);
  }
  for (int i = 0; i < 3000; ++i) {
    const Token t = rng.next_u64();
    const bool had = before->preference_list(t, spec).contains(leaver);
    const size_t count = std::count_if(moves.begin(), moves.end(),
                                       [&](const RangeMove& m) { return m.range.contains(t); });
    REQUIRE(count == (had ? 1u : 0u));
  }
}

TEST_CASE("replicated ranges tile the ring, each with its tokens' replicas", "[ring]") {
  Rng rng(22);
  auto ring = build_or_die(random_nodes(rng, 6, 8));
  const ReplicationSpec spec = ReplicationSpec::simple(3);
  const auto ranges = ring->replicated_ranges(spec);
  REQUIRE(ranges.size() > 1);
  double covered = 0;
  for (const ReplicatedRange& r : ranges) covered += r.range.fraction();
  REQUIRE(covered == Approx(1.0));
  for (size_t i = 0; i < ranges.size(); ++i) {
    // Neighbours differ (else they would have been merged), and each range ends where the next
    // starts.
    const ReplicatedRange& next = ranges[(i + 1) % ranges.size()];
    REQUIRE(ranges[i].range.end == next.range.start);
    REQUIRE(ranges[i].replicas != next.replicas);
  }
  for (int i = 0; i < 5000; ++i) {
    const Token t = rng.next_u64();
    size_t holders = 0;
    for (const ReplicatedRange& r : ranges) {
      if (!r.range.contains(t)) continue;
      ++holders;
      const PreferenceList list = ring->preference_list(t, spec);
      std::vector<NodeId> expected(list.begin(), list.end());
      std::sort(expected.begin(), expected.end());
      REQUIRE(r.replicas == expected);
    }
    REQUIRE(holders == 1);
  }
}

TEST_CASE("one replica set for every token is the whole ring", "[ring]") {
  Rng rng(23);
  auto ring = build_or_die(random_nodes(rng, 3, 16));
  const auto ranges = ring->replicated_ranges(ReplicationSpec::simple(3));
  REQUIRE(ranges.size() == 1);
  REQUIRE(ranges[0].range.start == ranges[0].range.end);
  REQUIRE(ranges[0].replicas.size() == 3);
}
