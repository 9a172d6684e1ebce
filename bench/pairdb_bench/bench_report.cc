// Text and JSON reports of pairdb-bench.
#include "pairdb_bench/bench_report.h"

#include <fmt/format.h>

#include "shared/json_writer.h"

namespace pairdb::bench {
namespace {

double micros(uint64_t nanos) { return static_cast<double>(nanos) / 1000.0; }

double throughput(uint64_t ops, double seconds) {
  return seconds > 0 ? static_cast<double>(ops) / seconds : 0.0;
}

struct Percentile {
  const char* name;
  double q;
};
constexpr Percentile kPercentiles[] = {
    {"p50", 0.50}, {"p95", 0.95}, {"p99", 0.99}, {"p999", 0.999}};

void write_phase(JsonWriter& json, const PhaseResult& phase) {
  json.begin_object();
  json.key("seconds").value(phase.seconds);
  json.key("ops").value(phase.total_ok());
  json.key("errors").value(phase.total_errors());
  json.key("throughput").value(throughput(phase.total_ok(), phase.seconds));
  json.key("operations").begin_object();
  for (size_t k = 0; k < kOpKinds; ++k) {
    const OpStats& stats = phase.ops[k];
    if (stats.ok == 0 && stats.errors == 0) continue;
    json.key(op_kind_name(static_cast<OpKind>(k))).begin_object();
    json.key("ops").value(stats.ok);
    json.key("errors").value(stats.errors);
    json.key("throughput").value(throughput(stats.ok, phase.seconds));
    json.key("latency_us").begin_object();
    json.key("min").value(micros(stats.latency.min_nanos()));
    json.key("mean").value(stats.latency.mean_nanos() / 1000.0);
    for (const Percentile& p : kPercentiles) {
      json.key(p.name).value(micros(stats.latency.percentile_nanos(p.q)));
    }
    json.key("max").value(micros(stats.latency.max_nanos()));
    json.end_object();
    json.end_object();
  }
  json.end_object();
  json.end_object();
}

}  // namespace

std::string render_text_report(const PhaseResult& run) {
  std::string out =
      fmt::format("{:<6} {:>10} {:>8} {:>11} {:>9} {:>9} {:>9} {:>9} {:>9}\n", "op", "ops",
                  "errors", "ops/s", "p50 us", "p95 us", "p99 us", "p99.9 us", "max us");
  auto row = [&](const std::string& name, uint64_t ok, uint64_t errors,
                 const LatencyHistogram& latency) {
    out += fmt::format(
        "{:<6} {:>10} {:>8} {:>11.0f} {:>9.1f} {:>9.1f} {:>9.1f} {:>9.1f} {:>9.1f}\n", name, ok,
        errors, throughput(ok, run.seconds), micros(latency.percentile_nanos(0.50)),
        micros(latency.percentile_nanos(0.95)), micros(latency.percentile_nanos(0.99)),
        micros(latency.percentile_nanos(0.999)), micros(latency.max_nanos()));
  };
  LatencyHistogram all;
  for (size_t k = 0; k < kOpKinds; ++k) {
    const OpStats& stats = run.ops[k];
    if (stats.ok == 0 && stats.errors == 0) continue;
    row(op_kind_name(static_cast<OpKind>(k)), stats.ok, stats.errors, stats.latency);
    all.merge(stats.latency);
  }
  row("total", run.total_ok(), run.total_errors(), all);
  out += fmt::format("{:.2f} s measured\n", run.seconds);
  return out;
}

std::string render_json_report(const ConfigEcho& config, const PhaseResult* load,
                               const PhaseResult& run) {
  JsonWriter json;
  json.begin_object();
  json.key("tool").value("pairdb-bench");
  json.key("config").begin_object();
  for (const auto& [name, value] : config) json.key(name).value(value);
  json.end_object();
  json.key("load");
  if (load != nullptr) {
    write_phase(json, *load);
  } else {
    json.null();
  }
  json.key("run");
  write_phase(json, run);
  json.end_object();
  return json.str() + "\n";
}

}  // namespace pairdb::bench
