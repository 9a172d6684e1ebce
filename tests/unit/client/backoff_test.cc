// Exponential backoff with cap and jitter.
#include <catch2/catch.hpp>

#include "client/backoff.h"

using namespace pairdb::client;

TEST_CASE("the backoff ceiling doubles per attempt and stops at the cap", "[client][backoff]") {
  const BackoffPolicy policy{10, 1000};
  CHECK(backoff_ceiling_ms(policy, 0) == 10);
  CHECK(backoff_ceiling_ms(policy, 1) == 20);
  CHECK(backoff_ceiling_ms(policy, 6) == 640);
  CHECK(backoff_ceiling_ms(policy, 7) == 1000);
  CHECK(backoff_ceiling_ms(policy, 1000) == 1000);  // No overflow for huge attempt numbers.
}

TEST_CASE("backoff delays are jittered within the upper half of the ceiling",
          "[client][backoff]") {
  const BackoffPolicy policy{50, 5000};
  pairdb::Rng rng(7);
  bool varied = false;
  uint32_t first = backoff_delay_ms(policy, 3, rng);
  for (int i = 0; i < 1000; ++i) {
    const uint32_t attempt = static_cast<uint32_t>(i % 12);
    const uint32_t delay = backoff_delay_ms(policy, attempt, rng);
    const uint32_t ceiling = backoff_ceiling_ms(policy, attempt);
    REQUIRE(delay >= ceiling / 2);
    REQUIRE(delay <= ceiling);
    if (attempt == 3 && delay != first) varied = true;
  }
  CHECK(varied);
}

TEST_CASE("a cap below the initial delay caps at the initial delay", "[client][backoff]") {
  pairdb::Rng rng(1);
  CHECK(backoff_ceiling_ms(BackoffPolicy{100, 10}, 5) == 100);
  CHECK(backoff_delay_ms(BackoffPolicy{1, 1}, 0, rng) == 1);
}
