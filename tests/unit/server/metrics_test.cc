#include <catch2/catch.hpp>

#include <algorithm>
#include <thread>

#include "server/metrics.h"

using namespace pairdb::server;

TEST_CASE("metrics: counters render with HELP and TYPE once per family", "[metrics]") {
  MetricsRegistry registry;
  Counter& put_one = registry.counter("pairdb_requests_total", "Requests served.",
                                      {{"op", "put"}, {"consistency", "one"}});
  Counter& get_all = registry.counter("pairdb_requests_total", "Requests served.",
                                      {{"op", "get"}, {"consistency", "all"}});
  put_one.add(3);
  get_all.inc();
  // Same name and labels: the same object.
  REQUIRE(&registry.counter("pairdb_requests_total", "Requests served.",
                            {{"op", "put"}, {"consistency", "one"}}) == &put_one);
  REQUIRE(registry.render_prometheus_text() ==
          "# HELP pairdb_requests_total Requests served.\n"
          "# TYPE pairdb_requests_total counter\n"
          "pairdb_requests_total{op=\"put\",consistency=\"one\"} 3\n"
          "pairdb_requests_total{op=\"get\",consistency=\"all\"} 1\n");
}

TEST_CASE("metrics: gauges go up and down, unlabelled series have no braces", "[metrics]") {
  MetricsRegistry registry;
  Gauge& open = registry.gauge("pairdb_connections_open", "Open client connections.");
  open.add(5);
  open.add(-7);
  REQUIRE(open.value() == -2);
  REQUIRE(registry.render_prometheus_text() ==
          "# HELP pairdb_connections_open Open client connections.\n"
          "# TYPE pairdb_connections_open gauge\n"
          "pairdb_connections_open -2\n");
  open.set(42);
  REQUIRE_THAT(registry.render_prometheus_text(), Catch::EndsWith("pairdb_connections_open 42\n"));
}

TEST_CASE("metrics: histogram buckets are cumulative, le in seconds, with +Inf", "[metrics]") {
  MetricsRegistry registry;
  Histogram& h = registry.histogram("pairdb_request_seconds", "Request latency.", {{"op", "get"}},
                                    {100, 1000, 2500000});
  h.observe_micros(0);        // <= 100 us
  h.observe_micros(100);      // le is inclusive: still the first bucket.
  h.observe_micros(101);      // <= 1 ms
  h.observe_micros(2500000);  // <= 2.5 s
  h.observe_micros(9000000);  // +Inf
  REQUIRE(registry.render_prometheus_text() ==
          "# HELP pairdb_request_seconds Request latency.\n"
          "# TYPE pairdb_request_seconds histogram\n"
          "pairdb_request_seconds_bucket{op=\"get\",le=\"0.0001\"} 2\n"
          "pairdb_request_seconds_bucket{op=\"get\",le=\"0.001\"} 3\n"
          "pairdb_request_seconds_bucket{op=\"get\",le=\"2.5\"} 4\n"
          "pairdb_request_seconds_bucket{op=\"get\",le=\"+Inf\"} 5\n"
          "pairdb_request_seconds_sum{op=\"get\"} 11.500201\n"
          "pairdb_request_seconds_count{op=\"get\"} 5\n");
}

TEST_CASE("metrics: each observation lands in exactly one default bucket", "[metrics]") {
  const auto& bounds = default_latency_bounds_micros();
  REQUIRE(bounds.front() == 100);      // 0.0001 s
  REQUIRE(bounds.back() == 10000000);  // 10 s
  for (size_t i = 0; i < bounds.size(); ++i) {
    for (uint64_t v : {bounds[i] - 1, bounds[i], bounds[i] + 1}) {
      Histogram h(bounds);
      h.observe_micros(v);
      auto s = h.snapshot();
      // The first bucket whose bound is >= v holds it.
      size_t expected = std::lower_bound(bounds.begin(), bounds.end(), v) - bounds.begin();
      for (size_t b = 0; b < s.cumulative.size(); ++b) {
        INFO("value " << v << " bucket " << b);
        REQUIRE(s.cumulative[b] == (b >= expected ? 1u : 0u));
      }
      REQUIRE(s.count == 1);
      REQUIRE(s.sum_micros == v);
    }
  }
}

TEST_CASE("metrics: label values and help text are escaped", "[metrics]") {
  MetricsRegistry registry;
  registry
      .counter("pairdb_errors_total", "Errors by code.\nSecond \\ line.", {{"code", "a\"b\\c\nd"}})
      .inc();
  REQUIRE(registry.render_prometheus_text() ==
          "# HELP pairdb_errors_total Errors by code.\\nSecond \\\\ line.\n"
          "# TYPE pairdb_errors_total counter\n"
          "pairdb_errors_total{code=\"a\\\"b\\\\c\\nd\"} 1\n");
}

