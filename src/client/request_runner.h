// RequestRunner: drives one logical call to completion: picks a node, sends, and on a
// retryable failure backs off and tries again (the next candidate node first), all within the
// call's deadline. When the deadline passes first, the call completes with kTimeout and the
// in-flight attempt is abandoned, so its late response is discarded.
//
// Threads: all methods on the core's strand.
// Invariants: spec.complete runs exactly once; attempts_ <= 1 + retries_max; no attempt starts
// after done_.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/steady_timer.hpp>

#include "client/call_spec.h"
#include "client/connection.h"

namespace pairdb::client {

namespace detail {
class ClientCore;
}  // namespace detail
using detail::ClientCore;

class RequestRunner : public std::enable_shared_from_this<RequestRunner> {
 public:
  RequestRunner(std::shared_ptr<ClientCore> core, CallSpec spec, uint64_t id);

  void start();
  // Completes the call with `reason` now (client shutdown).
  void cancel(const Error& reason);
  uint64_t id() const { return id_; }
  // The call's deadline passed (ClientCore's shared deadline timer).
  void on_deadline();

 private:
  void attempt();
  void on_response(uint32_t attempt_number, Expected<net::Frame> response, bool sent);
  void retry_or_fail(Error error, bool sent);
  void finish(Expected<net::Frame> outcome);
  uint32_t remaining_ms() const;

  std::shared_ptr<ClientCore> core_;
  CallSpec spec_;
  const uint64_t id_;
  std::optional<boost::asio::steady_timer> backoff_timer_;  // Made for the first retry.
  std::chrono::steady_clock::time_point deadline_;
  uint32_t attempts_ = 0;
  std::weak_ptr<Connection> connection_;  // Carries the current attempt, if any.
  uint64_t ticket_ = 0;
  std::string last_error_;  // Describes the last failed attempt, for the timeout message.
  bool done_ = false;
};

}  // namespace pairdb::client
