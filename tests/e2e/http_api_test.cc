// End-to-end tests of the HTTP/JSON API against the real pairdb binary on loopback.
#include <catch2/catch.hpp>

#include <fmt/format.h>
#include <boost/json.hpp>
#include <chrono>
#include <thread>

#include "support/e2e_http.h"

namespace json = boost::json;
using namespace pairdb::test;

namespace {

void create_table(const PairdbProcess& node, const std::string& name, const std::string& spec) {
  const HttpReply reply =
      call(node, "PUT", "/v1/tables/" + name, spec, {{"Content-Type", "application/json"}});
  INFO(reply.body);
  REQUIRE(reply.status == 201);
}

const pairdb::test::HttpHeaders kJson = {{"Content-Type", "application/json"}};

}  // namespace

TEST_CASE("health, metrics and the default table answer on a fresh node", "[e2e][http]") {
  TempDir dir;
  auto node = start_node(dir);
  const HttpReply health = call(*node, "GET", "/health");
  CHECK(health.status == 200);
  CHECK(parse(health).at("status").as_string() == "ok");

  const HttpReply tables = call(*node, "GET", "/v1/tables");
  REQUIRE(tables.status == 200);
  const auto tables_json = parse(tables);
  const auto& list = tables_json.at("tables").as_array();
  REQUIRE(list.size() == 1);
  CHECK(list[0].at("name").as_string() == "default");
  CHECK(list[0].at("conflict_mode").as_string() == "lww");

  call(*node, "GET", "/health");
  const HttpReply metrics = call(*node, "GET", "/metrics");
  CHECK(metrics.status == 200);
  CHECK(metrics.body.find("pairdb_requests_total{") != std::string::npos);
  CHECK(metrics.body.find("pairdb_request_duration_seconds_bucket{") != std::string::npos);
  CHECK(metrics.body.find("pairdb_lsm_") != std::string::npos);
}

TEST_CASE("tables are created, described, listed and dropped over HTTP", "[e2e][http]") {
  TempDir dir;
  auto node = start_node(dir);
  create_table(*node, "users", R"({"conflict_mode": "lww", "replication": {"dc1": 3},
                                   "default_ttl_ms": 0, "owner": "team-a"})");
  const HttpReply again = call(*node, "PUT", "/v1/tables/users", "{}", kJson);
  CHECK(again.status == 409);
  CHECK(error_code(again) == "TableExists");

  const HttpReply described = call(*node, "GET", "/v1/tables/users");
  REQUIRE(described.status == 200);
  const auto table = parse(described);
  CHECK(table.at("conflict_mode").as_string() == "lww");
  CHECK(table.at("owner").as_string() == "team-a");
  CHECK(table.at("replication").at("dc1").as_int64() == 3);

  const HttpReply bad_spec = call(*node, "PUT", "/v1/tables/bad", R"({"conflict_mode": 7})", kJson);
  CHECK(bad_spec.status == 400);
  const HttpReply bad_name = call(*node, "PUT", "/v1/tables/no%20spaces", "{}", kJson);
  CHECK(bad_name.status == 400);

  // Three replicas wanted, one node on the ring: QUORUM cannot be met, and the error says how
  // to fix it; ONE can.
  const HttpReply short_of_quorum =
      call(*node, "PUT", "/v1/tables/users/items/alice", R"({"age": 30})", kJson);
  CHECK(short_of_quorum.status == 503);
  CHECK(error_code(short_of_quorum) == "Unavailable");
  CHECK(short_of_quorum.body.find("smaller replication factor") != std::string::npos);
  REQUIRE(
      call(*node, "PUT", "/v1/tables/users/items/alice?consistency=ONE", R"({"age": 30})", kJson)
          .status == 200);
  CHECK(call(*node, "GET", "/v1/tables/users/items/alice?consistency=ONE").status == 200);
  CHECK(call(*node, "DELETE", "/v1/tables/users").status == 200);
  const HttpReply gone = call(*node, "GET", "/v1/tables/users");
  CHECK(gone.status == 404);
  CHECK(error_code(gone) == "TableNotFound");
  const HttpReply item = call(*node, "GET", "/v1/tables/users/items/alice");
  CHECK(item.status == 404);
  CHECK(error_code(item) == "TableNotFound");

  // A table recreated under the same name starts empty: the old data is unreachable.
  create_table(*node, "users", "{}");
  CHECK(call(*node, "GET", "/v1/tables/users/items/alice").status == 404);
  CHECK(error_code(call(*node, "GET", "/v1/tables/users/items/alice")) == "NotFound");
}

