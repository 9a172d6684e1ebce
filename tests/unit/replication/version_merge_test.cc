// Merge laws and convergence of replicas, on seeded random histories.
#include <catch2/catch.hpp>

#include <algorithm>
#include <set>

#include <pairdb/replication/version.h>

#include "version_history.h"

using namespace pairdb;
using namespace pairdb::replication;
using namespace pairdb::replication::testing;

namespace {

VersionRecord merge_in(const VersionRecord& a, const VersionRecord& b, ConflictMode mode) {
  return merge(a, b, mode, kHistoryKeysMax);
}

// All of `records` merged, in order, into one record.
VersionRecord merge_all(const std::vector<VersionRecord>& records, ConflictMode mode) {
  VersionRecord all;
  for (const VersionRecord& record : records) all = merge_in(all, record, mode);
  return all;
}

// Runs check(history) on a random history of `ops` operations over four nodes, once per seed.
template <typename Check>
void for_each_random_history(ConflictMode mode, int ops, Check check) {
  for_each_seed(20, [&](uint64_t seed) {
    Rng rng(seed);
    check(random_history(rng, mode, 4, ops));
  });
}

// Records to pick from: replicas, coordinator outputs and some partial merges.
std::vector<VersionRecord> record_pool(Rng& rng, const History& h, ConflictMode mode) {
  std::vector<VersionRecord> pool = h.replicas;
  pool.insert(pool.end(), h.outputs.begin(), h.outputs.end());
  pool.push_back(VersionRecord{});
  const size_t base = pool.size();
  for (size_t i = 0; i < base; ++i) {
    pool.push_back(merge_in(pool[rng.uniform(base)], pool[rng.uniform(base)], mode));
  }
  return pool;
}

void check_merge_laws(Rng& rng, ConflictMode mode) {
  const History h = random_history(rng, mode, 4, 120);
  const std::vector<VersionRecord> pool = record_pool(rng, h, mode);
  for (int i = 0; i < 300; ++i) {
    const VersionRecord& a = pool[rng.uniform(pool.size())];
    const VersionRecord& b = pool[rng.uniform(pool.size())];
    const VersionRecord& c = pool[rng.uniform(pool.size())];
    const VersionRecord ab = merge_in(a, b, mode);
    REQUIRE(validate_record(ab).is_ok());
    CHECK(ab == merge_in(b, a, mode));                                        // Commutative.
    CHECK(merge_in(ab, c, mode) == merge_in(a, merge_in(b, c, mode), mode));  // Associative.
    CHECK(merge_in(a, a, mode) == a);                                         // Idempotent.
    CHECK(merge_in(ab, a, mode) == ab);                                       // Absorbs.
    CHECK(ab.context.descends(a.context));
  }
}

// Each of `views` replicas merges a random subset of the coordinators' outputs in a random
// order (together they hold every output); then the views merge in a random order.
VersionRecord converge_randomly(Rng& rng, const History& h, ConflictMode mode, size_t views) {
  std::vector<std::vector<size_t>> subsets(views);
  for (size_t i = 0; i < h.outputs.size(); ++i) {
    subsets[rng.uniform(views)].push_back(i);  // Guarantees coverage.
    for (auto& subset : subsets) {
      if (rng.chance(0.3)) subset.push_back(i);
    }
  }
  std::vector<VersionRecord> replicas(views);
  for (size_t v = 0; v < views; ++v) {
    rng.shuffle(subsets[v].begin(), subsets[v].end());
    for (size_t i : subsets[v]) replicas[v] = merge_in(replicas[v], h.outputs[i], mode);
  }
  rng.shuffle(replicas.begin(), replicas.end());
  return merge_all(replicas, mode);
}

}  // namespace

TEST_CASE("merge is commutative, associative and idempotent (siblings)", "[version][merge]") {
  for_each_seed(20, [](uint64_t seed) {
    Rng rng(seed);
    check_merge_laws(rng, ConflictMode::kSiblings);
  });
}

TEST_CASE("merge is commutative, associative and idempotent (lww)", "[version][merge]") {
  for_each_seed(20, [](uint64_t seed) {
    Rng rng(seed);
    check_merge_laws(rng, ConflictMode::kLww);
  });
}

TEST_CASE("replicas that saw different subsets of writes converge regardless of order",
          "[version][merge]") {
  for (ConflictMode mode : {ConflictMode::kSiblings, ConflictMode::kLww}) {
    for_each_seed(20, [mode](uint64_t seed) {
      Rng rng(seed);
      const History h = random_history(rng, mode, 5, 150);
      const VersionRecord reference = merge_all(h.outputs, mode);
      for (int trial = 0; trial < 5; ++trial) {
        CHECK(converge_randomly(rng, h, mode, 2 + rng.uniform(4)) == reference);
      }
      // The replicas themselves, fully synced, agree with it as well.
      CHECK(merge_in(merge_all(h.replicas, mode), reference, mode) == reference);
    });
  }
}

TEST_CASE("after convergence exactly the writes no client had seen remain as siblings",
          "[version][merge]") {
  for_each_random_history(ConflictMode::kSiblings, 150, [](const History& h) {
    const VersionRecord all = merge_all(h.outputs, ConflictMode::kSiblings);
    std::set<Dot> expected;
    for (const HistoryWrite& w : h.writes) {
      const bool seen = std::any_of(h.writes.begin(), h.writes.end(), [&](const HistoryWrite& o) {
        return o.client_context.covers(w.dot);
      });
      if (!seen) expected.insert(w.dot);
    }
    std::set<Dot> actual;
    for (const Sibling& s : all.siblings) actual.insert(s.dot);
    CHECK(actual == expected);
  });
}

TEST_CASE("lww converges to the sibling with the highest timestamp of all writes",
          "[version][merge]") {
  for_each_random_history(ConflictMode::kLww, 150, [](const History& h) {
    const VersionRecord all = merge_all(h.outputs, ConflictMode::kLww);
    const Sibling* best = nullptr;
    for (const auto& out : h.outputs) {
      for (const Sibling& s : out.siblings) {
        if (best == nullptr ||
            std::tie(best->timestamp, best->dot) < std::tie(s.timestamp, s.dot)) {
          best = &s;
        }
      }
    }
    if (best == nullptr) return;
    REQUIRE(all.siblings.size() == 1);
    CHECK(all.siblings[0] == *best);
  });
}

TEST_CASE("merge keeps the latest application of an idempotency key and bounds the count",
          "[version][merge][idempotency]") {
  const WriteOutcome a = apply_ok({}, put_write("v", {}, "k"), node(1), 100);
  const WriteOutcome b = apply_ok({}, put_write("v", {}, "k"), node(2), 200);
  const VersionRecord ab = merge(a.record, b.record, ConflictMode::kSiblings);
  REQUIRE(ab.idempotency.size() == 1);
  CHECK(ab.idempotency[0].applied_at_ms == 200);
  CHECK(ab.idempotency[0].dot == b.dot);

  VersionRecord many;
  for (int i = 0; i < 6; ++i) {
    const WriteOutcome w =
        apply_ok({}, put_write("v", {}, "k" + std::to_string(i)), node(i + 1), 100 + i);
    many = merge(many, w.record, ConflictMode::kSiblings, /*idempotency_keys_max=*/3);
  }
  REQUIRE(many.idempotency.size() == 3);
  CHECK(many.idempotency[0].key == "k3");
  CHECK(many.idempotency[2].key == "k5");
}
