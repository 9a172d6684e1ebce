// Listen addresses: parses "host:port" into Asio endpoints (host is an IPv4 literal, a
// bracketed IPv6 literal or a name resolved once at startup) and opens listening acceptors.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <string_view>

#include <pairdb/status.h>

namespace pairdb::net {

Result<boost::asio::ip::tcp::endpoint> resolve_listen_address(std::string_view host_port);

// Opens, binds (SO_REUSEADDR) and listens on `endpoint`; returns the bound endpoint, which
// carries the real port when 0 was asked for. Status::io_error names `what` and the address.
Result<boost::asio::ip::tcp::endpoint> open_listener(boost::asio::ip::tcp::acceptor& acceptor,
                                                     const boost::asio::ip::tcp::endpoint& endpoint,
                                                     std::string_view what);

}  // namespace pairdb::net
