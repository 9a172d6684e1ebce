// SdkDriver: ClosedLoop's Driver over the pairdb C++ SDK. Each simulated client is its own
// AsyncClient with one connection per node (so --concurrency C --pipeline P puts exactly P
// requests in flight on each of C connections, like redis-benchmark -c C -P P). Clients are
// spread round-robin over `threads` io_contexts, each run by one thread; a client's requests
// and completions stay on its thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <pairdb/client.h>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include "pairdb_bench/closed_loop.h"

namespace pairdb::bench {

struct SdkDriverOptions {
  std::vector<std::string> hosts;
  std::string table;
  size_t clients = 50;
  size_t pipeline = 1;
  size_t threads = 1;
  size_t value_size = 100;
  client::Consistency consistency = client::Consistency::kDefault;
  bool idempotency_keys = false;
  uint32_t request_timeout_ms = 10'000;
  uint64_t seed = 1;
};

// The key of record i: "key:" and 12 zero-padded digits, as redis-benchmark -r names its keys.
std::string record_key(uint64_t record);

class SdkDriver : public Driver {
 public:
  explicit SdkDriver(SdkDriverOptions options);
  ~SdkDriver() override;

  size_t threads() const override { return contexts_.size(); }
  void post(size_t thread, std::function<void()> fn) override;
  void issue(size_t client, const Operation& op, Completion done) override;

  // The first error any request completed with, for the report ("" if none).
  std::string first_error() const;

  // A blocking client for setup (creating the table) on the caller's thread.
  client::Client& setup_client() { return *setup_; }

 private:
  struct Context {
    boost::asio::io_context io{1};
    std::unique_ptr<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work;
    std::thread thread;
  };

  SdkDriverOptions options_;
  std::vector<std::unique_ptr<Context>> contexts_;
  std::vector<std::unique_ptr<client::AsyncClient>> clients_;
  std::unique_ptr<client::Client> setup_;
  std::string value_;
  mutable std::mutex error_mu_;
  std::string first_error_;  // GUARDED_BY(error_mu_)
};

}  // namespace pairdb::bench
