// The deterministic simulator core: a virtual clock that jumps from event to event, one event
// queue and one seeded Rng. Everything in a run draws randomness from rng(), so a seed replays a
// run exactly. Single-threaded; used by the network, the gossip cluster and (later) replication.
#pragma once

#include <cstdint>
#include <functional>
#include <queue>
#include <vector>

#include "common/instant.h"
#include "common/rng.h"

namespace pairdb::sim {

inline constexpr size_t kPendingEventsMax = 50'000'000;

class Simulation {
 public:
  explicit Simulation(uint64_t seed) : seed_(seed), rng_(seed) {}

  Instant now() const { return now_; }
  Rng& rng() { return rng_; }
  uint64_t seed() const { return seed_; }
  uint64_t events_run() const { return events_run_; }

  // Runs `fn` at `at` (not before now). Events at equal times run in scheduling order.
  void schedule(Instant at, std::function<void()> fn);
  void schedule_after(Duration d, std::function<void()> fn) { schedule(now_ + d, std::move(fn)); }

  // Runs events up to and including `until`, then sets the clock to `until`. Returns false if
  // `stop` became true first (checked after every event).
  bool run_until(Instant until, const std::function<bool()>& stop = nullptr);

 private:
  struct Event {
    Instant at;
    uint64_t order;
    std::function<void()> fn;
  };
  struct Later {
    bool operator()(const Event& a, const Event& b) const {
      return a.at != b.at ? a.at > b.at : a.order > b.order;
    }
  };

  uint64_t seed_;
  Rng rng_;
  Instant now_;
  uint64_t next_order_ = 0;
  uint64_t events_run_ = 0;
  std::priority_queue<Event, std::vector<Event>, Later> queue_;
};

}  // namespace pairdb::sim
