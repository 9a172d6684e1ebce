// Helpers shared by the end-to-end tests that drive a real pairdb node over HTTP.
#pragma once

#include <catch2/catch.hpp>

#include <boost/json.hpp>
#include <memory>
#include <string>
#include <vector>

#include "support/http_client.h"
#include "support/pairdb_process.h"
#include "support/poll.h"
#include "support/test_node.h"

namespace pairdb::test {

// One request; fails the test if there is no answer at all.
inline HttpReply call(const PairdbProcess& node, const std::string& method,
                      const std::string& target, const std::string& body = {},
                      const HttpHeaders& headers = {}) {
  auto reply = http_request(node.http_port(), method, target, body, headers);
  INFO(method << " " << target << ": " << (reply.is_ok() ? "" : reply.status().to_string()));
  REQUIRE(reply.is_ok());
  return std::move(reply).value();
}

// The body as JSON; fails the test if it is not JSON.
inline boost::json::value parse(const HttpReply& reply) {
  INFO("body: " << reply.body);
  boost::system::error_code ec;
  boost::json::value value = boost::json::parse(reply.body, ec);
  REQUIRE_FALSE(ec);
  return value;
}

inline std::string error_code(const HttpReply& reply) {
  return std::string(parse(reply).at("error").at("code").as_string());
}

inline std::string error_message(const HttpReply& reply) {
  return std::string(parse(reply).at("error").at("message").as_string());
}

}  // namespace pairdb::test
