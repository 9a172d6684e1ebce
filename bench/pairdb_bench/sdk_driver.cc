// ClosedLoop driver over the pairdb C++ SDK.
#include "pairdb_bench/sdk_driver.h"

#include <fmt/format.h>
#include <boost/asio/post.hpp>

#include "common/assert.h"

namespace pairdb::bench {

std::string record_key(uint64_t record) { return fmt::format("key:{:012}", record); }

SdkDriver::SdkDriver(SdkDriverOptions options) : options_(std::move(options)) {
  PAIRDB_ASSERT(options_.threads >= 1 && options_.clients >= 1 && !options_.hosts.empty());
  // One fixed value of pseudo-random printable bytes: every write sends the same size.
  uint64_t state = options_.seed;
  value_.resize(options_.value_size);
  for (char& c : value_) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    c = static_cast<char>('a' + (state >> 59) % 26);
  }
  for (size_t t = 0; t < options_.threads; ++t) {
    auto context = std::make_unique<Context>();
    context->work =
        std::make_unique<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>>(
            context->io.get_executor());
    Context* raw = context.get();
    context->thread = std::thread([raw] { raw->io.run(); });
    contexts_.push_back(std::move(context));
  }
  client::ClientOptions client_options;
  client_options.contact_points = options_.hosts;
  client_options.client_name = "pairdb-bench";
  client_options.connections_per_node = 1;
  client_options.in_flight_per_connection_max = static_cast<uint32_t>(options_.pipeline);
  client_options.request_timeout_ms = options_.request_timeout_ms;
  client_options.generate_idempotency_keys = options_.idempotency_keys;
  client_options.seed = options_.seed;
  for (size_t c = 0; c < options_.clients; ++c) {
    clients_.push_back(std::make_unique<client::AsyncClient>(
        contexts_[c % contexts_.size()]->io.get_executor(), client_options));
  }
  setup_ = std::make_unique<client::Client>(client_options);
}

SdkDriver::~SdkDriver() {
  clients_.clear();
  for (auto& context : contexts_) context->work.reset();
  for (auto& context : contexts_) {
    context->io.stop();
    context->thread.join();
  }
}

void SdkDriver::post(size_t thread, std::function<void()> fn) {
  boost::asio::post(contexts_[thread]->io, std::move(fn));
}

void SdkDriver::issue(size_t client_index, const Operation& op, Completion done) {
  client::AsyncClient& client = *clients_[client_index];
  auto finish = [this, done = std::move(done)](const auto& result) {
    if (result) return done(OpOutcome::kOk);
    {
      std::lock_guard lock(error_mu_);
      if (first_error_.empty()) first_error_ = result.error().to_string();
    }
    done(OpOutcome::kError);
  };
  if (op.kind == OpKind::kRead) {
    client.async_get({.table = options_.table,
                      .partition_key = record_key(op.record),
                      .consistency = options_.consistency},
                     [finish = std::move(finish)](client::Expected<client::GetResult> result) {
                       // A read of a loaded record must find it; a miss means lost data.
                       if (result && !result->found) {
                         return finish(client::Expected<client::GetResult>(client::Error{
                             client::Errc::kNotFound, "a loaded record was not found"}));
                       }
                       finish(result);
                     });
  } else {
    client.async_put({.table = options_.table,
                      .partition_key = record_key(op.record),
                      .value = value_,
                      .consistency = options_.consistency},
                     [finish = std::move(finish)](client::Expected<client::PutResult> result) {
                       finish(result);
                     });
  }
}

std::string SdkDriver::first_error() const {
  std::lock_guard lock(error_mu_);
  return first_error_;
}

}  // namespace pairdb::bench
