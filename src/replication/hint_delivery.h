// HintDelivery: when and what this node hands over from its HintStore, as a sans-IO state
// machine (the daemon's HintedHandoff adapter runs it on the replication io thread; tests/sim
// runs the same code). Liveness, loaded batches, delivery outcomes and the time go in; loads
// (read the next hints of a target from the store) and sends (merge one hint at its target,
// then delete it from the store once the target acknowledged it) come out.
//
// Per target: hints are loaded in seq order in batches and sent in that order, at most
// `window` in flight; each is reported back once it was acknowledged and deleted (or failed).
// Delivery runs only while gossip shows the target alive and it is not paused (by an operator,
// or for `overload_pause` after the target answered Overloaded); any other failure backs off
// exponentially and then reloads from the oldest hint still held, so nothing is skipped (a hint
// sent twice is merged twice, which is a join: harmless). Bytes sent are throttled by a token
// bucket (`throttle_bytes_per_sec`, 0 = off) shared by all targets.
//
// Single-threaded: the owner makes every call. Invariants: at most one load per target is
// outstanding; a seq is in flight at most once; nothing is sent to a target that is not alive or
// is paused (hints already in flight finish); `exhausted` is cleared whenever a hint is stored
// for the target, so a stored hint is always eventually loaded.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <vector>

#include <pairdb/ring/types.h>
#include <pairdb/status.h>

#include "common/instant.h"
#include "replication/hint_store.h"

namespace pairdb::replication {

struct HintDeliveryConfig {
  size_t batch_hints = 512;
  size_t batch_bytes = 1u << 20;
  size_t window = 128;                  // Hints in flight per target.
  uint64_t throttle_bytes_per_sec = 0;  // 0 = unthrottled.
  Duration backoff_min = std::chrono::milliseconds(200);
  Duration backoff_max = std::chrono::seconds(10);
  Duration overload_pause = std::chrono::seconds(1);
};

// Read up to max_count / max_bytes hints of `target` with seq > after_seq, then on_loaded.
struct HintLoad {
  ring::NodeId target;
  uint64_t after_seq = 0;
  size_t max_count = 0;
  size_t max_bytes = 0;
};
// Merge the hint at its target; once acknowledged, delete it from the store; then
// on_delivered with the outcome.
struct HintSend {
  ring::NodeId target;
  StoredHint hint;
};

struct HintDeliveryOutbox {
  std::vector<HintLoad> loads;
  std::vector<HintSend> sends;
  Instant next_tick = Instant::max();
  bool empty() const { return loads.empty() && sends.empty() && next_tick == Instant::max(); }
  void clear() {
    loads.clear();
    sends.clear();
    next_tick = Instant::max();
  }
};

enum class TargetDeliveryState : uint8_t {
  kIdle,        // Nothing left to send.
  kDelivering,  // Sending, or about to.
  kWaiting,     // Hints held; the target is not alive.
  kPaused,      // Hints held; an operator paused delivery.
  kBackingOff,  // Hints held; the last attempt failed, retrying at a later time.
};
std::string_view target_delivery_state_name(TargetDeliveryState state);

struct HintDeliveryCounters {
  uint64_t sent = 0;
  uint64_t delivered = 0;
  uint64_t failed = 0;
  uint64_t bytes_delivered = 0;
  uint64_t overloaded = 0;
};

// Whether a hint about to be sent should be dropped instead (and why): its table was dropped
// (`table_live` false), or every version in its record has expired by `now_wall_ms`. Neither
// needs repair. Every adapter asks this before it sends a HintSend.
std::optional<HintDropReason> undeliverable(const Hint& hint, bool table_live,
                                            uint64_t now_wall_ms);

// Whether a new hint for a target gossip has shown dead since `dead_since` (none: not dead)
// falls outside the hint window at `now`: then no hint is kept and the range is marked for
// repair instead. A window of 0 keeps no hints at all.
bool hint_window_passed(std::optional<Instant> dead_since, Instant now, uint64_t max_window_ms);

class HintDelivery {
 public:
  explicit HintDelivery(HintDeliveryConfig config = {});

  // A hint was stored for `target` (or the store holds some at startup). A target first heard
  // of here is taken as not alive until set_alive says otherwise.
  void on_hint_stored(const ring::NodeId& target, Instant now, HintDeliveryOutbox& out);
  // Gossip's current verdict on `target` (alive: reachable).
  void set_alive(const ring::NodeId& target, bool alive, Instant now, HintDeliveryOutbox& out);
  // Operator pause / resume of one target, or every target (nullopt). A pause of every target
  // also applies to targets first seen later.
  void set_paused(const std::optional<ring::NodeId>& target, bool paused, Instant now,
                  HintDeliveryOutbox& out);
  void on_loaded(const ring::NodeId& target, Result<std::vector<StoredHint>> batch, Instant now,
                 HintDeliveryOutbox& out);
  // The outcome of a HintSend: ok once acknowledged and deleted.
  void on_delivered(const ring::NodeId& target, uint64_t seq, const Status& status, Instant now,
                    HintDeliveryOutbox& out);
  // Forgets `target` (its hints were dropped: it left the ring, or they were truncated).
  void forget(const ring::NodeId& target);
  void tick(Instant now, HintDeliveryOutbox& out);

  TargetDeliveryState state(const ring::NodeId& target) const;
  // Every target the core knows of, with its state.
  std::map<ring::NodeId, TargetDeliveryState> states() const;
  // True when no live, unpaused target has hints left to send or in flight.
  bool idle_for_live_targets() const;
  const HintDeliveryCounters& counters() const { return counters_; }

 private:
  struct Target {
    bool alive = false;
    bool paused = false;
    bool exhausted = false;  // The last load found nothing past the cursor.
    bool loading = false;
    bool stored_during_load = false;  // A hint was stored while a load was outstanding.
    bool reload = false;  // A failure: reload from the oldest held hint once in-flight settle.
    uint64_t cursor = 0;  // Highest seq loaded.
    std::deque<StoredHint> queue;
    std::map<uint64_t, size_t> in_flight;  // Seq -> bytes.
    Instant retry_at;
    Duration backoff{};
  };

  Target& target_state(const ring::NodeId& id);
  void pump(const ring::NodeId& id, Target& t, Instant now, HintDeliveryOutbox& out);
  bool may_send(const Target& t, Instant now) const;
  void refill(Instant now);
  void schedule(Instant at, HintDeliveryOutbox& out) const;

  const HintDeliveryConfig config_;
  std::map<ring::NodeId, Target> targets_;
  bool all_paused_ = false;
  double allowance_bytes_ = 0;  // Token bucket for the throttle.
  Instant refilled_at_;
  HintDeliveryCounters counters_;
};

}  // namespace pairdb::replication
