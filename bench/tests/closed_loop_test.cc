#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "pairdb_bench/closed_loop.h"

using namespace pairdb::bench;

namespace {

// A driver whose "requests" complete on its own worker threads, in FIFO order per thread.
// Records every operation it was asked to issue, and fails every `fail_every`-th one.
class FakeDriver : public Driver {
 public:
  explicit FakeDriver(size_t threads, uint64_t fail_every = 0)
      : queues_(threads), fail_every_(fail_every) {
    for (size_t t = 0; t < threads; ++t) workers_.emplace_back([this, t] { work(t); });
  }
  ~FakeDriver() override {
    for (auto& q : queues_) {
      std::lock_guard lock(q.mu);
      q.closed = true;
      q.ready.notify_all();
    }
    for (auto& w : workers_) w.join();
  }

  size_t threads() const override { return queues_.size(); }

  void post(size_t thread, std::function<void()> fn) override {
    Queue& q = queues_[thread];
    std::lock_guard lock(q.mu);
    q.tasks.push_back(std::move(fn));
    q.ready.notify_one();
  }

  void issue(size_t client, const Operation& op, Completion done) override {
    bool fail = false;
    {
      std::lock_guard lock(log_mu_);
      issued_.push_back(op);
      fail = fail_every_ != 0 && issued_.size() % fail_every_ == 0;
    }
    post(client % threads(),
         [done = std::move(done), fail] { done(fail ? OpOutcome::kError : OpOutcome::kOk); });
  }

  std::vector<Operation> issued() {
    std::lock_guard lock(log_mu_);
    return issued_;
  }

 private:
  struct Queue {
    std::mutex mu;
    std::condition_variable ready;
    std::deque<std::function<void()>> tasks;
    bool closed = false;
  };

  void work(size_t t) {
    Queue& q = queues_[t];
    for (;;) {
      std::function<void()> task;
      {
        std::unique_lock lock(q.mu);
        q.ready.wait(lock, [&] { return q.closed || !q.tasks.empty(); });
        if (q.tasks.empty()) return;
        task = std::move(q.tasks.front());
        q.tasks.pop_front();
      }
      task();
    }
  }

  std::vector<Queue> queues_;
  std::vector<std::thread> workers_;
  uint64_t fail_every_;
  std::mutex log_mu_;
  std::vector<Operation> issued_;
};

// Options for `clients` clients over records [0, records), each with up to `pipeline` requests
// in flight; the rest keep their defaults.
ClosedLoopOptions options_for(size_t clients, uint64_t records,
                              size_t pipeline = ClosedLoopOptions{}.pipeline) {
  ClosedLoopOptions options;
  options.clients = clients;
  options.pipeline = pipeline;
  options.records = records;
  return options;
}

const OpStats& stats_of(const PhaseResult& result, OpKind kind) {
  return result.ops[static_cast<size_t>(kind)];
}

}  // namespace

TEST_CASE("load writes every record exactly once") {
  FakeDriver driver(2);
  ClosedLoop loop(&driver, options_for(/*clients=*/7, /*records=*/5000, /*pipeline=*/3));
  const PhaseResult result = loop.load();
  CHECK(stats_of(result, OpKind::kUpdate).ok == 5000);
  CHECK(stats_of(result, OpKind::kRead).ok == 0);
  std::set<uint64_t> records;
  for (const Operation& op : driver.issued()) {
    CHECK(op.kind == OpKind::kUpdate);
    records.insert(op.record);
  }
  CHECK(records.size() == 5000);
  CHECK(*records.rbegin() == 4999);
}

TEST_CASE("a run with an operation count issues exactly that many, in the workload's mix") {
  FakeDriver driver(2);
  ClosedLoopOptions options = options_for(/*clients=*/10, /*records=*/1000, /*pipeline=*/4);
  options.mix = parse_workload("B").value();
  options.ops = 20000;
  options.duration = std::chrono::minutes(5);  // The count, not the clock, ends this run.
  ClosedLoop loop(&driver, options);
  const PhaseResult result = loop.run();
  const OpStats& reads = stats_of(result, OpKind::kRead);
  const OpStats& updates = stats_of(result, OpKind::kUpdate);
  CHECK(reads.ok + updates.ok == 20000);
  CHECK(driver.issued().size() == 20000);
  CHECK(reads.latency.count() == reads.ok);
  // 95 % reads: 19,000 expected, standard deviation ~31.
  CHECK(reads.ok > 18700);
  CHECK(reads.ok < 19300);
  for (const Operation& op : driver.issued()) CHECK(op.record < 1000);
  CHECK(result.seconds > 0);
}

TEST_CASE("failed operations are counted as errors, not as latencies") {
  FakeDriver driver(1, /*fail_every=*/10);
  ClosedLoopOptions options = options_for(/*clients=*/2, /*records=*/100);
  options.mix = parse_workload("C").value();
  options.ops = 1000;
  ClosedLoop loop(&driver, options);
  const PhaseResult result = loop.run();
  CHECK(result.total_errors() == 100);
  CHECK(result.total_ok() == 900);
  CHECK(stats_of(result, OpKind::kRead).latency.count() == 900);
}

TEST_CASE("a timed run stops at its duration and reports progress") {
  FakeDriver driver(1);
  ClosedLoopOptions options = options_for(/*clients=*/1, /*records=*/10);
  options.duration = std::chrono::milliseconds(1500);
  std::vector<std::string> lines;
  options.progress = [&](const std::string& line) { lines.push_back(line); };
  ClosedLoop loop(&driver, options);
  const PhaseResult result = loop.run();
  CHECK(result.seconds >= 1.5);
  CHECK(result.seconds < 30);  // Stopped by the clock, long before a hang would be noticed.
  CHECK(result.total_ok() > 0);
  REQUIRE(!lines.empty());
  CHECK(lines.front().find("ops/s") != std::string::npos);
}
