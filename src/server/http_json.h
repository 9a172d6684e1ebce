// JSON renderings shared by the HTTP API: errors, item siblings, table metadata, and the
// mapping from Status codes to HTTP status codes.
#pragma once

#include <boost/json.hpp>
#include <string>

#include <pairdb/replication/version.h>
#include <pairdb/status.h>

#include "net/http_server.h"
#include "server/table_meta.h"
#include "server/table_service.h"

namespace pairdb::server {

inline constexpr std::string_view kJsonContentType = "application/json";
inline constexpr std::string_view kContextHeader = "X-Pairdb-Context";

boost::beast::http::status http_status_for(StatusCode code);
// The wire name of an error code: InvalidArgument, NotFound, TableNotFound, TooLarge,
// Unavailable, Timeout, Overloaded, Unauthorized or Internal.
std::string_view error_code_name(StatusCode code);

net::HttpResponse json_response(boost::beast::http::status status, const boost::json::value& body,
                                unsigned version);
net::HttpResponse error_response(const Status& status, unsigned version);

bool is_json_content_type(std::string_view content_type);
// Puts the value under "value" (parsed JSON for JSON content, a string for UTF-8 text) or,
// for binary content, under "value_base64"; adds content_type, timestamp and expires_at_ms.
void put_sibling(boost::json::object& out, const replication::Sibling& sibling);
// A string field for bytes that may not be UTF-8: `name` or `name`_base64.
void put_bytes(boost::json::object& out, std::string_view name, std::string_view bytes);

boost::json::object table_info_to_json(const TableInfo& info);
// Reads a create-table body: {"replication": {"dc1": 3}, "conflict_mode": "lww",
// "read_consistency": "QUORUM", "write_consistency": "ONE", "default_ttl_ms": 0,
// "siblings_warn": 25, "siblings_max": 100, "owner": "..."}; every field optional.
Result<CreateTableCommand> table_command_from_json(std::string name, std::string_view body);

}  // namespace pairdb::server
