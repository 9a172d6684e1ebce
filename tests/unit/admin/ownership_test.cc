#include <catch2/catch.hpp>

#include "admin/ownership.h"

using pairdb::admin::primary_ownership;
using pairdb::client::NodeInfo;

TEST_CASE("a single node owns the whole ring, whatever its token count") {
  CHECK(primary_ownership({NodeInfo{.node_id = "a", .tokens = {42}}}).at("a") == 1.0);
  CHECK(primary_ownership({NodeInfo{.node_id = "a", .tokens = {1, 2, 3}}}).at("a") == Approx(1.0));
}

TEST_CASE("each vnode owns the range up to its token, wrapping around") {
  constexpr uint64_t kQuarter = uint64_t{1} << 62;
  // a at 1/4 owns (3/4, 1/4] wrapping = 1/2; b at 3/4 owns (1/4, 3/4] = 1/2.
  auto owned = primary_ownership({NodeInfo{.node_id = "a", .tokens = {kQuarter}},
                                  NodeInfo{.node_id = "b", .tokens = {3 * kQuarter}}});
  CHECK(owned.at("a") == Approx(0.5));
  CHECK(owned.at("b") == Approx(0.5));
  // b gets a second vnode at 1/2: it now owns (1/4, 1/2] and (1/2, 3/4]; a still half.
  owned = primary_ownership({NodeInfo{.node_id = "a", .tokens = {kQuarter}},
                             NodeInfo{.node_id = "b", .tokens = {2 * kQuarter, 3 * kQuarter}},
                             NodeInfo{.node_id = "c"}});
  CHECK(owned.at("a") == Approx(0.5));
  CHECK(owned.at("b") == Approx(0.5));
  CHECK(owned.at("c") == 0.0);
}

TEST_CASE("no tokens at all: everyone owns nothing") {
  auto owned = primary_ownership({NodeInfo{.node_id = "a"}});
  CHECK(owned.at("a") == 0.0);
}
