#include "server/metrics.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "common/assert.h"

namespace pairdb::server {

namespace {

constexpr uint64_t kMicrosPerSecond = 1000000;

bool is_name_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool is_valid_metric_name(std::string_view name) {
  if (name.empty() || !(is_name_start(name[0]) || name[0] == ':')) return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return is_name_start(c) || is_digit(c) || c == ':'; });
}

bool is_valid_label_name(std::string_view name) {
  if (name.empty() || !is_name_start(name[0]) || name.starts_with("__")) return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return is_name_start(c) || is_digit(c); });
}

bool are_valid_labels(const Labels& labels) {
  return std::all_of(labels.begin(), labels.end(),
                     [](const Label& l) { return is_valid_label_name(l.name); });
}

bool same_label_names(const Labels& a, const Labels& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                    [](const Label& x, const Label& y) { return x.name == y.name; });
}

std::string escape_help(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string escape_label_value(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

// `{a="x",b="y"}` with `extra` (e.g. le="0.5") appended; empty when there are no labels.
std::string render_labels(const Labels& labels, std::string_view extra = {}) {
  if (labels.empty() && extra.empty()) return {};
  std::string out = "{";
  for (const auto& label : labels) {
    if (out.size() > 1) out += ',';
    out += fmt::format("{}=\"{}\"", label.name, escape_label_value(label.value));
  }
  if (!extra.empty()) {
    if (out.size() > 1) out += ',';
    out += extra;
  }
  out += '}';
  return out;
}

// Exact decimal seconds: 250 -> "0.00025", 1000000 -> "1", 2500000 -> "2.5".
std::string micros_as_seconds(uint64_t micros) {
  std::string out = fmt::format("{}", micros / kMicrosPerSecond);
  uint64_t fraction = micros % kMicrosPerSecond;
  if (fraction == 0) return out;
  std::string digits = fmt::format("{:06}", fraction);
  digits.erase(digits.find_last_not_of('0') + 1);
  return out + "." + digits;
}

std::string render_double(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  return fmt::format("{}", value);
}

}  // namespace

// --- Histogram ------------------------------------------------------------------------------

Histogram::Histogram(std::vector<uint64_t> bounds_micros)
    : bounds_micros_(std::move(bounds_micros)),
      buckets_(std::make_unique<std::atomic<uint64_t>[]>(bounds_micros_.size() + 1)) {
  PAIRDB_ASSERT(!bounds_micros_.empty());
  PAIRDB_ASSERT(std::adjacent_find(bounds_micros_.begin(), bounds_micros_.end(),
                                   std::greater_equal<>()) == bounds_micros_.end());
}

void Histogram::observe_micros(uint64_t micros) {
  auto it = std::lower_bound(bounds_micros_.begin(), bounds_micros_.end(), micros);
  size_t index = static_cast<size_t>(it - bounds_micros_.begin());  // size() means +Inf.
  buckets_[index].fetch_add(1, std::memory_order_relaxed);
  sum_micros_.fetch_add(micros, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::snapshot() const {
  Snapshot s;
  s.bounds_micros = bounds_micros_;
  s.cumulative.reserve(bounds_micros_.size() + 1);
  uint64_t running = 0;
  for (size_t i = 0; i <= bounds_micros_.size(); ++i) {
    running += buckets_[i].load(std::memory_order_relaxed);
    s.cumulative.push_back(running);
  }
  s.count = running;
  s.sum_micros = sum_micros_.load(std::memory_order_relaxed);
  PAIRDB_ASSERT(s.cumulative.size() == bounds_micros_.size() + 1);
  return s;
}

const std::vector<uint64_t>& default_latency_bounds_micros() {
  static const std::vector<uint64_t> bounds = {100,     250,     500,     1000,    2500,   5000,
                                               10000,   25000,   50000,   100000,  250000, 500000,
                                               1000000, 2500000, 5000000, 10000000};
  return bounds;
}

// --- SampleSink -----------------------------------------------------------------------------

void SampleSink::counter(std::string_view name, std::string_view help, const Labels& labels,
                         uint64_t value) {
  add(name, help, /*is_counter=*/true, labels, fmt::format("{}", value));
}

void SampleSink::gauge(std::string_view name, std::string_view help, const Labels& labels,
                       double value) {
  add(name, help, /*is_counter=*/false, labels, render_double(value));
}

void SampleSink::add(std::string_view name, std::string_view help, bool is_counter,
                     const Labels& labels, std::string value) {
  if (!is_valid_metric_name(name) || !are_valid_labels(labels)) {
    problems_.push_back(
        fmt::format("dropped a sample with an invalid name or label: {}", escape_help(name)));
    return;
  }
  if (is_registered_ && is_registered_(name)) {
    problems_.push_back(fmt::format("dropped collected {}: the name is already registered", name));
    return;
  }
  auto it = std::find_if(families_.begin(), families_.end(),
                         [&](const Family& f) { return f.name == name; });
  if (it == families_.end()) {
    families_.push_back(Family{std::string(name), std::string(help), is_counter, {}});
    it = families_.end() - 1;
  } else if (it->is_counter != is_counter) {
    problems_.push_back(fmt::format("dropped collected {}: counter and gauge mixed", name));
    return;
  }
  it->lines.push_back(fmt::format("{}{} {}\n", name, render_labels(labels), value));
}

// --- MetricsRegistry ------------------------------------------------------------------------

MetricsRegistry::Series& MetricsRegistry::find_or_add_locked(std::string_view name,
                                                             std::string_view help, Type type,
                                                             const Labels& labels) {
  PAIRDB_ASSERT(is_valid_metric_name(name));
  PAIRDB_ASSERT(are_valid_labels(labels));
  auto it = std::find_if(families_.begin(), families_.end(),
                         [&](const auto& f) { return f->name == name; });
  if (it == families_.end()) {
    families_.push_back(
        std::make_unique<Family>(Family{std::string(name), std::string(help), type, {}}));
    it = families_.end() - 1;
  }
  Family& family = **it;
  PAIRDB_ASSERT(family.type == type);
  PAIRDB_ASSERT(family.help == help);
  for (auto& series : family.series) {
    if (series.labels == labels) return series;
  }
  PAIRDB_ASSERT(family.series.empty() || same_label_names(family.series.front().labels, labels));
  family.series.push_back(Series{labels, nullptr, nullptr, nullptr});
  return family.series.back();
}

Counter& MetricsRegistry::counter(std::string_view name, std::string_view help,
                                  const Labels& labels) {
  std::lock_guard lock(mutex_);
  Series& series = find_or_add_locked(name, help, Type::kCounter, labels);
  if (!series.counter) series.counter = std::make_unique<Counter>();
  return *series.counter;
}

Gauge& MetricsRegistry::gauge(std::string_view name, std::string_view help, const Labels& labels) {
  std::lock_guard lock(mutex_);
  Series& series = find_or_add_locked(name, help, Type::kGauge, labels);
  if (!series.gauge) series.gauge = std::make_unique<Gauge>();
  return *series.gauge;
}

Histogram& MetricsRegistry::histogram(std::string_view name, std::string_view help,
                                      const Labels& labels,
                                      const std::vector<uint64_t>& bounds_micros) {
  for (const auto& label : labels) PAIRDB_ASSERT(label.name != "le");
  std::lock_guard lock(mutex_);
  Series& series = find_or_add_locked(name, help, Type::kHistogram, labels);
  if (!series.histogram) series.histogram = std::make_unique<Histogram>(bounds_micros);
  PAIRDB_ASSERT(series.histogram->bounds_micros() == bounds_micros);
  return *series.histogram;
}

void MetricsRegistry::add_collector(Collector collector) {
  PAIRDB_ASSERT(collector != nullptr);
  std::lock_guard lock(mutex_);
  collectors_.push_back(std::move(collector));
}

void MetricsRegistry::render_family(const Family& family, std::string& out) {
  static constexpr std::string_view kTypeNames[] = {"counter", "gauge", "histogram"};
  out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", family.name, escape_help(family.help),
                     family.name, kTypeNames[static_cast<size_t>(family.type)]);
  for (const auto& series : family.series) {
    const std::string labels = render_labels(series.labels);
    if (series.counter) {
      out += fmt::format("{}{} {}\n", family.name, labels, series.counter->value());
    } else if (series.gauge) {
      out += fmt::format("{}{} {}\n", family.name, labels, series.gauge->value());
    } else {
      PAIRDB_ASSERT(series.histogram != nullptr);
      Histogram::Snapshot s = series.histogram->snapshot();
      for (size_t i = 0; i < s.cumulative.size(); ++i) {
        std::string le = i < s.bounds_micros.size() ? micros_as_seconds(s.bounds_micros[i])
                                                    : std::string("+Inf");
        out += fmt::format("{}_bucket{} {}\n", family.name,
                           render_labels(series.labels, fmt::format("le=\"{}\"", le)),
                           s.cumulative[i]);
      }
      out += fmt::format("{}_sum{} {}\n", family.name, labels, micros_as_seconds(s.sum_micros));
      out += fmt::format("{}_count{} {}\n", family.name, labels, s.count);
    }
  }
}

std::string MetricsRegistry::render_prometheus_text() const {
  std::vector<Collector> collectors;
  std::vector<std::string> registered_names;
  std::string out;
  {
    std::lock_guard lock(mutex_);
    for (const auto& family : families_) {
      render_family(*family, out);
      registered_names.push_back(family->name);
    }
    collectors = collectors_;
  }
  // Collectors run without the lock so that they may be slow or take their own locks.
  SampleSink sink;
  sink.is_registered_ = [&](std::string_view name) {
    return std::find(registered_names.begin(), registered_names.end(), name) !=
           registered_names.end();
  };
  for (const auto& collect : collectors) collect(sink);
  for (const auto& family : sink.families_) {
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", family.name, escape_help(family.help),
                       family.name, family.is_counter ? "counter" : "gauge");
    for (const auto& line : family.lines) out += line;
  }
  for (const auto& problem : sink.problems_) out += fmt::format("# pairdb: {}\n", problem);
  return out;
}

std::string sanitize_metric_name(std::string_view name) {
  std::string out;
  out.reserve(name.size() + 1);
  if (name.empty() || is_digit(name[0])) out += '_';
  for (char c : name) out += (is_name_start(c) || is_digit(c) || c == ':') ? c : '_';
  return out;
}

void append_stats_map(SampleSink& sink, std::string_view prefix,
                      const std::map<std::string, uint64_t>& stats) {
  for (const auto& [key, value] : stats) {
    std::string name = sanitize_metric_name(fmt::format("{}{}", prefix, key));
    sink.gauge(name, fmt::format("Engine statistic {}.", key), {}, static_cast<double>(value));
  }
}

}  // namespace pairdb::server
