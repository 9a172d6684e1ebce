// HttpApi in process: Beast requests in, responses out, over the real StorageStack, with the
// coroutine run on a local io_context and the clock driven by hand. No sockets.
#include <catch2/catch.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>
#include <optional>
#include <string>

#include "server/http/http_api.h"
#include "server_test_util.h"

using namespace pairdb;
using namespace pairdb::server;
using namespace std::chrono_literals;
using pairdb::server::testing::self_member;
using pairdb::server::testing::Stack;
namespace asio = boost::asio;
namespace http = boost::beast::http;
namespace json = boost::json;

namespace {

struct Rig {
  Stack stack;
  replication::ClusterView view{self_member(stack.self)};
  std::unique_ptr<HttpApi> api;
  asio::io_context io;
  std::vector<std::string> observed_ops;

  Rig() {
    HttpApiDeps deps;
    deps.items = stack.items;
    deps.tables = stack.tables;
    deps.cluster = &view;
    deps.node_id = stack.self.to_string();
    deps.clock = &stack.clock;
    deps.observe = [this](std::string_view op, unsigned, uint64_t) {
      observed_ops.emplace_back(op);
    };
    api = std::make_unique<HttpApi>(std::move(deps));
  }

  net::HttpResponse call(http::verb verb, std::string target, std::string body = {},
                         std::string content_type = "application/json") {
    net::HttpRequest request(verb, target, 11);
    if (!body.empty()) request.set(http::field::content_type, content_type);
    request.body() = std::move(body);
    request.prepare_payload();
    std::optional<net::HttpResponse> answer;
    asio::co_spawn(io, api->handle(std::move(request)),
                   [&answer](std::exception_ptr error, net::HttpResponse response) {
                     REQUIRE_FALSE(error);
                     answer.emplace(std::move(response));
                   });
    io.restart();
    io.run();
    REQUIRE(answer.has_value());
    return std::move(*answer);
  }

  // The "code" of a JSON error body.
  static std::string error_code(const net::HttpResponse& response) {
    const json::value body = json::parse(response.body());
    return std::string(body.at("error").at("code").as_string());
  }
};

}  // namespace

TEST_CASE("HttpApi: a JSON item put is read back as it was written") {
  Rig rig;
  REQUIRE(rig.call(http::verb::put, "/v1/tables/users", "{}").result() == http::status::created);
  const auto put = rig.call(http::verb::put, "/v1/tables/users/items/alice", R"({"age":7})");
  REQUIRE(put.result() == http::status::ok);
  CHECK_FALSE(put["X-Pairdb-Context"].empty());
  const auto got = rig.call(http::verb::get, "/v1/tables/users/items/alice");
  REQUIRE(got.result() == http::status::ok);
  CHECK(json::parse(got.body()) == json::parse(R"({"age":7})"));
  CHECK(got[http::field::content_type] == "application/json");
  CHECK(rig.observed_ops == std::vector<std::string>{"create_table", "put", "get"});
}

TEST_CASE("HttpApi: an item with a TTL is served until its expiry and not after") {
  Rig rig;
  REQUIRE(rig.call(http::verb::put, "/v1/tables/sessions", "{}").result() == http::status::created);
  const uint64_t written_at = rig.stack.clock.wall_ms();
  REQUIRE(rig.call(http::verb::put, "/v1/tables/sessions/items/s1?ttl_ms=1000", R"("token")")
              .result() == http::status::ok);

  rig.stack.clock.advance(999ms);
  const auto fresh = rig.call(http::verb::get, "/v1/tables/sessions/items/s1");
  REQUIRE(fresh.result() == http::status::ok);
  CHECK(fresh["X-Pairdb-Expires-At-Ms"] == std::to_string(written_at + 1000));

  rig.stack.clock.advance(1ms);
  CHECK(rig.call(http::verb::get, "/v1/tables/sessions/items/s1").result() ==
        http::status::not_found);
}

TEST_CASE("HttpApi: a table created with sloppy_quorum off describes it so") {
  Rig rig;
  REQUIRE(rig.call(http::verb::put, "/v1/tables/strict", R"({"sloppy_quorum": false})").result() ==
          http::status::created);
  REQUIRE(rig.call(http::verb::put, "/v1/tables/sloppy", "{}").result() == http::status::created);
  const auto strict = rig.call(http::verb::get, "/v1/tables/strict");
  REQUIRE(strict.result() == http::status::ok);
  CHECK(json::parse(strict.body()).at("sloppy_quorum") == false);
  const auto sloppy = rig.call(http::verb::get, "/v1/tables/sloppy");
  REQUIRE(sloppy.result() == http::status::ok);
  CHECK(json::parse(sloppy.body()).at("sloppy_quorum") == true);
}

TEST_CASE("HttpApi answers bad requests with the status and code of the one error table") {
  Rig rig;
  REQUIRE(rig.call(http::verb::put, "/v1/tables/t", "{}").result() == http::status::created);

  const auto exists = rig.call(http::verb::put, "/v1/tables/t", "{}");
  CHECK(exists.result() == http::status::conflict);
  CHECK(Rig::error_code(exists) == "TableExists");

  const auto missing = rig.call(http::verb::get, "/v1/tables/nope/items/k");
  CHECK(missing.result() == http::status::not_found);
  CHECK(Rig::error_code(missing) == "TableNotFound");

  const auto broken = rig.call(http::verb::put, "/v1/tables/t/items/k", R"({"unterminated":)");
  CHECK(broken.result() == http::status::bad_request);
  CHECK(Rig::error_code(broken) == "InvalidArgument");
  CHECK(rig.call(http::verb::get, "/v1/tables/t/items/k").result() == http::status::not_found);

  const auto bad_context = rig.call(http::verb::get, "/v1/tables/t/items/k?consistency=SOME");
  CHECK(bad_context.result() == http::status::bad_request);

  CHECK(rig.call(http::verb::get, "/no/such/route").result() == http::status::not_found);
  CHECK(rig.call(http::verb::patch, "/v1/tables/t/items/k").result() ==
        http::status::method_not_allowed);
}

TEST_CASE("HttpApi serves health and the cluster view") {
  Rig rig;
  const auto health = rig.call(http::verb::get, "/health");
  REQUIRE(health.result() == http::status::ok);
  CHECK(json::parse(health.body()).at("node_id").as_string() == rig.stack.self.to_string());
  const auto status = rig.call(http::verb::get, "/v1/cluster/status");
  REQUIRE(status.result() == http::status::ok);
  CHECK(status.body().find(rig.stack.self.to_string()) != std::string::npos);
}
