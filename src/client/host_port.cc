#include "client/host_port.h"

#include <charconv>
#include <cstdint>

namespace pairdb::client {

std::optional<HostPort> split_host_port(std::string_view address) {
  const size_t colon = address.rfind(':');
  if (colon == std::string_view::npos) return std::nullopt;
  std::string_view host = address.substr(0, colon);
  const std::string_view port = address.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  uint32_t number = 0;
  const auto [end, error] = std::from_chars(port.data(), port.data() + port.size(), number);
  if (error != std::errc() || end != port.data() + port.size()) return std::nullopt;
  if (number == 0 || number > 65535 || host.empty()) return std::nullopt;
  return HostPort{std::string(host), std::string(port)};
}

}  // namespace pairdb::client
