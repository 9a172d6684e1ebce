// ClusterView (which members are on the ring, ring versions) and placement over its snapshots.
#include <catch2/catch.hpp>

#include <fmt/format.h>

#include "replication/cluster_view.h"
#include "replication/placement.h"

using namespace pairdb;
using namespace pairdb::replication;

namespace {

ClusterMember member(uint64_t n, bool is_self = false) {
  ClusterMember m;
  m.id = ring::NodeId::from_words(n, n);
  m.gossip_addr = fmt::format("127.0.0.{}:7401", n);
  m.status = gossip::NodeStatus::kNormal;
  m.is_self = is_self;
  auto meta = std::make_shared<gossip::NodeMeta>();
  meta->id = m.id;
  meta->client_addr = fmt::format("127.0.0.{}:7400", n);
  meta->http_addr = fmt::format("127.0.0.{}:7480", n);
  meta->internode_addr = fmt::format("127.0.0.{}:7402", n);
  meta->dc = "dc1";
  meta->rack = "rack1";
  for (uint64_t t = 0; t < 8; ++t) meta->tokens.push_back((t << 56) + n);
  m.meta = std::move(meta);
  return m;
}

std::vector<ClusterMember> five() {
  std::vector<ClusterMember> out;
  for (uint64_t n = 1; n <= 5; ++n) out.push_back(member(n, n == 1));
  return out;
}

}  // namespace

TEST_CASE("the ring holds the normal members with metadata, dead ones included",
          "[replication][cluster_view]") {
  ClusterView view(member(1, true));
  CHECK(view.ring()->node_count() == 1);
  auto members = five();
  members[1].liveness = gossip::Liveness::kDead;     // Stays: failure is not removal.
  members[2].liveness = gossip::Liveness::kLeft;     // Gone.
  members[3].status = gossip::NodeStatus::kJoining;  // Not yet.
  members[4].meta = nullptr;                         // Unknown tokens.
  REQUIRE(view.publish(members).is_ok());
  const auto snapshot = view.snapshot();
  CHECK(snapshot->members.size() == 5);
  CHECK(snapshot->ring->node_count() == 2);
  CHECK(snapshot->ring->find_node(members[1].id) != nullptr);
  CHECK(snapshot->ring->find_node(members[2].id) == nullptr);
}

TEST_CASE("the ring version depends only on the ring's nodes", "[replication][cluster_view]") {
  ClusterView a(member(1, true));
  ClusterView b(member(1, true));
  const uint64_t alone = a.snapshot()->ring_version;
  auto members = five();
  REQUIRE(a.publish(members).is_ok());
  std::reverse(members.begin(), members.end());
  members[0].load_bytes = 12345;  // Not part of the ring.
  REQUIRE(b.publish(members).is_ok());
  CHECK(a.snapshot()->ring_version == b.snapshot()->ring_version);
  CHECK(a.snapshot()->ring_version != alone);
  const auto ring_before = a.ring();
  members[0].incarnation = 9;
  REQUIRE(a.publish(members).is_ok());
  CHECK(a.ring() == ring_before);  // Same nodes: the snapshot reuses the ring.
}

TEST_CASE("place lists the natural replicas, then fallbacks, with addresses",
          "[replication][cluster_view]") {
  ClusterView view(member(1, true));
  auto members = five();
  members[2].liveness = gossip::Liveness::kSuspect;
  REQUIRE(view.publish(members).is_ok());
  auto endpoints = place(*view.snapshot(), ring::ReplicationSpec::simple(3), "user:42", 2);
  REQUIRE(endpoints.is_ok());
  REQUIRE(endpoints->size() == 5);
  const auto list = view.ring()->preference_list(ring::HashRing::token_of("user:42"),
                                                 ring::ReplicationSpec::simple(3), 2);
  for (size_t i = 0; i < endpoints->size(); ++i) {
    const ReplicaEndpoint& e = (*endpoints)[i];
    CHECK(e.id == list[i]);
    CHECK(e.natural == (i < 3));
    const auto* m = view.snapshot()->find(e.id);
    REQUIRE(m != nullptr);
    CHECK(e.address == m->meta->client_addr);
    CHECK(e.liveness == m->liveness);
  }
}

TEST_CASE("place refuses bad requests and an empty ring", "[replication][cluster_view]") {
  ClusterMember self = member(1, true);
  self.meta = nullptr;
  ClusterView view(self);
  CHECK(place(*view.snapshot(), ring::ReplicationSpec::simple(3), "k").status().code() ==
        StatusCode::kUnavailable);
  REQUIRE(view.publish(five()).is_ok());
  CHECK(place(*view.snapshot(), ring::ReplicationSpec::simple(0), "k")
            .status()
            .is_invalid_argument());
  CHECK(
      place(*view.snapshot(), ring::ReplicationSpec::simple(3), "k", ring::kFallbackReplicasMax + 1)
          .status()
          .is_invalid_argument());
}

TEST_CASE("two members claiming one token keep the previous ring", "[replication][cluster_view]") {
  ClusterView view(member(1, true));
  auto members = five();
  REQUIRE(view.publish(members).is_ok());
  const uint64_t version = view.snapshot()->ring_version;
  auto clash = std::make_shared<gossip::NodeMeta>(*members[4].meta);
  clash->tokens[0] = members[3].meta->tokens[0];
  members[4].meta = clash;
  CHECK_FALSE(view.publish(members).is_ok());
  CHECK(view.snapshot()->ring_version == version);
  CHECK(view.snapshot()->ring->node_count() == 5);
}

TEST_CASE("the coordinator asks natural replicas that are alive or suspect and can be reached",
          "[replication][cluster_view]") {
  ClusterView view(member(1, true));
  auto members = five();
  members[1].liveness = gossip::Liveness::kSuspect;
  members[2].liveness = gossip::Liveness::kDead;
  REQUIRE(view.publish(members).is_ok());
  const auto snapshot = view.snapshot();
  auto placed = place(*snapshot, ring::ReplicationSpec::simple(5), "k", /*fallbacks=*/0);
  REQUIRE(placed.is_ok());
  const std::vector<Replica> replicas = coordinator_replicas(*placed, members[0].id);
  REQUIRE(replicas.size() == 5);
  for (size_t i = 0; i < replicas.size(); ++i) {
    const ReplicaEndpoint& e = (*placed)[i];
    INFO("replica " << i);
    CHECK(replicas[i].id == e.id);
    CHECK(replicas[i].dc == "dc1");
    CHECK(replicas[i].is_self == (e.id == members[0].id));
    CHECK(replicas[i].alive == (e.id != members[2].id));  // Only the dead one is left out.
  }
  CHECK_FALSE(reachable(gossip::Liveness::kLeft));
}
