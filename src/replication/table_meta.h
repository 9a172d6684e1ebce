// Table metadata: what a user asks for when creating a table (TableSpec) and what the catalog
// keeps once it exists (TableInfo), with the binary encoding the catalog persists.
// Plain values; safe to share between threads once built.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <pairdb/replication/consistency.h>
#include <pairdb/replication/storage_key.h>
#include <pairdb/replication/version.h>
#include <pairdb/ring/types.h>
#include <pairdb/status.h>

namespace pairdb::replication {

inline constexpr size_t kTableNameBytesMax = 64;
inline constexpr size_t kTableOwnerBytesMax = 256;
// The longest TTL a write or a table default may ask for: 20 years (Cassandra's bound too).
// Bounding it keeps now + ttl far from overflowing, so an item never expires before it is written.
inline constexpr uint64_t kTtlMsMax = 20ull * 365 * 24 * 3600 * 1000;
// A table's sibling bounds when nobody sets them (tables.siblings_warn / siblings_max).
inline constexpr uint32_t kSiblingsWarnDefault = 25;
inline constexpr uint32_t kSiblingsMaxDefault = 100;

struct TableSpec {
  std::string name;   // [A-Za-z0-9_-], 1..kTableNameBytesMax, starting with a letter or digit.
  std::string owner;  // Free text for operators (the tenant); not an access rule yet.
  std::vector<ring::DcReplication> replication;  // {dc: rf}; empty = the node's default.
  replication::Consistency read_consistency = replication::Consistency::kQuorum;
  replication::Consistency write_consistency = replication::Consistency::kQuorum;
  replication::ConflictMode conflict_mode = replication::ConflictMode::kSiblings;
  uint64_t default_ttl_ms = 0;  // 0 = items live until deleted.
  uint32_t siblings_warn = kSiblingsWarnDefault;
  uint32_t siblings_max = kSiblingsMaxDefault;
  replication::ReadRepair read_repair = replication::ReadRepair::kBlocking;
  // Whether a fallback's ack counts toward a write's consistency level. A fallback is a node
  // standing in for a dead natural replica and keeping a hint for it. true: it counts (Dynamo,
  // Riak); false: no fallback is used and only natural replicas' acks count (Cassandra); the
  // coordinator keeps the hints for dead replicas itself.
  bool sloppy_quorum = true;

  bool operator==(const TableSpec&) const = default;
};

struct TableInfo {
  TableSpec spec;
  replication::TableId id = 0;  // Never kSystemTableId; never reused after a drop.
  uint64_t created_at_ms = 0;
  uint64_t schema_version = 0;  // The catalog version that created the table.

  bool operator==(const TableInfo&) const = default;
};

// Status::invalid_argument naming the offending field (name syntax, rf range, sibling bounds).
Status validate_table_spec(const TableSpec& spec);
// validate_table_spec plus the bounds added later (default_ttl_ms <= kTtlMsMax), for tables
// being created. Catalog merges use validate_table_spec alone, so a peer's table created before
// a bound existed still merges (writes to it are refused by ItemService instead).
Status validate_new_table_spec(const TableSpec& spec);

// The replication spec of a table, as the ring takes it.
ring::ReplicationSpec replication_spec_of(const TableSpec& spec);

std::string encode_table_info(const TableInfo& info);
// Status::corruption on bytes that are not an encoded TableInfo.
Result<TableInfo> decode_table_info(std::string_view bytes);

std::string_view conflict_mode_name(replication::ConflictMode mode);  // "siblings" | "lww"
std::string_view read_repair_name(replication::ReadRepair mode);  // "blocking" | "async" | "off"
// Status::invalid_argument for anything but "blocking", "async" or "off".
Result<replication::ReadRepair> parse_read_repair(std::string_view text);
// Status::invalid_argument for anything but "siblings" or "lww".
Result<replication::ConflictMode> parse_conflict_mode(std::string_view text);

}  // namespace pairdb::replication
