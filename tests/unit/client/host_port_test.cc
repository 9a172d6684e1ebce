// Splitting node addresses into host and port.
#include <catch2/catch.hpp>

#include "client/host_port.h"

using namespace pairdb::client;

TEST_CASE("addresses split into host and port", "[client][address]") {
  auto v4 = split_host_port("127.0.0.1:7000");
  REQUIRE(v4);
  CHECK(v4->host == "127.0.0.1");
  CHECK(v4->port == "7000");
  auto v6 = split_host_port("[::1]:9");
  REQUIRE(v6);
  CHECK(v6->host == "::1");
  CHECK(split_host_port("db.example:65535")->host == "db.example");
}

TEST_CASE("addresses without a valid port are refused", "[client][address]") {
  CHECK_FALSE(split_host_port("localhost"));
  CHECK_FALSE(split_host_port("localhost:"));
  CHECK_FALSE(split_host_port("localhost:0"));
  CHECK_FALSE(split_host_port("localhost:65536"));
  CHECK_FALSE(split_host_port("localhost:7x"));
  CHECK_FALSE(split_host_port(":7000"));
}
