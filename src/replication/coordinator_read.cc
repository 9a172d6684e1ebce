// Coordinator: the read path, read repair and speculative retry (see coordinator.h).
#include <fmt/format.h>

#include "replication/coordinator.h"

namespace pairdb::replication {

bool self_answers_read(const ReadRequest& request) {
  for (const Replica& replica : request.replicas) {
    if (replica.is_self) {
      return replica.alive && quorum_met(request.rule, {std::string_view(replica.dc)});
    }
  }
  return false;
}

void Coordinator::start_read(OpId op, ReadRequest request, Instant now, CoordinatorOutbox& out) {
  ++counters_.reads;
  ReadOp& r = reads_[op];
  r.request = std::move(request);
  const std::vector<Replica>& replicas = r.request.replicas;
  r.replies.assign(replicas.size(), Reply::kNone);
  r.records.assign(replicas.size(), std::nullopt);
  r.repairs.assign(replicas.size(), Reply::kNone);
  const auto alive = dcs_where(replicas, [&](size_t i) { return replicas[i].alive; });
  if (!quorum_met(r.request.rule, alive)) {
    ++counters_.unavailable;
    answer_read(op, r,
                Status::unavailable(
                    fmt::format("consistency {} needs {} live replica(s) of the key; {} alive",
                                consistency_name(r.request.rule.level), r.request.rule.required(),
                                quorum_relevant(r.request.rule, alive)),
                    quorum_count(r.request.rule, alive)),
                out);
    reads_.erase(op);
    return;
  }
  // The fewest replicas that can meet the rule, if every one of them answers.
  while (!quorum_met(r.request.rule,
                     dcs_where(replicas, [&](size_t i) { return r.replies[i] != Reply::kNone; }))) {
    if (!ask_next(op, r, out)) break;
  }
  if (config_.speculative_delay > Duration::zero()) {
    r.speculate_at = now + config_.speculative_delay;
    schedule(r.speculate_at, out);
  }
  schedule(r.request.deadline, out);
}

// The best live replica not yet asked: this node, then a replica in a DC the rule still needs
// more answers from (the local DC first), then any in preference order.
std::optional<size_t> Coordinator::next_to_ask(const ReadOp& r) const {
  const std::vector<Replica>& replicas = r.request.replicas;
  std::optional<size_t> local, needed, any;
  for (size_t i = 0; i < replicas.size(); ++i) {
    if (!replicas[i].alive || r.replies[i] != Reply::kNone) continue;
    if (replicas[i].is_self) return i;
    for (const DcQuorum& need : r.request.rule.per_dc) {
      if (need.dc != replicas[i].dc || needed) continue;
      uint32_t asked = 0;
      for (size_t j = 0; j < replicas.size(); ++j) {
        asked += replicas[j].dc == need.dc && r.replies[j] != Reply::kNone ? 1 : 0;
      }
      if (asked < need.acks) needed = i;
    }
    if (!local && replicas[i].dc == r.request.local_dc) local = i;
    if (!any) any = i;
  }
  if (needed) return needed;
  return local ? local : any;
}

bool Coordinator::ask_next(OpId op, ReadOp& r, CoordinatorOutbox& out) {
  const std::optional<size_t> next = next_to_ask(r);
  if (!next) return false;
  r.replies[*next] = Reply::kAsked;
  out.reads.push_back({op, *next, r.request.replicas[*next].id});
  return true;
}

void Coordinator::on_read_reply(OpId op, size_t replica, Result<VersionRecord> record,
                                Instant /*now*/, CoordinatorOutbox& out) {
  auto it = reads_.find(op);
  if (it == reads_.end()) return;
  ReadOp& r = it->second;
  if (!awaiting(r.replies, replica)) return;
  // A peer's bytes are never trusted: an invalid record counts as a failed replica.
  if (record.is_ok()) {
    if (Status valid = validate_record(*record); !valid.is_ok()) record = std::move(valid);
  }
  if (!record.is_ok()) {
    r.replies[replica] = Reply::kFailed;
    if (r.answered) {
      ++counters_.late_replies;
    } else if (!ask_next(op, r, out)) {
      const auto possible = dcs_where(r.request.replicas, [&](size_t i) {
        return r.replies[i] == Reply::kOk || r.replies[i] == Reply::kAsked;
      });
      if (!r.repairing && !quorum_met(r.request.rule, possible)) {
        ++counters_.unavailable;
        answer_read(
            op, r,
            Status::unavailable(
                fmt::format("{} of {} required replica(s) answered and the others failed ({})",
                            answered(r), r.request.rule.required(), record.status().to_string()),
                answered_count(r)),
            out);
      }
    }
  } else {
    r.replies[replica] = Reply::kOk;
    const VersionRecord before = r.merged;
    r.merged = merge(r.merged, *record, r.request.mode);
    r.records[replica] = std::move(record).value();
    if (r.answered) {
      // Too late for the answer; still worth repairing: the late replica, or, when it held
      // something the others lacked, every replica that answered.
      ++counters_.late_replies;
      std::vector<size_t> stale;
      for (size_t i = 0; i < r.records.size(); ++i) {
        if (r.records[i] && *r.records[i] != r.merged) stale.push_back(i);
      }
      if (r.request.read_repair != ReadRepair::kOff) send_repairs(op, r, stale, false, out);
    } else if (!r.repairing &&
               quorum_met(r.request.rule, dcs_where(r.request.replicas, [&](size_t i) {
                            return r.replies[i] == Reply::kOk;
                          }))) {
      on_read_quorum(op, r, out);
    }
  }
  if (read_done(r)) reads_.erase(it);
}

// Enough replicas answered: repair the stale ones and answer (now, or once they acked).
void Coordinator::on_read_quorum(OpId op, ReadOp& r, CoordinatorOutbox& out) {
  std::vector<size_t> stale;
  for (size_t i = 0; i < r.records.size(); ++i) {
    if (r.records[i] && *r.records[i] != r.merged) stale.push_back(i);
  }
  if (stale.empty() || r.request.read_repair == ReadRepair::kOff) {
    return answer_read(op, r, Status::ok(), out);
  }
  const bool blocking =
      r.request.read_repair == ReadRepair::kBlocking && r.request.rule.blocks_on_repair();
  send_repairs(op, r, stale, blocking, out);
  if (!blocking) answer_read(op, r, Status::ok(), out);
}

void Coordinator::send_repairs(OpId op, ReadOp& r, const std::vector<size_t>& stale, bool blocking,
                               CoordinatorOutbox& out) {
  for (size_t i : stale) {
    if (r.repairs[i] == Reply::kAsked) continue;  // Its repair is on the way.
    r.records[i] = r.merged;                      // What it holds once the repair lands.
    out.writes.push_back(
        {op, i, r.request.replicas[i].id, r.merged, /*repair=*/true, /*hint_for=*/std::nullopt});
    if (blocking) {
      r.repairs[i] = Reply::kAsked;
      ++counters_.read_repairs_blocking;
    } else {
      ++counters_.read_repairs_async;
    }
  }
  r.repairing = r.repairing || blocking;
}

void Coordinator::on_repair_ack(OpId op, size_t replica, const Status& status, Instant /*now*/,
                                CoordinatorOutbox& out) {
  auto it = reads_.find(op);
  if (it == reads_.end()) return;
  ReadOp& r = it->second;
  if (!awaiting(r.repairs, replica)) return;
  r.repairs[replica] = status.is_ok() ? Reply::kOk : Reply::kFailed;
  const bool pending = count(r.repairs, Reply::kAsked) > 0;
  const bool failed = count(r.repairs, Reply::kFailed) > 0;
  if (r.repairing && !pending && !r.answered) {
    if (failed) {
      ++counters_.timeouts;
      answer_read(op, r,
                  Status::timeout(fmt::format("read repair of a stale replica failed ({}); a "
                                              "later read may see the older value",
                                              status.to_string()),
                                  answered_count(r)),
                  out);
    } else {
      answer_read(op, r, Status::ok(), out);
    }
  }
  if (read_done(r)) reads_.erase(it);
}

void Coordinator::answer_read(OpId op, ReadOp& r, Status status, CoordinatorOutbox& out) {
  if (r.answered) return;
  r.answered = true;
  out.read_results.push_back(
      {op, std::move(status), r.merged, r.request.rule.required(), answered(r)});
}

bool Coordinator::read_done(const ReadOp& r) const {
  return r.answered && count(r.replies, Reply::kAsked) == 0 && count(r.repairs, Reply::kAsked) == 0;
}

uint32_t Coordinator::answered(const ReadOp& r) const { return count(r.replies, Reply::kOk); }

QuorumCount Coordinator::answered_count(const ReadOp& r) const {
  return quorum_count(r.request.rule, dcs_where(r.request.replicas, [&](size_t i) {
                        return r.replies[i] == Reply::kOk;
                      }));
}

void Coordinator::tick_reads(Instant now, CoordinatorOutbox& out) {
  for (auto it = reads_.begin(); it != reads_.end();) {
    ReadOp& r = it->second;
    if (now >= r.request.deadline) {
      if (!r.answered) {
        ++counters_.timeouts;
        answer_read(it->first, r,
                    Status::timeout(
                        fmt::format("{} of {} required replica(s) answered before the deadline{}",
                                    answered(r), r.request.rule.required(),
                                    r.repairing ? " (read repair still unacknowledged)" : ""),
                        answered_count(r)),
                    out);
      }
      it = reads_.erase(it);
      continue;
    }
    if (r.answered || r.repairing) {
      r.speculate_at = Instant::max();  // Nothing left to speculate for.
    } else if (now >= r.speculate_at) {
      r.speculate_at = Instant::max();
      if (ask_next(it->first, r, out)) ++counters_.speculative_retries;
    }
    schedule(std::min(r.request.deadline, r.speculate_at), out);
    ++it;
  }
}

}  // namespace pairdb::replication
