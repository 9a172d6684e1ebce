#include "replication/repair_session.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "common/assert.h"

namespace pairdb::replication {

namespace {

bool retryable(const Status& status) {
  switch (status.code()) {
    case StatusCode::kOverloaded:
    case StatusCode::kUnavailable:
    case StatusCode::kTimeout:
    case StatusCode::kBusy:
    case StatusCode::kShuttingDown:
      return true;
    default:
      return false;
  }
}

template <typename Reply>
const Reply* reply_as(const RepairReply& reply) {
  return std::get_if<Reply>(&reply);
}

}  // namespace

RepairSession::RepairSession(RepairTask task, RepairStorage* storage, RepairSessionConfig config)
    : task_(std::move(task)), storage_(storage), config_(config) {
  PAIRDB_ASSERT(std::find(task_.peers.begin(), task_.peers.end(), task_.self) == task_.peers.end());
  for (size_t i = 0; i < task_.peers.size(); ++i) sync_order_.push_back(i);
  for (size_t i = 0; i + 1 < task_.peers.size(); ++i) sync_order_.push_back(i);
  stats_.syncs_total = static_cast<uint32_t>(sync_order_.size());
  peer_behind_.assign(task_.peers.size(), true);
}

double RepairSession::progress() const {
  if (finished_ || sync_order_.empty()) return 1.0;
  double within = 0;
  if (step_ == Step::kDone) {
    within = 0;
  } else if (!differing_leaves_.empty()) {
    within = static_cast<double>(leaves_cursor_) / static_cast<double>(differing_leaves_.size());
  }
  const double done = std::min<double>(stats_.syncs_done + within, stats_.syncs_total);
  return done / static_cast<double>(stats_.syncs_total + 1);  // The final notices count as one.
}

RepairDoneRequest RepairSession::notice() const {
  RepairDoneRequest done;
  done.session_id = task_.session_id;
  done.table = task_.table;
  done.range = task_.range;
  done.started_wall_ms = task_.started_wall_ms;
  done.records_differing = stats_.records_differing;
  done.replicas = task_.peers;
  done.replicas.push_back(task_.self);
  return done;
}

std::optional<RepairDoneRequest> RepairSession::completion() const {
  if (!finished_ || !status_.is_ok() || !task_.complete) return std::nullopt;
  return notice();
}

void RepairSession::start(Instant now, RepairOutbox& out) {
  bucket_bytes_ = static_cast<double>(config_.rate_bytes_per_sec);
  bucket_at_ = now;
  if (sync_order_.empty()) {  // No other replica: nothing to compare.
    finished_ = true;
    return;
  }
  const Status started = start_sync(now);
  if (!started.is_ok()) fail(started);
  flush(now, out);
}

RepairScope RepairSession::scope() const {
  RepairScope scope;
  scope.session_id = task_.session_id;
  // Distinct per (session, sync, depth): a peer's cached tree is never reused across them.
  scope.sync_id = task_.session_id + 0x9e3779b97f4a7c15ULL * (sync_index_ * 64 + depth_ + 1);
  scope.table = task_.table;
  scope.range = task_.range;
  scope.depth = depth_;
  return scope;
}

Status RepairSession::rescan() {
  PAIRDB_ASSIGN_OR_RETURN(local_records_, hash_range(*storage_, task_.table, task_.range));
  stats_.records_scanned += local_records_.size();
  if (stats_.syncs_done == 0) stats_.local_records = local_records_.size();
  local_dirty_ = false;
  return Status::ok();
}

Status RepairSession::start_sync(Instant now) {
  if (local_dirty_) PAIRDB_TRY(rescan());
  depth_ = merkle_depth_for(local_records_.size(), config_.records_per_leaf);
  depth_rebuilds_ = 0;
  tree_ = std::make_unique<MerkleTree>(tree_of(task_.range, depth_, local_records_));
  frontier_.clear();
  children_.clear();
  children_cursor_ = 0;
  next_frontier_.clear();
  differing_leaves_.clear();
  leaves_cursor_ = 0;
  step_ = Step::kRoot;
  request(RepairTreeRequest{scope(), {1}}, now);
  return Status::ok();
}

Status RepairSession::advance(Instant now) {
  switch (step_) {
    case Step::kDescend: {
      if (children_cursor_ < children_.size()) {
        const size_t n =
            std::min<size_t>(config_.nodes_per_request, children_.size() - children_cursor_);
        std::vector<uint32_t> nodes(children_.begin() + children_cursor_,
                                    children_.begin() + children_cursor_ + n);
        request(RepairTreeRequest{scope(), std::move(nodes)}, now);
        return Status::ok();
      }
      // The level is done.
      if (!children_.empty() && children_.front() >= tree_->leaf_count()) {
        for (uint32_t node : next_frontier_)
          differing_leaves_.push_back(node - tree_->leaf_count());
        stats_.leaves_differing += differing_leaves_.size();
        step_ = Step::kLeaves;
        return advance(now);
      }
      frontier_ = std::move(next_frontier_);
      next_frontier_.clear();
      children_.clear();
      children_cursor_ = 0;
      for (uint32_t node : frontier_) {
        children_.push_back(2 * node);
        children_.push_back(2 * node + 1);
      }
      if (children_.empty()) {  // The peer's tree changed under us: nothing differs any more.
        step_ = Step::kLeaves;
      }
      return advance(now);
    }
    case Step::kLeaves: {
      if (leaves_cursor_ >= differing_leaves_.size()) {
        // This sync is complete: the peer holds everything this store does.
        peer_behind_[sync_order_[sync_index_]] = false;
        ++stats_.syncs_done;
        ++sync_index_;
        while (sync_index_ < sync_order_.size() && !peer_behind_[sync_order_[sync_index_]]) {
          ++stats_.syncs_skipped;  // Only a second-pass peer can be up to date.
          ++stats_.syncs_done;
          ++sync_index_;
        }
        if (sync_index_ < sync_order_.size()) return start_sync(now);
        step_ = Step::kDone;
        if (changed_here_) PAIRDB_TRY(storage_->sync());
        done_cursor_ = 0;
        return advance(now);
      }
      const size_t n =
          std::min<size_t>(config_.leaves_per_request, differing_leaves_.size() - leaves_cursor_);
      batch_leaves_.assign(differing_leaves_.begin() + leaves_cursor_,
                           differing_leaves_.begin() + leaves_cursor_ + n);
      leaves_cursor_ += n;
      request(RepairLeavesRequest{scope(), batch_leaves_}, now);
      return Status::ok();
    }
    case Step::kFetch: {
      if (!to_fetch_.empty()) {
        request(RepairFetchRequest{scope(), batch_leaves_, to_fetch_, config_.fetch_bytes_max},
                now);
        return Status::ok();
      }
      step_ = Step::kPush;
      push_cursor_ = 0;
      return advance(now);
    }
    case Step::kPush: {
      RepairPushRequest push;
      push.table = task_.table;
      size_t bytes = 0;
      while (push_cursor_ < to_push_.size() &&
             (push.items.empty() || bytes < config_.push_bytes_max)) {
        const auto& [key, theirs] = to_push_[push_cursor_++];
        PAIRDB_ASSIGN_OR_RETURN(std::optional<std::string> record, storage_->read(key));
        if (!record) continue;  // Purged since the leaf was listed: nothing to hand over.
        // The fetched record replaced ours: the peer already holds what we hold now.
        if (theirs && stored_record_digest(*record) == *theirs) continue;
        bytes += key.size() + record->size();
        push.items.push_back(RepairItem{key, std::move(*record)});
      }
      if (!push.items.empty()) {
        stats_.records_pushed += push.items.size();
        request(std::move(push), now);
        return Status::ok();
      }
      step_ = Step::kLeaves;
      return advance(now);
    }
    case Step::kDone: {
      if (done_cursor_ >= task_.peers.size() || !task_.complete) {
        finished_ = true;
        return Status::ok();
      }
      request(notice(), now);
      pending_->to = task_.peers[done_cursor_];
      return Status::ok();
    }
    case Step::kRoot:
      break;
  }
  PAIRDB_ASSERT(false);
  return Status::ok();
}

Status RepairSession::on_tree_reply(const RepairTreeReply& reply, Instant now) {
  if (step_ == Step::kRoot) {
    if (reply.hashes.size() != 1) return Status::corruption("repair tree reply: wrong size");
    const uint32_t wanted = merkle_depth_for(
        std::max<uint64_t>(local_records_.size(), reply.records), config_.records_per_leaf);
    if (wanted > depth_ && depth_rebuilds_ == 0) {
      // The peer holds far more than this node: compare at the depth its records call for.
      depth_ = wanted;
      ++depth_rebuilds_;
      tree_ = std::make_unique<MerkleTree>(tree_of(task_.range, depth_, local_records_));
      request(RepairTreeRequest{scope(), {1}}, now);
      return Status::ok();
    }
    if (reply.hashes[0] == tree_->root()) {
      step_ = Step::kLeaves;  // Nothing differs: the sync is complete.
      return advance(now);
    }
    if (depth_ == 0) {
      differing_leaves_ = {0};
      stats_.leaves_differing += 1;
      step_ = Step::kLeaves;
      return advance(now);
    }
    frontier_ = {1};
    children_ = {2, 3};
    children_cursor_ = 0;
    next_frontier_.clear();
    step_ = Step::kDescend;
    return advance(now);
  }
  PAIRDB_ASSERT(step_ == Step::kDescend);
  const size_t n = std::min<size_t>(config_.nodes_per_request, children_.size() - children_cursor_);
  if (reply.hashes.size() != n) return Status::corruption("repair tree reply: wrong size");
  for (size_t i = 0; i < n; ++i) {
    const uint32_t node = children_[children_cursor_ + i];
    if (tree_->hash(node) != reply.hashes[i]) next_frontier_.push_back(node);
  }
  children_cursor_ += n;
  return advance(now);
}

Status RepairSession::on_leaves_reply(const RepairLeavesReply& reply) {
  batch_local_.clear();
  PAIRDB_TRY(scan_leaves(
      *storage_, task_.table, task_.range, depth_, batch_leaves_,
      [&](uint32_t, std::string_view key, std::string_view record) {
        batch_local_[storage_key_hash(key)] = {std::string(key), stored_record_digest(record)};
        return Status::ok();
      }));
  std::map<uint64_t, uint64_t> theirs;
  for (const RepairLeafEntry& e : reply.entries) theirs[e.key_hash] = e.digest;
  to_fetch_.clear();
  to_push_.clear();
  std::set<uint64_t> differing;
  for (const auto& [hash, digest] : theirs) {
    auto mine = batch_local_.find(hash);
    if (mine == batch_local_.end() || mine->second.second != digest) {
      to_fetch_.push_back(hash);  // Ascending: theirs is ordered.
      differing.insert(hash);
    }
  }
  for (const auto& [hash, local] : batch_local_) {
    auto peer = theirs.find(hash);
    if (peer == theirs.end() || peer->second != local.second) {
      to_push_.emplace_back(local.first,
                            peer == theirs.end() ? std::nullopt : std::optional(peer->second));
      differing.insert(hash);
    }
  }
  stats_.records_differing += differing.size();
  step_ = Step::kFetch;
  return Status::ok();
}

Status RepairSession::on_fetch_reply(const RepairFetchReply& reply) {
  std::vector<uint64_t> received;
  for (const RepairItem& item : reply.items) {
    const uint64_t hash = storage_key_hash(item.storage_key);
    auto table = table_of_key(item.storage_key);
    auto token = token_of_key(item.storage_key);
    if (!table.is_ok() || *table != task_.table || !token.is_ok() ||
        !task_.range.contains(*token) ||
        !std::binary_search(to_fetch_.begin(), to_fetch_.end(), hash)) {
      return Status::corruption("repair fetch reply holds a record that was not asked for");
    }
    PAIRDB_ASSIGN_OR_RETURN(bool changed,
                            storage_->merge(item.storage_key, item.record, task_.mode));
    ++stats_.records_fetched;
    if (changed) {
      ++stats_.records_changed_here;
      changed_here_ = true;
      local_dirty_ = true;
      // The other peers may lack what this peer had; this one gets the join pushed back.
      for (size_t p = 0; p < peer_behind_.size(); ++p) {
        if (p != sync_order_[sync_index_]) peer_behind_[p] = true;
      }
    }
    received.push_back(hash);
  }
  std::sort(received.begin(), received.end());
  std::vector<uint64_t> rest;
  std::set_difference(to_fetch_.begin(), to_fetch_.end(), received.begin(), received.end(),
                      std::back_inserter(rest));
  // Not truncated: whatever was not sent is gone from the peer (purged); nothing to fetch.
  to_fetch_ = reply.truncated && !received.empty() ? std::move(rest) : std::vector<uint64_t>{};
  return Status::ok();
}

void RepairSession::on_reply(uint64_t request_id, Result<RepairReply> reply, Instant now,
                             RepairOutbox& out) {
  if (finished_ || !pending_ || pending_->id != request_id || !pending_->sent) return;
  if (!reply.is_ok()) {
    const Status& status = reply.status();
    if (retryable(status) && pending_->attempts < config_.attempts_max) {
      ++stats_.retries;
      pending_->sent = false;
      pending_->send_at = now + config_.retry_backoff;
      flush(now, out);
      return;
    }
    fail(status.with_context(
        fmt::format("repair of table {} with {}", task_.table, pending_->to.to_string())));
    return;
  }
  const size_t bytes = repair_message_bytes(reply.value());
  stats_.bytes_received += bytes;
  charge(bytes, now);
  const RepairRequest request = std::move(pending_->request);
  pending_.reset();
  Status handled = Status::ok();
  if (std::holds_alternative<RepairTreeRequest>(request)) {
    const auto* r = reply_as<RepairTreeReply>(*reply);
    handled = r ? on_tree_reply(*r, now) : Status::corruption("repair: reply of the wrong type");
  } else if (std::holds_alternative<RepairLeavesRequest>(request)) {
    const auto* r = reply_as<RepairLeavesReply>(*reply);
    handled = r ? on_leaves_reply(*r) : Status::corruption("repair: reply of the wrong type");
    if (handled.is_ok()) handled = advance(now);
  } else if (std::holds_alternative<RepairFetchRequest>(request)) {
    const auto* r = reply_as<RepairFetchReply>(*reply);
    handled = r ? on_fetch_reply(*r) : Status::corruption("repair: reply of the wrong type");
    if (handled.is_ok()) handled = advance(now);
  } else if (std::holds_alternative<RepairPushRequest>(request)) {
    const auto* r = reply_as<RepairPushReply>(*reply);
    if (r) stats_.records_changed_peers += r->changed;
    handled = r ? advance(now) : Status::corruption("repair: reply of the wrong type");
  } else {
    const auto* r = reply_as<RepairDoneReply>(*reply);
    ++done_cursor_;
    handled = r ? advance(now) : Status::corruption("repair: reply of the wrong type");
  }
  if (!handled.is_ok()) {
    fail(handled);
    return;
  }
  flush(now, out);
}

void RepairSession::tick(Instant now, RepairOutbox& out) {
  if (finished_ || !pending_) return;
  if (pending_->sent && now >= pending_->deadline) {
    if (pending_->attempts >= config_.attempts_max) {
      fail(Status::timeout(fmt::format("repair of table {}: {} did not answer {} attempts",
                                       task_.table, pending_->to.to_string(), pending_->attempts)));
      return;
    }
    ++stats_.retries;
    pending_->sent = false;
    pending_->send_at = now;
  }
  flush(now, out);
}

void RepairSession::request(RepairRequest request, Instant now) {
  PAIRDB_ASSERT(!pending_);
  Pending p;
  p.id = next_request_id_++;
  p.to = step_ == Step::kDone ? ring::NodeId() : peer();
  p.request = std::move(request);
  p.send_at = now;
  pending_ = std::move(p);
}

void RepairSession::charge(size_t bytes, Instant now) {
  if (config_.rate_bytes_per_sec == 0) return;
  const double rate = static_cast<double>(config_.rate_bytes_per_sec);
  const double elapsed = std::chrono::duration<double>(now - bucket_at_).count();
  bucket_bytes_ = std::min(rate, bucket_bytes_ + rate * std::max(0.0, elapsed));
  bucket_at_ = now;
  bucket_bytes_ -= static_cast<double>(bytes);
}

void RepairSession::flush(Instant now, RepairOutbox& out) {
  if (finished_ || !pending_) return;
  if (!pending_->sent) {
    charge(0, now);  // Refill.
    Instant at = pending_->send_at;
    if (config_.rate_bytes_per_sec > 0 && bucket_bytes_ < 0) {
      const double wait_s = -bucket_bytes_ / static_cast<double>(config_.rate_bytes_per_sec);
      at = std::max(at, now + Duration(static_cast<int64_t>(wait_s * 1e6) + 1));
    }
    if (now < at) {
      out.next_tick = std::min(out.next_tick, at);
      return;
    }
    const size_t bytes = repair_message_bytes(pending_->request);
    stats_.bytes_sent += bytes;
    charge(bytes, now);
    // Every attempt has its own id: an earlier attempt's late answer (or failure) is not this
    // one's.
    if (pending_->attempts > 0) pending_->id = next_request_id_++;
    pending_->sent = true;
    ++pending_->attempts;
    pending_->deadline = now + config_.request_timeout;
    out.sends.push_back(RepairSend{pending_->id, pending_->to, pending_->request});
  }
  out.next_tick = std::min(out.next_tick, pending_->deadline);
}

void RepairSession::fail(Status status) {
  finished_ = true;
  status_ = std::move(status);
  pending_.reset();
}

}  // namespace pairdb::replication
