// JSON and text renderings of SDK values for pairdb-admin.
#include "admin/views.h"

#include <cctype>
#include <initializer_list>
#include <utility>

#include <fmt/format.h>

#include "common/base64.h"

namespace pairdb::admin {

using client::Consistency;

std::string_view consistency_name(Consistency consistency) {
  switch (consistency) {
    case Consistency::kDefault:
      return "default";
    case Consistency::kOne:
      return "one";
    case Consistency::kTwo:
      return "two";
    case Consistency::kThree:
      return "three";
    case Consistency::kQuorum:
      return "quorum";
    case Consistency::kAll:
      return "all";
    case Consistency::kLocalOne:
      return "local_one";
    case Consistency::kLocalQuorum:
      return "local_quorum";
    case Consistency::kEachQuorum:
      return "each_quorum";
  }
  return "unknown";
}

std::string_view conflict_mode_name(client::ConflictMode mode) {
  return mode == client::ConflictMode::kLww ? "lww" : "siblings";
}

std::string replication_text(const std::vector<client::DcReplication>& replication) {
  if (replication.empty()) return "default";
  std::string out;
  for (const auto& dc : replication) {
    if (!out.empty()) out += ',';
    out += fmt::format("{}:{}", dc.dc.empty() ? "*" : dc.dc, dc.rf);
  }
  return out;
}

bool is_printable_text(std::string_view bytes) {
  size_t i = 0;
  while (i < bytes.size()) {
    const auto c = static_cast<unsigned char>(bytes[i]);
    if (c < 0x80) {
      if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7f) return false;
      ++i;
      continue;
    }
    // Multi-byte sequence: lead byte gives the length; continuation bytes are 10xxxxxx.
    size_t length = 0;
    if ((c & 0xE0) == 0xC0 && c >= 0xC2) {
      length = 2;
    } else if ((c & 0xF0) == 0xE0) {
      length = 3;
    } else if ((c & 0xF8) == 0xF0 && c <= 0xF4) {
      length = 4;
    } else {
      return false;
    }
    if (i + length > bytes.size()) return false;
    for (size_t k = 1; k < length; ++k) {
      if ((static_cast<unsigned char>(bytes[i + k]) & 0xC0) != 0x80) return false;
    }
    i += length;
  }
  return true;
}

std::string display_bytes(std::string_view bytes) {
  if (is_printable_text(bytes)) return std::string(bytes);
  return "base64url:" + base64url_encode(bytes);
}

boost::json::object to_json(const client::TableInfo& table) {
  boost::json::object out;
  out["name"] = table.spec.name;
  out["id"] = fmt::format("{:016x}", table.table_id);
  if (!table.spec.owner.empty()) out["owner"] = table.spec.owner;
  boost::json::array replication;
  for (const auto& dc : table.spec.replication) {
    replication.push_back(boost::json::object{{"dc", dc.dc}, {"rf", dc.rf}});
  }
  out["replication"] = std::move(replication);
  out["read_consistency"] = consistency_name(table.spec.read_consistency);
  out["write_consistency"] = consistency_name(table.spec.write_consistency);
  out["conflict_mode"] = conflict_mode_name(table.spec.conflict_mode);
  out["default_ttl_ms"] = table.spec.default_ttl_ms;
  out["siblings_warn"] = table.spec.siblings_warn;
  out["siblings_max"] = table.spec.siblings_max;
  out["read_repair"] = table.spec.read_repair == client::ReadRepair::kAsync ? "async"
                       : table.spec.read_repair == client::ReadRepair::kOff ? "off"
                                                                            : "blocking";
  out["sloppy_quorum"] = table.spec.sloppy_quorum;
  out["created_at_ms"] = table.created_at_ms;
  out["schema_version"] = table.schema_version;
  return out;
}

boost::json::object to_json(const client::NodeInfo& node) {
  boost::json::object out;
  out["node_id"] = node.node_id;
  out["address"] = node.address;
  out["http_address"] = node.http_address;
  out["dc"] = node.dc;
  out["rack"] = node.rack;
  out["state"] = node.state;
  out["liveness"] = node.liveness;
  out["load_bytes"] = node.load_bytes;
  out["tokens"] = node.tokens.size();
  return out;
}

boost::json::object to_json(const client::KeyValues& values) {
  boost::json::object out;
  for (const auto& [key, value] : values.entries) out[key] = value;
  return out;
}

boost::json::object to_json(const client::Sibling& sibling) {
  boost::json::object out;
  if (sibling.tombstone) {
    out["tombstone"] = true;
  } else if (is_printable_text(sibling.value)) {
    out["value"] = sibling.value;
  } else {
    out["value_base64url"] = base64url_encode(sibling.value);
  }
  if (!sibling.content_type.empty()) out["content_type"] = sibling.content_type;
  out["timestamp"] = sibling.timestamp;
  if (sibling.expires_at_ms != 0) out["expires_at_ms"] = sibling.expires_at_ms;
  return out;
}

namespace {
boost::json::array siblings_json(const std::vector<client::Sibling>& siblings) {
  boost::json::array out;
  for (const auto& sibling : siblings) out.push_back(to_json(sibling));
  return out;
}
}  // namespace

boost::json::object to_json(const client::GetResult& result) {
  boost::json::object out;
  out["found"] = result.found;
  out["siblings"] = siblings_json(result.siblings);
  out["context"] = base64url_encode(result.context);
  return out;
}

boost::json::object to_json(const client::QueryResult& result) {
  boost::json::object out;
  boost::json::array items;
  for (const auto& item : result.items) {
    boost::json::object entry;
    if (is_printable_text(item.sort_key)) {
      entry["sort_key"] = item.sort_key;
    } else {
      entry["sort_key_base64url"] = base64url_encode(item.sort_key);
    }
    entry["siblings"] = siblings_json(item.siblings);
    entry["context"] = base64url_encode(item.context);
    items.push_back(std::move(entry));
  }
  out["items"] = std::move(items);
  out["next_page_token"] = base64url_encode(result.next_page_token);
  return out;
}

namespace {

// The letter `letters` gives `value`, or '?' for a value this version does not know.
char letter_of(std::string_view value,
               std::initializer_list<std::pair<std::string_view, char>> letters) {
  for (const auto& [name, letter] : letters) {
    if (name == value) return letter;
  }
  return '?';
}

}  // namespace

std::string node_state_code(const client::NodeInfo& node) {
  return {
      letter_of(node.liveness, {{"alive", 'U'}, {"suspect", 'S'}, {"dead", 'D'}}),
      letter_of(node.state, {{"normal", 'N'}, {"joining", 'J'}, {"leaving", 'L'}, {"left", 'X'}})};
}

}  // namespace pairdb::admin

namespace pairdb::admin {

std::optional<client::Consistency> parse_consistency(std::string_view name) {
  std::string lower;
  for (char c : name) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (auto c : {Consistency::kDefault, Consistency::kOne, Consistency::kTwo, Consistency::kThree,
                 Consistency::kQuorum, Consistency::kAll, Consistency::kLocalOne,
                 Consistency::kLocalQuorum, Consistency::kEachQuorum}) {
    if (consistency_name(c) == lower) return c;
  }
  return std::nullopt;
}

}  // namespace pairdb::admin
