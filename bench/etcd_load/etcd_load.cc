// pairdb-etcd-load: a closed-loop load generator for an etcd v3.4 cluster, the etcd side of
// bench/compare-cluster.sh. It measures the throughput and latency a client sees for single-key
// puts (POST /v3/kv/put) or linearizable single-key gets (POST /v3/kv/range, whose default is
// linearizable: the member confirms with the leader before answering) through etcd's JSON gRPC
// gateway. Each of --clients threads keeps one HTTP/1.1 keep-alive connection (Boost.Beast,
// synchronous) to one member, the clients spread round-robin over --endpoints, and has exactly
// one request in flight: the next is sent when the answer arrives.
//
//   pairdb-etcd-load --endpoints 127.0.0.1:2379,127.0.0.1:2381 --workload put --records 100000
//                    --ops 400000 --clients 50 --value-size 100 [--load]
//
// Keys are "key:" + 12 digits, drawn uniformly from --records; values are --value-size bytes.
// --load first writes every record once (not measured; progress on stderr), so gets hit.
// Prints one JSON line on stdout: ok, errors, misses (gets that found no key), seconds,
// throughput (ok per second) and latency_us {p50, p99, p999, max}.
// Exit codes: 0 ok, 1 the run failed (no request succeeded, or --timeout-s passed), 2 usage.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <latch>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include "common/assert.h"
#include "shared/json_writer.h"
#include "shared/latency_histogram.h"

namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
using pairdb::bench::LatencyHistogram;
using Clock = std::chrono::steady_clock;

// A client that failed this many requests in a row (etcd down, port wrong) stops, so a broken
// cluster ends the run with errors instead of spinning.
constexpr uint64_t kConsecutiveErrorsMax = 100;

struct Endpoint {
  std::string host;
  std::string port;
};

enum class Workload { kPut, kGet };

struct LoadOptions {
  std::vector<Endpoint> endpoints;
  Workload workload = Workload::kPut;
  size_t clients = 50;
  uint64_t records = 100000;
  uint64_t ops = 400000;
  size_t value_size = 100;
  uint64_t seed = 1;
  uint32_t timeout_s = 3600;
};

// What one client thread saw. Written by its thread only, read after it finished.
struct ClientStats {
  LatencyHistogram latency;  // Of successful requests.
  uint64_t ok = 0;
  uint64_t errors = 0;
  uint64_t misses = 0;  // Gets answered without the key.
  std::string first_error;
};

