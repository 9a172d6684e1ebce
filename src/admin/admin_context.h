// What every pairdb-admin command gets: the connection settings from the global flags, the
// output streams and mode, and one SDK client created on first use.
// Not thread-safe: the CLI runs one command on one thread.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <memory>
#include <string>

#include <pairdb/client.h>
#include <boost/json/value.hpp>

namespace pairdb::admin {

// Exit codes: 0 ok, 1 the operation failed, 2 a usage error.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;
inline constexpr int kExitUsage = 2;

struct GlobalOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 7400;
  bool json = false;
  uint32_t timeout_ms = 10'000;
};

class AdminContext {
 public:
  AdminContext(GlobalOptions options, std::ostream& out, std::ostream& err);
  ~AdminContext();

  const GlobalOptions& options() const { return options_; }
  bool json() const { return options_.json; }
  std::ostream& out() { return out_; }
  std::ostream& err() { return err_; }

  // "host:port" of the node the commands talk to.
  std::string address() const;
  // The node itself, for administrative calls that must not be routed elsewhere.
  client::NodeTarget node() const { return {address()}; }

  // The SDK client, connected to address() only (no token-aware routing: poking at data with
  // the admin tool should go where the operator pointed it).
  client::Client& client();
  // A second client whose deadline is a day, for operations that run as long as they need
  // (compact; repair and decommission later). Progress polls go through client().
  client::Client& long_running_client();

  // Prints the error as one line on stderr ("pairdb-admin: Timeout: ...") and returns
  // kExitFailed.
  int fail(const client::Error& error);
  int fail(const std::string& message);

  // Writes a JSON document (pretty enough: one line) followed by a newline.
  void print_json(const boost::json::value& value);

 private:
  GlobalOptions options_;
  std::ostream& out_;
  std::ostream& err_;
  std::unique_ptr<client::Client> make_client(uint32_t request_timeout_ms) const;

  std::unique_ptr<client::Client> client_;
  std::unique_ptr<client::Client> long_running_client_;
};

}  // namespace pairdb::admin
