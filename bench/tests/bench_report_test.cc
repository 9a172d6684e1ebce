#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "pairdb_bench/bench_report.h"

using namespace pairdb::bench;

namespace {

PhaseResult sample_phase() {
  PhaseResult phase;
  phase.seconds = 2.0;
  OpStats& gets = phase.ops[static_cast<size_t>(OpKind::kRead)];
  for (uint64_t i = 1; i <= 1000; ++i) {
    gets.latency.add(i * 1000);  // 1 us .. 1 ms.
    ++gets.ok;
  }
  gets.errors = 3;
  return phase;
}

}  // namespace

TEST_CASE("the JSON report parses and has ordered percentiles for each operation") {
  const PhaseResult run = sample_phase();
  const std::string text =
      render_json_report({{"workload", "C"}, {"concurrency", "50"}}, nullptr, run);
  const boost::json::value doc = boost::json::parse(text);
  CHECK(doc.at("tool").as_string() == "pairdb-bench");
  CHECK(doc.at("config").at("workload").as_string() == "C");
  CHECK(doc.at("load").is_null());
  const auto& phase = doc.at("run");
  CHECK(phase.at("ops").to_number<uint64_t>() == 1000);
  CHECK(phase.at("errors").to_number<uint64_t>() == 3);
  CHECK(phase.at("throughput").to_number<double>() == Approx(500.0));
  const auto& ops = phase.at("operations").as_object();
  CHECK(ops.size() == 1);  // No puts were made: no "put" entry.
  const auto& latency = ops.at("get").at("latency_us");
  double previous = 0;
  for (const char* p : {"min", "p50", "p95", "p99", "p999", "max"}) {
    const double value = latency.at(p).to_number<double>();
    INFO(p);
    CHECK(value >= previous);
    previous = value;
  }
  CHECK(latency.at("max").to_number<double>() == Approx(1000.0));
  CHECK(latency.at("p50").to_number<double>() == Approx(500.0).epsilon(0.01));
}

TEST_CASE("the text report has a row per operation and a total") {
  const std::string text = render_text_report(sample_phase());
  CHECK(text.find("get") != std::string::npos);
  CHECK(text.find("put") == std::string::npos);
  CHECK(text.find("total") != std::string::npos);
  CHECK(text.find("500") != std::string::npos);  // ops/s.
}
