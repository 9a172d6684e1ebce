#include "repair_bench/session_runner.h"

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <utility>
#include <vector>

#include "common/assert.h"
#include "common/clock.h"

namespace pairdb::bench {

namespace {

using replication::RepairOutbox;
using replication::RepairSend;
using replication::RepairSession;
using SteadyClock = std::chrono::steady_clock;

static_assert(std::variant_size_v<replication::RepairRequest> == kRepairMessageKinds);

double cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const auto seconds = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

double seconds_since(SteadyClock::time_point start) {
  return std::chrono::duration<double>(SteadyClock::now() - start).count();
}

Instant now() { return SystemClock::instance().monotonic(); }

// Delivers one request to the peer and its reply to the session, timing both sides.
void deliver(RepairSend send, RepairSession& session, BenchReplica& peer, RepairRun& run,
             RepairOutbox& out) {
  PAIRDB_ASSERT(send.to == peer.id());
  const size_t kind = send.request.index();
  ++run.traffic.requests[kind];
  run.traffic.request_bytes[kind] += replication::repair_message_bytes(send.request);
  if (const auto* tree = std::get_if<replication::RepairTreeRequest>(&send.request);
      tree != nullptr && tree->nodes == std::vector<uint32_t>{1}) {
    run.depth = tree->scope.depth;  // A root request: the depth this sync compares at.
  }
  const uint64_t trees_before = peer.responder()->trees_built();
  auto started = SteadyClock::now();
  auto reply = peer.responder()->handle(send.request, now());
  const double peer_seconds = seconds_since(started);
  (peer.responder()->trees_built() != trees_before ? run.times.peer_tree : run.times.peer_rest) +=
      peer_seconds;
  if (reply.is_ok()) run.traffic.reply_bytes[kind] += replication::repair_message_bytes(*reply);
  started = SteadyClock::now();
  session.on_reply(send.request_id, std::move(reply), now(), out);
  run.times.initiator_rest += seconds_since(started);
}

}  // namespace

const char* repair_message_kind_name(RepairMessageKind kind) {
  switch (kind) {
    case RepairMessageKind::kTree:
      return "tree";
    case RepairMessageKind::kLeaves:
      return "leaves";
    case RepairMessageKind::kFetch:
      return "fetch";
    case RepairMessageKind::kPush:
      return "push";
    case RepairMessageKind::kDone:
      return "done";
  }
  return "?";
}

uint64_t RepairTraffic::total_bytes() const {
  uint64_t total = 0;
  for (size_t i = 0; i < kRepairMessageKinds; ++i) total += request_bytes[i] + reply_bytes[i];
  return total;
}

RepairRun run_repair(BenchReplica& initiator, BenchReplica& peer, const RepairRunOptions& options) {
  replication::RepairTask task;
  task.session_id = 1;
  task.table = options.table;
  task.mode = replication::ConflictMode::kSiblings;
  task.range = options.range;
  task.self = initiator.id();
  task.peers = {peer.id()};
  task.started_wall_ms = SystemClock::instance().wall_ms();
  RepairSession session(task, initiator.storage(), options.session);

  RepairRun run;
  const double cpu_start = cpu_seconds();
  const auto wall_start = SteadyClock::now();
  RepairOutbox out;
  session.start(now(), out);
  run.times.initiator_tree = seconds_since(wall_start);
  for (uint64_t step = 0; !session.finished(); ++step) {
    if (step >= options.steps_max) {
      run.status = Status::timeout("the repair session did not finish within steps_max");
      break;
    }
    std::vector<RepairSend> sends = std::move(out.sends);
    const Instant tick = out.next_tick;
    out.clear();
    if (sends.empty()) {  // Waiting (pacing or a retry): jump to the time it asked for.
      PAIRDB_ASSERT(tick != Instant::max());
      const auto started = SteadyClock::now();
      session.tick(std::max(now(), tick), out);
      run.times.initiator_rest += seconds_since(started);
      continue;
    }
    for (RepairSend& send : sends) deliver(std::move(send), session, peer, run, out);
  }
  run.times.wall = seconds_since(wall_start);
  run.times.cpu = cpu_seconds() - cpu_start;
  run.stats = session.stats();
  if (run.status.is_ok()) run.status = session.status();
  // What the bench counted per message must be what the session charged (no retries here).
  if (run.status.is_ok() &&
      run.traffic.total_bytes() != run.stats.bytes_sent + run.stats.bytes_received) {
    run.status = Status::corruption("bytes counted per message differ from the session's stats");
  }
  return run;
}

}  // namespace pairdb::bench
