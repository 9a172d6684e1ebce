// RepairScheduler: which ranges this node's background anti-entropy repairs next, as a sans-IO
// decision (the daemon's RepairService and tests/sim feed it the ranges, the history and the
// time; it answers which sessions to start).
//
// Rules, per range this node replicates:
//   - due: hinted handoff marked it (hints were dropped), or it was never verified, or its last
//     verification completed `interval_ms` ago or more;
//   - only with every replica alive (a session must include them all to count as verified);
//   - one initiator per range: the replica ranked first by a hash of (table, range, node), so
//     the work spreads over the replicas and they do not all start the same session at once.
//     Another replica starts it only once it has been due for a quarter interval more (the
//     designated one is down or stuck); a marked range is started by the node holding the mark;
//   - marked ranges first, then the longest unverified;
//   - at most max_sessions running at once.
//
// Single-threaded. Invariant: due_since_ holds only ranges seen due at the last pick.
#pragma once

#include <cstdint>
#include <map>
#include <tuple>
#include <vector>

#include <pairdb/replication/storage_key.h>
#include <pairdb/ring/types.h>

namespace pairdb::replication {

struct RepairCandidate {
  TableId table = 0;
  ring::TokenRange range;
  std::vector<ring::NodeId> replicas;  // Natural replicas, self included.
  bool all_alive = false;
  uint64_t last_verified_ms = 0;  // Completion of the last full repair; 0 = never.
  bool marked = false;            // Marked for repair by this node's hinted handoff.
  bool running = false;           // A session of this node is repairing it now.
};

struct RepairSchedulerConfig {
  uint64_t interval_ms = 24ull * 3600 * 1000;
  size_t max_sessions = 1;
};

class RepairScheduler {
 public:
  RepairScheduler(ring::NodeId self, RepairSchedulerConfig config) : self_(self), config_(config) {}

  // Indexes into `candidates` of the sessions to start now, in order.
  std::vector<size_t> pick(const std::vector<RepairCandidate>& candidates, uint64_t now_wall_ms);

  // Whether `c` has gone unverified for longer than the interval since its last verification
  // (or since this node first saw it, if never): the overdue metric and log line.
  bool overdue(const RepairCandidate& c, uint64_t now_wall_ms) const;

  // The replica that starts `c` in the normal course.
  static ring::NodeId designated(const RepairCandidate& c);

 private:
  using Key = std::tuple<TableId, ring::Token, ring::Token>;
  static Key key_of(const RepairCandidate& c) { return {c.table, c.range.start, c.range.end}; }
  uint64_t due_since(const RepairCandidate& c) const;

  const ring::NodeId self_;
  const RepairSchedulerConfig config_;
  std::map<Key, uint64_t> due_since_;  // When this node first saw a never-verified range due.
};

}  // namespace pairdb::replication
