// pairdb_kv: a small key/value command-line program built on the pairdb C++ SDK.
//
//   pairdb_kv HOST:PORT create-table TABLE
//   pairdb_kv HOST:PORT put TABLE KEY VALUE
//   pairdb_kv HOST:PORT get TABLE KEY        (prints each sibling's value on its own line)
//   pairdb_kv HOST:PORT delete TABLE KEY
//   pairdb_kv HOST:PORT ping
//
// get reads with the blocking Client; put also shows the asynchronous API with a coroutine.
// Exit status: 0 on success, 1 when get finds nothing, 2 on usage errors, 3 on request errors.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <pairdb/client.h>

namespace asio = boost::asio;
using namespace pairdb::client;

namespace {

int usage() {
  std::fprintf(stderr,
               "usage: pairdb_kv HOST:PORT create-table TABLE | put TABLE KEY VALUE |"
               " get TABLE KEY | delete TABLE KEY | ping\n");
  return 2;
}

template <class T>
bool report(const Expected<T>& result) {
  if (result) return true;
  std::fprintf(stderr, "error: %s\n", result.error().to_string().c_str());
  return false;
}

// Writes with the asynchronous client from a coroutine, on an io_context of our own. Closing the
// client once the put is done lets io.run() return.
Expected<PutResult> put_async(ClientOptions options, PutRequest request) {
  asio::io_context io;
  auto client = std::make_unique<AsyncClient>(io.get_executor(), std::move(options));
  Expected<PutResult> outcome = Error{Errc::kInternal, "the put did not complete"};
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        outcome = co_await client->async_put(std::move(request), asio::use_awaitable);
        client.reset();
      },
      asio::detached);
  io.run();
  return outcome;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) return usage();
  std::vector<std::string> args(argv + 1, argv + argc);
  ClientOptions options;
  options.contact_points = {args[0]};
  options.client_name = "pairdb_kv";
  const std::string& command = args[1];

  if (command == "put" && args.size() == 5) {
    auto put = put_async(options, {.table = args[2], .partition_key = args[3], .value = args[4],
                                   .content_type = "text/plain"});
    return report(put) ? 0 : 3;
  }
  Client client(options);
  if (command == "create-table" && args.size() == 3) {
    return report(client.create_table({.name = args[2]}, /*if_not_exists=*/true)) ? 0 : 3;
  }
  if (command == "get" && args.size() == 4) {
    auto got = client.get({.table = args[2], .partition_key = args[3]});
    if (!report(got)) return 3;
    if (!got->found) return 1;
    for (const Sibling& sibling : got->siblings) std::printf("%s\n", sibling.value.c_str());
    return 0;
  }
  if (command == "delete" && args.size() == 4) {
    auto got = client.get({.table = args[2], .partition_key = args[3]});
    if (!report(got)) return 3;
    auto deleted =
        client.del({.table = args[2], .partition_key = args[3], .context = got->context});
    return report(deleted) ? 0 : 3;
  }
  if (command == "ping" && args.size() == 2) {
    auto pong = client.ping();
    if (!report(pong)) return 3;
    std::printf("%s up %llu ms\n", pong->node_id.c_str(),
                static_cast<unsigned long long>(pong->uptime_ms));
    return 0;
  }
  return usage();
}
