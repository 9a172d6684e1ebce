// The coordinator under random topologies, levels and reply schedules: replies are delayed,
// reordered, duplicated, dropped or failed, several operations run at once, and time jumps to
// each deadline. Checked on every seed: each operation answers exactly once; OK means the rule
// was met by replicas that really acknowledged (reads: the answer is the merge of what they
// returned); Unavailable means nothing was applied or sent; nothing goes to a dead replica; and
// once every deadline has passed the coordinator holds nothing.
// PAIRDB_REPLICATION_SEEDS=N runs more seeds; PAIRDB_REPLICATION_SEED=S replays one.
#include <catch2/catch.hpp>

#include <map>
#include <set>

#include "common/rng.h"
#include "replication/coordinator.h"
#include "replication_test_util.h"

using namespace pairdb;
using namespace pairdb::replication;
using namespace std::chrono_literals;
using pairdb::replication::testing::apply_ok;
using pairdb::replication::testing::for_each_seed;
using pairdb::replication::testing::node;
using pairdb::replication::testing::put_write;

namespace {

constexpr size_t kOpsPerSeed = 6;
constexpr size_t kStepsMax = 10'000;
const Instant kStart = Instant::from_us(1'000'000);

struct Topology {
  std::vector<Replica> replicas;
  ring::ReplicationSpec spec;
  std::string local_dc = "dc1";
};

Topology random_topology(Rng& rng) {
  Topology t;
  const size_t dcs = 1 + rng.uniform(2);
  uint64_t id = 1;
  for (size_t d = 0; d < dcs; ++d) {
    const std::string dc = "dc" + std::to_string(d + 1);
    const auto rf = static_cast<uint32_t>(1 + rng.uniform(3));
    t.spec.per_dc.push_back({dc, rf});
    for (uint32_t i = 0; i < rf; ++i) {
      t.replicas.push_back({node(id++), dc, rng.chance(0.8), false});
    }
  }
  if (rng.chance(0.8)) {  // This node is the first dc1 replica, and alive: it is running.
    t.replicas[0].is_self = true;
    t.replicas[0].alive = true;
  }
  return t;
}

Consistency random_level(Rng& rng) {
  static constexpr Consistency kLevels[] = {Consistency::kOne,         Consistency::kTwo,
                                            Consistency::kThree,       Consistency::kQuorum,
                                            Consistency::kAll,         Consistency::kLocalOne,
                                            Consistency::kLocalQuorum, Consistency::kEachQuorum};
  return kLevels[rng.uniform(std::size(kLevels))];
}

// What the test knows of one operation, independently of the coordinator.
struct Tracked {
  bool is_write = false;
  std::vector<Replica> replicas;
  QuorumRule rule;
  std::set<size_t> acked;  // Replicas whose OK reply was delivered (writes, reads).
  VersionRecord merged;    // Reads: the merge of every OK reply delivered.
  bool applied_or_sent = false;
  int answers = 0;
};

// A reply on its way to the coordinator.
struct Delivery {
  OpId op = 0;
  enum Kind { kLocal, kWriteAck, kRead, kRepairAck, kForward } kind = kLocal;
  size_t replica = 0;
  bool ok = true;
  VersionRecord record{};
};

class Harness {
 public:
  explicit Harness(uint64_t seed) : rng_(seed) {
    const VersionRecord a = apply_ok({}, put_write("a"), node(1), 1000).record;
    const VersionRecord b = apply_ok({}, put_write("b"), node(2), 1001).record;
    pool_ = {VersionRecord{}, a, b, merge(a, b, ConflictMode::kSiblings)};
  }

  void run() {
    Instant now = kStart;
    Instant last_deadline = kStart;
    for (OpId op = 1; op <= kOpsPerSeed; ++op) {
      const Topology t = random_topology(rng_);
      auto rule = quorum_rule(random_level(rng_), t.spec, t.local_dc);
      if (!rule.is_ok()) continue;  // Unsatisfiable: refused before the coordinator.
      const Instant deadline = now + Duration(static_cast<int64_t>(50'000 + rng_.uniform(200'000)));
      last_deadline = std::max(last_deadline, deadline);
      Tracked& tracked = ops_[op];
      tracked.replicas = t.replicas;
      tracked.rule = *rule;
      tracked.is_write = rng_.chance(0.5);
      if (tracked.is_write) {
        coordinator_.start_write(op, {t.replicas, *rule, t.local_dc, deadline}, now, out_);
      } else {
        ReadRequest request{t.replicas,
                            *rule,
                            t.local_dc,
                            ConflictMode::kSiblings,
                            static_cast<ReadRepair>(rng_.uniform(3)),
                            deadline};
        coordinator_.start_read(op, std::move(request), now, out_);
      }
      drain(now);
    }
    // Deliver everything in time order, ticking whenever the coordinator asked to be woken.
    // Bounded: a coordinator that keeps asking to be woken without progress fails here.
    for (size_t steps = 0; !in_flight_.empty() || now <= last_deadline; ++steps) {
      REQUIRE(steps < kStepsMax);
      const Instant next_delivery = in_flight_.empty() ? Instant::max() : in_flight_.begin()->first;
      const Instant final_tick = now <= last_deadline ? last_deadline + 1ms : Instant::max();
      const Instant wake = std::min(next_tick_, final_tick);
      if (next_delivery <= wake) {
        now = next_delivery;
        Delivery d = std::move(in_flight_.begin()->second);
        in_flight_.erase(in_flight_.begin());
        deliver(d, now);
      } else {
        now = std::max(now, wake);
        next_tick_ = Instant::max();
        coordinator_.tick(now, out_);
      }
      drain(now);
      if (now > last_deadline && in_flight_.empty()) break;
    }
    coordinator_.tick(last_deadline + 1ms, out_);
    drain(last_deadline + 1ms);
    for (const auto& [op, t] : ops_) {
      INFO("op " << op << (t.is_write ? " write" : " read"));
      CHECK(t.answers == 1);
    }
    CHECK(coordinator_.in_flight() == 0);
  }