std::string base64(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const uint32_t group = static_cast<uint8_t>(bytes[i]) << 16 |
                           static_cast<uint8_t>(bytes[i + 1]) << 8 |
                           static_cast<uint8_t>(bytes[i + 2]);
    for (int shift = 18; shift >= 0; shift -= 6) out += kAlphabet[(group >> shift) & 63];
  }
  const size_t rest = bytes.size() - i;
  if (rest > 0) {
    uint32_t group = static_cast<uint8_t>(bytes[i]) << 16;
    if (rest == 2) group |= static_cast<uint8_t>(bytes[i + 1]) << 8;
    out += kAlphabet[(group >> 18) & 63];
    out += kAlphabet[(group >> 12) & 63];
    out += rest == 2 ? kAlphabet[(group >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::string record_key(uint64_t record) { return fmt::format("key:{:012d}", record); }

// One keep-alive HTTP/1.1 connection to one etcd member. Used by one thread.
class EtcdConnection {
 public:
  explicit EtcdConnection(Endpoint endpoint) : endpoint_(std::move(endpoint)), socket_(io_) {}

  // POSTs a JSON body; returns the response body of a 200, or nullopt with *error set. After a
  // failure the connection is closed, and the next call opens a new one.
  std::optional<std::string> post(const std::string& target, std::string body, std::string* error) {
    if (!socket_.is_open() && !connect(error)) return std::nullopt;
    http::request<http::string_body> request{http::verb::post, target, 11};
    request.set(http::field::host, endpoint_.host + ":" + endpoint_.port);
    request.set(http::field::content_type, "application/json");
    request.body() = std::move(body);
    request.prepare_payload();
    boost::system::error_code ec;
    http::write(socket_, request, ec);
    http::response<http::string_body> response;
    if (!ec) http::read(socket_, buffer_, response, ec);
    if (ec) return fail(fmt::format("{}: {}", target, ec.message()), error);
    if (response.result() != http::status::ok) {
      return fail(fmt::format("{}: HTTP {} {}", target, response.result_int(), response.body()),
                  error);
    }
    if (response.need_eof()) close();
    return std::move(response.body());
  }

  bool connect(std::string* error) {
    boost::system::error_code ec;
    tcp::resolver resolver(io_);
    const auto addresses = resolver.resolve(endpoint_.host, endpoint_.port, ec);
    if (!ec) asio::connect(socket_, addresses, ec);
    if (!ec) socket_.set_option(tcp::no_delay(true), ec);
    if (ec) {
      fail(fmt::format("connect {}:{}: {}", endpoint_.host, endpoint_.port, ec.message()), error);
      return false;
    }
    return true;
  }

 private:
  std::nullopt_t fail(std::string message, std::string* error) {
    *error = std::move(message);
    close();
    return std::nullopt;
  }
  void close() {
    boost::system::error_code ignored;
    socket_.close(ignored);
    buffer_.clear();
  }

  Endpoint endpoint_;
  asio::io_context io_;  // Synchronous use only; never run.
  tcp::socket socket_;
  boost::beast::flat_buffer buffer_;
};

// The requests one phase sends: loading writes records 0..records-1 once each, in order;
// measuring draws `ops` keys uniformly.
struct PhasePlan {
  Workload workload = Workload::kPut;
  uint64_t requests = 0;
  bool sequential_keys = false;
};

// Runs one client until the phase's shared request counter is used up.
void run_client(const LoadOptions& options, const PhasePlan& plan, const Endpoint& endpoint,
                size_t client, std::latch& ready, std::atomic<uint64_t>& next_request,
                ClientStats& stats) {
  EtcdConnection connection(endpoint);
  std::string error;
  // Connect before the clock starts. A failure here is not counted: post() connects again and
  // counts it if that fails too.
  (void)connection.connect(&error);
  const std::string value = base64(std::string(options.value_size, 'x'));
  std::mt19937_64 rng(options.seed * 1'000'003 + client);
  std::uniform_int_distribution<uint64_t> pick(0, options.records - 1);
  const bool put = plan.workload == Workload::kPut;
  const std::string target = put ? "/v3/kv/put" : "/v3/kv/range";
  ready.arrive_and_wait();

  uint64_t consecutive_errors = 0;
  while (consecutive_errors < kConsecutiveErrorsMax) {
    const uint64_t request = next_request.fetch_add(1, std::memory_order_relaxed);
    if (request >= plan.requests) break;
    const std::string key = base64(record_key(plan.sequential_keys ? request : pick(rng)));
    std::string body =
        put ? "{\"key\":\"" + key + "\",\"value\":\"" + value + "\"}" : "{\"key\":\"" + key + "\"}";
    const Clock::time_point start = Clock::now();
    const auto answer = connection.post(target, std::move(body), &error);
    const auto nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start);
    if (!answer) {
      ++stats.errors;
      ++consecutive_errors;
      if (stats.first_error.empty()) stats.first_error = error;
      continue;
    }
    consecutive_errors = 0;
    ++stats.ok;
    stats.latency.add(static_cast<uint64_t>(nanos.count()));
    // A range that matched nothing answers without "kvs".
    if (!put && answer->find("\"kvs\"") == std::string::npos) ++stats.misses;
  }
}

struct PhaseResult {
  ClientStats total;
  double seconds = 0;
};

// Starts one thread per client, times the phase from the moment every client is connected
// until the last one finishes, and merges their stats. Exits the process (status 1) if the
// phase outlasts --timeout-s: a client may be blocked in a read that has no deadline.
PhaseResult run_phase(const LoadOptions& options, const PhasePlan& plan, std::string_view name) {
  PAIRDB_ASSERT(options.clients >= 1);
  PAIRDB_ASSERT(!options.endpoints.empty());
  PAIRDB_ASSERT(options.records >= 1);
  std::vector<ClientStats> stats(options.clients);
  std::atomic<uint64_t> next_request{0};
  std::latch ready(static_cast<std::ptrdiff_t>(options.clients + 1));
  std::mutex mutex;
  std::condition_variable finished_cv;
  size_t finished = 0;  // Guarded by mutex.
  std::vector<std::thread> threads;
  for (size_t c = 0; c < options.clients; ++c) {
    threads.emplace_back([&, c] {
      const Endpoint& endpoint = options.endpoints[c % options.endpoints.size()];
      run_client(options, plan, endpoint, c, ready, next_request, stats[c]);
      std::lock_guard lock(mutex);
      ++finished;
      finished_cv.notify_one();
    });
  }
  ready.arrive_and_wait();
  const Clock::time_point start = Clock::now();
  {
    std::unique_lock lock(mutex);
    if (!finished_cv.wait_for(lock, std::chrono::seconds(options.timeout_s),
                              [&] { return finished == options.clients; })) {
      std::cerr << "pairdb-etcd-load: " << name << " phase still running after --timeout-s\n";
      std::_Exit(1);
    }
  }
  PhaseResult result;
  result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  for (std::thread& thread : threads) thread.join();
  for (const ClientStats& client : stats) {
    result.total.latency.merge(client.latency);
    result.total.ok += client.ok;
    result.total.errors += client.errors;
    result.total.misses += client.misses;
    if (result.total.first_error.empty()) result.total.first_error = client.first_error;
  }
  // Each request is counted once, and none past the plan.
  PAIRDB_ASSERT(result.total.ok + result.total.errors <= plan.requests);
  return result;
}

std::string render_json(const LoadOptions& options, const PhaseResult& result) {
  const LatencyHistogram& latency = result.total.latency;
  auto micros = [&](double q) { return static_cast<double>(latency.percentile_nanos(q)) / 1000; };
  pairdb::bench::JsonWriter json;
  json.begin_object();
  json.key("tool").value("pairdb-etcd-load");
  json.key("workload").value(options.workload == Workload::kPut ? "put" : "get");
  json.key("clients").value(static_cast<uint64_t>(options.clients));
  json.key("records").value(options.records);
  json.key("value_size").value(static_cast<uint64_t>(options.value_size));
  json.key("ok").value(result.total.ok);
  json.key("errors").value(result.total.errors);
  json.key("misses").value(result.total.misses);
  json.key("seconds").value(result.seconds);
  json.key("throughput").value(result.seconds > 0 ? result.total.ok / result.seconds : 0.0);
  json.key("latency_us").begin_object();
  json.key("p50").value(micros(0.50));
  json.key("p99").value(micros(0.99));
  json.key("p999").value(micros(0.999));
  json.key("max").value(micros(1.0));
  json.end_object();
  json.key("first_error").value(result.total.first_error);
  json.end_object();
  return json.str();
}

std::optional<std::vector<Endpoint>> parse_endpoints(const std::string& text) {
  std::vector<Endpoint> out;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t comma = std::min(text.find(',', start), text.size());
    const std::string item = text.substr(start, comma - start);
    const size_t colon = item.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == item.size()) return std::nullopt;
    out.push_back({item.substr(0, colon), item.substr(colon + 1)});
    start = comma + 1;
  }
  return out;
}

