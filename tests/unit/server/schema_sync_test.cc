// SchemaSync's decisions without sockets: which peers a node pulls its catalog from, and how it
// rotates among them. (The merge rules are Catalog::merge, in catalog_merge_test.)
#include <catch2/catch.hpp>

#include <memory>
#include <set>

#include "server/catalog/schema_sync.h"

using namespace pairdb;
using namespace pairdb::server;
using replication::ClusterMember;
using replication::ClusterSnapshot;

namespace {

ClusterMember member(uint64_t n, uint64_t digest, gossip::Liveness liveness, bool is_self = false,
                     bool has_meta = true) {
  ClusterMember m;
  m.id = ring::NodeId::from_words(0, n);
  m.schema_version = digest;
  m.liveness = liveness;
  m.is_self = is_self;
  if (has_meta) m.meta = std::make_shared<gossip::NodeMeta>();
  return m;
}

}  // namespace

TEST_CASE("schema peers are the live members that announce another digest",
          "[server][schema_sync]") {
  constexpr uint64_t kOwn = 0xaaaa;
  ClusterSnapshot cluster;
  cluster.members = {
      member(1, 0xbbbb, gossip::Liveness::kAlive, /*is_self=*/true),           // Self: never.
      member(2, kOwn, gossip::Liveness::kAlive),                               // Agrees: no pull.
      member(3, 0xbbbb, gossip::Liveness::kAlive),                             // Differs: pull.
      member(4, 0xcccc, gossip::Liveness::kSuspect),                           // Not alive: skip.
      member(5, 0xcccc, gossip::Liveness::kDead),                              // Not alive: skip.
      member(6, 0, gossip::Liveness::kAlive),                                  // No digest yet.
      member(7, 0xdddd, gossip::Liveness::kAlive, false, /*has_meta=*/false),  // Unreachable.
      member(8, 0xeeee, gossip::Liveness::kAlive),                             // Differs: pull.
  };
  const auto peers = schema_peers(cluster, kOwn);
  REQUIRE(peers.size() == 2);
  CHECK(peers[0]->id == ring::NodeId::from_words(0, 3));
  CHECK(peers[1]->id == ring::NodeId::from_words(0, 8));
  CHECK(schema_peers(cluster, 0xbbbb).size() == 2);  // Now 2 and 8 differ, 3 agrees.
}

TEST_CASE("pulls rotate over every disagreeing peer", "[server][schema_sync]") {
  std::set<size_t> asked;
  for (size_t round = 0; round < 6; ++round) asked.insert(schema_peer_for_round(round, 3));
  CHECK(asked == std::set<size_t>{0, 1, 2});
  CHECK(schema_peer_for_round(7, 1) == 0);
}
