#include <catch2/catch.hpp>

#include "server_test_util.h"

using namespace pairdb;
using namespace pairdb::server;
using pairdb::server::testing::Stack;

TEST_CASE("created tables survive a reopen with their metadata", "[server][catalog]") {
  Stack stack;
  const replication::TableInfo users = stack.create_table("users", replication::ConflictMode::kLww);
  const replication::TableInfo carts = stack.create_table("carts");
  CHECK(users.id != carts.id);
  CHECK(users.id != replication::kSystemTableId);
  CHECK(stack.catalog()->schema_version() == 2);
  stack.close();
  stack.open();
  auto found = stack.catalog()->find("users");
  REQUIRE(found != nullptr);
  CHECK(*found == users);
  CHECK(stack.catalog()->list().size() == 2);
  CHECK(stack.catalog()->schema_version() == 2);
}

TEST_CASE("a duplicate name is refused unless if_not_exists", "[server][catalog]") {
  Stack stack;
  const replication::TableInfo first = stack.create_table("t");
  replication::TableSpec spec = first.spec;
  auto again = stack.catalog()->create(spec, false, 1);
  CHECK(again.status().code() == StatusCode::kTableExists);
  auto idempotent = stack.catalog()->create(spec, true, 1);
  REQUIRE(idempotent.is_ok());
  CHECK(idempotent->id == first.id);
}

TEST_CASE("dropped tables are forgotten, their ids remembered, and never reused",
          "[server][catalog]") {
  Stack stack;
  const replication::TableInfo old_table = stack.create_table("t");
  REQUIRE(stack.catalog()->drop("t", false).is_ok());
  CHECK(stack.catalog()->find("t") == nullptr);
  CHECK(stack.catalog()->is_dropped(old_table.id));
  CHECK(stack.catalog()->drop("t", false).status().code() == StatusCode::kTableNotFound);
  CHECK(stack.catalog()->drop("t", true).is_ok());
  const replication::TableInfo new_table = stack.create_table("t");
  CHECK(new_table.id != old_table.id);
  stack.close();
  stack.open();
  CHECK(stack.catalog()->is_dropped(old_table.id));
  CHECK_FALSE(stack.catalog()->is_dropped(new_table.id));
}

TEST_CASE("table specs are validated", "[server][catalog]") {
  replication::TableSpec spec;
  spec.name = "ok_name-1";
  CHECK(replication::validate_table_spec(spec).is_ok());
  spec.name = "";
  CHECK(replication::validate_table_spec(spec).is_invalid_argument());
  spec.name = "has space";
  CHECK(replication::validate_table_spec(spec).is_invalid_argument());
  spec.name = std::string(65, 'a');
  CHECK(replication::validate_table_spec(spec).is_invalid_argument());
  spec.name = "t";
  spec.replication = {{"dc1", 3}, {"dc1", 2}};
  CHECK(replication::validate_table_spec(spec).is_invalid_argument());
  spec.replication = {{"dc1", 0}};
  CHECK(replication::validate_table_spec(spec).is_invalid_argument());
  spec.replication = {{"dc1", 3}};
  spec.siblings_warn = 200;
  CHECK(replication::validate_table_spec(spec).is_invalid_argument());
}

TEST_CASE("table metadata encoding round-trips and rejects garbage", "[server][catalog]") {
  replication::TableInfo info;
  info.id = 0x1234567890abcdefull;
  info.created_at_ms = 99;
  info.schema_version = 3;
  info.spec.name = "orders";
  info.spec.owner = "billing";
  info.spec.replication = {{"dc1", 3}, {"dc2", 2}};
  info.spec.conflict_mode = replication::ConflictMode::kLww;
  info.spec.default_ttl_ms = 5000;
  const std::string encoded = replication::encode_table_info(info);
  auto decoded = replication::decode_table_info(encoded);
  REQUIRE(decoded.is_ok());
  CHECK(*decoded == info);
  for (size_t cut = 0; cut < encoded.size(); ++cut) {
    CHECK(replication::decode_table_info(encoded.substr(0, cut)).status().is_corruption());
  }
  CHECK(replication::decode_table_info(encoded + "x").status().is_corruption());
}

