// Splits an HTTP request target into percent-decoded path segments and query parameters.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <pairdb/status.h>

namespace pairdb::server {

struct HttpTarget {
  std::vector<std::string> segments;         // "/v1/tables/t" -> {"v1", "tables", "t"}.
  std::map<std::string, std::string> query;  // Last value wins for repeated names.
  const std::string* param(std::string_view name) const;
};

// Status::invalid_argument on bad percent-encoding or a target that is not an absolute path.
Result<HttpTarget> parse_http_target(std::string_view target);
// Decodes %XX escapes ('+' stays '+' in paths; in queries it means a space).
Result<std::string> percent_decode(std::string_view text, bool plus_is_space);

}  // namespace pairdb::server
