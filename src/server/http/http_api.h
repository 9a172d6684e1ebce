// pairdb's HTTP/JSON API: routes requests to the item and table services and renders their
// answers. Routes (all under the node's http_listen address):
//   PUT|GET|DELETE /v1/tables/{table}/items/{partition_key}[/{sort_key}]
//   GET /v1/tables/{table}/items/{partition_key}?from=&to=&limit=&page=   (query a partition)
//   GET /v1/tables, GET|PUT|DELETE /v1/tables/{table}
//   GET /api/v1/get?key=K, POST /api/v1/put {"key":..., "value":...}     (simple API)
//   GET /health, GET /metrics, GET /v1/cluster/status (every member as gossip sees it)
// Headers: X-Pairdb-Context (base64url causal context, in and out), Idempotency-Key.
// Parameters: consistency=ONE|QUORUM|..., ttl_ms=N (writes).
// Errors: {"error": {"code": "...", "message": "..."}} with the matching status code.
// Thread-safe: handle() may run concurrently on any io thread.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <functional>
#include <string>

#include "common/clock.h"
#include "net/http_server.h"
#include "replication/cluster_view.h"
#include "server/api/item_service.h"
#include "server/api/table_service.h"

namespace pairdb::server {

struct HttpApiDeps {
  ItemService* items = nullptr;
  TableService* tables = nullptr;
  replication::ClusterView* cluster = nullptr;  // Null: /v1/cluster/status answers 404.
  std::string default_table = "default";
  std::string node_id;
  uint32_t request_timeout_ms = 10'000;
  const Clock* clock = nullptr;  // Deadlines and latencies (monotonic); must outlive.
  std::function<std::string()> metrics_text;
  // Called once per request: operation name, HTTP status code, latency.
  std::function<void(std::string_view op, unsigned http_status, uint64_t micros)> observe;
};

class HttpApi {
 public:
  explicit HttpApi(HttpApiDeps deps);
  boost::asio::awaitable<net::HttpResponse> handle(net::HttpRequest request);

 private:
  struct Call;
  boost::asio::awaitable<net::HttpResponse> route(Call& call);
  boost::asio::awaitable<net::HttpResponse> item_route(Call& call);
  boost::asio::awaitable<net::HttpResponse> table_route(Call& call);
  boost::asio::awaitable<net::HttpResponse> simple_route(Call& call);
  boost::asio::awaitable<net::HttpResponse> simple_get(Call& call);
  boost::asio::awaitable<net::HttpResponse> simple_put(Call& call);
  boost::asio::awaitable<net::HttpResponse> put_item(Call& call, ItemKey key);
  boost::asio::awaitable<net::HttpResponse> get_item(Call& call, ItemKey key);
  boost::asio::awaitable<net::HttpResponse> write(Call& call, WriteCommand command);
  boost::asio::awaitable<net::HttpResponse> delete_item(Call& call, ItemKey key);
  boost::asio::awaitable<net::HttpResponse> query_items(Call& call, std::string table,
                                                        std::string partition_key);
  Instant deadline() const;

  const HttpApiDeps deps_;
};

}  // namespace pairdb::server
