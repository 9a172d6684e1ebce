#include <sstream>

#include <catch2/catch.hpp>

#include "admin/table_printer.h"
#include "admin/views.h"

using namespace pairdb::admin;
using pairdb::client::Consistency;
using pairdb::client::NodeInfo;

TEST_CASE("columns align to the widest cell, numbers align right, no trailing spaces") {
  TablePrinter printer({{"Name"}, {"Count", TablePrinter::Align::kRight}, {"Note"}});
  printer.add_row({"a", "1", "x"});
  printer.add_row({"longer", "12345", ""});
  printer.add_row({"é", "7", "ü"});  // Two-byte characters count as one column.
  std::ostringstream out;
  printer.print(out);
  CHECK(out.str() ==
        "Name    Count  Note\n"
        "a           1  x\n"
        "longer  12345\n"
        "é           7  ü\n");
}

TEST_CASE("key/value lines align their values") {
  KeyValuePrinter printer;
  printer.add("Name", "users");
  printer.add("Conflict mode", "lww");
  std::ostringstream out;
  printer.print(out);
  CHECK(out.str() == "Name:          users\nConflict mode: lww\n");
}

TEST_CASE("byte and percent formatting") {
  CHECK(format_bytes(512) == "512 B");
  CHECK(format_bytes(1536) == "1.5 KiB");
  CHECK(format_bytes(uint64_t{3} << 30) == "3.0 GiB");
  CHECK(format_percent(0.1234) == "12.3%");
  CHECK(format_percent(1.0) == "100.0%");
}

TEST_CASE("printable text is shown as is, other bytes as base64url") {
  CHECK(is_printable_text("hello world\n\tok"));
  CHECK(is_printable_text("naïve café"));
  CHECK(!is_printable_text(std::string("a\0b", 3)));
  CHECK(!is_printable_text("\x1b[31m"));
  CHECK(!is_printable_text("\xff\xfe"));
  CHECK(!is_printable_text("\xc3"));  // A truncated two-byte sequence.
  CHECK(display_bytes("abc") == "abc");
  CHECK(display_bytes(std::string("\x00\x01", 2)) == "base64url:AAE");
}

TEST_CASE("consistency names round-trip and are case-insensitive") {
  for (auto c : {Consistency::kDefault, Consistency::kOne, Consistency::kQuorum, Consistency::kAll,
                 Consistency::kLocalQuorum, Consistency::kEachQuorum}) {
    CHECK(parse_consistency(consistency_name(c)) == c);
  }
  CHECK(parse_consistency("QUORUM") == Consistency::kQuorum);
  CHECK(!parse_consistency("most").has_value());
}

TEST_CASE("nodetool-style state codes") {
  CHECK(node_state_code(NodeInfo{.state = "normal", .liveness = "alive"}) == "UN");
  CHECK(node_state_code(NodeInfo{.state = "joining", .liveness = "alive"}) == "UJ");
  CHECK(node_state_code(NodeInfo{.state = "leaving", .liveness = "suspect"}) == "SL");
  CHECK(node_state_code(NodeInfo{.state = "normal", .liveness = "dead"}) == "DN");
  CHECK(node_state_code(NodeInfo{.state = "left", .liveness = "dead"}) == "DX");
  CHECK(node_state_code(NodeInfo{.state = "", .liveness = ""}) == "??");
}

TEST_CASE("replication text") {
  CHECK(replication_text({}) == "default");
  CHECK(replication_text({{"dc1", 3}, {"dc2", 2}}) == "dc1:3,dc2:2");
}

TEST_CASE("a table's JSON view shows sloppy_quorum as a boolean") {
  pairdb::client::TableInfo table;
  table.spec.name = "t";
  CHECK(to_json(table).at("sloppy_quorum") == true);
  table.spec.sloppy_quorum = false;
  CHECK(to_json(table).at("sloppy_quorum") == false);
}

