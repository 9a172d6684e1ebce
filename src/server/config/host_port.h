// HostPort: a listen or peer address as written in the config ("127.0.0.1:7400",
// "[::1]:7400", "db1.example.com:7401"). A plain value type, safe to copy between threads.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <pairdb/status.h>

namespace pairdb::server {

// Invariant (for values returned by parse_host_port): host is a valid IPv4 literal, IPv6
// literal (stored without brackets) or DNS name; port 0 means "any free port" when binding.
struct HostPort {
  std::string host;
  uint16_t port = 0;

  bool is_ipv6() const { return host.find(':') != std::string::npos; }
  // Brackets an IPv6 host again: "[::1]:7400".
  std::string to_string() const;

  bool operator==(const HostPort&) const = default;
};

// Accepts "a.b.c.d:port", "[ipv6]:port" and "hostname:port" (RFC 1123 labels, at most 253
// bytes), with a decimal port in [0, 65535]. The error message quotes the input and says why.
Result<HostPort> parse_host_port(std::string_view text);

}  // namespace pairdb::server
