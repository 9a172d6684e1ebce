// pairdb-lsm-tool: poke at a pairdb storage engine directory, or run a short demo of the
// engine. Until the pairdb server exists this is what the README's run command starts.
//
//   pairdb-lsm-tool demo  --db DIR [--num N] [--value-size B]
//   pairdb-lsm-tool put   --db DIR KEY VALUE
//   pairdb-lsm-tool get   --db DIR KEY
//   pairdb-lsm-tool delete --db DIR KEY
//   pairdb-lsm-tool scan  --db DIR [--from KEY] [--limit N]
//   pairdb-lsm-tool stats --db DIR
// Exit codes: 0 ok, 1 the operation failed (or the key was not found), 2 usage error.
#include <chrono>
#include <cstdio>
#include <random>
#include <string>

#include <fmt/format.h>
#include <pairdb/lsm/db.h>
#include <CLI/CLI.hpp>

namespace {

using pairdb::Status;
using namespace pairdb::lsm;

std::unique_ptr<DB> open_or_exit(const std::string& dir, bool create) {
  Options options;
  options.create_if_missing = create;
  options.wal_sync_mode = WalSyncMode::kPerWrite;
  auto db = DB::open(options, dir);
  if (!db.is_ok()) {
    fmt::print(stderr, "pairdb-lsm-tool: cannot open {}: {}\n", dir, db.status().to_string());
    std::exit(1);
  }
  return std::move(db).value();
}

int fail(const Status& s) {
  fmt::print(stderr, "pairdb-lsm-tool: {}\n", s.to_string());
  return 1;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Writes `num` random keys with group commit off (no per-write sync, like a bulk load), syncs,
// reads every key back, scans, reopens, and prints what the engine did.
int run_demo(const std::string& dir, uint64_t num, size_t value_size) {
  fmt::print("pairdb storage engine demo\ndata directory: {}\n", dir);
  Options options;
  options.create_if_missing = true;
  options.wal_sync_mode = WalSyncMode::kNone;
  options.write_buffer_bytes = 4 << 20;
  auto opened = DB::open(options, dir);
  if (!opened.is_ok()) return fail(opened.status());
  auto db = std::move(opened).value();

  std::mt19937_64 rng(42);
  std::string value(value_size, 'v');
  auto start = std::chrono::steady_clock::now();
  for (uint64_t i = 0; i < num; ++i) {
    Status s = db->put({}, fmt::format("user{:016x}", rng()), value);
    if (!s.is_ok()) return fail(s);
  }
  WriteOptions sync;
  sync.sync = true;
  if (Status s = db->put(sync, "demo:last-run", "ok"); !s.is_ok()) return fail(s);
  double write_s = seconds_since(start);
  fmt::print("wrote {} keys ({} B values) in {:.2f} s: {:.0f} writes/s\n", num, value_size, write_s,
             num / write_s);

  rng.seed(42);
  start = std::chrono::steady_clock::now();
  for (uint64_t i = 0; i < num; ++i) {
    auto got = db->get({}, fmt::format("user{:016x}", rng()));
    if (!got.is_ok()) return fail(got.status());
  }
  double read_s = seconds_since(start);
  fmt::print("read them back in {:.2f} s: {:.0f} reads/s\n", read_s, num / read_s);

  auto it = db->new_iterator({});
  uint64_t scanned = 0;
  start = std::chrono::steady_clock::now();
  for (it->seek_to_first(); it->valid(); it->next()) ++scanned;
  if (!it->status().is_ok()) return fail(it->status());
  fmt::print("scanned {} keys in order in {:.2f} s\n", scanned, seconds_since(start));
  it.reset();
  fmt::print("\n{}\n", db->get_property("pairdb.stats").value_or(""));
  if (Status s = db->close(); !s.is_ok()) return fail(s);
  db.reset();

  db = open_or_exit(dir, false);
  auto last = db->get({}, "demo:last-run");
  fmt::print("reopened: recovered sequence {}, demo:last-run = {}\n",
             db->get_property("pairdb.sequence").value_or("?"),
             last.is_ok() ? *last : last.status().to_string());
  fmt::print("data is in {} (run again to add more; delete the directory to start over)\n", dir);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"pairdb-lsm-tool: inspect a pairdb storage engine directory or run its demo"};
  app.require_subcommand(1);
  std::string dir;
  std::string key, value, from;
  uint64_t num = 200000, limit = 20;
  size_t value_size = 100;

  auto* demo = app.add_subcommand("demo", "write, read, scan and reopen a demo database");
  demo->add_option("--db", dir, "database directory")->required();
  demo->add_option("--num", num, "keys to write")->check(CLI::Range(1ull, 100000000ull));
  demo->add_option("--value-size", value_size, "bytes per value")->check(CLI::Range(0, 1 << 20));
  auto* put = app.add_subcommand("put", "write one key (synced)");
  auto* get = app.add_subcommand("get", "read one key");
  auto* del = app.add_subcommand("delete", "delete one key (synced)");
  auto* scan = app.add_subcommand("scan", "list keys in order");
  auto* stats = app.add_subcommand("stats", "print engine statistics");
  for (auto* cmd : {put, get, del, scan, stats}) {
    cmd->add_option("--db", dir, "database directory")->required();
  }
  for (auto* cmd : {put, get, del}) cmd->add_option("key", key, "key")->required();
  put->add_option("value", value, "value")->required();
  scan->add_option("--from", from, "first key");
  scan->add_option("--limit", limit, "keys to list");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }

  if (demo->parsed()) return run_demo(dir, num, value_size);
  WriteOptions sync;
  sync.sync = true;
  auto db = open_or_exit(dir, put->parsed());
  if (put->parsed()) {
    Status s = db->put(sync, key, value);
    return s.is_ok() ? 0 : fail(s);
  }
  if (del->parsed()) {
    Status s = db->remove(sync, key);
    return s.is_ok() ? 0 : fail(s);
  }
  if (get->parsed()) {
    auto got = db->get({}, key);
    if (!got.is_ok()) return fail(got.status());
    fmt::print("{}\n", *got);
    return 0;
  }
  if (scan->parsed()) {
    auto it = db->new_iterator({});
    uint64_t shown = 0;
    for (it->seek(from); it->valid() && shown < limit; it->next(), ++shown) {
      fmt::print("{}\t{}\n", it->key(), it->value());
    }
    return it->status().is_ok() ? 0 : fail(it->status());
  }
  fmt::print("{}", db->get_property("pairdb.stats").value_or(""));
  return 0;
}
