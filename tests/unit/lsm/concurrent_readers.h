// Runs reader threads alongside one writer, for the tests of structures that promise lock-free
// reads during writes (skiplist, memtable).
#pragma once

#include <atomic>
#include <latch>
#include <thread>
#include <vector>

namespace pairdb::lsm::testing {

// Starts `reader_count` threads calling read(reader_index, done) and, once all of them are
// running, calls write() on this thread. When write() returns, sets `done` (release) and joins
// the readers. A reader must return soon after it sees `done` (acquire).
// REQUIRES: write() does not throw (a failed REQUIRE there would leave the readers unjoined).
template <typename Read, typename Write>
void run_readers_alongside_writer(int reader_count, Read read, Write write) {
  std::atomic<bool> done{false};
  std::latch start(reader_count + 1);
  std::vector<std::thread> readers;
  for (int r = 0; r < reader_count; ++r) {
    readers.emplace_back([&, r] {
      start.arrive_and_wait();
      read(r, static_cast<const std::atomic<bool>&>(done));
    });
  }
  start.arrive_and_wait();
  write();
  done.store(true, std::memory_order_release);
  for (auto& reader : readers) reader.join();
}

}  // namespace pairdb::lsm::testing
