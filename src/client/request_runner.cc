#include "client/request_runner.h"

#include <algorithm>
#include <utility>

#include <fmt/format.h>

#include "client/backoff.h"
#include "client/client_core.h"
#include "client/response_codec.h"
#include "common/assert.h"

namespace pairdb::client {

RequestRunner::RequestRunner(std::shared_ptr<ClientCore> core, CallSpec spec, uint64_t id)
    : core_(std::move(core)), spec_(std::move(spec)), id_(id) {
  PAIRDB_ASSERT(spec_.timeout_ms > 0);
  PAIRDB_ASSERT(spec_.encode != nullptr);
  PAIRDB_ASSERT(spec_.complete != nullptr);
}

void RequestRunner::start() {
  deadline_ = std::chrono::steady_clock::now() + std::chrono::milliseconds(spec_.timeout_ms);
  core_->watch_deadline(deadline_, id_);
  attempt();
}

uint32_t RequestRunner::remaining_ms() const {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline_ - std::chrono::steady_clock::now());
  return left.count() <= 0 ? 0 : static_cast<uint32_t>(left.count());
}

void RequestRunner::attempt() {
  if (done_) return;
  std::shared_ptr<Connection> connection = core_->connection_for(spec_, attempts_);
  const uint32_t number = ++attempts_;
  if (!connection) {
    retry_or_fail(Error{Errc::kConnection,
                        "no node is reachable (every candidate is in "
                        "reconnect backoff)"},
                  false);
    return;
  }
  // Leave the server a tenth of the time, so its Timeout answer arrives before our deadline.
  const uint32_t remaining = std::max<uint32_t>(remaining_ms(), 1);
  const uint32_t server_timeout_ms = std::max<uint32_t>(remaining - remaining / 10, 1);
  connection_ = connection;
  ticket_ = connection->submit(
      spec_.opcode, spec_.encode(server_timeout_ms),
      [self = shared_from_this(), number](Expected<net::Frame> response, bool sent) {
        self->on_response(number, std::move(response), sent);
      });
}

void RequestRunner::on_response(uint32_t attempt_number, Expected<net::Frame> response, bool sent) {
  if (done_ || attempt_number != attempts_) return;  // A superseded attempt.
  connection_.reset();
  ticket_ = 0;
  if (!response) {
    retry_or_fail(response.error(), sent);
    return;
  }
  if (response->header.is_error()) {
    Error error = decode_error_frame(*response);
    const RetryQuestion question{spec_.kind, spec_.has_idempotency_key, true};
    if (is_retryable(error.code, question)) {
      retry_or_fail(std::move(error), true);
      return;
    }
    core_->note_failure(error);
  }
  finish(std::move(response));
}

void RequestRunner::retry_or_fail(Error error, bool sent) {
  core_->note_failure(error);
  last_error_ = error.to_string();
  const RetryQuestion question{spec_.kind, spec_.has_idempotency_key, sent};
  if (!is_retryable(error.code, question) || attempts_ > core_->options().retries_max) {
    finish(std::move(error));
    return;
  }
  const BackoffPolicy policy{core_->options().retry_backoff_initial_ms,
                             core_->options().retry_backoff_max_ms};
  const uint32_t delay_ms = backoff_delay_ms(policy, attempts_ - 1, core_->rng());
  if (delay_ms >= remaining_ms()) {
    finish(std::move(error));  // The retry could not finish in time; report the real cause.
    return;
  }
  if (!backoff_timer_) backoff_timer_.emplace(core_->strand());
  backoff_timer_->expires_after(std::chrono::milliseconds(delay_ms));
  backoff_timer_->async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (!ec) self->attempt();
  });
}

void RequestRunner::on_deadline() {
  if (done_) return;
  std::string message = fmt::format("no answer within {} ms ({} attempt{})", spec_.timeout_ms,
                                    attempts_, attempts_ == 1 ? "" : "s");
  if (!last_error_.empty()) message += "; last error: " + last_error_;
  finish(Error{Errc::kTimeout, std::move(message)});
}

void RequestRunner::cancel(const Error& reason) {
  if (!done_) finish(reason);
}

void RequestRunner::finish(Expected<net::Frame> outcome) {
  PAIRDB_ASSERT(!done_);
  done_ = true;
  if (backoff_timer_) backoff_timer_->cancel();
  if (auto connection = connection_.lock()) connection->abandon(ticket_);
  connection_.reset();
  core_->forget(id_);
  auto complete = std::move(spec_.complete);
  spec_.complete = nullptr;
  complete(std::move(outcome));
}

}  // namespace pairdb::client
