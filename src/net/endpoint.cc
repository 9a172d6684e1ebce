#include "net/endpoint.h"

#include <fmt/format.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <charconv>
#include <string>

namespace pairdb::net {

namespace asio = boost::asio;

Result<asio::ip::tcp::endpoint> resolve_listen_address(std::string_view host_port) {
  const size_t colon = host_port.rfind(':');
  if (colon == std::string_view::npos) {
    return Status::invalid_argument(fmt::format("'{}' is not HOST:PORT", host_port));
  }
  std::string_view host = host_port.substr(0, colon);
  const std::string_view port_text = host_port.substr(colon + 1);
  unsigned port = 0;
  auto [end, error] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (error != std::errc() || end != port_text.data() + port_text.size() || port > 65535) {
    return Status::invalid_argument(fmt::format("bad port in '{}'", host_port));
  }
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  boost::system::error_code ec;
  auto address = asio::ip::make_address(std::string(host), ec);
  if (!ec) return asio::ip::tcp::endpoint(address, static_cast<uint16_t>(port));
  asio::io_context io;
  asio::ip::tcp::resolver resolver(io);
  auto results = resolver.resolve(std::string(host), std::to_string(port), ec);
  if (ec || results.empty()) {
    return Status::invalid_argument(
        fmt::format("cannot resolve '{}': {}", host, ec ? ec.message() : "no addresses"));
  }
  return results.begin()->endpoint();
}

Result<boost::asio::ip::tcp::endpoint> open_listener(boost::asio::ip::tcp::acceptor& acceptor,
                                                     const boost::asio::ip::tcp::endpoint& endpoint,
                                                     std::string_view what) {
  namespace asio = boost::asio;
  boost::system::error_code ec;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return Status::io_error(fmt::format("{} listen on {}:{}: {}", what,
                                        endpoint.address().to_string(), endpoint.port(),
                                        ec.message()));
  }
  return acceptor.local_endpoint();
}

}  // namespace pairdb::net
