// ReplicationDriver: Query at a consistency level (see replication_driver.h). Asks the fewest
// live replicas that can meet the level (this node first, then its DC), replaces one that fails
// by one not yet asked, and merges the pages of those that answered once they meet the level.
#include <fmt/format.h>

#include <algorithm>
#include <boost/asio/post.hpp>

#include "common/assert.h"
#include "replication/placement.h"
#include "server/cluster/replication_driver.h"
#include "server/cluster/replication_driver_internal.h"

namespace pairdb::server {

namespace asio = boost::asio;
namespace internode = net::internode;

namespace {

Result<replication::RangePage> range_reply_page(const Result<internode::Response>& response) {
  if (!response.is_ok()) return response.status();
  if (const auto* error = std::get_if<internode::InternodeError>(&*response)) {
    return status_of(*error);
  }
  const auto* reply = std::get_if<internode::RangeReadReply>(&*response);
  if (reply == nullptr) return Status::corruption("a RangeRead answered with another response");
  replication::RangePage page;
  page.resume_after = reply->resume_after;
  for (const internode::RangeItem& item : reply->items) {
    if (!page.entries.empty() && item.sort_key <= page.entries.back().sort_key) {
      return Status::corruption("a replica's range page is not in sort-key order");
    }
    PAIRDB_ASSIGN_OR_RETURN(auto record, record_from(item.record));
    PAIRDB_TRY(replication::validate_record(record));
    page.entries.push_back({item.sort_key, std::move(record)});
  }
  return page;
}

replication::RangePage local_page(replication::ReplicaStore* store, const CoordinatedRange& range,
                                  uint64_t now_wall_ms, Status* status) {
  replication::RangePage page;
  auto scanned = store->scan(scan_request_of(range, now_wall_ms));
  if (!scanned.is_ok()) {
    *status = scanned.status();
    return page;
  }
  for (auto& item : scanned->items) {
    page.entries.push_back({std::move(item.sort_key), std::move(item.record)});
  }
  page.resume_after = std::move(scanned->resume_after);
  return page;
}

}  // namespace

void ReplicationDriver::start_range(CoordinatedRange range, Reply<CoordinatedRangeReply> done) {
  auto placed = place_key(*cluster_->snapshot(), *range.table, range.partition_key,
                          range.consistency, options_.self, options_.local_dc);
  if (!placed.is_ok()) {
    done(placed.status());
    return;
  }
  ++range_reads_;
  auto op = std::make_shared<RangeOp>();
  range.deadline = std::min(range.deadline, now() + options_.read_timeout);
  op->range = std::move(range);
  op->placed = std::move(placed).value();
  const size_t n = op->placed.replicas.size();
  op->pages.resize(n);
  op->asked.assign(n, 0);
  op->failed.assign(n, 0);
  op->done = std::move(done);
  const OpId id = next_op_++;
  ranges_[id] = op;
  const auto& replicas = op->placed.replicas;
  const auto alive = replication::dcs_where(replicas, [&](size_t i) { return replicas[i].alive; });
  if (!replication::quorum_met(op->placed.rule, alive)) {
    finish_range(
        id, Status::unavailable(
                fmt::format("consistency {} needs {} live replica(s) of the partition; {} alive",
                            replication::consistency_name(op->placed.rule.level),
                            op->placed.rule.required(),
                            replication::quorum_relevant(op->placed.rule, alive)),
                replication::quorum_count(op->placed.rule, alive)));
    return;
  }
  while (!replication::quorum_met(op->placed.rule, replication::dcs_where(replicas, [&](size_t i) {
                                    return op->asked[i] != 0;
                                  }))) {
    if (!ask_range(id, op)) break;
  }
  arm_timer(op->range.deadline);
  publish_stats();
}

// Asks the best live replica not yet asked: self, then the local DC, then any. False if none.
bool ReplicationDriver::ask_range(OpId id, const std::shared_ptr<RangeOp>& op) {
  const auto& replicas = op->placed.replicas;
  std::optional<size_t> pick;
  for (size_t i = 0; i < replicas.size(); ++i) {
    if (!replicas[i].alive || op->asked[i] != 0) continue;
    const int rank = replicas[i].is_self ? 0 : replicas[i].dc == options_.local_dc ? 1 : 2;
    const int best = !pick                                     ? 3
                     : replicas[*pick].is_self                 ? 0
                     : replicas[*pick].dc == options_.local_dc ? 1
                                                               : 2;
    if (rank < best) pick = i;
  }
  if (!pick) return false;
  const size_t replica = *pick;
  op->asked[replica] = 1;
  if (replicas[replica].is_self) {
    options_.run_blocking([this, id, op, replica] {
      Status status;
      replication::RangePage page =
          local_page(store_, op->range, options_.clock->wall_ms(), &status);
      asio::post(io_, [this, id, replica, status, page = std::move(page)]() mutable {
        on_range_page(id, replica,
                      status.is_ok() ? Result<replication::RangePage>(std::move(page)) : status);
      });
    });
    return true;
  }
  internode::RangeRead request;
  request.table_id = op->range.table->id;
  request.partition_key = op->range.partition_key;
  request.from_sort_key = op->range.from_sort_key;
  request.to_sort_key = op->range.to_sort_key;
  request.after_sort_key = op->range.after_sort_key;
  request.limit = op->range.limit;
  client_->send(op->placed.peers[replica], request, transport_deadline(op->range.deadline),
                [this, id, replica](Result<internode::Response> response) {
                  on_range_page(id, replica, range_reply_page(response));
                });
  return true;
}

void ReplicationDriver::on_range_page(OpId id, size_t replica,
                                      Result<replication::RangePage> page) {
  auto it = ranges_.find(id);
  if (it == ranges_.end()) return;  // Answered already.
  const std::shared_ptr<RangeOp> op = it->second;
  const auto& replicas = op->placed.replicas;
  if (!page.is_ok()) {
    op->failed[replica] = 1;
    if (!ask_range(id, op)) {
      const auto possible = replication::dcs_where(
          replicas, [&](size_t i) { return op->asked[i] != 0 && op->failed[i] == 0; });
      if (!replication::quorum_met(op->placed.rule, possible)) {
        finish_range(id, Status::unavailable(fmt::format(
                             "too few replicas of the partition answered the query ({})",
                             page.status().to_string())));
      }
    }
    return;
  }
  op->pages[replica] = std::move(page).value();
  const auto answered =
      replication::dcs_where(replicas, [&](size_t i) { return op->pages[i].has_value(); });
  if (replication::quorum_met(op->placed.rule, answered)) finish_range(id, Status::ok());
}

void ReplicationDriver::finish_range(OpId id, Status status) {
  auto it = ranges_.find(id);
  PAIRDB_ASSERT(it != ranges_.end());
  const std::shared_ptr<RangeOp> op = it->second;
  ranges_.erase(it);
  publish_stats();
  if (!status.is_ok()) {
    op->done(std::move(status));
    return;
  }
  std::vector<replication::RangePage> pages;
  for (auto& page : op->pages) {
    if (page) pages.push_back(std::move(*page));
  }
  replication::RangePage merged =
      replication::merge_range_pages(pages, op->range.table->spec.conflict_mode);
  CoordinatedRangeReply reply;
  reply.records.reserve(merged.entries.size());
  for (auto& entry : merged.entries) {
    reply.records.push_back({std::move(entry.sort_key), std::move(entry.record)});
  }
  reply.resume_after = std::move(merged.resume_after);
  op->done(std::move(reply));
}

void ReplicationDriver::expire_ranges(Instant t) {
  std::vector<OpId> expired;
  for (const auto& [id, op] : ranges_) {
    if (op->range.deadline <= t) expired.push_back(id);
  }
  for (OpId id : expired) {
    finish_range(id, Status::timeout("too few replicas of the partition answered the query "
                                     "before the deadline"));
  }
}

void ReplicationDriver::inspect(CoordinatedRead read, Reply<std::vector<ReplicaCopy>> done) {
  asio::post(io_, [this, read = std::move(read), done = std::move(done)]() mutable {
    start_inspect(std::move(read), std::move(done));
  });
}

// getreplicas: asks every natural replica for its own record, through the same ReplicaRead a
// coordinator uses, and reports each one's answer as it is.
void ReplicationDriver::start_inspect(CoordinatedRead read, Reply<std::vector<ReplicaCopy>> done) {
  const auto snapshot = cluster_->snapshot();
  auto endpoints = replication::place(*snapshot, replication::replication_spec_of(read.table->spec),
                                      read.partition_key);
  if (!endpoints.is_ok()) {
    done(endpoints.status());
    return;
  }
  struct Inspection {
    std::vector<ReplicaCopy> copies;
    size_t waiting = 0;
    Reply<std::vector<ReplicaCopy>> done;
  };
  auto inspection = std::make_shared<Inspection>();
  inspection->done = std::move(done);
  const auto replicas = replication::coordinator_replicas(*endpoints, options_.self);
  inspection->copies.resize(replicas.size());
  inspection->waiting = replicas.size();
  auto finish_one = [inspection](size_t i, Result<replication::VersionRecord> record) {
    if (record.is_ok()) {
      inspection->copies[i].record = std::move(record).value();
    } else {
      inspection->copies[i].status = record.status();
    }
    if (--inspection->waiting == 0) inspection->done(std::move(inspection->copies));
  };
  const auto deadline = std::min(read.deadline, now() + options_.read_timeout);
  for (size_t i = 0; i < replicas.size(); ++i) {
    ReplicaCopy& copy = inspection->copies[i];
    copy.node_id = replicas[i].id.to_string();
    copy.address = (*endpoints)[i].internode_address;
    copy.is_self = replicas[i].is_self;
    if (copy.is_self) {
      options_.run_blocking(
          [this, i, finish_one, table = read.table, pk = read.partition_key, sk = read.sort_key] {
            auto record = store_->read({table->id, pk, sk});
            asio::post(io_, [finish_one, i, record = std::move(record)]() mutable {
              finish_one(i, std::move(record));
            });
          });
    } else if (!replicas[i].alive) {
      finish_one(i, Status::unavailable("down (by gossip), or its address is not known"));
    } else {
      client_->send(net::InternodePeer{raw_id(replicas[i].id), copy.address},
                    internode::ReplicaRead{{read.table->id, read.partition_key, read.sort_key}},
                    transport_deadline(deadline),
                    [finish_one, i](Result<internode::Response> response) {
                      finish_one(i, [&]() -> Result<replication::VersionRecord> {
                        if (!response.is_ok()) return response.status();
                        if (const auto* e = std::get_if<internode::InternodeError>(&*response)) {
                          return status_of(*e);
                        }
                        const auto* r = std::get_if<internode::ReplicaReadReply>(&*response);
                        if (r == nullptr) return Status::corruption("unexpected response");
                        PAIRDB_ASSIGN_OR_RETURN(auto record, record_from(r->record));
                        PAIRDB_TRY(replication::validate_record(record));
                        return record;
                      }());
                    });
    }
  }
  if (replicas.empty()) inspection->done(std::move(inspection->copies));
}

}  // namespace pairdb::server
