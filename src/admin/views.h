// How pairdb-admin shows SDK values: JSON objects for --json, and the short text forms the
// tables use. Pure functions.
#pragma once

#include <cstdint>
#include <iosfwd>
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

// pairdb-admin handoff status: {"paused_all", "targets", "totals", "dropped" (reason -> count),
// "repair_ranges", "repair_ranges_total"}; times are Unix milliseconds, tokens numbers.
boost::json::object to_json(const client::HandoffStatus& status);
// The same as text: a table of targets, a line of totals and drops by reason, and a table of the
// ranges that need repair. Ages are relative to now_wall_ms (Unix milliseconds).
void print_handoff_status(std::ostream& out, const client::HandoffStatus& status,
                          uint64_t now_wall_ms);
// A token as 16 hex digits: 255 -> "0x00000000000000ff".
std::string token_text(uint64_t token);
// True for a node id in the canonical 8-4-4-4-12 hex form of a UUID (either case).
bool is_node_id(std::string_view text);

// nodetool-style two-letter node state: status U(p)/S(uspect)/D(own), then state
// N(ormal)/J(oining)/L(eaving)/X (left). "??" for values this version does not know.
std::string node_state_code(const client::NodeInfo& node);

}  // namespace pairdb::admin

namespace pairdb::admin {
// "one", "quorum", "local_quorum", ... (case-insensitive); nullopt for anything else.
std::optional<client::Consistency> parse_consistency(std::string_view name);
}  // namespace pairdb::admin
