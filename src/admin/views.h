// How pairdb-admin shows SDK values: JSON objects for --json, and the short text forms the
// tables use. Pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <pairdb/client/types.h>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

namespace pairdb::admin {

std::string_view consistency_name(client::Consistency consistency);  // "default", "quorum", ...
std::string_view conflict_mode_name(client::ConflictMode mode);      // "siblings", "lww"
// "dc1:3,dc2:2", or "default" when empty.
std::string replication_text(const std::vector<client::DcReplication>& replication);

// True when `bytes` is valid UTF-8 without control characters other than tab and newline, so
// it can be printed as is.
bool is_printable_text(std::string_view bytes);
// Printable text as is; anything else as "base64url:<unpadded base64url>".
std::string display_bytes(std::string_view bytes);

boost::json::object to_json(const client::TableInfo& table);
boost::json::object to_json(const client::NodeInfo& node);
boost::json::object to_json(const client::KeyValues& values);
boost::json::object to_json(const client::Sibling& sibling);
// {"found", "siblings", "context"} with the context in base64url, as the HTTP API sends it.
boost::json::object to_json(const client::GetResult& result);
boost::json::object to_json(const client::QueryResult& result);

// nodetool-style two-letter node state: status U(p)/S(uspect)/D(own), then state
// N(ormal)/J(oining)/L(eaving)/X (left). "??" for values this version does not know.
std::string node_state_code(const client::NodeInfo& node);

}  // namespace pairdb::admin

namespace pairdb::admin {
// "one", "quorum", "local_quorum", ... (case-insensitive); nullopt for anything else.
std::optional<client::Consistency> parse_consistency(std::string_view name);
}  // namespace pairdb::admin
