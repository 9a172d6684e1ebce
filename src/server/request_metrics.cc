#include "server/request_metrics.h"

#include <mutex>

namespace pairdb::server {

RequestMetrics::RequestMetrics(MetricsRegistry* registry, std::string protocol)
    : registry_(registry), protocol_(std::move(protocol)) {}

void RequestMetrics::observe(std::string_view op, std::string_view outcome, uint64_t micros) {
  const Series series = resolve(op, outcome);
  series.latency->observe_micros(micros);
  series.answered->inc();
}

RequestMetrics::Series RequestMetrics::resolve(std::string_view op, std::string_view outcome) {
  std::string key;
  key.reserve(op.size() + 1 + outcome.size());
  key.append(op).push_back('\0');
  key.append(outcome);
  {
    std::shared_lock lock(mutex_);
    if (auto it = series_.find(key); it != series_.end()) return it->second;
  }
  Series series{
      &registry_->histogram("pairdb_request_duration_seconds", "Request latency by operation",
                            {{"protocol", protocol_}, {"op", std::string(op)}}),
      &registry_->counter(
          "pairdb_requests_total", "Requests answered, by operation and outcome",
          {{"protocol", protocol_}, {"op", std::string(op)}, {"code", std::string(outcome)}})};
  std::unique_lock lock(mutex_);
  series_.emplace(std::move(key), series);  // A racing thread resolved the same pointers.
  return series;
}

}  // namespace pairdb::server
