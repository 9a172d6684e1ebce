#include <catch2/catch.hpp>

#include "server/config/host_port.h"

using namespace pairdb::server;

namespace {

HostPort parse_ok(std::string_view text) {
  auto r = parse_host_port(text);
  INFO(text << ": " << r.status().to_string());
  REQUIRE(r.is_ok());
  return *r;
}

std::string parse_error(std::string_view text) {
  auto r = parse_host_port(text);
  INFO(text);
  REQUIRE_FALSE(r.is_ok());
  REQUIRE(r.status().is_invalid_argument());
  return std::string(r.status().message());
}

}  // namespace

TEST_CASE("host:port accepts IPv4, bracketed IPv6 and host names", "[host_port]") {
  REQUIRE(parse_ok("127.0.0.1:7400") == HostPort{"127.0.0.1", 7400});
  REQUIRE(parse_ok("0.0.0.0:0") == HostPort{"0.0.0.0", 0});
  REQUIRE(parse_ok("[::1]:7400") == HostPort{"::1", 7400});
  REQUIRE(parse_ok("[::]:65535") == HostPort{"::", 65535});
  REQUIRE(parse_ok("[2001:db8::7]:1") == HostPort{"2001:db8::7", 1});
  REQUIRE(parse_ok("localhost:80") == HostPort{"localhost", 80});
  REQUIRE(parse_ok("db-1.dc1.example.com:7401") == HostPort{"db-1.dc1.example.com", 7401});
}

TEST_CASE("host:port prints back what it parsed, brackets included", "[host_port]") {
  for (std::string_view text : {"127.0.0.1:7400", "[::1]:7400", "[2001:db8::7]:0", "node-3:9"}) {
    REQUIRE(parse_ok(text).to_string() == text);
  }
}

TEST_CASE("host:port rejects bad ports with the reason", "[host_port]") {
  REQUIRE_THAT(parse_error("127.0.0.1:65536"), Catch::Contains("above 65535"));
  REQUIRE_THAT(parse_error("127.0.0.1:"), Catch::Contains("not a number"));
  REQUIRE_THAT(parse_error("127.0.0.1:-1"), Catch::Contains("not a number"));
  REQUIRE_THAT(parse_error("127.0.0.1:74a0"), Catch::Contains("not a number"));
  REQUIRE_THAT(parse_error("127.0.0.1:123456"), Catch::Contains("not a number"));
  REQUIRE_THAT(parse_error("127.0.0.1"), Catch::Contains("expected host:port"));
  REQUIRE_THAT(parse_error(""), Catch::Contains("expected host:port"));
}

TEST_CASE("host:port rejects bad hosts with the reason", "[host_port]") {
  REQUIRE_THAT(parse_error("300.1.1.1:80"), Catch::Contains("invalid IPv4 address '300.1.1.1'"));
  REQUIRE_THAT(parse_error("1.2.3:80"), Catch::Contains("invalid IPv4"));
  REQUIRE_THAT(parse_error("::1:7400"), Catch::Contains("must be written in brackets"));
  REQUIRE_THAT(parse_error("[zz::1]:80"), Catch::Contains("invalid IPv6 address 'zz::1'"));
  REQUIRE_THAT(parse_error("[::1]7400"), Catch::Contains("expected [ipv6]:port"));
  REQUIRE_THAT(parse_error("[::1:80"), Catch::Contains("expected [ipv6]:port"));
  REQUIRE_THAT(parse_error("[]:80"), Catch::Contains("invalid IPv6"));
  REQUIRE_THAT(parse_error(":80"), Catch::Contains("host is empty"));
  REQUIRE_THAT(parse_error("bad_host:80"), Catch::Contains("invalid hostname 'bad_host'"));
  REQUIRE_THAT(parse_error("-lead.example:80"), Catch::Contains("invalid hostname"));
  REQUIRE_THAT(parse_error("a..b:80"), Catch::Contains("invalid hostname"));
  REQUIRE_THAT(parse_error("trailing.:80"), Catch::Contains("invalid hostname"));
  REQUIRE_THAT(parse_error(std::string(64, 'a') + ":80"), Catch::Contains("invalid hostname"));
}
