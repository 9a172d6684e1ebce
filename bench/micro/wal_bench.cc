// WAL append cost through pairdb's DB: DB::put and DB::write with the WAL on and no sync
// (WalSyncMode::kNone), so each write is encoded, appended to the WAL, handed to the OS and
// inserted into the memtable. The memtable keeps its default size (64 MiB): a run long enough to
// fill it pays for the flush too, as a real writer would.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include <unistd.h>

#include <pairdb/lsm/db.h>

namespace {

using namespace pairdb::lsm;

// A fresh database in a temporary directory, destroyed with the fixture.
class TempDb {
 public:
  TempDb() {
    dir_ = (std::filesystem::temp_directory_path() /
            ("pairdb-wal-bench-" + std::to_string(::getpid())))
               .string();
    std::filesystem::remove_all(dir_);
    Options options;
    options.create_if_missing = true;
    options.wal_sync_mode = WalSyncMode::kNone;
    options.log = [](LogLevel, std::string_view) {};
    auto db = DB::open(options, dir_);
    if (!db.is_ok()) std::fprintf(stderr, "open: %s\n", db.status().to_string().c_str());
    db_ = std::move(db).value();
  }
  ~TempDb() {
    (void)db_->close();
    db_.reset();
    std::filesystem::remove_all(dir_);
  }
  DB& db() { return *db_; }

 private:
  std::string dir_;
  std::unique_ptr<DB> db_;
};

std::string make_key(uint64_t i) {
  char key[17];
  std::snprintf(key, sizeof(key), "%016llu", static_cast<unsigned long long>(i));
  return key;
}

// Arg 0: value bytes. One put per iteration.
void BM_wal_append_put(benchmark::State& state) {
  TempDb temp;
  const std::string value(static_cast<size_t>(state.range(0)), 'v');
  uint64_t i = 0;
  for (auto _ : state) {
    pairdb::Status s = temp.db().put(WriteOptions(), make_key(i++), value);
    if (!s.is_ok()) state.SkipWithError(s.to_string().c_str());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * (16 + state.range(0)));
}
BENCHMARK(BM_wal_append_put)->ArgName("value_bytes")->Arg(100)->Arg(1000);

// Arg 0: puts per batch (100-byte values). One batch per iteration: one WAL record.
void BM_wal_append_batch(benchmark::State& state) {
  TempDb temp;
  const std::string value(100, 'v');
  WriteBatch batch;
  uint64_t i = 0;
  for (auto _ : state) {
    batch.clear();
    for (int64_t n = 0; n < state.range(0); ++n) batch.put(make_key(i++), value);
    pairdb::Status s = temp.db().write(WriteOptions(), batch);
    if (!s.is_ok()) state.SkipWithError(s.to_string().c_str());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(BM_wal_append_batch)->ArgName("batch")->Arg(16)->Arg(256);

}  // namespace
