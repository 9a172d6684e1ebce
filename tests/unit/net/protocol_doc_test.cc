// PROTOCOL.md's error table (section 9) and the code's error table (net/error_table.h) say the
// same: every documented code has the documented name, HTTP status and retry class, and every
// code of client.fbs is documented. Likewise its opcode table (section 6) and the opcode table
// (net/opcode_table.h).
#include <catch2/catch.hpp>

#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "net/frame.h"
#include "net/wire.h"

using namespace pairdb;
using namespace pairdb::net;

namespace {

std::string trim(std::string s) {
  const size_t begin = s.find_first_not_of(' ');
  const size_t end = s.find_last_not_of(' ');
  return begin == std::string::npos ? "" : s.substr(begin, end - begin + 1);
}

// The cells of a Markdown table row, without the outer pipes.
std::vector<std::string> cells_of(const std::string& line) {
  std::vector<std::string> cells;
  std::stringstream in(line.substr(1));
  std::string cell;
  while (std::getline(in, cell, '|')) cells.push_back(trim(cell));
  return cells;
}

}  // namespace

TEST_CASE("PROTOCOL.md's error table matches the code's", "[net][protocol]") {
  std::ifstream doc(std::string(PAIRDB_SOURCE_DIR) + "/src/net/PROTOCOL.md");
  REQUIRE(doc.good());
  std::set<int> documented;
  std::string line;
  bool in_table = false;  // Between the error table's heading row and the next non-row line.
  while (std::getline(doc, line)) {
    if (line.starts_with("| code | name")) {
      in_table = true;
      continue;
    }
    if (!in_table) continue;
    if (!line.starts_with("|")) break;
    if (line.size() < 3 || !std::isdigit(static_cast<unsigned char>(line[2]))) continue;
    const std::vector<std::string> cells = cells_of(line);
    REQUIRE(cells.size() >= 5);
    const int number = std::stoi(cells[0]);
    INFO(line);
    const auto code = static_cast<wire::ErrorCode>(number);
    CHECK(error_code_name(code) == cells[1]);
    CHECK(http_status_for(code) == std::stoi(cells.back()));
    const std::string& retry = cells[cells.size() - 2];
    switch (retry_class_of(code)) {
      case RetryClass::kNever:
        CHECK(retry.starts_with("no"));
        break;
      case RetryClass::kRefused:
        CHECK(retry.starts_with("yes"));
        break;
      case RetryClass::kUnknownOutcome:
        CHECK((retry.find("idempotency key") != std::string::npos || retry == "as Timeout"));
        break;
    }
    documented.insert(number);
  }
  for (auto code : wire::EnumValuesErrorCode()) {
    INFO(error_code_name(code));
    CHECK(documented.count(static_cast<int>(code)) == 1);
  }
}

TEST_CASE("PROTOCOL.md's opcode table lists every opcode with its number and name",
          "[net][protocol]") {
  std::ifstream doc(std::string(PAIRDB_SOURCE_DIR) + "/src/net/PROTOCOL.md");
  REQUIRE(doc.good());
  std::set<int> documented;
  std::string line;
  bool in_table = false;
  while (std::getline(doc, line)) {
    if (line.starts_with("| opcode | name")) {
      in_table = true;
      continue;
    }
    if (!in_table) continue;
    if (!line.starts_with("|")) break;
    const std::vector<std::string> cells = cells_of(line);
    if (cells.empty() || cells[0].empty() || !std::isdigit(static_cast<unsigned char>(cells[0][0])))
      continue;  // The separator row.
    INFO(line);
    REQUIRE(cells.size() >= 3);
    const int number = std::stoi(cells[0]);
    REQUIRE(is_known_opcode(static_cast<uint16_t>(number)));
    CHECK(opcode_name(static_cast<Opcode>(number)) == cells[1]);
    CHECK(cells[2].starts_with(cells[1] + "Request → " + cells[1] + "Response"));
    documented.insert(number);
  }
  for (Opcode opcode : kAllOpcodes) {
    INFO(opcode_name(opcode));
    CHECK(documented.count(static_cast<int>(opcode)) == 1);
  }
}
