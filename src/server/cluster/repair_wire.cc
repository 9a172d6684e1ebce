#include "server/cluster/repair_wire.h"

#include <fmt/format.h>

#include <algorithm>
#include <string>
#include <variant>
#include <vector>

#include "common/assert.h"

// g++ 12 warns that moving a Result<RepairReply> holding RepairPushReply may read the vector
// members of the other alternatives (the -Wmaybe-uninitialized false positive with std::variant
// that replication/repair_responder.cc also silences); nothing reads them.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

namespace pairdb::server {

namespace internode = net::internode;

namespace {

internode::RepairScope scope_to_wire(const replication::RepairScope& scope) {
  return {scope.session_id,  scope.sync_id,   scope.table,
          scope.range.start, scope.range.end, scope.depth};
}

replication::RepairScope scope_from_wire(const internode::RepairScope& scope) {
  return {scope.session_id, scope.sync_id, scope.table_id,
          ring::TokenRange{scope.range_start, scope.range_end}, scope.depth};
}

// RepairItem and RepairLeafEntry have the same fields on both sides.
template <typename To, typename From>
std::vector<To> items_as(const std::vector<From>& items) {
  std::vector<To> out;
  out.reserve(items.size());
  for (const From& item : items) out.push_back(To{item.storage_key, item.record});
  return out;
}

template <typename To, typename From>
std::vector<To> entries_as(const std::vector<From>& entries) {
  std::vector<To> out;
  out.reserve(entries.size());
  for (const From& entry : entries) out.push_back(To{entry.key_hash, entry.digest});
  return out;
}

std::string raw_id(const ring::NodeId& id) {
  return std::string(reinterpret_cast<const char*>(id.bytes.data()), id.bytes.size());
}

Result<ring::NodeId> node_id_from_wire(const std::string& raw) {
  if (raw.size() != internode::kNodeIdBytes) {
    return Status::corruption(fmt::format("a repair notice names a node id of {} bytes, not {}",
                                          raw.size(), internode::kNodeIdBytes));
  }
  ring::NodeId id;
  std::copy(raw.begin(), raw.end(), reinterpret_cast<char*>(id.bytes.data()));
  return id;
}

struct RequestToWire {
  internode::Request operator()(const replication::RepairTreeRequest& r) const {
    return internode::RepairTree{scope_to_wire(r.scope), r.nodes};
  }
  internode::Request operator()(const replication::RepairLeavesRequest& r) const {
    return internode::RepairLeaves{scope_to_wire(r.scope), r.leaves};
  }
  internode::Request operator()(const replication::RepairFetchRequest& r) const {
    return internode::RepairFetch{scope_to_wire(r.scope), r.leaves, r.key_hashes, r.bytes_max};
  }
  internode::Request operator()(const replication::RepairPushRequest& r) const {
    return internode::RepairPush{r.table, items_as<internode::RepairItem>(r.items)};
  }
  internode::Request operator()(const replication::RepairDoneRequest& r) const {
    PAIRDB_ASSERT(r.replicas.size() <= ring::kReplicationFactorMax);
    internode::RepairDone done{
        r.session_id,        r.table, r.range.start, r.range.end, r.started_wall_ms,
        r.records_differing, {}};
    done.replicas.reserve(r.replicas.size());
    for (const ring::NodeId& id : r.replicas) done.replicas.push_back(raw_id(id));
    return done;
  }
};

struct RequestFromWire {
  using Out = Result<replication::RepairRequest>;