TEST_CASE("items round-trip with JSON and binary content types", "[e2e][http]") {
  TempDir dir;
  auto node = start_node(dir);
  create_table(*node, "docs", "{}");
  const std::string json_body = R"({"name":"Ada","tags":["x","y"],"n":1})";
  const HttpReply put = call(*node, "PUT", "/v1/tables/docs/items/ada", json_body, kJson);
  REQUIRE(put.status == 200);
  CHECK_FALSE(put.header("x-pairdb-context").empty());

  const HttpReply get = call(*node, "GET", "/v1/tables/docs/items/ada");
  REQUIRE(get.status == 200);
  CHECK(get.header("content-type") == "application/json");
  CHECK(json::parse(get.body) == json::parse(json_body));

  const std::string binary("\x00\x01\xff\xfe", 4);
  REQUIRE(call(*node, "PUT", "/v1/tables/docs/items/blob/part%2F1", binary,
               {{"Content-Type", "application/octet-stream"}})
              .status == 200);
  const HttpReply blob = call(*node, "GET", "/v1/tables/docs/items/blob/part%2F1");
  REQUIRE(blob.status == 200);
  CHECK(blob.body == binary);
  CHECK(blob.header("content-type") == "application/octet-stream");

  const HttpReply bad = call(*node, "PUT", "/v1/tables/docs/items/ada", "{not json", kJson);
  CHECK(bad.status == 400);
  CHECK(error_code(bad) == "InvalidArgument");

  const HttpReply deleted = call(*node, "DELETE", "/v1/tables/docs/items/ada", "",
                                 {{"X-Pairdb-Context", get.header("x-pairdb-context")}});
  CHECK(deleted.status == 200);
  CHECK(call(*node, "GET", "/v1/tables/docs/items/ada").status == 404);
}

TEST_CASE("concurrent writes become siblings and a write with the merged context resolves them",
          "[e2e][http]") {
  TempDir dir;
  auto node = start_node(dir);
  create_table(*node, "carts", R"({"conflict_mode": "siblings"})");
  REQUIRE(call(*node, "PUT", "/v1/tables/carts/items/u1", R"(["apple"])", kJson).status == 200);
  // A second blind write (no context) is concurrent with the first.
  REQUIRE(call(*node, "PUT", "/v1/tables/carts/items/u1", R"(["pear"])", kJson).status == 200);

  const HttpReply conflict = call(*node, "GET", "/v1/tables/carts/items/u1");
  REQUIRE(conflict.status == 300);
  const auto body = parse(conflict);
  REQUIRE(body.at("siblings").as_array().size() == 2);
  const std::string context = std::string(body.at("context").as_string());
  CHECK(conflict.header("x-pairdb-context") == context);

  REQUIRE(call(*node, "PUT", "/v1/tables/carts/items/u1", R"(["apple","pear"])",
               {{"Content-Type", "application/json"}, {"X-Pairdb-Context", context}})
              .status == 200);
  const HttpReply resolved = call(*node, "GET", "/v1/tables/carts/items/u1");
  REQUIRE(resolved.status == 200);
  CHECK(json::parse(resolved.body) == json::parse(R"(["apple","pear"])"));
}

TEST_CASE("lww tables keep the newest write", "[e2e][http]") {
  TempDir dir;
  auto node = start_node(dir);
  create_table(*node, "latest", R"({"conflict_mode": "lww"})");
  for (int i = 0; i < 5; ++i) {
    REQUIRE(call(*node, "PUT", "/v1/tables/latest/items/k", std::to_string(i), kJson).status ==
            200);
  }
  const HttpReply get = call(*node, "GET", "/v1/tables/latest/items/k");
  REQUIRE(get.status == 200);
  CHECK(get.body == "4");
}

