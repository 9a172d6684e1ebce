// merge_range_pages: replicas' partition pages joined into one page that speaks only for the sort
// keys every page covered, each key's records joined with the record merge.
#include <catch2/catch.hpp>

#include "replication/range_merge.h"
#include "replication_test_util.h"

namespace pairdb::replication {
namespace {

using testing::apply_ok;
using testing::node;
using testing::put_write;

VersionRecord record_of(const std::string& value, uint64_t writer) {
  return apply_ok({}, put_write(value), node(writer), 1000 + writer).record;
}

RangePage page(std::vector<std::pair<std::string, VersionRecord>> entries,
               std::optional<std::string> resume_after = std::nullopt) {
  RangePage p;
  for (auto& [key, record] : entries) p.entries.push_back({key, record});
  p.resume_after = std::move(resume_after);
  return p;
}

std::vector<std::string> keys_of(const RangePage& p) {
  std::vector<std::string> keys;
  for (const auto& e : p.entries) keys.push_back(e.sort_key);
  return keys;
}

TEST_CASE("complete pages merge key by key with the record merge", "[replication][range]") {
  const VersionRecord a1 = record_of("a-on-1", 1);
  const VersionRecord a2 = record_of("a-on-2", 2);
  const VersionRecord b = record_of("b", 1);
  const RangePage merged =
      merge_range_pages({page({{"a", a1}, {"b", b}}), page({{"a", a2}, {"c", record_of("c", 2)}})},
                        ConflictMode::kSiblings);
  CHECK(keys_of(merged) == std::vector<std::string>{"a", "b", "c"});
  CHECK_FALSE(merged.resume_after);
  // Concurrent writes of "a" on two replicas: both survive as siblings.
  CHECK(merged.entries[0].record == merge(a1, a2, ConflictMode::kSiblings));
  CHECK(merged.entries[0].record.siblings.size() == 2);
}

TEST_CASE("a page cut short bounds the merged page at its stopping point", "[replication][range]") {
  const VersionRecord r = record_of("v", 1);
  // Replica 1 stopped after "b"; replica 2 holds "c" and "d", which replica 1 may hold too
  // past its page: the merged page must not claim them.
  const RangePage merged = merge_range_pages(
      {page({{"a", r}, {"b", r}}, "b"), page({{"c", r}, {"d", r}})}, ConflictMode::kSiblings);
  CHECK(keys_of(merged) == std::vector<std::string>{"a", "b"});
  REQUIRE(merged.resume_after);
  CHECK(*merged.resume_after == "b");
}

TEST_CASE("the smallest stopping point of several short pages wins", "[replication][range]") {
  const VersionRecord r = record_of("v", 1);
  const RangePage merged = merge_range_pages(
      {page({{"a", r}, {"c", r}}, "c"), page({{"b", r}}, "b"), page({}, std::nullopt)},
      ConflictMode::kLww);
  CHECK(keys_of(merged) == std::vector<std::string>{"a", "b"});
  CHECK(*merged.resume_after == "b");
}

TEST_CASE("merging one page, or none, changes nothing", "[replication][range]") {
  const VersionRecord r = record_of("v", 1);
  const RangePage one = page({{"a", r}, {"b", r}}, "b");
  const RangePage merged = merge_range_pages({one}, ConflictMode::kSiblings);
  CHECK(keys_of(merged) == keys_of(one));
  CHECK(merged.resume_after == one.resume_after);
  CHECK(merge_range_pages({}, ConflictMode::kSiblings).entries.empty());
}

}  // namespace
}  // namespace pairdb::replication
