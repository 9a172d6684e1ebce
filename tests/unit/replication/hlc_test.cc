#include <catch2/catch.hpp>

#include <pairdb/replication/hlc.h>

#include <algorithm>
#include <thread>
#include <vector>

using namespace pairdb;
using namespace pairdb::replication;

TEST_CASE("an HLC timestamp packs wall ms above a 16-bit counter", "[hlc]") {
  const HlcTimestamp t = HlcTimestamp::from_parts(1'700'000'000'123, 7);
  CHECK(t.wall_ms() == 1'700'000'000'123);
  CHECK(t.logical() == 7);
  CHECK(t.value == (1'700'000'000'123ull << 16 | 7));
  CHECK(HlcTimestamp::from_parts(5, 65535) < HlcTimestamp::from_parts(6, 0));
  CHECK(HlcTimestamp::from_parts(5, 1) > HlcTimestamp::from_parts(5, 0));
  CHECK(HlcTimestamp::from_parts(kHlcWallMsMax, 0).wall_ms() == kHlcWallMsMax);
}

TEST_CASE("now follows the wall clock when it advances", "[hlc]") {
  HybridClock clock;
  CHECK(clock.now(1000) == HlcTimestamp::from_parts(1000, 0));
  CHECK(clock.now(1000) == HlcTimestamp::from_parts(1000, 1));
  CHECK(clock.now(2000) == HlcTimestamp::from_parts(2000, 0));
  CHECK(clock.last() == HlcTimestamp::from_parts(2000, 0));
}

TEST_CASE("now never goes backwards when the wall clock does", "[hlc]") {
  HybridClock clock;
  const HlcTimestamp a = clock.now(5000);
  const HlcTimestamp b = clock.now(4000);
  const HlcTimestamp c = clock.now(4500);
  CHECK(b > a);
  CHECK(c > b);
  CHECK(c.wall_ms() == 5000);
}

TEST_CASE("logical counter overflow carries into the wall part", "[hlc]") {
  HybridClock clock;
  HlcTimestamp last = clock.now(7);
  for (int i = 0; i < 65535; ++i) last = clock.now(7);
  CHECK(last == HlcTimestamp::from_parts(7, 65535));
  const HlcTimestamp next = clock.now(7);
  CHECK(next == HlcTimestamp::from_parts(8, 0));
  CHECK(next > last);
}

TEST_CASE("observe makes later readings exceed the remote timestamp", "[hlc]") {
  HybridClock clock;
  (void)clock.now(1000);
  const HlcTimestamp remote = HlcTimestamp::from_parts(1500, 3);
  REQUIRE(clock.observe(remote, 1000).is_ok());
  const HlcTimestamp t = clock.now(1000);
  CHECK(t > remote);
  CHECK(t == HlcTimestamp::from_parts(1500, 4));
  // An older remote reading changes nothing.
  REQUIRE(clock.observe(HlcTimestamp::from_parts(10, 0), 1000).is_ok());
  CHECK(clock.last() == t);
}

TEST_CASE("observe refuses a remote timestamp beyond the drift bound", "[hlc]") {
  HybridClock clock(/*max_drift_ms=*/60'000);
  (void)clock.now(100'000);
  const HlcTimestamp before = clock.last();
  Status s = clock.observe(HlcTimestamp::from_parts(160'001, 0), 100'000);
  CHECK(s.is_invalid_argument());
  CHECK(clock.last() == before);
  CHECK(clock.now(100'001) == HlcTimestamp::from_parts(100'001, 0));
  // Exactly at the bound is accepted.
  REQUIRE(clock.observe(HlcTimestamp::from_parts(160'001, 0), 100'001).is_ok());
  CHECK(clock.now(100'001) > HlcTimestamp::from_parts(160'001, 0));
}

TEST_CASE("concurrent now calls return distinct increasing readings", "[hlc]") {
  constexpr int kThreads = 4;
  constexpr int kReadingsPerThread = 20'000;
  HybridClock clock;
  std::vector<std::vector<uint64_t>> seen(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&clock, &seen, t] {
      for (int i = 0; i < kReadingsPerThread; ++i) {
        // Threads disagree about the wall time, as cores may.
        seen[t].push_back(clock.now(1000 + static_cast<uint64_t>((i + t * 7) % 5)).value);
      }
    });
  }
  for (auto& th : threads) th.join();
  std::vector<uint64_t> all;
  for (const auto& mine : seen) {
    CHECK(std::is_sorted(mine.begin(), mine.end()));
    CHECK(std::adjacent_find(mine.begin(), mine.end()) == mine.end());
    all.insert(all.end(), mine.begin(), mine.end());
  }
  std::sort(all.begin(), all.end());
  CHECK(std::adjacent_find(all.begin(), all.end()) == all.end());
  CHECK(clock.last().value == all.back());
}
