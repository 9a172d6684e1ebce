// A small Prometheus metrics registry: counters, gauges and latency histograms with a fixed label
// set each, plus scrape-time collectors, rendered in the text exposition format (version 0.0.4)
// for the HTTP /metrics endpoint.
//
// Threads: metric objects are updated lock-free from any thread. Registration and rendering take
// the registry's mutex; registration is meant for start-up, not the request path (keep the
// returned reference).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace pairdb::server {

struct Label {
  std::string name;  // [a-zA-Z_][a-zA-Z0-9_]*, not starting with "__".
  std::string value;
  bool operator==(const Label&) const = default;
};
using Labels = std::vector<Label>;

// A monotonically increasing count. Lock-free; any thread.
class Counter {
 public:
  void inc() { add(1); }
  void add(uint64_t n) { value_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

// A value that goes up and down (connections open, bytes in memtables). Lock-free; any thread.
class Gauge {
 public:
  void set(int64_t v) { value_.store(v, std::memory_order_relaxed); }
  void add(int64_t delta) { value_.fetch_add(delta, std::memory_order_relaxed); }
  int64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> value_{0};
};

// Durations in fixed buckets: an observation v lands in the first bucket whose upper bound is
// >= v (Prometheus `le`), or in +Inf. Bounds are microseconds here and seconds when rendered.
// Lock-free; any thread. A snapshot taken during updates may show _sum slightly out of step
// with the buckets; _count always equals the +Inf bucket.
// Invariant: bounds are non-empty and strictly increasing.
class Histogram {
 public:
  explicit Histogram(std::vector<uint64_t> bounds_micros);

  void observe_micros(uint64_t micros);

  struct Snapshot {
    std::vector<uint64_t> bounds_micros;
    std::vector<uint64_t> cumulative;  // One per bound, then +Inf; non-decreasing.
    uint64_t count = 0;                // == cumulative.back()
    uint64_t sum_micros = 0;
  };
  Snapshot snapshot() const;
  const std::vector<uint64_t>& bounds_micros() const { return bounds_micros_; }

 private:
  const std::vector<uint64_t> bounds_micros_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;  // bounds_micros_.size() + 1 slots.
  std::atomic<uint64_t> sum_micros_{0};
};

// 100 us, 250 us, 500 us, 1 ms, 2.5 ms, ... 5 s, 10 s.
const std::vector<uint64_t>& default_latency_bounds_micros();

// Receives samples from collectors during one scrape. Samples of one family name are grouped
// under one HELP/TYPE; the first sample fixes a family's type and help text. Invalid names,
// a type clash or a name already registered in the registry drop the sample, and the scrape
// says so in a `# pairdb:` comment line. Not thread-safe; lives for one scrape.
class SampleSink {
 public:
  void counter(std::string_view name, std::string_view help, const Labels& labels, uint64_t value);
  void gauge(std::string_view name, std::string_view help, const Labels& labels, double value);

 private:
  friend class MetricsRegistry;
  struct Family {
    std::string name;
    std::string help;
    bool is_counter = false;
    std::vector<std::string> lines;  // Rendered samples.
  };
  void add(std::string_view name, std::string_view help, bool is_counter, const Labels& labels,
           std::string value);

  std::vector<Family> families_;  // In order of first appearance.
  std::vector<std::string> problems_;
  std::function<bool(std::string_view)> is_registered_;  // Set by the registry.
};

// Runs at scrape time on the scraping thread; it must be thread-safe if two scrapes may overlap.
using Collector = std::function<void(SampleSink&)>;

// Owns every metric, at a stable address for the registry's lifetime.
// Invariant: one family name has one type and one set of label names.
class MetricsRegistry {
 public:
  MetricsRegistry() = default;
  MetricsRegistry(const MetricsRegistry&) = delete;
  MetricsRegistry& operator=(const MetricsRegistry&) = delete;

  // Returns the series `name{labels}`, creating it (and its family) on first use; asking again
  // with the same name and labels returns the same object.
  // REQUIRES: name matches [a-zA-Z_:][a-zA-Z0-9_:]*; label names are valid and, within a
  // family, the same; a family keeps one type and help text. Violations are bugs (asserted).
  Counter& counter(std::string_view name, std::string_view help, const Labels& labels = {});
  Gauge& gauge(std::string_view name, std::string_view help, const Labels& labels = {});
  // REQUIRES: no label named "le"; bounds as for Histogram and equal for every series of a name.
  Histogram& histogram(
      std::string_view name, std::string_view help, const Labels& labels = {},
      const std::vector<uint64_t>& bounds_micros = default_latency_bounds_micros());

  void add_collector(Collector collector);

  // The whole registry plus every collector's samples, in registration order.
  std::string render_prometheus_text() const;

 private:
  enum class Type : uint8_t { kCounter, kGauge, kHistogram };
  struct Series {
    Labels labels;
    std::unique_ptr<Counter> counter;
    std::unique_ptr<Gauge> gauge;
    std::unique_ptr<Histogram> histogram;
  };
  struct Family {
    std::string name;
    std::string help;
    Type type;
    std::vector<Series> series;
  };

  Series& find_or_add_locked(std::string_view name, std::string_view help, Type type,
                             const Labels& labels);
  static void render_family(const Family& family, std::string& out);

  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<Family>> families_;  // GUARDED_BY(mutex_)
  std::vector<Collector> collectors_;              // GUARDED_BY(mutex_)
};

// Replaces every character not allowed in a metric name with '_' (and a leading digit too):
// "level0.files" -> "level0_files".
std::string sanitize_metric_name(std::string_view name);

// Appends one gauge per entry, named prefix + sanitize_metric_name(key), e.g. engine stats
// {"level0.files": 3} with prefix "pairdb_lsm_" -> pairdb_lsm_level0_files 3.
void append_stats_map(SampleSink& sink, std::string_view prefix,
                      const std::map<std::string, uint64_t>& stats);

}  // namespace pairdb::server
