#include <catch2/catch.hpp>

#include <random>

#include "lsm/faulty_env.h"
#include "lsm/log_format.h"
#include "lsm/log_reader.h"
#include "lsm/log_writer.h"

using namespace pairdb;
using namespace pairdb::lsm;

namespace {

const std::string kPath = "/db/000001.log";

struct LogFixture {
  FaultyEnv env;
  LogFixture() { REQUIRE(env.create_dir_if_missing("/db").is_ok()); }

  void write(const std::vector<std::string>& records) {
    auto file = env.new_writable_file(kPath);
    REQUIRE(file.is_ok());
    LogWriter writer(std::move(file).value());
    for (const auto& r : records) REQUIRE(writer.add_record(r).is_ok());
    REQUIRE(writer.sync().is_ok());
  }

  // Reads every record; returns the status of the first failure (OK at a clean end).
  Status read_all(std::vector<std::string>* out, LogReaderStats* stats = nullptr,
                  bool salvage = false) {
    auto file = env.new_sequential_file(kPath);
    REQUIRE(file.is_ok());
    LogReader reader(std::move(file).value(), kPath, salvage);
    while (true) {
      auto record = reader.read_record();
      if (!record.is_ok()) return record.status();
      if (!*record) break;
      out->emplace_back(**record);
    }
    if (stats) *stats = reader.stats();
    return Status::ok();
  }

  void truncate_to(uint64_t size) { REQUIRE(env.truncate_file(kPath, size).is_ok()); }
  uint64_t size() { return *env.file_size(kPath); }
};

std::vector<std::string> sample_records() {
  std::vector<std::string> records;
  std::mt19937_64 rng(7);
  for (int i = 0; i < 50; ++i) records.push_back(std::string(rng() % 3000, char('a' + i % 26)));
  records.push_back("");
  records.push_back(std::string(300 * 1024, 'z'));  // Larger than the reader's chunk.
  return records;
}

}  // namespace

TEST_CASE("log records round-trip, including empty and large ones", "[log]") {
  LogFixture f;
  auto records = sample_records();
  f.write(records);
  std::vector<std::string> read;
  REQUIRE(f.read_all(&read).is_ok());
  REQUIRE(read == records);
}

TEST_CASE("a log cut at any byte yields a prefix of the records and a counted torn tail", "[log]") {
  LogFixture f;
  std::vector<std::string> records = {"alpha", "bravo", std::string(500, 'c'), "delta"};
  f.write(records);
  std::string full = *f.env.file_contents(kPath);
  for (uint64_t cut = 0; cut <= full.size(); ++cut) {
    f.write(records);
    f.truncate_to(cut);
    std::vector<std::string> read;
    LogReaderStats stats;
    REQUIRE(f.read_all(&read, &stats).is_ok());
    REQUIRE(read.size() <= records.size());
    for (size_t i = 0; i < read.size(); ++i) REQUIRE(read[i] == records[i]);
    uint64_t consumed = 0;
    for (const auto& r : read) consumed += log::kHeaderBytes + r.size();
    REQUIRE(consumed + stats.torn_tail_bytes == cut);
  }
}

TEST_CASE("a bit flip in the middle of a log is Corruption naming the file and offset", "[log]") {
  LogFixture f;
  f.write({"first record", "second record", "third record"});
  // Flip a payload bit of the second record: intact data follows, so this is not a torn tail.
  uint64_t offset = log::kHeaderBytes + 12 + log::kHeaderBytes + 3;
  REQUIRE(f.env.flip_bit(kPath, offset, 2).is_ok());
  std::vector<std::string> read;
  Status s = f.read_all(&read);
  REQUIRE(s.is_corruption());
  REQUIRE(s.message().find("000001.log") != std::string_view::npos);
  REQUIRE(s.message().find("offset 24") != std::string_view::npos);
  REQUIRE(read == std::vector<std::string>{"first record"});
}

TEST_CASE("a bit flip in a record length is Corruption, not a swallowed tail", "[log]") {
  LogFixture f;
  f.write({"first record", "second record", "third record"});
  REQUIRE(f.env.flip_bit(kPath, 4 + 2, 5).is_ok());  // Length field of record one.
  std::vector<std::string> read;
  REQUIRE(f.read_all(&read).is_corruption());
  REQUIRE(read.empty());
}

TEST_CASE("a damaged final record is a torn tail", "[log]") {
  LogFixture f;
  f.write({"first record", "second record"});
  REQUIRE(f.env.flip_bit(kPath, f.size() - 1, 0).is_ok());
  std::vector<std::string> read;
  LogReaderStats stats;
  REQUIRE(f.read_all(&read, &stats).is_ok());
  REQUIRE(read == std::vector<std::string>{"first record"});
  REQUIRE(stats.torn_tail_bytes == log::kHeaderBytes + 13);
}

TEST_CASE("zero bytes after the last record are a torn tail", "[log]") {
  LogFixture f;
  f.write({"only"});
  {
    auto file = f.env.new_writable_file("/db/tmp");
    REQUIRE(file.is_ok());
  }
  std::string data = *f.env.file_contents(kPath) + std::string(64, '\0');
  auto file = f.env.new_writable_file(kPath);
  REQUIRE((*file)->append(data).is_ok());
  std::vector<std::string> read;
  LogReaderStats stats;
  REQUIRE(f.read_all(&read, &stats).is_ok());
  REQUIRE(read == std::vector<std::string>{"only"});
  REQUIRE(stats.torn_tail_bytes == 64);
}

TEST_CASE("salvage mode skips a damaged record and keeps the ones after it", "[log]") {
  LogFixture f;
  f.write({"first record", "second record", "third record"});
  REQUIRE(f.env.flip_bit(kPath, log::kHeaderBytes + 12 + log::kHeaderBytes + 3, 2).is_ok());
  std::vector<std::string> read;
  LogReaderStats stats;
  REQUIRE(f.read_all(&read, &stats, /*salvage=*/true).is_ok());
  REQUIRE(read == std::vector<std::string>{"first record", "third record"});
  REQUIRE(stats.skipped_records == 1);
}
