// pairdb-bench: a closed-loop load generator for pairdb over the binary protocol (through the
// C++ SDK). A load phase writes every record once; the run then keeps `concurrency` clients
// each with `pipeline` requests in flight for --duration or --ops, and reports throughput and
// latency percentiles per operation (text on stdout, JSON with --json FILE).
//
//   pairdb-bench --hosts 127.0.0.1:7400 --workload A --records 100000 --duration 30s
//
// Exit codes: 0 ok, 1 the run failed (cannot reach the cluster, or every request failed),
// 2 a usage error.
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <pairdb/client.h>
#include <CLI/CLI.hpp>

#include "pairdb_bench/bench_report.h"
#include "pairdb_bench/closed_loop.h"
#include "pairdb_bench/key_chooser.h"
#include "pairdb_bench/sdk_driver.h"
#include "pairdb_bench/workload_mix.h"

namespace {

using namespace pairdb::bench;
namespace client = pairdb::client;

// "10s", "500ms", "2m", or a plain number of seconds.
std::optional<std::chrono::nanoseconds> parse_duration(const std::string& text) {
  size_t end = 0;
  double number = 0;
  try {
    number = std::stod(text, &end);
  } catch (...) {
    return std::nullopt;
  }
  const std::string unit = text.substr(end);
  double seconds = number;
  if (unit == "ms") {
    seconds = number / 1000;
  } else if (unit == "m") {
    seconds = number * 60;
  } else if (!unit.empty() && unit != "s") {
    return std::nullopt;
  }
  if (!(seconds >= 0)) return std::nullopt;
  return std::chrono::nanoseconds(static_cast<int64_t>(seconds * 1e9));
}

std::optional<client::Consistency> parse_level(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  static const std::pair<const char*, client::Consistency> kLevels[] = {
      {"default", client::Consistency::kDefault},
      {"one", client::Consistency::kOne},
      {"two", client::Consistency::kTwo},
      {"three", client::Consistency::kThree},
      {"quorum", client::Consistency::kQuorum},
      {"all", client::Consistency::kAll},
      {"local_one", client::Consistency::kLocalOne},
      {"local_quorum", client::Consistency::kLocalQuorum},
      {"each_quorum", client::Consistency::kEachQuorum}};
  for (const auto& [name, level] : kLevels) {
    if (text == name) return level;
  }
  return std::nullopt;
}

std::vector<std::string> split_hosts(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t comma = text.find(',', start);
    const std::string host = text.substr(start, comma - start);
    if (!host.empty()) out.push_back(host);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app("pairdb-bench: closed-loop load generator for pairdb", "pairdb-bench");
  std::string hosts = "127.0.0.1:7400";
  std::string table = "bench";
  size_t concurrency = 50;
  size_t pipeline = 1;
  size_t threads = 1;
  uint64_t records = 100000;
  size_t value_size = 100;
  std::string duration_text = "10s";
  std::optional<uint64_t> ops;
  std::string workload_text = "A";
  std::string distribution_text = "uniform";
  std::string consistency_text = "default";
  std::string warmup_text = "0s";
  bool no_load = false;
  bool idempotency_keys = false;
  bool quiet = false;
  uint32_t timeout_ms = 10'000;
  uint64_t seed = 1;
  std::string json_path;

  app.add_option("--hosts", hosts, "Contact points, host:port[,host:port...]")
      ->capture_default_str();
  app.add_option("--table", table, "Table to use; created (lww) if missing")->capture_default_str();
  app.add_option("--concurrency,-c", concurrency, "Clients, each with its own connection")
      ->check(CLI::Range(size_t{1}, size_t{10000}))
      ->capture_default_str();
  app.add_option("--pipeline,-P", pipeline, "Requests in flight per client (1 = no pipelining)")
      ->check(CLI::Range(size_t{1}, size_t{128}))
      ->capture_default_str();
  app.add_option("--threads", threads, "Client I/O threads")
      ->check(CLI::Range(size_t{1}, size_t{256}))
      ->capture_default_str();
  app.add_option("--records", records, "Records in the keyspace (the load phase writes each)")
      ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 40))
      ->capture_default_str();
  app.add_option("--value-size", value_size, "Bytes per value")
      ->check(CLI::Range(size_t{0}, size_t{16} << 20))
      ->capture_default_str();
  auto* duration_opt = app.add_option("--duration", duration_text, "Run length (10s, 500ms, 2m)")
                           ->capture_default_str();
  auto* ops_opt =
      app.add_option("--ops", ops, "Run until this many operations (instead of --duration)");
  ops_opt->excludes(duration_opt);
  app.add_option("--workload", workload_text,
                 "A (50/50 read/update), B (95/5), C (read only), W (write only) or R:W")
      ->capture_default_str();
  app.add_option("--key-distribution", distribution_text, "uniform or zipfian")
      ->check(CLI::IsMember({"uniform", "zipfian"}))
      ->capture_default_str();
  app.add_option("--consistency", consistency_text, "default, one, quorum, all, local_quorum, ...")
      ->capture_default_str();
  app.add_option("--warmup", warmup_text, "Run this long before measuring")->capture_default_str();
  app.add_flag("--no-load", no_load, "Skip the load phase (the records exist from an earlier run)");
  app.add_flag("--idempotency-keys", idempotency_keys,
               "Send an idempotency key with each write, as the SDK does by default");
  app.add_option("--timeout-ms", timeout_ms, "Deadline of each request")->capture_default_str();
  app.add_option("--seed", seed, "Seed of the key and operation choices")->capture_default_str();
  app.add_option("--json", json_path, "Also write the report as JSON to this file");
  app.add_flag("--quiet,-q", quiet, "No progress lines");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& help) {
    return app.exit(help);
  } catch (const CLI::ParseError& error) {
    std::cerr << "pairdb-bench: " << error.what() << " (see --help)\n";
    return 2;
  }
  auto usage = [](const std::string& message) {
    std::cerr << "pairdb-bench: " << message << " (see --help)\n";
    return 2;
  };
  auto workload = parse_workload(workload_text);
  if (!workload.is_ok()) return usage(std::string(workload.status().message()));
  const auto duration = parse_duration(duration_text);
  if (!duration) return usage("bad --duration '" + duration_text + "'");
  const auto warmup = parse_duration(warmup_text);
  if (!warmup) return usage("bad --warmup '" + warmup_text + "'");
  const auto consistency = parse_level(consistency_text);
  if (!consistency) return usage("unknown --consistency '" + consistency_text + "'");
  const std::vector<std::string> host_list = split_hosts(hosts);
  if (host_list.empty()) return usage("--hosts is empty");

  SdkDriverOptions driver_options{.hosts = host_list,
                                  .table = table,
                                  .clients = concurrency,
                                  .pipeline = pipeline,
                                  .threads = threads,
                                  .value_size = value_size,
                                  .consistency = *consistency,
                                  .idempotency_keys = idempotency_keys,
                                  .request_timeout_ms = timeout_ms,
                                  .seed = seed};
  SdkDriver driver(driver_options);

  // The table: lww, so blind updates replace the value instead of piling up siblings.
  client::TableSpec spec{.name = table, .conflict_mode = client::ConflictMode::kLww};
  auto created = driver.setup_client().create_table(spec, /*if_not_exists=*/true);
  if (!created) {
    std::cerr << "pairdb-bench: cannot create table " << table << " via " << hosts << ": "
              << created.error().to_string() << '\n';
    return 1;
  }

  ClosedLoopOptions loop_options;
  loop_options.clients = concurrency;
  loop_options.pipeline = pipeline;
  loop_options.records = records;
  loop_options.mix = workload.value();
  loop_options.distribution = parse_key_distribution(distribution_text).value();
  loop_options.seed = seed;
  loop_options.ops = ops;
  loop_options.duration = ops ? std::chrono::nanoseconds::max() / 2 : *duration;
  loop_options.warmup = *warmup;
  if (!quiet) loop_options.progress = [](const std::string& line) { std::cerr << line << '\n'; };
  ClosedLoop loop(&driver, loop_options);

  std::cout << fmt::format(
      "pairdb-bench: workload {} ({:.0f}% reads), {} clients x {} in flight, {} records of {} B, "
      "{} keys, consistency {}, against {}\n",
      workload->name, workload->read_fraction * 100, concurrency, pipeline, records, value_size,
      distribution_text, consistency_text, hosts);

  std::optional<PhaseResult> load;
  if (!no_load) {
    load = loop.load();
    std::cout << fmt::format("load: {} records in {:.2f} s ({:.0f} writes/s), {} errors\n",
                             load->total_ok(), load->seconds,
                             load->seconds > 0 ? load->total_ok() / load->seconds : 0.0,
                             load->total_errors());
  }
  const PhaseResult run = loop.run();
  std::cout << render_text_report(run);
  const std::string first_error = driver.first_error();
  if (!first_error.empty()) std::cout << "first error: " << first_error << '\n';

  if (!json_path.empty()) {
    ConfigEcho config = {{"hosts", hosts},
                         {"table", table},
                         {"workload", workload->name},
                         {"read_fraction", fmt::format("{}", workload->read_fraction)},
                         {"concurrency", std::to_string(concurrency)},
                         {"pipeline", std::to_string(pipeline)},
                         {"threads", std::to_string(threads)},
                         {"records", std::to_string(records)},
                         {"value_size", std::to_string(value_size)},
                         {"key_distribution", distribution_text},
                         {"consistency", consistency_text},
                         {"ops", ops ? std::to_string(*ops) : ""},
                         {"duration", ops ? "" : duration_text},
                         {"warmup", warmup_text},
                         {"idempotency_keys", idempotency_keys ? "true" : "false"},
                         {"seed", std::to_string(seed)}};
    std::ofstream file(json_path);
    file << render_json_report(config, load ? &*load : nullptr, run);
    if (!file) {
      std::cerr << "pairdb-bench: cannot write " << json_path << '\n';
      return 1;
    }
  }
  return run.total_ok() > 0 ? 0 : 1;
}
