// 1,000 concurrent requests pipelined over one connection: the client queues what exceeds its
// in-flight cap, matches out-of-order responses by stream id, and every call gets its own value.
#include <atomic>
#include <future>
#include <mutex>

#include <boost/asio/io_context.hpp>

#include "client/sdk_test_util.h"

using namespace pairdb::client;
using namespace pairdb::client::test;
namespace asio = boost::asio;

namespace {

constexpr int kRequests = 1000;

// Starts kRequests calls at once and waits for them all; returns how many succeeded.
template <class Start>
int run_all(Start start) {
  std::mutex mutex;
  std::vector<std::string> failures;
  std::atomic<int> succeeded{0};
  std::atomic<int> completed{0};
  std::promise<void> all_done;
  for (int i = 0; i < kRequests; ++i) {
    start(i, [&, i](bool ok_, std::string why) {
      if (ok_) {
        ++succeeded;
      } else {
        std::lock_guard lock(mutex);
        failures.push_back(fmt::format("request {}: {}", i, why));
      }
      if (++completed == kRequests) all_done.set_value();
    });
  }
  auto done = all_done.get_future();
  REQUIRE(done.wait_for(std::chrono::seconds(60)) == std::future_status::ready);
  INFO((failures.empty() ? std::string() : failures.front()));
  CHECK(failures.empty());
  return succeeded.load();
}

}  // namespace

TEST_CASE("sdk: 1,000 concurrent requests on one connection all complete with their own values",
          "[sdk][e2e][pipelining]") {
  TempDir dir;
  auto node = start_node(dir.path() + "/data");
  ClientOptions options = options_for(*node);
  options.connections_per_node = 1;  // Everything shares one connection...
  // ...at the server's own per-connection limit (128), so most requests queue client-side...
  REQUIRE(options.in_flight_per_connection_max == 128);
  options.retries_max = 0;  // ...and one Overloaded answer (a request over the limit) fails.
  Client client(options);
  ok(client.create_table({.name = "kv"}));
  AsyncClient& async = client.async();

  const int puts = run_all([&](int i, auto done) {
    async.async_put({.table = "kv", .partition_key = fmt::format("key-{}", i),
                     .value = fmt::format("value-{}", i)},
                    [done](Expected<PutResult> r) { done(r.has_value(), r.describe()); });
  });
  CHECK(puts == kRequests);

  const int gets = run_all([&](int i, auto done) {
    async.async_get({.table = "kv", .partition_key = fmt::format("key-{}", i)},
                    [done, i](Expected<GetResult> r) {
                      if (!r) return done(false, r.describe());
                      const bool right = r->found && r->siblings.size() == 1 &&
                                         r->siblings[0].value == fmt::format("value-{}", i);
                      done(right, right ? "" : "wrong value");
                    });
  });
  CHECK(gets == kRequests);
}
