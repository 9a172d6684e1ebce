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
