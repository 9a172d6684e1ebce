// The shared state of a pairdb-admin invocation.
#include "admin/admin_context.h"

#include <ostream>

#include <fmt/format.h>
#include <boost/json/serialize.hpp>

namespace pairdb::admin {

AdminContext::AdminContext(GlobalOptions options, std::ostream& out, std::ostream& err)
    : options_(std::move(options)), out_(out), err_(err) {}

AdminContext::~AdminContext() = default;

std::string AdminContext::address() const {
  // A literal IPv6 address needs brackets to be followed by a port.
  if (options_.host.find(':') != std::string::npos && options_.host.front() != '[') {
    return fmt::format("[{}]:{}", options_.host, options_.port);
  }
  return fmt::format("{}:{}", options_.host, options_.port);
}

std::unique_ptr<client::Client> AdminContext::make_client(uint32_t request_timeout_ms) const {
  client::ClientOptions options;
  options.contact_points = {address()};
  options.client_name = "pairdb-admin";
  options.connections_per_node = 1;
  options.request_timeout_ms = request_timeout_ms;
  options.connect_timeout_ms = options_.timeout_ms;
  options.token_aware = false;
  options.topology_refresh_ms = 0;
  return std::make_unique<client::Client>(std::move(options));
}

client::Client& AdminContext::client() {
  if (!client_) client_ = make_client(options_.timeout_ms);
  return *client_;
}

client::Client& AdminContext::long_running_client() {
  constexpr uint32_t kOneDayMs = 24 * 3600 * 1000;
  if (!long_running_client_) long_running_client_ = make_client(kOneDayMs);
  return *long_running_client_;
}

int AdminContext::fail(const client::Error& error) { return fail(error.to_string()); }

int AdminContext::fail(const std::string& message) {
  err_ << "pairdb-admin: " << message << '\n';
  return kExitFailed;
}

void AdminContext::print_json(const boost::json::value& value) {
  out_ << boost::json::serialize(value) << '\n';
}

}  // namespace pairdb::admin
