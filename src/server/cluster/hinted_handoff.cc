// HintedHandoff (see hinted_handoff.h).
#include "server/cluster/hinted_handoff.h"

#include <fmt/format.h>

#include <boost/asio/post.hpp>

#include <pairdb/ring/hash_ring.h>

#include "common/assert.h"
#include "replication/placement.h"
#include "server/cluster/replication_driver.h"

namespace pairdb::server {

namespace asio = boost::asio;
namespace internode = net::internode;
using replication::HintDropReason;

namespace {

std::string raw(const ring::NodeId& id) {
  return std::string(reinterpret_cast<const char*>(id.bytes.data()), id.bytes.size());
}

// Whether hints can be sent to `member` now: gossip has it reachable, at a known address.
bool deliverable_to(const replication::ClusterMember& member) {
  return replication::reachable(member.liveness) && member.meta != nullptr &&
         !member.meta->internode_addr.empty();
}

}  // namespace

HintedHandoff::HintedHandoff(asio::io_context& io, HintedHandoffOptions options,
                             replication::HintStore* store, const replication::ClusterView* cluster,
                             const Catalog* catalog, net::InternodeClient* client)
    : io_(io),
      options_(std::move(options)),
      store_(store),
      cluster_(cluster),
      catalog_(catalog),
      client_(client),
      delivery_(options_.delivery),
      poll_timer_(io) {
  PAIRDB_ASSERT(store_ && cluster_ && catalog_ && client_ && options_.clock &&
                options_.run_blocking);
}

HintedHandoff::~HintedHandoff() { poll_timer_.cancel(); }

void HintedHandoff::start() {
  asio::post(io_, [this] {
    for (const auto& target : store_->held_targets()) {
      delivery_.on_hint_stored(target, now(), outbox_);
    }
    poll();
  });
}

void HintedHandoff::arm_poll() {
  poll_timer_.expires_after(options_.poll_interval);
  poll_timer_.async_wait([this](boost::system::error_code error) {
    if (!error) poll();
  });
}

// Feeds gossip's view to the core, drops the hints of targets that left, and retries.
void HintedHandoff::poll() {
  const auto snapshot = cluster_->snapshot();
  const Instant t = now();
  std::map<ring::NodeId, std::string> liveness;
  std::unique_lock lock(status_mutex_);
  for (const auto& member : snapshot->members) {
    if (member.is_self) continue;
    liveness[member.id] = gossip::liveness_name(member.liveness);
    delivery_.set_alive(member.id, deliverable_to(member), t, outbox_);
    if (member.liveness == gossip::Liveness::kDead) {
      dead_since_.try_emplace(member.id, t);
    } else {
      dead_since_.erase(member.id);
    }
    const bool left =
        member.liveness == gossip::Liveness::kLeft || member.status == gossip::NodeStatus::kLeft;
    if (left && store_->count(member.id) > 0 && dropping_.insert(member.id).second) {
      delivery_.forget(member.id);
      options_.run_blocking([this, id = member.id] {
        (void)store_->drop_all(id, HintDropReason::kTargetGone, options_.clock->wall_ms());
        asio::post(io_, [this, id] {
          dropping_.erase(id);
          publish();
        });
      });
    }
  }
  liveness_ = std::move(liveness);
  lock.unlock();
  delivery_.tick(t, outbox_);
  drain();
  arm_poll();
}

void HintedHandoff::keep(const ring::NodeId& target, replication::TableId table,
                         std::string partition_key, std::string sort_key,
                         const replication::VersionRecord& record) {
  replication::Hint hint =
      replication::make_hint(target, table, std::move(partition_key), std::move(sort_key),
                             replication::encode_record(record), record, options_.clock->wall_ms());
  options_.run_blocking([this, hint = std::move(hint)] { (void)keep_now(hint); });
}

Status HintedHandoff::keep_now(const replication::Hint& hint) {
  std::optional<Instant> dead_since;
  {
    std::lock_guard lock(status_mutex_);
    if (auto it = dead_since_.find(hint.target); it != dead_since_.end()) dead_since = it->second;
  }
  const bool beyond_window = replication::hint_window_passed(
      dead_since, now(), options_.enabled ? options_.max_window_ms : 0);
  if (beyond_window) {
    (void)store_->mark_for_repair(hint.table, ring::HashRing::token_of(hint.partition_key),
                                  HintDropReason::kWindow, hint.created_wall_ms);
    return Status::unavailable(
        options_.enabled ? "the replica has been dead longer than hints.max_window_ms: no hint "
                           "kept, its range is marked for repair"
                         : "this node keeps no hints (hints.max_window_ms = 0)");
  }
  auto stored = store_->add(hint);
  if (!stored.is_ok()) return stored.status();
  asio::post(io_, [this, target = hint.target] {
    // A target the core has not heard of yet starts as dead: tell it what gossip says now.
    const auto snapshot = cluster_->snapshot();
    if (const auto* member = snapshot->find(target)) {
      delivery_.set_alive(target, deliverable_to(*member), now(), outbox_);
    }
    delivery_.on_hint_stored(target, now(), outbox_);
    drain();
  });
  return Status::ok();
}

void HintedHandoff::drain() {
  while (!outbox_.empty()) {
    replication::HintDeliveryOutbox out;
    std::swap(out, outbox_);
    for (const auto& l : out.loads) load(l);
    for (auto& s : out.sends) send(std::move(s));
    // The poll timer ticks the core often enough for its retry and throttle deadlines.
  }
  publish();
}

void HintedHandoff::load(const replication::HintLoad& load) {
  options_.run_blocking([this, load] {
    auto batch = store_->peek(load.target, load.after_seq, load.max_count, load.max_bytes);
    asio::post(io_, [this, target = load.target, batch = std::move(batch)]() mutable {
      delivery_.on_loaded(target, std::move(batch), now(), outbox_);
      drain();
    });
  });
}

void HintedHandoff::send(replication::HintSend message) {
  const replication::Hint& hint = message.hint.hint;
  const ring::NodeId target = message.target;
  const uint64_t seq = message.hint.seq;
  const std::optional<HintDropReason> drop = replication::undeliverable(
      hint, catalog_->find_by_id(hint.table) != nullptr, options_.clock->wall_ms());
  if (drop) {
    options_.run_blocking([this, target, stored = std::move(message.hint), reason = *drop] {
      Status status = store_->drop(target, stored, reason, options_.clock->wall_ms());
      asio::post(io_, [this, target, seq = stored.seq, status] { finish(target, seq, status); });
    });
    return;
  }
  const auto snapshot = cluster_->snapshot();
  const auto* member = snapshot->find(target);
  if (member == nullptr || member->meta == nullptr || member->meta->internode_addr.empty()) {
    asio::post(io_, [this, target, seq] {
      finish(target, seq, Status::unavailable("the hint's target has no known address"));
    });
    return;
  }
  internode::ReplicaWrite request{{hint.table, hint.partition_key, hint.sort_key},
                                  hint.record,
                                  /*repair=*/false,
                                  /*hint_for=*/std::string()};
  const auto deadline = std::chrono::steady_clock::now() + options_.send_timeout;
  client_->send({raw(target), member->meta->internode_addr}, request, deadline,
                [this, target, seq](Result<internode::Response> response) {
                  Status status = response.status();
                  if (status.is_ok()) {
                    if (const auto* error = std::get_if<internode::InternodeError>(&*response)) {
                      status = status_of(*error);
                    }
                  }
                  if (!status.is_ok()) {
                    finish(target, seq, status);
                    return;
                  }
                  options_.run_blocking([this, target, seq] {
                    Status removed = store_->remove(target, seq);
                    asio::post(io_, [this, target, seq, removed] { finish(target, seq, removed); });
                  });
                });
}

void HintedHandoff::finish(const ring::NodeId& target, uint64_t seq, Status status) {
  delivery_.on_delivered(target, seq, status, now(), outbox_);
  drain();
}

void HintedHandoff::set_paused(std::optional<ring::NodeId> target, bool paused,
                               std::function<void()> done) {
  asio::post(io_, [this, target, paused, done = std::move(done)] {
    if (!target) {
      std::lock_guard lock(status_mutex_);
      paused_all_ = paused;
    }
    delivery_.set_paused(target, paused, now(), outbox_);
    drain();
    done();
  });
}

void HintedHandoff::truncate(std::optional<ring::NodeId> target,
                             std::function<void(Result<uint64_t>)> done) {
  asio::post(io_, [this, target, done = std::move(done)] {
    std::vector<ring::NodeId> ids;
    if (target) {
      ids.push_back(*target);
    } else {
      for (const auto& held : store_->targets()) ids.push_back(held.target);
    }
    for (const auto& id : ids) delivery_.forget(id);
    options_.run_blocking([this, ids, done = std::move(done)] {
      uint64_t dropped = 0;
      Status status;
      for (const auto& id : ids) {
        auto n = store_->drop_all(id, HintDropReason::kTruncated, options_.clock->wall_ms());
        if (!n.is_ok()) {
          status = n.status();
          break;
        }
        dropped += *n;
      }
      asio::post(io_, [this, status, dropped, done] {
        publish();
        done(status.is_ok() ? Result<uint64_t>(dropped) : Result<uint64_t>(status));
      });
    });
  });
}

void HintedHandoff::publish() {
  auto states = delivery_.states();
  std::lock_guard lock(status_mutex_);
  states_ = std::move(states);
  counters_ = delivery_.counters();
}

bool HintedHandoff::idle_for_live_targets() const {
  const auto snapshot = cluster_->snapshot();
  const auto held = store_->held_targets();
  std::lock_guard lock(status_mutex_);
  for (const auto& target : held) {
    const auto* member = snapshot->find(target);
    if (member == nullptr || !replication::reachable(member->liveness) || paused_all_) continue;
    auto state = states_.find(target);
    if (state != states_.end() && state->second == replication::TargetDeliveryState::kPaused) {
      continue;
    }
    return false;
  }
  return true;
}

HandoffStatus HintedHandoff::status() const {
  HandoffStatus out;
  for (const auto& held : store_->targets()) {
    HandoffTargetStatus t;
    t.target = held.target;
    t.hints = held.count;
    t.bytes = held.bytes;
    t.oldest_created_wall_ms = held.oldest_created_wall_ms;
    out.targets.push_back(t);
  }
  out.stored = store_->stored();
  out.delivered = store_->delivered();
  out.total_bytes = store_->total_bytes();
  for (size_t r = 0; r < replication::kHintDropReasons; ++r) {
    out.dropped[r] = store_->dropped(static_cast<HintDropReason>(r));
  }
  std::lock_guard lock(status_mutex_);
  out.paused_all = paused_all_;
  out.delivered_bytes = counters_.bytes_delivered;
  out.failed_attempts = counters_.failed;
  for (auto& t : out.targets) {
    auto state = states_.find(t.target);
    t.state = state != states_.end() ? state->second : replication::TargetDeliveryState::kWaiting;
    auto live = liveness_.find(t.target);
    t.liveness = live != liveness_.end() ? live->second : "unknown";
  }
  return out;
}

}  // namespace pairdb::server