TEST_CASE("an idempotent retry returns the first result and creates no new version",
          "[e2e][http]") {
  TempDir dir;
  auto node = start_node(dir);
  create_table(*node, "orders", "{}");
  const pairdb::test::HttpHeaders headers = {{"Content-Type", "application/json"},
                                             {"Idempotency-Key", "order-42-attempt"}};
  const HttpReply first =
      call(*node, "PUT", "/v1/tables/orders/items/o42", R"({"total":10})", headers);
  REQUIRE(first.status == 200);
  CHECK(parse(first).at("duplicate").as_bool() == false);
  const HttpReply retry =
      call(*node, "PUT", "/v1/tables/orders/items/o42", R"({"total":10})", headers);
  REQUIRE(retry.status == 200);
  CHECK(parse(retry).at("duplicate").as_bool() == true);
  CHECK(retry.header("x-pairdb-context") == first.header("x-pairdb-context"));
  // Without the key, the same blind write would have made a sibling; with it there is one value.
  const HttpReply get = call(*node, "GET", "/v1/tables/orders/items/o42");
  CHECK(get.status == 200);
}

TEST_CASE("items written with a TTL read as absent once it passes", "[e2e][http]") {
  TempDir dir;
  auto node = start_node(dir);
  create_table(*node, "sessions", "{}");
  // Each side of the expiry is asserted against the wall clock, not guessed: the node stamps
  // the expiry between `put_started` and the PUT's answer, so a GET answered before
  // put_started + ttl must find the item, and the expiry it reports lies in that window.
  constexpr uint64_t kTtlMs = 1000;
  const auto wall_ms = [] {
    return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count());
  };
  const uint64_t put_started = wall_ms();
  REQUIRE(call(*node, "PUT", fmt::format("/v1/tables/sessions/items/s1?ttl_ms={}", kTtlMs),
               R"("token")", kJson)
              .status == 200);
  const uint64_t put_answered = wall_ms();
  REQUIRE(call(*node, "PUT", "/v1/tables/sessions/items/s2", R"("keep")", kJson).status == 200);
  const HttpReply fresh = call(*node, "GET", "/v1/tables/sessions/items/s1");
  const uint64_t get_answered = wall_ms();
  if (get_answered < put_started + kTtlMs) {
    REQUIRE(fresh.status == 200);
    const uint64_t expires_at = std::stoull(fresh.header("x-pairdb-expires-at-ms"));
    CHECK(expires_at >= put_started + kTtlMs);
    CHECK(expires_at <= put_answered + kTtlMs);
  }
  int status = 200;
  poll_until(std::chrono::seconds(10), [&] {
    status = call(*node, "GET", "/v1/tables/sessions/items/s1").status;
    return status == 404;
  });
  CHECK(status == 404);
  CHECK(call(*node, "GET", "/v1/tables/sessions/items/s2").status == 200);
}

