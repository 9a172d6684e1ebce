// RequestMetrics: a latency histogram and an outcome counter per answered request, labelled by
// operation (and, for replicated operations, consistency level) and outcome.
//
// Two uses: each frontend's requests (pairdb_request_duration_seconds, pairdb_requests_total,
// labelled by protocol, operation and outcome), and the replicated operations a coordinator
// answers (pairdb_replicated_duration_seconds, pairdb_replicated_requests_total, labelled by
// operation, consistency level and outcome).
//
// The registry looks series up by name and labels under one lock; doing that twice per request
// cost more than a memtable read. This cache resolves each (operation, consistency, outcome)
// once and then serves it under a shared lock, so concurrent observers only ever read it.
// Thread-safe. The registry must outlive this object.
#pragma once

#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "server/metrics.h"

namespace pairdb::server {

struct RequestMetricsSpec {
  std::string latency_name;  // Histogram family, labelled {fixed..., op[, consistency]}.
  std::string latency_help;
  std::string answered_name;  // Counter family, labelled {fixed..., op[, consistency], code}.
  std::string answered_help;
  Labels fixed;                 // Labels every series carries, e.g. {"protocol", "binary"}.
  bool by_consistency = false;  // Whether series carry a "consistency" label.

  // A frontend's requests: protocol is the "protocol" label ("binary", "http").
  static RequestMetricsSpec frontend(std::string protocol);
  // Operations a replication coordinator answers, by consistency level.
  static RequestMetricsSpec replicated();
};

class RequestMetrics {
 public:
  RequestMetrics(MetricsRegistry* registry, RequestMetricsSpec spec);
  // A frontend's metrics (RequestMetricsSpec::frontend).
  RequestMetrics(MetricsRegistry* registry, std::string protocol);

  // Records one answered request. `outcome` is the "code" label (a status name or HTTP code);
  // `consistency` is used only when the spec is by_consistency.
  void observe(std::string_view op, std::string_view outcome, uint64_t micros) {
    observe(op, {}, outcome, micros);
  }
  void observe(std::string_view op, std::string_view consistency, std::string_view outcome,
               uint64_t micros);

 private:
  struct Series {
    Histogram* latency;
    Counter* answered;
  };
  Series resolve(std::string_view op, std::string_view consistency, std::string_view outcome);

  MetricsRegistry* const registry_;
  const RequestMetricsSpec spec_;
  std::shared_mutex mutex_;
  // GUARDED_BY(mutex_); key: op '\0' consistency '\0' outcome.
  std::unordered_map<std::string, Series> series_;
};

}  // namespace pairdb::server
