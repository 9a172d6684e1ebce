// HintDelivery, the sans-IO hand-over core: loads and sends only while the target is alive and
// not paused, in seq order within a window, resuming from the oldest held hint after a failure,
// pausing after Overloaded, throttled by bytes, never losing a hint stored during a load.
#include <catch2/catch.hpp>

#include <map>

#include "replication/hint_delivery.h"
#include "replication_test_util.h"

using namespace pairdb;
using namespace pairdb::replication;
using replication::testing::node;

namespace {

const Instant kStart = Instant::from_us(1'000'000);

// A store the test controls: seq -> bytes for one target.
struct FakeStore {
  std::map<uint64_t, size_t> held;
  uint64_t next = 1;
  uint64_t add(size_t bytes = 100) {
    held[next] = bytes;
    return next++;
  }
  std::vector<StoredHint> load(const HintLoad& l) const {
    std::vector<StoredHint> out;
    for (auto it = held.upper_bound(l.after_seq); it != held.end() && out.size() < l.max_count;
         ++it) {
      StoredHint h;
      h.seq = it->first;
      h.bytes = it->second;
      h.hint.target = l.target;
      out.push_back(h);
    }
    return out;
  }
};

std::vector<uint64_t> seqs(const std::vector<HintSend>& sends) {
  std::vector<uint64_t> out;
  for (const auto& s : sends) out.push_back(s.hint.seq);
  return out;
}

// Answers every load from the store until no load is asked; returns what was sent meanwhile.
std::vector<HintSend> settle_loads(HintDelivery& d, FakeStore& store, HintDeliveryOutbox& out,
                                   Instant now) {
  std::vector<HintSend> sent;
  for (int rounds = 0; rounds < 100; ++rounds) {
    sent.insert(sent.end(), out.sends.begin(), out.sends.end());
    auto loads = out.loads;
    out.sends.clear();
    out.loads.clear();
    if (loads.empty()) break;
    for (const auto& l : loads) d.on_loaded(l.target, store.load(l), now, out);
  }
  return sent;
}

}  // namespace

TEST_CASE("nothing is loaded or sent while the target is dead", "[hints]") {
  HintDelivery d;
  HintDeliveryOutbox out;
  d.on_hint_stored(node(1), kStart, out);
  CHECK(out.loads.empty());
  CHECK(out.sends.empty());
  CHECK(d.state(node(1)) == TargetDeliveryState::kWaiting);
  d.set_alive(node(1), true, kStart, out);
  REQUIRE(out.loads.size() == 1);
  CHECK(out.loads[0].after_seq == 0);
}

TEST_CASE("hints go out in seq order within the window and are done once acknowledged", "[hints]") {
  HintDeliveryConfig config;
  config.window = 4;
  config.batch_hints = 3;
  HintDelivery d(config);
  FakeStore store;
  for (int i = 0; i < 10; ++i) store.add();
  HintDeliveryOutbox out;
  d.set_alive(node(1), true, kStart, out);
  auto sent = settle_loads(d, store, out, kStart);
  REQUIRE(seqs(sent) == std::vector<uint64_t>{1, 2, 3, 4});  // The window is full.
  std::vector<uint64_t> all = seqs(sent);
  for (int rounds = 0; rounds < 20 && !sent.empty(); ++rounds) {
    for (const auto& s : sent) {
      store.held.erase(s.hint.seq);  // The adapter deletes before it reports.
      d.on_delivered(node(1), s.hint.seq, Status::ok(), kStart, out);
    }
    sent = settle_loads(d, store, out, kStart);
    for (uint64_t seq : seqs(sent)) all.push_back(seq);
  }
  CHECK(all == std::vector<uint64_t>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10});
  CHECK(store.held.empty());
  CHECK(d.counters().delivered == 10);
  CHECK(d.state(node(1)) == TargetDeliveryState::kIdle);
  CHECK(d.idle_for_live_targets());
  // A duplicate report changes nothing.
  d.on_delivered(node(1), 3, Status::ok(), kStart, out);
  CHECK(d.counters().delivered == 10);
}

TEST_CASE("a failure backs off, then resumes from the oldest hint still held", "[hints]") {
  HintDeliveryConfig config;
  config.window = 3;
  HintDelivery d(config);
  FakeStore store;
  for (int i = 0; i < 5; ++i) store.add();
  HintDeliveryOutbox out;
  d.set_alive(node(1), true, kStart, out);
  auto sent = settle_loads(d, store, out, kStart);
  REQUIRE(seqs(sent) == std::vector<uint64_t>{1, 2, 3});
  d.on_delivered(node(1), 2, Status::unavailable("connection lost"), kStart, out);
  REQUIRE(out.next_tick != Instant::max());
  CHECK(out.next_tick > kStart);
  const Instant retry = out.next_tick;
  store.held.erase(1);
  d.on_delivered(node(1), 1, Status::ok(), kStart, out);
  CHECK(settle_loads(d, store, out, kStart).empty());  // Nothing new during the back-off.
  store.held.erase(3);
  d.on_delivered(node(1), 3, Status::ok(), kStart, out);
  CHECK(settle_loads(d, store, out, kStart).empty());
  CHECK(d.state(node(1)) == TargetDeliveryState::kBackingOff);
  d.tick(retry, out);
  auto resumed = settle_loads(d, store, out, retry);
  CHECK(seqs(resumed) == std::vector<uint64_t>{2, 4, 5});  // 2 again; 1 and 3 are gone.
}

