// Catalog::merge: how table definitions converge between nodes (schema through gossip).
#include <catch2/catch.hpp>

#include <algorithm>

#include "lsm_test_util.h"
#include "server/catalog/catalog.h"

using namespace pairdb;
using namespace pairdb::server;

namespace {

// One node's catalog on its own in-memory engine; `seed` picks its table ids.
struct Node {
  lsm::FaultyEnv env;
  std::unique_ptr<lsm::DB> db;
  std::unique_ptr<Catalog> catalog;
  uint64_t seed;

  explicit Node(uint64_t seed_value) : seed(seed_value) { open(); }

  void open() {
    db = lsm::testing::open_db(lsm::testing::small_options(&env));
    auto opened = Catalog::open(db.get(), seed);
    REQUIRE(opened.is_ok());
    catalog = std::move(opened).value();
  }
  void reopen() {
    catalog.reset();
    REQUIRE(db->close().is_ok());
    db.reset();
    open();
  }
  replication::TableInfo create(const std::string& name, uint64_t now_ms) {
    replication::TableSpec spec;
    spec.name = name;
    spec.replication = {{"dc1", 3}};
    auto info = catalog->create(spec, false, now_ms);
    INFO(info.status().to_string());
    REQUIRE(info.is_ok());
    return *info;
  }
  size_t merge_from(const Node& other) {
    auto merged = catalog->merge(other.catalog->state());
    INFO(merged.status().to_string());
    REQUIRE(merged.is_ok());
    return *merged;
  }
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (const replication::TableInfo& t : catalog->list()) out.push_back(t.spec.name);
    return out;
  }
};

// Two nodes' catalogs that have not exchanged anything yet.
struct TwoNodes {
  Node a{1};
  Node b{2};
};

}  // namespace

TEST_CASE_METHOD(TwoNodes,
                 "merging two catalogs both ways gives both nodes the union and one digest",
                 "[server][catalog][merge]") {
  const replication::TableInfo orders = a.create("orders", 100);
  const replication::TableInfo users = b.create("users", 200);
  CHECK(a.catalog->digest() != b.catalog->digest());

  CHECK(a.merge_from(b) == 1);
  CHECK(b.merge_from(a) == 1);
  CHECK(a.names() == std::vector<std::string>{"orders", "users"});
  CHECK(b.names() == a.names());
  CHECK(*b.catalog->find("orders") == orders);
  CHECK(*a.catalog->find("users") == users);
  CHECK(a.catalog->digest() == b.catalog->digest());
  // Idempotent: nothing new the second time.
  CHECK(a.merge_from(b) == 0);
  CHECK(a.catalog->schema_version() == b.catalog->schema_version());
}

TEST_CASE_METHOD(TwoNodes, "a drop propagates and the dropped id never comes back",
                 "[server][catalog][merge]") {
  const replication::TableInfo t = a.create("t", 100);
  b.merge_from(a);
  REQUIRE(b.catalog->find("t") != nullptr);
  REQUIRE(b.catalog->drop("t", false).is_ok());

  // a still holds t live; merging b's drop removes it, and a's old state cannot revive it on b.
  CHECK(b.merge_from(a) == 0);
  CHECK(b.catalog->find("t") == nullptr);
  CHECK(a.merge_from(b) == 1);
  CHECK(a.catalog->find("t") == nullptr);
  CHECK(a.catalog->is_dropped(t.id));
  CHECK(a.catalog->digest() == b.catalog->digest());

  a.reopen();
  CHECK(a.catalog->is_dropped(t.id));
  CHECK(a.catalog->find("t") == nullptr);
}

TEST_CASE_METHOD(
    TwoNodes, "one name created concurrently on two nodes resolves to the earlier table everywhere",
    "[server][catalog][merge]") {
  const replication::TableInfo early = a.create("events", 100);
  const replication::TableInfo late = b.create("events", 200);
  REQUIRE(early.id != late.id);

  a.merge_from(b);
  b.merge_from(a);
  for (Node* node : {&a, &b}) {
    auto found = node->catalog->find("events");
    REQUIRE(found != nullptr);
    CHECK(found->id == early.id);
    CHECK(node->catalog->is_dropped(late.id));
  }
  CHECK(a.catalog->digest() == b.catalog->digest());
}

TEST_CASE("merge order does not matter across three nodes", "[server][catalog][merge]") {
  Node a(1);
  Node b(2);
  Node c(3);
  a.create("x", 100);
  b.create("x", 50);  // Would win the name, but b drops it...
  c.create("y", 10);
  REQUIRE(b.catalog->drop("x", false).is_ok());
  b.create("x", 300);  // ...and creates a later x, which loses to a's.

  // a <- b <- c in one order, c <- a <- b in another; then everyone exchanges once more.
  a.merge_from(b);
  a.merge_from(c);
  c.merge_from(a);
  c.merge_from(b);
  b.merge_from(c);
  a.merge_from(b);
  CHECK(a.catalog->digest() == b.catalog->digest());
  CHECK(b.catalog->digest() == c.catalog->digest());
  CHECK(a.names() == std::vector<std::string>{"x", "y"});
}

TEST_CASE_METHOD(TwoNodes, "the default table created with a fixed id on every node is one table",
                 "[server][catalog][merge]") {
  replication::TableSpec spec;
  spec.name = "default";
  spec.replication = {{"dc1", 3}};
  spec.conflict_mode = replication::ConflictMode::kLww;
  auto on_a = a.catalog->create_with_id(spec, 0x1234);
  auto on_b = b.catalog->create_with_id(spec, 0x1234);
  REQUIRE(on_a.is_ok());
  REQUIRE(on_b.is_ok());
  CHECK(*on_a == *on_b);
  CHECK(a.catalog->digest() == b.catalog->digest());
  CHECK(a.merge_from(b) == 0);
  // Asking again returns the existing table.
  auto again = a.catalog->create_with_id(spec, 0x9999);
  REQUIRE(again.is_ok());
  CHECK(again->id == 0x1234);
}

TEST_CASE("a remote state that breaks the rules is refused whole", "[server][catalog][merge]") {
  Node a(1);
  CatalogState bad;
  replication::TableInfo system;
  system.spec.name = "sys";
  system.spec.replication = {{"dc1", 3}};
  system.id = replication::kSystemTableId;
  bad.tables.push_back(system);
  CHECK(a.catalog->merge(bad).status().code() == StatusCode::kCorruption);
  CatalogState invalid;
  replication::TableInfo nameless;
  nameless.id = 77;
  invalid.tables.push_back(nameless);
  CHECK(a.catalog->merge(invalid).status().code() == StatusCode::kCorruption);
  CHECK(a.catalog->list().empty());
}

TEST_CASE_METHOD(TwoNodes,
                 "a peer's table created before the TTL bound still merges, but none is created",
                 "[server][catalog][merge]") {
  replication::TableInfo old = b.create("old", 5);
  // As a node of an earlier version would have stored it: a default TTL past kTtlMsMax.
  old.spec.default_ttl_ms = UINT64_MAX;
  CatalogState remote = b.catalog->state();
  for (replication::TableInfo& t : remote.tables) {
    if (t.spec.name == "old") t.spec.default_ttl_ms = UINT64_MAX;
  }
  auto merged = a.catalog->merge(remote);
  INFO(merged.status().to_string());
  REQUIRE(merged.is_ok());
  CHECK(a.catalog->find("old") != nullptr);
  replication::TableSpec spec = old.spec;
  spec.name = "new";
  CHECK(a.catalog->create(spec, false, 6).status().is_invalid_argument());
}
