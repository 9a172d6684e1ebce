// One pairdb node: opens the data directory, wires storage, catalog, services, the binary and
// HTTP listeners, metrics and signal handling, and runs until SIGTERM/SIGINT (or stop()).
//
// Lifecycle: open() prepares everything and binds the listeners (so ports are known before
// run()); run() serves until asked to stop, then stops accepting, lets in-flight requests
// finish (bounded by network.shutdown_timeout_ms), syncs and closes the database.
// Thread-safety: open/run from the main thread; stop() from anywhere.
#pragma once

#include <memory>
#include <string>

#include <pairdb/status.h>

#include "server/config/config.h"

namespace pairdb::server {

class Node {
 public:
  static Result<std::unique_ptr<Node>> open(const NodeConfig& config);
  ~Node();

  // Serves until stop() or a termination signal. OK on a clean shutdown.
  Status run();
  void stop();

  std::string binary_address() const;  // host:port actually bound.
  std::string http_address() const;
  std::string node_id() const;

  struct Parts;

 private:
  explicit Node(std::unique_ptr<Parts> parts);
  std::unique_ptr<Parts> parts_;
};

}  // namespace pairdb::server
