// Runs the real `pairdb` binary for end-to-end tests: a private data directory, ephemeral
// loopback ports (learned from the node's "ready" log line), stderr captured for diagnostics,
// and a kill -9 of the process in the destructor if the test did not stop it. Only processes
// this class started are ever signalled.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <pairdb/status.h>

#include "support/temp_dir.h"

namespace pairdb::test {

// Where and how one node runs. Every listener binds `host` (a loopback address: Linux routes
// all of 127/8 to lo, so node i of a cluster test can be 127.0.0.i).
struct PairdbProcessOptions {
  std::string host = "127.0.0.1";
  uint16_t gossip_port = 0;     // 0 = any free port (read back from the ready line).
  uint16_t internode_port = 0;  // Likewise.
  // Replicas of tables created without a spec: 1 so a single test node serves QUORUM.
  uint32_t default_replication_factor = 1;
  std::vector<std::string> extra_args;  // After the defaults, so they override them.
  uint32_t ready_timeout_ms = 30'000;
};

class PairdbProcess {
 public:
  // Starts `pairdb --data-dir DATA_DIR --listen 127.0.0.1:0 --http-listen 127.0.0.1:0
  // --gossip-listen 127.0.0.1:0 --internode-listen 127.0.0.1:0
  // --tables.default_replication_factor 1 <extra_args>` and waits (up to ready_timeout_ms) for
  // its ready line.
  static Result<std::unique_ptr<PairdbProcess>> start(const std::string& data_dir,
                                                      std::vector<std::string> extra_args = {},
                                                      uint32_t ready_timeout_ms = 30'000);
  static Result<std::unique_ptr<PairdbProcess>> start(const std::string& data_dir,
                                                      const PairdbProcessOptions& options);
  ~PairdbProcess();

  uint16_t binary_port() const { return binary_port_; }
  uint16_t http_port() const { return http_port_; }
  uint16_t internode_port() const { return internode_port_; }
  uint16_t gossip_port() const { return gossip_port_; }
  const std::string& host() const { return host_; }
  std::string gossip_address() const { return host_ + ":" + std::to_string(gossip_port_); }
  const std::string& node_id() const { return node_id_; }
  pid_t pid() const { return pid_; }

  void signal(int signal_number);
  // SIGSTOP, then waits until the kernel reports the whole process stopped. kill() returns once
  // the signal is queued, and the node's other threads keep running (and may answer a request)
  // until one of them takes the stop, so a test that needs the node frozen must wait for this.
  // False if the node exited or did not stop within timeout_ms.
  bool freeze(uint32_t timeout_ms = 10'000);
  void thaw() { signal(SIGCONT); }
  // The exit status (exit code, or 128 + signal) once the process ends within timeout_ms.
  std::optional<int> wait_exit(uint32_t timeout_ms);
  bool running();
  std::string stderr_text() const;  // Everything the node has logged so far.

 private:
  PairdbProcess() = default;
  void drain_stderr(int fd);
  void record_exit(int wait_status);  // From waitpid: exit code, or 128 + signal.

  pid_t pid_ = -1;
  std::optional<int> exit_status_;
  uint16_t binary_port_ = 0;
  uint16_t http_port_ = 0;
  uint16_t gossip_port_ = 0;
  uint16_t internode_port_ = 0;
  std::string host_;
  std::string node_id_;
  std::thread reader_;
  mutable std::mutex mutex_;
  std::string stderr_;  // GUARDED_BY(mutex_)
};

// The path of the pairdb binary under test (compiled in by CMake).
std::string pairdb_binary_path();

}  // namespace pairdb::test
