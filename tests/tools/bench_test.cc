// pairdb-bench against a real node: a short bounded run writes a well-formed JSON report with
// non-zero throughput and ordered percentiles.
#include <fstream>
#include <sstream>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "support/command_runner.h"
#include "support/pairdb_process.h"

using namespace pairdb::test;
namespace json = boost::json;

TEST_CASE("a short pairdb-bench run reports throughput and ordered percentiles") {
  TempDir dir;
  auto node = PairdbProcess::start(dir.path() + "/node", {"--storage.wal_sync", "none"});
  REQUIRE(node.is_ok());
  const std::string report_path = dir.path() + "/report.json";
  const CommandResult result = run_command({PAIRDB_BENCH_PATH,
                                            "--hosts",
                                            "127.0.0.1:" + std::to_string((*node)->binary_port()),
                                            "--workload",
                                            "A",
                                            "--records",
                                            "500",
                                            "--ops",
                                            "3000",
                                            "--concurrency",
                                            "8",
                                            "--pipeline",
                                            "2",
                                            "--value-size",
                                            "64",
                                            "--key-distribution",
                                            "zipfian",
                                            "--quiet",
                                            "--json",
                                            report_path},
                                           "", 120'000);
  INFO(result.describe() << "\nstdout: " << result.out);
  REQUIRE(result.exit_code == 0);
  CHECK(result.out.find("load: 500 records") != std::string::npos);

  std::ifstream file(report_path);
  std::stringstream text;
  text << file.rdbuf();
  const json::value report = json::parse(text.str());
  CHECK(report.at("tool").as_string() == "pairdb-bench");
  CHECK(report.at("config").at("workload").as_string() == "A");
  CHECK(report.at("load").at("ops").to_number<int64_t>() == 500);
  const auto& run = report.at("run");
  CHECK(run.at("ops").to_number<int64_t>() + run.at("errors").to_number<int64_t>() == 3000);
  CHECK(run.at("errors").to_number<int64_t>() == 0);
  CHECK(run.at("throughput").to_number<double>() > 0);
  for (const char* op : {"get", "put"}) {
    INFO(op);
    const auto& stats = run.at("operations").at(op);
    CHECK(stats.at("ops").to_number<int64_t>() > 0);
    CHECK(stats.at("throughput").to_number<double>() > 0);
    const auto& latency = stats.at("latency_us");
    double previous = 0;
    for (const char* p : {"min", "p50", "p95", "p99", "p999", "max"}) {
      const double value = latency.at(p).to_number<double>();
      INFO(p);
      CHECK(value > 0);
      CHECK(value >= previous);
      previous = value;
    }
  }
}

TEST_CASE("pairdb-bench refuses bad arguments with exit 2") {
  for (const std::vector<std::string>& bad :
       std::vector<std::vector<std::string>>{{"--workload", "Z"},
                                             {"--duration", "soon"},
                                             {"--concurrency", "0"},
                                             {"--ops", "10", "--duration", "1s"},
                                             {"--consistency", "most"}}) {
    std::vector<std::string> argv = {PAIRDB_BENCH_PATH};
    argv.insert(argv.end(), bad.begin(), bad.end());
    const CommandResult result = run_command(argv, "", 30'000);
    INFO(bad[0] << ": " << result.describe());
    CHECK(result.exit_code == 2);
    CHECK(result.err.find("pairdb-bench: ") == 0);
  }
}