TEST_CASE("a partition pages in sort-key order over HTTP, skipping deleted items", "[e2e][http]") {
  TempDir dir;
  auto node = start_node(dir, {"--storage.wal_sync", "none"});
  create_table(*node, "events", "{}");
  // The 10,000-item paging test runs over the binary protocol (pipelined loads are faster);
  // this one checks the HTTP rendering of the same pages.
  constexpr int kItems = 2'500;
  for (int i = 0; i < kItems; ++i) {
    const std::string sort_key = fmt::format("{:06}", i);
    REQUIRE(
        call(*node, "PUT", "/v1/tables/events/items/stream/" + sort_key, std::to_string(i), kJson)
            .status == 200);
  }
  // Deleted items are skipped by queries.
  const HttpReply fifth = call(*node, "GET", "/v1/tables/events/items/stream/000005");
  REQUIRE(call(*node, "DELETE", "/v1/tables/events/items/stream/000005", "",
               {{"X-Pairdb-Context", fifth.header("x-pairdb-context")}})
              .status == 200);

  std::vector<std::string> seen;
  std::string page;
  int pages = 0;
  do {
    std::string target = "/v1/tables/events/items/stream?limit=250";
    if (!page.empty()) target += "&page=" + page;
    const HttpReply reply = call(*node, "GET", target);
    REQUIRE(reply.status == 200);
    const auto body = parse(reply);
    for (const auto& item : body.at("items").as_array()) {
      seen.emplace_back(item.at("sort_key").as_string());
    }
    page = body.as_object().contains("next_page") ? std::string(body.at("next_page").as_string())
                                                  : std::string();
    REQUIRE(++pages <= 20);
  } while (!page.empty());
  REQUIRE(seen.size() == kItems - 1);
  CHECK(std::is_sorted(seen.begin(), seen.end()));
  CHECK(std::find(seen.begin(), seen.end(), "000005") == seen.end());

  const HttpReply range =
      call(*node, "GET", "/v1/tables/events/items/stream?from=000100&to=000109");
  REQUIRE(range.status == 200);
  const auto range_json = parse(range);
  const auto& items = range_json.at("items").as_array();
  REQUIRE(items.size() == 10);
  CHECK(items.front().at("sort_key").as_string() == "000100");
  CHECK(items.back().at("sort_key").as_string() == "000109");

  const HttpReply too_big = call(*node, "GET", "/v1/tables/events/items/stream?limit=5000");
  CHECK(too_big.status == 400);  // The limit is in the message (not a payload: no 413).
  const HttpReply bad_token = call(*node, "GET", "/v1/tables/events/items/stream?page=AAAA");
  CHECK(bad_token.status == 400);
}

TEST_CASE("the simple API stores JSON values on the default table", "[e2e][http]") {
  TempDir dir;
  auto node = start_node(dir);
  REQUIRE(call(*node, "POST", "/api/v1/put", R"({"key": "greeting", "value": "hello"})", kJson)
              .status == 200);
  REQUIRE(
      call(*node, "POST", "/api/v1/put", R"({"key": "list", "value": [1, 2, 3]})", kJson).status ==
      200);
  REQUIRE(
      call(*node, "POST", "/api/v1/put", R"({"key": "obj", "value": {"a": {"b": true}}})", kJson)
          .status == 200);
  CHECK(parse(call(*node, "GET", "/api/v1/get?key=greeting")).at("value") == json::value("hello"));
  CHECK(parse(call(*node, "GET", "/api/v1/get?key=list")).at("value") == json::parse("[1,2,3]"));
  CHECK(parse(call(*node, "GET", "/api/v1/get?key=obj")).at("value") ==
        json::parse(R"({"a": {"b": true}})"));
  const HttpReply missing = call(*node, "GET", "/api/v1/get?key=nope");
  CHECK(missing.status == 404);
  CHECK(error_code(missing) == "NotFound");
  CHECK(call(*node, "POST", "/api/v1/put", R"({"value": 1})", kJson).status == 400);
  CHECK(call(*node, "POST", "/api/v1/put", "[1,", kJson).status == 400);
}

TEST_CASE("limits are enforced with clear errors", "[e2e][http]") {
  TempDir dir;
  auto node = start_node(dir);
  create_table(*node, "limits", "{}");
  const std::string big_key(1025, 'k');
  const HttpReply long_key = call(*node, "PUT", "/v1/tables/limits/items/" + big_key, "1", kJson);
  CHECK(long_key.status == 400);  // A key is not a payload.
  CHECK(error_code(long_key) == "InvalidArgument");
  const std::string big_value(1024 * 1024 + 1, 'v');
  const HttpReply long_value =
      call(*node, "PUT", "/v1/tables/limits/items/k", big_value, {{"Content-Type", "text/plain"}});
  CHECK(long_value.status == 413);
  const HttpReply bad_escape = call(*node, "GET", "/v1/tables/limits/items/%zz");
  CHECK(bad_escape.status == 400);
  const HttpReply bad_level = call(*node, "GET", "/v1/tables/limits/items/k?consistency=SOME");
  CHECK(bad_level.status == 400);
  CHECK(call(*node, "GET", "/v1/tables/limits/items/k?consistency=quorum").status == 404);
}