  Out operator()(const internode::RepairTree& r) const {
    return replication::RepairRequest(
        replication::RepairTreeRequest{scope_from_wire(r.scope), r.nodes});
  }
  Out operator()(const internode::RepairLeaves& r) const {
    return replication::RepairRequest(
        replication::RepairLeavesRequest{scope_from_wire(r.scope), r.leaves});
  }
  Out operator()(const internode::RepairFetch& r) const {
    return replication::RepairRequest(replication::RepairFetchRequest{
        scope_from_wire(r.scope), r.leaves, r.key_hashes, r.bytes_max});
  }
  Out operator()(const internode::RepairPush& r) const {
    return replication::RepairRequest(
        replication::RepairPushRequest{r.table_id, items_as<replication::RepairItem>(r.items)});
  }
  Out operator()(const internode::RepairDone& r) const {
    if (r.replicas.size() > ring::kReplicationFactorMax) {
      return Status::corruption(fmt::format("a repair notice names {} replicas, more than {}",
                                            r.replicas.size(), ring::kReplicationFactorMax));
    }
    replication::RepairDoneRequest done{
        r.session_id,      r.table_id,          ring::TokenRange{r.range_start, r.range_end},
        r.started_wall_ms, r.records_differing, {}};
    done.replicas.reserve(r.replicas.size());
    for (const std::string& raw : r.replicas) {
      PAIRDB_ASSIGN_OR_RETURN(const ring::NodeId id, node_id_from_wire(raw));
      done.replicas.push_back(id);
    }
    return replication::RepairRequest(std::move(done));
  }
  template <typename Other>
  Out operator()(const Other&) const {
    return Status::invalid_argument("not a repair request");
  }
};

struct ReplyToWire {
  internode::Response operator()(const replication::RepairTreeReply& r) const {
    return internode::RepairTreeReply{r.hashes, r.records};
  }
  internode::Response operator()(const replication::RepairLeavesReply& r) const {
    return internode::RepairLeavesReply{entries_as<internode::RepairLeafEntry>(r.entries)};
  }
  internode::Response operator()(const replication::RepairFetchReply& r) const {
    return internode::RepairFetchReply{items_as<internode::RepairItem>(r.items), r.truncated};
  }
  internode::Response operator()(const replication::RepairPushReply& r) const {
    return internode::RepairPushReply{r.changed};
  }
  internode::Response operator()(const replication::RepairDoneReply&) const {
    return internode::RepairDoneReply{};
  }
};

struct ReplyFromWire {
  using Out = Result<replication::RepairReply>;

  Out operator()(const internode::RepairTreeReply& r) const {
    return replication::RepairReply(replication::RepairTreeReply{r.hashes, r.records});
  }
  Out operator()(const internode::RepairLeavesReply& r) const {
    return replication::RepairReply(
        replication::RepairLeavesReply{entries_as<replication::RepairLeafEntry>(r.entries)});
  }
  Out operator()(const internode::RepairFetchReply& r) const {
    return replication::RepairReply(
        replication::RepairFetchReply{items_as<replication::RepairItem>(r.items), r.truncated});
  }
  Out operator()(const internode::RepairPushReply& r) const {
    return replication::RepairReply(replication::RepairPushReply{r.changed});
  }
  Out operator()(const internode::RepairDoneReply&) const {
    return replication::RepairReply(replication::RepairDoneReply{});
  }
  Out operator()(const internode::InternodeError& error) const {
    return Status::invalid_argument(
        fmt::format("a refusal (error code {}), not a repair reply", error.code));
  }
  template <typename Other>
  Out operator()(const Other&) const {
    return Status::invalid_argument("not a repair reply");
  }
};

}  // namespace

bool is_repair_request(const internode::Request& request) {
  return std::holds_alternative<internode::RepairTree>(request) ||
         std::holds_alternative<internode::RepairLeaves>(request) ||
         std::holds_alternative<internode::RepairFetch>(request) ||
         std::holds_alternative<internode::RepairPush>(request) ||
         std::holds_alternative<internode::RepairDone>(request);
}

internode::Request repair_request_to_wire(const replication::RepairRequest& request) {
  return std::visit(RequestToWire{}, request);
}

Result<replication::RepairRequest> repair_request_from_wire(const internode::Request& request) {
  if (!is_repair_request(request)) {
    return Status::invalid_argument(fmt::format(
        "{} is not a repair request", internode::internode_op_name(internode::op_of(request))));
  }
  return std::visit(RequestFromWire{}, request);
}

internode::Response repair_reply_to_wire(const replication::RepairReply& reply) {
  return std::visit(ReplyToWire{}, reply);
}

Result<replication::RepairReply> repair_reply_from_wire(const internode::Response& response) {
  return std::visit(ReplyFromWire{}, response);
}

}  // namespace pairdb::server
