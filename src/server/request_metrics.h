// RequestMetrics: the latency histogram and outcome counter of every request a frontend
// answers (pairdb_request_duration_seconds, pairdb_requests_total), labelled by protocol,
// operation and outcome.
//
// The registry looks series up by name and labels under one lock; doing that twice per request
// cost more than a memtable read. This cache resolves each (operation, outcome) once and then
// serves it under a shared lock, so the io threads only ever read it concurrently.
// Thread-safe. The registry must outlive this object.
#pragma once

#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "server/metrics.h"

namespace pairdb::server {

class RequestMetrics {
 public:
  // protocol: the value of the "protocol" label ("binary", "http").
  RequestMetrics(MetricsRegistry* registry, std::string protocol);

  // Records one answered request. `outcome` is the "code" label (a status name or HTTP code).
  void observe(std::string_view op, std::string_view outcome, uint64_t micros);

 private:
  struct Series {
    Histogram* latency;
    Counter* answered;
  };
  Series resolve(std::string_view op, std::string_view outcome);

  MetricsRegistry* const registry_;
  const std::string protocol_;
  std::shared_mutex mutex_;
  std::unordered_map<std::string, Series> series_;  // GUARDED_BY(mutex_); key: op '\0' outcome.
};

}  // namespace pairdb::server
