// JSON renderings of the HTTP API: stored JSON texts are emitted verbatim, and the simple API
// finds a member's text as it was sent.
#include <catch2/catch.hpp>

#include "common/utf8.h"
#include "server/http/http_json.h"

namespace json = boost::json;
using namespace pairdb::server;

TEST_CASE("stored JSON texts are spliced in verbatim where their placeholders stand",
          "[http][json]") {
  RawJsonSlots raw;
  json::object body{{"a", raw.placeholder("1e999999")},
                    {"b", json::array{raw.placeholder("{\"x\": 18446744073709551616}"), 2}},
                    {"c", "plain"}};
  CHECK(raw.render(body) == R"({"a":1e999999,"b":[{"x": 18446744073709551616},2],"c":"plain"})");
}

TEST_CASE("a stored string that looks like a placeholder stays a string", "[http][json]") {
  RawJsonSlots raw;
  RawJsonSlots other;
  const json::string lookalike = other.placeholder("true");  // Another response's nonce.
  json::object body{{"v", raw.placeholder("1")}, {"s", lookalike}};
  const std::string text = raw.render(body);
  CHECK(text.find(R"("v":1)") != std::string::npos);
  CHECK(text.find(R"("s":"\u0001pairdb-raw-json:)") != std::string::npos);
}

TEST_CASE("only strict UTF-8 JSON is embeddable", "[http][json]") {
  CHECK(is_embeddable_json(R"({"a": [1, "\u00e9"]})"));
  CHECK_FALSE(is_embeddable_json("{\"a\": \"\xed\xa0\x80\"}"));
  CHECK_FALSE(is_embeddable_json("{\"a\": "));
}

TEST_CASE("a top-level member's text is found as written", "[http][json]") {
  CHECK(*top_level_member_text(R"({"key":"k","value":1e999999})", "value") == "1e999999");
  CHECK(*top_level_member_text(R"( { "value" : [1, {"value": 2}] , "key":"k"} )", "value") ==
        R"([1, {"value": 2}])");
  CHECK(*top_level_member_text(R"({"k":"a\"value\"","v\u0061lue":"x,}"})", "value") == R"("x,}")");
  CHECK(top_level_member_text(R"({"key":"k"})", "value")->empty());
  CHECK(top_level_member_text(R"({"value":1,"value":2})", "value").status().is_invalid_argument());
}

TEST_CASE("error bodies are valid UTF-8 whatever the message holds", "[http][json]") {
  const auto response =
      error_response(pairdb::Status::invalid_argument("no such resource: /nope\xff\xfe"), 11);
  CHECK(pairdb::is_utf8(response.body()));
  CHECK(response.body().find("\\\\xFF\\\\xFE") != std::string::npos);
}

TEST_CASE("an Unavailable or Timeout error body carries its quorum counts", "[http][json]") {
  const auto counted = error_response(
      pairdb::Status::unavailable("consistency ALL needs 3", pairdb::QuorumCount{3, 2}), 11);
  CHECK(counted.result_int() == 503);
  const auto body = boost::json::parse(counted.body()).as_object().at("error").as_object();
  CHECK(body.at("code").as_string() == "Unavailable");
  CHECK(body.at("required").to_number<int64_t>() == 3);
  CHECK(body.at("achieved").to_number<int64_t>() == 2);

  const auto plain = error_response(pairdb::Status::invalid_argument("bad"), 11);
  const auto plain_body = boost::json::parse(plain.body()).as_object().at("error").as_object();
  CHECK_FALSE(plain_body.contains("required"));
}

TEST_CASE("sloppy_quorum is on unless a create body turns it off, and descriptions show it",
          "[http][json]") {
  auto plain = table_command_from_json("t", R"({"read_repair": "async"})");
  REQUIRE(plain.is_ok());
  CHECK(plain->sloppy_quorum);
  auto strict = table_command_from_json("t", R"({"sloppy_quorum": false})");
  REQUIRE(strict.is_ok());
  CHECK_FALSE(strict->sloppy_quorum);
  CHECK(table_command_from_json("t", R"({"sloppy_quorum": true})")->sloppy_quorum);
  CHECK(table_command_from_json("t", R"({"sloppy_quorum": "off"})").status().is_invalid_argument());
  CHECK(table_command_from_json("t", R"({"sloppy_quorum": 0})").status().is_invalid_argument());

  pairdb::replication::TableInfo info;
  info.spec.name = "t";
  CHECK(table_info_to_json(info).at("sloppy_quorum") == true);
  info.spec.sloppy_quorum = false;
  CHECK(table_info_to_json(info).at("sloppy_quorum") == false);
}
