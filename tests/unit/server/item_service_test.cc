#include <catch2/catch.hpp>

#include "common/coding.h"
#include "server_test_util.h"

using namespace pairdb;
using namespace pairdb::server;
using pairdb::server::testing::await_inline;
using pairdb::server::testing::Stack;

namespace {

// A write of `value` to item "k" of table "t" (no sort key).
WriteCommand write_to_k(std::string value) {
  WriteCommand command;
  command.key = {"t", "k", ""};
  command.value = std::move(value);
  return command;
}

// A delete of `key` by a client that has read `context`.
WriteCommand remove_seen(ItemKey key, std::string context) {
  WriteCommand remove;
  remove.key = std::move(key);
  remove.tombstone = true;
  remove.context = std::move(context);
  return remove;
}

}  // namespace

TEST_CASE("a value written is read back with a context", "[server][items]") {
  Stack stack;
  stack.create_table("t");
  auto put = stack.put("t", "pk", "v1");
  REQUIRE(put.is_ok());
  CHECK_FALSE(put->context.empty());
  auto get = stack.get("t", "pk");
  REQUIRE(get.is_ok());
  REQUIRE(get->found);
  REQUIRE(get->siblings.size() == 1);
  CHECK(get->siblings[0].value == "v1");
  CHECK(get->context == put->context);
}

TEST_CASE("unknown tables and oversized inputs get distinct errors", "[server][items]") {
  ItemLimits limits;
  limits.value_bytes_max = 10;
  limits.partition_key_bytes_max = 4;
  Stack stack(limits);
  stack.create_table("t");
  CHECK(stack.put("missing", "pk", "v").status().code() == StatusCode::kTableNotFound);
  CHECK(stack.put("t", "pk", std::string(11, 'x')).status().code() == StatusCode::kTooLarge);
  // An over-long key is an invalid request, not an oversized payload.
  CHECK(stack.put("t", "12345", "v").status().is_invalid_argument());
  CHECK(stack.put("t", "", "v").status().is_invalid_argument());
  CHECK(stack.put("t", "pk", "v", "not a context").status().is_invalid_argument());
  CHECK(stack.put("t", "pk", std::string(10, 'x')).is_ok());
}

TEST_CASE("blind concurrent writes make siblings, a write with the context resolves them",
          "[server][items]") {
  Stack stack;
  stack.create_table("t");
  REQUIRE(stack.put("t", "k", "a").is_ok());
  REQUIRE(stack.put("t", "k", "b").is_ok());
  auto conflict = stack.get("t", "k");
  REQUIRE(conflict.is_ok());
  REQUIRE(conflict->siblings.size() == 2);
  REQUIRE(stack.put("t", "k", "ab", conflict->context).is_ok());
  auto resolved = stack.get("t", "k");
  REQUIRE(resolved->siblings.size() == 1);
  CHECK(resolved->siblings[0].value == "ab");
}

TEST_CASE("the sibling limit rejects a write with TooLarge and keeps what is stored",
          "[server][items]") {
  Stack stack;
  CreateTableCommand command;
  command.name = "t";
  command.siblings_warn = 2;
  command.siblings_max = 3;
  REQUIRE(pairdb::server::testing::await_inline<replication::TableInfo>(
              [&](Reply<replication::TableInfo> done) {
                stack.tables->create(command, std::move(done));
              })
              .is_ok());
  for (int i = 0; i < 3; ++i) REQUIRE(stack.put("t", "k", std::to_string(i)).is_ok());
  CHECK(stack.items->sibling_warnings() == 1);  // The third sibling crossed warn = 2.
  auto rejected = stack.put("t", "k", "x");
  CHECK(rejected.status().code() == StatusCode::kTooLarge);
  CHECK(stack.get("t", "k")->siblings.size() == 3);
}

TEST_CASE("deletes hide the item and a later write with the context replaces the tombstone",
          "[server][items]") {
  Stack stack;
  stack.create_table("t");
  auto put = stack.put("t", "k", "v");
  auto removed = stack.write(remove_seen({"t", "k", ""}, put->context));
  REQUIRE(removed.is_ok());
  auto gone = stack.get("t", "k");
  REQUIRE(gone.is_ok());
  CHECK_FALSE(gone->found);
  REQUIRE(stack.put("t", "k", "again", gone->context).is_ok());
  auto back = stack.get("t", "k");
  REQUIRE(back->siblings.size() == 1);
  CHECK(back->siblings[0].value == "again");
}

TEST_CASE("idempotent retries return the first context and add nothing", "[server][items]") {
  Stack stack;
  stack.create_table("t");
  WriteCommand command = write_to_k("v");
  command.idempotency_key = "retry-me";
  auto first = stack.write(command);
  auto second = stack.write(command);
  REQUIRE(first.is_ok());
  REQUIRE(second.is_ok());
  CHECK_FALSE(first->duplicate);
  CHECK(second->duplicate);
  CHECK(second->context == first->context);
  CHECK(stack.get("t", "k")->siblings.size() == 1);
}

TEST_CASE("TTL items expire on read and the table default applies", "[server][items]") {
  Stack stack;
  stack.create_table("t");
  WriteCommand command = write_to_k("v");
  command.ttl_ms = 1000;
  REQUIRE(stack.write(command).is_ok());
  CHECK(stack.get("t", "k")->found);
  stack.clock.advance(std::chrono::milliseconds(1000));
  CHECK_FALSE(stack.get("t", "k")->found);
}

