// Parses "host:port" listen addresses into Asio endpoints. Host is an IPv4 literal, a
// bracketed IPv6 literal or a name resolved once at startup.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <string_view>

#include <pairdb/status.h>

namespace pairdb::net {

Result<boost::asio::ip::tcp::endpoint> resolve_listen_address(std::string_view host_port);

}  // namespace pairdb::net
