// PacedRepairStorage: scans pass every record through unchanged; past a small burst, a scan ahead
// of repair.scan_bytes_per_sec waits (asserted as a lower bound on the wait the budget implies,
// never as an elapsed-time limit); unpaced scans never wait; interrupt() ends a wait at once;
// reads, merges and syncs reach the inner storage.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "server/cluster/paced_repair_storage.h"

using namespace pairdb;
using namespace pairdb::server;
using namespace pairdb::replication;

namespace {

// `records` records of `record_bytes` each (keys "k<i>"), and counts of the other calls.
class FakeStorage final : public RepairStorage {
 public:
  FakeStorage(size_t records, size_t record_bytes)
      : records_(records), record_(record_bytes, 'r') {}

  Status scan(TableId, const ring::TokenRange&, const RepairRecordVisitor& visit) override {
    for (size_t i = 0; i < records_; ++i) {
      PAIRDB_TRY(visit(static_cast<ring::Token>(i), "k" + std::to_string(i), record_));
    }
    return Status::ok();
  }
  Result<std::optional<std::string>> read(std::string_view key) override {
    ++reads;
    return std::optional<std::string>(std::string(key));
  }
  Result<bool> merge(std::string_view, std::string_view, ConflictMode) override {
    ++merges;
    return true;
  }
  Status sync() override {
    ++syncs;
    return Status::ok();
  }

  int reads = 0, merges = 0, syncs = 0;

 private:
  const size_t records_;
  const std::string record_;
};

const ring::TokenRange kRing{7, 7};

}  // namespace

TEST_CASE("paced repair storage: a scan ahead of its budget waits, and every record passes",
          "[repair][pacing]") {
  FakeStorage inner(1024, 1024);               // About 1 MiB.
  PacedRepairStorage paced(&inner, 4u << 20);  // 4 MiB/s: the scan is owed about 250 ms.
  size_t seen = 0;
  REQUIRE(paced
              .scan(1, kRing,
                    [&](ring::Token token, std::string_view key, std::string_view record) {
                      CHECK(token == seen);
                      CHECK(key == "k" + std::to_string(seen));
                      CHECK(record.size() == 1024);
                      ++seen;
                      return Status::ok();
                    })
              .is_ok());
  CHECK(seen == 1024);
  // The fake scans instantly: the pacing must have waited out the budget, less the 50 ms burst
  // and the last charge's rounding.
  CHECK(paced.waited() >= std::chrono::milliseconds(150));
}

TEST_CASE("paced repair storage: unpaced scans never wait, and a visitor's error stops the scan",
          "[repair][pacing]") {
  FakeStorage inner(4096, 1024);
  PacedRepairStorage unpaced(&inner, 0);
  size_t seen = 0;
  REQUIRE(unpaced
              .scan(1, kRing,
                    [&](ring::Token, std::string_view, std::string_view) {
                      ++seen;
                      return Status::ok();
                    })
              .is_ok());
  CHECK(seen == 4096);
  CHECK(unpaced.waited() == std::chrono::microseconds(0));

  PacedRepairStorage paced(&inner, 1u << 30);
  seen = 0;
  const Status s = paced.scan(1, kRing, [&](ring::Token, std::string_view, std::string_view) {
    return ++seen == 10 ? Status::corruption("bad record") : Status::ok();
  });
  CHECK(s.is_corruption());
  CHECK(seen == 10);
}

TEST_CASE("paced repair storage: interrupt() ends a paced scan's wait", "[repair][pacing]") {
  FakeStorage inner(64, 64 * 1024);  // 4 MiB at 1 KiB/s: over an hour unless interrupted.
  PacedRepairStorage paced(&inner, 1024);
  std::atomic<size_t> seen = 0;
  std::thread scanner([&] {
    CHECK(paced
              .scan(1, kRing,
                    [&](ring::Token, std::string_view, std::string_view) {
                      ++seen;
                      return Status::ok();
                    })
              .is_ok());
  });
  // The first charge (256 KiB: the 4th record, before it is visited) owes minutes: wait
  // (bounded) until the scan has got there, then interrupt it.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (seen.load() < 3 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  paced.interrupt();
  scanner.join();  // Returns only because the interrupt ended the wait.
  CHECK(seen == 64);
}

TEST_CASE("paced repair storage: reads, merges and syncs go to the inner storage",
          "[repair][pacing]") {
  FakeStorage inner(0, 0);
  PacedRepairStorage paced(&inner, 1);
  auto read = paced.read("key");
  REQUIRE(read.is_ok());
  CHECK(read->value() == "key");
  CHECK(paced.merge("key", "record", ConflictMode::kLww).is_ok());
  CHECK(paced.sync().is_ok());
  CHECK(inner.reads == 1);
  CHECK(inner.merges == 1);
  CHECK(inner.syncs == 1);
}

TEST_CASE("paced repair storage: merges and syncs run on the write executor, and are waited for",
          "[repair][pacing]") {
  FakeStorage inner(0, 0);
  int handed_over = 0;
  std::vector<std::thread> threads;
  PacedRepairStorage paced(&inner, 0, [&](std::function<void()> work) {
    ++handed_over;
    threads.emplace_back(std::move(work));  // Another thread, as the storage workers are.
  });
  CHECK(paced.merge("key", "record", ConflictMode::kLww).value());
  CHECK(inner.merges == 1);  // Done by the time merge() returned.
  CHECK(paced.sync().is_ok());
  CHECK(inner.syncs == 1);
  CHECK(paced.read("key").is_ok());
  CHECK(inner.reads == 1);
  CHECK(handed_over == 2);  // Reads stay on the calling thread.
  for (std::thread& t : threads) t.join();
}