TEST_CASE("queries page through a partition in sort-key order", "[server][items]") {
  Stack stack;
  stack.create_table("t");
  for (int i = 0; i < 250; ++i) {
    REQUIRE(stack.put("t", "p", std::to_string(i), {}, fmt::format("{:04}", i)).is_ok());
  }
  REQUIRE(stack.put("t", "other", "x", {}, "0000").is_ok());
  std::vector<std::string> seen;
  QueryCommand query;
  query.table = "t";
  query.partition_key = "p";
  query.limit = 100;
  for (int page = 0; page < 10; ++page) {
    auto reply = stack.query(query);
    REQUIRE(reply.is_ok());
    for (const auto& item : reply->items) seen.push_back(item.sort_key);
    if (reply->next_page_token.empty()) break;
    query.page_token = reply->next_page_token;
  }
  REQUIRE(seen.size() == 250);
  CHECK(std::is_sorted(seen.begin(), seen.end()));

  QueryCommand range;
  range.table = "t";
  range.partition_key = "p";
  range.from_sort_key = "0010";
  range.to_sort_key = "0019";
  auto bounded = stack.query(range);
  REQUIRE(bounded->items.size() == 10);
  CHECK(bounded->next_page_token.empty());

  QueryCommand foreign = range;
  foreign.partition_key = "other";
  foreign.page_token = query.page_token;
  CHECK(stack.query(foreign).status().is_invalid_argument());
}

TEST_CASE("compaction removes dropped tables' data and purges old tombstones", "[server][items]") {
  Stack stack(ItemLimits{}, /*tombstone_grace_ms=*/1000);
  stack.create_table("dropme");
  stack.create_table("keep");
  for (int i = 0; i < 100; ++i) REQUIRE(stack.put("dropme", "k" + std::to_string(i), "v").is_ok());
  auto put = stack.put("keep", "deleted", "v");
  REQUIRE(stack.write(remove_seen({"keep", "deleted", ""}, put->context)).is_ok());
  REQUIRE(stack.put("keep", "live", "v").is_ok());
  REQUIRE(stack.catalog()->drop("dropme", false).is_ok());
  stack.clock.advance(std::chrono::milliseconds(2000));  // Past the grace period.
  REQUIRE(stack.db()->compact_range(nullptr, nullptr).is_ok());
  CHECK(stack.storage->compaction_filter().dropped_table_records() == 100);
  CHECK(stack.storage->compaction_filter().purged_records() == 1);
  CHECK(stack.get("keep", "live")->found);
}

TEST_CASE("a context forged by a client is refused and the item stays writable",
          "[server][items][context]") {
  Stack stack;
  stack.create_table("t");
  auto first = stack.put("t", "k", "v1");
  REQUIRE(first.is_ok());
  // The forged context of the hostile-input report: this node's counter at 2^64 - 2.
  std::string forged(1, static_cast<char>(replication::kContextFormatVersion));
  put_varint64(&forged, 1);
  forged.append(reinterpret_cast<const char*>(stack.self.bytes.data()), stack.self.bytes.size());
  put_varint64(&forged, UINT64_MAX - 1);
  forged.append(replication::kContextTagBytes, '\0');
  auto refused = stack.put("t", "k", "evil", forged);
  CHECK(refused.status().is_invalid_argument());
  // Blind writes and writes with a context the node issued keep working.
  auto read = stack.get("t", "k");
  REQUIRE(read.is_ok());
  REQUIRE(stack.put("t", "k", "v2", read->context).is_ok());
  REQUIRE(stack.put("t", "k", "v3").is_ok());
  CHECK(stack.get("t", "k")->siblings.size() == 2);  // v2 and the blind v3.
}

TEST_CASE("a context read from one item does not open on another", "[server][items][context]") {
  Stack stack;
  stack.create_table("t");
  stack.create_table("u");
  REQUIRE(stack.put("t", "a", "v").is_ok());
  const std::string context_of_a = stack.get("t", "a")->context;
  CHECK(stack.put("t", "b", "v", context_of_a).status().is_invalid_argument());
  CHECK(stack.put("u", "a", "v", context_of_a).status().is_invalid_argument());
  CHECK(stack.put("t", "a", "v", context_of_a, "sort").status().is_invalid_argument());
  CHECK(stack.put("t", "a", "v2", context_of_a).is_ok());
}

TEST_CASE("a TTL past the maximum is refused instead of wrapping the expiry",
          "[server][items][ttl]") {
  Stack stack;
  stack.create_table("t");
  WriteCommand command = write_to_k("v");
  command.ttl_ms = UINT64_MAX;
  CHECK(stack.write(command).status().is_invalid_argument());
  command.ttl_ms = replication::kTtlMsMax + 1;
  CHECK(stack.write(command).status().is_invalid_argument());
  CHECK_FALSE(stack.get("t", "k")->found);
  command.ttl_ms = replication::kTtlMsMax;
  REQUIRE(stack.write(command).is_ok());
  CHECK(stack.get("t", "k")->found);

  CreateTableCommand table;
  table.name = "forever";
  table.default_ttl_ms = UINT64_MAX;
  auto created = await_inline<replication::TableInfo>(
      [&](Reply<replication::TableInfo> done) { stack.tables->create(table, std::move(done)); });
  CHECK(created.status().is_invalid_argument());
}

TEST_CASE("a query limit above the page maximum is an invalid argument", "[server][items]") {
  Stack stack;
  stack.create_table("t");
  QueryCommand command;
  command.table = "t";
  command.partition_key = "p";
  command.limit = stack.items->limits().query_page_items_max + 1;
  auto reply = stack.query(command);
  CHECK(reply.status().is_invalid_argument());
  CHECK_THAT(std::string(reply.status().message()), Catch::Contains("page maximum"));
}
