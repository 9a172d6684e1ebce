// A random history of client writes and replica syncs for one item, used by the merge-law and
// codec tests. Clients read from a random replica (or write blind), write at a random
// coordinator with a lagging or leading clock, and replicas merge each other's copies.
#pragma once

#include <string>
#include <vector>

#include "common/rng.h"
#include "replication_test_util.h"

namespace pairdb::replication::testing {

struct HistoryWrite {
  Dot dot;
  VersionVector client_context;
};

struct History {
  std::vector<VersionRecord> replicas;  // Each node's current copy.
  std::vector<VersionRecord> outputs;   // Every record a coordinator produced (not duplicates).
  std::vector<HistoryWrite> writes;     // One per output.
};

inline constexpr uint32_t kHistoryKeysMax = 4;

inline WritePolicy history_policy(ConflictMode mode) {
  WritePolicy policy;
  policy.mode = mode;
  policy.siblings_max = 1'000'000;
  policy.idempotency_keys_max = kHistoryKeysMax;
  policy.idempotency_window_ms = 40;
  return policy;
}

inline LocalWrite random_write(Rng& rng, const History& h) {
  LocalWrite w;
  if (rng.chance(0.7)) w.context = visible(h.replicas[rng.uniform(h.replicas.size())], 0).context;
  w.tombstone = rng.chance(0.2);
  w.value = std::string(rng.uniform(6), static_cast<char>('a' + rng.uniform(26)));
  if (rng.chance(0.3)) w.value.push_back('\0');
  w.content_type = rng.chance(0.5) ? "application/json" : "application/octet-stream";
  if (rng.chance(0.1)) w.expires_at_ms = 1 + rng.uniform(5000);
  if (rng.chance(0.3)) w.idempotency_key = "req-" + std::to_string(rng.uniform(6));
  return w;
}

inline History random_history(Rng& rng, ConflictMode mode, size_t nodes, int ops) {
  const WritePolicy policy = history_policy(mode);
  History h;
  h.replicas.resize(nodes);
  for (int op = 0; op < ops; ++op) {
    const uint64_t wall = 1000 + static_cast<uint64_t>(op);
    if (rng.chance(0.55)) {
      const size_t c = rng.uniform(nodes);
      const LocalWrite w = random_write(rng, h);
      // Coordinators' clocks disagree by up to +-30 ms.
      const HlcTimestamp ts = HlcTimestamp::from_parts(wall + rng.uniform(60) - 30, 0);
      auto out = apply_write(h.replicas[c], w, node(c + 1), ts, wall, policy);
      REQUIRE(out.is_ok());
      h.replicas[c] = out->record;
      if (out->duplicate) continue;
      h.outputs.push_back(out->record);
      h.writes.push_back(HistoryWrite{out->dot, w.context});
    } else {
      const size_t from = rng.uniform(nodes);
      const size_t to = rng.uniform(nodes);
      h.replicas[to] = merge(h.replicas[to], h.replicas[from], mode, kHistoryKeysMax);
    }
  }
  return h;
}

}  // namespace pairdb::replication::testing
