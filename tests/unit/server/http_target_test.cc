#include <catch2/catch.hpp>

#include "common/base64.h"
#include "server/http/http_target.h"

using namespace pairdb;
using namespace pairdb::server;

TEST_CASE("targets split into decoded segments and query parameters", "[server][http]") {
  auto target = parse_http_target("/v1/tables/t/items/a%2Fb/c%00d?from=x+y&limit=10&flag");
  REQUIRE(target.is_ok());
  REQUIRE(target->segments.size() == 6);
  CHECK(target->segments[4] == "a/b");
  CHECK(target->segments[5] == std::string("c\0d", 3));
  CHECK(*target->param("from") == "x y");
  CHECK(*target->param("limit") == "10");
  CHECK(target->param("flag")->empty());
  CHECK(target->param("missing") == nullptr);
}

TEST_CASE("bad percent-encoding is an error", "[server][http]") {
  CHECK(parse_http_target("/a%zz").status().is_invalid_argument());
  CHECK(parse_http_target("/a%2").status().is_invalid_argument());
  CHECK(parse_http_target("/a?x=%").status().is_invalid_argument());
  CHECK(parse_http_target("relative").status().is_invalid_argument());
}

TEST_CASE("base64url round-trips every byte pattern and rejects junk", "[common][base64]") {
  std::string bytes;
  for (int length = 0; length < 70; ++length) {
    const std::string encoded = base64url_encode(bytes);
    CHECK(encoded.find_first_of("+/=") == std::string::npos);
    auto decoded = base64url_decode(encoded);
    REQUIRE(decoded.has_value());
    CHECK(*decoded == bytes);
    bytes.push_back(static_cast<char>(length * 37 + 250));
  }
  CHECK(base64url_decode("YWJj") == std::optional<std::string>("abc"));
  CHECK(base64url_decode("YQ==") == std::optional<std::string>("a"));
  CHECK_FALSE(base64url_decode("a").has_value());
  CHECK_FALSE(base64url_decode("ab!c").has_value());
}
