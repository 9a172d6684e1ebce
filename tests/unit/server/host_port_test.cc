#include <catch2/catch.hpp>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

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

// An address parse_host_port must refuse, and what its message must contain.
struct RefusedAddress {
  std::string text;
  std::string_view reason;
};

void require_refused_with_reasons(const std::vector<RefusedAddress>& cases) {
  for (const RefusedAddress& c : cases) {
    INFO(c.text);
    REQUIRE_THAT(parse_error(c.text), Catch::Contains(std::string(c.reason)));
  }
}

}  // namespace

TEST_CASE("host:port accepts IPv4, bracketed IPv6 and host names", "[host_port]") {
  const std::pair<std::string_view, HostPort> cases[] = {
      {"127.0.0.1:7400", {"127.0.0.1", 7400}},
      {"0.0.0.0:0", {"0.0.0.0", 0}},
      {"[::1]:7400", {"::1", 7400}},
      {"[::]:65535", {"::", 65535}},
      {"[2001:db8::7]:1", {"2001:db8::7", 1}},
      {"localhost:80", {"localhost", 80}},
      {"db-1.dc1.example.com:7401", {"db-1.dc1.example.com", 7401}},
  };
  for (const auto& [text, expected] : cases) {
    INFO(text);
    REQUIRE(parse_ok(text) == expected);
  }
}

TEST_CASE("host:port prints back what it parsed, brackets included", "[host_port]") {
  for (std::string_view text : {"127.0.0.1:7400", "[::1]:7400", "[2001:db8::7]:0", "node-3:9"}) {
    REQUIRE(parse_ok(text).to_string() == text);
  }
}

TEST_CASE("host:port rejects bad ports with the reason", "[host_port]") {
  require_refused_with_reasons({
      {"127.0.0.1:65536", "above 65535"},
      {"127.0.0.1:", "not a number"},
      {"127.0.0.1:-1", "not a number"},
      {"127.0.0.1:74a0", "not a number"},
      {"127.0.0.1:123456", "not a number"},
      {"127.0.0.1", "expected host:port"},
      {"", "expected host:port"},
  });
}

TEST_CASE("host:port rejects bad hosts with the reason", "[host_port]") {
  require_refused_with_reasons({
      {"300.1.1.1:80", "invalid IPv4 address '300.1.1.1'"},
      {"1.2.3:80", "invalid IPv4"},
      {"::1:7400", "must be written in brackets"},
      {"[zz::1]:80", "invalid IPv6 address 'zz::1'"},
      {"[::1]7400", "expected [ipv6]:port"},
      {"[::1:80", "expected [ipv6]:port"},
      {"[]:80", "invalid IPv6"},
      {":80", "host is empty"},
      {"bad_host:80", "invalid hostname 'bad_host'"},
      {"-lead.example:80", "invalid hostname"},
      {"a..b:80", "invalid hostname"},
      {"trailing.:80", "invalid hostname"},
      {std::string(64, 'a') + ":80", "invalid hostname"},
  });
}