TEST_CASE("durations, tokens and node ids for the handoff views") {
  CHECK(format_duration(0) == "0s");
  CHECK(format_duration(45'999) == "45s");
  CHECK(format_duration(192'000) == "3m12s");
  CHECK(format_duration(11'520'000) == "3h12m");
  CHECK(format_duration(273'600'000) == "3d4h");
  CHECK(token_text(0) == "0x0000000000000000");
  CHECK(token_text(255) == "0x00000000000000ff");
  CHECK(token_text(~uint64_t{0}) == "0xffffffffffffffff");
  CHECK(is_node_id("0f1e2d3c-4b5a-4968-8776-655443322110"));
  CHECK(is_node_id("0F1E2D3C-4B5A-4968-8776-655443322110"));
  CHECK_FALSE(is_node_id("not-a-uuid"));
  CHECK_FALSE(is_node_id("0f1e2d3c-4b5a-4968-8776-65544332211"));   // One digit short.
  CHECK_FALSE(is_node_id("0f1e2d3c04b5a-4968-8776-655443322110"));  // A dash replaced.
  CHECK_FALSE(is_node_id("0f1e2d3c-4b5a-4968-8776-65544332211g"));  // Not hex.
}

namespace {

pairdb::client::HandoffStatus sample_handoff_status() {
  pairdb::client::HandoffStatus status;
  status.targets.push_back({.node_id = "0f1e2d3c-4b5a-4968-8776-655443322110",
                            .hints = 12,
                            .bytes = 1536,
                            .oldest_created_wall_ms = 1'000'000 - 192'000,
                            .state = "waiting",
                            .liveness = "dead"});
  status.stored = 20;
  status.delivered = 8;
  status.delivered_bytes = 2048;
  status.failed_attempts = 1;
  status.total_bytes = 1536;
  status.dropped = {{"target_cap", 0}, {"window", 2}, {"truncated", 3}};
  status.repair_ranges.push_back({.table_id = 11,
                                  .table = "users",
                                  .range_start = 0,
                                  .range_end = (1ull << 56) - 1,
                                  .reason = "truncated",
                                  .marked_wall_ms = 1'000'000 - 45'000,
                                  .hints_dropped = 3});
  status.repair_ranges.push_back({.table_id = 99,
                                  .range_start = 0xffull << 56,
                                  .range_end = ~uint64_t{0},
                                  .reason = "window",
                                  .hints_dropped = 2});
  status.repair_ranges_total = 2;
  return status;
}

}  // namespace

TEST_CASE("handoff status as text: targets, totals with drops by reason, ranges to repair") {
  std::ostringstream out;
  print_handoff_status(out, sample_handoff_status(), /*now_wall_ms=*/1'000'000);
  CHECK(out.str() ==
        "Hint delivery: running\n"
        "Node                                  Hints    Bytes  Oldest  State    Liveness\n"
        "0f1e2d3c-4b5a-4968-8776-655443322110     12  1.5 KiB   3m12s  waiting  dead\n"
        "Totals: 20 stored, 8 delivered (2.0 KiB), 1 failed attempts, 1.5 KiB held; dropped: "
        "window 2, truncated 3\n"
        "Ranges needing repair:\n"
        "Table    Token range                             Reason     Hints dropped  Marked\n"
        "users    0x0000000000000000..0x00ffffffffffffff  truncated              3  45s ago\n"
        "(id 99)  0xff00000000000000..0xffffffffffffffff  window                 2  -\n");

  pairdb::client::HandoffStatus empty;
  empty.paused_all = true;
  empty.dropped = {{"target_cap", 0}};
  std::ostringstream none;
  print_handoff_status(none, empty, 1'000'000);
  CHECK(none.str() ==
        "Hint delivery: paused for every target\n"
        "No hints held.\n"
        "Totals: 0 stored, 0 delivered (0 B), 0 failed attempts, 0 B held; dropped: none\n"
        "No ranges need repair.\n");
}

TEST_CASE("handoff status as JSON keeps every field, drops keyed by reason") {
  const boost::json::object json = to_json(sample_handoff_status());
  CHECK(json.at("paused_all") == false);
  const auto& target = json.at("targets").as_array().at(0);
  CHECK(target.at("node_id") == "0f1e2d3c-4b5a-4968-8776-655443322110");
  CHECK(target.at("hints") == 12);
  CHECK(target.at("state") == "waiting");
  CHECK(target.at("liveness") == "dead");
  CHECK(json.at("totals").at("stored") == 20);
  CHECK(json.at("totals").at("total_bytes") == 1536);
  CHECK(json.at("dropped").at("truncated") == 3);
  CHECK(json.at("dropped").at("target_cap") == 0);
  const auto& range = json.at("repair_ranges").as_array().at(1);
  CHECK(range.at("table") == "");
  CHECK(range.at("table_id") == 99);
  CHECK(range.at("range_end").as_uint64() == ~uint64_t{0});
  CHECK(range.at("reason") == "window");
  CHECK(json.at("repair_ranges_total") == 2);
}