// Runs the optional load phase and the measured phase; returns the exit code.
int run(const LoadOptions& options, bool load) {
  if (load) {
    const PhasePlan plan{
        .workload = Workload::kPut, .requests = options.records, .sequential_keys = true};
    const PhaseResult loaded = run_phase(options, plan, "load");
    std::cerr << fmt::format(
        "pairdb-etcd-load: loaded {} records in {:.2f} s, {} errors{}\n", loaded.total.ok,
        loaded.seconds, loaded.total.errors,
        loaded.total.first_error.empty() ? "" : " (first: " + loaded.total.first_error + ")");
  }
  const PhasePlan plan{.workload = options.workload, .requests = options.ops};
  const PhaseResult result = run_phase(options, plan, "measured");
  std::cout << render_json(options, result) << std::endl;
  return result.total.ok > 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app("pairdb-etcd-load: closed-loop put/get load for an etcd 3.4 cluster",
               "pairdb-etcd-load");
  LoadOptions options;
  std::string endpoints_text = "127.0.0.1:2379";
  std::string workload_text = "put";
  bool load = false;
  app.add_option("--endpoints", endpoints_text, "Client URLs' host:port[,host:port...]")
      ->capture_default_str();
  app.add_option("--workload", workload_text, "put, or get (linearizable range of one key)")
      ->check(CLI::IsMember({"put", "get"}))
      ->capture_default_str();
  app.add_option("--clients,-c", options.clients, "Client threads, one connection each")
      ->check(CLI::Range(size_t{1}, size_t{1000}))
      ->capture_default_str();
  app.add_option("--records", options.records, "Keys in the keyspace")
      ->check(CLI::Range(uint64_t{1}, uint64_t{1'000'000'000'000}))
      ->capture_default_str();
  app.add_option("--ops", options.ops, "Requests in the measured phase")
      ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 40))
      ->capture_default_str();
  app.add_option("--value-size", options.value_size, "Bytes per value")
      ->check(CLI::Range(size_t{0}, size_t{1} << 20))
      ->capture_default_str();
  app.add_flag("--load", load, "First write every record once (not measured)");
  app.add_option("--seed", options.seed, "Seed of the key choices")->capture_default_str();
  app.add_option("--timeout-s", options.timeout_s, "Give up (exit 1) if a phase takes longer")
      ->check(CLI::Range(uint32_t{1}, uint32_t{86400}))
      ->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& help) {
    return app.exit(help);
  } catch (const CLI::ParseError& error) {
    std::cerr << "pairdb-etcd-load: " << error.what() << " (see --help)\n";
    return 2;
  }
  auto endpoints = parse_endpoints(endpoints_text);
  if (!endpoints) {
    std::cerr << "pairdb-etcd-load: bad --endpoints '" << endpoints_text << "' (see --help)\n";
    return 2;
  }
  options.endpoints = std::move(*endpoints);
  options.workload = workload_text == "put" ? Workload::kPut : Workload::kGet;
  return run(options, load);
}
