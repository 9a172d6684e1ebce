// The defects of the hostile-input report (issue "Hostile input"), each replayed against the real
// pairdb binary with hand-made bytes, as the report's probe sent them.
#include <catch2/catch.hpp>

#include <fmt/format.h>
#include <boost/json.hpp>
#include <chrono>

#include "common/utf8.h"
#include "support/e2e_http.h"

namespace json = boost::json;
using namespace pairdb::test;

namespace {

using Clock = std::chrono::steady_clock;

// Sends raw bytes and reads what comes back until the server closes or `timeout_ms` passes.
struct RawExchange {
  std::string answer;
  bool closed = false;
};

RawExchange raw_exchange(const PairdbProcess& node, const std::string& bytes,
                         uint32_t timeout_ms = 3000) {
  auto socket = RawSocket::connect(node.http_port());
  REQUIRE(socket.is_ok());
  REQUIRE(socket->send(bytes).is_ok());
  RawExchange result;
  result.answer = socket->receive(timeout_ms, 1 << 20, &result.closed);
  return result;
}

// Sends two requests back to back on one connection, the second before the first is answered.
RawExchange raw_pipelined(const PairdbProcess& node, const std::string& first,
                          const std::string& second) {
  return raw_exchange(node, first + second);
}

size_t count_of(const std::string& text, const std::string& needle) {
  size_t count = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
    ++count;
  }
  return count;
}

// Checks that the node sent one response, a 400, and closed the connection: nothing after the
// refused request was run as a request of its own.
void check_one_400_then_closed(const RawExchange& result) {
  CHECK(result.answer.rfind("HTTP/1.1 400", 0) == 0);
  CHECK(count_of(result.answer, "HTTP/1.1 ") == 1);
  CHECK(result.closed);
}

const HttpHeaders kJson = {{"Content-Type", "application/json"}};

// A test fixture: a node with the default settings and its data in a temporary directory.
struct DefaultNode {
  TempDir dir;
  std::unique_ptr<PairdbProcess> node = start_node(dir);
};

}  // namespace

