#include "server/request_metrics.h"

#include <mutex>

namespace pairdb::server {

RequestMetricsSpec RequestMetricsSpec::frontend(std::string protocol) {
  return {"pairdb_request_duration_seconds",
          "Request latency by operation",
          "pairdb_requests_total",
          "Requests answered, by operation and outcome",
          {{"protocol", std::move(protocol)}},
          /*by_consistency=*/false};
}

RequestMetricsSpec RequestMetricsSpec::replicated() {
  return {"pairdb_replicated_duration_seconds",
          "Latency of replicated operations this node coordinated, by operation and consistency "
          "level",
          "pairdb_replicated_requests_total",
          "Replicated operations this node coordinated, by operation, consistency level and "
          "outcome",
          {},
          /*by_consistency=*/true};
}

RequestMetrics::RequestMetrics(MetricsRegistry* registry, RequestMetricsSpec spec)
    : registry_(registry), spec_(std::move(spec)) {}

RequestMetrics::RequestMetrics(MetricsRegistry* registry, std::string protocol)
    : RequestMetrics(registry, RequestMetricsSpec::frontend(std::move(protocol))) {}

void RequestMetrics::observe(std::string_view op, std::string_view consistency,
                             std::string_view outcome, uint64_t micros) {
  const Series series = resolve(op, consistency, outcome);
  series.latency->observe_micros(micros);
  series.answered->inc();
}

RequestMetrics::Series RequestMetrics::resolve(std::string_view op, std::string_view consistency,
                                               std::string_view outcome) {
  if (!spec_.by_consistency) consistency = {};
  std::string key;
  key.reserve(op.size() + consistency.size() + outcome.size() + 2);
  key.append(op).push_back('\0');
  key.append(consistency).push_back('\0');
  key.append(outcome);
  {
    std::shared_lock lock(mutex_);
    if (auto it = series_.find(key); it != series_.end()) return it->second;
  }
  Labels labels = spec_.fixed;
  labels.push_back({"op", std::string(op)});
  if (spec_.by_consistency) labels.push_back({"consistency", std::string(consistency)});
  Histogram* latency = &registry_->histogram(spec_.latency_name, spec_.latency_help, labels);
  labels.push_back({"code", std::string(outcome)});
  Counter* answered = &registry_->counter(spec_.answered_name, spec_.answered_help, labels);
  const Series series{latency, answered};
  std::unique_lock lock(mutex_);
  series_.emplace(std::move(key), series);  // A racing thread resolved the same pointers.
  return series;
}

}  // namespace pairdb::server
