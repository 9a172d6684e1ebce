#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include <catch2/catch.hpp>

#include "pairdb_bench/key_chooser.h"

using namespace pairdb::bench;

TEST_CASE("uniform keys cover the keyspace evenly and repeat from the seed") {
  constexpr uint64_t kRecords = 100;
  KeyChooser a = KeyChooser::uniform(kRecords, 42);
  KeyChooser b = KeyChooser::uniform(kRecords, 42);
  std::vector<int> hits(kRecords);
  for (int i = 0; i < 100000; ++i) {
    const uint64_t k = a.next();
    REQUIRE(k < kRecords);
    REQUIRE(k == b.next());
    ++hits[k];
  }
  for (int h : hits) {
    CHECK(h > 800);  // Expected 1000 each; 800 is > 6 standard deviations away.
    CHECK(h < 1200);
  }
}

TEST_CASE("zipfian keys are skewed: the hottest record takes a few percent") {
  constexpr uint64_t kRecords = 100000;
  auto constants = std::make_shared<const ZipfianConstants>(kRecords, kDefaultZipfianTheta);
  KeyChooser chooser = KeyChooser::zipfian(constants, 7);
  std::unordered_map<uint64_t, int> hits;
  constexpr int kDraws = 200000;
  for (int i = 0; i < kDraws; ++i) {
    const uint64_t k = chooser.next();
    REQUIRE(k < kRecords);
    ++hits[k];
  }
  int hottest = 0;
  for (const auto& [key, count] : hits) hottest = std::max(hottest, count);
  // Rank 1 has probability 1 / zeta(n, 0.99) ~ 1/12.8 ~ 7.8 % at n = 100k.
  CHECK(hottest > kDraws / 20);
  CHECK(hottest < kDraws / 8);
  // A long tail: many distinct records are touched, far fewer than uniform would touch.
  CHECK(hits.size() > 10000);
  CHECK(hits.size() < 80000);
}

TEST_CASE("distribution names parse") {
  CHECK(parse_key_distribution("uniform").value() == KeyDistribution::kUniform);
  CHECK(parse_key_distribution("zipfian").value() == KeyDistribution::kZipfian);
  CHECK(!parse_key_distribution("gaussian").is_ok());
}
