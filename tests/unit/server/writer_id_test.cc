// The writer id a node mints version dots with: the node id itself when the WAL never loses an
// acknowledged write, and a fresh, never repeated id per start when it may (so a replica that
// lost unsynced writes in a crash cannot re-mint a dot its peers hold for another write).
#include <catch2/catch.hpp>

#include <set>

#include <pairdb/lsm/db.h>

#include "server/cluster/node_identity.h"
#include "support/temp_dir.h"

using namespace pairdb;

namespace {

std::unique_ptr<lsm::DB> open_db(const std::string& path) {
  lsm::Options options;
  options.create_if_missing = true;
  auto db = lsm::DB::open(options, path);
  REQUIRE(db.is_ok());
  return std::move(db).value();
}

}  // namespace

TEST_CASE("with a WAL synced before every acknowledgement the writer is the node",
          "[identity]") {
  test::TempDir dir;
  auto db = open_db(dir.path());
  const auto node = ring::NodeId::from_words(0x1111222233334444ull, 0x5555666677778888ull);
  for (int start = 0; start < 3; ++start) {
    auto writer = server::writer_id_for_this_start(db.get(), node, /*wal_may_lose_writes=*/false);
    REQUIRE(writer.is_ok());
    CHECK(*writer == node);
  }
}

TEST_CASE("a WAL that may lose writes gives every start its own writer, across restarts",
          "[identity]") {
  test::TempDir dir;
  const auto node = ring::NodeId::from_words(0x1111222233334444ull, 0x5555666677778888ull);
  std::set<ring::NodeId> writers;
  for (int restart = 0; restart < 3; ++restart) {
    auto db = open_db(dir.path());  // Reopened: the incarnation counter persists.
    for (int start = 0; start < 2; ++start) {
      auto writer = server::writer_id_for_this_start(db.get(), node, /*wal_may_lose_writes=*/true);
      REQUIRE(writer.is_ok());
      CHECK(*writer != node);
      // The node's id is recognisable in it: only the last four bytes count the starts.
      CHECK(std::equal(node.bytes.begin(), node.bytes.begin() + 12, writer->bytes.begin()));
      writers.insert(*writer);
    }
  }
  CHECK(writers.size() == 6);  // Never repeated.
}
