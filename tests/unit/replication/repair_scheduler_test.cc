// RepairScheduler: due ranges, one designated initiator per range, marked ranges first, the
// session limit, and a stand-in initiator once the designated one is late.
#include <catch2/catch.hpp>

#include "replication/repair_scheduler.h"
#include "replication_test_util.h"

namespace pairdb::replication {
namespace {

using testing::node;

constexpr uint64_t kDay = 24ull * 3600 * 1000;

RepairCandidate candidate(uint64_t start, uint64_t last_verified, bool marked = false) {
  RepairCandidate c;
  c.table = 5;
  c.range = {start, start + 1000};
  c.replicas = {node(1), node(2), node(3)};
  c.all_alive = true;
  c.last_verified_ms = last_verified;
  c.marked = marked;
  return c;
}

// A candidate whose designated initiator is `who`.
RepairCandidate designated_to(const ring::NodeId& who, uint64_t last_verified,
                              uint64_t* start = nullptr) {
  for (uint64_t s = start ? *start : 0;; s += 1000) {
    RepairCandidate c = candidate(s, last_verified);
    if (RepairScheduler::designated(c) == who) {
      if (start) *start = s + 1000;
      return c;
    }
  }
}

TEST_CASE("the designated replica starts a due range, the others wait", "[replication][repair]") {
  const RepairCandidate c = candidate(0, 1);
  const ring::NodeId first = RepairScheduler::designated(c);
  const uint64_t now = 1 + kDay;
  for (uint64_t n = 1; n <= 3; ++n) {
    RepairScheduler s(node(n), {kDay, 1});
    const auto picked = s.pick({c}, now);
    CHECK(picked.size() == (node(n) == first ? 1u : 0u));
  }
  // The same range is designated to the same replica on every node; the designations spread.
  std::map<ring::NodeId, int> counts;
  for (uint64_t i = 0; i < 300; ++i) ++counts[RepairScheduler::designated(candidate(i * 1000, 1))];
  REQUIRE(counts.size() == 3);
  for (const auto& [id, n] : counts) CHECK(n > 50);
}

TEST_CASE("a range verified within the interval is not due", "[replication][repair]") {
  RepairScheduler s(node(1), {kDay, 4});
  const RepairCandidate c = designated_to(node(1), 1000);
  CHECK(s.pick({c}, 1000 + kDay - 1).empty());
  CHECK(s.pick({c}, 1000 + kDay).size() == 1);
  CHECK_FALSE(s.overdue(c, 1000 + kDay - 1));
  CHECK(s.overdue(c, 1000 + kDay));
}

TEST_CASE("another replica stands in once the designated one is a quarter interval late",
          "[replication][repair]") {
  const RepairCandidate c = designated_to(node(2), 1000);
  RepairScheduler s(node(1), {kDay, 1});
  CHECK(s.pick({c}, 1000 + kDay).empty());
  CHECK(s.pick({c}, 1000 + kDay + kDay / 4 - 1).empty());
  CHECK(s.pick({c}, 1000 + kDay + kDay / 4).size() == 1);
  // Never verified: the quarter interval counts from when this node first saw it.
  RepairCandidate fresh = designated_to(node(2), 0);
  RepairScheduler t(node(1), {kDay, 1});
  CHECK(t.pick({fresh}, 50).empty());
  CHECK(t.pick({fresh}, 50 + kDay / 4).size() == 1);
  CHECK_FALSE(t.overdue(fresh, 50 + kDay - 1));
  CHECK(t.overdue(fresh, 50 + kDay));
}

TEST_CASE("marked ranges go first, then the oldest, within the session limit",
          "[replication][repair]") {
  uint64_t start = 0;
  std::vector<RepairCandidate> cs;
  cs.push_back(designated_to(node(1), 300, &start));
  cs.push_back(designated_to(node(1), 100, &start));
  cs.push_back(designated_to(node(2), 900, &start));  // Not ours, but marked here.
  cs.back().marked = true;
  cs.push_back(designated_to(node(1), 200, &start));
  RepairScheduler s(node(1), {kDay, 3});
  CHECK(s.pick(cs, 1000 + kDay) == std::vector<size_t>{2, 1, 3});
  // One already running leaves room for two.
  cs[0].running = true;
  CHECK(s.pick(cs, 1000 + kDay) == std::vector<size_t>{2, 1});
}

TEST_CASE("nothing starts while a replica is down, or with the scheduler off",
          "[replication][repair]") {
  RepairCandidate c = designated_to(node(1), 0);
  c.all_alive = false;
  RepairScheduler s(node(1), {kDay, 1});
  CHECK(s.pick({c}, 5).empty());
  c.all_alive = true;
  CHECK(s.pick({c}, 5).size() == 1);
  RepairScheduler off(node(1), {0, 1});
  CHECK(off.pick({c}, 5).empty());
}

}  // namespace
}  // namespace pairdb::replication
