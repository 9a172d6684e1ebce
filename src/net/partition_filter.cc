#include "net/partition_filter.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>

namespace pairdb::net {

namespace {

std::string_view trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t\r");
  return text.substr(first, last - first + 1);
}

}  // namespace

PartitionFilter::PartitionFilter(std::string path) : path_(std::move(path)) {}

Status PartitionFilter::reload() {
  std::vector<std::string> hosts;
  errno = 0;
  std::ifstream in(path_);
  if (!in.is_open() && errno != ENOENT) {
    return Status::io_error(
        fmt::format("opening test partition file {}: {}", path_, std::strerror(errno)));
  }
  if (in.is_open()) {
    std::string line;
    while (std::getline(in, line)) {
      const std::string_view host = trim(line);
      if (host.empty() || host.front() == '#') continue;
      hosts.emplace_back(host_of(host));
    }
    if (in.bad()) {
      return Status::io_error(
          fmt::format("reading test partition file {}: {}", path_, std::strerror(errno)));
    }
  }
  std::sort(hosts.begin(), hosts.end());
  std::lock_guard lock(mutex_);
  hosts_ = std::move(hosts);
  any_.store(!hosts_.empty(), std::memory_order_release);
  return Status::ok();
}

bool PartitionFilter::blocks(std::string_view host_or_address) const {
  if (!any_.load(std::memory_order_acquire)) return false;
  const std::string_view host = host_of(host_or_address);
  std::lock_guard lock(mutex_);
  return std::binary_search(hosts_.begin(), hosts_.end(), host);
}

std::string_view PartitionFilter::host_of(std::string_view host_or_address) {
  if (host_or_address.starts_with('[')) {
    const auto close = host_or_address.find(']');
    return close == std::string_view::npos ? host_or_address : host_or_address.substr(1, close - 1);
  }
  const auto colon = host_or_address.find(':');
  // More than one colon without brackets: a bare IPv6 literal.
  if (colon == std::string_view::npos ||
      host_or_address.find(':', colon + 1) != std::string_view::npos) {
    return host_or_address;
  }
  return host_or_address.substr(0, colon);
}

}  // namespace pairdb::net
