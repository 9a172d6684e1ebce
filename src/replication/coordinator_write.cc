// Coordinator: the write path and the shared bookkeeping (see coordinator.h).
#include <fmt/format.h>

#include <algorithm>

#include "replication/coordinator.h"

namespace pairdb::replication {

namespace {

std::optional<size_t> self_index(const std::vector<Replica>& replicas) {
  for (size_t i = 0; i < replicas.size(); ++i) {
    if (replicas[i].is_self) return i;
  }
  return std::nullopt;
}

// The replica a write is forwarded to, and a keyed write's owner: the first live one in
// preference order, in the local DC first.
std::optional<size_t> forward_target(const std::vector<Replica>& replicas,
                                     std::string_view local_dc) {
  std::optional<size_t> any;
  for (size_t i = 0; i < replicas.size(); ++i) {
    if (!replicas[i].alive) continue;
    if (replicas[i].dc == local_dc) return i;
    if (!any) any = i;
  }
  return any;
}

}  // namespace

void CoordinatorOutbox::clear() {
  local_applies.clear();
  writes.clear();
  reads.clear();
  forwards.clear();
  missed_writes.clear();
  write_results.clear();
  read_results.clear();
  next_tick = Instant::max();
}

void Coordinator::schedule(Instant at, CoordinatorOutbox& out) const {
  out.next_tick = std::min(out.next_tick, at);
}

void Coordinator::start_write(OpId op, WriteRequest request, Instant /*now*/,
                              CoordinatorOutbox& out) {
  ++counters_.writes;
  WriteOp& w = writes_[op];
  w.request = std::move(request);
  const std::vector<Replica>& replicas = w.request.replicas;
  w.replies.assign(replicas.size(), Reply::kNone);
  const auto alive = dcs_where(replicas, [&](size_t i) { return replicas[i].alive; });
  if (!quorum_met(w.request.rule, alive)) {
    ++counters_.unavailable;
    answer_write(
        op, w,
        Status::unavailable(
            fmt::format("consistency {} needs {} live replica(s) of the key; {} alive: nothing was "
                        "written",
                        consistency_name(w.request.rule.level), w.request.rule.required(),
                        quorum_relevant(w.request.rule, alive)),
            quorum_count(w.request.rule, alive)),
        out);
    writes_.erase(op);
    return;
  }
  const auto self = self_index(replicas);
  const size_t owner = *forward_target(replicas, w.request.local_dc);  // Some replica is alive.
  const bool apply_here = self && (w.request.forwarded || !w.request.keyed || owner == *self);
  if (apply_here) {
    w.replies[*self] = Reply::kAsked;
    out.local_applies.push_back({op});
  } else {
    const size_t to = owner;
    ++counters_.forwards;
    w.forwarded_to = to;
    w.replies[to] = Reply::kAsked;
    out.forwards.push_back({op, to, replicas[to].id});
  }
  schedule(w.request.deadline, out);
}

void Coordinator::on_local_write(OpId op, Result<VersionRecord> stored, Instant /*now*/,
                                 CoordinatorOutbox& out) {
  auto it = writes_.find(op);
  if (it == writes_.end()) return;  // Its deadline passed while the store worked.
  WriteOp& w = it->second;
  const auto self = self_index(w.request.replicas);
  if (!self || w.replies[*self] != Reply::kAsked) return;
  if (!stored.is_ok()) {
    w.replies[*self] = Reply::kFailed;
    answer_write(op, w, stored.status(), out);  // Nothing was written anywhere.
    writes_.erase(it);
    return;
  }
  w.replies[*self] = Reply::kOk;
  w.record = std::move(stored).value();
  send_record(op, w, out);
  const auto acks =
      dcs_where(w.request.replicas, [&](size_t i) { return w.replies[i] == Reply::kOk; });
  if (quorum_met(w.request.rule, acks)) answer_write(op, w, Status::ok(), out);
  if (write_done(w)) writes_.erase(it);
}

// Sends the coordinated record to every other live replica; dead ones are missed writes.
void Coordinator::send_record(OpId op, WriteOp& w, CoordinatorOutbox& out) {
  const std::vector<Replica>& replicas = w.request.replicas;
  for (size_t i = 0; i < replicas.size(); ++i) {
    if (replicas[i].is_self) continue;
    if (!replicas[i].alive) {
      out.missed_writes.push_back({op, replicas[i].id, w.record});
      continue;
    }
    w.replies[i] = Reply::kAsked;
    out.writes.push_back({op, i, replicas[i].id, w.record, /*repair=*/false});
  }
}

void Coordinator::on_write_ack(OpId op, size_t replica, const Status& status, Instant /*now*/,
                               CoordinatorOutbox& out) {
  auto it = writes_.find(op);
  if (it == writes_.end()) return;
  WriteOp& w = it->second;
  if (!awaiting(w.replies, replica) || w.forwarded_to == replica ||
      w.request.replicas[replica].is_self) {
    return;  // Not asked, or already answered: a duplicate.
  }
  w.replies[replica] = status.is_ok() ? Reply::kOk : Reply::kFailed;
  if (!status.is_ok()) {
    // The replica may not hold the write: keep a hint for it (delivering one it already holds
    // is a join, so a failure that was in fact applied costs nothing).
    out.missed_writes.push_back({op, w.request.replicas[replica].id, w.record});
  }
  if (w.answered) {
    ++counters_.late_replies;
  } else {
    const std::vector<Replica>& replicas = w.request.replicas;
    const auto acks = dcs_where(replicas, [&](size_t i) { return w.replies[i] == Reply::kOk; });
    const auto possible = dcs_where(replicas, [&](size_t i) {
      return w.replies[i] == Reply::kOk || w.replies[i] == Reply::kAsked;
    });
    if (quorum_met(w.request.rule, acks)) {
      answer_write(op, w, Status::ok(), out);
    } else if (!quorum_met(w.request.rule, possible)) {
      ++counters_.timeouts;
      answer_write(
          op, w,
          Status::timeout(
              fmt::format(
                  "{} of {} required replica(s) acknowledged and the others failed ({}): the "
                  "write may have been applied",
                  acked(w), w.request.rule.required(), status.to_string()),
              acked_count(w)),
          out);
    }
  }
  if (write_done(w)) writes_.erase(it);
}

void Coordinator::on_forward_reply(OpId op, const WriteResult& reply, Instant /*now*/,
                                   CoordinatorOutbox& out) {
  auto it = writes_.find(op);
  if (it == writes_.end() || !it->second.forwarded_to) return;
  WriteOp& w = it->second;
  if (w.replies[*w.forwarded_to] != Reply::kAsked) return;
  w.replies[*w.forwarded_to] = reply.status.is_ok() ? Reply::kOk : Reply::kFailed;
  if (!w.answered) {
    w.answered = true;
    out.write_results.push_back({op, reply.status, reply.record, reply.required, reply.acked});
  }
  writes_.erase(it);
}

void Coordinator::answer_write(OpId op, WriteOp& w, Status status, CoordinatorOutbox& out) {
  if (w.answered) return;
  w.answered = true;
  out.write_results.push_back(
      {op, std::move(status), w.record, w.request.rule.required(), acked(w)});
}

uint32_t Coordinator::count(const std::vector<Reply>& replies, Reply kind) {
  return static_cast<uint32_t>(std::count(replies.begin(), replies.end(), kind));
}

bool Coordinator::write_done(const WriteOp& w) const {
  return w.answered && count(w.replies, Reply::kAsked) == 0;
}

uint32_t Coordinator::acked(const WriteOp& w) const { return count(w.replies, Reply::kOk); }

QuorumCount Coordinator::acked_count(const WriteOp& w) const {
  return quorum_count(w.request.rule, dcs_where(w.request.replicas, [&](size_t i) {
                        return w.replies[i] == Reply::kOk;
                      }));
}

void Coordinator::tick(Instant now, CoordinatorOutbox& out) {
  for (auto it = writes_.begin(); it != writes_.end();) {
    WriteOp& w = it->second;
    if (now < w.request.deadline) {
      schedule(w.request.deadline, out);
      ++it;
      continue;
    }
    // Replicas that never answered keep a hint, whether or not the rule was met (so a write at
    // ONE still reaches every replica eventually).
    for (size_t i = 0; i < w.replies.size(); ++i) {
      if (w.replies[i] != Reply::kAsked || w.forwarded_to == i || w.request.replicas[i].is_self) {
        continue;
      }
      w.replies[i] = Reply::kFailed;
      out.missed_writes.push_back({it->first, w.request.replicas[i].id, w.record});
    }
    if (!w.answered) {
      ++counters_.timeouts;
      answer_write(
          it->first, w,
          Status::timeout(
              fmt::format(
                  "{} of {} required replica(s) acknowledged before the deadline: the write "
                  "may have been applied",
                  acked(w), w.request.rule.required()),
              acked_count(w)),
          out);
    }
    it = writes_.erase(it);
  }
  tick_reads(now, out);
}

}  // namespace pairdb::replication
