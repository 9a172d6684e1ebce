#include "sim/lib/simulation.h"

#include "common/assert.h"

namespace pairdb::sim {

void Simulation::schedule(Instant at, std::function<void()> fn) {
  PAIRDB_ASSERT(queue_.size() < kPendingEventsMax);
  queue_.push(Event{std::max(at, now_), next_order_++, std::move(fn)});
}

bool Simulation::run_until(Instant until, const std::function<bool()>& stop) {
  while (!queue_.empty() && queue_.top().at <= until) {
    Event e = queue_.top();
    queue_.pop();
    PAIRDB_ASSERT(e.at >= now_);
    now_ = e.at;
    e.fn();
    ++events_run_;
    if (stop && stop()) return false;
  }
  now_ = std::max(now_, until);
  return true;
}

}  // namespace pairdb::sim