TEST_CASE("metrics: collectors append samples grouped by family at scrape time", "[metrics]") {
  MetricsRegistry registry;
  registry.counter("pairdb_requests_total", "Requests.").inc();
  int scrapes = 0;
  registry.add_collector([&](SampleSink& sink) {
    ++scrapes;
    append_stats_map(sink, "pairdb_lsm_", {{"level0.files", 3}, {"wal-syncs", 12}});
    sink.gauge("pairdb_hints_pending", "Hints.", {{"peer", "a"}}, 1.5);
    sink.counter("pairdb_gossip_messages_total", "Messages.", {}, 9);
    sink.gauge("pairdb_hints_pending", "Hints.", {{"peer", "b"}}, 2);
  });
  std::string text = registry.render_prometheus_text();
  REQUIRE(scrapes == 1);
  REQUIRE(text ==
          "# HELP pairdb_requests_total Requests.\n"
          "# TYPE pairdb_requests_total counter\n"
          "pairdb_requests_total 1\n"
          "# HELP pairdb_lsm_level0_files Engine statistic level0.files.\n"
          "# TYPE pairdb_lsm_level0_files gauge\n"
          "pairdb_lsm_level0_files 3\n"
          "# HELP pairdb_lsm_wal_syncs Engine statistic wal-syncs.\n"
          "# TYPE pairdb_lsm_wal_syncs gauge\n"
          "pairdb_lsm_wal_syncs 12\n"
          "# HELP pairdb_hints_pending Hints.\n"
          "# TYPE pairdb_hints_pending gauge\n"
          "pairdb_hints_pending{peer=\"a\"} 1.5\n"
          "pairdb_hints_pending{peer=\"b\"} 2\n"
          "# HELP pairdb_gossip_messages_total Messages.\n"
          "# TYPE pairdb_gossip_messages_total counter\n"
          "pairdb_gossip_messages_total 9\n");
  registry.render_prometheus_text();
  REQUIRE(scrapes == 2);
}

TEST_CASE("metrics: conflicting collector samples are dropped and reported", "[metrics]") {
  MetricsRegistry registry;
  registry.counter("pairdb_requests_total", "Requests.").inc();
  registry.add_collector([](SampleSink& sink) {
    sink.gauge("pairdb_requests_total", "Clash with a registered family.", {}, 1);
    sink.gauge("pairdb_x", "X.", {}, 1);
    sink.counter("pairdb_x", "X as a counter.", {}, 1);
    sink.gauge("9bad name", "Invalid.", {}, 1);
    sink.gauge("pairdb_y", "Y.", {{"__reserved", "v"}}, 1);
  });
  std::string text = registry.render_prometheus_text();
  REQUIRE_THAT(text, Catch::Contains("pairdb_requests_total 1\n# HELP pairdb_x X.\n"
                                     "# TYPE pairdb_x gauge\npairdb_x 1\n"));
  REQUIRE_THAT(text, Catch::Contains(
                         "# pairdb: dropped collected pairdb_requests_total: the name is already "
                         "registered\n"));
  REQUIRE_THAT(text, Catch::Contains("# pairdb: dropped collected pairdb_x: counter and gauge"));
  REQUIRE_THAT(text, Catch::Contains("invalid name or label: 9bad name\n"));
  REQUIRE_THAT(text, Catch::Contains("invalid name or label: pairdb_y\n"));
  REQUIRE(text.find("pairdb_y 1") == std::string::npos);
}

TEST_CASE("metrics: sanitize_metric_name keeps only legal characters", "[metrics]") {
  REQUIRE(sanitize_metric_name("pairdb_lsm_level0.files") == "pairdb_lsm_level0_files");
  REQUIRE(sanitize_metric_name("write-amplification") == "write_amplification");
  REQUIRE(sanitize_metric_name("0abc") == "_0abc");
  REQUIRE(sanitize_metric_name("") == "_");
  REQUIRE(sanitize_metric_name("a:b_c") == "a:b_c");
}

TEST_CASE("metrics: concurrent updates and scrapes lose no increments", "[metrics]") {
  MetricsRegistry registry;
  constexpr int kThreads = 4;
  constexpr int kIterations = 20000;
  Counter& counter = registry.counter("pairdb_test_total", "Test.");
  Gauge& gauge = registry.gauge("pairdb_test_gauge", "Test.");
  Histogram& histogram = registry.histogram("pairdb_test_seconds", "Test.");
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      // Registration from several threads returns the one shared series.
      Counter& mine = registry.counter("pairdb_test_total", "Test.");
      for (int i = 0; i < kIterations; ++i) {
        mine.inc();
        gauge.add(t % 2 == 0 ? 1 : -1);
        histogram.observe_micros(static_cast<uint64_t>(i));
      }
    });
  }
  threads.emplace_back([&] {
    for (int i = 0; i < 20; ++i) REQUIRE_FALSE(registry.render_prometheus_text().empty());
  });
  for (auto& thread : threads) thread.join();
  REQUIRE(counter.value() == uint64_t{kThreads} * kIterations);
  REQUIRE(gauge.value() == 0);
  auto s = histogram.snapshot();
  REQUIRE(s.count == uint64_t{kThreads} * kIterations);
  REQUIRE(s.sum_micros == uint64_t{kThreads} * (uint64_t{kIterations} * (kIterations - 1) / 2));
  REQUIRE_THAT(registry.render_prometheus_text(), Catch::Contains("pairdb_test_total 80000\n"));
}
