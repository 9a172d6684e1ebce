#include <catch2/catch.hpp>

#include "lsm/version_edit.h"

using namespace pairdb;
using namespace pairdb::lsm;

TEST_CASE("a version edit round-trips every field", "[version_edit]") {
  VersionEdit edit;
  edit.set_comparator_name("pairdb.BytewiseComparator");
  edit.set_log_number(7);
  edit.set_next_file_number(12);
  edit.set_last_sequence(99999);
  edit.remove_file(1, 4);
  FileMetaData file;
  file.number = 11;
  file.file_size = 4096;
  file.smallest = make_internal_key("apple", 5, ValueType::kValue);
  file.largest = make_internal_key("pear", 9, ValueType::kDeletion);
  edit.add_file(0, file);

  auto decoded = VersionEdit::decode(edit.encode());
  REQUIRE(decoded.is_ok());
  REQUIRE(*decoded->comparator_name() == "pairdb.BytewiseComparator");
  REQUIRE(*decoded->log_number() == 7);
  REQUIRE(*decoded->next_file_number() == 12);
  REQUIRE(*decoded->last_sequence() == 99999);
  REQUIRE(decoded->deleted_files().count({1, 4}) == 1);
  REQUIRE(decoded->new_files().size() == 1);
  REQUIRE(decoded->new_files()[0].second.smallest == file.smallest);
  REQUIRE(decoded->new_files()[0].second.largest == file.largest);
  REQUIRE(decoded->encode() == edit.encode());
}

TEST_CASE("every truncation inside a field of a version edit is Corruption", "[version_edit]") {
  VersionEdit edit;
  edit.set_log_number(7);
  const size_t first_field_bytes = edit.encode().size();  // A cut here is a valid, shorter edit.
  FileMetaData file;
  file.number = 3;
  file.smallest = make_internal_key("a", 1, ValueType::kValue);
  file.largest = make_internal_key("b", 2, ValueType::kValue);
  edit.add_file(2, file);
  std::string bytes = edit.encode();
  for (size_t cut = 1; cut < bytes.size(); ++cut) {
    auto decoded = VersionEdit::decode(std::string_view(bytes).substr(0, cut));
    CAPTURE(cut);
    if (cut == first_field_bytes) {
      REQUIRE(decoded.is_ok());
    } else {
      REQUIRE(decoded.status().is_corruption());
    }
  }
}

TEST_CASE("an unknown tag or bad level is Corruption", "[version_edit]") {
  REQUIRE(VersionEdit::decode("\x63").status().is_corruption());
  std::string bad_level = "\x05\x09\x01";  // Deleted file at level 9.
  REQUIRE(VersionEdit::decode(bad_level).status().is_corruption());
}

TEST_CASE("a read budget asks once when spent, and again every kReaskProbes probes after",
          "[version]") {
  ReadBudget budget;
  budget.reset(3);
  CHECK_FALSE(budget.charge());
  CHECK_FALSE(budget.charge());
  CHECK(budget.charge());  // The last of it.
  int asked = 0;
  for (int64_t probe = 0; probe < 3 * ReadBudget::kReaskProbes; ++probe) {
    if (budget.charge()) ++asked;
  }
  CHECK(asked == 3);  // A compaction asked for may have failed or given way: it asks again.
  // A copy (a table moved down a level, or recorded in an edit) starts from the copied value.
  ReadBudget copy = budget;
  CHECK(copy.remaining() == budget.remaining());
}
