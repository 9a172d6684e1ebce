// TokenRouter over fake topologies: primary owner, clockwise order, wrap-around, exclusions.
#include <catch2/catch.hpp>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "client/token_router.h"

using namespace pairdb::client;

namespace {

NodeInfo node(std::string address, std::vector<uint64_t> tokens, std::string liveness = "alive",
              std::string state = "normal") {
  NodeInfo info;
  info.node_id = "id-" + address;
  info.address = std::move(address);
  info.tokens = std::move(tokens);
  info.liveness = std::move(liveness);
  info.state = std::move(state);
  return info;
}

Topology three_nodes() {
  return Topology{"xxh3-64",
                  {node("a:1", {100, 400}), node("b:1", {200, 500}), node("c:1", {300})},
                  7};
}

}  // namespace

TEST_CASE("token_of is XXH3-64 of the partition key with seed 0", "[client][router]") {
  CHECK(TokenRouter::token_of("user:1") == XXH3_64bits("user:1", 6));
  CHECK(TokenRouter::token_of("") == XXH3_64bits("", 0));
}

TEST_CASE("the primary owner is the first ring token at or after the key's token",
          "[client][router]") {
  const TokenRouter router = TokenRouter::build(three_nodes());
  CHECK(router.ring_version() == 7);
  CHECK(router.nodes_for(100, 1) == std::vector<std::string>{"a:1"});  // Exactly on a token.
  CHECK(router.nodes_for(101, 1) == std::vector<std::string>{"b:1"});
  CHECK(router.nodes_for(250, 1) == std::vector<std::string>{"c:1"});
  CHECK(router.nodes_for(450, 1) == std::vector<std::string>{"b:1"});
  CHECK(router.nodes_for(0, 1) == std::vector<std::string>{"a:1"});
}

TEST_CASE("tokens past the largest ring token wrap to the smallest", "[client][router]") {
  const TokenRouter router = TokenRouter::build(three_nodes());
  CHECK(router.nodes_for(501, 1) == std::vector<std::string>{"a:1"});
  CHECK(router.nodes_for(UINT64_MAX, 1) == std::vector<std::string>{"a:1"});
}

TEST_CASE("fallback nodes follow in clockwise order, each node once", "[client][router]") {
  const TokenRouter router = TokenRouter::build(three_nodes());
  CHECK(router.nodes_for(150, 3) == std::vector<std::string>{"b:1", "c:1", "a:1"});
  CHECK(router.nodes_for(350, 10) == std::vector<std::string>{"a:1", "b:1", "c:1"});
  CHECK(router.nodes_for(350, 2).size() == 2);
}

TEST_CASE("left nodes are not routed to and dead nodes go last", "[client][router]") {
  Topology topology = three_nodes();
  topology.nodes[1].state = "left";
  topology.nodes[2].liveness = "dead";
  const TokenRouter router = TokenRouter::build(topology);
  CHECK(router.addresses() == std::vector<std::string>{"a:1", "c:1"});
  CHECK(router.nodes_for(250, 3) == std::vector<std::string>{"a:1", "c:1"});
}

TEST_CASE("nodes without tokens are reachable but own no keys", "[client][router]") {
  Topology topology = three_nodes();
  topology.nodes.push_back(node("d:1", {}));
  const TokenRouter router = TokenRouter::build(topology);
  CHECK(router.nodes_for(150, 4) == std::vector<std::string>{"b:1", "c:1", "a:1", "d:1"});
}

TEST_CASE("an empty topology routes nowhere", "[client][router]") {
  const TokenRouter router = TokenRouter::build(Topology{});
  CHECK(router.empty());
  CHECK(router.nodes_for(42, 3).empty());
}

TEST_CASE("a single node with many tokens owns every key", "[client][router]") {
  std::vector<uint64_t> tokens;
  for (uint64_t i = 0; i < 256; ++i) tokens.push_back(i * (UINT64_MAX / 256));
  const TokenRouter router = TokenRouter::build(Topology{"xxh3-64", {node("solo:1", tokens)}, 1});
  for (const char* key : {"a", "b", "user:1", ""}) {
    CHECK(router.nodes_for(TokenRouter::token_of(key), 3) == std::vector<std::string>{"solo:1"});
  }
}
