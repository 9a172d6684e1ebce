#include "server/http/http_api.h"

#include <fmt/format.h>

#include <boost/json.hpp>
#include <charconv>
#include <chrono>

#include "common/assert.h"
#include "common/base64.h"
#include "common/utf8.h"
#include "server/api/await_reply.h"
#include "server/http/http_json.h"
#include "server/http/http_target.h"

namespace pairdb::server {

namespace asio = boost::asio;
namespace http = boost::beast::http;
namespace json = boost::json;
using net::HttpResponse;

struct HttpApi::Call {
  net::HttpRequest request;
  HttpTarget target;
  std::string op = "unknown";
  unsigned version() const { return request.version(); }
};

namespace {

// GET /v1/cluster/status: the members as this node's gossip sees them.
json::object cluster_status_json(const replication::ClusterSnapshot& cluster) {
  json::array nodes;
  std::string self_id;
  for (const replication::ClusterMember& m : cluster.members) {
    if (m.is_self) self_id = m.id.to_string();
    json::object node{{"node_id", m.id.to_string()},
                      {"gossip_address", m.gossip_addr},
                      {"state", gossip::node_status_name(m.status)},
                      {"liveness", gossip::liveness_name(m.liveness)},
                      {"incarnation", m.incarnation},
                      {"schema_version", fmt::format("{:016x}", m.schema_version)},
                      {"load_bytes", m.load_bytes}};
    if (m.meta != nullptr) {
      node["address"] = m.meta->client_addr;
      node["http_address"] = m.meta->http_addr;
      node["dc"] = m.meta->dc;
      node["rack"] = m.meta->rack;
      node["tokens"] = m.meta->tokens.size();
    }
    nodes.push_back(std::move(node));
  }
  return json::object{{"node_id", self_id},
                      {"ring_version", fmt::format("{:016x}", cluster.ring_version)},
                      {"nodes", std::move(nodes)}};
}

Result<uint64_t> parse_uint_param(const HttpTarget& target, std::string_view name,
                                  uint64_t fallback) {
  const std::string* text = target.param(name);
  if (text == nullptr) return fallback;
  uint64_t value = 0;
  auto [end, error] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (error != std::errc() || end != text->data() + text->size()) {
    return Status::invalid_argument(
        fmt::format("parameter '{}' must be an unsigned integer", name));
  }
  return value;
}

Result<replication::Consistency> consistency_param(const HttpTarget& target) {
  const std::string* text = target.param("consistency");
  if (text == nullptr) return replication::Consistency::kDefault;
  auto level = replication::parse_consistency(*text);
  if (!level) {
    return Status::invalid_argument(fmt::format("unknown consistency level '{}'", *text));
  }
  return *level;
}

Result<std::string> context_header(const net::HttpRequest& request) {
  auto field = request.find(kContextHeader);
  if (field == request.end()) return std::string();
  if (request.count(kContextHeader) > 1) {
    return Status::invalid_argument("more than one X-Pairdb-Context header");
  }
  auto decoded = base64url_decode(field->value());
  if (!decoded) return Status::invalid_argument("X-Pairdb-Context is not base64url");
  return std::move(*decoded);
}

// The methods each kind of resource answers (the Allow header of a 405).
constexpr std::string_view kReadMethods = "GET, HEAD";
constexpr std::string_view kItemMethods = "GET, HEAD, PUT, POST, DELETE";
constexpr std::string_view kTableMethods = "GET, HEAD, PUT, DELETE";
constexpr std::string_view kPostOnly = "POST";

bool is_read(http::verb method) { return method == http::verb::get || method == http::verb::head; }

HttpResponse method_not_allowed(const net::HttpRequest& request, std::string_view allow) {
  json::object error{
      {"code", "InvalidArgument"},
      {"message", printable_utf8(fmt::format("method {} is not allowed here; allowed: {}",
                                             std::string_view(request.method_string()), allow))}};
  HttpResponse response = json_response(http::status::method_not_allowed,
                                        json::object{{"error", error}}, request.version());
  response.set(http::field::allow, allow);
  return response;
}

// The query limit parameter: 0 (absent) means the page maximum.
Result<uint32_t> limit_param(const HttpTarget& target, uint32_t page_items_max) {
  PAIRDB_ASSIGN_OR_RETURN(uint64_t limit, parse_uint_param(target, "limit", 0));
  if (limit > page_items_max) {
    return Status::invalid_argument(
        fmt::format("query limit {} exceeds the page maximum of {}", limit, page_items_max));
  }
  return static_cast<uint32_t>(limit);
}

}  // namespace

HttpApi::HttpApi(HttpApiDeps deps) : deps_(std::move(deps)) {
  PAIRDB_ASSERT(deps_.items != nullptr && deps_.tables != nullptr && deps_.clock != nullptr);
}

Instant HttpApi::deadline() const {
  return deps_.clock->monotonic() + std::chrono::milliseconds(deps_.request_timeout_ms);
}

asio::awaitable<HttpResponse> HttpApi::handle(net::HttpRequest request) {
  const Instant started = deps_.clock->monotonic();
  Call call;
  call.request = std::move(request);
  HttpResponse response;
  auto target = parse_http_target(call.request.target());
  try {
    if (!target.is_ok()) {
      response = error_response(target.status(), call.version());
    } else {
      call.target = std::move(*target);
      response = co_await route(call);
    }
  } catch (const std::exception& error) {
    // A bug must not take the connection (or the node) down: answer 500 and log the cause.
    response = error_response(Status::io_error(fmt::format("internal error: {}", error.what())),
                              call.version());
  }
  if (deps_.observe) {
    const Duration took = deps_.clock->monotonic() - started;
    deps_.observe(call.op, static_cast<unsigned>(response.result()),
                  static_cast<uint64_t>(took.count()));
  }
  co_return response;
}

asio::awaitable<HttpResponse> HttpApi::route(Call& call) {
  const auto& segments = call.target.segments;
  const bool read = is_read(call.request.method());
  if (segments.size() == 1 && segments[0] == "health") {
    call.op = "health";
    if (!read) co_return method_not_allowed(call.request, kReadMethods);
    co_return json_response(http::status::ok,
                            json::object{{"status", "ok"}, {"node_id", deps_.node_id}},
                            call.version());
  }
  if (segments.size() == 1 && segments[0] == "metrics") {
    call.op = "metrics";
    if (!read) co_return method_not_allowed(call.request, kReadMethods);
    HttpResponse response(http::status::ok, call.version());
    response.set(http::field::content_type, "text/plain; version=0.0.4");
    response.body() = deps_.metrics_text ? deps_.metrics_text() : "";
    co_return response;
  }
  if (segments.size() == 3 && segments[0] == "v1" && segments[1] == "cluster" &&
      segments[2] == "status" && deps_.cluster != nullptr) {
    call.op = "cluster_status";
    if (!read) co_return method_not_allowed(call.request, kReadMethods);
    co_return json_response(http::status::ok, cluster_status_json(*deps_.cluster->snapshot()),
                            call.version());
  }
  if (segments.size() >= 2 && segments[0] == "v1" && segments[1] == "tables") {
    if (segments.size() >= 5 && segments[3] == "items") co_return co_await item_route(call);
    if (segments.size() <= 3) co_return co_await table_route(call);
  }
  if (segments.size() == 3 && segments[0] == "api" && segments[1] == "v1") {
    co_return co_await simple_route(call);
  }
  co_return error_response(Status::not_found(fmt::format("no such resource: {}",
                                                         std::string_view(call.request.target()))),
                           call.version());
}

asio::awaitable<HttpResponse> HttpApi::item_route(Call& call) {
  const auto& segments = call.target.segments;
  if (segments.size() > 6) {
    co_return error_response(Status::not_found("item paths are /items/{partition}[/{sort}]"),
                             call.version());
  }
  ItemKey key{segments[2], segments[4], segments.size() == 6 ? segments[5] : std::string()};
  switch (call.request.method()) {
    case http::verb::put:
    case http::verb::post:
      co_return co_await put_item(call, std::move(key));
    case http::verb::delete_:
      co_return co_await delete_item(call, std::move(key));
    case http::verb::get:
    case http::verb::head: {
      const bool is_query =
          segments.size() == 5 &&
          (call.target.param("from") || call.target.param("to") || call.target.param("limit") ||
           call.target.param("page") || call.target.param("query"));
      if (is_query) {
        co_return co_await query_items(call, std::move(key.table), std::move(key.partition_key));
      }
      co_return co_await get_item(call, std::move(key));
    }
    default:
      co_return method_not_allowed(call.request, kItemMethods);
  }
}

asio::awaitable<HttpResponse> HttpApi::put_item(Call& call, ItemKey key) {
  call.op = "put";
  WriteCommand command;
  command.key = std::move(key);
  auto content_type = call.request.find(http::field::content_type);
  command.content_type = content_type == call.request.end()
                             ? std::string("application/octet-stream")
                             : std::string(content_type->value());
  command.value = std::move(call.request.body());
  if (is_json_content_type(command.content_type)) {
    boost::system::error_code ec;
    json::parse(command.value, ec);
    if (ec) {
      co_return error_response(
          Status::invalid_argument(fmt::format("malformed JSON body: {}", ec.message())),
          call.version());
    }
  }
  auto context = context_header(call.request);
  auto consistency = consistency_param(call.target);
  auto ttl = parse_uint_param(call.target, "ttl_ms", 0);
  if (!context.is_ok() || !consistency.is_ok() || !ttl.is_ok()) {
    const Status bad = !context.is_ok()       ? context.status()
                       : !consistency.is_ok() ? consistency.status()
                                              : ttl.status();
    co_return error_response(bad, call.version());
  }
  command.context = std::move(*context);
  command.consistency = *consistency;
  if (call.target.param("ttl_ms")) command.ttl_ms = *ttl;
  co_return co_await write(call, std::move(command));
}

// Runs a Put or Delete (with the request's Idempotency-Key) and answers its context.
asio::awaitable<HttpResponse> HttpApi::write(Call& call, WriteCommand command) {
  if (auto idempotency = call.request.find("Idempotency-Key"); idempotency != call.request.end()) {
    command.idempotency_key = std::string(idempotency->value());
  }
  auto reply = co_await await_reply<WriteReply>([&](Reply<WriteReply> done) {
    deps_.items->write(std::move(command), deadline(), std::move(done));
  });
  if (!reply.is_ok()) co_return error_response(reply.status(), call.version());
  const std::string context_text = base64url_encode(reply->context);
  HttpResponse response = json_response(
      http::status::ok, json::object{{"context", context_text}, {"duplicate", reply->duplicate}},
      call.version());
  response.set(kContextHeader, context_text);
  co_return response;
}

asio::awaitable<HttpResponse> HttpApi::delete_item(Call& call, ItemKey key) {
  call.op = "delete";
  WriteCommand command;
  command.key = std::move(key);
  command.tombstone = true;
  auto context = context_header(call.request);
  auto consistency = consistency_param(call.target);
  if (!context.is_ok()) co_return error_response(context.status(), call.version());
  if (!consistency.is_ok()) co_return error_response(consistency.status(), call.version());
  command.context = std::move(*context);
  command.consistency = *consistency;
  co_return co_await write(call, std::move(command));
}

asio::awaitable<HttpResponse> HttpApi::get_item(Call& call, ItemKey key) {
  call.op = "get";
  auto consistency = consistency_param(call.target);
  if (!consistency.is_ok()) co_return error_response(consistency.status(), call.version());
  ReadCommand command{std::move(key), *consistency};
  auto reply = co_await await_reply<ItemReply>([&](Reply<ItemReply> done) {
    deps_.items->read(std::move(command), deadline(), std::move(done));
  });
  if (!reply.is_ok()) co_return error_response(reply.status(), call.version());
  const std::string context_text = base64url_encode(reply->context);
  HttpResponse response;
  if (!reply->found) {
    response = error_response(Status::not_found("no such item"), call.version());
  } else if (reply->siblings.size() == 1) {
    const auto& sibling = reply->siblings.front();
    response = HttpResponse(http::status::ok, call.version());
    response.set(http::field::content_type, sibling.content_type);
    response.set("X-Pairdb-Timestamp", std::to_string(sibling.timestamp.value));
    if (sibling.expires_at_ms != 0) {
      response.set("X-Pairdb-Expires-At-Ms", std::to_string(sibling.expires_at_ms));
    }
    response.body() = sibling.value;
  } else {
    RawJsonSlots raw;
    json::array siblings;
    for (const auto& sibling : reply->siblings) {
      json::object entry;
      put_sibling(entry, sibling, raw);
      siblings.push_back(std::move(entry));
    }
    response =
        json_response(http::status::multiple_choices,
                      json::object{{"siblings", std::move(siblings)}, {"context", context_text}},
                      call.version(), &raw);
  }
  response.set(kContextHeader, context_text);
  co_return response;
}

asio::awaitable<HttpResponse> HttpApi::query_items(Call& call, std::string table,
                                                   std::string partition_key) {
  call.op = "query";
  QueryCommand command;
  command.table = std::move(table);
  command.partition_key = std::move(partition_key);
  if (const std::string* from = call.target.param("from")) command.from_sort_key = *from;
  if (const std::string* to = call.target.param("to")) command.to_sort_key = *to;
  auto limit = limit_param(call.target, deps_.items->limits().query_page_items_max);
  auto consistency = consistency_param(call.target);
  if (!limit.is_ok()) co_return error_response(limit.status(), call.version());
  if (!consistency.is_ok()) co_return error_response(consistency.status(), call.version());
  command.limit = *limit;
  command.consistency = *consistency;
  if (const std::string* page = call.target.param("page"); page && !page->empty()) {
    auto token = base64url_decode(*page);
    if (!token) {
      co_return error_response(Status::invalid_argument("malformed page token"), call.version());
    }
    command.page_token = std::move(*token);
  }
  auto reply = co_await await_reply<QueryReply>([&](Reply<QueryReply> done) {
    deps_.items->query(std::move(command), deadline(), std::move(done));
  });
  if (!reply.is_ok()) co_return error_response(reply.status(), call.version());
  RawJsonSlots raw;
  json::array items;
  for (const auto& item : reply->items) {
    json::object entry;
    put_bytes(entry, "sort_key", item.sort_key);
    if (item.siblings.size() == 1) {
      put_sibling(entry, item.siblings.front(), raw);
    } else {
      json::array siblings;
      for (const auto& sibling : item.siblings) {
        json::object one;
        put_sibling(one, sibling, raw);
        siblings.push_back(std::move(one));
      }
      entry["siblings"] = std::move(siblings);
    }
    entry["context"] = base64url_encode(item.context);
    items.push_back(std::move(entry));
  }
  json::object body{{"items", std::move(items)}};
  if (!reply->next_page_token.empty()) body["next_page"] = base64url_encode(reply->next_page_token);
  co_return json_response(http::status::ok, body, call.version(), &raw);
}

asio::awaitable<HttpResponse> HttpApi::table_route(Call& call) {
  const auto& segments = call.target.segments;
  const auto method = call.request.method();
  if (segments.size() == 2) {
    if (!is_read(method)) co_return method_not_allowed(call.request, kReadMethods);
    call.op = "list_tables";
    auto reply = co_await await_reply<std::vector<replication::TableInfo>>(
        [&](Reply<std::vector<replication::TableInfo>> done) {
          deps_.tables->list(std::move(done));
        });
    if (!reply.is_ok()) co_return error_response(reply.status(), call.version());
    json::array tables;
    for (const auto& info : *reply) tables.push_back(table_info_to_json(info));
    co_return json_response(http::status::ok, json::object{{"tables", std::move(tables)}},
                            call.version());
  }
  std::string name = segments[2];
  Result<replication::TableInfo> reply = Status::invalid_argument("unreachable");
  http::status success = http::status::ok;
  if (is_read(method)) {
    call.op = "describe_table";
    reply = co_await await_reply<replication::TableInfo>([&](Reply<replication::TableInfo> done) {
      deps_.tables->describe(std::move(name), std::move(done));
    });
  } else if (method == http::verb::put) {
    call.op = "create_table";
    auto command = table_command_from_json(std::move(name), call.request.body());
    if (!command.is_ok()) co_return error_response(command.status(), call.version());
    command->if_not_exists = call.target.param("if_not_exists") != nullptr;
    success = http::status::created;
    if (command->if_not_exists) {
      // An existing table is 200, not 201. Two creators racing past this look-up both get 201
      // and the same table.
      auto existing =
          co_await await_reply<replication::TableInfo>([&](Reply<replication::TableInfo> done) {
            deps_.tables->describe(command->name, std::move(done));
          });
      if (existing.is_ok())
        co_return json_response(http::status::ok, table_info_to_json(*existing), call.version());
    }
    reply = co_await await_reply<replication::TableInfo>([&](Reply<replication::TableInfo> done) {
      deps_.tables->create(std::move(*command), std::move(done));
    });
  } else if (method == http::verb::delete_) {
    call.op = "drop_table";
    const bool if_exists = call.target.param("if_exists") != nullptr;
    reply = co_await await_reply<replication::TableInfo>([&](Reply<replication::TableInfo> done) {
      deps_.tables->drop(std::move(name), if_exists, std::move(done));
    });
  } else {
    co_return method_not_allowed(call.request, kTableMethods);
  }
  if (!reply.is_ok()) co_return error_response(reply.status(), call.version());
  co_return json_response(success, table_info_to_json(*reply), call.version());
}

asio::awaitable<HttpResponse> HttpApi::simple_route(Call& call) {
  const std::string& action = call.target.segments[2];
  if (action == "get") {
    if (!is_read(call.request.method())) co_return method_not_allowed(call.request, kReadMethods);
    co_return co_await simple_get(call);
  }
  if (action == "put") {
    if (call.request.method() != http::verb::post) {
      co_return method_not_allowed(call.request, kPostOnly);
    }
    co_return co_await simple_put(call);
  }
  co_return error_response(Status::not_found("the simple API has GET /api/v1/get and "
                                             "POST /api/v1/put"),
                           call.version());
}

asio::awaitable<HttpResponse> HttpApi::simple_get(Call& call) {
  call.op = "simple_get";
  const std::string* key = call.target.param("key");
  if (key == nullptr) {
    co_return error_response(Status::invalid_argument("missing ?key="), call.version());
  }
  auto consistency = consistency_param(call.target);
  if (!consistency.is_ok()) co_return error_response(consistency.status(), call.version());
  ReadCommand command{ItemKey{deps_.default_table, *key, {}}, *consistency};
  auto reply = co_await await_reply<ItemReply>([&](Reply<ItemReply> done) {
    deps_.items->read(std::move(command), deadline(), std::move(done));
  });
  if (!reply.is_ok()) co_return error_response(reply.status(), call.version());
  if (!reply->found) co_return error_response(Status::not_found("no such key"), call.version());
  RawJsonSlots raw;
  json::object body;
  put_bytes(body, "key", *key);
  put_sibling(body, reply->siblings.back(), raw);
  body.erase("content_type");
  body.erase("timestamp");
  co_return json_response(http::status::ok, body, call.version(), &raw);
}

asio::awaitable<HttpResponse> HttpApi::simple_put(Call& call) {
  call.op = "simple_put";
  const std::string& text = call.request.body();
  boost::system::error_code ec;
  json::value parsed = json::parse(text, ec);
  const json::object* object = ec ? nullptr : parsed.if_object();
  if (object == nullptr) {
    co_return error_response(
        Status::invalid_argument(ec ? fmt::format("malformed JSON body: {}", ec.message())
                                    : "body must be a JSON object {\"key\": ..., \"value\": ...}"),
        call.version());
  }
  const json::value* key = object->if_contains("key");
  auto value_text = top_level_member_text(text, "value");
  if (!value_text.is_ok()) co_return error_response(value_text.status(), call.version());
  if (key == nullptr || !key->is_string() || value_text->empty()) {
    co_return error_response(
        Status::invalid_argument("body needs a string \"key\" and a \"value\""), call.version());
  }
  WriteCommand command;
  command.key = ItemKey{deps_.default_table, std::string(key->as_string()), {}};
  // The value's JSON text as sent: parsing and re-serialising would respell numbers.
  command.value = std::string(*value_text);
  command.content_type = std::string(kJsonContentType);
  auto reply = co_await await_reply<WriteReply>([&](Reply<WriteReply> done) {
    deps_.items->write(std::move(command), deadline(), std::move(done));
  });
  if (!reply.is_ok()) co_return error_response(reply.status(), call.version());
  co_return json_response(http::status::ok, json::object{{"ok", true}}, call.version());
}

}  // namespace pairdb::server
