// Generated idempotency keys: 128 random bits as 32 lowercase hex characters.
#include <catch2/catch.hpp>

#include <set>

#include "client/idempotency_key.h"

using namespace pairdb::client;

TEST_CASE("idempotency keys are 32 lowercase hex characters and do not repeat",
          "[client][idempotency]") {
  pairdb::Rng rng(42);
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    const std::string key = make_idempotency_key(rng);
    REQUIRE(key.size() == 32);
    REQUIRE(key.find_first_not_of("0123456789abcdef") == std::string::npos);
    seen.insert(key);
  }
  CHECK(seen.size() == 1000);
}
