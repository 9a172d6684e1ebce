#include "replication/repair_scheduler.h"

#include <algorithm>

#include "common/hash.h"

namespace pairdb::replication {

namespace {

uint64_t rank(const RepairCandidate& c, const ring::NodeId& node) {
  std::string bytes(reinterpret_cast<const char*>(node.bytes.data()), node.bytes.size());
  return hash64(bytes, c.table * 0x9e3779b97f4a7c15ULL ^ c.range.start ^ (c.range.end << 1));
}

}  // namespace

ring::NodeId RepairScheduler::designated(const RepairCandidate& c) {
  ring::NodeId best;
  uint64_t best_rank = 0;
  for (const ring::NodeId& node : c.replicas) {
    const uint64_t r = rank(c, node);
    if (best.is_nil() || r < best_rank) {
      best = node;
      best_rank = r;
    }
  }
  return best;
}

uint64_t RepairScheduler::due_since(const RepairCandidate& c) const {
  if (c.last_verified_ms != 0) return c.last_verified_ms + config_.interval_ms;
  auto it = due_since_.find(key_of(c));
  return it != due_since_.end() ? it->second : UINT64_MAX;
}

bool RepairScheduler::overdue(const RepairCandidate& c, uint64_t now_wall_ms) const {
  if (config_.interval_ms == 0) return false;
  uint64_t since = c.last_verified_ms;
  if (since == 0) {
    auto it = due_since_.find(key_of(c));
    if (it == due_since_.end()) return false;
    since = it->second;
  }
  return now_wall_ms >= since + config_.interval_ms;
}

std::vector<size_t> RepairScheduler::pick(const std::vector<RepairCandidate>& candidates,
                                          uint64_t now_wall_ms) {
  // Remember when never-verified ranges were first seen; forget ranges no longer offered.
  std::map<Key, uint64_t> seen;
  size_t running = 0;
  for (const RepairCandidate& c : candidates) {
    running += c.running;
    if (c.last_verified_ms != 0) continue;
    auto it = due_since_.find(key_of(c));
    seen[key_of(c)] = it != due_since_.end() ? it->second : now_wall_ms;
  }
  due_since_ = std::move(seen);
  if (config_.interval_ms == 0 || running >= config_.max_sessions) return {};

  std::vector<size_t> ready;
  for (size_t i = 0; i < candidates.size(); ++i) {
    const RepairCandidate& c = candidates[i];
    if (c.running || !c.all_alive) continue;
    const bool due = c.marked || c.last_verified_ms == 0 ||
                     now_wall_ms >= c.last_verified_ms + config_.interval_ms;
    if (!due) continue;
    const bool mine =
        c.marked || designated(c) == self_ || now_wall_ms >= due_since(c) + config_.interval_ms / 4;
    if (mine) ready.push_back(i);
  }
  std::stable_sort(ready.begin(), ready.end(), [&](size_t a, size_t b) {
    const RepairCandidate& x = candidates[a];
    const RepairCandidate& y = candidates[b];
    if (x.marked != y.marked) return x.marked;
    return x.last_verified_ms < y.last_verified_ms;
  });
  ready.resize(std::min(ready.size(), config_.max_sessions - running));
  return ready;
}

}  // namespace pairdb::replication
