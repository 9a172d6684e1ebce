// Splits "host:port" addresses as the Topology response and contact points spell them:
// "10.0.0.1:7000", "db1.example:7000" or "[::1]:7000". Pure.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace pairdb::client {

struct HostPort {
  std::string host;
  std::string port;
};

// nullopt when there is no ":port" part, the port is not a number in 1..65535, or the host is
// empty.
std::optional<HostPort> split_host_port(std::string_view address);

}  // namespace pairdb::client