TEST_CASE("a table's read_repair round-trips and the default encodes as before it existed",
          "[catalog]") {
  replication::TableInfo info;
  info.id = 7;
  info.spec.name = "events";
  info.spec.replication = {{"dc1", 3}};
  const std::string plain = replication::encode_table_info(info);
  for (auto mode : {replication::ReadRepair::kAsync, replication::ReadRepair::kOff}) {
    info.spec.read_repair = mode;
    const std::string encoded = replication::encode_table_info(info);
    CHECK(encoded.size() == plain.size() + 1);  // One byte appended, only when not the default.
    auto decoded = replication::decode_table_info(encoded);
    REQUIRE(decoded.is_ok());
    CHECK(decoded->spec.read_repair == mode);
  }
  auto defaulted = replication::decode_table_info(plain);
  REQUIRE(defaulted.is_ok());
  CHECK(defaulted->spec.read_repair == replication::ReadRepair::kBlocking);
  CHECK(replication::decode_table_info(plain + std::string(1, '\0')).status().is_corruption());
  CHECK(replication::parse_read_repair("off").value() == replication::ReadRepair::kOff);
  CHECK(replication::parse_read_repair("sometimes").status().is_invalid_argument());
}

TEST_CASE("a table's sloppy_quorum round-trips and the default encodes as before it existed",
          "[catalog]") {
  replication::TableInfo info;
  info.id = 7;
  info.spec.name = "events";
  info.spec.replication = {{"dc1", 3}};
  CHECK(info.spec.sloppy_quorum);  // On unless a table turns it off.
  const std::string plain = replication::encode_table_info(info);
  for (auto mode : {replication::ReadRepair::kBlocking, replication::ReadRepair::kAsync,
                    replication::ReadRepair::kOff}) {
    INFO(replication::read_repair_name(mode));
    info.spec.read_repair = mode;
    info.spec.sloppy_quorum = false;
    const std::string encoded = replication::encode_table_info(info);
    CHECK(encoded.size() == plain.size() + 2);  // read_repair's byte, even at its default, then 0.
    auto decoded = replication::decode_table_info(encoded);
    REQUIRE(decoded.is_ok());
    CHECK(*decoded == info);
    CHECK_FALSE(decoded->spec.sloppy_quorum);
    CHECK(decoded->spec.read_repair == mode);
  }
  // A sloppy_quorum byte other than 0 would be a second encoding of the default.
  CHECK(replication::decode_table_info(plain + std::string("\0\1", 2)).status().is_corruption());
  CHECK(replication::decode_table_info(plain + std::string("\0\0\0", 3)).status().is_corruption());
  CHECK(replication::decode_table_info(plain + std::string("\3\0", 2)).status().is_corruption());
}

TEST_CASE("a table stored before sloppy_quorum existed reads back with it on", "[catalog]") {
  // The encoding written before the option existed, byte for byte: format 1, id 7 (fixed64),
  // created_at_ms 0, schema_version 0, name, owner, {dc1: 3}, Quorum, Quorum, Siblings, TTL 0,
  // siblings 25/100, and optionally read_repair.
  const std::string old_bytes = std::string("\1\7\0\0\0\0\0\0\0\0\0", 11) + "\6events" +
                                std::string("\0\1", 2) + "\3dc1\3\4\4" + std::string("\0\0", 2) +
                                "\x19\x64";
  auto old_table = replication::decode_table_info(old_bytes);
  REQUIRE(old_table.is_ok());
  CHECK(old_table->spec.name == "events");
  CHECK(old_table->spec.sloppy_quorum);
  CHECK(old_table->spec.read_repair == replication::ReadRepair::kBlocking);
  CHECK(replication::encode_table_info(*old_table) == old_bytes);  // The digest is unchanged.

  auto old_async = replication::decode_table_info(old_bytes + "\1");
  REQUIRE(old_async.is_ok());
  CHECK(old_async->spec.sloppy_quorum);
  CHECK(old_async->spec.read_repair == replication::ReadRepair::kAsync);
  CHECK(replication::encode_table_info(*old_async) == old_bytes + "\1");
}

TEST_CASE("a table created with sloppy_quorum off keeps it across a reopen", "[server][catalog]") {
  Stack stack;
  CreateTableCommand command;
  command.name = "strict";
  command.sloppy_quorum = false;
  auto created = pairdb::server::testing::await_inline<replication::TableInfo>(
      [&](Reply<replication::TableInfo> done) { stack.tables->create(command, std::move(done)); });
  REQUIRE(created.is_ok());
  CHECK_FALSE(created->spec.sloppy_quorum);
  CHECK(stack.create_table("sloppy").spec.sloppy_quorum);
  stack.close();
  stack.open();
  auto strict = stack.catalog()->find("strict");
  REQUIRE(strict != nullptr);
  CHECK_FALSE(strict->spec.sloppy_quorum);
  auto sloppy = stack.catalog()->find("sloppy");
  REQUIRE(sloppy != nullptr);
  CHECK(sloppy->spec.sloppy_quorum);
}
