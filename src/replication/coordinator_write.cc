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

bool self_is_whole_write(const WriteRequest& request) {
  if (request.replicas.size() != 1) return false;
  const Replica& only = request.replicas.front();
  return only.is_self && only.alive && quorum_met(request.rule, {std::string_view(only.dc)});
}

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

const Replica& Coordinator::member(const WriteRequest& request, size_t i) {
  return i < request.replicas.size() ? request.replicas[i]
                                     : request.fallbacks[i - request.replicas.size()];
}

size_t Coordinator::natural_of(const WriteOp& w, size_t i) {
  const size_t naturals = w.request.replicas.size();
  if (i < naturals) return i;
  const auto& stands_in = w.stands_in[i - naturals];
  return stands_in ? *stands_in : i;
}

template <typename Pick>
std::vector<std::string_view> Coordinator::counted_dcs(const WriteOp& w, Pick pick) const {
  std::vector<std::string_view> dcs;
  const size_t naturals = w.request.replicas.size();
  for (size_t i = 0; i < w.replies.size(); ++i) {
    if (i >= naturals && !w.request.sloppy) break;
    // A stand-in whose replica answered itself counts once, as that replica.
    if (i >= naturals && natural_of(w, i) != i && w.replies[natural_of(w, i)] == Reply::kOk) {
      continue;
    }
    if (pick(i)) dcs.push_back(member(w.request, i).dc);
  }
  return dcs;
}

