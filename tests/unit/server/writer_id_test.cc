// The writer id a node mints version dots with: the node id itself when the WAL never loses an
// acknowledged write; when it may, a fresh, never repeated id per start after a crash (so a
// replica that lost unsynced writes cannot re-mint a dot its peers hold for another write), and
// the last one again after a clean stop.
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

TEST_CASE("with a WAL synced before every acknowledgement the writer is the node", "[identity]") {
  test::TempDir dir;
  auto db = open_db(dir.path());
  const auto node = ring::NodeId::from_words(0x1111222233334444ull, 0x5555666677778888ull);
  for (int start = 0; start < 3; ++start) {
    auto writer = server::writer_id_for_this_start(db.get(), node, /*wal_may_lose_writes=*/false,
                                                   /*after_clean_stop=*/start % 2 == 0);
    REQUIRE(writer.is_ok());
    CHECK(*writer == node);
  }
}

TEST_CASE("a WAL that may lose writes gives every start after a crash its own writer",
          "[identity]") {
  test::TempDir dir;
  const auto node = ring::NodeId::from_words(0x1111222233334444ull, 0x5555666677778888ull);
  std::set<ring::NodeId> writers;
  for (int restart = 0; restart < 3; ++restart) {
    auto db = open_db(dir.path());  // Reopened: the incarnation counter persists.
    for (int start = 0; start < 2; ++start) {
      auto writer = server::writer_id_for_this_start(db.get(), node, /*wal_may_lose_writes=*/true,
                                                     /*after_clean_stop=*/false);
      REQUIRE(writer.is_ok());
      CHECK(*writer != node);
      // The node's id is recognisable in it: only the last four bytes count the starts.
      CHECK(std::equal(node.bytes.begin(), node.bytes.begin() + 12, writer->bytes.begin()));
      writers.insert(*writer);
    }
  }
  CHECK(writers.size() == 6);  // Never repeated.
}

TEST_CASE("a start after a clean stop keeps the last writer, and the mark is taken once",
          "[identity]") {
  test::TempDir dir;
  const auto node = ring::NodeId::from_words(0x1111222233334444ull, 0x5555666677778888ull);
  auto db = open_db(dir.path() + "/db");
  // The first start ever has no writer to keep, clean or not.
  auto first = server::writer_id_for_this_start(db.get(), node, true, /*after_clean_stop=*/true);
  REQUIRE(first.is_ok());
  CHECK(*first != node);
  auto kept = server::writer_id_for_this_start(db.get(), node, true, /*after_clean_stop=*/true);
  REQUIRE(kept.is_ok());
  CHECK(*kept == *first);
  auto after_crash = server::writer_id_for_this_start(db.get(), node, true, false);
  REQUIRE(after_crash.is_ok());
  CHECK(*after_crash != *first);

  auto none = server::take_clean_shutdown_mark(dir.path());
  REQUIRE(none.is_ok());
  CHECK_FALSE(*none);
  REQUIRE(server::mark_clean_shutdown(dir.path()).is_ok());
  auto taken = server::take_clean_shutdown_mark(dir.path());
  REQUIRE(taken.is_ok());
  CHECK(*taken);
  auto again = server::take_clean_shutdown_mark(dir.path());  // A crash now finds no mark.
  REQUIRE(again.is_ok());
  CHECK_FALSE(*again);
}
