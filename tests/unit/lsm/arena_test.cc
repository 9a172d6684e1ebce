#include <catch2/catch.hpp>

#include <atomic>
#include <cstdint>
#include <cstring>
#include <thread>
#include <vector>

#include "lsm/arena.h"

using pairdb::lsm::Arena;

namespace {

bool is_aligned(const char* p) {
  return (reinterpret_cast<uintptr_t>(p) & (Arena::kAlignBytes - 1)) == 0;
}

}  // namespace

TEST_CASE("a new arena reports no memory usage", "[arena]") {
  Arena arena;
  REQUIRE(arena.memory_usage() == 0);
}

TEST_CASE("allocations do not overlap and keep their contents", "[arena]") {
  Arena arena;
  struct Allocation {
    char* p;
    size_t bytes;
    char fill;
  };
  std::vector<Allocation> allocations;
  // Sizes cycle through tiny, block-sized and larger-than-a-block requests.
  const size_t sizes[] = {1,
                          7,
                          100,
                          Arena::kLargeAllocationBytes,
                          Arena::kLargeAllocationBytes + 1,
                          Arena::kBlockBytes,
                          3 * Arena::kBlockBytes};
  for (int i = 0; i < 500; ++i) {
    const size_t bytes = sizes[i % std::size(sizes)];
    char* p = (i % 2 == 0) ? arena.allocate(bytes) : arena.allocate_aligned(bytes);
    const char fill = static_cast<char>(i);
    std::memset(p, fill, bytes);
    allocations.push_back({p, bytes, fill});
  }
  for (const Allocation& a : allocations) {
    const std::vector<char> expected(a.bytes, a.fill);
    REQUIRE(std::memcmp(a.p, expected.data(), a.bytes) == 0);
  }
}

TEST_CASE("allocate_aligned returns aligned memory after unaligned allocations", "[arena]") {
  Arena arena;
  for (int i = 0; i < 2000; ++i) {
    (void)arena.allocate(1 + i % 13);  // Leaves the bump pointer misaligned.
    char* p = arena.allocate_aligned(1 + i % 29);
    REQUIRE(is_aligned(p));
  }
}

TEST_CASE("memory usage grows with allocations and covers every byte handed out", "[arena]") {
  Arena arena;
  size_t requested = 0;
  size_t last_usage = 0;
  for (int i = 0; i < 1000; ++i) {
    const size_t bytes = 1 + (i * 37) % 3000;
    (void)arena.allocate(bytes);
    requested += bytes;
    REQUIRE(arena.memory_usage() >= requested);
    REQUIRE(arena.memory_usage() >= last_usage);
    last_usage = arena.memory_usage();
  }
}

TEST_CASE("a large allocation that does not fit gets its own block", "[arena]") {
  Arena arena;
  (void)arena.allocate(10);
  // Leaves 100 bytes in the current block.
  char* filler = arena.allocate(Arena::kBlockBytes - 10 - 100);
  const size_t usage_before = arena.memory_usage();
  const size_t large_bytes = Arena::kLargeAllocationBytes + 1;
  char* large = arena.allocate(large_bytes);
  // Exactly the request plus bookkeeping, not a whole shared block.
  REQUIRE(arena.memory_usage() > usage_before + large_bytes - 1);
  REQUIRE(arena.memory_usage() < usage_before + large_bytes + 64);
  char* next = arena.allocate(10);
  // The current block's tail still serves small requests.
  REQUIRE(next == filler + Arena::kBlockBytes - 10 - 100);
  REQUIRE(large != nullptr);
}

TEST_CASE("a small allocation reuses the current block without new memory", "[arena]") {
  Arena arena;
  (void)arena.allocate(1);
  const size_t usage = arena.memory_usage();
  for (int i = 0; i < 100; ++i) (void)arena.allocate(10);
  REQUIRE(arena.memory_usage() == usage);
}

TEST_CASE("memory usage can be read from another thread while the arena allocates", "[arena]") {
  Arena arena;
  std::atomic<bool> done{false};
  bool monotonic = true;
  size_t reads = 0;
  std::thread reader([&] {
    constexpr size_t kReadsMax = 10'000'000;  // Bounds the loop should the writer hang.
    size_t last = 0;
    while (!done.load(std::memory_order_acquire) && reads < kReadsMax) {
      const size_t now = arena.memory_usage();
      if (now < last) monotonic = false;
      last = now;
      ++reads;
    }
  });
  for (int i = 0; i < 20000; ++i) (void)arena.allocate(1 + i % 500);
  done.store(true, std::memory_order_release);
  reader.join();
  REQUIRE(monotonic);
  REQUIRE(arena.memory_usage() >= 20000);
}