void Coordinator::start_write(OpId op, WriteRequest request, Instant /*now*/,
                              CoordinatorOutbox& out) {
  ++counters_.writes;
  WriteOp& w = writes_[op];
  w.request = std::move(request);
  if (!w.request.sloppy) w.request.fallbacks.clear();
  const std::vector<Replica>& replicas = w.request.replicas;
  const size_t naturals = replicas.size();
  w.replies.assign(naturals + w.request.fallbacks.size(), Reply::kNone);
  w.stands_in.assign(w.request.fallbacks.size(), std::nullopt);
  // Who could ack: the live natural replicas and, under a sloppy quorum, one live fallback of
  // the same DC for each dead one.
  std::vector<bool> spoken_for(w.request.fallbacks.size(), false);
  std::vector<bool> could_ack(w.replies.size(), false);
  for (size_t i = 0; i < naturals; ++i) {
    if (replicas[i].alive) {
      could_ack[i] = true;
      continue;
    }
    for (size_t f = 0; f < w.request.fallbacks.size(); ++f) {
      const Replica& fallback = w.request.fallbacks[f];
      if (spoken_for[f] || !fallback.alive || fallback.dc != replicas[i].dc) continue;
      spoken_for[f] = true;
      could_ack[naturals + f] = true;
      break;
    }
  }
  const bool some_natural_alive =
      std::any_of(replicas.begin(), replicas.end(), [](const Replica& r) { return r.alive; });
  const auto possible = counted_dcs(w, [&](size_t i) { return could_ack[i]; });
  if (!some_natural_alive || !quorum_met(w.request.rule, possible)) {
    ++counters_.unavailable;
    answer_write(
        op, w,
        Status::unavailable(
            fmt::format("consistency {} needs {} live replica(s) of the key; {} alive{}: nothing "
                        "was written",
                        consistency_name(w.request.rule.level), w.request.rule.required(),
                        quorum_relevant(w.request.rule, possible),
                        w.request.sloppy ? " (fallbacks included)" : ""),
            quorum_count(w.request.rule, possible)),
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

void Coordinator::on_local_write(OpId op, Result<VersionRecord> stored, Instant now,
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
  const auto acks = counted_dcs(w, [&](size_t i) { return w.replies[i] == Reply::kOk; });
  if (quorum_met(w.request.rule, acks)) answer_write(op, w, Status::ok(), out);
  if (!w.answered && !w.request.fallbacks.empty() && config_.stand_in_delay > Duration::zero()) {
    // Replicas still silent then get a stand-in (the write times out within itself).
    w.stand_in_at = now + config_.stand_in_delay;
    schedule(w.stand_in_at, out);
  }
  if (write_done(w)) writes_.erase(it);
}

// Sends the coordinated record to every other live replica; a dead one gets a stand-in under a
// sloppy quorum, or is a missed write.
void Coordinator::send_record(OpId op, WriteOp& w, CoordinatorOutbox& out) {
  const std::vector<Replica>& replicas = w.request.replicas;
  for (size_t i = 0; i < replicas.size(); ++i) {
    if (replicas[i].is_self) continue;
    if (!replicas[i].alive) {
      if (!ask_stand_in(op, w, i, out)) out.missed_writes.push_back({op, replicas[i].id, w.record});
      continue;
    }
    w.replies[i] = Reply::kAsked;
    out.writes.push_back({op, i, replicas[i].id, w.record, /*repair=*/false, std::nullopt});
  }
}

bool Coordinator::has_stand_in(const WriteOp& w, size_t replica) {
  const size_t naturals = w.request.replicas.size();
  for (size_t f = 0; f < w.stands_in.size(); ++f) {
    if (w.stands_in[f] == replica && w.replies[naturals + f] != Reply::kFailed) return true;
  }
  return false;
}

bool Coordinator::ask_stand_in(OpId op, WriteOp& w, size_t replica, CoordinatorOutbox& out) {
  const size_t naturals = w.request.replicas.size();
  for (size_t f = 0; f < w.request.fallbacks.size(); ++f) {
    const Replica& fallback = w.request.fallbacks[f];
    if (w.replies[naturals + f] != Reply::kNone || !fallback.alive ||
        fallback.dc != w.request.replicas[replica].dc) {
      continue;
    }
    w.replies[naturals + f] = Reply::kAsked;
    w.stands_in[f] = replica;
    out.writes.push_back({op, naturals + f, fallback.id, w.record, /*repair=*/false,
                          w.request.replicas[replica].id});
    return true;
  }
  return false;
}

void Coordinator::on_write_ack(OpId op, size_t replica, const Status& status, Instant /*now*/,
                               CoordinatorOutbox& out) {
  auto it = writes_.find(op);
  if (it == writes_.end()) return;
  WriteOp& w = it->second;
  if (!awaiting(w.replies, replica) || w.forwarded_to == replica ||
      member(w.request, replica).is_self) {
    return;  // Not asked, or already answered: a duplicate.
  }
  w.replies[replica] = status.is_ok() ? Reply::kOk : Reply::kFailed;
  if (!status.is_ok()) {
    // The replica may not hold the write. A natural one gets a stand-in when one is left;
    // otherwise this coordinator keeps a hint for it (delivering one it already holds is a join,
    // so a failure that was in fact applied costs nothing).
    const size_t natural = natural_of(w, replica);
    if (replica < w.request.replicas.size()) {
      // A natural replica: unless a stand-in already has (or may have) the record, ask one.
      if (!has_stand_in(w, natural) && !ask_stand_in(op, w, natural, out)) {
        out.missed_writes.push_back({op, w.request.replicas[natural].id, w.record});
      }
    } else if (w.replies[natural] != Reply::kOk) {
      out.missed_writes.push_back({op, w.request.replicas[natural].id, w.record});
    }
  }
  if (w.answered) {
    ++counters_.late_replies;
  } else {
    const auto acks = counted_dcs(w, [&](size_t i) { return w.replies[i] == Reply::kOk; });
    const auto possible = counted_dcs(
        w, [&](size_t i) { return w.replies[i] == Reply::kOk || w.replies[i] == Reply::kAsked; });
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

uint32_t Coordinator::acked(const WriteOp& w) const {
  return static_cast<uint32_t>(
      counted_dcs(w, [&](size_t i) { return w.replies[i] == Reply::kOk; }).size());
}

QuorumCount Coordinator::acked_count(const WriteOp& w) const {
  return quorum_count(w.request.rule,
                      counted_dcs(w, [&](size_t i) { return w.replies[i] == Reply::kOk; }));
}

void Coordinator::tick(Instant now, CoordinatorOutbox& out) {
  for (auto it = writes_.begin(); it != writes_.end();) {
    WriteOp& w = it->second;
    if (w.answered) w.stand_in_at = Instant::max();  // Met or refused: nothing to stand in for.
    if (w.stand_in_at <= now && now < w.request.deadline) {
      w.stand_in_at = Instant::max();
      for (size_t i = 0; i < w.request.replicas.size(); ++i) {
        if (w.replies[i] == Reply::kAsked && w.forwarded_to != i && !has_stand_in(w, i)) {
          if (ask_stand_in(it->first, w, i, out)) ++counters_.stand_ins_on_silence;
        }
      }
    }
    if (now < w.request.deadline) {
      schedule(std::min(w.request.deadline, w.stand_in_at), out);
      ++it;
      continue;
    }
    // Replicas that may not hold the write keep a hint here, whether or not the rule was met
    // (so a write at ONE still reaches every replica eventually): a natural replica that never
    // answered, unless a stand-in acked for it; one whose stand-in never answered, unless it
    // acked itself. One hint per replica.
    std::vector<bool> hint(w.request.replicas.size(), false);
    for (size_t i = 0; i < w.replies.size(); ++i) {
      if (w.replies[i] != Reply::kAsked || w.forwarded_to == i || member(w.request, i).is_self) {
        continue;
      }
      w.replies[i] = Reply::kFailed;
      const size_t natural = natural_of(w, i);
      if (natural < hint.size()) hint[natural] = true;
    }
    const size_t naturals = w.request.replicas.size();
    for (size_t f = 0; f < w.stands_in.size(); ++f) {
      if (w.stands_in[f] && w.replies[naturals + f] == Reply::kOk) hint[*w.stands_in[f]] = false;
    }
    for (size_t n = 0; n < naturals; ++n) {
      if (hint[n] && w.replies[n] != Reply::kOk) {
        out.missed_writes.push_back({it->first, w.request.replicas[n].id, w.record});
      }
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
