#include "server/config/host_port.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>

#include <fmt/format.h>

#include "common/assert.h"

namespace pairdb::server {

namespace {

constexpr size_t kHostnameBytesMax = 253;
constexpr size_t kLabelBytesMax = 63;
constexpr size_t kPortDigitsMax = 5;

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alnum(char c) { return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

Status invalid(std::string_view text, std::string_view why) {
  return Status::invalid_argument(fmt::format("'{}': {}", text, why));
}

// One RFC 1123 label: letters, digits and inner hyphens, 1 to 63 bytes.
bool is_valid_label(std::string_view label) {
  if (label.empty() || label.size() > kLabelBytesMax) return false;
  if (label.front() == '-' || label.back() == '-') return false;
  return std::all_of(label.begin(), label.end(), [](char c) { return is_alnum(c) || c == '-'; });
}

bool is_valid_hostname(std::string_view host) {
  if (host.empty() || host.size() > kHostnameBytesMax) return false;
  size_t start = 0;
  while (true) {
    size_t dot = host.find('.', start);
    std::string_view label = host.substr(start, dot == std::string_view::npos ? dot : dot - start);
    if (!is_valid_label(label)) return false;
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

bool looks_like_ipv4(std::string_view host) {
  return !host.empty() &&
         std::all_of(host.begin(), host.end(), [](char c) { return is_digit(c) || c == '.'; });
}

bool is_valid_ip(int family, std::string_view host) {
  std::string copy(host);  // inet_pton needs a terminated string.
  in6_addr storage{};
  return inet_pton(family, copy.c_str(), &storage) == 1;
}

Result<uint16_t> parse_port(std::string_view text, std::string_view port) {
  if (port.empty() || port.size() > kPortDigitsMax ||
      !std::all_of(port.begin(), port.end(), is_digit)) {
    return invalid(text, fmt::format("port '{}' is not a number in [0, 65535]", port));
  }
  uint32_t value = 0;
  for (char c : port) value = value * 10 + static_cast<uint32_t>(c - '0');
  if (value > 65535) return invalid(text, fmt::format("port {} is above 65535", value));
  return static_cast<uint16_t>(value);
}

}  // namespace

std::string HostPort::to_string() const {
  return is_ipv6() ? fmt::format("[{}]:{}", host, port) : fmt::format("{}:{}", host, port);
}

Result<HostPort> parse_host_port(std::string_view text) {
  HostPort result;
  std::string_view port_text;
  if (!text.empty() && text.front() == '[') {
    size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return invalid(text, "expected [ipv6]:port");
    }
    result.host = std::string(text.substr(1, close - 1));
    port_text = text.substr(close + 2);
    if (result.host.empty() || !is_valid_ip(AF_INET6, result.host)) {
      return invalid(text, fmt::format("invalid IPv6 address '{}'", result.host));
    }
  } else {
    size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) return invalid(text, "expected host:port");
    std::string_view host = text.substr(0, colon);
    if (host.find(':') != std::string_view::npos) {
      return invalid(text, "an IPv6 address must be written in brackets, e.g. [::1]:7400");
    }
    if (host.empty()) return invalid(text, "the host is empty (use 0.0.0.0 or [::] for all)");
    if (looks_like_ipv4(host)) {
      if (!is_valid_ip(AF_INET, host)) {
        return invalid(text, fmt::format("invalid IPv4 address '{}'", host));
      }
    } else if (!is_valid_hostname(host)) {
      return invalid(text, fmt::format("invalid hostname '{}'", host));
    }
    result.host = std::string(host);
    port_text = text.substr(colon + 1);
  }
  PAIRDB_ASSIGN_OR_RETURN(result.port, parse_port(text, port_text));
  PAIRDB_ASSERT(!result.host.empty());
  return result;
}

}  // namespace pairdb::server
