#include "replication/table_meta.h"

#include <fmt/format.h>

#include <set>

#include "common/coding.h"

namespace pairdb::replication {
namespace {

constexpr uint8_t kTableInfoFormat = 1;
constexpr size_t kReplicationEntriesMax = ring::kDatacentersMax;

bool valid_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

Status validate_name(std::string_view name) {
  if (name.empty() || name.size() > kTableNameBytesMax) {
    return Status::invalid_argument(
        fmt::format("table name must be 1..{} bytes, got {}", kTableNameBytesMax, name.size()));
  }
  if (name[0] == '_' || name[0] == '-') {
    return Status::invalid_argument(
        fmt::format("table name '{}' must start with a letter or digit", name));
  }
  for (char c : name) {
    if (!valid_name_char(c)) {
      return Status::invalid_argument(
          fmt::format("table name '{}' may contain only letters, digits, '_' and '-'", name));
    }
  }
  return Status::ok();
}

Status validate_replication(const std::vector<ring::DcReplication>& replication) {
  if (replication.size() > kReplicationEntriesMax) {
    return Status::invalid_argument(fmt::format("replication lists {} datacenters (max {})",
                                                replication.size(), kReplicationEntriesMax));
  }
  std::set<std::string> seen;
  uint64_t total = 0;
  for (const auto& dc : replication) {
    if (dc.dc.empty()) return Status::invalid_argument("replication: empty datacenter name");
    if (!seen.insert(dc.dc).second) {
      return Status::invalid_argument(fmt::format("replication names dc '{}' twice", dc.dc));
    }
    if (dc.rf == 0) {
      return Status::invalid_argument(fmt::format("replication: rf for '{}' must be >= 1", dc.dc));
    }
    total += dc.rf;
  }
  if (total > ring::kReplicationFactorMax) {
    return Status::invalid_argument(fmt::format("replication factor {} exceeds the maximum of {}",
                                                total, ring::kReplicationFactorMax));
  }
  return Status::ok();
}

void put_consistency(std::string* out, replication::Consistency level) {
  out->push_back(static_cast<char>(level));
}

bool get_byte(std::string_view* in, uint8_t* value) {
  if (in->empty()) return false;
  *value = static_cast<uint8_t>((*in)[0]);
  in->remove_prefix(1);
  return true;
}

bool get_string(std::string_view* in, std::string* value, size_t max_bytes) {
  std::string_view view;
  if (!get_length_prefixed(in, &view) || view.size() > max_bytes) return false;
  value->assign(view);
  return true;
}

bool get_consistency(std::string_view* in, replication::Consistency* level) {
  uint8_t raw = 0;
  if (!get_byte(in, &raw) || raw > static_cast<uint8_t>(replication::Consistency::kEachQuorum)) {
    return false;
  }
  *level = static_cast<replication::Consistency>(raw);
  return true;
}

// The options appended to the format later, in order: read_repair (one byte), then sloppy_quorum
// (one byte, 0, present only when false). Each is written only when it, or an option after it,
// is not its default, so tables persisted before an option existed decode with its default, and
// tables that keep the defaults encode (and digest) as they always did. The encoding stays
// canonical (the catalog digest hashes it): a trailing default is refused.
void encode_appended_options(std::string* out, const TableSpec& spec) {
  if (!spec.sloppy_quorum) {
    out->push_back(static_cast<char>(spec.read_repair));
    out->push_back(0);
  } else if (spec.read_repair != replication::ReadRepair::kBlocking) {
    out->push_back(static_cast<char>(spec.read_repair));
  }
}

bool decode_appended_options(std::string_view* in, TableSpec* spec) {
  if (in->empty()) return true;
  uint8_t read_repair = 0;
  if (!get_byte(in, &read_repair) || read_repair > 2) return false;
  spec->read_repair = static_cast<replication::ReadRepair>(read_repair);
  if (in->empty()) return spec->read_repair != replication::ReadRepair::kBlocking;
  uint8_t sloppy_quorum = 0;
  if (!get_byte(in, &sloppy_quorum) || sloppy_quorum != 0) return false;
  spec->sloppy_quorum = false;
  return true;
}

bool decode_spec(std::string_view* in, TableSpec* spec) {
  uint32_t dcs = 0;
  if (!get_string(in, &spec->name, kTableNameBytesMax)) return false;
  if (!get_string(in, &spec->owner, kTableOwnerBytesMax)) return false;
  if (!get_varint32(in, &dcs) || dcs > kReplicationEntriesMax) return false;
  for (uint32_t i = 0; i < dcs; ++i) {
    ring::DcReplication dc;
    if (!get_string(in, &dc.dc, kTableNameBytesMax) || !get_varint32(in, &dc.rf)) return false;
    spec->replication.push_back(std::move(dc));
  }
  uint8_t mode = 0;
  if (!get_consistency(in, &spec->read_consistency)) return false;
  if (!get_consistency(in, &spec->write_consistency)) return false;
  if (!get_byte(in, &mode) || mode > 1) return false;
  spec->conflict_mode = static_cast<replication::ConflictMode>(mode);
  if (!get_varint64(in, &spec->default_ttl_ms) || !get_varint32(in, &spec->siblings_warn) ||
      !get_varint32(in, &spec->siblings_max)) {
    return false;
  }
  return decode_appended_options(in, spec);
}

}  // namespace

Status validate_new_table_spec(const TableSpec& spec) {
  PAIRDB_TRY(validate_table_spec(spec));
  if (spec.default_ttl_ms > kTtlMsMax) {
    return Status::invalid_argument(fmt::format(
        "default_ttl_ms {} exceeds the maximum of {} (20 years)", spec.default_ttl_ms, kTtlMsMax));
  }
  return Status::ok();
}

Status validate_table_spec(const TableSpec& spec) {
  PAIRDB_TRY(validate_name(spec.name));
  if (spec.owner.size() > kTableOwnerBytesMax) {
    return Status::invalid_argument(
        fmt::format("table owner is {} bytes (max {})", spec.owner.size(), kTableOwnerBytesMax));
  }
  PAIRDB_TRY(validate_replication(spec.replication));
  if (spec.read_consistency == replication::Consistency::kDefault ||
      spec.write_consistency == replication::Consistency::kDefault) {
    return Status::invalid_argument("a table's default consistency must be a concrete level");
  }
  if (spec.siblings_max == 0 || spec.siblings_warn > spec.siblings_max) {
    return Status::invalid_argument(
        fmt::format("sibling bounds need 0 < siblings_warn ({}) <= siblings_max ({})",
                    spec.siblings_warn, spec.siblings_max));
  }
  return Status::ok();
}

std::string encode_table_info(const TableInfo& info) {
  std::string out;
  out.push_back(static_cast<char>(kTableInfoFormat));
  put_fixed64(&out, info.id);
  put_varint64(&out, info.created_at_ms);
  put_varint64(&out, info.schema_version);
  const TableSpec& spec = info.spec;
  put_length_prefixed(&out, spec.name);
  put_length_prefixed(&out, spec.owner);
  put_varint32(&out, static_cast<uint32_t>(spec.replication.size()));
  for (const auto& dc : spec.replication) {
    put_length_prefixed(&out, dc.dc);
    put_varint32(&out, dc.rf);
  }
  put_consistency(&out, spec.read_consistency);
  put_consistency(&out, spec.write_consistency);
  out.push_back(static_cast<char>(spec.conflict_mode));
  put_varint64(&out, spec.default_ttl_ms);
  put_varint32(&out, spec.siblings_warn);
  put_varint32(&out, spec.siblings_max);
  encode_appended_options(&out, spec);
  return out;
}

Result<TableInfo> decode_table_info(std::string_view bytes) {
  std::string_view in = bytes;
  TableInfo info;
  uint8_t format = 0;
  const bool ok = get_byte(&in, &format) && format == kTableInfoFormat &&
                  get_fixed64(&in, &info.id) && get_varint64(&in, &info.created_at_ms) &&
                  get_varint64(&in, &info.schema_version) && decode_spec(&in, &info.spec) &&
                  in.empty();
  if (!ok) {
    return Status::corruption(fmt::format("bad table metadata record ({} bytes)", bytes.size()));
  }
  return info;
}

std::string_view conflict_mode_name(replication::ConflictMode mode) {
  return mode == replication::ConflictMode::kLww ? "lww" : "siblings";
}

Result<replication::ConflictMode> parse_conflict_mode(std::string_view text) {
  if (text == "siblings") return replication::ConflictMode::kSiblings;
  if (text == "lww") return replication::ConflictMode::kLww;
  return Status::invalid_argument(
      fmt::format("conflict_mode must be 'siblings' or 'lww', got '{}'", text));
}

ring::ReplicationSpec replication_spec_of(const TableSpec& spec) {
  ring::ReplicationSpec out;
  out.per_dc = spec.replication;
  return out;
}

std::string_view read_repair_name(replication::ReadRepair mode) {
  switch (mode) {
    case replication::ReadRepair::kBlocking:
      return "blocking";
    case replication::ReadRepair::kAsync:
      return "async";
    case replication::ReadRepair::kOff:
      return "off";
  }
  return "blocking";
}

Result<replication::ReadRepair> parse_read_repair(std::string_view text) {
  for (auto mode : {replication::ReadRepair::kBlocking, replication::ReadRepair::kAsync,
                    replication::ReadRepair::kOff}) {
    if (text == read_repair_name(mode)) return mode;
  }
  return Status::invalid_argument(
      fmt::format("read_repair must be 'blocking', 'async' or 'off', got '{}'", text));
}

}  // namespace pairdb::replication
