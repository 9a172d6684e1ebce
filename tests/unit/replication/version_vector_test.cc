#include <catch2/catch.hpp>

#include <pairdb/replication/version_vector.h>

#include "common/rng.h"
#include "replication_test_util.h"

using namespace pairdb;
using namespace pairdb::replication;
using pairdb::replication::testing::for_each_seed;
using pairdb::replication::testing::node;

namespace {

VersionVector random_vector(Rng& rng) {
  VersionVector vv;
  for (int i = 0; i < 4; ++i) {
    if (rng.chance(0.6)) vv.add(Dot{node(rng.uniform(6)), rng.uniform(5)});
  }
  return vv;
}

}  // namespace

TEST_CASE("add keeps entries sorted, drops zeros and only raises counters", "[version_vector]") {
  VersionVector vv;
  vv.add(Dot{node(3), 2});
  vv.add(Dot{node(1), 5});
  vv.add(Dot{node(2), 0});
  vv.add(Dot{node(3), 1});
  REQUIRE(vv.size() == 2);
  CHECK(vv.entries()[0] == Dot{node(1), 5});
  CHECK(vv.entries()[1] == Dot{node(3), 2});
  CHECK(vv.get(node(2)) == 0);
  CHECK(vv.covers(Dot{node(1), 5}));
  CHECK_FALSE(vv.covers(Dot{node(1), 6}));
  CHECK_FALSE(vv.covers(Dot{node(2), 1}));
}

TEST_CASE("from_entries refuses unsorted, repeated or zero entries", "[version_vector]") {
  CHECK(VersionVector::from_entries({{node(1), 1}, {node(2), 3}}).is_ok());
  CHECK(VersionVector::from_entries({}).is_ok());
  CHECK_FALSE(VersionVector::from_entries({{node(2), 1}, {node(1), 3}}).is_ok());
  CHECK_FALSE(VersionVector::from_entries({{node(1), 1}, {node(1), 3}}).is_ok());
  CHECK_FALSE(VersionVector::from_entries({{node(1), 0}}).is_ok());
}

TEST_CASE("merge is the entrywise max and descends both inputs", "[version_vector]") {
  for_each_seed(5, [](uint64_t seed) {
    Rng rng(seed);
    for (int i = 0; i < 500; ++i) {
      const VersionVector a = random_vector(rng);
      const VersionVector b = random_vector(rng);
      const VersionVector ab = join(a, b);
      CHECK(ab == join(b, a));
      CHECK(ab.descends(a));
      CHECK(ab.descends(b));
      for (uint64_t n = 0; n < 6; ++n) {
        CHECK(ab.get(node(n)) == std::max(a.get(node(n)), b.get(node(n))));
      }
      CHECK(a.descends(b) == (join(a, b) == a));
      CHECK(join(ab, a) == ab);
    }
  });
}