TEST_CASE_METHOD(DefaultNode,
                 "defect 1: a Transfer-Encoding that is not chunked is refused and closes",
                 "[e2e][http][hostile]") {
  SECTION("a final coding other than chunked: 400, the body is never run as a request") {
    for (const std::string coding : {"gzip", "identity", "chunked, identity"}) {
      INFO(coding);
      const auto result = raw_exchange(
          *node, "POST /health HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: " + coding +
                     "\r\n\r\nGET /v1/tables/users/items/SMUGGLED HTTP/1.1\r\nHost: x\r\n\r\n");
      check_one_400_then_closed(result);
    }
  }
  SECTION("a PUT with Transfer-Encoding: gzip stores nothing") {
    const auto result = raw_exchange(
        *node,
        "PUT /v1/tables/default/items/te HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip"
        "\r\n\r\nGET /health HTTP/1.1\r\nHost: x\r\n\r\n");
    CHECK(result.answer.rfind("HTTP/1.1 400", 0) == 0);
    CHECK(count_of(result.answer, "HTTP/1.1 ") == 1);
    CHECK(call(*node, "GET", "/v1/tables/default/items/te").status == 404);
  }
  SECTION("xchunked with Content-Length, and HTTP/1.0 with Transfer-Encoding, close") {
    const auto xchunked =
        raw_exchange(*node,
                     "POST /health HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\n"
                     "Content-Length: 5\r\n\r\nhelloGET /health HTTP/1.1\r\nHost: x\r\n\r\n");
    check_one_400_then_closed(xchunked);
    const auto old = raw_exchange(*node,
                                  "POST /health HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"
                                  "0\r\n\r\nGET /health HTTP/1.1\r\nHost: x\r\n\r\n");
    CHECK(old.answer.find(" 400 ") != std::string::npos);
    CHECK(count_of(old.answer, "HTTP/1.1 ") == 1);
    CHECK(old.closed);
  }
  SECTION("chunked with another coding is 501; plain chunked still works") {
    const auto gzip_chunked =
        raw_exchange(*node,
                     "PUT /v1/tables/default/items/gz HTTP/1.1\r\nHost: x\r\n"
                     "Transfer-Encoding: gzip, chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n");
    CHECK(gzip_chunked.answer.rfind("HTTP/1.1 501", 0) == 0);
    const auto chunked =
        raw_exchange(*node,
                     "PUT /v1/tables/default/items/ch HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                     "Transfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n");
    CHECK(chunked.answer.rfind("HTTP/1.1 200", 0) == 0);
    CHECK(call(*node, "GET", "/v1/tables/default/items/ch").body == "ok");
  }
}

TEST_CASE_METHOD(DefaultNode, "defects 2 and 3: forged contexts are refused and keys stay writable",
                 "[e2e][http][hostile][context]") {
  REQUIRE(call(*node, "PUT", "/v1/tables/users", "{}", kJson).status == 201);
  REQUIRE(call(*node, "PUT", "/v1/tables/users/items/alice", "v1").status == 200);
  // The report's forged context: this format's counter at 2^64 - 2, and a tag of ones.
  const std::string forged = "AgEZy8fUfOlCzoMQicnUJyOz____________AQ" + std::string(22, '_');
  const HttpReply refused =
      call(*node, "PUT", "/v1/tables/users/items/alice", "evil", {{"X-Pairdb-Context", forged}});
  CHECK(refused.status == 400);
  CHECK_THAT(error_message(refused), Catch::Contains("not issued by this cluster"));
  // The old, unauthenticated format the report used is refused too, with advice.
  const HttpReply old = call(*node, "PUT", "/v1/tables/users/items/alice", "evil",
                             {{"X-Pairdb-Context", "AQEZy8fUfOlCzoMQicnUJyOz____________AQ"}});
  CHECK(old.status == 400);
  CHECK_THAT(error_message(old), Catch::Contains("read the item again"));
  // The read -> write-back flow keeps working, twenty times over, with a context that stays small.
  for (int i = 0; i < 20; ++i) {
    const HttpReply read = call(*node, "GET", "/v1/tables/users/items/alice");
    REQUIRE(read.status == 200);
    const std::string context = read.header("x-pairdb-context");
    CHECK(context.size() < 100);
    const HttpReply written = call(*node, "PUT", "/v1/tables/users/items/alice",
                                   fmt::format("v{}", i + 2), {{"X-Pairdb-Context", context}});
    INFO(written.body);
    REQUIRE(written.status == 200);
  }
  CHECK(call(*node, "GET", "/v1/tables/users/items/alice").body == "v21");
  // A context from one item does not open on another.
  const std::string alice_context =
      call(*node, "GET", "/v1/tables/users/items/alice").header("x-pairdb-context");
  CHECK(call(*node, "PUT", "/v1/tables/users/items/bob", "x", {{"X-Pairdb-Context", alice_context}})
            .status == 400);
  // Two context headers are refused rather than one silently ignored.
  const auto twice = raw_exchange(
      *node, "PUT /v1/tables/users/items/alice HTTP/1.1\r\nHost: x\r\nX-Pairdb-Context: " +
                 alice_context + "\r\nX-Pairdb-Context: " + alice_context +
                 "\r\nContent-Length: 1\r\nConnection: close\r\n\r\nz");
  CHECK(twice.answer.rfind("HTTP/1.1 400", 0) == 0);
}

TEST_CASE("defects 2 and 3 hold across a restart: the context key is kept",
          "[e2e][http][hostile][context]") {
  TempDir dir;
  std::string context;
  {
    auto node = start_node(dir);
    REQUIRE(call(*node, "PUT", "/v1/tables/default/items/k", "v1").status == 200);
    context = call(*node, "GET", "/v1/tables/default/items/k").header("x-pairdb-context");
  }
  auto node = start_node(dir);
  CHECK(call(*node, "PUT", "/v1/tables/default/items/k", "v2", {{"X-Pairdb-Context", context}})
            .status == 200);
  CHECK(call(*node, "GET", "/v1/tables/default/items/k").body == "v2");
}

TEST_CASE_METHOD(DefaultNode,
                 "defect 4: a TTL whose expiry would overflow is refused, writes and tables alike",
                 "[e2e][http][hostile]") {
  const HttpReply wrap =
      call(*node, "PUT", "/v1/tables/default/items/ttlwrap?ttl_ms=18446744073709551615", "x");
  CHECK(wrap.status == 400);
  CHECK_THAT(error_message(wrap), Catch::Contains("maximum"));
  CHECK(call(*node, "GET", "/v1/tables/default/items/ttlwrap").status == 404);
  const HttpReply table = call(*node, "PUT", "/v1/tables/forever",
                               R"({"default_ttl_ms": 18446744073709551615})", kJson);
  CHECK(table.status == 400);
  CHECK(call(*node, "GET", "/v1/tables/forever").status == 404);
  // The longest allowed TTL (20 years) is stored and readable.
  REQUIRE(call(*node, "PUT", "/v1/tables/default/items/long?ttl_ms=630720000000", "x").status ==
          200);
  CHECK(call(*node, "GET", "/v1/tables/default/items/long").status == 200);
}

TEST_CASE_METHOD(DefaultNode, "defect 5: every response body is valid UTF-8 JSON",
                 "[e2e][http][hostile]") {
  REQUIRE(call(*node, "PUT", "/v1/tables/t", "{}", kJson).status == 201);
  // A surrogate and a code point above U+10FFFF as sort keys; a value of raw bytes.
  for (const std::string sort : {"%ED%A0%80", "%F4%90%80%80", "%C0%AF"}) {
    REQUIRE(
        call(*node, "PUT", "/v1/tables/t/items/p/" + sort, "v", {{"Content-Type", "text/plain"}})
            .status == 200);
  }
  const HttpReply query = call(*node, "GET", "/v1/tables/t/items/p?limit=10");
  REQUIRE(query.status == 200);
  CHECK(pairdb::is_utf8(query.body));
  const json::value items = parse(query).at("items");
  CHECK(items.as_array().size() == 3);
  for (const auto& item : items.as_array()) CHECK(item.as_object().contains("sort_key_base64"));
  // Error messages that quote raw bytes from the path, table names and parameters.
  for (const std::string target : {"/nope%FF%FE", "/v1/tables/t/items/p?consistency=%FF",
                                   "/v1/tables/%FF%FE", "/v1/tables/t%ED%A0%80/items/k"}) {
    INFO(target);
    const HttpReply reply = call(*node, "GET", target);
    CHECK(reply.status >= 400);
    CHECK(pairdb::is_utf8(reply.body));
    (void)parse(reply);
  }
  const auto raw_path = raw_exchange(*node,
                                     "GET /nope\xff\xfe HTTP/1.1\r\nHost: x\r\n"
                                     "Connection: close\r\n\r\n");
  const size_t body_at = raw_path.answer.find("\r\n\r\n");
  REQUIRE(body_at != std::string::npos);
  CHECK(pairdb::is_utf8(raw_path.answer.substr(body_at + 4)));
}

TEST_CASE_METHOD(DefaultNode, "defect 6: /api/v1/put stores numbers exactly as sent",
                 "[e2e][http][hostile]") {
  for (const std::string number :
       {"1e999999", "18446744073709551616", "1e-999999", "0.1", "-0", "123456789012345678901234"}) {
    INFO(number);
    const std::string body = R"({"key":"bignum","value":)" + number + "}";
    REQUIRE(call(*node, "POST", "/api/v1/put", body, kJson).status == 200);
    const HttpReply item = call(*node, "GET", "/v1/tables/default/items/bignum");
    CHECK(item.body == number);
    CHECK(item.header("content-type") == "application/json");
    const HttpReply simple = call(*node, "GET", "/api/v1/get?key=bignum");
    CHECK(simple.body == R"({"key":"bignum","value":)" + number + "}\n");
  }
  // Nested values keep their spelling, and a duplicate "value" is refused.
  const std::string nested = R"({"a": [1E2, {"b": "\u00e9"}], "c": null})";
  REQUIRE(call(*node, "POST", "/api/v1/put", R"({"key": "n", "value": )" + nested + "}", kJson)
              .status == 200);
  CHECK(call(*node, "GET", "/v1/tables/default/items/n").body == nested);
  CHECK(call(*node, "POST", "/api/v1/put", R"({"key":"d","value":1,"value":2})", kJson).status ==
        400);
}

TEST_CASE("defect 7: a half-sent second request is cut off by read_timeout_ms",
          "[e2e][http][hostile]") {
  TempDir dir;
  auto node = start_node(dir, {"--http.read_timeout_ms", "1000"});
  auto socket = RawSocket::connect(node->http_port());
  REQUIRE(socket.is_ok());
  REQUIRE(socket->send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n").is_ok());
  bool closed = false;
  const std::string first = socket->receive(2000, 65, &closed);
  REQUIRE(first.rfind("HTTP/1.1 200", 0) == 0);
  (void)socket->receive(200, 1 << 16, &closed);  // The rest of the first response.
  const auto started = Clock::now();
  REQUIRE(socket->send("GET /health HTTP/1.1\r\nHo").is_ok());
  CHECK(socket->wait_closed(10'000));
  const auto held = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
  CHECK(held.count() >= 900);
  CHECK(held.count() < 5000);  // The keep-alive timeout (60 s) no longer applies.
}

TEST_CASE_METHOD(DefaultNode, "defect 8: HEAD answers carry the header and no body",
                 "[e2e][http][hostile]") {
  const auto result = raw_pipelined(*node, "HEAD /health HTTP/1.1\r\nHost: x\r\n\r\n",
                                    "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  // Exactly two responses: the HEAD's header (with the GET's Content-Length) and the GET.
  REQUIRE(count_of(result.answer, "HTTP/1.1 200") == 2);
  const size_t head_end = result.answer.find("\r\n\r\n");
  REQUIRE(head_end != std::string::npos);
  CHECK(result.answer.substr(head_end + 4).rfind("HTTP/1.1 200", 0) == 0);
  CHECK(result.answer.substr(0, head_end).find("Content-Length: ") != std::string::npos);
}

TEST_CASE_METHOD(DefaultNode, "status codes and messages the report asked for",
                 "[e2e][http][hostile]") {
  const HttpReply limit = call(*node, "GET", "/v1/tables/default/items/p?limit=5000");
  CHECK(limit.status == 400);
  CHECK_THAT(error_message(limit), Catch::Contains("page maximum of 1000"));
  const HttpReply huge_limit = call(*node, "GET", "/v1/tables/default/items/p?limit=4294967296");
  CHECK(huge_limit.status == 400);
  CHECK_THAT(error_message(huge_limit), Catch::Contains("4294967296"));
  const HttpReply long_key =
      call(*node, "GET", "/v1/tables/default/items/" + std::string(1025, 'k'));
  CHECK(long_key.status == 400);
  CHECK_THAT(error_message(long_key), Catch::Contains("max 1024"));

  const HttpReply post_health = call(*node, "POST", "/health", "x");
  CHECK(post_health.status == 405);
  CHECK(post_health.header("allow") == "GET, HEAD");
  const HttpReply patch = call(*node, "PATCH", "/v1/tables/default/items/k", "x");
  CHECK(patch.status == 405);
  CHECK(patch.header("allow") == "GET, HEAD, PUT, POST, DELETE");
  CHECK(call(*node, "DELETE", "/api/v1/put").status == 405);

  REQUIRE(call(*node, "PUT", "/v1/tables/once", "{}", kJson).status == 201);
  CHECK(call(*node, "PUT", "/v1/tables/once?if_not_exists", "{}", kJson).status == 200);
  CHECK(call(*node, "PUT", "/v1/tables/twice?if_not_exists", "{}", kJson).status == 201);

  const HttpReply bad_context =
      call(*node, "PUT", "/v1/tables/default/items/k", "x", {{"X-Pairdb-Context", "AQ"}});
  CHECK(bad_context.status == 400);
  CHECK(count_of(error_message(bad_context), "causal context") == 1);
  CHECK(call(*node, "GET", "/api/v1/get?key=k&consistency=BOGUS").status == 400);

  const auto no_host = raw_exchange(*node, "GET /health HTTP/1.1\r\n\r\n");
  CHECK(no_host.answer.rfind("HTTP/1.1 400", 0) == 0);
  const auto two_hosts = raw_exchange(*node, "GET /health HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n");
  CHECK(two_hosts.answer.rfind("HTTP/1.1 400", 0) == 0);
}

TEST_CASE_METHOD(DefaultNode, "a client that expects 100-continue gets it before sending its body",
                 "[e2e][http][hostile]") {
  auto socket = RawSocket::connect(node->http_port());
  REQUIRE(socket.is_ok());
  REQUIRE(socket
              ->send("PUT /v1/tables/default/items/big HTTP/1.1\r\nHost: x\r\n"
                     "Expect: 100-continue\r\nContent-Length: 5\r\nConnection: close\r\n\r\n")
              .is_ok());
  bool closed = false;
  const std::string interim = socket->receive(3000, 25, &closed);
  CHECK(interim.rfind("HTTP/1.1 100 Continue\r\n\r\n", 0) == 0);
  REQUIRE(socket->send("hello").is_ok());
  const std::string final_answer = socket->receive(3000, 1 << 16, &closed);
  CHECK(final_answer.find("HTTP/1.1 200") != std::string::npos);
  CHECK(call(*node, "GET", "/v1/tables/default/items/big").body == "hello");
}

TEST_CASE_METHOD(DefaultNode, "requests the HTTP parser refuses are counted in the request metrics",
                 "[e2e][http][hostile]") {
  (void)raw_exchange(*node, "GET /health HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n");
  (void)raw_exchange(*node, "BAD\x01 / HTTP/1.1\r\n\r\n");
  const HttpReply metrics = call(*node, "GET", "/metrics");
  CHECK(metrics.body.find(R"(op="refused")") != std::string::npos);
  CHECK(metrics.body.find(R"(code="400")") != std::string::npos);
}

TEST_CASE_METHOD(DefaultNode, "an HTTP/1.0 client that asks for keep-alive keeps its connection",
                 "[e2e][http][hostile]") {
  const auto result = raw_pipelined(*node, "GET /health HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
                                    "GET /health HTTP/1.0\r\n\r\n");
  CHECK(count_of(result.answer, "HTTP/1.0 200") == 2);
  CHECK(result.closed);  // The second request did not ask to keep the connection.
}