TEST_CASE("Overloaded pauses the target, and an operator pause stops new sends", "[hints]") {
  HintDeliveryConfig config;
  config.window = 1;
  config.overload_pause = std::chrono::seconds(2);
  HintDelivery d(config);
  FakeStore store;
  for (int i = 0; i < 3; ++i) store.add();
  HintDeliveryOutbox out;
  d.set_alive(node(1), true, kStart, out);
  REQUIRE(seqs(settle_loads(d, store, out, kStart)) == std::vector<uint64_t>{1});
  d.on_delivered(node(1), 1, Status::overloaded("busy"), kStart, out);
  CHECK(d.counters().overloaded == 1);
  d.tick(kStart + std::chrono::seconds(1), out);
  CHECK(settle_loads(d, store, out, kStart + std::chrono::seconds(1)).empty());
  d.tick(kStart + std::chrono::seconds(2), out);
  CHECK(seqs(settle_loads(d, store, out, kStart + std::chrono::seconds(2))) ==
        std::vector<uint64_t>{1});

  const Instant later = kStart + std::chrono::seconds(3);
  d.set_paused(std::nullopt, true, later, out);
  store.held.erase(1);
  d.on_delivered(node(1), 1, Status::ok(), later, out);
  CHECK(settle_loads(d, store, out, later).empty());
  CHECK(d.state(node(1)) == TargetDeliveryState::kPaused);
  CHECK(d.idle_for_live_targets());  // A paused target does not hold up a shutdown.
  d.set_paused(node(1), false, later, out);
  CHECK(seqs(settle_loads(d, store, out, later)) == std::vector<uint64_t>{2});
}

TEST_CASE("a target that dies stops receiving, and gets everything once back", "[hints]") {
  HintDelivery d;
  FakeStore store;
  for (int i = 0; i < 4; ++i) store.add();
  HintDeliveryOutbox out;
  d.set_alive(node(1), true, kStart, out);
  auto sent = settle_loads(d, store, out, kStart);
  REQUIRE(sent.size() == 4);
  d.set_alive(node(1), false, kStart, out);
  for (const auto& s : sent) {
    d.on_delivered(node(1), s.hint.seq, Status::unavailable("gone"), kStart, out);
  }
  store.add();
  d.on_hint_stored(node(1), kStart, out);
  CHECK(settle_loads(d, store, out, kStart).empty());
  const Instant back = kStart + std::chrono::seconds(30);
  d.set_alive(node(1), true, back, out);
  CHECK(seqs(settle_loads(d, store, out, back)) == std::vector<uint64_t>{1, 2, 3, 4, 5});
}

TEST_CASE("a hint stored while a load is outstanding is not missed", "[hints]") {
  HintDelivery d;
  FakeStore store;
  HintDeliveryOutbox out;
  d.set_alive(node(1), true, kStart, out);
  REQUIRE(out.loads.size() == 1);
  const HintLoad first = out.loads[0];
  out.loads.clear();
  const auto empty = store.load(first);  // The store was empty when read...
  store.add();                           // ...and a hint lands before the answer arrives.
  d.on_hint_stored(node(1), kStart, out);
  d.on_loaded(node(1), empty, kStart, out);
  CHECK(seqs(settle_loads(d, store, out, kStart)) == std::vector<uint64_t>{1});
}

TEST_CASE("the throttle spreads bytes over time", "[hints]") {
  HintDeliveryConfig config;
  config.throttle_bytes_per_sec = 1000;
  config.window = 100;
  HintDelivery d(config);
  FakeStore store;
  for (int i = 0; i < 20; ++i) store.add(100);
  HintDeliveryOutbox out;
  d.set_alive(node(1), true, kStart, out);
  auto first = settle_loads(d, store, out, kStart);
  // The bucket starts full (one second's worth) and may go one hint into debt.
  CHECK(first.size() == 10);
  REQUIRE(out.next_tick != Instant::max());
  CHECK(out.next_tick > kStart);
  const Instant half = kStart + std::chrono::milliseconds(500);
  d.tick(half, out);
  auto second = settle_loads(d, store, out, half);
  CHECK(second.size() == 5);
}

TEST_CASE("the hint window: none for a target dead longer than it, none at all when 0", "[hints]") {
  const Instant died = kStart;
  CHECK_FALSE(hint_window_passed(std::nullopt, kStart + std::chrono::hours(100), 1000));
  CHECK_FALSE(hint_window_passed(died, died + std::chrono::milliseconds(1000), 1000));
  CHECK(hint_window_passed(died, died + std::chrono::milliseconds(1001), 1000));
  CHECK(hint_window_passed(std::nullopt, kStart, 0));
  const uint64_t three_hours = 3ull * 3600 * 1000;
  CHECK_FALSE(hint_window_passed(died, died + std::chrono::hours(3), three_hours));
  CHECK(hint_window_passed(died, died + std::chrono::hours(3) + std::chrono::seconds(1),
                           three_hours));
}

TEST_CASE("hints for a dropped table or an expired record are undeliverable", "[hints]") {
  Hint hint;
  hint.expires_at_ms = 0;
  CHECK_FALSE(undeliverable(hint, true, 5'000).has_value());
  CHECK(undeliverable(hint, false, 5'000) == HintDropReason::kTableDropped);
  hint.expires_at_ms = 5'000;
  CHECK(undeliverable(hint, true, 5'000) == HintDropReason::kExpired);
  CHECK_FALSE(undeliverable(hint, true, 4'999).has_value());
  CHECK_FALSE(needs_repair(HintDropReason::kExpired));
  CHECK_FALSE(needs_repair(HintDropReason::kTableDropped));
  CHECK(needs_repair(HintDropReason::kWindow));
}
