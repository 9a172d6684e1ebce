#include "server/cluster/replica_service.h"

#include <fmt/format.h>

#include <algorithm>

#include <pairdb/ring/hash_ring.h>

#include "common/assert.h"
#include "net/wire.h"

namespace pairdb::server {

namespace internode = net::internode;

namespace {

replication::ItemAddress address_of(const internode::ItemKey& key) {
  return {key.table_id, key.partition_key, key.sort_key};
}

// A stored record as it travels: empty bytes when the replica holds nothing.
std::string record_bytes(const replication::VersionRecord& record) {
  return record == replication::VersionRecord{} ? std::string()
                                                : replication::encode_record(record);
}

}  // namespace

internode::InternodeError internode_error(const Status& status) {
  internode::InternodeError error;
  error.code = static_cast<uint16_t>(net::error_code_for(status));
  error.message = std::string(status.message());
  if (const auto quorum = status.quorum()) {
    error.required = quorum->required;
    error.achieved = quorum->achieved;
  }
  return error;
}

ReplicaService::ReplicaService(const Catalog* catalog, replication::ReplicaStore* store,
                               const Clock* clock)
    : catalog_(catalog), store_(store), clock_(clock) {
  PAIRDB_ASSERT(catalog_ != nullptr && store_ != nullptr && clock_ != nullptr);
}

internode::Response ReplicaService::handle(const internode::Request& request) {
  if (const auto* w = std::get_if<internode::ReplicaWrite>(&request)) return write(*w);
  if (const auto* r = std::get_if<internode::ReplicaRead>(&request)) return read(*r);
  if (const auto* range = std::get_if<internode::RangeRead>(&request)) return range_read(*range);
  return internode_error(Status::invalid_argument(fmt::format(
      "{} is not a replica request", internode::internode_op_name(internode::op_of(request)))));
}

std::string ReplicaService::handle_frame(const net::Frame& frame) {
  const auto op = internode::from_frame_opcode(frame.header.opcode);
  Result<internode::Request> request = internode::decode_request(frame);
  if (!request.is_ok()) {
    return internode::encode_response(frame.header.stream_id, op,
                                      internode_error(request.status()));
  }
  return internode::encode_response(frame.header.stream_id, op, handle(*request));
}

Result<std::shared_ptr<const replication::TableInfo>> ReplicaService::table(
    replication::TableId id) const {
  auto info = catalog_->find_by_id(id);
  if (info == nullptr) {
    return Status::table_not_found(
        fmt::format("no live table with id {:016x} on this replica (dropped, or its schema has "
                    "not reached this node yet)",
                    id));
  }
  return info;
}

internode::Response ReplicaService::write(const internode::ReplicaWrite& request) {
  auto info = table(request.key.table_id);
  if (!info.is_ok()) return internode_error(info.status());
  Result<replication::VersionRecord> incoming = replication::decode_record(request.record);
  if (!incoming.is_ok()) return internode_error(incoming.status());
  if (!request.hint_for.empty()) return keep_hint(request, *incoming);
  // A watermark is never later than its recorder's clock, which the margin assumes is within
  // half the margin of this node's. So a record with a version written less than half the
  // margin ago cannot predate one: the common case, a live write, skips the lookup.
  const auto written_recently = [&] {
    const uint64_t now_ms = clock_->wall_ms();
    return std::any_of(incoming->siblings.begin(), incoming->siblings.end(),
                       [&](const replication::Sibling& s) {
                         return s.timestamp.wall_ms() + repair_margin_ms_ / 2 >= now_ms;
                       });
  };
  if (repairs_ != nullptr && !written_recently()) {
    const uint64_t watermark = repairs_->repaired_before(
        request.key.table_id, ring::HashRing::token_of(request.key.partition_key));
    if (replication::predates_repair(*incoming, watermark, repair_margin_ms_)) {
      predating_refused_.fetch_add(1);
      return internode::ReplicaWriteReply{false};  // Held already, or purged on purpose.
    }
  }
  auto merged = store_->merge(address_of(request.key), *incoming, (*info)->spec.conflict_mode);
  if (!merged.is_ok()) return internode_error(merged.status());
  (merged->changed ? merges_changed_ : merges_unchanged_).fetch_add(1);
  if (request.repair) repairs_received_.fetch_add(1);
  return internode::ReplicaWriteReply{merged->changed};
}

// This node stands in for a dead replica: the record is kept as a hint, never merged here.
internode::Response ReplicaService::keep_hint(const internode::ReplicaWrite& request,
                                              const replication::VersionRecord& record) {
  if (request.hint_for.size() != internode::kNodeIdBytes) {
    return internode_error(Status::corruption("a fallback write names a malformed node id"));
  }
  if (hints_ == nullptr) {
    return internode_error(Status::unavailable("this node keeps no hints"));
  }
  ring::NodeId target;
  std::copy(request.hint_for.begin(), request.hint_for.end(),
            reinterpret_cast<char*>(target.bytes.data()));
  const replication::Hint hint =
      replication::make_hint(target, request.key.table_id, request.key.partition_key,
                             request.key.sort_key, request.record, record, clock_->wall_ms());
  const Status kept = hints_->keep_now(hint);
  if (!kept.is_ok()) return internode_error(kept);
  hints_received_.fetch_add(1);
  return internode::ReplicaWriteReply{true};
}

internode::Response ReplicaService::read(const internode::ReplicaRead& request) {
  auto info = table(request.key.table_id);
  if (!info.is_ok()) return internode_error(info.status());
  auto record = store_->read(address_of(request.key));
  if (!record.is_ok()) return internode_error(record.status());
  return internode::ReplicaReadReply{record_bytes(*record)};
}

std::optional<internode::Response> ReplicaService::answer_from_memory(
    const internode::Request& request) {
  const auto* read = std::get_if<internode::ReplicaRead>(&request);
  if (read == nullptr) return std::nullopt;
  auto info = table(read->key.table_id);
  if (!info.is_ok()) return std::nullopt;  // handle() gives the refusal.
  auto record = store_->read_in_memory(address_of(read->key));
  if (!record.is_ok() || !record->has_value()) return std::nullopt;
  return internode::ReplicaReadReply{record_bytes(**record)};
}

internode::Response ReplicaService::range_read(const internode::RangeRead& request) {
  auto info = table(request.table_id);
  if (!info.is_ok()) return internode_error(info.status());
  replication::ScanRequest scan;
  scan.table = request.table_id;
  scan.partition_key = request.partition_key;
  scan.from_sort_key = request.from_sort_key;
  scan.to_sort_key = request.to_sort_key;
  scan.after_sort_key = request.after_sort_key;
  scan.limit = std::clamp<uint32_t>(request.limit, 1, kRangeReadRecordsMax);
  scan.scanned_max = scan.limit;
  scan.now_wall_ms = clock_->wall_ms();
  scan.records = true;
  auto page = store_->scan(scan);
  if (!page.is_ok()) return internode_error(page.status());
  internode::RangeReadReply reply;
  reply.items.reserve(page->items.size());
  size_t bytes = 0;
  for (replication::ScannedItem& item : page->items) {
    reply.items.push_back({std::move(item.sort_key), record_bytes(item.record)});
    bytes += reply.items.back().sort_key.size() + reply.items.back().record.size();
    if (bytes >= kRangeReadBytesMax && reply.items.size() < page->items.size()) {
      reply.resume_after = reply.items.back().sort_key;  // The rest comes with the next page.
      return reply;
    }
  }
  reply.resume_after = std::move(page->resume_after);
  return reply;
}

}  // namespace pairdb::server
