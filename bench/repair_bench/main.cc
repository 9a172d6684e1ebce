// pairdb-repair-bench: measures one anti-entropy repair between two replicas on the real storage
// engine. For each divergence level it creates two fresh LSM databases, loads the same N keys
// into both except for a fraction D of divergent keys (see dataset.h for the mix), compacts
// both, runs one RepairSession (initiator = replica A, peer = B, the whole ring, default
// RepairSessionConfig, no rate limit) with in-process message passing, and checks that both
// replicas then hold the join of what they held, byte for byte. Prints Markdown tables with the
// issue's targets (see report.h); optionally JSON.
//
//   pairdb-repair-bench --keys 1000000 --divergent 0,0.001,0.1 --json repair.json
//
// Exit codes: 0 every level repaired and checked (PASS), 1 a level failed or could not run,
// 2 a usage error. A missed performance target is reported, not an exit code.
#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "repair_bench/dataset.h"
#include "repair_bench/replica.h"
#include "repair_bench/report.h"
#include "repair_bench/session_runner.h"

namespace {

using namespace pairdb::bench;
using pairdb::Result;
using pairdb::Status;

constexpr uint64_t kKeysMax = 100'000'000;
constexpr uint32_t kValueBytesMax = 1u << 20;
constexpr size_t kLevelsMax = 16;

struct Flags {
  uint64_t keys = 1'000'000;
  std::string divergent = "0,0.001,0.1";
  uint32_t value_bytes = 100;
  uint64_t seed = 1;
  std::string dir = "/tmp/pairdb-repair-bench";
  std::string json_path;
  bool keep = false;
  std::vector<double> fractions;  // Parsed from `divergent`.
};

void add_flags(CLI::App& app, Flags& f) {
  app.add_option("--keys", f.keys, "Keys loaded into each replica")->capture_default_str();
  app.add_option("--divergent", f.divergent,
                 "Comma list of divergent fractions, one run each (0.001 = 0.1 %)")
      ->capture_default_str();
  app.add_option("--value-size", f.value_bytes, "Value bytes")->capture_default_str();
  app.add_option("--seed", f.seed, "Seed of values and of the divergent keys")
      ->capture_default_str();
  app.add_option("--dir", f.dir, "Base directory; each run's two databases go under it")
      ->capture_default_str();
  app.add_option("--json", f.json_path, "Also write the results as JSON to this file");
  app.add_flag("--keep", f.keep, "Keep the databases afterwards");
}

// Empty when the flags make sense; otherwise what is wrong.
std::string validate(Flags& f) {
  if (f.keys == 0 || f.keys > kKeysMax) return fmt::format("--keys must be in [1, {}]", kKeysMax);
  if (f.value_bytes == 0 || f.value_bytes > kValueBytesMax) return "--value-size out of range";
  size_t start = 0;
  while (start <= f.divergent.size()) {
    size_t comma = f.divergent.find(',', start);
    if (comma == std::string::npos) comma = f.divergent.size();
    const std::string item = f.divergent.substr(start, comma - start);
    size_t used = 0;
    double fraction = -1;
    try {
      fraction = std::stod(item, &used);
    } catch (...) {
    }
    if (used != item.size() || !(fraction >= 0 && fraction <= 1)) {
      return fmt::format("--divergent: '{}' is not a fraction in [0, 1]", item);
    }
    f.fractions.push_back(fraction);
    start = comma + 1;
  }
  if (f.fractions.empty() || f.fractions.size() > kLevelsMax) {
    return fmt::format("--divergent must list 1 to {} fractions", kLevelsMax);
  }
  if (f.dir.empty()) return "--dir is empty";
  return {};
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Loads, repairs and checks one divergence level in fresh databases under `dir`.
Result<LevelResult> run_level(const Flags& flags, double fraction, const std::string& dir) {
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);  // Our own leftovers from a --keep run.
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::io_error(fmt::format("cannot create {}: {}", dir, ec.message()));
  DatasetConfig config;
  config.keys = flags.keys;
  config.value_bytes = flags.value_bytes;
  config.divergent_fraction = fraction;
  config.seed = flags.seed;
  const RepairDataset data(config);
  PAIRDB_ASSIGN_OR_RETURN(
      auto initiator,
      BenchReplica::create(dir + "/a", pairdb::ring::NodeId::from_words(0xa, 1), config.table));
  PAIRDB_ASSIGN_OR_RETURN(
      auto peer,
      BenchReplica::create(dir + "/b", pairdb::ring::NodeId::from_words(0xb, 2), config.table));

  LevelResult level;
  level.divergent_fraction = fraction;
  auto started = std::chrono::steady_clock::now();
  PAIRDB_ASSIGN_OR_RETURN(level.load, load_replicas(data, *initiator, *peer));
  level.load_seconds = seconds_since(started);
  fmt::print(stderr, "  loaded {} + {} records in {:.1f} s; repairing\n",
             level.load.initiator_records, level.load.peer_records, level.load_seconds);

  RepairRunOptions options;
  options.table = config.table;
  options.range = pairdb::ring::TokenRange{0, 0};
  level.run = run_repair(*initiator, *peer, options);
  fmt::print(stderr, "  repaired in {:.2f} s ({}); checking\n", level.run.times.wall,
             level.run.status.to_string());

  started = std::chrono::steady_clock::now();
  PAIRDB_ASSIGN_OR_RETURN(level.verify, verify_replicas(data, *initiator, *peer));
  level.verify_seconds = seconds_since(started);
  PAIRDB_TRY(initiator->close());
  PAIRDB_TRY(peer->close());
  if (!flags.keep) std::filesystem::remove_all(dir, ec);
  return level;
}

std::string command_line(int argc, char** argv) {
  std::string text = "pairdb-repair-bench";
  for (int i = 1; i < argc; ++i) text += fmt::format(" {}", argv[i]);
  return text;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"pairdb-repair-bench: one anti-entropy repair between two replicas on the LSM"};
  Flags flags;
  add_flags(app, flags);
  CLI11_PARSE(app, argc, argv);
  if (std::string problem = validate(flags); !problem.empty()) {
    fmt::print(stderr, "pairdb-repair-bench: {}\n", problem);
    return 2;
  }
  std::vector<LevelResult> levels;
  bool failed = false;
  for (size_t i = 0; i < flags.fractions.size(); ++i) {
    fmt::print(stderr, "divergent {} %:\n", 100 * flags.fractions[i]);
    auto level = run_level(flags, flags.fractions[i], fmt::format("{}/run-{}", flags.dir, i));
    if (!level.is_ok()) {
      fmt::print(stderr, "pairdb-repair-bench: {}\n", level.status().to_string());
      failed = true;
      continue;
    }
    failed = failed || !level->run.status.is_ok() || !level->verify.passed();
    levels.push_back(std::move(level).value());
  }
  std::error_code ec;
  if (!flags.keep) std::filesystem::remove(flags.dir, ec);  // Only if empty.
  const ReportHeader header{flags.keys, flags.value_bytes, flags.seed, command_line(argc, argv)};
  print_report(header, levels);
  if (!flags.json_path.empty()) {
    const Status written = write_json_report(flags.json_path, header, levels);
    if (!written.is_ok()) {
      fmt::print(stderr, "pairdb-repair-bench: {}\n", written.to_string());
      return 1;
    }
  }
  return failed ? 1 : 0;
}