 private:
  void deliver(const Delivery& d, Instant now) {
    Tracked& t = ops_[d.op];
    const Status status = d.ok ? Status::ok() : Status::busy("replica refused");
    switch (d.kind) {
      case Delivery::kLocal:
        if (d.ok) t.acked.insert(d.replica);
        coordinator_.on_local_write(d.op, d.ok ? Result<VersionRecord>(d.record) : status, now,
                                    out_);
        break;
      case Delivery::kWriteAck:
        if (d.ok && t.answers == 0) t.acked.insert(d.replica);
        coordinator_.on_write_ack(d.op, d.replica, status, now, out_);
        break;
      case Delivery::kRead:
        if (d.ok && t.answers == 0 && t.acked.insert(d.replica).second) {
          t.merged = merge(t.merged, d.record, ConflictMode::kSiblings);
        }
        coordinator_.on_read_reply(d.op, d.replica, d.ok ? Result<VersionRecord>(d.record) : status,
                                   now, out_);
        break;
      case Delivery::kRepairAck:
        coordinator_.on_repair_ack(d.op, d.replica, status, now, out_);
        break;
      case Delivery::kForward:
        coordinator_.on_forward_reply(d.op, {d.op, status, d.record, 1, d.ok ? 1u : 0u}, now, out_);
        break;
    }
  }

  // Schedules replies to what the coordinator sent: delayed, sometimes lost, duplicated or
  // failed. Checks what it answered.
  void drain(Instant now) {
    for (const LocalApply& a : out_.local_applies) {
      Tracked& t = ops_[a.op];
      t.applied_or_sent = true;
      schedule(now, {a.op, Delivery::kLocal, self_of(t), !rng_.chance(0.05),
                     pool_[1 + rng_.uniform(pool_.size() - 1)]});
    }
    for (const ReplicaWrite& w : out_.writes) {
      Tracked& t = ops_[w.op];
      REQUIRE(t.replicas[w.replica].alive);  // Nothing goes to a dead replica.
      t.applied_or_sent = true;
      reply(now, {w.op, w.repair ? Delivery::kRepairAck : Delivery::kWriteAck, w.replica});
    }
    for (const ReplicaRead& r : out_.reads) {
      REQUIRE(ops_[r.op].replicas[r.replica].alive);
      reply(now, {r.op, Delivery::kRead, r.replica, true, pool_[rng_.uniform(pool_.size())]});
    }
    for (const ForwardWrite& f : out_.forwards) {
      Tracked& t = ops_[f.op];
      REQUIRE(t.replicas[f.replica].alive);
      t.applied_or_sent = true;
      reply(now, {f.op, Delivery::kForward, f.replica, true, pool_[1]});
    }
    for (const WriteResult& r : out_.write_results) check_write(r);
    for (const ReadResult& r : out_.read_results) check_read(r);
    next_tick_ = std::min(next_tick_, out_.next_tick);
    out_.clear();
  }

  void reply(Instant now, Delivery d) {
    if (rng_.chance(0.15)) return;  // Lost.
    d.ok = !rng_.chance(0.1);
    if (rng_.chance(0.1)) schedule(now, d);  // Duplicated.
    schedule(now, std::move(d));
  }

  void schedule(Instant now, Delivery d) {
    const auto delay = Duration(static_cast<int64_t>(rng_.uniform(120'000)));
    in_flight_.emplace(now + delay, std::move(d));
  }

  void check_write(const WriteResult& r) {
    Tracked& t = ops_[r.op];
    ++t.answers;
    INFO("write " << r.op << ": " << r.status.to_string());
    if (r.status.code() == StatusCode::kUnavailable) CHECK_FALSE(t.applied_or_sent);
    const bool forwarded = std::none_of(t.replicas.begin(), t.replicas.end(),
                                        [](const Replica& x) { return x.is_self; });
    if (r.status.is_ok() && !forwarded) {
      CHECK(quorum_met(t.rule, dcs_where(t.replicas, [&](size_t i) { return t.acked.count(i); })));
    }
  }

  void check_read(const ReadResult& r) {
    Tracked& t = ops_[r.op];
    ++t.answers;
    INFO("read " << r.op << ": " << r.status.to_string());
    if (!r.status.is_ok()) return;
    CHECK(quorum_met(t.rule, dcs_where(t.replicas, [&](size_t i) { return t.acked.count(i); })));
    CHECK(r.record == t.merged);
  }

  static size_t self_of(const Tracked& t) {
    for (size_t i = 0; i < t.replicas.size(); ++i) {
      if (t.replicas[i].is_self) return i;
    }
    FAIL("a local apply for a node that is not a replica");
    return 0;
  }

  Rng rng_;
  std::vector<VersionRecord> pool_;
  Coordinator coordinator_{CoordinatorConfig{.speculative_delay = 20ms}};
  CoordinatorOutbox out_;
  std::map<OpId, Tracked> ops_;
  std::multimap<Instant, Delivery> in_flight_;
  Instant next_tick_ = Instant::max();
};

}  // namespace

TEST_CASE("the coordinator keeps its promises under random replies", "[coordinator][random]") {
  for_each_seed(300, [](uint64_t seed) { Harness(seed).run(); });
}
