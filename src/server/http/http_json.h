// JSON renderings shared by the HTTP API: errors, item siblings, table metadata, and the
// mapping from Status codes to HTTP status codes.
#pragma once

#include <boost/json.hpp>
#include <string>
#include <vector>

#include <pairdb/replication/version.h>
#include <pairdb/status.h>

#include "net/http_server.h"
#include "replication/table_meta.h"
#include "server/api/table_service.h"

namespace pairdb::server {

inline constexpr std::string_view kJsonContentType = "application/json";
inline constexpr std::string_view kContextHeader = "X-Pairdb-Context";

// The HTTP status and the error name ("InvalidArgument", "TableExists", ...) of a StatusCode,
// both read from the error table (net/error_table.h), so HTTP and the binary protocol agree.
boost::beast::http::status http_status_for(StatusCode code);
// REQUIRES: code != StatusCode::kOk.
std::string_view error_code_name(StatusCode code);

// A JSON document in which some values are JSON texts clients stored, emitted byte for byte
// rather than parsed and re-serialised (which would respell numbers: 1e400 would become
// "Infinity", 2^64 "1.8446744073709552E19"). placeholder() returns a string value to put where
// a text belongs; render() serialises the document and puts each text in its placeholder's
// place. Placeholders carry a random 128-bit nonce drawn per instance, so no stored string can
// pose as one. One instance per response; not thread-safe.
class RawJsonSlots {
 public:
  RawJsonSlots();
  // REQUIRES: raw_json is valid JSON and valid UTF-8 (is_embeddable_json).
  boost::json::string placeholder(std::string_view raw_json);
  std::string render(const boost::json::value& document) const;

 private:
  std::string marker_prefix_;
  std::vector<std::string> texts_;
};

// True when `text` is a JSON text that may go verbatim into a response: it parses and it is
// strict UTF-8.
bool is_embeddable_json(std::string_view text);

// Every response body is valid UTF-8 JSON: strings from clients or peers go in through
// put_bytes or printable_utf8 (common/utf8.h).
net::HttpResponse json_response(boost::beast::http::status status, const boost::json::value& body,
                                unsigned version, const RawJsonSlots* raw = nullptr);
net::HttpResponse error_response(const Status& status, unsigned version);

bool is_json_content_type(std::string_view content_type);
// Puts the value under "value" (the stored JSON text itself for JSON content, a string for
// UTF-8 text) or, for anything else, under "value_base64"; adds content_type, timestamp and
// expires_at_ms.
void put_sibling(boost::json::object& out, const replication::Sibling& sibling, RawJsonSlots& raw);
// A string field for bytes that may not be UTF-8: `name` or `name`_base64.
void put_bytes(boost::json::object& out, std::string_view name, std::string_view bytes);

// The JSON text of the top-level member `name` of `document`, exactly as written (empty when
// absent); Status::invalid_argument when the member appears twice.
// REQUIRES: boost::json::parse accepted `document` and its top level is an object.
Result<std::string_view> top_level_member_text(std::string_view document, std::string_view name);

boost::json::object table_info_to_json(const replication::TableInfo& info);
// Reads a create-table body: {"replication": {"dc1": 3}, "conflict_mode": "lww",
// "read_consistency": "QUORUM", "write_consistency": "ONE", "default_ttl_ms": 0,
// "siblings_warn": 25, "siblings_max": 100, "read_repair": "async", "sloppy_quorum": false,
// "owner": "..."}; every field optional.
Result<CreateTableCommand> table_command_from_json(std::string name, std::string_view body);

}  // namespace pairdb::server
