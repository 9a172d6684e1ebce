// JSON and text renderings of SDK values for pairdb-admin.
#include "admin/views.h"

#include <cctype>
#include <initializer_list>
#include <ostream>
#include <utility>

#include <fmt/format.h>

#include "admin/table_printer.h"
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

namespace pairdb::admin {

std::string token_text(uint64_t token) { return fmt::format("{:#018x}", token); }

bool is_node_id(std::string_view text) {
  if (text.size() != 36) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? text[i] != '-' : !std::isxdigit(static_cast<unsigned char>(text[i]))) return false;
  }
  return true;
}

boost::json::object to_json(const client::HandoffStatus& status) {
  boost::json::array targets;
  for (const auto& t : status.targets) {
    targets.push_back(boost::json::object{{"node_id", t.node_id},
                                          {"hints", t.hints},
                                          {"bytes", t.bytes},
                                          {"oldest_created_wall_ms", t.oldest_created_wall_ms},
                                          {"state", t.state},
                                          {"liveness", t.liveness}});
  }
  boost::json::object dropped;
  for (const auto& [reason, count] : status.dropped) dropped[reason] = count;
  boost::json::array ranges;
  for (const auto& r : status.repair_ranges) {
    ranges.push_back(boost::json::object{{"table_id", r.table_id},
                                         {"table", r.table},
                                         {"range_start", r.range_start},
                                         {"range_end", r.range_end},
                                         {"reason", r.reason},
                                         {"marked_wall_ms", r.marked_wall_ms},
                                         {"hints_dropped", r.hints_dropped}});
  }
  return boost::json::object{
      {"paused_all", status.paused_all},
      {"targets", std::move(targets)},
      {"totals", boost::json::object{{"stored", status.stored},
                                     {"delivered", status.delivered},
                                     {"delivered_bytes", status.delivered_bytes},
                                     {"failed_attempts", status.failed_attempts},
                                     {"total_bytes", status.total_bytes}}},
      {"dropped", std::move(dropped)},
      {"repair_ranges", std::move(ranges)},
      {"repair_ranges_total", status.repair_ranges_total}};
}

namespace {

// How long ago `then` was, or "-" for no time (0) or one in the future (clock skew).
std::string age_text(uint64_t then_wall_ms, uint64_t now_wall_ms) {
  if (then_wall_ms == 0 || then_wall_ms > now_wall_ms) return "-";
  return format_duration(now_wall_ms - then_wall_ms);
}

void print_handoff_targets(std::ostream& out, const client::HandoffStatus& status,
                           uint64_t now_wall_ms) {
  out << "Hint delivery: " << (status.paused_all ? "paused for every target" : "running") << '\n';
  if (status.targets.empty()) {
    out << "No hints held.\n";
    return;
  }
  using Align = TablePrinter::Align;
  TablePrinter table({{"Node"},
                      {"Hints", Align::kRight},
                      {"Bytes", Align::kRight},
                      {"Oldest", Align::kRight},
                      {"State"},
                      {"Liveness"}});
  for (const auto& t : status.targets) {
    table.add_row({t.node_id, std::to_string(t.hints), format_bytes(t.bytes),
                   age_text(t.oldest_created_wall_ms, now_wall_ms), t.state, t.liveness});
  }
  table.print(out);
}

void print_handoff_totals(std::ostream& out, const client::HandoffStatus& status) {
  std::string dropped;
  for (const auto& [reason, count] : status.dropped) {
    if (count == 0) continue;
    dropped += fmt::format("{}{} {}", dropped.empty() ? "" : ", ", reason, count);
  }
  out << fmt::format(
      "Totals: {} stored, {} delivered ({}), {} failed attempts, {} held; dropped: {}\n",
      status.stored, status.delivered, format_bytes(status.delivered_bytes), status.failed_attempts,
      format_bytes(status.total_bytes), dropped.empty() ? "none" : dropped);
}

void print_repair_ranges(std::ostream& out, const client::HandoffStatus& status,
                         uint64_t now_wall_ms) {
  if (status.repair_ranges.empty() && status.repair_ranges_total == 0) {
    out << "No ranges need repair.\n";
    return;
  }
  out << "Ranges needing repair";
  if (status.repair_ranges_total > status.repair_ranges.size()) {
    out << fmt::format(" (the first {} of {})", status.repair_ranges.size(),
                       status.repair_ranges_total);
  }
  out << ":\n";
  TablePrinter table({{"Table"},
                      {"Token range"},
                      {"Reason"},
                      {"Hints dropped", TablePrinter::Align::kRight},
                      {"Marked"}});
  for (const auto& r : status.repair_ranges) {
    const std::string when = age_text(r.marked_wall_ms, now_wall_ms);
    table.add_row({r.table.empty() ? fmt::format("(id {})", r.table_id) : r.table,
                   token_text(r.range_start) + ".." + token_text(r.range_end), r.reason,
                   std::to_string(r.hints_dropped), when == "-" ? when : when + " ago"});
  }
  table.print(out);
}

}  // namespace

void print_handoff_status(std::ostream& out, const client::HandoffStatus& status,
                          uint64_t now_wall_ms) {
  print_handoff_targets(out, status, now_wall_ms);
  print_handoff_totals(out, status);
  print_repair_ranges(out, status, now_wall_ms);
}

}  // namespace pairdb::admin
