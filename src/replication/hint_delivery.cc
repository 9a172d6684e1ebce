// HintDelivery (see hint_delivery.h).
#include "replication/hint_delivery.h"

#include <algorithm>

namespace pairdb::replication {

std::string_view target_delivery_state_name(TargetDeliveryState state) {
  switch (state) {
    case TargetDeliveryState::kIdle:
      return "idle";
    case TargetDeliveryState::kDelivering:
      return "delivering";
    case TargetDeliveryState::kWaiting:
      return "waiting";
    case TargetDeliveryState::kPaused:
      return "paused";
    case TargetDeliveryState::kBackingOff:
      return "backing_off";
  }
  return "unknown";
}

std::optional<HintDropReason> undeliverable(const Hint& hint, bool table_live,
                                            uint64_t now_wall_ms) {
  if (!table_live) return HintDropReason::kTableDropped;
  if (hint.expires_at_ms != 0 && hint.expires_at_ms <= now_wall_ms) return HintDropReason::kExpired;
  return std::nullopt;
}

bool hint_window_passed(std::optional<Instant> dead_since, Instant now, uint64_t max_window_ms) {
  if (max_window_ms == 0) return true;
  return dead_since && now - *dead_since > std::chrono::milliseconds(max_window_ms);
}

HintDelivery::HintDelivery(HintDeliveryConfig config) : config_(config) {
  allowance_bytes_ = static_cast<double>(config_.throttle_bytes_per_sec);
}

HintDelivery::Target& HintDelivery::target_state(const ring::NodeId& id) {
  auto [it, inserted] = targets_.try_emplace(id);
  if (inserted) it->second.paused = all_paused_;
  return it->second;
}

void HintDelivery::schedule(Instant at, HintDeliveryOutbox& out) const {
  out.next_tick = std::min(out.next_tick, at);
}

void HintDelivery::on_hint_stored(const ring::NodeId& target, Instant now,
                                  HintDeliveryOutbox& out) {
  Target& t = target_state(target);
  t.exhausted = false;
  if (t.loading) t.stored_during_load = true;  // That load may have read past it already.
  pump(target, t, now, out);
}

void HintDelivery::set_alive(const ring::NodeId& target, bool alive, Instant now,
                             HintDeliveryOutbox& out) {
  auto it = targets_.find(target);
  if (it == targets_.end()) {
    if (!alive) return;  // Nothing held for it: no need to remember a dead node.
    it = targets_.try_emplace(target).first;
    it->second.paused = all_paused_;
    it->second.alive = true;
    it->second.exhausted = false;  // Whatever is stored gets loaded once.
    pump(target, it->second, now, out);
    return;
  }
  Target& t = it->second;
  if (t.alive == alive) return;
  t.alive = alive;
  if (!alive) {
    t.queue.clear();  // Reloaded from the store once it is back.
    t.reload = true;
    return;
  }
  t.backoff = Duration::zero();
  t.retry_at = Instant();
  pump(target, t, now, out);
}

void HintDelivery::set_paused(const std::optional<ring::NodeId>& target, bool paused, Instant now,
                              HintDeliveryOutbox& out) {
  if (!target) {
    all_paused_ = paused;
    for (auto& [id, t] : targets_) {
      t.paused = paused;
      pump(id, t, now, out);
    }
    return;
  }
  Target& t = target_state(*target);
  t.paused = paused;
  pump(*target, t, now, out);
}

void HintDelivery::on_loaded(const ring::NodeId& target, Result<std::vector<StoredHint>> batch,
                             Instant now, HintDeliveryOutbox& out) {
  auto it = targets_.find(target);
  if (it == targets_.end()) return;  // Forgotten meanwhile.
  Target& t = it->second;
  t.loading = false;
  if (!batch.is_ok()) {
    // The store could not be read: try again later (the hints are still there).
    t.backoff = std::clamp(t.backoff * 2, config_.backoff_min, config_.backoff_max);
    t.retry_at = now + t.backoff;
    schedule(t.retry_at, out);
    return;
  }
  if (t.reload) {
    // A failure happened while this batch was being read: it may start past a failed hint.
    pump(target, t, now, out);
    return;
  }
  if (batch->empty()) {
    t.exhausted = !t.stored_during_load;
    pump(target, t, now, out);
    return;
  }
  for (StoredHint& hint : *batch) {
    if (hint.seq <= t.cursor || t.in_flight.count(hint.seq) > 0) continue;
    t.cursor = hint.seq;
    t.queue.push_back(std::move(hint));
  }
  pump(target, t, now, out);
}

void HintDelivery::on_delivered(const ring::NodeId& target, uint64_t seq, const Status& status,
                                Instant now, HintDeliveryOutbox& out) {
  auto it = targets_.find(target);
  if (it == targets_.end()) return;
  Target& t = it->second;
  auto flight = t.in_flight.find(seq);
  if (flight == t.in_flight.end()) return;  // Not in flight: a duplicate report.
  const size_t bytes = flight->second;
  t.in_flight.erase(flight);
  if (status.is_ok()) {
    ++counters_.delivered;
    counters_.bytes_delivered += bytes;
    t.backoff = Duration::zero();
  } else {
    ++counters_.failed;
    t.queue.clear();
    t.reload = true;
    if (status.code() == StatusCode::kOverloaded) {
      ++counters_.overloaded;
      t.retry_at = std::max(t.retry_at, now + config_.overload_pause);
    } else {
      t.backoff = std::clamp(t.backoff * 2, config_.backoff_min, config_.backoff_max);
      t.retry_at = std::max(t.retry_at, now + t.backoff);
    }
    schedule(t.retry_at, out);
  }
  pump(target, t, now, out);
}

void HintDelivery::forget(const ring::NodeId& target) { targets_.erase(target); }

bool HintDelivery::may_send(const Target& t, Instant now) const {
  return t.alive && !t.paused && now >= t.retry_at;
}

void HintDelivery::refill(Instant now) {
  if (config_.throttle_bytes_per_sec == 0) return;
  const double rate = static_cast<double>(config_.throttle_bytes_per_sec);
  if (now > refilled_at_) {
    allowance_bytes_ = std::min(rate, allowance_bytes_ + rate * (now - refilled_at_).count() / 1e6);
    refilled_at_ = now;
  }
}

// Loads and sends what the target's state allows now.
void HintDelivery::pump(const ring::NodeId& id, Target& t, Instant now, HintDeliveryOutbox& out) {
  if (!may_send(t, now)) {
    if (t.alive && !t.paused && t.retry_at != Instant::max()) schedule(t.retry_at, out);
    return;
  }
  if (t.reload) {
    if (!t.in_flight.empty() || t.loading) return;  // Settle first, then reload from the start.
    t.reload = false;
    t.cursor = 0;
    t.queue.clear();
    t.exhausted = false;
  }
  refill(now);
  while (!t.queue.empty() && t.in_flight.size() < config_.window) {
    const size_t bytes = t.queue.front().bytes;
    if (config_.throttle_bytes_per_sec != 0) {
      if (allowance_bytes_ <= 0) {
        const double wait_s = (1.0 - allowance_bytes_) / config_.throttle_bytes_per_sec;
        schedule(now + Duration(static_cast<int64_t>(wait_s * 1e6) + 1), out);
        return;
      }
      allowance_bytes_ -= static_cast<double>(bytes);  // May go into debt by one hint.
    }
    t.in_flight.emplace(t.queue.front().seq, bytes);
    ++counters_.sent;
    out.sends.push_back({id, std::move(t.queue.front())});
    t.queue.pop_front();
  }
  if (t.queue.empty() && !t.loading && !t.exhausted && t.in_flight.size() < config_.window) {
    t.loading = true;
    t.stored_during_load = false;
    out.loads.push_back({id, t.cursor, config_.batch_hints, config_.batch_bytes});
  }
}

void HintDelivery::tick(Instant now, HintDeliveryOutbox& out) {
  for (auto& [id, t] : targets_) pump(id, t, now, out);
}

TargetDeliveryState HintDelivery::state(const ring::NodeId& target) const {
  auto it = targets_.find(target);
  if (it == targets_.end()) return TargetDeliveryState::kIdle;
  const Target& t = it->second;
  const bool pending =
      !t.exhausted || t.reload || !t.queue.empty() || !t.in_flight.empty() || t.loading;
  if (!pending) return TargetDeliveryState::kIdle;
  if (t.paused) return TargetDeliveryState::kPaused;
  if (!t.alive) return TargetDeliveryState::kWaiting;
  if (t.reload && t.in_flight.empty()) return TargetDeliveryState::kBackingOff;
  return TargetDeliveryState::kDelivering;
}

std::map<ring::NodeId, TargetDeliveryState> HintDelivery::states() const {
  std::map<ring::NodeId, TargetDeliveryState> out;
  for (const auto& [id, t] : targets_) out[id] = state(id);
  return out;
}

bool HintDelivery::idle_for_live_targets() const {
  for (const auto& [id, t] : targets_) {
    if (!t.alive || t.paused) continue;
    if (state(id) != TargetDeliveryState::kIdle) return false;
  }
  return true;
}

}  // namespace pairdb::replication
